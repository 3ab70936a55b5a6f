"""The stopping rule of frugal evaluation: is a test set already clearly above or clearly below its gate?

Each condition of the gate (the metric's minimum, each error rate's maximum) gets an anytime-valid
confidence sequence (bench.decide.sequential) on the items scored so far. A set is decided:
- "pass" when every condition's sequence is wholly on the right side of its bound (and there are at least
  as many items as a perfect score needs to pass at all, the fixed-n gate's own rule);
- "fail" when one condition's sequence is wholly on the wrong side;
- otherwise it stays open. Macro-F1 is not a mean of per-item scores: it has an upper bound that is one
  (bench.decide.macrobound), so a set gated on macro-F1 can stop when clearly below, never when clearly above; without
  that bound (no `macro_value` per item) it is scored on every item.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from bench.decide.macrobound import COLUMN as MACRO_COLUMN  # each item's value under the set's bound
from bench.decide.macrobound import MacroF1Bound
from bench.decide.sequential import Interval, f1_cs, mean_cs
from bench.kinds import METRICS

State = Literal["pass", "fail", "open"]

# From the metrics' registry: the means of a per-item score in [0, 1] (and that score's name in the samples),
# the ratios of per-item counts, and those bounded from above only (via bench.decide.macrobound).
MEAN_COLUMNS: dict[str, str] = {m.name: m.column for m in METRICS.values() if m.sequential == "mean" and m.column}
RATIO_METRICS = frozenset(m.name for m in METRICS.values() if m.sequential == "ratio")
MACRO_METRICS = frozenset(m.name for m in METRICS.values() if m.sequential == "upper")


@dataclass(frozen=True)
class Condition:
    metric: str
    bound: float
    is_limit: bool = False  # an error rate that must stay at or below `bound`; else a minimum


@dataclass(frozen=True)
class Decision:
    state: State
    intervals: dict[str, Interval] = field(default_factory=dict)  # metric -> its sequence now
    reason: str = ""


def sequential_metric(metric: str) -> bool:
    """Whether early stopping can be decided on this metric at all (macro-F1: only a failure)."""
    return metric in MEAN_COLUMNS or metric in RATIO_METRICS or metric in MACRO_METRICS


def metric_cs(metric: str, rows: Sequence[Mapping[str, float]], alpha: float, mark: float,
              macro: MacroF1Bound | None = None) -> Interval | None:
    """The sequence of `metric` over the per-item scores `rows`; None when it has none (macro-F1 without
    its bound)."""
    if metric in MACRO_METRICS:
        if macro is None or any(MACRO_COLUMN not in r for r in rows):
            return None
        return macro.sequence([r[MACRO_COLUMN] for r in rows], alpha, mark)
    if metric in RATIO_METRICS:
        tp = np.array([r["tp"] for r in rows], dtype=np.float64)
        wrong = np.array([r["fp"] + r["fn"] for r in rows], dtype=np.float64)
        fields = max((r["fields_total"] for r in rows), default=1.0)
        return f1_cs(tp, wrong, fields, alpha, (mark,))
    column = MEAN_COLUMNS.get(metric)
    if column is None:
        return None
    return mean_cs(np.array([r[column] for r in rows], dtype=np.float64), alpha, (mark,))


def decide(conditions: Sequence[Condition], rows: Sequence[Mapping[str, float]], alpha: float,
           min_items: int = 1, macro: MacroF1Bound | None = None) -> Decision:
    """The state of one test set after `rows` (its per-item scores, in scoring order)."""
    intervals: dict[str, Interval] = {}
    open_reason = ""
    passing = True
    for condition in conditions:
        cs = metric_cs(condition.metric, rows, alpha, condition.bound, macro)
        if cs is None:
            return Decision("open", intervals, f"{condition.metric} is not a mean of per-item scores: every item "
                                               "is scored")
        intervals[condition.metric] = cs
        below, above = cs.high < condition.bound, cs.low > condition.bound
        wrong_side = above if condition.is_limit else below
        right_side = (cs.high <= condition.bound) if condition.is_limit else (cs.low >= condition.bound)
        if wrong_side and not math.isnan(cs.low):
            side = "above its maximum" if condition.is_limit else "below the gate"
            return Decision("fail", intervals, f"{condition.metric} {_fmt(cs)} wholly {side} {condition.bound:g} "
                                               f"after {cs.n} items")
        if not right_side:
            passing = False
            open_reason = open_reason or f"{condition.metric} {_fmt(cs)} still spans {condition.bound:g}"
    if passing and len(rows) >= min_items:
        return Decision("pass", intervals, f"every condition clear of its bound after {len(rows)} items "
                                           f"({', '.join(f'{m} {_fmt(i)}' for m, i in intervals.items())})")
    return Decision("open", intervals, open_reason or f"fewer than {min_items} items")


def _fmt(interval: Interval) -> str:
    return f"[{interval.low:.3f}, {interval.high:.3f}]"
