"""The regression gate: compare a run with a committed baseline (or with another run).

A regression is any of: a cell that ran before and now fails or is missing; a quality metric that drops by
more than `quality_points` (absolute, in points of the 0-100 scale, per task if configured); latency,
energy or peak memory that rise by more than a relative tolerance *and* by more than a small absolute
floor (so that 0.02 ms becoming 0.04 ms on a shared runner is not a failure); a task whose recommended
model changed. Costs are only compared between runs of the same machine class and thread count: on other
hardware they say nothing about the code.

A baseline is a small, reviewable JSON file (results/baselines/<suite>.json, versioned with the code):
the provenance of the run it was taken from and one slim record per cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bench.decide.baseline import Side
from bench.decide.hwclass import split_tasks
from bench.kinds import LOWER_IS_BETTER
from bench.numbers import as_float
from bench.run.record import CellRecord, Quality
from bench.run.results import write_json_atomic

if TYPE_CHECKING:
    from bench.decide.rank import TaskRanking

COMPARE_MD = "compare.md"
COMPARE_JSON = "compare.json"
Verdict = Literal["regression", "improved", "ok", "note"]
CostMode = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class Tolerances:
    """How much worse a candidate may be before it is a regression. Defaults suit shared CI runners."""

    quality_points: float = 2.0  # absolute drop of any quality metric, in points (0.02 on a 0-1 metric)
    latency: float = 0.5  # relative rise of p50 and p95 latency (+50 %)
    energy: float = 0.5  # relative rise of energy per 1000 requests
    memory: float = 0.25  # relative rise of peak resident memory
    latency_floor_ms: float = 0.5  # smaller absolute rises are noise whatever their ratio
    energy_floor_wh: float = 0.001  # per 1000 requests
    memory_floor_mb: float = 25.0
    per_task_quality: dict[str, float] = field(default_factory=dict)  # task -> quality_points override

    def quality_for(self, task: str) -> float:
        return self.per_task_quality.get(task, self.quality_points)


# (the record's figure, label, tolerance attribute, floor attribute, unit)
Cost = Callable[[CellRecord], float | None]
COSTS: tuple[tuple[Cost, str, str, str, str], ...] = (
    (lambda r: r.latency_p50_ms, "latency p50", "latency", "latency_floor_ms", "ms"),
    (lambda r: r.latency_p95_ms, "latency p95", "latency", "latency_floor_ms", "ms"),
    (lambda r: r.energy_wh_per_1000_requests, "energy / 1000 req.", "energy", "energy_floor_wh", "Wh"),
    (lambda r: r.peak_rss_mb, "peak memory", "memory", "memory_floor_mb", "MB"))


@dataclass(frozen=True)
class Check:
    task: str
    model: str
    what: str
    reference: str
    candidate: str
    change: str
    limit: str
    verdict: Verdict


@dataclass
class Comparison:
    reference: str
    candidate: str
    checks: list[Check]
    notes: list[str]
    costs_compared: bool
    tolerances: Tolerances

    @property
    def regressions(self) -> list[Check]:
        return [c for c in self.checks if c.verdict == "regression"]

    def shown(self, show_all: bool = False) -> list[Check]:
        return self.checks if show_all else [c for c in self.checks if c.verdict != "ok"]

    def summary(self) -> str:
        n = len(self.regressions)
        head = f"{n} regression{'s' if n != 1 else ''}" if n else "no regression"
        return f"{head} in {len(self.checks)} checks ({self.candidate} against {self.reference})"

    def markdown(self, show_all: bool = False) -> str:
        lines = [f"# frugal-bench compare: {self.summary()}", ""]
        lines += [f"- {note}" for note in self.notes]
        if self.notes:
            lines.append("")
        rows = self.shown(show_all)
        if rows:
            lines += ["| task | model | check | reference | candidate | change | limit | verdict |",
                      "|---|---|---|---|---|---|---|---|"]
            lines += [f"| {c.task} | {c.model} | {c.what} | {c.reference} | {c.candidate} | {c.change} | {c.limit} | "
                      f"{'**REGRESSION**' if c.verdict == 'regression' else c.verdict} |" for c in rows]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "candidate": self.candidate, "costs_compared": self.costs_compared,
                "tolerances": asdict(self.tolerances), "notes": self.notes,
                "regressions": len(self.regressions), "checks": [asdict(c) for c in self.checks]}


# ---------------------------------------------------------------- comparing



def _fmt(value: float, unit: str = "") -> str:
    if math.isnan(value):
        return "–"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def _comparable(reference: Side, candidate: Side) -> tuple[bool, str | None]:
    """Same CPU model, core count and threads per cell; otherwise costs are not the code's doing."""
    ref_hw, cand_hw = reference.meta.get("hardware") or {}, candidate.meta.get("hardware") or {}
    for key in ("cpu_model", "cpu_logical_cores"):
        if ref_hw.get(key) != cand_hw.get(key):
            return False, f"{key} differs ({ref_hw.get(key)!r} vs {cand_hw.get(key)!r})"
    ref_threads = (reference.meta.get("settings") or {}).get("threads")
    cand_threads = (candidate.meta.get("settings") or {}).get("threads")
    if ref_threads != cand_threads:
        return False, f"threads per cell differ ({ref_threads} vs {cand_threads})"
    return True, None


