"""Elementwise ops: + - * / ** where max/min, and the unary math (exp, log, tanh, ...).

They compute with the table's array namespace `self.bk.xp`; gradients of broadcast
operands are summed back to their shapes by `_unbroadcast`.

inf - inf, inf * 0, NaN cast to an int: torch gives NaN (or garbage) silently, NumPy adds a
RuntimeWarning. The hot ops (+, -, *) cannot afford an np.errstate block per call (it costs as
much as the op), so one warnings filter, set here, silences NumPy's floating-point warnings
raised from pyneuro's own code (only those: a user's NumPy code still warns).
"""

from __future__ import annotations

import operator as _operator
import warnings

import numpy as _np

from .._dtype import quiet_cast
from .._shapes import one_dim as _one_dim
from .._tensor_base import TensorBase
from ..backends.special_xp import clamp_high, clamp_low
from .function import _RELEASED, Function, _current_backend, _errstate, _shape_of, _unbroadcast, quiet

warnings.filterwarnings(
    "ignore", r"(invalid value|divide by zero|overflow) encountered", RuntimeWarning, r"pyneuro(\.|$)"
)

# ----------------------------------------------------------------------------- elementwise: binary


class _KeepsShapes(Function):
    """A node whose backward reads only its inputs' shapes (Add, Sub): at release each released
    input leaves a stand-in of its shape (a zero-stride array: no memory), so a kept graph holds
    no activation (a residual `x + f(x)`), and a second backward still unbroadcasts, as torch's."""

    __slots__ = ()
    passes_gradient = True

    def let_go(self):
        before = self.inputs
        super().let_go()
        self.inputs = tuple(
            _shape_of_released(a) if r is _RELEASED else r for a, r in zip(before, self.inputs)
        )


def _shape_of_released(a):
    out = object.__new__(TensorBase)
    out._retain, out._node, out.device = False, None, a.device
    out._data = _np.broadcast_to(_np.zeros((), _np.float32), a._data.shape)
    return out


class Add(_KeepsShapes):
    """out = a + b (broadcasting). d/da = 1, d/db = 1, summed back over broadcast axes."""

    __slots__ = ()
    number_edge = "any"
    saves_tensors = False

    def forward(self, a, b):
        try:
            return a + b  # nothing to save: backward reads the input shapes from self.inputs
        except RuntimeWarning:  # (a user's warnings filter turned NumPy's inf - inf warning into an error)
            with _errstate(self.bk.xp):
                return a + b

    def backward(self, g):
        a, b = self.inputs
        return (
            _unbroadcast(g, a.shape) if self.needs[0] else None,
            _unbroadcast(g, b.shape) if self.needs[1] else None,
        )


class Sub(_KeepsShapes):
    """out = a - b. d/da = 1, d/db = -1."""

    __slots__ = ()
    number_edge = "second"
    saves_tensors = False

    def forward(self, a, b):
        try:
            return a - b
        except RuntimeWarning:  # (as Add's)
            with _errstate(self.bk.xp):
                return a - b

    def backward(self, g):
        a, b = self.inputs
        return (
            _unbroadcast(g, a.shape) if self.needs[0] else None,
            _unbroadcast(-g, b.shape) if self.needs[1] else None,
        )


_F16 = _np.dtype(_np.float16)
_INF = float("inf")
_NUMBERS = (int, float)


def half_by_number(a, b, op):
    """op(a, b) where a float16 array meets a Python number, as torch computes it: in float32
    with the number as it is, rounded to float16 once (NumPy rounds the number to float16
    first: x * 70000 would be inf, x / 1e5 zero, x * 1e-6 off by 1.7%). None otherwise."""
    if b.__class__ in _NUMBERS and getattr(a, "dtype", None) == _F16:
        with _np.errstate(all="ignore"):  # (x / 0 and overflow to inf: no warning, as torch)
            return op(a.astype(_np.float32), b).astype(_F16)
    if a.__class__ in _NUMBERS and getattr(b, "dtype", None) == _F16:
        with _np.errstate(all="ignore"):
            return op(a, b.astype(_np.float32)).astype(_F16)
    return None


