"""Standardize: xhat = (x - mean) / sqrt(var + eps) over some dims, as one node.

It is the core of batch_norm (over N and the spatial dims), layer_norm (the last dims),
group_norm and instance_norm (functional_norm.py); with the kernels below their affine
`* weight + bias` joins it in one node (StandardizeAffine), elsewhere it stays two ordinary
nodes. m is the number of elements each mean runs over, r = 1 / sqrt(var + eps).

    forward:   mean = sum(x) / m;  c = x - mean;  var = sum(c * c) / m   (biased);  xhat = c / sqrt(var + eps)
    backward:  dx = r * (g - mean(g) - xhat * mean(g * xhat))

The backward is the three terms of d xhat / dx: g itself scaled by r, minus the share every
element has in the mean (mean(g)), minus its share in the variance (xhat * mean(g * xhat)).
Written as a chain of Tensor ops (mean, sub, mul, mean, add, sqrt, div) the same gradient
walked seven nodes, each with a full-size temporary and the reductions of broadcasting;
here it is two reductions and three elementwise passes (BatchNorm2d on a 128x32x16x16 batch,
2 Zen 4 cores: forward 3.8 -> 3.2 ms, backward with the affine part 7.5 -> 5.5 ms; torch's
fused kernels take ~1.5 ms each way).

Backward reads the input (saved, as torch's NativeBatchNormBackward0 does) and recomputes
xhat from it with the saved mean and r: the output is not saved, so an in-place op on it
(BatchNorm2d(affine=False) then ReLU(inplace=True)) is no error, as in torch. Its rule for
create_graph=True (graph_rules_more.py) recomputes all of it in Tensor ops.

A kernel table with the optional entries standardize_forward / standardize_backward (the cpu
backend's C++ kernels, csrc/cpu/norm.cpp; the numpy reference's NumPy form) runs both in
one call each when the reduced dims and the others line up as (outer, stats, inner) --
batch_norm's (N, C, H*W), layer_norm's (1, rows, size), group_norm's and instance_norm's
(1, N*G or N*C, the rest) -- and x is float32 or float64 and not empty: forward reads x
once from memory and writes xhat, backward reads g and x and writes dx (BatchNorm2d on
128x32x16x16, 2 Zen 4 cores, quiet machine: with the affine in them the layer's forward +
backward went 7.30 -> 0.63 ms (torch 1.71), LayerNorm(256) on 64x100x256 11.37 -> 0.97 ms
(torch 0.92), GroupNorm(4, 100) on 32x100x16x16 4.38 -> 0.98 ms (torch 0.35):
bench/results/norm_bench.md). Other layouts, dtypes and tables (numba, the GPU ones) run the
NumPy form below; the node with the affine runs on numba's arrays with the NumPy reference's
two functions (standardize_kernels), so that it reads x and the weight at backward there too.
"""

from __future__ import annotations

import numpy as np

from .._shapes import prod
from ..backends import numpy_backend as _numpy_table
from ..backends._registry import current as _current_table
from .function import Function, _errstate

_KERNEL_DTYPES = "fd"  # the dtypes standardize_forward takes (float32, float64: NumPy's codes)


def _outer_inner(shape: tuple, dims: tuple):
    """(outer, inner) when x of this shape, reduced over dims, is an (outer, stats, inner)
    array with one statistic per middle index: the dims kept (size 1 aside) are adjacent.
    None otherwise (e.g. dims (1,) of a 3-D array: the NumPy form runs)."""
    kept = [i for i, n in enumerate(shape) if i not in dims and n != 1]
    if not kept:
        return 1, prod(shape)
    lo, hi = kept[0], kept[-1]
    if any(i in dims and shape[i] != 1 for i in range(lo, hi)):
        return None
    return prod(shape[:lo]), prod(shape[hi + 1 :])


