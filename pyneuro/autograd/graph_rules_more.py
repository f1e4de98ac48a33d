"""More create_graph=True rules (graph_rules.py has the core ones and the conventions): the
special functions and binary ops of math.py, prod and the scans, scatter and scatter_reduce,
median's even split, det / logdet / inv / solve, norm.Standardize (the normalizations) and
the binary cross-entropies (binary_loss.py).

Binary ops whose derivatives are piecewise constant (fmod, remainder, fmax, copysign, ...)
take them from math.py's own formula on the saved arrays, as constants: their gradients do
not depend on the inputs. cumprod (where an element is zero) and logcumsumexp are written
with an n x n matrix along the scanned dim, so that no formula divides by a zero or forms
exp of a large number:

    cumprod:       grad_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k
    logcumsumexp:  grad_i = sum_{j >= i} g_j exp(x_i - out_j)          (x_i <= out_j there)

Importing this module registers the rules (graph_backward.py imports it).
"""

from __future__ import annotations

import math

from .._shapes import one_dim
from .._tensor_base import TensorBase, _wrap
from .activation import ACTIVATION_OPS, ACTIVATIONS, PIECEWISE_LINEAR, Glu, PreluKernel
from .binary_loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, SoftMarginLoss
from .elementwise import CumSum, Elementwise, Exp, Log, SmoothL1, Where
from .function import _errstate, _scatter_add
from .fused import MatMul
from .graph_rules import (
    _const,
    _gather,
    _mt,
    _need,
    _result,
    _scatter,
    _sum_to,
    _unary,
    _without,
    _xp,
    _zero,
    rule,
)
from .index import ScatterReduce
from .linalg import Cholesky, Cross, Det, Eigh, Inv, LogDet, Pinv, Qr, Solve, Svd, Trilinear
from .math import BINARY, BINARY_OPS, UNARY_OPS, XLOGY_GRADS
from .norm import RunningNorm, Standardize, StandardizeAffine
from .reduction import Logsumexp, Mean, Prod, Std, Sum, Var
from .scan import CumProd, LogCumSumExp, SelectEvenly
from .shape import Cat, Expand, Index, Permute, Reshape, Scatter, renamed

# ----------------------------------------------------------------------------- special functions


def _safe(mask, t, g, value=1.0):
    """t with value where mask (an array) holds: what a masked-out branch reads, so that its
    own gradient stays finite (Where sends it zeros, and 0 * inf would be NaN)."""
    return Where.apply(mask, _const(g, value), t)


def _sinc(a, g, arr, params, y):
    zero = arr == 0
    px = math.pi * _safe(zero, a, g)
    d = (Elementwise.apply(px, name="cos") * px - Elementwise.apply(px, name="sin")) / (
        px * _safe(zero, a, g)
    )
    return Where.apply(zero, _zero(g), d)


def _logit(a, g, arr, params, y):
    eps = params.get("eps")
    d = 1 / (a * (1 - a))
    if eps is None:
        return Where.apply((arr < 0) | (arr > 1), _const(g, float("nan")), d)
    return Where.apply((arr < eps) | (arr > 1 - eps), _zero(g), d)


def _i1(a, g, arr, params, y):
    """I0 - I1 / x, 1/2 at 0."""
    zero = arr == 0
    a1 = _safe(zero, a, g)
    return Where.apply(zero, _const(g, 0.5), _unary("i0", a1) - _unary("i1", a1) / a1)


def _i1e(a, g, arr, params, y):
    """I0e - I1e (sign x + 1/x), 1/2 at 0."""
    zero = arr == 0
    a1 = _safe(zero, a, g)
    sign = _const(g, _xp(g).sign(arr))
    return Where.apply(zero, _const(g, 0.5), _unary("i0e", a1) - _unary("i1e", a1) * (sign + 1 / a1))


