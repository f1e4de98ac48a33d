"""The elementwise activations torch computes with one kernel and one node each (gelu, silu, elu,
leaky_relu, the "hard" family, ...): one `Unary` node each, whose backward computes the derivative
from the input as it is when backward runs, as torch's node reads the input it saved (`self` in
torch's derivatives.yaml for every op here). So a change of the input that bumps no version
(`x.data.mul_(2)`, `x.detach().add_(1)` under no_grad is caught by the version check) between
forward and backward gives torch's gradient, and `x.data = other` too (the engine hands backward
the input's new array, engine.py); a composition of smaller ops would keep its forward-time
intermediates (masks, sigmoid(x)) instead.

Each entry: (value, derivative, what backward reads) as math.UNARY's, with the op's parameters
as keywords. The derivatives are torch's kernels' formulas (aten/src/ATen/native/cpu/Activation.cpp),
so the values at the kinks are torch's (hardtanh 0 at both ends, elu's negative branch at 0).
Their create_graph rules are in graph_rules_more.py.
"""

from __future__ import annotations

from ..backends.special_xp import clamp_high, gelu, gelu_grad
from .function import Function, _errstate, _unbroadcast
from .math import Unary, _op_classes


def _elu(xp, a, alpha=1.0, scale=1.0, input_scale=1.0):
    """scale x where x > 0, else alpha scale (exp(input_scale x) - 1), with expm1 (torch's kernel)."""
    neg = xp.expm1(clamp_high(xp, a, 0) * input_scale) * (alpha * scale)  # (elu(-0.0) is -0.0)
    return xp.where(a > 0, a * scale if scale != 1.0 else a, neg)


def _elu_grad(xp, a, out, alpha=1.0, scale=1.0, input_scale=1.0):
    """torch's elu_backward from the input: x <= 0 takes the negative branch (so x = 0 does)."""
    return xp.where(a <= 0, (alpha * scale * input_scale) * xp.exp(xp.minimum(a, 0) * input_scale), scale)


def _softplus(xp, a, beta=1.0, threshold=20.0):
    bx = a * beta
    return xp.where(bx > threshold, a, xp.log1p(xp.exp(xp.minimum(bx, threshold))) / beta)


def _softplus_grad(xp, a, out, beta=1.0, threshold=20.0):
    bx = a * beta
    z = xp.exp(xp.minimum(bx, threshold))
    return xp.where(bx > threshold, 1.0, z / (z + 1))


def _mish(xp, a):
    return a * xp.tanh(_softplus(xp, a))


def _mish_grad(xp, a, out):
    s = 1 / (1 + xp.exp(-a))
    t = xp.tanh(_softplus(xp, a))
    return t + a * s * (1 - t * t)


def _hardswish_grad(xp, a, out):
    # (0 at -3, 1 at 3: torch's)
    return xp.where(_hardswish_flat(xp, a), 0.0, xp.where(a < 3, a / 3 + 0.5, 1.0))


# Where each "hard" op's gradient is zero: torch's backward kernels select 0 there (a select, not
# grad * 0), so a negative, inf or NaN gradient from above still gives +0 (Activation.backward).
def _hardswish_flat(xp, a):
    return a <= -3


def _hardsigmoid_flat(xp, a):
    return (a <= -3) | (a >= 3)


def _hardtanh_flat(xp, a, lo, hi):
    return (a <= lo) | (a >= hi)


def _band(xp, a, lambd):
    return (a >= -lambd) & (a <= lambd)


def _threshold_flat(xp, a, threshold, value):
    return a <= threshold


def _silu_grad(xp, a, out):
    s = 1 / (1 + xp.exp(-a))
    return s * (1 + a * (1 - s))


