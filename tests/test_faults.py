"""Fault injection: a run survives bad models and kills without losing or duplicating a record.

Cells run on the fault runtime (bench/runtimes/fault.py), which raises, crashes, eats memory, hangs,
misses its weights or calls the internet on request; the rest of the run must go on and say why.
Bad input and the other hostile conditions are catalogued in tests/hostile/.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import faultkit
import psutil
import pytest
import tiny
from faultkit import TASK, TEST_ITEMS, fault_model, write_workspace

from bench.run.plan import Cell, load_models, load_tasks, plan_cells
from bench.run.runner import RunSettings, commit, reconcile, run_cells
from bench.spec.config import SuiteSpec

REPO = Path(__file__).resolve().parents[1]


def _cells(root: Path) -> list[Cell]:
    return plan_cells(load_models(root / "models.yaml"), load_tasks(root / "tasks"), SuiteSpec(description="t"))


def _settings(root: Path, *, timeout_s: float = 60, memory_cap_mb: float | None = None) -> RunSettings:
    return RunSettings(suite="quick", items={"train": None, "test": TEST_ITEMS}, min_energy_window_s=0.2,
                       warmup_requests=1, cell_timeout_s=timeout_s, threads=1, models_dir=root,
                       memory_cap_mb=memory_cap_mb)


def _run_dir(root: Path) -> Path:
    run_dir = root / "results" / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": "run", "settings": {"suite": "quick"},
                                                       "hardware": {}, "tasks": {}, "models": {}}), encoding="utf-8")
    return run_dir


# ---------------------------------------------------------------- a failing cell fails alone

CAP_MB = 600


def test_each_failing_cell_is_recorded_with_its_reason_and_the_run_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hub-cache"))  # nothing cached: the hub must be asked
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "model.onnx").write_bytes(b"this is not an ONNX model")
    models = [
        fault_model("raises", fault="raise"),
        fault_model("segfaults", fault="segfault"),
        fault_model("eats-memory", fault="oom"),
        fault_model("misses-weights", fault="no_weights"),
        fault_model("calls-internet", fault="network"),
        {"id": "corrupt-onnx", "family": "onnx", "runtime": "onnxruntime", "source": {"path": str(corrupt)},
         "files": {"model.onnx": tiny.sha256(corrupt / "model.onnx")}, "licence": "MIT",
         "tasks": {TASK: "embedding_head"}},
        {"id": "hub-offline", "family": "hub", "runtime": "fault",
         "source": {"hub": "frugal-bench-tests/not-in-the-cache"}, "licence": "MIT", "tasks": {TASK: "embedding_head"},
         "options": {"fault": "none"}},
        # Healthy, though it maps 4 GB of address space: the cap is on resident memory, not on reservations.
        fault_model("healthy", reserve_mb=4096),
    ]
    root = write_workspace(tmp_path, models)
    run_dir = _run_dir(root)
    cells = _cells(root)
    run_cells(cells, _settings(root, memory_cap_mb=CAP_MB), run_dir, "run")

    hang_root = write_workspace(tmp_path / "hang", [fault_model("hangs", fault="hang")])
    run_cells(_cells(hang_root), _settings(hang_root, timeout_s=1.5), run_dir, "run")

    by_model = {r["model_id"]: r for r in faultkit.records(run_dir)}
    assert len(by_model) == len(faultkit.records(run_dir)) == len(models) + 1
    assert by_model["healthy"]["status"] == "ok", by_model["healthy"].get("error")
    assert by_model["healthy"]["n_samples"] == TEST_ITEMS
    expected = {
        "raises": "RuntimeError: injected fault",
        "segfaults": "killed by signal 11 (SIGSEGV",
        "eats-memory": "memory cap exceeded: resident memory reached",
        "misses-weights": "FileNotFoundError",
        "calls-internet": "NetworkBlocked",
        "corrupt-onnx": "onnx",
        "hub-offline": "offline",
        "hangs": "timeout: cell exceeded its 1.5 s limit",
    }
    for model_id, reason in expected.items():
        record = by_model[model_id]
        assert record["status"] == "failed", model_id
        assert reason.lower() in record["error"].lower(), (model_id, record["error"])
    # The crash report points at the native fault, from the cell's own faulthandler output.
    assert any("fault.py" in line for line in by_model["segfaults"]["log_tail"])
    assert by_model["eats-memory"]["peak_rss_process_mb"] >= CAP_MB
    assert by_model["hangs"]["wall_s"] < 1.5 + 3
    for model_id in ("calls-internet", "hub-offline"):  # refused at once, no network timeout
        assert by_model[model_id]["wall_s"] < 15, model_id
    # Only the healthy cell's samples were committed.
    assert {s["cell_id"] for s in faultkit.samples(run_dir)} == {f"{TASK}__healthy"}
    assert len(faultkit.samples(run_dir)) == TEST_ITEMS

    from bench.report import build_report
    from bench.run.results import read_records, write_summary

    summary = write_summary(run_dir, read_records(run_dir)).read_text(encoding="utf-8")
    report = build_report(run_dir).read_text(encoding="utf-8")
    for model_id in expected:
        assert f"{TASK}__{model_id}" in summary or model_id in summary
        assert model_id in report, model_id
    assert "timeout" in report and "memory cap exceeded" in report


def test_a_child_killed_from_outside_is_recorded_and_the_next_cell_runs(tmp_path: Path) -> None:
    hold = tmp_path / "never"
    root = write_workspace(tmp_path, [fault_model("held", hold_file=str(hold)), fault_model("next", fault="raise")])
    run_dir = _run_dir(root)
    pid_file = run_dir / "cells" / f"{TASK}__held" / "child.json"

    def kill_child() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(json.loads(pid_file.read_text(encoding="utf-8"))["pid"], signal.SIGKILL)
                return
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)

    killer = threading.Thread(target=kill_child)
    killer.start()
    run_cells(_cells(root), _settings(root), run_dir, "run")
    killer.join()
    held, following = faultkit.records(run_dir)
    assert held["status"] == "failed" and "signal 9 (SIGKILL" in held["error"]
    assert following["model_id"] == "next" and following["status"] == "failed"


def test_a_stale_result_of_an_interrupted_attempt_is_never_reused(tmp_path: Path) -> None:
    root = write_workspace(tmp_path, [fault_model("crashes", fault="segfault")])
    run_dir = _run_dir(root)
    work = run_dir / "cells" / f"{TASK}__crashes"
    work.mkdir(parents=True)
    (work / "result.json").write_text(json.dumps({"status": "ok", "quality": {}}), encoding="utf-8")
    run_cells(_cells(root), _settings(root), run_dir, "run")
    [record] = faultkit.records(run_dir)
    assert record["status"] == "failed" and "SIGSEGV" in record["error"]


# ---------------------------------------------------------------- the record is the commit point

def _fake_record(cell_id: str, attempt: str, n: int) -> dict[str, Any]:
    return {"cell_id": cell_id, "task": TASK, "model_id": cell_id, "status": "ok", "attempt": attempt,
            "_samples": [{"cell_id": cell_id, "attempt": attempt, "item_id": f"i{k}"} for k in range(n)]}


def test_samples_without_their_record_are_dropped_and_torn_tails_cut(tmp_path: Path) -> None:
    run_dir = tmp_path
    commit(run_dir, _fake_record("a", "first", 3))
    # Killed after the samples of cell b were written, before its record: b is not done.
    record_b = _fake_record("b", "killed", 3)
    from bench.run.runner import append_block

    append_block(run_dir / "samples.jsonl", record_b["_samples"])
    with (run_dir / "records.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"cell_id": "c", "status": "o')  # a torn record (a writer killed mid-line)
    with (run_dir / "samples.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"cell_id": "b", "attem')
    assert reconcile(run_dir) == 3
    assert (run_dir / "records.jsonl").read_bytes().endswith(b"\n")
    commit(run_dir, _fake_record("b", "second", 3))  # the re-run of b
    records = faultkit.records(run_dir)
    assert [r["cell_id"] for r in records] == ["a", "b"]
    rows = faultkit.samples(run_dir)
    assert [(s["cell_id"], s["attempt"]) for s in rows] == [("a", "first")] * 3 + [("b", "second")] * 3
    assert reconcile(run_dir) == 0  # consistent now: nothing more to drop


def test_resume_skips_recorded_cells_and_commits_each_cell_once(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.run.runner as runner

    root = write_workspace(tmp_path, [fault_model("one"), fault_model("two"), fault_model("three")])
    run_dir = _run_dir(root)
    calls: list[str] = []

    def fake_run_one(cell: Cell, settings: RunSettings, run_dir: Path, run_id: str) -> dict[str, Any]:
        calls.append(cell.id)
        if cell.model.id == "two" and calls.count(cell.id) == 1:
            commit_real(run_dir, _fake_record(cell.id, "lost", 2), crash=True)
        return _fake_record(cell.id, f"{cell.id}-{len(calls)}", 2)

    def commit_real(run_dir: Path, record: dict[str, Any], crash: bool = False) -> None:
        runner.append_block(run_dir / "samples.jsonl", record.pop("_samples"))
        if crash:  # killed between the samples and the record
            raise SystemExit("killed")

    monkeypatch.setattr(runner, "run_one", fake_run_one)
    with pytest.raises(SystemExit):
        run_cells(_cells(root), _settings(root), run_dir, "run")
    assert [r["cell_id"] for r in faultkit.records(run_dir)] == [f"{TASK}__one"]
    run_cells(_cells(root), _settings(root), run_dir, "run")
    assert calls == [f"{TASK}__one", f"{TASK}__two", f"{TASK}__two", f"{TASK}__three"]
    records = faultkit.records(run_dir)
    assert [r["cell_id"] for r in records] == [f"{TASK}__one", f"{TASK}__two", f"{TASK}__three"]
    committed = {(r["cell_id"], r["attempt"]) for r in records}
    rows = faultkit.samples(run_dir)
    assert len(rows) == 6 and all((s["cell_id"], s["attempt"]) in committed for s in rows)


# ---------------------------------------------------------------- the runner killed mid-way

def _cli(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bench", "run", "--threads", "1", *args], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "250"})


def _wait_for_child(pid_file: Path, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            return int(json.loads(pid_file.read_text(encoding="utf-8"))["pid"])
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
    raise AssertionError(f"no cell started ({pid_file})")


def _gone(pid: int, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_sigint_sigterm_and_kill_9_then_resume_finishes_only_the_missing_cells(tmp_path: Path) -> None:
    release = tmp_path / "release"
    root = write_workspace(tmp_path, [fault_model("first"), fault_model("held", hold_file=str(release))])
    children: list[int] = []

    def held_child(run: Path) -> int:
        children.append(_wait_for_child(run / "cells" / f"{TASK}__held" / "child.json"))
        return children[-1]

    try:
        # 1. Ctrl-C while the second cell runs: clean stop, the cell's group killed, how to resume printed.
        process = _cli(root, "--suite", "quick")
        deadline = time.monotonic() + 60
        while not list((root / "results").glob(f"2*/cells/{TASK}__held/child.json")):
            assert time.monotonic() < deadline and process.poll() is None, "the held cell never started"
            time.sleep(0.05)
        run_dir = next((root / "results").glob("2*"))
        child = held_child(run_dir)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 130, output
        assert "stopped by SIGINT" in output and f"frugal-bench run --resume {run_dir.name}" in output
        assert _gone(child)
        first = faultkit.records(run_dir)
        assert [r["model_id"] for r in first] == ["first"]

        # 2. SIGTERM of a resumed run, 3. kill -9 of the runner: the held cell dies with it every time.
        for how in (signal.SIGTERM, signal.SIGKILL):
            (run_dir / "cells" / f"{TASK}__held" / "child.json").unlink(missing_ok=True)
            process = _cli(root, "--resume", run_dir.name)
            child = held_child(run_dir)
            process.send_signal(how)
            output, _ = process.communicate(timeout=30)
            assert process.returncode == (143 if how == signal.SIGTERM else -9), output
            assert _gone(child), f"cell left running after {how.name} of the runner"
            assert [r["model_id"] for r in faultkit.records(run_dir)] == ["first"]

        # 4. The last resume finishes the missing cell only: each cell recorded once, its samples once.
        release.touch()
        process = _cli(root, "--resume", "latest")
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output
        records = faultkit.records(run_dir)
        assert [r["model_id"] for r in records] == ["first", "held"]
        assert records[0] == first[0]  # untouched by the resumes
        assert all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
        rows = faultkit.samples(run_dir)
        assert len(rows) == len({(s["cell_id"], s["item_id"]) for s in rows}) == 2 * TEST_ITEMS
        assert (run_dir / "benchmark.json").is_file()
    finally:
        release.touch()
        for pid in children:  # only if an assertion failed: leave nothing running
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


# ---------------------------------------------------------------- safety

def test_no_remote_code_no_unpickling_no_unsafe_yaml_in_the_harness() -> None:
    """Static guard over bench/: what would execute code shipped with a model or a data file."""
    unpicklers = {("pickle", "load"), ("pickle", "loads"), ("joblib", "load"), ("dill", "load"), ("dill", "loads"),
                  ("cloudpickle", "load"), ("cloudpickle", "loads"), ("pd", "read_pickle"), ("pandas", "read_pickle"),
                  ("yaml", "load"), ("yaml", "unsafe_load"), ("yaml", "full_load"), ("yaml", "load_all")}
    problems = []
    for path in sorted((REPO / "bench").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(REPO)}:{node.lineno}"
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("eval", "exec"):
                problems.append(f"{where}: {func.id}()")
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if (func.value.id, func.attr) in unpicklers:
                    problems.append(f"{where}: {func.value.id}.{func.attr}()")
                keywords = {k.arg: k.value for k in node.keywords}
                weights_only = keywords.get("weights_only")
                if func.value.id == "torch" and func.attr == "load" and not (
                        isinstance(weights_only, ast.Constant) and weights_only.value is True):
                    problems.append(f"{where}: torch.load without weights_only=True")
                allow = keywords.get("allow_pickle")
                if func.attr == "load" and isinstance(allow, ast.Constant) and allow.value:
                    problems.append(f"{where}: load(allow_pickle=True)")
            for keyword in node.keywords:
                if keyword.arg == "trust_remote_code" and not (
                        isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    problems.append(f"{where}: trust_remote_code is not literally False")
    assert not problems, problems


def test_offline_guard_fails_fast_for_sockets_dns_http_and_the_hub(tmp_path: Path) -> None:
    script = f"""
