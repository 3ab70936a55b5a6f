"""The report's section on the other scenario: its recommendation, both scenarios side by side, and a chart.

The main part of the report decides on one scenario (single-request by default). When the run measured
the other one too, this section ranks the candidates on its figures and sets, per candidate, throughput,
energy and CPU time per 1000 requests and peak memory of both scenarios side by side, with whether the
offline answers were those of one request at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.decide.rank import TaskRanking
from bench.numbers import as_float
from bench.report import i18n
from bench.report.blocks import Block, Bullets, Figure, Heading, Paragraph, Table
from bench.report.document import recommendation_table
from bench.report.i18n import num, t
from bench.run.record import CellRecord


def _figures(record: CellRecord | None) -> tuple[float | None, ...]:
    """Throughput, energy and CPU time per 1000 requests, peak memory; unknown without a record."""
    if record is None:
        return (None,) * 4
    return (record.throughput_requests_per_s, record.energy_wh_per_1000_requests,
            record.cpu_time_s_per_1000_requests, record.peak_rss_mb)


def _by_model(records: Sequence[CellRecord], scenario: str) -> dict[tuple[str, str], CellRecord]:
    return {(str(r.task), str(r.model_id)): r for r in records if r.scenario == scenario and r.ok}


def _answers(record: CellRecord, lang: str) -> str:
    check = record.scenario_check
    if check is not None and check.status == "match":
        return t(lang, "sc_same", n=_known(check.compared_items))
    if check is not None and check.status == "mismatch":
        return t(lang, "sc_differ", k=_known(check.differing_items), n=_known(check.compared_items))
    return t(lang, "sc_none")


def _known(count: int | None) -> int | str:
    return "?" if count is None else count


def _serving(record: CellRecord) -> str:
    batching = record.batching
    if batching is None or batching.mode == "serial":
        return "serial"
    return f"{batching.mode} ×{batching.size}"


def side_by_side(records: Sequence[CellRecord], lang: str) -> Table:
    """Per candidate run in both scenarios: single → offline for each cost figure."""
    single, offline = _by_model(records, "single"), _by_model(records, "offline")
    rows = []
    for key, after in offline.items():
        figures = zip(_figures(single.get(key)), _figures(after), strict=True)
        pairs = [f"{num(before, lang)} → {num(now, lang)}" for before, now in figures]
        rows.append((key[0], f"`{key[1]}`", *pairs, _serving(after), _answers(after, lang)))
    header = tuple(t(lang, "sc_cols").split("|"))
    return Table(header, tuple(rows), (False, False, True, True, True, True, False, False))


def offline_energy(records: Sequence[CellRecord], task: str) -> dict[str, float]:
    return {model: as_float(r.energy_wh_per_1000_requests)
            for (name, model), r in _by_model(records, "offline").items() if name == task}


def scenario_section(scenario: str, rankings: Sequence[TaskRanking], records: Sequence[CellRecord],
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
