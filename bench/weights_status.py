"""What `frugal-bench list` says about a rung's weights: size on disk and sha256 status, without loading them."""

from __future__ import annotations

from pathlib import Path

from bench.config import DerivedSource, ModelSpec
from bench.errors import BenchError, HashMismatch


def weights_status(model: ModelSpec, models_dir: Path) -> tuple[str, str]:
    """Size on disk and hash status, without loading anything: verified, mismatch, not installed..."""
    from bench.sources import resolve_and_verify

    if isinstance(model.source, DerivedSource):
        return "–", f"derived from {model.source.base.id} (built by install, hashed)"
    try:
        weights = resolve_and_verify(model, models_dir)
    except HashMismatch:
        return "–", "[red]sha256 MISMATCH: refused[/]"
    except BenchError as exc:
        return "–", f"[yellow]not available[/] ({exc})"
    size = f"{weights.size_bytes / 1e6:,.1f} MB" if weights.size_bytes else "–"
    return size, {"verified": "[green]sha256 verified[/]"}.get(weights.status, weights.status)
