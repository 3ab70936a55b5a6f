"""The regression gate: compare a run with a baseline or another run, and the nightly session around it.

tests/fixtures/nightly_{base,same,degraded} are three runs of the standard suite on one machine: `same` is
run-to-run noise only; in `degraded` a change cost the TF-IDF rung 7 points of macro-F1 (so the
recommendation moves to e5-small) and made the generator slower and hungrier for energy.
"""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import faultkit
import pytest
from faultkit import TASK, fault_model, trained_model, write_workspace
from rich.console import Console

import bench.cli
from bench.decide.baseline import BASELINE_FIELDS, load_side
from bench.decide.compare import Tolerances, compare
from bench.report.benchjson import stats_from_ns, write_benchmark_json

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
BASE, SAME, DEGRADED = "nightly_base", "nightly_same", "nightly_degraded"


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results folder holding copies of the fixture runs (compare writes compare.md into the candidate)."""
    for name in (BASE, SAME, DEGRADED):
        shutil.copytree(FIXTURES / name, tmp_path / "results" / name)
    return tmp_path / "results"


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The installed entry point, in-process: (exit code, console output)."""
    monkeypatch.setattr(bench.cli, "console", Console(width=250, no_color=True))
    monkeypatch.setattr(sys, "argv", ["frugal-bench", *args])
    try:
        bench.cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


