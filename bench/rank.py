"""The decision: apply each task's gate, then rank the passing candidates by a frugality key.

- Gate: a candidate passes only when the lower bound of its 95 % interval clears the threshold. An interval
  across the threshold is *borderline*: reported as such, never counted as a pass.
- Frugality: the chosen key (energy per 1000 requests by default), ties broken by the next key of
  KEY_ORDER. Measured costs within TIE_TOLERANCE of each other are a tie, because energy, memory and
  latency readings vary by a few per cent from run to run; parameter counts are compared exactly.
- Every other candidate gets a `Loss` saying, in numbers, why it was not chosen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from bench.hwclass import keep_apart
from bench.results import records_frame

Verdict = Literal["pass", "borderline", "fail", "failed"]
LossReason = Literal["costlier", "tied", "borderline", "fail", "failed"]

FRUGALITY_KEYS: dict[str, str] = {
    "energy": "energy_wh_per_1000_requests",
    "memory": "peak_rss_mb",
    "latency": "latency_p95_ms",
    "params": "params",
    "co2": "co2_g_per_1000_requests",
}
KEY_ORDER = ("energy", "memory", "latency", "params", "co2")
DEFAULT_ORDER = KEY_ORDER  # kept for callers of the first version
TIE_TOLERANCE = 0.05
EXACT_KEYS = frozenset({"params"})
VERDICT_ORDER: dict[str, int] = {"pass": 0, "borderline": 1, "fail": 2, "failed": 3}


def key_order(key: str) -> list[str]:
    """The chosen key first, then the others as tie-breakers."""
    if key not in FRUGALITY_KEYS:
        raise ValueError(f"unknown frugality key '{key}' (choose from {', '.join(KEY_ORDER)})")
    return [key, *(k for k in KEY_ORDER if k != key)]


def _num(value: Any) -> float:
    """A float from a record value; None, text and missing become NaN."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        return math.nan
    return result


def verdict(value: float, low: float, high: float, threshold: float) -> Verdict:
    """Pass only when the whole 95 % interval clears the threshold; an interval across it is borderline."""
    if any(math.isnan(x) for x in (value, low, high)):
        return "failed"
    if low >= threshold:
        return "pass"
    if high < threshold:
        return "fail"
    return "borderline"


