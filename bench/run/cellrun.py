"""One cell in its own child process: start it, watch it, reap it, and turn what it left into a record.

The parent blocks in waitid() on the child: it takes no CPU from the cell and the kernel hands back
the child's peak RSS and CPU time. A watchdog thread kills a cell's process group when it overruns
its timeout or its memory cap. Whatever a cell does (raise, crash, hang, eat memory), the run goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

from bench.fsio import WriteFailed, write_all
from bench.measure.memory import MB, maxrss_to_mb, peak_rss_mb
from bench.measure.threads import thread_env
from bench.run import failures, netns
from bench.run.lifeline import PARENT_ENV, READY_FD_ENV
from bench.run.plan import Cell
from bench.run.record import SCHEMA_VERSION, CellJob, EnergyJob, FrugalJob, ItemCaps
from bench.run.settings import RunSettings
from bench.spec.datachecks import data_warnings

MEMORY_POLL_S = 0.05  # RSS is read from /proc (~20 µs): at this rate the watchdog costs the cell nothing
CHILD_SCAN_EVERY = 20  # look for grandchildren once a second; their RSS counts towards the cap
SIGNAL_HINTS = {
    signal.SIGSEGV: "a crash in native code",
    signal.SIGBUS: "a crash in native code",
    signal.SIGABRT: "aborted by native code",
    signal.SIGKILL: "killed from outside the harness, e.g. by the kernel's out-of-memory killer or kill -9",
    signal.SIGTERM: "terminated from outside the harness",
}


def cell_items(items: dict[str, int | None], cell: Cell) -> dict[str, int | None]:
    """The run's item counts, tightened by the suite's cap for this model."""
    if cell.items is None:
        return dict(items)
    capped = dict(items)
    for split in ("train", "test"):
        cap = getattr(cell.items, split)
        if cap is not None:
            current = capped.get(split)
            capped[split] = cap if current is None else min(current, cap)
    return capped


def cell_job(cell: Cell, settings: RunSettings, run_dir: Path) -> CellJob:
    return CellJob(
        model=cell.model, task=cell.task.name, method=cell.method or cell.model.tasks[cell.task.name],
        task_dir=cell.task.directory.resolve(), models_file_dir=settings.models_dir.resolve(),
        artifacts_dir=(run_dir / "artifacts" / cell.id).resolve(),
        items=ItemCaps(**cell_items(settings.items, cell)), threads=settings.threads, seed=settings.seed,
        resamples=settings.resamples, min_energy_window_s=settings.min_energy_window_s,
        warmup_requests=settings.warmup_requests, energy=EnergyJob(**dataclasses.asdict(settings.energy)),
        scenario=cell.scenario, batch_size=settings.batch_size, parallel=settings.parallel)


def base_record(cell: Cell, settings: RunSettings, run_id: str) -> dict[str, Any]:
    spec = cell.task.spec
    return {
        "schema_version": SCHEMA_VERSION, "run_id": run_id, "cell_id": cell.id, "task": cell.task.name,
        "task_version": spec.version,
        "task_kind": spec.kind, "model_id": cell.model.id, "family": cell.model.family,
        "runtime": cell.model.runtime, "licence": cell.model.licence, "suite": settings.suite,
        "threads": settings.threads, "profile": settings.profile,
        "gate": {**spec.good_enough.model_dump(),
                 "sets": {name: cell.task.set_gate(name) for name in cell.task.test_sets}},
        "data_sha256": cell.task.data_sha256,
        "source": cell.model.source.model_dump(), "attempt": uuid.uuid4().hex[:16],
        "network_isolation": netns.isolation_mode(), "data_warnings": data_warnings(cell.task),
        "scenario": cell.scenario, "started_at": dt.datetime.now(dt.UTC).isoformat(),
        **({"offline_options": {"batch_size": settings.batch_size, "parallel": settings.parallel}}
           if cell.scenario == "offline" else {}),
    }


def _child_env(threads: int, pin_cpus: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    env.update(thread_env(threads, pin_cpus))  # caps every runtime's pools (see bench.measure.threads)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONFAULTHANDLER"] = "1"  # a segfault leaves a Python traceback in cell.log
    env[PARENT_ENV] = str(os.getpid())
    return env


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class Watchdog(threading.Thread):
    """Kill the cell's process group when it overruns its timeout or its resident-memory cap.

    Why watch RSS rather than set RLIMIT_AS or RLIMIT_DATA: onnxruntime, torch, OpenMP and glibc arenas
    reserve far more address space than they touch (per-thread stacks and arenas, allocator pools), so an
    address-space limit fails healthy models at random sizes, and a failed malloc inside native code often
    aborts without a reason. RSS is what the report calls memory and what a server runs out of. The price
    is a poll: a cell can overshoot the cap by what it allocates in MEMORY_POLL_S before it is stopped.
    The caller reaps the child only after `stop()`, so the process group id cannot be reused meanwhile.
    """

    def __init__(self, pid: int, timeout_s: float, cap_mb: float | None) -> None:
        super().__init__(name=f"watchdog-{pid}", daemon=True)
        self.pid, self.timeout_s, self.cap_mb = pid, timeout_s, cap_mb
        self.reason: str | None = None
        self.peak_mb = 0.0
        self._stopped = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        process = _process(self.pid) if self.cap_mb is not None else None
        family: list[psutil.Process] = [process] if process is not None else []
        tick = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill(f"timeout: cell exceeded its {self.timeout_s:g} s limit (cell_timeout_s) and was killed")
                return
            if self._stopped.wait(min(remaining, MEMORY_POLL_S) if process is not None else remaining):
                return
            if process is None or self.cap_mb is None:
                continue
            if tick % CHILD_SCAN_EVERY == 0:
                with contextlib.suppress(psutil.Error):
                    family = [process, *process.children(recursive=True)]
            tick += 1
            rss = sum(_rss_mb(p) for p in family)
            self.peak_mb = max(self.peak_mb, rss)
            if rss > self.cap_mb:
                self._kill(f"memory cap exceeded: resident memory reached {rss:.0f} MB, cap {self.cap_mb:g} MB; "
                           "cell killed")
                return

    def _kill(self, reason: str) -> None:
        self.reason = reason
        _kill_group(self.pid)

    def stop(self) -> None:
        self._stopped.set()
        if self.ident is not None:  # started
            self.join()


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def _rss_mb(process: psutil.Process) -> float:
    try:
        return float(process.memory_info().rss) / MB
    except psutil.Error:
        return 0.0


def _stop_orphan(pid_file: Path) -> None:
    """A cell left running by a runner killed with -9 (where the kernel cannot tie it to us) is stopped."""
    try:
        info = json.loads(pid_file.read_text(encoding="utf-8"))
        process = psutil.Process(int(info["pid"]))
        if abs(process.create_time() - float(info["create_time"])) < 0.01:
            _kill_group(process.pid)
    except (OSError, ValueError, KeyError, psutil.Error):
        pass
    pid_file.unlink(missing_ok=True)


def _death(code: int, log_path: Path) -> str:
    if code < 0:
        sig = signal.Signals(-code)
        hint = SIGNAL_HINTS.get(sig)
        return f"cell process died: killed by signal {-code} ({sig.name}{', ' + hint if hint else ''}); see {log_path}"
    return f"cell process died: exit code {code} without a result; see {log_path}"


def _log_tail(path: Path, lines: int = 6) -> list[str]:
    """The end of cell.log; after a native crash, the crashing thread's innermost Python frames instead."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    rows = [line for line in text.splitlines() if line.strip()]
    crash = next((i for i, line in enumerate(rows) if line.startswith("Current thread")), None)
    if crash is not None:
        return [r for r in rows if r.startswith("Fatal Python error")][:1] + rows[crash:crash + lines]
    return rows[-lines:]


