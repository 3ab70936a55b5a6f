"""The benchmark's own footprint: CPU time and energy of a whole run, and what frugal evaluation saved.

CPU time is the kernel's figure for every cell process (probe and quality cells alike, read when each is
reaped) plus the runner process itself. Energy is an estimate: each cell's CPU seconds times the energy per
CPU second of its own measurement window (codecarbon's reading, counters or estimate, PUE included); the
runner's at the median of those rates. The saving of early stops is an estimate too: the items left unscored
at the average CPU time per item of the items that were scored (for a candidate not needed, its probe's
CPU time per request), never a measurement of a run that did not happen.
"""

from __future__ import annotations

import resource
import statistics
from pathlib import Path
from typing import Any

from bench.run.record import cpu_s
from bench.run.results import read_manifest, read_records, write_json_atomic

FOOTPRINT = "footprint.json"


def own_cpu_s() -> float:
    """CPU time of this process so far (its children, the cells, are counted from their records)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wh_per_cpu_s(record: dict[str, Any]) -> float | None:
    """Energy of the record's measurement window per CPU second of it."""
    window_cpu = float(record.get("window_cpu_user_s") or 0.0) + float(record.get("window_cpu_system_s") or 0.0)
    energy = record.get("energy_window_wh")
    if not isinstance(energy, int | float) or window_cpu <= 0:
        return None
    return float(energy) / window_cpu


def _items(record: dict[str, Any]) -> tuple[int, int]:
    """(items scored, items a full evaluation would score) for one record."""
    scored = sum(int(n) for n in (record.get("n_items_by_set") or {}).values())
    sequential = record.get("sequential")
    total = int(sequential.get("items_total", scored)) if isinstance(sequential, dict) else scored
    return scored, total


def summarise(run_dir: Path, runner_cpu_s: float) -> dict[str, Any]:
    """The run's footprint from its records and probes, with `runner_cpu_s` for the runner process(es)."""
    from bench.run.frugal import read_probes

    records = read_records(run_dir)
    recorded = {r.get("cell_id") for r in records}
    pending_probes = [p for cid, p in read_probes(run_dir).items() if cid not in recorded]  # interrupted runs
    cells = [*records, *pending_probes]
    rates = [rate for r in cells if (rate := wh_per_cpu_s(r)) is not None]
    runner_rate = statistics.median(rates) if rates else 0.0
    cells_cpu = sum(cpu_s(r) for r in cells)
    energy = sum(cpu_s(r) * (wh_per_cpu_s(r) or runner_rate) for r in cells) + runner_cpu_s * runner_rate
    scored = sum(_items(r)[0] for r in records)
    total = sum(_items(r)[1] for r in records)
    saved_cpu = sum(float((r.get("sequential") or {}).get("cpu_s_saved_estimate") or 0.0) for r in records)
    saved_energy = sum(float((r.get("sequential") or {}).get("cpu_s_saved_estimate") or 0.0)
                       * (wh_per_cpu_s(r) or runner_rate) for r in records)
    total_cpu = cells_cpu + runner_cpu_s
    return {
        "frugal": bool((read_manifest(run_dir).get("settings") or {}).get("frugal")),
        "cells_cpu_s": cells_cpu, "runner_cpu_s": runner_cpu_s, "total_cpu_s": total_cpu,
        "energy_wh_estimate": energy,
        "energy_basis": "each cell's CPU time × its window's energy per CPU second (codecarbon); runner at the median",
        "items_scored": scored, "items_full_evaluation": total,
        "saved_cpu_s_estimate": saved_cpu, "saved_energy_wh_estimate": saved_energy,
        "saved_share_estimate": saved_cpu / (total_cpu + saved_cpu) if total_cpu + saved_cpu > 0 else 0.0,
        "saving_basis": "estimate: items not scored × CPU time per scored item (not needed: probe CPU per request)",
    }


def record_run(run_dir: Path, runner_cpu_s: float) -> dict[str, Any]:
    """Write footprint.json; a resumed run adds its runner's CPU time to the earlier invocations'."""
    import json

    path = run_dir / FOOTPRINT
    earlier: list[float] = []
    if path.is_file():
        try:
            earlier = [float(x) for x in json.loads(path.read_bytes()).get("runner_cpu_s_by_invocation", [])]
        except (ValueError, TypeError, AttributeError):
            earlier = []
    invocations = [*earlier, runner_cpu_s]
    data = {**summarise(run_dir, sum(invocations)), "runner_cpu_s_by_invocation": invocations}
    write_json_atomic(path, data)
    return data


def sentence(data: dict[str, Any]) -> str:
    """One line for the console."""
    text = (f"benchmark footprint: {data['total_cpu_s']:.0f} s CPU ({data['cells_cpu_s']:.0f} s in cells), "
            f"~{data['energy_wh_estimate']:.2f} Wh (estimate); {data['items_scored']} of "
            f"{data['items_full_evaluation']} items scored")
    if data["frugal"]:
        text += (f"; early stops saved ~{data['saved_cpu_s_estimate']:.0f} s CPU, "
                 f"~{data['saved_share_estimate']:.0%} of a full evaluation (estimate)")
    return text
