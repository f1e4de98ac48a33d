"""Each op's backward written in differentiable ops: the rules of create_graph=True.

A Function's `backward(self, g)` computes its vector-Jacobian product on backend arrays, and
nothing records it. The rule for the same op here computes the same product from Tensors, with
the op's inputs as they are in the graph, so every multiplication, sum and reshape of it is a
node (graph_backward.py runs the rules under grad mode). Side by side:

    Tanh.backward(g):     g * (1 - out * out)           on arrays (out saved by forward)
    rule for Tanh:        y = Tanh.apply(a)              recomputed from the input Tensor a,
                          g * (1 - y * y)                so d/da of this gradient is recorded

What a rule reads of an input that is not differentiable (a mask, the positions of a max, an
index) it takes from the arrays forward saved, as constants. Every op a rule uses has a rule
itself, so gradients can be taken to any order.

    rule_for(node) -> rule(node, g) -> one Tensor (or None) per input of the node
"""

from __future__ import annotations

import math

from .._tensor_base import TensorBase, _wrap
from ..backends._registry import table_for
from .custom import _CtxNode, _Output
from .elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    ClampTensors,
    CumSum,
    Div,
    Elementwise,
    Exp,
    Log,
    Maximum,
    Mul,
    Neg,
    Pow,
    Root,
    Sigmoid,
    Sqrt,
    Sub,
    Tanh,
    ToDevice,
    Where,
)
from .fused import MSE, CrossEntropy, EmbeddingLookup, Linear, LogSoftmax, MatMul, ReLU, Softmax
from .index import IndexPut
from .inplace import Copy, CopySlices, region_positions
from .math import UNARY_OPS, Lerp
from .reduction import AMaxMin, MaxMinAll, MaxMinDim, Mean, Sum
from .shape import (
    Cat,
    Clone,
    Diagonal,
    Expand,
    Index,
    Named,
    Permute,
    Reshape,
    Stack,
    renamed,
    writable_diagonal,
)

RULES: dict = {}


def rule(*classes):
    """Register the decorated function as the rule of these Function classes."""

    def register(fn):
        for cls in classes:
            RULES[cls] = fn
        return fn

    return register


def rule_for(node):
    """The rule of node's op (looked up along its class's bases: a node renamed to torch's
    name, MulBackward0, is a subclass of Mul); NotImplementedError if it has none."""
    for cls in type(node).__mro__:
        fn = RULES.get(cls)
        if fn is not None:
            return fn
    raise NotImplementedError(
        f"create_graph=True: the gradient of {node.name()} cannot be differentiated again in pyneuro "
        "(its backward has no rule in pyneuro/autograd/graph_rules.py)"
    )


# ----------------------------------------------------------------------------- helpers


def _const(g, array):
    """array (a mask, a scale) as a Tensor of g's dtype and device that records nothing."""
    xp = _xp(g)
    return _wrap(xp.asarray(array).astype(g._data.dtype, copy=False), g.device)


def _xp(g):
    return table_for(g, g.device).xp


def _result(node):
    """The node's output as torch's saved result: a Tensor whose grad_fn is the node itself and
    which shares the output's version counter. The ops whose backward reads their output (exp,
    tanh, softmax, ...) differentiate that, never a recomputation from the input: the input may
    have been changed in place since (only the output was saved and is version-checked), and a
    hook on the output must see the second pass's gradient too, as in torch."""
    for counter, _, arr, owner in node.versions:
        if owner is node:
            t = _wrap(arr, node.device, node, True)
            t._vc = counter
            return t
    raise RuntimeError(f"{node.name()}: its output was not saved for backward")


def _zeros_like(g):
    """Zeros of g's shape that record nothing (as the array backward's xp.zeros_like: not g * 0,
    which is NaN where g is inf)."""
    return _const(g, _xp(g).zeros(tuple(g.shape), dtype=g._data.dtype))


def _zero(g):
    return _const(g, _xp(g).zeros((), dtype=g._data.dtype))


def _sum_to(t, like):
    """t summed over the axes broadcasting added or stretched, to like's shape (None where like
    is not a Tensor: a Python number gets no gradient)."""
    if not isinstance(like, TensorBase):
        return None
    shape = tuple(like.shape)
    if tuple(t.shape) == shape:
        return t
    extra = t.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and t.shape[i + extra] != 1
    )
    return Reshape.apply(Sum.apply(t, dim=axes, keepdim=True), shape=shape)


