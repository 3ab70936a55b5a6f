"""Plan the matrix: one cell per (model, task, scenario) where the model declares the task and the suite selects both.

Scenarios: `single` (one request at a time, latency) and `offline` (the whole test set at once, throughput).
A single-request cell keeps the id `task__model` it always had; an offline cell is `task__model@offline`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from bench.spec.config import DerivedSource, ItemLimits, ModelsFile, ModelSpec, SuitesFile, SuiteSpec
from bench.spec.errors import BenchError, ConfigError, ConfigErrors
from bench.spec.tasks import Task, discover_tasks, load_task
from bench.spec.yamlfile import line_of, load_model, load_yaml, validate

Scenario = Literal["single", "offline"]
SCENARIOS: tuple[Scenario, ...] = get_args(Scenario)
SCENARIO_SEP = "@"  # model ids never hold it (bench.spec.config.Identifier)


def cell_id(task: str, model: str, scenario: str = "single") -> str:
    return f"{task}__{model}" + ("" if scenario == "single" else f"{SCENARIO_SEP}{scenario}")


def split_cell_id(value: str) -> tuple[str, str, str]:
    """(task, model id, scenario) of a cell id; ids written before scenarios existed are single-request."""
    task, _, rest = value.partition("__")
    model, _, scenario = rest.partition(SCENARIO_SEP)
    return task, model, scenario or "single"


def scenarios_of(choice: str) -> tuple[Scenario, ...]:
    """`single`, `offline` or `both` as the scenarios to run, in that order."""
    if choice == "both":
        return SCENARIOS
    if choice not in SCENARIOS:
        raise BenchError(f"unknown scenario '{choice}' (choose single, offline or both)")
    return (choice,)


@dataclass(frozen=True)
class Cell:
    model: ModelSpec
    task: Task
    items: ItemLimits | None = None  # the suite's per-model caps, if any
    method: str = ""  # how the model serves the task (from models.yaml or the runtime's default)
    scenario: Scenario = "single"

    @property
    def id(self) -> str:
        return cell_id(self.task.name, self.model.id, self.scenario)


def _yaml_index(model: ModelSpec, positions: dict[str, int]) -> int:
    """Where a model sits in the file; a derived variant is reported at its base model."""
    while model.id not in positions and isinstance(model.source, DerivedSource):
        model = model.source.base
    return positions.get(model.id, 0)


def task_kinds(tasks_dir: Path) -> dict[str, str]:
    """Name -> kind of every task under `tasks_dir`, from task.yaml alone (no data read)."""
    from bench.spec.config import TaskSpec

    return {d.name: load_model(TaskSpec, d / "task.yaml").kind for d in discover_tasks(tasks_dir)}


def load_models(path: Path, tasks: dict[str, str] | None = None) -> ModelsFile:
    """Validate models.yaml; with `tasks` (name -> kind), a task a model names must exist and fit its method."""
    data, lines = load_yaml(path)
    models = validate(ModelsFile, data, path, lines)
    from bench.methods import METHOD_KINDS, METHODS
    from bench.runtimes import RUNTIMES

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
            elif tasks is not None and task not in tasks:
                close = difflib.get_close_matches(task, sorted(tasks), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                errors.append(ConfigError(*where, f"unknown task '{task}' ({hint}tasks: {sorted(tasks)})"))
            elif tasks is not None and METHOD_KINDS[method] != tasks[task]:
                errors.append(ConfigError(*where, f"method '{method}' serves {METHOD_KINDS[method]} tasks, "
                                                  f"'{task}' is a {tasks[task]} task"))
        errors.extend(_option_errors(model, index, path, lines))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)
    return models


def _option_errors(model: ModelSpec, index: int, path: Path,
                   lines: dict[tuple[str | int, ...], int]) -> list[ConfigError]:
    """A model's options checked against its runtime, the methods that may serve it and derivations."""
    from bench.methods import DEFAULT_METHODS, METHOD_OPTIONS, default_method
    from bench.runtimes import RUNTIME_OPTIONS
    from bench.spec.options import DerivationOptions, option_problems

    if model.runtime not in RUNTIME_OPTIONS:
        return []  # an unknown runtime is reported on its own
    kinds = {kind for table in DEFAULT_METHODS.values() for kind in table}
    methods = sorted({*model.tasks.values(), *(m for kind in kinds if (m := default_method(model, kind)))})
    schemas = [RUNTIME_OPTIONS[model.runtime], *(METHOD_OPTIONS[m] for m in methods if m in METHOD_OPTIONS)]
    if not isinstance(model.source, DerivedSource):
        schemas.append(DerivationOptions)
    owner = f"model '{model.id}' (runtime {model.runtime}, methods {', '.join(methods) or 'none'})"
    return [ConfigError(path, line_of(lines, ("models", index, "options", key)), f"models.{index}.options.{key}",
                        problem)
            for key, problem in option_problems(model.options, schemas, owner).items()]


