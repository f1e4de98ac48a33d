"""Scans and order statistics along one dim, like torch: cumprod, logcumsumexp, cummax,
cummin, median, nanmedian and mode (pn.median(t, 1) and t.median(1) are the same call).

The ones returning (values, indices) choose the indices on the host with NumPy (a stable
sort, running maxima), then take the values with `gather`, so their gradient goes to the
chosen element as in torch (a scatter-add: tied cummax positions add up at their winner).
Index choices follow torch's CPU kernels: median takes the lower middle element of a stable
sort (the first NaN if any), nanmedian the lower middle of the non-NaN ones, mode the
smallest most frequent value at its last position, cummax/cummin the latest tie.

Arrows: imports autograd, _dtype, _errors, _shapes and _tensor_base; _tensor_compat
(the Tensor methods) and the package import this module.
"""

from __future__ import annotations

import numpy as np

from . import _sorting, return_types
from . import autograd as _ag
from ._dtype import _dtype, int64, torch_name
from ._errors import DTypeNotImplemented
from ._shapes import numpy_keywords, one_dim
from ._tensor_base import TensorBase, _backend, _from_data


def _host(t: TensorBase) -> np.ndarray:
    return np.asarray(_backend(t.device).to_numpy(t._data))


def _dim(t: TensorBase, dim, what: str) -> int:
    """one_dim, its TypeError naming the op (cummax(): argument 'dim' must be int, not tuple)."""
    try:
        return one_dim(dim, t.ndim)
    except TypeError as exc:
        raise TypeError(f"{what}(): {exc}") from None


def _check_nonempty(t: TensorBase, d: int, what: str) -> None:
    if t.ndim and t.shape[d] == 0:
        raise IndexError(f"{what}(): Expected reduction dim {d} to have non-zero size.")


def _gather_at(t: TensorBase, d: int, idx: np.ndarray, what: str, keepdim: bool = True):
    """(t's values at idx along d, idx as an int64 tensor); idx has keepdim's shape."""
    if t.ndim == 0:
        return getattr(return_types, what)(t.clone(), _from_data(np.zeros((), np.int64), None, t.device))
    index = _from_data(np.ascontiguousarray(idx, dtype=np.int64), None, t.device)
    values = t._gather(d, index)
    if not keepdim:
        values, index = values.squeeze(d), index.squeeze(d)
    # a changed index raises; cummax/cummin's node saves the input too (torch's cummaxmin_backward reads it)
    values = _ag.watch(
        _ag.renamed(values, _NODE_NAMES[what]), index, *((t,) if what.startswith("cum") else ())
    )
    return getattr(return_types, what)(values, index)


# torch's node names for the values (what values.grad_fn prints)
_NODE_NAMES = {"median": "MedianBackward1", "nanmedian": "NanmedianBackward1", "mode": "ModeBackward0",
               "cummax": "CummaxBackward0", "cummin": "CumminBackward0"}  # fmt: skip


def _last_axis(t: TensorBase, d: int) -> np.ndarray:
    return np.moveaxis(_host(t), d, -1)


# ----------------------------------------------------------------------------- scans


@numpy_keywords
def cumprod(input, dim, *, dtype=None):
    """Running product along dim: out_j = x_0 x_1 ... x_j (integers and bools give int64).

    The gradient is exact where the input holds zeros (no division by them; see
    autograd.scan.CumProd).
    """
    if dtype is not None and _dtype(dtype).kind == "b":
        raise NotImplementedError("\"cumprod_out_cpu\" not implemented for 'Bool'")
    t = input if dtype is None else input._reduce_in(dtype)
    if dtype is None and t._data.dtype.kind in "biu" and t._data.dtype != int64:
        t = t._cast(int64)
    out = _ag.CumProd.apply(t, dim=dim)
    return out if out._data.dtype == t._data.dtype else out._cast(t._data.dtype)


@numpy_keywords
def logcumsumexp(input, dim):
    """Running log(sum(exp(x))) along dim, computed stably (a running logaddexp); floats only."""
    if input._data.dtype.kind != "f":
        raise DTypeNotImplemented(f"\"logcumsumexp_out_cpu\" not implemented for '{torch_name(input.dtype)}'")
    return _ag.LogCumSumExp.apply(input, dim=dim)


def _cum_extreme(t: TensorBase, dim, largest: bool, what: str) -> tuple:
    d = _dim(t, dim, what)
    if t.ndim == 0:
        return _gather_at(t, 0, None, what)
    a = _last_axis(t, d)
    if a.size == 0:
        idx = np.zeros(a.shape, np.int64)
    else:
        running = (np.maximum if largest else np.minimum).accumulate(a, axis=-1)  # NaN sticks
        # torch's kernel moves the index on every tie (>= / <=) and on every NaN
        won = (a == running) | np.isnan(a) if a.dtype.kind == "f" else a == running
        idx = np.maximum.accumulate(np.where(won, np.arange(a.shape[-1]), 0), axis=-1)
    return _gather_at(t, d, np.moveaxis(idx, -1, d), what)


@numpy_keywords
def cummax(input, dim) -> tuple:
    """(running maximum along dim, the index where it was reached: the latest on ties)."""
    return _cum_extreme(input, dim, True, "cummax")


