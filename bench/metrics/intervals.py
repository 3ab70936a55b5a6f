"""Confidence intervals that stay honest at every n.

- Proportions (accuracy, doc-exact, rates): Wilson score interval (`scipy.stats.binomtest`). It never
  collapses: 5 of 5 correct gives [0.57, 1.00], not [1, 1].
- Other statistics (macro-F1, field F1, ROUGE-L, chrF): BCa bootstrap over items (`scipy.stats.bootstrap`),
  which corrects the bias and skew that make percentile intervals under-cover at small n.
- Small-n rule: below `SMALL_N` items, or when the bootstrap distribution is degenerate (every resample
  gives the same value, as on all-correct samples), the interval is widened to contain the Wilson
  interval of the score read as a proportion of n items (value·n successes out of n). Every score
  in [0, 1] that averages over items is at least as uncertain as a proportion over the same items,
  so the floor is conservative; the record names the method that was used.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
Statistic = Callable[[FloatArray], FloatArray]  # column sums, shape (m, d) -> m values

LEVEL = 0.95
Z = float(stats.norm.ppf(0.5 + LEVEL / 2))
SMALL_N = 20
_BATCH_CELLS = 4_000_000  # bounds the gathered (resamples x items x columns) block to ~32 MB


def wilson(successes: float, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion; `successes` is rounded to a whole count."""
    if n <= 0:
        raise ValueError("a proportion needs at least one item")
    k = min(n, max(0, round(successes)))
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def items_to_clear(threshold: float, level: float = LEVEL) -> int:
    """Fewest items on which a perfect score's Wilson lower bound, n / (n + z²), reaches `threshold`."""
    if threshold <= 0:
        return 1
    if threshold >= 1:
        return 10**9  # no finite sample proves a perfect rate
    z = float(stats.norm.ppf(0.5 + level / 2))
    return max(1, math.ceil(z * z * threshold / (1 - threshold) - 1e-9))


def bca(per_item: FloatArray, statistic: Statistic, *, resamples: int, seed: int,
        level: float = LEVEL) -> tuple[float, float] | None:
    """BCa interval of a statistic of column sums over items; None when the resamples are degenerate."""
    n, d = per_item.shape
    if n < 2 or resamples < 2:
        return None

    def on_indices(idx: npt.NDArray[np.int64], axis: int = -1) -> FloatArray:
        idx = np.asarray(idx, dtype=np.int64)
        flat = idx.reshape(-1, idx.shape[-1])
        sums = per_item[flat].sum(axis=1)
        return statistic(sums).reshape(idx.shape[:-1])

    batch = max(1, _BATCH_CELLS // max(1, n * d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate or skewed samples: detected below by a NaN bound
        result = stats.bootstrap((np.arange(n),), on_indices, vectorized=True, n_resamples=resamples,
                                 confidence_level=level, method="BCa", random_state=np.random.default_rng(seed),
                                 batch=batch)
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if math.isnan(low) or math.isnan(high) or float(np.std(result.bootstrap_distribution)) == 0.0:
        return None
    return low, high


def interval(per_item: FloatArray, statistic: Statistic, *, resamples: int, seed: int,
             proportion: bool = False) -> tuple[float, float, float, str]:
    """(value, low, high, method) of `statistic` over items, by the rules of this module's docstring.

    `proportion`: the statistic is the share of items that are right (per_item is a 0/1 column).
    """
    per_item = np.asarray(per_item, dtype=np.float64)
    if per_item.ndim == 1:
        per_item = per_item[:, None]
    n = per_item.shape[0]
    if n == 0:
        raise ValueError("no items to score (n == 0): the split or the predictions are empty")
    value = float(statistic(per_item.sum(axis=0, keepdims=True))[0])
    floor = wilson(value * n, n)
    if proportion:
        return value, floor[0], floor[1], "wilson"
    boot = bca(per_item, statistic, resamples=resamples, seed=seed)
    if boot is None:
        return value, floor[0], floor[1], "wilson-floor (degenerate bootstrap)"
    if n < SMALL_N:
        return value, min(boot[0], floor[0]), max(boot[1], floor[1]), f"bca+wilson-floor (n<{SMALL_N})"
    return value, boot[0], boot[1], "bca"
