"""Frugal evaluation: reach the decision of a full run while scoring far fewer items.

1. Probe: every candidate of a task has its costs measured first, in a cell of its own (load, fit, warm-up,
   then the measurement window over the main test set in scoring order, cut short once it has timed at
   least `probe_items` requests and lasted the minimum window: a slow model answers a few items, a fast one
   the whole set, as a full run's window does). These are the costs on record. The probe's process then
   waits, model loaded and fitted, for its quality pass (bench.run.heldcell), so that no model is loaded or
   fitted twice.
2. Per task, the candidates are taken in the order of the frugality key (bench.decide.rank.frugality_sort over
   the probes) and their quality is scored sequentially (bench.run.frugalcell), the probe's answers to the
   items it reached counting as the first answers of the main test set: each set stops as soon as its
   anytime-valid interval is clearly above or below the gate.
3. Once a candidate passes, the costlier ones are "not needed": their record keeps the probe's costs and
   says which cheaper candidate passes; rank, report and compare show them as such, never as a pass or a
   failure. `score_all` scores them anyway (sequentially).

Probes are appended to probes.jsonl, so a resumed run reuses them and runs only what has no record.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.run import failures
from bench.run.cellrun import cell_items, run_one
from bench.run.durable import append_block
from bench.run.heldcell import HeldCell, probe_and_hold
from bench.run.plan import Cell
from bench.run.record import FrugalJob, cpu_s
from bench.run.settings import RunSettings
from bench.spec.errors import BenchError

PROBES = "probes.jsonl"
DEFAULTS: dict[str, Any] = {"level": 0.95, "batch": 20, "probe_items": 10, "key": "energy", "score_all": False}
PROBE_ONLY = ("probe_predictions",)  # handed to the quality pass, not kept in the record
QUALITY_FIELDS = ("quality", "quality_sets", "n_items_by_set", "unscored_sets", "sequential", "collapse",
                  "collapse_sets", "n_samples", "_samples", "attempt", "status", "error", "failure", "log_tail",
                  "exit_code", "traceback", "started_at", "finished_at")

Commit = Callable[[Cell, dict[str, Any]], None]


def options(level: float = 0.95, batch: int = 20, probe_items: int = 10, key: str = "energy",
            score_all: bool = False) -> dict[str, Any]:
    """The run's frugal settings, as recorded in its manifest."""
    if not 0.5 <= level < 1:
        raise ValueError(f"level {level:g}: a confidence level between 0.5 and 1 (e.g. 0.95)")
    if batch < 1 or probe_items < 1:
        raise ValueError("batch and probe items must be at least 1")
    return {"level": level, "batch": batch, "probe_items": probe_items, "key": key, "score_all": score_all}


# Why frugal evaluation cannot apply: (refusal of an explicit --frugal, note when the suite's default gives way).
_CONFLICTS = {
    "shard": ("--frugal needs every candidate of a task in one run: it cannot be combined with --shard",
              "full evaluation: the suite is frugal by default, but a sharded run cannot be"),
    "offline": ("--frugal decides on the single-request scenario: run the offline scenario without it",
                "full evaluation: the suite is frugal by default, but frugal evaluation runs single requests only"),
}
NOT_SHARDED = _CONFLICTS["shard"][0]


def chosen(asked: bool | None, suite_default: bool, shard: bool, scenarios: tuple[str, ...]) -> tuple[bool, str]:
    """Whether a run is frugal, and why when the suite's default gives way.

    `asked`: --frugal (True), --full-evaluation (False) or neither (None: the suite's `frugal`). An explicit
    --frugal that cannot apply is refused; the suite's default gives way to --shard (a frugal run needs every
    candidate of a task in one run) and to the offline scenario (frugal evaluation decides on single requests).
    """
    wanted = suite_default if asked is None else asked
    if not wanted:
        return False, ""
    conflict = "shard" if shard else "offline" if scenarios != ("single",) else None
    if conflict is not None:
        refusal, note = _CONFLICTS[conflict]
        if asked:
            raise BenchError(refusal)
        return False, note
    return True, "" if asked else ("frugal evaluation (the suite's default; --full-evaluation scores every "
                                   "candidate on every item)")


