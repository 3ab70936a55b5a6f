"""The recommendation, the reasons and the projection printed in a terminal (rich tables)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from bench.decide.paired import add_paired
from bench.decide.projection import Assumptions, Volume
from bench.decide.rank import TaskRanking, rank_records
from bench.report import i18n
from bench.report.blocks import Bullets, Paragraph, Table
from bench.report.document import projection_blocks, recommendation_table
from bench.run.record import CellRecord
from bench.run.runview import load_run


def _rich(text: str) -> str:
    """**bold** to rich markup; other square brackets escaped so intervals print as they are."""
    text = text.replace("`", "").replace("[", "\\[")
    parts = text.split("**")
    return "".join(f"[bold]{p}[/bold]" if i % 2 else p for i, p in enumerate(parts))


def rich_table(block: Table, title: str | None = None) -> RichTable:
    table = RichTable(title=title, show_lines=False)
    for header, right in zip(block.header, block.numeric, strict=True):
        # Only the recommendation column may wrap (folded, never cut, so model ids stay whole).
        table.add_column(header, justify="right" if right else "left", overflow="fold",
                         no_wrap=header != block.header[1])
    for row in block.rows:
        table.add_row(*(_rich(c) for c in row))
    return table


def print_rankings(console: Console, rankings: Sequence[TaskRanking], lang: str = "en",
                   volume: Volume | None = None, assumptions: Assumptions | None = None,
                   records: Sequence[CellRecord] = (), hardware: Mapping[str, Any] | None = None) -> None:
    if not rankings:
        console.print(i18n.t(lang, "no_rankings"))
        return
    compact = console.width < 140
    console.print(rich_table(recommendation_table(rankings, lang, compact=compact), title=i18n.t(lang, "rec_h")))
    for ranking in rankings:
        console.print(_rich(i18n.recommendation_sentence(ranking, lang, markup=True)))
        for model_id, loss in ranking.losses.items():
            console.print(f"  - {_rich(model_id)}: {_rich(i18n.loss_text(loss, ranking, lang))}")
    if volume is None:
        return
    ok = [r for r in records if r.ok]
    title = None
    for block in projection_blocks(rankings, volume, assumptions or Assumptions(), ok, hardware or {}, lang)[1:]:
        if isinstance(block, Paragraph) and block.text.startswith("**"):
            title = block.text.strip("*")  # the task name goes into the next table's title
        elif isinstance(block, Table):
            console.print(rich_table(block, title=title))
        elif isinstance(block, Paragraph):
            console.print(_rich(block.text))
        elif isinstance(block, Bullets):
            for item in block.items:
                console.print(f"  - {_rich(item)}")


def print_run(console: Console, run_dir: Path, key: str = "energy",
              gates: Mapping[str, tuple[str, float]] | None = None, lang: str = "en",
              volume: Volume | None = None, assumptions: Assumptions | None = None, scenario: str = "single") -> None:
    """Rank a saved run on one scenario's figures and print the result (used at the end of `run` and by
    `rank`), then what it lacks. The projection of a volume uses that scenario's throughput."""
    view = load_run(run_dir)
    rankings = rank_records(view.records, key=key, gates=gates, manifest=view.manifest, scenario=scenario)
    add_paired(rankings, run_dir, view.manifest)
    print_rankings(console, rankings, lang, volume, assumptions, view.records, view.manifest.get("hardware") or {})
    for note in view.notes(lang):
        console.print(f"[yellow]warning:[/] {escape(note)}")
