"""Plan the matrix: one cell per (model, task) where the model declares the task and the suite selects both."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.config import DerivedSource, ItemLimits, ModelsFile, ModelSpec, SuitesFile, SuiteSpec
from bench.errors import BenchError, ConfigError, ConfigErrors
from bench.tasks import Task, discover_tasks, load_task
from bench.yamlfile import line_of, load_model, load_yaml, validate


@dataclass(frozen=True)
class Cell:
    model: ModelSpec
    task: Task
    items: ItemLimits | None = None  # the suite's per-model caps, if any

    @property
    def id(self) -> str:
        return f"{self.task.name}__{self.model.id}"


def _yaml_index(model: ModelSpec, positions: dict[str, int]) -> int:
    """Where a model sits in the file; a derived variant is reported at its base model."""
    while model.id not in positions and isinstance(model.source, DerivedSource):
        model = model.source.base
    return positions.get(model.id, 0)


def load_models(path: Path, tasks_dir: Path | None = None, tasks: Mapping[str, Task] | None = None) -> ModelsFile:
    """models.yaml, validated; with `tasks_dir`, every task a model names must exist there, and with the
    loaded `tasks`, every method must serve its task's kind (a typo would otherwise skip a cell silently,
    or fail it only after the run started).
    """
    data, lines = load_yaml(path)
    models = validate(ModelsFile, data, path, lines)
    from bench.methods import METHOD_KINDS, METHODS
    from bench.runtimes import RUNTIMES

    known = {d.name for d in discover_tasks(tasks_dir)} if tasks_dir is not None else None
    positions = {str(m.get("id")): i for i, m in enumerate(data["models"]) if isinstance(m, dict)}
    errors: list[ConfigError] = []
    for model in models.models:
        index = _yaml_index(model, positions)
        if model.runtime not in RUNTIMES:
            errors.append(ConfigError(path, line_of(lines, ("models", index, "runtime")), f"models.{index}.runtime",
                                      f"unknown runtime '{model.runtime}' (known: {sorted(RUNTIMES)})"))
        for task, method in model.tasks.items():
            where = (path, line_of(lines, ("models", index, "tasks", task)), f"models.{index}.tasks.{task}")
            if method not in METHODS:
                errors.append(ConfigError(*where, f"unknown method '{method}' (known: {sorted(METHODS)})"))
            if known is not None and task not in known:
                close = difflib.get_close_matches(task, sorted(known), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                errors.append(ConfigError(*where, f"no task '{task}' in {tasks_dir} ({hint}known: {sorted(known)})"))
            kind = tasks[task].spec.kind if tasks is not None and task in tasks else None
            if kind is not None and method in METHOD_KINDS and kind not in METHOD_KINDS[method]:
                errors.append(ConfigError(*where, f"method '{method}' serves {'/'.join(sorted(METHOD_KINDS[method]))} "
                                          f"tasks; '{task}' is a {kind} task"))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)
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
    unknown_caps = sorted(set(suite.model_items) - {m.id for m in models.models})
    if unknown_caps:
        raise BenchError(f"suite caps items of unknown model(s) {unknown_caps} (see models.yaml)")
    task_names = list(tasks) if suite.tasks == "all" else [t for t in suite.tasks if t in tasks]
    return [Cell(model, tasks[name], suite.model_items.get(model.id))
            for name in task_names for model in selected if name in model.tasks]
