"""The decision on hand-made records: gate, borderline, frugality key, ties, nothing passes, failed cells."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from bench.decide.rank import pareto_front, rank_records, tied, verdict
from bench.report.i18n import loss_text, recommendation_sentence

GATE = {"metric": "macro_f1", "min": 0.80}


def rec(model: str, value: float | None, low: float | None = None, high: float | None = None, *, task: str = "route",
        energy: float | None = 1.0, rss: float | None = 500.0, p95: float | None = 10.0, params: int | None = 1000,
        co2: float | None = None, status: str = "ok", error: str | None = None, gate: dict[str, Any] | None = GATE,
        **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"task": task, "model_id": model, "cell_id": f"{task}__{model}", "status": status,
                              "threads": 2, **extra}
    if gate is not None:
        record["gate"] = gate
    if status != "ok":
        record["error"] = error
        record["peak_rss_mb"] = rss
        return record
    record.update(energy_wh_per_1000_requests=energy, peak_rss_mb=rss, latency_p95_ms=p95, params=params,
                  co2_g_per_1000_requests=co2 if co2 is not None else (energy or 0) * 0.056)
    if value is not None:
        record["quality"] = {"macro_f1": {"value": value, "ci_low": value - 0.03 if low is None else low,
                                          "ci_high": value + 0.03 if high is None else high, "n": 300,
                                          "resamples": 1000, "seed": 0}}
    return record


def one(records: list[dict[str, Any]], **kwargs: Any) -> Any:
    rankings = rank_records(records, **kwargs)
    assert len(rankings) == 1
    return rankings[0]


def test_verdict_uses_the_whole_interval() -> None:
    assert verdict(0.85, 0.80, 0.90, 0.80) == "pass"  # lower bound exactly on the gate passes
    assert verdict(0.85, 0.79, 0.90, 0.80) == "borderline"
    assert verdict(0.79, 0.75, 0.80, 0.80) == "borderline"  # upper bound on the gate: could still pass
    assert verdict(0.70, 0.65, 0.79, 0.80) == "fail"
    assert verdict(math.nan, math.nan, math.nan, 0.80) == "failed"


def test_gate_first_then_most_frugal() -> None:
    ranking = one([rec("big", 0.92, energy=10.0, rss=3000), rec("small", 0.86, energy=0.5, rss=200),
                   rec("tiny", 0.70, energy=0.01, rss=50)])
    assert ranking.recommended == "small"
    assert ranking.verdicts() == {"small": "pass", "big": "pass", "tiny": "fail"}
    assert list(ranking.table["model_id"]) == ["small", "big", "tiny"]  # passing by frugality, then the rest
    assert ranking.losses["big"].reason == "costlier"
    assert ranking.losses["tiny"].reason == "fail"


def test_borderline_is_never_silently_passed() -> None:
    # The cheapest candidate's point estimate clears the gate, but its interval straddles it.
    ranking = one([rec("cheap", 0.83, 0.78, 0.88, energy=0.1), rec("solid", 0.88, 0.84, 0.92, energy=2.0)])
    assert ranking.recommended == "solid"
    assert ranking.verdicts()["cheap"] == "borderline"
    assert ranking.models_with("borderline") == ["cheap"]
    text = loss_text(ranking.losses["cheap"], ranking, "en")
    assert text.startswith("borderline: macro-F1 0.830 [0.780, 0.880] straddles the gate 0.800")
    assert "0.05× the energy" in text  # cheaper, but not good enough for sure


def test_why_a_larger_candidate_lost_in_numbers() -> None:
    ranking = one([rec("tfidf", 0.861, 0.822, 0.897, energy=0.05, rss=180),
                   rec("e5", 0.873, 0.836, 0.907, energy=0.70, rss=1080)])
    assert ranking.recommended == "tfidf"
    loss = ranking.losses["e5"]
    assert loss.quality_delta == pytest.approx(0.012)
    assert loss.ratios["energy"] == pytest.approx(14.0)
    assert loss.ratios["memory"] == pytest.approx(6.0)
    assert loss_text(loss, ranking, "en") == "+1.2 pt macro-F1 for 14× the energy and 6.0× the memory"
    assert loss_text(loss, ranking, "fr") == "+1,2 pt de macro-F1 pour 14× l'énergie et 6,0× la mémoire"


def test_ties_are_broken_by_the_next_key() -> None:
    # Energy within 5 %: a tie, so memory decides; the slightly cheaper-energy one loses on memory.
    ranking = one([rec("a", 0.90, energy=1.00, rss=800), rec("b", 0.90, energy=1.03, rss=400)])
    assert ranking.recommended == "b"
    loss = ranking.losses["a"]
    assert loss.reason == "tied" and loss.tied_on == ("energy",) and loss.decided_by == "memory"
    assert "loses on peak memory (RSS): 2.0× the memory" in loss_text(loss, ranking, "en")


def test_exact_ties_fall_through_several_keys() -> None:
    ranking = one([rec("a", 0.9, energy=1.0, rss=500, p95=20.0), rec("b", 0.9, energy=1.0, rss=500, p95=10.0)])
    assert ranking.recommended == "b"
    assert ranking.losses["a"].tied_on == ("energy", "memory")
    assert ranking.losses["a"].decided_by == "latency"


def test_params_compare_exactly_and_missing_energy_falls_back() -> None:
    # No energy for either (not measured): memory and latency tie, so parameters decide, without tolerance.
    ranking = one([rec("a", 0.9, energy=None, co2=0.0, params=1000), rec("b", 0.9, energy=None, co2=0.0, params=990)])
    assert ranking.recommended == "b"
    assert ranking.losses["a"].decided_by == "params"
    assert tied(math.nan, math.nan, "energy") and not tied(1.0, math.nan, "energy")
    assert tied(100.0, 104.0, "memory") and not tied(100.0, 106.0, "memory")
    assert not tied(1000.0, 1001.0, "params")


def test_other_frugality_keys() -> None:
    records = [rec("light", 0.9, energy=2.0, rss=100, p95=50.0, params=10**9),
               rec("frugal", 0.9, energy=0.5, rss=900, p95=5.0, params=10**6)]
    assert one(records).recommended == "frugal"
    assert one(records, key="memory").recommended == "light"
    assert one(records, key="latency").recommended == "frugal"
    assert one(records, key="params").recommended == "frugal"
    ranking = one(records, key="memory")
    assert ranking.keys == ["memory", "energy", "latency", "params", "co2"]
    assert ranking.losses["frugal"].decided_by == "memory"
    with pytest.raises(ValueError, match="unknown frugality key"):
        rank_records(records, key="speed")


def test_nothing_passes_names_the_closest_and_the_gap() -> None:
    ranking = one([rec("a", 0.60, 0.55, 0.65), rec("b", 0.79, 0.75, 0.83), rec("c", 0.74, 0.70, 0.78)])
    assert ranking.recommended is None
    assert ranking.closest == "b"
    gap, point_gap = ranking.gap()
    assert gap == pytest.approx(-0.05) and point_gap == pytest.approx(-0.01)
    sentence = recommendation_sentence(ranking, "en")
    assert "no candidate passes the gate macro-F1 ≥ 0.800" in sentence
    assert "Closest is b, 0.790 [0.750, 0.830]: its lower bound is −5.0 pt from the gate" in sentence
    assert "aucun candidat n'atteint le seuil" in recommendation_sentence(ranking, "fr")


def test_failed_cells_are_reported_not_ranked() -> None:
    ranking = one([rec("ok", 0.9), rec("crashed", None, status="failed", error="timeout: cell exceeded 900 s"),
                   rec("noscore", None)])  # ran, but its record has no gate metric
    assert ranking.recommended == "ok"
    assert ranking.verdicts() == {"ok": "pass", "crashed": "failed", "noscore": "failed"}
    assert ranking.losses["crashed"].reason == "failed"
    assert loss_text(ranking.losses["crashed"], ranking, "en") == "failed to run: timeout: cell exceeded 900 s"
    assert "no 'macro_f1' score" in loss_text(ranking.losses["noscore"], ranking, "en")
    assert "crashed" not in ranking.pareto and "noscore" not in ranking.pareto


def test_only_failed_cells() -> None:
    ranking = one([rec("x", None, status="failed", error="boom")])
    assert ranking.recommended is None and ranking.closest is None
    assert recommendation_sentence(ranking, "en") == "route: no candidate produced a result."


def test_pareto_front() -> None:
    frame = pd.DataFrame({"model_id": ["a", "b", "c", "d", "e"], "q": [0.70, 0.80, 0.75, 0.90, 0.90],
                          "cost": [1.0, 2.0, 3.0, 10.0, 20.0]})
    # c is dominated by b (better and cheaper); e by d (same quality, cheaper).
    assert pareto_front(frame, "q", "cost") == ["a", "b", "d"]
    ranking = one([rec("a", 0.70, energy=1.0), rec("b", 0.85, energy=2.0), rec("c", 0.84, energy=3.0)])
    assert ranking.pareto == ["a", "b"]
    assert list(ranking.table.loc[ranking.table["pareto"], "model_id"]) == ["b", "a"]


def test_gates_from_override_records_or_manifest_and_several_tasks() -> None:
    records = [rec("a", 0.85, task="t1"), rec("b", 0.95, task="t1", energy=5.0),
               rec("c", 0.5, task="t2", gate=None)]
    manifest = {"tasks": {"t2": {"gate": {"metric": "macro_f1", "min": 0.4}}}}
    rankings = {r.task: r for r in rank_records(records, manifest=manifest)}
    assert rankings["t1"].recommended == "a" and rankings["t2"].recommended == "c"
    overridden = {r.task: r for r in rank_records(records, gates={"t1": ("macro_f1", 0.9)}, manifest=manifest)}
    assert overridden["t1"].recommended == "b" and overridden["t1"].threshold == 0.9
    assert [r.task for r in rank_records(records)] == ["t1"]  # no gate anywhere for t2: cannot be decided


def test_tolerates_missing_and_unknown_fields_and_keeps_the_last_record_of_a_cell() -> None:
    sparse = {"task": "route", "model_id": "sparse", "cell_id": "route__sparse", "status": "ok", "gate": GATE,
              "tokens_per_s": 12.0, "quality": {"macro_f1": {"value": 0.9, "ci_low": 0.85, "ci_high": 0.95, "n": 100}}}
    rerun = [rec("m", 0.5, status="failed", error="first try"), rec("m", 0.9, energy=0.1)]
    ranking = one([sparse, *rerun])
    assert ranking.verdicts() == {"m": "pass", "sparse": "pass"}
    assert ranking.recommended == "m"  # known energy sorts before unknown
    assert rank_records([]) == []
