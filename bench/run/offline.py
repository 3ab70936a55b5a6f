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
    original_connect_ex, original_sendto = socket.socket.connect_ex, socket.socket.sendto

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:  # the non-raising variant of connect
        if self.family == socket.AF_UNIX:
            return original_connect_ex(self, address)
        raise NetworkBlocked(f"network access refused during a benchmark run (to {address!r})")

    def guarded_sendto(self: socket.socket, *args: Any) -> int:  # UDP without connect, e.g. a hand-made DNS query
        if self.family == socket.AF_UNIX:
            return original_sendto(self, *args)
        raise NetworkBlocked(f"network access refused during a benchmark run (to {args[-1]!r})")

    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = guarded_sendto  # type: ignore[method-assign,assignment]

    def refuse_lookup(*args: Any, **kwargs: Any) -> Any:
        raise NetworkBlocked(f"DNS lookup refused during a benchmark run ({args[0]!r})")

    socket.getaddrinfo = refuse_lookup
    socket.gethostbyname = socket.gethostbyname_ex = socket.gethostbyaddr = refuse_lookup
