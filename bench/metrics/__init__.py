"""Task metrics with honest 95 % intervals (Wilson for proportions, BCa otherwise: see `intervals`).

All values are on a 0-1 scale. Each `*_scores` function returns {metric name: Score}, with the names of
bench.kinds.METRICS; `per_item_scores` gives the matching per-item numbers for audit lines.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

# Light (numpy only), and `bootstrap` must be the function, not the submodule of the same name.
from bench.kinds import task_kind
from bench.metrics.bootstrap import Score, bootstrap

if TYPE_CHECKING:  # the real names, for type checkers; at run time they are loaded on first use
    from bench.metrics.classification import classification_scores
    from bench.metrics.extraction import FieldLike, extraction_scores
    from bench.metrics.normalise import FIELD_TYPES, normalise_field
    from bench.metrics.summary import FrenchTokenizer, summary_scores

# Scoring libraries (rouge-score, sacrebleu, scipy) are heavy: the parent process, which only ranks and
# reports, must not import them through this package. Attributes are loaded on first use (PEP 562).
_LAZY = {
    "classification_scores": "bench.metrics.classification", "FieldLike": "bench.metrics.extraction",
    "extraction_scores": "bench.metrics.extraction", "FIELD_TYPES": "bench.metrics.normalise",
    "normalise_field": "bench.metrics.normalise", "FrenchTokenizer": "bench.metrics.summary",
    "summary_scores": "bench.metrics.summary",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bench.metrics' has no attribute {name!r}")


def per_item_scores(kind: str, gold: Sequence[Any], pred: Sequence[Any],
                    fields: Sequence[FieldLike | Mapping[str, str]] | None = None,
                    also: Sequence[Sequence[str]] | None = None, sources: Sequence[str] | None = None,
                    budget: int | None = None) -> list[dict[str, float]]:
    """One dict per item: classification {correct}; summarisation {rouge_l, chrf};
    extraction {tp, fp, fn, fields_correct, fields_total, exact}."""
    return task_kind(kind).rules().per_item(gold, pred, fields=fields, also=also, sources=sources, budget=budget)


def scores_for(kind: str, gold: Sequence[Any], pred: Sequence[Any], *, labels: Iterable[str] | None = None,
               fields: Sequence[FieldLike | Mapping[str, str]] | None = None, resamples: int = 1000,
               seed: int = 0, also: Sequence[Sequence[str]] | None = None, sources: Sequence[str] | None = None,
               budget: int | None = None) -> dict[str, Score]:
    """Dispatch on the task kind. Classification without `labels` uses the sorted gold labels; `also` gives
    each item's other acceptable labels (multi-gold, see `classification.effective_gold`)."""
    return task_kind(kind).rules().scores(gold, pred, labels=None if labels is None else list(labels),
                                          fields=fields, resamples=resamples, seed=seed, also=also,
                                          sources=sources, budget=budget)
