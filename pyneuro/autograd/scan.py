"""Scans (running results along one dim): cumprod and logcumsumexp, and the gradient of a
value picked from many equal ones (median() over all elements).

cumsum lives in elementwise.py; cummax/cummin need no Function of their own: their values
are a gather at the running winner's index, whose gradient is a scatter-add (as in torch).
The math below is written once for an array namespace `xp`; a device whose namespace lacks
a routine it uses (the pyneuro CUDA backend's has no cumprod or moveaxis) runs it on the
host and copies the result back.
"""

from __future__ import annotations

import numpy as _np

from .._shapes import one_dim as _one_dim
from .function import Function, _errstate

_NEEDS = ("cumprod", "cumsum", "flip", "moveaxis", "logaddexp", "where", "isnan", "stack")


def _run(bk, fn, *arrays, **params):
    """fn(xp, *arrays, **params) on the backend's namespace, or on the host if it lacks a routine."""
    xp = bk.xp
    if xp is _np or all(hasattr(xp, name) for name in _NEEDS):
        with _errstate(xp):
            return fn(xp, *arrays, **params)
    with _errstate(_np):
        out = fn(_np, *[_np.asarray(bk.to_numpy(a)) for a in arrays], **params)
    return bk.asarray(_np.asarray(out, order="C"))


def _reverse_cumsum(xp, a, axis):
    return xp.flip(xp.cumsum(xp.flip(a, axis=axis), axis=axis), axis=axis)


def _logcumsumexp(xp, a, axis=0):
    """log(cumsum(exp(a))) along axis, stably: a running logaddexp (the larger term factored out)."""
    if not a.ndim or not a.size:
        return a.copy()
    accumulate = getattr(xp.logaddexp, "accumulate", None)
    if accumulate is not None:
        return accumulate(a, axis=axis)
    x = xp.moveaxis(a, axis, 0)
    rows = [x[0]]
    for i in range(1, x.shape[0]):
        rows.append(xp.logaddexp(rows[-1], x[i]))
    return xp.moveaxis(xp.stack(rows), 0, axis)


def _cumprod_backward(xp, a, out, g, d=0):
    w = out * g
    is_zero = a == 0
    if not bool(is_zero.any()):
        return _reverse_cumsum(xp, w, d) / a
    zero = xp.zeros_like(w)
    zeros_so_far = xp.cumsum(is_zero, axis=d)
    before = zeros_so_far == 0  # no zero at or before this position
    safe = xp.where(before, a, xp.ones_like(a))
    grad = xp.where(before, _reverse_cumsum(xp, xp.where(before, w, zero), d) / safe, zero)
    first_zero = is_zero & (zeros_so_far == 1)
    left = safe.prod(axis=d, keepdims=True)  # x_0..x_{z-1}
    # x_{z+1}..x_j for j >= z (1 before and at z; a later zero zeroes the rest by itself)
    right = xp.cumprod(xp.where(before | first_zero, xp.ones_like(a), a), axis=d)
    after = xp.where(before, zero, g * right).sum(axis=d, keepdims=True)
    return xp.where(first_zero, left * after, grad)


def _cumprod(xp, x, d):
    """cumprod along d, accumulated in float64 for float16/float32 as torch's CPU kernel does
    (its accumulation type), then rounded once: a long float32 product drifts ~1e-6 otherwise."""
    if x.dtype.kind == "f" and x.dtype.itemsize < 8:
        return xp.cumprod(x, axis=d, dtype=xp.float64).astype(x.dtype)
    return xp.cumprod(x, axis=d)


class CumProd(Function):
    """out_j = x_0 x_1 ... x_j along dim.

    Backward (torch's cumprod_backward): d out_j / d x_i is the product of x_0..x_j without
    x_i (j >= i), so grad_i = sum_{j>=i} g_j out_j / x_i where no zero precedes x_i (x_i itself
    is not zero there). At the first zero z, grad_z = (x_0..x_{z-1}) * sum_{j>=z} g_j x_{z+1}..x_j;
    after it every product holds that zero, so the gradient is 0. No division by a zero.
    """

    __slots__ = ()
    c_ordered = True
    saves_output = True

    def forward(self, a, dim=0):
        d = _one_dim(dim, a.ndim)
        out = _run(self.bk, lambda xp, x: _cumprod(xp, x, d), a) if a.ndim else a.copy()
        self.saved = (a, out, d)
        return out

    def backward(self, g):
        a, out, d = self.saved
        if a.ndim == 0 or a.shape[d] <= 1:
            return (g,)
        return (_run(self.bk, _cumprod_backward, a, out, g, d=d),)


def _logcumsumexp_backward(xp, a, out, g, d=0):
    log_abs = xp.log(xp.abs(g))
    lowest = xp.full_like(log_abs, -_np.inf)
    parts = []
    for keep in (g > 0, g < 0):
        lg = xp.where(keep, log_abs, lowest) - out
        rev = xp.flip(_logcumsumexp(xp, xp.flip(lg, axis=d), d), axis=d)
        parts.append(xp.exp(rev + a))
    return parts[0] - parts[1]


class LogCumSumExp(Function):
    """out_j = log(exp(x_0) + ... + exp(x_j)) along dim.

    Backward: grad_i = sum_{j>=i} g_j exp(x_i - out_j), computed as torch does in log space,
    with the positive and negative parts of g apart: exp(x_i + reverse_logcumsumexp(log|g| - out)).
    """

    __slots__ = ()
    c_ordered = True
    saves_output = True

    def forward(self, a, dim=0):
        d = _one_dim(dim, a.ndim)
        out = _run(self.bk, _logcumsumexp, a, axis=d)
        self.saved = (a, out, d)
        return out

    def backward(self, g):
        a, out, d = self.saved
        if a.ndim == 0 or not a.size:
            return (g,)
        return (_run(self.bk, _logcumsumexp_backward, a, out, g, d=d),)


def _evenly(xp, a, out, g):
    mask = (a == out) | (xp.isnan(a) & xp.isnan(out)) if a.dtype.kind == "f" else a == out
    return xp.where(mask, g / mask.sum().astype(g.dtype), xp.zeros((), g.dtype))  # (0 beside a NaN g)


class SelectEvenly(Function):
    """One element of a (by flat index) as a 0-d result; the gradient is shared evenly between
    every element equal to it (NaN counts as equal to NaN): torch's evenly_distribute_backward,
    the gradient of median() and nanmedian() over all elements."""

    __slots__ = ()
    saves_output = True

    def forward(self, a, index=0):
        out = _run(self.bk, lambda xp, x: x.reshape(-1)[index : index + 1].reshape(()).copy(), a)
        self.saved = (a, out)
        return out

    def backward(self, g):
        a, out = self.saved
        return (_run(self.bk, _evenly, a, out, g),)
