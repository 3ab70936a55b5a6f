"""Extractive summary by embedding centrality, with any sentence encoder.

Each sentence is scored by its cosine to the document's mean sentence embedding (the sentence that best
stands for the whole), plus a lead bonus for early sentences; the best ones are kept, in document order,
within a word budget. The lead weight and the budget are chosen on dev (train when there is no dev).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.methods import Method
from bench.methods.batching import Batching, embed_texts, encoder_batching
from bench.methods.centroid import embed_all
from bench.methods.lead_k import gate_metric, mean_score, split_sentences, tuning_items
from bench.spec.tasks import Item

LEAD_WEIGHTS = (0.0, 0.05, 0.15, 0.3)
BUDGET_FACTORS = (0.6, 0.8, 1.0, 1.25, 1.6)  # times the median reference length, in words
DEFAULT_BUDGET = 60
MIN_WORDS = 4
Matrix = np.ndarray[Any, np.dtype[np.float32]]


def select(sentences: list[str], vectors: Matrix, lead_weight: float, budget: int) -> str:
    """The summary: best-scored sentences that fit in `budget` words (at least one), in document order."""
    if not sentences:
        return ""
    centre = vectors.mean(axis=0)
    centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
    positions = np.arange(len(sentences), dtype=np.float32)
    scores = vectors @ centre + lead_weight / (1.0 + positions)
    chosen: list[int] = []
    used = 0
    # Headings and list stubs ("Pièces :") stand for nothing on their own: skip them when there is better.
    short = np.array([len(s.split()) < MIN_WORDS for s in sentences])
    if not short.all():
        scores = np.where(short, -np.inf, scores)
    for index in np.argsort(-scores, kind="stable"):
        if not np.isfinite(scores[index]):
            break
        words = len(sentences[index].split())
        if chosen and used + words > budget:
            continue
        chosen.append(int(index))
        used += words
        if used >= budget:
            break
    return " ".join(sentences[i] for i in sorted(chosen))


class Extractive(Method):
    kinds = frozenset({"summarisation"})
    lead_weight = 0.05
    budget = DEFAULT_BUDGET

    def _embed(self, sentences: list[str]) -> Matrix:
        return embed_all(self.model, sentences) if sentences else np.zeros((0, 1), dtype=np.float32)

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        lengths = [len(str(item.target).split()) for item in train or dev]
        median = float(np.median(lengths)) if lengths else DEFAULT_BUDGET
        budgets = sorted({max(5, round(median * f)) for f in BUDGET_FACTORS})
        self.budget = max(5, round(median))
        items = tuning_items(train, dev, self.context.seed)
        if not items:
            return {"budget_words": self.budget, "lead_weight": self.lead_weight}
        metric = gate_metric(self)
        references = [str(item.target) for item in items]
        docs = [split_sentences(item.text) for item in items]
        vectors = [self._embed(sentences) for sentences in docs]  # once per document, reused by the grid
        scores: dict[str, float] = {}
        best: tuple[float, float, int] = (-1.0, self.lead_weight, self.budget)
        for weight in LEAD_WEIGHTS:
            for budget in budgets:
                hyps = [select(s, v, weight, budget) for s, v in zip(docs, vectors, strict=True)]
                score = mean_score(metric, references, hyps)
                scores[f"lead={weight},words={budget}"] = score
                if score > best[0]:
                    best = (score, weight, budget)
        _, self.lead_weight, self.budget = best
        return {"budget_words": self.budget, "lead_weight": self.lead_weight, "tuned_on": "dev" if dev else "train",
                "tuning_items": len(items), f"{metric}_grid": scores}

    def predict(self, text: str) -> str:
        sentences = split_sentences(text)
        return select(sentences, self._embed(sentences), self.lead_weight, self.budget)

    def batching(self, size: int | None) -> Batching:
        return encoder_batching(self.model, size)

    def predict_batch(self, texts: list[str], plan: Batching) -> list[str]:
        """Every sentence of every document in one stream of sorted batches, then each summary as `predict`."""
        if plan.mode != "batched":  # serve documents one after another, each in one forward as `predict` does
            return [self.predict(text) for text in texts]
        docs = [split_sentences(text) for text in texts]
        flat = [sentence for sentences in docs for sentence in sentences]
        vectors = embed_texts(self.model, flat, plan) if flat else np.zeros((0, 1), dtype=np.float32)
        out, start = [], 0
        for sentences in docs:
            out.append(select(sentences, vectors[start:start + len(sentences)], self.lead_weight, self.budget))
            start += len(sentences)
        return out
