"""Resident memory of the current process."""

from __future__ import annotations

import resource
import sys

import psutil

MB = 1024 * 1024


def rss_mb() -> float:
    """Current resident set size in MiB."""
    return float(psutil.Process().memory_info().rss) / MB


def peak_rss_mb() -> float:
    """OS high-water mark of this process's resident set, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return float(peak) / (MB if sys.platform == "darwin" else 1024)