@numpy_keywords
def cummin(input, dim) -> tuple:
    """(running minimum along dim, the index where it was reached: the latest on ties)."""
    return _cum_extreme(input, dim, False, "cummin")


# ----------------------------------------------------------------------------- order statistics


def _median_index(a: np.ndarray, ignore_nan: bool) -> np.ndarray:
    """The index of the (lower) median along the last axis of a (size > 0)."""
    n = a.shape[-1]
    order = np.argsort(a, axis=-1, kind="stable")  # NaNs last, in their order
    if a.dtype.kind != "f":
        return order[..., (n - 1) // 2]
    nans = np.isnan(a)
    k = np.maximum((n - nans.sum(axis=-1) - 1) // 2, 0) if ignore_nan else np.full(a.shape[:-1], (n - 1) // 2)
    idx = np.take_along_axis(order, k[..., None], axis=-1)[..., 0]
    return idx if ignore_nan else np.where(nans.any(axis=-1), nans.argmax(axis=-1), idx)


def _whole_median_index(a: np.ndarray, ignore_nan: bool) -> int:
    """A flat index of the lower median of all of a (size > 0) by a partition, O(n) where a sort is
    O(n log n): which of equal elements does not matter (their gradient is shared evenly)."""
    nans = np.isnan(a) if a.dtype.kind == "f" else None
    if nans is not None and nans.any():
        if not ignore_nan or nans.all():
            return int(nans.argmax())  # median: NaN (nanmedian of all NaN too)
        k = (a.size - int(nans.sum()) - 1) // 2  # (the partition puts NaNs last)
    else:
        k = (a.size - 1) // 2
    return int(np.argpartition(a, k)[k])


def _median(t: TensorBase, dim, keepdim: bool, ignore_nan: bool):
    if t._data.dtype.kind == "b":
        raise DTypeNotImplemented("\"median_out\" not implemented for 'Bool'")
    if dim is None:
        if t.numel() == 0:
            # torch's NaN, cast to an integer dtype as x86 does: the lowest int32/int64, else 0
            kind, size = t._data.dtype.kind, t._data.dtype.itemsize
            empty = np.nan if kind == "f" else np.iinfo(t._data.dtype).min if kind == "i" and size >= 4 else 0
            return _from_data(np.array(empty, t._data.dtype), None, t.device)
        i = _whole_median_index(_host(t).reshape(-1), ignore_nan)
        return _ag.renamed(
            _ag.SelectEvenly.apply(t, index=i), "NanmedianBackward0" if ignore_nan else "MedianBackward0"
        )
    what = "nanmedian" if ignore_nan else "median"
    d = _dim(t, dim, what)
    _check_nonempty(t, d, "median")
    if t.ndim == 0:
        return _gather_at(t, 0, None, what)
    a = _last_axis(t, d)
    idx = np.zeros(a.shape[:-1], np.int64) if a.size == 0 else _median_index(a, ignore_nan)
    return _gather_at(t, d, np.expand_dims(idx, d), what, keepdim)


@numpy_keywords
def median(input, dim=None, keepdim=False):
    """No dim: the lower median of all elements (NaN if any is NaN; the gradient is shared
    by the elements equal to it). With dim: (values, indices) of the lower median along dim,
    like torch.median (for an even count the smaller middle value, not the mean of the two).
    """
    return _median(input, dim, keepdim, ignore_nan=False)


@numpy_keywords
def nanmedian(input, dim=None, keepdim=False):
    """median that skips NaNs (NaN only where every value is NaN), like torch.nanmedian."""
    return _median(input, dim, keepdim, ignore_nan=True)


@numpy_keywords
def mode(input, dim=-1, keepdim=False) -> tuple:
    """(values, indices): the most frequent value along dim (the smallest on a tie of counts)
    and the last index holding it, like torch.mode. NaNs are never equal, so each counts once."""
    d = _dim(input, dim, "mode")
    _check_nonempty(input, d, "mode")
    if input.ndim == 0:
        return _gather_at(input, 0, None, "mode")
    a = _last_axis(input, d)
    native = None if a.size == 0 else _sorting.mode(a, a.ndim - 1)  # torch's index (C++), or None
    if native is not None:
        idx = native[..., 0]
    elif a.size == 0:
        idx = np.zeros(a.shape[:-1], np.int64)
    else:
        order = np.argsort(a, axis=-1, kind="stable")
        s = np.take_along_axis(a, order, axis=-1)
        pos = np.arange(a.shape[-1])
        starts = np.ones(s.shape, dtype=bool)
        starts[..., 1:] = s[..., 1:] != s[..., :-1]
        run_start = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
        # the first position where a run is longest ends the smallest value's longest run,
        # and (the sort being stable) holds that value's last index
        end = np.argmax(pos - run_start, axis=-1)
        idx = np.take_along_axis(order, end[..., None], axis=-1)[..., 0]
    return _gather_at(input, d, np.expand_dims(idx, d), "mode", keepdim)


__all__ = ["cumprod", "logcumsumexp", "cummax", "cummin", "median", "nanmedian", "mode"]
