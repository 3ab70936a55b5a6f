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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from bench.decide.frugality_keys import FRUGALITY
from bench.decide.hwclass import keep_apart
from bench.numbers import as_float
from bench.run.record import CellRecord, RecordGate, as_record, is_ok
from bench.run.results import records_frame

Verdict = Literal["pass", "borderline", "insufficient", "fail", "failed", "not_needed"]
LossReason = Literal["costlier", "tied", "borderline", "insufficient", "fail", "failed", "not_needed"]

FRUGALITY_KEYS: dict[str, str] = {name: key.column for name, key in FRUGALITY.items()}
KEY_ORDER = tuple(FRUGALITY)
TIE_TOLERANCE = 0.05
EXACT_KEYS = frozenset(name for name, key in FRUGALITY.items() if key.exact)
# Severity: the verdict of a candidate over several test sets is its most severe one.
VERDICT_ORDER: dict[str, int] = {"pass": 0, "borderline": 1, "insufficient": 2, "fail": 3, "failed": 4}
# Frugal runs (bench.run.frugal): a candidate costlier than one that passes has its costs but no quality. It is
# listed right after the passing ones; it is neither a pass nor a failure.
NOT_NEEDED = "not_needed"
LISTING_ORDER: dict[str, float] = {**VERDICT_ORDER, NOT_NEEDED: 0.5}


def key_order(key: str) -> list[str]:
    """The chosen key first, then the others as tie-breakers."""
    if key not in FRUGALITY_KEYS:
        raise ValueError(f"unknown frugality key '{key}' (choose from {', '.join(KEY_ORDER)})")
    return [key, *(k for k in KEY_ORDER if k != key)]




def verdict(value: float, low: float, high: float, threshold: float, n: float = math.nan) -> Verdict:
    """Pass only when the whole 95 % interval clears the threshold; an interval across it is borderline.

    With fewer items than `items_needed(threshold)` even a perfect score could not clear the gate: the
    verdict is then "insufficient" (never a pass), unless the interval is already wholly below the gate.
    """
    if any(math.isnan(x) for x in (value, low, high)):
        return "failed"
    if not math.isnan(n) and n < items_needed(threshold) and high >= threshold:
        return "insufficient"
    if low >= threshold:
        return "pass"
    if high < threshold:
        return "fail"
    return "borderline"


def items_needed(threshold: float) -> int:
    """Fewest items on which a perfect score can pass: Wilson's 95 % lower bound of n/n is n / (n + z²)."""
    from bench.metrics.intervals import items_to_clear

    return items_to_clear(threshold)


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
    ordered = sorted(rows, key=lambda r: (math.isnan(as_float(r.get(column))), as_float(r.get(column)),
                                          str(r["model_id"])))
    groups: list[list[dict[str, Any]]] = []
    for row in ordered:
        # Compare with the group's first (cheapest) member so ties never chain across a wide range.
        if groups and tied(as_float(groups[-1][0].get(column)), as_float(row.get(column)), key, tolerance):
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
    # For a candidate that does not pass: the test set that decided it, with its figures there.
    deciding_set: str | None = None
    deciding_metric: str | None = None  # the gate metric, or the error rate (limit) that decided
    set_value: float = math.nan
    set_ci_low: float = math.nan
    set_ci_high: float = math.nan
    set_threshold: float = math.nan
    set_n: float = math.nan


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
    sets: list[str] = field(default_factory=lambda: ["test"])  # test sets, the first is the main one
    set_thresholds: dict[str, float] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)  # error-rate metric -> maximum
    # Filled from the samples (bench.decide.paired.add_paired): model id -> test set -> difference with the reference.
    paired: dict[str, dict[str, Any]] = field(default_factory=dict)
    paired_reference: str | None = None
    scenario: str = "single"  # the records it decided on: single-request or offline (batched) figures

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
        return (as_float(row[f"{self.metric}_ci_low"]) - self.threshold, as_float(row[self.metric]) - self.threshold)


