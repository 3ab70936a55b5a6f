"""The report's section on the other scenario: its recommendation, both scenarios side by side, and a chart.

The main part of the report decides on one scenario (single-request by default). When the run measured
the other one too, this section ranks the candidates on its figures and sets, per candidate, throughput,
energy and CPU time per 1000 requests and peak memory of both scenarios side by side, with whether the
offline answers were those of one request at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.decide.rank import TaskRanking
from bench.report import i18n
from bench.report.blocks import Block, Bullets, Figure, Heading, Paragraph, Table
from bench.report.document import recommendation_table
from bench.report.i18n import num, t
from bench.run.record import ENERGY_WH_PER_1000, PEAK_RSS_MB, is_ok
from bench.run.results import scenario_of

FIGURES = ("throughput_requests_per_s", ENERGY_WH_PER_1000, "cpu_time_s_per_1000_requests", PEAK_RSS_MB)


def _by_model(records: Sequence[Mapping[str, Any]], scenario: str) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(str(r.get("task")), str(r.get("model_id"))): r for r in records
            if scenario_of(r) == scenario and is_ok(r)}


def _answers(record: Mapping[str, Any], lang: str) -> str:
    check = record.get("scenario_check") or {}
    if check.get("status") == "match":
        return t(lang, "sc_same", n=check.get("compared_items", "?"))
    if check.get("status") == "mismatch":
        return t(lang, "sc_differ", k=check.get("differing_items", "?"), n=check.get("compared_items", "?"))
    return t(lang, "sc_none")


def _serving(record: Mapping[str, Any]) -> str:
    batching = record.get("batching") or {}
    mode, size = batching.get("mode", "serial"), batching.get("size", 1)
    return f"{mode} ×{size}" if mode != "serial" else "serial"


def side_by_side(records: Sequence[Mapping[str, Any]], lang: str) -> Table:
    """Per candidate run in both scenarios: single → offline for each cost figure."""
    single, offline = _by_model(records, "single"), _by_model(records, "offline")
    rows = []
    for key, after in offline.items():
        before = single.get(key, {})
        pairs = [f"{num(before.get(f), lang)} → {num(after.get(f), lang)}" for f in FIGURES]
        rows.append((key[0], f"`{key[1]}`", *pairs, _serving(after), _answers(after, lang)))
    header = tuple(t(lang, "sc_cols").split("|"))
    return Table(header, tuple(rows), (False, False, True, True, True, True, False, False))


def offline_energy(records: Sequence[Mapping[str, Any]], task: str) -> dict[str, float]:
    return {model: float(r.get(ENERGY_WH_PER_1000) or "nan")
            for (name, model), r in _by_model(records, "offline").items() if name == task}


def scenario_section(scenario: str, rankings: Sequence[TaskRanking], records: Sequence[Mapping[str, Any]],
                     charts: Mapping[str, Path], run_dir: Path, lang: str) -> list[Block]:
    """The section of `scenario` (the one the main part did not decide on)."""
    blocks: list[Block] = [Heading(2, t(lang, "scenario_h", scenario=scenario, what=t(lang, f"sc_{scenario}"))),
                           Paragraph(t(lang, "scenario_intro"))]
    if rankings:
        blocks += [recommendation_table(rankings, lang),
                   Bullets(tuple(i18n.recommendation_sentence(r, lang, markup=True) for r in rankings))]
    blocks.append(side_by_side(records, lang))
    for task, path in charts.items():
        blocks.append(Figure(path.relative_to(run_dir).as_posix(), f"{task} — {t(lang, 'cap_scenarios')}"))
    return blocks
