"""The decision: apply each task's gate, then rank the passing candidates by a frugality key."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from bench.results import records_frame

Verdict = Literal["pass", "borderline", "fail", "failed"]

FRUGALITY_KEYS: dict[str, str] = {
    "energy": "energy_wh_per_1000_requests",
    "memory": "peak_rss_mb",
    "latency": "latency_p95_ms",
    "params": "params",
    "co2": "co2_g_per_1000_requests",
}
DEFAULT_ORDER = ("energy", "memory", "latency", "params")


@dataclass
class TaskRanking:
    task: str
    metric: str
    threshold: float
    table: pd.DataFrame  # one row per candidate, sorted: passing by frugality, then the rest by quality
    recommended: str | None
    pareto: list[str]
    explanations: dict[str, str] = field(default_factory=dict)
    closest: str | None = None  # when nothing passes: the best-scoring candidate
    key: str = "energy"

    def sentence(self) -> str:
        if self.recommended is not None:
            row = self.table.set_index("model_id").loc[self.recommended]
            return (f"{self.task}: use {self.recommended} — passes the gate ({self.metric} {row[self.metric]:.3f} "
                    f"[{row[self.metric + '_ci_low']:.3f}, {row[self.metric + '_ci_high']:.3f}] ≥ {self.threshold}) "
                    f"and is the most frugal by {self.key}.")
        if self.closest is not None:
            row = self.table.set_index("model_id").loc[self.closest]
            return (f"{self.task}: no candidate passes the gate {self.metric} ≥ {self.threshold}; closest is "
                    f"{self.closest} at {row[self.metric]:.3f} ({row[self.metric] - self.threshold:+.3f}).")
        return f"{self.task}: no candidate produced a result."


def verdict(value: float, low: float, high: float, threshold: float) -> Verdict:
    """Pass only when the whole 95 % interval clears the threshold; an interval across it is borderline."""
    if any(math.isnan(x) for x in (value, low, high)):
        return "failed"
    if low >= threshold:
        return "pass"
    if high < threshold:
        return "fail"
    return "borderline"


def _ratio(a: float, b: float) -> str:
    if b <= 0 or math.isnan(a) or math.isnan(b):
        return "n/a"
    return f"{a / b:.1f}×"


def explain(row: pd.Series, best: pd.Series, metric: str, key_column: str) -> str:
    if row["verdict"] == "failed":
        return f"failed to run: {row.get('error', 'unknown error')}"
    if row["verdict"] in ("fail", "borderline"):
        word = "fails" if row["verdict"] == "fail" else "is borderline on"
        return (f"{word} the gate: {metric} {row[metric]:.3f} "
                f"[{row[metric + '_ci_low']:.3f}, {row[metric + '_ci_high']:.3f}]")
    delta = (row[metric] - best[metric]) * 100
    return (f"{delta:+.1f} pt {metric} for {_ratio(row[key_column], best[key_column])} the {key_column} "
            f"and {_ratio(row['peak_rss_mb'], best['peak_rss_mb'])} the memory")


def pareto_front(frame: pd.DataFrame, metric: str, cost: str) -> list[str]:
    """Candidates not dominated on (higher quality, lower cost)."""
    ok = frame.dropna(subset=[metric, cost])
    front = []
    for _, row in ok.iterrows():
        dominated = ((ok[metric] >= row[metric]) & (ok[cost] <= row[cost])
                     & ((ok[metric] > row[metric]) | (ok[cost] < row[cost]))).any()
        if not dominated:
            front.append(str(row["model_id"]))
    return front


def rank_task(frame: pd.DataFrame, task: str, metric: str, threshold: float, key: str = "energy") -> TaskRanking:
    order = [key, *(k for k in DEFAULT_ORDER if k != key)]
    columns = [FRUGALITY_KEYS[k] for k in order]
    data = frame[frame["task"] == task].copy()
    for column in (metric, f"{metric}_ci_low", f"{metric}_ci_high", *columns):
        if column not in data:
            data[column] = math.nan
    data["verdict"] = [
        "failed" if r.get("status") != "ok" else verdict(r[metric], r[f"{metric}_ci_low"], r[f"{metric}_ci_high"],
                                                          threshold)
        for r in data.to_dict("records")]
    passing = data[data["verdict"] == "pass"].sort_values(columns, na_position="last")
    others = data[data["verdict"] != "pass"].sort_values(metric, ascending=False, na_position="last")
    table = pd.concat([passing, others])
    recommended = str(passing.iloc[0]["model_id"]) if len(passing) else None
    ranking = TaskRanking(task, metric, threshold, table.reset_index(drop=True), recommended,
                          pareto_front(data[data["verdict"] != "failed"], metric, columns[0]), key=key)
    if recommended is not None:
        best = passing.iloc[0]
        ranking.explanations = {str(r["model_id"]): explain(r, best, metric, columns[0])
                                for _, r in table.iterrows() if r["model_id"] != recommended}
    else:
        scored = data[data["verdict"] != "failed"]
        if len(scored):
            ranking.closest = str(scored.sort_values(metric, ascending=False).iloc[0]["model_id"])
    return ranking


def rank_records(records: list[dict[str, Any]], key: str = "energy",
                 gates: dict[str, tuple[str, float]] | None = None) -> list[TaskRanking]:
    """Rank every task present in `records`; `gates` overrides a task's gate as (metric, min)."""
    if key not in FRUGALITY_KEYS:
        raise ValueError(f"unknown frugality key '{key}' (choose from {sorted(FRUGALITY_KEYS)})")
    frame = records_frame(records)
    if frame.empty:
        return []
    rankings = []
    for task in dict.fromkeys(frame["task"]):
        task_rows = [r for r in records if r["task"] == task]
        metric, threshold = (gates or {}).get(task) or (task_rows[0]["gate"]["metric"], task_rows[0]["gate"]["min"])
        rankings.append(rank_task(frame, str(task), metric, float(threshold), key))
    return rankings
