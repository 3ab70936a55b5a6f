"""Charts from the rankings alone (matplotlib, PNG + SVG), readable when printed in black and white.

Every model keeps one marker shape across a task's charts; the verdict sets the fill (black = good
enough, half = borderline, white = not good enough) and the recommended model is drawn larger and named.
Bars use grey levels and hatching rather than colour.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bench.decide.rank import FRUGALITY_KEYS, TaskRanking, pareto_front
from bench.numbers import as_float
from bench.report.i18n import metric_name, num, score, t, verdict_name
from bench.run.record import CO2_G_PER_1000, LATENCY_P50_MS, LATENCY_P95_MS, PEAK_RSS_MB
from bench.spec.config import slug as file_slug

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
FillStyle = Literal["full", "left", "right", "bottom", "top", "none"]
FILL: dict[str, FillStyle] = {"pass": "full", "borderline": "left", "insufficient": "bottom", "fail": "none",
                              "not_needed": "none"}
OTHER_SET_MARKERS = ("x", "+", "1", "2")  # one per test set after the first
ENERGY = FRUGALITY_KEYS["energy"]
STYLE: dict[str, Any] = {"font.size": 9, "axes.titlesize": 11, "axes.titleweight": "bold", "axes.labelsize": 9,
         "legend.fontsize": 7, "svg.fonttype": "path", "figure.dpi": 100, "axes.spines.top": False,
         "axes.spines.right": False}


def slug(name: str) -> str:
    """A file-name-safe version of a task name (the run folder's rule, bench.spec.config.slug)."""
    return file_slug(name) or "task"


def _save(fig: Figure, stem: Path) -> Path:
    for suffix in (".png", ".svg"):
        # A fixed date keeps SVG files identical between rebuilds of the same records.
        metadata = {"Date": None} if suffix == ".svg" else {}
        fig.savefig(stem.with_suffix(suffix), dpi=130, bbox_inches="tight", metadata=metadata)
    plt.close(fig)
    return stem.with_suffix(".png")




def _markers(ranking: TaskRanking, ladder: list[str]) -> dict[str, str]:
    models = _ladder_order(ranking, ladder)
    return {m: MARKERS[i % len(MARKERS)] for i, m in enumerate(models)}


def _ladder_order(ranking: TaskRanking, ladder: list[str]) -> list[str]:
    """Models of the task, smallest first: models.yaml order when known, else by parameter count."""
    models = [str(m) for m in ranking.table["model_id"]]
    position = {m: i for i, m in enumerate(ladder)}
    params = {str(r["model_id"]): as_float(r.get("params")) for _, r in ranking.table.iterrows()}
    return sorted(models, key=lambda m: (position.get(m, len(position)),
                                         params[m] if not math.isnan(params[m]) else math.inf, m))


def _empty(ax: Axes, lang: str) -> None:
    ax.text(0.5, 0.5, t(lang, "c_no_data"), ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def _point(ax: Axes, x: float, row: pd.Series, ranking: TaskRanking, marker: str, lang: str) -> None:
    metric = ranking.metric
    y, low, high = as_float(row[metric]), as_float(row[f"{metric}_ci_low"]), as_float(row[f"{metric}_ci_high"])
    winner = row["model_id"] == ranking.recommended
    ax.errorbar([x], [y], yerr=[[max(y - low, 0)], [max(high - y, 0)]], fmt=marker, color="black", capsize=3,
                elinewidth=0.8, markersize=12 if winner else 7, fillstyle=FILL.get(str(row["verdict"]), "none"),
                markerfacecoloralt="white", markeredgewidth=2.2 if winner else 1.0, zorder=3,
                label=f"{row['model_id']} ({verdict_name(str(row['verdict']), lang)})")
    for index, set_name in enumerate(ranking.sets[1:]):  # other test sets: small marks joined to the first
        other = as_float(row.get(f"{set_name}:{metric}"))
        if other == other:  # not NaN
            ax.plot([x, x], [y, other], linestyle=":", color="gray", linewidth=0.8, zorder=2)
            ax.plot([x], [other], marker=OTHER_SET_MARKERS[index % len(OTHER_SET_MARKERS)], color="dimgray",
                    linestyle="none", markersize=7, zorder=3)
    label = f"{row['model_id']}" + (f" — {t(lang, 'c_recommended')}" if winner else "")
    ax.annotate(label, (x, y), xytext=(7, 5), textcoords="offset points", fontsize=7,
                fontweight="bold" if winner else "normal")


def quality_vs_energy(ranking: TaskRanking, out_dir: Path, lang: str = "fr", ladder: list[str] | None = None) -> Path:
    """Quality with its 95 % CI against energy per 1000 requests (log x), gate line, Pareto front, winner."""
    metric = ranking.metric
    data = ranking.table[(ranking.table["verdict"] != "failed")]
    data = data[data[ENERGY].map(as_float) > 0] if ENERGY in data else data.iloc[0:0]
    markers = _markers(ranking, ladder or [])
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    if data.empty:
        _empty(ax, lang)
    else:
        for _, row in data.iterrows():
            _point(ax, as_float(row[ENERGY]), row, ranking, markers[str(row["model_id"])], lang)
        front_ids = pareto_front(data, metric, ENERGY)
        front = data[data["model_id"].isin(front_ids)].sort_values(ENERGY)
        if len(front) > 1:
            ax.step(front[ENERGY].map(as_float), front[metric].map(as_float), where="post", linestyle=":",
                    color="dimgray", linewidth=1.2, label=t(lang, "c_pareto"), zorder=2)
        ax.set_xscale("log")
        ax.margins(x=0.25)
    _finish_quality_axes(ax, ranking, lang, "c_energy_x", "c_qve_title")
    return _save(fig, out_dir / f"{slug(ranking.task)}_quality_vs_energy")


def _finish_quality_axes(ax: Axes, ranking: TaskRanking, lang: str, x_label: str, title: str) -> None:
    """What every quality chart shares: the gate line, labels with units, grid and legend."""
    metric = ranking.metric
    ax.axhline(ranking.threshold, linestyle="--", color="black", linewidth=1,
               label=t(lang, "c_gate", metric=metric_name(metric, lang), min=score(ranking.threshold, lang)))
    ax.set_xlabel(t(lang, x_label))
    ax.set_ylabel(t(lang, "c_metric_y", metric=metric_name(metric, lang)))
    ax.set_title(t(lang, title, task=ranking.task))
    ax.grid(True, which="major", linestyle=":", linewidth=0.5, color="lightgray")
    for index, set_name in enumerate(ranking.sets[1:]):  # the legend names the marks of the other sets
        ax.plot([], [], marker=OTHER_SET_MARKERS[index % len(OTHER_SET_MARKERS)], color="dimgray",
                linestyle="none", label=t(lang, "c_other_set", set=set_name))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)


def quality_vs_size(ranking: TaskRanking, out_dir: Path, lang: str = "fr", ladder: list[str] | None = None) -> Path:
    """Quality along the model ladder: parameters on a log axis, one point per model, gate line."""
    metric = ranking.metric
    data = ranking.table[(ranking.table["verdict"] != "failed")]
    data = data[data["params"].map(as_float) > 0] if "params" in data else data.iloc[0:0]
    markers = _markers(ranking, ladder or [])
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    if data.empty:
        _empty(ax, lang)
    else:
        ordered = data.assign(_p=data["params"].map(as_float)).sort_values("_p")
        ax.plot(ordered["_p"], ordered[metric].map(as_float), color="gray", linewidth=0.8, linestyle="-", zorder=1)
        for _, row in ordered.iterrows():
            _point(ax, as_float(row["params"]), row, ranking, markers[str(row["model_id"])], lang)
        ax.set_xscale("log")
        ax.margins(x=0.25)
    _finish_quality_axes(ax, ranking, lang, "c_size_x", "c_size_title")
    return _save(fig, out_dir / f"{slug(ranking.task)}_quality_vs_size")


def _bars(ranking: TaskRanking, columns: list[tuple[str, str, str, str]], ylabel: str, title: str, stem: Path,
          lang: str, ladder: list[str]) -> Path:
    """Grouped bars per model (ladder order); columns are (column, legend, grey, hatch); log y on wide ranges."""
    table = ranking.table.set_index("model_id")
    models = [m for m in _ladder_order(ranking, ladder)
              if any(as_float(table.loc[m].get(c)) > 0 for c, *_ in columns)]
    fig, ax = plt.subplots(figsize=(max(4.8, 1.1 * len(models) + 2.5), 4.2))
    if not models:
        _empty(ax, lang)
        ax.set_title(title)
        return _save(fig, stem)
    values = [as_float(table.loc[m].get(c)) for m in models for c, *_ in columns]
    positive = [v for v in values if v > 0]
    log = bool(positive) and max(positive) / min(positive) > 50
    width = 0.8 / len(columns)
    for j, (column, legend, grey, hatch) in enumerate(columns):
        xs = [i + (j - (len(columns) - 1) / 2) * width for i in range(len(models))]
        heights = [as_float(table.loc[m].get(column)) for m in models]
        bars = ax.bar(xs, [h if h > 0 else 0 for h in heights], width=width, color=grey, edgecolor="black",
                      hatch=hatch, linewidth=0.8, label=legend or None)
        for bar, height in zip(bars, heights, strict=True):
            if height > 0:
                ax.annotate(num(height, lang), (bar.get_x() + bar.get_width() / 2, height), xytext=(0, 2),
                            textcoords="offset points", ha="center", fontsize=6)
    ax.set_xticks(range(len(models)))
    failed = set(ranking.models_with("failed"))  # a failed cell may still have a peak memory worth showing
    ax.set_xticklabels([f"★ {m}" if m == ranking.recommended else f"{m} ({t(lang, 'c_failed')})" if m in failed
                        else m for m in models], rotation=25, ha="right")
    for label in ax.get_xticklabels():
        if label.get_text().startswith("★"):
            label.set_fontweight("bold")
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel.format(log=t(lang, "c_log") if log else ""))  # {log} was left as a placeholder
    ax.set_title(title)
    ax.grid(True, axis="y", which="major", linestyle=":", linewidth=0.5, color="lightgray")
    if any(legend for _, legend, *_ in columns):
        ax.legend(frameon=False)
    return _save(fig, stem)


