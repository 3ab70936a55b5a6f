"""Accuracy and macro-F1 over the declared labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from bench.metrics.bootstrap import FloatArray, Score, bootstrap, mean_of, safe_ratio


def _check_lengths(gold: Sequence[object], pred: Sequence[object]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold and pred differ in length ({len(gold)} != {len(pred)})")


def effective_gold(gold: Sequence[str], pred: Sequence[str | None],
                   also: Sequence[Sequence[str]] | None) -> list[str]:
    """Multi-gold scoring rule: an item whose prediction is one of its acceptable labels counts as that
    label; otherwise its gold is the main label. Accuracy and macro-F1 then follow their usual definitions.
    """
    if also is None:
        return list(gold)
    _check_lengths(gold, pred)
    if len(also) != len(gold):
        raise ValueError(f"gold and its acceptable labels differ in length ({len(gold)} != {len(also)})")
    return [p if p is not None and p in extra else g for g, p, extra in zip(gold, pred, also, strict=True)]


def correct_vector(gold: Sequence[str], pred: Sequence[str | None]) -> FloatArray:
    """1.0 where the prediction equals the gold label exactly, else 0.0 (None never matches)."""
    _check_lengths(gold, pred)
    return np.array([float(p is not None and g == p) for g, p in zip(gold, pred, strict=True)])


def confusion_contributions(gold: Sequence[str], pred: Sequence[str | None],
                            labels: Sequence[str]) -> FloatArray:
    """Per-item one-hot TP, FP and FN contributions, shape (n, 3K), columns [TP_1..K | FP_1..K | FN_1..K].

    Same counting as scikit-learn with `labels=`: a prediction outside the labels is only a FN for the
    gold label, a gold outside the labels only a FP for the predicted one.
    """
    _check_lengths(gold, pred)
    index = {label: k for k, label in enumerate(labels)}
    k = len(labels)
    g = np.array([index.get(x, -1) for x in gold], dtype=np.int64)
    p = np.array([index.get(x, -1) if x is not None else -1 for x in pred], dtype=np.int64)
    ks = np.arange(k)
    g_is = g[:, None] == ks[None, :]
    p_is = p[:, None] == ks[None, :]
    tp = g_is & p_is
    return np.hstack([tp, p_is & ~g_is, g_is & ~p_is]).astype(np.float64)


def macro_f1_from_sums(sums: FloatArray) -> FloatArray:
    """Mean over labels of 2TP / (2TP + FP + FN); a label absent from gold and pred counts as 0."""
    k = sums.shape[1] // 3
    tp, fp, fn = sums[:, :k], sums[:, k:2 * k], sums[:, 2 * k:]
    per_label: FloatArray = safe_ratio(2 * tp, 2 * tp + fp + fn)
    macro: FloatArray = per_label.mean(axis=1)
    return macro


def _declared(labels: Iterable[str]) -> list[str]:
    declared = list(labels)  # a task's {label: description} dict iterates over its labels
    if not declared:
        raise ValueError("macro-F1 needs at least one declared label")
    if len(set(declared)) != len(declared):
        raise ValueError(f"duplicate labels in {declared}")
    return declared


def classification_scores(gold: Sequence[str], pred: Sequence[str | None], labels: Iterable[str], *,
                          resamples: int = 1000, seed: int = 0) -> dict[str, Score]:
    """`accuracy` (exact label match) and `macro_f1` (unweighted mean of per-label F1 over `labels`)."""
    declared = _declared(labels)
    correct = correct_vector(gold, pred)
    counts = confusion_contributions(gold, pred, declared)
    return {
        "accuracy": bootstrap(correct, mean_of(len(correct)), resamples=resamples, seed=seed, proportion=True),
        "macro_f1": bootstrap(counts, macro_f1_from_sums, resamples=resamples, seed=seed),
    }
