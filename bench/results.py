"""The run directory: records appended atomically as cells finish, loaded back into pandas.

results/<run-id>/
  manifest.json     provenance (git sha, packages, hardware, data and weights hashes, settings)
  records.jsonl     one line per cell, appended and fsynced as each cell finishes
  samples.jsonl     per-item predictions and scores, for audit
  summary.csv       tidy, one row per cell
  charts/, report.md
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

RECORDS = "records.jsonl"
SAMPLES = "samples.jsonl"
MANIFEST = "manifest.json"
SUMMARY = "summary.csv"


def new_run_id(git_sha: str | None, now: dt.datetime | None = None) -> str:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{git_sha[:8]}" if git_sha else stamp


def append_line(path: Path, row: dict[str, Any]) -> None:
    """One write of one complete line, flushed to disk: a kill never leaves half a record."""
    data = (json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_records(run_dir: Path) -> list[dict[str, Any]]:
    """Records of a run; a torn last line (from a crash of an older writer) is ignored."""
    path = run_dir / RECORDS
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """A record as one tidy row: quality metrics become `<metric>`, `<metric>_ci_low`, `<metric>_ci_high`."""
    row = {k: v for k, v in record.items() if not isinstance(v, dict | list)}
    for metric, score in (record.get("quality") or {}).items():
        row[metric] = score["value"]
        row[f"{metric}_ci_low"] = score["ci_low"]
        row[f"{metric}_ci_high"] = score["ci_high"]
        row[f"{metric}_n"] = score["n"]
        row[f"{metric}_ci_method"] = score.get("method", "percentile")
    sets = record.get("quality_sets") or {}
    row["test_sets"] = "|".join(sets) if sets else "test"
    for set_name, quality in sets.items():
        for metric, score in quality.items():
            # `<set>:<metric>` columns; the first set's are also the plain `<metric>` ones above.
            for suffix, key in (("", "value"), ("_ci_low", "ci_low"), ("_ci_high", "ci_high"), ("_n", "n")):
                row[f"{set_name}:{metric}{suffix}"] = score[key]
    method = record.get("energy_method") or {}
    row["energy_measured"] = method.get("measured")
    row["energy_estimate_basis"] = method.get("cpu")
    row["carbon_intensity_g_per_kwh"] = method.get("carbon_intensity_g_per_kwh")
    gate = record.get("gate") or {}
    row["gate_metric"] = gate.get("metric")
    row["gate_min"] = gate.get("min")
    for set_name, threshold in (gate.get("sets") or {}).items():
        row[f"{set_name}:gate_min"] = threshold
    return row


def records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([flatten(r) for r in records])


def write_summary(run_dir: Path, records: list[dict[str, Any]]) -> Path:
    path = run_dir / SUMMARY
    tmp = path.with_name(path.name + ".tmp")
    records_frame(records).to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def resolve_run(results_dir: Path, run: str | None) -> Path:
    """A run directory from an id, a path, or 'latest'/None for the newest run."""
    if run and Path(run).is_dir():
        return Path(run)
    if run and run != "latest":
        candidate = results_dir / run
        if not candidate.is_dir():
            raise FileNotFoundError(f"no run '{run}' in {results_dir}")
        return candidate
    runs = sorted(p for p in results_dir.iterdir() if p.is_dir() and not p.is_symlink() and (p / MANIFEST).is_file()) \
        if results_dir.is_dir() else []
    if not runs:
        raise FileNotFoundError(f"no run in {results_dir}: start one with `frugal-bench run`")
    return runs[-1]


def point_latest(results_dir: Path, run_dir: Path) -> None:
    link = results_dir / "latest"
    tmp = results_dir / f".latest.{os.getpid()}.tmp"  # shards started together may share results_dir
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_dir.name)
    os.replace(tmp, link)
