"""Inside a cell of a frugal run: score the test sets batch by batch and stop once each is decided.

The sets are visited in turn, one batch of items each (in the order of the seeded draw, as a full run
scores them), so that a set that clearly fails is found early. Scoring stops:
- for a set, once it clearly passes (bench.decide.stopping) or has no item left;
- for the whole candidate, once one set clearly fails: the gate must hold on every set, so the
  others cannot change the verdict (they stay unscored, and the record says so).
Items the cost probe already answered are scored without a look (a stop there would save nothing, and
fewer looks keep the sequence valid): a set the probe answered in full is scored in full, with the
fixed-n intervals of a full run.
A set that ran to its end is scored with the fixed-n intervals of a full run (its n was fixed in advance);
a set stopped early keeps the anytime-valid interval of its sequence for the gate's conditions, the only
interval valid at a data-chosen n.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.decide.macrobound import METHOD as MACRO_METHOD
from bench.decide.macrobound import MacroF1Bound, macro_f1_bound
from bench.decide.stopping import Condition, Decision, decide
from bench.kinds import KINDS
from bench.run.record import FrugalJob
from bench.run.samplefile import write_samples
from bench.spec.tasks import Item, Task

CS_METHOD = "betting-cs"  # Waudby-Smith & Ramdas hedged capital, see bench.decide.sequential


def conditions_of(gate: dict[str, Any], set_name: str) -> list[Condition]:
    """The set's gate as conditions: its minimum on the gate metric, then each error-rate maximum."""
    minimum = float((gate.get("sets") or {}).get(set_name, gate["min"]))
    return [Condition(str(gate["metric"]), minimum),
            *(Condition(str(m), float(v), True) for m, v in (gate.get("limits") or {}).items())]


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


class SetRun:
    """One test set being scored: the items so far, their predictions, per-item scores, and the state."""

    def __init__(self, name: str, items: list[Item], conditions: list[Condition],
                 macro: MacroF1Bound | None = None) -> None:
        self.name, self.items, self.conditions, self.macro = name, items, conditions, macro
        self.predictions: list[Any] = []
        self.rows: list[dict[str, float]] = []
        self.decision = Decision("open")
        self.stop = ""

    def decision_rows(self) -> list[dict[str, float]]:
        """The per-item scores, with each item's value under the macro-F1 bound when the set has one."""
        if self.macro is None:
            return self.rows
        items = self.items[:self.scored]
        return self.macro.with_values(self.rows, [str(i.target) for i in items], self.predictions,
                                      [i.also for i in items])

    @property
    def scored(self) -> int:
        return len(self.predictions)

    @property
    def done(self) -> bool:
        return bool(self.stop)


def score_sequentially(task: Task, samples_path: Path, frugal: FrugalJob, predict: Callable[[str], Any], *,
                       resamples: int, seed: int) -> dict[str, Any]:
    """Predict and score in batches until every set is decided; the record's quality and stop figures."""
    from bench.decide.rank import items_needed
    from bench.metrics import per_item_scores

    spec_t = task.spec
    if frugal.gate is None:
        raise ValueError("sequential scoring needs the task's gate")
    alpha, batch = 1.0 - frugal.level, frugal.batch
    runs = [SetRun(name, list(items), conditions_of(frugal.gate, name), _macro_bound(task, items, alpha))
            for name, items in task.test_sets.items()]
    known = dict(frugal.known or {})
    reused = 0
    cpu0 = _cpu()
    failed_on: str | None = None
    while failed_on is None and not all(r.done for r in runs):
        for run in (r for r in runs if not r.done):
            chunk = run.items[run.scored:run.scored + batch]
            preds = []
            asked = False
            for item in chunk:  # the probe's answers first: the same model already gave them
                if run.name == "test" and item.id in known:
                    preds.append(known.pop(item.id))
                    reused += 1
                else:
                    preds.append(predict(item.text))
                    asked = True
            run.predictions += preds
            run.rows += per_item_scores(spec_t.kind, [i.target for i in chunk], preds, fields=spec_t.fields,
                                        also=[i.also for i in chunk] if spec_t.data.columns.also else None,
                                        sources=[i.text for i in chunk] if KINDS[spec_t.kind].reads_sources else None,
                                        budget=spec_t.length_budget_words)
            if not asked and run.scored < len(run.items):
                continue  # answers already paid for: stopping here would save nothing, so no look
            run.decision = decide(run.conditions, run.decision_rows(), alpha, items_needed(run.conditions[0].bound),
                                  run.macro)
            if run.decision.state == "fail":
                run.stop, failed_on = f"below the gate: {run.decision.reason}", run.name
                break
            if run.decision.state == "pass":
                run.stop = f"above the gate: {run.decision.reason}"
            elif run.scored >= len(run.items):
                run.stop = "every item scored"
    cpu_s = _cpu() - cpu0
    for run in runs:
        if not run.done:
            run.stop = f"not scored further: the candidate fails on {failed_on}"
    return _figures(task, runs, samples_path, frugal, cpu_s, reused, resamples=resamples, seed=seed)


