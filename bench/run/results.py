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
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bench.fsio import replace_atomic, write_all
from bench.run.record import CellRecord, EnergyMethod, RecordGate, as_record, upgrade
from bench.spec.errors import BenchError, ConfigError

LATEST = "latest"
RECORDS = "records.jsonl"
SAMPLES = "samples.jsonl"
MANIFEST = "manifest.json"
SUMMARY = "summary.csv"


def new_run_id(git_sha: str | None, now: dt.datetime | None = None) -> str:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{git_sha[:8]}" if git_sha else stamp


def append_line(path: Path, row: dict[str, Any]) -> None:
    """One complete line, flushed to disk: a kill never leaves half a record, a full disk raises."""
    write_all(path, (json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8"), append=True)


def write_json_atomic(path: Path, data: Any) -> None:
    replace_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8"))


def scenario_of(record: Mapping[str, Any]) -> str:
    """A plain record's scenario; records written before scenarios existed are single-request ones."""
    return str(record.get("scenario") or "single")


def load_records(run_dir: Path) -> list[CellRecord]:
    """Records of a run, typed and in the current format; a torn last line (from a crash of an older writer)
    is ignored."""
    return load_records_checked(run_dir)[0]


def load_records_checked(run_dir: Path) -> tuple[list[CellRecord], list[str]]:
    """Typed records of a run, and one warning per line that could not be read."""
    lines, skipped = _read_lines(run_dir, RECORDS)
    return [record for _, record in lines], skipped


def read_records(run_dir: Path) -> list[dict[str, Any]]:
    """Records of a run as plain dicts (upgraded, otherwise as written), for code that reads them by key."""
    return read_records_checked(run_dir)[0]


def read_records_checked(run_dir: Path, name: str = RECORDS) -> tuple[list[dict[str, Any]], list[str]]:
    """Records of a run (or the lines of another JSONL file of it) as plain dicts, and one warning per
    unreadable line."""
    lines, skipped = _read_lines(run_dir, name)
    return [raw for raw, _ in lines], skipped


def _read_lines(run_dir: Path, name: str) -> tuple[list[tuple[dict[str, Any], CellRecord]], list[str]]:
    """Each readable line, upgraded (older formats are upgraded here, and only here) and parsed."""
    path = run_dir / name
    if not path.is_file():
        return [], []
    records, skipped = [], []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            torn = number == len(lines)  # no newline after it: a write cut short by a kill
            skipped.append(f"{path}:{number}: {'torn last line' if torn else 'unreadable line'} skipped ({exc})")
            continue
        if not isinstance(record, dict):
            skipped.append(f"{path}:{number}: not a JSON object, skipped")
            continue
        try:
            upgraded = upgrade(record)
            records.append((upgraded, CellRecord.model_validate(upgraded)))
        except ValueError as exc:  # pydantic's ValidationError included
            skipped.append(f"{path}:{number}: not a cell record this harness can read, skipped ({_first_line(exc)})")
    return records, skipped


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split("\n")[:3])


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """A run's manifest.json, or an error naming the file and the line where it is broken."""
    path = run_dir / MANIFEST
    if not path.is_file():
        raise BenchError(f"{run_dir} is not a run folder (no {MANIFEST}: the run never started a cell)")
    try:
        data = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise ConfigError(path, exc.lineno, None, f"corrupt manifest: {exc.msg}; the run's provenance is lost, "
                          "start a new run") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError(path, None, None, f"cannot read the manifest: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", []), list):
        raise ConfigError(path, 1, None, "corrupt manifest: not the JSON object a run writes; start a new run")
    return data


