"""How the profiler listens: recording kernel tables, the autograd hook, transfer events.

Three hooks, each installed by `start()` and removed by `stop()`, so that with no profile
recording pyneuro runs exactly the code it runs without a profiler:

1. kernels: `backends._registry._swap_tables` makes every kernel table lookup (`table_for`,
   `current`, `get`) return a `RecordingTable`, a copy of the backend module whose kernel
   entries (the ones costs.COSTS has a formula for) time each call and record it;
2. autograd ops: `autograd.function._Profiling.op` runs each Function's forward (in
   `Function.apply`) and backward (in the engine's walk) inside an "op" event, so the kernels
   an op calls nest under it, with the phase (forward/backward) they ran in;
3. transfers: on a device backend (cuda, cupy) the table's `asarray` of host data and its
   `to_numpy` are copies between host and device ("Memcpy HtoD"/"Memcpy DtoH"), and
   `Tensor.item()` is recorded on every device (on a GPU it waits for the device and copies).

A Function created while a profile recorded keeps its RecordingTable for backward: the table
records only while some profile is recording (`_current`), and passes calls straight through
otherwise.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from time import perf_counter_ns

import numpy as np

from .._tensor_base import TensorBase
from ..autograd.function import _Profiling
from ..backends import _registry
from . import costs

_current = None  # the Recorder that is recording, or None
_lock = threading.Lock()


@dataclass(eq=False)
class Event:
    """One recorded interval: a kernel call, an autograd op, a transfer or a user range.

    Times are perf_counter nanoseconds; `parent` is the op (or range) it ran inside, and an
    op's `children` are the events inside it (kernels, transfers)."""

    name: str
    cat: str  # "kernel", "op", "transfer" or "user"
    start_ns: int
    end_ns: int = 0
    tid: int = 0
    phase: str = ""  # "forward", "backward", or "" outside any autograd op
    backend: str = ""
    variant: str = ""
    shapes: tuple = ()
    flops: int = 0
    bytes: int = 0
    bound: str = ""  # kernels: "compute" or "memory" (costs.bound)
    alloc_bytes: int = 0  # ops, with profile_memory: the bytes of the arrays it returned
    args: dict = field(default_factory=dict)
    parent: Event | None = None
    children: list = field(default_factory=list)

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def self_ns(self) -> int:
        """Time not spent in the events nested inside (an op's own Python and array work)."""
        return self.duration_ns - sum(c.duration_ns for c in self.children)


def _shapes(values) -> tuple:
    return tuple(tuple(int(s) for s in v.shape) for v in values if hasattr(v, "shape"))


def _nbytes(result) -> int:
    """The bytes of the arrays an op returned (one array, or a tuple with None for no gradient)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    return sum(int(getattr(getattr(a, "_data", a), "nbytes", 0) or 0) for a in items if a is not None)


class Recorder:
    """The events of one profile and the per-thread stack of open ops."""

    def __init__(self, sync_device: bool = True, profile_memory: bool = False):
        self.events: list[Event] = []
        self.sync_device = sync_device
        self.profile_memory = profile_memory
        self._local = threading.local()

    def _stack(self) -> list:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def open(self, event: Event) -> Event:
        """Start an event inside whatever is open on this thread; it inherits the phase."""
        stack = self._stack()
        if stack:
            event.parent = stack[-1]
            event.phase = event.phase or event.parent.phase
        event.tid = threading.get_ident()
        stack.append(event)
        event.start_ns = perf_counter_ns()
        return event

    def close(self, event: Event) -> None:
        event.end_ns = perf_counter_ns()
        self._stack().pop()
        if event.parent is not None:
            event.parent.children.append(event)
        self.events.append(event)


# ----------------------------------------------------------------------------- kernels


# where `variant` sits among an entry's positional arguments (docs/DESIGN.md, "The backend layer")
_VARIANT_ARG = {
    "matmul": 4,
    "softmax_forward": 1,
    "conv2d_forward": 7,
    "conv2d_backward_input": 7,
    "conv2d_backward_weight": 7,
}


_DEFAULT_MATMUL = ("matmul_bias", "matmul_bias_relu", "matmul_relu_mask", "matmul_batched")


def _variant(table, entry, args, kwargs) -> str:
    """The rung a kernel ran: its `variant` argument, or the table's default for that family."""
    if entry in _DEFAULT_MATMUL:  # no variant argument: the table's default matmul
        return getattr(table, "DEFAULT_VARIANT", {}).get("matmul") or ""
    pos = _VARIANT_ARG.get(entry)
    if pos is None:
        return ""
    variant = kwargs.get("variant", args[pos] if len(args) > pos else None)
    if variant is None and entry == "matmul" and hasattr(table, "_result_dims"):
        trans = [
            kwargs.get(k, args[i] if len(args) > i else False) for i, k in ((2, "trans_a"), (3, "trans_b"))
        ]
        variant = table.default_matmul_variant(*table._result_dims(args[0], args[1], *trans))  # CUDA: by size
    if variant is None:
        variant = getattr(table, "DEFAULT_VARIANT", {}).get(entry.split("_")[0])
    return variant or ""


