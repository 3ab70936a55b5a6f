"""One cell (model × task), run in its own process so memory, crashes and energy belong to one model.

Usage (by the runner only): python -m bench.run.cell CELL.json RESULT.json SAMPLES.jsonl
The parent reads RESULT.json; the OS reports peak RSS and CPU time of this process to the parent.

Order matters for the figures: the harness's own instruments (numpy, psutil, codecarbon) are imported
before the memory baseline, so `rss_model_increase_mb` is the model's; the scoring libraries are
imported only after the measurement window, so they are not in the serving peak (`peak_rss_mb`).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.run.lifeline import READY_FD_ENV, die_with_parent
from bench.run.offline import enforce_offline

die_with_parent()  # a killed runner takes its cell along
enforce_offline()  # before any model library is imported
from bench.measure.threads import pin_from_env  # noqa: E402

PINNED = pin_from_env()  # before numpy & co. start their thread pools (affinity is inherited per thread)

from bench.fsio import WriteFailed, write_all  # noqa: E402
from bench.kinds import KINDS  # noqa: E402
from bench.measure.batch_loop import BatchResult, batch_loop  # noqa: E402
from bench.measure.contention import ContentionMeter  # noqa: E402
from bench.measure.duty import ModelCallTimer, process_start_time  # noqa: E402
from bench.measure.energy import EnergyMeter, EnergySettings  # noqa: E402
from bench.measure.hardware import fingerprint, loaded_library_versions  # noqa: E402
from bench.measure.latency import Latency, TokenCounts, token_rates  # noqa: E402
from bench.measure.loop import LoopResult, measured_loop  # noqa: E402
from bench.measure.memory import RssSampler, peak_rss_mb, rss_mb  # noqa: E402
from bench.measure.threads import cap_loaded_pools, cpu_affinity, os_threads, thread_env  # noqa: E402
from bench.methods import MethodContext, get_method  # noqa: E402
from bench.run import failures  # noqa: E402
from bench.run.record import CellJob, FrugalJob  # noqa: E402
from bench.run.samplefile import write_samples  # noqa: E402
from bench.runtimes import get_runtime, offline_spec  # noqa: E402
from bench.spec.errors import BenchError  # noqa: E402
from bench.spec.tasks import Task, load_task  # noqa: E402
from bench.weights.resolve import resolve_and_verify  # noqa: E402

TIMINGS = "latency_ns.json"  # next to RESULT.json


class Window:
    """What brackets the timed requests: energy meter, sampler window, token counters."""

    def __init__(self, meter: EnergyMeter, sampler: RssSampler, method: object) -> None:
        self.meter, self.sampler, self.method = meter, sampler, method
        self.tokens_before: TokenCounts | None = None
        self.tokens_after: TokenCounts | None = None
        self.contention = ContentionMeter()
        self._stack = ExitStack()

    def __enter__(self) -> Window:
        self.tokens_before = TokenCounts.read(self.method)
        self._stack.enter_context(self.sampler.window())
        self._stack.enter_context(self.meter)
        self._stack.enter_context(self.contention)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self.tokens_after = TokenCounts.read(self.method)


AfterProbe = Callable[[dict[str, Any]], FrugalJob | None]


def run_cell(job: CellJob, samples_path: Path, startup_s: float, timings_path: Path | None = None,
             after_probe: AfterProbe | None = None) -> dict[str, Any] | None:
    """The cell's result. A kept probe (`after_probe`, bench.run.heldcell) hands its result over, then
    scores the quality job it is given with the model it has loaded and fitted, or returns None without one."""
    sampler = RssSampler().start()
    phases: dict[str, float] = {"startup_s": startup_s}
    spec, method_name, scenario = job.model, job.method, job.scenario
    if scenario == "offline":  # a runtime that serves sequences in parallel is loaded with its slots
        spec = offline_spec(spec, job.parallel)
    t0 = time.perf_counter()
    task = load_task(job.task_dir).limited(job.items.train, job.items.test, seed=job.seed)
    phases["task_data_s"] = time.perf_counter() - t0
    threads = job.threads
    out: dict[str, Any] = {"method": method_name, "scenario": scenario, "n_train_items": len(task.splits["train"]),
                           "n_dev_items": len(task.splits["dev"]), "n_test_items": len(task.splits["test"])}

    t0 = time.perf_counter()
    weights = resolve_and_verify(spec, job.models_file_dir)
    phases["verify_weights_s"] = time.perf_counter() - t0
    out.update(weights_sha256=weights.sha256, weights_bytes=weights.size_bytes, hash_status=weights.status)

    # The energy meter is built (codecarbon imported, hardware detected) before the baseline: it is harness.
    t0 = time.perf_counter()
    meter = EnergyMeter(EnergySettings(**job.energy.model_dump()), threads)
    phases["meter_setup_s"] = time.perf_counter() - t0

    out["rss_baseline_mb"] = rss_mb()
    t0 = time.perf_counter()
    model = get_runtime(spec.runtime).load(spec, weights.root, threads) if weights.root is not None else None
    phases["load_s"] = out["load_time_s"] = time.perf_counter() - t0
    out["rss_after_load_mb"] = rss_mb()
    out["rss_model_increase_mb"] = out["rss_after_load_mb"] - out["rss_baseline_mb"]

    artifacts = job.artifacts_dir
    artifacts.mkdir(parents=True, exist_ok=True)
    with ModelCallTimer(model) as calls:  # the model's own work while the method is built and fitted
        t0 = time.perf_counter()
        method = get_method(method_name)(model, spec, task, MethodContext(threads, artifacts, job.seed))
        t1 = time.perf_counter()
        out["fit"] = method.fit(task.splits["train"], task.splits["dev"])
        t2 = time.perf_counter()
    out["fit_time_s"] = t2 - t1
    phases.update(method_setup_s=t1 - t0, fit_inference_s=calls.seconds, fit_other_s=max(0.0, t2 - t1 - calls.seconds))
    out["rss_after_fit_mb"] = rss_mb()
    out["trained_artifacts_sha256"] = method.artifacts
    out["params"] = spec.params if spec.params is not None else method.trained_params
    out["thread_pools"] = cap_loaded_pools(threads)  # after load and fit: every pool the runtime started

    frugal = job.frugal  # None: full evaluation; else bench.run.frugal's probe or sequential quality
    if frugal is not None and frugal.mode == "quality":  # the costs were measured by the probe
        sampler.stop()
        return _sequential(out, phases, task, samples_path, frugal, method, job)
    test = task.splits["test"]  # a probe (single requests only) cuts its window short: see below
    window = Window(meter, sampler, method)
    inputs = [item.text for item in test]
    loop: LoopResult[Any] | BatchResult[Any]
    if scenario == "offline":  # the whole test set at once; the method batches where its runtime can
        plan = method.batching(job.batch_size)
        out["batching"] = plan.to_dict()

        def predict_all(texts: list[str]) -> list[Any]:
            return list(method.predict_batch(texts, plan))

        loop = batch_loop(predict_all, inputs, min_window_s=job.min_energy_window_s,
                          warmup=job.warmup_requests, window=window)
    else:
        def predict_all(texts: list[str]) -> list[Any]:
            return [method.predict(text) for text in texts]

        # A probe goes through the test set in scoring order and stops once its window is long enough:
        # every answer it gives is one the quality pass does not ask again (for a fast model, all of them).
        loop = measured_loop(method.predict, inputs, min_window_s=job.min_energy_window_s,
                             warmup=job.warmup_requests, window=window,
                             cut_after=frugal.probe_items if frugal is not None else None)
    out["peak_rss_mb"] = peak_rss_mb()  # kernel high-water mark: load, fit and serving, not the scoring below
    out["process_os_threads"] = os_threads()
    sampler.stop()
    out.update(sampler.figures())
    out["peak_rss_model_increase_mb"] = out["peak_rss_mb"] - out["rss_baseline_mb"]
    phases.update(warmup_s=loop.warmup_s, inference_s=loop.inference_s)
    t0 = time.perf_counter()
    out.update(_window_figures(loop, meter, window, job.warmup_requests))
    usage = getattr(method, "usage", None)
    if callable(usage):  # generative methods' own totals (tokens, invalid outputs...), whole cell
        out["method_usage"] = usage()
    if timings_path is not None and isinstance(loop, LoopResult):  # every request's duration (pytest-benchmark)
        timings_path.write_text(json.dumps(loop.durations_ns.tolist()), encoding="utf-8")
    phases["figures_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if frugal is not None:  # a probe: its answers serve as the first items of the quality pass
        reached = test[:len(loop.predictions)]
        out["probe_predictions"] = {item.id: pred for item, pred in zip(reached, loop.predictions, strict=True)}
    else:
        out.update(_score(task, loop.predictions, samples_path, predict_all, resamples=job.resamples, seed=job.seed))
    out["hardware"] = _hardware(threads)
    phases["scoring_s"] = time.perf_counter() - t0
    out["phase_times_s"] = phases
    if frugal is None or after_probe is None:
        return out
    quality = after_probe(out)
    if quality is None:
        return None
    described = {key: out[key] for key in ("method", "scenario", "n_train_items", "n_dev_items", "n_test_items")}
    quality = quality.model_copy(update={"known": out["probe_predictions"]})
    return _sequential(described, {}, task, samples_path, quality, method, job)


def _sequential(out: dict[str, Any], phases: dict[str, float], task: Task, samples_path: Path, frugal: FrugalJob,
                method: Any, job: CellJob) -> dict[str, Any]:
    """Frugal evaluation's quality pass (bench.run.frugalcell) with the method already fitted."""
    from bench.run.frugalcell import score_sequentially

    t0 = time.perf_counter()
    out.update(score_sequentially(task, samples_path, frugal, method.predict, resamples=job.resamples,
                                  seed=job.seed))
    out["hardware"] = _hardware(job.threads)
    phases["scoring_s"] = time.perf_counter() - t0
    out["phase_times_s"] = phases
    return out


