"""pyneuro.linalg: the part of torch.linalg the course uses (norms).

    pn.linalg.norm(v)            # 2-norm of a vector, Frobenius norm of a matrix
    pn.linalg.norm(m, dim=1)     # the 2-norm of each row
    pn.linalg.vector_norm(x, ord=1)

Differentiable: they are Tensor.norm (pyneuro/tensor.py), which builds the norm from
elementwise ops and a sum.
"""

from __future__ import annotations

from ._shapes import numpy_keywords
from .tensor import Tensor


@numpy_keywords
def vector_norm(x: Tensor, ord=2, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """The ord-norm of x taken as a vector over dim (all elements when dim is None)."""
    if dtype is not None:
        x = x.to(dtype)
    return x.norm(p=ord, dim=dim, keepdim=keepdim)


@numpy_keywords
def norm(x: Tensor, ord=None, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """torch.linalg.norm for ord None (2-norm of vectors, Frobenius of matrices), 'fro', and vector ords.

    Matrix ords other than 'fro' (the spectral and nuclear norms, ord=1/inf of a matrix) are
    not supported: they raise NotImplementedError.
    """
    if ord is None or ord == "fro":
        return vector_norm(x, 2, dim, keepdim, dtype=dtype)
    matrix = (dim is None and x.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2)
    if matrix:
        raise NotImplementedError(f"pyneuro.linalg.norm: matrix norm ord={ord!r} is not supported")
    return vector_norm(x, ord, dim, keepdim, dtype=dtype)


__all__ = ["norm", "vector_norm"]
