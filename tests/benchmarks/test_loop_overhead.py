"""Harness overhead: the measured inference loop around a trivial model vs a bare loop, in one run.

Run with: pytest tests/benchmarks --benchmark-enable -s   (or: nox -s benchmarks)
Target: the measured loop adds <= 10 µs and <= 2 % per request. Two models: a no-op (the overhead alone,
in absolute terms) and the tiny ONNX encoder of the tests (a real runtime call of a few tens of µs).
The timed part of the loop is benchmarked (`timed_passes`); the warm-up and the garbage collection that
precede the measurement window are outside it. With benchmarks disabled (the default in pytest's addopts)
each function runs once, as a smoke test, and the summary is skipped.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tiny

from bench.measure.loop import timed_passes
from bench.spec.config import ModelSpec

N_REQUESTS = 2000
ROUNDS = 25
STATS: dict[str, tuple[float, float]] = {}  # "loop/model" -> (median, min) of rounds, seconds per round


def _inputs() -> list[str]:
    topics = [t for group in tiny.TOPICS.values() for t in group]
    return [f"{tiny.OPENINGS[i % len(tiny.OPENINGS)]} "
            f"{tiny.REQUESTS[i % len(tiny.REQUESTS)].format(t=topics[i % len(topics)])} Merci."
            for i in range(N_REQUESTS)]


INPUTS = _inputs()


def _noop(text: str) -> int:
    return 0


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Callable[[str], Any]]:
    from bench.runtimes import onnx

    directory = tmp_path_factory.mktemp("tiny-encoder")
    files = tiny.build_tiny_encoder(directory)
    spec = ModelSpec.model_validate({"id": "tiny", "family": "tiny", "runtime": "onnxruntime",
                                     "source": {"path": str(directory)}, "files": files, "licence": "MIT",
                                     "tasks": {"t": "embedding_head"}})
    encoder = onnx.load(spec, Path(directory), threads=1)
    labels = ("caf", "impots", "mairie")
    # Like a method's predict: one request in, one label out (the first pass keeps the outputs).
    return {"noop": _noop, "tiny-onnx": lambda text: labels[int(encoder.embed([text])[0].argmax()) % 3]}


def _bare(predict: Callable[[str], Any]) -> None:
    for text in INPUTS:
        predict(text)


def _measured(predict: Callable[[str], Any]) -> None:
    timed_passes(predict, INPUTS, min_window_s=0.0)


def _run(benchmark: Any, loop: str, model: str, body: Callable[[], None]) -> None:
    benchmark.group = f"loop overhead, {model} model, {N_REQUESTS} requests per round"
    benchmark.pedantic(body, rounds=ROUNDS, warmup_rounds=2, iterations=1)
    if benchmark.stats is not None:
        STATS[f"{loop}/{model}"] = (benchmark.stats.stats.median, benchmark.stats.stats.min)


@pytest.mark.parametrize("model", ["noop", "tiny-onnx"])
def test_bare_loop(benchmark: Any, models: dict[str, Callable[[str], Any]], model: str) -> None:
    predict = models[model]
    _run(benchmark, "bare", model, lambda: _bare(predict))


@pytest.mark.parametrize("model", ["noop", "tiny-onnx"])
def test_measured_loop(benchmark: Any, models: dict[str, Callable[[str], Any]], model: str) -> None:
    predict = models[model]
    _run(benchmark, "measured", model, lambda: _measured(predict))


def _paired_ratio(predict: Callable[[str], Any], pairs: int = 40, size: int = 500) -> float:
    """Median over (bare, measured) pairs of the time ratio, in ABBA order: drifts and order effects cancel."""
    inputs = INPUTS[:size]

    def bare() -> float:
        t0 = time.perf_counter()
        for text in inputs:
            predict(text)
        return time.perf_counter() - t0

    def measured() -> float:
        t0 = time.perf_counter()
        timed_passes(predict, inputs, min_window_s=0.0)
        return time.perf_counter() - t0

    ratios = []
    for pair in range(pairs):
        if pair % 2 == 0:
            b = bare()
            ratios.append(measured() / b)
        else:
            m = measured()
            ratios.append(m / bare())
    return statistics.median(ratios)


def test_overhead_summary(capsys: pytest.CaptureFixture[str], models: dict[str, Callable[[str], Any]]) -> None:
    """The overhead is additive and the same for any model: the no-op pair measures it, the tiny model
    puts it in proportion; a direct comparison on the tiny model, alternating bare and measured loops
    in pairs, is printed too as a cross-check (noisier)."""
    if len(STATS) < 4:
        pytest.skip("benchmarks disabled (run with --benchmark-enable)")

    def per_request_us(key: str, which: int) -> float:
        return STATS[key][which] / N_REQUESTS * 1e6

    overhead_us = per_request_us("measured/noop", 0) - per_request_us("bare/noop", 0)
    tiny_us = per_request_us("bare/tiny-onnx", 1)
    direct = (_paired_ratio(models["tiny-onnx"]) - 1) * 100
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    bare_us, measured_us = per_request_us("bare/noop", 0), per_request_us("measured/noop", 0)
    lines = [f"\nharness overhead per request (one run, {ROUNDS} rounds of {N_REQUESTS} requests, load {load:.2f}):",
             f"  no-op model: bare {bare_us:.3f} µs, measured {measured_us:.3f} µs (medians) -> overhead "
             f"{overhead_us:.3f} µs/request (target <= 10 µs)",
             f"  tiny ONNX encoder: {tiny_us:.1f} µs/request (min of rounds) -> overhead "
             f"{overhead_us / tiny_us * 100:.2f} % (target <= 2 %); direct, alternated pairs {direct:+.2f} %"]
    with capsys.disabled():
        print("\n".join(lines))
