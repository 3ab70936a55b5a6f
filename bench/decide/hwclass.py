"""Hardware classes: costs (latency, energy, memory) are compared only between cells of one class.

A class is what makes two machines' cost figures comparable: the same CPU model, the same threads per
cell and the same target profile. A merged run stamps each record with its shard's class; a task whose
cells ran on several classes (`merge --allow-mixed-hardware`) is ranked once per class, never across them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.run.record import CellRecord

CLASS_FIELDS = ("cpu_model", "threads", "profile")


def hardware_class(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The class of the machine that wrote a run's manifest."""
    settings = manifest.get("settings") or {}
    profile = settings.get("profile") or {}
    return {"cpu_model": (manifest.get("hardware") or {}).get("cpu_model"), "threads": settings.get("threads"),
            "profile": profile.get("profile") if isinstance(profile, Mapping) else None}


def class_label(cls: Mapping[str, Any]) -> str:
    threads = cls.get("threads")
    label = f"{cls.get('cpu_model') or 'unknown CPU'}, {threads or '?'} thread{'' if threads == 1 else 's'}"
    return label + (f", profile {cls['profile']}" if cls.get("profile") else "")


def split_task(task: str, label: str) -> str:
    return f"{task} [{label}]"


def keep_apart(records: list[CellRecord], gates: Mapping[str, tuple[str, float]] | None
               ) -> tuple[list[CellRecord], dict[str, tuple[str, float]]]:
    """Records (and gate overrides) with each task that spans several classes split into one task per class."""
    classes: dict[str, set[str]] = {}
    for record in records:
        if record.hardware_class:
            classes.setdefault(str(record.task), set()).add(record.hardware_class)
    mixed = {task for task, seen in classes.items() if len(seen) > 1}
    out_gates = dict(gates or {})
    if not mixed:
        return records, out_gates
    out = []
    for record in records:
        task = str(record.task)
        if task in mixed:
            name = split_task(task, record.hardware_class or "unknown hardware")
            if task in out_gates:
                out_gates[name] = out_gates[task]
            record = record.model_copy(update={"task": name, "task_name": task})
        out.append(record)
    return out, out_gates


def split_tasks(task: str, rankings: Mapping[str, Any]) -> list[str]:
    """The per-class rankings a task was split into (empty when it ran on one class)."""
    return [name for name in rankings if name.startswith(f"{task} [")]