def _basic(index) -> bool:
    """Is index plain slicing (ints, slices, None, Ellipsis), which selects each element once?"""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _scatter(g, shape, index):
    """zeros(shape) with g at index (added where an array index repeats a position)."""
    zeros = _wrap(_xp(g).zeros(shape, dtype=g._data.dtype), g.device)
    return IndexPut.apply(zeros, g, index=index, accumulate=not _basic(index))


def _gather(g, index):
    """g[index] in the graph."""
    return Index.apply(g, index=index, advanced=not _basic(index))


def _without(g, index):
    """g with the positions at index zeroed (values overwritten there: no gradient flows back)."""
    keep = _xp(g).ones(tuple(g.shape), dtype=bool)
    keep[index] = False
    return g * _const(g, keep)


def _need(node, i) -> bool:
    return len(node.needs) > i and node.needs[i]


# ----------------------------------------------------------------------------- elementwise: binary


@rule(Add)
def _add(node, g):
    a, b = node.inputs
    return _sum_to(g, a), _sum_to(g, b)


@rule(Sub)
def _sub(node, g):
    a, b = node.inputs
    return _sum_to(g, a), (_sum_to(-g, b) if _need(node, 1) else None)


@rule(Mul)
def _mul(node, g):
    a, b = node.inputs
    return (
        _sum_to(g * b, a) if _need(node, 0) else None,
        _sum_to(g * a, b) if _need(node, 1) else None,
    )


@rule(Div)
def _div(node, g):
    a, b = node.inputs
    return (
        _sum_to(g / b, a) if _need(node, 0) else None,
        _sum_to(-g * ((a / b) / b), b) if _need(node, 1) else None,
    )


@rule(Pow)
def _pow(node, g):
    """As Pow.backward, with torch's zeros where the formulas read 0 * inf; the masked-out
    side reads safe values (b = 1, a = 1) so that its own gradient is finite too."""
    a, b = node.inputs
    a_arr, b_arr, _ = node.saved
    ga = gb = None
    if _need(node, 0):
        if not isinstance(b, TensorBase):
            ga = g * 0 if b == 0 else (g * (2 * a) if b == 2 else g * (b * a ** (b - 1)))
        else:
            zero_b = b_arr == 0
            b1 = Where.apply(zero_b, _const(g, 1), b)
            ga = _sum_to(g * Where.apply(zero_b, _zero(g), b1 * a ** (b1 - 1)), a)
    if _need(node, 1):
        at = a if isinstance(a, TensorBase) else _const(g, a)
        skip = (_xp(g).asarray(a_arr) == 0) & (b_arr >= 0)
        a1 = Where.apply(skip, _const(g, 1), at)
        gb = _sum_to(g * Where.apply(skip, _zero(g), a1**b * Log.apply(a1)), b)
    return ga, gb


@rule(Where)
def _where(node, g):
    _, a, b = node.inputs
    cond = node.saved[0]
    zero = _zero(g)
    return (
        None,
        _sum_to(Where.apply(cond, g, zero), a) if _need(node, 1) else None,
        _sum_to(Where.apply(cond, zero, g), b) if _need(node, 2) else None,
    )


@rule(Maximum)
def _maximum(node, g):
    a, b, largest = node.saved
    wins = (a > b) if largest else (a < b)
    share_a = _const(g, wins + (a == b) * 0.5)
    ta, tb = node.inputs[:2]
    return (
        _sum_to(g * share_a, ta) if _need(node, 0) else None,
        _sum_to(g * (1 - share_a), tb) if _need(node, 1) else None,
    )


@rule(Lerp)
def _lerp(node, g):
    start, end, w = node.inputs
    return (
        _sum_to(g * (1 - w), start) if _need(node, 0) else None,
        _sum_to(g * w, end) if _need(node, 1) else None,
        _sum_to(g * (end - start), w) if _need(node, 2) else None,
    )


# ----------------------------------------------------------------------------- elementwise: unary


@rule(Neg)
def _neg(node, g):
    return (-g,)


@rule(Exp)
def _exp(node, g):
    return (g * _result(node),)


@rule(Log)
def _log(node, g):
    return (g / node.inputs[0],)


@rule(Sqrt)
def _sqrt(node, g):
    return (g / (2 * _result(node)),)


