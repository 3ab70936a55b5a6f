"""Deterministic shards: disjoint slices whose union is the plan, stable under reordering, balanced on cost."""

from __future__ import annotations

import json
import random
import signal
import sys
from pathlib import Path
from typing import Any

import faultkit
import pytest
import yaml
from faultkit import TASK, fault_model, trained_model, write_workspace
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import bench.cli
from bench.run.plan import Cell, load_models, load_tasks, plan_cells
from bench.run.runner import RunInterrupted, RunSettings
from bench.run.shard import (
    RUNTIME_COST_S,
    cell_costs,
    check_resume,
    estimate_s,
    parse_shard,
    partition,
    plan_shard,
)
from bench.spec.config import SuiteSpec
from bench.spec.errors import BenchError


def _settings(test_items: int | None = 12) -> RunSettings:
    return RunSettings(suite="quick", items={"train": None, "test": test_items}, min_energy_window_s=0.2,
                       warmup_requests=1, cell_timeout_s=60, threads=1)


def _plan(root: Path) -> list[Cell]:
    return plan_cells(load_models(root / "models.yaml"), load_tasks(root / "tasks"), SuiteSpec(description="t"))


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    monkeypatch.setattr(bench.cli, "console", Console(width=250, no_color=True))
    monkeypatch.setattr(sys, "argv", ["frugal-bench", *args])
    try:
        bench.cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


def test_shard_syntax_is_checked() -> None:
    assert parse_shard("0/4").label == "0/4" and parse_shard(" 3 / 4 ").index == 3
    for bad, reason in (("4/4", "between 0 and 3"), ("1/0", "at least 1"), ("1-4", "expected K/N"),
                        ("-1/4", "expected K/N"), ("a/b", "expected K/N")):
        with pytest.raises(BenchError, match=reason):
            parse_shard(bad)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=8), st.floats(0.1, 5000), min_size=1, max_size=40),
       st.integers(1, 7), st.randoms(use_true_random=False))
def test_slices_are_disjoint_cover_the_plan_and_ignore_order(costs: dict[str, float], count: int,
                                                            rng: random.Random) -> None:
    slices = partition(costs, count)
    assert len(slices) == count
    flat = [c for s in slices for c in s]
    assert sorted(flat) == sorted(costs) and len(flat) == len(set(flat))
    shuffled = list(costs.items())
    rng.shuffle(shuffled)
    assert partition(dict(shuffled), count) == slices
    loads = [sum(costs[c] for c in s) for s in slices]
    assert max(loads) - min(loads) <= max(costs.values()) + 1e-6  # greedy on the least loaded slice


def test_shards_are_stable_under_reordering_of_models_yaml(tmp_path: Path) -> None:
    models = [trained_model(), *(fault_model(name) for name in ("one", "two", "three", "four"))]
    first = write_workspace(tmp_path / "a", [dict(m) for m in models])
    second = write_workspace(tmp_path / "b", [dict(m) for m in reversed(models)])
    for count in (1, 2, 3, 5, 8):
        slices = [{c.id for c in plan_shard(_plan(root), f"{k}/{count}", _settings(), root / "results", None).cells}
                  for root in (first, second) for k in range(count)]
        assert slices[:count] == slices[count:]
        assert set().union(*slices[:count]) == {c.id for c in _plan(first)}
        assert sum(len(s) for s in slices[:count]) == len(models)


def test_costs_come_from_item_counts_and_runtime_then_from_known_durations(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, [trained_model(), fault_model("one"), fault_model("two")])
    cells = _plan(root)
    by_id = {c.id: c for c in cells}
    tfidf, one = by_id[f"{TASK}__tfidf-logreg"], by_id[f"{TASK}__one"]
    assert estimate_s(tfidf, _settings()) > estimate_s(one, _settings())  # onnxruntime loads slower than a toy
    assert estimate_s(tfidf, _settings(None)) > estimate_s(tfidf, _settings(5))  # more items, more time
    assert RUNTIME_COST_S["llamacpp"][1] > RUNTIME_COST_S["onnxruntime"][1]
    # One known duration: it is used as is, and the estimates are scaled to its seconds.
    history = {one.id: 3 * estimate_s(one, _settings())}
    costs = cell_costs(cells, _settings(), history)
    assert costs[one.id] == pytest.approx(history[one.id])
    assert costs[tfidf.id] == pytest.approx(3 * estimate_s(tfidf, _settings()))