def log_sigmoid(xp, a):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), torch's kernel's form (finite for every finite x)."""
    return xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))


def _logsigmoid_grad(xp, a, z):
    """sigmoid(-x) as torch's log_sigmoid_backward writes it: 1 - z / (1 + z) below 0, z / (1 + z)
    from 0 up (1/2 at 0), with x as it is at backward and z = exp(-|x|) the buffer forward saved."""
    share = z / (1 + z)
    return xp.where(a < 0, 1 - share, share)


_LEAKY = (
    lambda xp, a, slope: xp.where(a > 0, a, a * slope),
    lambda xp, a, out, slope: xp.where(a > 0, 1.0, slope),
    "a",
)

ACTIVATIONS = {
    "leaky_relu": _LEAKY,
    "rrelu": _LEAKY,  # (rrelu in evaluation: leaky_relu with the mean slope, torch's RreluWithNoise node)
    "logsigmoid": (log_sigmoid, _logsigmoid_grad, "a"),
    "gelu": (gelu, lambda xp, a, out, approximate="none": gelu_grad(xp, a, approximate), "a"),
    "silu": (lambda xp, a: a / (1 + xp.exp(-a)), _silu_grad, "a"),
    "elu": (_elu, _elu_grad, "a"),
    "celu": (_elu, _elu_grad, "a"),  # (elu with input_scale 1 / alpha: torch's celu node, its own name)
    "softplus": (_softplus, _softplus_grad, "a"),
    "mish": (_mish, _mish_grad, "a"),
    "hardswish": (lambda xp, a: a * xp.clip(a + 3, 0, 6) / 6, _hardswish_grad, "a"),
    "hardsigmoid": (
        lambda xp, a: xp.clip(a + 3, 0, 6) / 6,
        lambda xp, a, out: xp.where(_hardsigmoid_flat(xp, a), 0.0, 1 / 6),
        "a",
    ),
    "hardtanh": (
        lambda xp, a, lo, hi: xp.where(a < lo, lo, xp.where(a > hi, hi, a)),  # (relu6(-0.0) is -0.0)
        lambda xp, a, out, lo, hi: xp.where(_hardtanh_flat(xp, a, lo, hi), 0.0, 1.0),
        "a",
    ),
    "softshrink": (
        lambda xp, a, lambd: xp.where(_band(xp, a, lambd), 0.0, xp.where(a > 0, a - lambd, a + lambd)),
        lambda xp, a, out, lambd: xp.where(_band(xp, a, lambd), 0.0, 1.0),
        "a",
    ),
    "hardshrink": (
        lambda xp, a, lambd: xp.where(_band(xp, a, lambd), 0.0, a),
        lambda xp, a, out, lambd: xp.where(_band(xp, a, lambd), 0.0, 1.0),
        "a",
    ),
    "threshold": (
        lambda xp, a, threshold, value: xp.where(a <= threshold, value, a),
        lambda xp, a, out, threshold, value: xp.where(_threshold_flat(xp, a, threshold, value), 0.0, 1.0),
        "a",
    ),
}

# the ops whose derivative is a constant mask (no second derivative): their create_graph rule
# reads the derivative above on the saved array
PIECEWISE_LINEAR = ("leaky_relu", "rrelu", "hardsigmoid", "hardtanh", "softshrink", "hardshrink", "threshold")


# the ops whose gradient torch's kernel zeroes by a select on a region of the input (above)
FLAT = {
    "hardswish": _hardswish_flat,
    "hardsigmoid": _hardsigmoid_flat,
    "hardtanh": _hardtanh_flat,
    "softshrink": _band,
    "hardshrink": _band,
    "threshold": _threshold_flat,
}


class Activation(Unary):
    """One activation of ACTIVATIONS: Unary's forward and backward on that table; the gradient of
    an op of FLAT is +0 on its flat region whatever comes from above (torch's -1 * 0 is not -0
    there, nor inf * 0 NaN)."""

    __slots__ = ()
    table = ACTIVATIONS

    def backward(self, g):
        flat = FLAT.get(self.op)
        if flat is None:
            return super().backward(g)
        a, out, params = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            gd = g * self.table[self.op][1](xp, a, out, **params)
            return (xp.where(flat(xp, a, **params), xp.zeros((), g.dtype), gd).astype(g.dtype, copy=False),)


ACTIVATION_OPS = _op_classes(
    Activation,
    ACTIVATIONS,
    {"leaky_relu": "LeakyRelu", "rrelu": "RreluWithNoise", "logsigmoid": "LogSigmoid"},
)


class LogSigmoid(Activation):
    """logsigmoid: torch's node saves the input and forward's buffer exp(-|x|) (its backward reads
    the input's sign as it is then, the buffer as it was), so this one keeps z where Unary keeps out."""

    __slots__ = ()
    op = "logsigmoid"

    def forward(self, a):
        xp = self.bk.xp
        with _errstate(xp):
            z = xp.exp(-xp.abs(a))
            out = (xp.minimum(a, 0) - xp.log1p(z)).astype(a.dtype, copy=False)
        self.saved = (a, z, {})
        return out


ACTIVATION_OPS["logsigmoid"] = LogSigmoid


class Gelu(Activation):
    """gelu with the kernel table's gelu_forward / gelu_backward where it has them (numpy, cpu: its
    C++ kernels in float32), else the table's formula above on the backend's xp (the GPU backends).
    Saves what Unary saves, so backward reads the input as it is then, as every activation here."""

    __slots__ = ()
    op = "gelu"

    def forward(self, a, approximate="none"):
        bk = self.kernels(a)
        if not hasattr(bk, "gelu_forward"):
            return super().forward(a, approximate=approximate)
        out = bk.gelu_forward(a, approximate)
        self.saved = (a, out, {"approximate": approximate})
        return out

    def backward(self, g):
        a, _, params = self.saved
        if not hasattr(self.bk, "gelu_backward") or g.dtype != a.dtype or g.shape != a.shape:
            return super().backward(g)
        return (self.bk.gelu_backward(g, a, params["approximate"]),)


ACTIVATION_OPS["gelu"] = Gelu
ACTIVATION_OPS["selu"] = ACTIVATION_OPS["elu"]  # (torch's selu is its elu kernel: EluBackward0)


class Glu(Function):
    """glu(x, dim) = a * sigmoid(b), a and b x's halves along dim; backward recomputes sigmoid(b)
    from x as it is then (torch's GluBackward0 saves only x)."""

    __slots__ = ()
    c_ordered = True

    def forward(self, x, dim=-1):
        a, b = _halves(x, dim)
        with _errstate(self.bk.xp):
            out = a * (1 / (1 + self.bk.xp.exp(-b)))
        self.saved = (x, dim)
        return out.astype(x.dtype, copy=False)

    def backward(self, g):
        x, dim = self.saved
        xp = self.bk.xp
        a, b = _halves(x, dim)
        with _errstate(xp):
            s = 1 / (1 + xp.exp(-b))
            return (xp.concatenate([g * s, (1 - s) * s * a * g], axis=dim).astype(g.dtype, copy=False),)


def _halves(x, dim):
    h = x.shape[dim] // 2
    before = (slice(None),) * dim
    return x[before + (slice(0, h),)], x[before + (slice(h, None),)]


class PreluKernel(Function):
    """prelu: x where x > 0, else weight * x, with weight already shaped to broadcast; backward
    reads x and the weight as they are then (torch's PreluKernelBackward0 saves both)."""

    __slots__ = ()

    def forward(self, x, w):
        self.saved = (x, w)
        return self.bk.xp.where(x > 0, x, w * x).astype(x.dtype, copy=False)

    def backward(self, g):
        x, w = self.saved
        xp = self.bk.xp
        pos = x > 0
        gx = xp.where(pos, g, w * g).astype(g.dtype, copy=False) if self.needs[0] else None
        gw = (
            _unbroadcast(xp.where(pos, 0, x * g), w.shape).astype(g.dtype, copy=False)
            if self.needs[1]
            else None
        )
        return gx, gw