import socket, time, urllib.request
from bench.run.offline import NetworkBlocked, enforce_offline
enforce_offline()
def attempt(name, call):
    t0 = time.monotonic()
    try:
        call()
        outcome = "CONNECTED"
    except NetworkBlocked as exc:
        outcome = "blocked"
    except Exception as exc:
        outcome = type(exc).__name__
    print(name, outcome, round(time.monotonic() - t0, 2))
attempt("connect", lambda: socket.socket().connect(("93.184.215.14", 80)))
attempt("connect_ex", lambda: socket.socket().connect_ex(("93.184.215.14", 80)))
attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("9.9.9.9", 53)))
attempt("dns", lambda: socket.getaddrinfo("example.org", 443))
attempt("gethostbyname", lambda: socket.gethostbyname("example.org"))
attempt("http", lambda: urllib.request.urlopen("https://example.org/", timeout=60))
from huggingface_hub import hf_hub_download
attempt("hub", lambda: hf_hub_download("intfloat/multilingual-e5-small", "config.json", cache_dir={str(tmp_path)!r}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO,
                          env={**os.environ, "HF_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    results = {name: (outcome, float(seconds)) for name, outcome, seconds in
               (line.split() for line in done.stdout.splitlines())}
    for name in ("connect", "connect_ex", "udp", "dns", "gethostbyname", "http"):
        assert results[name][0] == "blocked", results
    assert results["hub"][0] != "CONNECTED", results
    assert all(seconds < 5 for _, seconds in results.values()), results