class Mul(Function):
    """out = a * b. d/da = b, d/db = a."""

    __slots__ = ()
    number_edge = "any"
    saved_for = ((1,), (0,))  # a is read for b's gradient, b for a's
    packs_reversed = True  # (torch's MulBackward0 saves other, then self)

    def forward(self, a, b):
        self.saved = (a, b)
        if (b.__class__ in _NUMBERS or a.__class__ in _NUMBERS) and (
            half := half_by_number(a, b, _operator.mul)
        ) is not None:
            return half
        try:
            return a * b
        except (
            RuntimeWarning
        ):  # (inf * 0 under a user's filter that makes warnings errors: torch warns never)
            with _errstate(self.bk.xp):
                return a * b

    def backward(self, g):
        a, b = self.saved
        return (
            _unbroadcast(g * b, a.shape) if self.needs[0] else None,
            _unbroadcast(g * a, b.shape) if self.needs[1] else None,
        )


class Div(Function):
    """out = a / b. d/da = 1/b, d/db = -a/b^2, computed as -(a/b)/b as torch does (b*b would
    overflow or underflow in float32 where the gradient itself is finite).

    A Python number over a float tensor (1 / x) is torch's reciprocal(x) * number: the same
    arithmetic, torch's node name (MulBackward0), and only the reciprocal is kept, a private
    array, so changing x in place afterwards is no error, as in torch."""

    __slots__ = ()
    number_edge = "any"
    saved_for = ((1,), (0, 1))
    packs_reversed = True  # (torch's DivBackward0 saves other, then self)

    def saved_tensors(self):
        return (((), ()), False) if self.saved[1] is None else (self.saved_for, False)

    @quiet  # x / 0 is inf or nan without a warning, as in torch
    def forward(self, a, b):
        if b.__class__ in _NUMBERS and (half := half_by_number(a, b, _operator.truediv)) is not None:
            self.saved = (a, b, None)
            return half
        if not hasattr(a, "shape") and b.dtype.kind == "f":
            r = (1 / b).astype(b.dtype, copy=False)
            self.saved = (a, None, r)
            half = half_by_number(r, a, _operator.mul)
            return r * a if half is None else half
        self.saved = (a, b, None)
        return a / b

    @quiet
    def backward(self, g):
        a, b, r = self.saved
        if b is None:  # torch's ReciprocalBackward0 after MulBackward0
            return None, -(g * a) * (r * r)
        return (
            _unbroadcast(g / b, a.shape) if self.needs[0] else None,
            _unbroadcast(-g * ((a / b) / b), b.shape) if self.needs[1] else None,
        )


def _power(xp, a, b):
    """a ** b as torch's kernel computes it: a number exponent of 0.5 is sqrt and -0.5 is 1 / sqrt,
    which differ from pow at -0.0 (sqrt gives -0.0) and -inf (sqrt gives NaN); of 3 and -2 it
    multiplies (x ** 3 is x * x * x to the last bit, as torch's: pow rounds otherwise)."""
    if type(b) is float and (b == 0.5 or b == -0.5):
        root = xp.sqrt(a)
        return root if b > 0 else 1 / root
    if (
        type(b) in (int, float)
        and (b == 3 or b == -2)
        and getattr(a, "dtype", None) is not None
        and a.dtype.kind == "f"
    ):
        return a * a * a if b == 3 else 1 / (a * a)
    if getattr(b, "ndim", 0) and getattr(a, "dtype", None) == "float32" and xp is _np:  # tensor exponents
        # in float64, rounded once: torch's vectorised pow is that close (to the bit for x.pow([1, 2, 3])
        # of the polynomial tutorial) and keeps (-x) ** 3 == -(x ** 3); NumPy's float32 pow does neither
        return (a.astype("float64") ** b).astype("float32")
    return a**b


