"""Checks of a task's data as a whole, beyond each row: what would make the scores mean less than they say.

- Duplicate ids are errors: ids key the audit trail (samples.jsonl) and per-item comparisons, so two
  items with one id make a prediction ambiguous; they usually come from pasting two exports together.
- Test items whose text is also in train or dev, and labels with test items but no training item, are
  warnings: both happen in real data (short templated mails repeat; a rare service may have no
  example and zero-shot methods still serve it), but they inflate or cap the scores of trained methods.
  They are printed when a run starts and kept in the manifest, in every record of the task and in the
  report's caveats, so that a reader can judge.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bench.kinds import KINDS
from bench.spec.errors import ConfigError

if TYPE_CHECKING:
    from bench.spec.tasks import Item, Task

MAX_EXAMPLES = 3


def _where(item: Item) -> str:
    return f"{item.path.name if item.path else '?'}:{item.line}"


def duplicate_ids(items: Iterable[Item], id_column: str | None) -> list[ConfigError]:
    """One error per repeated id (at its second occurrence), when the data declares its ids."""
    if not id_column:
        return []
    items = list(items)
    files = {str(item.path): None for item in items}  # in the order of the splits in task.yaml
    order = {name: index for index, name in enumerate(files)}
    first: dict[str, Item] = {}
    errors = []
    for item in sorted(items, key=lambda i: (order[str(i.path)], i.line or 0)):  # an auto split is shuffled
        if item.id in first:
            errors.append(ConfigError(item.path or "?", item.line, id_column,
                                      f"duplicate id '{item.id}' (first at {_where(first[item.id])})"))
        else:
            first[item.id] = item
    return errors


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def data_warnings(task: Task) -> list[str]:
    """Leakage between test and train/dev, and labels the training data never shows."""
    warnings = []
    test = task.splits.get("test", [])
    seen = {_norm(item.text): item for split in ("train", "dev") for item in task.splits.get(split, [])}
    leaked = [(item, seen[_norm(item.text)]) for item in test if _norm(item.text) in seen]
    if leaked:
        examples = ", ".join(f"{_where(t)} = {_where(o)}" for t, o in leaked[:MAX_EXAMPLES])
        warnings.append(f"task '{task.name}': {len(leaked)} of {len(test)} test items have the same text as a "
                        f"train/dev item (e.g. {examples}): scores of methods that learn from train/dev are inflated")
    if KINDS[task.spec.kind].labelled and task.splits.get("train"):
        trained = {str(item.target) for item in task.splits["train"]}
        unseen = sorted({str(item.target) for item in test} - trained)
        if unseen:
            warnings.append(f"task '{task.name}': labels {unseen} have test items but no training item: methods "
                            "that learn from train cannot predict them")
    return warnings
