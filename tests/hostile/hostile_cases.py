"""The catalogue of hostile inputs: one line per case, what it does, what must be said, the exit code.

Each case is a command line run on a healthy tiny workspace (see conftest.py) that the case's `breaker`
damages first; test_hostile_catalogue.py runs them all. Exit codes: 0 done, 1 `compare` found a
regression, 2 refused (bad input, unknown run, a file that cannot be read or written), 3 the run
finished but some of its cells failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faultkit

TASK = faultkit.TASK
Breaker = Callable[[Path], None]

# A models.yaml written as text, so every line number below is known (line 7 pins the weights file).
MODELS = """\
models:
  - id: model
    family: fault
    runtime: fault
    source: {{path: weights}}
    files:
      weights.bin: {sha}
    licence: MIT
    tasks: {{mini_route: embedding_head}}
    options: {{fault: none}}
"""
# A task of one CSV file, as a user exports it from a spreadsheet (see "Use your own data" in the README).
CSV_TASK = """\
name: my_mail
version: 1
kind: classification
description: Our incoming mail.
data:
  format: csv
  path: mails.csv
  split: {test_fraction: 0.3, seed: 13}
  columns: {input: message, target: service}
labels: {etat_civil: "Actes", urbanisme: "Permis"}
good_enough: {metric: macro_f1, min: 0.5}
metrics: [accuracy, macro_f1]
"""
CSV_ROWS = [(f"Bonjour, ma demande numéro {i} concerne {'un acte' if i % 2 else 'un permis'}.",
             "etat_civil" if i % 2 else "urbanisme") for i in range(20)]


def _csv(delimiter: str = ",", rows: list[tuple[str, str]] = CSV_ROWS, header: str = "message,service") -> str:
    lines = [header.replace(",", delimiter)] + [f'"{text}"{delimiter}{label}' for text, label in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- breakers: each damages a healthy workspace

def write(relative: str, content: str | bytes) -> Breaker:
    def breaker(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return breaker


def edit(relative: str, old: str, new: str) -> Breaker:
    def breaker(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, (old, path)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return breaker


def replace_bytes(relative: str, old: bytes, new: bytes) -> Breaker:
    """Replace the first `old` by `new` (which is written raw, so it may be anything but UTF-8)."""
    def breaker(root: Path) -> None:
        path = root / relative
        assert old in path.read_bytes(), (old, path)
        path.write_bytes(path.read_bytes().replace(old, new, 1))
    return breaker


def both(*breakers: Breaker) -> Breaker:
    def breaker(root: Path) -> None:
        for each in breakers:
            each(root)
    return breaker


def csv_task(content: str | bytes) -> Breaker:
    return both(write("tasks/my_mail/task.yaml", CSV_TASK), write("tasks/my_mail/mails.csv", content))


def alias_bomb(key: str) -> str:
    """Ten levels of ten aliases: ~600 bytes that expand to 10^10 nodes."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join([*lines, f"{key}: *a9"]) + "\n"


def fake_run(run_id: str = "20260101T000000Z-aaaa", *, planned: int = 3, recorded: int = 1,
             lines: tuple[str, ...] = (), manifest: str | None = None, link: bool = True) -> Breaker:
    """A saved run of `planned` cells with `recorded` records (and raw `lines` after them), as `run` writes it."""
    def breaker(root: Path) -> None:
        run_dir = root / "results" / run_id
        run_dir.mkdir(parents=True)
        cells = [f"{TASK}__m{i}" for i in range(planned)]
        text = manifest if manifest is not None else json.dumps({
            "run_id": run_id, "created_at": "2026-01-01T00:00:00+00:00", "settings": {"suite": "quick", "threads": 1},
            "tasks": {TASK: {"version": 1, "kind": "classification", "gate": {"metric": "macro_f1", "min": 0.5}}},
            "models": {}, "cells": cells}, indent=2)
        (run_dir / "manifest.json").write_text(text, encoding="utf-8")
        quality = {"value": 0.9, "ci_low": 0.8, "ci_high": 0.95, "n": 15}
        rows = [json.dumps({"run_id": run_id, "cell_id": cell, "task": TASK, "model_id": cell.split("__")[1],
                            "status": "ok", "gate": {"metric": "macro_f1", "min": 0.5},
                            "quality": {"macro_f1": quality, "accuracy": quality}, "params": 10 + i,
                            "energy_wh_per_1000_requests": 0.1 * (i + 1), "peak_rss_mb": 100.0})
                for i, cell in enumerate(cells[:recorded])]
        (run_dir / "records.jsonl").write_text("".join(f"{row}\n" for row in (*rows, *lines)), encoding="utf-8")
        if link:
            latest = root / "results" / "latest"
            latest.unlink(missing_ok=True)
            latest.symlink_to(run_id)
    return breaker