# op: d f / d a (a Tensor, g, a's saved array, the op's params, y() the op's output as
# _result gives it: for the derivatives math.UNARY writes with `out`)
_SPECIAL = {
    "lgamma": lambda a, g, arr, p, y: _unary("digamma", a),
    "digamma": lambda a, g, arr, p, y: _unary("polygamma", a, n=1),
    "polygamma": lambda a, g, arr, p, y: _unary("polygamma", a, n=p["n"] + 1),
    "sinc": _sinc,
    "logit": _logit,
    "angle": lambda a, g, arr, p, y: a * 0,
    "nan_to_num": lambda a, g, arr, p, y: _const(g, _xp(g).isfinite(arr)),
    "entr": lambda a, g, arr, p, y: -(Log.apply(a) + 1),
    "i0": lambda a, g, arr, p, y: _unary("i1", a),
    "i1": _i1,
    "i0e": lambda a, g, arr, p, y: _unary("i1e", a) - _const(g, _xp(g).sign(arr)) * y(),
    "i1e": _i1e,
    "erfcx": lambda a, g, arr, p, y: 2 * a * y() - 2 / math.sqrt(math.pi),
    "log_ndtr": lambda a, g, arr, p, y: math.sqrt(2 / math.pi) / _unary("erfcx", a * (-1 / math.sqrt(2))),
}


@rule(*(UNARY_OPS[op] for op in _SPECIAL))
def _special(node, g):
    arr, _, params = node.saved
    return (g * _SPECIAL[type(node).op](node.inputs[0], g, arr, params, lambda: _result(node)),)


# ----------------------------------------------------------------------------- binary ops


def _atan2(a, b, g, arrs, y):
    zero = arrs[0] * arrs[0] + arrs[1] * arrs[1] == 0  # torch: 0 at the origin, not NaN
    r = _safe(zero, a * a + b * b, g)
    return Where.apply(zero, _zero(g), b / r), Where.apply(zero, _zero(g), -a / r)


def _hypot(a, b, g, arrs, y):
    out = y()
    return a / out, b / out


def _xlogy(a, b, g, arrs, y, log=Log.apply, edge=0.0):
    """xlogy (log1p for xlog1py, whose edge is -1): d/da = log(b), 0 where a = 0 and b <= edge."""
    skip = (arrs[0] == 0) & (arrs[1] <= edge)
    da = Where.apply(skip, _zero(g), log(_safe(skip, b, g, edge + 1)))
    return da, a / (b - edge)


def _logaddexp(a, b, g, arrs, y, base=math.e):
    """d/da = 1 / (1 + base^(b - a)) (NaN where a and b are the same infinity, as torch)."""
    power = Exp.apply(b - a) if base == math.e else _unary("exp2", b - a)
    pa = 1 / (1 + power)
    return pa, 1 - pa


def _log1p(t):
    return Elementwise.apply(t, name="log1p")


_SMOOTH_BINARY = {
    "atan2": _atan2,
    "hypot": _hypot,
    "xlogy": _xlogy,
    "xlog1py": lambda a, b, g, arrs, y: _xlogy(a, b, g, arrs, y, _log1p, -1.0),
    "logaddexp": _logaddexp,
    "logaddexp2": lambda a, b, g, arrs, y: _logaddexp(a, b, g, arrs, y, 2.0),
}


@rule(*BINARY_OPS.values())
def _binary(node, g):
    """The smooth ops in Tensor ops; the others' derivatives (piecewise constant: fmod's
    1 and -trunc(a / b), fmax's choice, ...) as constants from math.BINARY's formula, which
    raises for the ops torch cannot differentiate (floor_divide, heaviside)."""
    a, b = node.inputs
    a_arr, b_arr, out, params = node.saved
    op = type(node).op
    smooth = _SMOOTH_BINARY.get(op)
    if smooth is not None:
        ta = a if isinstance(a, TensorBase) else _const(g, a)
        tb = b if isinstance(b, TensorBase) else _const(g, b)
        da, db = smooth(ta, tb, g, (a_arr, b_arr), lambda: _result(node))
    else:
        xp = _xp(g)
        with _errstate(xp):
            da, db = BINARY[op][1](xp, a_arr, b_arr, out, **params)
        da = _const(g, da)
        db = _zero(g) if db is None else _const(g, db)
    ga = g * da if _need(node, 0) else None
    if ga is not None and op in XLOGY_GRADS:  # (xlogy(g, y), as math.Binary's)
        xp = _xp(g)
        ga = Where.apply((g._data == 0) & ~xp.isnan(xp.asarray(b_arr)), _zero(g), ga)
    return (
        _sum_to(ga, a) if ga is not None else None,
        _sum_to(g * db, b) if _need(node, 1) else None,
    )


# ----------------------------------------------------------------------------- prod and scans


def _slice(t, d, start, stop, step=1):
    return Index.apply(t, index=(slice(None),) * d + (slice(start, stop, step),))


def _flip(t, d):
    return _slice(t, d, None, None, -1)


def _ones_like_slice(t, d):
    shape = tuple(1 if i == d else n for i, n in enumerate(t.shape))
    return _const(t, _xp(t).ones(shape))