class Pow(Function):
    """out = a ** b. d/da = b * a^(b-1), d/db = out * log(a).

    At the points where those formulas read 0 * inf, torch's gradient is 0: d/da where b = 0
    (a^b is 1 for every a), d/db where a = 0 and b >= 0 (out is 0 or 1 and log a = -inf)."""

    __slots__ = ()
    saved_for = ((0, 1), (0, 1))

    def saved_tensors(self):
        # out is read for b's gradient; torch's node for a tensor exponent keeps it whichever needs grad
        return self.saved_for, isinstance(self.inputs[1], TensorBase)

    @quiet  # 0 ** -1, (-1) ** 0.5, overflow: inf/nan without a warning, as torch
    def forward(self, a, b):
        out = _power(self.bk.xp, a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved
        xp = self.bk.xp
        ga = gb = None
        if self.needs[0]:
            if isinstance(b, (int, float)):
                d = b * a if b == 2 else (b * _power(xp, a, b - 1) if b != 0 else xp.zeros_like(a))
            else:
                with _errstate(xp):
                    d = xp.where(b == 0, xp.zeros((), dtype=out.dtype), b * a ** (b - 1))
            ga = _unbroadcast(g * d, a.shape)
        if self.needs[1]:
            a_ = a if hasattr(a, "shape") else xp.asarray(a, dtype=out.dtype)
            with _errstate(xp):
                d = xp.where((a_ == 0) & (b >= 0), xp.zeros((), dtype=out.dtype), out * xp.log(a_))
                gb = _unbroadcast(g * d, b.shape)
        return ga, gb


class Where(Function):
    """out = a where cond else b. The gradient flows to the chosen side only."""

    __slots__ = ()
    saved_for = ()  # only the condition, which is not a tensor here

    def forward(self, cond, a, b):
        self.saved = (cond, _shape_of(a), _shape_of(b))
        return self.bk.xp.where(cond, a, b)

    def backward(self, g):
        cond, sa, sb = self.saved
        xp = self.bk.xp
        zero = xp.zeros((), dtype=g.dtype)
        return (
            None,
            _unbroadcast(xp.where(cond, g, zero), sa) if self.needs[1] else None,
            _unbroadcast(xp.where(cond, zero, g), sb) if self.needs[2] else None,
        )


class Maximum(Function):
    """out = maximum(a, b) (or minimum, largest=False): NaN propagates; where a == b each
    side gets half of the gradient, as in torch, and where either is NaN each gets all of it."""

    __slots__ = ("largest",)  # kept after backward frees `saved`: torch's name depends on it
    saved_for = ((0, 1), (0, 1))

    def forward(self, a, b, largest=True):
        xp = self.bk.xp
        self.largest = largest
        self.saved = (a, b, largest)
        return (xp.maximum if largest else xp.minimum)(a, b)

    def backward(self, g):
        a, b, largest = self.saved
        xp = self.bk.xp
        share = g * (1 - (a == b) * 0.5).astype(g.dtype)  # 1/2 on a tie, else all (NaN: both sides, as torch)
        a_loses, b_loses = (a < b, a > b) if largest else (a > b, a < b)
        zero = xp.zeros((), g.dtype)  # (where, not a product: a NaN gradient gives the loser 0, as torch)
        return (
            _unbroadcast(xp.where(a_loses, zero, share), _shape_of(a)) if self.needs[0] else None,
            _unbroadcast(xp.where(b_loses, zero, share), _shape_of(b)) if self.needs[1] else None,
        )


# ----------------------------------------------------------------------------- elementwise: unary


class Neg(Function):
    """out = -a."""

    __slots__ = ()
    saves_tensors = False
    passes_gradient = True

    def forward(self, a):
        if a.dtype.kind == "b":
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert "
                "a mask, use the `~` or `logical_not()` operator instead."
            )
        return -a

    def backward(self, g):
        return (-g,)


class Exp(Function):
    """out = e^a; d/da = out."""

    __slots__ = ()
    saved_for = ()
    saves_output = True

    @quiet  # exp(1000) is inf without a warning, as in torch
    def forward(self, a):
        out = self.bk.xp.exp(a)
        self.saved = (out,)
        return out

    def backward(self, g):
        return (g * self.saved[0],)


