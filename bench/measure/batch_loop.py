"""The offline scenario's measured loop: the whole test set at once, in passes, until the window is long enough.

There is no per-request latency here: the runtime may batch, reorder or interleave the requests of a
pass, so only the pass as a whole is timed. Throughput is requests ÷ window, as in the single-request loop.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

OutT = TypeVar("OutT")


@dataclass
class BatchResult(Generic[OutT]):
    predictions: list[OutT]  # one per input, from the first pass
    pass_ns: np.ndarray[Any, np.dtype[np.int64]]  # wall time of each pass over the whole test set
    items: int  # requests per pass
    window_s: float
    warmup_s: float
    cpu_user_s: float
    cpu_system_s: float

    @property
    def passes(self) -> int:
        return len(self.pass_ns)

    @property
    def requests(self) -> int:
        return self.passes * self.items

    @property
    def inference_s(self) -> float:
        return float(self.pass_ns.sum()) / 1e9

    def timing(self) -> dict[str, float | int]:
        """The record's timing fields for this scenario (no latency percentiles: requests overlap)."""
        return {"throughput_requests_per_s": self.requests / self.window_s if self.window_s > 0 else float("inf"),
                "requests_measured": self.requests, "pass_mean_s": self.inference_s / self.passes,
                "pass_min_s": float(self.pass_ns.min()) / 1e9}


def batch_loop(predict_batch: Callable[[list[str]], list[OutT]], inputs: Sequence[str], *, min_window_s: float,
               warmup: int = 3, window: AbstractContextManager[Any] | None = None,
               clock: Callable[[], int] = time.perf_counter_ns) -> BatchResult[OutT]:
    """Warm up on the first `warmup` inputs (one batch), then time whole passes until `min_window_s` has elapsed."""
    if not inputs:
        raise ValueError("nothing to measure: the test split is empty")
    texts = list(inputs)
    w0 = clock()
    if warmup:
        predict_batch([texts[i % len(texts)] for i in range(warmup)])
    warmup_s = (clock() - w0) / 1e9
    gc.collect()  # as in the single-request loop: the window pays for what the requests allocate, nothing else
    gc.freeze()
    try:
        with window if window is not None else nullcontext():
            cpu0 = os.times()
            start = clock()
            deadline = start + int(min_window_s * 1e9)
            predictions = predict_batch(texts)
            stamps = [start, clock()]
            while stamps[-1] < deadline:
                predict_batch(texts)
                stamps.append(clock())
            cpu1 = os.times()
    finally:
        gc.unfreeze()
    if len(predictions) != len(texts):
        raise ValueError(f"predict_batch returned {len(predictions)} predictions for {len(texts)} inputs")
    ends = np.asarray(stamps, dtype=np.int64)
    return BatchResult(predictions, ends[1:] - ends[:-1], len(texts), (stamps[-1] - start) / 1e9, warmup_s,
                       cpu1.user - cpu0.user, cpu1.system - cpu0.system)
