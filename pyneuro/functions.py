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
from ._arguments import UNSET_ZERO
from ._dtype import default_float, fill_value, py_scalar, torch_name
from ._dtype import public as _public_dtype
from ._errors import ArgumentError, DTypeError, ShapeError, type_name
from ._euclidean import EuclideanDist
from ._host_data import torch_warn_once
from ._shapes import ints, numpy_keywords, one_dim
from ._tensor_base import TensorBase, _broadcast_check, need_tensor
from .autograd.math import NotDifferentiable as _NotDifferentiable
from .creation import arange, empty, randn, tensor
from .random import _rng, draw_in_memory_order

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
    shapes = [t._data.shape for t in ts]  # (the arrays' tuples: cheaper than Size, the same ints)
    for i, shape in enumerate(shapes):
        if not shape:
            raise ShapeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    shaped = [shape for shape in shapes if shape != (0,)]
    if shaped and builtins.len(shaped) < builtins.len(ts):
        # torch skips the legacy empty tensor of shape (0,): it joins anything as an empty
        # slice (and still takes part in the dtype and the graph)
        shape = shaped[0]
        d = one_dim(dim, builtins.len(shape))
        empty = shape[:d] + (0,) + shape[d + 1 :]
        ts = [t.reshape(empty) if t.shape == (0,) else t for t in ts]
        shapes = [t._data.shape for t in ts]
    first = shapes[0]
    nd = builtins.len(first)
    d = one_dim(dim, nd)  # (a dim out of range first: torch's IndexError, before any size check)
    for k, shape in enumerate(shapes):  # torch's checks and words
        if builtins.len(shape) != nd:
            raise ShapeError(
                f"Tensors must have same number of dimensions: got {nd} and {builtins.len(shape)}"
            )
        for i, (a, b) in enumerate(zip(first, shape)):
            if i != d and a != b:
                raise ShapeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} but got size {b} "
                    f"for tensor number {k} in the list."
                )
    return _ag.Cat.apply(*ts, dim=dim)


concat = cat


@numpy_keywords
def stack(tensors, dim=0) -> Tensor:
    """Stack same-shape tensors along a new dim (like torch.stack)."""
    ts = _as_tensors(tensors, "stack")
    first = ts[0]._data.shape
    one_dim(dim, builtins.len(first) + 1)  # IndexError for a dim out of range, like torch (checked first)
    if any(t._data.shape != first for t in ts):
        raise ShapeError(f"stack expects each tensor to be equal size, got {[tuple(x.shape) for x in ts]}")
    return _ag.Stack.apply(*ts, dim=dim)


def where(condition, input=None, other=None) -> Tensor:
    """Elementwise choice: input where condition else other (differentiable in both)."""
    if input is None and other is None:
        return need_tensor(condition, "where").nonzero(as_tuple=True)
    cond = condition._data if isinstance(condition, TensorBase) else np.asarray(condition)
    if cond.dtype.kind != "b" and cond.dtype != np.uint8:  # uint8: torch's deprecated mask
        raise DTypeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {torch_name(cond.dtype)}"
        )
    input, other = py_scalar(input), py_scalar(other)  # NumPy scalars are weak numbers, as Python's
    if isinstance(other, np.ndarray):  # (torch's parser: a Tensor or a number; the table checks input)
        raise TypeError(f"where(): argument 'other' (position 3) must be Tensor, not {type_name(other)}")
    ref = input if isinstance(input, TensorBase) else other if isinstance(other, TensorBase) else None
    if ref is None:  # two numbers: input becomes the tensor the other is promoted against
        ref = input = tensor(input, device=condition.device if isinstance(condition, TensorBase) else None)
    scalar = other if ref is input else input
    if isinstance(scalar, int) and ref._data.dtype.kind in "iu":
        scalar = fill_value(
            scalar, ref._data.dtype
        )  # it takes ref's dtype, so it must fit (300 into int8 raises)
    a, b = ref._other(scalar)
    if isinstance(scalar, (int, float)) and not isinstance(scalar, bool):
        fill_value(scalar, a._data.dtype)  # the number must fit the result's dtype (2**63, 1e40 in float32)
    out = _ag.Where.apply(cond, a, b) if ref is input else _ag.Where.apply(cond, b, a)
    return _ag.watch(out, condition)


