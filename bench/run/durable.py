"""Durable commit of a cell's results, and recovery of a run directory after a kill.

A cell's samples and then its record are appended, each in one write + fsync; the record is the commit
point. A run killed at any moment (even kill -9) is resumed by `reconcile` + `run_cells`: torn tails are
cut, samples of uncommitted attempts dropped, and only cells without a record re-run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bench.fsio import write_all
from bench.run.record import CellRecord
from bench.run.results import RECORDS, SAMPLES, append_line, load_records


def append_block(path: Path, rows: list[dict[str, Any]]) -> None:
    """Several lines in one append + fsync (a kill may tear it; `reconcile` cuts torn tails; a full disk raises)."""
    if not rows:
        return
    write_all(path, "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows).encode("utf-8"),
              append=True)


def commit(run_dir: Path, record: dict[str, Any]) -> None:
    """Samples first, then the record: a cell counts as done only once its record line is on disk."""
    samples = record.pop("_samples", [])
    CellRecord.model_validate(record)  # a record every reader can rely on, or an error before anything is written
    append_block(run_dir / SAMPLES, samples)
    append_line(run_dir / RECORDS, record)


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line without its newline, so the next append does not glue onto it."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb+") as handle:
        end = handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return
        cut = 0
        while end > 0:  # search backwards for the last complete line
            start = max(0, end - 65536)
            handle.seek(start)
            newline = handle.read(end - start).rfind(b"\n")
            if newline >= 0:
                cut = start + newline + 1
                break
            end = start
        handle.truncate(cut)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def reconcile(run_dir: Path) -> int:
    """Make a run directory consistent after a kill; return how many uncommitted samples were dropped."""
    for name in (RECORDS, SAMPLES):
        _cut_torn_tail(run_dir / name)
    path = run_dir / SAMPLES
    if not path.is_file():
        return 0
    committed = {(r.cell_id, r.attempt) for r in load_records(run_dir)}
    keep: list[bytes] = []
    dropped = 0
    with path.open("rb") as handle:
        for raw in handle:
            try:
                row = json.loads(raw)
            except json.JSONDecodeError:
                dropped += 1
                continue
            if "attempt" in row and (row.get("cell_id"), row["attempt"]) not in committed:
                dropped += 1
                continue
            keep.append(raw)
    if dropped:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as handle:
            handle.writelines(keep)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(run_dir)
    return dropped
