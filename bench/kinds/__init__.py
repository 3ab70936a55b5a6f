"""Task kinds and their quality metrics, registered here and nowhere else.

A kind is one `TaskKind` entry below plus its rules module `bench.kinds.<name>` (how a target is read,
how predictions are scored, per item and with intervals, how paired and rescored figures are rebuilt from
samples). A metric is one `Metric` entry plus its computation in the kind's scorer. Everything else
(task.yaml checks, report names, gates, compare) reads these tables. This module imports nothing heavy:
the parent process checks task.yaml with it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

if TYPE_CHECKING:
    from bench.metrics.bootstrap import FloatArray, Score

Sample = Mapping[str, Any]  # one line of samples.jsonl
Contributions = Callable[[Sequence[Sample]], "tuple[FloatArray, Callable[[FloatArray], FloatArray]]"]


class KindRules(Protocol):
    """What a kind's rules module provides (see bench/kinds/classification.py for one)."""

    def target(self, value: Any, labels: Mapping[str, str] | None, fields: Sequence[str]) -> Any: ...

    def scores(self, gold: Sequence[Any], pred: Sequence[Any], *, labels: Sequence[str] | None, fields: Any,
               resamples: int, seed: int, also: Sequence[Sequence[str]] | None, sources: Sequence[str] | None,
               budget: int | None) -> dict[str, Score]: ...

    def per_item(self, gold: Sequence[Any], pred: Sequence[Any], *, fields: Any,
                 also: Sequence[Sequence[str]] | None, sources: Sequence[str] | None,
                 budget: int | None) -> list[dict[str, float]]: ...

    def contributions(self, metric: str, labels: Sequence[str]) -> Contributions: ...

    def rescore(self, samples: Sequence[Sample], labels: Sequence[str] | None, resamples: int,
                seed: int) -> dict[str, Score]: ...


@dataclass(frozen=True)
class TaskKind:
    name: str
    # What task.yaml must declare for this kind, and the message when it does not.
    declares: Literal["labels", "fields"] | None = None
    missing: str = ""
    # Answers are labels of `labels`: the `also` column applies, and collapse and unseen labels are checked.
    labelled: bool = False
    # Scoring compares each answer with its input text (facts a summary invents).
    reads_sources: bool = False

    def rules(self) -> KindRules:
        """The kind's rules module, imported on first use (scoring libraries are heavy)."""
        return cast(KindRules, importlib.import_module(f"bench.kinds.{self.name}"))

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(m.name for m in METRICS.values() if m.kind == self.name)


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str
    words: Mapping[str, str]  # language -> the metric's name in reports
    lower_is_better: bool = False  # an error rate: a rise is the regression, a limit caps it in the gate
    # A mean of one per-item column of samples.jsonl: rescoring rebuilds it from that column.
    column: str | None = None
    proportion: bool = False  # a mean of 0/1 values: Wilson's interval
    # How frugal evaluation may stop early on it (bench.decide.stopping): "mean" of its bounded per-item
    # column, "ratio" of per-item counts (micro F1), "upper" bound only (macro-F1), or None: never.
    sequential: Literal["mean", "ratio", "upper"] | None = None


KINDS: dict[str, TaskKind] = {kind.name: kind for kind in (
    TaskKind("classification", declares="labels", missing="a classification task needs 'labels' (label: description)",
             labelled=True),
    TaskKind("summarisation", reads_sources=True),
    TaskKind("extraction", declares="fields", missing="an extraction task needs 'fields'"),
)}

METRICS: dict[str, Metric] = {metric.name: metric for metric in (
    Metric("accuracy", "classification", {"fr": "exactitude", "en": "accuracy"}, column="correct", proportion=True,
           sequential="mean"),
    Metric("macro_f1", "classification", {"fr": "macro-F1", "en": "macro-F1"}, sequential="upper"),
    Metric("rouge_l", "summarisation", {"fr": "ROUGE-L", "en": "ROUGE-L"}, column="rouge_l", sequential="mean"),
    Metric("chrf", "summarisation", {"fr": "chrF", "en": "chrF"}, column="chrf", sequential="mean"),
    Metric("invented_rate", "summarisation", {"fr": "résumés avec un fait inventé",
                                              "en": "summaries with an invented fact"},
           lower_is_better=True, column="invented", proportion=True, sequential="mean"),
    Metric("over_budget_rate", "summarisation", {"fr": "résumés trop longs", "en": "summaries over budget"},
           lower_is_better=True, column="over_budget", proportion=True, sequential="mean"),
    Metric("field_precision", "extraction", {"fr": "précision par champ", "en": "field precision"}),
    Metric("field_recall", "extraction", {"fr": "rappel par champ", "en": "field recall"}),
    Metric("field_f1", "extraction", {"fr": "F1 par champ", "en": "field F1"}, sequential="ratio"),
    Metric("doc_exact", "extraction", {"fr": "documents exacts", "en": "exact documents"}, column="exact",
           proportion=True, sequential="mean"),
)}

LOWER_IS_BETTER = frozenset(m.name for m in METRICS.values() if m.lower_is_better)
METRICS_BY_KIND: dict[str, tuple[str, ...]] = {name: kind.metrics for name, kind in KINDS.items()}


def task_kind(name: str) -> TaskKind:
    """The registered kind called `name`; an unknown name is a ValueError listing the known ones."""
    if name not in KINDS:
        raise ValueError(f"unknown task kind {name!r} (expected one of {', '.join(KINDS)})")
    return KINDS[name]


def sample_rules(name: str) -> KindRules:
    """The rules that rebuild figures from samples.jsonl. A run that does not name its task's kind (the
    oldest runs) is read as per-item means, as it always was: those are the summarisation rules."""
    return KINDS.get(name, KINDS["summarisation"]).rules()