def latency_bars(ranking: TaskRanking, out_dir: Path, lang: str = "fr", ladder: list[str] | None = None) -> Path:
    return _bars(ranking, [(LATENCY_P50_MS, "p50", "0.55", ""), (LATENCY_P95_MS, "p95", "white", "///")],
                 t(lang, "c_latency_y", log="{log}"), t(lang, "c_latency_title", task=ranking.task),
                 out_dir / f"{slug(ranking.task)}_latency", lang, ladder or [])


def memory_bars(ranking: TaskRanking, out_dir: Path, lang: str = "fr", ladder: list[str] | None = None) -> Path:
    return _bars(ranking, [(PEAK_RSS_MB, "", "0.7", "..")], t(lang, "c_memory_y", log="{log}"),
                 t(lang, "c_memory_title", task=ranking.task), out_dir / f"{slug(ranking.task)}_memory", lang,
                 ladder or [])


def co2_bars(ranking: TaskRanking, out_dir: Path, lang: str = "fr", ladder: list[str] | None = None) -> Path:
    return _bars(ranking, [(CO2_G_PER_1000, "", "0.4", "xx")], t(lang, "c_co2_y", log="{log}"),
                 t(lang, "c_co2_title", task=ranking.task), out_dir / f"{slug(ranking.task)}_co2", lang,
                 ladder or [])


