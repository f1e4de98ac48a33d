"""What the numba backend's wrapper modules share: the launch of a kernel (multi-threaded
or not, decided by the work) and the preparation of float32 inputs.

Used by the table (__init__.py), linear.py and conv.py. PARALLEL_MIN_NS is read at every
call, so a test or benchmark can set it here to force one twin. Large outputs come from a
pool (`empty`, `empty_like`), as the C++ backend's do.
"""

from __future__ import annotations

import math
import os
import sys
import threading

import numba
import numpy as np

from .. import _checks

FLOAT32 = np.dtype(np.float32)

# Rough single-thread cost of the kernels' inner loops (this machine class, AVX-512), used
# only to decide whether a call is worth waking the other threads for.
NS_PER_ELEMENT = 0.25  # elementwise kernels and reductions without exp
NS_PER_EXP = 0.6  # softmax-family kernels, per element
NS_PER_FMA = 0.0125  # matmul, per multiply-add (~80 GFLOP/s)
PARALLEL_MIN_NS = 20_000.0


def run(kernel, work_ns: float, *args):
    """Call a kernel: its multi-threaded version for big work, its single-threaded one below
    ~20 µs of work, where waking the thread pool would cost more than sharing saves.

    The choice depends on the work only, never on the thread count (see ParallelKernel).
    """
    return kernel.run(work_ns >= PARALLEL_MIN_NS, *args)


def threads_for(work_ns: float) -> int:
    """The threads a kernel launched by run() will use (for planning its split of the work)."""
    return numba.get_num_threads() if work_ns >= PARALLEL_MIN_NS else 1


# ----------------------------------------------------------------------------- input preparation
def is_plain(x, ndim: int | None = None, writeable: bool = False) -> bool:
    """Is x what the kernels take as it is: a C-contiguous, aligned float32 ndarray (of ndim
    dimensions, writeable if asked)? The one cheap test in front of every wrapper's checks.
    (A float32 dtype that is not numpy's canonical object just fails it: the checked path.)"""
    if type(x) is not np.ndarray or x.dtype is not FLOAT32 or (ndim is not None and x.ndim != ndim):
        return False
    flags = x.flags
    return flags.c_contiguous and flags.aligned and (flags.writeable or not writeable)


def f32(x, name: str, ndim: int | None = None) -> np.ndarray:
    """Validate x (shared checks), require float32, return it C-contiguous."""
    if is_plain(x, ndim):
        return x  # the common case, without the general checks' ~0.4 us
    if isinstance(x, np.generic):  # NumPy's result of arithmetic on 0-d arrays (a 0-d gradient)
        x = np.asarray(x)
    _checks.require_array(x, name, ndim)
    _checks.require_float32(x, name)  # the numba backend computes in float32, like the C++ one
    return aligned(x if x.flags.c_contiguous else np.ascontiguousarray(x))  # (which makes 0-d 1-d)


def aligned(x: np.ndarray) -> np.ndarray:
    """x, or an aligned copy of a view at an odd byte offset: numba would compile a second,
    unaligned specialisation of every kernel for it."""
    return x if x.flags.aligned else x.copy()


# ----------------------------------------------------------------------------- large outputs
# An output of 32 MiB or more would be fresh pages from the OS on every call, each faulted in
# and zeroed while the kernel writes it: a 1024 x 50000 softmax took 19-21 ms so, 11.5-12 ms
# into memory already mapped (Zen 5, 2 threads). As in the C++ backend's output pool
# (csrc/bindings/output_pool.h), those outputs are recycled: the pool keeps each array it hands
# out and hands it out again once nothing else refers to it (a view holds its base, so a live
# view keeps it taken), the newest POOL_MAX_BYTES of them; PYNEURO_OUTPUT_POOL=0 turns it off.
POOL_MIN_BYTES = 32 << 20
POOL_MAX_BYTES = 1 << 30
_pool: list = []  # oldest first
_pool_lock = threading.Lock()


def empty(shape, dtype=FLOAT32) -> np.ndarray:
    """An uninitialised C-contiguous output array, recycled when large (every kernel output)."""
    shape, dtype = tuple(shape), np.dtype(dtype)
    if (
        math.prod(shape) * dtype.itemsize < POOL_MIN_BYTES
        or os.environ.get("PYNEURO_OUTPUT_POOL", "1") == "0"
    ):
        return np.empty(shape, dtype)
    with _pool_lock:
        for i in range(len(_pool)):
            # Free: the only references are the pool's and getrefcount's own argument.
            if _pool[i].shape == shape and _pool[i].dtype == dtype and sys.getrefcount(_pool[i]) == 2:
                _pool.append(_pool.pop(i))  # the newest now
                return _pool[-1]
        out = np.empty(shape, dtype)
        _pool.append(out)
        total = sum(a.nbytes for a in _pool)
        while total > POOL_MAX_BYTES and len(_pool) > 1:  # forget the oldest (in use or not)
            total -= _pool.pop(0).nbytes
        return out


def empty_like(x: np.ndarray) -> np.ndarray:
    """empty() of x's shape and dtype."""
    return empty(x.shape, x.dtype)


def clear_pool() -> None:
    """Forget every pooled output (the arrays still in use stay valid)."""
    with _pool_lock:
        _pool.clear()