TASK_YAML = f"tasks/{TASK}/task.yaml"
TEST_JSONL = f"tasks/{TASK}/data/test.jsonl"
TRAIN_JSONL = f"tasks/{TASK}/data/train.jsonl"


def leak_train_text(root: Path) -> None:
    """The first test item gets the text of the first train item (a leak between the splits)."""
    test, train = (root / TEST_JSONL).read_text(encoding="utf-8"), (root / TRAIN_JSONL).read_text(encoding="utf-8")
    first_test, first_train = (json.loads(text.splitlines()[0])["text"] for text in (test, train))
    (root / TEST_JSONL).write_text(test.replace(json.dumps(first_test, ensure_ascii=False),
                                                json.dumps(first_train, ensure_ascii=False), 1), encoding="utf-8")


def drop_label_from_train(label: str) -> Breaker:
    def breaker(root: Path) -> None:
        lines = (root / TRAIN_JSONL).read_text(encoding="utf-8").splitlines()
        (root / TRAIN_JSONL).write_text("".join(f"{line}\n" for line in lines if f'"{label}"' not in line),
                                        encoding="utf-8")
    return breaker
BOM = b"\xef\xbb\xbf"
LATIN1 = "Bonjour, je voudrais un acte de naissance pour ma fille née à Besançon.".encode("cp1252")


# ---------------------------------------------------------------- the catalogue

@dataclass(frozen=True)
class Case:
    command: str  # after `frugal-bench`; `python -m ...` runs that module in a subprocess instead
    breaker: Breaker | None
    expect: str  # a fragment of the output (compared with whitespace and box-drawing characters squeezed)
    code: int
    max_s: float | None = None  # bound on the command's own time (run guarded: see `guarded`), for what used to hang


