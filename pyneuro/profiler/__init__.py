"""pyneuro.profiler: which kernel ran, on which backend, how long, and how close to the machine's peak.

Modelled on torch.profiler (schedule.py has its step schedule, for profiling a window of a long loop):

    from pyneuro.profiler import profile, record_function

    with profile() as prof:
        loss = F.cross_entropy(model(x), y)           # forward: ops and the kernels they call
        loss.backward()                                # backward: one op per node the engine walks
        with record_function("optimizer.step"):
            opt.step()                                 # sgd_step / adam_step kernels
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.export_chrome_trace("step.json")              # open in https://ui.perfetto.dev

What is recorded (each an Event, `prof.events()`):
- kernel: every call of a kernel-table entry (`cpu::matmul`, `numba::relu_forward`, ...): its
  backend, variant (the rung of the ladder), input shapes, wall time, and FLOPs and bytes from
  the formulas in costs.py, hence GFLOP/s, GB/s and % of the measured peak;
- op: every autograd Function's forward (named like the class, `Linear`) and backward (named
  like torch's node, `LinearBackward0`), with the kernels it called nested inside it and the
  phase (forward/backward) they ran in; an op's "self" time is its Python and array work;
- transfer: host <-> device copies on a GPU backend ("Memcpy HtoD"/"DtoH") and `Tensor.item()`;
- user: ranges you mark with `record_function(name)`.

Cost when off: nothing is wrapped while no profile records (see _record.py): the kernel tables
are the backend modules themselves and the autograd hook is one `is None` check per op.
bench/results/profiler_overhead.md has the measurement.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import sys
from time import perf_counter_ns

from . import costs
from ._record import Event, Recorder, install, uninstall, user_range
from .report import EventList, FunctionEventAvg, chrome_trace, key_averages
from .schedule import ProfilerAction, ProfilerActivity, record_every_step, schedule, tensorboard_trace_handler

__all__ = [
    "profile",
    "record_function",
    "schedule",
    "ProfilerAction",
    "ProfilerActivity",
    "tensorboard_trace_handler",
    "machine_peaks",
    "Event",
    "EventList",
    "FunctionEventAvg",
    "costs",
]


def machine_peaks() -> dict:
    """The machine's FMA peak and copy bandwidth, measured once per process (a quick, small
    measurement, ~0.2 s: pyneuro.bench.machine.measure_peaks) with pyneuro's thread count."""
    from .. import get_num_threads  # the tools layer: loaded only when a table needs the peaks
    from ..bench.machine import measure_peaks

    return measure_peaks(get_num_threads(), small=True)


def _cuda_transfer_stats():
    """The cuda backend's copy counters when it is loaded (None otherwise)."""
    cuda = sys.modules.get("pyneuro.backends.cuda_backend")
    stats = getattr(cuda, "transfer_stats", None)
    return dict(stats()) if stats is not None else None