def test_a_committed_baseline_or_a_given_run_balances_the_shards(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, [fault_model(name) for name in ("one", "two", "three", "four")])
    cells = _plan(root)
    plan = plan_shard(cells, "0/2", _settings(), root / "results", None)
    assert plan.info is not None and plan.info["costs_source"].startswith("estimate")
    baseline = root / "results" / "baselines" / "quick.json"
    baseline.parent.mkdir(parents=True)
    durations = {f"{TASK}__one": 100.0, f"{TASK}__two": 60.0, f"{TASK}__three": 30.0, f"{TASK}__four": 30.0}
    baseline.write_text(json.dumps({"format": "frugal-bench-baseline", "version": 1, "records": [
        {"cell_id": cid, "wall_s": wall} for cid, wall in durations.items()]}), encoding="utf-8")
    plans = [plan_shard(cells, f"{k}/2", _settings(), root / "results", None) for k in (0, 1)]
    assert all(p.info is not None and "baseline" in p.info["costs_source"] for p in plans)
    assert [{c.model.id for c in p.cells} for p in plans] == [{"one"}, {"two", "three", "four"}]
    assert plans[0].suffix == "-shard0of2" and "about 100 s of 4 min" in plans[0].notes[0]
    with pytest.raises(BenchError, match="give --shard K/N too"):
        plan_shard(cells, None, _settings(), root / "results", str(baseline))
    with pytest.raises(BenchError, match="no run 'nope'"):
        plan_shard(cells, "0/2", _settings(), root / "results", "nope")


def test_a_resumed_shard_keeps_its_slice() -> None:
    manifest = {"run_id": "r1", "shard": {"index": 0, "count": 2}}
    check_resume(manifest, "0/2", None)
    check_resume(manifest, None, None)
    with pytest.raises(BenchError, match="run r1 is shard 0/2"):
        check_resume(manifest, "1/2", None)
    with pytest.raises(BenchError, match="is not a shard"):
        check_resume({"run_id": "r2"}, "0/2", None)
    with pytest.raises(BenchError, match="cannot change a resumed run"):
        check_resume(manifest, "0/2", "latest")


def _fake_record(cell: Cell, run_id: str) -> dict[str, Any]:
    return {"run_id": run_id, "cell_id": cell.id, "task": cell.task.name, "model_id": cell.model.id, "status": "ok",
            "attempt": cell.id, "wall_s": 0.01, "gate": {"metric": "macro_f1", "min": 0.5}, "_samples": []}


def test_shard_with_resume_through_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import bench.run.runner as runner

    root = write_workspace(tmp_path, [fault_model(name) for name in ("a", "b", "c", "d", "e")])
    monkeypatch.chdir(root)
    calls: list[str] = []

    def stopped_on_second(cell: Cell, settings: RunSettings, run_dir: Path, run_id: str) -> dict[str, Any]:
        calls.append(cell.id)
        if len(calls) == 2:
            raise RunInterrupted(signal.SIGINT)
        return _fake_record(cell, run_id)

    monkeypatch.setattr(runner, "run_one", stopped_on_second)
    code, output = _cli(monkeypatch, capsys, "run", "--threads", "1", "--shard", "0/2")
    assert code == 130, output
    run_dir = next(Path("results").glob("*-shard0of2"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    mine = manifest["shard"]["slices"][0]
    assert manifest["cells"] == [c for c in manifest["shard"]["plan"] if c in mine] and len(mine) == 3
    assert [r["cell_id"] for r in faultkit.records(run_dir)] == calls[:1]

    code, output = _cli(monkeypatch, capsys, "run", "--resume", "latest", "--shard", "1/2")
    assert code == 2 and f"run {run_dir.name} is shard 0/2" in output
    monkeypatch.setattr(runner, "run_one", lambda cell, settings, run_dir, run_id: _fake_record(cell, run_id))
    code, output = _cli(monkeypatch, capsys, "run", "--resume", "latest", "--shard", "0/2")
    assert code == 0, output
    assert sorted(r["cell_id"] for r in faultkit.records(run_dir)) == sorted(mine)


def test_more_shards_than_cells_leaves_an_empty_shard_that_still_records_its_plan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_workspace(tmp_path, [fault_model("a"), fault_model("b")])
    monkeypatch.chdir(root)
    code, output = _cli(monkeypatch, capsys, "run", "--threads", "1", "--shard", "2/3")
    assert code == 0, output
    assert "shard 2/3: 0 of 2 cells" in output
    manifest = json.loads(next(Path("results").glob("*-shard2of3/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["cells"] == [] and len(manifest["shard"]["plan"]) == 2


def test_bad_shard_is_refused_before_anything_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = write_workspace(tmp_path, [fault_model("a")])
    monkeypatch.chdir(root)
    code, output = _cli(monkeypatch, capsys, "run", "--shard", "2/2")
    assert code == 2 and "--shard '2/2': K must be between 0 and 1" in output
    assert not Path("results").exists() or not any(Path("results").iterdir())
    assert yaml.safe_load((root / "models.yaml").read_text(encoding="utf-8"))["models"][0]["id"] == "a"
