"""A run's samples.jsonl: writing a cell's per-item lines, reading the latest attempt of each cell.

Kept free of scientific libraries: the runner reads it between cells, and what the runner imports counts
in the memory figures of the cells it spawns afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = "samples.jsonl"


def latest_samples(run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """cell id -> its samples from its latest attempt; unreadable lines skipped."""
    path = run_dir / SAMPLES
    if not path.is_file():
        return {}
    latest_attempt: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and "cell_id" in row:
                rows.append(row)
                latest_attempt[str(row["cell_id"])] = str(row.get("attempt"))
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if str(row.get("attempt")) == latest_attempt[str(row["cell_id"])]:
            out.setdefault(str(row["cell_id"]), []).append(row)
    return out


def write_samples(handle: Any, set_name: str, items: list[Any], predictions: list[Any],
                  per_item: list[dict[str, float]]) -> None:
    """One samples.jsonl line per item: prediction, gold (and other accepted answers), per-item scores."""
    for item, pred, scores in zip(items, predictions, per_item, strict=True):
        extra = {"also": list(item.also)} if item.also else {}
        handle.write(json.dumps({"item_id": item.id, "test_set": set_name, "prediction": pred,
                                 "gold": item.target, **extra, "scores": scores}, ensure_ascii=False) + "\n")
