"""Running a command line of the catalogue as a user would, and reading what it printed."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def squeeze(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─┃━┏┓┗┛┡┩└┘┌┐├┤┬┴┼]", " ", text).split())


# For the cases that used to hang: the command runs in a child with a memory limit and a deadline, so that a
# regression fails the test in seconds instead of eating the machine. The child reports its own time, counted
# once the harness is imported: what is bounded is the work on the input, not Python's start-up.
TIMED = ("import atexit, sys, time; import bench.run.launch, bench.run.plan, bench.report; from bench.cli import main; "
         "started = time.perf_counter(); "
         "atexit.register(lambda: print(f'[took {time.perf_counter() - started:.3f} s]', file=sys.stderr)); "
         "sys.argv = ['frugal-bench', *sys.argv[1:]]; main()")
GUARD_MEMORY_BYTES = 3 << 30
GUARD_DEADLINE_S = 60


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (GUARD_MEMORY_BYTES, GUARD_MEMORY_BYTES))


def guarded(command: str, cwd: Path) -> tuple[int, str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "400"}
    try:
        done = subprocess.run([sys.executable, "-c", TIMED, *command.split()], cwd=cwd, capture_output=True,
                              text=True, timeout=GUARD_DEADLINE_S, env=env, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`frugal-bench {command}` still running after {GUARD_DEADLINE_S} s")
    took = re.search(r"\[took ([0-9.]+) s\]", done.stderr)
    return done.returncode, done.stdout + done.stderr, float(took.group(1)) if took else math.inf


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
