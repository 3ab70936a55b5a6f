"""Cells without any network: a fresh network namespace where the OS allows it, else the Python guard.

`unshare --user --net` (util-linux) gives the cell a user namespace, which needs no privilege, and in it
a network namespace whose only interface is a loopback that is down: no connect() can reach anything,
whether it comes from Python, from native code through libc or from a subprocess. Kernels or sandboxes
that forbid unprivileged user namespaces (some containers, Ubuntu's AppArmor restriction, non-Linux)
make the probe fail; cells then run under bench.run.offline's Python-level guard alone, which native code
and subprocesses bypass. Every record and the manifest say which of the two was in force.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys

NAMESPACE = "namespace"  # no network interface but a loopback that is down, plus the Python guard
PYTHON_GUARD = "python-guard"  # bench.run.offline only
# What the probe runs inside the namespace: it must see no interface but the loopback.
PROBE = "import socket; print(sorted(n for _, n in socket.if_nameindex()))"


@functools.cache
def namespace_prefix() -> tuple[str, ...] | None:
    """The command prefix that runs a program without network, or None where the OS does not allow it."""
    if not sys.platform.startswith("linux"):
        return None
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    # --map-current-user keeps the user's own uid inside (util-linux >= 2.38); older versions run as nobody.
    for extra in (("--map-current-user",), ()):
        prefix = (unshare, "--user", "--net", *extra)
        try:
            done = subprocess.run([*prefix, sys.executable, "-I", "-S", "-c", PROBE], capture_output=True,
                                  text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0 and done.stdout.strip() in ("['lo']", "[]"):
            return prefix
    return None


def isolation_mode() -> str:
    """What the cells of this run will run under: NAMESPACE or PYTHON_GUARD."""
    return NAMESPACE if namespace_prefix() is not None else PYTHON_GUARD