def overview(rankings: list[TaskRanking], out_dir: Path, lang: str = "fr") -> Path:
    """All tasks on one figure: how far each candidate's lower bound is above its task's gate, vs energy."""
    fig, ax = plt.subplots(figsize=(7.6, 4.8))
    handles = []
    drawn = False
    for index, ranking in enumerate(rankings):
        metric = ranking.metric
        data = ranking.table[ranking.table["verdict"] != "failed"]
        if ENERGY not in data:
            continue
        data = data[data[ENERGY].map(as_float) > 0]
        marker = MARKERS[index % len(MARKERS)]
        for _, row in data.iterrows():
            x = as_float(row[ENERGY])
            margin = (as_float(row[f"{metric}_ci_low"]) - ranking.threshold) * 100
            winner = row["model_id"] == ranking.recommended
            ax.plot([x], [margin], marker=marker, color="black", linestyle="none",
                    fillstyle=FILL.get(str(row["verdict"]), "none"), markerfacecoloralt="white",
                    markersize=12 if winner else 7, markeredgewidth=2.2 if winner else 1.0, zorder=3)
            if winner or row["model_id"] == ranking.closest:  # name the answer, or the nearest miss
                ax.annotate(f"{row['model_id']}", (x, margin), xytext=(7, 5), textcoords="offset points",
                            fontsize=7, fontweight="bold" if winner else "normal")
            drawn = True
        handles.append(Line2D([], [], marker=marker, color="black", linestyle="none", fillstyle="none",
                              label=f"{ranking.task} ({metric_name(metric, lang)})"))
    if not drawn:
        _empty(ax, lang)
    else:
        ax.set_xscale("log")
        ax.margins(x=0.2)
    ax.axhline(0, linestyle="--", color="black", linewidth=1)
    for verdict in ("pass", "borderline", "insufficient", "fail"):
        handles.append(Line2D([], [], marker="o", color="black", linestyle="none", fillstyle=FILL[verdict],
                              markerfacecoloralt="white", label=verdict_name(verdict, lang)))
    handles.append(Line2D([], [], marker="o", color="black", linestyle="none", markersize=12, markeredgewidth=2.2,
                          fillstyle="full", label=t(lang, "c_recommended")))
    ax.set_xlabel(t(lang, "c_energy_x"))
    ax.set_ylabel(t(lang, "c_overview_y"))
    ax.set_title(t(lang, "c_overview_title"))
    ax.grid(True, which="major", linestyle=":", linewidth=0.5, color="lightgray")
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return _save(fig, out_dir / "overview")