def matmul(input, other) -> Tensor:  # (torch's argument names: torch.matmul(input=a, other=b))
    # a sparse COO matrix (its own class, not a TensorBase) multiplies as it is: A @ X in a GCN
    if isinstance(input, TensorBase) or getattr(input, "is_sparse", False) is True:
        return input @ other
    return tensor(input) @ other


def mm(input, mat2) -> Tensor:
    return input.mm(mat2)


def spmm(a, b) -> Tensor:
    """torch.spmm: mm with a sparse (or dense) first matrix, as the graph-convolution example uses."""
    return a.mm(b)


def exp(input) -> Tensor:
    return input.exp()


def log(input) -> Tensor:
    return input.log()


def sqrt(input) -> Tensor:
    return input.sqrt()


def abs(input) -> Tensor:
    return input.abs()


def sigmoid(input) -> Tensor:
    return input.sigmoid()


def tanh(input) -> Tensor:
    return input.tanh()


def sin(input) -> Tensor:
    return input.sin()


def cos(input) -> Tensor:
    return input.cos()


def log1p(input) -> Tensor:
    return input.log1p()


def round(input, *, decimals=UNSET_ZERO) -> Tensor:  # (not given: the overload without decimals)
    return input.round(decimals=decimals)


def sign(input) -> Tensor:
    return input.sign()


def floor(input) -> Tensor:
    return input.floor()


def ceil(input) -> Tensor:
    return input.ceil()


def trunc(input) -> Tensor:
    return input.trunc()


def masked_fill(input, mask, value) -> Tensor:
    return input.masked_fill(mask, value)


@numpy_keywords
def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


@numpy_keywords
def split(input, split_size_or_sections, dim=0):
    return input.split(split_size_or_sections, dim)


@numpy_keywords
def prod(input, dim=None, keepdim=False, dtype=None) -> Tensor:
    return input.prod(dim, keepdim, dtype=dtype)


@numpy_keywords
def repeat_interleave(input, repeats=None, dim=None, output_size=None) -> Tensor:
    if repeats is None:  # torch.repeat_interleave(counts): each index i, counts[i] times
        return arange(input.shape[0], dtype=input.dtype, device=input.device).repeat_interleave(input)
    return input.repeat_interleave(repeats, dim)


def diag(input, diagonal=0) -> Tensor:
    return input.diag(diagonal)


def einsum(equation, *operands) -> Tensor:
    """Einstein summation (torch.einsum): "ij,jk->ik", "bij,bjk->bik", "ii->i", "...d,...d->..."."""
    return _einsum.einsum(equation, *operands)


def get_default_dtype():
    """The dtype of tensors made from Python floats: float32 unless set_default_dtype changed it."""
    return _public_dtype(default_float().name)


@numpy_keywords
def cumsum(input, dim, *, dtype=None) -> Tensor:
    return input.cumsum(dim, dtype=dtype)


@numpy_keywords
def logsumexp(input, dim, keepdim=False) -> Tensor:
    return input.logsumexp(dim, keepdim)


def numel(input) -> int:
    return input.numel()


def relu(input) -> Tensor:
    return input.relu()


def clamp(input, min=None, max=None) -> Tensor:
    return input.clamp(min, max)


def clamp_tensors(input, min, max) -> Tensor:
    """clamp with tensor bounds (broadcasting, differentiable), as torch's clamp.Tensor: NaN in any of
    the three gives NaN; input gets the gradient where min <= input <= max, min where input < min < max,
    max where input > max or max < min (so a crossed pair, min > max, gives max and its gradient)."""
    x, given = input, (input, min, max)
    for bound in (min, max):
        if isinstance(bound, TensorBase) and bound.shape != x.shape:
            _broadcast_check(x, bound, "clamp")
    if min is not None:
        x, min = x._other(min)
    if max is not None:
        x, max = x._other(max)
    if isinstance(min, TensorBase) and min._data.dtype != x._data.dtype:  # x took max's dtype after min's
        min = min.to(x.dtype)
    out = _ag.ClampTensors.apply(x, min, max)
    # torch's node saves the input and both bounds as given: an in-place change of one (one cast to
    # another dtype here included) after this raises there
    return _ag.watch(out, *given)