def _others(x, d):
    """The product of every other element along d (exclusive products from the left times
    those from the right, as Prod.backward: exact where x has zeros)."""
    n = x.shape[d]
    ones = _ones_like_slice(x, d)
    left = CumProd.apply(Cat.apply(ones, _slice(x, d, 0, n - 1), dim=d), dim=d)
    right = _flip(CumProd.apply(_flip(Cat.apply(_slice(x, d, 1, n), ones, dim=d), d), dim=d), d)
    return left * right


@rule(Prod)
def _prod(node, g):
    (a,) = node.inputs
    _, dim, keepdim, _ = node.saved
    if dim is None:
        flat = Reshape.apply(a, shape=(-1,))
        if flat.shape[0] == 0:
            return (a * 0,)
        return (Reshape.apply(_others(flat, 0) * g, shape=tuple(a.shape)),)
    if a.ndim == 0:
        return (g,)
    d = one_dim(dim, a.ndim)
    if a.shape[d] == 0:
        return (a * 0,)
    gk = g if keepdim else Reshape.apply(g, shape=tuple(1 if i == d else n for i, n in enumerate(a.shape)))
    return (_others(a, d) * gk,)


def _to_last(t, d):
    dims = tuple(i for i in range(t.ndim) if i != d) + (d,)
    return Permute.apply(t, dims=dims)


def _from_last(t, d):
    dims = tuple(range(d)) + (t.ndim - 1,) + tuple(range(d, t.ndim - 1))
    return Permute.apply(t, dims=dims)


def _pairs(t, axis):
    """t (..., n) as (..., n, 1) (axis -2) or (..., 1, n) (axis -1)."""
    shape = tuple(t.shape)
    return Reshape.apply(t, shape=shape + (1,) if axis == -2 else shape[:-1] + (1,) + shape[-1:])


def _upper(g, n):
    """[j >= i] for (i, j) in n x n."""
    xp = _xp(g)
    return xp.arange(n).reshape(1, -1) >= xp.arange(n).reshape(-1, 1)


@rule(CumProd)
def _cumprod(node, g):
    """Without zeros, as CumProd.backward: reverse_cumsum(out g) / x. With a zero: the n x n
    sum of the module docstring (row i: the products with x_i replaced by 1)."""
    (a,) = node.inputs
    a_arr, _, d = node.saved
    if a.ndim == 0 or a.shape[d] <= 1:
        return (g,)
    if not bool((a_arr == 0).any()):
        w = _result(node) * g
        return (_flip(CumSum.apply(_flip(w, d), dim=d), d) / a,)
    x = _to_last(a, d)
    n = x.shape[-1]
    rows = Expand.apply(_pairs(x, -1), shape=tuple(x.shape) + (n,))
    eye = _xp(g).eye(n, dtype=bool)
    products = CumProd.apply(Where.apply(eye, _const(g, 1), rows), dim=-1)
    terms = products * _const(g, _upper(g, n)) * _pairs(_to_last(g, d), -1)
    return (_from_last(Sum.apply(terms, dim=-1), d),)


@rule(LogCumSumExp)
def _logcumsumexp(node, g):
    (a,) = node.inputs
    d = node.saved[2]
    if a.ndim == 0 or a.numel() == 0:
        return (g,)
    x = _to_last(a, d)
    out = _to_last(_result(node), d)
    n = x.shape[-1]
    exponent = Where.apply(_upper(g, n), _pairs(x, -2) - _pairs(out, -1), _const(g, float("-inf")))
    terms = Exp.apply(exponent) * _pairs(_to_last(g, d), -1)
    return (_from_last(Sum.apply(terms, dim=-1), d),)


@rule(SelectEvenly)
def _select_evenly(node, g):
    a, out = node.saved
    xp = _xp(g)
    mask = (a == out) | (xp.isnan(a) & xp.isnan(out)) if a.dtype.kind == "f" else a == out
    return (g * _const(g, mask / mask.sum()),)


# ----------------------------------------------------------------------------- scatter


def _into_src(gv, src_shape, ishape):
    """gv (of the index's shape ishape) into zeros of src's shape: src beyond the index gets 0."""
    return _scatter(gv, src_shape, tuple(slice(0, n) for n in ishape))


@rule(Scatter)
def _scatter_rule(node, g):
    grids, add, src_shape, ishape = node.saved
    ga = gs = None
    if _need(node, 0):
        ga = g if add else _without(g, grids)
    if src_shape is not None and _need(node, 1):
        gs = _into_src(_gather(g, grids), src_shape, ishape)
    return ga, gs