class Log(Function):
    """out = ln(a); d/da = 1/a."""

    __slots__ = ()
    saved_for = ((0,),)

    @quiet
    def forward(self, a):
        self.saved = (a,)
        return self.bk.xp.log(a)

    def backward(self, g):
        return (g / self.saved[0],)


class Sqrt(Function):
    """out = sqrt(a); d/da = 1 / (2 out)."""

    __slots__ = ()
    saved_for = ()
    saves_output = True

    @quiet
    def forward(self, a):
        out = self.bk.xp.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, g):
        return (g / (2 * self.saved[0]),)


class Root(Function):
    """out = s ** (1/p) for a sum of powers s >= 0: the last step of a p-norm (p=2: sqrt).

    d out/ds = out / (p s). At s = 0 (a zero vector) that is 0/0; like torch's norm and std
    backward, the gradient there is 0 instead of NaN, so F.normalize and
    cosine_similarity of an all-zero row (a padding embedding) train without NaNs. At s = inf
    (an inf element, or squares that overflow) it is inf/inf; its limit, 0, is taken, so the
    finite elements get torch's gradient x / norm = 0 (and an inf one NaN), not NaN all over.
    """

    __slots__ = ()
    saved_for = ((0,),)
    saves_output = True

    def forward(self, s, p=2):
        with _errstate(self.bk.xp):
            out = self.bk.xp.sqrt(s) if p == 2 else s ** (1.0 / p)
        self.saved = (s, out, p)
        return out

    def backward(self, g):
        s, out, p = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            d = g * out / (p * s)
        return (xp.where((s == 0) | (s == _INF), xp.zeros((), dtype=d.dtype), d),)


class Abs(Function):
    """out = |a|; d/da = sign(a) (0 at 0 and at NaN, like PyTorch's sgn)."""

    __slots__ = ()
    saved_for = ((0,),)

    def forward(self, a):
        if a.dtype.kind == "b":
            raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
        self.saved = (a,)
        return self.bk.xp.abs(a)

    def backward(self, g):
        a, xp = self.saved[0], self.bk.xp
        return (g * xp.where(a != a, xp.zeros((), dtype=a.dtype), xp.sign(a)),)


class Sigmoid(Function):
    """out = 1 / (1 + e^-a); d/da = out (1 - out)."""

    __slots__ = ()
    saved_for = ()
    saves_output = True

    @quiet
    def forward(self, a):
        xp = self.bk.xp
        out = 1 / (1 + xp.exp(-a))
        self.saved = (out,)
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        out = self.saved[0]
        return (g * (1 - out) * out,)  # in torch's order (sigmoid_backward), so to the same bit


class Elementwise(Function):
    """out = f(a) for one of the simpler math functions, with its derivative written beside it.

    name        f(a)                 d f / d a
    sin         sin a                cos a
    cos         cos a                -sin a
    log1p       log(1 + a)           1 / (1 + a)
    expm1       e^a - 1              out + 1
    reciprocal  1 / a                -out^2
    rsqrt       1 / sqrt(a)          -out^3 / 2
    round, floor, ceil, trunc, sign  0 (piecewise constant, as in torch)
    """

    __slots__ = ()

    def saved_tensors(self):
        name = self.saved[2]
        if name in ("sin", "cos", "log1p"):
            return ((0,),), False
        return (), name in ("expm1", "reciprocal", "rsqrt")

    def forward(self, a, name="sin"):
        xp = self.bk.xp
        with _errstate(xp):
            if name == "reciprocal":
                out = 1 / a
            elif name == "rsqrt":
                out = 1 / xp.sqrt(a)
            elif name == "round":
                out = xp.round(a)  # half to even, like torch.round
            elif name == "sign":  # torch's sign of NaN is 0 (NumPy's is NaN)
                out = xp.where(a != a, xp.zeros((), dtype=a.dtype), xp.sign(a))
            else:
                out = getattr(xp, name)(a)
        self.saved = (a, out, name)
        return out.astype(a.dtype, copy=False) if hasattr(out, "astype") else out

    def backward(self, g):
        a, out, name = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            if name == "sin":
                d = xp.cos(a)
            elif name == "cos":
                d = -xp.sin(a)
            elif name == "log1p":
                d = 1 / (1 + a)
            elif name == "expm1":
                d = out + 1
            elif name == "reciprocal":
                d = -(out * out)
            elif name == "rsqrt":
                d = -0.5 * out * out * out
            else:
                return (xp.zeros_like(g),)
            return (g * d,)


