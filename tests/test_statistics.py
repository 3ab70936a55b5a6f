"""Intervals honest at every n, the insufficient-evidence verdict and paired comparisons."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bench.decide.paired import contributions_for, mcnemar_exact, paired_difference
from bench.decide.rank import items_needed, rank_records, verdict
from bench.metrics import classification_scores, summary_scores
from bench.metrics.bootstrap import mean_of
from bench.metrics.intervals import interval, items_to_clear, wilson

DRAWS = 2000


def _coverage(n: int, p: float, seed: int) -> float:
    successes = np.random.default_rng(seed).binomial(n, p, size=DRAWS)
    bounds = {k: wilson(k, n) for k in range(n + 1)}
    return float(np.mean([bounds[int(k)][0] <= p <= bounds[int(k)][1] for k in successes]))


@pytest.mark.parametrize("n", [10, 30, 100])
@pytest.mark.parametrize("p", [0.65, 0.8, 0.85])
def test_wilson_covers_the_truth_93_to_97_percent(n: int, p: float) -> None:
    # Coverage of any interval for a binomial oscillates with p at small n (discreteness): Wilson's swings
    # between ~92 % and ~98 % at n = 10. Here: proportions near the gates, and the average over p below.
    assert 0.93 <= _coverage(n, p, 1000 + n) <= 0.97


@pytest.mark.parametrize("n", [10, 30, 100])
def test_wilson_average_coverage_over_proportions_is_nominal(n: int) -> None:
    grid = np.linspace(0.5, 0.95, 10)
    mean = float(np.mean([_coverage(n, float(p), 7 + i) for i, p in enumerate(grid)]))
    assert 0.93 <= mean <= 0.97, mean


def test_accuracy_goes_through_wilson() -> None:
    score = classification_scores(["a"] * 10, ["a"] * 7 + ["b"] * 3, ["a", "b"])["accuracy"]
    assert (score.ci_low, score.ci_high) == pytest.approx(wilson(7, 10)) and score.method == "wilson"


@pytest.mark.parametrize("n", [5, 10, 30])
def test_all_right_and_all_wrong_give_intervals_that_do_not_collapse(n: int) -> None:
    right = classification_scores(["a"] * n, ["a"] * n, ["a", "b"])
    wrong = classification_scores(["a"] * n, ["b"] * n, ["a", "b"])
    for score in (*right.values(), *wrong.values()):
        assert score.ci_high - score.ci_low > 0.05, score
        assert score.ci_low <= score.value <= score.ci_high
    assert right["accuracy"].ci_low == pytest.approx(n / (n + 1.959963984540054**2))
    # macro-F1 on an all-right sample: the bootstrap is degenerate, the Wilson floor applies.
    assert right["macro_f1"].method.startswith("wilson-floor")


def test_bca_interval_for_means_and_the_small_n_floor() -> None:
    rng = np.random.default_rng(3)
    values = rng.uniform(0.2, 0.6, size=200)
    value, low, high, method = interval(values, mean_of(200), resamples=1000, seed=0)
    assert method == "bca" and low < value < high and high - low < 0.05
    small = summary_scores(["le chat dort sur le tapis"] * 8, ["le chat dort"] * 8)["rouge_l"]
    assert small.method.startswith("wilson-floor") or "wilson-floor" in small.method
    assert small.ci_high - small.ci_low > 0.3  # eight identical items prove little


def test_items_needed_is_the_first_n_where_a_perfect_score_clears_the_gate() -> None:
    for gate in (0.4, 0.8, 0.9, 0.95):
        n = items_to_clear(gate)
        assert wilson(n, n)[0] >= gate - 1e-12
        assert wilson(n - 1, n - 1)[0] < gate
    assert items_needed(0.8) == 16 and items_needed(0.9) == 35


def test_perfect_score_on_five_items_is_insufficient_evidence_not_a_pass() -> None:
    score = classification_scores(["a"] * 5, ["a"] * 5, ["a", "b"])["accuracy"]
    assert verdict(score.value, score.ci_low, score.ci_high, 0.80, score.n) == "insufficient"
    # the same perfect score on enough items passes; a score clearly below the gate still fails
    big = classification_scores(["a"] * 40, ["a"] * 40, ["a", "b"])["accuracy"]
    assert verdict(big.value, big.ci_low, big.ci_high, 0.80, big.n) == "pass"
    assert verdict(0.0, 0.0, 0.43, 0.80, 5) == "fail"


def _samples(correct: list[int]) -> list[dict[str, object]]:
    return [{"item_id": f"i{k}", "gold": "a", "prediction": "a" if c else "b", "scores": {"correct": float(c)}}
            for k, c in enumerate(correct)]


def test_mcnemar_known_answer() -> None:
    # 10 pairs where only A is right, 2 where only B is: exact two-sided p = P(X <= 2 | 12, 1/2) * 2
    a = np.array([1.0] * 10 + [0.0] * 2 + [1.0] * 30)
    b = np.array([0.0] * 10 + [1.0] * 2 + [1.0] * 30)
    expected = 2 * sum(math.comb(12, k) for k in range(3)) / 2**12
    assert mcnemar_exact(a, b) == pytest.approx(expected)
    assert mcnemar_exact(a, a) == 1.0


def test_paired_difference_known_answer_and_words() -> None:
    build = contributions_for("classification", "accuracy", ["a", "b"])
    same = _samples([1, 0] * 20)
    tie = paired_difference(same, same, build)
    assert (tie.delta, tie.ci_low, tie.ci_high) == (0.0, 0.0, 0.0) and tie.direction == "tied"
    better = paired_difference(_samples([1] * 40), _samples([1] * 20 + [0] * 20), build)
    assert better.delta == pytest.approx(0.5)
    assert better.ci_low > 0.3 and better.direction == "better"
    assert better.mcnemar_p is not None and better.mcnemar_p < 1e-5
    assert 0 < better.mdd < 0.5


def test_a_paired_rate_reads_its_own_per_item_column() -> None:
    """invented_rate is the mean of the samples' `invented` column, not of a column named after the metric."""
    build = contributions_for("summarisation", "invented_rate", [])
    fewer = [{"item_id": str(i), "scores": {"rouge_l": 0.4, "invented": float(i < 2)}} for i in range(40)]
    more = [{"item_id": str(i), "scores": {"rouge_l": 0.4, "invented": float(i < 12)}} for i in range(40)]
    diff = paired_difference(fewer, more, build)
    assert diff.delta == pytest.approx(2 / 40 - 12 / 40)