def _prod_factors(node, g, hit):
    a, src = node.inputs
    grids, ishape = node.saved[0], node.saved[3]
    gout = g * _result(node)
    ga = Where.apply(hit, gout / _safe(~hit, a, g), g)  # a may be 0 where nothing was scattered
    values = _gather(src, tuple(slice(0, n) for n in ishape))
    return ga, _gather(gout, grids) / values


@rule(ScatterReduce)
def _scatter_reduce(node, g):
    """As ScatterReduce.backward: sum, mean, amax, amin with their masks and counts as
    constants; prod as out / factor, where no factor is zero (no rule otherwise)."""
    grids, reduce, include_self, ishape, src_shape, hit, count, a, values, out = node.saved
    if reduce == "sum":
        ga, gv = g, _gather(g, grids)
    elif reduce == "mean":
        ga = g / _const(g, count)
        gv = _gather(ga, grids)
    elif reduce in ("amax", "amin"):
        xp = _xp(g)
        a_is = (a == out).astype(g._data.dtype)
        v_is = (values == out[grids]).astype(g._data.dtype)
        ties = a_is.copy()
        _scatter_add(xp, ties, grids, v_is)
        shared = g / _const(g, ties)
        ga = _const(g, a_is) * shared
        gv = _const(g, v_is) * _gather(shared, grids)
    elif _xp(g).any(values == 0) or _xp(g).any(hit & (a == 0)):
        raise NotImplementedError(
            "create_graph=True: the gradient of scatter_reduce(reduce='prod') with a zero factor "
            "cannot be differentiated again in pyneuro"
        )
    else:  # prod without zeros: each factor's gradient is g * out / factor
        ga, gv = _prod_factors(node, g, hit)
    if not include_self:
        ga = Where.apply(hit, _zero(g), ga)
    gs = _into_src(gv, src_shape, ishape) if _need(node, 1) else None
    return (ga if _need(node, 0) else None), gs


# ----------------------------------------------------------------------------- linear algebra


def _matrices(g):
    """g (...) as (..., 1, 1), to scale a batch of matrices."""
    return Reshape.apply(g, shape=tuple(g.shape) + (1, 1))


@rule(Inv)
def _inv(node, g):
    t = _mt(_result(node))
    return (-MatMul.apply(MatMul.apply(t, g), t),)


@rule(Cross)
def _cross(node, g):
    a, b = node.inputs[:2]
    d = node.saved[2]
    return (
        _sum_to(Cross.apply(b, g, d=d), a) if _need(node, 0) else None,
        _sum_to(Cross.apply(g, a, d=d), b) if _need(node, 1) else None,
    )


@rule(Trilinear)
def _trilinear(node, g):
    x1, w, x2 = node.inputs
    out, in1, in2 = w.shape
    pairs = x1.unsqueeze(2) * x2.unsqueeze(1)  # (B, in1, in2)
    return (
        (
            (g.unsqueeze(2) * x2.unsqueeze(1)).reshape(-1, out * in2)
            @ w.permute(0, 2, 1).reshape(out * in2, in1)
        )
        if _need(node, 0)
        else None,
        (g.t() @ pairs.reshape(-1, in1 * in2)).reshape(out, in1, in2) if _need(node, 1) else None,
        (g.unsqueeze(2) * (x1 @ w.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)).sum(1)
        if _need(node, 2)
        else None,
    )


@rule(Det)
def _det(node, g):
    """adj(A)^T = det(A) inv(A)^T. Det.backward's SVD form also covers a singular A, which
    this one cannot (inv has no value there): that case has no rule."""
    (a,) = node.inputs
    if bool((_xp(g).linalg.det(node.saved[0]) == 0).any()):
        raise NotImplementedError(
            "create_graph=True: the gradient of det at a singular matrix cannot be differentiated "
            "again in pyneuro"
        )
    return (_matrices(g * Det.apply(a)) * _mt(Inv.apply(a)),)


@rule(LogDet)
def _logdet(node, g):
    return (_matrices(g) * _mt(Inv.apply(node.inputs[0])),)


@rule(Solve)
def _solve(node, g):
    """X = A^-1 B: d/dB = A^-T g, d/dA = -(d/dB) X^T (summed back over broadcast batch dims)."""
    a, b = node.inputs
    gb = Solve.apply(_mt(a), g)
    ga = -MatMul.apply(gb, _mt(_result(node))) if _need(node, 0) else None
    return (_sum_to(ga, a) if ga is not None else None), (_sum_to(gb, b) if _need(node, 1) else None)