def _quality_checks(task: str, model: str, ref: CellRecord, cand: CellRecord, limit: float) -> list[Check]:
    """Set by set: a metric of the first set is named as such, others as `<set>:<metric>`."""
    checks = []
    first = next(iter(ref.quality_sets), "test")
    # Frugal runs leave some quality unscored on purpose (bench.run.frugal): a note, not a regression.
    unscored = {*ref.unscored_sets, *cand.unscored_sets}
    for set_name, ref_q in ref.quality_sets.items():
        cand_q = cand.quality_sets.get(set_name) or {}
        prefix = "" if set_name == first else f"{set_name}:"
        if set_name in unscored:
            why = "not needed" if cand.not_needed or ref.not_needed else "stopped: fails on another set"
            checks.append(Check(task, model, f"{prefix}quality", "scored" if ref_q else "–",
                                "scored" if cand_q else "–", why, "–", "note"))
            continue
        checks += _metric_checks(task, model, ref_q, cand_q, limit, prefix)
    return checks


def _metric_checks(task: str, model: str, ref_q: Quality, cand_q: Quality, limit: float,
                   prefix: str) -> list[Check]:
    checks = []
    for name, score in ref_q.items():
        metric = f"{prefix}{name}"
        before = as_float(score.value)
        after = as_float(cand_q[name].value if name in cand_q else None)
        if math.isnan(after):
            checks.append(Check(task, model, metric, f"{before:.3f}", "–", "no score", f"-{limit:g} pt", "regression"))
            continue
        delta = (after - before) * 100
        gain = -delta if name in LOWER_IS_BETTER else delta  # an error rate that rises is the regression
        verdict: Verdict = "regression" if gain < -limit - 1e-9 else "improved" if gain > limit + 1e-9 else "ok"
        allowed = f"+{limit:g} pt" if name in LOWER_IS_BETTER else f"-{limit:g} pt"
        checks.append(Check(task, model, metric, f"{before:.3f}", f"{after:.3f}", f"{delta:+.1f} pt", allowed,
                            verdict))
    return checks


def _cost_checks(task: str, model: str, ref: CellRecord, cand: CellRecord, tol: Tolerances) -> list[Check]:
    checks = []
    for cost, label, rel_name, floor_name, unit in COSTS:
        before, after = as_float(cost(ref)), as_float(cost(cand))
        if math.isnan(before) or math.isnan(after) or before <= 0:
            continue
        rel, floor = float(getattr(tol, rel_name)), float(getattr(tol, floor_name))
        ratio = after / before - 1
        verdict: Verdict = "ok"
        if ratio > rel and after - before > floor:
            verdict = "regression"
        elif ratio < -rel and before - after > floor:
            verdict = "improved"
        checks.append(Check(task, model, label, _fmt(before, unit), _fmt(after, unit), f"{ratio * 100:+.0f} %",
                            f"+{rel * 100:.0f} % and +{_fmt(floor, unit)}", verdict))
    return checks


def _rankings(side: Side, key: str, scenario: str = "single") -> dict[str, TaskRanking]:
    from bench.decide.rank import rank_records

    return {r.task: r for r in rank_records(side.records, key=key, manifest=side.meta, scenario=scenario)}


def _who(record: CellRecord) -> str:
    """The candidate a check is about: the model, and its scenario when it is not the single-request one."""
    return str(record.model_id) + ("" if record.scenario == "single" else f" ({record.scenario})")


