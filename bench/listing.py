"""What `frugal-bench list` shows: the tasks and the model ladder, read from disk only, never from the network."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from bench.spec.config import DerivedSource, ModelsFile, ModelSpec, SuiteSpec, source_label
from bench.spec.errors import BenchError, HashMismatch
from bench.spec.tasks import Task


def tasks_table(tasks: dict[str, Task], chosen: SuiteSpec | None) -> Table:
    table = Table(title="Tasks")
    for column in ("task", "kind", "version", "train", "dev", "test sets (items)", "gate"):
        table.add_column(column, overflow="fold")
    for name, task in tasks.items():
        if chosen and chosen.tasks != "all" and name not in chosen.tasks:
            continue
        sizes = task.sizes()
        gate = task.spec.good_enough
        sets = ", ".join(f"{s} ({len(items)})" + (f" ≥ {task.set_gate(s)}" if task.set_gate(s) != gate.min else "")
                         for s, items in task.test_sets.items())
        limits = "".join(f", {m} ≤ {v}" for m, v in gate.limits.items())
        table.add_row(name, task.spec.kind, str(task.spec.version), str(sizes["train"]), str(sizes["dev"]),
                      sets, f"{gate.metric} ≥ {gate.min}{limits}")
    return table


def models_table(models: ModelsFile, models_dir: Path, chosen: SuiteSpec | None, tasks: dict[str, Task]) -> Table:
    """The ladder, and for each model which task it serves with which method ("(default)": not in models.yaml)."""
    from bench.run.plan import serving_method

    claimed = {name for model in models.models for name in model.tasks}
    table = Table(title="Models")
    for column in ("model", "family", "params", "size", "runtime", "source", "licence", "weights", "tasks"):
        table.add_column(column, overflow="fold")
    for model in models.models:
        if chosen and chosen.models != "all" and model.id not in chosen.models:
            continue
        size, status = weights_status(model, models_dir)
        table.add_row(model.id, model.family, f"{model.params:,}" if model.params else "–", size, model.runtime,
                      source_label(model.source), model.licence, status,
                      ", ".join(f"{name}:{method}" + ("" if name in model.tasks else " (default)")
                                for name, task in tasks.items()
                                if (method := serving_method(model, task, claimed)) is not None))
    return table


def weights_status(model: ModelSpec, models_dir: Path) -> tuple[str, str]:
    """Size on disk and hash status, without loading anything: verified, mismatch, not installed..."""
    from bench.weights.resolve import resolve_and_verify

    if isinstance(model.source, DerivedSource):
        return "–", f"derived from {model.source.base.id} (built by install, hashed)"
    try:
        weights = resolve_and_verify(model, models_dir)
    except HashMismatch:
        return "–", "[red]sha256 MISMATCH: refused[/]"
    except BenchError as exc:
        return "–", f"[yellow]not available[/] ({escape(str(exc))})"
    size = f"{weights.size_bytes / 1e6:,.1f} MB" if weights.size_bytes else "–"
    return size, {"verified": "[green]sha256 verified[/]"}.get(weights.status, weights.status)
