"""Workspaces for the fault-injection and regression-gate tests: a tiny task, models on the fault runtime.

Every model here is small enough that a cell takes well under a few seconds; the fault runtime
(bench/runtimes/fault.py) misbehaves exactly as each model's options say.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tiny
import yaml

TASK = "mini_route"
TEST_ITEMS = 12


def fault_model(model_id: str, **options: Any) -> dict[str, Any]:
    """A model on the fault runtime, with one pinned toy weights file (filled in by `write_workspace`)."""
    return {"id": model_id, "family": "fault", "runtime": "fault", "source": {"path": "weights"},
            "files": {"weights.bin": None}, "licence": "MIT", "tasks": {TASK: "embedding_head"},
            "options": {"fault": "none", **options}}


def trained_model(model_id: str = "tfidf-logreg") -> dict[str, Any]:
    return {"id": model_id, "family": "tfidf", "runtime": "onnxruntime", "source": {"trained": "tfidf_logreg"},
            "licence": "BSD-3-Clause", "tasks": {TASK: "tfidf_logreg"}}


def write_workspace(root: Path, models: list[dict[str, Any]], *, suite: str = "quick", timeout_s: float = 60,
                    memory_cap_mb: float | None = None) -> Path:
    """tasks/ (one tiny routing task + suites.yaml), weights/weights.bin and models.yaml under `root`."""
    tasks = root / "tasks"
    tiny.write_task(tasks, TASK)
    cap = f"\n    memory_cap_mb: {memory_cap_mb}" if memory_cap_mb else ""
    (tasks / "suites.yaml").write_text(f"""\
suites:
  {suite}:
    description: tiny fault-injection suite
    items: {{test: {TEST_ITEMS}}}
    min_energy_window_s: 0.2
    warmup_requests: 1
    cell_timeout_s: {timeout_s}{cap}
""", encoding="utf-8")
    weights = root / "weights"
    weights.mkdir(exist_ok=True)
    (weights / "weights.bin").write_bytes(b"toy weights for the fault runtime\n")
    digest = tiny.sha256(weights / "weights.bin")
    for model in models:
        files = model.get("files") or {}
        model["files"] = {name: value or digest for name, value in files.items()} if files else {}
        if not model["files"]:
            model.pop("files")
    (root / "models.yaml").write_text(yaml.safe_dump({"models": models}, sort_keys=False, allow_unicode=True),
                                      encoding="utf-8")
    return root


def records(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "records.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def samples(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "samples.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
