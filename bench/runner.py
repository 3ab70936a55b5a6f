"""Run cells, each in its own child process; commit one record per cell as it finishes.

The parent blocks in waitid() on the child: it takes no CPU from the cell and the kernel hands back
the child's peak RSS and CPU time. A watchdog thread kills a cell's process group when it overruns
its timeout or its memory cap. Whatever a cell does (raise, crash, hang, eat memory), the run goes on.

Durability: a cell's samples and then its record are appended, each in one write + fsync; the record is
the commit point. A run killed at any moment (even kill -9) is resumed by `reconcile` + `run_cells`:
torn tails are cut, samples of uncommitted attempts dropped, and only cells without a record re-run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from bench.config import PackageSource, PathSource
from bench.errors import BenchError, ConfigError, ConfigErrors
from bench.lifeline import PARENT_ENV
from bench.measure.energy import EnergySettings
from bench.measure.memory import MB, maxrss_to_mb, peak_rss_mb
from bench.measure.threads import thread_env
from bench.plan import Cell
from bench.results import MANIFEST, RECORDS, SAMPLES, append_line, read_records
from bench.yamlfile import line_of, load_yaml

MEMORY_POLL_S = 0.05  # RSS is read from /proc (~20 µs): at this rate the watchdog costs the cell nothing
CHILD_SCAN_EVERY = 20  # look for grandchildren once a second; their RSS counts towards the cap
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SIGNAL_HINTS = {
    signal.SIGSEGV: "a crash in native code",
    signal.SIGBUS: "a crash in native code",
    signal.SIGABRT: "aborted by native code",
    signal.SIGKILL: "killed from outside the harness, e.g. by the kernel's out-of-memory killer or kill -9",
    signal.SIGTERM: "terminated from outside the harness",
}


@dataclass(frozen=True)
class RunSettings:
    suite: str
    items: dict[str, int | None]
    min_energy_window_s: float
    warmup_requests: int
    cell_timeout_s: float
    threads: int
    energy: EnergySettings = field(default_factory=EnergySettings)
    seed: int = 0
    resamples: int = 1000
    models_dir: Path = Path(".")
    memory_cap_mb: float | None = None  # resident memory of a cell (and its children); None: no cap
    pin_cpus: bool = False  # pin each cell to `threads` CPUs (target-hardware profile)
    profile: dict[str, Any] | None = None  # the resolved target profile (bench.profiles), in every record

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "energy"}
        data["energy"] = self.energy.__dict__
        data["models_dir"] = str(self.models_dir)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], models_dir: Path) -> RunSettings:
        """The settings a run recorded in its manifest (fields added later keep their defaults)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k not in ("energy", "models_dir")}
        return cls(**known, energy=EnergySettings(**data.get("energy", {})), models_dir=models_dir)


