"""The measured inference loop: batch size 1, warm-up first, repeated until the measurement window is long enough.

Cost per request, on top of the model: one clock read and one list append. Timestamps are chained (the
end of a request is the start of the next), which halves the clock reads; the few tens of ns of loop
bookkeeping this puts inside each measured duration are below the clock's own cost. Timestamps move to
a compact int64 array after each pass, so a fast model timed millions of times does not grow the
process by tens of MB of Python ints (that would show in its memory figures).
"""

from __future__ import annotations

import gc
import os
import time
from array import array
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

OutT = TypeVar("OutT")


@dataclass
class LoopResult(Generic[OutT]):
    predictions: list[OutT]  # one per input the first pass reached (every input unless the pass was cut short)
    durations_ns: np.ndarray[Any, np.dtype[np.int64]]  # every timed request, all passes
    passes: int
    window_s: float  # wall time of the timed passes (the measurement window)
    warmup_s: float
    cpu_user_s: float  # CPU time of this process during the window
    cpu_system_s: float

    @property
    def requests(self) -> int:
        return len(self.durations_ns)

    @property
    def inference_s(self) -> float:
        """Time spent inside the model's predict during the window."""
        return float(self.durations_ns.sum()) / 1e9


def measured_loop(predict: Callable[[str], OutT], inputs: Sequence[str], *, min_window_s: float,
                  warmup: int = 3, window: AbstractContextManager[Any] | None = None,
                  clock: Callable[[], int] = time.perf_counter_ns, cut_after: int | None = None) -> LoopResult[OutT]:
    """Warm up, collect garbage, then time each request over whole passes until `min_window_s` has elapsed.

    `window` is entered after the warm-up and left right after the last timed request: energy meters
    and samplers wrapped in it cover the timed requests only. `cut_after` (a cost probe): the first pass
    may end early, once it has timed that many requests and the window is long enough.
    """
    if not inputs:
        raise ValueError("nothing to measure: the test split is empty")
    w0 = clock()
    for index in range(warmup):
        predict(inputs[index % len(inputs)])
    warmup_s = (clock() - w0) / 1e9
    # Start the window without the garbage of loading and fitting, and move what survives (the harness's
    # modules and objects as much as the model's) out of the collector's reach: the collections that run
    # during the window then cost what the requests allocate, not what the harness imported.
    gc.collect()
    gc.freeze()
    try:
        return timed_passes(predict, inputs, min_window_s=min_window_s, window=window, clock=clock,
                            warmup_s=warmup_s, cut_after=cut_after)
    finally:
        gc.unfreeze()


def timed_passes(predict: Callable[[str], OutT], inputs: Sequence[str], *, min_window_s: float,
                 window: AbstractContextManager[Any] | None = None, clock: Callable[[], int] = time.perf_counter_ns,
                 warmup_s: float = 0.0, cut_after: int | None = None) -> LoopResult[OutT]:
    """The timed part of the loop: everything here is inside the measurement window.

    With `cut_after`, the first pass stops at the first request, from the `cut_after`-th on, that ends
    after the window's minimum: a probe of a slow model times a few inputs, of a fast one the whole pass
    (and more passes), and its answers are those of the first inputs, in order, as a full pass gives them.
    """
    stamps = array("q")
    predictions: list[OutT] = []
    keep = predictions.append
    with window if window is not None else nullcontext():
        cpu0 = os.times()
        start = clock()
        stamps.append(start)
        deadline = start + int(min_window_s * 1e9)
        batch: list[int] = []
        mark = batch.append
        if cut_after is None:
            for text in inputs:  # first pass: keep the outputs for scoring
                keep(predict(text))
                mark(clock())
        else:  # its own loop, so that a full pass pays no test per request
            for text in inputs:
                keep(predict(text))
                mark(clock())
                if batch[-1] >= deadline and len(batch) >= cut_after:
                    break
        stamps.extend(batch)
        passes = 1
        while batch[-1] < deadline:
            batch = []
            mark = batch.append
            for text in inputs:
                predict(text)
                mark(clock())
            stamps.extend(batch)
            passes += 1
        cpu1 = os.times()
    ends = np.asarray(stamps, dtype=np.int64)
    durations: np.ndarray[Any, np.dtype[np.int64]] = ends[1:] - ends[:-1]
    return LoopResult(predictions, durations, passes, (stamps[-1] - start) / 1e9, warmup_s,
                      cpu1.user - cpu0.user, cpu1.system - cpu0.system)
