"""pyneuro.profiler: which kernel ran, on which backend, how long, and how close to the machine's peak.

Modelled on torch.profiler:

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
import json
import os
import sys
from time import perf_counter_ns

from . import costs
from ._record import Event, Recorder, install, uninstall, user_range
from .report import EventList, FunctionEventAvg, chrome_trace, key_averages

__all__ = [
    "profile",
    "record_function",
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

    sync_device: on a GPU backend, wait for each kernel to finish before stopping its clock
    (True: the time is the kernel's; False: only the launch, as the program would see it).
    Only one profile records at a time (RuntimeError for a second one).
    activities, record_shapes, with_flops: accepted so torch.profiler code runs unchanged;
    pyneuro always records the host and device work, the shapes and the FLOPs.
    """

    def __init__(self, *, sync_device: bool = True, activities=None, record_shapes=True, with_flops=True):
        self._recorder = Recorder(sync_device=sync_device)
        self._t0 = self._t1 = 0
        self._stats0 = None
        self.transfer_stats = None  # the cuda backend's counted copies during the profile

    def start(self) -> None:
        self._recorder.events.clear()
        self._stats0 = _cuda_transfer_stats()
        install(self._recorder)
        self._t0 = perf_counter_ns()
        self._t1 = 0

    def stop(self) -> None:
        self._t1 = perf_counter_ns()
        uninstall(self._recorder)
        after = _cuda_transfer_stats()
        if after is not None:
            before = self._stats0 or {}
            self.transfer_stats = {k: v - before.get(k, 0) for k, v in after.items()}

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

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """One row per name (and variant, and with group_by_input_shape per input shapes)."""
        return key_averages(self._recorder.events, self.wall_ns, machine_peaks, group_by_input_shape)

    def chrome_trace(self) -> dict:
        """The Trace Event Format object that export_chrome_trace writes."""
        meta = {"tool": "pyneuro.profiler", "wall_us": self.wall_ns / 1e3}
        if self.transfer_stats is not None:
            meta["cuda_transfer_stats"] = self.transfer_stats
        return chrome_trace(self._recorder.events, self._t0, meta)

    def export_chrome_trace(self, path) -> None:
        """Write the trace as JSON: open it in https://ui.perfetto.dev or chrome://tracing."""
        with open(os.fspath(path), "w", encoding="utf-8") as f:
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
