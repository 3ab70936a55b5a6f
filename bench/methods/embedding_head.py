"""Sentence embeddings + a linear head learned from the train split, the labels' descriptions helping.

A town hall may have two labelled mails per service: a logistic regression on so few points overfits, so
the label descriptions of task.yaml join the training points (with a weight) and a nearest-centroid head
competes with the logistic one. Which head, which C and which description weight are chosen on dev only;
without a dev split, the logistic head with C = 10 and descriptions of weight 1 (a prior, recorded).
Either head is a matrix and a bias: one product per request.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from bench.methods import Method
from bench.methods.batching import Batching, embed_texts, encoder_batching
from bench.methods.centroid import embed_all
from bench.runtimes import Encoder
from bench.spec.tasks import Item

C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
DESCRIPTION_WEIGHTS = (0.0, 1.0, 3.0)
Matrix = np.ndarray[Any, np.dtype[np.float32]]


def _unit(matrix: np.ndarray[Any, Any]) -> Matrix:
    out: Matrix = (matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12)).astype(np.float32)
    return out


class EmbeddingHead(Method):
    kinds = frozenset({"classification"})

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        if not train:
            raise ValueError(f"task '{self.task.name}' has no train split: embedding_head must learn from one")
        encoder: Encoder = self.model
        x = _unit(embed_all(encoder, [item.text for item in train]))
        y = [str(item.target) for item in train]
        descriptions = {k: v for k, v in (self.task.spec.labels or {}).items() if v and k in set(y)}
        x_desc = _unit(embed_all(encoder, list(descriptions.values()))) if descriptions else None
        weights = DESCRIPTION_WEIGHTS if x_desc is not None else (0.0,)
        if dev:  # every choice on dev only
            x_dev = _unit(embed_all(encoder, [item.text for item in dev]))
            y_dev = [str(item.target) for item in dev]
            scores: dict[tuple[str, float, float], float] = {}
            for weight in weights:
                for c in C_GRID:
                    w, b, classes = self._logistic(x, y, x_desc, list(descriptions), weight, c)
                    scores[("logistic", c, weight)] = self._dev_f1(w, b, classes, x_dev, y_dev)
                w, b, classes = self._centroid(x, y, x_desc, list(descriptions), weight)
                scores[("centroid", 0.0, weight)] = self._dev_f1(w, b, classes, x_dev, y_dev)
            # Ties go to the simpler choice: centroid, lower C, lighter descriptions.
            head, c, weight = max(scores, key=lambda k: (scores[k], k[0] == "centroid", -k[1], -k[2]))
            dev_scores = {f"{h} C={cc:g} desc={ww:g}": round(v, 4) for (h, cc, ww), v in scores.items()}
        else:
            head, c, weight, dev_scores = "logistic", 10.0, 1.0 if x_desc is not None else 0.0, {}
        if head == "centroid":
            self._weights, self._bias, self._classes = self._centroid(x, y, x_desc, list(descriptions), weight)
        else:
            self._weights, self._bias, self._classes = self._logistic(x, y, x_desc, list(descriptions), weight, c)
        self.trained_params = int(self._weights.size + self._bias.size)
        return {"head": head, "C": c if head == "logistic" else None, "description_weight": weight,
                "tuned_on": "dev" if dev else "defaults (no dev split)", "dev_macro_f1": dev_scores,
                "embedding_dim": int(x.shape[1])}

    def _logistic(self, x: Matrix, y: list[str], x_desc: Matrix | None, desc_labels: list[str], weight: float,
                  c: float) -> tuple[Matrix, Matrix, list[str]]:
        points, targets, sample_weight = x, list(y), np.ones(len(y))
        if x_desc is not None and weight > 0:
            points = np.vstack([x, x_desc])
            targets += desc_labels
            sample_weight = np.concatenate([sample_weight, np.full(len(desc_labels), weight)])
        head = LogisticRegression(C=c, max_iter=3000, random_state=self.context.seed)
        head.fit(points, targets, sample_weight=sample_weight)
        coef, bias = head.coef_, head.intercept_
        if coef.shape[0] == 1:  # binary: scikit-learn keeps one row for the positive class
            coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
        return coef.astype(np.float32).T, bias.astype(np.float32), [str(k) for k in head.classes_]

    @staticmethod
    def _centroid(x: Matrix, y: list[str], x_desc: Matrix | None, desc_labels: list[str],
                  weight: float) -> tuple[Matrix, Matrix, list[str]]:
        classes = sorted(set(y))
        targets = np.array(y)
        rows = []
        for label in classes:
            total = x[targets == label].sum(axis=0)
            count = float((targets == label).sum())
            if x_desc is not None and weight > 0 and label in desc_labels:
                total = total + weight * x_desc[desc_labels.index(label)]
                count += weight
            rows.append(total / count)
        return _unit(np.vstack(rows)).T, np.zeros(len(classes), dtype=np.float32), classes

    @staticmethod
    def _dev_f1(w: Matrix, b: Matrix, classes: list[str], x_dev: Matrix, y_dev: list[str]) -> float:
        pred = [classes[i] for i in np.argmax(x_dev @ w + b, axis=1)]
        return float(f1_score(y_dev, pred, average="macro"))

    def predict(self, text: str) -> str:
        vector = _unit(self.model.embed([text]))[0]
        return self._classes[int(np.argmax(vector @ self._weights + self._bias))]

    def batching(self, size: int | None) -> Batching:
        return encoder_batching(self.model, size)

    def predict_batch(self, texts: list[str], plan: Batching) -> list[str]:
        scores = _unit(embed_texts(self.model, texts, plan)) @ self._weights + self._bias
        return [self._classes[int(i)] for i in np.argmax(scores, axis=1)]
