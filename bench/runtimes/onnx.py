"""onnxruntime on the CPU, with a settable thread count.

`load` returns an encoder for transformer exports (token ids in, hidden states out, pooled here) when
the model lists a `tokenizer.json`; otherwise the bare session, for methods that feed it themselves.
Encoder options: `max_length` (256), `prefix` (""), `max_batch` (1). A model without a file list (a derived
variant, an unpinned hub snapshot) is read from its folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from bench.spec.config import ModelSpec
from bench.spec.options import EncoderOptions, read_options


def session(path: Path | bytes, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    model = str(path) if isinstance(path, Path) else path
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Sentence embeddings from a transformer ONNX export: tokenise, run, mean-pool, L2-normalise."""

    def __init__(self, model: ort.InferenceSession, tokenizer_path: Path, max_length: int, prefix: str,
                 max_batch: int = 1) -> None:
        from tokenizers import Tokenizer

        self.session = model
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding()
        self.inputs = {i.name for i in model.get_inputs()}
        self.prefix = prefix
        self.max_batch = max(1, max_batch)

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        # Bounded batches: a caller embedding a whole train split must not set the peak memory of the cell.
        # One text at a time by default: on a CPU, padding a batch to its longest text costs more than it saves
        # (measured on classify_mail with MiniLM int8: batch 1 took 31 s and 283 MB, batch 32 49 s and 947 MB).
        if len(texts) > self.max_batch:
            return np.vstack([self.embed(texts[i:i + self.max_batch]) for i in range(0, len(texts), self.max_batch)])
        return self.embed_batch(texts)

    def embed_batch(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """One forward over all `texts`, padded to the longest (the offline scenario's batches)."""
        encodings = self.tokenizer.encode_batch([self.prefix + t for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: np.ndarray[Any, np.dtype[np.float32]] = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return out


def model_files(spec: ModelSpec, root: Path) -> list[str]:
    """The files a model declares (its own and its assets); a derived or unpinned model lists its folder."""
    declared = [*spec.files, *spec.assets]
    return declared or sorted(p.name for p in root.iterdir() if p.is_file())


def load(spec: ModelSpec, root: Path | None, threads: int) -> Any:
    if root is None:
        raise ValueError(f"model '{spec.id}': an onnxruntime model needs files on disk")
    names = model_files(spec, root)
    onnx_files = [name for name in names if name.endswith(".onnx")]
    if not onnx_files:
        raise ValueError(f"model '{spec.id}': no .onnx file listed in 'files'")
    model = session(root / onnx_files[0], threads)
    tokenizers = [name for name in names if name.endswith("tokenizer.json")]
    if not tokenizers:
        return model
    options = read_options(EncoderOptions, spec.options)
    return OnnxEncoder(model, root / tokenizers[0], options.max_length, options.prefix, options.max_batch)
