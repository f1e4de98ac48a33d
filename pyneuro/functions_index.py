"""torch-level shape, joining and indexing functions: pn.hstack, pn.tensor_split, pn.take, ... (see _tensor_index.py).

Most are one line calling the Tensor method of the same name (the rule lives there); the
joining functions (hstack, block_diag, cartesian_prod, ...) and the index factories
(tril_indices, ...) compose cat, stack and reshape here, so their gradients follow.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np

from ._dtype import _dtype, int64
from ._errors import ArgumentError, DTypeError, ShapeError
from ._memory import check_allocation
from ._shapes import ints
from ._tensor_base import TensorBase, _from_data
from ._tensor_index import broadcast_shape, result_dtype
from .autograd.function import _broadcast_mismatch
from .autograd.shape import renamed
from .creation import tensor, zeros
from .functions import cat, meshgrid, stack

if TYPE_CHECKING:  # annotations only
    from .tensor import Tensor

__all__: list[str] = [
    "adjoint",
    "argwhere",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "block_diag",
    "broadcast_shapes",
    "broadcast_tensors",
    "broadcast_to",
    "cartesian_prod",
    "column_stack",
    "combinations",
    "concatenate",
    "diag_embed",
    "diagflat",
    "diagonal",
    "diagonal_scatter",
    "diff",
    "dsplit",
    "dstack",
    "fliplr",
    "flipud",
    "hsplit",
    "hstack",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "index_reduce",
    "kron",
    "masked_scatter",
    "moveaxis",
    "narrow",
    "narrow_copy",
    "rot90",
    "row_stack",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "select",
    "select_scatter",
    "slice_scatter",
    "split_with_sizes",
    "swapaxes",
    "swapdims",
    "t",
    "take",
    "take_along_dim",
    "tensor_split",
    "tile",
    "tril_indices",
    "triu_indices",
    "unflatten",
    "unique_consecutive",
    "unravel_index",
    "vsplit",
    "vstack",
]


# ----------------------------------------------------------------------------- the methods, torch-level
def tensor_split(input, indices_or_sections=None, dim=0, **spellings):
    return input.tensor_split(indices_or_sections, dim, **spellings)


def hsplit(input, indices_or_sections=None, **spellings):
    return input.hsplit(indices_or_sections, **spellings)


def vsplit(input, indices_or_sections=None, **spellings):
    return input.vsplit(indices_or_sections, **spellings)


def dsplit(input, indices_or_sections=None, **spellings):
    return input.dsplit(indices_or_sections, **spellings)


def split_with_sizes(input, split_sizes, dim=0):
    return input.split_with_sizes(split_sizes, dim)


def narrow(input, dim, start, length) -> Tensor:
    return input.narrow(dim, start, length)


def narrow_copy(input, dim, start, length) -> Tensor:
    return input.narrow_copy(dim, start, length)


def select(input, dim, index) -> Tensor:
    return input.select(dim, index)


def tile(input, dims) -> Tensor:
    return input.tile(dims)


def unflatten(input, dim, sizes) -> Tensor:
    return input.unflatten(dim, sizes)


def t(input) -> Tensor:
    return input.t()


def swapaxes(input, axis0, axis1) -> Tensor:
    return input.transpose(axis0, axis1)


def swapdims(input, dim0, dim1) -> Tensor:
    return input.transpose(dim0, dim1)


def moveaxis(input, source, destination) -> Tensor:
    return input.movedim(source, destination)


def take(input, index) -> Tensor:
    return input.take(index)


def take_along_dim(input, indices, dim=None) -> Tensor:
    return input.take_along_dim(indices, dim)


def broadcast_to(input, size) -> Tensor:
    return input.broadcast_to(size)


def rot90(input, k=1, dims=(0, 1)) -> Tensor:
    return input.rot90(k, dims)


def flipud(input) -> Tensor:
    return input.flipud()


def fliplr(input) -> Tensor:
    return input.fliplr()


def diagonal(input, offset=0, dim1=0, dim2=1) -> Tensor:
    return input.diagonal(offset, dim1, dim2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor:
    return input.diag_embed(offset, dim1, dim2)


def diagflat(input, offset=0) -> Tensor:
    return input.diagflat(offset)


def scatter(input, dim, index, src=None, value=None, reduce=None) -> Tensor:
    return input.scatter(dim, index, src, value=value, reduce=reduce)


def scatter_add(input, dim, index, src) -> Tensor:
    return input.scatter_add(dim, index, src)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True) -> Tensor:
    return input.scatter_reduce(dim, index, src, reduce, include_self=include_self)


def index_add(input, dim, index, source, *, alpha=1) -> Tensor:
    return input.index_add(dim, index, source, alpha=alpha)


def index_copy(input, dim, index, source) -> Tensor:
    return input.index_copy(dim, index, source)


def index_fill(input, dim, index, value) -> Tensor:
    return input.index_fill(dim, index, value)


def index_put(input, indices, values, accumulate=False) -> Tensor:
    return input.index_put(indices, values, accumulate)


def index_reduce(input, dim, index, source, reduce, *, include_self=True) -> Tensor:
    return input.index_reduce(dim, index, source, reduce, include_self)


def adjoint(input) -> Tensor:
    return input.adjoint()


def masked_scatter(input, mask, source) -> Tensor:
    return input.masked_scatter(mask, source)


def select_scatter(input, src, dim, index) -> Tensor:
    return input.select_scatter(src, dim, index)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1) -> Tensor:
    return input.slice_scatter(src, dim, start, end, step)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor:
    return input.diagonal_scatter(src, offset, dim1, dim2)


def kron(input, other) -> Tensor:
    return input.kron(other)


def argwhere(input) -> Tensor:
    return input.argwhere()


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    return input.unique_consecutive(return_inverse, return_counts, dim)


def diff(input, n=1, dim=-1, prepend=None, append=None) -> Tensor:
    return input.diff(n, dim, prepend, append)


# ----------------------------------------------------------------------------- joining
concatenate = cat


def _tensor_args(tensors):
    """f(a, b), f([a, b]) or f(a) -> a tuple of tensors."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tuple(tensors)


