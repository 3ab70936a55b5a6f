"""Correct a model's prior over labels, so that it cannot score well by naming one label for everything.

A small model given a list of services often prefers one of them whatever the mail says (its first
tokens are frequent, it closes the list, it answered the last example). Contextual calibration (Zhao et
al., 2021) measures that preference on inputs that carry no request and divides it out: with `p(l|x)` the
label probabilities renormalised over the labels and `prior(l)` their mean over reference inputs,

    score(l|x) = log p(l|x) - strength * log prior(l).

The reference inputs are either content-free texts ("N/A", an empty mail...) or real dev mails (batch
calibration, Zhou et al., 2024: the mean over real inputs is the model's actual answer distribution). A
`strength` of 1 divides the prior out entirely, 0 leaves the scores as they are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CONTENT_FREE = ("N/A", "", "Bonjour.")


def label_probabilities(logprobs: Mapping[str, float]) -> dict[str, float]:
    """Probabilities renormalised over the labels (the answers that are not labels left aside)."""
    top = max(logprobs.values())
    weights = {label: math.exp(value - top) for label, value in logprobs.items()}
    total = sum(weights.values())
    return {label: weight / total for label, weight in weights.items()}


@dataclass(frozen=True)
class Prior:
    probabilities: dict[str, float]  # label -> mean probability over the reference inputs
    inputs: int  # how many reference inputs it was measured on

    @classmethod
    def measure(cls, scored: Iterable[Mapping[str, float]]) -> Prior:
        """The mean label distribution over reference inputs, each given as label -> log-probability."""
        rows = [label_probabilities(row) for row in scored]
        if not rows:
            raise ValueError("a prior needs at least one reference input")
        labels = list(rows[0])
        return cls({label: sum(row[label] for row in rows) / len(rows) for label in labels}, len(rows))

    @classmethod
    def uniform(cls, labels: Iterable[str]) -> Prior:
        names = list(labels)
        return cls(dict.fromkeys(names, 1.0 / len(names)), 0)

    def calibrate(self, logprobs: Mapping[str, float], strength: float = 1.0) -> dict[str, float]:
        """Calibrated scores (log scale, comparable across labels of one input only)."""
        probabilities = label_probabilities(logprobs)
        floor = 1e-12  # a label the reference inputs never gave any mass to
        return {label: math.log(max(p, floor)) - strength * math.log(max(self.probabilities[label], floor))
                for label, p in probabilities.items()}

    def dominant(self) -> tuple[str, float]:
        """The label the model favours when nothing tells it which, and its mean probability."""
        label = max(self.probabilities, key=lambda name: self.probabilities[name])
        return label, self.probabilities[label]


def best(scores: Mapping[str, float]) -> str:
    """The highest-scoring label; ties go to the first in sorted order, so the choice is reproducible."""
    return min(scores, key=lambda label: (-scores[label], label))
