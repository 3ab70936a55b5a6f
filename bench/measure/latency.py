"""Per-request latency statistics, and token rates for generative methods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Latency:
    """Wall time of requests served one at a time (batch size 1), after a warm-up.

    Percentiles interpolate linearly between order statistics (numpy's default); the standard deviation
    is the sample one (n - 1). Throughput is requests ÷ wall time of the window, so it includes the
    harness's per-request cost (well under 1 µs), not only the time inside the model.
    """

    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    latency_mean_ms: float
    latency_std_ms: float
    latency_min_ms: float
    latency_max_ms: float
    throughput_requests_per_s: float
    requests_measured: int
    batch_size: int = 1

    @classmethod
    def from_ns(cls, durations_ns: Sequence[int] | np.ndarray[Any, Any], window_s: float | None = None) -> Latency:
        ms = np.asarray(durations_ns, dtype=np.float64) / 1e6
        if ms.size == 0:
            raise ValueError("no request was timed")
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        span_s = window_s if window_s is not None else float(ms.sum()) / 1e3
        return cls(float(p50), float(p95), float(p99), float(ms.mean()),
                   float(ms.std(ddof=1)) if ms.size > 1 else 0.0, float(ms.min()), float(ms.max()),
                   ms.size / span_s if span_s > 0 else float("inf"), int(ms.size))

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


@runtime_checkable
class CountsTokens(Protocol):
    """Optional protocol of generative methods: running totals since the method was built.

    A method that generates text keeps `tokens_in` (prompt tokens) and `tokens_out` (generated tokens) as
    int attributes and adds to them in `predict`. It may also keep `prompt_ms` and `generation_ms`, the
    runtime's own prompt-processing and generation times (e.g. llama.cpp timings), and `cached_tokens`,
    prompt tokens reused from a cache rather than evaluated. With the timings the rates are per phase
    (prompt-processing and generation speed); without them, tokens ÷ time inside predict. The cell reads
    the totals just before and just after the measurement window, so warm-up and fit do not count.
    """

    tokens_in: int
    tokens_out: int


@dataclass(frozen=True)
class TokenCounts:
    tokens_in: int
    tokens_out: int
    cached_tokens: int
    prompt_ms: float | None
    generation_ms: float | None

    @classmethod
    def read(cls, method: object) -> TokenCounts | None:
        if not isinstance(method, CountsTokens):
            return None
        prompt_ms, generation_ms = getattr(method, "prompt_ms", None), getattr(method, "generation_ms", None)
        return cls(int(method.tokens_in), int(method.tokens_out), int(getattr(method, "cached_tokens", 0) or 0),
                   float(prompt_ms) if prompt_ms is not None else None,
                   float(generation_ms) if generation_ms is not None else None)


def token_rates(before: TokenCounts | None, after: TokenCounts | None, requests: int,
                inference_s: float) -> dict[str, Any]:
    """Token figures of the measurement window (differences of the running totals)."""
    if before is None or after is None or requests <= 0:
        return {}
    tokens_in, tokens_out = after.tokens_in - before.tokens_in, after.tokens_out - before.tokens_out
    cached = after.cached_tokens - before.cached_tokens
    out: dict[str, Any] = {"tokens_in_total": tokens_in, "tokens_out_total": tokens_out,
                           "tokens_in_cached_total": cached,
                           "tokens_in_per_request_mean": tokens_in / requests,
                           "tokens_out_per_request_mean": tokens_out / requests}
    p0, p1, g0, g1 = before.prompt_ms, after.prompt_ms, before.generation_ms, after.generation_ms
    if p0 is not None and p1 is not None and g0 is not None and g1 is not None:
        prompt_s, generation_s = (p1 - p0) / 1e3, (g1 - g0) / 1e3
        out["tokens_in_per_s"] = (tokens_in - cached) / prompt_s if prompt_s > 0 else None
        out["tokens_out_per_s"] = tokens_out / generation_s if generation_s > 0 else None
        out["tokens_per_s_basis"] = ("runtime timings: evaluated prompt tokens ÷ prompt time, "
                                     "generated tokens ÷ generation time")
    else:
        out["tokens_in_per_s"] = tokens_in / inference_s if inference_s > 0 else None
        out["tokens_out_per_s"] = tokens_out / inference_s if inference_s > 0 else None
        out["tokens_per_s_basis"] = "request wall time: tokens ÷ total time inside predict"
    return out
