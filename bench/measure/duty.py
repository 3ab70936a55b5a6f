"""Duty cycle of a run: time inside model inference ÷ wall time of the whole run, and where the rest went."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Cell phases recorded by bench.cell (seconds), in the order they happen.
CELL_PHASES = {
    "startup_s": "cell start-up and imports",
    "task_data_s": "task data loading",
    "verify_weights_s": "weights sha256 check",
    "load_s": "model load",
    "fit_s": "fit on train/dev",
    "meter_setup_s": "energy meter set-up",
    "method_setup_s": "method set-up (its imports)",
    "warmup_s": "warm-up requests",
    "figures_s": "latency, energy and memory figures",
    "scoring_s": "scoring and writing",
}


def process_start_time() -> float:
    """Epoch time at which this process started (so interpreter start and imports count too)."""
    try:
        import psutil

        return float(psutil.Process().create_time())
    except Exception:  # pragma: no cover - psutil is a dependency; keep the CLI alive regardless
        return time.time()


@dataclass
class DutyCycle:
    wall_s: float
    inference_s: float
    parts: dict[str, float] = field(default_factory=dict)  # label -> seconds, the rest of the wall time

    @property
    def ratio(self) -> float:
        return self.inference_s / self.wall_s if self.wall_s > 0 else float("nan")

    def summary(self) -> str:
        rest = sorted(((s, label) for label, s in self.parts.items() if s >= 0.05), reverse=True)
        details = "; ".join(f"{label} {s:.1f} s" for s, label in rest)
        return (f"duty cycle {self.ratio:.2f}: {self.inference_s:.1f} s inside model inference of "
                f"{self.wall_s:.1f} s wall" + (f" — rest: {details}" if details else ""))


def duty_cycle(records: Iterable[dict[str, Any]], wall_s: float) -> DutyCycle:
    """Sum the cells' phases; what no cell accounts for is the harness outside cells (plan, report...)."""
    inference = 0.0
    parts = dict.fromkeys(CELL_PHASES.values(), 0.0)
    parts["process spawn and exit"] = 0.0
    parts["failed cells"] = 0.0
    in_cells = 0.0
    for record in records:
        wall = float(record.get("wall_s") or 0.0)
        in_cells += wall
        phases = record.get("phase_times_s") or {}
        if record.get("status") != "ok" or not phases:
            parts["failed cells"] += wall
            continue
        inference += float(phases.get("inference_s", 0.0))
        for key, label in CELL_PHASES.items():
            parts[label] += float(phases.get(key, 0.0))
        accounted = sum(float(v) for k, v in phases.items() if k in CELL_PHASES or k == "inference_s")
        parts["process spawn and exit"] += max(0.0, wall - accounted)
    parts["harness outside cells (start-up, plan, manifest, report)"] = max(0.0, wall_s - in_cells)
    return DutyCycle(wall_s, inference, parts)
