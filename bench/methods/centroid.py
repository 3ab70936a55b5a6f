"""Few-shot centroid routing: one mean embedding per label, the nearest centroid wins.

No weights are trained: the "model" is one vector per label, the mean of the (normalised) embeddings of
the train examples of that label (at most `shots` per label when the model options say so). The label's
description from task.yaml can be mixed in as one more example; its weight is chosen on dev.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from bench.methods import Method
from bench.methods.batching import Batching, embed_texts, encoder_batching
from bench.runtimes import Encoder
from bench.spec.options import CentroidOptions, read_options
from bench.spec.tasks import Item

BATCH = 32
DESCRIPTION_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
Matrix = np.ndarray[Any, np.dtype[np.float32]]


def embed_all(encoder: Encoder, texts: list[str], batch: int = BATCH) -> Matrix:
    if not texts:
        raise ValueError("nothing to embed")
    out: Matrix = np.vstack([encoder.embed(texts[i:i + batch]) for i in range(0, len(texts), batch)]).astype(np.float32)
    return out


def _normalise(matrix: np.ndarray[Any, Any]) -> Matrix:
    out: Matrix = (matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12)).astype(np.float32)
    return out


class Centroid(Method):
    kinds = frozenset({"classification"})

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        if not train:
            raise ValueError(f"task '{self.task.name}' has no train split: centroid needs examples")
        examples = self._pick(train, read_options(CentroidOptions, self.spec.options).shots)
        labels = sorted({str(item.target) for item in examples})
        vectors = _normalise(embed_all(self.model, [item.text for item in examples]))
        targets = np.array([str(item.target) for item in examples])
        sums = np.vstack([vectors[targets == label].sum(axis=0) for label in labels])
        counts = np.array([(targets == label).sum() for label in labels], dtype=np.float32)[:, None]
        descriptions = self.task.spec.labels or {}
        has_desc = all(descriptions.get(label) for label in labels)
        desc = _normalise(embed_all(self.model, [descriptions[label] for label in labels])) if has_desc else None

        def centroids(weight: float) -> Matrix:
            if desc is None or weight == 0:
                return _normalise(sums / counts)
            return _normalise((sums + weight * desc) / (counts + weight))

        weight = 0.0
        scores: dict[float, float] = {}
        if dev and desc is not None:  # the description's weight is chosen on dev only
            dev_vectors = embed_all(self.model, [item.text for item in dev])
            gold = [str(item.target) for item in dev]
            for w in DESCRIPTION_WEIGHTS:
                pred = [labels[i] for i in np.argmax(dev_vectors @ centroids(w).T, axis=1)]
                scores[w] = float(f1_score(gold, pred, average="macro"))
            weight = max(DESCRIPTION_WEIGHTS, key=lambda w: (scores[w], -w))
        self._centroids = centroids(weight)
        self._labels = labels
        return {"shots_per_label": int(counts.max()), "examples": len(examples), "description_weight": weight,
                "dev_macro_f1_by_weight": scores, "embedding_dim": int(vectors.shape[1])}

    def _pick(self, train: list[Item], shots: int | None) -> list[Item]:
        if shots is None:
            return train
        by_label: dict[str, list[Item]] = {}
        for item in train:
            by_label.setdefault(str(item.target), []).append(item)
        rng = random.Random(self.context.seed)
        return [item for label in sorted(by_label) for item in rng.sample(by_label[label],
                                                                           min(shots, len(by_label[label])))]

    def predict(self, text: str) -> str:
        vector = self.model.embed([text])[0]
        return self._labels[int(np.argmax(self._centroids @ vector))]

    def batching(self, size: int | None) -> Batching:
        return encoder_batching(self.model, size)

    def predict_batch(self, texts: list[str], plan: Batching) -> list[str]:
        scores = embed_texts(self.model, texts, plan) @ self._centroids.T
        return [self._labels[int(i)] for i in np.argmax(scores, axis=1)]
