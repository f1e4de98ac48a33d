"""Sparse COO tensors (torch.sparse_coo): a matrix that is mostly zeros, stored as its nonzeros.

A sparse tensor of shape (n1, ..., nd) with nnz stored entries keeps two dense tensors:

    indices   int64, (d, nnz)   column j is the position of entry j
    values    (nnz,)            entry j's value

so an N x N graph adjacency with E edges costs O(E) memory instead of O(N^2). Positions may
repeat (their values add up) until coalesce() sorts the entries by position and sums the
repeats; torch's indices()/values() demand a coalesced tensor, _indices()/_values() do not.

The operations are written on the dense tensor ops, so autograd runs through them unchanged:

    to_dense()              zeros(shape).index_put(indices, values, accumulate=True)
    S @ D  (S: n x m)       out[r] += v * D[c] for each entry (r, c, v): D's rows gathered at
                            the column indices, scaled, index_add-ed into the rows: O(nnz k)
                            for k columns of D, against O(n m k) for the dense product
    D @ S                   (Sᵀ @ Dᵀ)ᵀ, Sᵀ the entries with their two indices swapped
    coalesce()              sort by linear position, index_add the repeats together

Gradients reach the dense operand and `values` (a sparse tensor made with requires_grad=True,
or one from dense.to_sparse()). The gradient of a stored value is the gradient at its position;
torch's mm gives the dense gradient at every position of a to_sparse() input instead (its
zeros' too). Sparse tensors are not pn.Tensor instances: the dense ops that take one (x + S,
x * S, S @ x, torch.mm, torch.sum) handle it explicitly.

Hybrid tensors: values (nnz, *dense) with indices over the leading dims only -- the sparse .grad
of Embedding(sparse=True) is one, rows (1, nnz) of values (nnz, D). The autograd engine builds it
(autograd/engine.py, from the lookup's SparseRowsGrad; this module registers the class there) and
adds gradients into it in place (add_); zero_(), mul_() and the optimizers' sparse updates
(optim/sparse_adam.py) work on it. mm, t() and sum(dim) are for all-sparse tensors only.
Arrows: imports numpy, _tensor_base, _sparse_merge, autograd.engine, creation and torch_runtime (and functions);
_tensor_compat (Tensor.to_sparse) and sparse.py (torch.sparse) import it.
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from . import _tensor_base
from ._arguments import SPARSE_FUNCTIONS
from ._dtype import bool_, default_float, int64
from ._shapes import Size, normalize_dims, one_dim
from ._sparse_merge import merge
from ._tensor_base import TensorBase, _wrap
from ._tensor_str import get_printoptions, tensor_str
from .autograd import engine as _engine
from .autograd.shape import renamed
from .creation import tensor, zeros
from .functions import cat
from .torch_runtime import layout

sparse_coo = layout("sparse_coo")
_ZERO_PRESERVING = frozenset(
    "asin asinh atan atanh ceil deg2rad erf erfinv expm1 floor frac log1p rad2deg round sgn signbit "
    "sin sinh tan tanh trunc".split()
)


def _index_array(indices) -> np.ndarray:
    host = indices.cpu().numpy() if isinstance(indices, TensorBase) else np.asarray(indices)
    return np.asarray(host, dtype=np.int64)


class SparseUnsupported(NotImplementedError, AttributeError):
    """A dense Tensor method a sparse tensor lacks: torch's NotImplementedError (no SparseCPU
    kernel), an AttributeError too, so that hasattr() and duck typing read it as absent."""


class SparseTensor:
    """A COO sparse tensor (torch.sparse_coo_tensor's result, dense.to_sparse())."""

    __slots__ = ("_idx", "_vals", "_shape", "_coalesced")
    is_sparse = True
    is_sparse_csr = False
    layout = sparse_coo
    __array_priority__ = 1000  # (an ndarray on the left defers to us)

    def __init__(self, indices: TensorBase, values: TensorBase, shape, coalesced: bool = False):
        self._idx, self._vals, self._shape, self._coalesced = indices, values, Size(shape), coalesced

    def __reduce__(self):  # (pn.save / pickle / deepcopy: rebuilt through sparse_coo_tensor's checks)
        return rebuild_sparse, (self._idx, self._vals, tuple(self._shape), self._coalesced)

    def __getattr__(self, name: str):
        """(only names the class does not have) a Tensor method: torch's NotImplementedError."""
        if name in _ZERO_PRESERVING:  # (torch's other sparse elementwise ops: f(0) = 0, on the values)
            return lambda: self._on_values(name)
        if name.startswith("_") or not hasattr(_tensor_base._TENSOR_CLASS, name):
            raise AttributeError(f"'SparseTensor' object has no attribute '{name}'")
        raise SparseUnsupported(
            f"Could not run 'aten::{name}' with arguments from the 'SparseCPU' backend. This could be because "
            "the operator doesn't exist for this backend (pyneuro's sparse tensors: see pyneuro/_sparse_coo.py)"
        )

    def numpy(self, *, force=False):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first.")

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self.to_dense().item()

    @property
    def data(self) -> SparseTensor:
        return self.detach()

    # elementwise ops that keep zeros zero: on the values of the coalesced tensor, as torch's
    # (f(a) + f(b) is not f(a + b) for repeats)
    def _on_values(self, op: str, *args) -> SparseTensor:
        c = self.coalesce()
        return SparseTensor(c._idx, getattr(c._vals, op)(*args), c._shape, True)

    def abs(self):
        return self._on_values("abs")

    def sqrt(self):
        return self._on_values("sqrt")

    def square(self):
        return self._on_values("square")

    def sign(self):
        return self._on_values("sign")

    def isnan(self):
        return self._on_values("isnan")

    def isinf(self):
        return self._on_values("isinf")

    def neg(self):
        return -self

    def pow(self, exponent):
        if isinstance(exponent, TensorBase) and exponent.ndim == 0:
            exponent = exponent.item()
        if not isinstance(exponent, (builtins.int, builtins.float)):
            raise RuntimeError("pow: a sparse tensor takes a number (or a 0-d tensor) as exponent")
        if exponent == 0:
            raise RuntimeError(
                "pow: cannot raise to zeroth power on sparse tensor; it would make the result tensor dense"
            )
        return self._on_values("pow", exponent)

    def relu(self):
        return self._on_values("relu")

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return self._on_values("nan_to_num", nan, posinf, neginf)

    __pow__ = pow

    # ------------------------------------------------------------------ what it is
    @property
    def shape(self) -> Size:
        return self._shape

    def size(self, dim=None):
        return self._shape if dim is None else self._shape[one_dim(dim, len(self._shape))]

    def dim(self) -> int:
        return len(self._shape)

    ndim = property(dim)

    def sparse_dim(self) -> int:
        return self._idx.shape[0]

    def dense_dim(self) -> int:
        return len(self._shape) - self._idx.shape[0]

    def numel(self) -> int:
        return math.prod(self._shape)

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    @property
    def dtype(self):
        return self._vals.dtype

    @property
    def device(self):
        return self._vals.device

    def _nnz(self) -> int:
        return self._vals.shape[0]

    def is_coalesced(self) -> bool:
        return self._coalesced

    def indices(self) -> TensorBase:
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._idx

    def values(self) -> TensorBase:
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._vals

    def _indices(self) -> TensorBase:
        return self._idx

    def _values(self) -> TensorBase:
        return self._vals

    # ------------------------------------------------------------------ autograd (through values)
    @property
    def requires_grad(self) -> bool:
        return self._vals.requires_grad

    def requires_grad_(self, requires_grad: bool = True) -> SparseTensor:
        self._vals.requires_grad_(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._vals.is_leaf

    @property
    def grad_fn(self):
        return self._vals.grad_fn

    @property
    def grad(self):
        """The gradient of the stored values, as a sparse tensor of the same pattern (or None)."""
        g = self._vals.grad
        return None if g is None else SparseTensor(self._idx, g, self._shape, self._coalesced)

    def detach(self) -> SparseTensor:
        return SparseTensor(self._idx, self._vals.detach(), self._shape, self._coalesced)

    def clone(self) -> SparseTensor:
        return SparseTensor(self._idx.clone(), self._vals.clone(), self._shape, self._coalesced)

    # ------------------------------------------------------------------ conversions
    def coalesce(self) -> SparseTensor:
        """The entries sorted by position (row-major), repeated positions summed into one."""
        if self._coalesced:
            return self
        idx = _index_array(self._idx)
        sparse_shape = tuple(self._shape[: idx.shape[0]])
        linear = np.ravel_multi_index(tuple(idx), sparse_shape) if idx.size else idx.reshape(-1)
        unique, inverse = np.unique(linear, return_inverse=True)
        dev = self._vals.device
        summed = zeros((len(unique), *self._vals.shape[1:]), dtype=self.dtype, device=dev).index_add(
            0, _wrap(inverse.reshape(-1).astype(np.int64), "cpu").to(dev), self._vals
        )
        rows = np.stack(np.unravel_index(unique, sparse_shape)) if unique.size else idx[:, :0]
        return SparseTensor(_wrap(rows.astype(np.int64), "cpu").to(dev), summed, self._shape, True)

    def to_dense(self, dtype=None) -> TensorBase:
        dense = zeros(tuple(self._shape), dtype=self.dtype, device=self.device)
        if self._nnz():
            dense = dense._put(self._vals, tuple(self._idx._data), True, "ToDenseBackward0")
        return dense if dtype is None else dense.to(dtype)

    def to_sparse(self, *args, **kwargs) -> SparseTensor:
        return self

    def to(self, *args, **kwargs) -> SparseTensor:
        values = self._vals.to(*args, **kwargs)
        return SparseTensor(self._idx.to(values.device), values, self._shape, self._coalesced)

    def cpu(self) -> SparseTensor:
        return self.to("cpu")

    def cuda(self, device=None) -> SparseTensor:
        return self.to("cuda")

    def float(self) -> SparseTensor:
        return self.to(self._vals.float().dtype)

    def double(self) -> SparseTensor:
        return self.to(self._vals.double().dtype)

    def half(self) -> SparseTensor:
        return self.to(self._vals.half().dtype)

    def long(self) -> SparseTensor:
        return self.to(self._vals.long().dtype)

    def type(self, dtype=None, non_blocking=False):
        """Without dtype torch's legacy type name ('torch.sparse.FloatTensor'); else a cast."""
        if dtype is None:
            return "torch.sparse." + self._vals.type().rpartition(".")[2]
        return self.to(dtype=dtype)

    def t(self) -> SparseTensor:
        if self.ndim != 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1)

    def transpose(self, dim0: int, dim1: int) -> SparseTensor:
        d0, d1 = normalize_dims((dim0, dim1), self.ndim)
        if self.dense_dim():  # (torch's class; it transposes two sparse dims, pyneuro has one)
            raise RuntimeError(
                f"transpose of a hybrid sparse tensor ({self.sparse_dim()} sparse and {self.dense_dim()} "
                "dense dims): not supported by pyneuro"
            )
        order = list(range(self.ndim))
        order[d0], order[d1] = d1, d0
        shape = [self._shape[i] for i in order]
        return SparseTensor(self._idx[order], self._vals, shape, self._coalesced and self.ndim < 2)

    # ------------------------------------------------------------------ arithmetic
    def _same_shape(self, other, op: str) -> None:
        if tuple(other.shape) != tuple(self._shape):
            raise RuntimeError(
                f"{op}: expected sizes to match, got {list(self._shape)} and {list(other.shape)}"
            )

    def __add__(self, other):
        if isinstance(other, SparseTensor):  # torch's merge of the two entry lists (_sparse_merge.py)
            self._same_shape(other, "add")
            shape, dev = tuple(self._shape[: self.sparse_dim()]), self.device
            la, lb = (np.ravel_multi_index(tuple(_index_array(t._idx)), shape) for t in (self, other))
            slot_a, slot_b, where = merge(la.reshape(-1), lb.reshape(-1))
            slots = [_wrap(s.astype(np.int64), "cpu").to(dev) for s in (slot_a, slot_b)]
            dtype = (self._vals[:0].detach() + other._vals[:0].detach()).dtype  # (torch's promotion)
            values = zeros((len(where), *self._vals.shape[1:]), dtype=dtype, device=dev)
            values = values.index_add(0, slots[0], self._vals.to(dtype)).index_add(
                0, slots[1], other._vals.to(dtype)
            )
            idx = (
                np.stack(np.unravel_index(where, shape))
                if where.size
                else np.zeros((len(shape), 0), np.int64)
            )
            out = SparseTensor(_wrap(idx.astype(np.int64), "cpu").to(dev), values, self._shape)
            out._coalesced = self._coalesced and other._coalesced
            return out
        if isinstance(other, (TensorBase, builtins.int, builtins.float)):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        return NotImplemented

    def _appended(self, other: SparseTensor) -> SparseTensor:
        """other's entries after self's (add_'s accumulation of sparse gradients; coalesce() sums them)."""
        self._same_shape(other, "add")
        values = cat([self._vals, other._vals.to(self.dtype)])
        return SparseTensor(_cat_columns(self._idx, other._idx), values, self._shape)

    def __radd__(self, other):
        if isinstance(other, TensorBase):
            return other + self.to_dense()  # dense + sparse is dense, as torch's
        return NotImplemented

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __neg__(self) -> SparseTensor:
        return SparseTensor(self._idx, -self._vals, self._shape, self._coalesced)

    def __mul__(self, other):
        if isinstance(other, (builtins.int, builtins.float)) or (
            isinstance(other, TensorBase) and other.ndim == 0
        ):
            return SparseTensor(self._idx, self._vals * other, self._shape, self._coalesced)
        if isinstance(other, TensorBase):  # dense * sparse stays sparse: the dense values at the entries
            if self.dense_dim() or other.ndim > self.ndim:
                self._same_shape(other, "mul")
            dense = other.expand(tuple(self._shape))  # (broadcast to self's shape, as torch's)
            return SparseTensor(self._idx, self._vals * dense[tuple(self._idx)], self._shape, self._coalesced)
        if isinstance(other, SparseTensor):  # the positions both store, of the coalesced two
            self._same_shape(other, "mul")
            a, b = self.coalesce(), other.coalesce()
            la, lb = (
                np.ravel_multi_index(tuple(_index_array(t._idx)), tuple(t._shape[: t.sparse_dim()]))
                for t in (a, b)
            )
            common, ia, ib = np.intersect1d(la, lb, assume_unique=True, return_indices=True)
            dev = self.device
            pick = lambda t, i: t._vals.index_select(0, _wrap(i.astype(np.int64), "cpu").to(dev))
            return SparseTensor(
                a._idx[:, _wrap(ia.astype(np.int64), "cpu").to(dev)],
                pick(a, ia) * pick(b, ib),
                self._shape,
                True,
            )
        return NotImplemented

    __rmul__ = __mul__

    def div(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            return self._on_values("div", other, rounding_mode=rounding_mode)
        return self / other

    def __truediv__(self, other):
        if isinstance(other, (builtins.int, builtins.float)) or (
            isinstance(other, TensorBase) and other.ndim == 0
        ):
            return SparseTensor(self._idx, self._vals / other, self._shape, self._coalesced)
        if isinstance(other, TensorBase):
            raise RuntimeError(
                "Sparse division requires a scalar or zero-dim dense tensor divisor (got shape "
                f"{list(other.shape)} for divisor)"
            )
        return NotImplemented

    # ------------------------------------------------------------------ in place (what optimizers call)
    def copy_(self, src, non_blocking=False) -> SparseTensor:
        """src's entries and size, in self's dtype (load_state_dict of a sparse buffer)."""
        if not isinstance(src, SparseTensor):
            raise RuntimeError(
                "copy_() between dense and sparse Tensors is not implemented! Found self type = "
                f"SparseCPU and src type = {type(src).__name__}"
            )
        values = src._vals.detach().to(device=self.device, dtype=self.dtype)
        self._idx, self._vals = src._idx.to(self.device), values.requires_grad_(self.requires_grad)
        self._shape, self._coalesced = src._shape, src._coalesced
        return self

    _copy_values = copy_

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def zero_(self) -> SparseTensor:
        """No entries left (torch's sparse zero_: nnz 0, the same size)."""
        self._idx = self._idx[:, :0]
        self._vals = self._vals[:0].detach()
        self._coalesced = True
        return self

    def mul_(self, other) -> SparseTensor:
        self._vals = self._vals.detach() * other
        return self

    def div_(self, other) -> SparseTensor:
        self._vals = self._vals.detach() / other
        return self

    def add_(self, other, *, alpha=1) -> SparseTensor:
        """self += alpha * other for a sparse other: its entries appended (uncoalesced)."""
        if not isinstance(other, SparseTensor):
            raise RuntimeError("add_(sparse, dense) is not supported: use dense.add_(sparse)")
        if other._idx is self._idx:  # the same indices (g.add_(g)): the values add, as torch's
            self._vals = self._vals.detach() + (other._vals if alpha == 1 else other._vals * alpha)
            return self
        added = self._appended(other if alpha == 1 else other * alpha)
        coalesced = other._coalesced if not self._nnz() else not other._nnz() and self._coalesced
        self._idx, self._vals, self._coalesced = added._idx, added._vals.detach(), coalesced
        return self

    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return self + (-other if alpha == 1 else other * -alpha)

    def mul(self, other):
        return self * other

    def norm(self, p=2):
        """The p-norm of the entries (of the coalesced tensor, where repeats are summed first)."""
        return self.coalesce()._vals.norm(p)

    def mm(self, other, _node_name="MmBackward0"):
        """self @ other for a sparse matrix self (n x m) and a dense (m x k) or sparse other."""
        if self.ndim != 2 or self.dense_dim():
            raise RuntimeError(
                f"mm: expected a 2-D sparse matrix, got {self.ndim}-D with {self.dense_dim()} dense dims"
            )
        if isinstance(other, SparseTensor):  # (the product of two sparse matrices is stored sparse)
            return self.mm(other.to_dense()).to_sparse()
        if not isinstance(other, TensorBase):
            raise TypeError(f"mm(): argument 'mat2' must be Tensor, not {type(other).__name__}")
        vector = other.ndim == 1
        if vector and _node_name != "MvBackward0":  # (mm wants a matrix; matmul and mv take a vector)
            raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
        dense = other.unsqueeze(1) if vector else other
        if dense.ndim != 2 or dense.shape[0] != self._shape[1]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({self._shape[0]}x{self._shape[1]} and "
                f"{'x'.join(str(n) for n in other.shape)})"
            )
        if self.dtype != dense.dtype:
            raise RuntimeError(
                f"expected mat1 and mat2 to have the same dtype, but got: {self.dtype} != {dense.dtype}"
            )
        contributions = dense.index_select(0, self._idx[1]) * self._vals.unsqueeze(1)  # v * D[c]
        out = zeros((self._shape[0], dense.shape[1]), dtype=dense.dtype, device=dense.device)
        out = out._put(contributions, (self._idx._data[0],), True, _node_name)  # added into rows r
        return renamed(out.squeeze(1), "MvBackward0") if vector else out

    def matmul(self, other):
        return self.mm(
            other, "MvBackward0" if isinstance(other, TensorBase) and other.ndim == 1 else "MmBackward0"
        )

    __matmul__ = matmul

    def mv(self, vec):
        if not isinstance(vec, TensorBase) or vec.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 2, 2, {getattr(vec, 'ndim', 0)}")
        return self.mm(vec, "MvBackward0")

    # ------------------------------------------------------------------ selecting entries
    def _entries(self, keep: np.ndarray, idx: np.ndarray, shape) -> SparseTensor:
        """The entries at host positions `keep` (in that order), with indices idx."""
        dev = self.device
        values = self._vals.index_select(0, _wrap(keep.astype(np.int64), "cpu").to(dev))
        return SparseTensor(_wrap(idx.astype(np.int64), "cpu").to(dev), values, shape)

    def select(self, dim: int, index: int) -> SparseTensor:
        """The entries at `index` along sparse dim `dim`, that dim dropped (torch's order kept)."""
        d = one_dim(dim, self.ndim)
        if d >= self.sparse_dim():
            raise SparseUnsupported(
                "select on a dense dim of a hybrid sparse tensor: not supported by pyneuro"
            )
        n = self._shape[d]
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of bounds for dimension {d} with size {n}")
        idx = _index_array(self._idx)
        keep = np.flatnonzero(idx[d] == index % n)
        shape = self._shape[:d] + self._shape[d + 1 :]
        return self._entries(keep, np.delete(idx[:, keep], d, axis=0), shape)

    def __getitem__(self, key):
        if isinstance(key, (builtins.int, np.integer)) and not isinstance(key, builtins.bool):
            if not self._shape:
                raise IndexError("invalid index of a 0-dim tensor.")
            return self.select(0, builtins.int(key))
        raise SparseUnsupported("indexing a sparse tensor: pyneuro takes an int only (s[i])")

    def index_select(self, dim: int, index) -> SparseTensor:
        """The entries along `dim` at each of index's positions in turn (each in its stored order)."""
        d = one_dim(dim, self.ndim)
        if (
            not isinstance(index, TensorBase)
            or index.ndim > 1
            or index.dtype != int64
            and index.dtype.is_floating_point
        ):
            raise (
                IndexError("index_select(): Expected dtype int32/int64 for index")
                if isinstance(index, TensorBase)
                else TypeError(f"index_select(): argument 'index' must be Tensor, not {type(index).__name__}")
            )
        if d >= self.sparse_dim():
            raise SparseUnsupported(
                "index_select on a dense dim of a hybrid sparse tensor: not supported by pyneuro"
            )
        want, idx, n = _index_array(index).reshape(-1), _index_array(self._idx), self._shape[d]
        if want.size and (want.min() < -n or want.max() >= n):
            raise IndexError("index out of range in self")
        want = want % n if n else want
        order = np.argsort(want, kind="stable")
        lo, hi = np.searchsorted(want[order], idx[d], "left"), np.searchsorted(want[order], idx[d], "right")
        entry = np.repeat(np.arange(idx.shape[1]), hi - lo)  # each entry once per position selecting it
        starts = np.repeat(lo - np.cumsum(hi - lo) + (hi - lo), hi - lo)
        k = order[starts + np.arange(entry.size)] if entry.size else entry
        by_k = np.argsort(k, kind="stable")  # (position-major, the entries in stored order)
        entry, k = entry[by_k], k[by_k]
        new = idx[:, entry].copy()
        new[d] = k
        shape = self._shape[:d] + (len(want),) + self._shape[d + 1 :]
        return self._entries(entry, new, shape)

    def __rmatmul__(self, other):
        """other @ self for a dense matrix other: (selfᵀ @ otherᵀ)ᵀ."""
        if not isinstance(other, TensorBase):
            return NotImplemented
        if other.ndim == 1:  # (torch's matmul: the vector as a row, then squeezed)
            return renamed(self.t().mm(other.unsqueeze(1)).squeeze(1), "SqueezeBackward4")
        return renamed(self.t().mm(other.t()).t(), "MmBackward0")

    def sum(self, dim=None, keepdim=False, dtype=None):
        """The sum of the entries: a dense 0-d tensor, or over `dim` a sparse tensor of the other dims."""
        if dim is None:
            total = self._vals.sum()
            return total if dtype is None else total.to(dtype)
        dims = normalize_dims(dim, self.ndim)
        if self.dense_dim():  # over dense dims only: the coalesced values summed (torch's)
            sd = self.sparse_dim()
            if min(dims) < sd:
                raise SparseUnsupported(f"sum over sparse dims of a hybrid sparse tensor ({sd} sparse dims)")
            c = self.coalesce()
            values = c._vals.sum(tuple(d - sd + 1 for d in dims), dtype=dtype)
            shape = [n for d, n in enumerate(self._shape) if d not in dims]
            return SparseTensor(c._idx, values, shape, True)
        keep = [d for d in range(self.ndim) if d not in dims]
        if not keep:  # (every dim: a dense tensor, as torch's)
            total = self.sum(dtype=dtype)
            return total.reshape((1,) * self.ndim) if keepdim else total
        values = self._vals if dtype is None else self._vals.to(dtype)
        if keepdim:  # (the summed dims stay, of size 1: their indices all 0)
            idx = self._idx * _wrap(
                np.isin(np.arange(self.ndim), keep).astype(np.int64).reshape(-1, 1), "cpu"
            )
            shape = [n if d in keep else 1 for d, n in enumerate(self._shape)]
            return SparseTensor(idx.to(self.device), values, shape).coalesce()
        shape = [self._shape[d] for d in keep]
        return SparseTensor(self._idx[keep], values, shape).coalesce()

    def __repr__(self) -> str:
        """torch's form: indices and values (without a dtype: the suffixes say it), then the suffixes,
        the first on a new line, wrapped at the print width as torch's _add_suffixes does."""
        pad = " " * len("tensor(indices=")
        if self._nnz():
            indices = tensor_str(_index_array(self._idx), [], len("indices=tensor(")).replace(
                "\n", "\n" + pad
            )
            host = np.asarray(self._vals.detach().cpu().numpy())
            values = tensor_str(host, [], len("values=tensor(")).replace(
                "\n", "\n" + " " * len("       values=")
            )
        else:  # (torch's spelling of the empty ones)
            dense = "".join(f", {n}" for n in self._vals.shape[1:]) or ","
            indices, values = f"tensor([], size=({self.sparse_dim()}, 0))", f"tensor([], size=(0{dense}))"
        suffixes = [f"device='{self.device}'"] if self.device.type != "cpu" else []
        suffixes += [f"size={tuple(self._shape)}", f"nnz={self._nnz()}"]
        dtype = self._vals._data.dtype
        if dtype not in (default_float(), int64, bool_):
            suffixes.append(f"dtype=pyneuro.{dtype}")
        suffixes.append("layout=torch.sparse_coo")
        if self._vals.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self._vals.grad_fn.name()}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        text = f"tensor(indices={indices},\n       values={values}"
        last, width = len(text) - text.rfind("\n") + 1, get_printoptions()["linewidth"]
        for i, e in enumerate(suffixes):
            size = len(e.replace("pyneuro.", "torch."))  # (measured as torch spells it)
            if i == 0 or last + size + 2 > width:
                text, last = text + ",\n       " + e, 7 + size
            else:
                text, last = text + ", " + e, last + size + 2
        return text + ")"

    __str__ = __repr__


def _cat_columns(a: TensorBase, b: TensorBase) -> TensorBase:
    return _wrap(np.concatenate([_index_array(a), _index_array(b)], axis=1), "cpu").to(a.device)


def sparse_coo_tensor(
    indices,
    values,
    size=None,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    check_invariants=None,
    is_coalesced=None,
) -> SparseTensor:
    """torch.sparse_coo_tensor: entries `values` at the columns of `indices` (d x nnz)."""
    idx = _index_array(indices)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    # (a list as torch.tensor reads it: floats the default dtype; an array keeps its dtype, float64 too)
    vals = values if isinstance(values, TensorBase) else tensor(values)
    if dtype is not None or device is not None:
        vals = vals.to(
            device=device if device is not None else vals.device,
            dtype=dtype if dtype is not None else vals.dtype,
        )
    if vals.ndim < 1 or vals.shape[0] != idx.shape[1]:
        raise RuntimeError(
            f"indices and values must have the same number of entries, got {idx.shape[1]} and {list(vals.shape)}"
        )
    dense_shape = tuple(vals.shape[1:])  # (values (nnz, *dense): a hybrid tensor, as a sparse .grad)
    if size is None:
        size = tuple(int(n) + 1 for n in idx.max(axis=1)) if idx.size else (0,) * idx.shape[0]
        size += dense_shape
    try:  # (a size of floats is torch's TypeError; from a file, anything may come)
        size = tuple(operator.index(n) for n in size)
    except TypeError:
        raise TypeError(
            f"sparse_coo_tensor(): argument 'size' must be a tuple of ints, not {size!r}"
        ) from None
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    if math.prod(size) >= 2**63:
        raise RuntimeError("numel: integer multiplication overflow")
    if len(size) != idx.shape[0] + len(dense_shape):
        raise RuntimeError(
            f"number of dimensions must be sparse_dim ({idx.shape[0]}) + dense_dim ({len(dense_shape)}), "
            f"but got {len(size)}"
        )
    if size[idx.shape[0] :] != dense_shape:
        raise RuntimeError(
            f"values has incorrect size, expected {[vals.shape[0], *size[idx.shape[0] :]]}, got {list(vals.shape)}"
        )
    if idx.size:  # (always checked: torch checks only with check_invariants=True, else may crash)
        if (idx < 0).any():
            raise RuntimeError(
                f"found negative index {int(idx.min())} for dim {int(np.argmax((idx < 0).any(axis=1)))}"
            )
        bad = idx >= np.asarray(size[: idx.shape[0]]).reshape(-1, 1)
        if bad.any():
            d = int(np.argmax(bad.any(axis=1)))
            raise RuntimeError(
                f"size is inconsistent with indices: for dim {d}, size is {size[d]} but found index {int(idx[d].max())}"
            )
    if vals.requires_grad:  # (torch's node for the construction: the values reach it through a view)
        vals = renamed(vals.view(tuple(vals.shape)), "SparseCooTensorWithDimsAndTensorsBackward0")
    out = SparseTensor(_wrap(idx, "cpu").to(vals.device), vals, size, bool(is_coalesced) or idx.shape[1] <= 1)
    if requires_grad:
        out.requires_grad_(True)
    return out


def rebuild_sparse(indices, values, size, coalesced) -> SparseTensor:
    """A pickled sparse tensor back (torch's weights-only load rebuilds sparse tensors too): every
    invariant checked, as a file may hold anything -- indices in range, and the claim `coalesced`
    (sorted, no repeats) true, since coalesce() and indices() trust it."""
    if (
        not isinstance(indices, TensorBase)
        or not isinstance(values, TensorBase)
        or not isinstance(coalesced, bool)
    ):
        raise RuntimeError("rebuild_sparse: a sparse tensor is stored as indices and values tensors")
    out = sparse_coo_tensor(indices, values, size)
    if coalesced and out._nnz() > 1:
        idx = _index_array(out._idx)
        linear = np.ravel_multi_index(tuple(idx), tuple(out._shape[: idx.shape[0]]))
        if not (np.diff(linear) > 0).all():
            raise RuntimeError(
                "rebuild_sparse: a tensor stored as coalesced has unsorted or repeated indices"
            )
    out._coalesced = coalesced or out._coalesced
    return out


def dense_to_sparse(dense: TensorBase) -> SparseTensor:
    """dense.to_sparse(): its nonzero entries, in row-major order (coalesced); the values are
    gathered from dense, so gradients flow back to it."""
    idx = _index_array(dense.detach().nonzero().t()) if dense.ndim else np.zeros((0, 1), np.int64)
    positions = _wrap(idx, "cpu").to(dense.device)
    values = renamed(dense[tuple(positions)] if dense.ndim else dense.reshape(1), "ToSparseBackward1")
    return SparseTensor(positions, values, tuple(dense.shape), True)


def sparse_cat(tensors, dim=0) -> SparseTensor:
    """torch.cat of sparse tensors: the entries one after another, each shifted along `dim`."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, SparseTensor):
            raise RuntimeError(f"Concatenating sparse tensors, but a dense tensor was found at position {i}.")
    first = tensors[0]
    d = one_dim(dim, first.ndim)
    if d >= first.sparse_dim() or any(t.sparse_dim() != first.sparse_dim() for t in tensors):
        raise SparseUnsupported("cat of sparse tensors along a dense dim: not supported by pyneuro")
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(t._shape[i] != first._shape[i] for i in range(first.ndim) if i != d):
            raise RuntimeError(
                f"Sizes of tensors must match except in dimension {d}. "
                f"Expected {list(first._shape)} but got {list(t._shape)}"
            )
    columns, offset = [], 0
    for t in tensors:
        idx = _index_array(t._idx).copy()
        idx[d] += offset
        columns.append(idx)
        offset += t._shape[d]
    shape = first._shape[:d] + (offset,) + first._shape[d + 1 :]
    dev = first.device
    values = cat([t._vals.to(first.dtype) for t in tensors])
    return SparseTensor(_wrap(np.concatenate(columns, axis=1), "cpu").to(dev), values, shape)


def sparse_stack(tensors, dim=0) -> SparseTensor:
    """torch.stack of sparse tensors: each given a new dim of size 1 at `dim`, then cat."""
    tensors = list(tensors)
    if not all(isinstance(t, SparseTensor) for t in tensors):
        raise RuntimeError("Cannot stack sparse tensors with dense tensors")
    d = one_dim(dim, tensors[0].ndim + 1) if tensors else 0
    grown = []
    for t in tensors:
        idx = np.insert(_index_array(t._idx), d, 0, axis=0)
        shape = t._shape[:d] + (1,) + t._shape[d:]
        grown.append(SparseTensor(_wrap(idx, "cpu").to(t.device), t._vals, shape))
    return sparse_cat(grown, d)


_engine.sparse_tensor_class[0] = SparseTensor  # (the engine stores sparse gradients as these)
SPARSE_FUNCTIONS.update(cat=sparse_cat, concat=sparse_cat, concatenate=sparse_cat, stack=sparse_stack)
