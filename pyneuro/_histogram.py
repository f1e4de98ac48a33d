"""torch's histogram kernels on host arrays (aten/native/cpu/HistogramKernel.cpp): the bin edges
(torch.linspace's values bit for bit), the bin of each element, and the counts. Tensor.histc
and Tensor.histogram (_tensor_reduce.py) use them, and so does torch.histogramdd, defined here:
a D-dimensional histogram of the rows of an (..., D) tensor, each dimension binned as
torch.histogram bins one (equal bins over a range, or the edges a 1-D tensor gives).

Arrows: imports _dtype, _errors, _memory, _tensor_base, creation and return_types.
"""

from __future__ import annotations

import builtins
from fractions import Fraction

import numpy as np

from . import return_types
from ._dtype import c_type_name
from ._errors import ArgumentError
from ._memory import check_allocation
from ._tensor_base import TensorBase, _backend, _from_data
from .creation import evenly_spaced


def _host(t) -> np.ndarray:
    return np.asarray(_backend(t.device).to_numpy(t._data))


def check_bins(bins, dim=0):
    if bins <= 0:
        raise ArgumentError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension {dim}")


_EXACT_EDGES = 4097  # up to this many edges, exact Fractions; beyond, creation.evenly_spaced


def torch_linspace(start, end, steps, dtype):
    """torch.linspace's values in dtype, bit for bit: its kernel computes start + step * i for the
    first half and end - step * (steps - 1 - i) for the rest, each as one fused multiply-add
    (one rounding), which the exact Fraction arithmetic here reproduces."""
    check_allocation(48 * steps, "histogram edges")  # (bins=2**34: torch's allocation error, at once)
    if steps > _EXACT_EDGES:  # an exact Fraction per edge costs ~10 us (a million bins took 9 s), so
        # linspace's own arithmetic: float32 the same bits, float64 1 ulp off at a few edges
        return evenly_spaced(start, end, steps, dtype)
    start, end = dtype.type(start), dtype.type(end)
    step = (end - start) / dtype.type(builtins.max(steps - 1, 1))
    s, e, d = Fraction(float(start)), Fraction(float(end)), Fraction(float(step))
    exact = [s + d * i if i < steps // 2 else e - d * (steps - 1 - i) for i in builtins.range(steps)]
    return np.array([float(v) for v in exact]).astype(dtype)


def uniform_edges(column, bins, lo_hi, dim):
    """The bins + 1 edges torch.histogram / histogramdd use for one dimension: over lo_hi, else
    the data's min and max (0 and 1 without data), widened by 1/2 each way when they are equal."""
    check_bins(bins, dim)
    if lo_hi is not None:
        lo, hi = float(lo_hi[0]), float(lo_hi[1])
    else:
        lo, hi = (float(column.min()), float(column.max())) if column.size else (0.0, 1.0)
    if lo > hi:
        raise RuntimeError(
            f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for dimension {dim}"
        )
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{lo:g}, {hi:g}] is not finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return torch_linspace(lo, hi, int(bins) + 1, column.dtype)


def bin_positions(data, edges, how):
    """(keep, pos): which elements fall in [edges[0], edges[-1]] (NaN does not), and the bin of
    each kept one: by division ("linear", histc), by division corrected against the edges next to
    it ("local", histogram with a bin count), or by binary search ("search", with given edges);
    the last bin includes its right edge."""
    nb = len(edges)
    left, right = edges[0], edges[-1]
    keep = (data >= left) & (data <= right)
    x = data[keep]
    if how == "search":
        pos = np.searchsorted(edges, x, side="right") - 1
    else:
        pos = ((x - left) * data.dtype.type(nb - 1) / (right - left)).astype(np.int64)
        if how == "local":
            lo = np.maximum(pos - 1, 0)
            window = np.stack([edges[np.minimum(lo + k, nb - 1)] for k in builtins.range(3)], axis=-1)
            inside = (np.arange(3) < (np.minimum(pos + 2, nb) - lo)[:, None]) & (window <= x[:, None])
            pos = lo + inside.sum(-1) - 1
    return keep, np.where(pos == nb - 1, nb - 2, pos)


def bin_counts(data, edges, how, weight):
    """Counts (or summed weights) per bin (see bin_positions)."""
    keep, pos = bin_positions(data, edges, how)
    hist = np.zeros(builtins.max(len(edges) - 1, 0), dtype=data.dtype)
    np.add.at(hist, pos, data.dtype.type(1) if weight is None else weight[keep])
    return hist


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges) of the rows of input (..., D): bins is a count for every dimension, one
    count per dimension, or one 1-D tensor of edges per dimension; range (lo_0, hi_0, lo_1, ...)."""
    if not isinstance(input, TensorBase):
        raise TypeError(
            f"histogramdd(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{input.dtype.torch_name}'")
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    d = input.shape[-1]
    data = _host(input).reshape(-1, d)
    per_dim = [bins] * d if isinstance(bins, int) else list(bins)
    if len(per_dim) != d:
        raise RuntimeError(
            "histogramdd: The size of bins must be equal to the innermost dimension of the input."
        )
    if range is not None and len(range) != 2 * d:
        raise RuntimeError(
            f"torch.histogramdd: for a {d}-dimensional histogram range should have {2 * d} elements, but got {len(range)}"
        )
    w = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape[:-1]):
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided it should have the same shape as the input tensor "
                f"excluding its innermost dimension, but got input with shape {list(input.shape)} and weight with "
                f"shape {list(weight.shape)}"
            )
        if weight.dtype != input.dtype:
            raise RuntimeError(
                "torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should have the same "
                f"dtype, but got input({c_type_name(input.dtype)}), and weight({c_type_name(weight.dtype)})"
            )
        w = _host(weight).reshape(-1)
    edges, keep, index = [], np.ones(len(data), dtype=bool), []
    for k, b in enumerate(per_dim):
        if isinstance(b, TensorBase):
            if b.ndim != 1:
                raise RuntimeError(
                    "torch.histogramdd: bins tensor should have one dimension, but got "
                    f"{b.ndim} dimensions in the bins tensor for dimension {k}"
                )
            if b.dtype != input.dtype:
                raise RuntimeError(
                    "torch.histogramdd: input tensor and bins tensors should have the same dtype, but got input with "
                    f"dtype {c_type_name(input.dtype)} and bins for dimension {k} with dtype {c_type_name(b.dtype)}"
                )
            e, how = _host(b), "search"
        else:
            e, how = (
                uniform_edges(data[:, k], int(b), None if range is None else range[2 * k : 2 * k + 2], k),
                "local",
            )
        inside, pos = bin_positions(data[:, k], e, how)
        full = np.zeros(len(data), dtype=np.int64)
        full[inside] = pos
        edges.append(e)
        keep &= inside
        index.append(full)
    shape = tuple(builtins.max(len(e) - 1, 0) for e in edges)
    hist = np.zeros(shape, dtype=data.dtype)
    if all(shape):
        np.add.at(hist, tuple(i[keep] for i in index), data.dtype.type(1) if w is None else w[keep])
    if density:
        with np.errstate(divide="ignore", invalid="ignore"):
            hist = hist / hist.sum()
            for k, e in enumerate(edges):
                hist = hist / np.diff(e).reshape([-1 if j == k else 1 for j in builtins.range(d)])
    dev = input.device
    return return_types.histogramdd(
        _from_data(hist.astype(data.dtype), None, dev), tuple(_from_data(e, None, dev) for e in edges)
    )
