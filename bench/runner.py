"""Run cells, each in its own child process; append one record per cell as it finishes.

The parent blocks in wait4() on the child: it takes no CPU from the cell and the kernel hands back
the child's peak RSS and CPU time. A timer thread kills a cell that overruns its timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure.energy import EnergySettings
from bench.plan import Cell
from bench.results import RECORDS, SAMPLES, append_line, read_records

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


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


def _cell_payload(cell: Cell, settings: RunSettings, run_dir: Path) -> dict[str, Any]:
    return {
        "model": cell.model.model_dump(mode="json"),
        "task": cell.task.name,
        "task_dir": str(cell.task.directory.resolve()),
        "models_dir": str(settings.models_dir.resolve()),
        "items": settings.items,
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
        "threads": settings.threads, "gate": spec.good_enough.model_dump(), "data_sha256": cell.task.data_sha256,
        "source": cell.model.source.model_dump(),
    }


def _child_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({name: str(threads) for name in THREAD_ENV})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_one(cell: Cell, settings: RunSettings, run_dir: Path, run_id: str) -> dict[str, Any]:
    """Run a cell in a child process and return its record (never raises for a failing model)."""
    work = run_dir / "cells" / cell.id
    work.mkdir(parents=True, exist_ok=True)
    cell_file, result_file, samples_file = work / "cell.json", work / "result.json", work / "samples.jsonl"
    cell_file.write_text(json.dumps(_cell_payload(cell, settings, run_dir), ensure_ascii=False), encoding="utf-8")
    record = _base_record(cell, settings, run_id)
    record["started_at"] = dt.datetime.now(dt.UTC).isoformat()
    started = time.perf_counter()
    with (work / "cell.log").open("wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "bench.cell", str(cell_file), str(result_file),
                                  str(samples_file)], stdout=log, stderr=subprocess.STDOUT,
                                 env=_child_env(settings.threads), start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            os.killpg(child.pid, signal.SIGKILL)

        timer = threading.Timer(settings.cell_timeout_s, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
    record["wall_s"] = time.perf_counter() - started
    record["finished_at"] = dt.datetime.now(dt.UTC).isoformat()
    # ru_maxrss of a reaped child is its own high-water mark (KiB on Linux).
    record["peak_rss_mb"] = usage.ru_maxrss / 1024
    record["cpu_user_s"] = usage.ru_utime
    record["cpu_system_s"] = usage.ru_stime
    result: dict[str, Any] = {}
    if result_file.is_file():
        result = json.loads(result_file.read_text(encoding="utf-8"))
    if timed_out.is_set():
        result = {"status": "failed", "error": f"timeout: cell exceeded {settings.cell_timeout_s:.0f} s"}
    elif not result:
        reason = f"killed by signal {-child.returncode}" if child.returncode < 0 else f"exit code {child.returncode}"
        result = {"status": "failed", "error": f"cell process died ({reason}); see {work / 'cell.log'}"}
    record.update(result)
    if record["status"] == "ok" and samples_file.is_file():
        with samples_file.open(encoding="utf-8") as handle:
            for line in handle:
                append_line(run_dir / SAMPLES, {"run_id": run_id, "cell_id": cell.id, **json.loads(line)})
    return record


def run_cells(cells: list[Cell], settings: RunSettings, run_dir: Path, run_id: str,
              on_start: Callable[[Cell], None] | None = None,
              on_done: Callable[[Cell, dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run the cells not yet recorded in `run_dir` (so a resumed run finishes only what is missing)."""
    done = {r["cell_id"] for r in read_records(run_dir)}
    records = []
    for cell in cells:
        if cell.id in done:
            continue
        if on_start is not None:
            on_start(cell)
        record = run_one(cell, settings, run_dir, run_id)
        append_line(run_dir / RECORDS, record)
        records.append(record)
        if on_done is not None:
            on_done(cell, record)
    return records