class profile:
    """Record kernels, autograd ops and transfers while active (a context manager, or start/stop).

    torch.profiler.profile's arguments:
    schedule, on_trace_ready: record only some steps (see schedule.py): call `prof.step()` at
        the end of each training step; each finished window is handed to on_trace_ready(prof);
    profile_memory: each op's row also shows the bytes of the arrays it returned (what it
        allocated: "CPU Mem"; sort_by="self_cpu_memory_usage");
    activities, record_shapes, with_flops, with_stack, with_modules, ...: accepted so torch code
        runs unchanged; pyneuro always records the host and device work, the shapes and FLOPs.
    sync_device (pyneuro's own): on a GPU backend, wait for each kernel to finish before
    stopping its clock (True: the time is the kernel's; False: only the launch).
    Only one profile records at a time (RuntimeError for a second one).
    """

    def __init__(
        self,
        *,
        activities=None,
        schedule=None,
        on_trace_ready=None,
        record_shapes=False,
        profile_memory=False,
        with_stack=False,
        with_flops=False,
        with_modules=False,
        experimental_config=None,
        execution_trace_observer=None,
        acc_events=False,
        use_cuda=None,
        custom_trace_id_callback=None,
        sync_device: bool = True,
    ):
        self.activities = set(activities) if activities is not None else {ProfilerActivity.CPU}
        self.record_steps = schedule is not None  # a "ProfilerStep#N" range around each step
        self.schedule = schedule or record_every_step
        self.on_trace_ready = on_trace_ready
        self.profile_memory = bool(profile_memory)
        self._recorder = Recorder(sync_device=sync_device, profile_memory=self.profile_memory)
        self._t0 = self._t1 = 0
        self._stats0 = None
        self._recording = False
        self._step_range = None
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.transfer_stats = None  # the cuda backend's counted copies during the profile

    # --------------------------------------------------------------- recording on and off
    def _begin(self) -> None:
        self._recorder.events.clear()
        self._stats0 = _cuda_transfer_stats()
        install(self._recorder)
        self._recording = True
        self._t0 = perf_counter_ns()
        self._t1 = 0

    def _end(self) -> None:
        self._t1 = perf_counter_ns()
        uninstall(self._recorder)
        self._recording = False
        after = _cuda_transfer_stats()
        if after is not None:
            before = self._stats0 or {}
            self.transfer_stats = {k: v - before.get(k, 0) for k, v in after.items()}

    def _enter_action(self, action) -> None:
        if action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE) and not self._recording:
            self._begin()
        if self.record_steps and self._recording:
            self._step_range = user_range(f"ProfilerStep#{self.step_num}")

    def _close_step_range(self) -> None:
        if self._step_range is not None:
            self._step_range[0].close(self._step_range[1])
            self._step_range = None

    def _finish_window(self) -> None:
        """Stop recording and hand the window to on_trace_ready."""
        if self._recording:
            self._end()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def start(self) -> None:
        self._enter_action(self.current_action)

    def stop(self) -> None:
        self._close_step_range()
        if self._recording:
            self._finish_window()

    def step(self) -> None:
        """End one training step: move along the schedule (record, save a window, or wait)."""
        self._close_step_range()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if previous == ProfilerAction.RECORD_AND_SAVE or (
            previous == ProfilerAction.RECORD
            and self.current_action in (ProfilerAction.NONE, ProfilerAction.WARMUP)
        ):
            self._finish_window()
        self._enter_action(self.current_action)

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def wall_ns(self) -> int:
        return (self._t1 or perf_counter_ns()) - self._t0

    def events(self) -> list:
        """Every recorded Event, in the order they ended (kernels before the op around them)."""
        return list(self._recorder.events)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0, **_) -> EventList:
        """One row per name (and variant, and with group_by_input_shape per input shapes).
        group_by_stack_n is accepted for torch's code; pyneuro records no call stacks."""
        return key_averages(
            self._recorder.events, self.wall_ns, machine_peaks, group_by_input_shape, self.profile_memory
        )

    def chrome_trace(self) -> dict:
        """The Trace Event Format object that export_chrome_trace writes."""
        meta = {"tool": "pyneuro.profiler", "wall_us": self.wall_ns / 1e3}
        if self.transfer_stats is not None:
            meta["cuda_transfer_stats"] = self.transfer_stats
        return chrome_trace(self._recorder.events, self._t0, meta)

    def export_chrome_trace(self, path) -> None:
        """Write the trace as JSON (gzipped when the name ends in .gz): open it in
        https://ui.perfetto.dev or chrome://tracing."""
        path = os.fspath(path)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8") as f:
            json.dump(self.chrome_trace(), f)


@contextlib.contextmanager
def record_function(name: str):
    """Mark a range of your code (e.g. "optimizer.step") as a "user" event in the profile."""
    opened = user_range(str(name))
    try:
        yield
    finally:
        if opened is not None:
            opened[0].close(opened[1])