def _ratios(row: Mapping[str, Any], best: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for key, column in FRUGALITY_KEYS.items():
        a, b = as_float(row.get(column)), as_float(best.get(column))
        out[key] = a / b if b > 0 and not math.isnan(a) else math.nan
    return out


def _loss(row: Mapping[str, Any], best: Mapping[str, Any] | None, ranking_keys: list[str], metric: str,
          tolerance: float) -> Loss:
    value = as_float(row.get(metric))
    base: dict[str, Any] = {"model_id": str(row["model_id"]), "value": value,
                            "ci_low": as_float(row.get(f"{metric}_ci_low")),
                            "ci_high": as_float(row.get(f"{metric}_ci_high"))}
    if best is not None:
        base["quality_delta"] = value - as_float(best.get(metric))
        base["ratios"] = _ratios(row, best)
    if row["verdict"] == NOT_NEEDED:
        return Loss(reason="not_needed", decided_by=str(row.get("not_needed")), **base)
    if row["verdict"] == "failed":
        error = row.get("error")
        return Loss(reason="failed", error=str(error) if isinstance(error, str) and error else None, **base)
    if row["verdict"] != "pass":
        deciding = row.get("deciding_set")
        decided_by = row.get("deciding_metric") if isinstance(row.get("deciding_metric"), str) else metric
        if isinstance(deciding, str):
            bound = f"{decided_by}_max" if decided_by != metric else "gate_min"
            base.update(deciding_set=deciding, deciding_metric=decided_by,
                        set_value=as_float(row.get(f"{deciding}:{decided_by}")),
                        set_ci_low=as_float(row.get(f"{deciding}:{decided_by}_ci_low")),
                        set_ci_high=as_float(row.get(f"{deciding}:{decided_by}_ci_high")),
                        set_threshold=as_float(row.get(f"{deciding}:{bound}")),
                        set_n=as_float(row.get(f"{deciding}:{decided_by}_n")))
        return Loss(reason=row["verdict"], **base)
    assert best is not None  # a passing loser implies a recommended candidate
    ties: list[str] = []
    for key in ranking_keys:
        column = FRUGALITY_KEYS[key]
        if not tied(as_float(row.get(column)), as_float(best.get(column)), key, tolerance):
            return Loss(reason="tied" if ties else "costlier", decided_by=key, tied_on=tuple(ties), **base)
        ties.append(key)
    return Loss(reason="tied", decided_by=None, tied_on=tuple(ties), **base)


def _sets_of(data: pd.DataFrame) -> list[str]:
    """Test sets of a task's records, in their declared order (old runs: the single `test` set)."""
    sets: list[str] = []
    for value in data.get("test_sets", pd.Series(dtype=object)).dropna():
        for name in str(value).split("|"):
            if name and name not in sets:
                sets.append(name)
    return sets or ["test"]


def _set_columns(row: dict[str, Any], set_name: str, metric: str, first: bool) -> tuple[float, float, float, float]:
    prefix = "" if first and f"{set_name}:{metric}" not in row else f"{set_name}:"
    return (as_float(row.get(f"{prefix}{metric}")), as_float(row.get(f"{prefix}{metric}_ci_low")),
            as_float(row.get(f"{prefix}{metric}_ci_high")), as_float(row.get(f"{prefix}{metric}_n")))


def limit_verdict(value: float, low: float, high: float, maximum: float, n: float = math.nan) -> Verdict:
    """For an error rate that must stay low: pass when the whole interval is at or below `maximum`."""
    if any(math.isnan(x) for x in (value, low, high)):
        return "failed"
    if not math.isnan(n) and n < items_needed(1.0 - maximum) and low <= maximum:
        return "insufficient"  # even zero errors on n items could not show the rate is that low
    if high <= maximum:
        return "pass"
    if low > maximum:
        return "fail"
    return "borderline"


def gate_row(row: dict[str, Any], sets: list[str], metric: str, thresholds: Mapping[str, float],
             limits: Mapping[str, float] | None = None) -> None:
    """Set `verdict` (the most severe over test sets and conditions), `deciding_set`, `deciding_metric`
    and `<set>:verdict` on a row."""
    if not is_ok(row):
        row["verdict"], row["deciding_set"], row["deciding_metric"] = "failed", None, None
        return
    if isinstance(row.get("not_needed"), str) and row["not_needed"]:
        row["verdict"], row["deciding_set"], row["deciding_metric"] = NOT_NEEDED, None, None
        return
    # Frugal runs stop scoring a candidate once one set fails: the others stay unscored, and never pass.
    unscored = set(str(row.get("unscored_sets") or "").split("|")) - {"", "nan"}
    worst: tuple[int, str | None, str | None] = (-1, None, None)
    for index, set_name in enumerate(sets):
        if set_name in unscored:
            row[f"{set_name}:verdict"] = "not scored"
            continue
        conditions = [(metric, thresholds[set_name], False), *((m, v, True) for m, v in (limits or {}).items())]
        set_worst = -1
        for name, bound, is_limit in conditions:
            value, low, high, n = _set_columns(row, set_name, name, index == 0)
            for suffix, figure in (("", value), ("_ci_low", low), ("_ci_high", high), ("_n", n)):
                row.setdefault(f"{set_name}:{name}{suffix}", figure)  # old records: the plain columns
            this = limit_verdict(value, low, high, bound, n) if is_limit else verdict(value, low, high, bound, n)
            if is_limit:
                row[f"{set_name}:{name}_max"] = bound
            else:
                row[f"{set_name}:gate_min"] = bound
            set_worst = max(set_worst, VERDICT_ORDER[this])
            if VERDICT_ORDER[this] > worst[0]:
                worst = (VERDICT_ORDER[this], set_name, name)
        row[f"{set_name}:verdict"] = _verdict_named(set_worst)
    if unscored and worst[0] == VERDICT_ORDER["pass"]:  # never a pass on part of the sets
        worst = (VERDICT_ORDER["insufficient"], sorted(unscored)[0], metric)
    row["verdict"] = _verdict_named(worst[0])
    row["deciding_set"], row["deciding_metric"] = (worst[1], worst[2]) if row["verdict"] != "pass" else (None, None)
    if row["verdict"] == "failed":
        row["error"] = f"no '{worst[2]}' score on test set '{worst[1]}' in the record"


def _verdict_named(order: int) -> Verdict:
    names: dict[int, Verdict] = {0: "pass", 1: "borderline", 2: "insufficient", 3: "fail", 4: "failed"}
    return names[order]


def rank_task(frame: pd.DataFrame, task: str, metric: str, threshold: float, key: str = "energy",
              tolerance: float = TIE_TOLERANCE, set_thresholds: Mapping[str, float] | None = None,
              limits: Mapping[str, float] | None = None) -> TaskRanking:
    """Gate and rank one task. `set_thresholds` states a gate per test set (default: `threshold` for each);
    `limits` caps error rates (metric -> maximum), on every set."""
    keys = key_order(key)
    data = frame[frame["task"] == task].copy()
    for column in (metric, f"{metric}_ci_low", f"{metric}_ci_high", "status", "error",
                   *FRUGALITY_KEYS.values()):
        if column not in data:
            data[column] = math.nan
    sets = _sets_of(data)
    thresholds = {s: (set_thresholds or {}).get(s, threshold) for s in sets}
    rows = [{str(k): v for k, v in r.items()} for r in data.to_dict("records")]
    for row in rows:
        gate_row(row, sets, metric, thresholds, limits)
    passing = frugality_sort([r for r in rows if r["verdict"] == "pass"], keys, tolerance)

    def by_quality(r: dict[str, Any]) -> tuple[float, bool, float, str]:
        low = as_float(r[f"{metric}_ci_low"])
        return LISTING_ORDER[r["verdict"]], math.isnan(low), -low if not math.isnan(low) else 0.0, str(r["model_id"])

    others = sorted((r for r in rows if r["verdict"] != "pass"), key=by_quality)
    ordered = passing + others
    extra = [c for c in dict.fromkeys(k for r in ordered for k in r) if c not in data.columns]
    table = pd.DataFrame(ordered, columns=[*data.columns, *extra]) if ordered else data.assign(verdict=[])
    table = table.reset_index(drop=True)
    table["position"] = range(1, len(table) + 1)
    scored = table[~table["verdict"].isin(["failed", NOT_NEEDED])]
    pareto = pareto_front(scored, metric, FRUGALITY_KEYS[key])
    table["pareto"] = table["model_id"].isin(pareto)
    best = passing[0] if passing else None
    ranking = TaskRanking(task, metric, threshold, table, str(best["model_id"]) if best else None, pareto, key=key,
                          keys=keys, tolerance=tolerance, sets=sets, set_thresholds=thresholds,
                          limits=dict(limits or {}))
    ranking.losses = {str(r["model_id"]): _loss(r, best, keys, metric, tolerance)
                      for r in ordered if best is None or r["model_id"] != best["model_id"]}
    if best is None:
        candidates = [r for r in others if r["verdict"] not in ("failed", NOT_NEEDED)]
        ranking.closest = str(candidates[0]["model_id"]) if candidates else None  # highest lower bound first
    return ranking


def _gate_of(task_records: list[CellRecord], manifest_gates: Mapping[str, Any]
             ) -> tuple[str, float, dict[str, float], dict[str, float]] | None:
    """(metric, min, per-set mins, limits) from the records, else the manifest."""
    gates = [r.gate for r in task_records]
    stated = manifest_gates.get(str(task_records[0].task)) if task_records else None
    if isinstance(stated, Mapping):
        gates.append(RecordGate.model_validate(stated))
    for gate in gates:
        if gate is not None and gate.metric is not None and gate.min is not None:
            return gate.metric, gate.min, dict(gate.sets), dict(gate.limits)
    return None


def rank_records(records: Sequence[CellRecord | Mapping[str, Any]], key: str = "energy",
                 gates: Mapping[str, tuple[str, float]] | None = None,
                 manifest: Mapping[str, Any] | None = None, tolerance: float = TIE_TOLERANCE,
                 scenario: str = "single") -> list[TaskRanking]:
    """Rank every task present in `records` on the figures of one scenario; `gates` overrides a task's gate
    as (metric, min). Plain records (built by hand, or read by key) are parsed first.

    The gate comes from the override, else the records, else the manifest's task list; a task without
    any gate is skipped (it cannot be decided). Scenarios are never mixed: an offline record's throughput
    and energy answer another question than a single-request one's.
    """
    key_order(key)  # validate early, even for an empty run
    latest: dict[tuple[str, str], CellRecord] = {}
    for record in map(as_record, records):  # one candidate per (task, model): a later record of the same cell wins
        if record.task and record.model_id and record.scenario == scenario:
            latest.pop((record.task, record.model_id), None)
            latest[(record.task, record.model_id)] = record
    typed, gates = keep_apart(list(latest.values()), gates)  # costs compare only within a hardware class
    frame = records_frame(typed)
    if frame.empty:
        return []
    manifest_gates = {name: info.get("gate") for name, info in ((manifest or {}).get("tasks") or {}).items()
                      if isinstance(info, Mapping)}
    rankings = []
    for task in dict.fromkeys(str(t) for t in frame["task"]):
        stated = _gate_of([r for r in typed if r.task == task], manifest_gates)
        override = (gates or {}).get(task)
        if override is not None:  # a gate given on the command line applies to every test set
            rankings.append(rank_task(frame, task, override[0], float(override[1]), key, tolerance))
        elif stated is not None:
            rankings.append(rank_task(frame, task, stated[0], stated[1], key, tolerance, stated[2], stated[3]))
    for ranking in rankings:
        ranking.scenario = scenario
    return rankings
