"""A runtime that misbehaves on request, so the harness's own tests can prove a run survives bad models.

models.yaml selects the misbehaviour with fixed option values (nothing from the file is executed):
  options: {fault: raise|segfault|oom|hang|no_weights|network|reach|none, at: load|embed}
`none` is a working toy encoder (hashed bag of words), so a fault model can also be a healthy cell.
`at: embed` defers the fault to the first embedding call (inside fit), after a successful load.
Also: `hold_file: PATH` waits at load until PATH exists (a cell a test can interrupt at will), and
`reserve_mb: N` maps N MB of address space without touching it, as runtimes' allocators do.
`reach` tries 127.0.0.1:`reach_port` three ways the Python guard cannot see (the C socket module, libc's
connect() through ctypes, a subprocess) and raises with what each got.
"""

from __future__ import annotations

import ctypes
import mmap
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from bench.spec.config import ModelSpec
from bench.spec.options import FaultOptions, read_options

DIM = 64
CHUNK_MB = 16


def _raise() -> None:
    raise RuntimeError("injected fault: the runtime raised")


def _segfault() -> None:
    ctypes.string_at(0)  # reads address 0: a real SIGSEGV, not a Python exception


def _oom(limit_mb: int) -> None:
    """Grow resident memory step by step (pages touched, not just reserved) until something stops it."""
    hoard = []
    for _ in range(limit_mb // CHUNK_MB):
        hoard.append(bytearray(b"\x01") * (CHUNK_MB * 1024 * 1024))
        time.sleep(0.005)  # a growth a watcher can see, as with a model that keeps allocating
    raise MemoryError(f"injected fault: allocated {limit_mb} MB and nothing stopped it")


def _hang() -> None:
    while True:
        time.sleep(1)


def _no_weights(root: Path | None) -> None:
    # A loader that looks for a file the package does not ship.
    (root or Path(".")).joinpath("weights-that-are-not-there.bin").read_bytes()


def _network() -> None:
    import urllib.request

    urllib.request.urlopen("https://huggingface.co/api/models/intfloat/multilingual-e5-small", timeout=60)


def _reach(port: int) -> None:
    import _socket
    import socket
    import struct
    import subprocess
    import sys

    outcomes = {}
    try:
        raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        raw.settimeout(5)
        raw.connect(("127.0.0.1", port))
        raw.close()
        outcomes["_socket"] = "reached"
    except OSError as exc:
        outcomes["_socket"] = f"refused(errno {exc.errno})"
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    address = struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton("127.0.0.1") + bytes(8)
    code = libc.connect(fd, address, len(address))
    outcomes["libc"] = "reached" if code == 0 else f"refused(errno {ctypes.get_errno()})"
    libc.close(fd)
    done = subprocess.run([sys.executable, "-c", f"import socket; socket.create_connection(('127.0.0.1', {port}), 5)"],
                          capture_output=True, timeout=30, check=False)
    outcomes["subprocess"] = "reached" if done.returncode == 0 else "refused"
    raise RuntimeError("network probe: " + " ".join(f"{how}={what}" for how, what in outcomes.items()))


class FaultEncoder:
    """A deterministic toy encoder; misbehaves on its first call when the fault is deferred."""

    def __init__(self, trigger: Any, reserved: mmap.mmap | None = None) -> None:
        self._trigger = trigger
        self._reserved = reserved  # kept mapped for the life of the model

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        if self._trigger is not None:
            trigger, self._trigger = self._trigger, None
            trigger()
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, zlib.crc32(word.strip(",.?!'").encode("utf-8")) % DIM] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        result: np.ndarray[Any, np.dtype[np.float32]] = (out / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


def load(spec: ModelSpec, root: Path | None, threads: int) -> FaultEncoder:
    options = read_options(FaultOptions, spec.options)
    fault, at, hold, reserve_mb = options.fault, options.at, options.hold_file, options.reserve_mb
    while hold is not None and not Path(hold).exists():
        time.sleep(0.05)
    reserved = mmap.mmap(-1, reserve_mb * 1024 * 1024) if reserve_mb else None  # virtual, never touched
    actions = {"raise": _raise, "segfault": _segfault, "oom": lambda: _oom(options.oom_limit_mb),
               "hang": _hang, "no_weights": lambda: _no_weights(root), "network": _network,
               "reach": lambda: _reach(options.reach_port), "none": None}
    action = actions[fault]
    if action is not None and at == "load":
        action()
    return FaultEncoder(action if at == "embed" else None, reserved)
