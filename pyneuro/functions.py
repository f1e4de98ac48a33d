"""The torch-style free functions: pn.exp(t), pn.cat([...]), pn.where(c, a, b), ...

Most are one line calling the Tensor method of the same name; cat, stack and where check
their arguments here and run one autograd Function.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

import numpy as np

from . import _einsum
from . import autograd as _ag
from ._dtype import public as _public_dtype
from ._errors import ShapeError
from ._shapes import normalize_dims, numpy_keywords
from ._tensor_base import TensorBase, _wrap
from .creation import arange, randn, tensor
from .random import _rng

if TYPE_CHECKING:  # annotations only
    from .tensor import Tensor


def _as_tensors(tensors, what):
    if isinstance(tensors, TensorBase):
        raise TypeError(f"{what}(): argument 'tensors' must be a sequence of Tensors, not a Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ShapeError(f"{what}() expects a non-empty list of tensors")
    out = [t if isinstance(t, TensorBase) else tensor(t) for t in tensors]
    dtypes = {t._data.dtype for t in out}
    if len(dtypes) > 1:  # torch's promotion: a float beats any int (int64 with float32 is float32)
        floats = [d for d in dtypes if d.kind == "f"]
        pool = floats or list(dtypes)
        target = pool[0]
        for d in pool[1:]:
            target = np.promote_types(target, d)
        out = [t._cast(target) for t in out]
    return out


@numpy_keywords
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


@numpy_keywords
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


def floor(t) -> Tensor:
    return t.floor()


def ceil(t) -> Tensor:
    return t.ceil()


def trunc(t) -> Tensor:
    return t.trunc()


def masked_fill(t, mask, value) -> Tensor:
    return t.masked_fill(mask, value)


@numpy_keywords
def chunk(t, chunks, dim=0):
    return t.chunk(chunks, dim)


@numpy_keywords
def split(t, split_size_or_sections, dim=0):
    return t.split(split_size_or_sections, dim)


@numpy_keywords
def prod(t, dim=None, keepdim=False, dtype=None) -> Tensor:
    return t.prod(dim, keepdim, dtype=dtype)


@numpy_keywords
def repeat_interleave(t, repeats=None, dim=None, output_size=None) -> Tensor:
    if repeats is None:  # torch.repeat_interleave(counts): each index i, counts[i] times
        return arange(t.shape[0], dtype=t.dtype, device=t.device).repeat_interleave(t)
    return t.repeat_interleave(repeats, dim)


def diag(t, diagonal=0) -> Tensor:
    return t.diag(diagonal)


def einsum(equation, *operands) -> Tensor:
    """Einstein summation (torch.einsum): "ij,jk->ik", "bij,bjk->bik", "ii->i", "...d,...d->..."."""
    return _einsum.einsum(equation, *operands)


def get_default_dtype():
    """The dtype of tensors made from Python floats: float32 (as torch's default)."""
    return _public_dtype("float32")


@numpy_keywords
def cumsum(t, dim) -> Tensor:
    return t.cumsum(dim)


@numpy_keywords
def logsumexp(t, dim, keepdim=False) -> Tensor:
    return t.logsumexp(dim, keepdim)


def numel(t) -> int:
    return t.numel()


def relu(t) -> Tensor:
    return t.relu()


def clamp(t, min=None, max=None) -> Tensor:
    return t.clamp(min, max)


@numpy_keywords
def sum(t, dim=None, keepdim=False, dtype=None) -> Tensor:
    return t.sum(dim, keepdim, dtype=dtype)


@numpy_keywords
def mean(t, dim=None, keepdim=False, dtype=None) -> Tensor:
    return t.mean(dim, keepdim, dtype=dtype)


@numpy_keywords
def argmax(t, dim=None, keepdim=False) -> Tensor:
    return t.argmax(dim, keepdim)


def maximum(a, b) -> Tensor:
    """Elementwise max of a and b (broadcasting; NaN wins; ties share the gradient), like torch."""
    return (a if isinstance(a, TensorBase) else tensor(a)).maximum(b)


def minimum(a, b) -> Tensor:
    """Elementwise min of a and b (broadcasting; NaN wins; ties share the gradient), like torch."""
    return (a if isinstance(a, TensorBase) else tensor(a)).minimum(b)


@numpy_keywords
def softmax(t, dim=-1) -> Tensor:
    return t.softmax(dim)


@numpy_keywords
def log_softmax(t, dim=-1) -> Tensor:
    return t.log_softmax(dim)


@numpy_keywords
def max(t, dim=None, keepdim=False):
    return t.max(dim, keepdim) if dim is not None else t.max()


@numpy_keywords
def min(t, dim=None, keepdim=False):
    return t.min(dim, keepdim) if dim is not None else t.min()


def pow(t, exponent) -> Tensor:
    return t**exponent if isinstance(t, TensorBase) else tensor(t) ** exponent


def dot(a, b) -> Tensor:
    return a.dot(b)


@numpy_keywords
def norm(t, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    return t.norm(p, dim, keepdim, dtype)


@numpy_keywords
def topk(t, k, dim=-1, largest=True, sorted=True):
    return t.topk(k, dim, largest, sorted)


@numpy_keywords
def argsort(t, dim=-1, descending=False, stable=False) -> Tensor:
    return t.argsort(dim, descending)


@numpy_keywords
def gather(t, dim, index) -> Tensor:
    return t.gather(dim, index)


def outer(a, b) -> Tensor:
    return a.outer(b)


def bmm(a, b) -> Tensor:
    return a.bmm(b)


def flip(t, dims) -> Tensor:
    return t.flip(*dims) if isinstance(dims, (tuple, list)) else t.flip(dims)


@numpy_keywords
def index_select(t, dim, index) -> Tensor:
    return t.index_select(dim, index)


def masked_select(t, mask) -> Tensor:
    return t.masked_select(mask)


@numpy_keywords
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


@numpy_keywords
def squeeze(t, dim=None) -> Tensor:
    return t.squeeze(dim)


@numpy_keywords
def unsqueeze(t, dim) -> Tensor:
    return t.unsqueeze(dim)


def permute(t, dims) -> Tensor:
    return t.permute(dims)


@numpy_keywords
def std(t, dim=None, unbiased=True, keepdim=False) -> Tensor:
    return t.std(dim, unbiased, keepdim)


@numpy_keywords
def var(t, dim=None, unbiased=True, keepdim=False) -> Tensor:
    return t.var(dim, unbiased, keepdim)


def normal(mean, std, size, generator=None, dtype=None, device=None) -> Tensor:
    """Samples of N(mean, std^2) with the given size (float mean and std)."""
    out = randn(size, generator=generator, dtype=dtype, device=device)
    return out * std + mean


def reshape(t, shape) -> Tensor:
    return t.reshape(shape)


@numpy_keywords
def flatten(t, start_dim=0, end_dim=-1) -> Tensor:
    return t.flatten(start_dim, end_dim)


def transpose(t, dim0, dim1) -> Tensor:
    return t.transpose(dim0, dim1)


def allclose(a, b, rtol=1e-05, atol=1e-08) -> bool:
    return a.allclose(b, rtol, atol)


def equal(a, b) -> bool:
    """True when a and b have the same shape and the same elements (like torch.equal)."""
    return a.equal(b)


def roll(t, shifts, dims=None) -> Tensor:
    """Shift elements along dims, wrapping around (like torch.roll; flattened when dims is None).

    Built from two slices and a cat, so the gradient is rolled back the same way.
    """
    if dims is None:
        return roll(t.flatten(), shifts, 0).reshape(t.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    for shift, dim in zip(shifts, dims):
        (d,) = normalize_dims(dim, t.ndim)
        n = t.shape[d]
        k = shift % n if n else 0
        if k:
            head = (slice(None),) * d
            t = cat([t[head + (slice(n - k, None),)], t[head + (slice(0, n - k),)]], dim=d)
    return t


def bincount(t, weights=None, minlength=0) -> Tensor:
    """Counts of each value in a 1-D tensor of non-negative ints (like torch.bincount)."""
    if t.ndim != 1 or t.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    data = np.asarray(t.detach().cpu())
    if data.size and data.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else np.asarray(weights.detach().cpu())
    out = np.bincount(data, weights=w, minlength=minlength)
    if w is None:
        out = out.astype(np.int64)
    elif w.dtype != np.float32:
        out = out.astype(np.float64)  # torch: double for any weights but float32
    else:
        out = out.astype(np.float32)
    return tensor(out).to(t.device)


def cdist(x1, x2, p=2.0) -> Tensor:
    """Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M] (like torch.cdist).

    Differentiable: the difference of every pair, then the norm over the last axis.
    """
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 2:
        return (diff * diff).sum(-1).sqrt()
    if p == 1:
        return diff.abs().sum(-1)
    if p == float("inf"):
        return diff.abs().amax(-1)
    return (diff.abs() ** p).sum(-1) ** (1.0 / p)


def multinomial(input, num_samples, replacement=False, generator=None) -> Tensor:
    """Draw class indices with probability proportional to the (non-negative) weights in each row.

    Like torch.multinomial: 1-D weights give [num_samples], 2-D [rows, num_samples]; without
    replacement no index repeats within a row. The stream differs from torch's for one seed.
    """
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    w = np.asarray(input.detach().cpu(), dtype=np.float64)
    rows = w.reshape(-1, w.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = _rng(generator)
    out = np.stack(
        [rng.choice(rows.shape[1], size=num_samples, replace=replacement, p=r / r.sum()) for r in rows]
    )
    out = out.astype(np.int64).reshape(w.shape[:-1] + (num_samples,))
    return tensor(out).to(input.device)


@numpy_keywords
def sort(t, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along dim, like torch.sort (always stable here)."""
    return t.sort(dim, descending)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2) for batches of matrices (like torch.baddbmm)."""
    prod = batch1.bmm(batch2)
    out = prod if alpha == 1 else prod * alpha
    return out if beta == 0 else out + (input if beta == 1 else input * beta)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors (like torch.meshgrid; indexing 'ij' or 'xy')."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    n = len(tensors)
    shape = [t.numel() for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(tensors):
        axis = (1 - i if i < 2 else i) if indexing == "xy" and n >= 2 else i
        view = [1] * n
        view[axis] = t.numel()
        out.append(t.reshape(view).expand(*shape))
    return tuple(out)
