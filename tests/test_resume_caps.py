"""A resumed run scores its capped rungs on the items the run was planned with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_pipeline import _run
from test_pipeline import workspace as workspace  # the tiny task, suites and models of the pipeline tests

CAPPED = """\
suites:
  quick:
    description: test suite, one rung capped
    items: {test: 12}
    model_items:
      tiny-encoder: {test: 5}
    min_energy_window_s: 0.3
    warmup_requests: 1
    cell_timeout_s: 120
"""
UNCAPPED = CAPPED.replace("    model_items:\n      tiny-encoder: {test: 5}\n", "")


def _drop_records_of(run_dir: Path, model: str) -> None:
    lines = (run_dir / "records.jsonl").read_text().splitlines()
    (run_dir / "records.jsonl").write_text("".join(f"{line}\n" for line in lines if f'"{model}"' not in line))


def _test_items(run_dir: Path) -> dict[str, int]:
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]
    return {r["model_id"]: r["n_test_items"] for r in records}


def _capped_run(workspace: Path) -> tuple[Path, dict[str, Any]]:
    (workspace / "tasks" / "suites.yaml").write_text(CAPPED)
    _run("run", "--suite", "quick", "--threads", "1", "--full-evaluation")
    run_dir = (workspace / "results" / "latest").resolve()
    return run_dir, json.loads((run_dir / "manifest.json").read_text())


def test_resume_keeps_the_caps_the_run_recorded_even_when_the_suite_changed(workspace: Path) -> None:
    run_dir, manifest = _capped_run(workspace)
    assert manifest["model_items"] == {"tiny-encoder": {"train": None, "test": 5}}
    assert _test_items(run_dir) == {"tfidf-logreg": 12, "tiny-encoder": 5}

    _drop_records_of(run_dir, "tiny-encoder")
    (workspace / "tasks" / "suites.yaml").write_text(UNCAPPED)  # the suite changed since: the run's own caps still hold
    _run("run", "--resume", run_dir.name)
    assert _test_items(run_dir) == {"tfidf-logreg": 12, "tiny-encoder": 5}


def test_resume_of_a_run_from_before_caps_were_recorded_takes_them_from_its_suite(workspace: Path) -> None:
    run_dir, manifest = _capped_run(workspace)
    del manifest["model_items"]
    (run_dir / "manifest.json").write_text(json.dumps(manifest))

    _drop_records_of(run_dir, "tiny-encoder")
    _run("run", "--resume", run_dir.name)
    assert _test_items(run_dir) == {"tfidf-logreg": 12, "tiny-encoder": 5}