def read_probes(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The last probe of each cell (a torn last line is ignored, as for records: that probe runs again)."""
    from bench.run.results import read_records_checked

    return {str(r.get("cell_id")): r for r in read_records_checked(run_dir, PROBES)[0]}


def gate_verdict(record: dict[str, Any]) -> str:
    """The verdict bench.decide.rank gives this record alone, with the gate it carries."""
    from bench.decide.rank import gate_row
    from bench.run.results import flatten

    gate = record.get("gate") or {}
    sets = list(gate.get("sets") or {}) or ["test"]
    row = flatten(record)
    gate_row(row, sets, str(gate.get("metric")), {s: float(v) for s, v in (gate.get("sets") or {}).items()}
             or {"test": float(gate.get("min", math.nan))}, gate.get("limits") or {})
    return str(row["verdict"])


def order(cells: list[Cell], probes: dict[str, dict[str, Any]], key: str) -> list[Cell]:
    """The task's candidates, cheapest first by the frugality key and its tie-breakers (failed probes last)."""
    from bench.decide.rank import frugality_sort, key_order

    rows = [{**probes.get(c.id, {}), "model_id": c.model.id, "_cell": c} for c in cells]
    return [row["_cell"] for row in frugality_sort(rows, key_order(key))]


def costs_of(probe: dict[str, Any]) -> dict[str, Any]:
    """The probe's record without what only the quality pass needs."""
    return {k: v for k, v in probe.items() if k not in PROBE_ONLY}


def merged(probe: dict[str, Any], quality: dict[str, Any]) -> dict[str, Any]:
    """One record: costs and memory from the probe, quality from the sequential cell, CPU of both."""
    record = {k: v for k, v in costs_of(probe).items() if k not in QUALITY_FIELDS}
    record.update({k: quality[k] for k in QUALITY_FIELDS if k in quality})
    record["footprint"] = {"probe_cpu_s": cpu_s(probe), "quality_cpu_s": cpu_s(quality),
                           "probe_wall_s": probe.get("wall_s"), "quality_wall_s": quality.get("wall_s")}
    for name in ("cpu_user_s", "cpu_system_s", "wall_s"):
        record[name] = float(probe.get(name) or 0.0) + float(quality.get(name) or 0.0)
    record["probe_process_kept"] = bool(quality.get("probe_process_kept"))  # loaded and fitted once
    return record


def set_sizes(cell: Cell, settings: RunSettings) -> dict[str, int]:
    """Items per test set the cell would score in full (the run's limits applied)."""
    limit = cell_items(settings.items, cell).get("test")
    sets = cell.task.test_sets
    return {name: len(items) if limit is None else min(len(items), limit) for name, items in sets.items()}


def not_needed(probe: dict[str, Any], passing: str, sizes: dict[str, int]) -> dict[str, Any]:
    """The record of a candidate costlier than one that passes: its costs, no quality, and why."""
    total = sum(sizes.values())
    per_item = float(probe.get("cpu_time_s_per_1000_requests") or 0.0) / 1000.0
    return {**costs_of(probe), "quality": {}, "quality_sets": {}, "n_items_by_set": {}, "unscored_sets": list(sizes),
            "not_needed": {"costlier_than": passing, "reason": f"not needed: costlier than {passing}, which passes"},
            "sequential": {"items_scored": 0, "items_total": total, "sets": {
                name: {"scored": 0, "items": n, "stop": f"not needed: costlier than {passing}, which passes"}
                for name, n in sizes.items()},
                # An estimate: predicting the items at the probe's CPU time per request (scoring not counted).
                "cpu_s_saved_estimate": per_item * total},
            "footprint": {"probe_cpu_s": cpu_s(probe), "quality_cpu_s": 0.0, "probe_wall_s": probe.get("wall_s")},
            "n_samples": 0, "_samples": []}


def run_frugal(cells: list[Cell], settings: RunSettings, run_dir: Path, run_id: str,
               committed: dict[str, dict[str, Any]], commit: Commit,
               on_start: Callable[[Cell], None] | None = None) -> None:
    """Task by task: probe every cell without a record, then score in cost order (see the module's doc).

    `committed`: the current record of each cell already done (a resumed run counts its verdicts).
    """
    frugal = {**DEFAULTS, **(settings.frugal or {})}
    probes = read_probes(run_dir)
    by_task: dict[str, list[Cell]] = {}
    for cell in cells:
        by_task.setdefault(cell.task.name, []).append(cell)
    for task_cells in by_task.values():
        held: dict[str, HeldCell] = {}
        try:
            for cell in task_cells:
                if cell.id in committed or (cell.id in probes and not failures.retryable(probes[cell.id])):
                    continue
                if on_start is not None:
                    on_start(cell)
                probe, kept = probe_and_hold(cell, settings, run_dir, run_id, frugal)
                probe.pop("_samples", None)
                append_block(run_dir / PROBES, [probe])
                probes[cell.id] = probe
                if kept is not None:
                    held[cell.id] = kept
            _score_in_order(task_cells, probes, held, frugal, settings, run_dir, run_id, committed, commit, on_start)
        finally:  # a cell not asked for its quality (or an interrupted run) ends here
            for kept in held.values():
                kept.release()


def _score_in_order(task_cells: list[Cell], probes: dict[str, dict[str, Any]], held: dict[str, HeldCell],
                    frugal: dict[str, Any], settings: RunSettings, run_dir: Path, run_id: str,
                    committed: dict[str, dict[str, Any]], commit: Commit,
                    on_start: Callable[[Cell], None] | None) -> None:
    """The task's candidates cheapest first: each scored until decided, or "not needed" once one passes."""
    passing: str | None = None
    for cell in order(task_cells, probes, str(frugal["key"])):
        if cell.id in committed:
            if passing is None and gate_verdict(committed[cell.id]) == "pass":
                passing = cell.model.id
            continue
        probe = probes[cell.id]
        kept = held.pop(cell.id, None)
        if probe.get("status") != "ok":  # the model could not even serve a few requests
            commit(cell, {**costs_of(probe), "n_samples": 0, "_samples": []})
            continue
        if passing is not None and not frugal["score_all"]:
            if kept is not None:
                kept.release()
            commit(cell, not_needed(probe, passing, set_sizes(cell, settings)))
            continue
        if on_start is not None:
            on_start(cell)
        job = {**frugal, "mode": "quality", "gate": probe["gate"]}
        if kept is not None:  # the probe's process, model loaded and fitted, scores it
            quality = kept.score(FrugalJob(**job).model_dump_json())
        else:  # a probe of an earlier attempt, or not kept for want of memory: load it again
            quality = run_one(cell, settings, run_dir, run_id, {**job, "known": probe.get("probe_predictions")})
        record = merged(probe, quality)
        commit(cell, record)
        if passing is None and gate_verdict(record) == "pass":
            passing = cell.model.id