def _hardware(threads: int) -> dict[str, Any]:
    return {**fingerprint(), "threads_requested": threads, "cpu_affinity": cpu_affinity(), "pinned_cpus": PINNED,
            "thread_env": {k: os.environ.get(k) for k in thread_env(threads)}, "libraries": loaded_library_versions()}


def _window_figures(loop: LoopResult[Any] | BatchResult[Any], meter: EnergyMeter, window: Window,
                    warmup: int) -> dict[str, Any]:
    requests = loop.requests
    cpu_s = loop.cpu_user_s + loop.cpu_system_s
    timing = (loop.timing() if isinstance(loop, BatchResult)
              else Latency.from_ns(loop.durations_ns, loop.window_s).to_dict())
    return {
        **timing,
        "warmup_requests": warmup,
        "measure_passes": loop.passes,
        "measure_window_s": loop.window_s,
        "inference_s": loop.inference_s,
        "window_cpu_user_s": loop.cpu_user_s,
        "window_cpu_system_s": loop.cpu_system_s,
        "cpu_time_s_per_1000_requests": cpu_s * 1000.0 / requests,
        "cpu_utilisation_cores": cpu_s / loop.window_s if loop.window_s > 0 else None,
        **token_rates(window.tokens_before, window.tokens_after, requests, loop.inference_s),
        **window.contention.figures(),
        **_with_cpu_time_check(meter.reading(requests), cpu_s),
    }


