"""Re-derive the scores of a run from its samples with the current interval rules (for runs made before them).

Each sample line keeps the gold answer, the prediction and the per-item scores, so the quality of a cell
can be recomputed without running anything. The rescored run is written next to the original (the
original stays untouched: records are append-only), and ranks, reports and compares like any other.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bench.decide.paired import read_samples
from bench.kinds import sample_rules
from bench.run.record import CellRecord
from bench.run.results import MANIFEST, RECORDS, SAMPLES, load_records, write_json_atomic
from bench.spec.errors import BenchError

RESCORED_SUFFIX = "-rescored"


def rescore_cell(kind: str, samples: Sequence[Mapping[str, Any]], labels: Sequence[str] | None, resamples: int,
                 seed: int) -> dict[str, Any]:
    """{metric: score dict} of one cell's samples on one test set."""
    scores = sample_rules(kind).rescore(samples, labels, resamples, seed)
    return {name: score.to_dict() for name, score in scores.items()}


def rescore_run(run_dir: Path, out_dir: Path | None = None, resamples: int = 1000) -> Path:
    """Write `<run>-rescored/` with every ok record's quality recomputed from samples.jsonl; returns it."""
    records = load_records(run_dir)
    if not records:
        raise BenchError(f"{run_dir}: no records to rescore")
    samples = read_samples(run_dir)
    if not samples:
        raise BenchError(f"{run_dir}: no {SAMPLES}: scores cannot be re-derived")
    manifest_path = run_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    out_dir = out_dir or run_dir.with_name(run_dir.name + RESCORED_SUFFIX)
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = manifest.get("tasks") or {}
    rescored = [_rescored(r, samples, tasks.get(str(r.task)) or {}, resamples) if r.ok else r for r in records]
    (out_dir / RECORDS).write_text("".join(json.dumps(r.as_dict(), ensure_ascii=False, default=str) + "\n"
                                           for r in rescored), encoding="utf-8")
    shutil.copyfile(run_dir / SAMPLES, out_dir / SAMPLES)
    write_json_atomic(out_dir / MANIFEST, {**manifest, "rescored_from": run_dir.name})
    return out_dir


def _rescored(record: CellRecord, samples: Mapping[tuple[str, str, str], Sequence[Mapping[str, Any]]],
              info: Mapping[str, Any], resamples: int) -> CellRecord:
    """The record with its quality recomputed from its samples (unchanged when it has none)."""
    kind = str(record.task_kind or info.get("kind") or "")
    metrics = set(record.quality)
    by_set = {}
    for (t_name, m_name, set_name), rows in samples.items():
        if (t_name, m_name) == (record.task, record.model_id):
            scores = rescore_cell(kind, rows, info.get("labels"), resamples, record.seed or 0)
            by_set[set_name] = {k: v for k, v in scores.items() if not metrics or k in metrics}
    if not by_set:
        return record
    return CellRecord.model_validate({**record.as_dict(), "quality_sets": by_set,
                                      "quality": by_set.get("test") or next(iter(by_set.values())),
                                      "quality_rescored_from": SAMPLES})


def rescore_command(
    run_id: Annotated[str, typer.Argument(help="Run id, run folder, or 'latest'.")] = "latest",
    results: Annotated[Path, typer.Option("--results", help="Folder of the runs.")] = Path("results"),
) -> None:
    """Re-derive a run's scores from its samples with the current interval rules, into <run>-rescored/."""
    from bench.report import build_report
    from bench.run.results import resolve_run

    out = rescore_run(resolve_run(results, run_id))
    build_report(out)
    Console().print(f"rescored run written to {out} (rank it with: frugal-bench rank {out})")
