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
# Field renames within a version, old name -> current one (the writer has used the current one since).
RENAMED = {"throughput_rps": "throughput_requests_per_s"}


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


class RecordGate(BaseModel):
    """The gate a cell was judged against, as its task stated it when the cell ran."""

    model_config = ConfigDict(extra="allow")

    metric: str | None = None
    min: float | None = None
    sets: dict[str, float] = {}  # test set -> its own minimum
    limits: dict[str, float] = {}  # error-rate metric -> maximum

    @property
    def complete(self) -> bool:
        return self.metric is not None and self.min is not None


class EnergyMethod(BaseModel):
    """How the energy of a cell was obtained (bench.measure.energy): measured counters or an estimate."""

    model_config = ConfigDict(extra="allow")

    measured: bool | None = None
    tool: str | None = None
    cpu: str | None = None  # how the CPU's share was obtained, in words
    ram: str | None = None
    pue: float | None = None
    country_iso_code: str | None = None
    carbon_intensity_g_per_kwh: float | None = None


class NotNeeded(BaseModel):
    """Frugal runs (bench.run.frugal): a candidate costlier than one that passes, left unscored."""

    model_config = ConfigDict(extra="allow")

    costlier_than: str | None = None
    reason: str | None = None


class Sequential(BaseModel):
    """Frugal runs: how many items the sequential scoring used, and what it saved."""

    model_config = ConfigDict(extra="allow")

    items_scored: int | None = None
    items_total: int | None = None
    cpu_s_saved_estimate: float | None = None
    sets: dict[str, dict[str, Any]] = {}


class ScenarioCheck(BaseModel):
    """Offline cells: whether their answers are those of the single-request cell (bench.decide.agreement)."""

    model_config = ConfigDict(extra="allow")

    status: str | None = None
    compared_items: int | None = None
    differing_items: int | None = None


class BatchingRecord(BaseModel):
    """How an offline cell fed its items to the model (bench.methods.batching)."""

    model_config = ConfigDict(extra="allow")

    mode: str = "serial"
    size: int = 1


class CellRecord(BaseModel):
    """One cell's line in records.jsonl. The fields below are the ones readers rely on; the other
    measurements a cell adds (method usage, phase times, hardware...) are kept as they are."""

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
    threads: int | None = None
    seed: int | None = None
    hardware_class: str | None = None  # merged runs: the shard's machine class (bench.decide.hwclass)
    gate: RecordGate | None = None
    quality: Quality = {}
    quality_sets: dict[str, Quality] = {}
    n_items_by_set: dict[str, int] = {}
    n_test_items: int | None = None
    # Costs (bench.measure), per 1000 requests where so named; None when the cell did not measure them.
    energy_wh_per_1000_requests: float | None = None
    co2_g_per_1000_requests: float | None = None
    peak_rss_mb: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    throughput_requests_per_s: float | None = None
    cpu_time_s_per_1000_requests: float | None = None
    cpu_user_s: float | None = None
    cpu_system_s: float | None = None
    energy_window_s: float | None = None
    window_machine_shared: bool | None = None  # other processes used the CPU during the measured window
    window_other_cpu_cores: float | None = None
    energy_method: EnergyMethod | None = None
    timing_s: dict[str, Any] | None = None  # pytest-benchmark statistics of the timed requests
    # Frugal runs (bench.run.frugal) and offline cells.
    not_needed: NotNeeded | None = None
    sequential: Sequential | None = None
    unscored_sets: list[str] = []
    scenario_check: ScenarioCheck | None = None
    batching: BatchingRecord | None = None

    @property
    def ok(self) -> bool:
        """Whether the cell ran to the end (see `is_ok`)."""
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        """The record as it would be written: the fields it was given (defaults it never stated left out)."""
        return {"schema_version": self.schema_version, **self.model_dump(mode="json", exclude_unset=True)}


# Measurements readers rank and report on, as columns of the table made of the records
# (bench.run.results.records_frame): the names of the fields above.
ENERGY_WH_PER_1000 = "energy_wh_per_1000_requests"
CO2_G_PER_1000 = "co2_g_per_1000_requests"
PEAK_RSS_MB = "peak_rss_mb"
LATENCY_P50_MS = "latency_p50_ms"
LATENCY_P95_MS = "latency_p95_ms"
THROUGHPUT = "throughput_requests_per_s"


def cpu_s(record: Mapping[str, Any]) -> float:
    """CPU seconds (user + system) a plain record says its cell used; 0 when it says nothing."""
    return float(record.get("cpu_user_s") or 0.0) + float(record.get("cpu_system_s") or 0.0)


def is_ok(record: Mapping[str, Any]) -> bool:
    """Whether a plain record (or a table row made of one) is of a cell that ran to the end; a record without
    a status is of a run that never finished writing it. Typed records say it as `CellRecord.ok`."""
    return record.get("status") == "ok"


def upgrade(raw: Mapping[str, Any]) -> dict[str, Any]:
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
    # Renamed fields, whatever the version: the old name is read only here.
    for old, new in RENAMED.items():
        if old in record and new not in record:
            record[new] = record.pop(old)
    record["schema_version"] = SCHEMA_VERSION
    return record


def parse_record(raw: Mapping[str, Any]) -> CellRecord:
    """A record of any version, upgraded and checked."""
    return CellRecord.model_validate(upgrade(dict(raw)))


def as_record(record: CellRecord | Mapping[str, Any]) -> CellRecord:
    """A typed record; a plain one (a line as written, a record built by hand) is upgraded and checked here."""
    return record if isinstance(record, CellRecord) else parse_record(record)
