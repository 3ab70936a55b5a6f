"""Tie a cell process to its runner: if the runner dies, even by kill -9, the cell dies too.

Cells run in their own session (so the runner can kill a whole process group), which also means a
terminal's Ctrl-C or a killed runner would leave them running, measuring nothing and holding memory.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_ENV = "FRUGAL_BENCH_RUNNER_PID"
# A kept cell (bench.run.heldcell) writes one line on this file descriptor once its probe is on disk.
READY_FD_ENV = "FRUGAL_BENCH_READY_FD"
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: ask the kernel for SIGKILL when the runner goes away; elsewhere the runner reaps orphans."""
    expected = os.environ.get(PARENT_ENV)
    if expected is None or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != int(expected):  # the runner died before the request took effect
        os._exit(70)
