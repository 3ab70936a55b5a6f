"""Two scenarios side by side: planned and identified apart, measured, ranked, compared and reported apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_pipeline import _run
from test_pipeline import workspace as workspace  # the tiny task, suites and models of the pipeline tests
from test_rank import rec
from typer.testing import CliRunner

from bench.cli import app
from bench.decide.agreement import compare_predictions
from bench.decide.baseline import Side
from bench.decide.compare import compare
from bench.decide.rank import rank_records
from bench.measure.batch_loop import batch_loop
from bench.run.plan import cell_id, scenarios_of, split_cell_id
from bench.run.record import parse_record
from bench.run.settings import RunSettings
from bench.spec.errors import BenchError


def test_cell_ids_keep_the_single_request_form_and_read_old_ids_as_single() -> None:
    assert cell_id("route", "tiny") == "route__tiny"
    assert cell_id("route", "tiny", "offline") == "route__tiny@offline"
    assert split_cell_id("route__tiny@offline") == ("route", "tiny", "offline")
    assert split_cell_id("route__tiny") == ("route", "tiny", "single")
    assert scenarios_of("both") == ("single", "offline") and scenarios_of("offline") == ("offline",)
    with pytest.raises(BenchError, match="single, offline or both"):
        scenarios_of("server")


def test_settings_keep_their_scenarios_and_old_manifests_measured_single_requests() -> None:
    settings = RunSettings("s", {}, 1.0, 0, 10.0, 1, scenarios=("single", "offline"), batch_size=8)
    again = RunSettings.from_dict(json.loads(json.dumps(settings.to_dict())), Path("."))
    assert again.scenarios == ("single", "offline") and again.batch_size == 8 and again.parallel is None
    old = {k: v for k, v in settings.to_dict().items() if k not in ("scenarios", "batch_size", "parallel")}
    assert RunSettings.from_dict(old, Path(".")).scenarios == ("single",)


def test_batch_loop_times_whole_passes_until_the_window_is_long_enough() -> None:
    ticks = iter(range(0, 10**12, 10**9))  # every clock read: one more second
    calls: list[list[str]] = []

    def predict_batch(texts: list[str]) -> list[str]:
        calls.append(texts)
        return [t.upper() for t in texts]

    result = batch_loop(predict_batch, ["a", "b", "c"], min_window_s=2.5, warmup=2, clock=lambda: next(ticks))
    assert calls[0] == ["a", "b"]  # the warm-up: one batch, outside the window
    assert result.predictions == ["A", "B", "C"] and result.items == 3
    assert result.passes == 3 and result.requests == 9 and result.window_s == 3.0
    timing = result.timing()
    assert timing["throughput_requests_per_s"] == 3.0 and timing["pass_mean_s"] == 1.0
    with pytest.raises(ValueError, match="2 predictions for 3 inputs"):
        batch_loop(lambda texts: texts[:2], ["a", "b", "c"], min_window_s=0.0, warmup=0)


def test_offline_answers_are_compared_item_by_item_with_single_requests() -> None:
    single = [{"test_set": "test", "item_id": str(i), "prediction": p} for i, p in enumerate(["a", "b", "c"])]
    offline = [{**s, "prediction": "x" if s["item_id"] == "2" else s["prediction"]} for s in single]
    quality = {"macro_f1": {"value": 0.9}}
    same = compare_predictions(single, single, quality, quality)
    assert same["status"] == "match" and same["compared_items"] == 3 and same["quality_delta"] == {"macro_f1": 0.0}
    differ = compare_predictions(single, offline, quality, {"macro_f1": {"value": 0.8}})
    assert differ["status"] == "mismatch" and differ["differing_items"] == 1
    assert differ["differing_examples"] == ["test/2"] and differ["quality_delta"]["macro_f1"] == pytest.approx(-0.1)


def _offline(record: dict[str, Any], energy: float) -> dict[str, Any]:
    return {**record, "scenario": "offline", "cell_id": record["cell_id"] + "@offline",
            "energy_wh_per_1000_requests": energy}


def test_each_scenario_is_ranked_on_its_own_figures() -> None:
    # One request at a time the small model is cheaper; batched, the encoder spreads its fixed costs.
    small, encoder = rec("small", 0.95, energy=1.0), rec("encoder", 0.95, energy=3.0)
    records = [small, encoder, _offline(small, 0.8), _offline(encoder, 0.2)]
    single = rank_records(records)[0]
    offline = rank_records(records, scenario="offline")[0]
    assert (single.recommended, single.scenario) == ("small", "single")
    assert (offline.recommended, offline.scenario) == ("encoder", "offline")
    assert len(single.table) == len(offline.table) == 2  # scenarios never mixed into one candidate list


def test_compare_keys_cells_by_scenario() -> None:
    small = rec("small", 0.95, energy=1.0)
    reference = Side("ref", [parse_record(small), parse_record(_offline(small, 0.5))], {})
    candidate = Side("new", [parse_record(small), parse_record(_offline(small, 0.5))], {})
    checks = compare(reference, candidate).checks
    assert {c.model for c in checks if c.model != "–"} == {"small", "small (offline)"}
    assert {c.what for c in checks if c.model == "–"} == {"recommended (energy)", "recommended (energy), offline"}
    missing = compare(reference, Side("new", [parse_record(small)], {})).checks
    assert any(c.model == "small (offline)" and c.verdict == "regression" for c in missing)


def test_run_both_scenarios_records_ranks_and_reports_them_apart(workspace: Path) -> None:
    _run("run", "--suite", "quick", "--threads", "1", "--model", "tiny-encoder", "--scenario", "both",
         "--batch-size", "5")
    run_dir = (workspace / "results" / "latest").resolve()
    records = {r["cell_id"]: r for r in map(json.loads, (run_dir / "records.jsonl").read_text().splitlines())}
    assert set(records) == {"mini_route__tiny-encoder", "mini_route__tiny-encoder@offline"}
    single, offline = records["mini_route__tiny-encoder"], records["mini_route__tiny-encoder@offline"]
    assert single["scenario"] == "single" and offline["scenario"] == "offline"
    assert offline["status"] == "ok", offline.get("error")
    assert offline["batching"]["mode"] == "batched" and offline["batching"]["size"] == 5
    assert offline["offline_options"] == {"batch_size": 5, "parallel": None}
    assert offline["throughput_requests_per_s"] > 0 and offline["energy_wh_per_1000_requests"] > 0
    assert offline["cpu_time_s_per_1000_requests"] > 0 and offline["peak_rss_mb"] > 10
    assert "latency_p95_ms" not in offline  # requests overlap: no per-request latency
    assert offline["scenario_check"]["status"] == "match" and offline["scenario_check"]["compared_items"] == 12
    assert offline["quality"] == single["quality"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["settings"]["scenarios"] == ["single", "offline"]
    report = (run_dir / "report.md").read_text()
    assert "Scénario offline" in report and "identiques (12)" in report
    assert (run_dir / "charts" / "mini_route_scenarios.png").is_file()
    output = _run("rank", run_dir.name, "--scenario", "offline")
    assert "tiny-encoder" in output
    _run("report", run_dir.name, "--scenario", "offline", "--lang", "en")
    assert "Scenario single" in (run_dir / "report.md").read_text()


def test_resume_finishes_the_offline_cells_of_a_run(workspace: Path) -> None:
    _run("run", "--suite", "quick", "--threads", "1", "--model", "tfidf-logreg", "--scenario", "both")
    run_dir = (workspace / "results" / "latest").resolve()
    lines = (run_dir / "records.jsonl").read_text().splitlines()
    kept = [line for line in lines if "@offline" not in line]
    (run_dir / "records.jsonl").write_text("\n".join(kept) + "\n")
    _run("run", "--resume", run_dir.name)
    cells = [json.loads(line)["cell_id"] for line in (run_dir / "records.jsonl").read_text().splitlines()]
    assert cells == ["mini_route__tfidf-logreg", "mini_route__tfidf-logreg@offline"]


def test_a_wrong_scenario_is_a_usage_error(workspace: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--scenario", "server"])
    assert result.exit_code == 2 and "server" in result.output and "scenario" in result.output


def test_the_benchmark_prints_both_scenarios_of_each_rung_on_one_line() -> None:
    from bench.tools.scenarios import side_by_side

    single = {**rec("enc", 0.9, energy=2.0), "throughput_requests_per_s": 10.0, "cpu_time_s_per_1000_requests": 200.0}
    offline = {**_offline(single, 0.5), "throughput_requests_per_s": 40.0, "cpu_time_s_per_1000_requests": 50.0,
               "batching": {"mode": "batched", "size": 32}, "scenario_check": {"status": "match"}}
    lines = side_by_side([parse_record(r) for r in (single, offline, rec("alone", 0.9))])
    assert len(lines) == 2  # a header, then only the rung measured in both scenarios
    assert lines[1].startswith("route | enc | 10.0 → 40.0 (×4.00) | 200.00 → 50.00 (×0.25) | 2.0000 → 0.5000")
    assert lines[1].endswith("batched ×32 | match")
