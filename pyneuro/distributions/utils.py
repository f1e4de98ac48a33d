"""Helpers shared by the distributions (torch.distributions.utils): broadcasting parameters,
probabilities <-> logits, lazy properties, the draws from pyneuro's generator, and lower
triangles <-> vectors."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import creation as _creation
from .._errors import ShapeError
from .._shapes import Size
from .._tensor_base import TensorBase, _backend, _wrap
from ..autograd.grad_mode import enable_grad
from ..functions import cat, where
from ..random import _rng

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
    "tril_matrix_to_vec",
    "vec_to_tril_matrix",
]

euler_constant = 0.57721566490153286060  # Euler–Mascheroni constant


def broadcast_all(*values):
    """The values broadcast against each other; numbers become tensors of the first tensor's
    dtype and device (float32 when all are numbers), as in torch."""
    if not all(isinstance(v, (TensorBase, numbers.Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, torch.Tensor or objects implementing __torch_function__."
        )
    dtype, device = None, "cpu"
    for v in values:
        if isinstance(v, TensorBase):
            dtype, device = v.dtype, v.device
            break
    tensors = [
        v if isinstance(v, TensorBase) else _creation.tensor(float(v), dtype=dtype, device=device)
        for v in values
    ]
    shape = Size(broadcast_shapes(*(t.shape for t in tensors)))
    return tuple(t if t.shape == shape else t.expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    """The broadcast of the shapes; torch's RuntimeError (a ShapeError here) when they do not fit."""
    try:
        return tuple(np.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        a, b = _first_mismatch(shapes)
        raise ShapeError(
            f"The size of tensor a ({a[0]}) must match the size of tensor b ({b[0]}) at non-singleton dimension {a[1]}"
        ) from None


def _first_mismatch(shapes):
    """((size, dim), (size, dim)) of the first two sizes that cannot broadcast, counted from the left."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for dim in range(ndim - 1, -1, -1):
        sizes = [p[dim] for p in padded if p[dim] != 1]
        if len(set(sizes)) > 1:
            return (sizes[0], dim), (sizes[1], dim)
    return (0, 0), (0, 0)


def _sum_rightmost(value, dim: int):
    """Sum out the `dim` rightmost dimensions of value."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def _finfo(t):
    """np.finfo of a Tensor's dtype (eps, tiny, min, max)."""
    return np.finfo(_np_dtype(t))


def clamp_probs(probs):
    """probs clamped into [eps, 1 - eps] (eps: the dtype's machine epsilon)."""
    eps = float(_finfo(probs).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary: bool = False):
    """sigmoid(logits) for a binary variable, else softmax over the last dim."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs, is_binary: bool = False):
    """log-odds for a binary variable, else log-probabilities (both from clamped probs)."""
    ps = clamp_probs(probs)
    return ps.log() - (-ps).log1p() if is_binary else ps.log()


class lazy_property:
    """A property computed on first access and then stored on the instance (with grad enabled)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _np_dtype(t):
    """The NumPy dtype of a Tensor's dtype (pyneuro.float32 -> float32)."""
    return np.dtype(str(t.dtype).rsplit(".", 1)[-1])


def _host_tensor(host, like):
    """A host NumPy array as a Tensor with `like`'s dtype, on `like`'s device."""
    host = np.asarray(host, dtype=_np_dtype(like))
    return _wrap(_backend(like.device).asarray(host), like.device)


def _draw(like, shape, draw):
    """A tensor of `shape` with `like`'s dtype and device, filled by draw(rng, shape) on the host
    from pyneuro's default generator (so pn.manual_seed makes samples reproducible)."""
    shape = tuple(int(s) for s in shape)
    return _host_tensor(np.asarray(draw(_rng(None), shape)).reshape(shape), like)


def _standard_normal(like, shape):
    """N(0, 1) draws in `like`'s dtype: torch's empty(shape).normal_(), so a seed gives its numbers."""
    return _draw(like, shape, lambda rng, s: rng.normal_fill(s, _np_dtype(like)))


def _uniform(like, shape):
    """Uniform draws in [0, 1) in `like`'s dtype: torch.rand(shape, dtype=like.dtype)."""
    return _draw(like, shape, lambda rng, s: rng.uniform_fill(s, _np_dtype(like)))


def _xlogy(x, y):
    """x * log(y), and 0 where x and y are both 0, as torch.xlogy; its gradient in x is log(y)
    (0 where both are 0), as torch's."""
    if not hasattr(x, "shape"):
        return x * y.log() if x != 0 else y * 0
    return x * where((x == 0) & (y == 0), 1.0, y).log()


def _tril_flat_indices(n: int, diag: int):
    """The flat (row-major) positions of the entries of an n x n matrix on or below diagonal `diag`."""
    rows, cols = np.tril_indices(n, diag)
    return rows * n + cols


def tril_matrix_to_vec(mat, diag: int = 0):
    """The entries on or below diagonal `diag` of (a batch of) square matrices, row by row."""
    n = mat.shape[-1]
    if not -n <= diag < n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    idx = _creation.tensor(_tril_flat_indices(n, diag), device=mat.device)
    return mat.flatten(-2)[..., idx]


def vec_to_tril_matrix(vec, diag: int = 0):
    """The inverse of tril_matrix_to_vec: a matrix with vec on and below diagonal `diag`, zeros above."""
    m = vec.shape[-1]
    n = int(
        round((-(1 + 2 * diag) + math.sqrt((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1))) / 2)
    )
    if len(_tril_flat_indices(n, diag)) != m:
        raise ValueError(
            f"vec of length {m} does not fill the lower triangle (diag {diag}) of a square matrix"
        )
    # every matrix entry reads vec at its position in the triangle, or the zero appended at index m
    source = np.full(n * n, m, dtype=np.int64)
    source[_tril_flat_indices(n, diag)] = np.arange(m)
    padded = cat([vec, _creation.zeros_like(vec[..., :1])], -1)
    return padded[..., _creation.tensor(source, device=vec.device)].reshape(tuple(vec.shape[:-1]) + (n, n))