def prepare(cell: Cell, settings: RunSettings, run_dir: Path, frugal: dict[str, Any] | None = None) -> Path:
    """The cell's working folder, cleared of what an interrupted attempt left, with its cell.json.

    `frugal` (bench.run.frugal): the cell only probes costs (in a folder of its own) or only scores quality.
    """
    probe = frugal is not None and frugal["mode"] == "probe"
    work = run_dir / "cells" / (f"{cell.id}.probe" if probe else cell.id)
    try:
        work.mkdir(parents=True, exist_ok=True)
        _stop_orphan(work / "child.json")
        for stale in ("result.json", "result.json.tmp", "samples.jsonl", "latency_ns.json"):  # never reuse them
            (work / stale).unlink(missing_ok=True)
    except OSError as exc:
        raise WriteFailed(work, exc) from exc
    job = cell_job(cell, settings, run_dir)
    if frugal is not None:
        job = job.model_copy(update={"frugal": FrugalJob(**frugal)})
    write_all(work / "cell.json", job.model_dump_json().encode("utf-8"))
    return work


def spawn(work: Path, settings: RunSettings, ready_fd: int | None = None) -> subprocess.Popen[bytes]:
    """The cell's process, in a network namespace of its own where the OS allows it (bench.run.netns).

    `ready_fd`: a kept cell (bench.run.heldcell) says on it that its probe is done, then waits on stdin.
    """
    command = [*(netns.namespace_prefix() or ()), sys.executable, "-m", "bench.run.cell", str(work / "cell.json"),
               str(work / "result.json"), str(work / "samples.jsonl")]
    env = _child_env(settings.threads, settings.pin_cpus)
    if ready_fd is not None:
        env[READY_FD_ENV] = str(ready_fd)
    try:
        log = (work / "cell.log").open("wb")
    except OSError as exc:
        raise WriteFailed(work / "cell.log", exc) from exc
    with log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                stdin=subprocess.PIPE if ready_fd is not None else None,
                                pass_fds=(ready_fd,) if ready_fd is not None else ())