def _kernel(fn, entry: str, table):
    """fn (one kernel entry of `table`) recording a "kernel" event per call while profiling."""
    name, device = f"{table.NAME}::{entry}", table.DEVICE
    sync = getattr(table, "synchronize", None) if device != "cpu" else None

    def kernel(*args, **kwargs):
        rec = _current
        if rec is None:
            return fn(*args, **kwargs)
        event = rec.open(Event(name, "kernel", 0, backend=table.NAME))
        try:
            out = fn(*args, **kwargs)
            if sync is not None and rec.sync_device:
                sync()  # a launch returns at once: wait for the kernel, or its time is the launch's
        finally:
            rec.close(event)
        event.shapes = _shapes(args)
        event.variant = _variant(table, entry, args, kwargs)
        event.flops, event.bytes = costs.cost(entry, args, kwargs, out)
        event.bound = costs.bound(entry)
        event.args = {"entry": entry, "device": device}
        return out

    kernel.__name__ = kernel.__qualname__ = entry
    kernel.__doc__ = fn.__doc__
    return kernel


def _transfer(fn, direction: str, table):
    """asarray/to_numpy of a device table: a host <-> device copy when the data crosses."""
    name = "Memcpy HtoD" if direction == "HtoD" else "Memcpy DtoH"

    def transfer(a, *args, **kwargs):
        rec = _current
        on_host = isinstance(a, (np.ndarray, np.generic, list, tuple, int, float))
        crosses = on_host if direction == "HtoD" else not on_host  # host data: no copy to make
        if rec is None or not crosses:
            return fn(a, *args, **kwargs)
        event = rec.open(Event(name, "transfer", 0, backend=table.NAME))
        try:
            out = fn(a, *args, **kwargs)
        finally:
            rec.close(event)
        event.shapes = _shapes((a,))
        event.bytes = int(getattr(out if direction == "HtoD" else a, "nbytes", 0))
        event.args = {"direction": direction, "device": table.DEVICE}
        return out

    transfer.__name__ = transfer.__qualname__ = fn.__name__
    return transfer


class RecordingTable:
    """A kernel table that records: the backend module's attributes, with each kernel entry
    (and, on a device backend, the host <-> device copies) wrapped to record a call."""

    def __init__(self, table):
        self._table = table
        for entry in costs.COSTS:
            fn = getattr(table, entry, None)
            if callable(fn):
                setattr(self, entry, _kernel(fn, entry, table))
        if table.DEVICE != "cpu":
            self.asarray = _transfer(table.asarray, "HtoD", table)
            self.to_numpy = _transfer(table.to_numpy, "DtoH", table)

    def __getattr__(self, name):  # NAME, DEVICE, xp, VARIANTS, helpers: the module's own
        return getattr(self._table, name)

    def __repr__(self) -> str:
        return f"<recording kernel table {self._table.NAME!r}>"


_tables: dict = {}  # module -> its RecordingTable (made once per process, reused by every profile)


def recording_table(module):
    table = _tables.get(module)
    if table is None:
        table = _tables[module] = RecordingTable(module)
    return table


# ----------------------------------------------------------------------------- ops, item()


def _op(node, phase, method, *args, **kwargs):
    """_Profiling.op: run node.forward/backward inside an "op" event named like torch's."""
    rec = _current
    if rec is None:
        return method(*args, **kwargs)
    bk = getattr(node, "bk", None)
    if bk is not None and not isinstance(bk, RecordingTable):  # a node made before the profile began
        node.bk = recording_table(bk)
    name = type(node).__name__ if phase == "forward" else node.name()
    event = rec.open(Event(name, "op", 0, phase=phase, shapes=_shapes(args)))
    try:
        result = method(*args, **kwargs)
    finally:
        rec.close(event)
    if rec.profile_memory:
        event.alloc_bytes = _nbytes(result)
    return result


_plain_item = TensorBase.item


def _item(self):
    """Tensor.item() while profiling: recorded (on a GPU it waits for the device and copies)."""
    rec = _current
    if rec is None:
        return _plain_item(self)
    event = rec.open(Event("Tensor.item", "transfer", 0, shapes=_shapes((self._data,))))
    try:
        return _plain_item(self)
    finally:
        rec.close(event)
        crosses = self.device != "cpu"
        event.bytes = int(self._data.itemsize) if crosses else 0
        event.args = {"direction": "DtoH" if crosses else "none (host memory)", "device": self.device}


# ----------------------------------------------------------------------------- install


def install(recorder: Recorder) -> None:
    """Start recording into `recorder` (RuntimeError if another profile is recording)."""
    global _current
    with _lock:
        if _current is not None:
            raise RuntimeError("pyneuro.profiler: another profile is already recording")
        _current = recorder
        _Profiling.op = _op
        TensorBase.item = _item
        _registry._swap_tables(recording_table)


def uninstall(recorder: Recorder) -> None:
    """Stop recording: the plain tables, Function and Tensor.item again."""
    global _current
    with _lock:
        if _current is not recorder:
            return
        _registry._swap_tables(None)
        TensorBase.item = _plain_item
        _Profiling.op = None
        _current = None


def user_range(name: str):
    """Open a "user" event (record_function) in the recording profile; None when none records."""
    rec = _current
    return None if rec is None else (rec, rec.open(Event(name, "user", 0)))
