"""Weights pinned in models.yaml (package, path, hub cache, joined parts): found, then every file's sha256
checked against its pin before anything loads it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.hashing import sha256_file
from bench.spec.config import ModelSpec, RulesSource
from bench.spec.errors import BenchError, HashMismatch
from bench.weights.assets import asset_file, model_view
from bench.weights.roots import model_root


@dataclass(frozen=True)
class ResolvedWeights:
    root: Path | None  # None for models the harness trains itself
    sha256: dict[str, str]  # file -> sha256 as found on disk
    size_bytes: int
    status: str  # verified | trained | unpinned | derived | rules


def check_file(spec: ModelSpec, path: Path, expected: str) -> str:
    """The file's sha256 when it matches its pin; otherwise an error naming the model and the file."""
    if not path.is_file():
        raise BenchError(f"model '{spec.id}': weights file not found: {path}")
    actual = sha256_file(path)
    if actual != expected:
        raise HashMismatch(f"model '{spec.id}': {path} has sha256 {actual}, models.yaml pins {expected}; "
                           "refusing to load it")
    return actual


def pinned_weights(spec: ModelSpec, models_file_dir: Path) -> ResolvedWeights:
    """Refuse to go on if a weights file is missing or its sha256 differs from the pinned one."""
    root = model_root(spec, models_file_dir)
    if root is None:
        return ResolvedWeights(None, {}, 0, "rules" if isinstance(spec.source, RulesSource) else "trained")
    found: dict[str, str] = {}
    size = 0
    # An archive the model's own assets are unpacked from is not what the runtime reads: leave it out of the size.
    containers = {a.path for a in spec.assets.values() if a.source is None and a.member is not None}
    for name, expected in spec.files.items():
        found[name] = check_file(spec, root / name, expected)
        if name not in containers:
            size += (root / name).stat().st_size
    if spec.assets:
        assets = {name: asset_file(spec, name, asset, models_file_dir) for name, asset in spec.assets.items()}
        found.update({name: asset.sha256 for name, asset in spec.assets.items()})
        size += sum(path.stat().st_size for path in assets.values())
        root = model_view(spec, root, assets)
    return ResolvedWeights(root, found, size, "verified" if spec.files else "unpinned")
