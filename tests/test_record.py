"""The job crossing into a cell and the record coming out are typed, versioned and upgraded in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faultkit import trained_model, write_workspace
from pydantic import ValidationError

from bench.decide.projection import parse_volume
from bench.decide.rank import rank_records
from bench.report import markdown
from bench.report.document import build_document
from bench.run.cellrun import cell_job
from bench.run.durable import commit
from bench.run.plan import load_models, load_tasks, plan_cells
from bench.run.record import (
    CO2_G_PER_1000,
    ENERGY_WH_PER_1000,
    LATENCY_P50_MS,
    LATENCY_P95_MS,
    PEAK_RSS_MB,
    SCHEMA_VERSION,
    THROUGHPUT,
    CellJob,
    CellRecord,
    parse_record,
    upgrade,
)
from bench.run.results import RECORDS, SAMPLES, load_records, read_records_checked
from bench.run.settings import RunSettings
from bench.spec.config import SuiteSpec

V1 = {"run_id": "r", "cell_id": "t__m", "task": "t", "task_kind": "classification", "model_id": "m",
      "runtime": "onnxruntime", "status": "ok", "n_test_items": 40,
      "quality": {"macro_f1": {"value": 0.8, "ci_low": 0.7, "ci_high": 0.9, "n": 40, "resamples": 1000, "seed": 0}}}


def test_the_job_survives_the_process_edge_and_refuses_unknown_fields(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, [trained_model()])
    cell = plan_cells(load_models(root / "models.yaml"), load_tasks(root / "tasks"), SuiteSpec(description="t"))[0]
    settings = RunSettings(suite="quick", items={"train": None, "test": 7}, min_energy_window_s=0.2,
                           warmup_requests=1, cell_timeout_s=60, threads=1, models_dir=root)
    job = cell_job(cell, settings, tmp_path / "run")
    path = tmp_path / "cell.json"
    path.write_text(job.model_dump_json(), encoding="utf-8")
    again = CellJob.read(path)
    assert again == job and again.items.test == 7 and again.models_file_dir == root.resolve()
    path.write_text(json.dumps({**json.loads(job.model_dump_json()), "modls_dir": "/x"}), encoding="utf-8")
    with pytest.raises(ValidationError, match="modls_dir"):
        CellJob.read(path)


def test_a_first_version_record_is_upgraded_once_when_read() -> None:
    record = upgrade(V1)
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["quality_sets"] == {"test": record["quality"]}
    assert record["quality"]["macro_f1"]["method"] == "percentile"  # an older run's interval, named as such
    assert record["n_items_by_set"] == {"test": 40}
    assert "schema_version" not in V1  # the input is left as it was
    assert upgrade(record) == record


def test_a_record_newer_than_the_harness_is_refused() -> None:
    with pytest.raises(ValueError, match="newer than this harness"):
        parse_record({**V1, "schema_version": SCHEMA_VERSION + 1})


def test_reading_upgrades_old_lines_and_skips_what_is_not_a_record(tmp_path: Path) -> None:
    lines = [json.dumps(V1), json.dumps({"cell_id": "x", "status": "maybe"}), json.dumps({"no": "id"})]
    (tmp_path / RECORDS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, skipped = read_records_checked(tmp_path)
    assert [r["cell_id"] for r in records] == ["t__m"] and records[0]["quality_sets"]
    assert len(skipped) == 2 and all("not a cell record" in s for s in skipped)
    assert ":2:" in skipped[0] and ":3:" in skipped[1]


def test_a_malformed_record_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        commit(tmp_path, {**V1, "status": "fine", "_samples": [{"item_id": "a"}]})
    assert not (tmp_path / RECORDS).exists() and not (tmp_path / SAMPLES).exists()
    commit(tmp_path, {**upgrade(V1), "_samples": [{"item_id": "a"}]})
    assert read_records_checked(tmp_path)[0][0]["schema_version"] == SCHEMA_VERSION


def test_a_renamed_field_is_read_under_its_current_name_only() -> None:
    record = upgrade({**V1, "throughput_rps": 12.5})
    assert record["throughput_requests_per_s"] == 12.5 and "throughput_rps" not in record
    both = upgrade({**V1, "throughput_rps": 1.0, "throughput_requests_per_s": 2.0})
    assert both["throughput_requests_per_s"] == 2.0  # the current name wins
    assert parse_record({**V1, "throughput_rps": 12.5}).throughput_requests_per_s == 12.5


def test_the_column_names_readers_use_are_fields_of_the_record() -> None:
    names = {ENERGY_WH_PER_1000, CO2_G_PER_1000, PEAK_RSS_MB, LATENCY_P50_MS, LATENCY_P95_MS, THROUGHPUT}
    assert names <= set(CellRecord.model_fields)


def test_a_typed_record_survives_records_jsonl(tmp_path: Path) -> None:
    record = parse_record({**upgrade(V1), "energy_wh_per_1000_requests": 0.25, "peak_rss_mb": 310.0,
                           "gate": {"metric": "macro_f1", "min": 0.6, "sets": {"test": 0.6}},
                           "energy_method": {"measured": False, "cpu": "estimate", "tdp_w": 15},
                           "unscored_sets": ["hard"], "phase_times_s": {"load_s": 1.5}})
    commit(tmp_path, record.as_dict())
    again = load_records(tmp_path)
    assert again == [record]
    assert again[0].gate is not None and again[0].gate.sets == {"test": 0.6}
    assert again[0].energy_method is not None and again[0].energy_method.model_extra == {"tdp_w": 15}
    assert again[0].model_extra is not None and again[0].model_extra["phase_times_s"] == {"load_s": 1.5}


def test_an_old_record_gives_the_figures_of_a_current_one(tmp_path: Path) -> None:
    """The same cell written by the first format (no version, `throughput_rps`) and by the current one."""
    costs = {"energy_wh_per_1000_requests": 0.4, "co2_g_per_1000_requests": 0.02, "peak_rss_mb": 300.0,
             "latency_p95_ms": 12.0, "threads": 1, "gate": {"metric": "macro_f1", "min": 0.6},
             "energy_method": {"measured": False, "cpu": "estimate", "carbon_intensity_g_per_kwh": 50.0}}
    old = {**V1, **costs, "throughput_rps": 80.0}
    score = {**V1["quality"]["macro_f1"], "method": "percentile"}
    current = {**V1, **costs, "schema_version": SCHEMA_VERSION, "throughput_requests_per_s": 80.0,
               "quality": {"macro_f1": score}, "quality_sets": {"test": {"macro_f1": score}},
               "n_items_by_set": {"test": 40}}
    reports = []
    for name, record in (("old", old), ("current", current)):
        run_dir = tmp_path / name
        run_dir.mkdir()
        (run_dir / RECORDS).write_text(json.dumps(record) + "\n", encoding="utf-8")
        records = load_records(run_dir)
        rankings = rank_records(records)
        assert rankings[0].recommended == "m" and rankings[0].row("m")["throughput_requests_per_s"] == 80.0
        title, blocks = build_document(records, {"run_id": "r"}, rankings, {}, run_dir, lang="en",
                                       volume=parse_volume(1e6))
        reports.append(markdown.render(title, blocks))
    assert reports[0] == reports[1]
