"""torch-level reductions, statistics, small linear algebra, random draws and dtype queries:
pn.amax, pn.quantile, pn.addmm, pn.det, pn.searchsorted, pn.trapezoid, pn.bernoulli, pn.finfo, ...

Most are one line calling the Tensor method of the same name (_tensor_reduce.py, tensor.py)
or the pyneuro.linalg function; the ones without a method (searchsorted, std_mean, trapezoid,
logspace, the dtype queries) are written here. `all` and `any` are defined here but left out
of __all__ (they would shadow Python's builtins on `from pyneuro import *`); pyneuro serves
pn.all / pn.any through its __getattr__.
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings

import numpy as np

from . import _dtype as _dtypes
from . import _sorting, return_types
from . import _torch_samplers as _samplers
from . import autograd as _ag
from ._dtype import _PY_BOOL, _PY_FLOAT, _PY_INT, _dtype
from ._errors import ArgumentError, ShapeError
from ._shapes import numpy_keywords, one_dim
from ._tensor_base import TensorBase, _backend, _device, _from_data, _wrap
from ._tensor_reduce import tensordot as _tensordot
from .functions import cat as _cat
from .random import _rng, draw_in_memory_order, is_int_arg, raise_int_args

# ----------------------------------------------------------------------------- reductions


@numpy_keywords
def all(input, dim=None, keepdim=False):
    return input.all(dim=dim, keepdim=keepdim)


@numpy_keywords
def any(input, dim=None, keepdim=False):
    return input.any(dim=dim, keepdim=keepdim)


@numpy_keywords
def amax(input, dim=(), keepdim=False):
    """The maximum over dim (an int or tuple; () or None: all elements)."""
    return input.amax(None if isinstance(dim, tuple) and not dim else dim, keepdim)  # (dim may be np.int64)


@numpy_keywords
def amin(input, dim=(), keepdim=False):
    return input.amin(None if isinstance(dim, tuple) and not dim else dim, keepdim)


def aminmax(input, *, dim=None, keepdim=False):
    return input.aminmax(dim=dim, keepdim=keepdim)


@numpy_keywords
def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


@numpy_keywords
def count_nonzero(input, dim=None):
    return input.count_nonzero(dim)


@numpy_keywords
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return input.nansum(dim, keepdim, dtype=dtype)


@numpy_keywords
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    return input.nanmean(dim, keepdim, dtype=dtype)


def _var_args(dim, unbiased, correction):
    """torch's overloads: var_mean(x, True) means unbiased=True; correction wins over unbiased."""
    if isinstance(dim, _PY_BOOL):
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


