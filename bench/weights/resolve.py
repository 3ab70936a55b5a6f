"""The one entry point: a model's weights found, made if derived, and verified before anything loads them."""

from __future__ import annotations

from pathlib import Path

from bench.spec.config import DerivedSource, ModelSpec
from bench.weights.derived import derived_weights
from bench.weights.pinned import ResolvedWeights, pinned_weights


def resolve_and_verify(spec: ModelSpec, models_file_dir: Path) -> ResolvedWeights:
    """Refuse to go on if a weights file is missing or its sha256 differs from the pinned one."""
    if isinstance(spec.source, DerivedSource):
        return derived_weights(spec, models_file_dir)
    return pinned_weights(spec, models_file_dir)
