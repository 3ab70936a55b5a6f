"""Paired comparisons: each candidate against the recommended one, on the items both were scored on.

Both candidates answer the same test items, so the uncertainty of their *difference* is much smaller than
what two separate intervals suggest. For every candidate and test set:
- the gate metric's difference (candidate − recommended) with a 95 % paired bootstrap interval: each
  resample draws the same items for both, and the statistic is recomputed on each side;
- for per-item correctness (classification), McNemar's exact test on the discordant pairs;
- the minimum detectable difference of the set: 2.8 bootstrap standard errors of the difference (a 5 %
  two-sided test with 80 % power), what the set can tell apart at all.
The words follow from the interval: it contains 0 -> "statistically tied", else "better"/"worse".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from bench.decide.rank import TaskRanking
from bench.kinds import Contributions, sample_rules
from bench.kinds.classification import correct_column
from bench.metrics.bootstrap import FloatArray, resample_chunk, resample_weights

RESAMPLES = 2000
POWER_FACTOR = 2.8  # z(0.975) + z(0.80): the difference a 5 % test detects with 80 % power, in SEs

Sample = dict[str, Any]


@dataclass(frozen=True)
class PairedDifference:
    """Candidate minus reference on the common items of one test set."""

    model_id: str
    reference: str
    test_set: str
    metric: str
    n: int
    delta: float
    ci_low: float
    ci_high: float
    mdd: float  # minimum detectable difference of this set for this pair
    mcnemar_p: float | None = None  # exact McNemar p-value (per-item correctness), when it applies
    method: str = "paired percentile bootstrap"

    @property
    def tied(self) -> bool:
        return self.ci_low <= 0.0 <= self.ci_high

    @property
    def direction(self) -> str:
        """"tied", "better" or "worse" (the candidate against the reference)."""
        if self.tied or math.isnan(self.delta):
            return "tied"
        return "better" if self.delta > 0 else "worse"


def contributions_for(kind: str, metric: str, labels: Sequence[str] | None) -> Contributions:
    return sample_rules(kind).contributions(metric, list(labels or []))


def paired_difference(candidate: Sequence[Sample], reference: Sequence[Sample], build: Contributions, *,
                      model_id: str = "", reference_id: str = "", test_set: str = "test", metric: str = "",
                      resamples: int = RESAMPLES, seed: int = 0) -> PairedDifference:
    """Difference of `metric` on the items both sides share (matched by item id)."""
    by_id = {s["item_id"]: s for s in reference}
    common = [s for s in candidate if s["item_id"] in by_id]
    if not common:
        raise ValueError("the two candidates share no scored item")
    ref = [by_id[s["item_id"]] for s in common]
    a, stat_a = build(common)
    b, stat_b = build(ref)
    n = len(common)
    delta = float(stat_a(a.sum(axis=0, keepdims=True))[0] - stat_b(b.sum(axis=0, keepdims=True))[0])
    rng = np.random.default_rng(seed)
    diffs = np.empty(resamples)
    chunk = resample_chunk(n)
    for start in range(0, resamples, chunk):
        weights = resample_weights(n, min(chunk, resamples - start), rng)  # the same items for both sides
        diffs[start:start + len(weights)] = stat_a(weights @ a) - stat_b(weights @ b)
    low, high = (float(x) for x in np.percentile(diffs, [2.5, 97.5]))
    # A resample cannot show a difference the items never show: widen to include the point estimate.
    low, high = min(low, delta), max(high, delta)
    mdd = POWER_FACTOR * float(np.std(diffs, ddof=1)) if resamples > 1 else math.nan
    p_value = None
    if all("correct" in s.get("scores", {}) for s in (*common, *ref)):
        p_value = mcnemar_exact(correct_column(common), correct_column(ref))
    return PairedDifference(model_id, reference_id, test_set, metric, n, delta, low, high, mdd, p_value)


def mcnemar_exact(a_correct: FloatArray, b_correct: FloatArray) -> float:
    """Exact McNemar p-value: a two-sided binomial test on the pairs where exactly one side is right."""
    only_a = int(np.sum((a_correct > 0.5) & (b_correct < 0.5)))
    only_b = int(np.sum((a_correct < 0.5) & (b_correct > 0.5)))
    if only_a + only_b == 0:
        return 1.0
    return float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def read_samples(run_dir: Path, scenario: str = "single") -> dict[tuple[str, str, str], list[Sample]]:
    """(task, model id, test set) -> samples of the latest attempt of each cell of `scenario`; unreadable
    lines skipped."""
    from bench.run.plan import split_cell_id
    from bench.run.samplefile import latest_samples

    out: dict[tuple[str, str, str], list[Sample]] = {}
    for cell, rows in latest_samples(run_dir).items():
        task, model, row_scenario = split_cell_id(cell)
        if row_scenario == scenario:
            for row in rows:
                out.setdefault((task, model, str(row.get("test_set", "test"))), []).append(row)
    return out


def paired_for_task(samples: Mapping[tuple[str, str, str], list[Sample]], task: str, kind: str, metric: str,
                    labels: Sequence[str] | None, reference: str, candidates: Sequence[str],
                    sets: Sequence[str]) -> dict[str, dict[str, PairedDifference]]:
    """model id -> test set -> its paired difference with `reference` (sets where both have samples)."""
    build = contributions_for(kind, metric, labels)
    out: dict[str, dict[str, PairedDifference]] = {}
    for model in candidates:
        if model == reference:
            continue
        for set_name in sets:
            mine, ref = samples.get((task, model, set_name)), samples.get((task, reference, set_name))
            if not mine or not ref:
                continue
            try:
                diff = paired_difference(mine, ref, build, model_id=model, reference_id=reference,
                                         test_set=set_name, metric=metric)
            except (ValueError, KeyError, TypeError):
                continue  # samples of an older format: the report shows the point difference only
            out.setdefault(model, {})[set_name] = diff
    return out


def add_paired(rankings: Sequence[TaskRanking], run_dir: Path, manifest: Mapping[str, Any] | None) -> None:
    """Fill `ranking.paired` of every task that has a recommended candidate (or a closest one)."""
    samples = read_samples(run_dir, rankings[0].scenario if rankings else "single")
    if not samples:
        return
    tasks = (manifest or {}).get("tasks") or {}
    for ranking in rankings:
        reference = ranking.recommended or ranking.closest
        info = tasks.get(ranking.task) or {}
        if reference is None:
            continue
        kinds = [str(k) for k in ranking.table.get("task_kind", []) if isinstance(k, str)]
        kind = str(info.get("kind") or (kinds[0] if kinds else ""))
        ranking.paired = paired_for_task(samples, ranking.task, kind, ranking.metric, info.get("labels"), reference,
                                         [str(m) for m in ranking.table["model_id"]], ranking.sets)
        ranking.paired_reference = reference
