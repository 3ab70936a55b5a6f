"""Methods join a model to a task: how an encoder, a generator or a trained pipeline serves it.

A method is built with the loaded model (or None for models it trains), fits what it needs on the
train/dev splits (never on test), then answers one request at a time through `predict`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from bench.config import ModelSpec
from bench.tasks import Item, Target, Task

METHODS: dict[str, str] = {
    "tfidf_logreg": "bench.methods.tfidf_logreg:TfidfLogReg",
    "embedding_head": "bench.methods.embedding_head:EmbeddingHead",
    "centroid": "bench.methods.centroid:Centroid",
    "regex_extract": "bench.methods.regex_extract:RegexExtract",
    "ner_regex": "bench.methods.ner_regex:NerRegex",
    "lead_k": "bench.methods.lead_k:LeadK",
    "extractive": "bench.methods.extractive:Extractive",
    "llm_route": "bench.methods.llm_route:LlmRoute",
    "llm_extract": "bench.methods.llm_extract:LlmExtract",
    "llm_summarise": "bench.methods.llm_summarise:LlmSummarise",
}

CLASSIFICATION, SUMMARISATION, EXTRACTION = (frozenset({k}) for k in ("classification", "summarisation", "extraction"))
# The task kinds each method serves, known without importing it (the runner checks models.yaml with it
# before any cell starts); tests keep it equal to every class's own `kinds`.
METHOD_KINDS: dict[str, frozenset[str]] = {
    "tfidf_logreg": CLASSIFICATION, "embedding_head": CLASSIFICATION, "centroid": CLASSIFICATION,
    "llm_route": CLASSIFICATION, "regex_extract": EXTRACTION, "ner_regex": EXTRACTION, "llm_extract": EXTRACTION,
    "lead_k": SUMMARISATION, "extractive": SUMMARISATION, "llm_summarise": SUMMARISATION,
}


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


def get_method(name: str) -> type[Method]:
    if name not in METHODS:
        raise KeyError(f"unknown method '{name}' (known: {sorted(METHODS)})")
    module_name, class_name = METHODS[name].split(":")
    method: type[Method] = getattr(importlib.import_module(module_name), class_name)
    return method
