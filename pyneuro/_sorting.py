"""The indices of sort, argsort, topk, kthvalue and mode on CPU, equal to torch's among
equal values and NaN.

Which position comes back among equal values is decided by the algorithm that sorted, not by
the values: torch.tensor([5, 5, 5, 5, 5]).topk(1).indices is [2], and torch.sort (stable=False,
its default) leaves ties in the order its introsort happens to leave them. torch's CPU kernels
run the C++ standard library's sort, partial sort and selection on (value, index) pairs; the
C++ extension runs the same algorithms (csrc/cpu/sorting.cpp, which says how each op picks
them), and this module moves the dim last, chooses the variant torch chooses, and puts the
result back. Each function returns a NumPy int64 array, or None when the extension cannot
serve the array (not built, PYNEURO_DISABLE_CPU_EXT, a GPU array, an unsupported dtype): the
caller then falls back to NumPy's stable argsort, which gives the same values and the same
indices wherever the values are distinct. check_args is the argument check the methods share.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from ._dtype import torch_name
from ._errors import ArgumentError
from .backends import _registry

# torch sorts a 1-D integer tensor of at least this many elements (at::internal::GRAIN_SIZE)
# ascending with FBGEMM's radix sort, which is stable, whatever stable= says.
_RADIX_MIN = 32768

# argsort looks for ties among this many values of the first row before it tries NumPy's sort.
_PROBE = 4096
_CROWDED = 65536

# dtypes the kernels read directly; the others are widened first (the same order).
_DIRECT = {
    np.dtype(t) for t in (np.float32, np.float64, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_)
}
_WIDENED = {np.dtype(np.float16): np.float32, np.dtype(np.uint16): np.int32, np.dtype(np.uint32): np.int64}


def check_args(op: str, **args) -> None:
    """torch's argument parser for the ordering methods: k an int (not a bool), the flags
    (descending, largest, sorted; stable may be None) Python bools; TypeError otherwise."""
    for name, v in args.items():
        if name == "k" and (isinstance(v, bool) or not hasattr(v, "__index__")):
            raise TypeError(f"{op}(): argument 'k' (position 1) must be int, not {type(v).__name__}")
        if name != "k" and not isinstance(v, bool) and not (name == "stable" and v is None):
            raise TypeError(f"{op}(): argument '{name}' must be bool, not {type(v).__name__}")


def _kernel(name: str, a):
    """The extension's function `name` if it can take a's data, else None."""
    if type(a) is not np.ndarray or (a.dtype not in _DIRECT and a.dtype not in _WIDENED):
        return None
    if "pyneuro._cpu" not in sys.modules:
        _registry.status("cpu")  # loads the extension once, with the cpu backend's settings
    return getattr(sys.modules.get("pyneuro._cpu"), name, None)


def _last(a: np.ndarray, d: int) -> np.ndarray:
    """np.moveaxis(a, d, -1), without its ~2 us where that is a itself (d the last dim: topk(x, k),
    sort(x), the common calls)."""
    return a if d == a.ndim - 1 else np.moveaxis(a, d, -1)


def _rows(a: np.ndarray, d: int) -> np.ndarray:
    """a with dim d moved last, as the C-contiguous rows x n array the kernels read."""
    moved = _last(a, d)
    if a.dtype in _WIDENED:
        moved = moved.astype(_WIDENED[a.dtype])
    return np.ascontiguousarray(moved).reshape(math.prod(moved.shape[:-1]), moved.shape[-1])


def _unrows(out: np.ndarray, a: np.ndarray, d: int) -> np.ndarray:
    """A kernel's rows x m result back in a's layout, its m positions along dim d."""
    lead = _last(a, d).shape[:-1]
    moved = out.reshape(lead + out.shape[1:])
    return np.ascontiguousarray(moved if d == a.ndim - 1 else np.moveaxis(moved, -1, d))


def _ties(rows: np.ndarray, order=None) -> np.ndarray:
    """Per row: does it hold two equal values or a NaN? (order: its ascending argsort.)"""
    s = np.sort(rows, axis=-1) if order is None else np.take_along_axis(rows, order, axis=-1)
    ties = (s[:, 1:] == s[:, :-1]).any(axis=1)
    return ties | np.isnan(s[:, -1]) if rows.dtype.kind == "f" and rows.shape[1] else ties


def argsort(a, d: int, descending: bool, stable: bool):
    """torch.sort(a, d, descending, stable).indices, or None (see the module docstring)."""
    n = a.shape[d]
    if a.size == 0:  # (no row loop over a huge empty tensor: zeros(2**40, 0).sort(1) is instant in torch)
        return np.zeros(a.shape, np.int64)
    if n > 1 and a.strides[d] == 0:  # an expanded dim: torch returns 0..n-1 without sorting
        shape = [1] * a.ndim
        shape[d] = n
        return np.broadcast_to(np.arange(n, dtype=np.int64).reshape(shape), a.shape).copy()
    radix = a.ndim == 1 and a.dtype.kind in "iu" and not descending and a.size >= _RADIX_MIN
    sort = _kernel("sort_indices", a)
    if stable or radix or sort is None:
        return None  # a stable order is unique: NumPy's stable argsort is torch's
    rows = _rows(a, d)
    # Rows whose values are all distinct have one sorted order whatever the algorithm: rows
    # already strictly increasing are their own answer, and NumPy's (SIMD) quicksort finds the
    # others' ~5x faster than the pair sort. The rows with ties (or NaN) go to the kernel, which
    # leaves them in torch's order. When the first row's first values hold a tie, the data is
    # taken to be tie-heavy (integers, zeros) and goes to the kernel at once; so do rows of
    # 65536+ values of 4 bytes or less, which nearly always repeat one (65536 float32 draws of
    # randn hold ~36 repeats).
    if rows.size == 0:
        return _unrows(np.zeros(rows.shape, np.int64), a, d)
    if (rows[:, 1:] > rows[:, :-1]).all():  # already strictly increasing: distinct, sorted
        order = np.broadcast_to(np.arange(rows.shape[1]), rows.shape)
        return _unrows(order[:, ::-1] if descending else order, a, d)
    if (rows.shape[1] >= _CROWDED and rows.itemsize <= 4) or _ties(rows[:1, :_PROBE])[0]:
        return _unrows(sort(rows, descending, False), a, d)
    order = np.argsort(rows, axis=-1)
    ties = _ties(rows, order)
    if descending:
        order = order[:, ::-1]
    if ties.any():
        order = np.array(order)
        order[ties] = sort(np.ascontiguousarray(rows[ties]), descending, False)
    return _unrows(order, a, d)


def topk(a, d: int, k: int, largest: bool, sorted: bool):
    """torch.topk(a, k, d, largest, sorted).indices (0 <= k <= a.shape[d]), or None."""
    if a.size == 0:
        return np.zeros(a.shape[:d] + (k,) + a.shape[d + 1 :], np.int64)
    fn = _kernel("topk_indices", a)
    return None if fn is None else _unrows(fn(_rows(a, d), k, largest, sorted), a, d)


def kthvalue(a, d: int, k: int):
    """torch.kthvalue(a, k, d, keepdim=True).indices (1 <= k <= a.shape[d]), or None."""
    if a.size == 0:
        return np.zeros(a.shape[:d] + (1,) + a.shape[d + 1 :], np.int64)
    fn = _kernel("kthvalue_indices", a)
    return None if fn is None else _unrows(fn(_rows(a, d), k)[:, None], a, d)


def mode(a, d: int):
    """torch.mode(a, d, keepdim=True).indices (a.shape[d] >= 1), or None."""
    if a.size == 0:
        return np.zeros(a.shape[:d] + (1,) + a.shape[d + 1 :], np.int64)
    fn = _kernel("mode_indices", a)
    return None if fn is None else _unrows(fn(_rows(a, d))[:, None], a, d)


def check_sorter(bounds: np.ndarray, order: np.ndarray) -> None:
    """torch.searchsorted's checks of sorter= (NumPy read [0, 1, 5] for 3 boundaries as some order, and
    raised ValueError or TypeError for the others): the boundaries' shape, int64, each index in range."""
    if order.shape != bounds.shape:
        raise ArgumentError(
            "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor "
            f"{list(bounds.shape)}and got sorter tensor {list(order.shape)}"
        )
    if order.dtype != np.int64:
        raise ArgumentError(
            f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype {torch_name(order.dtype)}"
        )
    if order.size and (order.min() < 0 or order.max() >= bounds.shape[-1]):
        raise ArgumentError("torch.searchsorted(): sorter index out of range")
