"""Score container and the vectorised percentile bootstrap shared by every metric."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
# Maps column sums of per-item contributions, shape (m, d), to m metric values.
Statistic = Callable[[FloatArray], FloatArray]

_CELLS_PER_CHUNK = 2_000_000  # bounds the (resamples x items) weight matrix to ~16 MB at a time


@dataclass(frozen=True)
class Score:
    """A metric value with its 95 % percentile-bootstrap interval.

    The interval comes from resampling items; for statistics that are biased under resampling
    (macro-F1 loses rare labels in some resamples) it need not be centred on, or even contain, `value`.
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    resamples: int
    seed: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def bootstrap(per_item: FloatArray, statistic: Statistic, *, resamples: int = 1000, seed: int = 0) -> Score:
    """Point value and 95 % percentile CI of `statistic` over items.

    `per_item` has one row of additive contributions per item (a score, or TP/FP/FN counts); the statistic
    only ever sees column sums, so each resample is one row of a (resample-weights @ per_item) product
    instead of a Python-level recomputation.
    """
    per_item = np.asarray(per_item, dtype=np.float64)
    if per_item.ndim == 1:
        per_item = per_item[:, None]
    n = per_item.shape[0]
    if n == 0:
        raise ValueError("no items to score (n == 0): the split or the predictions are empty")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    value = float(statistic(per_item.sum(axis=0, keepdims=True))[0])
    if n == 1:
        # Every resample is the single item: the interval collapses onto the value.
        return Score(value, value, value, n, resamples, seed)
    rng = np.random.default_rng(seed)
    stats = np.empty(resamples, dtype=np.float64)
    chunk = max(1, _CELLS_PER_CHUNK // n)
    for start in range(0, resamples, chunk):
        m = min(chunk, resamples - start)
        idx = rng.integers(0, n, size=(m, n))
        # How many times each item is drawn in each resample, built with one bincount.
        offsets = (idx + n * np.arange(m)[:, None]).ravel()
        weights = np.bincount(offsets, minlength=m * n).reshape(m, n).astype(np.float64)
        stats[start:start + m] = statistic(weights @ per_item)
    low, high = np.percentile(stats, [2.5, 97.5])
    return Score(value, float(low), float(high), n, resamples, seed)


def mean_of(n: int) -> Statistic:
    """Statistic for per-item decomposable metrics: column sum divided by the number of items."""
    return lambda sums: sums[:, 0] / n


def safe_ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den, with 0 where den == 0 (scikit-learn's zero_division=0)."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out
