"""Timing figures in pytest-benchmark's JSON format, so tools that read its files can read a run.

One "benchmark" per successful cell: group = task, name = cell id, stats over the per-request times of
the measured loop (seconds, like pytest-benchmark). Quality, energy and memory go to `extra_info`.
Written from records alone, so it can be rebuilt for any past run.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.run.results import MANIFEST, load_records, write_json_atomic

BENCHMARK_JSON = "benchmark.json"
FORMAT_VERSION = "5.1.0"  # the pytest-benchmark file format these files follow


def _quartiles(data: list[float]) -> tuple[float, float]:
    """Q1 and Q3 computed exactly as pytest-benchmark does (Wikipedia methods 2 and 3)."""
    n = len(data)
    if n == 1:
        return data[0], data[0]
    if n % 2 == 0:
        return statistics.median(data[: n // 2]), statistics.median(data[n // 2:])
    k, r = n // 4, n % 4
    if r == 1:
        return 0.25 * data[k - 1] + 0.75 * data[k], 0.75 * data[3 * k] + 0.25 * data[3 * k + 1]
    return 0.75 * data[k] + 0.25 * data[k + 1], 0.25 * data[3 * k + 1] + 0.75 * data[3 * k + 2]


def stats_from_ns(durations_ns: Sequence[int]) -> dict[str, Any]:
    """pytest-benchmark's Stats fields (seconds) for one cell's timed requests."""
    data = sorted(d / 1e9 for d in durations_ns)
    if not data:
        return {}
    mean = statistics.fmean(data)
    stddev = statistics.stdev(data) if len(data) > 1 else 0.0
    q1, q3 = _quartiles(data)
    iqr = q3 - q1
    iqr_out = sum(1 for x in data if x < q1 - 1.5 * iqr or x > q3 + 1.5 * iqr)
    sd_out = sum(1 for x in data if x < mean - stddev or x > mean + stddev)
    total = sum(data)
    return {
        "min": data[0], "max": data[-1], "mean": mean, "stddev": stddev, "rounds": len(data),
        "median": statistics.median(data), "iqr": iqr, "q1": q1, "q3": q3, "iqr_outliers": iqr_out,
        "stddev_outliers": sd_out, "outliers": f"{sd_out};{iqr_out}",
        "ld15iqr": data[bisect_left(data, q1 - 1.5 * iqr)] if len(data) > 1 else data[0],
        "hd15iqr": data[bisect_right(data, q3 + 1.5 * iqr) - 1],
        "ops": len(data) / total if total else 0.0, "total": total, "iterations": 1,
    }


def _machine_info(hardware: dict[str, Any]) -> dict[str, Any]:
    return {
        "node": platform.node(),
        "processor": hardware.get("cpu_model") or platform.processor(),
        "machine": hardware.get("machine") or platform.machine(),
        "python_compiler": platform.python_compiler(),
        "python_implementation": platform.python_implementation(),
        "python_implementation_version": hardware.get("python") or platform.python_version(),
        "python_version": hardware.get("python") or platform.python_version(),
        "python_build": list(platform.python_build()),
        "release": platform.release(),
        "system": platform.system(),
        "cpu": {"brand_raw": hardware.get("cpu_model"), "count": hardware.get("cpu_logical_cores"),
                "arch": hardware.get("machine")},
    }


def benchmark_document(run_dir: Path) -> dict[str, Any]:
    manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    settings = manifest.get("settings", {})
    benchmarks = []
    for record in load_records(run_dir):
        stats = record.timing_s
        if not record.ok or not stats:
            continue
        extra: dict[str, Any] = {metric: score.value for metric, score in record.quality.items()}
        extra.update(energy_wh_per_1000_requests=record.energy_wh_per_1000_requests,
                     co2_g_per_1000_requests=record.co2_g_per_1000_requests, peak_rss_mb=record.peak_rss_mb,
                     n_test_items=record.n_test_items, run_id=record.run_id, cell_id=record.cell_id)
        benchmarks.append({
            "group": record.task,
            "name": record.cell_id,
            "fullname": f"frugal-bench::{record.task}::{record.model_id}",
            "params": {"task": record.task, "model": record.model_id, "runtime": record.runtime,
                       "threads": record.threads},
            "param": record.model_id,
            "extra_info": extra,
            "options": {"disable_gc": False, "timer": "perf_counter_ns", "min_rounds": record.n_test_items,
                        "max_time": None, "min_time": settings.get("min_energy_window_s"),
                        "warmup": settings.get("warmup_requests")},
            "stats": stats,
        })
    return {
        "machine_info": _machine_info(manifest.get("hardware", {})),
        "commit_info": {"id": manifest.get("git_sha") or "unversioned", "time": None, "author_time": None,
                        "dirty": bool(manifest.get("git_dirty")), "project": "frugal-bench", "branch": "(unknown)"},
        "benchmarks": benchmarks,
        "datetime": manifest.get("created_at") or dt.datetime.now(dt.UTC).isoformat(),
        "version": FORMAT_VERSION,
    }


def write_benchmark_json(run_dir: Path) -> Path:
    path = run_dir / BENCHMARK_JSON
    write_json_atomic(path, benchmark_document(run_dir))
    return path
