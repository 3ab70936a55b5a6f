"""Fixtures of the hostile-input tests: a healthy workspace to damage, and a process that cannot go online."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiny
from faultkit import fault_model, write_workspace
from hostile_cases import MODELS


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_workspace(tmp_path, [fault_model("model")])
    sha = tiny.sha256(root / "weights" / "weights.bin")
    (root / "models.yaml").write_text(MODELS.format(sha=sha), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every attempt to reach the network from this process is recorded and refused."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[1:] if args and isinstance(args[0], socket.socket) else args)
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
