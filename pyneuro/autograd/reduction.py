"""Reductions: sum, mean, max/min (all, along a dim, amax/amin)."""

from __future__ import annotations

import numpy as _np

from .._shapes import normalize_dims as _normalize_dims
from .._shapes import one_dim as _one_dim
from .function import Function, ShapeError, _errstate, quiet

# ----------------------------------------------------------------------------- reductions

_ROWS = 128  # (rows NumPy adds one after another before the partial sums are added up in turn)


def _add_reduce(a, dims, keepdim):
    """np.add.reduce of a NumPy array over dims. NumPy adds pairwise only along the last axis: a
    float sum that keeps the last axis (x.sum(0), images.sum((0, 1)) of HWC) it adds row after
    row, an error that grows with the row count (1e-5 of a million-row sum in float32, where
    torch's cascade keeps 1e-7). Past _ROWS rows those sums are added in blocks of _ROWS rows,
    then the blocks' sums the same way."""
    if a.ndim < 2 or a.ndim - 1 in dims or a.dtype.kind != "f" or not a.size:
        return _np.add.reduce(a, axis=dims if a.ndim else None, keepdims=keepdim)
    rows = 1
    for d in dims:
        rows *= a.shape[d]
    if rows <= _ROWS:
        return _np.add.reduce(a, axis=dims, keepdims=keepdim)
    kept = tuple(n for i, n in enumerate(a.shape) if i not in dims)
    b = _np.moveaxis(a, dims, tuple(range(len(dims)))).reshape(rows, -1)
    while b.shape[0] > _ROWS:
        full = b.shape[0] // _ROWS * _ROWS
        blocks = _np.add.reduce(b[:full].reshape(-1, _ROWS, b.shape[1]), axis=1)
        b = blocks if full == b.shape[0] else _np.concatenate([blocks, b[full:]])
    out = _np.add.reduce(b, axis=0).reshape(kept)
    if keepdim:
        out = out.reshape(tuple(1 if i in dims else n for i, n in enumerate(a.shape)))
    return out


class Sum(Function):
    """out = sum of a over dims; backward broadcasts g back over the summed axes."""

    __slots__ = ()
    c_ordered = True
    saves_tensors = False
    passes_gradient = True

    @quiet  # inf + -inf is nan without NumPy's warning, as in torch
    def forward(self, a, dim=None, keepdim=False):
        dims = _normalize_dims(dim, a.ndim)
        self.saved = (a.shape, dims, keepdim, dim is not None)  # (the last: torch's name, names.py)
        if type(a) is _np.ndarray and not (a.dtype.kind == "f" and a.dtype.itemsize == 2):
            # (what a.sum() calls, without NumPy's Python wrapper around it)
            return _add_reduce(a, dims, keepdim)
        if a.dtype.kind == "f" and a.dtype.itemsize == 2:  # float16 added up in float32, as torch
            return a.sum(axis=dims if a.ndim else None, keepdims=keepdim, dtype="float32").astype(a.dtype)
        return a.sum(axis=dims if a.ndim else None, keepdims=keepdim)

    def backward(self, g):
        shape, dims, keepdim, _ = self.saved
        if not keepdim and shape:
            g = g.reshape(tuple(1 if i in dims else n for i, n in enumerate(shape)))
        return (self.bk.xp.broadcast_to(g, shape),)


class Mean(Function):
    """out = mean of a over dims; backward spreads g / count over the reduced axes."""

    __slots__ = ()
    c_ordered = True
    saves_tensors = False
    passes_gradient = True

    @quiet
    def forward(self, a, dim=None, keepdim=False):
        dims = _normalize_dims(dim, a.ndim)
        count = 1
        for d in dims:
            count *= a.shape[d] if a.ndim else 1
        self.saved = (a.shape, dims, keepdim, count, dim is not None)
        if not a.size:  # the mean of nothing is nan, like torch (without NumPy's warning)
            return a.sum(axis=dims if a.ndim else None, keepdims=keepdim) / count
        if type(a) is _np.ndarray and a.dtype.kind == "f" and a.dtype.itemsize >= 4:
            # NumPy's own mean (a sum, then one division by the count in the sum's dtype)
            # without its Python wrapper's ~2 us: the same bits
            s = _add_reduce(a, dims, keepdim)
            return s / s.dtype.type(count)
        return a.mean(axis=dims if a.ndim else None, keepdims=keepdim)

    def backward(self, g):
        shape, dims, keepdim, count, _ = self.saved
        if not keepdim and shape:
            g = g.reshape(tuple(1 if i in dims else n for i, n in enumerate(shape)))
        return (self.bk.xp.broadcast_to(g / count if count else g * float("nan"), shape),)


