"""Provenance of a run: which code, data, weights, packages and machine produced its figures."""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import __version__
from bench.measure.hardware import fingerprint
from bench.run.netns import isolation_mode
from bench.run.plan import Cell
from bench.spec.datachecks import data_warnings
from bench.spec.tasks import Task

CORE_PACKAGES = ("numpy", "pandas", "scikit-learn", "onnxruntime", "onnx", "skl2onnx", "codecarbon", "psutil",
                 "pydantic", "matplotlib", "tokenizers", "transformers", "torch", "xllamacpp", "spacy",
                 "text2num")


def git_state(root: Path) -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    sha = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"git_sha": sha, "git_dirty": bool(status) if status is not None else None}


def package_versions(extra: list[str]) -> dict[str, str]:
    versions = {}
    for name in (*CORE_PACKAGES, *extra):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return versions


def build_manifest(run_id: str, cells: list[Cell], settings: dict[str, Any], root: Path) -> dict[str, Any]:
    tasks = {c.task.name: c.task for c in cells}
    models = {c.model.id: c.model for c in cells}
    model_packages = [m.source.package for m in models.values() if hasattr(m.source, "package")]
    return {
        "run_id": run_id,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "frugal_bench_version": __version__,
        **git_state(root),
        "command": sys.argv,
        "settings": settings,
        "hardware": fingerprint(),
        "packages": package_versions(model_packages),
        "network_isolation": isolation_mode(),
        "tasks": {name: {"version": t.spec.version, "kind": t.spec.kind, "data_sha256": t.data_sha256,
                         "sizes": t.sizes(), "labels": sorted(t.spec.labels) if t.spec.labels else None,
                         "test_sets": {s: {"items": len(items), "provenance": _provenance(t, s)}
                                       for s, items in t.test_sets.items()},
                         "gate": {**t.spec.good_enough.model_dump(),
                                  "sets": {s: t.set_gate(s) for s in t.test_sets}},
                         "data_warnings": data_warnings(t)} for name, t in tasks.items()},
        "models": {mid: {"family": m.family, "runtime": m.runtime, "params": m.params, "licence": m.licence,
                         "source": m.source.model_dump(), "files_sha256": m.files} for mid, m in models.items()},
        "cells": [c.id for c in cells],
        # The suite's per-model caps, so that a resumed run scores its capped rungs on the same items.
        "model_items": {c.model.id: c.items.model_dump() for c in cells if c.items is not None},
    }


def _provenance(task: Task, set_name: str) -> str:
    spec = task.spec.data.test_sets.get(set_name)
    return spec.provenance if spec is not None else ""
