"""Hostile conditions that need more than a command line: runs side by side, a full disk, a cell that
reaches for the network. Part of the same catalogue as hostile_cases.py, one test per condition.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faultkit
import pytest
from faultkit import TASK, fault_model, write_workspace
from hostile_cases import RUN, fake_run
from hostile_cli import REPO, cli, squeeze

# ---------------------------------------------------------------- runs side by side

def test_two_runs_started_in_the_same_second_get_a_folder_each(workspace: Path, no_network: list[Any],
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt
    import types

    import bench.run.results

    class SameSecond(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> SameSecond:
            return cls(2026, 1, 1, 9, 0, 0, tzinfo=dt.UTC)

    monkeypatch.setattr(bench.run.results, "dt", types.SimpleNamespace(datetime=SameSecond, UTC=dt.UTC))
    outputs = [cli(monkeypatch, capsys, RUN, workspace) for _ in range(2)]
    assert [code for code, _, _ in outputs] == [0, 0], outputs
    runs = sorted(p.name for p in (workspace / "results").glob("2026*"))
    assert len(runs) == 2 and runs[1] == runs[0] + "-2", runs
    assert (workspace / "results" / "latest").resolve().name == runs[1]


def test_concurrent_updates_of_results_latest_never_fail(tmp_path: Path) -> None:
    import threading

    from bench.run.results import point_latest

    runs = [tmp_path / f"2026010{i}T000000Z" for i in range(1, 5)]
    for run in runs:
        run.mkdir()
    errors: list[BaseException] = []

    def hammer(run: Path) -> None:
        for _ in range(200):
            try:
                point_latest(tmp_path, run)
            except OSError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, f"{len(errors)} of 800 updates failed, e.g. {errors[0]!r}"
    assert (tmp_path / "latest").resolve() in runs
    assert not list(tmp_path.glob(".latest*")), "temporary links left behind"


def test_a_read_only_results_folder_is_a_clean_error(workspace: Path) -> None:
    prefix: list[str] = []
    if os.geteuid() == 0:  # root ignores the mode bits; in a user namespace of its own, it does not
        if subprocess.run(["unshare", "--user", "true"], capture_output=True, check=False).returncode != 0:
            pytest.skip("running as root without user namespaces: cannot make a folder read-only")
        prefix = ["unshare", "--user"]
    results = workspace / "results"
    fake_run()(workspace)
    results.chmod(0o555)
    (results / "20260101T000000Z-aaaa").chmod(0o555)
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "300"}
    try:
        for command, expect in ((["run", "--threads", "1"], "cannot create a run folder in results: Permission "
                                 "denied"),
                                (["report"], "Permission denied")):
            done = subprocess.run([*prefix, sys.executable, "-m", "bench", *command], cwd=workspace, env=env,
                                  capture_output=True, text=True, timeout=120)
            output = done.stdout + done.stderr
            assert done.returncode == 2, output
            assert "Traceback" not in output and expect in squeeze(output), output
    finally:
        (results / "20260101T000000Z-aaaa").chmod(0o755)
        results.chmod(0o755)


def test_the_report_of_an_incomplete_run_says_so_at_the_top(workspace: Path) -> None:
    from bench.report import build_report

    fake_run(planned=3, recorded=1, lines=("{oops",))(workspace)
    run_dir = workspace / "results" / "20260101T000000Z-aaaa"
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["tasks"][TASK]["data_warnings"] = ["task 'mini_route': 1 of 15 test items have the same text as ..."]
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for lang, words in (("en", ("incomplete run: 1 of 3 planned cells recorded", "unreadable line skipped",
                                "data: task 'mini_route': 1 of 15")),
                        ("fr", ("exécution incomplète : cellules enregistrées 1 sur 3 prévues", "ligne ignorée",
                                "données : task 'mini_route'"))):
        report = build_report(run_dir, lang=lang).read_text(encoding="utf-8")
        top = report[:report.index("|")]  # before the first table: right under the recommendation heading
        for fragment in words:
            assert fragment in top, (lang, fragment, top)


# ---------------------------------------------------------------- a full disk

def _settings(root: Path) -> Any:
    from bench.run.runner import RunSettings

    return RunSettings(suite="quick", items={"train": None, "test": faultkit.TEST_ITEMS}, min_energy_window_s=0.2,
                       warmup_requests=1, cell_timeout_s=60, threads=1, models_dir=root)


def _cells(root: Path) -> list[Any]:
    from bench.run.plan import load_models, load_tasks, plan_cells
    from bench.spec.config import SuiteSpec

    return plan_cells(load_models(root / "models.yaml"), load_tasks(root / "tasks"), SuiteSpec(description="t"))


def _run_dir(root: Path) -> Path:
    run_dir = root / "results" / "run"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": "run", "settings": {"suite": "quick"},
                                                       "tasks": {}, "models": {}, "cells": []}), encoding="utf-8")
    return run_dir


def test_a_healthy_cell_that_cannot_write_its_result_is_an_infrastructure_failure_resume_retries(
        tmp_path: Path) -> None:
    import threading

    from bench.run.runner import run_cells

    release = tmp_path / "release"
    root = write_workspace(tmp_path, [fault_model("healthy", hold_file=str(release))])
    run_dir = _run_dir(root)
    work = run_dir / "cells" / f"{TASK}__healthy"

    def fill_the_disk() -> None:  # once the cell runs: its result lands on /dev/full, which answers ENOSPC
        deadline = time.monotonic() + 60
        while not (work / "child.json").is_file() and time.monotonic() < deadline:
            time.sleep(0.05)
        for name in ("result.json.tmp", "result.tmp"):  # the temporary file, under its current and former name
            (work / name).symlink_to("/dev/full")
        release.touch()

    helper = threading.Thread(target=fill_the_disk)
    helper.start()
    run_cells(_cells(root), _settings(root), run_dir, "run")
    helper.join()
    [record] = faultkit.records(run_dir)
    assert record["status"] == "failed", record
    assert "No space left on device" in record["error"], record["error"]  # not "exit code 1 without a result"
    assert record.get("failure") == "infrastructure", record

    run_cells(_cells(root), _settings(root), run_dir, "run")  # --resume: the stale link is gone, the cell retried
    first, second = faultkit.records(run_dir)
    assert first["attempt"] != second["attempt"] and second["status"] == "ok", second.get("error")
    assert {s["attempt"] for s in faultkit.samples(run_dir)} == {second["attempt"]}
    run_cells(_cells(root), _settings(root), run_dir, "run")  # nothing left to do
    assert len(faultkit.records(run_dir)) == 2


def test_a_model_failure_is_not_retried_by_resume(tmp_path: Path) -> None:
    from bench.run.runner import run_cells

    root = write_workspace(tmp_path, [fault_model("raises", fault="raise")])
    run_dir = _run_dir(root)
    for _ in range(2):
        run_cells(_cells(root), _settings(root), run_dir, "run")
    [record] = faultkit.records(run_dir)
    assert record["failure"] == "model" and "injected fault" in record["error"]


def _disk_full_for(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...], *, first_takes_half: bool) -> None:
    """Writes to files ending with `names` fail with ENOSPC (the first one after taking half, if asked)."""
    real = os.write
    calls: list[int] = []

    def write(fd: int, data: Any) -> int:
        if not os.readlink(f"/proc/self/fd/{fd}").endswith(names):
            return real(fd, data)
        calls.append(len(data))
        if first_takes_half and len(calls) == 1:
            return real(fd, bytes(data[: len(data) // 2]))  # the kernel took half of it
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", write)


def test_a_short_write_of_a_record_is_an_error_and_leaves_no_partial_line(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.run.results import append_line, read_records
    from bench.spec.errors import BenchError

    append_line(tmp_path / "records.jsonl", {"cell_id": "a", "status": "ok"})
    with monkeypatch.context() as patch:
        _disk_full_for(patch, ("records.jsonl",), first_takes_half=True)
        with pytest.raises(BenchError, match="No space left on device"):
            append_line(tmp_path / "records.jsonl", {"cell_id": "b", "status": "ok", "pad": "x" * 200})
    assert (tmp_path / "records.jsonl").read_bytes().endswith(b"\n")
    assert [r["cell_id"] for r in read_records(tmp_path)] == ["a"]


def test_a_record_that_cannot_be_committed_stops_the_run_naming_the_cause(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.run.runner import run_cells
    from bench.spec.errors import BenchError

    root = write_workspace(tmp_path, [fault_model("healthy")])
    run_dir = _run_dir(root)
    with monkeypatch.context() as patch:
        _disk_full_for(patch, ("records.jsonl", "samples.jsonl"), first_takes_half=False)
        with pytest.raises(BenchError, match=r"samples.jsonl: No space left on device; the run stopped.*--resume run"):
            run_cells(_cells(root), _settings(root), run_dir, "run")
    run_cells(_cells(root), _settings(root), run_dir, "run")  # space is back: the cell is done once
    [record] = faultkit.records(run_dir)
    assert record["status"] == "ok" and len(faultkit.samples(run_dir)) == faultkit.TEST_ITEMS


# ---------------------------------------------------------------- no network in a cell

@pytest.fixture
def listener() -> Iterator[tuple[int, list[Any]]]:
    """A TCP server on 127.0.0.1 that counts who reached it."""
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    reached: list[Any] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, peer = server.accept()
            except OSError:
                continue
            reached.append(peer)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], reached
    stop.set()
    thread.join()
    server.close()


def _probe(tmp_path: Path, port: int) -> dict[str, Any]:
    from bench.run.runner import run_cells

    root = write_workspace(tmp_path, [fault_model("reach", fault="reach", reach_port=port)])
    run_dir = _run_dir(root)
    run_cells(_cells(root), _settings(root), run_dir, "run")
    [record] = faultkit.records(run_dir)
    return record


def test_a_cell_has_no_network_at_all_where_the_os_allows_a_namespace(tmp_path: Path,
                                                                       listener: tuple[int, list[Any]]) -> None:
    from bench.run import netns

    if netns.namespace_prefix() is None:
        pytest.skip("this system refuses unprivileged network namespaces (the Python guard applies)")
    port, reached = listener
    record = _probe(tmp_path, port)
    assert record["network_isolation"] == "namespace"
    assert record["network_interfaces"] == ["lo"]
    for way in ("_socket", "libc", "subprocess"):
        assert f"{way}=refused" in record["error"], record["error"]
    assert not reached


def test_without_a_namespace_the_record_says_only_the_python_guard_applied(
        tmp_path: Path, listener: tuple[int, list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """What the README says of this fallback: native code and subprocesses get through the Python guard."""
    from bench.run import netns

    monkeypatch.setattr(netns, "namespace_prefix", lambda: None)
    port, reached = listener
    record = _probe(tmp_path, port)
    assert record["network_isolation"] == "python-guard"
    assert "libc=reached" in record["error"] and "subprocess=reached" in record["error"], record["error"]
    assert reached


def test_an_uncached_hub_model_names_the_cache_and_never_advises_going_online(tmp_path: Path) -> None:
    from bench.run.runner import run_cells

    root = write_workspace(tmp_path, [{"id": "hub", "family": "hub", "runtime": "fault", "licence": "MIT",
                                       "source": {"hub": "frugal-bench-tests/not-in-the-cache"},
                                       "tasks": {TASK: "embedding_head"}, "options": {"fault": "none"}}])
    run_dir = _run_dir(root)
    run_cells(_cells(root), _settings(root), run_dir, "run")
    [record] = faultkit.records(run_dir)
    assert "not in the local cache" in record["error"] and "never download" in record["error"], record["error"]
    assert "HF_HUB_OFFLINE" not in record["error"]