@numpy_keywords
def sum(input, dim=None, keepdim=False, dtype=None) -> Tensor:
    return input.sum(dim, keepdim, dtype=dtype)


@numpy_keywords
def mean(input, dim=None, keepdim=False, dtype=None) -> Tensor:
    return input.mean(dim, keepdim, dtype=dtype)


@numpy_keywords
def argmax(input, dim=None, keepdim=False) -> Tensor:
    return input.argmax(dim, keepdim)


def maximum(input, other) -> Tensor:
    """Elementwise max (broadcasting; NaN wins; ties share the gradient), like torch."""
    return need_tensor(input, "maximum").maximum(other)


def minimum(input, other) -> Tensor:
    """Elementwise min (broadcasting; NaN wins; ties share the gradient), like torch."""
    return need_tensor(input, "minimum").minimum(other)


@numpy_keywords
def softmax(input, dim, dtype=None) -> Tensor:
    return input.softmax(dim, dtype=dtype)


@numpy_keywords
def log_softmax(input, dim, dtype=None) -> Tensor:
    return input.log_softmax(dim, dtype=dtype)


@numpy_keywords
def max(input, *args, **kwargs):  # (torch.max(a, b) / max(a, other=b): maximum; Tensor.max reads the form)
    return input.max(*args, **kwargs)


@numpy_keywords
def min(input, *args, **kwargs):
    return input.min(*args, **kwargs)


def number_tensor(number, t):
    """A number before the tensor t (2 % t, rsub) as a 0-d tensor of `t op number`'s dtype (int32 for int32 t)."""
    t, number = t._other(number)
    return tensor(number, dtype=t.dtype, device=t.device)


def pow(input, exponent) -> Tensor:
    if isinstance(input, TensorBase):
        return input**exponent
    # number ** t, as torch's Scalar-base overload (its node: PowBackward2)
    return need_tensor(exponent, "pow", "exponent", 2).__rpow__(py_scalar(input))


def dot(input, tensor) -> Tensor:
    return input.dot(tensor)


