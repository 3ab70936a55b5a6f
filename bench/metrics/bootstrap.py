"""Score container and the interval every metric goes through (rules in `bench.metrics.intervals`)."""

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
    """A metric value with its 95 % interval and the method that produced it.

    `method`: "wilson" (proportions), "bca" (bootstrap over items), or a small-n / degenerate variant
    widened to a Wilson floor; "percentile" marks scores of older runs.
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    resamples: int
    seed: int
    method: str = "percentile"

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def bootstrap(per_item: FloatArray, statistic: Statistic, *, resamples: int = 1000, seed: int = 0,
              proportion: bool = False) -> Score:
    """Point value and honest 95 % interval of `statistic` over items (see `bench.metrics.intervals`).

    `proportion`: the statistic is a share of right items (a 0/1 column): Wilson's interval.
    """
    from bench.metrics.intervals import interval

    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    value, low, high, method = interval(per_item, statistic, resamples=resamples, seed=seed, proportion=proportion)
    n = np.asarray(per_item).shape[0]
    return Score(value, low, high, n, resamples, seed, method)


def resample_weights(n: int, m: int, rng: np.random.Generator) -> FloatArray:
    """How many times each of n items is drawn in each of m resamples, shape (m, n), with one bincount.

    A statistic of column sums is then `statistic(weights @ per_item)`: no Python loop over resamples.
    """
    idx = rng.integers(0, n, size=(m, n))
    offsets = (idx + n * np.arange(m)[:, None]).ravel()
    return np.bincount(offsets, minlength=m * n).reshape(m, n).astype(np.float64)


def resample_chunk(n: int) -> int:
    """Resamples per block, so that the (resamples x items) weight matrix stays near 16 MB."""
    return max(1, _CELLS_PER_CHUNK // max(1, n))


def mean_of(n: int) -> Statistic:
    """Statistic for per-item decomposable metrics: column sum divided by the number of items."""
    return lambda sums: sums[:, 0] / n


def safe_ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den, with 0 where den == 0 (scikit-learn's zero_division=0)."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out