# The charts of each task, in report order: a new chart is its drawing function and one entry here (its
# title and its caption, `cap_<kind>`, go in bench.report.strings).
CHARTS: dict[str, Callable[[TaskRanking, Path, str, list[str] | None], Path]] = {
    "quality_vs_energy": quality_vs_energy, "quality_vs_size": quality_vs_size, "latency": latency_bars,
    "memory": memory_bars, "co2": co2_bars}
CHART_KINDS = tuple(CHARTS)


def chart_paths(tasks: list[str], out_dir: Path) -> dict[str, dict[str, Path]]:
    """Where `all_charts` puts each PNG (task -> kind -> path; "" -> overview), without drawing anything."""
    paths = {task: {kind: out_dir / f"{slug(task)}_{kind}.png" for kind in CHART_KINDS} for task in tasks}
    if tasks:
        paths[""] = {"overview": out_dir / "overview.png"}
    return paths


def all_charts(rankings: list[TaskRanking], out_dir: Path, lang: str = "fr", ladder: list[str] | None = None
               ) -> dict[str, dict[str, Path]]:
    """Every chart of every task plus the overview; returns task -> kind -> PNG path (SVG beside it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(cast(Any, STYLE)):
        paths: dict[str, dict[str, Path]] = {}
        for ranking in rankings:
            paths[ranking.task] = {kind: draw(ranking, out_dir, lang, ladder) for kind, draw in CHARTS.items()}
        if rankings:
            paths[""] = {"overview": overview(rankings, out_dir, lang)}
    return paths


OFFLINE_ENERGY = "offline_energy_wh_per_1000_requests"


def scenario_energy_bars(ranking: TaskRanking, offline: dict[str, float], out_dir: Path, lang: str = "fr",
                         ladder: list[str] | None = None) -> Path:
    """Energy per 1000 requests of each candidate, one request at a time beside offline (batched)."""
    from dataclasses import replace

    table = ranking.table.copy()
    table[OFFLINE_ENERGY] = [offline.get(str(m), math.nan) for m in table["model_id"]]
    with plt.rc_context(cast(Any, STYLE)):
        columns = [(ENERGY, t(lang, "sc_single"), "0.55", ""), (OFFLINE_ENERGY, t(lang, "sc_offline"), "white", "///")]
        return _bars(replace(ranking, table=table), columns,
                     t(lang, "c_scenarios_y", log="{log}"), t(lang, "c_scenarios_title", task=ranking.task),
                     out_dir / f"{slug(ranking.task)}_scenarios", lang, ladder or [])
