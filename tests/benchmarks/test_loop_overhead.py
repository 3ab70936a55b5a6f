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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tiny

from bench.config import ModelSpec
from bench.measure.loop import timed_passes

N_REQUESTS = 2000
ROUNDS = 25
MEDIANS: dict[str, float] = {}


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
    return {"noop": _noop, "tiny-onnx": lambda text: encoder.embed([text])}


def _bare(predict: Callable[[str], Any]) -> None:
    for text in INPUTS:
        predict(text)


def _measured(predict: Callable[[str], Any]) -> None:
    timed_passes(predict, INPUTS, min_window_s=0.0)


def _run(benchmark: Any, loop: str, model: str, body: Callable[[], None]) -> None:
    benchmark.group = f"loop overhead, {model} model, {N_REQUESTS} requests per round"
    benchmark.pedantic(body, rounds=ROUNDS, warmup_rounds=2, iterations=1)
    if benchmark.stats is not None:
        MEDIANS[f"{loop}/{model}"] = benchmark.stats.stats.median


@pytest.mark.parametrize("model", ["noop", "tiny-onnx"])
def test_bare_loop(benchmark: Any, models: dict[str, Callable[[str], Any]], model: str) -> None:
    predict = models[model]
    _run(benchmark, "bare", model, lambda: _bare(predict))


@pytest.mark.parametrize("model", ["noop", "tiny-onnx"])
def test_measured_loop(benchmark: Any, models: dict[str, Callable[[str], Any]], model: str) -> None:
    predict = models[model]
    _run(benchmark, "measured", model, lambda: _measured(predict))


def test_overhead_summary(capsys: pytest.CaptureFixture[str]) -> None:
    if len(MEDIANS) < 4:
        pytest.skip("benchmarks disabled (run with --benchmark-enable)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = ["", f"harness overhead per request (medians of rounds, same run; load average {load:.2f}):"]
    for model in ("noop", "tiny-onnx"):
        bare, measured = MEDIANS[f"bare/{model}"], MEDIANS[f"measured/{model}"]
        extra_us = (measured - bare) / N_REQUESTS * 1e6
        relative = (measured / bare - 1) * 100
        per_request = f"bare {bare / N_REQUESTS * 1e6:8.3f} µs, measured {measured / N_REQUESTS * 1e6:8.3f} µs"
        lines.append(f"  {model:9s}: {per_request} -> {extra_us:+.3f} µs/request"
                     + (f" ({relative:+.2f} %)" if model != "noop" else "") + "   targets: <= 10 µs and <= 2 %")
    with capsys.disabled():
        print("\n".join(lines))
