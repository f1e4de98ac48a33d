"""torch.profiler's step schedule: which training steps a long-running profile records.

Profiling every step of a long loop costs time and floods the table, so torch's recipe records
a window of steps and hands each finished window to a callback:

    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=1),
                 on_trace_ready=tensorboard_trace_handler("./log")) as prof:
        for batch in loader:
            train_step(batch)
            prof.step()            # step 0 waits, 1 warms up, 2-3 record, then the window is saved

`schedule(...)` is a function from the step number to a ProfilerAction:

    NONE             not recording (the `wait` steps, `skip_first`, and after `repeat` windows)
    WARMUP           not recording yet (torch runs its tracer here to let its start-up cost pass;
                     pyneuro's recording has no start-up cost, so a warm-up step records nothing)
    RECORD           recording
    RECORD_AND_SAVE  recording the window's last step: when it ends, `on_trace_ready(prof)` runs
                     with that window's events, and the next window starts from none

ProfilerActivity names what to trace (CPU, CUDA, ...): pyneuro always records the host work and
the kernels of whichever backend runs, so the value is accepted and kept, not needed.
"""

from __future__ import annotations

import enum
import os
import socket
import time
import warnings


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(
    *, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0, skip_first_wait: int = 0
):
    """The step -> ProfilerAction function: skip `skip_first` steps, then cycles of `wait` idle,
    `warmup` warm-up and `active` recorded steps, `repeat` times (0: until the loop ends).
    skip_first_wait=1 drops the first cycle's wait."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError("step must be non-negative")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        cycle = wait + warmup + active
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        within = step % cycle
        if within < wait:
            return ProfilerAction.NONE
        if within < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if within < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def record_every_step(step: int) -> ProfilerAction:
    """The schedule of a profile given none: every step records."""
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name: str | None = None, use_gzip: bool = False):
    """An on_trace_ready callback that writes each window's Chrome trace into dir_name as
    `<worker_name>.<time in ns>.pt.trace.json[.gz]` (TensorBoard's profiler plugin and
    https://ui.perfetto.dev open these files)."""
    dir_name = os.fspath(dir_name)

    def handler(prof) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))

    return handler
