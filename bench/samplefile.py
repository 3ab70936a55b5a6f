"""Reading a run's samples.jsonl: the per-item predictions of the latest attempt of each cell.

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
