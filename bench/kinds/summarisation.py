"""Summarisation: a summary per input, scored against a reference and checked against its source."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bench.kinds import METRICS, Contributions, Sample

if TYPE_CHECKING:
    from bench.metrics.bootstrap import FloatArray, Score


def target(value: Any, labels: Mapping[str, str] | None, fields: Sequence[str]) -> str:
    if not isinstance(value, str):
        raise ValueError("the reference summary must be a string")
    return value


def scores(gold: Sequence[Any], pred: Sequence[Any], *, labels: Sequence[str] | None, fields: Any, resamples: int,
           seed: int, also: Sequence[Sequence[str]] | None, sources: Sequence[str] | None,
           budget: int | None) -> dict[str, Score]:
    from bench.metrics.summary import summary_scores

    return summary_scores(gold, pred, resamples=resamples, seed=seed, sources=sources, budget=budget)


def per_item(gold: Sequence[Any], pred: Sequence[Any], *, fields: Any, also: Sequence[Sequence[str]] | None,
             sources: Sequence[str] | None, budget: int | None) -> list[dict[str, float]]:
    from bench.metrics import summary

    return summary.per_item(gold, pred, sources, budget)


def _column(samples: Sequence[Sample], column: str) -> FloatArray:
    import numpy as np

    return np.array([float(s["scores"].get(column, 0.0)) for s in samples])


def contributions(metric: str, labels: Sequence[str]) -> Contributions:
    from bench.metrics.bootstrap import mean_of

    column = METRICS[metric].column or metric  # invented_rate is the mean of the `invented` column

    def build(samples: Sequence[Sample]) -> tuple[FloatArray, Callable[[FloatArray], FloatArray]]:
        return _column(samples, column)[:, None], mean_of(len(samples))
    return build


def rescore(samples: Sequence[Sample], labels: Sequence[str] | None, resamples: int, seed: int) -> dict[str, Score]:
    """Each metric that is a mean of a per-item column, when every sample has that column."""
    from bench.metrics.bootstrap import bootstrap, mean_of

    out = {}
    for metric in (m for m in METRICS.values() if m.kind == "summarisation" and m.column is not None):
        assert metric.column is not None
        if all(metric.column in s["scores"] for s in samples):
            values = _column(samples, metric.column)
            out[metric.name] = bootstrap(values, mean_of(len(values)), resamples=resamples, seed=seed,
                                         proportion=metric.proportion)
    return out
