"""Field-level micro precision / recall / F1 and whole-document exact match for extraction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from bench.metrics.bootstrap import FloatArray, Score, bootstrap, mean_of, safe_ratio
from bench.metrics.normalise import FIELD_TYPES, normalise_field

FieldValue = str | int | float | None


class FieldLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...


def field_specs(fields: Sequence[FieldLike | Mapping[str, str]] | None) -> list[tuple[str, str]]:
    """(name, type) pairs from FieldSpec objects or {"name", "type"} mappings (type defaults to text)."""
    if not fields:
        raise ValueError("extraction scoring needs the task's fields (name and type of each)")
    specs: list[tuple[str, str]] = []
    for field in fields:
        if isinstance(field, Mapping):
            name, kind = field["name"], field.get("type", "text")
        else:
            name, kind = field.name, field.type
        if kind not in FIELD_TYPES:
            raise ValueError(f"field {name!r}: unknown type {kind!r} (one of {', '.join(FIELD_TYPES)})")
        specs.append((name, kind))
    return specs


def item_counts(gold: Mapping[str, FieldValue], pred: Mapping[str, FieldValue] | None,
                specs: Sequence[tuple[str, str]]) -> dict[str, float]:
    """TP/FP/FN, fields right and exact-match flag of one document (see `extraction_scores`)."""
    pred = pred or {}
    tp = fp = fn = right = 0
    for name, kind in specs:
        g = normalise_field(gold.get(name), kind)
        p = normalise_field(pred.get(name), kind)
        if p == g:
            right += 1  # both null counts as right (for doc_exact) but not as a TP
            tp += g is not None
        else:
            fp += p is not None
            fn += g is not None
    return {"tp": float(tp), "fp": float(fp), "fn": float(fn), "fields_correct": float(right),
            "fields_total": float(len(specs)), "exact": float(right == len(specs))}


def per_item(gold: Sequence[Mapping[str, FieldValue]], pred: Sequence[Mapping[str, FieldValue] | None],
             fields: Sequence[FieldLike | Mapping[str, str]] | None) -> list[dict[str, float]]:
    if len(gold) != len(pred):
        raise ValueError(f"gold and pred differ in length ({len(gold)} != {len(pred)})")
    specs = field_specs(fields)
    return [item_counts(g, p, specs) for g, p in zip(gold, pred, strict=True)]


def _precision(sums: FloatArray) -> FloatArray:
    return safe_ratio(sums[:, 0], sums[:, 0] + sums[:, 1])


def _recall(sums: FloatArray) -> FloatArray:
    return safe_ratio(sums[:, 0], sums[:, 0] + sums[:, 2])


def _f1(sums: FloatArray) -> FloatArray:
    return safe_ratio(2 * sums[:, 0], 2 * sums[:, 0] + sums[:, 1] + sums[:, 2])


def extraction_scores(gold: Sequence[Mapping[str, FieldValue]],
                      pred: Sequence[Mapping[str, FieldValue] | None],
                      fields: Sequence[FieldLike | Mapping[str, str]], *,
                      resamples: int = 1000, seed: int = 0) -> dict[str, Score]:
    """`field_precision`, `field_recall`, `field_f1` (micro, over all documents and fields) and `doc_exact`.

    Both sides go through `normalise_field` first; a field missing from a prediction (or a None
    prediction, e.g. unparseable output) is null. For each (document, field):
      - gold non-null and pred equal            -> TP
      - pred non-null and not equal             -> FP, and also FN when gold is non-null
      - gold non-null and pred null             -> FN
      - both null                               -> nothing (but the field is right for doc_exact)
    P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN), each 0 when its denominator is 0.
    `doc_exact` is the share of documents whose every declared field is right, nulls included.
    Prediction keys that are not declared fields are ignored.
    """
    items = per_item(gold, pred, fields)
    counts: FloatArray = np.array([[i["tp"], i["fp"], i["fn"]] for i in items], dtype=np.float64)
    counts = counts.reshape(-1, 3)  # keeps two dimensions when there is no item
    exact: FloatArray = np.array([i["exact"] for i in items], dtype=np.float64)
    return {
        "field_precision": bootstrap(counts, _precision, resamples=resamples, seed=seed),
        "field_recall": bootstrap(counts, _recall, resamples=resamples, seed=seed),
        "field_f1": bootstrap(counts, _f1, resamples=resamples, seed=seed),
        "doc_exact": bootstrap(exact, mean_of(len(exact)), resamples=resamples, seed=seed, proportion=True),
    }
