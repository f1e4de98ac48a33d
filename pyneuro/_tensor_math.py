"""Tensor's remaining elementwise math: trigonometric and hyperbolic functions, erf, logical
and bitwise ops, the comparison spellings (eq, greater, ...), rounding (round, floor, ceil,
trunc, sign), the in-place `_` forms, and norm (vector p-norms and the nuclear norm).

A mixin of pyneuro.tensor.Tensor. Each method is the torch-level function of the same name
in functions_math.py, with the tensor as `input` (t.atan2(o) is pn.atan2(t, o)).

The in-place forms (t.tan_(), t.eq_(o), t.addcmul_(a, b), ...) all follow one rule, `_update`:
compute the out-of-place result, check that its dtype can be written into this tensor's (torch
refuses float results into an integer tensor), and write it into this tensor's memory through
InplaceMethods (_tensor_inplace.py), which bumps the version counter, raises torch's error for
a leaf that requires grad, and records the op in the graph when an operand requires grad.
"""

from __future__ import annotations

import builtins

from . import autograd as _ag
from . import creation as _creation
from . import functions_logical as _fl
from . import functions_math as _fm
from ._arguments import UNSET_ZERO
from ._dtype import _PY_BOOL, _PY_FLOAT, can_cast, float16, torch_name
from ._errors import DTypeError
from ._shapes import normalize_dims, one_dim
from ._tensor_base import TensorBase, _backend, _broadcast_check, _wrap, need_tensor
from .autograd import linalg as _ag_linalg


def _method(fn):
    """The Tensor method that is the free function fn with the tensor as its `input`."""

    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