@rule(Root)
def _root(node, g):
    """d (s^(1/p)) / ds = out / (p s), 0 at s = 0 and s = inf (Root.backward); s = 1 stands in there."""
    (s,) = node.inputs
    s_arr, _, p = node.saved
    zero_s = (s_arr == 0) | (s_arr == float("inf"))
    s1 = Where.apply(zero_s, _const(g, 1), s)
    return (Where.apply(zero_s, _zero(g), g * _result(node) / (p * s1)),)


@rule(Abs)
def _abs(node, g):
    return (g * _const(g, _xp(g).sign(node.saved[0])),)


@rule(Sigmoid)
def _sigmoid(node, g):
    y = _result(node)
    return (renamed(g * y * (1 - y), "SigmoidBackwardBackward0"),)


@rule(Tanh)
def _tanh(node, g):
    y = _result(node)
    return (renamed(g * (1 - y * y), "TanhBackwardBackward0"),)


@rule(Elementwise)
def _elementwise(node, g):
    (a,) = node.inputs
    name = node.saved[2]
    if name == "sin":
        return (g * Elementwise.apply(a, name="cos"),)
    if name == "cos":
        return (g * -Elementwise.apply(a, name="sin"),)  # (torch's grad * -sin(x): a MulBackward0)
    if name == "log1p":
        return (g / (1 + a),)
    if name == "expm1":
        return (g * (_result(node) + 1),)
    if name in ("reciprocal", "rsqrt"):
        r = _result(node)
        return (-g * (r * r) if name == "reciprocal" else g * r * r * r * -0.5,)
    return (_zeros_like(g),)  # round, floor, ceil, trunc, sign: piecewise constant


def _unary(op, a, **params):
    return UNARY_OPS[op].apply(a, **params)


# d f / d a in Tensor ops, for the UNARY ops whose derivative is built from ops with rules;
# y() is the op's output (_result), for the derivatives math.UNARY writes with `out`
_UNARY_DERIVATIVES = {
    "tan": lambda a, y: 1 + y() ** 2,
    "asin": lambda a, y: Elementwise.apply(1 - a * a, name="rsqrt"),
    "acos": lambda a, y: -Elementwise.apply(1 - a * a, name="rsqrt"),
    "atan": lambda a, y: 1 / (1 + a * a),
    "sinh": lambda a, y: _unary("cosh", a),
    "cosh": lambda a, y: _unary("sinh", a),
    "asinh": lambda a, y: Elementwise.apply(a * a + 1, name="rsqrt"),
    "acosh": lambda a, y: Elementwise.apply(a * a - 1, name="rsqrt"),
    "atanh": lambda a, y: 1 / (1 - a * a),
    "exp2": lambda a, y: y() * math.log(2),
    "erf": lambda a, y: (2 / math.sqrt(math.pi)) * Exp.apply(-a * a),
    "erfc": lambda a, y: (-2 / math.sqrt(math.pi)) * Exp.apply(-a * a),
    "erfinv": lambda a, y: (math.sqrt(math.pi) / 2) * Exp.apply(_unary("erfinv", a) ** 2),  # from a, as torch
    "frac": lambda a, y: None,  # d/da (a - trunc a) = 1: g passes through
}


def _unary_rule(node, g):
    op = type(node).op
    derivative = _UNARY_DERIVATIVES.get(op)
    if derivative is None:
        raise NotImplementedError(
            f"create_graph=True: the gradient of {node.name()} cannot be differentiated again"
        )
    d = derivative(node.inputs[0], lambda: _result(node))
    return (g if d is None else g * d,)


rule(*(UNARY_OPS[op] for op in _UNARY_DERIVATIVES))(_unary_rule)


@rule(CumSum)
def _cumsum(node, g):
    (d,) = node.saved
    if g.ndim == 0:
        return (g,)
    flip = tuple(slice(None, None, -1) if i == d else slice(None) for i in range(g.ndim))
    return (Index.apply(CumSum.apply(Index.apply(g, index=flip), dim=d), index=flip),)


@rule(Clamp)
def _clamp(node, g):
    a, lo, hi = node.saved
    mask = True
    if lo is not None:
        mask = a >= lo
    if hi is not None:
        mask = mask & (a <= hi)
    return (g if mask is True else g * _const(g, mask),)


@rule(ClampTensors)
def _clamp_tensors(node, g):
    zero = _zero(g)  # (where, not a product: a NaN gradient gives 0 outside, as torch's masked_fill)
    return tuple(
        _sum_to(Where.apply(m, g, zero), t) if m is not None and _need(node, i) else None
        for i, (m, t) in enumerate(zip(node.masks(), node.inputs))
    )