def _why_changed(before: str | None, ranking: TaskRanking | None, key: str) -> str:
    """Why the recommendation moved: the old choice lost the gate, or it passes but costs more now."""
    if ranking is None:
        return "task missing"
    if before is None:
        return "nothing passed before"
    verdicts = ranking.verdicts()
    if verdicts.get(before) != "pass":
        return f"{before} is now {verdicts.get(before, 'missing')}"
    if ranking.recommended is None:
        return "changed"
    from bench.decide.rank import FRUGALITY_KEYS

    column = FRUGALITY_KEYS[key]
    old, new = as_float(ranking.row(before).get(column)), as_float(ranking.row(ranking.recommended).get(column))
    ratio = f", {old / new:.2f}× its {key}" if new > 0 and not math.isnan(old) else ""
    return f"{before} still passes{ratio}"


def compare(reference: Side, candidate: Side, tolerances: Tolerances | None = None, key: str = "energy",
            costs: CostMode = "auto") -> Comparison:
    tol = tolerances or Tolerances()
    notes: list[str] = []
    comparable, why = _comparable(reference, candidate)
    with_costs = costs == "always" or (costs == "auto" and comparable)
    if not comparable:
        notes.append(f"different machine or settings: {why}; latency, energy and memory "
                     f"{'compared anyway (--costs always)' if with_costs else 'not compared'}")
    ref_cells, cand_cells = reference.by_cell(), candidate.by_cell()
    checks: list[Check] = []
    for cell_id, ref in ref_cells.items():
        task, model = str(ref.task), _who(ref)
        cand = cand_cells.get(cell_id)
        if cand is None:
            checks.append(Check(task, model, "cell", str(ref.status), "missing", "not run", "present",
                                "regression"))
            continue
        if ref.ok and not cand.ok:
            checks.append(Check(task, model, "status", "ok", "failed", str(cand.error or "")[:160], "ok",
                                "regression"))
            continue
        if not ref.ok:
            improved = cand.ok
            checks.append(Check(task, model, "status", "failed", "ok" if improved else "failed", "", "–",
                                "improved" if improved else "ok"))
            continue
        if ref.n_test_items != cand.n_test_items:
            notes.append(f"{cell_id}: test items differ ({ref.n_test_items} vs {cand.n_test_items})")
        checks += _quality_checks(task, model, ref, cand, tol.quality_for(task))
        if with_costs:
            checks += _cost_checks(task, model, ref, cand, tol)
    for cell_id, cand in cand_cells.items():
        if cell_id not in ref_cells:
            checks.append(Check(str(cand.task), _who(cand), "cell", "absent", str(cand.status), "new cell", "–",
                                "note"))
    ref_tasks, cand_tasks = reference.meta.get("tasks") or {}, candidate.meta.get("tasks") or {}
    for task, info in ref_tasks.items():
        now = cand_tasks.get(task) or {}
        if now and info.get("data_sha256") and now.get("data_sha256") != info.get("data_sha256"):
            notes.append(f"task {task}: its data changed since the reference (quality compared anyway; refresh the "
                         "baseline if the change is intended)")
    for scenario in sorted({r.scenario for r in reference.records}):
        checks += _recommendation_checks(reference, candidate, key, scenario, notes)
    return Comparison(reference.label, candidate.label, checks, notes, with_costs, tol)


def _recommendation_checks(reference: Side, candidate: Side, key: str, scenario: str, notes: list[str]) -> list[Check]:
    """One check per task: the recommendation of `scenario` is the same model as in the reference."""
    checks = []
    before, after = _rankings(reference, key, scenario), _rankings(candidate, key, scenario)
    label = f"recommended ({key})" + ("" if scenario == "single" else f", {scenario}")
    for task, ranking in before.items():
        chosen, now_ranking = ranking.recommended, after.get(task)
        if now_ranking is None and split_tasks(task, after):  # ran on several hardware classes: no one choice
            notes.append(f"task {task}: its cells ran on several hardware classes; recommendations are per class "
                         f"({', '.join(split_tasks(task, after))}), not compared")
            continue
        now = now_ranking.recommended if now_ranking is not None else None
        same = now_ranking is not None and now == chosen
        checks.append(Check(task, "–", label, chosen or "none", now or "none",
                            "same" if same else _why_changed(chosen, now_ranking, key), "same model",
                            "ok" if same else "regression"))
    return checks


def write_outputs(comparison: Comparison, run_dir: Path | None, step_summary: str | None = None) -> Path | None:
    """compare.md and compare.json next to the candidate run; the table also goes to a CI job summary."""
    text = comparison.markdown()
    if step_summary:
        with Path(step_summary).open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    if run_dir is None:
        return None
    write_json_atomic(run_dir / COMPARE_JSON, comparison.to_dict())
    path = run_dir / COMPARE_MD
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(comparison.markdown(show_all=True), encoding="utf-8")
    tmp.replace(path)
    return path