class Prod(Function):
    """out = product of a over one dim (or all of it). The gradient of each element is, as torch's
    prod_backward, result / element where the input holds no zero (read from the input and the
    product as they are at backward, as torch's saved tensors); otherwise the product of the
    others, from exclusive cumulative products left and right of it, so a zero anywhere is
    handled exactly (no division by the element)."""

    __slots__ = ("dim",)  # kept after backward frees `saved`: torch's name depends on it
    c_ordered = True
    saved_for = ((0,),)
    saves_output = True

    def forward(self, a, dim=None, keepdim=False):
        self.dim = dim
        with _errstate(self.bk.xp):  # inf * 0: NaN without a warning, as torch
            if dim is None:
                out = a.prod()
            else:
                out = a.prod(axis=_one_dim(dim, a.ndim), keepdims=keepdim)
        out = self.bk.xp.asarray(out)  # (a 0-d array, the one the output tensor holds)
        self.saved = (a, dim, keepdim, out)
        return out

    def backward(self, g):
        a, dim, keepdim, out = self.saved
        xp = self.bk.xp
        if a.ndim == 0:  # the product of one number: it is its own product
            return (xp.ones_like(a) * g,)
        d = 0 if dim is None else _one_dim(dim, a.ndim)
        if a.size and a.dtype.kind in "fc" and not (a == 0).any():
            if dim is not None and not keepdim:
                g, out = xp.expand_dims(g, d), xp.expand_dims(out, d)
            with _errstate(xp):
                return ((g * (out / a)).astype(a.dtype, copy=False),)
        x = xp.moveaxis(a.reshape(-1) if dim is None else a, d, -1)  # the reduced axis last
        ones = xp.ones_like(x[..., :1])
        left = xp.cumprod(xp.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)  # prod of those before
        right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([x[..., 1:], ones], axis=-1), -1), -1), -1)
        others = xp.moveaxis(left * right, -1, d)
        if dim is None:
            return ((others * g).reshape(a.shape),)
        return ((others * (g if keepdim else xp.expand_dims(g, d))),)


class MaxMinDim(Function):
    """values of max (or min) along one dim; the gradient goes to the returned index."""

    __slots__ = ("indices", "largest")  # largest: max or min, for torch's name
    saved_for = ()

    def forward(self, a, dim=0, keepdim=False, largest=True):
        xp = self.bk.xp
        self.largest = largest
        d = _one_dim(dim, a.ndim)
        if a.ndim and a.shape[d] == 0:
            raise IndexError(f"max(): cannot reduce over a zero-size dimension {d} of shape {tuple(a.shape)}")
        if a.ndim == 0:
            self.indices = xp.zeros((), dtype=xp.int64)
            self.saved = (a.shape, 0, True)
            return a.copy()
        idx = (xp.argmax if largest else xp.argmin)(a, axis=d)
        idx_k = xp.expand_dims(idx, d)
        values = xp.take_along_axis(a, idx_k, axis=d)
        self.indices = xp.asarray((idx_k if keepdim else idx).astype(xp.int64, copy=False))  # (a 0-d array)
        self.saved = (a.shape, d, idx_k)
        return values if keepdim else values.reshape(idx.shape)

    def backward(self, g):
        shape, d, idx_k = self.saved
        xp = self.bk.xp
        if not shape:
            return (g,)
        gk = g.reshape(idx_k.shape)
        positions = xp.arange(shape[d]).reshape(tuple(-1 if i == d else 1 for i in range(len(shape))))
        return (xp.where(positions == idx_k, gk, xp.zeros((), gk.dtype)),)  # (0 elsewhere beside a NaN g)


class AMaxMin(Function):
    """amax (or amin) over one or more dims; the gradient is shared evenly between ties along
    the reduced dims (torch's amax/amin; max(dim) instead sends it all to the returned index)."""

    __slots__ = ()
    c_ordered = True
    saved_for = ((0,),)
    reads_as_mask = True
    saves_output = True

    def forward(self, a, dims=(), keepdim=False, largest=True):
        empty = [d for d in dims if a.shape[d] == 0]
        if empty:  # torch's IndexError: max has no identity
            raise IndexError(
                f"a{'max' if largest else 'min'}(): Expected reduction dim {empty[0]} to have non-zero size."
            )
        v = a.max(axis=dims, keepdims=True) if largest else a.min(axis=dims, keepdims=True)
        self.saved = (a, v, dims)
        return v if keepdim else v.reshape(tuple(n for i, n in enumerate(a.shape) if i not in dims))

    def backward(self, g):
        a, v, dims = self.saved
        mask = a == v
        count = mask.sum(axis=dims, keepdims=True).astype(g.dtype)
        return (mask * (g.reshape(v.shape) / count),)


