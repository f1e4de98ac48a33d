"""pyneuro.sparse: torch.sparse's import path for the COO sparse tensors of _sparse_coo.py
(`torch.sparse.mm`, `torch.sparse.sum`, `torch.sparse.addmm`), as the graph-convolution example
uses them: an adjacency matrix stored as its edges, multiplied with dense node features."""

from __future__ import annotations

import numpy as np

from ._dtype import float32, float64, int32, int64
from ._sparse_coo import SparseTensor, SparseUnsupported, _index_array, sparse_coo, sparse_coo_tensor
from ._tensor_base import TensorBase, _wrap
from .autograd.shape import renamed
from .creation import zeros


def mm(mat1, mat2):
    """mat1 @ mat2 with mat1 sparse (n x m) and mat2 dense or sparse (m x k): dense for a dense
    mat2, sparse for a sparse one, as torch.sparse.mm."""
    if isinstance(mat1, SparseTensor):
        return mat1.mm(mat2, "SparseAddmmBackward0")
    if isinstance(mat1, TensorBase) and isinstance(mat2, SparseTensor):
        return mat1 @ mat2
    return mat1.mm(mat2)


def sum(input, dim=None, dtype=None):
    """The sum of a sparse tensor's entries: a dense 0-d tensor, or over `dim` a sparse tensor."""
    return input.sum(dim, dtype=dtype)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """beta * mat + alpha * (mat1 @ mat2) with mat1 sparse (torch.sparse.addmm)."""
    return mat * beta + mm(mat1, mat2) * alpha


def _softmax_parts(input, dim: int, dtype):
    """(coalesced input, its values shifted by their group's max, each entry's group id, the
    number of groups): a group is the entries that differ only in their position along dim."""
    if not isinstance(input, SparseTensor):
        raise TypeError(f"softmax(): argument 'input' must be a sparse tensor, not {type(input).__name__}")
    if input.dense_dim():
        raise SparseUnsupported("sparse softmax of a hybrid sparse tensor: not supported by pyneuro")
    c = input.coalesce()
    values = c._vals if dtype is None else c._vals.to(dtype)
    if not values.dtype.is_floating_point:
        raise RuntimeError(
            f"\"softmax\" not implemented for '{str(values.dtype).rpartition('.')[2].capitalize()}'"
        )
    d = dim % input.ndim if -input.ndim <= dim < input.ndim else None
    if d is None:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], but got {dim})"
        )
    idx = np.delete(_index_array(c._idx), d, axis=0)
    shape = tuple(n for i, n in enumerate(input.shape) if i != d)
    group = np.ravel_multi_index(tuple(idx), shape) if idx.shape[0] else np.zeros(idx.shape[1], np.int64)
    _, gid = np.unique(group, return_inverse=True)
    gid = gid.reshape(-1)
    top = np.full(gid.max() + 1 if gid.size else 0, -np.inf)
    np.maximum.at(top, gid, values.detach().cpu().numpy().astype(np.float64))
    dev = values.device
    shift = _wrap(top[gid].astype(np.dtype(str(values.dtype).rpartition(".")[2])), "cpu").to(dev)
    ids = _wrap(gid.astype(np.int64), "cpu").to(dev)
    return c, values - shift, ids, len(top)


def _group_sums(e, ids, groups):
    return zeros((groups,), dtype=e.dtype, device=e.device).index_add(0, ids, e).index_select(0, ids)


def softmax(input, dim, *, dtype=None):
    """torch.sparse.softmax: each group of stored entries along dim softmaxed among themselves (the
    unstored ones count as -inf: they stay unstored); the result has the coalesced input's indices."""
    c, shifted, ids, groups = _softmax_parts(input, dim, dtype)
    e = shifted.exp()
    return SparseTensor(
        c._idx, renamed(e / _group_sums(e, ids, groups), "SparseSoftmaxBackward0"), c._shape, True
    )


def log_softmax(input, dim, *, dtype=None):
    """torch.sparse.log_softmax: the log of softmax's values, computed as shifted - log(sum exp)."""
    c, shifted, ids, groups = _softmax_parts(input, dim, dtype)
    values = shifted - _group_sums(shifted.exp(), ids, groups).log()
    return SparseTensor(c._idx, renamed(values, "SparseLogSoftmaxBackward0"), c._shape, True)


def _stored_rows(mat1, mat2):
    if not isinstance(mat1, SparseTensor) or mat1.ndim != 2:
        raise RuntimeError("expected a 2-D sparse matrix as the first argument")
    rows = np.unique(_index_array(mat1._idx)[0])
    return rows, mat1.mm(mat2).index_select(0, _wrap(rows, "cpu").to(mat1.device))


def smm(input, mat2) -> SparseTensor:
    """torch.smm: sparse @ dense as a sparse matrix: every column of each row input stores."""
    rows, dense = _stored_rows(input, mat2)
    k = dense.shape[1]
    idx = np.stack([np.repeat(rows, k), np.tile(np.arange(k, dtype=np.int64), len(rows))])
    return SparseTensor(_wrap(idx, "cpu").to(input.device), dense.reshape(-1), (input.shape[0], k), True)


def hspmm(mat1, mat2) -> SparseTensor:
    """torch.hspmm: sparse @ dense as a hybrid sparse tensor: the rows mat1 stores, each a dense row."""
    rows, dense = _stored_rows(mat1, mat2)
    idx = _wrap(rows.reshape(1, -1), "cpu").to(mat1.device)
    return SparseTensor(idx, dense, (mat1.shape[0], dense.shape[1]), True)


def _legacy(dtype):
    """torch.sparse.FloatTensor(indices, values[, size]) (legacy, as Kipf's pygcn builds its
    adjacency), or FloatTensor(*sizes): an empty one."""

    def make(*args, device=None):
        if len(args) in (2, 3) and isinstance(args[0], TensorBase):
            return sparse_coo_tensor(*args, device=device)
        sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
        empty = zeros((len(sizes), 0), dtype=int64)
        return sparse_coo_tensor(empty, zeros((0,), dtype=dtype, device=device), sizes)

    make.__name__ = make.__qualname__ = {float32: "FloatTensor", float64: "DoubleTensor"}.get(
        dtype, {int64: "LongTensor", int32: "IntTensor"}.get(dtype, "Tensor")
    )
    return make


FloatTensor, DoubleTensor, LongTensor, IntTensor = (_legacy(t) for t in (float32, float64, int64, int32))

__all__ = [
    "DoubleTensor",
    "FloatTensor",
    "IntTensor",
    "LongTensor",
    "SparseTensor",
    "addmm",
    "hspmm",
    "log_softmax",
    "mm",
    "smm",
    "softmax",
    "sparse_coo",
    "sparse_coo_tensor",
    "sum",
]
