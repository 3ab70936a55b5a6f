"""Resident memory of the current process: current value, kernel high-water mark, and a low-rate sampler.

Units: MB = 10^6 bytes everywhere in the records (the field names say `_mb`).

Why two peaks. The kernel's high-water mark (VmHWM) is exact and free, but it covers the
whole life of the process and cannot be read for one phase only without resetting it (which would also
corrupt what wait4() reports to the parent). The sampler gives the peak of one phase (the serving
window) and a cross-check of the kernel figure; a transient spike shorter than its interval is missed by
the sampler but never by the kernel. It samples in the cell's own process, in a thread that sleeps in
the kernel between samples (Event.wait, no busy loop), at 4 Hz: each sample is one read of
/proc/self/statm (a few µs) plus a thread wake-up, ~0.1 % of a core measured here. The parent never
samples: it blocks in the kernel until the cell exits.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psutil

MB = 1_000_000
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _statm_reader() -> int | None:
    try:
        return os.open("/proc/self/statm", os.O_RDONLY)
    except OSError:
        return None


_STATM = _statm_reader()


def rss_bytes() -> int:
    """Current resident set size (a few µs on Linux: one pread of /proc/self/statm)."""
    if _STATM is not None:
        return int(os.pread(_STATM, 128, 0).split()[1]) * _PAGE
    return int(psutil.Process().memory_info().rss)


def rss_mb() -> float:
    return rss_bytes() / MB


def peak_rss_mb() -> float:
    """Kernel high-water mark of this process's resident set so far (VmHWM on Linux).

    Not getrusage(): on Linux ru_maxrss survives execve and starts at the high-water mark of the process
    that spawned us (with vfork, the runner's own peak), so a small cell run from a big parent would report
    the parent's memory. VmHWM belongs to the address space created by execve: it is the cell's alone.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MB
    except OSError:
        pass
    return maxrss_to_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def maxrss_to_mb(ru_maxrss: int) -> float:
    """ru_maxrss as reported by getrusage/wait4, in MB (macOS reports bytes, Linux KiB).

    For a child reaped by wait4 this is at least the parent's own high-water mark at spawn time (see
    peak_rss_mb): a floor, not the child's figure, whenever the parent was the bigger of the two.
    """
    return ru_maxrss / MB if sys.platform == "darwin" else ru_maxrss * 1024 / MB


class RssSampler:
    """Peak RSS sampled in a background thread, overall and inside a marked window."""

    def __init__(self, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self.peak = 0
        self.window_peak = 0
        self.samples = 0
        self._in_window = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def sample(self) -> int:
        rss = rss_bytes()
        with self._lock:
            self.samples += 1
            self.peak = max(self.peak, rss)
            if self._in_window:
                self.window_peak = max(self.window_peak, rss)
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):  # sleeps in the kernel between samples
            self.sample()

    def start(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.sample()

    @contextmanager
    def window(self) -> Iterator[None]:
        with self._lock:
            self._in_window = True
        self.sample()
        try:
            yield
        finally:
            self.sample()
            with self._lock:
                self._in_window = False

    def figures(self) -> dict[str, float | int]:
        return {"peak_rss_sampled_mb": self.peak / MB, "peak_rss_window_sampled_mb": self.window_peak / MB,
                "rss_samples": self.samples, "rss_sample_interval_s": self.interval_s}
