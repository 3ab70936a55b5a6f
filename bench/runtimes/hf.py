"""transformers + PyTorch on the CPU: a sentence encoder from a local model folder or a hub id.

The folder comes from `bench.weights` (a package's files, a local path, or the hub cache snapshot of a hub
id); nothing is downloaded here (`local_files_only`), and code shipped with a model is never run
(`trust_remote_code=False`). Options: `max_length` (256), `prefix` (""), `pooling` (mean | cls), `max_batch` (1).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np

from bench.spec.config import ModelSpec
from bench.spec.options import TransformersOptions, read_options


def cap_threads(threads: int) -> None:
    """PyTorch's intra-op pool follows the target-hardware cap; one inter-op thread for batch-1 requests."""
    import torch

    torch.set_num_threads(max(1, threads))
    with contextlib.suppress(RuntimeError):  # only settable once per process, before any parallel work
        torch.set_num_interop_threads(1)


class HfEncoder:
    """Tokenise, run the encoder, pool the last hidden state, L2-normalise."""

    def __init__(self, folder: Path, threads: int, max_length: int = 256, prefix: str = "",
                 pooling: str = "mean", max_batch: int = 1) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', not {pooling!r}")
        cap_threads(threads)
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
        self.model = AutoModel.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
        self.model.eval()
        self.max_length = max_length
        self.prefix = prefix
        self.pooling = pooling
        self.max_batch = max(1, max_batch)

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        # Bounded batches: a caller embedding a whole train split must not set the peak memory of the cell;
        # one text at a time by default (option `max_batch`), as padding costs more than batching saves on a CPU.
        if len(texts) > self.max_batch:
            return np.vstack([self.embed(texts[i:i + self.max_batch]) for i in range(0, len(texts), self.max_batch)])
        return self.embed_batch(texts)

    def embed_batch(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """One batched forward over all `texts`, padded to the longest (the offline scenario's batches)."""
        torch = self._torch
        batch = self.tokenizer([self.prefix + t for t in texts], padding=True, truncation=True,
                               max_length=self.max_length, return_tensors="pt")
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            if self.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return np.ascontiguousarray(pooled.float().numpy(), dtype=np.float32)


def load(spec: ModelSpec, root: Path | None, threads: int) -> HfEncoder:
    if root is None:
        raise ValueError(f"model '{spec.id}': a transformers model needs a folder (package, path or hub id)")
    if not (root / "config.json").is_file():
        raise ValueError(f"model '{spec.id}': {root} has no config.json (is it a transformers model folder?)")
    options = read_options(TransformersOptions, spec.options)
    return HfEncoder(root, threads, options.max_length, options.prefix, options.pooling, options.max_batch)
