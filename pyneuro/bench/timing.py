"""Timing one kernel call: warm-up, then the median of repeated samples.

The first call is timed on its own and never counted: it pays for page faults on fresh
outputs, lazy initialisation and, for Numba, JIT compilation (reported separately).
Calls much shorter than a millisecond are batched (`inner` calls per sample) so the
timer's own cost stays out of the figure. A per-case time budget bounds slow cases:
they get fewer samples (at least one), never an unbounded run.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

MIN_SAMPLE_S = 1e-3  # batch calls until one sample lasts about this long
MAX_INNER = 10_000


@dataclass
class Timing:
    median_s: float  # median seconds per call over the samples
    min_s: float  # fastest sample, seconds per call
    samples: int  # timed samples
    inner: int  # calls per sample
    first_call_s: float  # the first call alone (includes compilation, if any)


def measure(
    call: Callable[[], object],
    *,
    warmup: int = 2,
    repeat: int = 10,
    max_time: float = 1.0,
    sync: Callable[[], object] | None = None,
) -> Timing:
    """Time `call()`; `sync()` (if given) waits for asynchronous devices before each clock read."""
    sync = sync or (lambda: None)
    clock = time.perf_counter

    def once() -> float:
        start = clock()
        call()
        sync()
        return clock() - start

    first = once()
    spent, estimate = first, first
    for _ in range(warmup):
        if spent > max_time / 2:
            break
        estimate = once()
        spent += estimate
    estimate = max(estimate, 1e-9)
    inner = 1 if estimate >= MIN_SAMPLE_S else min(MAX_INNER, int(MIN_SAMPLE_S / estimate) + 1)
    per_sample = estimate * inner
    samples = repeat
    if per_sample * repeat > max_time:  # stay inside the budget, keep 3 samples when affordable
        samples = max(1, min(repeat, int(max_time / per_sample)))
        if samples < 3 and per_sample * 3 <= 2 * max_time:
            samples = min(repeat, 3)
    times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection in the middle of a sample is noise, not kernel time
    try:
        for _ in range(samples):
            start = clock()
            for _ in range(inner):
                call()
            sync()
            times.append((clock() - start) / inner)
    finally:
        if gc_was_enabled:
            gc.enable()
    return Timing(statistics.median(times), min(times), samples, inner, first)