class MaxMinAll(Function):
    """max (or min) over every element; the gradient is shared evenly between ties. A NaN answer:
    torch's max() shares it between the NaNs (nan_shares=True), its amax() gives NaN everywhere."""

    __slots__ = ("largest", "nan_shares")  # max or min, for torch's name
    saved_for = ((0,),)
    reads_as_mask = True
    saves_output = True

    def forward(self, a, largest=True, nan_shares=False):
        self.largest, self.nan_shares = largest, nan_shares
        if a.size == 0:
            raise ShapeError(
                "max(): expected a non-empty tensor (reduction over an empty tensor has no identity)"
            )
        out = a.max() if largest else a.min()
        self.saved = (a, out)
        return out

    def backward(self, g):
        a, out = self.saved
        xp = self.bk.xp
        mask = xp.isnan(a) if self.nan_shares and out != out else a == out
        if not self.nan_shares:  # amax/amin: torch's mask * (g / count), NaN everywhere for a NaN g
            return (mask * (g / mask.sum().astype(g.dtype)),)
        return (xp.where(mask, g / mask.sum().astype(g.dtype), xp.zeros((), g.dtype)),)  # max(): masked_fill


class Logsumexp(Function):
    """out = log(sum(exp(a))) over dims, stably (the finite maximum subtracted first); the gradient
    is torch's logsumexp_backward, grad * exp(a - out), read from the input and the result as they
    are at backward (torch's node saves both)."""

    __slots__ = ()
    c_ordered = True
    saved_for = ((0,),)
    saves_output = True

    def forward(self, a, dims=(), keepdim=False):
        xp = self.bk.xp
        with _errstate(xp):  # (an empty sum: log 0 = -inf quietly, as torch)
            if a.size:
                m = xp.amax(a, axis=dims, keepdims=True)
                m = xp.where(xp.isfinite(m), m, 0).astype(a.dtype, copy=False)
            else:  # nothing to subtract
                m = xp.zeros(tuple(1 if i in dims else n for i, n in enumerate(a.shape)), dtype=a.dtype)
            out = xp.log(xp.sum(xp.exp(a - m), axis=dims, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(tuple(n for i, n in enumerate(a.shape) if i not in dims))
        self.saved = (a, out, dims, keepdim)
        return out

    def backward(self, g):
        a, out, dims, keepdim = self.saved
        if not keepdim:
            kept = tuple(1 if i in dims else n for i, n in enumerate(a.shape))
            g, out = g.reshape(kept), out.reshape(kept)
        with _errstate(self.bk.xp):
            return ((g * self.bk.xp.exp(a - out)).astype(a.dtype, copy=False),)


class Var(Function):
    """out = the variance over dims, sum((a - mean)^2) / (n - correction), in float64 for float32
    input on the CPU (torch's kernel accumulates in double and rounds once). The gradient is torch's
    var_backward, 2 / (n - correction) * grad * (a - mean(a)), read from the input as it is at
    backward (torch's node saves the input)."""

    __slots__ = ()
    c_ordered = True
    saved_for = ((0,),)

    def forward(self, a, dims=(), correction=1, keepdim=False, wide=False):
        xp = self.bk.xp
        axes = dims if a.ndim else ()
        x = a.astype(xp.float64) if wide else a
        with _errstate(xp):  # (n - correction <= 0: inf or NaN quietly; torch warned already)
            centered = x - xp.mean(x, axis=axes, keepdims=True) if x.size else x
            n = 1
            for d in axes:
                n *= a.shape[d]
            out = xp.sum(centered * centered, axis=axes, keepdims=keepdim) / max(n - correction, 0)
            out = xp.asarray(self.finish(xp, xp.asarray(out)).astype(a.dtype, copy=False))  # (0-d: an array)
        self.saved = (a, out, axes, n - correction, keepdim)
        return out

    def finish(self, xp, var):
        return var

    def scale(self, xp, g, out):
        """The gradient reaching the variance (Std's: through the square root)."""
        return g

    def backward(self, g):
        a, out, axes, dof, keepdim = self.saved
        xp = self.bk.xp
        if not keepdim:
            kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
            g, out = g.reshape(kept), out.reshape(kept)
        with _errstate(xp):
            centered = a - xp.mean(a, axis=axes, keepdims=True) if a.size else a
            grad = self.scale(xp, g, out) * (2.0 / dof if dof else float("inf")) * centered
            return (grad.astype(a.dtype, copy=False),)


class Std(Var):
    """out = sqrt of the variance; torch's std_backward: var_backward(grad / (2 std)), 0 where std is 0,
    read from the input and the result as they are at backward (torch's node saves both)."""

    __slots__ = ()
    saves_output = True

    def finish(self, xp, var):
        return xp.sqrt(var)

    def scale(self, xp, g, out):
        return xp.where(out == 0, 0.0, g / (2 * xp.where(out == 0, 1, out)))
