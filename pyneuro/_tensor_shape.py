"""Tensor's shape and indexing methods (reshape, view, permute, expand, [], gather, ...).

A mixin of pyneuro.tensor.Tensor, kept apart so tensor.py stays readable: each method
checks its arguments the way torch does and then runs one autograd Function from
pyneuro/autograd/shape.py (Reshape, Permute, Expand, Index), or composes other methods.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from ._arguments import _dims_refusal
from ._dtype import _PY_BOOL, _PY_INT, _dtype, bool_, torch_name
from ._errors import ArgumentError, DTypeError, IndexRangeError, ShapeError, type_name
from ._host_data import torch_warn_once
from ._shapes import broadcast_shapes, dim_int, ints, normalize_dims, one_dim
from ._shapes import shape_arg as _shape_arg
from ._tensor_base import (
    TensorBase,
    _backend,
    _broadcast_check,
    _from_data,
    _wrap,
    need_tensor,
)
from ._tensor_keys import (
    _convert_index,
    check_slice_steps,
    empty_selection,
    int_index,
    sequence_as_tuple,
    split_int_index,
    torch_index_error,
    zero_d_ints,
)
from .autograd import shape as _ag
from .autograd.inplace import mark_outputs

_BASIC_PARTS = frozenset((int, slice, type(None), type(Ellipsis)))  # (the exact types: no bool, no tensor)


def _vector(t):
    """t, or a 0-d t as a 1-element vector (a view): how torch's index ops count a 0-d tensor."""
    return t.reshape(1) if t.ndim == 0 else t


