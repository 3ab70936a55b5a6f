"""One full tiny run through the command line, on models the test builds itself, and its results layout."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiny
from typer.testing import CliRunner

from bench.cli import app

REQUIRED = ("latency_p50_ms", "latency_p95_ms", "peak_rss_mb", "energy_wh_per_1000_requests",
            "co2_g_per_1000_requests", "energy_method", "quality", "n_test_items", "data_sha256")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    tasks = tmp_path / "tasks"
    tiny.write_task(tasks)
    tiny.write_suites(tasks, test_items=12)
    files = tiny.build_tiny_encoder(tmp_path / "encoder")
    tiny.write_models(tmp_path / "models.yaml", tmp_path / "encoder", files=files)
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_full_run_writes_records_summary_manifest_chart_and_report(workspace: Path) -> None:
    output = _run("run", "--suite", "quick", "--threads", "1")
    assert "mini_route: use" in output or "no candidate passes" in output

    run_dir = (workspace / "results" / "latest").resolve()
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["model_id"] for r in records} == {"tfidf-logreg", "tiny-encoder"}
    for record in records:
        assert record["status"] == "ok", record.get("error")
        for key in REQUIRED:
            assert key in record, key
        assert record["n_test_items"] == 12
        assert record["threads"] == 1
        assert 0.0 <= record["quality"]["macro_f1"]["ci_low"] <= record["quality"]["macro_f1"]["value"] \
            <= record["quality"]["macro_f1"]["ci_high"] <= 1.0
        assert record["latency_p50_ms"] <= record["latency_p95_ms"]
        assert record["peak_rss_mb"] > 10
        assert record["energy_method"]["country_iso_code"] == "FRA"
    encoder = next(r for r in records if r["model_id"] == "tiny-encoder")
    assert encoder["hash_status"] == "verified" and set(encoder["weights_sha256"]) == {"model.onnx", "tokenizer.json"}
    trained = next(r for r in records if r["model_id"] == "tfidf-logreg")
    assert trained["hash_status"] == "trained" and trained["trained_artifacts_sha256"]

    with (run_dir / "summary.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and {"macro_f1", "macro_f1_ci_low", "energy_wh_per_1000_requests"} <= set(rows[0])

    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tasks"]["mini_route"]["data_sha256"]["data/test.jsonl"] == records[0]["data_sha256"][
        "data/test.jsonl"]
    assert manifest["models"]["tiny-encoder"]["files_sha256"] == encoder["weights_sha256"]
    assert {"git_sha", "packages", "hardware", "settings"} <= set(manifest)
    assert manifest["packages"]["onnxruntime"]

    samples = (run_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(samples) == 2 * 12
    assert list(run_dir.glob("charts/*.png")) and list(run_dir.glob("charts/*.svg"))
    assert "mini_route" in (run_dir / "report.md").read_text(encoding="utf-8")


def test_rank_and_report_rebuild_from_records_alone(workspace: Path) -> None:
    _run("run", "--suite", "quick", "--threads", "1", "--model", "tfidf-logreg")
    run_dir = (workspace / "results" / "latest").resolve()
    for path in [run_dir / "report.md", run_dir / "summary.csv", *run_dir.glob("charts/*")]:
        path.unlink()
    _run("report", "latest")
    assert (run_dir / "report.md").is_file() and (run_dir / "summary.csv").is_file()
    assert list(run_dir.glob("charts/*.png"))
    output = _run("rank", run_dir.name, "--gate", "mini_route=macro_f1:1.01")
    assert "no candidate passes" in output


def test_hash_mismatch_refuses_the_run_before_any_cell(workspace: Path) -> None:
    from bench.spec.errors import ConfigErrors

    (workspace / "encoder" / "model.onnx").write_bytes(b"tampered")
    with pytest.raises(ConfigErrors, match=r"models.yaml:\d+: field 'models.1.files.model.onnx'.*refusing to load"):
        CliRunner().invoke(app, ["run", "--suite", "quick", "--threads", "1"], catch_exceptions=False)
    assert not list((workspace / "results").glob("2*"))  # refused before anything was measured


def test_list_shows_tasks_sizes_gates_and_models(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import bench.cli

    monkeypatch.setattr(bench.cli, "console", Console(width=250))
    output = _run("list")
    assert "mini_route" in output and "macro_f1 ≥ 0.5" in output
    assert "tiny-encoder" in output and "onnxruntime" in output
