"""Tensor's remaining shape, joining and indexing methods: tensor_split, take, diagonal,
index_add, scatter_reduce, unfold, ...

A mixin of pyneuro.tensor.Tensor; the torch-level functions (pn.hstack, pn.tensor_split, ...)
are in functions_index.py.

Most methods compose the differentiable ops of _tensor_shape.py (slicing, indexing, reshape,
permute), so their gradients follow. The "write into a copy" family (index_add, index_copy,
index_fill, index_put, put, masked_scatter, select/slice/diagonal_scatter, diag_embed) works
out an index and runs autograd/index.py's IndexPut; scatter_reduce runs ScatterReduce. The
in-place forms (index_add_, ...) go through InplaceMethods._inplace_op, the one rule for an
in-place op under autograd (_tensor_inplace.py); the in-place shape changes (t_, squeeze_, ...)
give the tensor a new view of its own memory (_shape_inplace).
"""

from __future__ import annotations

import builtins
import itertools
import operator as _operator

import numpy as np

from . import creation as _creation
from . import functions as _functions
from ._dtype import _PY_BOOL, _PY_INT, int64
from ._dtype import torch_name as _torch_name
from ._errors import ArgumentError, DTypeError, IndexRangeError, ShapeError, source_overlap_error
from ._host_data import torch_warn_once
from ._shapes import Size, normalize_dims, one_dim
from ._shapes import shape_arg as _shape_arg
from ._tensor_base import TensorBase, _backend, _from_data, _wrap, need_tensor
from ._tensor_keys import int_index, same_dtype_put
from .autograd.index import IndexPut, ScatterReduce
from .autograd.math import NotDifferentiable
from .autograd.shape import Diagonal, renamed, watch
from .autograd.shape import unsafe_view as _unsafe_view
from .backends.torch_flags import uninitialized_fill
from .strided import as_strided


def _check_range(idx, n, what, negative=False):
    """IndexError (a RuntimeError too) if an index is outside [0, n) (or [-n, n) with negative)."""
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < (-n if negative else 0) or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexRangeError(f"{what}(): index {bad} is out of bounds for dimension with size {n}")


def _tensor_arg(value, what, argument):
    if not isinstance(value, TensorBase):
        raise TypeError(f"{what}(): argument '{argument}' must be Tensor, not {type(value).__name__}")


def _same_dtype(self, other, what, argument="source"):
    """other must be a tensor of self's dtype (torch's TypeError / RuntimeError otherwise)."""
    _tensor_arg(other, what.rstrip("_"), argument)
    if other._data.dtype != self._data.dtype:
        raise DTypeError(
            f"{what}(): self ({_torch_name(self.dtype)}) and {argument} ({_torch_name(other.dtype)}) "
            "must have the same scalar type"
        )


def result_dtype(tensors):
    """torch's result dtype for joining tensors (cat, hstack, diff's prepend): a float beats an
    integer and an integer a bool; within a kind the wider wins (int64 + float32 -> float32)."""
    dtypes = [t._data.dtype for t in tensors]
    pool = [d for d in dtypes if d.kind == "f"] or [d for d in dtypes if d.kind in "iu"] or dtypes
    out = pool[0]
    for d in pool[1:]:
        out = np.promote_types(out, d)
    return out


def _one_of(*spellings):
    """The one argument given of several names for it (tensor_split's indices_or_sections,
    sections=, indices=, ...)."""
    given = [a for a in spellings if a is not None]
    if len(given) != 1:
        raise TypeError("expected exactly one of indices_or_sections, sections or indices")
    return given[0]


