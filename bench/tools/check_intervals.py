"""Check that no score of a run has an interval narrower than its method allows at its n.

- "wilson": the interval is Wilson's for (value·n)/n, to rounding;
- "...wilson-floor...": it contains that Wilson interval;
- "bca": it is not a point (and contains the value);
- anything else (older runs' "percentile"): reported, to be rescored (`frugal-bench rescore`).

Usage: python -m bench.tools.check_intervals RUN_DIR   (exit 1 when a score breaks its rule)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bench.metrics.intervals import wilson
from bench.run.record import CellRecord
from bench.run.results import load_records

TOLERANCE = 1e-6


def problem(score: Mapping[str, Any]) -> str | None:
    """Why a score's interval is narrower than its method allows, or None."""
    value, low, high, n = (float(score[k]) for k in ("value", "ci_low", "ci_high", "n"))
    method = str(score.get("method", "percentile"))
    floor_low, floor_high = wilson(value * n, int(n))
    if method == "wilson":
        if abs(low - floor_low) > TOLERANCE or abs(high - floor_high) > TOLERANCE:
            return f"not Wilson's interval at n={n:g}"
        return None
    if "wilson-floor" in method:
        if low > floor_low + TOLERANCE or high < floor_high - TOLERANCE:
            return f"narrower than the Wilson floor [{floor_low:.3f}, {floor_high:.3f}] at n={n:g}"
        return None
    if method == "bca":
        if not low < high or not low - TOLERANCE <= value <= high + TOLERANCE:
            return "a point, or not containing its value"
        return None
    return f"method '{method}' (rescore this run)"


def problems(records: list[CellRecord]) -> Iterator[str]:
    for record in records:
        if not record.ok:
            continue
        for set_name, quality in record.quality_sets.items():
            for metric, score in quality.items():
                why = problem(score.model_dump())
                if why:
                    yield f"{record.cell_id} {set_name} {metric}: {why}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    records = load_records(Path(argv[1]))
    found = list(problems(records))
    scores = sum(len(q) for r in records if r.ok for q in r.quality_sets.values())
    for line in found:
        print(line)
    print(f"{scores} scores checked, {len(found)} narrower than their method allows")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
