"""Sentence embeddings + a logistic-regression head trained on the train split."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from bench.methods import Method
from bench.runtimes import Encoder
from bench.tasks import Item

C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
BATCH = 32


class EmbeddingHead(Method):
    kinds = frozenset({"classification"})

    def _embed_all(self, items: list[Item]) -> np.ndarray[Any, np.dtype[np.float32]]:
        encoder: Encoder = self.model
        texts = [item.text for item in items]
        return np.vstack([encoder.embed(texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)])

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        if not train:
            raise ValueError(f"task '{self.task.name}' has no train split: embedding_head must learn from one")
        x = self._embed_all(train)
        y = [str(item.target) for item in train]
        best_c = 10.0
        if dev:  # choose C on dev only
            x_dev = self._embed_all(dev)
            y_dev = [str(item.target) for item in dev]
            scores = {c: f1_score(y_dev, self._head(c).fit(x, y).predict(x_dev), average="macro") for c in C_GRID}
            best_c = max(C_GRID, key=lambda c: (scores[c], -c))
        head = self._head(best_c).fit(x, y)
        # Keep the head as plain arrays: one matrix product per request, no scikit-learn call overhead.
        coef, bias = head.coef_, head.intercept_
        if coef.shape[0] == 1:  # binary: scikit-learn keeps one row for the positive class
            coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
        self._weights = coef.astype(np.float32).T
        self._bias = bias.astype(np.float32)
        self._classes = [str(c) for c in head.classes_]
        self.trained_params = int(head.coef_.size + head.intercept_.size)
        return {"C": best_c, "embedding_dim": int(x.shape[1])}

    def _head(self, c: float) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=3000, random_state=self.context.seed)

    def predict(self, text: str) -> str:
        vector = self.model.embed([text])[0]
        return self._classes[int(np.argmax(vector @ self._weights + self._bias))]
