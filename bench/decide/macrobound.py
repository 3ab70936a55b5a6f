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

A label with very few items would dominate the scale (its hits weigh N / (m * n_c)) and make the sequence
useless: a test set with one single-item label never gets below 1.0. Such labels are counted as a perfect
recall instead (they add 1/m to the bound and their hits weigh nothing). Which labels, is chosen from the
gold counts, the set's size and the level only, before any prediction (so the sequence stays valid): the
choice that gives the lowest bound when every item is missed.

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
                   labels: Iterable[str] | None = None, *, alpha: float) -> MacroF1Bound | None:
    """The bound for a test set with these main gold labels (and accepted other labels), in full.

    `labels`: the task's declared labels; a label outside them is not scored by macro-F1. `alpha`: the
    sequence's error level, which the choice of labels counted as perfect depends on. None when no label
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
    # Items of each label that accept it alone; a label with none might be counted elsewhere in full.
    alone = {label: main[label] - main_with_others[label] for label in in_play}
    counts = sorted({c for c in alone.values() if c > 0})
    if not counts:
        return None
    missed_all = mean_cs(np.zeros(n), alpha).high  # the sequence's upper bound when no item is a hit
    candidates = [_bound_keeping(alone, least, n, m) for least in counts]
    return min(candidates, key=lambda bound: bound.f1_high(missed_all))


def _bound_keeping(alone: Mapping[str, int], least: int, n: int, m: int) -> MacroF1Bound:
    """The bound that weighs labels with at least `least` items of their own and counts the others as perfect."""
    raw = {label: n / (m * count) for label, count in alone.items() if count >= least}
    scale = max(raw.values())
    offset = (m - len(raw)) / m
    return MacroF1Bound({label: w / scale for label, w in raw.items()}, scale, offset)