def _at_least(tensors, ndim):
    out = []
    for x in _tensor_args(tensors):
        if x.ndim == 0:
            x = x.reshape((1,) * ndim)
        elif x.ndim == 1 and ndim >= 2:
            x = x.reshape((1, x.shape[0]) + (1,) * (ndim - 2))
        elif x.ndim == 2 and ndim == 3:
            x = x.unsqueeze(-1)
        out.append(x)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], TensorBase) else tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d -> (1,)); one tensor in, one out, else a tuple."""
    return _at_least(tensors, 1)


def atleast_2d(*tensors):
    """0-d -> (1, 1), (n,) -> (1, n)."""
    return _at_least(tensors, 2)


def atleast_3d(*tensors):
    """0-d -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _at_least(tensors, 3)


def _joined(tensors, what):
    """The tensors to join, as a list in their common dtype by torch's rule (int + float32 -> float32)."""
    if isinstance(tensors, TensorBase):
        raise TypeError(f"{what}(): argument 'tensors' must be a sequence of Tensors, not a Tensor")
    ts = [t if isinstance(t, TensorBase) else tensor(t) for t in tensors]
    if not ts:
        raise ShapeError(f"{what}() expects a non-empty list of tensors")
    dtype = result_dtype(ts)
    return [t._cast(dtype) for t in ts]


def _as_list(tensors, ndim, what):
    out = _at_least(_joined(tensors, what), ndim)
    return list(out) if isinstance(out, tuple) else [out]