@rule(Cast)
def _cast(node, g):
    src = node.saved[0]
    return (Cast.apply(g, dtype=src) if src.kind == "f" else None,)


@rule(ToDevice)
def _to_device(node, g):
    return (ToDevice.apply(g, device=node.inputs[0].device),)


# ----------------------------------------------------------------------------- fused ops


@rule(MatMul)
def _matmul(node, g):
    """dA = dC @ B^T, dB = A^T @ dC with 1-D operands made matrices and batch dims summed back."""
    a, b = node.inputs
    a2 = Reshape.apply(a, shape=(1, a.shape[0])) if a.ndim == 1 else a
    b2 = Reshape.apply(b, shape=(b.shape[0], 1)) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = Reshape.apply(
            g2, shape=tuple(g2.shape[:-1]) + (1,) + tuple(g2.shape[-1:]) if b.ndim > 1 else (1,)
        )
    if b.ndim == 1:
        g2 = Reshape.apply(g2, shape=tuple(g2.shape) + (1,))
    ga = gb = None
    if _need(node, 0):
        ga = Reshape.apply(_sum_to(MatMul.apply(g2, _mt(b2)), a2), shape=tuple(a.shape))
    if _need(node, 1):
        gb = Reshape.apply(_sum_to(MatMul.apply(_mt(a2), g2), b2), shape=tuple(b.shape))
    return ga, gb


def _mt(t):
    """t with its last two axes swapped."""
    dims = tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2)
    return Permute.apply(t, dims=dims)


@rule(Linear)
def _linear(node, g):
    x, w = node.inputs[:2]
    out_f, in_f = w.shape
    g2 = g if g.ndim == 2 else Reshape.apply(g, shape=(math.prod(g.shape[:-1]), out_f))
    gx = gw = gb = None
    if _need(node, 0):
        gx = MatMul.apply(g, w)
    if _need(node, 1):
        x2 = x if x.ndim == 2 else Reshape.apply(x, shape=(math.prod(x.shape[:-1]), in_f))
        gw = MatMul.apply(_mt(g2), x2)
    if _need(node, 2):
        gb = Sum.apply(g2, dim=0)
    return gx, gw, gb


@rule(ReLU)
def _relu(node, g):
    return (g * _const(g, node.saved[0] > 0),)


@rule(Softmax)
def _softmax(node, g):
    dim = node.saved[1]
    y = _result(node)
    return (renamed(y * (g - Sum.apply(g * y, dim=dim, keepdim=True)), "SoftmaxBackwardDataBackward0"),)


@rule(LogSoftmax)
def _log_softmax(node, g):
    dim = node.saved[1]
    p = Exp.apply(_result(node))
    return (renamed(g - p * Sum.apply(g, dim=dim, keepdim=True), "LogSoftmaxBackwardDataBackward0"),)


@rule(CrossEntropy)
def _cross_entropy(node, g):
    """dlogits = (softmax(logits) - onehot(targets)) * dlosses."""
    logits = node.inputs[0]
    targets, reduction = node.saved[1:3]
    n, c = logits.shape
    xp = _xp(g)
    onehot = xp.zeros((n, c), dtype=logits._data.dtype)
    onehot[xp.arange(n), targets] = 1
    d = Softmax.apply(logits, dim=-1) - _const(g, onehot)
    if reduction == "none":
        return d * Reshape.apply(g, shape=(n, 1)), None
    return d * (g / n if reduction == "mean" and n else g), None


@rule(MSE)
def _mse(node, g):
    a, b = node.inputs
    reduction = node.saved[2]
    d = a - b
    n = max(d.numel(), 1)
    gd = d * (g * (2 / n) if reduction == "mean" else g * 2)
    ga = renamed(gd, "MseLossBackwardBackward0") if _need(node, 0) else None
    return (ga, renamed(-gd, "MseLossBackwardBackward0") if _need(node, 1) else None)


@rule(EmbeddingLookup)
def _embedding(node, g):  # (a create_graph walk gives the dense gradient, also for sparse=True)
    shape, indices, padding_idx, _ = node.saved
    rows = indices.reshape(-1)
    g2 = Reshape.apply(g, shape=(-1, shape[1]))
    if padding_idx is not None:
        g2 = g2 * _const(g, (rows != padding_idx).reshape(-1, 1))
    zeros = _wrap(_xp(g).zeros(shape, dtype=g._data.dtype), g.device)
    return IndexPut.apply(zeros, g2, index=rows, accumulate=True), None


