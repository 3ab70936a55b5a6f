"""The reference for the isolation benchmark: one cell's model and inputs in a plain loop, without the harness.

Usage: python -m bench.tools.bare_loop CELL.json OUT.json [PASSES]
Same task items, weights, runtime, method and fit as the cell (the harness's loading code), then a plain
`for` loop with two clock reads per request: no runner, no energy meter, no sampler, no offline guard.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    from bench.run.record import CellJob

    job = CellJob.read(Path(argv[1]))
    passes = int(argv[3]) if len(argv) > 3 else 1

    from bench.methods import MethodContext, get_method
    from bench.runtimes import get_runtime
    from bench.spec.tasks import load_task
    from bench.weights.resolve import resolve_and_verify

    spec = job.model
    task = load_task(job.task_dir).limited(job.items.train, job.items.test, seed=job.seed)
    weights = resolve_and_verify(spec, job.models_file_dir)
    threads = job.threads
    model = get_runtime(spec.runtime).load(spec, weights.root, threads) if weights.root is not None else None
    artifacts = Path(argv[2]).parent / "bare-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    method = get_method(job.method)(model, spec, task, MethodContext(threads, artifacts, job.seed))
    method.fit(task.splits["train"], task.splits["dev"])
    inputs = [item.text for item in task.splits["test"]]
    for index in range(job.warmup_requests):
        method.predict(inputs[index % len(inputs)])
    durations: list[int] = []
    cpu0 = os.times()
    for _ in range(passes):
        for text in inputs:
            t0 = time.perf_counter_ns()
            method.predict(text)
            durations.append(time.perf_counter_ns() - t0)
    cpu1 = os.times()
    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    Path(argv[2]).write_text(json.dumps({"requests": len(durations),
                                         "latency_p50_ms": statistics.median(durations) / 1e6,
                                         "latency_mean_ms": statistics.fmean(durations) / 1e6,
                                         "cpu_time_s_per_1000_requests": cpu_s * 1000 / len(durations)}),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