def test_paired_interval_is_narrower_than_unpaired_on_correlated_items() -> None:
    rng = np.random.default_rng(9)
    hard = rng.random(200) < 0.3  # items both candidates find hard
    a = [int(not h or rng.random() < 0.2) for h in hard]
    b = [int(x and rng.random() > 0.03) for x in a]  # b: a's answers with a few more mistakes
    build = contributions_for("classification", "accuracy", ["a", "b"])
    diff = paired_difference(_samples(a), _samples(b), build)
    sa = classification_scores(["a"] * 200, ["a" if x else "b" for x in a], ["a", "b"])["accuracy"]
    assert diff.ci_high - diff.ci_low < (sa.ci_high - sa.ci_low) / 2


def test_an_old_run_is_rescored_from_its_samples_with_honest_intervals(tmp_path: Path) -> None:
    import json

    from bench.decide.rescore import rescore_run

    run = tmp_path / "old"
    run.mkdir()
    # An older record: percentile interval collapsed to a point on 5 right answers out of 5.
    old = {"task": "route", "model_id": "m", "cell_id": "route__m", "status": "ok", "task_kind": "classification",
           "gate": {"metric": "accuracy", "min": 0.8}, "attempt": "a1",
           "quality": {"accuracy": {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 5, "resamples": 1000,
                                    "seed": 0}}}
    (run / "records.jsonl").write_text(json.dumps(old) + "\n", encoding="utf-8")
    samples = [{"run_id": "old", "cell_id": "route__m", "attempt": "a1", "item_id": f"i{k}", "prediction": "a",
                "gold": "a", "scores": {"correct": 1.0}} for k in range(5)]
    (run / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples), encoding="utf-8")
    (run / "manifest.json").write_text(json.dumps({"tasks": {"route": {"kind": "classification"}}}), encoding="utf-8")
    out = rescore_run(run)
    [record] = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    accuracy = record["quality"]["accuracy"]
    assert accuracy["method"] == "wilson" and accuracy["ci_low"] == pytest.approx(5 / (5 + 1.959963984540054**2))
    [ranking] = rank_records([record])
    assert ranking.verdicts() == {"m": "insufficient"}


def test_the_interval_check_accepts_honest_scores_and_flags_narrow_ones() -> None:
    from bench.tools.check_intervals import problem

    honest = classification_scores(["a"] * 12, ["a"] * 10 + ["b"] * 2, ["a", "b"])
    for score in honest.values():
        assert problem(score.to_dict()) is None, score
    narrow = {**honest["accuracy"].to_dict(), "ci_low": 0.80, "ci_high": 0.86}
    assert "not Wilson" in str(problem(narrow))
    collapsed = {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 5, "method": "percentile"}
    assert "rescore" in str(problem(collapsed))
