"""A fingerprint of the machine, so a figure can be traced to the hardware that produced it."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def rapl_available() -> bool:
    """Whether energy counters can be read (otherwise energy is an estimate)."""
    root = Path("/sys/class/powercap")
    return any(root.glob("intel-rapl*/energy_uj")) if root.is_dir() else False


def fingerprint() -> dict[str, Any]:
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_model": cpu_model(),
        "cpu_logical_cores": psutil.cpu_count(logical=True),
        "cpu_physical_cores": psutil.cpu_count(logical=False),
        "cpu_available_to_process": len(affinity) if affinity is not None else None,
        "ram_total_gb": round(psutil.virtual_memory().total / 1024**3, 2),
        "os": platform.platform(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "energy_counters_rapl": rapl_available(),
    }
