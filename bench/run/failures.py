"""Why a cell failed: the model's own doing, or the machine's (a full disk, a process that could not start).

A model's failure (an exception, a crash, a timeout, the memory cap) is a result: it stays recorded and
`--resume` does not run the cell again. A failure of the infrastructure says nothing about the model: it
is recorded with its cause (so the report never shows a bare "exit code 1"), and `--resume` retries it.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.fsio import INFRASTRUCTURE_ERRNOS
from bench.run.record import is_ok

MODEL = "model"
INFRASTRUCTURE = "infrastructure"
EXIT_WRITE_FAILED = 74  # sysexits' EX_IOERR: the cell finished but could not write its result
EXIT_RUNNER_GONE = 70  # bench.run.lifeline: the runner died before the cell could tie itself to it
CELL_SAYS = "frugal-bench cell:"  # the prefix of the one line a cell prints on stderr when it cannot write
LOW_DISK_BYTES = 1 << 20


def of_exception(exc: BaseException) -> str:
    return INFRASTRUCTURE if isinstance(exc, OSError) and exc.errno in INFRASTRUCTURE_ERRNOS else MODEL


def of_exit(code: int, log_tail: list[str], run_dir: Path) -> tuple[str, str] | None:
    """(error, INFRASTRUCTURE) when a cell's exit code without a result is the machine's fault, else None."""
    if code == EXIT_RUNNER_GONE:
        return "infrastructure: the runner went away before the cell started", INFRASTRUCTURE
    if code != EXIT_WRITE_FAILED:
        return None
    said = next((line.removeprefix(CELL_SAYS).strip() for line in reversed(log_tail) if line.startswith(CELL_SAYS)),
                None)
    return f"infrastructure: the cell could not write its result ({said or disk_state(run_dir)})", INFRASTRUCTURE


def disk_state(path: Path) -> str:
    """'No space left on device' when the disk is (nearly) full, else a pointer to the log."""
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return "see cell.log"
    if free < LOW_DISK_BYTES:
        return f"{errno.errorcode[errno.ENOSPC]}: No space left on device ({free} bytes free on the results disk)"
    return "see cell.log"


def retryable(record: Mapping[str, Any]) -> bool:
    """A recorded cell that --resume runs again: it failed for a reason of the machine, not of the model."""
    return not is_ok(record) and record.get("failure") == INFRASTRUCTURE
