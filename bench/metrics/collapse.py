"""Flag a classifier that gives one answer for most items while the gold labels are spread.

A model that names one service for every mail can still reach a fair accuracy on a skewed set, and on a
balanced set its score alone does not say why it is low. The flag says it plainly: `answer` was given
for `share` of the items (more than `threshold`), while no gold label covers more than `threshold` of
them; `gold_share` is how many items actually have that answer as gold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

THRESHOLD = 0.5


def collapse(predictions: Sequence[Any], gold: Sequence[Any], threshold: float = THRESHOLD) -> dict[str, Any] | None:
    """{"answer", "share", "gold_share", "n"} when one answer covers more than `threshold` of the items
    while the gold is spread (its most frequent label covers at most `threshold`); None otherwise."""
    if len(predictions) != len(gold):
        raise ValueError(f"{len(predictions)} predictions for {len(gold)} gold labels")
    if not predictions:
        return None
    answers = Counter(str(p) for p in predictions)
    answer, count = min(answers.items(), key=lambda pair: (-pair[1], pair[0]))
    golds = Counter(str(g) for g in gold)
    n = len(predictions)
    if count / n <= threshold or max(golds.values()) / n > threshold:
        return None
    return {"answer": answer, "share": round(count / n, 4), "gold_share": round(golds[answer] / n, 4), "n": n}
