"""Classification: one label per input, scored by accuracy and macro-F1 over the declared labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bench.kinds import Contributions, Sample

if TYPE_CHECKING:
    from bench.metrics.bootstrap import FloatArray, Score


def target(value: Any, labels: Mapping[str, str] | None, fields: Sequence[str]) -> str:
    label = str(value)
    if labels is not None and label not in labels:
        raise ValueError(f"unknown label '{label}' (declared: {sorted(labels)})")
    return label


def scores(gold: Sequence[Any], pred: Sequence[Any], *, labels: Sequence[str] | None, fields: Any, resamples: int,
           seed: int, also: Sequence[Sequence[str]] | None, sources: Sequence[str] | None,
           budget: int | None) -> dict[str, Score]:
    """Without `labels`, the sorted gold labels; `also` gives each item's other acceptable labels."""
    from bench.metrics import classification

    declared = sorted(set(gold)) if labels is None else labels
    gold = classification.effective_gold(gold, pred, also)
    return classification.classification_scores(gold, pred, declared, resamples=resamples, seed=seed)


def per_item(gold: Sequence[Any], pred: Sequence[Any], *, fields: Any, also: Sequence[Sequence[str]] | None,
             sources: Sequence[str] | None, budget: int | None) -> list[dict[str, float]]:
    from bench.metrics import classification

    gold = classification.effective_gold(gold, pred, also)
    return [{"correct": c} for c in classification.correct_vector(gold, pred).tolist()]


def _gold(samples: Sequence[Sample]) -> list[str]:
    from bench.metrics.classification import effective_gold

    return effective_gold([str(s["gold"]) for s in samples], [s.get("prediction") for s in samples],
                          [s.get("also") or [] for s in samples])


def contributions(metric: str, labels: Sequence[str]) -> Contributions:
    from bench.metrics.bootstrap import mean_of
    from bench.metrics.classification import confusion_contributions, macro_f1_from_sums

    def build(samples: Sequence[Sample]) -> tuple[FloatArray, Callable[[FloatArray], FloatArray]]:
        if metric == "accuracy":
            return correct_column(samples)[:, None], mean_of(len(samples))
        return confusion_contributions(_gold(samples), [s.get("prediction") for s in samples],
                                       list(labels)), macro_f1_from_sums
    return build


def correct_column(samples: Sequence[Sample]) -> FloatArray:
    """Per-item correctness as recorded in the samples (0 when absent)."""
    import numpy as np

    return np.array([float(s.get("scores", {}).get("correct", 0.0)) for s in samples])


def rescore(samples: Sequence[Sample], labels: Sequence[str] | None, resamples: int, seed: int) -> dict[str, Score]:
    gold = [str(s["gold"]) for s in samples]
    pred = [s.get("prediction") for s in samples]
    declared = list(labels) if labels else sorted({*gold, *(p for p in pred if isinstance(p, str))})
    return scores(gold, pred, labels=declared, fields=None, resamples=resamples, seed=seed,
                  also=[s.get("also") or [] for s in samples], sources=None, budget=None)
