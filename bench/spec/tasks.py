"""Load a task: its validated task.yaml and its data splits, with row-level error reporting."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.hashing import sha256_file
from bench.kinds import KINDS
from bench.spec.config import TaskSpec
from bench.spec.datachecks import duplicate_ids
from bench.spec.datafile import read_rows
from bench.spec.errors import ConfigError, ConfigErrors
from bench.spec.yamlfile import load_model

Target = str | dict[str, str | None]
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    target: Target
    also: tuple[str, ...] = ()  # classification: other acceptable labels
    path: Path | None = field(default=None, compare=False, repr=False)  # where the item was read, for errors
    line: int | None = field(default=None, compare=False, repr=False)


@dataclass
class Task:
    spec: TaskSpec
    directory: Path
    splits: dict[str, list[Item]]
    data_sha256: dict[str, str]  # file (relative to the task directory) -> sha256
    extra: dict[str, Any] = field(default_factory=dict)
    # Test sets other than the `test` split, in declaration order (name -> items).
    more_test_sets: dict[str, list[Item]] = field(default_factory=dict)

    @property
    def test_sets(self) -> dict[str, list[Item]]:
        """Every test set, the `test` split first: a candidate must pass on each."""
        return {"test": self.splits["test"], **self.more_test_sets}

    def set_gate(self, name: str) -> float:
        """The gate threshold of one test set: its own `min` when the task states one, else the task's."""
        spec = self.spec.data.test_sets.get(name)
        return spec.min if spec is not None and spec.min is not None else self.spec.good_enough.min

    @property
    def name(self) -> str:
        return self.spec.name

    def sizes(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.splits.items()}

    def limited(self, train: int | None, test: int | None, seed: int = 0) -> Task:
        """A copy with at most `train`/`test` items, drawn with a fixed seed so every model sees the same.

        The draw is a seeded permutation cut at `count`, so a smaller count gives a subset of a larger one.
        """
        def take(items: list[Item], count: int | None) -> list[Item]:
            if count is None or count >= len(items):
                return items
            order = list(range(len(items)))
            random.Random(seed).shuffle(order)
            return [items[i] for i in sorted(order[:count])]

        splits = dict(self.splits)
        splits["train"] = take(splits.get("train", []), train)
        splits["test"] = take(splits["test"], test)
        more = {name: take(items, test) for name, items in self.more_test_sets.items()}
        return Task(self.spec, self.directory, splits, self.data_sha256, self.extra, more)


def _read_rows(path: Path, spec: TaskSpec) -> list[tuple[int, dict[str, Any]]]:
    columns = spec.data.columns
    return read_rows(path, spec.data.format, [c for c in (columns.id, columns.input, columns.target) if c])


def _to_item(spec: TaskSpec, path: Path, number: int, row: dict[str, Any], index: int) -> Item:
    columns = spec.data.columns
    for role, column in (("input", columns.input), ("target", columns.target)):
        if column not in row or row[column] in (None, ""):
            raise ConfigError(path, number, column, f"missing {role} column '{column}'")
    text = row[columns.input]
    if not isinstance(text, str):
        raise ConfigError(path, number, columns.input, "the input must be a string")
    try:
        target: Target = KINDS[spec.kind].rules().target(row[columns.target], spec.labels,
                                                         [f.name for f in spec.fields or []])
    except ValueError as exc:
        raise ConfigError(path, number, columns.target, str(exc)) from exc
    item_id = str(row[columns.id]) if columns.id and row.get(columns.id) is not None else f"{path.stem}-{index}"
    also = _also(spec, path, number, row)
    return Item(item_id, text, target, also, path, number)


def _also(spec: TaskSpec, path: Path, number: int, row: dict[str, Any]) -> tuple[str, ...]:
    """Other acceptable labels of a classification row: a JSON list, or "a|b" in a CSV cell."""
    column = spec.data.columns.also
    if column is None or not KINDS[spec.kind].labelled or row.get(column) in (None, ""):
        return ()
    value = row[column]
    if isinstance(value, str):
        value = [v.strip() for v in value.split("|") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, number, column, "must be a list of labels (or 'a|b' in a CSV cell)")
    unknown = [v for v in value if spec.labels is not None and v not in spec.labels]
    if unknown:
        raise ConfigError(path, number, column, f"unknown label(s) {unknown} (declared: {sorted(spec.labels or {})})")
    return tuple(value)


def _load_file(spec: TaskSpec, path: Path) -> list[Item]:
    if not path.is_file():
        raise ConfigError(path, None, None, "data file not found")
    errors: list[ConfigError] = []
    items: list[Item] = []
    for index, (number, row) in enumerate(_read_rows(path, spec)):
        try:
            items.append(_to_item(spec, path, number, row, index))
        except ConfigError as err:
            errors.append(err)
    if errors:
        raise ConfigErrors(errors[:20])  # the first 20 are enough to see the pattern
    return items


def load_task(directory: Path) -> Task:
    """Read `directory/task.yaml` and its data; refuse bad rows before anything is measured."""
    yaml_path = directory / "task.yaml"
    spec = load_model(TaskSpec, yaml_path)
    if spec.name != directory.name:
        raise ConfigError(yaml_path, None, "name", f"'{spec.name}' must match the folder name '{directory.name}'")
    data = spec.data
    hashes: dict[str, str] = {}
    splits: dict[str, list[Item]] = {}
    if data.splits is not None:
        for split, files in data.splits.items():
            splits[split] = []
            for relative in [files] if isinstance(files, str) else files:
                path = directory / relative
                splits[split] += _load_file(spec, path)
                hashes[relative] = sha256_file(path)
    else:
        assert data.path is not None
        path = directory / data.path
        items = _load_file(spec, path)
        hashes[data.path] = sha256_file(path)
        splits = auto_split(items, data.split.test_fraction if data.split else 0.3,
                            data.split.dev_fraction if data.split else 0.0, data.split.seed if data.split else 13)
    splits.setdefault("train", [])
    splits.setdefault("dev", [])
    duplicates = duplicate_ids((item for items in splits.values() for item in items), data.columns.id)
    if duplicates:
        raise ConfigErrors(duplicates[:20])
    if not splits["test"]:
        raise ConfigError(yaml_path, None, "data", "the test split is empty")
    more: dict[str, list[Item]] = {}
    for name, set_spec in data.test_sets.items():
        if set_spec.path is None:  # `test` itself, listed for its provenance or gate
            continue
        path = directory / set_spec.path
        more[name] = _load_file(spec, path)
        hashes[set_spec.path] = sha256_file(path)
        if not more[name]:
            raise ConfigError(yaml_path, None, f"data.test_sets.{name}", "this test set is empty")
    return Task(spec, directory, splits, hashes, more_test_sets=more)


def auto_split(items: list[Item], test_fraction: float, dev_fraction: float, seed: int) -> dict[str, list[Item]]:
    """Shuffle with a fixed seed and cut: the same file always gives the same split."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    n_test = max(1, round(len(items) * test_fraction))
    n_dev = round(len(items) * dev_fraction)
    pick = [items[i] for i in order]
    return {"test": pick[:n_test], "dev": pick[n_test:n_test + n_dev], "train": pick[n_test + n_dev:]}


def discover_tasks(root: Path) -> list[Path]:
    """Task folders under `root` (each holds a task.yaml)."""
    return sorted(p.parent for p in root.glob("*/task.yaml"))