@numpy_keywords
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over dim, like torch.var_mean (correction=1: Bessel's; unbiased=False: 0)."""
    dim, corr = _var_args(dim, unbiased, correction)
    var, mean = input.var(dim=dim, keepdim=keepdim, correction=corr), input.mean(dim=dim, keepdim=keepdim)
    # (var's node is a Named; torch's one node saves the input, for the mean's gradient too)
    return _ag.named(var, "VarMeanBackward0"), _ag.watch(_ag.renamed(mean, "VarMeanBackward0"), input)


@numpy_keywords
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over dim, like torch.std_mean."""
    dim, corr = _var_args(dim, unbiased, correction)
    std, mean = input.std(dim=dim, keepdim=keepdim, correction=corr), input.mean(dim=dim, keepdim=keepdim)
    # (std's node is a Named; torch's one node saves the input and std, for the mean's gradient too)
    std = _ag.named(std, "StdMeanBackward0")
    return std, _ag.watch(_ag.renamed(mean, "StdMeanBackward0"), input, std)


@numpy_keywords
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return input.quantile(q, dim, keepdim, interpolation=interpolation)


@numpy_keywords
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return input.nanquantile(q, dim, keepdim, interpolation=interpolation)


@numpy_keywords
def kthvalue(input, k, dim=-1, keepdim=False):
    return input.kthvalue(k, dim, keepdim)


def msort(input):
    return input.msort()


def histc(input, bins=100, min=0, max=0):
    return input.histc(bins, min, max)


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    return input.histogram(bins, range=range, weight=weight, density=density)


def cov(input, *, correction=1, fweights=None, aweights=None):
    return input.cov(correction=correction, fweights=fweights, aweights=aweights)


def corrcoef(input):
    return input.corrcoef()


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """torch.gradient: the derivative of samples of a function on a grid, along each of `dim` (all by
    default), one tensor per dim: central differences inside, one-sided ones of edge_order 1 or 2 at
    the ends. spacing: a number (every dim's step), or one per dim: numbers or 1-D coordinate tensors.
    Composed of slices and cat, so it is differentiable (CatBackward0, as torch's)."""
    if edge_order not in (1, 2):
        raise ArgumentError("torch.gradient only supports edge_order=1 and edge_order=2.")
    t = input if input.is_floating_point() else input.to(_dtypes.default_float())
    dims = builtins.range(t.ndim) if dim is None else [dim] if isinstance(dim, _PY_INT) else dim
    dims = [one_dim(d, t.ndim) for d in dims]
    steps = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(steps) != len(dims):
        raise ArgumentError(
            f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to "
            f"'self.dim() = {t.ndim}', since dim argument was not given, but got a list of length {len(steps)}"
        )
    out = []
    for d, h in zip(dims, steps):
        n = t.shape[d]
        if n < edge_order + 1:
            raise ArgumentError("torch.gradient expected each dimension size to be at least edge_order+1")

        def f(start, stop, d=d):  # the samples [start, stop) along d
            return t.narrow(d, start, stop - start)

        if isinstance(h, TensorBase):  # coordinates: torch's (and NumPy's) non-uniform formulas
            dx = h[1:] - h[:-1]
            dx1, dx2 = (
                v.reshape([-1 if i == d else 1 for i in builtins.range(t.ndim)]) for v in (dx[:-1], dx[1:])
            )
            center = (
                -dx2 / (dx1 * (dx1 + dx2)) * f(0, n - 2)
                + (dx2 - dx1) / (dx1 * dx2) * f(1, n - 1)
                + dx1 / (dx2 * (dx1 + dx2)) * f(2, n)
            )
            if edge_order == 1:
                first, last = (f(1, 2) - f(0, 1)) / dx[0], (f(n - 1, n) - f(n - 2, n - 1)) / dx[-1]
            else:
                a, b = dx[0], dx[1]
                first = (
                    -(2 * a + b) / (a * (a + b)) * f(0, 1)
                    + (a + b) / (a * b) * f(1, 2)
                    - a / (b * (a + b)) * f(2, 3)
                )
                a, b = dx[-2], dx[-1]
                last = b / (a * (a + b)) * f(n - 3, n - 2) - (a + b) / (a * b) * f(n - 2, n - 1)
                last = last + (2 * b + a) / (b * (a + b)) * f(n - 1, n)
        else:
            center = (f(2, n) - f(0, n - 2)) / (2 * h)
            if edge_order == 1:
                first, last = (f(1, 2) - f(0, 1)) / h, (f(n - 1, n) - f(n - 2, n - 1)) / h
            else:
                first = (f(0, 1) * -1.5 + f(1, 2) * 2 - f(2, 3) * 0.5) / h
                last = (f(n - 3, n - 2) * 0.5 + f(n - 2, n - 1) * -2 + f(n - 1, n) * 1.5) / h
        out.append(_cat([first, center, last], d))
    return tuple(out)


# ----------------------------------------------------------------------------- searching sorted sequences


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where input's values would go in the last dimension of sorted_sequence to keep it
    sorted: the first such index (side='left') or the last (right=True / side='right'). A 1-D
    sequence serves every value; otherwise the leading dimensions of both must match."""
    if side is not None:
        if side not in ("left", "right"):
            raise ArgumentError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise ArgumentError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True"
            )
        right = side == "right"
    for t in (sorted_sequence, input):
        if isinstance(t, TensorBase) and t._data.dtype.kind == "b":
            raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    scalar = not isinstance(input, TensorBase)
    bounds = _host(sorted_sequence)
    values = np.asarray(input) if scalar else _host(input)
    order = None if sorter is None else _host(sorter)
    if order is not None:
        _sorting.check_sorter(bounds, order)
    if bounds.ndim == 0:
        raise ShapeError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension"
        )
    if bounds.ndim > 1 and (scalar or bounds.shape[:-1] != values.shape[:-1]):
        raise ShapeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
            f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
            f"{list(bounds.shape)} and input value tensor {list(values.shape)}"
        )
    how = "right" if right else "left"
    if bounds.dtype.kind == "f" and np.isnan(bounds).any():
        out = _bisect(bounds, values, right, order)
    elif bounds.ndim <= 1:
        out = np.searchsorted(bounds, values, side=how, sorter=order)
    else:
        n = math.prod(bounds.shape[:-1])  # (not -1: a row may be empty, values' or bounds')
        rows_b = bounds.reshape(n, bounds.shape[-1])
        rows_v = values.reshape(n, values.shape[-1])
        rows_s = None if order is None else order.reshape(rows_b.shape)
        out = np.zeros(rows_v.shape, np.int64)
        for i, (b, v) in enumerate(zip(rows_b, rows_v)):
            out[i] = np.searchsorted(b, v, side=how, sorter=None if rows_s is None else rows_s[i])
        out = out.reshape(values.shape)
    device = sorted_sequence.device
    return _wrap(_backend(device).asarray(np.asarray(out, dtype=np.int32 if out_int32 else np.int64)), device)


def _bisect(bounds, values, right: bool, order) -> np.ndarray:
    """torch's binary search, step by step for all values at once: NaN boundaries fail its
    comparisons (NumPy's searchsorted sorts them last instead, and gives other indices)."""
    if order is not None:
        bounds = np.take_along_axis(bounds, order, axis=-1)
    rows_b = bounds.reshape(math.prod(bounds.shape[:-1]), bounds.shape[-1])
    rows_v = values.reshape(1 if bounds.ndim <= 1 else len(rows_b), -1 if values.size else 0)
    lo = np.zeros(rows_v.shape, np.int64)
    hi = np.full(rows_v.shape, rows_b.shape[-1], np.int64)
    row = np.arange(len(rows_b))[:, None]
    while (lo < hi).any():
        mid = lo + (hi - lo) // 2
        at = rows_b[row, np.minimum(mid, rows_b.shape[-1] - 1)]
        after = ~(at > rows_v) if right else ~(at >= rows_v)  # the value goes after bounds[mid]
        lo, hi = np.where((lo < hi) & after, mid + 1, lo), np.where((lo < hi) & ~after, mid, hi)
    return lo.reshape(values.shape)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value among the 1-D boundaries: i with boundaries[i-1] < x <= boundaries[i]
    (right=True: boundaries[i-1] <= x < boundaries[i])."""
    if boundaries.ndim != 1:
        raise ShapeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _host(t) -> np.ndarray:
    return np.asarray(_backend(t.device).to_numpy(t._data))


# ----------------------------------------------------------------------------- matrix products and linear algebra


def trace(input):
    return input.trace()


def mv(input, vec):
    return input.mv(vec)


def vdot(input, other):
    return input.vdot(other)


def inner(input, other):
    return input.inner(other)


def tensordot(a, b, dims=2):
    return _tensordot(a, b, dims)


def ger(input, vec2):
    return input.ger(vec2)


def cholesky(input, upper=False):
    return input.cholesky(upper)


def cholesky_solve(input, input2, upper=False):
    return input.cholesky_solve(input2, upper)


def cholesky_inverse(input, upper=False):
    return input.cholesky_inverse(upper)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    return b.triangular_solve(A, upper, transpose, unitriangular)


def qr(input, some=True):
    return input.qr(some)


def svd(input, some=True, compute_uv=True):
    return input.svd(some, compute_uv)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return input.addmm(mat1, mat2, beta=beta, alpha=alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return input.addmv(mat, vec, beta=beta, alpha=alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    return input.addr(vec1, vec2, beta=beta, alpha=alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return input.addbmm(batch1, batch2, beta=beta, alpha=alpha)


def chain_matmul(*matrices):
    """The product of 2-D matrices, left to right (torch's deprecated form of linalg.multi_dot)."""
    from . import linalg

    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if len(matrices) == 1:
        return matrices[0].clone()
    return linalg.multi_dot(matrices)


def lu(A, pivot=True, get_infos=False):
    """torch.lu (deprecated): (LU, pivots), or with get_infos the infos too (linalg.lu_factor_ex's)."""
    from . import linalg

    warnings.warn(
        "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be "
        "removed in a future PyTorch release.",
        UserWarning,
        stacklevel=2,
    )
    LU, pivots, info = linalg.lu_factor_ex(A, pivot=pivot, check_errors=not get_infos)
    return return_types._lu_with_info(LU, pivots, info) if get_infos else (LU, pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    from . import linalg

    return linalg.lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


def lu_solve(b, LU_data, LU_pivots):
    """torch.lu_solve (deprecated; torch.linalg.lu_solve takes its arguments the other way round)."""
    from . import linalg

    warnings.warn(
        "torch.lu_solve is deprecated in favor of torch.linalg.lu_solve and will be removed in a future "
        "PyTorch release. Note that torch.linalg.lu_solve has its arguments reversed.",
        UserWarning,
        stacklevel=2,
    )
    return linalg.lu_solve(LU_data, LU_pivots, b)


def cross(input, other, dim=None):
    return input.cross(other, dim)


def dist(input, other, p=2):
    return input.dist(other, p)


def renorm(input, p, dim, maxnorm):
    return input.renorm(p, dim, maxnorm)


def det(input):
    return input.det()


def logdet(input):
    return input.logdet()


def slogdet(input):
    return input.slogdet()


def inverse(input):
    return input.inverse()


def pinverse(input, rcond=1e-15):
    return input.pinverse(rcond)


def matrix_power(input, n):
    return input.matrix_power(n)


def matrix_exp(input):
    return input.matrix_exp()


# ----------------------------------------------------------------------------- integration, grids


def _trapezoid_parts(y, x, dx, dim):
    """The trapezoids' heights (y_i + y_{i+1}) / 2 along dim and their widths (a tensor or a number)."""
    d = one_dim(dim, y.ndim)
    if y._data.dtype.kind != "f":
        y = y.float()
    n = y.shape[d]
    heights = (
        y.narrow(d, builtins.min(n, 1), builtins.max(n - 1, 0)) + y.narrow(d, 0, builtins.max(n - 1, 0))
    ) / 2
    if x is None:
        return heights, 1.0 if dx is None else dx, d
    if x.ndim == 1:
        if x.shape[0] != n:
            raise ShapeError(
                f"trapezoid: There must be one `x` value for each sample point, but got {x.shape[0]} and {n}"
            )
        widths = x[1:] - x[:-1]
        widths = widths.reshape(*[-1 if i == d else 1 for i in range(y.ndim)])
    else:
        m = x.shape[d]
        widths = x.narrow(d, builtins.min(m, 1), builtins.max(m - 1, 0)) - x.narrow(
            d, 0, builtins.max(m - 1, 0)
        )
    return heights, widths, d


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of y along dim by the trapezoidal rule, with sample points x (a tensor) or
    spacing dx (default 1)."""
    if x is not None and not isinstance(x, TensorBase):
        x, dx = None, x
    heights, widths, d = _trapezoid_parts(y, x, dx, dim)
    return (heights * widths).sum(d)


def trapz(y, x=None, *, dx=None, dim=-1):
    """torch.trapz: the older name of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral of y along dim (one fewer element than y there)."""
    if x is not None and not isinstance(x, TensorBase):
        x, dx = None, x
    heights, widths, d = _trapezoid_parts(y, x, dx, dim)
    return (heights * widths).cumsum(d)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D x: columns x^(N-1), ..., x^0 (increasing=True: x^0 first);
    integers and bools give int64."""
    from . import linalg

    if x.ndim != 1:
        raise ShapeError("x must be a one-dimensional tensor.")
    if x._data.dtype.kind in "biu":
        x = x.long()
    out = linalg.vander(x, N=N)
    return out if increasing else out.flip(-1)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """steps values base^t for t evenly spaced from start to end (float32 by default), as torch's
    kernel: start and end in the dtype, the step and the powers in double (t = start + step * i
    for the first half, end - step * (steps - 1 - i) for the rest)."""
    dt = np.dtype(_dtype(dtype) or _dtypes.default_float())
    start, end = (v.item() if isinstance(v, TensorBase) else v for v in (start, end))
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if steps == 1:
        exponents = np.array([float(start)])
    else:
        s, e = (dt.type(start), dt.type(end)) if dt.kind == "f" else (int(start), int(end))
        step, i = np.float64(e - s) / (steps - 1), np.arange(steps)
        low, high = np.float64(s) + step * i, np.float64(e) - step * (steps - 1 - i)
        exponents = np.where(i < steps // 2, low, high)
    out = _from_data(np.power(float(base), exponents).astype(dt), None, device)
    return out.requires_grad_() if requires_grad else out


# ----------------------------------------------------------------------------- random draws


def bernoulli(input, p=None, *, generator=None):
    """0/1 draws, 1 with probability input (or p), in input's dtype."""
    return input.bernoulli(p, generator=generator)


def poisson(input, generator=None):
    """Draws from the Poisson distributions whose rates are input."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{input.dtype.torch_name}'")
    if not (_host(input) >= 0).all():  # (NaN included)
        raise ArgumentError("invalid Poisson rate, expected rate to be non-negative")
    draw = np.asarray(_rng(generator).poisson(_host(input).astype(np.float64)))  # (a 0-d rate draws a scalar)
    return _from_data(draw.astype(input._data.dtype), None, input.device)


def binomial(count, prob, generator=None):
    """Draws from Binomial(count, prob), elementwise (broadcast together), with torch's sampler
    on torch's stream: a seed gives torch's numbers. A NaN count or prob draws NaN (torch's
    CPU sampler never returns for a NaN count; an infinite count draws NaN, as torch's)."""
    for position, (what, t) in enumerate((("count", count), ("prob", prob)), 1):
        if not isinstance(t, TensorBase):
            raise TypeError(
                f"binomial(): argument '{what}' (position {position}) must be Tensor, not {type(t).__name__}"
            )
        if t._data.dtype.kind != "f":
            raise ValueError(
                f"binomial only supports floating-point dtypes for {what}, got: {t.dtype.torch_name}"
            )
    if prob._data.dtype != count._data.dtype:
        raise RuntimeError(f"Found dtype {prob.dtype.torch_name} but expected {count.dtype.torch_name}")
    n, p = np.broadcast_arrays(_host(count), _host(prob))
    bad = np.isnan(n) | np.isnan(p) | np.isinf(n)
    draw = _samplers.binomial(np.where(bad, 0, n), np.where(bad, 0, p), _rng(generator))
    draw[bad] = np.nan
    return _from_data(draw.astype(count._data.dtype), None, count.device)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    """Integers drawn uniformly from [low, high) in a tensor shaped like input (randint_like(x, high)
    or randint_like(x, low, high)); input's dtype unless dtype says otherwise."""
    if not (is_int_arg(low) and is_int_arg(high)):
        raise_int_args(
            "randint_like", (input, low, high), ("Tensor input, int high", "Tensor input, int low, int high")
        )
    if high is None:
        low, high = 0, low
    d = _dtype(dtype) or input._data.dtype
    dev = _device(device or input.device)
    backend = _backend(dev)  # (an unusable device raises before the generator moves, as torch's)
    # (in input's layout, drawn in its memory order, as torch's: random.memory_order)
    draw = draw_in_memory_order(
        input._data, lambda shape: _rng(generator).integers(int(low), int(high), size=shape)
    )
    out = _wrap(backend.asarray(draw.astype(d)), dev)  # (a new array: no copy on cpu)
    return out.requires_grad_() if requires_grad else out


# ----------------------------------------------------------------------------- dtype queries


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def is_complex(input) -> bool:
    return input.is_complex()


def is_nonzero(input) -> bool:
    return input.is_nonzero()


def is_signed(input) -> bool:
    return input.is_signed()


_CATEGORY = _dtypes.CATEGORY


def _operand(x):
    """(category, priority, dtype) of an operand: a tensor with dimensions (priority 2), a 0-d
    tensor (1) or a Python number (0, dtype: bool, int64 or the default float32)."""
    if isinstance(x, TensorBase):
        dt = x._data.dtype
        return _CATEGORY[dt.kind], 2 if x.ndim else 1, dt
    if isinstance(x, _PY_BOOL):
        return 0, 0, _dtypes.bool_
    if isinstance(x, _PY_INT):
        return 1, 0, _dtypes.int64
    if isinstance(x, _PY_FLOAT):
        return 2, 0, _dtypes.default_float()
    raise TypeError(f"result_type(): expected a Tensor or a Number, got {type(x).__name__}")


def _promote_dtypes(a, b):
    """torch.promote_types on NumPy dtypes: the higher category wins (an int with a float gives
    the float), within a category NumPy's promotion."""
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def result_type(tensor, other):
    """The dtype torch's type promotion gives an op on tensor and other (tensors or numbers):
    the highest category (bool < int < float) decides, and within it tensors with dimensions
    outrank 0-d tensors, which outrank Python numbers."""
    ops = [_operand(tensor), _operand(other)]
    top = builtins.max(c for c, _, _ in ops)
    ops = [o for o in ops if o[0] == top]
    best = builtins.max(p for _, p, _ in ops)
    dts = [d for _, p, d in ops if p == best]
    out = dts[0] if len(dts) == 1 else _promote_dtypes(dts[0], dts[1])
    return _dtypes.public(out)


def promote_types(type1, type2):
    """The smallest dtype both type1 and type2 convert to without losing their kind."""
    return _dtypes.public(_promote_dtypes(_dtype(type1), _dtype(type2)))


def can_cast(from_, to) -> bool:
    """torch.can_cast: False only where a cast would lose the kind (float to int, number to bool)."""
    return _dtypes.can_cast(_dtype(from_), _dtype(to))


_NO_TENSOR_LIMITS = {
    "bfloat16": (16, 2.0**-7, 3.3895313892515355e38, 2.0**-126, 0.01),
    "float8_e4m3fn": (8, 0.125, 448.0, 2.0**-6, 1.0),
    "float8_e5m2": (8, 0.25, 57344.0, 2.0**-14, 1.0),
    "float8_e4m3fnuz": (8, 0.125, 240.0, 2.0**-7, 1.0),
    "float8_e5m2fnuz": (8, 0.125, 57344.0, 2.0**-15, 1.0),
}


class finfo:
    """The limits of a floating dtype, as torch.finfo: bits, eps, max, min, tiny,
    smallest_normal, resolution, dtype (the name)."""

    __module__ = "pyneuro"

    def __init__(self, type=None):
        from .functions import get_default_dtype

        if isinstance(type, _dtypes.UnsupportedDType) and type.name in _NO_TENSOR_LIMITS:
            # (no tensors of them, but their limits are known: bits, eps, max, tiny, resolution)
            self.bits, self.eps, self.max, self.tiny, self.resolution = _NO_TENSOR_LIMITS[type.name]
            self.min, self.smallest_normal, self.dtype = -self.max, self.tiny, type.name
            return
        d = _dtype(type) if type is not None else _dtype(get_default_dtype())
        if d.kind != "f":
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"
            )
        info = np.finfo(d)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(10.0**-info.precision)  # torch's: 10^-digits, exactly
        self.dtype = d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """The limits of an integer dtype, as torch.iinfo: bits, max, min, dtype (the name)."""

    __module__ = "pyneuro"

    def __init__(self, type):
        d = (
            np.dtype(type.name)
            if isinstance(type, _dtypes.UnsupportedDType) and type.kind == "u"
            else _dtype(type)
        )
        if d.kind == "b":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.kind not in "iu":
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'"
            )
        info = np.iinfo(d)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), int(info.min), d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


__all__ = [
    "gradient",
    "lu",
    "lu_unpack",
    "lu_solve",
    "svd",
    "qr",
    "triangular_solve",
    "cholesky_inverse",
    "cholesky_solve",
    "cholesky",
    "ger",
    "addbmm",
    "addmm",
    "addmv",
    "addr",
    "amax",
    "amin",
    "aminmax",
    "argmin",
    "bernoulli",
    "bucketize",
    "can_cast",
    "chain_matmul",
    "corrcoef",
    "count_nonzero",
    "cov",
    "cross",
    "cumulative_trapezoid",
    "det",
    "dist",
    "finfo",
    "histc",
    "histogram",
    "iinfo",
    "inner",
    "inverse",
    "is_complex",
    "is_floating_point",
    "is_nonzero",
    "is_signed",
    "kthvalue",
    "logdet",
    "logspace",
    "matrix_exp",
    "matrix_power",
    "msort",
    "mv",
    "nanmean",
    "nanquantile",
    "nansum",
    "pinverse",
    "poisson",
    "binomial",
    "promote_types",
    "quantile",
    "randint_like",
    "renorm",
    "result_type",
    "searchsorted",
    "slogdet",
    "std_mean",
    "tensordot",
    "trace",
    "trapezoid",
    "trapz",
    "var_mean",
    "vander",
    "vdot",
]