def hstack(tensors) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors)."""
    ts = _as_list(tensors, 1, "hstack")
    return cat(ts, dim=0 if ts[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Join along dim 0, 1-D tensors as rows."""
    return cat(_as_list(tensors, 2, "vstack"), dim=0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Join along dim 2 (depth), after atleast_3d."""
    return cat(_as_list(tensors, 3, "dstack"), dim=2)


def column_stack(tensors) -> Tensor:
    """Join as columns: 0-d and 1-D tensors become columns (n, 1), then hstack."""
    ts = [x.reshape(x.numel(), 1) if x.ndim <= 1 else x for x in _joined(tensors, "column_stack")]
    return cat(ts, dim=1)


def block_diag(*tensors) -> Tensor:
    """The block-diagonal matrix of the tensors (0-d: 1x1, 1-D: one row), like torch.block_diag."""
    if not tensors:
        return zeros(1, 0)
    ts = _joined(tensors, "block_diag")
    for i, x in enumerate(ts):
        if x.ndim > 2:
            raise ArgumentError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {x.ndim} dimensions"
            )
    ts = [x.reshape(1, -1) if x.ndim == 1 else x.reshape(1, 1) if x.ndim == 0 else x for x in ts]
    width = sum(x.shape[1] for x in ts)
    itemsize = max(x.element_size() for x in ts)  # (the result's dtype is at most that wide)
    check_allocation(2 * sum(x.shape[0] for x in ts) * width * itemsize, "block_diag")  # rows, then cat
    rows, left = [], 0
    for x in ts:
        r, c = x.shape
        pad_l = zeros(r, left, dtype=x.dtype, device=x.device)
        pad_r = zeros(r, width - left - c, dtype=x.dtype, device=x.device)
        rows.append(cat([pad_l, x, pad_r], dim=1))
        left += c
    return renamed(cat(rows, dim=0), "BlockDiagBackward0")


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (itertools.product)."""
    ts = _tensor_args(tensors)
    for x in ts:
        if x.ndim != 1:
            raise ShapeError(f"Expect a 1D vector, but got shape {list(x.shape)}")
    if len(ts) == 1:
        return ts[0]
    if len({x.dtype for x in ts}) > 1:
        raise DTypeError("meshgrid expects all tensors to have the same dtype")
    grids = meshgrid(*ts, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


def combinations(input, r=2, with_replacement=False) -> Tensor:
    """The length-r combinations of a 1-D tensor's elements, as rows (itertools.combinations)."""
    if input.ndim != 1:
        raise ShapeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise ArgumentError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return zeros(0, dtype=input.dtype, device=input.device)
    m = input.shape[0]
    count = math.comb(m + r - 1, r) if with_replacement else math.comb(m, r)
    check_allocation(count * (72 + 8 * r), "combinations")  # (the tuples, before they are an array)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input[_from_data(idx, None, input.device)]


# ----------------------------------------------------------------------------- broadcasting
def broadcast_shapes(*shapes):
    """The shape the shapes broadcast to, as a pn.Size (an int counts as a 1-D shape)."""
    return broadcast_shape(*(ints(s) for s in shapes))


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views; gradients sum back)."""
    ts = _tensor_args(tensors)
    shapes = [tuple(x.shape) for x in ts]
    if (mismatch := _broadcast_mismatch(shapes)) is not None:  # torch's message (F.mse_loss's too)
        raise ShapeError(mismatch)
    shape = broadcast_shape(*shapes)
    return tuple(x.expand(*shape) if isinstance(x, TensorBase) else x for x in ts)


# ----------------------------------------------------------------------------- index factories
def _triangle_indices(row, col, offset, dtype, device, lower):
    if dtype is not None and np.dtype(_dtype(dtype)).kind not in "iu":
        raise ArgumentError(f"\"{'tril' if lower else 'triu'}_indices\" not implemented for '{dtype}'")
    for name, n in (("row", row), ("col", col)):
        if n < 0:
            raise ArgumentError(f"{name} must be non-negative, got{n}")  # (torch's message, as printed)
    check_allocation(16 * _triangle_count(row, col, offset, lower), f"{'tril' if lower else 'triu'}_indices")
    # row by row, from the rows that hold entries only (no row x col mask: tril_indices(2**31, 2**31)
    # is refused above at once, as torch refuses it, instead of being built until memory runs out)
    if lower:  # row i: columns 0 .. min(i + offset, col - 1)
        rows = np.arange(min(max(0, -offset), row), row, dtype=np.int64)
        lo, hi = np.zeros_like(rows), np.minimum(rows + offset + 1, col)
    else:  # row i: columns max(i + offset, 0) .. col - 1
        rows = np.arange(0, min(max(0, col - offset), row), dtype=np.int64)
        lo, hi = np.maximum(rows + offset, 0), np.full_like(rows, col)
    counts = np.maximum(hi - lo, 0)
    ends = np.cumsum(counts)
    cols = np.repeat(lo - (ends - counts), counts) + np.arange(
        int(ends[-1]) if ends.size else 0, dtype=np.int64
    )
    return _from_data(np.stack([np.repeat(rows, counts), cols]), dtype or int64, device)


def _triangle_count(row: int, col: int, offset: int, lower: bool) -> int:
    """How many entries tril_indices (lower) or triu_indices gives, counted without building them."""
    if not lower:
        return row * col - _triangle_count(row, col, offset - 1, True)
    a = offset + 1  # row i holds min(col, max(0, i + a)) entries
    start = min(max(0, 1 - a), row)  # rows before it hold none
    full = max(min(max(0, col - a), row), start)  # rows from it hold col
    n = full - start
    return n * (start + a) + n * (n - 1) // 2 + (row - full) * col


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row/column indices of the lower triangle of a row x col matrix, row by row."""
    return _triangle_indices(row, col, offset, dtype, device, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None) -> Tensor:
    """The (2, N) row/column indices of the upper triangle of a row x col matrix, row by row."""
    return _triangle_indices(row, col, offset, dtype, device, False)


def unravel_index(indices, shape):
    """The coordinates in an array of `shape` of the flat (C-order) positions `indices`, one
    int64 tensor per dim, like torch.unravel_index (positions wrap around, as torch's do)."""
    if not isinstance(indices, TensorBase):
        raise TypeError(f"expected 'indices' to be a Tensor, but got {type(indices).__name__}")
    if indices._data.dtype.kind not in "iu":
        raise DTypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ArgumentError(f"'shape' cannot have negative values, but got {shape}")
    rest = indices.long()
    coords = []
    for n in reversed(shape):  # floor division and modulo, dim by dim from the last
        coords.append(rest % n)
        rest = rest // n
    return tuple(reversed(coords))
