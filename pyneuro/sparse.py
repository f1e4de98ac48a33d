"""pyneuro.sparse: torch.sparse's import path for the COO sparse tensors of _sparse_coo.py
(`torch.sparse.mm`, `torch.sparse.sum`, `torch.sparse.addmm`), as the graph-convolution example
uses them: an adjacency matrix stored as its edges, multiplied with dense node features."""

from __future__ import annotations

from ._sparse_coo import SparseTensor, sparse_coo, sparse_coo_tensor
from ._tensor_base import TensorBase


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


__all__ = ["SparseTensor", "addmm", "mm", "sparse_coo", "sparse_coo_tensor", "sum"]
