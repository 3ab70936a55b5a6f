"""The confidence sequence and the stopping rule: valid under repeated looks, and it does stop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.decide.sequential import f1_cs, f1_scores, log_capital, mean_cs
from bench.decide.stopping import Condition, decide

ALPHA = 0.05
REPLICATIONS = 2000  # a 95 % binomial band around 5 % is about ±1 point at this size
ITEMS, BATCH = 300, 10


def _ever_rejects(x: np.ndarray, m: float) -> np.ndarray:
    """For each replication (column), whether the sequence ever excluded the true mean at a batch's end."""
    capital = log_capital(x, m, ALPHA)
    looks = capital[BATCH - 1::BATCH]
    rejects: np.ndarray = (looks >= math.log(1 / ALPHA)).any(axis=0)
    return rejects


@pytest.mark.parametrize("draw", ["bernoulli", "beta"])
def test_error_rate_under_the_null_stays_below_the_level(draw: str) -> None:
    """True mean exactly at the gate: any stop (pass or fail) is an error; looked at after every batch."""
    rng = np.random.default_rng(20261130)
    gate = 0.8
    if draw == "bernoulli":  # accuracy-like 0/1 scores
        x = (rng.random((ITEMS, REPLICATIONS)) < gate).astype(np.float64)
    else:  # ROUGE-like continuous scores in [0, 1]
        x = rng.beta(8.0, 2.0, size=(ITEMS, REPLICATIONS))  # mean 0.8
    error = float(_ever_rejects(x, gate).mean())
    assert error <= ALPHA, f"{draw}: the sequence excluded the true mean in {error:.3%} of runs"


def test_a_fixed_n_interval_looked_at_repeatedly_would_not_be_valid() -> None:
    """The reason for a sequence: the naive 95 % interval, checked after every batch, errs far more often."""
    rng = np.random.default_rng(7)
    x = (rng.random((ITEMS, REPLICATIONS)) < 0.5).astype(np.float64)
    n = np.arange(1, ITEMS + 1)[:, None]
    z = np.abs(np.cumsum(x - 0.5, axis=0)) / np.sqrt(n * 0.25)
    naive = float((z[BATCH - 1::BATCH] > 1.96).any(axis=0).mean())
    sequential = float(_ever_rejects(x, 0.5).mean())
    assert naive > 2 * ALPHA > sequential


def test_f1_sequence_covers_the_population_f1_under_repeated_looks() -> None:
    """Micro F1 is a ratio: its sequence, tested at the true F1, errs no more often than the level."""
    rng = np.random.default_rng(11)
    fields, reps = 3, 400
    # Each field: TP with p=0.6, a wrong value (FP+FN) with 0.2, missed (FN) with 0.1, both empty with 0.1.
    outcome = rng.choice(4, p=[0.6, 0.2, 0.1, 0.1], size=(ITEMS, reps, fields))
    tp = (outcome == 0).sum(axis=2).astype(np.float64)
    wrong = (2 * (outcome == 1) + (outcome == 2)).sum(axis=2).astype(np.float64)
    true_f1 = 2 * 0.6 / (2 * 0.6 + 2 * 0.2 + 0.1)
    errors = 0
    for r in range(reps):
        x = f1_scores(tp[:, r], wrong[:, r], fields, np.array([true_f1]))
        errors += bool((log_capital(x, true_f1, ALPHA)[BATCH - 1::BATCH] >= math.log(1 / ALPHA)).any())
    assert errors / reps <= ALPHA


def test_f1_scores_map_the_threshold_onto_itself() -> None:
    v = np.array([0.9])
    perfect = f1_scores(np.array([9.0]), np.array([0.0]), 9, v)
    at_gate = f1_scores(np.array([9.0]), np.array([2.0]), 9, v)  # 2·9 / (2·9 + 2) = 0.9
    assert perfect[0, 0] == pytest.approx(1.0)
    assert at_gate[0, 0] == pytest.approx(0.9)


def test_interval_contains_the_sample_mean_and_narrows_with_items() -> None:
    rng = np.random.default_rng(3)
    x = rng.beta(6, 4, size=400)
    small, large = mean_cs(x[:50], ALPHA), mean_cs(x, ALPHA)
    assert small.low <= x[:50].mean() <= small.high
    assert large.low <= x.mean() <= large.high
    assert large.high - large.low < small.high - small.low
    assert large.n == 400


def test_f1_interval_contains_the_observed_f1() -> None:
    tp = np.array([8.0, 9.0, 7.0, 9.0] * 30)
    wrong = np.array([1.0, 0.0, 3.0, 0.0] * 30)
    observed = 2 * tp.sum() / (2 * tp.sum() + wrong.sum())
    cs = f1_cs(tp, wrong, 9, ALPHA)
    assert cs.low <= observed <= cs.high


def test_scores_outside_the_unit_interval_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        log_capital(np.array([0.5, 1.5]), 0.5, ALPHA)


def _rows(values: list[float]) -> list[dict[str, float]]:
    return [{"rouge_l": v} for v in values]


def test_stops_above_the_gate_when_clearly_above() -> None:
    rows = _rows([0.95] * 80)
    decision = decide([Condition("rouge_l", 0.4)], rows, ALPHA)
    assert decision.state == "pass"
    assert decision.intervals["rouge_l"].low > 0.4


def test_stops_below_the_gate_when_clearly_below() -> None:
    decision = decide([Condition("rouge_l", 0.4)], _rows([0.1] * 40), ALPHA)
    assert decision.state == "fail"
    assert decision.intervals["rouge_l"].high < 0.4
    assert "below the gate" in decision.reason


def test_stays_open_near_the_gate_and_on_few_items() -> None:
    assert decide([Condition("rouge_l", 0.4)], _rows([0.42, 0.38] * 20), ALPHA).state == "open"
    assert decide([Condition("rouge_l", 0.4)], _rows([0.95] * 3), ALPHA).state == "open"
    # A perfect score clears the gate only with as many items as the fixed-n rule demands.
    assert decide([Condition("rouge_l", 0.4)], _rows([0.95] * 80), ALPHA, min_items=100).state == "open"


def test_an_error_rate_above_its_maximum_fails_the_set() -> None:
    rows = [{"rouge_l": 0.9, "invented": 1.0 if i % 2 else 0.0} for i in range(60)]
    decision = decide([Condition("rouge_l", 0.4), Condition("invented_rate", 0.05, is_limit=True)], rows, ALPHA)
    assert decision.state == "fail"
    assert "invented_rate" in decision.reason


def test_macro_f1_is_never_stopped_early() -> None:
    rows = [{"correct": 1.0}] * 200
    decision = decide([Condition("macro_f1", 0.8)], rows, ALPHA)
    assert decision.state == "open"
    assert "every item is scored" in decision.reason
