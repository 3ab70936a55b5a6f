"""Baselines of the regression gate: a small, reviewable JSON file per suite (results/baselines/<suite>.json,
versioned with the code) holding the provenance of the run it was taken from and one slim record per cell;
and either side of a comparison, loaded from a run folder or from such a file."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.run.record import (
    CO2_G_PER_1000,
    ENERGY_WH_PER_1000,
    LATENCY_P50_MS,
    LATENCY_P95_MS,
    PEAK_RSS_MB,
    THROUGHPUT,
    CellRecord,
    parse_record,
)
from bench.run.results import load_records, read_manifest, resolve_run, write_json_atomic
from bench.spec.errors import BenchError

BASELINE_FORMAT = "frugal-bench-baseline"
BASELINE_VERSION = 1
BASELINES_DIR = "baselines"
# What a baseline keeps of a record: enough to rank, gate and compare; nothing machine-noisy or bulky.
BASELINE_FIELDS = ("cell_id", "task", "task_version", "task_kind", "model_id", "family", "runtime", "params",
                   "status", "error", "gate", "quality", "quality_sets", "data_sha256", "weights_sha256",
                   "n_test_items", "threads",
                   LATENCY_P50_MS, LATENCY_P95_MS, "latency_p99_ms", ENERGY_WH_PER_1000,
                   CO2_G_PER_1000, PEAK_RSS_MB, "energy_measured", "scenario",
                   THROUGHPUT, "batching", "scenario_check",
                   "wall_s")  # wall_s: balances `run --shard`, never compared
HARDWARE_FIELDS = ("cpu_model", "cpu_logical_cores", "ram_total_gb", "machine", "os", "energy_counters_rapl")


@dataclass
class Side:
    """One side of a comparison: a run directory or a baseline file, reduced to records + provenance."""

    label: str
    records: list[CellRecord]
    meta: dict[str, Any]  # run_id, suite, hardware, settings, tasks (as in a manifest)
    run_dir: Path | None = None

    @property
    def suite(self) -> str | None:
        suite = (self.meta.get("settings") or {}).get("suite") or self.meta.get("suite")
        return str(suite) if suite else None

    def by_cell(self) -> dict[str, CellRecord]:
        return {r.cell_id: r for r in self.records if r.cell_id}  # a later record wins


def default_baseline(results_dir: Path, suite: str | None) -> Path:
    return results_dir / BASELINES_DIR / f"{suite or 'standard'}.json"


def load_side(ref: str | Path, results_dir: Path) -> Side:
    """A run id / run folder / 'latest', or a baseline .json file."""
    path = Path(ref)
    if path.is_file():
        return load_baseline(path)
    run_dir = resolve_run(results_dir, str(ref))
    manifest = read_manifest(run_dir)
    return Side(str(manifest.get("run_id") or run_dir.name), load_records(run_dir), manifest, run_dir.resolve())


def load_baseline(path: Path) -> Side:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BenchError(f"cannot read baseline {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise BenchError(f"{path} is not a frugal-bench baseline (no \"format\": \"{BASELINE_FORMAT}\")")
    if data.get("version") != BASELINE_VERSION:
        raise BenchError(f"{path}: baseline version {data.get('version')} is not supported (expected "
                         f"{BASELINE_VERSION}); recreate it with `frugal-bench compare --save-baseline`")
    return Side(f"baseline {path}", [parse_record(r) for r in data.get("records", [])], data, None)


def missing_baseline_message(path: Path, candidate: str) -> str:
    return (f"no baseline at {path}. Create one from a run you trust (on the machine class the gate runs on):\n"
            f"  frugal-bench compare --save-baseline {candidate}\n"
            f"then commit {path}. Or compare two runs directly: frugal-bench compare RUN_A RUN_B")


def _slim(record: CellRecord) -> dict[str, Any]:
    """What a baseline keeps of a record: the fields it states among BASELINE_FIELDS."""
    written = record.as_dict()
    return {k: written[k] for k in BASELINE_FIELDS if k in written}


def save_baseline(run_dir: Path, path: Path) -> tuple[Path, list[str]]:
    """Write the baseline of a finished run; return its path and warnings (failed cells)."""
    manifest = read_manifest(run_dir)
    records = list({r.cell_id: r for r in load_records(run_dir)}.values())
    missing = [c for c in manifest.get("cells", []) if c not in {r.cell_id for r in records}]
    if missing:
        raise BenchError(f"run {run_dir.name} is incomplete ({len(missing)} cells without a record, e.g. "
                         f"{missing[0]}): finish it first with `frugal-bench run --resume {run_dir.name}`")
    warnings = [f"cell {r.cell_id} failed in this run ({r.error}); the baseline records it as failed"
                for r in records if not r.ok]
    hardware = manifest.get("hardware") or {}
    settings = manifest.get("settings") or {}
    document = {
        "format": BASELINE_FORMAT, "version": BASELINE_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "from_run": manifest.get("run_id") or run_dir.name, "suite": settings.get("suite"),
        "git_sha": manifest.get("git_sha"), "git_dirty": manifest.get("git_dirty"),
        "hardware": {k: hardware.get(k) for k in HARDWARE_FIELDS if k in hardware},
        "settings": {k: settings.get(k) for k in ("suite", "threads", "items", "min_energy_window_s", "seed")
                     if k in settings},
        "tasks": {name: {k: info.get(k) for k in ("version", "data_sha256", "gate")}
                  for name, info in (manifest.get("tasks") or {}).items()},
        "records": [_slim(r) for r in records],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, document)
    return path, warnings
