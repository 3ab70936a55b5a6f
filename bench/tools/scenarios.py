"""Single-request vs offline, side by side: one run of a suite in both scenarios, one line per rung.

Usage: python -m bench.tools.scenarios [--suite quick] [--results DIR] [--run RUN] [-- RUN OPTIONS]
Runs `frugal-bench run --scenario both` (options after `--` go to it, e.g. --task classify_mail --batch-size 16),
then prints, per task and rung, throughput, CPU seconds and energy per 1000 requests and peak memory of each
scenario, with the ratio offline ÷ single and whether the offline answers matched. `--run` prints an existing
run instead of starting one. Both scenarios come from the same run, on the same machine and the same items.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.numbers import as_float
from bench.run.record import ENERGY_WH_PER_1000, PEAK_RSS_MB, THROUGHPUT, CellRecord

COLUMNS = ((THROUGHPUT, "req/s", 1), ("cpu_time_s_per_1000_requests", "CPU s/1k", 2),
           (ENERGY_WH_PER_1000, "Wh/1k", 4), (PEAK_RSS_MB, "RSS MB", 0))


def _pair(single: Mapping[str, Any], offline: Mapping[str, Any], column: str, digits: int) -> str:
    before, after = as_float(single.get(column)), as_float(offline.get(column))
    ratio = f"×{after / before:.2f}" if before > 0 and after == after else "–"
    return f"{before:.{digits}f} → {after:.{digits}f} ({ratio})"


def side_by_side(records: Sequence[CellRecord]) -> list[str]:
    """One line per (task, model) measured in both scenarios; records are a run's current records."""
    from bench.run.results import flatten

    by_key: dict[tuple[str, str], dict[str, CellRecord]] = {}
    for record in records:
        if record.ok:
            by_key.setdefault((str(record.task), str(record.model_id)), {})[record.scenario] = record
    lines = ["task | model | " + " | ".join(label for _, label, _ in COLUMNS) + " | serving | answers"]
    for (task, model), pair in by_key.items():
        if set(pair) != {"single", "offline"}:
            continue
        single, offline = flatten(pair["single"]), flatten(pair["offline"])
        batching, check = pair["offline"].batching, pair["offline"].scenario_check
        serving = f"{batching.mode} ×{batching.size}" if batching else "? ×?"
        status = check.status if check and check.status else "?"
        answers = status + (f" ({check.differing_items} differ)" if check and status == "mismatch" else "")
        lines.append(" | ".join([task, model, *(_pair(single, offline, c, d) for c, _, d in COLUMNS), serving,
                                 answers]))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    extra = args[args.index("--") + 1:] if "--" in args else []
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="quick")
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--run", help="print this run (id, folder or 'latest') instead of starting one")
    options = parser.parse_args(args[:args.index("--")] if "--" in args else args)
    from bench.run.results import resolve_run
    from bench.run.runview import load_run

    if options.run is None:
        command = [sys.executable, "-m", "bench", "run", "--suite", options.suite, "--results", str(options.results),
                   "--scenario", "both", *extra]
        done = subprocess.run(command, check=False)
        if done.returncode not in (0, 3):  # 3: some cells failed; the others are still worth printing
            return done.returncode
    run_dir = resolve_run(options.results, options.run or "latest")
    print(f"run {run_dir.name}: single → offline (offline ÷ single)")
    for line in side_by_side(load_run(run_dir).records):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
