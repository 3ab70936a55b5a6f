"""Shared pieces of the builders: the seed, byte-stable JSONL, data-card statistics blocks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_SEED = 20240601  # recorded in every data card; change it only with a task version bump
SPLITS = ("train", "dev", "test")
REPO_ROOT = Path(__file__).resolve().parents[2]
TASKS_DIR = REPO_ROOT / "tasks"

Row = dict[str, Any]
Splits = dict[str, list[Row]]

STATS_BEGIN = "<!-- stats:begin (written by python -m bench.builders) -->"
STATS_END = "<!-- stats:end -->"


def jsonl_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One JSON object per line, keys sorted, UTF-8: the same rows always give the same bytes."""
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows).encode("utf-8")


def write_splits(task_dir: Path, splits: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Path]:
    """data/<name>.jsonl for train, dev, test and any further test set the builder returns."""
    data_dir = task_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for split in (*SPLITS, *(name for name in splits if name not in SPLITS)):
        path = data_dir / f"{split}.jsonl"
        path.write_bytes(jsonl_bytes(splits[split]))
        written[split] = path
    return written


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def update_datacard(path: Path, stats_markdown: str) -> None:
    """Replace the generated statistics block of a hand-written data card (append it if absent)."""
    block = f"{STATS_BEGIN}\n{stats_markdown.strip()}\n{STATS_END}"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    pattern = re.compile(re.escape(STATS_BEGIN) + r".*?" + re.escape(STATS_END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"
    path.write_text(text, encoding="utf-8")


def word_count(text: str) -> int:
    """Words as whitespace-separated tokens: the unit every length cap of these data sets uses."""
    return len(text.split())
