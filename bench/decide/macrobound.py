"""An anytime-valid upper bound on macro-F1, so that a classifier clearly below its gate can stop early.

Macro-F1 is a mean of per-label ratios, not a mean of per-item scores, so it has no confidence sequence of
the kind bench.decide.sequential builds. It has an upper bound that is one:
- each label's F1 = 2PR / (P + R) <= 2R / (1 + R) = f(R), since its precision P <= 1;
- f is concave and increasing, so the mean over labels of f(R_c) <= f(mean of R_c) (Jensen), and a label
  with no gold item has F1 = 0 (it only lowers macro-F1);
- the mean recall over labels is a weighted mean of per-item hits, with weights known before any
  prediction: a hit on label c weighs N / (m * n_c) (N items, m labels in play, n_c items of c).
So an upper confidence sequence on that weighted mean gives an upper bound on macro-F1 valid at every look.
It only ever proves "clearly below": a lower bound would need the precisions too.

Multi-gold items (an accepted `also` label counts as that label) move between labels depending on the
prediction. The bound stays valid by counting them on the safe side: label c's recall is at most
(items answered c where c is accepted) / (items whose main gold is c and that accept no other label), so a
hit weighs by the label answered, and a label whose items all accept another one counts as a perfect recall
(`offset`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bench.decide.sequential import Interval, mean_cs

METHOD = "betting-cs-macro-recall"  # the interval method named in records for a set stopped by this bound
COLUMN = "macro_value"  # each item's value under the bound, beside its per-item scores when deciding


@dataclass(frozen=True)
class MacroF1Bound:
    weights: dict[str, float]  # label -> the weight of a hit answered with it, scaled into [0, 1]
    scale: float  # largest weight before scaling: mean recall <= scale * mean(item values) + offset
    offset: float  # the share of labels whose items all accept another label, counted as perfect

    def item_value(self, gold: str, prediction: str | None, also: Sequence[str] = ()) -> float:
        """The item's value in [0, 1]: the answered label's weight when the answer is accepted."""
        if prediction is None or (prediction != gold and prediction not in also):
            return 0.0
        return self.weights.get(prediction, 0.0)

    def with_values(self, rows: Sequence[Mapping[str, float]], gold: Sequence[str],
                    predictions: Sequence[str | None], also: Sequence[Sequence[str]]) -> list[dict[str, float]]:
        """`rows` (per-item scores, in scoring order) with each item's value under the bound added."""
        return [{**row, COLUMN: self.item_value(g, p, a)}
                for row, g, p, a in zip(rows, gold, predictions, also, strict=True)]

    def f1_high(self, mean_high: float) -> float:
        """The macro-F1 bound implied by an upper bound on the mean item value."""
        recall = min(1.0, self.scale * mean_high + self.offset)
        return 2 * recall / (1 + recall)

    def mark(self, gate: float) -> float:
        """The mean item value at which the bound equals `gate` (kept on the sequence's grid)."""
        recall = gate / (2 - gate)
        return float(np.clip((recall - self.offset) / self.scale, 0.0, 1.0))

    def sequence(self, values: Sequence[float], alpha: float, gate: float) -> Interval:
        """[0, upper bound on macro-F1] after the items so far (the lower side is not tested)."""
        cs = mean_cs(np.asarray(values, dtype=np.float64), alpha, (self.mark(gate),))
        return Interval(0.0, self.f1_high(cs.high), cs.n)


def macro_f1_bound(gold: Sequence[str], also: Sequence[Sequence[str]] | None = None,
                   labels: Iterable[str] | None = None) -> MacroF1Bound | None:
    """The bound for a test set with these main gold labels (and accepted other labels), in full.

    `labels`: the task's declared labels; a label outside them is not scored by macro-F1. None when no label
    has an item that accepts it alone (nothing could be bounded).
    """
    others = list(also) if also is not None else [()] * len(gold)
    if len(others) != len(gold):
        raise ValueError(f"gold and its accepted labels differ in length ({len(gold)} != {len(others)})")
    declared = set(labels) if labels is not None else None
    in_play = set(gold) | {label for extra in others for label in extra}
    if declared is not None:
        in_play &= declared
    if not in_play:
        return None
    main = Counter(gold)
    main_with_others = Counter(g for g, extra in zip(gold, others, strict=True) if extra)
    m, n = len(in_play), len(gold)
    raw: dict[str, float] = {}
    offset = 0.0
    for label in in_play:
        alone = main[label] - main_with_others[label]
        if alone > 0:
            raw[label] = n / (m * alone)
        else:  # every item of this label might be counted elsewhere: assume a perfect recall
            offset += 1.0 / m
    if not raw:
        return None
    scale = max(raw.values())
    return MacroF1Bound({label: w / scale for label, w in raw.items()}, scale, offset)
