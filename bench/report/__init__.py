"""The report a report author can paste: recommendation per task, evidence, full tables, charts, caveats.

`build_report(run_dir)` rebuilds summary.csv, charts/, report.md and report.html from records.jsonl and
manifest.json alone. Modules: `i18n` (French/English wording and number formats), `document` (the content
as blocks), `markdown` and `html` (the two renderings). Heavy imports (pandas, matplotlib) stay inside
the function so that `bench.report.i18n` is cheap to import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.decide.projection import Assumptions, Volume
    from bench.decide.rank import TaskRanking
    from bench.report.blocks import Block
    from bench.run.record import CellRecord


def build_report(run_dir: Path, key: str = "energy", lang: str = "fr",
                 gates: Mapping[str, tuple[str, float]] | None = None, volume: Volume | None = None,
                 assumptions: Assumptions | None = None, scenario: str = "single") -> Path:
    """Rebuild summary, charts, report.md and report.html of a run; returns the path of report.md.

    The main part decides on `scenario`'s figures; a run that measured the other scenario too gets a section
    for it, with both side by side and a chart of energy per 1000 requests of each.
    """
    from bench.decide.paired import add_paired
    from bench.decide.rank import rank_records
    from bench.fsio import replace_atomic
    from bench.report import html, markdown
    from bench.report.charts import all_charts
    from bench.report.document import build_document
    from bench.report.i18n import check_lang
    from bench.run.results import write_summary
    from bench.run.runview import load_run

    check_lang(lang)
    view = load_run(run_dir)
    records, manifest = view.records, view.manifest
    write_summary(run_dir, records)
    rankings = rank_records(records, key=key, gates=gates, manifest=manifest, scenario=scenario)
    add_paired(rankings, run_dir, manifest)
    ladder = list((manifest.get("models") or {}).keys())
    charts = all_charts(rankings, run_dir / "charts", lang=lang, ladder=ladder)
    extra = other_scenario(records, manifest, rankings, run_dir, key, gates, lang, ladder, scenario)
    title, blocks = build_document(records, manifest, rankings, charts, run_dir, lang=lang, key=key, volume=volume,
                                   assumptions=assumptions, notes=view.notes(lang), scenario_blocks=extra)
    outputs = {"report.md": markdown.render(title, blocks), "report.html": html.render(title, blocks, run_dir, lang)}
    for name, text in outputs.items():
        replace_atomic(run_dir / name, text.encode("utf-8"))
    return run_dir / "report.md"


def other_scenario(records: Sequence[CellRecord], manifest: Mapping[str, Any], rankings: Sequence[TaskRanking],
                   run_dir: Path, key: str, gates: Mapping[str, tuple[str, float]] | None, lang: str,
                   ladder: list[str], scenario: str) -> list[Block]:
    """The section of the scenario the main part does not decide on (nothing when the run measured one)."""
    from bench.decide.paired import add_paired
    from bench.decide.rank import rank_records
    from bench.report.charts import scenario_energy_bars
    from bench.report.scenarios import offline_energy, scenario_section

    other = "offline" if scenario == "single" else "single"
    if not any(r.scenario == other for r in records):
        return []
    others = rank_records(records, key=key, gates=gates, manifest=manifest, scenario=other)
    add_paired(others, run_dir, manifest)
    single = rankings if scenario == "single" else others
    charts = {r.task: scenario_energy_bars(r, offline_energy(records, r.task), run_dir / "charts", lang, ladder)
              for r in single}
    return scenario_section(other, others, records, charts, run_dir, lang)