def _running_sum(xp, a, axis):
    """cumsum accumulated as torch's CPU kernel does, in a wider float (float32 in float64, float16
    in float32) and rounded once per output: NumPy's float32 running sum drifts (1e5 numbers: 0.2)."""
    if a.dtype.kind != "f" or a.dtype.itemsize == 8:
        return xp.cumsum(a, axis=axis)
    return xp.cumsum(a, axis=axis, dtype=xp.float64 if a.dtype.itemsize == 4 else xp.float32).astype(a.dtype)


class CumSum(Function):
    """out = running sum along dim; backward is the running sum of g taken from the end."""

    __slots__ = ()
    c_ordered = True
    saves_tensors = False
    passes_gradient = True

    def forward(self, a, dim=0):
        d = _one_dim(dim, a.ndim)
        self.saved = (d,)
        return _running_sum(self.bk.xp, a, d) if a.ndim else a.copy()

    def backward(self, g):
        (d,) = self.saved
        if g.ndim == 0:
            return (g,)
        xp = self.bk.xp
        return (xp.flip(_running_sum(xp, xp.flip(g, axis=d), d), axis=d),)


def _one_minus_square(xp, y):
    """1 - y * y as torch's tanh backward computes it: its vectorised CPU kernel fuses the two into
    one fma, rounded once, so `(1 - h**2) * dh` written out is close to torch's gradient but not
    equal to the bit (the "exact: False" of a hand-written tanh backward). For float32 the product
    is exact in float64, so computing there and rounding back gives the fma's result."""
    if y.dtype == _np.float32 and xp is _np:
        y64 = _np.array(y, dtype=_np.float64)  # (an array even for a 0-d y, which may be a NumPy
        # scalar; in place from here: as fast as the float32 formula)
        _np.multiply(y64, y64, out=y64)
        _np.subtract(1.0, y64, out=y64)
        return y64.astype(_np.float32)
    return 1 - y * y


class Tanh(Function):
    """out = tanh(a); d/da = 1 - out^2 (rounded once, as torch's)."""

    __slots__ = ()
    saved_for = ()
    saves_output = True

    def forward(self, a):
        out = self.bk.xp.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, g):
        out = self.saved[0]
        return (g * _one_minus_square(self.bk.xp, out),)


class Clamp(Function):
    """out = min(max(a, lo), hi); the gradient passes where lo <= a <= hi."""

    __slots__ = ()
    saved_for = ((0,),)
    reads_as_mask = True

    def forward(self, a, lo=None, hi=None):
        xp = self.bk.xp
        self.saved = (a, lo, hi)
        out = a
        if lo is not None:  # (a where a == lo: clamp(-0.0, min=0) is -0.0, as torch's)
            out = clamp_low(xp, out, xp.asarray(lo, dtype=a.dtype))
        if hi is not None:
            out = clamp_high(xp, out, xp.asarray(hi, dtype=a.dtype))
        return out if out is not a else a.copy()

    def backward(self, g):
        a, lo, hi = self.saved
        mask = None
        if lo is not None:
            mask = a >= lo
        if hi is not None:
            mask = (a <= hi) if mask is None else (mask & (a <= hi))
        # where(), not g * mask: an inf or NaN gradient from above still gives 0 outside (torch's
        # masked_fill), as in clamp(min=0).sqrt() of a negative
        return (g if mask is None else self.bk.xp.where(mask, g, self.bk.xp.zeros((), g.dtype)),)


