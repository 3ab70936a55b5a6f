"""Lead-k: the first k sentences of the document, k chosen on dev. The floor every summariser must beat.

Also holds what the extractive summariser shares with it: a French sentence splitter and the dev score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.methods import Method
from bench.metrics.summary import per_item
from bench.spec.tasks import Item

K_GRID = (1, 2, 3, 4, 5, 6)
TUNE_ITEMS = 80  # enough dev documents to choose a length; keeps fitting fast

# Abbreviations after which a full stop does not end a French sentence.
_ABBREVIATIONS = ("M", "MM", "Mme", "Mmes", "Mlle", "Dr", "Pr", "Me", "St", "Ste", "art", "Art", "cf", "etc",
                  "n", "no", "N", "p", "av", "bd", "vol", "chap", "éd", "env", "max", "min", "tél", "Tél")
_ABBREV = re.compile(r"(?:^|[\s(])(?:" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")\.$")
# A sentence ends at . ! ? … before a capital, or at a line break (headings and list items are units too).
_BOUNDARY = re.compile(r"(?<=[.!?…])[»\"”)]*[ \t]+(?=[«\"“(]?[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ0-9•\-–])|[ \t]*\n\s*")


def split_sentences(text: str) -> list[str]:
    """Sentences, headings and list items, in order; no empty strings. "M. Dupont", "art. 3" do not split."""
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        head = text[start:match.start()].rstrip()
        if "\n" not in match.group() and (_ABBREV.search(head) or re.search(r"(?:^|\s)[A-Z]\.$", head)):
            continue  # "M. Dupont", "J. Martin"
        pieces.append(text[start:match.start()])
        start = match.end()
    pieces.append(text[start:])
    return [" ".join(p.split()) for p in pieces if p.strip()]


def gate_metric(method: Method) -> str:
    """Tune for the metric the task is judged on (rouge_l or chrf)."""
    metric = method.task.spec.good_enough.metric
    return metric if metric in ("rouge_l", "chrf") else "rouge_l"


def tuning_items(train: list[Item], dev: list[Item], seed: int) -> list[Item]:
    """Dev documents (train when there is no dev), at most TUNE_ITEMS of them, drawn with a fixed seed."""
    pool = dev or train
    if len(pool) <= TUNE_ITEMS:
        return pool
    chosen = np.random.default_rng(seed).choice(len(pool), TUNE_ITEMS, replace=False)
    return [pool[i] for i in sorted(chosen)]


def mean_score(metric: str, references: Sequence[str], hypotheses: Sequence[str]) -> float:
    return float(np.mean([row[metric] for row in per_item(references, hypotheses)]))


class LeadK(Method):
    kinds = frozenset({"summarisation"})
    k = 3

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        items = tuning_items(train, dev, self.context.seed)
        if not items:
            return {"k": self.k}
        metric = gate_metric(self)
        references = [str(item.target) for item in items]
        sentences = [split_sentences(item.text) for item in items]
        scores = {k: mean_score(metric, references, [" ".join(s[:k]) for s in sentences]) for k in K_GRID}
        self.k = max(K_GRID, key=lambda k: (scores[k], -k))
        return {"k": self.k, "tuned_on": "dev" if dev else "train", "tuning_items": len(items),
                f"{metric}_by_k": scores}

    def predict(self, text: str) -> str:
        return " ".join(split_sentences(text)[:self.k])
