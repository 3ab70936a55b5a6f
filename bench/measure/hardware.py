"""A fingerprint of the machine, so a figure can be traced to the hardware that produced it."""

from __future__ import annotations

import os
import platform
import sys
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
    frequency = psutil.cpu_freq() if hasattr(psutil, "cpu_freq") else None
    return {
        "cpu_model": cpu_model(),
        "cpu_logical_cores": psutil.cpu_count(logical=True),
        "cpu_physical_cores": psutil.cpu_count(logical=False),
        "cpu_available_to_process": len(affinity) if affinity is not None else None,
        "cpu_max_mhz": round(frequency.max, 1) if frequency is not None and frequency.max else None,
        "ram_total_gb": round(psutil.virtual_memory().total / 1e9, 2),
        "os": platform.platform(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "energy_counters_rapl": rapl_available(),
    }


def loaded_library_versions(modules: dict[str, Any] | None = None) -> dict[str, str]:
    """`__version__` of every top-level package this process has imported (what actually ran).

    Read from the modules themselves: scanning the installed distributions costs ~0.4 s per cell.
    """
    loaded = modules if modules is not None else dict(sys.modules)
    versions: dict[str, str] = {}
    for name, module in sorted(loaded.items()):
        if "." in name or name.startswith("_") or module is None or name in sys.stdlib_module_names:
            continue
        version = getattr(module, "__version__", None)
        if isinstance(version, str):
            versions[name] = version
    return versions