def _macro_bound(task: Task, items: list[Item], alpha: float) -> MacroF1Bound | None:
    """The set's macro-F1 bound, over all the items the full run would score (classification only)."""
    spec_t = task.spec
    if not KINDS[spec_t.kind].labelled:
        return None
    also = [item.also for item in items] if spec_t.data.columns.also else None
    return macro_f1_bound([str(item.target) for item in items], also, spec_t.labels or None, alpha=alpha)


def _figures(task: Task, runs: list[SetRun], samples_path: Path, frugal: FrugalJob, cpu_s: float, reused: int,
             *, resamples: int, seed: int) -> dict[str, Any]:
    from bench.metrics import scores_for
    from bench.metrics.collapse import collapse

    spec_t = task.spec
    labels = sorted(spec_t.labels) if spec_t.labels else None
    by_set: dict[str, dict[str, Any]] = {}
    collapsed: dict[str, Any] = {}
    scored = [r for r in runs if r.scored]
    t0 = time.perf_counter()
    with samples_path.open("w", encoding="utf-8") as handle:
        for run in scored:
            items = run.items[:run.scored]
            gold = [item.target for item in items]
            quality = scores_for(spec_t.kind, gold, run.predictions, labels=labels, fields=spec_t.fields,
                                 resamples=resamples, seed=seed,
                                 also=[i.also for i in items] if spec_t.data.columns.also else None,
                                 sources=[i.text for i in items] if KINDS[spec_t.kind].reads_sources else None,
                                 budget=spec_t.length_budget_words)
            by_set[run.name] = {name: s.to_dict() for name, s in quality.items() if name in spec_t.metrics}
            if run.scored < len(run.items):  # a data-chosen n: only the sequence's interval is valid there
                for metric, cs in run.decision.intervals.items():
                    method = MACRO_METHOD if metric == "macro_f1" else CS_METHOD
                    by_set[run.name][metric].update(ci_low=cs.low, ci_high=cs.high, method=method)
            if KINDS[spec_t.kind].labelled:
                collapsed[run.name] = collapse(run.predictions, gold)
            write_samples(handle, run.name, items, run.predictions, run.rows)
    scored_items = sum(r.scored for r in runs)
    total = sum(len(r.items) for r in runs)
    predicted = scored_items - reused  # the items this process asked the model about
    per_item_cpu = cpu_s / predicted if predicted else 0.0
    first = runs[0].name
    flags = {"collapse": collapsed.get(first), "collapse_sets": collapsed} if collapsed else {}
    return {
        "quality": by_set.get(first, {}), "quality_sets": by_set,
        "n_items_by_set": {r.name: r.scored for r in scored}, "unscored_sets": [r.name for r in runs if not r.scored],
        "sequential": {
            "level": frugal.level, "batch": frugal.batch, "method": CS_METHOD,
            "sets": {r.name: {"scored": r.scored, "items": len(r.items), "stop": r.stop} for r in runs},
            "items_scored": scored_items, "items_total": total, "items_from_probe": reused,
            "cpu_s_scoring": cpu_s, "cpu_s_per_item": per_item_cpu,
            # An estimate: the items left out would have cost what the scored ones cost on average.
            "cpu_s_saved_estimate": per_item_cpu * (total - scored_items),
            "figures_s": time.perf_counter() - t0,
        },
        **flags,
    }
