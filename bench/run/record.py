"""What crosses the process edge: the job a cell is given, and the record it leaves, typed and versioned.

`CellJob` is written by the runner and read back by the cell process (`cell.json`); `CellRecord` is every
line of `records.jsonl`. Both are validated where they are written and where they are read, so a field that
goes missing or changes type fails at once instead of deep in a report. A record states `schema_version`;
records of older runs are brought to the current version once, when read, by `upgrade` — the one place
that knows the history of the format.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bench.spec.config import ModelSpec

SCHEMA_VERSION = 2
# 1: (no `schema_version`) one test set under `quality`; scores without their interval `method`.
# 2: `quality_sets` and `n_items_by_set` always present; every score names its interval method.


class EnergyJob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    country_iso_code: str = "FRA"
    pue: float = 1.0
    cpu_watts: float | None = None
    ram_watts: float | None = None
    carbon_intensity_g_per_kwh: float | None = None


class ItemCaps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    train: int | None = None
    test: int | None = None


class FrugalJob(BaseModel):
    """Frugal evaluation's part of a job (bench.run.frugal): probe the costs, or score quality sequentially."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["probe", "quality"]
    level: float = Field(gt=0.5, lt=1)
    batch: int = Field(ge=1)
    probe_items: int = Field(ge=1)
    key: str
    score_all: bool
    gate: dict[str, Any] | None = None  # quality mode: the task's gate, per test set
    # Quality mode: the probe's answers to the first test items (item id -> prediction), not asked again.
    known: dict[str, Any] | None = None
    # Probe mode: once the probe is on disk, wait on stdin for the quality job (bench.run.heldcell).
    hold: bool = False


class CellJob(BaseModel):
    """Everything a cell process needs, and nothing it would have to guess."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelSpec
    task: str
    method: str
    task_dir: Path
    models_file_dir: Path  # the folder of models.yaml: relative path sources are resolved from it
    artifacts_dir: Path  # where the method may write what it trains
    items: ItemCaps
    threads: int = Field(ge=1)
    seed: int
    resamples: int = Field(ge=1)
    min_energy_window_s: float = Field(gt=0)
    warmup_requests: int = Field(ge=0)
    energy: EnergyJob
    scenario: Literal["single", "offline"] = "single"
    batch_size: int | None = Field(None, ge=1)  # offline: items per forward (None: the runtime's default)
    parallel: int | None = Field(None, ge=1)  # offline: sequences in flight for runtimes with slots
    frugal: FrugalJob | None = None  # None: full evaluation

    @classmethod
    def read(cls, path: Path) -> CellJob:
        return cls.model_validate_json(path.read_bytes())


class ScoreRecord(BaseModel):
    """One metric on one test set: the value, its 95 % interval, the number of items and how it was made."""

    model_config = ConfigDict(extra="allow")

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    method: str


Quality = dict[str, ScoreRecord]


class CellRecord(BaseModel):
    """One cell's line in records.jsonl. The fields below are the ones every reader may rely on; the
    measurements a cell adds (latency percentiles, energy, memory, method usage...) are kept as they are."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    cell_id: str
    status: Literal["ok", "failed"] | None = None  # None: a line of a run that never finished writing it
    run_id: str | None = None
    attempt: str | None = None  # one id per try of a cell (absent in the oldest runs)
    task: str | None = None
    task_kind: str | None = None
    model_id: str | None = None
    runtime: str | None = None
    scenario: Literal["single", "offline"] = "single"  # one request at a time, or the whole test set at once
    error: str | None = None
    failure: str | None = None
    wall_s: float | None = None
    quality: Quality = {}
    quality_sets: dict[str, Quality] = {}
    n_items_by_set: dict[str, int] = {}

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# Measurements readers rank, compare and report on: the cell writes them as extra fields of its record
# (bench.measure), and readers name them through these constants rather than retyping the keys.
ENERGY_WH_PER_1000 = "energy_wh_per_1000_requests"
CO2_G_PER_1000 = "co2_g_per_1000_requests"
PEAK_RSS_MB = "peak_rss_mb"
LATENCY_P50_MS = "latency_p50_ms"
LATENCY_P95_MS = "latency_p95_ms"


def cpu_s(record: Mapping[str, Any]) -> float:
    """CPU seconds (user + system) a record says its cell used; 0 when it says nothing."""
    return float(record.get("cpu_user_s") or 0.0) + float(record.get("cpu_system_s") or 0.0)


def is_ok(record: Mapping[str, Any]) -> bool:
    """Whether a record as read (or a row made of one) is of a cell that ran to the end; a record without a
    status is of a run that never finished writing it."""
    return record.get("status") == "ok"


def upgrade(raw: dict[str, Any]) -> dict[str, Any]:
    """A record of any earlier version in the current format (the input is not modified)."""
    record = dict(raw)
    version = int(record.get("schema_version") or 1)
    if version > SCHEMA_VERSION:
        raise ValueError(f"record schema_version {version} is newer than this harness knows ({SCHEMA_VERSION}); "
                         "upgrade frugal-bench to read it")
    if version < 2:
        quality = {name: {"method": "percentile", **score} for name, score in (record.get("quality") or {}).items()}
        record["quality"] = quality
        if quality and not record.get("quality_sets"):
            record["quality_sets"] = {"test": quality}
        if not record.get("n_items_by_set") and "n_test_items" in record:
            record["n_items_by_set"] = {"test": record["n_test_items"]}
    record["schema_version"] = SCHEMA_VERSION
    return record


def parse_record(raw: dict[str, Any]) -> CellRecord:
    return CellRecord.model_validate(upgrade(raw))
