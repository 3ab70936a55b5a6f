"""The report a report author can paste: recommendation per task, evidence, full tables, caveats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from bench.charts import all_charts
from bench.rank import TaskRanking, rank_records
from bench.results import MANIFEST, read_records, write_summary

TABLE_COLUMNS = ("model_id", "runtime", "verdict", "params", "latency_p50_ms", "latency_p95_ms", "peak_rss_mb",
                 "energy_wh_per_1000_requests", "co2_g_per_1000_requests", "n_test_items")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "–" if value is None else str(value)


def markdown_table(frame: pd.DataFrame, columns: list[str]) -> str:
    present = [c for c in columns if c in frame]
    lines = ["| " + " | ".join(present) + " |", "|" + "---|" * len(present)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_fmt(row[c]) for c in present) + " |")
    return "\n".join(lines)


def task_section(ranking: TaskRanking) -> str:
    metric = ranking.metric
    columns = ["model_id", "verdict", metric, f"{metric}_ci_low", f"{metric}_ci_high", *TABLE_COLUMNS[3:]]
    lines = [f"## {ranking.task}", "", f"**{ranking.sentence()}**", "",
             f"Gate: `{metric} ≥ {ranking.threshold}` on the lower bound of the 95 % bootstrap interval. "
             f"Pareto front (quality vs {ranking.key}): {', '.join(ranking.pareto) or '–'}.", ""]
    if ranking.explanations:
        lines += ["Why the others were not chosen:", ""]
        lines += [f"- `{model}`: {why}" for model, why in ranking.explanations.items()]
        lines.append("")
    lines += [markdown_table(ranking.table, columns), "",
              f"![{ranking.task}: quality vs energy](charts/{ranking.task}_quality_vs_energy.png)", ""]
    return "\n".join(lines)


def build_report(run_dir: Path, key: str = "energy") -> Path:
    """Rebuild summary, charts and report.md from records.jsonl and manifest.json alone."""
    records = read_records(run_dir)
    manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    write_summary(run_dir, records)
    rankings = rank_records(records, key=key)
    all_charts(rankings, run_dir / "charts")
    hardware = manifest.get("hardware", {})
    methods = {r.get("energy_method", {}).get("cpu") for r in records if r.get("status") == "ok"}
    failed = [r for r in records if r.get("status") != "ok"]
    lines = [
        f"# frugal-bench report — run {manifest['run_id']}", "",
        "Which is the smallest model that is good enough for each task, on this machine?", "",
        f"- Machine: {hardware.get('cpu_model')}, {hardware.get('cpu_logical_cores')} logical cores, "
        f"{hardware.get('ram_total_gb')} GB RAM, {hardware.get('os')}",
        f"- Code: git {manifest.get('git_sha') or 'unknown'}{' (uncommitted changes)' if manifest.get('git_dirty') else ''}",
        f"- Suite: {manifest['settings'].get('suite')}; threads per cell: {manifest['settings'].get('threads')}",
        f"- Energy: {'; '.join(sorted(m for m in methods if m)) or 'not measured'}",
        "", "## Recommendations", "",
    ]
    lines += [f"- {r.sentence()}" for r in rankings]
    lines.append("")
    for ranking in rankings:
        lines.append(task_section(ranking))
    lines += ["## Caveats", "",
              "- Energy and CO2 are estimates unless the energy method says 'measured (RAPL counters)'.",
              "- Scores carry 95 % bootstrap intervals; small test sets give wide intervals, and a candidate whose "
              "interval straddles the gate is marked borderline, not passed."]
    if failed:
        lines += ["", "## Cells that failed", ""]
        lines += [f"- `{r['cell_id']}`: {r.get('error')}" for r in failed]
    path = run_dir / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
