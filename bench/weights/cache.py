"""The harness's cache folder (unpacked assets, joined parts, derived variants) and safe publication in it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CACHE_ENV = "FRUGAL_BENCH_CACHE"


def cache_dir() -> Path:
    """Where unpacked assets and derived variants live: outside git, shared by runs, safe to delete."""
    base = os.environ.get(CACHE_ENV) or str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                                             / "frugal-bench")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def publish(tmp: Path, final: Path) -> None:
    """Move a finished file or folder into place; a concurrent writer that got there first wins."""
    try:
        if tmp.is_file():
            os.replace(tmp, final)
        else:
            tmp.rename(final)
    except OSError:
        if not final.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)
