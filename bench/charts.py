"""Charts from the records alone (matplotlib, PNG + SVG, readable in black and white)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402

from bench.rank import TaskRanking  # noqa: E402

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h")


def _save(fig: plt.Figure, stem: Path) -> list[Path]:
    paths = []
    for suffix in (".png", ".svg"):
        path = stem.with_suffix(suffix)
        fig.savefig(path, dpi=130, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def quality_vs_energy(ranking: TaskRanking, out_dir: Path) -> list[Path]:
    """Quality with its 95 % CI against energy per 1000 requests (log x), gate line, winner highlighted."""
    metric = ranking.metric
    data = ranking.table[ranking.table["verdict"] != "failed"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for index, (_, row) in enumerate(data.iterrows()):
        x = row["energy_wh_per_1000_requests"]
        y = row[metric]
        err = [[y - row[f"{metric}_ci_low"]], [row[f"{metric}_ci_high"] - y]]
        winner = row["model_id"] == ranking.recommended
        ax.errorbar(x, y, yerr=err, fmt=MARKERS[index % len(MARKERS)], color="black", capsize=3,
                    markersize=11 if winner else 7, markerfacecolor="black" if winner else "white",
                    label=f"{row['model_id']}{' (recommended)' if winner else ''}")
    front = data[data["model_id"].isin(ranking.pareto)].sort_values("energy_wh_per_1000_requests")
    if len(front) > 1:
        ax.plot(front["energy_wh_per_1000_requests"], front[metric], linestyle=":", color="grey",
                label="Pareto front")
    ax.axhline(ranking.threshold, linestyle="--", color="black", linewidth=1,
               label=f"gate {metric} ≥ {ranking.threshold}")
    ax.set_xscale("log")
    ax.set_xlabel("energy per 1000 requests (Wh, log scale)")
    ax.set_ylabel(f"{metric} (95 % CI)")
    ax.set_title(f"{ranking.task}: quality vs energy")
    ax.grid(True, which="both", linestyle=":", linewidth=0.5)
    ax.legend(fontsize=7, loc="best")
    return _save(fig, out_dir / f"{ranking.task}_quality_vs_energy")


def all_charts(rankings: list[TaskRanking], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for ranking in rankings:
        paths += quality_vs_energy(ranking, out_dir)
    return paths
