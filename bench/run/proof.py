"""The proof that shard runs can be joined into one run, or the list of what stands in the way.

Shards join only when they ran the same code (commit, harness and Python version, packages) on the same
task data and weights (hashes in the manifests and in every record), with the same suite and settings,
cut from the same plan and partition, on machines of one hardware class. Every difference is named with
the shards on each side, so the user sees at once which machine to fix or which shard to rerun.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.decide.hwclass import class_label, hardware_class

# Settings that belong to the hardware class (threads, profile) or to the machine's layout (models_dir).
NOT_SETTINGS = ("threads", "profile", "models_dir")
SHOWN_CHARS = 72  # a sha256 in full


@dataclass(frozen=True)
class ShardRun:
    path: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]]  # the last record of each cell

    @property
    def shard(self) -> Mapping[str, Any]:
        shard = self.manifest.get("shard")
        return shard if isinstance(shard, Mapping) else {}

    @property
    def label(self) -> str:
        shard = self.shard
        where = f"shard {shard.get('index')}/{shard.get('count')}" if shard else "not a shard"
        return f"{where} ({self.manifest.get('run_id') or self.path.name})"

    @property
    def hardware(self) -> dict[str, Any]:
        return hardware_class(self.manifest)


@dataclass
class Proof:
    differences: list[str] = field(default_factory=list)  # any of them refuses the merge
    warnings: list[str] = field(default_factory=list)
    classes: dict[str, list[ShardRun]] = field(default_factory=dict)  # hardware class label -> its shards
    plan: list[str] = field(default_factory=list)

    @property
    def mixed(self) -> bool:
        return len(self.classes) > 1


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _leaves(value: Any, prefix: str) -> dict[str, Any]:
    """Nested mappings as dotted paths to their values, so a difference is named down to the field."""
    if isinstance(value, Mapping):  # an empty one has no leaves: its fields read as absent
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_leaves(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def differences(what: str, values: Mapping[str, Any]) -> list[str]:
    """One line per field whose value is not the same in every shard (label -> value)."""
    leaves = {label: _leaves(value, what) for label, value in values.items()}
    paths = sorted({path for leaf in leaves.values() for path in leaf})
    lines = []
    for path in paths:
        groups: dict[str, list[str]] = {}
        for label, leaf in leaves.items():
            shown = _show(leaf[path]) if path in leaf else "absent"
            groups.setdefault(shown, []).append(label)
        if len(groups) > 1:
            lines.append(f"{path} differs: " + "; ".join(f"{value} in {', '.join(labels)}"
                                                          for value, labels in groups.items()))
    return lines


def _settings(run: ShardRun) -> dict[str, Any]:
    settings = run.manifest.get("settings") or {}
    return {k: v for k, v in settings.items() if k not in NOT_SETTINGS}


def _environment(run: ShardRun) -> dict[str, Any]:
    manifest = run.manifest
    return {"git_sha": manifest.get("git_sha"), "frugal_bench_version": manifest.get("frugal_bench_version"),
            "python": (manifest.get("hardware") or {}).get("python"), "packages": manifest.get("packages") or {}}


def _inputs(run: ShardRun) -> dict[str, Any]:
    """Task data and weights as the manifest pinned them, then as each cell found them."""
    tasks = {name: {k: info.get(k) for k in ("version", "data_sha256", "gate")}
             for name, info in (run.manifest.get("tasks") or {}).items()}
    models = {mid: {k: info.get(k) for k in ("files_sha256", "source")}
              for mid, info in (run.manifest.get("models") or {}).items()}
    return {"tasks": tasks, "models": models}


def _record_hashes(runs: list[ShardRun]) -> list[str]:
    """Hashes the cells saw: the data of a task and the weights of a model must be one and the same everywhere."""
    seen: dict[str, dict[str, Any]] = {}
    for run in runs:
        for record in run.records:
            if record.get("data_sha256"):
                seen.setdefault(f"data of task {record.get('task')}", {}).setdefault(run.label, record["data_sha256"])
            if record.get("weights_sha256"):
                seen.setdefault(f"weights of model {record.get('model_id')}", {}).setdefault(
                    run.label, record["weights_sha256"])
    lines = []
    for what, values in sorted(seen.items()):
        if len({json.dumps(v, sort_keys=True) for v in values.values()}) > 1:
            lines += [f"{line} (as the cells hashed it)" for line in differences(what, values)]
    return lines


def _structure(runs: list[ShardRun], proof: Proof) -> None:
    """Same plan and partition everywhere; each shard once; each planned cell recorded exactly once."""
    disagree = differences("shard.count", {r.label: r.shard.get("count") for r in runs})
    disagree += differences("plan (cells)", {r.label: sorted(r.shard.get("plan") or []) for r in runs})  # any order
    disagree += differences("partition", {r.label: r.shard.get("slices") for r in runs})
    if disagree:
        proof.differences += disagree
        return  # cells cannot be checked against plans that disagree
    first = runs[0].shard
    count, proof.plan = int(first.get("count") or 0), [str(c) for c in first.get("plan") or []]
    slices = [list(s) for s in first.get("slices") or []]
    by_index: dict[int, list[ShardRun]] = {}
    for run in runs:
        by_index.setdefault(int(run.shard.get("index", -1)), []).append(run)
    for index, same in sorted(by_index.items()):
        if len(same) > 1:
            proof.differences.append(f"shard {index}/{count} given {len(same)} times: "
                                     + ", ".join(str(r.path) for r in same))
    absent = [i for i in range(count) if i not in by_index]
    holders: dict[str, list[ShardRun]] = {}
    for run in runs:
        for record in run.records:
            holders.setdefault(str(record.get("cell_id")), []).append(run)
    for cell in proof.plan:
        owners = holders.get(cell, [])
        if len(owners) > 1:
            proof.differences.append(f"cell {cell} duplicated: recorded by {', '.join(r.label for r in owners)}")
        elif not owners:
            slot = next((i for i, s in enumerate(slices) if cell in s), None)
            runs_of = by_index.get(slot, []) if slot is not None else []
            hint = (f"finish it with `frugal-bench run --resume {runs_of[0].path.name} --shard {slot}/{count}`"
                    if runs_of else f"shard {slot}/{count} was not given")
            proof.differences.append(f"cell {cell} missing: no shard recorded it ({hint})")
    proof.differences += [f"cell {cell} recorded by {', '.join(r.label for r in owners)} is not in the plan"
                          for cell, owners in sorted(holders.items()) if cell not in set(proof.plan)]
    for index in absent:
        if index < len(slices) and not slices[index]:
            proof.warnings.append(f"shard {index}/{count} not given; its slice is empty")


def prove(runs: list[ShardRun], allow_mixed_hardware: bool = False) -> Proof:
    """Everything that must hold before `runs` are one run; `proof.differences` lists what does not."""
    proof = Proof()
    not_shards = [r for r in runs if not r.shard]
    proof.differences += [f"{r.path}: not a shard (its manifest has no 'shard'); start shards with "
                          "`frugal-bench run --shard K/N`" for r in not_shards]
    if not_shards or not runs:
        return proof
    labels = {r.label: r for r in runs}
    proof.differences += differences("", {label: _environment(r) for label, r in labels.items()})
    proof.differences += differences("", {label: _inputs(r) for label, r in labels.items()})
    proof.differences += differences("settings", {label: _settings(r) for label, r in labels.items()})
    proof.differences += _record_hashes(runs)
    for run in runs:
        proof.classes.setdefault(class_label(run.hardware), []).append(run)
    if proof.mixed:
        lines = differences("hardware", {label: r.hardware for label, r in labels.items()})
        if allow_mixed_hardware:
            proof.warnings += [f"{line}; kept apart (costs are compared only within one class)" for line in lines]
        else:
            proof.differences += [f"{line} (merge with --allow-mixed-hardware to keep the classes apart "
                                  "in the report)" for line in lines]
    proof.warnings += [f"{r.label} ran from a modified checkout (git_dirty): its code cannot be proven the same"
                       for r in runs if r.manifest.get("git_dirty")]
    _structure(runs, proof)
    return proof
