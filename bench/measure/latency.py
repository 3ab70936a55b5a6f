"""Per-request latency statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Latency:
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    latency_mean_ms: float
    latency_std_ms: float
    throughput_rps: float
    requests_measured: int

    @classmethod
    def from_ns(cls, durations_ns: Sequence[int]) -> Latency:
        if not durations_ns:
            raise ValueError("no request was timed")
        ms = np.asarray(durations_ns, dtype=np.float64) / 1e6
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        total_s = float(ms.sum()) / 1e3
        return cls(float(p50), float(p95), float(p99), float(ms.mean()), float(ms.std(ddof=0)),
                   len(ms) / total_s if total_s > 0 else float("inf"), len(ms))

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)
