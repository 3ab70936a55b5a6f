"""The measured inference loop: batch size 1, warm-up first, repeated until the energy window is long enough."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

OutT = TypeVar("OutT")


@dataclass
class LoopResult(Generic[OutT]):
    predictions: list[OutT]  # one per input, from the first pass
    durations_ns: list[int]  # every timed request, all passes
    passes: int
    window_s: float


def measured_loop(predict: Callable[[str], OutT], inputs: Sequence[str], *, min_window_s: float,
                  warmup: int = 3, on_request: Callable[[], None] | None = None) -> LoopResult[OutT]:
    """Time each request; keep cycling over `inputs` until `min_window_s` has elapsed."""
    if not inputs:
        raise ValueError("nothing to measure: the test split is empty")
    for text in inputs[:warmup]:
        predict(text)
    clock = time.perf_counter_ns
    predictions: list[OutT] = []
    durations: list[int] = []
    passes = 0
    start = clock()
    deadline = start + int(min_window_s * 1e9)
    while True:
        passes += 1
        for text in inputs:
            t0 = clock()
            out = predict(text)
            durations.append(clock() - t0)
            if passes == 1:
                predictions.append(out)
            if on_request is not None:
                on_request()
        if clock() >= deadline:
            break
    return LoopResult(predictions, durations, passes, (clock() - start) / 1e9)