# ----------------------------------------------------------------------------- decompositions


def _eye(g, n):
    return _xp(g).eye(n, dtype=bool)


def _tril(t, k=0):
    """tril(t, k) in the graph (a constant mask)."""
    n, m = t.shape[-2:]
    return t * _const(t, _xp(t).tri(n, m, k, dtype=bool))


def _output(node, array):
    """The node's output (its array, saved by forward) as a Tensor made by the node, for ops
    whose output is not version-checked (so _result does not have it)."""
    return _wrap(array, node.device, node, True)


def _mm(*ts):
    out = ts[0]
    for t in ts[1:]:
        out = MatMul.apply(out, t)
    return out


def _columns(t):
    """t (..., k) as (..., 1, k): scales the columns of a matrix."""
    return Reshape.apply(t, shape=tuple(t.shape[:-1]) + (1,) + tuple(t.shape[-1:]))


@rule(Cholesky)
def _cholesky(node, g):
    """As Cholesky.backward: M = tril(L^T gL), S = (M + tril(M, -1)^T) / 2, dA = L^-T S L^-1."""
    upper = node.saved[1]
    low = _result(node)
    if upper:
        low, g = _mt(low), _mt(g)
    m = _tril(_mm(_mt(low), g))
    s = 0.5 * (m + _mt(_tril(m, -1)))
    linv = Inv.apply(low)
    return (_mm(_mt(linv), s, linv),)


@rule(Eigh)
def _eigh(node, g):
    """As Eigh.backward, with the other output of the decomposition recomputed (the same
    LAPACK call on the same input: the same values and signs)."""
    (a,) = node.inputs
    w_arr, _, part = node.saved
    a_arr = a._data  # forward read its upper triangle if the lower one gives other values
    symmetric = bool((a_arr == a_arr.swapaxes(-1, -2)).all())
    upper = not symmetric and not bool((_xp(g).linalg.eigh(a_arr, UPLO="L")[0] == w_arr).all())
    v = _output(node, node.saved[1]) if part == "vectors" else Eigh.apply(a, part="vectors", upper=upper)
    n = w_arr.shape[-1]
    if part == "values":
        inner = Reshape.apply(g, shape=tuple(g.shape) + (1,)) * _const(g, _eye(g, n))
    else:
        w = Eigh.apply(a, part="values", upper=upper)
        vg = _mm(_mt(v), g)
        e = _columns(w) - Reshape.apply(w, shape=tuple(w.shape) + (1,)) + _const(g, _eye(g, n))
        inner = 0.5 * (vg - _mt(vg)) / e * _const(g, ~_eye(g, n))
    return (_mm(v, inner, _mt(v)),)


@rule(Svd)
def _svd(node, g):
    """As Svd.backward (torch's svd_backward), with the reduced U, S, Vh recomputed."""
    (a,) = node.inputs
    shape, _, s_arr, _, part = node.saved
    m, n = shape[-2:]
    k = s_arr.shape[-1]
    u, s, vh = (Svd.apply(a, part=p, full=False) for p in ("U", "S", "Vh"))
    if part == "S":
        return (_mm(u * _columns(g), vh),)
    g = (
        _gather(g, (Ellipsis, slice(0, k)))
        if part == "U"
        else _gather(g, (Ellipsis, slice(0, k), slice(None)))
    )
    eye = _eye(g, k)
    s2 = s * s
    f = _const(g, ~eye) / (_columns(s2) - Reshape.apply(s2, shape=tuple(s2.shape) + (1,)) + _const(g, eye))
    if part == "U":
        skew = _mm(_mt(u), g)
        out = _mm(u, f * (skew - _mt(skew)) * _columns(s), vh)
        if m > k:
            out = out + _mm((g - _mm(u, _mm(_mt(u), g))) / _columns(s), vh)
        return (out,)
    v, gv = _mt(vh), _mt(g)
    skew = _mm(_mt(v), gv)
    out = _mm(u, Reshape.apply(s, shape=tuple(s.shape) + (1,)) * (f * (skew - _mt(skew))), vh)
    if n > k:
        out = out + _mm(u / _columns(s), _mt(gv - _mm(v, _mm(_mt(v), gv))))
    return (out,)


