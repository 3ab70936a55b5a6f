"""The macro-F1 upper bound: never below the true macro-F1, valid under repeated looks, and it does stop."""

from __future__ import annotations

import numpy as np
import pytest

from bench.decide.macrobound import METHOD, MacroF1Bound, macro_f1_bound
from bench.decide.stopping import MACRO_COLUMN, Condition, decide
from bench.metrics import scores_for

ALPHA = 0.05


def _exact_bound(gold: list[str], pred: list[str | None], also: list[list[str]], labels: list[str]) -> float:
    bound = macro_f1_bound(gold, also, labels, alpha=ALPHA)
    assert bound is not None
    mean = float(np.mean([bound.item_value(g, p, a) for g, p, a in zip(gold, pred, also, strict=True)]))
    return bound.f1_high(mean)


def test_the_bound_is_never_below_the_macro_f1_it_bounds() -> None:
    """Random sets with multi-gold items, unbalanced labels and unknown answers: bound >= exact macro-F1."""
    rng = np.random.default_rng(3)
    labels = [f"l{k}" for k in range(6)]
    for _ in range(400):
        n = int(rng.integers(6, 60))
        weights = rng.dirichlet(np.ones(len(labels)))
        gold = [str(x) for x in rng.choice(labels, size=n, p=weights)]
        also = [[str(x) for x in rng.choice([lab for lab in labels if lab != g], size=int(rng.random() < 0.2))]
                for g in gold]
        skill = rng.random()
        pred: list[str | None] = [g if rng.random() < skill else (None if rng.random() < 0.1 else
                                  str(rng.choice(labels))) for g in gold]
        exact = scores_for("classification", gold, pred, labels=labels, also=also, resamples=10)["macro_f1"].value
        bound = _exact_bound(gold, pred, also, labels)
        assert bound >= exact - 1e-12, (exact, bound)


def test_a_perfect_precision_classifier_meets_the_bound_exactly() -> None:
    """Precision 1 and equal recalls: macro-F1 = 2R / (1 + R), the bound's own value (it is tight)."""
    gold = [f"l{k // 10}" for k in range(40)]
    pred: list[str | None] = [g if i % 10 < 7 else None for i, g in enumerate(gold)]
    exact = scores_for("classification", gold, pred, labels=["l0", "l1", "l2", "l3"], resamples=10)["macro_f1"].value
    assert _exact_bound(gold, pred, [[]] * 40, ["l0", "l1", "l2", "l3"]) == pytest.approx(exact)


def _false_failure_rate(bound: MacroF1Bound, gold: list[str], pred: list[str | None], gate: float,
                        rng: np.random.Generator, replications: int = 300) -> float:
    """Share of random scoring orders, looked at every 20 items, in which the bound fails a set at its gate."""
    values = np.array([bound.item_value(g, p) for g, p in zip(gold, pred, strict=True)])
    failures = 0
    for _ in range(replications):
        order = values[rng.permutation(len(values))]
        for look in range(20, len(order) + 1, 20):
            rows = [{"correct": 0.0, MACRO_COLUMN: float(v)} for v in order[:look]]
            if decide([Condition("macro_f1", gate)], rows, ALPHA, macro=bound).state == "fail":
                failures += 1
                break
    return failures / replications


def test_stopping_on_the_bound_errs_no_more_often_than_the_level() -> None:
    """Macro-F1 exactly at the gate on a fixed test set, items drawn in a new random order each time and
    looked at every 20: a "fail" is an error. It stays under the nominal 5 %."""
    rng = np.random.default_rng(20261130)
    labels = [f"l{k}" for k in range(10)]
    gold = [lab for lab in labels for _ in range(20)]
    # 14 of each label's 20 items right, the others unanswered: precision 1, recall 0.7, macro-F1 = 1.4 / 1.7.
    pred: list[str | None] = [g if k % 20 < 14 else None for k, g in enumerate(gold)]
    gate = 1.4 / 1.7
    exact = scores_for("classification", gold, pred, labels=labels, resamples=10)["macro_f1"].value
    assert exact == pytest.approx(gate)
    bound = macro_f1_bound(gold, None, labels, alpha=ALPHA)
    assert bound is not None
    assert _false_failure_rate(bound, gold, pred, gate, rng) <= ALPHA