class Standardize(Function):
    """out = (x - mean) / sqrt(var + eps) over dims (the biased variance); `stats`, a list
    given by the caller, receives (mean, var) as arrays (keepdims) for running statistics."""

    __slots__ = ()
    saved_for = ((0,),)

    def forward(self, x, dims=(), eps=1e-5, stats=None):
        view = None
        if hasattr(self.bk, "standardize_forward") and x.size and x.dtype.char in _KERNEL_DTYPES:
            view = _outer_inner(x.shape, dims)
        if view is not None:  # one kernel call; mean, var and r come back with one entry per statistic
            out, mean, var, r = self.bk.standardize_forward(x, *view, eps)
            kept = tuple(1 if i in dims else n for i, n in enumerate(x.shape))
            mean, var, r = mean.reshape(kept), var.reshape(kept), r.reshape(kept)
            if stats is not None:
                stats.extend((mean, var))
            self.saved = (x, mean, r, dims, eps, view)
            return out
        xp = self.bk.xp
        with _errstate(xp):
            mean = x.mean(axis=dims, keepdims=True)
            c = x - mean
            var = (c * c).mean(axis=dims, keepdims=True)
            root = xp.sqrt(var + eps)
            out = c / root
        if stats is not None:
            stats.extend((mean, var))
        self.saved = (x, mean, 1 / root, dims, eps, None)
        return out

    def backward(self, g):
        x, mean, r, dims, _, view = self.saved
        if view is not None and g.dtype == x.dtype:
            return (self.bk.standardize_backward(g, x, mean.reshape(-1), r.reshape(-1), *view)[0],)
        with _errstate(self.bk.xp):
            xhat = (x - mean) * r
            shared = g.mean(axis=dims, keepdims=True) + xhat * (g * xhat).mean(axis=dims, keepdims=True)
            return ((g - shared) * r,)


def standardize_kernels(table, a):
    """The table whose standardize_forward/backward run the fused node for array a: table's own,
    or on the host for a table without them (numba's) the NumPy reference's, so the node -- which,
    as torch's, reads x and the weight at backward -- is the same on every CPU backend; None on a
    device table without them."""
    if hasattr(table, "standardize_forward"):
        return table
    return _numpy_table if type(a) is np.ndarray else None


def affine_view(x, dims: tuple, weight, bias, per_inner: bool = False):
    """(outer, inner) where StandardizeAffine runs over dims of tensor x with these parameters
    (tensors or None, at least one given): per channel (dim 1), or with per_inner of the shape
    of the reduced trailing dims (layer_norm's). x's device's table has the standardize
    kernels, x is float32 or float64 and not empty, the parameters have its dtype (and shape)
    and the dims line up; else None (the caller runs Standardize and the affine as separate
    nodes)."""
    if weight is None and bias is None or standardize_kernels(_current_table(x.device), x._data) is None:
        return None
    a = x._data
    if not a.size or a.dtype.char not in _KERNEL_DTYPES:
        return None
    params = [p._data for p in (weight, bias) if p is not None]
    if any(p.dtype != a.dtype for p in params):
        return None
    shape = a.shape
    if per_inner and any(p.shape != shape[len(shape) - p.ndim :] or p.ndim != len(dims) for p in params):
        return None
    return _outer_inner(shape, dims)


def _spread(xp, p, spread: int):
    """Parameter p (an array or None) flat, each entry repeated spread times."""
    if p is None:
        return None
    return p.reshape(-1) if spread == 1 else xp.repeat(p.reshape(-1), spread)