RUN = "run --threads 1"
CASES: dict[str, Case] = {
    # YAML
    "malformed models.yaml (tab)": Case(RUN, edit("models.yaml", "    family", "\tfamily"),
                                        "models.yaml:3: invalid YAML", 2),
    "unsafe YAML tag": Case(RUN, edit("models.yaml", "licence: MIT", "licence: !!python/object/apply:os.system [id]"),
                            "models.yaml:8: invalid YAML", 2),
    "unknown key in models.yaml": Case(RUN, edit("models.yaml", "    licence", "    colour: blue\n    licence"),
                                       "models.yaml:8: field 'models.0.colour' Extra inputs are not permitted", 2),
    "unknown key in task.yaml": Case(RUN, edit(TASK_YAML, "version: 1\n", "version: 1\nowner: nobody\n"),
                                     "task.yaml:3: field 'owner' Extra inputs are not permitted", 2),
    "YAML alias bomb in models.yaml": Case(RUN, write("models.yaml", alias_bomb("models")),
                                           "models.yaml:6: the YAML expands to more than 200,000 nodes", 2, max_s=1.0),
    "YAML alias bomb in task.yaml": Case(RUN, write(TASK_YAML, alias_bomb("labels")),
                                         "task.yaml:6: the YAML expands to more than 200,000 nodes", 2, max_s=1.0),
    "YAML alias bomb in suites.yaml": Case(RUN, write("tasks/suites.yaml", alias_bomb("suites")),
                                           "suites.yaml:6: the YAML expands to more than 200,000 nodes", 2,
                                           max_s=1.0),
    "recursive YAML alias": Case(RUN, write("models.yaml", "models: &m [*m]\n"),
                                 "models.yaml:1: alias '*m' refers to its own anchor", 2),
    "duplicate key in models.yaml": Case(RUN, edit("models.yaml", "    options: {fault: none}\n",
                                                   "    options: {fault: none}\nmodels: []\n"),
                                         "models.yaml:11: field 'models' duplicate key 'models' (first at line 1)", 2),
    "duplicate key in a model": Case(RUN, edit("models.yaml", "licence: MIT\n", "licence: MIT\n    licence: X\n"),
                                     "models.yaml:9: field 'models.0.licence' duplicate key 'licence' (first at "
                                     "line 8)", 2),
    "unknown runtime": Case(RUN, edit("models.yaml", "runtime: fault", "runtime: tensorflow"),
                            "models.yaml:4: field 'models.0.runtime' unknown runtime 'tensorflow'", 2),
    "unknown method": Case(RUN, edit("models.yaml", "mini_route: embedding_head", "mini_route: telepathy"),
                           f"models.yaml:9: field 'models.0.tasks.{TASK}' unknown method 'telepathy'", 2),
    # Weights
    "missing weights file": Case(RUN, lambda root: (root / "weights" / "weights.bin").unlink(),
                                 "models.yaml:7: field 'models.0.files.weights.bin' model 'model': weights file not "
                                 "found", 2),
    "altered weights file": Case(RUN, write("weights/weights.bin", b"altered weights"),
                                 "models.yaml:7: field 'models.0.files.weights.bin' model 'model': ", 2),
    # Encodings
    "latin-1 task.yaml": Case(RUN, replace_bytes(TASK_YAML, b"description: ", b"description: Pr\xe9fecture "),
                              f"{TASK_YAML}:4: not UTF-8 (looks like latin-1/cp1252", 2),
    "latin-1 models.yaml": Case(RUN, write("models.yaml", b"models:\n  - id: caf\xe9\n"),
                                "models.yaml:2: not UTF-8 (looks like latin-1/cp1252: convert with", 2),
    "latin-1 JSONL": Case(RUN, write(TEST_JSONL, b'{"id": "a", "text": "ok", "label": "caf"}\n'
                                     + b'{"id": "b", "text": "' + LATIN1 + b'", "label": "caf"}\n'),
                          f"{TEST_JSONL}:2: not UTF-8 (looks like latin-1/cp1252", 2),
    "latin-1 CSV": Case("list", csv_task(_csv().encode("utf-8")[:60] + LATIN1 + b",etat_civil\n"),
                        "tasks/my_mail/mails.csv:2: not UTF-8 (looks like latin-1/cp1252", 2),
    "UTF-16 CSV": Case("list", csv_task(_csv().encode("utf-16")), "mails.csv:1: not UTF-8 (looks like UTF-16", 2),
    # CSV as spreadsheets write it
    "CSV with a byte-order mark": Case("list", csv_task(BOM + _csv().encode("utf-8")),
                                       "my_mail classification 1 14 0 test (6)", 0),
    "CSV delimited by ;": Case("list", csv_task(_csv(";")), "my_mail classification 1 14 0 test (6)", 0),
    "CSV delimited by tabs": Case("list", csv_task(_csv("\t")), "my_mail classification 1 14 0 test (6)", 0),
    "CSV without the input column": Case("list", csv_task(_csv(";", header="texte,service")),
                                         "mails.csv:1: field 'message' the header has no column 'message': found "
                                         "['texte', 'service'] (delimiter ';'", 2),
    "CSV record on two lines named by its first": Case(
        "list", csv_task(_csv(rows=[*CSV_ROWS[:2], ("Une demande\nsur deux lignes", "urbanism"), *CSV_ROWS[3:]])),
        "mails.csv:4: field 'service' unknown label 'urbanism'", 2),
    "CSV row with too many fields": Case("list", csv_task(_csv(rows=[*CSV_ROWS[:3], ("a", "urbanisme,extra")])),
                                         "mails.csv:5: 3 fields where the header has 2", 2),
    "JSONL with a byte-order mark": Case("list", replace_bytes(TEST_JSONL, b'{"id": "t', BOM + b'{"id": "t'),
                                         f"{TASK} classification 1 30 9 test (15)", 0),
    # Data
    "duplicate ids": Case(RUN, edit(TEST_JSONL, '"id": "test-1"', '"id": "test-0"'),
                          f"{TEST_JSONL}:2: field 'id' duplicate id 'test-0' (first at test.jsonl:1)", 2),
    "duplicate ids across splits": Case(RUN, edit(TEST_JSONL, '"id": "test-1"', '"id": "train-0"'),
                                        f"{TEST_JSONL}:2: field 'id' duplicate id 'train-0' (first at train.jsonl:1)",
                                        2),
    "data row missing a field": Case(RUN, edit(TEST_JSONL, '"id": "test-4", "text": ', '"id": "test-4", "txt": '),
                                     f"{TEST_JSONL}:5: field 'text' missing input column 'text'", 2),
    "test item with the text of a train item": Case(RUN, leak_train_text,
                                                     f"warning: task '{TASK}': 1 of 15 test items have the same text "
                                                     "as a train/dev item (e.g. test.jsonl:1 = train.jsonl:1)", 0),
    "label without any training item": Case(RUN, drop_label_from_train("mairie"),
                                            f"warning: task '{TASK}': labels ['mairie'] have test items but no "
                                            "training item", 0),
    # Models that name what is not there
    "task name typo in a model": Case(RUN, edit("models.yaml", "{mini_route: embedding_head}",
                                                "{mini_rout: embedding_head}"),
                                      "models.yaml:9: field 'models.0.tasks.mini_rout' unknown task 'mini_rout' "
                                      "(did you mean 'mini_route'?", 2),
    "method of the wrong kind": Case(RUN, edit("models.yaml", "mini_route: embedding_head", "mini_route: lead_k"),
                                     f"models.yaml:9: field 'models.0.tasks.{TASK}' method 'lead_k' serves "
                                     f"summarisation tasks, '{TASK}' is a classification task", 2),
    "weights file outside the model folder": Case(RUN, edit("models.yaml", "      weights.bin:", "      ../w.bin:"),
                                                  "models.yaml:6: field 'models.0.files' Value error, file paths must "
                                                  "stay inside the model folder", 2),
    "asset outside the model folder": Case(RUN, edit("models.yaml", "    licence: MIT", "    assets: {t.json: {path: "
                                                     "/etc/passwd, sha256: " + "0" * 64 + "}}\n    licence: MIT"),
                                           "field 'models.0.assets.t.json.path' Value error, file paths must stay "
                                           "inside", 2),
    "hub model not in the local cache (list stays offline)": Case("list", edit(
        "models.yaml", "    source: {path: weights}\n    files:\n      weights.bin:",
        "    source: {hub: frugal-bench-tests/not-in-the-cache}\n    files:\n      weights.bin:"),
        "not in the local cache", 0),
    # Numbers
    "--test-items -5": Case(RUN + " --test-items -5", None, "Invalid value for '--test-items': -5 is not allowed", 2),
    "--test-items 0": Case(RUN + " --test-items 0", None, "Invalid value for '--test-items': 0 is not allowed", 2),
    "--pue -1": Case(RUN + " --pue -1", None, "Invalid value for '--pue': -1 is not allowed: it must be at least 1",
                     2),
    "--pue nan": Case(RUN + " --pue nan", None, "Invalid value for '--pue': nan is not allowed", 2),
    "--carbon-intensity -5": Case(RUN + " --carbon-intensity -5", None,
                                  "Invalid value for '--carbon-intensity': -5 is not allowed", 2),
    "--cpu-watts -10": Case(RUN + " --cpu-watts -10", None, "Invalid value for '--cpu-watts': -10 is not allowed", 2),
    "--cpu-watts 0": Case(RUN + " --cpu-watts 0", None, "Invalid value for '--cpu-watts': 0 is not allowed: it must "
                          "be above 0", 2),
    "--ram-watts -1": Case(RUN + " --ram-watts -1", None, "Invalid value for '--ram-watts': -1 is not allowed", 2),
    "--memory-cap-mb -1": Case(RUN + " --memory-cap-mb -1", None,
                               "Invalid value for '--memory-cap-mb': -1 is not allowed", 2),
    "--threads -1": Case("run --threads -1", None, "Invalid value for '--threads': -1 is not allowed", 2),
    "compare --latency-tol -1": Case("compare --latency-tol -1", fake_run(),
                                     "Invalid value for '--latency-tol': -1 is not allowed", 2),
    # Saved runs
    "rank an unknown run id": Case("rank nope", fake_run(), "error: no run 'nope' in results", 2),
    "report an unknown run id": Case("report nope", fake_run(), "error: no run 'nope' in results", 2),
    "resume an unknown run id": Case("run --resume nope", fake_run(), "error: cannot resume: no run 'nope'", 2),
    "rank a run with a corrupt manifest": Case("rank", fake_run(manifest='{"run_id": "x", "cells": ['),
                                               "manifest.json:1: corrupt manifest", 2),
    "report a run with a corrupt manifest": Case("report", fake_run(manifest='{"run_id": "x",\n "cells": [1,'),
                                                 "manifest.json:2: corrupt manifest", 2),
    "resume a run with a corrupt manifest": Case("run --resume latest", fake_run(manifest="[]"),
                                                 "manifest.json:1: corrupt manifest", 2),
    "resume a run whose manifest lacks its settings": Case("run --resume latest", fake_run(manifest='{"cells": []}'),
                                                           "manifest.json: corrupt manifest (KeyError", 2),
    "rank an incomplete run": Case("rank", fake_run(planned=3, recorded=1),
                                   "warning: incomplete run: 1 of 3 planned cells recorded", 0),
    "report an incomplete run": Case("report --lang en", fake_run(planned=3, recorded=1),
                                     "warning: incomplete run: 1 of 3 planned cells recorded", 0),
    "rank a run with an unreadable record line": Case("rank", fake_run(planned=2, recorded=1, lines=("{oops",)),
                                                      "records.jsonl:2: unreadable line skipped", 0),
    "rank latest follows results/latest": Case("report latest --lang en", both(
        fake_run("20260101T000000Z-older", link=False), fake_run("20260102T000000Z-newer", link=False),
        lambda root: (root / "results" / "latest").symlink_to("20260101T000000Z-older")),
        "report: results/20260101T000000Z-older/report.md", 0),
    "--gate with an unknown metric": Case(f"rank --gate {TASK}=rouge_l:0.5", fake_run(),
                                          f"task '{TASK}' is not scored with 'rouge_l'", 2),
    "--gate with an unknown task": Case("rank --gate nope=macro_f1:0.5", fake_run(), "no task 'nope' in this run", 2),
    "--gate nan": Case(f"rank --gate {TASK}=macro_f1:nan", fake_run(), "the threshold must be a number", 2),
    # The command line itself
    "python -m bench.cli --help": Case("python -m bench.cli --help", None, "Usage: python -m bench.cli", 0),
    "a run whose cell failed": Case(RUN, edit("models.yaml", "{fault: none}", "{fault: raise}"),
                                    "1 of 1 cells failed (reasons in the report): exit code 3", 3),
}
# The cases of the issues that asked for this file; removing one must be deliberate.
MINIMUM_CASES = 63