def _one_rare_label_set() -> tuple[list[str], list[str | None], list[str]]:
    """Nine labels of 20 items with 14 right, one label with a single item, right: precision 1 throughout."""
    labels = [f"l{k}" for k in range(10)]
    gold = [lab for lab in labels[:9] for _ in range(20)] + ["l9"]
    pred: list[str | None] = [g if k % 20 < 14 else None for k, g in enumerate(gold[:180])] + ["l9"]
    return gold, pred, labels


def test_a_single_item_label_is_counted_as_perfect_instead_of_holding_the_bound_at_one() -> None:
    gold, _, labels = _one_rare_label_set()
    bound = macro_f1_bound(gold, None, labels, alpha=ALPHA)
    assert bound is not None
    assert "l9" not in bound.weights and bound.offset == pytest.approx(0.1)
    # With the rare label weighed, the scale would be 181 / 10 and every bound 1.0; now it is 181 / 200.
    assert bound.scale == pytest.approx(181 / 200)
    # A collapsed classifier (always l0) is shown below the gate within its first 60 items.
    rows = [{"correct": float(g == "l0"), MACRO_COLUMN: bound.item_value(g, "l0")} for g in gold]
    order = np.random.default_rng(5).permutation(len(rows))
    decision = decide([Condition("macro_f1", 0.8)], [rows[i] for i in order[:60]], ALPHA, macro=bound)
    assert decision.state == "fail"
    # A label a little smaller than the others stays weighed: counting it as perfect would cost more.
    near = macro_f1_bound(["a"] * 8 + ["b"] * 8 + ["c"] * 8 + ["d"] * 6, None, None, alpha=ALPHA)
    assert near is not None and set(near.weights) == {"a", "b", "c", "d"} and near.offset == 0.0


def test_stopping_with_a_rare_label_errs_no_more_often_than_the_level() -> None:
    """Macro-F1 exactly at the gate, one label with a single item: "fail" stays under the nominal 5 %."""
    rng = np.random.default_rng(20261201)
    gold, pred, labels = _one_rare_label_set()
    gate = scores_for("classification", gold, pred, labels=labels, resamples=10)["macro_f1"].value
    assert gate == pytest.approx((9 * 1.4 / 1.7 + 1) / 10)
    bound = macro_f1_bound(gold, None, labels, alpha=ALPHA)
    assert bound is not None
    assert _false_failure_rate(bound, gold, pred, gate, rng) <= ALPHA


def test_a_collapsed_classifier_fails_early_and_a_good_one_is_never_passed_by_the_bound() -> None:
    labels = [f"l{k}" for k in range(10)]
    gold = [labels[k % 10] for k in range(220)]
    bound = macro_f1_bound(gold, None, labels, alpha=ALPHA)
    assert bound is not None
    collapsed = [{"correct": float(g == "l0"), MACRO_COLUMN: bound.item_value(g, "l0")} for g in gold]
    decision = decide([Condition("macro_f1", 0.85)], collapsed[:60], ALPHA, macro=bound)
    assert decision.state == "fail" and "below the gate" in decision.reason
    assert decision.intervals["macro_f1"].low == 0.0 < decision.intervals["macro_f1"].high < 0.85
    perfect = [{"correct": 1.0, MACRO_COLUMN: bound.item_value(g, g)} for g in gold]
    assert decide([Condition("macro_f1", 0.5)], perfect, ALPHA, macro=bound).state == "open"


def test_multi_gold_items_are_counted_on_the_safe_side() -> None:
    """A label whose items all accept another one cannot be bounded: it counts as a perfect recall."""
    bound = macro_f1_bound(["a", "a", "b", "b"], [[], [], ["a"], ["a"]], ["a", "b"], alpha=ALPHA)
    assert bound is not None
    assert bound.weights == {"a": 1.0} and bound.scale == pytest.approx(1.0)
    assert bound.offset == pytest.approx(0.5)  # b counts 1/2: all of its items may go to a
    # A hit weighs by the label answered: an item of b answered a (accepted) counts for a.
    assert bound.item_value("b", "a", ["a"]) == 1.0 and bound.item_value("b", "a") == 0.0
    assert bound.item_value("a", None) == 0.0
    assert macro_f1_bound(["a"], [["b"]], ["a", "b"], alpha=ALPHA) is None
    with pytest.raises(ValueError, match="differ in length"):
        macro_f1_bound(["a", "b"], [[]], None, alpha=ALPHA)
    assert METHOD.startswith("betting-cs")
