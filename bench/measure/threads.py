"""Thread caps for every runtime of a cell, so a big machine can approximate a smaller target.

Three layers, because runtimes size their thread pools in different ways:
1. environment variables set by the parent before the cell starts (OpenMP, BLAS, numexpr, Rust/rayon
   pools such as the `tokenizers` one): read once, when a library starts its pool;
2. optional CPU pinning, applied by the cell before any library starts a thread (Linux affinity is
   per thread and inherited, so pinning after a pool exists would leave its threads free);
3. `cap_loaded_pools` after the model is loaded (threadpoolctl for OpenMP/BLAS, torch if present),
   for libraries that ignored the environment. Runtimes also receive `threads` explicitly
   (e.g. onnxruntime's intra-op pool).

No heavy import here: the cell imports this module before numpy.
"""

from __future__ import annotations

import os
import sys
from typing import Any

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS", "RAYON_NUM_THREADS")
PIN_ENV = "FRUGAL_BENCH_PIN_CPUS"  # set by the parent: pin the cell to this many CPUs


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's total)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def thread_env(threads: int, pin_cpus: bool = False) -> dict[str, str]:
    """Environment of a cell process capped at `threads` threads."""
    env = {name: str(threads) for name in THREAD_ENV}
    if pin_cpus:
        env[PIN_ENV] = str(threads)
    return env


def pin_from_env() -> list[int] | None:
    """Restrict this process to N CPUs if the parent asked for it; return the CPUs used."""
    wanted = os.environ.get(PIN_ENV)
    if not wanted or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[:max(1, int(wanted))]
    os.sched_setaffinity(0, chosen)
    return chosen


def cpu_affinity() -> list[int] | None:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def os_threads() -> int | None:
    """Threads of this process right now (runtime pools plus the harness's own few)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cap_loaded_pools(threads: int) -> list[dict[str, Any]]:
    """Cap the OpenMP/BLAS pools already loaded (and torch's), return what is in effect for the record."""
    pools: list[dict[str, Any]] = []
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(limits=threads)
        pools = [{"library": p.get("internal_api"), "file": os.path.basename(str(p.get("filepath", ""))),
                  "version": p.get("version"), "num_threads": p.get("num_threads")} for p in threadpool_info()]
    except ImportError:  # threadpoolctl comes with scikit-learn; without it the environment caps remain
        pass
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
        pools.append({"library": "torch", "num_threads": int(torch.get_num_threads())})
    return pools
