"""Confidence sequences for the mean of bounded per-item scores: intervals valid under repeated looks.

A fixed-n interval (Wilson, BCa) is valid at one n chosen in advance; looking after every batch and stopping
when it clears the gate inflates the error. A confidence sequence (CS) covers the mean at every n at once,
so a decision taken at any look keeps its level.

Method: the "hedged capital" betting CS with predictable plug-in bets of Waudby-Smith & Ramdas,
"Estimating means of bounded random variables by betting", JRSS-B 86(1), 2024, section 4 (eqs. 26-27,
Theorem 3). For each candidate mean m, a gambler bets on (x_i - m); under the true mean its capital is a
non-negative martingale, so by Ville's inequality it reaches 1/alpha with probability at most alpha, ever.
The CS at n is the set of m whose hedged capital is still below 1/alpha. Scores must lie in [0, 1].

Ratio metrics (micro field F1 = 2TP / (2TP + FP + FN)) are not means of per-item scores, but "F1 >= v" is
"the mean of 2TP - v(2TP + FP + FN) >= 0", a mean of bounded per-item values: `f1_scores` rescales them to
[0, 1] for each candidate v, and the CS of F1 is the set of v that this test does not reject. Macro-F1 has
no such form (a mean of per-label ratios): bench.decide.macrobound bounds it from above instead.

(The `confseq` package implements this CS, but ships as C++ sources that need a compiler and old build
tools; the method is short enough to keep here, tested against simulation in tests/test_sequential.py.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

GRID_STEP = 0.001  # candidate means are searched on this grid; bounds are rounded outwards to it
TRUNCATION = 0.5  # c in the paper: bets never stake more than half the capital that a loss could take


def _bets(x: FloatArray, alpha: float) -> FloatArray:
    """Predictable plug-in bet sizes (eq. 26): bet i uses the items before it only. Axis 0 is items."""
    n = x.shape[0]
    t = np.arange(1, n + 1, dtype=np.float64).reshape((n,) + (1,) * (x.ndim - 1))
    mean = (0.5 + np.cumsum(x, axis=0)) / (t + 1)
    variance = (0.25 + np.cumsum((x - mean) ** 2, axis=0)) / (t + 1)
    previous_variance = np.concatenate([np.full((1, *x.shape[1:]), 0.25), variance[:-1]], axis=0)
    bets: FloatArray = np.sqrt(2 * math.log(2 / alpha) / (previous_variance * t * np.log1p(t)))
    return bets


def log_capital(x: FloatArray, m: FloatArray | float, alpha: float) -> FloatArray:
    """log of the hedged capital max(K+/2, K-/2) after each item, for candidate mean(s) `m`.

    `x` has items on axis 0; its other axes (candidates, replications) broadcast with `m`.
    """
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError("a confidence sequence of this kind needs scores in [0, 1]")
    x, m = np.broadcast_arrays(x, m[None, ...] if m.ndim else m)
    bets = _bets(x, alpha)
    with np.errstate(divide="ignore"):  # m = 0 or 1: that side's bet is free (capped at c / 0 = inf)
        up = np.minimum(bets, TRUNCATION / m)
        down = np.minimum(bets, TRUNCATION / (1 - m))
    gain_up = np.cumsum(np.log1p(up * (x - m)), axis=0)
    gain_down = np.cumsum(np.log1p(-down * (x - m)), axis=0)
    out: FloatArray = np.maximum(gain_up, gain_down) + math.log(0.5)
    return out


def f1_scores(tp: FloatArray, wrong: FloatArray, fields: float, v: FloatArray) -> FloatArray:
    """Per-item values in [0, 1] whose mean is >= v exactly when micro F1 >= v (shape: items x len(v)).

    `wrong` is FP + FN of each item; with `fields` fields per item, 2TP - v(2TP + FP + FN) lies in
    [-2v·fields, 2(1 - v)·fields]; shifting by 2v·fields and dividing by 2·fields maps it to [0, 1] with
    the threshold mapped to v itself.
    """
    tp = np.asarray(tp, dtype=np.float64)[:, None]
    wrong = np.asarray(wrong, dtype=np.float64)[:, None]
    out: FloatArray = (2 * tp - v * (2 * tp + wrong) + 2 * v * fields) / (2 * fields)
    return np.clip(out, 0.0, 1.0)  # guards rounding only: the algebra keeps the values in [0, 1]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    n: int


def _grid(extra: tuple[float, ...] = ()) -> FloatArray:
    points = np.concatenate([np.linspace(0.0, 1.0, round(1 / GRID_STEP) + 1), np.asarray(extra, dtype=np.float64)])
    out: FloatArray = np.unique(np.clip(points, 0.0, 1.0))
    return out


def _bounds(inside: npt.NDArray[np.bool_], grid: FloatArray) -> tuple[float, float]:
    """Outer bounds of the candidates still inside, rounded outwards to the next rejected grid point."""
    where = np.flatnonzero(inside)
    if where.size == 0:
        return math.nan, math.nan
    first, last = int(where[0]), int(where[-1])
    return float(grid[max(0, first - 1)]), float(grid[min(len(grid) - 1, last + 1)])


def running_interval(inside: npt.NDArray[np.bool_], grid: FloatArray) -> Interval:
    """The CS after the last item: the intersection of the sets at every n (valid, since each covers)."""
    kept = np.logical_and.reduce(inside, axis=0) if inside.shape[0] else np.ones(len(grid), dtype=bool)
    if not kept.any():  # an empty intersection (probability <= alpha): fall back to the last set alone
        kept = inside[-1]
    low, high = _bounds(kept, grid)
    return Interval(low, high, int(inside.shape[0]))


def mean_cs(x: FloatArray, alpha: float, marks: tuple[float, ...] = ()) -> Interval:
    """Anytime-valid (1 - alpha) CS of the mean of `x` (scores in [0, 1]) after its last item.

    `marks` (gates, limits) are added to the grid so that a bound is never rounded across them.
    """
    grid = _grid(marks)
    if len(x) == 0:
        return Interval(0.0, 1.0, 0)
    inside = log_capital(np.asarray(x, dtype=np.float64)[:, None], grid, alpha) < math.log(1 / alpha)
    return running_interval(inside, grid)


def f1_cs(tp: FloatArray, wrong: FloatArray, fields: float, alpha: float, marks: tuple[float, ...] = ()) -> Interval:
    """Anytime-valid (1 - alpha) CS of micro F1 = 2ΣTP / (2ΣTP + ΣFP + ΣFN), via `f1_scores`."""
    grid = _grid(marks)
    if len(tp) == 0:
        return Interval(0.0, 1.0, 0)
    inside = log_capital(f1_scores(tp, wrong, fields, grid), grid, alpha) < math.log(1 / alpha)
    return running_interval(inside, grid)
