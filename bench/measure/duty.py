"""Duty cycle of a run: time inside model inference ÷ wall time of the whole run, and where the rest went.

Inference counts the timed requests, the warm-up requests, and the model calls a method makes while it
fits (embedding the train and dev splits, prompting for few-shot checks): `ModelCallTimer` times those
without touching the method. Everything else (process start-up, imports, loading, hashing, training a
head, scoring, the runner and the report) is the rest, itemised.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.run.record import is_ok

# Cell phases recorded by bench.run.cell (seconds) that are not inference, in the order they happen.
CELL_PHASES = {
    "startup_s": "cell start-up and imports",
    "task_data_s": "task data loading",
    "verify_weights_s": "weights sha256 check",
    "meter_setup_s": "energy meter set-up",
    "load_s": "model load",
    "method_setup_s": "method set-up (its imports)",
    "fit_other_s": "fit outside model calls (training heads, tuning)",
    "fit_s": "fit, model calls not timed (older records)",
    "figures_s": "latency, energy and memory figures",
    "scoring_s": "scoring and writing",
}
INFERENCE_PHASES = ("inference_s", "warmup_s", "fit_inference_s")
MODEL_CALLS = ("embed", "generate", "encode", "complete")  # the entry points runtimes expose


class ModelCallTimer:
    """Time the calls a method makes to the model's entry points while the timer is entered.

    The entry points are shadowed by timing wrappers on the instance only (isinstance checks still hold)
    and removed on exit, so the measured loop later calls the model directly.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.seconds = 0.0
        self.calls = 0
        self._wrapped: list[str] = []
        self._depth = 0

    def _wrap(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:  # an entry point calling itself (batch splitting) or another: time the outer call
                return call(*args, **kwargs)
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1
                self._depth -= 1

        return timed

    def __enter__(self) -> ModelCallTimer:
        if self.model is None or not hasattr(self.model, "__dict__"):
            return self
        for name in MODEL_CALLS:
            if callable(getattr(type(self.model), name, None)) and name not in vars(self.model):
                try:
                    setattr(self.model, name, self._wrap(getattr(self.model, name)))
                except (AttributeError, TypeError):  # frozen or slotted objects: not timed
                    continue
                self._wrapped.append(name)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self._wrapped:
            delattr(self.model, name)
        self._wrapped = []


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
    inference: dict[str, float] = field(default_factory=dict)  # timed requests, warm-up, during fit
    parts: dict[str, float] = field(default_factory=dict)  # label -> seconds, the rest of the wall time

    @property
    def inference_s(self) -> float:
        return sum(self.inference.values())

    @property
    def ratio(self) -> float:
        return self.inference_s / self.wall_s if self.wall_s > 0 else float("nan")

    def summary(self) -> str:
        rest = sorted(((s, label) for label, s in self.parts.items() if s >= 0.05), reverse=True)
        details = "; ".join(f"{label} {s:.1f} s" for s, label in rest)
        split = ", ".join(f"{label} {s:.1f} s" for label, s in self.inference.items())
        return (f"duty cycle {self.ratio:.2f}: {self.inference_s:.1f} s inside model inference ({split}) of "
                f"{self.wall_s:.1f} s wall" + (f" — rest: {details}" if details else ""))


def duty_cycle(records: Iterable[dict[str, Any]], wall_s: float) -> DutyCycle:
    """Sum the cells' phases; what no cell accounts for is the harness outside cells (plan, report...)."""
    inference = {"timed requests": 0.0, "warm-up": 0.0, "during fit": 0.0}
    parts = dict.fromkeys(CELL_PHASES.values(), 0.0)
    parts["process spawn and exit"] = 0.0
    parts["failed cells"] = 0.0
    in_cells = 0.0
    for record in records:
        wall = float(record.get("wall_s") or 0.0)
        in_cells += wall
        phases = {k: float(v) for k, v in (record.get("phase_times_s") or {}).items()}
        if "fit_other_s" in phases:
            phases.pop("fit_s", None)
        if not is_ok(record) or not phases:
            parts["failed cells"] += wall
            continue
        for key, label in zip(INFERENCE_PHASES, inference, strict=True):
            inference[label] += phases.get(key, 0.0)
        for key, label in CELL_PHASES.items():
            parts[label] += phases.get(key, 0.0)
        accounted = sum(v for k, v in phases.items() if k in CELL_PHASES or k in INFERENCE_PHASES)
        parts["process spawn and exit"] += max(0.0, wall - accounted)
    parts["harness outside cells (start-up, plan, manifest, report)"] = max(0.0, wall_s - in_cells)
    return DutyCycle(wall_s, inference, parts)
