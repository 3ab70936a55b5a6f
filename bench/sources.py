"""Find a model's weights on disk and verify their sha256 before anything loads them."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from bench.config import HubSource, ModelSpec, PackageSource, PathSource, TrainedSource
from bench.errors import BenchError, HashMismatch
from bench.tasks import sha256_file


@dataclass(frozen=True)
class ResolvedWeights:
    root: Path | None  # None for models the harness trains itself
    sha256: dict[str, str]  # file -> sha256 as found on disk
    size_bytes: int
    status: str  # verified | trained | unpinned


def package_root(source: PackageSource) -> Path:
    module = source.module or source.package.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise BenchError(f"package '{source.package}=={source.version}' is not installed "
                         f"(run: frugal-bench install)")
    return Path(next(iter(spec.submodule_search_locations)))


def hub_root(source: HubSource) -> Path:
    """The local snapshot of a hub repository; downloads only when the hub is reachable and allowed."""
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(source.hub, revision=source.revision))


def model_root(spec: ModelSpec, models_file_dir: Path) -> Path | None:
    source = spec.source
    if isinstance(source, TrainedSource):
        return None
    if isinstance(source, PackageSource):
        return package_root(source)
    if isinstance(source, PathSource):
        path = Path(source.path)
        return path if path.is_absolute() else (models_file_dir / path).resolve()
    return hub_root(source)


def resolve_and_verify(spec: ModelSpec, models_file_dir: Path) -> ResolvedWeights:
    """Refuse to go on if a weights file is missing or its sha256 differs from the pinned one."""
    root = model_root(spec, models_file_dir)
    if root is None:
        return ResolvedWeights(None, {}, 0, "trained")
    found: dict[str, str] = {}
    size = 0
    for name, expected in spec.files.items():
        path = root / name
        if not path.is_file():
            raise BenchError(f"model '{spec.id}': weights file not found: {path}")
        actual = sha256_file(path)
        if actual != expected:
            raise HashMismatch(f"model '{spec.id}': {path} has sha256 {actual}, models.yaml pins {expected}; "
                               "refusing to load it")
        found[name] = actual
        size += path.stat().st_size
    return ResolvedWeights(root, found, size, "verified" if spec.files else "unpinned")
