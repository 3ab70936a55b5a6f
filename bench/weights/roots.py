"""Where each kind of weights source keeps its files on disk: one small function per kind.

Nothing here downloads: a hub model is read from the local cache only.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from functools import singledispatch
from pathlib import Path

from bench.spec.config import (
    DerivedSource,
    HubSource,
    ModelSpec,
    PackageSource,
    PartsSource,
    PathSource,
    RulesSource,
    TrainedSource,
    WeightsSource,
)
from bench.spec.errors import BenchError
from bench.weights.parts import assembled_path


def package_root(source: PackageSource) -> Path:
    module = source.module or source.package.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise BenchError(f"package '{source.package}=={source.version}' is not installed "
                         f"(run: frugal-bench install)")
    return Path(next(iter(spec.submodule_search_locations)))


def path_root(source: PathSource, models_file_dir: Path) -> Path:
    path = Path(source.path)
    return path if path.is_absolute() else (models_file_dir / path).resolve()


def hub_root(source: HubSource, files: Iterable[str] = ()) -> Path:
    """The local snapshot of a hub repository, from the cache only: the harness never downloads.

    With `files` (the pinned ones), only those are required: a GGUF repository holds a dozen
    quantisations of several GB each, and a cache holding just the one used is complete for us.
    """
    from huggingface_hub import constants, snapshot_download

    patterns = list(files)
    try:
        return Path(snapshot_download(source.hub, revision=source.revision, allow_patterns=patterns or None,
                                      local_files_only=True))
    except Exception as exc:  # any failure of the cache lookup means: not usable offline
        fetch = " ".join(["hf download", source.hub, "--revision", source.revision, *patterns])
        raise BenchError(f"hub model '{source.hub}' (revision {source.revision}) is not in the local cache "
                         f"{constants.HF_HUB_CACHE} ({type(exc).__name__}); runs are offline and never download. "
                         f"Fetch it once on a machine with internet (`{fetch}`) and copy that cache here, or "
                         "point HF_HOME at a copy") from exc


def parts_root(spec: ModelSpec) -> Path:
    path = assembled_path(spec)
    if not path.is_file():
        raise BenchError(f"model '{spec.id}': {path} is not assembled yet (run: frugal-bench install)")
    return path.parent


def source_root(source: WeightsSource, models_file_dir: Path) -> Path:
    """The folder of a source that stands on its own (an asset's source: a package, a path or a hub id)."""
    root = _root(source, None, models_file_dir)
    assert root is not None
    return root


@singledispatch
def _root(source: object, spec: ModelSpec | None, models_file_dir: Path) -> Path | None:
    raise BenchError(f"no folder is known for a {type(source).__name__}")


@_root.register
def _package(source: PackageSource, spec: ModelSpec | None, models_file_dir: Path) -> Path:
    return package_root(source)


@_root.register
def _path(source: PathSource, spec: ModelSpec | None, models_file_dir: Path) -> Path:
    return path_root(source, models_file_dir)


@_root.register
def _hub(source: HubSource, spec: ModelSpec | None, models_file_dir: Path) -> Path:
    return hub_root(source, spec.files if spec else ())


@_root.register
def _parts(source: PartsSource, spec: ModelSpec | None, models_file_dir: Path) -> Path:
    assert spec is not None
    return parts_root(spec)


@_root.register(TrainedSource)
@_root.register(RulesSource)
def _none(source: TrainedSource | RulesSource, spec: ModelSpec | None, models_file_dir: Path) -> None:
    return None  # trained by the harness or written as rules: no files


@_root.register
def _derived(source: DerivedSource, spec: ModelSpec | None, models_file_dir: Path) -> Path:
    raise BenchError(f"model '{spec.id if spec else '?'}': a derived model has no root of its own "
                     "(see bench.weights.resolve)")


def model_root(spec: ModelSpec, models_file_dir: Path) -> Path | None:
    """The folder holding a model's pinned files; None for models the harness trains or writes as rules."""
    return _root(spec.source, spec, models_file_dir)
