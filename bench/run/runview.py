"""A saved run as the decision sees it: its manifest, the current record of each cell, and what is missing.

`rank`, `report` and the end of `run` read a run through here, so that none of them recommends from an
incomplete or damaged run without saying so: planned cells without a record, record lines that could
not be read, and the warnings about the data are notes printed with the ranking and put in the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.run.record import CellRecord
from bench.run.results import load_records_checked, read_manifest

NOTES = {
    "en": {
        "incomplete": "incomplete run: {done} of {total} planned cells recorded (missing: {missing}); the ranking uses "
                      "only what is there. Finish it with `frugal-bench run --resume {run_id}`.",
        "skipped": "{detail}",
        "data": "data: {detail}",
    },
    "fr": {
        "incomplete": "exécution incomplète : cellules enregistrées {done} sur {total} prévues (manquantes : "
                      "{missing}) ; le classement ne porte que sur celles-ci. Terminez-la avec `frugal-bench run "
                      "--resume {run_id}`.",
        "skipped": "ligne ignorée : {detail}",
        "data": "données : {detail}",
    },
}
MAX_LISTED = 5


# Typed records, or plain ones for the code that still reads records by key.
AnyRecord = TypeVar("AnyRecord", CellRecord, dict[str, Any])


def current_records(records: Iterable[AnyRecord]) -> list[AnyRecord]:
    """One record per cell, the last one written (a retried cell's newest attempt), in first-run order."""
    by_cell: dict[str, AnyRecord] = {}
    others: list[AnyRecord] = []
    for record in records:
        cell = record.cell_id if isinstance(record, CellRecord) else record.get("cell_id")
        if cell:
            by_cell[str(cell)] = record
        else:
            others.append(record)
    return list(by_cell.values()) + others


@dataclass(frozen=True)
class RunView:
    run_dir: Path
    manifest: dict[str, Any]
    records: list[CellRecord]  # current record per cell
    skipped: list[str]  # record lines that could not be read
    missing: list[str]  # planned cells without a record

    @property
    def failed(self) -> list[CellRecord]:
        return [r for r in self.records if not r.ok]

    def notes(self, lang: str = "en") -> list[str]:
        words = NOTES.get(lang, NOTES["en"])
        notes = []
        planned = self.manifest.get("cells") or []
        if self.missing:
            listed = ", ".join(self.missing[:MAX_LISTED]) + (" …" if len(self.missing) > MAX_LISTED else "")
            notes.append(words["incomplete"].format(done=len(planned) - len(self.missing), total=len(planned),
                                                    missing=listed, run_id=self.run_dir.name))
        notes += [words["skipped"].format(detail=line) for line in self.skipped]
        for info in (self.manifest.get("tasks") or {}).values():
            notes += [words["data"].format(detail=w) for w in (info.get("data_warnings") or [])]
        return notes


def load_run(run_dir: Path) -> RunView:
    manifest = read_manifest(run_dir)
    records, skipped = load_records_checked(run_dir)
    records = current_records(records)
    recorded = {r.cell_id for r in records}
    missing = [str(c) for c in manifest.get("cells") or [] if str(c) not in recorded]
    return RunView(run_dir, manifest, records, skipped, missing)