class ShapeMethods:
    """Shape and indexing methods of Tensor (a mixin: it has no state of its own)."""

    __slots__ = ()

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape, **kwargs):
        if kwargs:  # t.reshape(shape=(2, 3))
            if shape or set(kwargs) != {"shape"}:
                raise TypeError(f"reshape() got unexpected arguments {sorted(kwargs)}")
            shape = (kwargs["shape"],)
        shape = _shape_arg(shape)
        if shape and builtins.min(shape) < -1:
            i, n = next((i, n) for i, n in enumerate(shape) if n < -1)
            raise ShapeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
        return _ag.Reshape.apply(self, shape=shape)  # a new view even of the same shape, as torch's

    def view(self, *shape, dtype=None, size=None):
        shape = shape if size is None else (size,)  # (x.view(size=(4,)), torch's keyword)
        if dtype is None and len(shape) == 1 and not isinstance(shape[0], (tuple, list, _PY_INT, np.integer)):
            dtype = shape[0]
        if dtype is not None:
            return self._view_bits(_dtype(dtype))
        out = self.reshape(*shape)
        if (
            out is not self
            and self.device == "cpu"
            and out._data.size > 1
            and out._view is None  # (Reshape links a view only where NumPy's reshape shares the memory)
        ):
            # NumPy had to copy: a write through the "view" would not reach this tensor
            raise ShapeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension spans "
                "across two contiguous subspaces). Use .reshape(...) instead."
            )
        # (reshape names a view of a non-contiguous tensor ReshapeAliasBackward0; view is View)
        return _ag.renamed(out, "ViewBackward0")

    def _view_bits(self, dtype):
        """view(dtype): the same memory read as another dtype (no conversion, no gradient), as
        torch; with a different element size the last dimension shrinks or grows."""
        a, names = self._data, f"{torch_name(self._data.dtype)} as {torch_name(dtype)}"
        if dtype.itemsize != a.itemsize:
            ratio = builtins.max(dtype.itemsize, a.itemsize) // builtins.min(dtype.itemsize, a.itemsize)
            if a.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 to view {names} (different element sizes)")
            if a.shape[-1] != 1 and a.strides[-1] != a.itemsize:
                raise RuntimeError(f"self.stride(-1) must be 1 to view {names} (different element sizes)")
            if dtype.itemsize > a.itemsize and a.shape[-1] % ratio:
                raise RuntimeError(
                    f"self.size(-1) must be divisible by {ratio} to view {names} (different element sizes), "
                    f"but got {a.shape[-1]}"
                )
        return _wrap(a.view(dtype), self.device)

    def view_as(self, other):
        return self.reshape(need_tensor(other, "view_as", "other").shape)

    def reshape_as(self, other):
        return self.reshape(need_tensor(other, "reshape_as", "other").shape)

    def flatten(self, start_dim=0, end_dim=-1):
        nd, start_dim, end_dim = self.ndim, dim_int(start_dim, "start_dim"), dim_int(end_dim, "end_dim")
        if nd == 0:  # a 0-d tensor counts as 1-d for its dims, as torch's ([-1, 0])
            for d in (start_dim, end_dim):
                normalize_dims((d,), 1)  # raises torch's IndexError
            return self.reshape(1)
        if not (-nd <= start_dim < nd and -nd <= end_dim < nd):
            normalize_dims((start_dim, end_dim), nd)  # raises torch's IndexError
        s = start_dim % nd
        e = end_dim % nd
        if s > e:
            raise ShapeError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {tuple(self.shape)}"
            )
        shape = self._data.shape  # a plain tuple: flatten runs once per batch in every MLP
        if s == e:
            return self
        n = 1
        for k in shape[s : e + 1]:
            n *= k
        return _ag.Reshape.apply(self, shape=shape[:s] + (n,) + shape[e + 1 :])  # ints already: no parsing

    def unflatten(self, dim, sizes):
        d = one_dim(dim, self.ndim)
        sizes = tuple(sizes)
        known = int(np.prod([s for s in sizes if s != -1]))
        if -1 in sizes and known:  # the -1 is of dim d's size (so an empty tensor elsewhere can unflatten)
            sizes = tuple(self.shape[d] // known if s == -1 else s for s in sizes)
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1 :])

    def squeeze(self, dim=None, *dims):
        if dims:  # x.squeeze(0, 2): several dims as arguments, as torch's
            dim = (dim, *dims)
        shape = self._data.shape  # (the array's: ints, for Reshape as it is)
        if dim is None:
            return _ag.renamed(
                _ag.Reshape.apply(self, shape=tuple(n for n in shape if n != 1)), "SqueezeBackward0"
            )
        dims = normalize_dims(dim, len(shape))
        out = _ag.Reshape.apply(
            self, shape=tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
        )
        return _ag.renamed(out, "SqueezeBackward1" if isinstance(dim, _PY_INT) else "SqueezeBackward2")

    def unsqueeze(self, dim):
        shape = self._data.shape  # (the array's: ints, for Reshape as it is)
        nd = len(shape) + 1
        if type(dim) is not int:
            dim = dim_int(dim)
        if not -nd <= dim < nd:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})"
            )
        d = dim % nd
        return _ag.renamed(_ag.Reshape.apply(self, shape=shape[:d] + (1,) + shape[d:]), "UnsqueezeBackward0")

    def permute(self, *dims, **kwargs):
        if kwargs:  # t.permute(dims=(1, 0))
            if dims or set(kwargs) != {"dims"}:
                raise TypeError(f"permute() got unexpected arguments {sorted(kwargs)}")
            dims = (kwargs["dims"],)
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:
            raise ShapeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of "
                f"the desired ordering of dimensions i.e. input.dim() = {self.ndim} is not equal to len(dims) = "
                f"{len(dims)}"
            )
        dims = tuple(one_dim(d, self.ndim) for d in dims)  # (IndexError out of range, as torch)
        if len(set(dims)) != len(dims):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return _ag.Permute.apply(self, dims=dims)

    def transpose(self, dim0, dim1):
        nd = self.ndim
        if nd < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return _ag.Permute.apply(self, dims=tuple(range(nd)))  # a view of a 0-d/1-d tensor, as torch's
        dims = list(range(nd))
        a = one_dim(dim0, nd)
        b = one_dim(dim1, nd)
        dims[a], dims[b] = dims[b], dims[a]
        return _ag.renamed(_ag.Permute.apply(self, dims=tuple(dims)), "TransposeBackward0")

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    def t(self):
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        dims = (1, 0) if self.ndim == 2 else tuple(range(self.ndim))
        return _ag.renamed(_ag.Permute.apply(self, dims=dims), "TBackward0")

    @property
    def T(self):
        if self.ndim == 0:
            warnings.warn(
                "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                UserWarning,
                stacklevel=2,
            )
        elif self.ndim > 2:
            warnings.warn(
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
                "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
                "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                UserWarning,
                stacklevel=2,
            )
        return _ag.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        if self.ndim == 0:  # (torch: deprecated, self itself)
            torch_warn_once(
                "mT0d",
                "Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
            )
            return self
        if self.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    def expand(self, *sizes, size=None, implicit=False):
        sizes = _shape_arg(sizes if size is None else (size,))  # (torch's keywords; implicit is unused)
        shape = self.shape
        full = []
        offset = len(sizes) - len(shape)
        if offset < 0:
            raise ShapeError(
                f"expand: the number of sizes {sizes} must be >= the number of dims of shape {shape}"
            )
        for i, s in enumerate(sizes):
            full.append(shape[i - offset] if s == -1 and i >= offset else s)
        try:
            return _ag.Expand.apply(self, shape=tuple(full))
        except ValueError:
            raise ShapeError(f"expand: shape {tuple(shape)} cannot be expanded to {sizes}") from None

    def expand_as(self, other):
        return self.expand(need_tensor(other, "expand_as", "other").shape)

    def chunk(self, chunks, dim=0):
        if isinstance(chunks, _PY_BOOL) or not hasattr(chunks, "__index__"):
            raise TypeError(
                f"chunk(): argument 'chunks' (position 2) must be int, not {type(chunks).__name__}"
            )
        chunks = chunks.__index__()
        if chunks <= 0:
            raise ArgumentError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self._split_size(dim, "chunk")
        if n == 0:  # torch gives `chunks` empty pieces
            return self.split([0] * chunks, dim)
        step = -(-n // chunks)
        return self.split(step, dim)

    def _split_size(self, dim, what):
        """The size of the dim that chunk/split cut (torch's errors for a 0-d tensor, a bad dim)."""
        if not self.ndim:
            raise ArgumentError(f"{what} expects at least a 1-dimensional tensor")
        return self.shape[one_dim(dim, self.ndim)]

    def split(self, split_size, dim=0):
        if isinstance(split_size, TensorBase) and split_size.ndim == 0:  # x.split(torch.tensor(2))
            split_size = _PY_INT(split_size.item())
        if type(split_size) is _PY_BOOL:  # (an int to Python, not to torch's parser)
            raise TypeError(
                "split() received an invalid combination of arguments - got (Tensor, bool, int), but "
                "expected one of: (int split_size, int dim) or (tuple of ints split_size, int dim)"
            )
        if not isinstance(split_size, _PY_INT) and (
            refusal := _dims_refusal("split_with_sizes", "split_sizes", 2, "ints", split_size)
        ):
            raise refusal  # x.split(2.0), x.split(np.int64(2)), x.split([True, 3]): torch's TypeError
        n = self._split_size(dim, "split")
        if isinstance(split_size, _PY_INT) and (split_size < 0 or (split_size == 0 and n)):
            raise ArgumentError(
                f"split_size must be positive (or 0 for a dimension of size 0), got {split_size} for size {n}"
            )
        if not isinstance(split_size, _PY_INT) and builtins.min(split_size, default=0) < 0:
            raise ArgumentError(  # (summing to n, they cut overlapping, wrong pieces before)
                f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={list(split_size)}"
            )
        if not isinstance(split_size, _PY_INT) and builtins.sum(split_size) != n:
            raise ShapeError(
                f"split: sizes {list(split_size)} do not add up to the size {n} of dimension {dim}"
            )
        if split_size == 0:
            return (self,)
        d = dim % self.ndim
        sizes = (
            [split_size] * (n // split_size) + ([n % split_size] if n % split_size else []) or [0]
            if isinstance(split_size, _PY_INT)  # (an empty dim is one empty piece, as torch's)
            else list(split_size)
        )
        out, start = [], 0
        name = "SplitBackward0" if isinstance(split_size, _PY_INT) else "SplitWithSizesBackward0"
        for s in sizes:
            out.append(_ag.renamed(self[(slice(None),) * d + (slice(start, start + s),)], name))
            start += s
        return mark_outputs(tuple(out), name[: -len("Backward0")])

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index):
        try:
            return self._getitem(index)
        except IndexError as error:  # NumPy's messages in torch's words, without NumPy's frames
            empty = empty_selection(self, index, error)
            if empty is not None:
                return empty
            raise torch_index_error(error, self.shape) from None

    def _getitem(self, index):
        if isinstance(index, (_PY_INT, slice)) and not isinstance(index, _PY_BOOL):
            check_slice_steps(index)
            return _ag.Index.apply(self, index=index, advanced=False)
        if type(index) is tuple and builtins.all(type(p) in _BASIC_PARTS for p in index):
            check_slice_steps(index)  # x[:, 1], x[0, 2:]: basic indexing, nothing to convert (as below)
            return _ag.Index.apply(self, index=index, advanced=False)
        index = zero_d_ints(sequence_as_tuple(index))
        if isinstance(index, _PY_INT):
            return _ag.Index.apply(self, index=index, advanced=False)
        split = split_int_index(index)
        if split is not None:  # integers and index arrays: torch selects with the integers first
            return self[split[0]][split[1]]
        key, advanced = _convert_index(index, self)
        out = _ag.Index.apply(self, index=key, advanced=advanced)
        if advanced and out._node is not None:  # (an index tensor changed in place before backward)
            _ag.watch(out, *(index if isinstance(index, tuple) else (index,)))
        return out

    def index_select(self, dim, index):
        """The entries at `index` (a 1-D integer tensor) along dim; gradients add up on repeats."""
        if need_tensor(index, "index_select", "index", 2).ndim > 1:  # (torch's IndexError)
            raise IndexError(
                f"index_select(): Index is supposed to be a vector, got shape {tuple(index.shape)}"
            )
        int_index(index, "index_select")
        d = one_dim(dim, builtins.max(self.ndim, 1))
        n = self.shape[d] if self.ndim else 1
        if self.ndim == 0 and index._data.size != 1:  # (a 0-d self takes one index and stays 0-d)
            raise RuntimeError(
                f"index_select(): Index to scalar can have only 1 value, got {index._data.size} value(s)"
            )
        if index._data.size and not 0 <= int(index._data.min()) <= int(index._data.max()) < n:  # no negatives
            bad = int(index._data.max()) if int(index._data.max()) >= n else int(index._data.min())
            raise IndexRangeError(
                f"index out of range in self: INDICES element is out of DATA bounds, id={bad} axis_dim={n}"
            )
        if self.ndim == 0:
            return _ag.renamed(self.reshape(1)[index.reshape(-1)].reshape(()), "IndexSelectBackward0")
        return _ag.renamed(self[(slice(None),) * d + (index.reshape(-1),)], "IndexSelectBackward0")

    def masked_select(self, mask):
        """The entries where mask (broadcast to self's shape) is True, as a 1-D tensor."""
        m = mask if isinstance(mask, TensorBase) else _from_data(mask)
        if m._data.dtype.kind != "b":  # (an integer mask would index, silently)
            raise DTypeError("masked_select: expected BoolTensor for mask")
        if m.shape != self.shape:
            _broadcast_check(self, m, "masked_select")
            shape = broadcast_shapes(self.shape, m.shape)
            out = _ag.renamed(self.expand(*shape)[m.expand(*shape)], "MaskedSelectBackward0")
        else:
            out = _ag.renamed(self[m], "MaskedSelectBackward0")
        return _ag.watch(out, self, m)  # (torch's node saves the input and the mask)

    def select(self, dim, index):
        d = one_dim(dim, self.ndim)
        return self[(slice(None),) * d + (index,)]

    def narrow(self, dim, start, length):
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        d = one_dim(dim, self.ndim)
        if start < 0:
            start += self.shape[d]
        if not 0 <= start <= start + length <= self.shape[d]:
            raise IndexRangeError(  # an IndexError and torch's RuntimeError
                f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({self.shape[d]})"
            )
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def unbind(self, dim=0):
        d = one_dim(dim, self.ndim)
        pieces = tuple(_ag.renamed(self.select(d, i), "UnbindBackward0") for i in range(self.shape[d]))
        return mark_outputs(pieces, "Unbind")

    def flip(self, *dims, **kwargs):
        """Reverse the order along dims: a new tensor, as torch's (not a view; the gradient is
        flipped back). t.flip(0, 1), t.flip((0, 1)) and t.flip(dims=(0, 1)), as torch."""
        if kwargs:
            if set(kwargs) != {"dims"} or dims:
                raise TypeError(f"flip() got unexpected arguments {sorted(kwargs)}")
            dims = (kwargs["dims"],)
        dims = normalize_dims(_shape_arg(dims) if dims else (), self.ndim) if dims else ()
        index = tuple(slice(None, None, -1) if i in dims else slice(None) for i in range(self.ndim))
        if not dims:
            return self.clone()
        return _ag.named(_ag.Index.apply(self, index=index, advanced=False).clone(), "FlipBackward0")

    def movedim(self, source, destination):
        if isinstance(source, (tuple, list)) != isinstance(destination, (tuple, list)):
            # (torch's two forms: (int, int) and (tuple of ints, tuple of ints), not one of each)
            raise TypeError(
                f"movedim() received an invalid combination of arguments - got ({type(source).__name__}, "
                f"{type(destination).__name__}), but expected (int source, int destination) or "
                "(tuple of ints source, tuple of ints destination)"
            )
        src = ints(source)
        dst = ints(destination)
        nd = self.ndim
        src = [one_dim(s_, nd) for s_ in src]
        dst = [one_dim(d_, nd) for d_ in dst]
        if (
            builtins.len(src) != builtins.len(dst)
            or builtins.len(set(src)) != builtins.len(src)
            or builtins.len(set(dst)) != builtins.len(dst)
        ):
            raise ShapeError(f"movedim: invalid source {source} / destination {destination}")
        if nd == 0:  # (dims 0 and -1 of a 0-d tensor: torch's alias of it)
            return _ag.renamed(self.view(()), "AliasBackward0")
        order = [i for i in range(nd) if i not in src]
        for d_, s_ in sorted(zip(dst, src)):
            order.insert(d_, s_)
        return self.permute(*order)

    moveaxis = movedim

    def repeat(self, *sizes, repeats=None):
        """Tile the tensor sizes[i] times along each dim (new leading dims as needed), like torch."""
        sizes = _shape_arg(sizes if repeats is None else (repeats,))
        if any(n < 0 for n in sizes):
            shape = [
                n * m for n, m in zip(sizes, (1,) * (builtins.len(sizes) - self.ndim) + tuple(self.shape))
            ]
            raise ArgumentError(
                f"Trying to create tensor with negative dimension {builtins.min(shape)}: {shape}"
            )
        if builtins.len(sizes) < self.ndim:
            raise ShapeError(
                f"repeat: number of repeat dims ({builtins.len(sizes)}) can not be smaller than the number of dims of the tensor ({self.ndim})"
            )
        shape = (1,) * (builtins.len(sizes) - self.ndim) + tuple(self.shape)
        x = self.reshape(tuple(v for n in shape for v in (1, n)))
        x = x.expand(*(v for r, n in zip(sizes, shape) for v in (r, n)))
        out = x.reshape(tuple(r * n for r, n in zip(sizes, shape)))
        out = out.clone() if all(r == 1 for r in sizes) else out.contiguous()  # its own memory, as torch's
        return _ag.renamed(out, "RepeatBackward0")

    def tile(self, *reps, dims=None):
        dims = _shape_arg(reps if dims is None else (dims,))  # (torch's keyword: x.tile(dims=(2, 1)))
        return self.repeat(*((1,) * (self.ndim - builtins.len(dims)) + dims))

    def outer(self, vec2):
        other = need_tensor(vec2, "outer", "vec2")
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(
                f"outer: 1-D tensors expected, got shapes {tuple(self.shape)} and {tuple(other.shape)}"
            )
        return self.unsqueeze(1) * other  # (torch's: vec2 itself saved, `vec2.data =` seen at backward)

    def bmm(self, mat2):
        other = need_tensor(mat2, "bmm", "mat2")
        if self.ndim != 3 or other.ndim != 3 or self.shape[0] != other.shape[0]:
            raise ShapeError(
                f"bmm: expected two 3-D tensors with the same batch size, got {tuple(self.shape)} and {tuple(other.shape)}"
            )
        return _ag.renamed(self @ other, "BmmBackward0")

    def gather(self, dim, index, *, sparse_grad=False):
        """out[i][j] = self[i][index[i][j]] for dim=1 (2-D), like torch.gather (and its checks)."""
        int_index(index, "gather")
        if 0 in (self.ndim, index.ndim) and max(self.ndim, index.ndim) <= 1:
            # torch counts a 0-d tensor as 1-d here (the Transforms tutorial's one-hot target)
            return _vector(self).gather(dim, _vector(index)).reshape(index.shape)
        idx = index._data
        d = one_dim(dim, builtins.max(self.ndim, 1))
        if idx.ndim != self.ndim:
            raise ShapeError("Index tensor must have the same number of dimensions as input tensor")
        for k, (n_idx, n_self) in enumerate(zip(idx.shape, self.shape)):
            if k != d and n_idx > n_self:
                raise ShapeError(
                    f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no larger than "
                    f"self {list(self.shape)} apart from dimension {d}"
                )
        if idx.size and self.ndim:
            low, high = int(idx.min()), int(idx.max())
            if low < 0 or high >= self.shape[d]:
                raise IndexRangeError(
                    f"index {low if low < 0 else high} is out of bounds for dimension {d} with size {self.shape[d]}"
                )
        return _ag.watch(_ag.renamed(self._gather(dim, index), "GatherBackward0"), self, index)

    def _gather(self, dim, index):
        """gather without the checks, for pyneuro's own callers whose indices are valid by
        construction (argsort's, a pool's argmax, clamped grid positions): the range check costs
        two reductions, and a device sync on a GPU, per call."""
        # (Index straight on the grids: valid by construction, they need none of the index
        # conversion of self[...], and the callers watch the index tensor themselves)
        return _ag.Index.apply(self, index=self._index_grids(dim, index._data), advanced=True)

    def _index_grids(self, dim, idx):
        """Open index grids over idx's shape with idx itself on dim: self[grids] is gather."""
        d = dim % self.ndim
        xp = _backend(self.device).xp
        try:
            grids = list(xp.indices(idx.shape, sparse=True))
        except TypeError:  # CuPy's indices has no sparse=: the same open grids from arange
            grids = [
                xp.arange(n, dtype=np.int64).reshape(tuple(n if j == i else 1 for j in range(idx.ndim)))
                for i, n in enumerate(idx.shape)
            ]
        grids[d] = idx
        return tuple(grids)

    def _scatter(self, name, dim, index, src, add):
        if not isinstance(src, TensorBase) and (
            name == "scatter_add" or not isinstance(src, (_PY_INT, builtins.float, np.number, np.bool_))
        ):  # (torch's parser: scatter takes a Tensor or a Number there, scatter_add a Tensor)
            raise TypeError(
                f"{name}(): argument 'src' (position 3) must be Tensor, not {type_name(src)}"
                if name == "scatter_add"
                else f"scatter() received an invalid combination of arguments - got (int, Tensor, "
                f"{type_name(src)}), but expected one of: (int dim, Tensor index, Tensor src), "
                "(int dim, Tensor index, Number value)"
            )
        int_index(index, name)
        shapes = [t.ndim for t in (self, index, src) if isinstance(t, TensorBase)]
        if 0 in shapes and max(shapes) <= 1:  # a 0-d tensor counts as 1-d, as torch counts it
            src = _vector(src) if isinstance(src, TensorBase) else src
            return _vector(self)._scatter(name, dim, _vector(index), src, add).reshape(self.shape)
        idx = index._data
        if idx.ndim != self.ndim:
            raise ShapeError("Index tensor must have the same number of dimensions as self tensor")
        d = one_dim(dim, builtins.max(self.ndim, 1))  # (IndexError out of range, as torch)
        tensor_src = isinstance(src, TensorBase)
        if tensor_src and src.ndim != idx.ndim:
            raise ShapeError("Index tensor must have the same number of dimensions as src tensor")
        # (torch's shape check, before the values': a non-empty index no larger than self but along
        # dim, nor than src)
        if idx.size and (
            any(idx.shape[k] > self.shape[k] for k in range(idx.ndim) if k != d)
            or (tensor_src and any(idx.shape[k] > src.shape[k] for k in range(idx.ndim)))
        ):
            raise ShapeError(
                f"Expected index {list(idx.shape)} to be no larger than self {list(self.shape)} apart from "
                f"dimension {d}"
                + (f" and to be no larger size than src {list(src.shape)}" if tensor_src else "")
            )
        n = self.shape[d]
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):  # no negative indices, as torch
            bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
            raise IndexRangeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
        if isinstance(src, TensorBase) and src.dtype != self.dtype:
            raise DTypeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        return _ag.watch(_ag.Scatter.apply(self, src, grids=self._index_grids(dim, idx), add=add), index)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        """out[i][index[i][j]] = src[i][j] for dim=1 (or the scalar `value`), like torch.scatter."""
        if src is None:
            src = value
        if reduce not in (None, "add", "multiply"):
            raise ArgumentError("reduce argument must be either add or multiply.")
        if reduce == "multiply":  # torch's deprecated form: scatter_reduce's "prod" including self
            if not isinstance(src, TensorBase):
                src = _wrap(
                    _backend(self.device).xp.full(index.shape, src, dtype=self._data.dtype), self.device
                )
            return self.scatter_reduce(dim, index, src, "prod", include_self=True)
        return self._scatter("scatter", dim, index, src, reduce == "add")

    def scatter_add(self, dim, index, src):
        """out[i][index[i][j]] += src[i][j] for dim=1 (repeated indices add up), like torch."""
        return self._scatter("scatter_add", dim, index, src, True)

    def __delitem__(self, index):
        raise TypeError("'Tensor' object doesn't support item deletion")

    def __reversed__(self):
        """reversed(t): t flipped along its first dim (a tensor, as torch's; a 0-d one itself)."""
        return self if self.ndim == 0 else self.flip(0)

    def tril(self, diagonal=0):
        """The lower triangle (the rest zeroed) of the last two dims; gradient masked the same way."""
        _at_least_2d(self)
        return _ag.renamed(
            self._triangle(_backend(self.device).xp.tri(*self.shape[-2:], k=diagonal, dtype=bool_)),
            "TrilBackward0",
        )

    def triu(self, diagonal=0):
        _at_least_2d(self)
        return _ag.renamed(
            self._triangle(~_backend(self.device).xp.tri(*self.shape[-2:], k=diagonal - 1, dtype=bool_)),
            "TriuBackward0",
        )

    def _triangle(self, keep):
        if self._data.dtype == bool_:  # bool stays bool, like torch
            return _wrap(self._data & keep, self.device)
        # a select, not a product: -inf and NaN outside become 0
        return self.masked_fill(_wrap(~keep, self.device), 0)


def _at_least_2d(t) -> None:
    if t.ndim < 2:  # (tril of a vector: torch's RuntimeError, not NumPy's broadcast triangle)
        raise ShapeError("input tensor must have at least 2 dimensions")