@rule(Qr)
def _qr(node, g):
    """As Qr.backward (m >= n), with Q and R recomputed: C = Q^T gQ, D = R gR^T,
    dA = Q (gR + tril(C - C^T + D - D^T) R^-T) + (gQ - Q C) R^-T."""
    (a,) = node.inputs
    q_arr, r_arr, part = node.saved
    if q_arr.shape[-1] != r_arr.shape[-1] or q_arr.shape[-1] != r_arr.shape[-2]:
        raise NotImplementedError(
            "The derivative of linalg.qr is implemented only for mode='reduced' with m >= n (or 'complete' with m == n)"
        )
    q = Qr.apply(a, part="Q", mode="reduced")
    r = Qr.apply(a, part="R", mode="reduced")
    rinv_t = _mt(Inv.apply(r))
    if part == "Q":
        c = _mm(_mt(q), g)
        return (_mm(q, _mm(_tril(c - _mt(c)), rinv_t)) + _mm(g - _mm(q, c), rinv_t),)
    d = _mm(r, _mt(g))
    return (_mm(q, g + _mm(_tril(d - _mt(d)), rinv_t)),)


@rule(Pinv)
def _pinv(node, g):
    """As Pinv.backward (torch's pinv_backward), P the node's output."""
    (a,) = node.inputs
    p = _output(node, node.saved[1])
    m, n = a.shape[-2:]
    ph, gh = _mt(p), _mt(g)
    if m <= n:
        k = _mm(gh, p)
        kph = _mm(k, ph)
        return (-_mt(_mm(p, k)) + kph - _mm(a, p, kph) + _mm(ph, p, gh - _mm(k, a)),)
    k = _mm(p, gh)
    phk = _mm(ph, k)
    return (-_mt(_mm(k, p)) + _mm(gh - _mm(a, k), p, ph) + phk - _mm(phk, p, a),)


@rule(Standardize)
def _standardize(node, g):
    """As Standardize.backward, with xhat and r recomputed from the input in Tensor ops."""
    (x,) = node.inputs
    dims, eps = node.saved[3:5]
    c = x - Mean.apply(x, dim=dims, keepdim=True)
    r = 1 / (Mean.apply(c * c, dim=dims, keepdim=True) + eps).sqrt()
    xhat = c * r
    shared = Mean.apply(g, dim=dims, keepdim=True) + xhat * Mean.apply(g * xhat, dim=dims, keepdim=True)
    return ((g - shared) * r,)


@rule(StandardizeAffine)
def _standardize_affine(node, g):
    """As StandardizeAffine.backward in Tensor ops: Standardize's rule for g * weight, and the
    sums of g * xhat and g over all dims but the channels' (dim 1)."""
    x, w, b = node.inputs
    dims, eps = node.saved[3:5]
    per_inner, spread = node.saved[7], node.saved[9]
    if spread > 1:  # group_norm's: (C,) parameters as the (groups, group elements) rows they act as
        rows = x.shape[1]

        def widen(p):
            return None if p is None else p.reshape(-1, 1).expand(p.numel(), spread).reshape(rows, -1)

        wide_w, wide_b = widen(w), widen(b)
    else:
        wide_w, wide_b = w, b
    c = x - Mean.apply(x, dim=dims, keepdim=True)
    r = 1 / (Mean.apply(c * c, dim=dims, keepdim=True) + eps).sqrt()
    xhat = c * r
    # the parameters' gradients sum over every dim but theirs: the channels', or the trailing ones
    # (per_inner: layer_norm's normalized dims, group_norm's (groups, elements of a group))
    lead = x.ndim - (wide_w if wide_w is not None else wide_b).ndim
    others = tuple(range(lead)) if per_inner else tuple(d for d in range(x.ndim) if d != 1)
    view = None if per_inner else (1, x.shape[1]) + (1,) * (x.ndim - 2)
    gx = gw = gb = None
    if _need(node, 0):
        gy = g if w is None else g * (wide_w if per_inner else w.reshape(view))
        shared = Mean.apply(gy, dim=dims, keepdim=True) + xhat * Mean.apply(gy * xhat, dim=dims, keepdim=True)
        gx = (gy - shared) * r
    if _need(node, 1):
        gw = Sum.apply(Sum.apply(g * xhat, dim=others).reshape(-1, spread), dim=1).reshape(w.shape)
    if _need(node, 2):
        gb = Sum.apply(Sum.apply(g, dim=others).reshape(-1, spread), dim=1).reshape(b.shape)
    return gx, gw, gb


# ----------------------------------------------------------------------------- activations


