"""How busy the rest of the machine was while a cell was measured.

Timings taken while other processes compete for the same cores are upper bounds, and for runtimes whose
threads wait on each other in spin loops (llama.cpp's OpenMP barriers) they can be several times the quiet
figure. The window records the CPU time the machine spent outside the measured process (and the time a
hypervisor took back: steal), so a report can say which figures were taken on a shared machine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil

SHARED_ABOVE_CORES = 0.25  # other work above a quarter of a core on average: the timing is not a quiet one


def _busy_s() -> tuple[float, float]:
    """Machine-wide busy CPU seconds (every core) and steal seconds since boot."""
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    return busy, getattr(t, "steal", 0.0)


def _own_s() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@dataclass
class ContentionMeter:
    """Use as a context manager around a measurement window."""

    _start: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    other_cores: float | None = None
    steal_cores: float | None = None

    def __enter__(self) -> ContentionMeter:
        busy, steal = _busy_s()
        self._start = (time.monotonic(), busy, steal, _own_s())
        return self

    def __exit__(self, *exc: object) -> None:
        t0, busy0, steal0, own0 = self._start
        elapsed = time.monotonic() - t0
        if elapsed <= 0:
            return
        busy, steal = _busy_s()
        self.other_cores = max(0.0, (busy - busy0) - (_own_s() - own0)) / elapsed
        self.steal_cores = max(0.0, steal - steal0) / elapsed

    def figures(self) -> dict[str, float | bool | None]:
        shared = None if self.other_cores is None else self.other_cores > SHARED_ABOVE_CORES
        return {"window_other_cpu_cores": self.other_cores, "window_steal_cores": self.steal_cores,
                "window_machine_shared": shared}
