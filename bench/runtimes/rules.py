"""Plain Python rules: no weights, no model library. The method carries the rules (regex, lead-k).

The cell loads nothing for a `rules` source; `load` exists so that the runtime can be named in models.yaml
and so that a rules rung reports the same fields as any other rung.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from bench.spec.config import ModelSpec


@dataclass(frozen=True)
class Rules:
    """Stands for "the harness's own code": the Python version is its only dependency."""

    python: str


def load(spec: ModelSpec, root: Path | None, threads: int) -> Rules:
    return Rules(platform.python_version())
