"""Repeatability: run a suite twice and compare, per cell, the latency medians and, per task, the winner.

Usage: python -m bench.tools.repeatability [--suite quick] [--results DIR] [--key energy] [-- RUN OPTIONS]
Options after `--` go to both `frugal-bench run` calls (e.g. --task classify_mail --threads 2).
Target on a quiet machine: every ratio within 10 % and the same recommended model per task. The load
average is printed with the figures: on a shared machine, a drift between the two runs is the machine's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.numbers import as_float
from bench.run.record import CellRecord

TOLERANCE = 0.10


def _run(suite: str, results: Path, extra: list[str]) -> Path:
    from bench.run.results import resolve_run

    before = set(results.iterdir()) if results.is_dir() else set()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"running suite '{suite}' (load average {load:.2f}) ...", flush=True)
    done = subprocess.run([sys.executable, "-m", "bench", "run", "--suite", suite, "--results", str(results), *extra],
                          check=False)
    if done.returncode not in (0, 3):  # 3: some cells failed, which both runs should show alike
        raise SystemExit(f"frugal-bench run exited with {done.returncode}")
    run_dir = resolve_run(results, "latest")
    if run_dir in before:
        raise SystemExit(f"the run did not create a new run directory in {results}")
    return run_dir


def compare(first: list[CellRecord], second: list[CellRecord], key: str = "energy") -> tuple[list[str], bool]:
    """Lines of the comparison, and whether it meets the target."""
    from bench.decide.rank import rank_records

    ok = True
    lines = [f"{'cell':48s} {'p50 run 1':>11s} {'p50 run 2':>11s} {'ratio':>7s}"]
    a = {r.cell_id: r for r in first if r.ok}
    b = {r.cell_id: r for r in second if r.ok}
    for cell in sorted(set(a) | set(b)):
        if cell not in a or cell not in b:
            lines.append(f"{cell:48s} {'ok' if cell in a else 'failed':>11s} {'ok' if cell in b else 'failed':>11s}")
            ok = False
            continue
        p1, p2 = as_float(a[cell].latency_p50_ms), as_float(b[cell].latency_p50_ms)
        ratio = p2 / p1 if p1 > 0 else float("nan")
        flag = "" if abs(ratio - 1) <= TOLERANCE else "  <- outside ±10 %"
        ok = ok and not flag
        lines.append(f"{cell:48s} {p1:9.3f} ms {p2:9.3f} ms {ratio:7.3f}{flag}")
    winners_1 = {r.task: r.recommended for r in rank_records(first, key=key)}
    winners_2 = {r.task: r.recommended for r in rank_records(second, key=key)}
    lines.append("")
    for task in sorted(set(winners_1) | set(winners_2)):
        w1, w2 = winners_1.get(task), winners_2.get(task)
        same = w1 == w2
        ok = ok and same
        lines.append(f"{task}: recommended {w1} then {w2} — {'same winner' if same else 'WINNER CHANGED'}")
    return lines, ok


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="quick")
    parser.add_argument("--results", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--key", default="energy", help="frugality key of the recommendation")
    args = parser.parse_args(own)

    from bench.run.results import load_records

    with tempfile.TemporaryDirectory(prefix="repeatability-") as tmp:
        results = args.results or Path(tmp)
        runs = [_run(args.suite, results, extra) for _ in range(2)]
        lines, ok = compare(load_records(runs[0]), load_records(runs[1]), args.key)
    print(f"\nrepeatability of suite '{args.suite}': {runs[0].name} vs {runs[1].name}")
    print("\n".join(lines))
    print(f"\n{'within target' if ok else 'NOT within target'}: latency medians within ±10 % and same winners")
    return 0


if __name__ == "__main__":
    sys.exit(main())
