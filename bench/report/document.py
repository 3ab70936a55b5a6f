"""The report's content as a list of blocks, rendered to Markdown and to HTML by sibling modules.

Building the content once keeps the two formats identical. Text may carry **bold** and `code` marks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bench.decide.projection import Assumptions, Volume, project, throughput_of
from bench.decide.rank import FRUGALITY_KEYS, TaskRanking, key_order
from bench.numbers import as_float
from bench.report import i18n, sets
from bench.report.blocks import Block, Bullets, Figure, Heading, Paragraph, Table
from bench.report.i18n import integer, interval, metric_name, num, score, t, verdict_name
from bench.report.shards import shard_lines
from bench.run.record import LATENCY_P50_MS, LATENCY_P95_MS, PEAK_RSS_MB, CellRecord, EnergyMethod, is_ok

SMALL_TEST_SET = 200  # below this many test items, or a CI wider than ±5 pt, the caveat names the task
WIDE_HALF_CI = 0.05
SHORT_ENERGY_WINDOW_S = 5.0






def _get(row: pd.Series | Mapping[str, Any], column: str) -> Any:
    return row.get(column) if column in row else None


def _cell(text: str) -> str:
    return " ".join(str(text).split())


def recommendation_table(rankings: Sequence[TaskRanking], lang: str, compact: bool = False) -> Table:
    """One row per task: the recommended model with its evidence, or 'none' with the closest candidate.

    `compact` (for an 80-column terminal) leaves out the gate and parameter columns; the sentences printed
    after the table carry the gate.
    """
    header = (t(lang, "task"), t(lang, "recommendation"), t(lang, "gate"), t(lang, "score"), t(lang, "energy_col"),
              t(lang, "memory_col"), t(lang, "p95_col"), t(lang, "params_col"))
    rows = []
    for ranking in rankings:
        gate = f"{metric_name(ranking.metric, lang)} ≥ {score(ranking.threshold, lang)}"
        chosen = ranking.recommended or ranking.closest
        if chosen is None:
            rows.append((ranking.task, t(lang, "none"), gate, "–", "–", "–", "–", "–"))
            continue
        row = ranking.row(chosen)
        name = (f"**{chosen}**" if ranking.recommended else t(lang, "none_short", model=chosen) if compact
                else t(lang, "none_cell", model=chosen, gap=i18n.points(ranking.gap()[0], lang)))
        rows.append((ranking.task, name, gate,
                     interval(row[ranking.metric], row[f"{ranking.metric}_ci_low"], row[f"{ranking.metric}_ci_high"],
                              lang),
                     num(_get(row, FRUGALITY_KEYS["energy"]), lang), num(_get(row, PEAK_RSS_MB), lang),
                     num(_get(row, LATENCY_P95_MS), lang), i18n.count(_get(row, "params"), lang)))
    numeric = (False, False, False, False, True, True, True, True)
    if compact:  # the point estimate only: the sentences printed after the table give the intervals
        keep = (0, 1, 3, 4, 5, 6)
        short = (t(lang, "task"), t(lang, "recommendation"), t(lang, "score_short"), t(lang, "energy_short"),
                 t(lang, "memory_short"), t(lang, "p95_short"))
        rows = [(*r[:3], r[3].split(" [")[0], *r[4:]) for r in rows]
        return Table(short, tuple(tuple(r[i] for i in keep) for r in rows), (False, False, True, True, True, True))
    return Table(header, tuple(rows), numeric)


def full_table(ranking: TaskRanking, lang: str) -> Table:
    """Every candidate of a task with every measurement the records carry."""
    metric = ranking.metric
    others = sorted({c[: -len("_ci_low")] for c in ranking.table.columns if c.endswith("_ci_low")} - {metric})
    others = [m for m in others if m in ranking.table and ranking.table[m].notna().any()]
    header = [t(lang, "model"), t(lang, "verdict"), f"{metric_name(metric, lang)} [IC 95 %]" if lang == "fr"
              else f"{metric_name(metric, lang)} [95 % CI]", *(metric_name(m, lang) for m in others),
              t(lang, "params_col"), t(lang, "weights_col"), t(lang, "p50_col"), t(lang, "p95_col"),
              t(lang, "memory_col"), t(lang, "energy_col"), t(lang, "co2_col"), t(lang, "throughput_col"),
              t(lang, "cpu_col"), t(lang, "n_col")]
    rows = []
    for _, row in ranking.table.iterrows():
        model = str(row["model_id"])
        weights = as_float(_get(row, "weights_bytes"))
        n = _get(row, f"{metric}_n")
        rows.append((f"**{model}**" if model == ranking.recommended else model,
                     verdict_name(str(row["verdict"]), lang),
                     interval(row[metric], row[f"{metric}_ci_low"], row[f"{metric}_ci_high"], lang),
                     *(score(row[m], lang) for m in others),
                     i18n.count(_get(row, "params"), lang), num(weights / 1e6 if weights > 0 else math.nan, lang),
                     num(_get(row, LATENCY_P50_MS), lang), num(_get(row, LATENCY_P95_MS), lang),
                     num(_get(row, PEAK_RSS_MB), lang), num(_get(row, FRUGALITY_KEYS["energy"]), lang),
                     num(_get(row, FRUGALITY_KEYS["co2"]), lang),
                     num(throughput_of({str(k): v for k, v in row.items()}), lang),
                     num(_get(row, "cpu_time_s_per_1000_requests"), lang),
                     integer(n if n is not None else _get(row, "n_test_items"), lang)))
    numeric = (False, False, False, *([True] * (len(header) - 3)))
    return Table(tuple(header), tuple(rows), numeric)


def projection_blocks(rankings: Sequence[TaskRanking], volume: Volume, assumptions: Assumptions,
                      ok_records: Sequence[CellRecord], hardware: Mapping[str, Any], lang: str) -> list[Block]:
    """Yearly energy, CO2e, compute-hours and cores per candidate, with the assumptions beside them."""
    blocks: list[Block] = [Heading(2, t(lang, "projection_h")),
                           Paragraph(t(lang, "projection_volume", expression=f"`{volume.expression}`",
                                       n=integer(volume.requests_per_year, lang)))]
    for ranking in rankings:
        rows = []
        for _, series in ranking.table.iterrows():
            row = {str(k): v for k, v in series.items()}
            if not is_ok(row):
                continue
            p = project(row, volume, assumptions)
            model = str(row["model_id"])
            rows.append((f"**{model}**" if model == ranking.recommended else model,
                         verdict_name(str(row["verdict"]), lang), num(p.energy_kwh, lang), num(p.co2_kg, lang),
                         num(p.compute_hours, lang), integer(p.cores, lang) if p.cores else "–",
                         num(p.throughput_rps, lang)))
        if rows:
            blocks += [Paragraph(f"**{t(lang, 'projection_task', task=ranking.task)}**"),
                       Table((t(lang, "model"), t(lang, "verdict"), t(lang, "proj_energy"), t(lang, "proj_co2"),
                              t(lang, "proj_hours"), t(lang, "proj_cores"), t(lang, "proj_throughput")),
                             tuple(rows), (False, False, True, True, True, True, True))]
    methods = [r.energy_method or EnergyMethod() for r in ok_records]
    pue = sorted({i18n.plain(m.pue, lang) for m in methods if m.pue is not None}) or ["–"]
    intensity = _intensities(methods)
    countries = sorted({m.country_iso_code for m in methods if m.country_iso_code}) or ["–"]
    threads = sorted({r.threads for r in ok_records if r.threads is not None and r.threads >= 1}) or [1]
    threads_text = "/".join(str(x) for x in threads)
    items = [t(lang, "assume_energy", pue="/".join(pue),
               intensity=num(sum(intensity) / len(intensity), lang) if intensity else "–",
               country=", ".join(countries)),
             t(lang, "assume_hours", threads=threads_text, cpu=hardware.get("cpu_model") or "?"),
             t(lang, "assume_cores", hours=integer(assumptions.service_hours_per_year, lang),
               peak=i18n.plain(assumptions.peak_factor, lang), threads=threads_text)]
    if any(m.measured is not True for m in methods):
        items.append(t(lang, "assume_measured"))
    blocks += [Paragraph(t(lang, "assumptions")), Bullets(tuple(items))]
    return blocks


def _intensities(methods: Sequence[EnergyMethod]) -> list[float]:
    """The grid carbon intensities the energy methods state (g CO2e per kWh)."""
    return [m.carbon_intensity_g_per_kwh for m in methods
            if m.carbon_intensity_g_per_kwh is not None and not math.isnan(m.carbon_intensity_g_per_kwh)]


def _energy_blocks(ok_records: Sequence[CellRecord], lang: str) -> list[str]:
    # A method that states nothing (an empty object) counts as none.
    methods = [r.energy_method for r in ok_records if r.energy_method and r.energy_method.model_fields_set]
    if not methods:
        return [t(lang, "energy_none")]
    lines = [t(lang, "energy_h", tool="; ".join(sorted({m.tool or "?" for m in methods})))]
    measured = [m for m in methods if m.measured is True]
    estimated = [m for m in methods if m.measured is not True]
    if measured:
        lines.append(t(lang, "energy_measured", n=len(measured)))
    if estimated:
        how = "; ".join(f"« {h} »" if lang == "fr" else f"'{h}'" for h in sorted({m.cpu or "?" for m in estimated}))
        lines.append(t(lang, "energy_estimated", n=len(estimated), how=how))
    ram = sorted({m.ram for m in methods if m.ram})
    if ram:
        lines.append(t(lang, "energy_ram", how="; ".join(f"« {h} »" if lang == "fr" else f"'{h}'" for h in ram)))
    intensity = _intensities(methods)
    lines.append(t(lang, "energy_grid",
                   country=", ".join(sorted({m.country_iso_code or "?" for m in methods})),
                   intensity=num(sum(intensity) / len(intensity), lang) if intensity else "–",
                   pue=", ".join(sorted({i18n.plain(m.pue, lang) for m in methods}))))
    return lines


def _caveats(rankings: Sequence[TaskRanking], records: Sequence[CellRecord], manifest: Mapping[str, Any],
             lang: str, tolerance: float) -> list[str]:
    ok = [r for r in records if r.ok]
    items = []
    methods = [r.energy_method or EnergyMethod() for r in ok]
    estimated = {m.cpu or "?" for m in methods if m.measured is not True}
    if estimated:
        items.append(t(lang, "cav_estimated", how="; ".join(sorted(estimated))))
    shared = [r for r in ok if r.window_machine_shared is True]
    if shared:
        items.append(t(lang, "cav_shared", cells=", ".join(f"{r.task} × {r.model_id}" for r in shared),
                       cores=num(max(as_float(r.window_other_cpu_cores) for r in shared), lang, 2)))
    short = [f"{r.task} × {r.model_id}" for r in ok if as_float(r.energy_window_s) < SHORT_ENERGY_WINDOW_S]
    if short:
        items.append(t(lang, "cav_short_window", seconds=integer(SHORT_ENERGY_WINDOW_S, lang),
                       cells=", ".join(short)))
    small = []
    for ranking in rankings:
        scored = ranking.table[ranking.table["verdict"] != "failed"]
        if scored.empty:
            continue
        half = max(((as_float(r[f"{ranking.metric}_ci_high"]) - as_float(r[f"{ranking.metric}_ci_low"])) / 2
                    for _, r in scored.iterrows()), default=math.nan)
        n_column = f"{ranking.metric}_n" if f"{ranking.metric}_n" in scored else "n_test_items"
        n = min((as_float(v) for v in scored.get(n_column, pd.Series(dtype=float))), default=math.nan)
        if n < SMALL_TEST_SET or half > WIDE_HALF_CI:
            small.append(t(lang, "cav_small_item", task=ranking.task, n=integer(n, lang),
                           half=num(half * 100, lang, 2)))
    if small:
        items.append(t(lang, "cav_small", tasks=", ".join(small), wide=integer(WIDE_HALF_CI * 100, lang)))
    borderline = [f"{m} ({r.task})" for r in rankings for m in r.models_with("borderline")]
    if borderline:
        items.append(t(lang, "cav_borderline", items=", ".join(borderline)))
    failed = [f"`{r.cell_id or f'{r.task}__{r.model_id}'}`" for r in records if not r.ok]
    if failed:
        items.append(t(lang, "cav_failed", items=", ".join(failed)))
    items.append(t(lang, "cav_ties", tol=i18n.plain(tolerance * 100, lang)))
    threads = (manifest.get("settings") or {}).get("threads") or "?"
    items.append(t(lang, "cav_machine", threads=threads))
    return items


def _first_line(text: Any, limit: int = 300) -> str:
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def build_document(records: Sequence[CellRecord], manifest: Mapping[str, Any],
                   rankings: Sequence[TaskRanking], charts: Mapping[str, Mapping[str, Path]], run_dir: Path,
                   lang: str = "fr", key: str = "energy", volume: Volume | None = None,
                   assumptions: Assumptions | None = None, notes: Sequence[str] = (),
                   scenario_blocks: Sequence[Block] = ()) -> tuple[str, list[Block]]:
    """The report as (title, blocks); `notes` (an incomplete run, skipped lines, data warnings) lead it.

    `rankings` decide on one scenario's figures; `scenario_blocks` (bench.report.scenarios) give the other's.
    """
    i18n.check_lang(lang)
    keys = key_order(key)
    tolerance = rankings[0].tolerance if rankings else 0.05
    ok = [r for r in records if r.ok]
    run_id = str(manifest.get("run_id") or run_dir.name)
    title = t(lang, "title", run_id=run_id)
    blocks: list[Block] = [
        Heading(2, t(lang, "question_h")),
        Paragraph(t(lang, "question", key=i18n.key_noun(key, lang),
                    tiebreak=i18n.join([i18n.key_noun(k, lang) for k in keys[1:]], lang),
                    tol=i18n.plain(tolerance * 100, lang))),
        Heading(2, t(lang, "rec_h")),
    ]
    if scenario_blocks:  # the run measured both scenarios: say which one this part decides on
        scenario = rankings[0].scenario if rankings else "single"
        blocks.append(Paragraph(t(lang, "scenario_main", scenario=scenario, what=t(lang, f"sc_{scenario}"))))
    if notes:
        blocks.append(Bullets(tuple(f"**⚠** {note}" for note in notes)))
    if rankings:
        blocks += [recommendation_table(rankings, lang),
                   Bullets(tuple(i18n.recommendation_sentence(r, lang, markup=True) for r in rankings))]
    else:
        blocks.append(Paragraph(t(lang, "no_rankings")))
    hardware = manifest.get("hardware") or {}
    if volume is not None:
        blocks += projection_blocks(rankings, volume, assumptions or Assumptions(), ok, hardware, lang)

    settings = manifest.get("settings") or {}
    items = settings.get("items") or {}
    blocks += [Heading(2, t(lang, "machine_h")), Bullets((
        t(lang, "cpu", cpu=hardware.get("cpu_model", "?"), logical=hardware.get("cpu_logical_cores", "?"),
          physical=hardware.get("cpu_physical_cores", "?"), available=hardware.get("cpu_available_to_process", "?"),
          ram=num(hardware.get("ram_total_gb"), lang), os=hardware.get("os", "?"),
          python=hardware.get("python", "?")),
        t(lang, "threads", threads=settings.get("threads", "?")),
        t(lang, "suite", suite=settings.get("suite", "?"),
          items=items.get("test") if items.get("test") is not None else t(lang, "all_items")),
        t(lang, "code", version=manifest.get("frugal_bench_version", "?"),
          sha=str(manifest.get("git_sha") or t(lang, "unknown"))[:12],
          dirty=t(lang, "dirty") if manifest.get("git_dirty") else "",
          created=manifest.get("created_at", "?")),
        *shard_lines(manifest, lang),
        *_energy_blocks(ok, lang)))]

    def figure(task: str, kind: str, caption: str) -> list[Block]:
        path = (charts.get(task) or {}).get(kind)
        return [Figure(path.relative_to(run_dir).as_posix(), caption)] if path is not None else []

    for ranking in rankings:
        metric = ranking.metric
        scored = ranking.table[ranking.table["verdict"] != "failed"]
        n_column = f"{metric}_n" if f"{metric}_n" in scored else "n_test_items"
        n_values = sorted({int(as_float(v)) for v in scored.get(n_column, pd.Series(dtype=float)) if as_float(v) >= 0})
        blocks += [Heading(2, t(lang, "task_h", task=ranking.task)),
                   Paragraph(i18n.recommendation_sentence(ranking, lang, markup=True)),
                   Paragraph(t(lang, "gate_line", metric=metric_name(metric, lang), min=score(ranking.threshold, lang),
                               n="/".join(str(v) for v in n_values) or "?")),
                   Paragraph(t(lang, "pareto_line", key=i18n.key_noun(ranking.key, lang),
                               models=", ".join(ranking.pareto) or "–"))]
        if ranking.losses:
            blocks += [Paragraph(t(lang, "why_h")),
                       Bullets(tuple(f"`{m}` — {i18n.loss_text(loss, ranking, lang)}"
                                     for m, loss in ranking.losses.items()))]
        blocks += [Heading(3, t(lang, "full_table")), full_table(ranking, lang), *sets.task_blocks(ranking, lang),
                   Heading(3, t(lang, "charts"))]
        for kind in charts.get(ranking.task) or {}:  # bench.report.charts.CHARTS, in its order
            blocks += figure(ranking.task, kind, f"{ranking.task} — {t(lang, f'cap_{kind}')}")
    if len(rankings) > 0:
        blocks += [Heading(2, t(lang, "overview_h")), *figure("", "overview", t(lang, "cap_overview"))]

    blocks += list(scenario_blocks)
    blocks += [Heading(2, t(lang, "caveats_h")), Bullets(tuple(_caveats(rankings, records, manifest, lang,
                                                                        tolerance)))]
    failed = [r for r in records if not r.ok]
    if failed:
        blocks += [Heading(2, t(lang, "failed_h")),
                   Table((t(lang, "task"), t(lang, "model"), t(lang, "status"), t(lang, "error")),
                         tuple((str(r.task), str(r.model_id), str(r.status), _cell(_first_line(r.error)))
                               for r in failed),
                         (False, False, False, False))]
    packages = manifest.get("packages") or {}
    blocks += [Heading(2, t(lang, "provenance_h")), Paragraph(t(lang, "provenance", run_id=run_id))]
    if packages:
        blocks.append(Paragraph(t(lang, "packages", packages=", ".join(f"{k} {v}" for k, v in packages.items()))))
    return title, blocks
