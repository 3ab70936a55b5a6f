"""Command-line values checked before anything runs: numbers in range, gates that exist, known keys.

A refused value is a usage error (exit 2) that names the option and the allowed range; NaN and
infinities are refused everywhere, since every comparison with them is false and lets them through.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import typer

from bench.decide.frugality_keys import FRUGALITY
from bench.kinds import METRICS_BY_KIND
from bench.run.record import CellRecord
from bench.spec.errors import BenchError

N = TypeVar("N", int, float)


def at_least(minimum: float, why: str, *, strictly: bool = False) -> Callable[[N | None], N | None]:
    """A typer callback refusing values below `minimum` (or equal to it, `strictly`), NaN and infinities."""
    def check(value: N | None) -> N | None:
        if value is None:
            return None
        if not math.isfinite(value) or value < minimum or (strictly and value == minimum):
            bound = f"{'above' if strictly else 'at least'} {minimum:g}"
            raise typer.BadParameter(f"{value:g} is not allowed: it must be {bound} ({why})")
        return value
    return check


TEST_ITEMS = at_least(1, "the number of test items each model sees")
THREADS = at_least(0, "0 means every CPU available")
WATTS = at_least(0, "a stated power in watts", strictly=True)
RAM_WATTS = at_least(0, "a stated power in watts")
PUE = at_least(1, "power usage effectiveness: the room's power over the IT power, 1.0 or more")
CARBON = at_least(0, "grid intensity in gCO2e/kWh")
MEMORY_CAP = at_least(0, "resident memory in MB a cell may reach", strictly=True)
TOLERANCE = at_least(0, "an allowed change")
BATCH = at_least(1, "items per batch, sequences in flight or items between two looks")


def scenarios(choice: str) -> Any:
    """--scenario as the scenarios to run; a wrong value is a usage error naming the choices."""
    from bench.run.plan import scenarios_of

    try:
        return scenarios_of(choice)
    except BenchError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scenario") from exc


def scenario(choice: str) -> str:
    """--scenario of rank and report: the one scenario to decide on."""
    if choice not in ("single", "offline"):
        raise typer.BadParameter(f"'{choice}': choose single or offline", param_hint="--scenario")
    return choice


PROBE_ITEMS = at_least(1, "test items timed by the cost probe")


def level(value: float) -> float:
    """A confidence level: at least 0.5 and below 1."""
    if not math.isfinite(value) or not 0.5 <= value < 1:
        raise typer.BadParameter(f"{value:g} is not allowed: a confidence level is at least 0.5 and below 1")
    return value


def parse_gates(values: list[str]) -> dict[str, tuple[str, float]]:
    gates = {}
    for value in values:
        try:
            task, rest = value.split("=", 1)
            metric, threshold = rest.split(":", 1)
            gates[task] = (metric, float(threshold))
        except ValueError as exc:
            raise typer.BadParameter(f"'{value}': expected TASK=METRIC:MIN, e.g. classify_mail=macro_f1:0.85",
                                     param_hint="--gate") from exc
        if not math.isfinite(gates[task][1]):
            raise typer.BadParameter(f"'{value}': the threshold must be a number", param_hint="--gate")
    return gates


def check_gates(gates: Mapping[str, tuple[str, float]], manifest: Mapping[str, Any],
                records: Sequence[CellRecord]) -> None:
    """A gate must name a task of the run and a metric that task is scored with."""
    tasks: dict[str, set[str]] = {}
    for name, info in (manifest.get("tasks") or {}).items():
        kind = info.get("kind") if isinstance(info, Mapping) else None
        tasks[str(name)] = set(METRICS_BY_KIND.get(str(kind), ()))
    for record in records:
        tasks.setdefault(str(record.task), set()).update(record.quality)
    for task, (metric, _) in gates.items():
        if task not in tasks:
            raise BenchError(f"--gate {task}=...: no task '{task}' in this run (tasks: {', '.join(sorted(tasks))})")
        if metric not in tasks[task]:
            raise BenchError(f"--gate {task}={metric}:...: task '{task}' is not scored with '{metric}' "
                             f"(metrics: {', '.join(sorted(tasks[task]))})")


KEY_HELP = f"Frugality key: {', '.join(FRUGALITY)}."


def check_key(key: str) -> str:
    if key not in FRUGALITY:
        raise typer.BadParameter(f"'{key}': choose from {', '.join(FRUGALITY)}", param_hint="--key")
    return key


def parse_volume(volume: str | None) -> Any:
    from bench.decide.projection import VolumeError
    from bench.decide.projection import parse_volume as parse

    if volume is None:
        return None
    try:
        return parse(volume)
    except VolumeError as exc:
        raise typer.BadParameter(str(exc), param_hint="--volume") from exc


def assumptions(service_hours: float | None, peak_factor: float | None) -> Any:
    from bench.decide.projection import PEAK_FACTOR, SERVICE_HOURS_PER_YEAR, Assumptions

    try:
        return Assumptions(SERVICE_HOURS_PER_YEAR if service_hours is None else service_hours,
                           PEAK_FACTOR if peak_factor is None else peak_factor)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
