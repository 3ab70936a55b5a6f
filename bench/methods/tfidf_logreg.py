"""The "do we need a neural network at all?" rung: TF-IDF + logistic regression, trained here, run in ONNX."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline

from bench.hashing import sha256_file
from bench.methods import Method
from bench.methods.batching import DEFAULT_BATCH, Batching, chunks
from bench.runtimes.onnx import session
from bench.spec.tasks import Item
from bench.text import fold

C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)


def _pipeline(c: float, seed: int) -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(lowercase=False, ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
        ("logreg", LogisticRegression(C=c, max_iter=2000, random_state=seed)),
    ])


class TfidfLogReg(Method):
    kinds = frozenset({"classification"})

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        if not train:
            raise ValueError(f"task '{self.task.name}' has no train split: tfidf_logreg must learn from one")
        texts = [fold(item.text) for item in train]
        labels = [str(item.target) for item in train]
        best_c = 10.0
        if dev:  # choose C on dev only; the test split is never looked at
            dev_texts = [fold(item.text) for item in dev]
            dev_labels = [str(item.target) for item in dev]
            scores = {c: f1_score(dev_labels, _pipeline(c, self.context.seed).fit(texts, labels).predict(dev_texts),
                                  average="macro") for c in C_GRID}
            best_c = max(C_GRID, key=lambda c: (scores[c], -c))
        pipeline = _pipeline(best_c, self.context.seed).fit(texts, labels)
        self.trained_params = int(pipeline["logreg"].coef_.size + pipeline["logreg"].intercept_.size)
        path = self.context.artifacts / "tfidf_logreg.onnx"
        path.write_bytes(_to_onnx(pipeline))
        self.artifacts[path.name] = sha256_file(path)
        self._session = session(path, self.context.threads)
        return {"C": best_c, "vocabulary": len(pipeline["tfidf"].vocabulary_)}

    def predict(self, text: str) -> str:
        label = self._session.run(["label"], {"text": np.array([[fold(text)]])})[0]
        return str(label[0])

    def batching(self, size: int | None) -> Batching:
        size = size or DEFAULT_BATCH["sklearn"]
        return Batching("batched", size, f"the exported scikit-learn pipeline runs on a matrix of {size} texts")

    def predict_batch(self, texts: list[str], plan: Batching) -> list[str]:
        if plan.mode != "batched":
            return [self.predict(text) for text in texts]
        labels: list[str] = []
        for chunk in chunks(texts, plan.size):
            out = self._session.run(["label"], {"text": np.array([[fold(text)] for text in chunk])})[0]
            labels.extend(str(label) for label in out)
        return labels


def _to_onnx(pipeline: Pipeline) -> bytes:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import StringTensorType

    model = to_onnx(pipeline, initial_types=[("text", StringTensorType([None, 1]))],
                    options={id(pipeline["logreg"]): {"zipmap": False}}, target_opset=17)
    return bytes(model.SerializeToString())