# ----------------------------------------------------------------------------- reductions


def _keep_dims(g, shape, dims, keepdim):
    return (
        g
        if keepdim or not shape
        else Reshape.apply(g, shape=tuple(1 if i in dims else n for i, n in enumerate(shape)))
    )


@rule(Sum)
def _sum(node, g):
    shape, dims, keepdim, _ = node.saved
    return (Expand.apply(_keep_dims(g, shape, dims, keepdim), shape=shape),)


@rule(Mean)
def _mean(node, g):
    shape, dims, keepdim, count, _ = node.saved
    g = g / count if count else g * float("nan")
    return (Expand.apply(_keep_dims(g, shape, dims, keepdim), shape=shape),)


@rule(MaxMinDim)
def _max_dim(node, g):
    shape, d, idx_k = node.saved
    if not shape:
        return (g,)
    xp = _xp(g)
    positions = xp.arange(shape[d]).reshape(tuple(-1 if i == d else 1 for i in range(len(shape))))
    return (_const(g, positions == idx_k) * Reshape.apply(g, shape=idx_k.shape),)


@rule(AMaxMin)
def _amax(node, g):
    a, v, dims = node.saved
    mask = a == v
    share = mask / mask.sum(axis=dims, keepdims=True)
    return (_const(g, share) * Reshape.apply(g, shape=v.shape),)


@rule(MaxMinAll)
def _max_all(node, g):
    a, out = node.saved
    mask = a == out
    return (_const(g, mask / mask.sum()) * g,)


# ----------------------------------------------------------------------------- shapes and indexing


@rule(Reshape)
def _reshape(node, g):
    return (Reshape.apply(g, shape=node.saved[0]),)


@rule(Permute)
def _permute(node, g):
    dims = node.saved[0]
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return (Permute.apply(g, dims=tuple(inverse)),)


@rule(Expand)
def _expand(node, g):
    return (_sum_to(g, node.inputs[0]),)


@rule(Index)
def _index(node, g):
    shape, _, index, _ = node.saved
    return (_scatter(g, shape, index),)


@rule(Diagonal)
def _diagonal(node, g):
    shape, offset, d1, d2 = node.saved
    xp = _xp(g)
    pos = writable_diagonal(xp.arange(math.prod(shape)).reshape(shape), offset, d1, d2)
    return (_scatter(g, shape, xp.unravel_index(pos, shape)),)


@rule(IndexPut)
def _index_put(node, g):
    a, values = node.inputs[:2]
    index, accumulate, vshape, _ = node.saved
    ga = gv = None
    if _need(node, 0):
        ga = g if accumulate else _without(g, index)
    if vshape is not None and _need(node, 1):
        gv = _sum_to(_gather(g, index), values)
    return ga, gv


@rule(Cat)
def _cat(node, g):
    d, sizes = node.saved
    out, start = [], 0
    for n in sizes:
        out.append(Index.apply(g, index=(slice(None),) * d + (slice(start, start + n),)))
        start += n
    return tuple(out)


@rule(Stack)
def _stack(node, g):
    d, n = node.saved
    return tuple(Index.apply(g, index=(slice(None),) * d + (i,)) for i in range(n))


@rule(Named, Clone)
def _identity(node, g):
    return (g,)


@rule(Copy)
def _copy(node, g):
    src = node.inputs[1] if len(node.inputs) > 1 else None
    g_dst = _zeros_like(g) if _need(node, 0) else None
    g_src = None
    if _need(node, 1):
        g_src = _sum_to(g, src)
        if g_src._data.dtype != src._data.dtype:
            g_src = Cast.apply(g_src, dtype=src._data.dtype)
    return g_dst, g_src


@rule(CopySlices)
def _copy_slices(node, g):
    shape, steps = node.saved
    region = region_positions(_xp(g), shape, steps)
    flat = Reshape.apply(g, shape=(-1,))
    g_base = g_r = None
    if _need(node, 0):
        g_base = Reshape.apply(_without(flat, region), shape=shape)
    if _need(node, 1):
        g_r = Index.apply(flat, index=region, advanced=True)
    return g_base, g_r


@rule(_Output)
def _custom_output(node, g):
    """One output of a multi-output custom Function: its gradient into its slot (custom.py)."""
    return node.backward(g)


@rule(_CtxNode)
def _custom(node, g):
    """A torch-style custom Function: its own backward, run under grad mode (custom.py)."""
    return node.tensor_grads(g)
