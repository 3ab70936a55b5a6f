"""Results layout: atomic appends, torn lines, run resolution."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bench.run.results import (
    MANIFEST,
    RunNotFound,
    append_line,
    flatten,
    new_run_id,
    point_latest,
    read_records,
    resolve_run,
)


def test_run_id_is_utc_timestamp_and_short_sha() -> None:
    when = dt.datetime(2026, 11, 23, 6, 30, 5, tzinfo=dt.UTC)
    assert new_run_id("0123456789abcdef", when) == "20261123T063005Z-01234567"
    assert new_run_id(None, when) == "20261123T063005Z"


def test_append_then_read_ignores_a_torn_last_line(tmp_path: Path) -> None:
    append_line(tmp_path / "records.jsonl", {"cell_id": "a", "x": "é"})
    append_line(tmp_path / "records.jsonl", {"cell_id": "b"})
    with (tmp_path / "records.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"cell_id": "c", "trunc')
    assert [r["cell_id"] for r in read_records(tmp_path)] == ["a", "b"]


def test_resolve_run_latest_id_and_missing(tmp_path: Path) -> None:
    with pytest.raises(RunNotFound, match="no run"):
        resolve_run(tmp_path, None)
    for name in ("20261101T000000Z-aaaa", "20261102T000000Z-bbbb"):
        (tmp_path / name).mkdir()
        (tmp_path / name / MANIFEST).write_text("{}", encoding="utf-8")
    assert resolve_run(tmp_path, None).name == "20261102T000000Z-bbbb"  # no link yet: the newest
    point_latest(tmp_path, tmp_path / "20261101T000000Z-aaaa")
    assert resolve_run(tmp_path, None).name == "20261101T000000Z-aaaa"  # the link, as results/latest says
    assert resolve_run(tmp_path, "latest") == resolve_run(tmp_path, None)
    assert resolve_run(tmp_path, "20261102T000000Z-bbbb").name == "20261102T000000Z-bbbb"
    assert (tmp_path / "latest").resolve().name == "20261101T000000Z-aaaa"
    with pytest.raises(RunNotFound):
        resolve_run(tmp_path, "nope")


def test_flatten_spreads_quality_and_energy_method() -> None:
    record = {"cell_id": "t__m", "task": "t", "quality": {"accuracy": {"value": 0.9, "ci_low": 0.8, "ci_high": 0.95,
                                                                         "n": 100}},
              "energy_method": {"measured": False, "cpu": "estimate", "carbon_intensity_g_per_kwh": 56.0},
              "gate": {"metric": "accuracy", "min": 0.85}}
    row = flatten(record)
    assert row["accuracy"] == 0.9 and row["accuracy_ci_low"] == 0.8 and row["accuracy_n"] == 100
    assert row["energy_measured"] is False and row["gate_min"] == 0.85
    assert json.dumps(row)