def _with_cpu_time_check(reading: dict[str, Any], window_cpu_s: float) -> dict[str, Any]:
    """Recompute the estimated CPU energy from the window's CPU time: it must match codecarbon's."""
    method = reading["energy_method"]
    watts = method.get("cpu_power_assumed_w")
    if not method.get("measured") and watts:
        method["cpu_energy_from_cpu_time_wh"] = (watts * window_cpu_s / method["machine_logical_cpus"] / 3600.0
                                                 * reading["pue"])
    return reading


def _score(task: Task, test_predictions: list[Any], samples_path: Path, predict_all: Any, *,
           resamples: int, seed: int) -> dict[str, Any]:
    """Scores on every test set: the measured loop's predictions for `test`, one more pass for the others.

    Costs are per request and do not depend on the set, so the other sets are predicted outside the
    measured window (the same way: one by one, or all at once offline); their predictions and scores go to
    the samples like the first set's.
    """
    from bench.metrics import per_item_scores, scores_for  # heavy (scipy, nltk): only after the window
    from bench.metrics.collapse import collapse

    spec_t = task.spec
    labels = sorted(spec_t.labels) if spec_t.labels else None
    by_set: dict[str, dict[str, Any]] = {}
    sizes: dict[str, int] = {}
    collapsed: dict[str, dict[str, Any] | None] = {}  # classification: one answer for most items (a warning)
    with samples_path.open("w", encoding="utf-8") as handle:
        for set_name, items in task.test_sets.items():
            preds = test_predictions if set_name == "test" else predict_all([item.text for item in items])
            gold = [item.target for item in items]
            also = [item.also for item in items] if spec_t.data.columns.also else None
            sources = [item.text for item in items] if KINDS[spec_t.kind].reads_sources else None
            quality = scores_for(spec_t.kind, gold, preds, labels=labels, fields=spec_t.fields,
                                 resamples=resamples, seed=seed, also=also, sources=sources,
                                 budget=spec_t.length_budget_words)
            by_set[set_name] = {name: score.to_dict() for name, score in quality.items() if name in spec_t.metrics}
            sizes[set_name] = len(items)
            if KINDS[spec_t.kind].labelled:
                collapsed[set_name] = collapse(preds, gold)
            per_item = per_item_scores(spec_t.kind, gold, preds, fields=spec_t.fields, also=also, sources=sources,
                                       budget=spec_t.length_budget_words)
            write_samples(handle, set_name, items, preds, per_item)
    flags = {"collapse": collapsed["test"], "collapse_sets": collapsed} if collapsed else {}
    return {"quality": by_set["test"], "quality_sets": by_set, "n_items_by_set": sizes, **flags}


