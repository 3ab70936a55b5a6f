"""`frugal-bench merge RUN...`: join shard runs into one run, rank it and write its report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bench.cliargs import KEY_HELP, check_key
from bench.terminal import make_console

console = make_console()


def merge_command(
    runs: Annotated[list[str], typer.Argument(
        help="Shard runs: run ids, run folders, 'latest', or a shard's results folder (its newest run).")],
    results: Annotated[Path, typer.Option("--results", help="Where the merged run is written.")] = Path("results"),
    allow_mixed_hardware: Annotated[bool, typer.Option(
        "--allow-mixed-hardware",
        help="Merge shards from different hardware classes (CPU model, threads, profile); costs stay compared "
             "only within a class, and a task spread over several classes is ranked once per class.")] = False,
    key: Annotated[str, typer.Option(help=KEY_HELP)] = "energy",
) -> None:
    """Join shard runs (`run --shard K/N`) after proving they share code, data, weights, settings and hardware."""
    from bench.report import build_report
    from bench.report.benchjson import write_benchmark_json
    from bench.report.console import print_run
    from bench.run.merge import merge_runs

    check_key(key)
    results.mkdir(parents=True, exist_ok=True)
    merged = merge_runs(runs, results, allow_mixed_hardware)
    proof = merged.proof
    for warning in proof.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    write_benchmark_json(merged.run_dir)
    report = build_report(merged.run_dir, key=key)
    print_run(console, merged.run_dir, key)
    shards = sum(len(members) for members in proof.classes.values())
    console.print(f"merged {shards} shards, {len(proof.plan)} cells, {len(proof.classes)} hardware "
                  f"class{'es' if proof.mixed else ''} into {merged.run_dir}")
    console.print(f"report: {report} and {report.with_suffix('.html')}")