def test_unchanged_run_passes(results: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _cli(monkeypatch, capsys, "compare", BASE, SAME, "--results", str(results))
    assert code == 0, output
    assert "no regression" in output


def test_degraded_run_fails_with_a_readable_diff(results: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _cli(monkeypatch, capsys, "compare", BASE, DEGRADED, "--results", str(results))
    assert code == 1, output
    rows = [line for line in output.splitlines() if "REGRESSION" in line]
    assert any("classify_mail" in r and "tfidf-logreg" in r and "macro_f1" in r and "-7.0 pt" in r for r in rows)
    assert any("qwen2.5-0.5b-q4" in r and "latency p95" in r and "+86 %" in r for r in rows), rows
    assert any("energy / 1000 req." in r for r in rows), rows
    assert any("recommended (energy)" in r and "tfidf-logreg" in r and "e5-small-q4" in r for r in rows), rows
    assert not any("extract_forms" in r and "recommended" in r for r in rows)  # that one did not move
    assert "regressions in" in output
    written = (results / DEGRADED / "compare.md").read_text(encoding="utf-8")
    assert "| classify_mail | tfidf-logreg | macro_f1 | 0.912 | 0.842 | -7.0 pt | -2 pt | **REGRESSION** |" in written
    summary = json.loads((results / DEGRADED / "compare.json").read_text(encoding="utf-8"))
    assert summary["regressions"] == len(rows)


def test_committed_baseline_round_trip(results: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _cli(monkeypatch, capsys, "compare", "--save-baseline", BASE, "--results", str(results))
    assert code == 0, output
    baseline = results / "baselines" / "standard.json"
    data = json.loads(baseline.read_text(encoding="utf-8"))
    assert data["from_run"] == "20261120T021700Z-01234567" and data["suite"] == "standard"
    assert all(set(r) <= set(BASELINE_FIELDS) for r in data["records"])
    assert _cli(monkeypatch, capsys, "compare", SAME, "--results", str(results))[0] == 0
    code, output = _cli(monkeypatch, capsys, "compare", DEGRADED, "--results", str(results))
    assert code == 1 and "REGRESSION" in output


def test_missing_baseline_says_how_to_create_one(results: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _cli(monkeypatch, capsys, "compare", SAME, "--results", str(results))
    assert code == 2
    assert "no baseline at" in output and "frugal-bench compare --save-baseline 20261121T021700Z-89abcdef" in output
    assert "Traceback" not in output


def test_tolerances_are_configurable(results: Path) -> None:
    reference, candidate = load_side(BASE, results), load_side(DEGRADED, results)
    loose = Tolerances(quality_points=10, latency=1.0, energy=1.0)
    left = compare(reference, candidate, loose).regressions
    assert [c.what for c in left] == ["recommended (energy)"]  # a changed recommendation is never tolerated
    strict_task = Tolerances(quality_points=10, per_task_quality={"classify_mail": 1.0}, latency=1.0, energy=1.0)
    assert {c.what for c in compare(reference, candidate, strict_task).regressions} == {
        "macro_f1", "accuracy", "recommended (energy)"}
    # Noise of the unchanged run stays inside the defaults, including sub-millisecond latency jitter.
    assert not compare(reference, load_side(SAME, results)).regressions


def test_costs_are_only_compared_on_the_same_machine(results: Path) -> None:
    manifest_path = results / DEGRADED / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["hardware"]["cpu_model"] = "AMD EPYC 7763 64-Core Processor"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = compare(load_side(BASE, results), load_side(DEGRADED, results))
    assert not result.costs_compared and any("cpu_model differs" in n for n in result.notes)
    assert {c.what for c in result.regressions} == {"macro_f1", "accuracy", "recommended (energy)"}
    forced = compare(load_side(BASE, results), load_side(DEGRADED, results), costs="always")
    assert any(c.what == "latency p95" for c in forced.regressions)


def test_a_failed_or_missing_cell_is_a_regression(results: Path) -> None:
    path = results / SAME / "records.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows[1].update(status="failed", error="memory cap exceeded: resident memory reached 2100 MB, cap 2000 MB")
    del rows[2]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    regressions = compare(load_side(BASE, results), load_side(SAME, results)).regressions
    assert [(c.model, c.what, c.candidate) for c in regressions if c.what in ("status", "cell")] == [
        ("e5-small-q4", "status", "failed"), ("regex-rules", "cell", "missing")]
    assert "memory cap exceeded" in next(c.change for c in regressions if c.what == "status")


def test_save_baseline_refuses_an_incomplete_run(results: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = results / SAME / "records.jsonl"
    path.write_text(path.read_text(encoding="utf-8").splitlines(keepends=True)[0], encoding="utf-8")
    code, output = _cli(monkeypatch, capsys, "compare", "--save-baseline", SAME, "--results", str(results))
    assert code == 2 and "incomplete" in output and f"frugal-bench run --resume {SAME}" in output


# ---------------------------------------------------------------- pytest-benchmark format

@pytest.mark.parametrize("n", [1, 2, 7, 10, 13, 100, 1001])
def test_timing_stats_are_pytest_benchmarks_own(n: int) -> None:
    from pytest_benchmark.stats import Stats

    rng = random.Random(n)
    durations = [int(rng.lognormvariate(11, 0.4)) for _ in range(n)]
    theirs = Stats()  # type: ignore[no-untyped-call]
    for d in durations:
        theirs.update(d / 1e9)  # type: ignore[no-untyped-call]
    ours = stats_from_ns(durations)
    for name in Stats.fields:
        expected, got = getattr(theirs, name), ours[name]
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-15) if not isinstance(expected, str) else \
            got == expected, name
    assert ours["median"] == statistics.median(d / 1e9 for d in durations)


def test_benchmark_json_is_read_by_pytest_benchmark(results: Path) -> None:
    run_dir = results / SAME
    path = run_dir / "records.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["timing_s"] = stats_from_ns([int(row["latency_p50_ms"] * 1e6 * f) for f in (0.9, 1.0, 1.0, 1.1, 1.6)])
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    written = write_benchmark_json(run_dir)
    document = json.loads(written.read_text(encoding="utf-8"))
    assert {"machine_info", "commit_info", "benchmarks", "datetime", "version"} <= set(document)
    assert [b["name"] for b in document["benchmarks"]] == [r["cell_id"] for r in rows]
    done = subprocess.run([sys.executable, "-m", "pytest_benchmark", "compare", str(written)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "classify_mail__tfidf-logreg" in done.stdout and "benchmark 'extract_forms'" in done.stdout


# ---------------------------------------------------------------- the nightly session, end to end

class NoxFailed(Exception):
    pass


class FakeSession:
    """Runs a nox session's commands in-process: `frugal-bench ...` through the real entry point."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.posargs: list[str] = []
        self.monkeypatch, self.capsys = monkeypatch, capsys
        self.outputs: list[str] = []

    def install(self, *args: Any) -> None:
        pass

    def run(self, *args: str, success_codes: tuple[int, ...] | list[int] = (0,)) -> None:
        assert args[0] == "frugal-bench"
        code, output = _cli(self.monkeypatch, self.capsys, *args[1:])
        self.outputs.append(output)
        if code not in success_codes:
            raise NoxFailed(f"exit {code}: {output}")


def _nightly() -> Any:
    spec = importlib.util.spec_from_file_location("frugal_noxfile", REPO / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.nightly


def test_nightly_session_passes_an_unchanged_tree_and_fails_a_degraded_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    nightly = _nightly()
    root = write_workspace(tmp_path, [trained_model()], suite="standard")
    monkeypatch.chdir(root)

    # No baseline yet: the run is kept, and the failure says how to create the baseline.
    session = FakeSession(monkeypatch, capsys)
    with pytest.raises(NoxFailed, match=r"(?s)exit 2: .*frugal-bench compare --save-baseline"):
        nightly(session)
    assert len(faultkit.records(Path("results/latest"))) == 1
    assert _cli(monkeypatch, capsys, "compare", "--save-baseline")[0] == 0
    assert Path("results/baselines/standard.json").is_file()

    nightly(FakeSession(monkeypatch, capsys))  # unchanged tree: within tolerance, exit 0

    # A change that degrades the task: the training labels get shuffled between services.
    train = root / "tasks" / TASK / "data" / "train.jsonl"
    rows = [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines()]
    swap = {"caf": "impots", "impots": "mairie", "mairie": "caf"}
    train.write_text("".join(json.dumps({**r, "label": swap[r["label"]]}) + "\n" for r in rows), encoding="utf-8")
    session = FakeSession(monkeypatch, capsys)
    with pytest.raises(NoxFailed) as failure:
        nightly(session)
    message = str(failure.value)
    assert message.startswith("exit 1")
    assert "REGRESSION" in message and "macro_f1" in message and "tfidf-logreg" in message
    assert "its data changed since the reference" in message


def test_nightly_session_compares_a_run_whose_cells_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`run` exits 3 when a cell failed; the nightly still compares, and only a new failure fails it."""
    nightly = _nightly()
    root = write_workspace(tmp_path, [trained_model(), fault_model("broken", fault="raise")], suite="standard")
    monkeypatch.chdir(root)
    assert _cli(monkeypatch, capsys, "run", "--suite", "standard", "--threads", "1")[0] == 3
    assert _cli(monkeypatch, capsys, "compare", "--save-baseline")[0] == 0  # the failure is known and recorded
    session = FakeSession(monkeypatch, capsys)
    nightly(session)  # the run exits 3, the comparison passes: the same cell failed in the baseline
    assert "1 of 2 cells failed" in session.outputs[1] and "no regression" in session.outputs[2]