def outcome(work: Path, code: int, watchdog_reason: str | None, run_dir: Path) -> dict[str, Any]:
    """What the cell left: its result, or why there is none and whose fault that is."""
    log_path = work / "cell.log"
    if watchdog_reason is not None:
        result: dict[str, Any] = {"status": "failed", "error": watchdog_reason, "failure": failures.MODEL}
    elif (work / "result.json").is_file():
        try:
            result = json.loads((work / "result.json").read_bytes())
        except (OSError, ValueError) as exc:
            result = {"status": "failed", "error": f"infrastructure: the cell's result could not be read ({exc})",
                      "failure": failures.INFRASTRUCTURE}
    else:
        infra = failures.of_exit(code, _log_tail(log_path), run_dir)
        error, failure = infra or (_death(code, log_path), failures.MODEL)
        result = {"status": "failed", "error": error, "failure": failure}
    if result["status"] != "ok":
        result.setdefault("failure", failures.MODEL)
        result.setdefault("exit_code", code)
        result["log_tail"] = _log_tail(log_path)
    return result


def read_samples(work: Path, record: dict[str, Any], run_id: str, cell: Cell) -> list[dict[str, Any]]:
    from bench.report.benchjson import stats_from_ns

    samples: list[dict[str, Any]] = []
    if (work / "samples.jsonl").is_file():
        with (work / "samples.jsonl").open(encoding="utf-8") as handle:
            samples = [{"run_id": run_id, "cell_id": cell.id, "attempt": record["attempt"], **json.loads(line)}
                       for line in handle if line.strip()]
    if (work / "latency_ns.json").is_file():
        record["timing_s"] = stats_from_ns(json.loads((work / "latency_ns.json").read_bytes()))
    return samples


