"""The catalogue of hostile inputs and faults: one line per case, what it does, what must be said, the exit code.

Every case runs the command line (in-process, as the installed entry point does) on a healthy tiny
workspace that the case's `breaker` damages first. Whatever the case, the output never holds a
traceback and the command never touches the network; a refusal (exit 2) names the file, the line and
the field in the fragment the case expects, and never leaves a run folder behind.

Exit codes: 0 done, 1 `compare` found a regression, 2 refused (bad input, unknown run, cannot write),
3 the run finished but some of its cells failed.

Faults that need more than a command line (two runs in the same second, a full disk, a cell reaching
for the network) have their own tests below the table, in this file too.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faultkit
import pytest
import tiny
from faultkit import fault_model, write_workspace

REPO = Path(__file__).resolve().parents[1]
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


TASK_YAML = f"tasks/{TASK}/task.yaml"
TEST_JSONL = f"tasks/{TASK}/data/test.jsonl"
BOM = b"\xef\xbb\xbf"
LATIN1 = "Bonjour, je voudrais un acte de naissance pour ma fille née à Besançon.".encode("cp1252")


# ---------------------------------------------------------------- the catalogue

@dataclass(frozen=True)
class Case:
    command: str  # after `frugal-bench`; `python -m ...` runs that module in a subprocess instead
    breaker: Breaker | None
    expect: str  # a fragment of the output (compared with whitespace and box-drawing characters squeezed)
    code: int
    max_s: float | None = None  # wall-clock bound of the command, for what used to hang


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
                                       "my_mail classification 1 14 0 6", 0),
    "CSV delimited by ;": Case("list", csv_task(_csv(";")), "my_mail classification 1 14 0 6", 0),
    "CSV delimited by tabs": Case("list", csv_task(_csv("\t")), "my_mail classification 1 14 0 6", 0),
    "CSV without the input column": Case("list", csv_task(_csv(";", header="texte,service")),
                                         "mails.csv:1: field 'message' the header has no column 'message': found "
                                         "['texte', 'service'] (delimiter ';'", 2),
    "CSV record on two lines named by its first": Case(
        "list", csv_task(_csv(rows=[*CSV_ROWS[:2], ("Une demande\nsur deux lignes", "urbanism"), *CSV_ROWS[3:]])),
        "mails.csv:4: field 'service' unknown label 'urbanism'", 2),
    "CSV row with too many fields": Case("list", csv_task(_csv(rows=[*CSV_ROWS[:3], ("a", "urbanisme,extra")])),
                                         "mails.csv:5: 3 fields where the header has 2", 2),
    "JSONL with a byte-order mark": Case("list", replace_bytes(TEST_JSONL, b'{"id": "t', BOM + b'{"id": "t'),
                                         f"{TASK} classification 1 30 9 15", 0),
    # Data
    "duplicate ids": Case(RUN, edit(TEST_JSONL, '"id": "test-1"', '"id": "test-0"'),
                          f"{TEST_JSONL}:2: field 'id' duplicate id 'test-0' (first at test.jsonl:1)", 2),
    "duplicate ids across splits": Case(RUN, edit(TEST_JSONL, '"id": "test-1"', '"id": "train-0"'),
                                        f"{TEST_JSONL}:2: field 'id' duplicate id 'train-0' (first at train.jsonl:1)",
                                        2),
    "data row missing a field": Case(RUN, edit(TEST_JSONL, '"id": "test-4", "text": ', '"id": "test-4", "txt": '),
                                     f"{TEST_JSONL}:5: field 'text' missing input column 'text'", 2),
}

# The cases of the issues that asked for this file; removing one must be deliberate.
MINIMUM_CASES = 26


def _squeeze(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─┃━┏┓┗┛┡┩└┘┌┐├┤┬┴┼]", " ", text).split())


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_workspace(tmp_path, [fault_model("model")])
    sha = tiny.sha256(root / "weights" / "weights.bin")
    (root / "models.yaml").write_text(MODELS.format(sha=sha), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every attempt to reach the network from this process is recorded and refused."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[1:] if args and isinstance(args[0], socket.socket) else args)
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str,
        cwd: Path) -> tuple[int, str, float]:
    """Run a command line as a user would: (exit code, everything printed, seconds)."""
    started = time.perf_counter()
    if command.startswith("python "):
        done = subprocess.run([sys.executable, *command.split()[1:]], cwd=cwd, capture_output=True, text=True,
                              timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "COLUMNS": "200"})
        return done.returncode, done.stdout + done.stderr, time.perf_counter() - started
    from rich.console import Console

    import bench.cli

    monkeypatch.setattr(bench.cli, "console", Console(width=400, no_color=True))
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(sys, "argv", ["frugal-bench", *command.split()])
    code = 0
    try:
        bench.cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    seconds = time.perf_counter() - started
    captured = capsys.readouterr()
    return code, captured.out + captured.err, seconds


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(name: str, workspace: Path, no_network: list[Any], monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name]
    if case.breaker is not None:
        case.breaker(workspace)
    before = set((workspace / "results").glob("*")) if (workspace / "results").is_dir() else set()
    code, output, seconds = cli(monkeypatch, capsys, case.command, workspace)
    squeezed = _squeeze(output)
    assert "Traceback" not in output, output
    assert _squeeze(case.expect) in squeezed, output
    assert code == case.code, output
    if case.max_s is not None:
        assert seconds < case.max_s, f"{seconds:.2f} s"
    assert not no_network, f"the command tried the network: {no_network}"
    if code == 2:
        after = set((workspace / "results").glob("*")) if (workspace / "results").is_dir() else set()
        assert after == before, "a refused command left a run folder behind"


def test_the_catalogue_cannot_silently_shrink() -> None:
    assert len(CASES) >= MINIMUM_CASES, sorted(CASES)