def _interfaces() -> list[str] | None:
    """The network interfaces this process sees: only a loopback inside a network namespace of its own."""
    try:
        return sorted(name for _, name in socket.if_nameindex())
    except OSError:
        return None


def _hand_over(result_path: Path) -> AfterProbe:
    """A kept probe's hand-over: write the probe's result, say so to the runner, wait for a quality job."""
    ready_fd = int(os.environ[READY_FD_ENV])

    def after_probe(out: dict[str, Any]) -> FrugalJob | None:
        write_result(result_path, {"status": "ok", **out, "peak_rss_cell_mb": peak_rss_mb(),
                                   "network_interfaces": _interfaces()})
        os.write(ready_fd, b"ready\n")
        os.close(ready_fd)
        line = sys.stdin.readline()  # blocks, taking no CPU, until the runner decides
        return FrugalJob.model_validate_json(line) if line.strip() else None

    return after_probe


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Whole or not at all: a temporary file, fsynced, then renamed over RESULT.json."""
    tmp = path.with_name(path.name + ".tmp")
    write_all(tmp, json.dumps(result, ensure_ascii=False, default=str).encode("utf-8"))
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    startup_s = max(0.0, time.time() - process_start_time())
    cell_path, result_path, samples_path = (Path(a) for a in argv[1:4])
    try:
        job = CellJob.read(cell_path)
        after_probe = _hand_over(result_path) if job.frugal is not None and job.frugal.hold else None
        out = run_cell(job, samples_path, startup_s, result_path.parent / TIMINGS, after_probe)
        if out is None:  # a kept probe let go: its result is already on disk
            return 0
        result = {"status": "ok", **out}
    except Exception as exc:  # the cell fails alone; the parent records why
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "failure": failures.of_exception(exc),
                  "traceback": traceback.format_exc(limit=8)}
    result["peak_rss_cell_mb"] = peak_rss_mb()  # the whole cell, scoring (or the failure) included
    result["network_interfaces"] = _interfaces()
    try:
        write_result(result_path, result)
    except (OSError, BenchError) as exc:  # a full disk, say: the parent reads the reason from this one line
        cause = exc.cause if isinstance(exc, WriteFailed) else exc
        print(f"{failures.CELL_SAYS} {cause} (writing {result_path.name})", file=sys.stderr, flush=True)
        return failures.EXIT_WRITE_FAILED
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":
    code = main(sys.argv)
    # Everything is on disk: skip the interpreter's teardown of scipy, sklearn & co. (~0.3 s per cell).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