def _gelu_d(a, g, arr, p, y):
    if p.get("approximate") == "tanh":
        beta, kappa = math.sqrt(2 / math.pi), 0.044715
        t = (beta * (a + kappa * a * a * a)).tanh()
        return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * beta * (1 + 3 * kappa * a * a)
    cdf = 0.5 * _unary("erfc", a * (-1 / math.sqrt(2)))
    return cdf + a * (Exp.apply(-0.5 * a * a) * (1 / math.sqrt(2 * math.pi)))


def _elu_d(a, g, arr, p, y):
    """The negative branch's derivative where x < 0, a constant elsewhere (at 0 the negative branch's
    value, but torch's second derivative there is 0)."""
    neg, coef = arr < 0, p["alpha"] * p["scale"] * p["input_scale"]
    edge = _xp(g).where(arr == 0, coef, p["scale"])
    return Where.apply(neg, coef * Exp.apply(_safe(~neg, a, g, 0.0) * p["input_scale"]), _const(g, edge))


def _softplus_d(a, g, arr, p, y):
    """z / (z + 1), z = exp(beta x), below the threshold; a constant from it up (torch's second
    derivative is 0 at beta x == threshold too)."""
    under = ~(arr * p["beta"] >= p["threshold"])  # (NaN too)
    z = Exp.apply(_safe(~under, a, g, 0.0) * p["beta"])
    return Where.apply(under, z / (z + 1), _const(g, ACTIVATIONS["softplus"][1](_xp(g), arr, None, **p)))


def _mish_d(a, g, arr, p, y):
    over = arr > 20
    t = Where.apply(over, a, Log.apply(Exp.apply(_safe(over, a, g, 0.0)) + 1)).tanh()
    s = a.sigmoid()
    return t + a * s * (1 - t * t)


def _hardswish_d(a, g, arr, p, y):
    return Where.apply((arr > -3) & (arr < 3), a / 3 + 0.5, _const(g, ~(arr <= -3)))  # (1 at NaN, as torch)


# op: d f / d a, as _SPECIAL's (the piecewise-linear ones: activation.py's own mask, a constant)
_ACTIVATION_DERIVATIVES = {
    "gelu": _gelu_d,
    "silu": lambda a, g, arr, p, y: (lambda s: s * (1 + a * (1 - s)))(a.sigmoid()),
    "elu": _elu_d,
    "celu": _elu_d,
    "softplus": _softplus_d,
    "mish": _mish_d,
    "hardswish": _hardswish_d,
    "logsigmoid": lambda a, g, arr, p, y: (-a).sigmoid(),
    **{
        op: lambda a, g, arr, p, y, op=op: _const(g, ACTIVATIONS[op][1](_xp(g), arr, None, **p))
        for op in PIECEWISE_LINEAR
    },
}


# torch's node for the gradient of the ops whose backward is an op of its own (gelu_backward, ...)
_DOUBLE_NAMES = {
    "gelu": "GeluBackwardBackward0",
    "elu": "EluBackwardBackward0",
    "celu": "EluBackwardBackward0",
    "softplus": "SoftplusBackwardBackward0",
    "hardswish": "HardswishBackwardBackward0",
    "logsigmoid": "LogSigmoidBackwardBackward0",
}


@rule(*(ACTIVATION_OPS[op] for op in _ACTIVATION_DERIVATIVES))
def _activation(node, g):
    arr, _, params = node.saved
    op = type(node).op
    out = g * _ACTIVATION_DERIVATIVES[op](node.inputs[0], g, arr, params, None)
    return (renamed(out, _DOUBLE_NAMES[op]) if op in _DOUBLE_NAMES else out,)


@rule(Glu)
def _glu(node, g):
    """a * sigmoid(b) of x's halves: (g sigmoid(b), g a sigmoid(b) (1 - sigmoid(b))) side by side."""
    x, dim = node.inputs[0], node.saved[1]
    h = x.shape[dim] // 2
    a, b = x.narrow(dim, 0, h), x.narrow(dim, h, h)
    s = b.sigmoid()
    return (Cat.apply(g * s, (1 - s) * s * a * g, dim=dim),)


@rule(PreluKernel)
def _prelu(node, g):
    """x where x > 0 (the mask a constant), else weight * x."""
    x, w = node.inputs
    pos = node.saved[0] > 0
    gx = Where.apply(pos, g, w * g) if _need(node, 0) else None
    gw = _sum_to(Where.apply(pos, _zero(g), x * g), w) if _need(node, 1) else None
    return gx, gw