def _two_dims(dim1, dim2, ndim, what="diagonal"):
    d1 = one_dim(dim1, ndim)
    d2 = one_dim(dim2, ndim)
    if d1 == d2:
        raise ArgumentError(f"{what} dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


class IndexMethods:
    """Shape, joining and indexing methods of Tensor (a mixin: it has no state of its own)."""

    __slots__ = ()

    def _arange(self, n):
        return _backend(self.device).xp.arange(n, dtype=np.int64)

    def _put(self, values, index, accumulate=False, op="IndexPutBackward0"):
        """A copy of self with values written at index (a NumPy-style index; accumulate: added);
        op is the node's name, as torch names that op."""
        if not isinstance(values, TensorBase):
            values = _from_data(values, self.dtype, self.device)
        elif values._data.dtype != self._data.dtype:
            values = values._cast(self._data.dtype)
        return IndexPut.apply(self, values, index=index, accumulate=accumulate, op=op)

    # ------------------------------------------------------------------ splitting
    def tensor_split(
        self, indices_or_sections=None, dim=0, *, sections=None, indices=None, tensor_indices_or_sections=None
    ):
        """Split into n near-equal parts (the first n % size ones one longer), or at the given
        indices along dim, like torch.tensor_split; the parts are views. torch's keywords
        sections=, indices= and tensor_indices_or_sections= name the same argument."""
        indices_or_sections = _one_of(indices_or_sections, sections, indices, tensor_indices_or_sections)
        if self.ndim == 0:
            raise ArgumentError(
                "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
            )
        d = one_dim(dim, self.ndim)
        n = self.shape[d]
        split = indices_or_sections
        if isinstance(split, TensorBase):
            if split._data.dtype != int64:
                raise DTypeError(
                    "tensor_split expected tensor_indices_or_sections to have dtype of long, "
                    f"but got {_torch_name(split.dtype)}"
                )
            if split.ndim > 1:
                raise ShapeError(
                    "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor"
                )
            split = split.item() if split.ndim == 0 else split.tolist()
        if isinstance(split, (_PY_INT, np.integer)) and not isinstance(split, _PY_BOOL):
            if split <= 0:
                raise ArgumentError(f"number of sections must be larger than 0, got {split}")
            size, extra = divmod(n, int(split))
            bounds = list(itertools.accumulate([size + 1] * extra + [size] * (int(split) - extra - 1)))
        else:
            bounds = [int(i) for i in split]
        starts = [0] + bounds
        ends = bounds + [n]
        lead = (slice(None),) * d
        return tuple(self[lead + (slice(s, e),)] for s, e in zip(starts, ends))

    def _split_along(self, sections, dim, what, min_dims):
        if self.ndim < min_dims:
            raise ArgumentError(
                f"torch.{what} requires a tensor with at least {min_dims} dimension, but got a tensor with {self.ndim} dimensions!"
            )
        if isinstance(sections, _PY_INT) and (sections == 0 or self.shape[dim] % sections):
            raise ArgumentError(
                f"torch.{what} attempted to split along dimension {dim}, but the size of the dimension "
                f"{self.shape[dim]} is not divisible by the split_size {sections}!"
            )
        return self.tensor_split(sections, dim)

    def hsplit(self, indices_or_sections=None, *, sections=None, indices=None):
        split = _one_of(indices_or_sections, sections, indices)
        return self._split_along(split, 0 if self.ndim == 1 else 1, "hsplit", 1)

    def vsplit(self, indices_or_sections=None, *, sections=None, indices=None):
        return self._split_along(_one_of(indices_or_sections, sections, indices), 0, "vsplit", 2)

    def dsplit(self, indices_or_sections=None, *, sections=None, indices=None):
        return self._split_along(_one_of(indices_or_sections, sections, indices), 2, "dsplit", 3)

    def split_with_sizes(self, split_sizes, dim=0):
        return self.split(list(split_sizes), dim)

    def narrow_copy(self, dim, start, length):
        return renamed(self.narrow(dim, start, length).clone(), "NarrowCopyBackward0")

    # ------------------------------------------------------------------ dims
    def swapdims(self, dim0, dim1):
        return self.transpose(dim0, dim1)

    def broadcast_to(self, *size):
        return self.expand(*_shape_arg(size))

    def is_same_size(self, other) -> bool:
        return self.shape == need_tensor(other, "is_same_size", "other").shape

    @property
    def H(self):
        """The conjugate transpose of a matrix: its transpose, as pyneuro's tensors are real."""
        if self.ndim not in (0, 2):
            raise ArgumentError(
                f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
            )
        return self if self.ndim == 0 else self.transpose(0, 1)

    @property
    def mH(self):
        if self.ndim == 0:  # (torch: deprecated, self itself)
            torch_warn_once("mH0d", "Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().")
            return self
        if self.ndim < 2:
            raise ArgumentError(
                f"tensor.mH is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    def adjoint(self):
        if self.ndim == 0:  # (torch: deprecated, self itself)
            torch_warn_once("adjoint0d", "adjoint() is deprecated on 0-D tensors. Consider using x.conj().")
            return self
        if self.ndim < 2:
            raise ArgumentError(
                f"tensor.adjoint() is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    # new_empty / new_zeros / new_ones / new_full / new_tensor: self's dtype and device unless
    # given, requires_grad=False unless given, size= as a keyword too; layout and pin_memory are
    # taken and ignored (every tensor here is strided; pinning is CUDA's), as torch's factories.
    def _new(self, what, make, size, kwargs, *args):
        if "size" in kwargs:
            if size:
                raise TypeError(f"{what}() got multiple values for argument 'size'")
            size = (kwargs.pop("size"),)
        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        requires_grad = kwargs.pop("requires_grad", False)
        for ignored in ("layout", "pin_memory"):
            kwargs.pop(ignored, None)
        if kwargs:
            raise TypeError(f"{what}() got unexpected keyword arguments {sorted(kwargs)}")
        out = make(*size, *args, dtype=dtype or self.dtype, device=device or self.device)
        return out.requires_grad_() if requires_grad else out

    def new_empty(self, *size, **kwargs):
        make = (
            _creation.empty
            if uninitialized_fill(kwargs.get("dtype") or self.dtype) is not None
            else _creation.zeros
        )
        return self._new("new_empty", make, size, kwargs)  # (deterministic: filled)

    def new_zeros(self, *size, **kwargs):
        return self._new("new_zeros", _creation.zeros, size, kwargs)

    def new_ones(self, *size, **kwargs):
        return self._new("new_ones", _creation.ones, size, kwargs)

    def new_full(self, size, fill_value, **kwargs):
        if not isinstance(size, (tuple, list)):  # (torch takes a sequence only: x.new_full(2, 1.) is refused)
            raise TypeError(
                f"new_full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}"
            )
        return self._new(
            "new_full", lambda *s, **kw: _creation.full(s, fill_value, **kw), tuple(size), kwargs
        )

    def new_tensor(self, data, **kwargs):
        return self._new("new_tensor", lambda **kw: _creation.tensor(data, **kw), (), kwargs)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90 degrees k times in the plane of dims (from the first towards the second)."""
        dims = list(dims)
        if len(dims) != 2:
            raise ArgumentError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self.ndim < 2:
            raise ArgumentError(f"expected total dims >= 2, but got total dims = {self.ndim}")
        d0, d1 = _two_dims(dims[0], dims[1], self.ndim, "rotation")
        k %= 4
        if k == 1:
            out = self.flip(d1).transpose(d0, d1)
        elif k == 2:  # (flip's result reads its name from its view steps: a copy takes the name)
            out = self.flip(d0, d1).clone()
        elif k == 3:
            out = self.flip(d0).transpose(d0, d1)
        else:
            out = self.clone()
        return renamed(out, "Rot90Backward0")  # (torch's one node, whatever k)

    def flipud(self):
        if self.ndim < 1:
            raise ArgumentError("Input must be >= 1-d.")
        return self.flip(0)

    def fliplr(self):
        if self.ndim < 2:
            raise ArgumentError("Input must be >= 2-d.")
        return self.flip(1)

    def unfold(self, dimension, size, step):
        """The windows of `size` elements every `step` along dimension, as a new last dim
        (torch's Tensor.unfold): a strided view of self; overlapping windows add their gradients."""
        if self.ndim == 0:
            normalize_dims(dimension, 0)
            if size > 1:
                raise ArgumentError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
            return self.reshape(1)[0:size]
        d = one_dim(dimension, self.ndim)
        n = self.shape[d]
        if size < 0 or size > n:
            raise ArgumentError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
        if step <= 0:
            raise ArgumentError(f"step is {step} but must be > 0")
        sizes, strides = list(self.shape), list(self.stride())
        sizes[d] = (n - size) // step + 1
        out = as_strided(
            self, (*sizes, size), (*strides[:d], strides[d] * step, *strides[d + 1 :], strides[d])
        )
        return renamed(out, "UnfoldBackward0")  # a view, as torch's: writes reach self

    # ------------------------------------------------------------------ diagonals
    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal `offset` of the matrices in dims (dim1, dim2), as a last dim (like torch):
        a view, whatever self's layout (writing into it writes into self, as in torch)."""
        d1, d2 = _two_dims(dim1, dim2, self.ndim)
        return Diagonal.apply(self, offset=_in_matrix(offset, self.shape, d1, d2), d1=d1, d2=d2)

    def diag(self, diagonal=0):
        """1-D: the square matrix with self on diagonal `diagonal`; 2-D: that diagonal of self, like torch.diag."""
        k = int(diagonal)
        if self.ndim == 1:  # placed, not masked: a mask product makes -0. and inf * 0 = nan off the diagonal
            return self.diag_embed(k)
        if self.ndim != 2:
            raise ShapeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return renamed(self.diagonal(k).clone(), "DiagonalBackward0_copy")  # (torch's: diag copies it)

    def _diagonal_positions(self, offset, dim1, dim2):
        """The flat positions (C order) of self.diagonal(offset, dim1, dim2), as an index array."""
        d1, d2 = _two_dims(dim1, dim2, self.ndim)
        pos = self._arange(self.numel()).reshape(self.shape)
        return pos.diagonal(_in_matrix(offset, self.shape, d1, d2), d1, d2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Matrices with the last dim of self on their diagonal `offset` (in dims dim1, dim2 of
        the result), like torch.diag_embed."""
        nd = self.ndim + 1
        d1, d2 = _two_dims(dim1, dim2, nd)
        n = self.shape[-1] if self.ndim else 1
        m = n + abs(offset)
        x = self if self.ndim else self.reshape(1)
        base = _creation.zeros(tuple(x.shape[:-1]) + (m, m), dtype=self.dtype, device=self.device)
        r = self._arange(n) + builtins.max(-offset, 0)
        c = self._arange(n) + builtins.max(offset, 0)
        out = base._put(x, (Ellipsis, r, c), op="DiagEmbedBackward0")
        if (d1, d2) == (nd - 2, nd - 1):
            return out
        return renamed(out.movedim((nd - 2, nd - 1), (d1, d2)), "DiagEmbedBackward0")  # (one node in torch)

    def diagflat(self, offset=0):
        return self.reshape(-1).diag_embed(offset)

    def fill_diagonal_(self, fill_value, wrap=False):
        """Fill the main diagonal in place (all dims equal, or a 2-D tensor with wrap for tall ones)."""
        if self.ndim < 2:
            raise ArgumentError("dimensions must larger than 1")
        shape = tuple(self.shape)
        if self.ndim > 2 and len(set(shape)) != 1:
            raise ArgumentError("all dimensions of input must be of equal length")
        step = builtins.sum(int(np.prod(shape[i + 1 :])) for i in range(self.ndim))
        end = self.numel() if wrap and self.ndim == 2 else builtins.min(shape) * step
        mask = np.zeros(self.numel(), dtype=bool)
        mask[0:end:step] = True
        return self.masked_fill_(_from_data(mask.reshape(shape), None, self.device), fill_value)

    # ------------------------------------------------------------------ gathers
    def take(self, index):
        """self.flatten()[index] (negative indices count from the end), shaped like index."""
        if not isinstance(index, TensorBase) or index._data.dtype != int64:
            kind = _torch_name(index.dtype) if isinstance(index, TensorBase) else type(index).__name__
            raise DTypeError(f"take(): Expected a long tensor for index, but got {kind}")
        _check_range(index._data, self.numel(), "take", negative=True)
        return renamed(self.reshape(-1)[index], "TakeBackward0")

    def take_along_dim(self, indices, dim=None):
        """Gather along dim with indices broadcast against self elsewhere (torch.take_along_dim);
        dim=None: from the flattened self."""
        if dim is None:  # a gather from the flattened self: no negative indices, gather's int32 too
            idx = int_index(indices, "gather")
            _check_range(idx, self.numel(), "take_along_dim")
            out = self.reshape(-1)._gather(0, indices.reshape(-1))  # range checked above
            return watch(renamed(out, "GatherBackward0"), self, indices)  # (torch's node saves both)
        idx = int_index(indices, "take_along_dim", "indices", long_only=True)
        d = one_dim(dim, self.ndim)
        if indices.ndim != self.ndim:
            raise ShapeError(
                "torch.take_along_dim(): input and indices should have the same number of dimensions"
            )
        _check_range(idx, self.shape[d], "take_along_dim", negative=True)
        shape_self, shape_idx = list(self.shape), list(indices.shape)
        shape_self[d] = shape_idx[d] = 1
        common = broadcast_shape(shape_self, shape_idx)
        src_shape, idx_shape = list(common), list(common)
        src_shape[d], idx_shape[d] = self.shape[d], indices.shape[d]
        if self.shape[d]:
            indices = indices % self.shape[d]  # negative indices count from the end (gather wants them >= 0)
        out = self.expand(*src_shape)._gather(d, indices.expand(*idx_shape))  # range checked, wrapped
        return watch(renamed(out, "GatherBackward0"), self, indices)  # (torch's node saves both)

    def argwhere(self):
        return self.nonzero()

    # ------------------------------------------------------------------ writes into a copy
    def index_put(self, indices, values, accumulate=False):
        """self with values put at self[indices] (accumulate=True: added, repeats add up)."""
        parts = tuple(indices)
        for i, p in enumerate(parts):
            if not isinstance(p, TensorBase):
                raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(p).__name__}")
            if p._data.dtype.kind not in "iub" or p._data.dtype in (np.int8, np.int16):
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if not isinstance(values, TensorBase):
            raise TypeError(f"index_put(): argument 'values' must be Tensor, not {type(values).__name__}")
        same_dtype_put(self, values)
        return watch(self._put(values, tuple(p._data for p in parts), accumulate), *parts)

    def _dim_index_checks(self, dim, index, source, what, negative=False):
        """(dim, index array) for index_add/copy/fill/reduce after torch's checks."""
        long_only = what in ("index_copy_", "index_fill_")
        error = IndexRangeError if what == "index_fill_" else DTypeError
        idx = int_index(index, what, long_only=long_only, error=error)
        if idx.ndim > 1:
            raise ShapeError(f"{what}(): Index is supposed to be a vector")
        d = one_dim(dim, self.ndim)
        n = self.shape[d] if self.ndim else 1
        _check_range(idx, n, what, negative)
        if isinstance(source, TensorBase):
            expect = list(self.shape)
            if expect:
                expect[d] = idx.size
            if list(source.shape) != expect and not (source.ndim == 0 and expect == [1]):
                raise ShapeError(
                    f"{what}(): source tensor shape must match self tensor shape, excluding the specified "
                    f"dimension. Got self.shape = {list(self.shape)} source.shape = {list(source.shape)}"
                )
        return d, idx.reshape(-1)

    def index_add(self, dim, index, source, alpha=1):
        """self with alpha * source added at index along dim (repeated indices add up)."""
        _same_dtype(self, source, "index_add_")
        d, idx = self._dim_index_checks(dim, index, source, "index_add_")
        values = source if alpha == 1 else source * alpha
        if not self.ndim:
            return self._put(values.reshape(()), (), True, "IndexAddBackward0")
        # (torch's node saves a source that requires grad, for its shape: changed in place, backward raises)
        out = self._put(values, (slice(None),) * d + (idx,), True, "IndexAddBackward0")
        return watch(out, index, *((source,) if source.requires_grad else ()))

    def index_copy(self, dim, index, source):
        _same_dtype(self, source, "index_copy_")
        d, idx = self._dim_index_checks(dim, index, source, "index_copy_")
        if not self.ndim:
            return self._put(source.reshape(()), (), op="IndexCopyBackward0")
        return watch(self._put(source, (slice(None),) * d + (idx,), op="IndexCopyBackward0"), index)

    def index_fill(self, dim, index, value):
        if isinstance(value, TensorBase) and value.ndim:
            raise ArgumentError(
                f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s)."
            )
        d, idx = self._dim_index_checks(dim, index, None, "index_fill_", negative=True)
        op = "IndexFillBackward1" if isinstance(value, TensorBase) else "IndexFillBackward0"
        return watch(self._put(value, (slice(None),) * d + (idx,) if self.ndim else (), op=op), index)

    def put(self, index, source, accumulate=False):
        """self with source put at the flat positions index (negative count from the end)."""
        idx = int_index(index, "put_", long_only=True)
        _check_range(idx, self.numel(), "put", negative=True)
        _same_dtype(self, source, "put_")
        if source.numel() != idx.size:
            got = source.numel()
            raise ShapeError(
                f"put(): Expected source and index to have the same number of elements, got {got} and {idx.size}"
            )
        if self.ndim == 0:
            return self.reshape(1).put(index, source, accumulate).reshape(())
        where = _backend(self.device).xp.unravel_index(idx.reshape(-1) % self.numel(), self.shape)
        return watch(self._put(source.reshape(-1), where, accumulate, "PutBackward0"), index)

    def masked_scatter(self, mask, source):
        """self with the positions where mask is True filled, in order, from source's elements."""
        if not isinstance(mask, TensorBase) or mask._data.dtype.kind != "b":
            kind = _torch_name(mask.dtype) if isinstance(mask, TensorBase) else type(mask).__name__
            raise DTypeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {kind}")
        _same_dtype(self, source, "masked_scatter_")
        shape = broadcast_shape(self.shape, mask.shape)
        x = self.expand(*shape) if tuple(shape) != tuple(self.shape) else self
        m = (
            mask._data
            if tuple(mask.shape) == tuple(shape)
            else _backend(self.device).xp.broadcast_to(mask._data, shape)
        )
        n = int(m.sum())
        if source.numel() < n:
            raise ArgumentError("Number of elements of source < number of ones in mask")
        return watch(x._put(source.reshape(-1)[0:n], m, op="MaskedScatterBackward0"), mask)

    def select_scatter(self, src, dim, index):
        """self with self.select(dim, index) replaced by src."""
        _tensor_arg(src, "select_scatter", "src")
        d = one_dim(dim, self.ndim)
        n = self.shape[d]
        if not -n <= index < n:
            raise IndexError(
                f"select(): index {index} out of range for tensor of size {list(self.shape)} at dimension {d}"
            )
        return self._scatter_region(src, (slice(None),) * d + (index % n,), "SelectScatterBackward0")

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        """self with self[..., start:end:step, ...] (on dim) replaced by src."""
        _tensor_arg(src, "slice_scatter", "src")
        d = one_dim(dim, self.ndim)
        return self._scatter_region(
            src, (slice(None),) * d + (slice(start, end, step),), "SliceScatterBackward0"
        )

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        """self with self.diagonal(offset, dim1, dim2) replaced by src."""
        _tensor_arg(src, "diagonal_scatter", "src")
        pos = self._diagonal_positions(offset, dim1, dim2)
        if tuple(src.shape) != tuple(pos.shape):
            raise ShapeError(
                f"expected src to have a size equal to the diagonal of self. src size = {list(src.shape)}, "
                f"diagonal size = {list(pos.shape)}"
            )
        where = _backend(self.device).xp.unravel_index(pos, self.shape)
        return self._put(src, where, op="DiagonalScatterBackward0")

    def _scatter_region(self, src, index, op):
        region = self._data[index].shape
        if tuple(src.shape) != tuple(region):
            raise ShapeError(
                f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                f"slice size = {list(region)}"
            )
        return self._put(src, index, op=op)

    def scatter_reduce(self, dim, index, src, reduce, include_self=True):
        """Reduce src's values into self at index along dim: reduce is "sum", "prod", "mean",
        "amax" or "amin" (include_self: whether self's value takes part), like torch."""
        reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch takes both spellings
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise ArgumentError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
        idx = int_index(index, "scatter_reduce")
        _same_dtype(self, src, "scatter_reduce", "src")
        if reduce == "mean" and self._data.dtype.kind == "b":
            raise NotImplementedError('"scatter_reduce" with reduce="mean" is not implemented for \'Bool\'')
        d = one_dim(dim, self.ndim)
        ranks = (self.ndim, idx.ndim, src.ndim)
        if 0 in ranks and max(ranks) == 1:  # a 0-d tensor counts as 1-d, as torch counts it
            flat = [t.reshape(1) if t.ndim == 0 else t for t in (self, index, src)]
            return flat[0].scatter_reduce(0, flat[1], flat[2], reduce, include_self).reshape(self.shape)
        if idx.ndim != self.ndim or src.ndim != idx.ndim:
            raise ShapeError("Index tensor must have the same number of dimensions as self tensor")
        if any(
            idx.shape[k] > src.shape[k] or (k != d and idx.shape[k] > self.shape[k]) for k in range(idx.ndim)
        ):
            raise ShapeError(
                f"Expected index {list(idx.shape)} to be smaller than self {list(self.shape)} apart from "
                f"dimension {d} and to be smaller size than src {list(src.shape)}"
            )
        if self.ndim == 0:  # torch takes 0-d self, index and src: as 1-element vectors
            out = self.reshape(1).scatter_reduce(0, index.reshape(1), src.reshape(1), reduce, include_self)
            return out.reshape(())
        _check_range(idx, self.shape[d], "scatter_reduce")
        grids = self._index_grids(d, idx)
        out = ScatterReduce.apply(
            self, src, grids=grids, ishape=idx.shape, reduce=reduce, include_self=_PY_BOOL(include_self)
        )
        return watch(out, index)  # (torch's node saves the index)

    def index_reduce(self, dim, index, source, reduce, include_self=True):
        """Reduce source's slices into self's slices at index along dim ("prod", "mean", "amax",
        "amin"): scatter_reduce with the index spread over source's other dims."""
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise ArgumentError(
                f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}."
            )
        _same_dtype(self, source, "index_reduce_")
        d, idx = self._dim_index_checks(dim, index, source, "index_reduce_")
        if not self.ndim:
            return self.scatter_reduce(0, index.reshape(()), source.reshape(()), reduce, include_self)
        spread = _wrap(idx.reshape(tuple(-1 if k == d else 1 for k in range(self.ndim))), self.device)
        out = self.scatter_reduce(d, spread.expand(*source.shape), source, reduce, include_self)
        return watch(out, index)  # (torch's node saves the index)

    # ------------------------------------------------------------------ in-place forms
    def _source(self, source):
        """source, checked as torch checks an indexed write's source: no memory shared with self."""
        if overlap := source_overlap_error(self._data, source):
            raise overlap
        return source

    def index_add_(self, dim, index, source, alpha=1):
        source = self._source(source)
        return self._inplace_op(lambda a, s: a.index_add(dim, index, s, alpha=alpha), False, source)

    def index_copy_(self, dim, index, source):
        return self._inplace_op(lambda a, s: a.index_copy(dim, index, s), False, self._source(source))

    def index_fill_(self, dim, index, value):
        return self._inplace_op(lambda a, v: a.index_fill(dim, index, v), False, value)

    def index_put_(self, indices, values, accumulate=False):
        return self._inplace_op(lambda a, v: a.index_put(indices, v, accumulate), False, self._source(values))

    def put_(self, index, source, accumulate=False):
        return self._inplace_op(lambda a, s: a.put(index, s, accumulate), False, self._source(source))

    def masked_scatter_(self, mask, source):
        if isinstance(mask, TensorBase) and tuple(broadcast_shape(self.shape, mask.shape)) != tuple(
            self.shape
        ):
            raise ShapeError(
                f"masked_scatter_: mask of shape {list(mask.shape)} cannot be broadcast to {list(self.shape)}"
            )
        return self._inplace_op(lambda a, s: a.masked_scatter(mask, s), False, source)

    def index_reduce_(self, dim, index, source, reduce, include_self=True):
        return self._inplace_op(
            lambda a, s: a.index_reduce(dim, index, s, reduce, include_self), True, source
        )

    def scatter_reduce_(self, dim, index, src, reduce, include_self=True):
        keep = reduce not in ("sum", "mean")  # prod, amax, amin: backward reads self's old values
        src = self._source(src)
        return self._inplace_op(lambda a, s: a.scatter_reduce(dim, index, s, reduce, include_self), keep, src)

    def _shape_inplace(self, view):
        """torch's in-place shape changes (t_, squeeze_, ...): self becomes view(self), a new
        view of its own memory. The version counter is bumped, as torch does; with grad, self
        takes the view op's place in the graph (a leaf that requires grad raises, as in torch)."""
        self._check_inplace()
        out = view(self)
        self._data = out._data
        if self._view is not None and out._view is not None:
            self._view = out._view  # still a view of the same base, one step further
        if out._node is not None:
            self._node = out._node
        self._vc[0] += 1
        return self

    def t_(self):
        return self._shape_inplace(lambda a: a.t())

    def transpose_(self, dim0, dim1):
        return self._shape_inplace(lambda a: a.transpose(dim0, dim1))

    swapdims_ = swapaxes_ = transpose_

    def squeeze_(self, dim=None):
        return self._shape_inplace(lambda a: a.squeeze(dim))

    def unsqueeze_(self, dim):
        return self._shape_inplace(lambda a: a.unsqueeze(dim))

    # ------------------------------------------------------------------ products, differences
    def kron(self, other):
        """The Kronecker product: block (i, j) of the result is self[i, j] * other (any ndim)."""
        nd = builtins.max(self.ndim, need_tensor(other, "kron", "other").ndim)
        sa = (1,) * (nd - self.ndim) + tuple(self.shape)
        sb = (1,) * (nd - other.ndim) + tuple(other.shape)
        a = _unsafe_view(self, tuple(v for n in sa for v in (n, 1)))  # (torch's: no version shared)
        b = _unsafe_view(other, tuple(v for n in sb for v in (1, n)))
        return _unsafe_view(a * b, tuple(x * y for x, y in zip(sa, sb)))

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along dim (x[i+1] - x[i]; bools: !=), with prepend /
        append joined on first, like torch.diff."""
        if self.ndim == 0:
            raise ArgumentError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise ArgumentError(f"order must be non-negative but got {n}")
        d = one_dim(dim, self.ndim)
        for name, extra in (("prepend", prepend), ("append", append)):
            if extra is not None and not isinstance(extra, TensorBase):
                raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(extra).__name__}")
        parts = [p for p in (prepend, self, append) if p is not None]
        if len(parts) > 1:
            dtype = result_dtype(parts)
            x = _functions.cat([p._cast(dtype) for p in parts], dim=d)
        else:
            x = self if n else self.clone()  # (n = 0: a tensor of its own, as torch's)
        for _ in range(n):
            m = x.shape[d]
            if m == 0:
                break
            hi, lo = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
            x = (hi != lo) if x._data.dtype.kind == "b" else hi - lo
        return x

    def _unique_dim(self, dim) -> int:
        """unique's dim, checked as torch's unique_dim: an empty tensor only along that dim."""
        d = one_dim(dim, self.ndim)
        if self.numel() == 0 and self.shape[d] != 0:
            raise ArgumentError(
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"
            )
        return d

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """The values with each run of equal consecutive ones kept once (along dim: slices),
        like torch.unique_consecutive; optionally the run of each element and each run's length."""
        xp = _backend(self.device).xp
        if dim is None:
            flat = self._data.reshape(-1)
            change = flat[1:] != flat[:-1]
            shape_inverse = self.shape
        else:
            d = self._unique_dim(dim)
            flat = xp.moveaxis(self._data, d, 0)
            rows = flat.reshape(flat.shape[0], int(np.prod(flat.shape[1:])))  # (-1 fails when empty)
            change = (rows[1:] != rows[:-1]).any(axis=1)
            shape_inverse = (flat.shape[0],)
        starts = xp.concatenate([xp.ones(builtins.min(len(flat), 1), dtype=bool), change])
        first = xp.nonzero(starts)[0]
        values = flat[first] if dim is None else xp.moveaxis(flat[first], 0, d)
        out = [_values_of(self, xp.ascontiguousarray(values), "unique_consecutive")]
        if return_inverse:
            out.append(_wrap((xp.cumsum(starts) - 1).astype(np.int64).reshape(shape_inverse), self.device))
        if return_counts:
            counts = xp.diff(xp.concatenate([first, xp.asarray([len(flat)])])).astype(np.int64)
            out.append(_wrap(counts, self.device))
        return out[0] if len(out) == 1 else tuple(out)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (or slices along dim), sorted, like torch.unique; with
        return_inverse, where each element (slice) of self went; with return_counts, how often each occurs."""
        xp = _backend(self.device).xp
        axis = None if dim is None else self._unique_dim(dim)
        kw = (
            {"equal_nan": False} if axis is None and self._data.dtype.kind == "f" else {}
        )  # torch: NaN != NaN
        values, inverse, counts = xp.unique(
            self._data, return_inverse=True, return_counts=True, axis=axis, **kw
        )
        inverse = inverse.reshape(self.shape if axis is None else (-1,)).astype(np.int64)
        out = [_values_of(self, values, "_unique2" if axis is None else "unique_dim")]
        if return_inverse:
            out.append(_wrap(inverse, self.device))
        if return_counts:
            out.append(_wrap(counts.astype(np.int64), self.device))
        return out[0] if len(out) == 1 else tuple(out)


def _in_matrix(offset, shape, d1, d2) -> int:
    """A diagonal's offset, one past the matrix at most: any offset beyond it (even 2**62) is
    the empty diagonal, as torch's, where NumPy's C long would overflow."""
    offset = _operator.index(offset)
    if not -(2**63) <= offset < 2**63:  # (torch's argument parser)
        raise ValueError("Overflow when unpacking long long")
    return builtins.max(builtins.min(offset, shape[d2]), -shape[d1])


def _values_of(x, values, op):
    """unique's values: of a tensor that requires grad, in the graph as torch's (a node without a
    derivative: Unique2Backward0, whose backward raises)."""
    return NotDifferentiable.apply(x, out=values, op=op) if x._req else _wrap(values, x.device)


def broadcast_shape(*shapes):
    """The shape all of shapes broadcast to (a pn.Size), or torch's RuntimeError if they do not."""
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for i, shape in enumerate(shapes):
        for k, n in enumerate(shape):
            j = ndim - len(shape) + k
            if n < 0:
                raise ArgumentError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
            if n != 1 and out[j] not in (1, n):
                raise ShapeError(
                    "Shape mismatch: objects cannot be broadcast to a single shape. "
                    f"Mismatch is between arg {i} and dim {k}."
                )
            if n != 1:
                out[j] = n
    return Size(out)