class StandardizeAffine(Function):
    """(x - mean) / sqrt(var + eps) * weight + bias as one node, on a table with the
    standardize kernels (affine_view says where): batch_norm's and instance_norm's weight and
    bias per channel (dim 1, statistic s takes channel s % C), or with per_inner one per
    element of the normalized dims (layer_norm's), or period rows of those (group_norm's
    channels spread over each group's elements, `spread` copies of each; statistic s takes
    row s % groups). Forward is one standardize_forward call: the
    affine costs no pass of its own. Backward is one standardize_backward call: dx with the
    weight folded in, and the sums of g and g * xhat -- per statistic, added per channel, or
    per normalized element -- which are bias's and weight's gradients (the separate Mul and Add
    nodes took four more passes and two NumPy reductions: BatchNorm2d 128x32x16x16 on 2 Zen 4
    cores, forward + backward ~3.4 -> ~1.3 ms). `stats` as Standardize's; view from
    affine_view. The input is saved, not the output (BatchNorm2d then ReLU(inplace=True) is
    legal)."""

    __slots__ = ()
    saved_for = ((0, 1), (0,), ())

    def forward(self, x, weight, bias, dims=(), eps=1e-5, stats=None, view=None, per_inner=False, spread=1):
        # spread: each parameter entry repeated this many times (group_norm's channel over its
        # spatial elements), here on the small arrays rather than as Tensor ops with nodes
        w, b = (_spread(self.bk.xp, p, spread) for p in (weight, bias))
        out, mean, var, r = standardize_kernels(self.bk, x).standardize_forward(
            x, *view, eps, w, b, per_inner
        )
        kept = tuple(1 if i in dims else n for i, n in enumerate(x.shape))
        mean, var, r = mean.reshape(kept), var.reshape(kept), r.reshape(kept)
        if stats is not None:
            stats.extend((mean, var))
        shape = (weight if weight is not None else bias).shape
        # the weight as it is (spread again at backward): torch's node reads the weight tensor it
        # saved, so `weight.data.mul_(2)` or `weight.data = other` before backward changes dx
        self.saved = (x, mean, r, dims, eps, view, weight, per_inner, shape, spread)
        return out

    def backward(self, g):
        x, mean, r, _, _, view, weight, per_inner, shape, spread = self.saved
        w = _spread(self.bk.xp, weight, spread)
        if g.dtype != x.dtype:
            g = g.astype(x.dtype)
        dx, sum_g, sum_gxhat = standardize_kernels(self.bk, x).standardize_backward(
            g, x, mean.reshape(-1), r.reshape(-1), *view, w, per_inner
        )
        if per_inner:  # already summed over the rows sharing a parameter (then over its spread)
            return (
                dx,
                sum_gxhat.reshape(-1, spread).sum(axis=1).reshape(shape) if self.needs[1] else None,
                sum_g.reshape(-1, spread).sum(axis=1).reshape(shape) if self.needs[2] else None,
            )
        c = x.shape[1]
        gw = sum_gxhat.reshape(-1, c).sum(axis=0).reshape(shape) if self.needs[1] else None
        gb = sum_g.reshape(-1, c).sum(axis=0).reshape(shape) if self.needs[2] else None
        return dx, gw, gb


class RunningNorm(Function):
    """Eval-mode batch_norm, as torch's kernel computes it: per channel (dim 1) of x,

        r = 1 / sqrt(running_var + eps);  scale = weight r;  shift = bias - running_mean scale
        out = x scale + shift                                   (one pass over x)
        dx = g scale;   dweight = sum(g (x - running_mean) r);   dbias = sum(g)

    (sums over every dim but the channel's). The running statistics are constants here (arrays,
    which the caller watches for in-place changes); weight and bias are optional. The same formula
    written as Tensor ops (sub, add, sqrt, div, mul, add and four reshapes) walked ten nodes."""

    __slots__ = ()
    saved_for = ((1,), (0,), ())  # x's gradient reads weight, weight's reads x

    def forward(self, x, weight, bias, mean=None, var=None, eps=1e-5):
        xp = self.bk.xp
        view = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        with _errstate(xp):
            r = 1 / xp.sqrt(var + eps)
            scale = r if weight is None else weight * r
            shift = -mean * scale if bias is None else bias - mean * scale
            out = x * scale.reshape(view) + shift.reshape(view)
        self.saved = (x, weight, mean, r, view)
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        x, weight, mean, r, view = self.saved
        dims = (0,) + tuple(range(2, x.ndim))
        with _errstate(self.bk.xp):
            dx = None
            if self.needs[0]:
                dx = g * (r if weight is None else weight * r).reshape(view)
            dw = (g * ((x - mean.reshape(view)) * r.reshape(view))).sum(axis=dims) if self.needs[1] else None
            db = g.sum(axis=dims) if self.needs[2] else None
        return dx, dw, db