class ClampTensors(Function):
    """out = min(max(a, lo), hi) with tensor bounds (lo or hi may be None), broadcast, NaN
    propagating (torch's clamp.Tensor): a gets the gradient where lo <= a <= hi, lo where
    a < lo < hi, hi where a > hi or hi < lo, none where out is NaN. The masks are taken at backward
    from a, lo and hi as they are then, as torch's node (which saves the three) does."""

    __slots__ = ()

    def forward(self, a, lo=None, hi=None):
        xp = self.bk.xp
        self.saved = (a, lo, hi)
        out = a
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return out

    def masks(self):
        """(where a, lo and hi get the gradient): boolean arrays of out's shape, or None."""
        a, lo, hi = self.saved
        xp = self.bk.xp
        if lo is None:
            picks = [a <= hi, None, a > hi]
        elif hi is None:
            picks = [a >= lo, a < lo, None]
        else:
            picks = [(a >= lo) & (a <= hi), (a < lo) & (lo < hi), (a > hi) | (hi < lo)]
        if a.dtype.kind == "f":  # (a NaN operand: the result is NaN, and no one gets its gradient)
            fine = ~xp.isnan(a)
            for bound in (lo, hi):
                if bound is not None:
                    fine = fine & ~xp.isnan(bound)
            picks = [None if m is None else m & fine for m in picks]
        return picks

    def backward(self, g):
        xp = self.bk.xp
        zero = xp.zeros((), g.dtype)
        return tuple(
            _unbroadcast(xp.where(m, g, zero), _shape_of(t)) if m is not None and need else None
            for m, t, need in zip(self.masks(), self.saved, self.needs)
        )

    @property
    def next_functions(self):
        """torch's ClampBackward0 lists a missing bound too (as no edge); ClampMin/MaxBackward1 do not."""
        edges = list(Function.next_functions.fget(self))
        if self.name() == "ClampBackward0":
            for i in (1, 2):
                if self.inputs[i] is None:
                    edges.insert(i, (None, 0))
        return tuple(edges)


class Cast(Function):
    """out = a converted to dtype; the gradient is converted back (float dtypes only)."""

    __slots__ = ()
    saves_tensors = False
    passes_gradient = True

    def forward(self, a, dtype=None):
        self.saved = (a.dtype,)
        return quiet_cast(a, dtype)

    def backward(self, g):
        src = self.saved[0]
        return (g.astype(src) if src.kind == "f" else None,)


class ToDevice(Function):
    """Copy to another device through the host; the gradient goes back the same way."""

    __slots__ = ()
    saved_for = ()

    def forward(self, a, device=None):
        src_bk = self.bk
        dst_bk = _current_backend(device)
        self.saved = (src_bk, dst_bk)
        self.device = device
        self.bk = dst_bk
        return dst_bk.asarray(src_bk.to_numpy(a))

    def backward(self, g):
        src_bk, dst_bk = self.saved
        return (src_bk.asarray(dst_bk.to_numpy(g)),)


class SmoothL1(Function):
    """The losses of smooth_l1_loss (huber False: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5
    beta) and huber_loss (huber True, beta its delta: 0.5 d^2 where |d| <= delta, else delta
    (|d| - 0.5 delta)), d = a - b, per element. Backward recomputes d from a and b as they are
    then, as torch's nodes (which save both) do: clip(d / beta, -1, 1), times delta for huber."""

    __slots__ = ()
    saved_for = ((0, 1), (0, 1))

    def forward(self, a, b, beta=1.0, huber=False):
        self.saved = (a, b, beta, huber)
        xp = self.bk.xp
        with _errstate(xp):
            d = a - b
            ad = xp.abs(d)
            if huber:
                out = xp.where(ad <= beta, 0.5 * d * d, beta * (ad - 0.5 * beta))
            else:
                out = xp.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
        return out.astype(a.dtype, copy=False)

    def backward(self, g):
        a, b, beta, huber = self.saved
        xp = self.bk.xp
        with _errstate(xp):
            d = a - b
            # (torch's kernels: the ends count as the linear part in huber's, either in smooth_l1's)
            if huber:
                gd = xp.where(d <= -beta, -beta * g, xp.where(d >= beta, beta * g, d * g))
            else:
                gd = xp.where(d < -beta, -g, xp.where(d > beta, g, d * g / beta))
        gd = gd.astype(a.dtype, copy=False)
        return (gd if self.needs[0] else None, -gd if self.needs[1] else None)
