"""Plan the matrix: one cell per (model, task) where the model declares the task and the suite selects both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.config import ModelSpec, ModelsFile, SuiteSpec, SuitesFile
from bench.errors import BenchError, ConfigError
from bench.tasks import Task, discover_tasks, load_task
from bench.yamlfile import load_model


@dataclass(frozen=True)
class Cell:
    model: ModelSpec
    task: Task

    @property
    def id(self) -> str:
        return f"{self.task.name}__{self.model.id}"


def load_models(path: Path) -> ModelsFile:
    models = load_model(ModelsFile, path)
    from bench.methods import METHODS
    from bench.runtimes import RUNTIMES

    for index, model in enumerate(models.models):
        if model.runtime not in RUNTIMES:
            raise ConfigError(path, None, f"models.{index}.runtime",
                              f"unknown runtime '{model.runtime}' (known: {sorted(RUNTIMES)})")
        for task, method in model.tasks.items():
            if method not in METHODS:
                raise ConfigError(path, None, f"models.{index}.tasks.{task}",
                                  f"unknown method '{method}' (known: {sorted(METHODS)})")
    return models


def load_suite(path: Path, name: str) -> SuiteSpec:
    suites = load_model(SuitesFile, path).suites
    if name not in suites:
        raise BenchError(f"unknown suite '{name}' in {path} (known: {sorted(suites)})")
    return suites[name]


def load_tasks(tasks_dir: Path, names: list[str] | None = None) -> dict[str, Task]:
    found = {d.name: d for d in discover_tasks(tasks_dir)}
    wanted = names if names is not None else sorted(found)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise BenchError(f"unknown task(s) {missing} in {tasks_dir} (known: {sorted(found)})")
    return {name: load_task(found[name]) for name in wanted}


def plan_cells(models: ModelsFile, tasks: dict[str, Task], suite: SuiteSpec,
               model_filter: list[str] | None = None) -> list[Cell]:
    """Cells in ladder order: per task, models in the order of models.yaml (smallest first by convention)."""
    selected = [m for m in models.models
                if (suite.models == "all" or m.id in suite.models) and (not model_filter or m.id in model_filter)]
    if model_filter:
        unknown = sorted(set(model_filter) - {m.id for m in models.models})
        if unknown:
            raise BenchError(f"unknown model(s) {unknown} (see models.yaml)")
    task_names = list(tasks) if suite.tasks == "all" else [t for t in suite.tasks if t in tasks]
    return [Cell(model, tasks[name]) for name in task_names for model in selected if name in model.tasks]