def flatten(record: CellRecord | Mapping[str, Any]) -> dict[str, Any]:
    """A record as one tidy row: quality metrics become `<metric>`, `<metric>_ci_low`, `<metric>_ci_high`."""
    record = as_record(record)  # a plain record of any version (records given by hand too) is parsed here
    row = {k: v for k, v in record.model_dump(exclude_unset=True).items() if not isinstance(v, dict | list)}
    for metric, score in record.quality.items():
        row[metric] = score.value
        row[f"{metric}_ci_low"] = score.ci_low
        row[f"{metric}_ci_high"] = score.ci_high
        row[f"{metric}_n"] = score.n
        row[f"{metric}_ci_method"] = score.method
    sets = record.quality_sets
    row["test_sets"] = "|".join(sets) if sets else "test"
    for set_name, quality in sets.items():
        for metric, score in quality.items():
            # `<set>:<metric>` columns; the first set's are also the plain `<metric>` ones above.
            row[f"{set_name}:{metric}"] = score.value
            row[f"{set_name}:{metric}_ci_low"] = score.ci_low
            row[f"{set_name}:{metric}_ci_high"] = score.ci_high
            row[f"{set_name}:{metric}_n"] = score.n
    row["not_needed"] = record.not_needed.costlier_than if record.not_needed else None  # frugal runs
    row["unscored_sets"] = "|".join(record.unscored_sets)
    row["items_scored"] = record.sequential.items_scored if record.sequential else None
    method = record.energy_method or EnergyMethod()
    row["energy_measured"] = method.measured
    row["energy_estimate_basis"] = method.cpu
    row["carbon_intensity_g_per_kwh"] = method.carbon_intensity_g_per_kwh
    gate = record.gate or RecordGate()
    row["gate_metric"] = gate.metric
    row["gate_min"] = gate.min
    for set_name, threshold in gate.sets.items():
        row[f"{set_name}:gate_min"] = threshold
    return row


def records_frame(records: Sequence[CellRecord | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per record, whatever version of the format each record was written in."""
    return pd.DataFrame([flatten(r) for r in records])


def write_summary(run_dir: Path, records: Sequence[CellRecord | Mapping[str, Any]]) -> Path:
    path = run_dir / SUMMARY
    tmp = path.with_name(path.name + ".tmp")
    records_frame(records).to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


class RunNotFound(BenchError):
    """No run matches what the user asked for."""


def create_run_dir(results_dir: Path, run_id: str) -> Path:
    """A new, empty run folder; runs started in the same second get -2, -3... (mkdir is atomic)."""
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 1000):
            run_dir = results_dir / (run_id if attempt == 1 else f"{run_id}-{attempt}")
            try:
                run_dir.mkdir()
            except FileExistsError:
                continue
            return run_dir
    except OSError as exc:
        raise BenchError(f"cannot create a run folder in {results_dir}: {exc.strerror}") from exc
    raise BenchError(f"cannot create a run folder in {results_dir}: {run_id} and 998 variants exist")


def _started(run_dir: Path) -> tuple[str, str]:
    """Sort key of a run: its id's UTC second, then the manifest's finer creation time."""
    try:
        created = str(json.loads((run_dir / MANIFEST).read_bytes()).get("created_at") or "")
    except (OSError, ValueError, AttributeError):
        created = ""
    return run_dir.name[:16], created


def resolve_run(results_dir: Path, run: str | None) -> Path:
    """A run directory from an id, a path, or 'latest'/None.

    'latest' follows results/latest, the link every run moves to itself when it starts and when it ends,
    so `latest` always means the same run for the link and for the commands; without the link (results
    copied elsewhere), the run that started last.
    """
    if run and run != LATEST and Path(run).is_dir():
        return Path(run)
    if run and run != LATEST:
        candidate = results_dir / run
        if not candidate.is_dir():
            known = sorted(p.name for p in results_dir.iterdir() if p.is_dir() and not p.is_symlink()) \
                if results_dir.is_dir() else []
            hint = f" (the newest: {', '.join(known[-3:])})" if known else ""
            raise RunNotFound(f"no run '{run}' in {results_dir}{hint}")
        return candidate
    link = results_dir / LATEST
    if link.is_symlink():
        target = results_dir / os.readlink(link)
        if (target / MANIFEST).is_file():
            return target
    runs = [p for p in results_dir.iterdir() if p.is_dir() and not p.is_symlink() and (p / MANIFEST).is_file()] \
        if results_dir.is_dir() else []
    if not runs:
        raise RunNotFound(f"no run in {results_dir}: start one with `frugal-bench run`")
    return max(runs, key=_started)


def point_latest(results_dir: Path, run_dir: Path) -> None:
    """Move results/latest to `run_dir` atomically; concurrent runs each use their own temporary link."""
    link = results_dir / LATEST
    tmp = results_dir / f".latest.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    try:
        tmp.symlink_to(run_dir.name)
        os.replace(tmp, link)
    finally:
        tmp.unlink(missing_ok=True)