def tied(a: float, b: float, key: str, tolerance: float = TIE_TOLERANCE) -> bool:
    """Whether two costs are indistinguishable: both unknown, equal, or within the relative tolerance."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    if key in EXACT_KEYS:
        return False
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def frugality_sort(rows: list[dict[str, Any]], keys: list[str], tolerance: float = TIE_TOLERANCE
                   ) -> list[dict[str, Any]]:
    """Sort by the first key; rows tied with the cheapest of their group are ordered by the next keys."""
    if len(rows) <= 1 or not keys:
        return sorted(rows, key=lambda r: str(r["model_id"])) if not keys else rows
    key, rest = keys[0], keys[1:]
    column = FRUGALITY_KEYS[key]
    ordered = sorted(rows, key=lambda r: (math.isnan(_num(r.get(column))), _num(r.get(column)), str(r["model_id"])))
    groups: list[list[dict[str, Any]]] = []
    for row in ordered:
        # Compare with the group's first (cheapest) member so ties never chain across a wide range.
        if groups and tied(_num(groups[-1][0].get(column)), _num(row.get(column)), key, tolerance):
            groups[-1].append(row)
        else:
            groups.append([row])
    return [r for group in groups for r in frugality_sort(group, rest, tolerance)]


def pareto_front(frame: pd.DataFrame, metric: str, cost: str) -> list[str]:
    """Candidates not dominated on (higher quality, lower cost), cheapest first."""
    if metric not in frame or cost not in frame:
        return []
    ok = frame.dropna(subset=[metric, cost]).sort_values([cost, metric], ascending=[True, False])
    front = []
    for _, row in ok.iterrows():
        dominated = ((ok[metric] >= row[metric]) & (ok[cost] <= row[cost])
                     & ((ok[metric] > row[metric]) | (ok[cost] < row[cost]))).any()
        if not dominated:
            front.append(str(row["model_id"]))
    return front


@dataclass(frozen=True)
class Loss:
    """Why a candidate was not recommended, in numbers relative to the recommended one."""

    model_id: str
    reason: LossReason
    value: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    quality_delta: float = math.nan  # candidate - recommended, in metric units
    ratios: dict[str, float] = field(default_factory=dict)  # frugality key -> candidate / recommended
    decided_by: str | None = None  # for costlier/tied: the first key on which it is not tied
    tied_on: tuple[str, ...] = ()  # keys on which it ties with the recommended one
    error: str | None = None


@dataclass
class TaskRanking:
    task: str
    metric: str
    threshold: float
    table: pd.DataFrame  # one row per candidate: passing by frugality, then borderline, fail, failed
    recommended: str | None
    pareto: list[str]
    losses: dict[str, Loss] = field(default_factory=dict)
    closest: str | None = None  # when nothing passes: the candidate whose lower bound is highest
    key: str = "energy"
    keys: list[str] = field(default_factory=lambda: list(KEY_ORDER))
    tolerance: float = TIE_TOLERANCE

    def row(self, model_id: str) -> pd.Series:
        return self.table[self.table["model_id"] == model_id].iloc[0]

    def verdicts(self) -> dict[str, str]:
        return {str(r["model_id"]): str(r["verdict"]) for _, r in self.table.iterrows()}

    def models_with(self, verdict_name: str) -> list[str]:
        return [m for m, v in self.verdicts().items() if v == verdict_name]

    def gap(self) -> tuple[float, float]:
        """For the closest candidate: (lower bound - threshold, point estimate - threshold)."""
        if self.closest is None:
            return math.nan, math.nan
        row = self.row(self.closest)
        return (_num(row[f"{self.metric}_ci_low"]) - self.threshold, _num(row[self.metric]) - self.threshold)

    def sentence(self, lang: str = "en") -> str:
        from bench.report.i18n import recommendation_sentence

        return recommendation_sentence(self, lang)

    @property
    def explanations(self) -> dict[str, str]:
        from bench.report.i18n import loss_text

        return {model: loss_text(loss, self, "en") for model, loss in self.losses.items()}


def _ratios(row: Mapping[str, Any], best: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for key, column in FRUGALITY_KEYS.items():
        a, b = _num(row.get(column)), _num(best.get(column))
        out[key] = a / b if b > 0 and not math.isnan(a) else math.nan
    return out


def _loss(row: Mapping[str, Any], best: Mapping[str, Any] | None, ranking_keys: list[str], metric: str,
          tolerance: float) -> Loss:
    value = _num(row.get(metric))
    base: dict[str, Any] = {"model_id": str(row["model_id"]), "value": value,
                            "ci_low": _num(row.get(f"{metric}_ci_low")), "ci_high": _num(row.get(f"{metric}_ci_high"))}
    if best is not None:
        base["quality_delta"] = value - _num(best.get(metric))
        base["ratios"] = _ratios(row, best)
    if row["verdict"] == "failed":
        error = row.get("error")
        return Loss(reason="failed", error=str(error) if isinstance(error, str) and error else None, **base)
    if row["verdict"] != "pass":
        return Loss(reason=row["verdict"], **base)
    assert best is not None  # a passing loser implies a recommended candidate
    ties: list[str] = []
    for key in ranking_keys:
        column = FRUGALITY_KEYS[key]
        if not tied(_num(row.get(column)), _num(best.get(column)), key, tolerance):
            return Loss(reason="tied" if ties else "costlier", decided_by=key, tied_on=tuple(ties), **base)
        ties.append(key)
    return Loss(reason="tied", decided_by=None, tied_on=tuple(ties), **base)


def rank_task(frame: pd.DataFrame, task: str, metric: str, threshold: float, key: str = "energy",
              tolerance: float = TIE_TOLERANCE) -> TaskRanking:
    keys = key_order(key)
    data = frame[frame["task"] == task].copy()
    for column in (metric, f"{metric}_ci_low", f"{metric}_ci_high", "status", "error",
                   *FRUGALITY_KEYS.values()):
        if column not in data:
            data[column] = math.nan
    rows = [{str(k): v for k, v in r.items()} for r in data.to_dict("records")]
    for row in rows:
        row["verdict"] = ("failed" if row.get("status") != "ok" else
                          verdict(_num(row[metric]), _num(row[f"{metric}_ci_low"]), _num(row[f"{metric}_ci_high"]),
                                  threshold))
        if row["verdict"] == "failed" and row.get("status") == "ok":
            row["error"] = f"no '{metric}' score in the record"
    passing = frugality_sort([r for r in rows if r["verdict"] == "pass"], keys, tolerance)

    def by_quality(r: dict[str, Any]) -> tuple[int, bool, float, str]:
        low = _num(r[f"{metric}_ci_low"])
        return VERDICT_ORDER[r["verdict"]], math.isnan(low), -low if not math.isnan(low) else 0.0, str(r["model_id"])

    others = sorted((r for r in rows if r["verdict"] != "pass"), key=by_quality)
    ordered = passing + others
    table = pd.DataFrame(ordered, columns=[*data.columns, "verdict"]) if ordered else data.assign(verdict=[])
    table = table.reset_index(drop=True)
    table["position"] = range(1, len(table) + 1)
    scored = table[table["verdict"] != "failed"]
    pareto = pareto_front(scored, metric, FRUGALITY_KEYS[key])
    table["pareto"] = table["model_id"].isin(pareto)
    best = passing[0] if passing else None
    ranking = TaskRanking(task, metric, threshold, table, str(best["model_id"]) if best else None, pareto, key=key,
                          keys=keys, tolerance=tolerance)
    ranking.losses = {str(r["model_id"]): _loss(r, best, keys, metric, tolerance)
                      for r in ordered if best is None or r["model_id"] != best["model_id"]}
    if best is None:
        candidates = [r for r in others if r["verdict"] != "failed"]
        ranking.closest = str(candidates[0]["model_id"]) if candidates else None  # highest lower bound first
    return ranking


def _gate_of(task_records: list[dict[str, Any]], manifest_gates: Mapping[str, Any]) -> tuple[str, float] | None:
    for record in task_records:
        gate = record.get("gate")
        if isinstance(gate, Mapping) and "metric" in gate and "min" in gate:
            return str(gate["metric"]), float(gate["min"])
    gate = manifest_gates.get(task_records[0]["task"]) if task_records else None
    if isinstance(gate, Mapping) and "metric" in gate and "min" in gate:
        return str(gate["metric"]), float(gate["min"])
    return None


def rank_records(records: list[dict[str, Any]], key: str = "energy",
                 gates: Mapping[str, tuple[str, float]] | None = None,
                 manifest: Mapping[str, Any] | None = None, tolerance: float = TIE_TOLERANCE) -> list[TaskRanking]:
    """Rank every task present in `records`; `gates` overrides a task's gate as (metric, min).

    The gate comes from the override, else the records, else the manifest's task list; a task without
    any gate is skipped (it cannot be decided).
    """
    key_order(key)  # validate early, even for an empty run
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:  # one candidate per (task, model): a later record of the same cell wins
        if isinstance(record, Mapping) and record.get("task") and record.get("model_id"):
            latest.pop((str(record["task"]), str(record["model_id"])), None)
            latest[(str(record["task"]), str(record["model_id"]))] = record
    records, gates = keep_apart(list(latest.values()), gates)  # costs compare only within a hardware class
    frame = records_frame(records)
    if frame.empty:
        return []
    manifest_gates = {name: info.get("gate") for name, info in ((manifest or {}).get("tasks") or {}).items()
                      if isinstance(info, Mapping)}
    rankings = []
    for task in dict.fromkeys(str(t) for t in frame["task"]):
        gate = (gates or {}).get(task) or _gate_of([r for r in records if r["task"] == task], manifest_gates)
        if gate is None:
            continue
        rankings.append(rank_task(frame, task, gate[0], float(gate[1]), key, tolerance))
    return rankings
