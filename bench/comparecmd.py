"""What `frugal-bench compare` prints and writes: the baseline it saves, or the diff table of a comparison."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.decide import baseline as bl
from bench.decide import compare as cmp
from bench.spec.errors import BenchError

COLOURS = {"regression": "bold red", "improved": "green", "note": "yellow", "ok": "dim"}


def save(console: Console, run: str, results: Path, baseline: Path | None) -> None:
    source = bl.load_side(run, results)
    if source.run_dir is None:
        raise BenchError("--save-baseline needs a run (id, folder or 'latest'), not a baseline file")
    path, warnings = bl.save_baseline(source.run_dir, baseline or bl.default_baseline(results, source.suite))
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    console.print(f"baseline written: {path} (from run {source.label}); commit it to make it the reference")


def sides(runs: list[str], results: Path, baseline: Path | None) -> tuple[bl.Side, bl.Side]:
    """(reference, candidate): two runs, or a run and the baseline of its suite."""
    candidate = bl.load_side(runs[-1] if runs else "latest", results)
    if len(runs) == 2:
        return bl.load_side(runs[0], results), candidate
    path = baseline or bl.default_baseline(results, candidate.suite)
    if not path.is_file():
        raise BenchError(bl.missing_baseline_message(path, candidate.label))
    return bl.load_baseline(path), candidate


def show(console: Console, result: cmp.Comparison, reference: bl.Side, candidate: bl.Side, show_all: bool) -> None:
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    rows = result.shown(show_all)
    if rows:
        table = Table(title=f"{candidate.label} against {reference.label}")
        for column in ("task", "model", "check", "reference", "candidate", "change", "limit", "verdict"):
            table.add_column(column)
        for c in rows:
            verdict = c.verdict.upper() if c.verdict == "regression" else c.verdict
            table.add_row(c.task, c.model, c.what, c.reference, c.candidate, c.change, c.limit,
                          f"[{COLOURS[c.verdict]}]{verdict}[/]")
        console.print(table)
    written = cmp.write_outputs(result, candidate.run_dir, os.environ.get("GITHUB_STEP_SUMMARY"))
    console.print(("[bold red]" if result.regressions else "[green]") + result.summary() + "[/]"
                  + (f"; details in {written}" if written else ""))
