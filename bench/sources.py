"""Find a model's weights on disk and verify their sha256 before anything loads them."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.config import (
    Asset,
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
from bench.errors import BenchError, HashMismatch
from bench.hashing import sha256_file

CACHE_ENV = "FRUGAL_BENCH_CACHE"


@dataclass(frozen=True)
class ResolvedWeights:
    root: Path | None  # None for models the harness trains itself
    sha256: dict[str, str]  # file -> sha256 as found on disk
    size_bytes: int
    status: str  # verified | trained | unpinned | derived | rules


def package_root(source: PackageSource) -> Path:
    module = source.module or source.package.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise BenchError(f"package '{source.package}=={source.version}' is not installed "
                         f"(run: frugal-bench install)")
    return Path(next(iter(spec.submodule_search_locations)))


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


def cache_dir() -> Path:
    """Where unpacked assets and derived variants live: outside git, shared by runs, safe to delete."""
    base = os.environ.get(CACHE_ENV) or str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                                             / "frugal-bench")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def source_root(source: WeightsSource, models_file_dir: Path) -> Path:
    if isinstance(source, PackageSource):
        return package_root(source)
    if isinstance(source, PathSource):
        path = Path(source.path)
        return path if path.is_absolute() else (models_file_dir / path).resolve()
    return hub_root(source)


def model_root(spec: ModelSpec, models_file_dir: Path) -> Path | None:
    source = spec.source
    if isinstance(source, TrainedSource | RulesSource):
        return None
    if isinstance(source, DerivedSource):
        raise BenchError(f"model '{spec.id}': a derived model has no root of its own (see resolve_and_verify)")
    if isinstance(source, PartsSource):
        from bench.assemble import assembled_path

        path = assembled_path(spec)
        if not path.is_file():
            raise BenchError(f"model '{spec.id}': {path} is not assembled yet (run: frugal-bench install)")
        return path.parent
    if isinstance(source, HubSource):
        return hub_root(source, spec.files)
    return source_root(source, models_file_dir)


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


def asset_file(spec: ModelSpec, name: str, asset: Asset, models_file_dir: Path) -> Path:
    """The asset, extracted once into the cache; its sha256 is checked every time it is used."""
    cached = cache_dir() / "assets" / asset.sha256 / name
    if not cached.is_file():
        root = source_root(asset.source, models_file_dir) if asset.source else model_root(spec, models_file_dir)
        assert root is not None
        origin = root / asset.path
        if not origin.is_file():
            raise BenchError(f"model '{spec.id}': asset '{name}' not found: {origin}")
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=cached.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            if asset.member is None:
                with origin.open("rb") as src:
                    shutil.copyfileobj(src, out)
            else:
                with zipfile.ZipFile(origin) as archive:
                    try:
                        member = archive.open(asset.member)
                    except KeyError:
                        raise BenchError(f"model '{spec.id}': {origin} has no member '{asset.member}'") from None
                    with member:
                        shutil.copyfileobj(member, out)
        Path(tmp_name).chmod(0o644)  # mkstemp makes it private; the cache is shared by runs
        publish(Path(tmp_name), cached)
    actual = sha256_file(cached)
    if actual != asset.sha256:
        where = f"{asset.path}:{asset.member}" if asset.member else asset.path
        raise HashMismatch(f"model '{spec.id}': asset '{name}' ({where}) has sha256 {actual}, models.yaml pins "
                           f"{asset.sha256}; refusing to load it")
    return cached


def model_view(spec: ModelSpec, root: Path, extra: dict[str, Path]) -> Path:
    """A folder of links: the model's own files plus its assets, so a runtime sees one model folder."""
    listing = {name: str(root / name) for name in spec.files} | {name: str(p) for name, p in extra.items()}
    key = hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()[:16]
    view = cache_dir() / "views" / f"{spec.id}-{key}"
    if view.is_dir():
        return view
    view.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=view.parent, prefix=".tmp-"))
    for name, target in listing.items():
        link = tmp / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    tmp.chmod(0o755)
    publish(tmp, view)
    return view


def resolve_and_verify(spec: ModelSpec, models_file_dir: Path) -> ResolvedWeights:
    """Refuse to go on if a weights file is missing or its sha256 differs from the pinned one."""
    if isinstance(spec.source, DerivedSource):
        from bench.quantise import derived_weights  # a variant is checked against the hashes it was made with

        return derived_weights(spec, models_file_dir)
    root = model_root(spec, models_file_dir)
    if root is None:
        return ResolvedWeights(None, {}, 0, "rules" if isinstance(spec.source, RulesSource) else "trained")
    found: dict[str, str] = {}
    size = 0
    # An archive the model's own assets are unpacked from is not what the runtime reads: leave it out of the size.
    containers = {a.path for a in spec.assets.values() if a.source is None and a.member is not None}
    for name, expected in spec.files.items():
        path = root / name
        if not path.is_file():
            raise BenchError(f"model '{spec.id}': weights file not found: {path}")
        actual = sha256_file(path)
        if actual != expected:
            raise HashMismatch(f"model '{spec.id}': {path} has sha256 {actual}, models.yaml pins {expected}; "
                               "refusing to load it")
        found[name] = actual
        if name not in containers:
            size += path.stat().st_size
    if spec.assets:
        assets = {name: asset_file(spec, name, asset, models_file_dir) for name, asset in spec.assets.items()}
        found.update({name: asset.sha256 for name, asset in spec.assets.items()})
        size += sum(path.stat().st_size for path in assets.values())
        root = model_view(spec, root, assets)
    return ResolvedWeights(root, found, size, "verified" if spec.files else "unpinned")
