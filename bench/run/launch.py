"""Start a run or take one up again: plan its cells, refuse bad input, then create its folder and manifest.

Everything that can refuse a run (config, data, weights) happens before the run folder exists, so a
refused run leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.run.plan import SCENARIOS, Cell, Scenario, load_models, load_tasks, plan_cells
from bench.run.results import MANIFEST, create_run_dir, new_run_id, point_latest, read_manifest, resolve_run
from bench.run.settings import RunSettings
from bench.spec.config import ItemLimits, SuitesFile, SuiteSpec
from bench.spec.datachecks import data_warnings
from bench.spec.errors import BenchError
from bench.spec.yamlfile import load_model


@dataclass(frozen=True)
class Launch:
    run_dir: Path
    cells: list[Cell]
    settings: RunSettings
    warnings: list[str]  # about the data: printed, and kept in the manifest and the records


def resumable(results: Path, run: str) -> Path:
    try:
        run_dir = resolve_run(results, run)
    except BenchError as exc:
        raise BenchError(f"cannot resume: {exc}") from exc
    if not (run_dir / MANIFEST).is_file():
        raise BenchError(f"cannot resume: {run_dir} has no {MANIFEST} (the run never started a cell)")
    return run_dir


def resume(results: Path, run: str, models_file: Path, tasks_dir: Path, shard: str | None = None,
           shard_costs: str | None = None) -> Launch:
    """The cells of an earlier run not yet recorded, with the settings it recorded (a shard: its slice)."""
    from bench.run.runner import plan_resume, preflight
    from bench.run.shard import check_resume

    run_dir = resumable(results, run)
    recorded = read_manifest(run_dir)
    check_resume(recorded, shard, shard_costs)
    try:
        settings = RunSettings.from_dict(recorded["settings"], models_file.parent)
        task_names = sorted(recorded["tasks"])
        caps = recorded_caps(recorded, tasks_dir / "suites.yaml")
    except (KeyError, TypeError, AttributeError, ValueError) as exc:  # valid JSON, but not what a run writes
        raise _corrupt(run_dir, exc) from None
    planned = plan_cells(load_models(models_file), load_tasks(tasks_dir, task_names),
                         SuiteSpec(description="resume", model_items=caps), scenarios=scenarios_of_settings(settings))
    try:
        cells = plan_resume(run_dir, planned)
    except (KeyError, TypeError, AttributeError) as exc:
        raise _corrupt(run_dir, exc) from None
    preflight(cells, models_file)
    point_latest(results, run_dir)  # `latest` is the run last started, resumed or finished
    return Launch(run_dir, cells, settings, _warnings(cells))


def recorded_caps(manifest: dict[str, Any], suites_file: Path) -> dict[str, ItemLimits]:
    """The per-model item caps a run was planned with. A manifest written before they were recorded takes
    them from the suite of the same name, if suites.yaml still has it (caps of models not in the run are
    left out: they cap nothing)."""
    if "model_items" in manifest:
        return {model: ItemLimits(**limits) for model, limits in manifest["model_items"].items()}
    suite = load_model(SuitesFile, suites_file).suites.get(manifest["settings"]["suite"]) \
        if suites_file.is_file() else None
    caps = suite.model_items if suite is not None else {}
    return {model: limits for model, limits in caps.items() if model in manifest["models"]}


def scenarios_of_settings(settings: RunSettings) -> tuple[Scenario, ...]:
    """The scenarios a run recorded (a run from before scenarios existed measured single requests only)."""
    return tuple(s for s in SCENARIOS if s in settings.scenarios) or ("single",)


def _corrupt(run_dir: Path, exc: Exception) -> BenchError:
    return BenchError(f"{run_dir / MANIFEST}: corrupt manifest ({type(exc).__name__}: {exc}); start a new run")


def start(results: Path, cells: list[Cell], settings: RunSettings, models_file: Path, root: Path,
          shard: str | None = None, shard_costs: str | None = None) -> Launch:
    """Check the weights, then create the run folder (never an existing one) and its manifest.

    With `shard` ("K/N"), only the K-th slice of the planned cells runs; the manifest keeps the whole plan.
    """
    from bench.run.manifest import build_manifest, git_state
    from bench.run.results import write_json_atomic
    from bench.run.runner import preflight
    from bench.run.shard import plan_shard

    sharded = plan_shard(cells, shard, settings, results, shard_costs)  # without --shard: every cell
    preflight(sharded.cells, models_file)  # a missing or altered weights file stops the run before it starts
    run_dir = create_run_dir(results, new_run_id(git_state(root).get("git_sha")) + sharded.suffix)
    manifest = build_manifest(run_dir.name, sharded.planned, settings.to_dict(), root)  # the plan's provenance
    write_json_atomic(run_dir / MANIFEST, sharded.stamp(manifest))
    point_latest(results, run_dir)
    return Launch(run_dir, sharded.cells, settings, [*_warnings(sharded.cells), *sharded.notes])


def _warnings(cells: list[Cell]) -> list[str]:
    tasks = {cell.task.name: cell.task for cell in cells}
    return [warning for task in tasks.values() for warning in data_warnings(task)]
