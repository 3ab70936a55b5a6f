"""Extraction: named fields per document, scored field by field (micro P/R/F1) and document by document."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bench.kinds import Contributions, Sample

if TYPE_CHECKING:
    from bench.metrics.bootstrap import FloatArray, Score

COUNTS = ("tp", "fp", "fn")  # per-item columns of samples.jsonl the field metrics are ratios of


def target(value: Any, labels: Mapping[str, str] | None, fields: Sequence[str]) -> dict[str, str | None]:
    if isinstance(value, str):  # CSV cells hold the fields as a JSON object
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError("fields must be a JSON object") from exc
    if not isinstance(value, dict):
        raise ValueError("fields must be an object of name -> value|null")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ValueError(f"undeclared fields {unknown}")
    return {name: (None if value.get(name) is None else str(value[name])) for name in sorted(fields)}


def scores(gold: Sequence[Any], pred: Sequence[Any], *, labels: Sequence[str] | None, fields: Any, resamples: int,
           seed: int, also: Sequence[Sequence[str]] | None, sources: Sequence[str] | None,
           budget: int | None) -> dict[str, Score]:
    from bench.metrics.extraction import extraction_scores

    if fields is None:
        raise ValueError("extraction scoring needs the task's fields (name and type of each)")
    return extraction_scores(gold, pred, fields, resamples=resamples, seed=seed)


def per_item(gold: Sequence[Any], pred: Sequence[Any], *, fields: Any, also: Sequence[Sequence[str]] | None,
             sources: Sequence[str] | None, budget: int | None) -> list[dict[str, float]]:
    from bench.metrics import extraction

    return extraction.per_item(gold, pred, fields)


def _counts(samples: Sequence[Sample]) -> FloatArray:
    import numpy as np

    counts = np.array([[s["scores"].get(k, 0.0) for k in COUNTS] for s in samples], dtype=np.float64)
    return counts.reshape(-1, 3)


def _exact(samples: Sequence[Sample]) -> FloatArray:
    import numpy as np

    return np.array([float(s["scores"].get("exact", 0.0)) for s in samples])


def _ratios() -> dict[str, Callable[[FloatArray], FloatArray]]:
    from bench.metrics.extraction import _f1, _precision, _recall

    return {"field_precision": _precision, "field_recall": _recall, "field_f1": _f1}


def contributions(metric: str, labels: Sequence[str]) -> Contributions:
    from bench.metrics.bootstrap import mean_of

    def build(samples: Sequence[Sample]) -> tuple[FloatArray, Callable[[FloatArray], FloatArray]]:
        if metric == "doc_exact":
            return _exact(samples)[:, None], mean_of(len(samples))
        return _counts(samples), _ratios()[metric]
    return build


def rescore(samples: Sequence[Sample], labels: Sequence[str] | None, resamples: int, seed: int) -> dict[str, Score]:
    from bench.metrics.bootstrap import bootstrap, mean_of

    counts, exact = _counts(samples), _exact(samples)
    out = {name: bootstrap(counts, ratio, resamples=resamples, seed=seed) for name, ratio in _ratios().items()}
    out["doc_exact"] = bootstrap(exact, mean_of(len(exact)), resamples=resamples, seed=seed, proportion=True)
    return out