class RunInterrupted(BaseException):  # like KeyboardInterrupt, which it replaces
    """SIGINT/SIGTERM/SIGHUP reached the runner; the running cell was killed and not recorded."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")


# ---------------------------------------------------------------- checks before any measurement

def preflight(cells: list[Cell], models_file: Path) -> None:
    """Refuse the run before measuring anything if a pinned weights file is missing or altered.

    Package and path sources are checked here; hub snapshots, assembled parts and derived variants are
    resolved (and verified) by the cell itself, and trained or rule-based models have no files.
    """
    from bench.hashing import sha256_file
    from bench.sources import model_root

    data, lines = load_yaml(models_file)
    index = {str(m.get("id")): i for i, m in enumerate(data.get("models", [])) if isinstance(m, dict)}
    errors: list[ConfigError] = []
    for spec in {cell.model.id: cell.model for cell in cells}.values():
        if not isinstance(spec.source, PackageSource | PathSource):
            continue
        loc: tuple[str | int, ...] = ("models", index.get(spec.id, 0))
        try:
            root = model_root(spec, models_file.parent)
        except BenchError as exc:
            errors.append(ConfigError(models_file, line_of(lines, (*loc, "source")), _dotted(*loc, "source"), str(exc)))
            continue
        assert root is not None
        for name, expected in spec.files.items():
            path, where = root / name, (*loc, "files", name)
            if not path.is_file():
                reason = f"model '{spec.id}': weights file not found: {path}"
            elif (actual := sha256_file(path)) != expected:
                reason = f"model '{spec.id}': {path} has sha256 {actual}, the pinned one differs; refusing to load it"
            else:
                continue
            errors.append(ConfigError(models_file, line_of(lines, where), _dotted(*where), reason))
    if errors:
        raise ConfigErrors(errors)


def _dotted(*parts: str | int) -> str:
    return ".".join(str(p) for p in parts)


def plan_resume(run_dir: Path, planned: list[Cell]) -> list[Cell]:
    """The cells of an earlier run, in its order; refuse if its data or weights changed since it started."""
    manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    by_id = {cell.id: cell for cell in planned}
    missing = [cid for cid in manifest["cells"] if cid not in by_id]
    if missing:
        raise BenchError(f"cannot resume {run_dir.name}: cells {missing} are no longer in models.yaml or tasks/")
    cells = [by_id[cid] for cid in manifest["cells"]]
    for cell in cells:
        task_then = manifest["tasks"][cell.task.name]
        if task_then["data_sha256"] != cell.task.data_sha256 or task_then["version"] != cell.task.spec.version:
            raise BenchError(f"cannot resume {run_dir.name}: the data of task '{cell.task.name}' changed since the "
                             "run started; start a new run")
        model_then = manifest["models"][cell.model.id]
        if model_then["files_sha256"] != cell.model.files or model_then["source"] != cell.model.source.model_dump():
            raise BenchError(f"cannot resume {run_dir.name}: model '{cell.model.id}' changed in models.yaml since "
                             "the run started; start a new run")
    return cells


# ---------------------------------------------------------------- one cell

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


def _cell_payload(cell: Cell, settings: RunSettings, run_dir: Path) -> dict[str, Any]:
    return {
        "model": cell.model.model_dump(mode="json"),
        "task": cell.task.name,
        "method": cell.method or cell.model.tasks[cell.task.name],
        "task_dir": str(cell.task.directory.resolve()),
        "models_dir": str(settings.models_dir.resolve()),
        "items": cell_items(settings.items, cell),
        "threads": settings.threads,
        "seed": settings.seed,
        "resamples": settings.resamples,
        "min_energy_window_s": settings.min_energy_window_s,
        "warmup_requests": settings.warmup_requests,
        "energy": settings.energy.__dict__,
        "artifacts_dir": str((run_dir / "artifacts" / cell.id).resolve()),
    }


def _base_record(cell: Cell, settings: RunSettings, run_id: str) -> dict[str, Any]:
    spec = cell.task.spec
    return {
        "run_id": run_id, "cell_id": cell.id, "task": cell.task.name, "task_version": spec.version,
        "task_kind": spec.kind, "model_id": cell.model.id, "family": cell.model.family,
        "runtime": cell.model.runtime, "licence": cell.model.licence, "suite": settings.suite,
        "threads": settings.threads, "profile": settings.profile,
        "gate": {**spec.good_enough.model_dump(),
                 "sets": {name: cell.task.set_gate(name) for name in cell.task.test_sets}},
        "data_sha256": cell.task.data_sha256,
        "source": cell.model.source.model_dump(), "attempt": uuid.uuid4().hex[:16],
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


def run_one(cell: Cell, settings: RunSettings, run_dir: Path, run_id: str) -> dict[str, Any]:
    """Run a cell in a child process and return its record (never raises for a failing model).

    The record's committed samples are in record["_samples"]; `commit` writes both.
    """
    from bench.benchjson import stats_from_ns

    work = run_dir / "cells" / cell.id
    work.mkdir(parents=True, exist_ok=True)
    cell_file, result_file, samples_file = work / "cell.json", work / "result.json", work / "samples.jsonl"
    timing_file, pid_file, log_path = work / "latency_ns.json", work / "child.json", work / "cell.log"
    _stop_orphan(pid_file)
    for stale in (result_file, samples_file, timing_file):  # left by an interrupted attempt: never reuse them
        stale.unlink(missing_ok=True)
    cell_file.write_text(json.dumps(_cell_payload(cell, settings, run_dir), ensure_ascii=False), encoding="utf-8")
    record = _base_record(cell, settings, run_id)
    record["started_at"] = dt.datetime.now(dt.UTC).isoformat()
    started = time.perf_counter()
    with log_path.open("wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "bench.cell", str(cell_file), str(result_file),
                                  str(samples_file)], stdout=log, stderr=subprocess.STDOUT,
                                 env=_child_env(settings.threads, settings.pin_cpus), start_new_session=True)
    watchdog = Watchdog(child.pid, settings.cell_timeout_s, settings.memory_cap_mb)
    try:
        with contextlib.suppress(psutil.Error):
            pid_file.write_text(json.dumps({"pid": child.pid, "create_time": psutil.Process(child.pid).create_time()}),
                                encoding="utf-8")
        watchdog.start()
        # Wait without reaping: the process group id stays ours until the watchdog is stopped.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    except BaseException:  # interrupted: the cell dies with the run and is not recorded
        watchdog.stop()
        _kill_group(child.pid)
        os.wait4(child.pid, 0)
        child.returncode = -signal.SIGKILL
        pid_file.unlink(missing_ok=True)
        raise
    watchdog.stop()
    _kill_group(child.pid)  # helpers the cell may have left behind in its group
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    pid_file.unlink(missing_ok=True)
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
    result: dict[str, Any] = {}
    if watchdog.reason is not None:
        result = {"status": "failed", "error": watchdog.reason}
    elif result_file.is_file():
        result = json.loads(result_file.read_text(encoding="utf-8"))
    else:
        result = {"status": "failed", "error": _death(child.returncode, log_path)}
    if result["status"] != "ok":
        result.setdefault("exit_code", child.returncode)
        result["log_tail"] = _log_tail(log_path)
    record.update(result)
    samples: list[dict[str, Any]] = []
    if record["status"] == "ok":
        if samples_file.is_file():
            with samples_file.open(encoding="utf-8") as handle:
                samples = [{"run_id": run_id, "cell_id": cell.id, "attempt": record["attempt"], **json.loads(line)}
                           for line in handle if line.strip()]
        if timing_file.is_file():
            record["timing_s"] = stats_from_ns(json.loads(timing_file.read_text(encoding="utf-8")))
    record["n_samples"] = len(samples)
    record["_samples"] = samples
    return record


# ---------------------------------------------------------------- durable commit and recovery

def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def append_block(path: Path, rows: list[dict[str, Any]]) -> None:
    """Several lines in one append + fsync (a kill may tear it; `reconcile` cuts torn tails)."""
    if not rows:
        return
    data = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def commit(run_dir: Path, record: dict[str, Any]) -> None:
    """Samples first, then the record: a cell counts as done only once its record line is on disk."""
    samples = record.pop("_samples", [])
    append_block(run_dir / SAMPLES, samples)
    append_line(run_dir / RECORDS, record)


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line without its newline, so the next append does not glue onto it."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb+") as handle:
        end = handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return
        cut = 0
        while end > 0:  # search backwards for the last complete line
            start = max(0, end - 65536)
            handle.seek(start)
            newline = handle.read(end - start).rfind(b"\n")
            if newline >= 0:
                cut = start + newline + 1
                break
            end = start
        handle.truncate(cut)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def reconcile(run_dir: Path) -> int:
    """Make a run directory consistent after a kill; return how many uncommitted samples were dropped."""
    for name in (RECORDS, SAMPLES):
        _cut_torn_tail(run_dir / name)
    path = run_dir / SAMPLES
    if not path.is_file():
        return 0
    committed = {(r.get("cell_id"), r.get("attempt")) for r in read_records(run_dir)}
    keep: list[bytes] = []
    dropped = 0
    with path.open("rb") as handle:
        for raw in handle:
            try:
                row = json.loads(raw)
            except json.JSONDecodeError:
                dropped += 1
                continue
            if "attempt" in row and (row.get("cell_id"), row["attempt"]) not in committed:
                dropped += 1
                continue
            keep.append(raw)
    if dropped:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as handle:
            handle.writelines(keep)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(run_dir)
    return dropped


@contextlib.contextmanager
def _run_lock(run_dir: Path) -> Iterator[None]:
    """One writer per run directory (the kernel drops the lock if its holder dies, even by kill -9)."""
    handle = (run_dir / ".lock").open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BenchError(f"run {run_dir.name} is being written by another frugal-bench process") from exc
        yield
    finally:
        handle.close()


class _StopSignals:
    """Turn SIGINT/SIGTERM/SIGHUP into RunInterrupted, but never in the middle of a commit."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self.fired = False
        self.in_commit = False
        self.previous: dict[signal.Signals, Any] = {}

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.fired:
            return
        if self.in_commit:
            self.pending = signum
            return
        self.fired = True
        raise RunInterrupted(signum)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        for sig in STOP_SIGNALS:
            self.previous[sig] = signal.signal(sig, self.handle)
        try:
            yield
        finally:
            for sig, handler in self.previous.items():
                signal.signal(sig, handler)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self.in_commit = True
        try:
            yield
        finally:
            self.in_commit = False
        if self.pending is not None and not self.fired:
            self.fired = True
            raise RunInterrupted(self.pending)


def run_cells(cells: list[Cell], settings: RunSettings, run_dir: Path, run_id: str,
              on_start: Callable[[Cell], None] | None = None,
              on_done: Callable[[Cell, dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run the cells not yet recorded in `run_dir` (so a resumed run finishes only what is missing).

    Raises RunInterrupted on SIGINT/SIGTERM/SIGHUP after killing the running cell; what was committed stays.
    """
    stops = _StopSignals()
    records = []
    with _run_lock(run_dir), stops.installed():
        reconcile(run_dir)
        done = {r["cell_id"] for r in read_records(run_dir)}
        for cell in cells:
            if cell.id in done:
                continue
            if on_start is not None:
                on_start(cell)
            record = run_one(cell, settings, run_dir, run_id)
            with stops.deferred():
                commit(run_dir, record)
            done.add(cell.id)
            records.append(record)
            if on_done is not None:
                on_done(cell, record)
    return records