@numpy_keywords
def norm(input, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    return input.norm(p, dim, keepdim, dtype)


@numpy_keywords
def topk(input, k, dim=-1, largest=True, sorted=True):
    return input.topk(k, dim, largest, sorted)


@numpy_keywords
def argsort(input, dim=-1, descending=False, stable=False) -> Tensor:
    return input.argsort(dim, descending, stable=stable)


@numpy_keywords
def gather(input, dim, index, *, sparse_grad=False) -> Tensor:
    return input.gather(dim, index)


def outer(input, vec2) -> Tensor:
    return input.outer(vec2)


def bmm(input, mat2) -> Tensor:
    return input.bmm(mat2)


def flip(input, dims) -> Tensor:
    return input.flip(*dims) if isinstance(dims, (tuple, list)) else input.flip(dims)


@numpy_keywords
def index_select(input, dim, index) -> Tensor:
    return input.index_select(dim, index)


def masked_select(input, mask) -> Tensor:
    return input.masked_select(mask)


@numpy_keywords
def unbind(input, dim=0):
    return input.unbind(dim)


def tril(input, diagonal=0) -> Tensor:
    return input.tril(diagonal)


def triu(input, diagonal=0) -> Tensor:
    return input.triu(diagonal)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    return input.isclose(other, rtol, atol, equal_nan)


def nonzero(input, as_tuple=False):
    return input.nonzero(as_tuple=as_tuple)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    return input.unique(sorted, return_inverse, return_counts, dim)


def movedim(input, source, destination) -> Tensor:
    return input.movedim(source, destination)


@numpy_keywords
def squeeze(input, dim=None) -> Tensor:
    return input.squeeze(dim)


@numpy_keywords
def unsqueeze(input, dim) -> Tensor:
    return input.unsqueeze(dim)


def permute(input, dims) -> Tensor:
    return input.permute(dims)


@numpy_keywords
def std(input, dim=None, unbiased=True, keepdim=False, *, correction=None) -> Tensor:
    return input.std(dim, unbiased, keepdim, correction=correction)


@numpy_keywords
def var(input, dim=None, unbiased=True, keepdim=False, *, correction=None) -> Tensor:
    return input.var(dim, unbiased, keepdim, correction=correction)


def normal(
    mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Samples of N(mean, std^2): numbers with a size, or tensors of means and/or stds (broadcast
    together; one draw each). As torch's, the draws carry zero gradients to mean and std."""
    tensors = [t for t in (mean, std) if isinstance(t, TensorBase)]
    if isinstance(std, TensorBase) and not bool((std._data >= 0).all()):  # (NaN too, as torch)
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not isinstance(std, TensorBase) and not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if not tensors:
        if size is None:
            raise TypeError("normal() with float mean and std needs size=")
        out = empty(size, dtype=dtype, device=device).normal_(
            mean, std, generator=generator
        )  # torch's rounding
        if requires_grad:
            out.requires_grad = True
        return out
    if size is not None:  # (torch's overloads with a tensor mean or std take no size)
        raise TypeError("normal(): a tensor mean or std takes no size: the result has their broadcast shape")
    ref = tensors[0]
    try:
        shape = ref.shape if len(tensors) == 1 else np.broadcast_shapes(tuple(mean.shape), tuple(std.shape))
    except ValueError:  # (torch's RuntimeError: mean and std of shapes that do not broadcast)
        raise ShapeError(
            f"normal: mean of shape {tuple(mean.shape)} and std of shape {tuple(std.shape)}"
        ) from None
    m = mean.detach() if isinstance(mean, TensorBase) else mean
    s = std.detach() if isinstance(std, TensorBase) else std
    out = randn(tuple(shape), generator=generator, dtype=ref.dtype, device=ref.device) * s + m
    zero = tensor(True, device=ref.device)
    for t in tensors:  # zero-gradient links (masked_fill: NaN-free), so mean.grad and std.grad are zeros
        if t.requires_grad:
            out = out + t.masked_fill(zero, 0)
    return out


def reshape(input, shape) -> Tensor:
    return input.reshape(shape)


@numpy_keywords
def flatten(input, start_dim=0, end_dim=-1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def transpose(input, dim0, dim1) -> Tensor:
    return input.transpose(dim0, dim1)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input, other) -> bool:
    """True when both have the same shape and the same elements (like torch.equal)."""
    return input.equal(other)


def roll(input, shifts, dims=None) -> Tensor:
    """Shift elements along dims, wrapping around (like torch.roll; flattened when dims is None).

    Built from two slices and a cat, so the gradient is rolled back the same way. Always a new
    tensor, as torch's (a shift by 0 too).
    """
    if dims is None:
        return _ag.renamed(_roll(input.flatten(), shifts, 0).reshape(input.shape), "RollBackward0")
    return _ag.renamed(_roll(input, shifts, dims), "RollBackward0")


def _roll(input, shifts, dims) -> Tensor:
    start = input
    shifts = ints(shifts)
    dims = ints(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    for shift, dim in zip(shifts, dims):
        d = one_dim(dim, input.ndim)
        n = input.shape[d]
        k = shift % n if n else 0
        if k:
            head = (slice(None),) * d
            input = cat([input[head + (slice(n - k, None),)], input[head + (slice(0, n - k),)]], dim=d)
    return input.clone() if input is start else input


def bincount(input, weights=None, minlength=0) -> Tensor:
    """Counts of each value in a 1-D tensor of non-negative ints (like torch.bincount)."""
    if input.dtype.kind not in "iu":  # torch has no kernel for floats and bools
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{torch_name(input._data.dtype)}'")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    data = np.asarray(input.detach().cpu())
    if data.size and data.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else np.asarray(weights.detach().cpu())
    if w is not None and w.shape != data.shape:
        raise ShapeError("weights should be 1-d and have the same length as input")
    if minlength < 0:
        raise ArgumentError("minlength should be >= 0")
    out = np.bincount(data, weights=w, minlength=minlength)
    if w is None:
        out = out.astype(np.int64)
    elif w.dtype != np.float32:
        out = out.astype(np.float64)  # torch: double for any weights but float32
    else:
        out = out.astype(np.float32)
    if weights is not None and weights.requires_grad:  # in the graph, without a derivative (torch's)
        return _NotDifferentiable.apply(weights, out=out, op="bincount")
    return tensor(out).to(input.device)


_MM_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M] (like torch.cdist).

    p = 2 with more than 25 rows on a side (compute_mode's default, as torch): matrix products
    (pyneuro/_euclidean.py). Otherwise the difference of every pair, then its p-norm over the
    last axis (Tensor.norm: the gradient at a zero distance is 0, as torch's, not 0/0 = NaN:
    cdist(x, x) has a zero diagonal).
    """
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if compute_mode not in _MM_MODES:
        raise ArgumentError(f"{compute_mode} is not a valid value for compute_mode")
    rows = builtins.max(x1.shape[-2], x2.shape[-2])
    if p == 2 and (compute_mode == "use_mm_for_euclid_dist" or compute_mode == _MM_MODES[0] and rows > 25):
        return _ag.named(EuclideanDist.apply(x1, x2), "CdistBackward0")
    if _ag.is_grad_enabled() and (x1.requires_grad or x2.requires_grad):
        out = _pair_norms(x1, x2, p)
    else:  # no graph to keep: the differences a block of x1's rows at a time (an L1 nearest-neighbour
        step = builtins.max(1, _CDIST_CHUNK // builtins.max(1, x2.shape[-2] * x2.shape[-1]))  # search)
        out = (
            cat([_pair_norms(part, x2, p) for part in x1.split(step, -2)], -2)
            if x1.shape[-2]
            else _pair_norms(x1, x2, p)
        )
    out = _ag.named(out, "CdistBackward0", reads=(x1, x2))
    return _ag.watch(out, out)  # (torch's node saves its result too: a change of it raises)


_CDIST_CHUNK = 1 << 22  # elements of pairwise differences cdist forms at once without a graph


def _pair_norms(x1, x2, p):
    """The p-norm of every row pair's difference (P R M memory: cdist chunks x1 when it can)."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == float("inf"):  # the max |d|; its gradient reaches every tied coordinate whole, as torch's
        size = diff.abs()
        top = size.amax(-1, keepdim=True).detach()
        return top.squeeze(-1) + ((size - top) * (size == top)).sum(-1)  # the second term is 0
    return diff.abs().sum(-1) if p == 1 else diff.norm(p, dim=-1)


def multinomial(input, num_samples, replacement=False, generator=None) -> Tensor:
    """Draw class indices with probability proportional to the (non-negative) weights in each row.

    Like torch.multinomial: 1-D weights give [num_samples], 2-D [rows, num_samples]; without
    replacement no index repeats within a row. torch's recipe (_torch_stream.TorchStream.multinomial_draw),
    so a seed gives torch's draws.
    """
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input.dtype.kind != "f":
        raise DTypeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype.torch_name}"
        )
    if num_samples <= 0:
        raise ArgumentError("cannot sample n_sample <= 0 samples")
    w = np.asarray(input.detach().cpu(), dtype=np.float64)
    rows = w.reshape(-1, w.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:  # (zero weights come last, as torch)
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    native = input.detach().cpu().numpy().reshape(rows.shape)  # the recipe computes in the weights' dtype
    rng = _rng(generator)
    # the race's exponential noise lands in the weights' memory order, as torch's empty_like(self)
    # .exponential_() (probs.t() gives torch's draws too)
    noise = None
    if not replacement or num_samples == 1:
        noise = draw_in_memory_order(native, lambda shape: rng.exponential_fill(shape).astype(native.dtype))
    out = rng.multinomial_draw(native, int(num_samples), bool(replacement), noise)
    out = out.reshape(w.shape[:-1] + (num_samples,))
    return tensor(out).to(input.device)


@numpy_keywords
def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along dim, like torch.sort: torch's order among equal values, which
    keeps their input order only with stable=True (see Tensor.sort)."""
    return input.sort(dim, descending, stable=stable)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2) for batches of matrices (like torch.baddbmm)."""
    return input.baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors (like torch.meshgrid; indexing 'ij' or 'xy'; not given:
    'ij', with torch's once-per-process warning that it will be required)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        torch_warn_once(
            "meshgrid indexing",
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
        )
        indexing = "ij"
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
