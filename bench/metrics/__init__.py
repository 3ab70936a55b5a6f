"""Task metrics with 95 % percentile-bootstrap confidence intervals.

All values are on a 0-1 scale. Each `*_scores` function returns {metric name: Score}, with the names of
config.METRICS_BY_KIND; `per_item_scores` gives the matching per-item numbers for audit lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bench.metrics import classification, extraction, summary
from bench.metrics.bootstrap import Score, bootstrap
from bench.metrics.classification import classification_scores
from bench.metrics.extraction import FieldLike, extraction_scores
from bench.metrics.normalise import FIELD_TYPES, normalise_field
from bench.metrics.summary import FrenchTokenizer, summary_scores

__all__ = [
    "FIELD_TYPES",
    "FieldLike",
    "FrenchTokenizer",
    "Score",
    "bootstrap",
    "classification_scores",
    "extraction_scores",
    "normalise_field",
    "per_item_scores",
    "scores_for",
    "summary_scores",
]

KINDS = ("classification", "summarisation", "extraction")


def _unknown(kind: str) -> ValueError:
    return ValueError(f"unknown task kind {kind!r} (expected one of {', '.join(KINDS)})")


def per_item_scores(kind: str, gold: Sequence[Any], pred: Sequence[Any],
                    fields: Sequence[FieldLike | Mapping[str, str]] | None = None) -> list[dict[str, float]]:
    """One dict per item: classification {correct}; summarisation {rouge_l, chrf};
    extraction {tp, fp, fn, fields_correct, fields_total, exact}."""
    if kind == "classification":
        return [{"correct": c} for c in classification.correct_vector(gold, pred).tolist()]
    if kind == "summarisation":
        return summary.per_item(gold, pred)
    if kind == "extraction":
        return extraction.per_item(gold, pred, fields)
    raise _unknown(kind)


def scores_for(kind: str, gold: Sequence[Any], pred: Sequence[Any], *, labels: Iterable[str] | None = None,
               fields: Sequence[FieldLike | Mapping[str, str]] | None = None, resamples: int = 1000,
               seed: int = 0) -> dict[str, Score]:
    """Dispatch on the task kind. Classification without `labels` uses the sorted gold labels."""
    if kind == "classification":
        declared = sorted(set(gold)) if labels is None else labels
        return classification_scores(gold, pred, declared, resamples=resamples, seed=seed)
    if kind == "summarisation":
        return summary_scores(gold, pred, resamples=resamples, seed=seed)
    if kind == "extraction":
        if fields is None:
            raise ValueError("extraction scoring needs the task's fields (name and type of each)")
        return extraction_scores(gold, pred, fields, resamples=resamples, seed=seed)
    raise _unknown(kind)
