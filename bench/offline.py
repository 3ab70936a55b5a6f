"""Offline by construction: hub libraries in offline mode, and any socket to the outside refused."""

from __future__ import annotations

import os
import socket
from typing import Any

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}


class NetworkBlocked(RuntimeError):
    """A library tried to reach the network during a run."""


def enforce_offline() -> None:
    os.environ.update(OFFLINE_ENV)
    if getattr(socket.socket, "_frugal_guarded", False):
        return
    original_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> None:
        # Local IPC stays allowed (some runtimes use Unix sockets); anything else fails fast.
        if self.family == socket.AF_UNIX:
            original_connect(self, address)
            return
        raise NetworkBlocked(f"network access refused during a benchmark run (to {address!r})")

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket._frugal_guarded = True  # type: ignore[attr-defined]

    def refuse_lookup(*args: Any, **kwargs: Any) -> Any:
        raise NetworkBlocked(f"DNS lookup refused during a benchmark run ({args[0]!r})")

    socket.getaddrinfo = refuse_lookup