def load_suite(path: Path, name: str) -> SuiteSpec:
    suites = load_model(SuitesFile, path).suites
    if name not in suites:
        raise BenchError(f"unknown suite '{name}' in {path} (known: {sorted(suites)})")
    known = {d.name for d in discover_tasks(path.parent)}  # suites.yaml sits in the tasks folder
    strangers = sorted({t for names in suites[name].model_tasks.values() for t in names} - known)
    if strangers:
        raise BenchError(f"suite '{name}' in {path} keeps a model to unknown task(s) {strangers} "
                         f"(known: {sorted(known)})")
    return suites[name]


def load_tasks(tasks_dir: Path, names: list[str] | None = None) -> dict[str, Task]:
    found = {d.name: d for d in discover_tasks(tasks_dir)}
    wanted = names if names is not None else sorted(found)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise BenchError(f"unknown task(s) {missing} in {tasks_dir} (known: {sorted(found)})")
    return {name: load_task(found[name]) for name in wanted}


def plan_cells(models: ModelsFile, tasks: dict[str, Task], suite: SuiteSpec,
               model_filter: list[str] | None = None, scenarios: tuple[Scenario, ...] = ("single",)) -> list[Cell]:
    """Cells in ladder order: per task, models in the order of models.yaml (smallest first by convention),
    each model's scenarios one after the other (its offline cell right after its single-request one)."""
    selected = [m for m in models.models
                if (suite.models == "all" or m.id in suite.models) and (not model_filter or m.id in model_filter)]
    if model_filter:
        unknown = sorted(set(model_filter) - {m.id for m in models.models})
        if unknown:
            raise BenchError(f"unknown model(s) {unknown} (see models.yaml)")
    unknown_caps = sorted((set(suite.model_items) | set(suite.model_tasks)) - {m.id for m in models.models})
    if unknown_caps:
        raise BenchError(f"suite limits unknown model(s) {unknown_caps} (see models.yaml)")
    task_names = list(tasks) if suite.tasks == "all" else [t for t in suite.tasks if t in tasks]
    ids = {m.id for m in models.models}
    for name in task_names:
        strangers = sorted(set(tasks[name].spec.candidates or []) - ids)
        if strangers:
            raise BenchError(f"task '{name}': candidates {strangers} are not in models.yaml")
    claimed = {name for model in models.models for name in model.tasks}
    cells = []
    for name in task_names:
        for model in selected:
            if model.id in suite.model_tasks and name not in suite.model_tasks[model.id]:
                continue
            method = serving_method(model, tasks[name], claimed)
            if method is not None:
                cells += [Cell(model, tasks[name], suite.model_items.get(model.id), method, scenario)
                          for scenario in scenarios]
    return cells


def serving_method(model: ModelSpec, task: Task, claimed: set[str]) -> str | None:
    """How `model` serves `task`, or None when it does not.

    A task named in some model's `tasks:` is served by the models that name it, with the method they name.
    A task named by none (one's own data) is served by every model whose runtime has a default method for its
    kind. `candidates:` in task.yaml restricts either way.
    """
    from bench.methods import default_method

    if task.spec.candidates is not None and model.id not in task.spec.candidates:
        return None
    if task.name in model.tasks:
        return model.tasks[task.name]
    if task.name in claimed:
        return None
    return default_method(model, task.spec.kind)
