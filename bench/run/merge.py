"""Join shard runs into one run folder that ranks, reports and compares like any other.

Nothing is joined before `bench.run.proof` holds. The merged folder has the plan's cells in plan order, each
record and its samples as its shard committed them (run_id becomes the merged id; `shard_run_id`, `shard`
and `hardware_class` say where the cell ran, and the cell's own `hardware` fingerprint is kept), each
cell's working files, and a manifest that lists the shards, the machines and the hardware classes.
Shard folders are only read, never changed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.decide.hwclass import class_label
from bench.run.proof import Proof, ShardRun, prove
from bench.run.results import (
    MANIFEST,
    RECORDS,
    SAMPLES,
    new_run_id,
    point_latest,
    read_records,
    resolve_run,
    write_json_atomic,
)
from bench.run.runner import append_block
from bench.spec.errors import BenchError

MERGED_SUFFIX = "-merged"
CELL_FOLDERS = ("cells", "artifacts")


@dataclass(frozen=True)
class Merged:
    run_dir: Path
    proof: Proof


def shard_folder(ref: str, results_dir: Path) -> Path:
    """A run id, run folder or 'latest'; a results folder of one shard stands for its newest run."""
    path = Path(ref)
    if path.is_dir() and not (path / MANIFEST).is_file():
        try:
            return resolve_run(path, None)
        except FileNotFoundError as exc:
            raise BenchError(f"{ref}: neither a run folder (no {MANIFEST}) nor a folder of runs") from exc
    try:
        run_dir = resolve_run(results_dir, ref)
    except FileNotFoundError as exc:
        raise BenchError(str(exc)) from exc
    if not (run_dir / MANIFEST).is_file():
        raise BenchError(f"{run_dir} is not a run folder (no {MANIFEST})")
    return run_dir


def load_shard(run_dir: Path) -> ShardRun:
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BenchError(f"cannot read {run_dir / MANIFEST}: {exc}") from exc
    latest = {str(r.get("cell_id")): r for r in read_records(run_dir)}  # a later record of a cell wins
    return ShardRun(run_dir, manifest, list(latest.values()))


def committed_samples(run: ShardRun) -> dict[str, list[dict[str, Any]]]:
    """cell id -> samples of the attempt its record committed (leftovers of killed attempts are dropped)."""
    committed = {(str(r.get("cell_id")), r.get("attempt")) for r in run.records}
    out: dict[str, list[dict[str, Any]]] = {}
    path = run.path / SAMPLES
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line
            if (str(row.get("cell_id")), row.get("attempt")) in committed:
                out.setdefault(str(row["cell_id"]), []).append(row)
    return out


def _common(values: list[Any]) -> Any:
    """The value all shards share; differing values are kept side by side (a mixed-hardware merge)."""
    distinct = list(dict.fromkeys(json.dumps(v, sort_keys=True, default=str) for v in values))
    if len(distinct) == 1:
        return values[0]
    return " | ".join(str(json.loads(v)) for v in distinct)


def _hardware(runs: list[ShardRun]) -> dict[str, Any]:
    fingerprints = [r.manifest.get("hardware") or {} for r in runs]
    keys = list(dict.fromkeys(k for f in fingerprints for k in f))
    return {key: _common([f.get(key) for f in fingerprints]) for key in keys}


def merged_manifest(run_id: str, runs: list[ShardRun], proof: Proof, argv: list[str]) -> dict[str, Any]:
    base = runs[0].manifest
    settings = dict(base.get("settings") or {})
    threads = {json.dumps((r.manifest.get("settings") or {}).get("threads")) for r in runs}
    if len(threads) > 1:
        settings["threads"] = None  # per hardware class, below: never one figure for several machines
    shards = [{"run_id": r.manifest.get("run_id") or r.path.name, "index": r.shard.get("index"),
               "count": r.shard.get("count"), "path": str(r.path.resolve()), "created_at": r.manifest.get("created_at"),
               "host": r.shard.get("host"), "git_dirty": r.manifest.get("git_dirty"),
               "hardware_class": class_label(r.hardware), "hardware": r.manifest.get("hardware"),
               "cells": [str(c.get("cell_id")) for c in r.records]} for r in runs]
    classes = [{"label": label, **members[0].hardware,
                "shards": [f"{m.shard.get('index')}/{m.shard.get('count')}" for m in members],
                "cells": sum(len(m.records) for m in members)} for label, members in proof.classes.items()]
    first = runs[0].shard
    return {
        **{k: v for k, v in base.items() if k != "shard"},
        "run_id": run_id, "created_at": dt.datetime.now(dt.UTC).isoformat(), "command": argv,
        "git_dirty": any(bool(r.manifest.get("git_dirty")) for r in runs),
        "settings": settings, "hardware": _hardware(runs), "cells": proof.plan,
        "merged": {"shards": shards, "machines": len({s["host"] for s in shards}), "hardware_classes": classes,
                   "mixed_hardware": proof.mixed, "costs_source": first.get("costs_source"),
                   "partition": first.get("slices"), "warnings": proof.warnings},
    }


def _copy_cell_files(run: ShardRun, cell_id: str, run_dir: Path) -> None:
    for folder in CELL_FOLDERS:
        source = run.path / folder / cell_id
        if source.is_dir():
            shutil.copytree(source, run_dir / folder / cell_id, dirs_exist_ok=True)


def merge_runs(refs: list[str], results_dir: Path, allow_mixed_hardware: bool = False,
               argv: list[str] | None = None) -> Merged:
    """Prove, then write results_dir/<id>-merged/; raise BenchError naming every difference otherwise."""
    if len(refs) < 1:
        raise BenchError("give the shard runs to merge: frugal-bench merge RUN...")
    folders = [shard_folder(ref, results_dir) for ref in refs]
    repeated = sorted({str(f) for f in folders if folders.count(f) > 1})
    if repeated:
        raise BenchError(f"the same run folder given twice: {', '.join(repeated)}")
    runs = sorted((load_shard(f) for f in folders), key=lambda r: (int(r.shard.get("index", -1)), str(r.path)))
    proof = prove(runs, allow_mixed_hardware)
    if proof.differences:
        raise BenchError(f"cannot merge these {len(runs)} runs:\n" + "\n".join(f"  - {d}" for d in proof.differences))
    run_id = new_run_id(runs[0].manifest.get("git_sha")) + MERGED_SUFFIX
    run_dir = results_dir / run_id
    try:
        run_dir.mkdir(parents=True)
    except FileExistsError as exc:
        raise BenchError(f"{run_dir} already exists: merge again in a second") from exc
    owner = {str(r.get("cell_id")): (run, r) for run in runs for r in run.records}
    samples = {cell: rows for run in runs for cell, rows in committed_samples(run).items()}
    for cell_id in proof.plan:  # plan (ladder) order, as an unsharded run writes them
        run, record = owner[cell_id]
        shard = f"{run.shard.get('index')}/{run.shard.get('count')}"
        append_block(run_dir / SAMPLES, [{**s, "run_id": run_id} for s in samples.get(cell_id, [])])
        append_block(run_dir / RECORDS, [{**record, "run_id": run_id, "shard_run_id": record.get("run_id"),
                                          "shard": shard, "hardware_class": class_label(run.hardware)}])
        _copy_cell_files(run, cell_id, run_dir)
    write_json_atomic(run_dir / MANIFEST, merged_manifest(run_id, runs, proof, argv or sys.argv))
    point_latest(results_dir, run_dir)
    return Merged(run_dir, proof)