def run_one(cell: Cell, settings: RunSettings, run_dir: Path, run_id: str,
            frugal: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a cell in a child process and return its record (never raises for a failing model).

    The record's committed samples are in record["_samples"]; `commit` writes both. A file of the run that
    cannot be written raises WriteFailed: the run stops there, and --resume finishes it once that is fixed.
    """
    work = prepare(cell, settings, run_dir, frugal)
    record = base_record(cell, settings, run_id)
    started = time.perf_counter()
    try:
        child = spawn(work, settings)
    except OSError as exc:  # fork or exec refused (no memory, no process slot...): not the model's doing
        return spawn_failed(record, exc, started)
    code, usage, reason = watch_until_exit(child, work, settings)
    return finish(record, cell, settings, work, run_dir, run_id, started, code, usage, reason)


def spawn_failed(record: dict[str, Any], exc: OSError, started: float) -> dict[str, Any]:
    record.update(status="failed", error=f"infrastructure: the cell process could not start ({exc})",
                  failure=failures.INFRASTRUCTURE, wall_s=time.perf_counter() - started, n_samples=0, _samples=[])
    return record


def watch_until_exit(child: subprocess.Popen[bytes], work: Path,
                     settings: RunSettings) -> tuple[int, Any, str | None]:
    """Wait for the cell's process to end under its watchdog; its exit code, resource usage and, when the
    watchdog killed it, why. An interruption kills the cell (it is not recorded) and propagates."""
    pid_file = work / "child.json"
    watchdog = Watchdog(child.pid, settings.cell_timeout_s, settings.memory_cap_mb)
    try:
        note_pid(child, work)
        watchdog.start()
        # Wait without reaping: the process group id stays ours until the watchdog is stopped.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    except BaseException:  # interrupted: the cell dies with the run and is not recorded
        watchdog.stop()
        kill_and_reap(child)
        pid_file.unlink(missing_ok=True)
        raise
    watchdog.stop()
    _kill_group(child.pid)  # helpers the cell may have left behind in its group
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    pid_file.unlink(missing_ok=True)
    return child.returncode, usage, watchdog.reason


def note_pid(child: subprocess.Popen[bytes], work: Path) -> None:
    """Where a runner killed with -9 finds the cell it left (`_stop_orphan`)."""
    with contextlib.suppress(psutil.Error, OSError):
        (work / "child.json").write_text(
            json.dumps({"pid": child.pid, "create_time": psutil.Process(child.pid).create_time()}), encoding="utf-8")


def kill_and_reap(child: subprocess.Popen[bytes]) -> None:
    _kill_group(child.pid)
    with contextlib.suppress(ChildProcessError):
        os.wait4(child.pid, 0)
    child.returncode = -signal.SIGKILL


def finish(record: dict[str, Any], cell: Cell, settings: RunSettings, work: Path, run_dir: Path, run_id: str,
           started: float, code: int, usage: Any, reason: str | None) -> dict[str, Any]:
    """The record of a cell whose process has ended: kernel figures, the cell's result (or why there is
    none), its samples."""
    record["wall_s"] = time.perf_counter() - started
    record["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    # Kernel figure for the reaped child, kept for cells that die without a result. Linux carries the
    # spawner's high-water mark into it (see bench.measure.memory): it is never below runner_peak_rss_mb.
    # The cell's own figures are peak_rss_mb (up to the end of serving) and peak_rss_cell_mb (whole cell).
    record["peak_rss_process_mb"] = maxrss_to_mb(usage.ru_maxrss)
    record["runner_peak_rss_mb"] = peak_rss_mb()
    record["cpu_user_s"] = usage.ru_utime
    record["cpu_system_s"] = usage.ru_stime
    if settings.memory_cap_mb is not None:
        record["memory_cap_mb"] = settings.memory_cap_mb
    record.update(outcome(work, code, reason, run_dir))
    samples: list[dict[str, Any]] = []
    if record["status"] == "ok":
        try:
            samples = read_samples(work, record, run_id, cell)
        except (OSError, ValueError) as exc:
            record.update(status="failed", error=f"infrastructure: the cell's samples could not be read ({exc})",
                          failure=failures.INFRASTRUCTURE)
    if record["status"] == "ok" and cell.scenario == "offline":  # same answers as one request at a time?
        from bench.decide.agreement import check_offline

        record["scenario_check"] = check_offline(run_dir, cell.id, samples, record.get("quality") or {})
    record["n_samples"] = len(samples)
    record["_samples"] = samples
    return record
