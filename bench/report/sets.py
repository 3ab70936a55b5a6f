"""Report blocks for tasks with several test sets, and the paired differences of every task.

- One row per candidate and test set: the gate metric with its interval, the error-rate limits, the verdict
  on that set, and the paired difference with the recommended candidate on the same items.
- Transfer: per candidate, the drop from the first set to each other one, and the rank correlation of the
  candidates between sets. A low correlation warns that the shipped data does not predict the user's.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from bench.decide.rank import TaskRanking
from bench.numbers import as_float
from bench.report import i18n
from bench.report.blocks import Block, Bullets, Heading, Paragraph, Table
from bench.report.i18n import integer, interval, metric_name, points, t, verdict_name

LOW_RANK_CORRELATION = 0.5




def _col(row: pd.Series, set_name: str, metric: str, suffix: str = "") -> Any:
    return row.get(f"{set_name}:{metric}{suffix}")


def set_table(ranking: TaskRanking, lang: str) -> Table:
    """Candidate × test set: score, limits, verdict on the set, paired difference with the reference."""
    metric = ranking.metric
    header = (t(lang, "model"), t(lang, "test_set"), t(lang, "n_col"), f"{metric_name(metric, lang)} [95 %]",
              *(f"{metric_name(m, lang)} ≤ {i18n.score(v, lang)}" for m, v in ranking.limits.items()),
              t(lang, "verdict"), t(lang, "paired_col", model=ranking.paired_reference or "–"), t(lang, "mdd_col"))
    rows = []
    for _, row in ranking.table.iterrows():
        model = str(row["model_id"])
        for set_name in ranking.sets:
            diff = (ranking.paired.get(model) or {}).get(set_name)
            paired = "–" if diff is None else i18n.paired_words(diff, lang)
            mdd = "–" if diff is None or math.isnan(diff.mdd) else f"{points(diff.mdd, lang).lstrip('+')} pt"
            rows.append((model, set_name, integer(_col(row, set_name, metric, "_n"), lang),
                         interval(_col(row, set_name, metric), _col(row, set_name, metric, "_ci_low"),
                                  _col(row, set_name, metric, "_ci_high"), lang),
                         *(interval(_col(row, set_name, m), _col(row, set_name, m, "_ci_low"),
                                    _col(row, set_name, m, "_ci_high"), lang) for m in ranking.limits),
                         verdict_name(str(row.get(f"{set_name}:verdict", row["verdict"])), lang), paired, mdd))
    numeric = (False, False, True, False, *([False] * len(ranking.limits)), False, False, True)
    return Table(header, tuple(rows), numeric)


def rank_correlation(ranking: TaskRanking, first: str, other: str) -> tuple[float, int]:
    """Spearman correlation of the candidates' scores on two sets, and how many candidates it rests on."""
    metric = ranking.metric
    pairs = [(as_float(_col(r, first, metric)), as_float(_col(r, other, metric))) for _, r in ranking.table.iterrows()]
    pairs = [(a, b) for a, b in pairs if not (math.isnan(a) or math.isnan(b))]
    if len(pairs) < 3:
        return math.nan, len(pairs)
    frame = pd.DataFrame(pairs, columns=["a", "b"])
    return float(frame["a"].corr(frame["b"], method="spearman")), len(pairs)


def transfer_blocks(ranking: TaskRanking, lang: str) -> list[Block]:
    """Drop per candidate from the first set to each other, and the rank correlation between sets."""
    if len(ranking.sets) < 2:
        return []
    first, metric = ranking.sets[0], ranking.metric
    lines = []
    for other in ranking.sets[1:]:
        rho, n = rank_correlation(ranking, first, other)
        warn = not math.isnan(rho) and rho < LOW_RANK_CORRELATION
        lines.append(t(lang, "transfer_rho", first=first, other=other, n=n,
                       rho="–" if math.isnan(rho) else i18n.score(rho, lang)) + (t(lang, "transfer_warn")
                                                                                    if warn else ""))
        for _, row in ranking.table.iterrows():
            a, b = as_float(_col(row, first, metric)), as_float(_col(row, other, metric))
            if not (math.isnan(a) or math.isnan(b)):
                lines.append(t(lang, "transfer_drop", model=row["model_id"], first=first, other=other,
                               delta=points(b - a, lang)))
    return [Heading(3, t(lang, "transfer_h")), Paragraph(t(lang, "transfer_intro", metric=metric_name(metric, lang))),
            Bullets(tuple(lines))]


def task_blocks(ranking: TaskRanking, lang: str) -> list[Block]:
    """The per-set table (always: it carries the paired differences) and, with several sets, the transfer."""
    return [Heading(3, t(lang, "sets_h")), set_table(ranking, lang), *transfer_blocks(ranking, lang)]
