"""A probed cell kept alive for its quality pass, so that frugal evaluation loads and fits each model once.

The child process probes the costs as any probe does (bench.run.cell), writes the probe's result, says so on
a pipe, and waits — model loaded and fitted, taking no CPU — for one line on its stdin: a quality job (it
then scores sequentially and exits) or nothing (it exits). The parent probes the task's other candidates
meanwhile, orders them (bench.run.frugal), then asks each kept cell for its quality or lets it go.

Costs stay those of the probe: its CPU time is read from the waiting process, the quality pass's is the rest
of the process's total, which the kernel reports when it ends. A cell is kept only while the machine has
memory to spare (`keep_another`); otherwise it ends after its probe and its quality pass loads it again.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil

from bench.run.cellrun import (
    Watchdog,
    base_record,
    finish,
    kill_and_reap,
    note_pid,
    outcome,
    prepare,
    read_samples,
    spawn,
    spawn_failed,
    watch_until_exit,
)
from bench.run.plan import Cell
from bench.run.settings import RunSettings

MIN_FREE_FRACTION = 0.25  # keep a probed cell only while a quarter of the machine's memory stays available


def keep_another() -> bool:
    """Whether one more waiting cell leaves the machine enough memory for the cells still to run."""
    memory = psutil.virtual_memory()
    return memory.available >= MIN_FREE_FRACTION * memory.total


class HeldCell:
    """A cell whose probe is done and whose process waits for `score` or `release`."""

    def __init__(self, cell: Cell, settings: RunSettings, run_dir: Path, run_id: str, work: Path,
                 child: Any, probe_cpu: tuple[float, float]) -> None:
        self.cell, self.settings, self.run_dir, self.run_id, self.work = cell, settings, run_dir, run_id, work
        self.child, self.probe_cpu = child, probe_cpu

    def score(self, quality_job: str) -> dict[str, Any]:
        """Send the quality job (FrugalJob JSON) and return the quality pass's record once the process ends."""
        record = base_record(self.cell, self.settings, self.run_id)
        started = time.perf_counter()
        try:
            assert self.child.stdin is not None
            self.child.stdin.write(quality_job.encode("utf-8") + b"\n")
            self.child.stdin.close()
        except OSError:
            pass  # the process died meanwhile: its exit below says how
        code, usage, reason = watch_until_exit(self.child, self.work, self.settings)
        record = finish(record, self.cell, self.settings, self.work, self.run_dir, self.run_id, started, code, usage,
                        reason)
        # The kernel's figures cover the whole process: the probe's share was read when it was done.
        record["cpu_user_s"] = max(0.0, float(record["cpu_user_s"]) - self.probe_cpu[0])
        record["cpu_system_s"] = max(0.0, float(record["cpu_system_s"]) - self.probe_cpu[1])
        record["probe_process_kept"] = True
        return record

    def release(self) -> None:
        """Let the process go without a quality pass (closing stdin ends it); kill it if it lingers."""
        with contextlib.suppress(OSError):
            if self.child.stdin is not None:
                self.child.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):  # then it is killed below
            self.child.wait(timeout=10)
        kill_and_reap(self.child)
        (self.work / "child.json").unlink(missing_ok=True)


def probe_and_hold(cell: Cell, settings: RunSettings, run_dir: Path, run_id: str,
                   frugal: dict[str, Any]) -> tuple[dict[str, Any], HeldCell | None]:
    """Probe the cell in a process that stays alive; its probe record, and the kept cell (None when the
    process ended: a failed probe, or a machine without memory to spare)."""
    work = prepare(cell, settings, run_dir, {**frugal, "mode": "probe", "hold": True})
    record = base_record(cell, settings, run_id)
    started = time.perf_counter()
    read_fd, write_fd = os.pipe()
    try:
        try:
            child = spawn(work, settings, write_fd)
        except OSError as exc:
            return spawn_failed(record, exc, started), None
        finally:
            os.close(write_fd)
        note_pid(child, work)
        ready, reason = _wait_ready(read_fd, child, settings)
    finally:
        os.close(read_fd)
    if ready is None:  # the process ended, or its watchdog ended it, before its probe was done
        if child.stdin is not None:  # a probe that is done but could not be read must not wait for a job
            child.stdin.close()
        code, usage, _ = watch_until_exit(child, work, settings)
        return finish(record, cell, settings, work, run_dir, run_id, started, code, usage, reason), None
    record.update(wall_s=time.perf_counter() - started, cpu_user_s=ready[0], cpu_system_s=ready[1])
    record.update(outcome(work, 0, None, run_dir))
    read_samples(work, record, run_id, cell)  # a probe has no samples yet: this reads its request timings
    held = HeldCell(cell, settings, run_dir, run_id, work, child, ready)
    if record.get("status") != "ok" or not keep_another():
        held.release()
        return record, None
    return record, held


def _wait_ready(read_fd: int, child: Any, settings: RunSettings) -> tuple[tuple[float, float] | None, str | None]:
    """Block until the child says its probe is done, or ends. Its CPU user and system seconds so far (None
    when it ended), and why its watchdog stopped it if it did."""
    watchdog = Watchdog(child.pid, settings.cell_timeout_s, settings.memory_cap_mb)
    watchdog.start()
    try:
        line = os.read(read_fd, 64)
    except BaseException:  # interrupted: the cell dies with the run
        watchdog.stop()
        kill_and_reap(child)
        raise
    watchdog.stop()
    if not line.startswith(b"ready") or watchdog.reason is not None:
        return None, watchdog.reason
    try:
        times = psutil.Process(child.pid).cpu_times()
    except psutil.Error:
        return None, None
    return (times.user, times.system), None
