"""The torch-style free functions: pn.exp(t), pn.cat([...]), pn.where(c, a, b), ...

Most are one line calling the Tensor method of the same name; cat, stack and where check
their arguments here and run one autograd Function.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

import numpy as np

from . import autograd as _ag
from ._errors import ShapeError
from ._shapes import normalize_dims
from ._tensor_base import TensorBase, _wrap
from .creation import randn, tensor

if TYPE_CHECKING:  # annotations only
    from .tensor import Tensor


def _as_tensors(tensors, what):
    if isinstance(tensors, TensorBase):
        raise TypeError(f"{what}(): argument 'tensors' must be a sequence of Tensors, not a Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ShapeError(f"{what}() expects a non-empty list of tensors")
    out = [t if isinstance(t, TensorBase) else tensor(t) for t in tensors]
    dtypes = {t.dtype for t in out}
    if len(dtypes) > 1:
        target = dtypes.pop()
        for d in dtypes:
            target = np.promote_types(target, d)
        out = [t._cast(target) for t in out]
    return out


def cat(tensors, dim=0) -> Tensor:
    """Concatenate tensors along an existing dim (like torch.cat)."""
    ts = _as_tensors(tensors, "cat")
    nd = ts[0].ndim
    for t in ts:
        if t.ndim != nd or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, ts[0].shape)) if i != dim % builtins.max(nd, 1)
        ):
            raise ShapeError(f"cat: shapes {[tuple(x.shape) for x in ts]} differ outside dim {dim}")
    return _ag.Cat.apply(*ts, dim=dim)


concat = cat


def stack(tensors, dim=0) -> Tensor:
    """Stack same-shape tensors along a new dim (like torch.stack)."""
    ts = _as_tensors(tensors, "stack")
    if any(t.shape != ts[0].shape for t in ts):
        raise ShapeError(f"stack expects each tensor to be equal size, got {[tuple(x.shape) for x in ts]}")
    normalize_dims(dim, ts[0].ndim + 1)  # IndexError for a dim out of range, like torch
    return _ag.Stack.apply(*ts, dim=dim)


def where(condition, input=None, other=None) -> Tensor:
    """Elementwise choice: input where condition else other (differentiable in both)."""
    if input is None and other is None:
        return tuple(_wrap(i, condition.device) for i in condition._data.nonzero())
    cond = condition._data if isinstance(condition, TensorBase) else np.asarray(condition)
    ref = input if isinstance(input, TensorBase) else other if isinstance(other, TensorBase) else None
    if ref is None:
        ref = tensor(input)
    a, b = ref._other(other if ref is input else input)
    if ref is input:
        return _ag.Where.apply(cond, a, b)
    return _ag.Where.apply(cond, b, a)


def matmul(a, b) -> Tensor:
    return a @ b if isinstance(a, TensorBase) else tensor(a) @ b


def mm(a, b) -> Tensor:
    return a.mm(b)


def exp(t) -> Tensor:
    return t.exp()


def log(t) -> Tensor:
    return t.log()


def sqrt(t) -> Tensor:
    return t.sqrt()


def abs(t) -> Tensor:
    return t.abs()


def sigmoid(t) -> Tensor:
    return t.sigmoid()


def tanh(t) -> Tensor:
    return t.tanh()


def sin(t) -> Tensor:
    return t.sin()


def cos(t) -> Tensor:
    return t.cos()


def log1p(t) -> Tensor:
    return t.log1p()


def round(t) -> Tensor:
    return t.round()


def sign(t) -> Tensor:
    return t.sign()


def cumsum(t, dim) -> Tensor:
    return t.cumsum(dim)


def logsumexp(t, dim, keepdim=False) -> Tensor:
    return t.logsumexp(dim, keepdim)


def numel(t) -> int:
    return t.numel()


def relu(t) -> Tensor:
    return t.relu()


def clamp(t, min=None, max=None) -> Tensor:
    return t.clamp(min, max)


def sum(t, dim=None, keepdim=False, dtype=None) -> Tensor:
    return t.sum(dim, keepdim, dtype=dtype)


def mean(t, dim=None, keepdim=False, dtype=None) -> Tensor:
    return t.mean(dim, keepdim, dtype=dtype)


def argmax(t, dim=None, keepdim=False) -> Tensor:
    return t.argmax(dim, keepdim)


def maximum(a, b) -> Tensor:
    """Elementwise max of a and b (broadcasting; NaN wins; ties share the gradient), like torch."""
    return (a if isinstance(a, TensorBase) else tensor(a)).maximum(b)


def minimum(a, b) -> Tensor:
    """Elementwise min of a and b (broadcasting; NaN wins; ties share the gradient), like torch."""
    return (a if isinstance(a, TensorBase) else tensor(a)).minimum(b)


def softmax(t, dim=-1) -> Tensor:
    return t.softmax(dim)


def log_softmax(t, dim=-1) -> Tensor:
    return t.log_softmax(dim)


def max(t, dim=None, keepdim=False):
    return t.max(dim, keepdim) if dim is not None else t.max()


def min(t, dim=None, keepdim=False):
    return t.min(dim, keepdim) if dim is not None else t.min()


def pow(t, exponent) -> Tensor:
    return t**exponent if isinstance(t, TensorBase) else tensor(t) ** exponent


def dot(a, b) -> Tensor:
    return a.dot(b)


def norm(t, p=2, dim=None, keepdim=False) -> Tensor:
    return t.norm(p, dim, keepdim)


def topk(t, k, dim=-1, largest=True, sorted=True):
    return t.topk(k, dim, largest, sorted)


def argsort(t, dim=-1, descending=False) -> Tensor:
    return t.argsort(dim, descending)


def gather(t, dim, index) -> Tensor:
    return t.gather(dim, index)


def outer(a, b) -> Tensor:
    return a.outer(b)


def bmm(a, b) -> Tensor:
    return a.bmm(b)


def flip(t, dims) -> Tensor:
    return t.flip(*dims) if isinstance(dims, (tuple, list)) else t.flip(dims)


def index_select(t, dim, index) -> Tensor:
    return t.index_select(dim, index)


def masked_select(t, mask) -> Tensor:
    return t.masked_select(mask)


def unbind(t, dim=0):
    return t.unbind(dim)


def tril(t, diagonal=0) -> Tensor:
    return t.tril(diagonal)


def triu(t, diagonal=0) -> Tensor:
    return t.triu(diagonal)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    return a.isclose(b, rtol, atol, equal_nan)


def nonzero(t, as_tuple=False):
    return t.nonzero(as_tuple=as_tuple)


def unique(t, sorted=True, return_counts=False):
    return t.unique(sorted, return_counts)


def movedim(t, source, destination) -> Tensor:
    return t.movedim(source, destination)


def squeeze(t, dim=None) -> Tensor:
    return t.squeeze(dim)


def unsqueeze(t, dim) -> Tensor:
    return t.unsqueeze(dim)


def permute(t, dims) -> Tensor:
    return t.permute(dims)


def std(t, dim=None, unbiased=True, keepdim=False) -> Tensor:
    return t.std(dim, unbiased, keepdim)


def var(t, dim=None, unbiased=True, keepdim=False) -> Tensor:
    return t.var(dim, unbiased, keepdim)


def normal(mean, std, size, generator=None, dtype=None, device=None) -> Tensor:
    """Samples of N(mean, std^2) with the given size (float mean and std)."""
    out = randn(size, generator=generator, dtype=dtype, device=device)
    return out * std + mean


def reshape(t, shape) -> Tensor:
    return t.reshape(shape)


def flatten(t, start_dim=0, end_dim=-1) -> Tensor:
    return t.flatten(start_dim, end_dim)


def transpose(t, dim0, dim1) -> Tensor:
    return t.transpose(dim0, dim1)


def allclose(a, b, rtol=1e-05, atol=1e-08) -> bool:
    return a.allclose(b, rtol, atol)
