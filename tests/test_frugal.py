"""Frugal evaluation end to end on tiny models: probes, early stops, "not needed", resume, footprint."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiny
from test_pipeline import _run
from typer.testing import CliRunner

from bench.cli import app
from bench.decide.rank import rank_records
from bench.report.i18n import loss_text
from bench.run.frugal import PROBES, gate_verdict
from bench.run.frugalcell import score_sequentially
from bench.run.record import FrugalJob
from bench.spec.errors import BenchError
from bench.spec.tasks import load_task


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    tasks = tmp_path / "tasks"
    tiny.write_task(tasks, min_f1=0.05)  # a gate every candidate clears: the costlier one is not needed
    tiny.write_suites(tasks, test_items=12)
    files = tiny.build_tiny_encoder(tmp_path / "encoder")
    tiny.write_models(tmp_path / "models.yaml", tmp_path / "encoder", files=files)
    with contextlib.chdir(tmp_path):
        yield tmp_path


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_frugal_run_probes_then_skips_the_costlier_candidate_and_reports_its_footprint(workspace: Path) -> None:
    output = _run("run", "--suite", "quick", "--threads", "1", "--frugal", "--probe-items", "3")
    run_dir = (workspace / "results" / "latest").resolve()
    probes = _lines(run_dir / PROBES)
    assert {p["model_id"] for p in probes} == {"tfidf-logreg", "tiny-encoder"}
    assert all(p["status"] == "ok" and p["energy_wh_per_1000_requests"] is not None for p in probes)
    records = {r["model_id"]: r for r in _lines(run_dir / "records.jsonl")}
    [skipped] = [r for r in records.values() if r.get("not_needed")]
    [scored] = [r for r in records.values() if not r.get("not_needed")]
    # The cheaper candidate by its probe was scored and passes; the other kept its costs and no quality.
    cheaper = min(probes, key=lambda p: p["energy_wh_per_1000_requests"])["model_id"]
    assert scored["model_id"] == cheaper and gate_verdict(scored) == "pass"
    assert skipped["not_needed"]["reason"] == f"not needed: costlier than {cheaper}, which passes"
    assert skipped["quality_sets"] == {} and skipped["latency_p95_ms"] > 0 and skipped["peak_rss_mb"] > 0
    assert skipped["sequential"]["items_scored"] == 0 and skipped["sequential"]["items_total"] == 12
    # Records say how many items were scored and why scoring stopped.
    assert scored["sequential"]["sets"]["test"] == {"scored": 12, "items": 12, "stop": "every item scored"}
    assert scored["footprint"]["probe_cpu_s"] > 0 and scored["footprint"]["quality_cpu_s"] > 0
    # A tiny model answers its 12 items well within the 0.3 s window: the probe's window went through the
    # whole test set, as a full run's does, and its answers are the quality pass's: not asked again, not kept.
    probe = next(p for p in probes if p["model_id"] == cheaper)
    assert len(probe["probe_predictions"]) == 12 and scored["sequential"]["items_from_probe"] == 12
    assert probe["requests_measured"] > 12  # whole passes repeated until the window was long enough
    assert "probe_predictions" not in scored and "probe_predictions" not in skipped
    samples = [s for s in _lines(run_dir / "samples.jsonl") if s["cell_id"] == scored["cell_id"]]
    assert {s["item_id"]: s["prediction"] for s in samples} == probe["probe_predictions"]
    # Rank: a recommendation, and the other candidate is "not needed", neither a pass nor a failure.
    [ranking] = rank_records(list(records.values()))
    assert ranking.recommended == cheaper
    assert ranking.verdicts()[skipped["model_id"]] == "not_needed"
    assert ranking.closest is None and not ranking.models_with("failed")
    assert "costlier than" in loss_text(ranking.losses[skipped["model_id"]], ranking, "en")
    # The benchmark's own footprint: CPU of every cell (probes included) and of the runner, and the saving.
    footprint = json.loads((run_dir / "footprint.json").read_text(encoding="utf-8"))
    cells_cpu = sum(r["cpu_user_s"] + r["cpu_system_s"] for r in records.values())
    assert footprint["cells_cpu_s"] == pytest.approx(cells_cpu)
    assert footprint["runner_cpu_s"] > 0
    assert footprint["total_cpu_s"] == pytest.approx(cells_cpu + footprint["runner_cpu_s"])
    assert footprint["energy_wh_estimate"] > 0 and footprint["frugal"] is True
    assert footprint["items_scored"] == 12 and footprint["items_full_evaluation"] == 24
    assert footprint["saved_cpu_s_estimate"] == pytest.approx(skipped["sequential"]["cpu_s_saved_estimate"])
    assert 0 < footprint["saved_share_estimate"] < 1
    # The probe's process scored the quality too: no second process loaded and fitted the model.
    assert scored["probe_process_kept"] is True
    assert (run_dir / "cells" / f"{scored['cell_id']}.probe").is_dir()
    assert not (run_dir / "cells" / scored["cell_id"]).exists()
    assert not _cells_alive(run_dir)
    assert "benchmark footprint" in output and "(estimate)" in output
    report = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "pas nécessaire" in report


def _cells_alive(run_dir: Path) -> list[int]:
    """Processes still running a cell of this run (a kept probe must never outlive its run)."""
    import psutil

    alive = []
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(str(run_dir) in part for part in process.info["cmdline"] or []):
                alive.append(process.pid)
    return alive


def test_without_memory_to_spare_the_probe_ends_and_the_quality_pass_loads_the_model_again(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.run import heldcell

    monkeypatch.setattr(heldcell, "MIN_FREE_FRACTION", 2.0)  # never enough: no probe is kept
    _run("run", "--suite", "quick", "--threads", "1", "--frugal", "--score-all", "--probe-items", "3")
    run_dir = (workspace / "results" / "latest").resolve()
    records = _lines(run_dir / "records.jsonl")
    assert len(records) == 2 and not any(r.get("probe_process_kept") for r in records)
    for record in records:  # a second process per candidate, with the same answers as a kept probe gives
        assert (run_dir / "cells" / record["cell_id"]).is_dir()
        assert record["sequential"]["items_from_probe"] == 12
        assert record["quality_sets"]["test"]["macro_f1"]["n"] == 12
    assert not _cells_alive(run_dir)


def test_score_all_scores_the_costlier_candidate_too(workspace: Path) -> None:
    _run("run", "--suite", "quick", "--threads", "1", "--frugal", "--score-all", "--probe-items", "3")
    records = _lines((workspace / "results" / "latest").resolve() / "records.jsonl")
    assert len(records) == 2 and not any(r.get("not_needed") for r in records)
    assert all(r["quality_sets"]["test"]["macro_f1"]["n"] == 12 for r in records)
    assert all(r["probe_process_kept"] for r in records)


def test_a_full_run_reports_its_footprint_without_savings(workspace: Path) -> None:
    _run("run", "--suite", "quick", "--threads", "1")
    footprint = json.loads(((workspace / "results" / "latest").resolve() / "footprint.json").read_text("utf-8"))
    assert footprint["frugal"] is False and footprint["saved_cpu_s_estimate"] == 0
    assert footprint["items_scored"] == footprint["items_full_evaluation"] == 24


def test_resume_of_a_frugal_run_reuses_its_probes_and_finishes_the_missing_cells(workspace: Path) -> None:
    _run("run", "--suite", "quick", "--threads", "1", "--frugal", "--probe-items", "3")
    run_dir = (workspace / "results" / "latest").resolve()
    records = (run_dir / "records.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    # As if killed after the first record: the second cell (and its samples) were never committed.
    (run_dir / "records.jsonl").write_text(records[0], encoding="utf-8")
    probes_before = (run_dir / PROBES).read_text(encoding="utf-8")
    output = _run("run", "--resume", "latest")
    assert "resuming" in output
    assert (run_dir / PROBES).read_text(encoding="utf-8") == probes_before  # no probe ran again
    after = _lines(run_dir / "records.jsonl")
    assert [r["cell_id"] for r in after[:1]] == [json.loads(records[0])["cell_id"]]
    assert len(after) == 2 and sum(bool(r.get("not_needed")) for r in after) == 1
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["frugal"]["probe_items"] == 3
    footprint = json.loads((run_dir / "footprint.json").read_text(encoding="utf-8"))
    assert len(footprint["runner_cpu_s_by_invocation"]) == 2


def test_a_suite_frugal_by_default_runs_frugal_unless_full_evaluation_is_asked(workspace: Path) -> None:
    suites = workspace / "tasks" / "suites.yaml"
    suites.write_text(suites.read_text(encoding="utf-8") + "    frugal: true\n", encoding="utf-8")
    output = _run("run", "--suite", "quick", "--threads", "1")
    frugal_run = (workspace / "results" / "latest").resolve()
    assert "frugal evaluation (the suite's default" in output
    assert json.loads((frugal_run / "manifest.json").read_text("utf-8"))["settings"]["frugal"]["level"] == 0.95
    assert (frugal_run / PROBES).is_file()
    _run("run", "--suite", "quick", "--threads", "1", "--full-evaluation")
    full_run = (workspace / "results" / "latest").resolve()
    assert full_run != frugal_run and not (full_run / PROBES).exists()
    assert json.loads((full_run / "manifest.json").read_text("utf-8"))["settings"]["frugal"] is None
    assert all(r["quality_sets"]["test"]["macro_f1"]["n"] == 12 for r in _lines(full_run / "records.jsonl"))


def test_the_suites_frugal_default_gives_way_where_an_explicit_frugal_is_refused() -> None:
    from bench.run.frugal import chosen

    assert chosen(None, True, False, ("single",))[0] is True
    assert chosen(None, False, False, ("single",)) == (False, "")
    assert chosen(False, True, False, ("single",)) == (False, "")  # --full-evaluation
    sharded, why = chosen(None, True, True, ("single",))
    assert sharded is False and "sharded run" in why
    both, why = chosen(None, True, False, ("single", "offline"))
    assert both is False and "single requests only" in why
    with pytest.raises(BenchError, match="cannot be combined with --shard"):
        chosen(True, False, True, ("single",))
    with pytest.raises(BenchError, match="single-request scenario"):
        chosen(True, True, False, ("offline",))


def test_frugal_cannot_be_sharded(workspace: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--suite", "quick", "--frugal", "--shard", "1/2"])
    assert isinstance(result.exception, BenchError)  # the command line's main() turns it into exit 2
    assert "cannot be combined with --shard" in str(result.exception)
    assert not (workspace / "results").exists()


# The sequential scoring of one cell, on a task gated on accuracy (a mean: the rule may stop early).


def _accuracy_task(root: Path) -> Any:
    directory = tiny.write_task(root, "long_route", n_test=400, min_f1=0.5)
    text = (directory / "task.yaml").read_text(encoding="utf-8").replace("metric: macro_f1", "metric: accuracy")
    (directory / "task.yaml").write_text(text, encoding="utf-8")
    return load_task(directory)


def _frugal(minimum: float) -> FrugalJob:
    return FrugalJob(mode="quality", level=0.95, batch=20, probe_items=10, key="energy", score_all=False,
                     gate={"metric": "accuracy", "min": minimum, "sets": {"test": minimum}})


def test_a_clearly_good_candidate_stops_early_above_the_gate(tmp_path: Path) -> None:
    task = _accuracy_task(tmp_path)
    gold = {item.text: item.target for item in task.splits["test"]}
    out = score_sequentially(task, tmp_path / "s.jsonl", _frugal(0.6), gold.__getitem__,
                             resamples=200, seed=0)
    test = out["sequential"]["sets"]["test"]
    assert test["scored"] < test["items"] == 400 and test["stop"].startswith("above the gate")
    score = out["quality_sets"]["test"]["accuracy"]
    assert score["method"] == "betting-cs" and score["ci_low"] >= 0.6 and score["n"] == test["scored"]
    assert len(_lines(tmp_path / "s.jsonl")) == test["scored"]
    assert out["sequential"]["cpu_s_saved_estimate"] >= 0


def test_a_clearly_bad_candidate_stops_early_below_the_gate(tmp_path: Path) -> None:
    task = _accuracy_task(tmp_path)
    out = score_sequentially(task, tmp_path / "s.jsonl", _frugal(0.6), lambda text: "nothing",
                             resamples=200, seed=0)
    test = out["sequential"]["sets"]["test"]
    assert test["scored"] < 100 and test["stop"].startswith("below the gate")
    assert out["quality_sets"]["test"]["accuracy"]["ci_high"] < 0.6


def test_the_probes_answers_are_not_asked_again(tmp_path: Path) -> None:
    task = _accuracy_task(tmp_path)
    first = task.splits["test"][:10]
    asked: list[str] = []

    def nothing(text: str) -> str:
        asked.append(text)
        return "nothing"

    job = _frugal(0.6).model_copy(update={"known": {item.id: item.target for item in first}})
    out = score_sequentially(task, tmp_path / "s.jsonl", job, nothing, resamples=200, seed=0)
    assert out["sequential"]["items_from_probe"] == 10
    assert len(asked) == out["sequential"]["sets"]["test"]["scored"] - 10
    assert [line["prediction"] for line in _lines(tmp_path / "s.jsonl")[:10]] == [item.target for item in first]


def test_a_set_the_probe_answered_in_full_is_scored_as_a_full_run_scores_it(tmp_path: Path) -> None:
    task = _accuracy_task(tmp_path)
    asked: list[str] = []
    job = _frugal(0.6).model_copy(update={"known": {item.id: "nothing" for item in task.splits["test"]}})
    out = score_sequentially(task, tmp_path / "s.jsonl", job, asked.append, resamples=200, seed=0)
    # Clearly below the gate, yet no stop: every answer was already paid for, so all 400 are scored with
    # the fixed-n interval, and the model is asked nothing.
    assert asked == [] and out["sequential"]["items_from_probe"] == 400
    assert out["sequential"]["sets"]["test"]["scored"] == 400
    assert out["quality_sets"]["test"]["accuracy"]["method"] == "wilson"


def test_the_first_look_comes_after_the_probes_answers(tmp_path: Path) -> None:
    task = _accuracy_task(tmp_path)
    known = {item.id: "nothing" for item in task.splits["test"][:130]}
    asked: list[str] = []

    def nothing(text: str) -> str:
        asked.append(text)
        return "nothing"

    out = score_sequentially(task, tmp_path / "s.jsonl", _frugal(0.6).model_copy(update={"known": known}),
                             nothing, resamples=200, seed=0)
    # Without the probe's answers this candidate stops after its first batches (see above); here the first
    # look is at the first batch the model was asked about (items 120-139), and it stops there.
    test = out["sequential"]["sets"]["test"]
    assert test["scored"] == 140 and test["stop"].startswith("below the gate") and len(asked) == 10


def test_a_candidate_near_its_gate_is_scored_on_every_item(tmp_path: Path) -> None:
    task = _accuracy_task(tmp_path)
    gold = {item.text: item.target for item in task.splits["test"]}
    labels = sorted({item.target for item in task.splits["test"]})
    calls = iter(range(10**6))

    def half_right(text: str) -> str:  # right on every other item: 0.5 against a gate of 0.5
        return gold[text] if next(calls) % 2 else next(label for label in labels if label != gold[text])

    out = score_sequentially(task, tmp_path / "s.jsonl", _frugal(0.5), half_right,
                             resamples=200, seed=0)
    assert out["sequential"]["sets"]["test"] == {"scored": 400, "items": 400, "stop": "every item scored"}
    assert out["quality_sets"]["test"]["accuracy"]["method"] == "wilson"  # n fixed in advance: the usual interval


def test_side_by_side_and_replay_of_a_full_run(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.tools.frugal_vs_full import main, side_by_side

    _run("run", "--suite", "quick", "--threads", "1")
    full = (workspace / "results" / "latest").resolve()
    _run("run", "--suite", "quick", "--threads", "1", "--frugal", "--probe-items", "3")
    frugal = (workspace / "results" / "latest").resolve()
    table = side_by_side(full, frugal)
    [row] = [line for line in table.splitlines() if line.startswith("mini_route")]
    assert " yes " in row  # the same recommendation
    assert f"full run {full.name}" in table and f"frugal run {frugal.name}" in table
    capsys.readouterr()
    assert main(["--full", str(full), "--frugal", str(frugal)]) == 0  # two earlier runs: nothing runs again
    assert capsys.readouterr().out.strip() == table
    assert main(["--replay", str(full)]) == 0
    replayed = capsys.readouterr().out
    assert "mini_route: full recommends" in replayed and "(same)" in replayed
    assert "not needed: costlier than" in replayed and "estimated CPU time saved" in replayed


# Records of frugal runs in rank and compare (no cell runs).


def test_a_candidate_stopped_on_a_failing_set_fails_there_and_an_unscored_set_never_passes() -> None:
    from test_test_sets import record, score

    stopped = record("stopped", score(0.95, 0.93, 0.97), score(0.5, 0.3, 0.7), energy=0.01)
    stopped["unscored_sets"] = []
    half = record("half", score(0.95, 0.93, 0.97), score(0.95, 0.93, 0.97), energy=0.02)
    del half["quality_sets"]["test_handwritten"]
    half["unscored_sets"] = ["test_handwritten"]
    [ranking] = rank_records([stopped, half])
    assert ranking.verdicts() == {"stopped": "fail", "half": "insufficient"}
    assert ranking.recommended is None
    assert ranking.row("half")["test_handwritten:verdict"] == "not scored"


def test_compare_notes_a_not_needed_candidate_instead_of_a_regression() -> None:
    from test_test_sets import record, score

    from bench.decide.compare import _quality_checks
    from bench.run.record import parse_record

    ref = record("big", score(0.95, 0.93, 0.97), score(0.93, 0.91, 0.95), energy=5.0)
    cand = {**ref, "quality": {}, "quality_sets": {}, "unscored_sets": ["test", "test_handwritten"],
            "not_needed": {"costlier_than": "rules", "reason": "not needed: costlier than rules, which passes"}}
    checks = _quality_checks("extract", "big", parse_record(ref), parse_record(cand), 2.0)
    assert [c.verdict for c in checks] == ["note", "note"]
    assert all(c.change == "not needed" for c in checks)