@rule(SmoothL1)
def _smooth_l1(node, g):
    """d g / beta (d g for huber) strictly inside the band, +-g (+-delta g) from its ends out (the
    same first derivative there; torch's second one is 0 at the ends); the band a constant."""
    a, b = node.inputs
    beta, huber = node.saved[2:4]
    d_arr = node.saved[0] - node.saved[1]
    lo, hi = d_arr <= -beta, d_arr >= beta
    edge = beta if huber else 1.0
    gd = Where.apply(lo, -edge * g, Where.apply(hi, edge * g, (a - b) * (g if huber else g / beta)))
    return (_sum_to(gd, a) if _need(node, 0) else None, _sum_to(-gd, b) if _need(node, 1) else None)


@rule(Logsumexp)
def _logsumexp(node, g):
    """grad * exp(a - logsumexp(a)), the result as torch's saved result (its node)."""
    (a,) = node.inputs
    _, _, dims, keepdim = node.saved
    out = _result(node)
    if not keepdim:
        kept = tuple(1 if i in dims else n for i, n in enumerate(a.shape))
        g, out = Reshape.apply(g, shape=kept), Reshape.apply(out, shape=kept)
    return (g * Exp.apply(a - out),)


@rule(Var, Std)
def _var(node, g):
    """2 / (n - correction) * grad * (a - mean a); Std's grad / (2 std) first, 0 where std is 0."""
    (a,) = node.inputs
    _, out, axes, dof, keepdim = node.saved
    kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    gk = g if keepdim else Reshape.apply(g, shape=kept)
    if isinstance(node, Std):
        zero = out.reshape(kept) == 0
        std = Reshape.apply(_result(node), shape=kept)
        gk = Where.apply(zero, _zero(g), gk / (2 * _safe(zero, std, g)))
    centered = a - a.mean(dim=axes, keepdim=True) if axes else a - a
    return (gk * (2.0 / dof if dof else float("inf")) * centered,)


# ----------------------------------------------------------------------------- binary cross-entropies


def _loss_grad(node, g, weight, reduction):
    """Each element's share of the loss's gradient g (binary_loss.py's, in Tensor ops)."""
    n = node.inputs[0].numel()
    ge = g / n if reduction == "mean" and n else g
    return ge if weight is None else ge * _const(g, weight)


@rule(SoftMarginLoss)
def _soft_margin_loss(node, g):
    x, y = node.inputs
    z = (-y * x).exp()
    return (_loss_grad(node, g, None, node.saved[2]) * (-y * z / (z + 1)) if _need(node, 0) else None), None


@rule(BinaryCrossEntropy)
def _binary_cross_entropy(node, g):
    p, y = node.inputs
    _, _, weight, reduction = node.saved
    ge = _loss_grad(node, g, weight, reduction)
    gp = ge * (p - y) / (p * (1 - p)).clamp(min=1e-12) if _need(node, 0) else None
    gy = ge * ((-p).log1p() - p.log()) if _need(node, 1) else None
    return gp, gy


@rule(BinaryCrossEntropyWithLogits)
def _binary_cross_entropy_with_logits(node, g):
    z, y = node.inputs
    _, _, weight, pos_weight, reduction = node.saved
    ge = _loss_grad(node, g, weight, reduction)
    pw = None if pos_weight is None else _const(g, pos_weight)
    gz = gy = None
    if _need(node, 0):
        s = z.sigmoid()
        gz = ge * (s - y if pw is None else (pw * y + 1 - y) * s - pw * y)
    if _need(node, 1):
        log_sigmoid = ACTIVATION_OPS["logsigmoid"].apply
        gy = ge * (-z if pw is None else log_sigmoid(-z) - log_sigmoid(z) * pw)
    return gz, gy


@rule(RunningNorm)
def _running_norm(node, g):
    """Eval-mode batch_norm's gradients (norm.py) in Tensor ops: the statistics are constants."""
    x, weight, _ = node.inputs
    _, _, mean, r, view = node.saved
    dims = (0,) + tuple(range(2, x.ndim))
    rv = _const(g, r.reshape(view))
    dx = g * (rv if weight is None else Reshape.apply(weight, shape=view) * rv) if _need(node, 0) else None
    dw = (g * ((x - _const(g, mean.reshape(view))) * rv)).sum(dim=dims) if _need(node, 1) else None
    db = g.sum(dim=dims) if _need(node, 2) else None
    return dx, dw, db
