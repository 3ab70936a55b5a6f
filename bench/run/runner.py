"""Run cells, each in its own child process (bench.run.cellrun); commit one record per cell as it finishes.

Before anything is measured, `preflight` refuses missing or altered weights. `run_cells` holds the run's
lock, recovers the run directory after a kill (bench.run.durable), runs only the cells without a record and
turns SIGINT/SIGTERM/SIGHUP into a clean stop that never falls in the middle of a commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from bench.fsio import WriteFailed
from bench.run import failures
from bench.run.cellrun import cell_items, run_one
from bench.run.durable import append_block, commit, reconcile
from bench.run.plan import Cell
from bench.run.results import read_manifest, read_records
from bench.run.runview import current_records
from bench.run.settings import RunSettings
from bench.spec.config import PackageSource, PathSource
from bench.spec.errors import BenchError, ConfigError, ConfigErrors
from bench.spec.yamlfile import line_of, load_yaml

__all__ = ["RunInterrupted", "RunSettings", "append_block", "cell_items", "commit", "plan_resume", "preflight",
           "reconcile", "run_cells", "run_one"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class RunInterrupted(BaseException):  # like KeyboardInterrupt, which it replaces
    """SIGINT/SIGTERM/SIGHUP reached the runner; the running cell was killed and not recorded."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")


def preflight(cells: list[Cell], models_file: Path) -> None:
    """Refuse the run before measuring anything if a pinned weights file is missing or altered.

    Package and path sources are checked here; hub snapshots, assembled parts and derived variants are
    resolved (and verified) by the cell itself, and trained or rule-based models have no files.
    """
    from bench.weights.pinned import check_file
    from bench.weights.roots import model_root

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
            try:
                check_file(spec, root / name, expected)
            except BenchError as exc:
                where = (*loc, "files", name)
                errors.append(ConfigError(models_file, line_of(lines, where), _dotted(*where), str(exc)))
    if errors:
        raise ConfigErrors(errors)


def _dotted(*parts: str | int) -> str:
    return ".".join(str(p) for p in parts)


def plan_resume(run_dir: Path, planned: list[Cell]) -> list[Cell]:
    """The cells of an earlier run, in its order; refuse if its data or weights changed since it started."""
    manifest = read_manifest(run_dir)
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
    """Run the cells not yet recorded in `run_dir` (so a resumed run finishes only what is missing), and
    again those whose last record is a failure of the machine rather than of the model (bench.run.failures).

    Raises RunInterrupted on SIGINT/SIGTERM/SIGHUP after killing the running cell; what was committed stays.
    Raises WriteFailed (a full disk...) when a file of the run cannot be written; what was committed stays.
    """
    stops = _StopSignals()
    records: list[dict[str, Any]] = []
    with _run_lock(run_dir), stops.installed():
        reconcile(run_dir)
        current = {r["cell_id"]: r for r in current_records(read_records(run_dir)) if not failures.retryable(r)}

        def keep(cell: Cell, record: dict[str, Any]) -> None:
            with stops.deferred():
                commit(run_dir, record)
            current[cell.id] = record
            records.append(record)
            if on_done is not None:
                on_done(cell, record)

        try:
            if settings.frugal is not None:  # probes first, then quality in cost order (bench.run.frugal)
                from bench.run.frugal import run_frugal

                run_frugal(cells, settings, run_dir, run_id, current, keep, on_start)
            else:
                for cell in cells:
                    if cell.id in current:
                        continue
                    if on_start is not None:
                        on_start(cell)
                    keep(cell, run_one(cell, settings, run_dir, run_id))
        except WriteFailed as exc:
            raise WriteFailed(exc.path, exc.cause, f"the run stopped; once that is fixed, finish it with "
                              f"`frugal-bench run --resume {run_dir.name}`") from exc
    return records