class MathMethods:
    """The elementwise math methods of Tensor (a mixin: it has no state of its own)."""

    __slots__ = ()

    # ------------------------------------------------------------------ rounding (zero gradient)
    def _rounding(self, name):
        if name != "sign":  # as torch: no floor/ceil/round/trunc kernel for bools
            _fm.not_for(self, "b", f"{name}_vml")
        if self._data.dtype.kind != "f":  # integers are already whole (sign of an int stays int)
            return (
                _wrap(_backend(self.device).xp.sign(self._data), self.device)
                if name == "sign" and self._data.dtype.kind != "b"
                else self.clone()  # a bool's sign is itself
            )
        return _ag.Elementwise.apply(self, name=name)

    def round(self, decimals=UNSET_ZERO):
        """Round half to even (0.5 -> 0, 1.5 -> 2), like torch.round; zero gradient. decimals
        given, even 0, is torch's other overload (RoundBackward1), which has no integer kernel."""
        if decimals is UNSET_ZERO:
            return self._rounding("round")
        if not decimals:
            _fm.not_for(self, "iub", "round_vml")
            return _ag.renamed(self._rounding("round"), "RoundBackward1")
        _fm.not_for(self, "iub", "round")  # torch's rule: round(x * 10^d) / 10^d, for floats only
        if self.dtype == float16:  # torch's kernel: in float32, rounded to float16 once
            return _ag.renamed(self.float().round(decimals=decimals).half(), "RoundBackward1")
        if decimals < 0:  # round(x / 10^-d) * 10^-d: 10^d (0.001) is inexact, 10^-d is not
            scale = 10.0 ** (-decimals)
            return _ag.renamed((self / scale)._rounding("round") * scale, "RoundBackward1")
        return _ag.renamed((self * 10.0**decimals)._rounding("round") / 10.0**decimals, "RoundBackward1")

    def floor(self):
        return self._rounding("floor")

    def ceil(self):
        return self._rounding("ceil")

    def trunc(self):
        return self._rounding("trunc")

    def sign(self):
        return self._rounding("sign")

    def _update(self, fn, keep_values, *args, **kwargs):
        """self = fn(self, *args, **kwargs), in place: the body of every `_` method here.

        keep_values: fn's backward reads its input (so the old values are kept for it);
        False for the ops whose backward reads only their output (tan, exp2, ...)."""
        dtype = self._data.dtype

        def op(t):
            result = fn(t, *args, **kwargs)
            src = result._data.dtype
            if not can_cast(src, dtype):  # torch's rule: no float into an int, ...
                raise RuntimeError(
                    f"result type {torch_name(src)} can't be cast to the desired output type {torch_name(dtype)}"
                )
            if result._node is None and t._req:  # a comparison, say: the values, with a zero gradient
                xp = _backend(t.device).xp
                result = _ag.Where.apply(xp.ones((), dtype=bool), result._data.astype(dtype), t)
            return result

        # (_records: the leaf, view, multi-output-view, overlap and inference rules of every in-place op)
        other = next((x for x in (*args, *kwargs.values()) if isinstance(x, TensorBase) and x._req), None)
        if self._records(other):
            return self._record(op, keep_values)
        self._write(op(self))
        return self

    # ------------------------------------------------------------------ arithmetic
    subtract = _method(_fm.subtract)
    multiply = _method(_fm.multiply)
    divide = _method(_fm.divide)
    true_divide = _method(_fm.true_divide)
    negative = _method(_fm.negative)
    positive = _method(_fm.positive)
    absolute = _method(_fm.absolute)
    exp2 = _method(_fm.exp2)
    frac = _method(_fm.frac)
    fix = _method(_fm.fix)
    fmod = _method(_fm.fmod)
    float_power = _method(_fm.float_power)
    ldexp = _method(_fm.ldexp)
    lerp = _method(_fm.lerp)
    addcmul = _method(_fm.addcmul)
    addcdiv = _method(_fm.addcdiv)

    # ------------------------------------------------------------------ trigonometric, hyperbolic, special
    tan = _method(_fm.tan)
    asin = arcsin = _method(_fm.asin)
    acos = arccos = _method(_fm.acos)
    atan = arctan = _method(_fm.atan)
    atan2 = arctan2 = _method(_fm.atan2)
    sinh = _method(_fm.sinh)
    cosh = _method(_fm.cosh)
    asinh = arcsinh = _method(_fm.asinh)
    acosh = arccosh = _method(_fm.acosh)
    atanh = arctanh = _method(_fm.atanh)
    sinc = _method(_fm.sinc)
    hypot = _method(_fm.hypot)
    deg2rad = _method(_fm.deg2rad)
    rad2deg = _method(_fm.rad2deg)
    erf = _method(_fm.erf)
    erfc = _method(_fm.erfc)
    erfinv = _method(_fm.erfinv)
    lgamma = _method(_fm.lgamma)
    digamma = _method(_fm.digamma)
    i0 = _method(_fm.i0)
    mvlgamma = _method(_fm.mvlgamma)
    angle = _method(_fm.angle)
    frexp = _method(_fm.frexp)
    conj = resolve_conj = resolve_neg = _method(_fm.conj)
    conj_physical = _method(_fm.conj_physical)
    is_conj = _method(_fm.is_conj)
    is_neg = _method(_fm.is_neg)

    def polygamma(self, n):
        """polygamma(n, self): torch's method takes n first, like the function."""
        return _fm.polygamma(n, self)

    logit = _method(_fm.logit)
    xlogy = _method(_fm.xlogy)
    logaddexp = _method(_fm.logaddexp)
    logaddexp2 = _method(_fm.logaddexp2)

    # ------------------------------------------------------------------ signs, steps and limits
    copysign = _method(_fm.copysign)
    heaviside = _method(_fm.heaviside)
    fmax = _method(_fm.fmax)
    fmin = _method(_fm.fmin)
    nextafter = _method(_fm.nextafter)
    sgn = _method(_fm.sgn)
    signbit = _method(_fm.signbit)
    nan_to_num = _method(_fm.nan_to_num)
    isposinf = _method(_fm.isposinf)
    isneginf = _method(_fm.isneginf)
    isreal = _method(_fm.isreal)

    # ------------------------------------------------------------------ comparisons, logical, bitwise
    greater = _method(_fl.greater)
    greater_equal = _method(_fl.greater_equal)
    less = _method(_fl.less)
    less_equal = _method(_fl.less_equal)
    not_equal = _method(_fl.not_equal)
    logical_and = _method(_fl.logical_and)
    logical_or = _method(_fl.logical_or)
    logical_xor = _method(_fl.logical_xor)
    bitwise_and = _method(_fl.bitwise_and)
    bitwise_or = _method(_fl.bitwise_or)
    bitwise_xor = _method(_fl.bitwise_xor)
    bitwise_not = _method(_fl.bitwise_not)
    bitwise_left_shift = _method(_fl.bitwise_left_shift)
    bitwise_right_shift = _method(_fl.bitwise_right_shift)
    __lshift__ = bitwise_left_shift  # x << n, x >> n
    __rshift__ = bitwise_right_shift

    def __rlshift__(self, other):
        return _fl.bitwise_left_shift(other, self)

    def __rrshift__(self, other):
        return _fl.bitwise_right_shift(other, self)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    # x & y, x | y, x ^ y with bitwise_and's rules (an error for floats), both ways round and in place
    __and__, __or__, __xor__ = bitwise_and, bitwise_or, bitwise_xor

    def __rand__(self, other):
        return _fl.bitwise_and(other, self)

    def __ror__(self, other):
        return _fl.bitwise_or(other, self)

    def __rxor__(self, other):
        return _fl.bitwise_xor(other, self)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def __ifloordiv__(self, other):  # x //= y, x %= y: in place, as torch (not a new tensor)
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    gcd = _method(_fl.gcd)
    lcm = _method(_fl.lcm)

    def float_power_(self, exponent):
        """self ** exponent in place; self must be float64, the dtype of float_power's result (as torch)."""
        if self._data.dtype != _fm._float64:
            raise RuntimeError(
                f"the base given to float_power_ has dtype {torch_name(self._data.dtype)} but the "
                "operation's result requires dtype Double"
            )
        return self._update(_fm.float_power, True, exponent)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over all elements or along dim (p=2 or "fro": sqrt of the sum of squares).

        The gradient of a zero vector's norm is 0 (not NaN), and for p < 1 the gradient at a zero
        element is 0, as in torch. p = 0 counts the non-zeros; "nuc" sums the singular values.
        pn.linalg's vector_norm and matrix_norm("nuc") are built on this.
        """
        if dtype is not None:
            return self.to(dtype=dtype).norm(p, dim, keepdim)
        if hasattr(dim, "__index__") and not isinstance(dim, int):  # (np.int64(1), a 0-d int tensor)
            dim = dim.__index__()
        if self._data.dtype.kind != "f":
            raise DTypeError(f"norm: expected a floating point tensor as input, got {self.dtype}")
        if self._data.dtype == float16:  # computed in float32, as torch: squares of float16 overflow
            return _ag.renamed(self.float().norm(p, dim, keepdim).to(float16), "LinalgVectorNormBackward0")
        if p is None or (p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2)):
            p = 2  # torch: the vector 2-norm over all of dim
        elif isinstance(p, str):  # torch hands the other string orders to linalg.matrix_norm
            dims = tuple(range(self.ndim)) if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
            if len(dims) != 2:
                raise RuntimeError(
                    f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
                )
            if p != "nuc":
                raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
            dim = dims
        if p == 0:  # the number of non-zeros; its gradient is 0 (masked_fill keeps the link, NaN-free)
            count = (self != 0).to(self.dtype).sum(dim=dim, keepdim=keepdim)
            zero = _creation.tensor(True, device=self.device)
            return count + self.masked_fill(zero, 0).sum(dim=dim, keepdim=keepdim) if self._req else count
        if p == "nuc":  # the sum of the singular values of the matrices over dim (a pair)
            pair = (-2, -1) if dim is None else tuple(dim)
            if len(pair) != 2 or normalize_dims(pair[0], self.ndim) == normalize_dims(pair[1], self.ndim):
                raise RuntimeError(f"norm: the nuclear norm needs two different dims, got {pair}")
            d0, d1 = one_dim(pair[0], self.ndim), one_dim(pair[1], self.ndim)
            out = _ag_linalg.Svd.apply(self.movedim((d0, d1), (-2, -1)), part="S", full=False).sum(-1)
            return out.unsqueeze(builtins.min(d0, d1)).unsqueeze(builtins.max(d0, d1)) if keepdim else out
        if p == 1:  # (torch's node saves its result too: a change of it raises)
            out = _ag.renamed(self.abs().sum(dim=dim, keepdim=keepdim), "LinalgVectorNormBackward0")
            return _ag.watch(out, out)
        if p in (_PY_FLOAT("inf"), -_PY_FLOAT("inf")):
            a = self.abs()
            return _ag.renamed(
                a.amax(dim, keepdim) if p > 0 else a.amin(dim, keepdim), "LinalgVectorNormBackward0"
            )
        if p == 2:
            powers = self * self
        elif p > 1:
            powers = self.abs() ** p
        else:  # p < 1: d|x|^p/dx is infinite at x = 0, where torch's gradient is 0: keep 0 out of pow
            a = self.abs()
            zero = a == 0
            powers = (a.masked_fill(zero, 1.0) ** p).masked_fill(zero, 0.0 if p > 0 else _PY_FLOAT("inf"))
        return _ag.renamed(
            _ag.Root.apply(powers.sum(dim=dim, keepdim=keepdim), p=p), "LinalgVectorNormBackward0"
        )

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self - other| <= atol + rtol * |other|; as torch, other must be a Tensor of self's dtype."""
        need_tensor(other, "isclose", "other", 2)
        if self._data.dtype != other._data.dtype:
            raise DTypeError(f"{torch_name(self._data.dtype)} did not match {torch_name(other._data.dtype)}")
        if rtol < 0 or atol < 0:
            which, value = ("rtol", rtol) if rtol < 0 else ("atol", atol)
            raise RuntimeError(f"{which} must be greater than or equal to zero, but got {value}")
        if self._data.shape != other._data.shape:
            _broadcast_check(self, other, "isclose")
        xp = _backend(self.device).xp
        return _wrap(
            xp.isclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan), self.device
        )

    def equal(self, other) -> bool:
        need_tensor(other, "equal", "other", 2)
        return self.shape == other.shape and _PY_BOOL((self._data == other._data).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        need_tensor(other, "allclose", "other", 2)
        return _PY_BOOL(self.isclose(other, rtol, atol, equal_nan).all())


# The in-place forms: name_ is self = name(self, ...), through MathMethods._update. The ops whose
# backward reads only their output need no copy of the old values (False); the rest do (True).
_INPLACE = {
    "abs": True, "absolute": True, "neg": True, "negative": True, "sign": True, "sgn": True, "square": True,
    "reciprocal": False, "sqrt": False, "rsqrt": False, "exp": False, "exp2": False, "expm1": False,
    "log": True, "log2": True, "log10": True, "log1p": True, "sigmoid": False, "tanh": False,
    "sin": True, "cos": True, "tan": False, "asin": True, "arcsin": True, "acos": True, "arccos": True,
    "atan": True, "arctan": True, "sinh": True, "cosh": True, "asinh": True, "arcsinh": True,
    "acosh": True, "arccosh": True, "atanh": True, "arctanh": True, "sinc": True, "deg2rad": True,
    "rad2deg": True, "erf": True, "erfc": True, "erfinv": True, "lgamma": True, "digamma": True,
    "i0": True, "polygamma": True, "mvlgamma": True, "logit": True, "nan_to_num": True, "frac": True, "fix": True, "floor": True,
    "ceil": True, "round": True, "trunc": True, "clamp_min": True, "clamp_max": True, "clip": True,
    "atan2": True, "arctan2": True, "hypot": True, "xlogy": True, "copysign": True, "heaviside": True,
    "fmod": True, "remainder": True, "floor_divide": True, "divide": True, "true_divide": True,
    "subtract": True, "multiply": True, "ldexp": True, "lerp": True, "addcmul": True, "addcdiv": True,
    "nextafter": True, "conj_physical": True, "eq": True, "ne": True, "lt": True, "le": True, "gt": True, "ge": True,
    "greater": True, "greater_equal": True, "less": True, "less_equal": True, "not_equal": True,
    "logical_and": True, "logical_or": True, "logical_xor": True, "logical_not": True,
    "bitwise_and": True, "bitwise_or": True, "bitwise_xor": True, "bitwise_not": True,
    "bitwise_left_shift": True, "bitwise_right_shift": True, "gcd": True, "lcm": True,
}  # fmt: skip


def _inplace_form(name, keep_values):
    # the torch-level function where there is one (it has torch's full rules: remainder's
    # gradient, div's rounding_mode), else the Tensor method (sigmoid, floor, ...)
    fn = getattr(_fm, name, None) or (lambda t, *args, **kwargs: getattr(t, name)(*args, **kwargs))
    if name == "polygamma":  # polygamma(n, input): the tensor second
        fn = lambda t, n: _fm.polygamma(n, t)

    def method(self, *args, **kwargs):
        return self._update(fn, keep_values, *args, **kwargs)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In place: self = self.{name}(...) (see MathMethods._update)."
    return method


for _name, _keep in _INPLACE.items():
    setattr(MathMethods, _name + "_", _inplace_form(_name, _keep))
