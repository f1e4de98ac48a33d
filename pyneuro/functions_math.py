"""torch-level elementwise math: pn.tan, pn.erf, pn.atan2, pn.logical_and, pn.eq, pn.add, pn.div, ...

The rules live here, as free functions with torch's signatures (`input`, `other`, keyword-only
`alpha=`, `rounding_mode=`, `value=`); the Tensor methods of the same names (t.tan(),
t.atan2(o), and the in-place t.tan_()) call them (_tensor_math.py). The differentiable ones
run the autograd Functions of autograd/math.py (or compose Tensor ops whose gradients follow).

Dtypes follow torch: functions with a floating result (tan, erf, atan2, ...) turn integer and
bool inputs into float32 and keep float64 as float64; comparisons and logical ops give bool;
bitwise ops and gcd/lcm (functions_logical.py, on the operand rules here) take integers and
bools only (NotImplementedError for floats, as torch says); div(rounding_mode=...), fmod and remainder keep integers integers and raise torch's
ZeroDivisionError-RuntimeError for an integer division by zero.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import return_types
from ._dtype import _PY_BOOL, _PY_FLOAT, default_float, py_scalar, torch_name
from ._dtype import bool_ as _bool
from ._dtype import float64 as _float64
from ._errors import ArgumentError, ZeroDivision
from ._tensor_base import TensorBase, _backend, _broadcast_check, _promote, _wrap, need_tensor
from .autograd import math as _m
from .autograd.shape import renamed, watch
from .creation import arange as _arange
from .functions import clamp_tensors, number_tensor

if TYPE_CHECKING:  # annotations only
    from .tensor import Tensor

# fmt: off
__all__ = [
    # arithmetic
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "rsub", "neg",
    "negative", "positive", "absolute", "square", "reciprocal", "rsqrt", "expm1", "exp2", "log2", "log10", "frac",
    "fix", "fmod", "remainder", "float_power", "ldexp", "lerp", "addcmul", "addcdiv",
    # trigonometric, hyperbolic, special
    "tan", "asin", "arcsin", "acos", "arccos", "atan", "arctan", "atan2", "arctan2", "sinh", "cosh", "asinh",
    "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "sinc", "hypot", "deg2rad", "rad2deg", "erf", "erfc",
    "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "logit", "xlogy", "logaddexp", "logaddexp2",
    # signs, steps and limits
    "copysign", "heaviside", "fmax", "fmin", "nextafter", "sgn", "signbit", "nan_to_num", "clip", "clamp_min",
    "clamp_max", "isnan", "isinf", "isfinite", "isneginf", "isposinf", "isreal", "angle", "frexp", "conj",
    "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "is_neg",
]  # (comparisons, logical and bitwise ops: functions_logical.py)
# fmt: on


# ----------------------------------------------------------------------------- operands
def _operands(input, other, fname, scalars=True):
    """(a, b) for a binary op: promoted like torch, b left a Python number when it is one.

    scalars=False: both must be Tensors (torch's TypeError otherwise); with scalars=True a number
    as `input` becomes a 0-d tensor beside the Tensor `other` (pn.remainder(-5, t))."""
    if not scalars:
        need_tensor(input, fname)
        need_tensor(other, fname, "other", 2)
    elif not isinstance(input, TensorBase):
        input = number_tensor(py_scalar(input), need_tensor(other, fname, "other", 2))
    a, b = input._other(other)
    if isinstance(b, TensorBase) and a._data.shape != b._data.shape:
        _broadcast_check(a, b, fname)
    return a, b


def _floats(a, b):
    """a and b in a floating dtype (integers and bools become the default float), for ops with a float result."""
    if a._data.dtype.kind != "f":
        a = a._cast(default_float())
    if isinstance(b, TensorBase) and b._data.dtype.kind != "f":
        b = b._cast(a._data.dtype)
    return a, b


def not_for(t, kinds, fname):
    """torch's NotImplementedError for an op without a kernel for t's dtype ("frac_cpu" ... 'Long')."""
    if t._data.dtype.kind in kinds:
        raise NotImplementedError(f"\"{fname}_cpu\" not implemented for '{torch_name(t._data.dtype)}'")


def _array(x):
    return x._data if isinstance(x, TensorBase) else x


def _plain(a, values) -> Tensor:
    """A result with no gradient (integers, bools, indices): the array wrapped on a's device."""
    return _wrap(_backend(a.device).xp.asarray(values), a.device)


def _unary(name, input, **params) -> Tensor:
    return _m.UNARY_OPS[name].apply(need_tensor(input, name)._floating(), **params)


def float_scalar(x):
    """A Python or NumPy int operand of an op with a floating result, read as a float (as torch:
    not wrapped into an integer tensor's dtype first; uint8_tensor / -2 is -1.5, not / 254)."""
    return _PY_FLOAT(x) if type(x) is int or isinstance(x, np.integer) else x


def float_operands(input, other):
    """The operands of an op with a floating result (true division, atan2, ...) as torch reads them:
    each integer operand converted to the default float on its own, not first promoted to a common
    integer dtype (torch.tensor([7], dtype=uint8) / torch.tensor(-2) is -3.5: -2 is not wrapped)."""
    if isinstance(input, TensorBase) and isinstance(other, TensorBase):
        both_ints = input._data.dtype.kind in "iub" and other._data.dtype.kind in "iub"
        return (input._cast(default_float()), other._cast(default_float())) if both_ints else (input, other)
    return float_scalar(input), float_scalar(other)


def _binary(name, input, other, scalars=True, ints=True) -> Tensor:
    """A floating binary op of autograd/math.py's BINARY table (atan2, hypot, xlogy, ...);
    ints=False: torch has no kernel for integer operands (NotImplementedError)."""
    if ints:
        a, b = _operands(*float_operands(input, other), name, scalars)
    else:  # (the pair's promoted dtype names the missing kernel: "logaddexp_cpu" ... 'Long')
        a, b = _operands(input, other, name, scalars)
        not_for(a, "iub", name)
    out = _m.BINARY_OPS[name].apply(*_floats(a, b))
    if out.grad_fn is not None and not (isinstance(input, TensorBase) and isinstance(other, TensorBase)):
        # torch's Scalar overloads have nodes of their own: xlogy(2, t) XlogyBackward1, xlogy(t, 2)
        # XlogyBackward2; copysign(t, 2) CopysignBackward1 (its only Scalar overload)
        number = "2" if isinstance(input, TensorBase) and name != "copysign" else "1"
        out = renamed(out, type(out.grad_fn).__name__[:-1] + number)
    return out


def _check_integer_divisor(a, b):  # (not when the result is empty, as torch: no element is divided)
    d = _backend(a.device).xp.asarray(_array(b))
    if a._data.dtype.kind in "iub" and a._data.size and d.size and not _PY_BOOL((d != 0).all()):
        raise ZeroDivision("ZeroDivisionError")


# ----------------------------------------------------------------------------- arithmetic
def scaled(a, other, alpha):
    """alpha * other for a + alpha * other: in the dtype a + other has, as torch promotes before
    it scales (a uint8 200 with alpha=2 against a float tensor is 400, not 200 * 2 wrapped to 144)."""
    if isinstance(other, TensorBase):
        _, o = _promote(a, other)
        kind = o._data.dtype.kind
    else:
        o = other
        kind = "f" if isinstance(other, _PY_FLOAT) or a._data.dtype.kind == "f" else a._data.dtype.kind
        if kind == "b" and not isinstance(other, _PY_BOOL):
            kind = "i"
    if isinstance(alpha, _PY_BOOL) and kind != "b":
        raise ArgumentError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, _PY_FLOAT) and kind in "iub":
        raise ArgumentError("For integral input tensors, argument alpha must not be a floating point number.")
    if kind == "b":  # bool + alpha * bool: alpha only says whether other counts
        return o if alpha else o ^ o
    return o * alpha  # (a number: Python's exact product, still a weak number)


def scalar_first(name: str, scalar, tensor):
    """torch's deprecated overloads with the number first: x.add_(-lr, grad) (the classic
    char-RNN update) is x.add_(grad, alpha=-lr); addcmul_(value, t1, t2) likewise. Returns
    (tensor, scalar) after torch's warning."""
    warnings.warn(
        f"This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor other)\nConsider using "
        f"one of the following signatures instead:\n\t{name}(Tensor other, *, Number alpha = 1)",
        UserWarning,
        stacklevel=3,
    )
    return tensor, scalar


def alpha_args(name: str, other, args: tuple, alpha):
    """(other, alpha) of add/sub and their methods: alpha is keyword-only (torch.add(a, b, 2) is
    torch's TypeError), except in torch's deprecated form add(Number alpha, Tensor other) and
    where other is a number (torch's add.Scalar overload: x.add(5, 2) is x + 10)."""
    if not args:
        return other, alpha
    if len(args) == 1 and isinstance(args[0], TensorBase) and not isinstance(other, TensorBase):
        return scalar_first(name, other, args[0])
    if len(args) == 1 and all(
        isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in (other, args[0])
    ):
        return other, args[0]
    raise TypeError(
        f"{name}() received an invalid combination of arguments: alpha is keyword-only (alpha=...)"
    )


def add(input, other, *args, alpha=1) -> Tensor:
    """input + alpha * other (broadcasting, torch's type promotion); add(input, alpha, other) is
    torch's deprecated form."""
    other, alpha = alpha_args("add", other, args, alpha)
    a = input if isinstance(input, TensorBase) else number_tensor(py_scalar(input), need_tensor(other, "add"))
    return a.add(other, alpha=alpha)


def sub(input, other, *args, alpha=1) -> Tensor:
    """input - alpha * other (sub(input, alpha, other): torch's deprecated form)."""
    other, alpha = alpha_args("sub", other, args, alpha)
    a = input if isinstance(input, TensorBase) else number_tensor(py_scalar(input), need_tensor(other, "sub"))
    check_bool_sub(a, True if isinstance(input, _PY_BOOL) else other)  # (True - t: refused too)
    return a.sub(other, alpha=alpha)


def check_bool_sub(a, other) -> None:
    """torch refuses a - b where either side is bool (t - t, t - True, t.sub(...), rsub)."""
    if (
        a._data.dtype.kind == "b"
        or isinstance(other, _PY_BOOL)
        or (
            other._data.dtype.kind == "b"
            if isinstance(other, TensorBase)
            else getattr(other, "dtype", None) == _bool
        )
    ):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )


subtract = sub


def rsub(input, other, *args, alpha=1) -> Tensor:
    """other - alpha * input (sub with the operands swapped); alpha by position with a number
    `other` (torch's rsub.Scalar: rsub(x, 5, 2) is 5 - 2x)."""
    other, alpha = alpha_args("rsub", other, args, alpha)
    out = sub(other, need_tensor(input, "rsub"), alpha=alpha)
    return renamed(out, "RsubBackward0" if isinstance(other, TensorBase) else "RsubBackward1")


def mul(input, other) -> Tensor:
    return input * other if isinstance(input, TensorBase) else need_tensor(other, "mul", "other", 2) * input


multiply = mul


def div(input, other, *, rounding_mode=None) -> Tensor:
    """input / other; rounding_mode "trunc" rounds toward zero, "floor" down (integers stay
    integers then, and an integer division by zero raises); those have a zero gradient."""
    if rounding_mode is None:
        a, b = _operands(*float_operands(input, other), "div")
        return a / b
    if rounding_mode not in ("trunc", "floor"):
        raise ArgumentError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    a, b = _operands(input, other, "div")
    not_for(a, "b", f"div_{rounding_mode}")  # (bool // bool: torch has no kernel)
    if a._data.dtype.kind == "f":
        return _m.BINARY_OPS["div_" + rounding_mode].apply(a, b)
    _check_integer_divisor(a, b)
    xp = _backend(a.device).xp
    x, y = a._data, _array(b)
    q = xp.floor_divide(x, y)
    if rounding_mode == "trunc":  # floor, then one up where the exact quotient was negative and not whole
        q = q + ((x - q * y != 0) & ((x < 0) != (xp.asarray(y) < 0)))
    return _plain(a, q)


divide = div


def true_divide(input, other) -> Tensor:
    return div(input, other)


def floor_divide(input, other) -> Tensor:
    """input // other, rounded down, like div(rounding_mode="floor") but, as in torch, without a
    derivative (backward through it raises)."""
    a, b = _operands(input, other, "floor_divide")
    not_for(a, "b", "div_floor")
    if a._data.dtype.kind == "f":
        return _m.BINARY_OPS["floor_divide"].apply(a, b)
    return div(a, b, rounding_mode="floor")


def neg(input) -> Tensor:
    return need_tensor(input, "neg").neg()


negative = neg


def positive(input) -> Tensor:
    """input itself (torch refuses it for bool tensors)."""
    if need_tensor(input, "positive")._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def absolute(input) -> Tensor:
    not_for(need_tensor(input, "absolute"), "b", "abs")
    return input.abs()


def square(input) -> Tensor:
    """input * input (a bool tensor squares to int64, like torch)."""
    t = need_tensor(input, "square")
    return (t.long() if t._data.dtype.kind == "b" else t).square()


def reciprocal(input) -> Tensor:
    return need_tensor(input, "reciprocal").reciprocal()


def rsqrt(input) -> Tensor:
    return need_tensor(input, "rsqrt").rsqrt()


def expm1(input) -> Tensor:
    return need_tensor(input, "expm1").expm1()


def exp2(input) -> Tensor:
    """2 ** input; d/dx = ln 2 * 2^x."""
    return _unary("exp2", input)


def log2(input) -> Tensor:
    return need_tensor(input, "log2").log2()


def log10(input) -> Tensor:
    return need_tensor(input, "log10").log10()


def frac(input) -> Tensor:
    """input - trunc(input) (floats only, as torch); gradient 1."""
    not_for(need_tensor(input, "frac"), "iub", "frac")
    return _m.UNARY_OPS["frac"].apply(input)


def fix(input) -> Tensor:
    not_for(need_tensor(input, "fix"), "b", "trunc")
    return input.trunc()


def fmod(input, other) -> Tensor:
    """The remainder of input / other rounded toward zero: its sign is input's (C's fmod).
    d/dinput = 1, d/dother = -trunc(input / other)."""
    a, b = _operands(need_tensor(input, "fmod"), other, "fmod")
    not_for(a, "b", "fmod")
    if a._data.dtype.kind == "f":
        return _m.BINARY_OPS["fmod"].apply(a, b)
    _check_integer_divisor(a, b)
    return _plain(a, _backend(a.device).xp.fmod(a._data, _array(b)))


def remainder(input, other) -> Tensor:
    """Python's modulus: input - floor(input / other) * other, with other's sign.
    d/dinput = 1, d/dother = -floor(input / other)."""
    a, b = _operands(input, other, "remainder")
    not_for(a, "b", "remainder")
    if a._data.dtype.kind == "f":
        return _m.BINARY_OPS["remainder"].apply(a, b)
    _check_integer_divisor(a, b)
    return _plain(a, _backend(a.device).xp.remainder(a._data, _array(b)))


def check_int_exponent(base, exponent) -> None:
    """torch's error for an integer tensor to a negative Python int power (uint8_tensor ** -2 too; a
    NumPy integer is one as well: torch reads it as a number)."""
    if (
        (type(exponent) is int or isinstance(exponent, np.integer))
        and exponent < 0
        and base._data.dtype.kind in "iu"
    ):
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def negative_int_power(base, exponent) -> bool:
    """Is base ** exponent an integer tensor to integer tensor powers some of which are negative?"""
    return (
        isinstance(exponent, TensorBase)
        and base._data.dtype.kind in "iu"
        and exponent._data.dtype.kind in "iu"
        and bool((exponent._data < 0).any())
    )


def int_pow(base, exponent) -> Tensor:
    """Integer tensor ** integer tensor holding negative exponents, as torch computes it (no
    error, unlike NumPy): 1 ** -n is 1, (-1) ** -n is +-1, any other base ** -n truncates to 0."""
    xp = _backend(base.device).xp
    a, n = xp.broadcast_arrays(base._data, exponent._data)
    positive = a ** xp.maximum(n, 0)
    unit = xp.where(a == 1, 1, xp.where(a == -1, xp.where(n % 2 == 0, 1, -1), 0)).astype(positive.dtype)
    return _wrap(xp.where(n >= 0, positive, unit), base.device)


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64 (torch's rule: the result is always double)."""
    if not isinstance(input, TensorBase):  # number ** tensor: torch's Scalar-base node, PowBackward2
        return need_tensor(exponent, "float_power", "exponent", 2)._cast(_float64).__rpow__(_PY_FLOAT(input))
    b = exponent._cast(_float64) if isinstance(exponent, TensorBase) else _PY_FLOAT(exponent)
    return input._cast(_float64) ** b


def ldexp(input, other) -> Tensor:
    """input * 2 ** other."""
    a, b = _operands(input, other, "ldexp", scalars=False)
    if a._data.dtype.kind == "f":
        not_for(other, "b", "ldexp")
    return renamed(a * float_power(2.0, b)._cast(a._floating()._data.dtype), "LdexpBackward0")


def lerp(input, end, weight) -> Tensor:
    """input + weight * (end - input): the three in one floating dtype (torch's rule)."""
    need_tensor(input, "lerp")
    need_tensor(end, "lerp", "end", 2)
    not_for(input, "iub", "lerp_kernel_tensor" if isinstance(weight, TensorBase) else "lerp_kernel_scalar")
    node = "LerpBackward1" if isinstance(weight, TensorBase) else None  # (torch's Tensor-weight node)
    if isinstance(weight, TensorBase) and weight.ndim == 0 and weight._data.dtype != input._data.dtype:
        weight = weight.item()  # torch reads a 0-d weight of another dtype as a number
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, TensorBase) and t._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"expected dtype {torch_name(input._data.dtype).lower()} for `{name}` but got dtype "
                f"{torch_name(t._data.dtype).lower()}"
            )
    for t in (end, weight):
        if isinstance(t, TensorBase) and t._data.shape != input._data.shape:
            _broadcast_check(input, t, "lerp")
    out = _m.Lerp.apply(input, end, weight if isinstance(weight, TensorBase) else _PY_FLOAT(weight))
    return renamed(out, node) if node else out


def addcmul(input, tensor1, tensor2, *args, value=1) -> Tensor:
    """input + value * tensor1 * tensor2 (the product in the dtype of the result, as torch's);
    addcmul(input, value, tensor1, tensor2) is torch's deprecated form."""
    if args:
        if isinstance(tensor1, TensorBase) or len(args) != 1:  # (addcmul(a, b, c, 2): value is keyword-only)
            raise TypeError("addcmul() received an invalid combination of arguments: value is keyword-only")
        (tensor1, tensor2), value = scalar_first("addcmul", tensor1, (tensor2, args[0]))
    t1, t2 = _promote(
        need_tensor(tensor1, "addcmul", "tensor1", 2), need_tensor(tensor2, "addcmul", "tensor2", 3)
    )
    _, t1 = _promote(need_tensor(input, "addcmul"), t1)
    _, t2 = _promote(input, t2)
    not_for(input, "b", "addcmul")
    prod = t1 * t2
    out_int = need_tensor(input, "addcmul")._data.dtype.kind in "iub" and prod._data.dtype.kind in "iub"
    if value != 1:
        prod = prod * (int(value) if out_int else value)
    return renamed(input + prod, "AddcmulBackward0")


def addcdiv(input, tensor1, tensor2, *args, value=1) -> Tensor:
    """input + value * tensor1 / tensor2 (not for two integer tensors, as in torch);
    addcdiv(input, value, tensor1, tensor2) is torch's deprecated form."""
    if args:
        if isinstance(tensor1, TensorBase) or len(args) != 1:  # (addcdiv(a, b, c, 2): value is keyword-only)
            raise TypeError("addcdiv() received an invalid combination of arguments: value is keyword-only")
        (tensor1, tensor2), value = scalar_first("addcdiv", tensor1, (tensor2, args[0]))
    need_tensor(input, "addcdiv")
    if need_tensor(tensor1, "addcdiv", "tensor1", 2)._data.dtype.kind in "iub" and (
        need_tensor(tensor2, "addcdiv", "tensor2", 3)._data.dtype.kind in "iub"
    ):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release addcdiv will "
            "perform a true division of tensor1 and tensor2. Use addcmul(input, tensor1, 1 / tensor2) instead."
        )
    _, t1 = _promote(
        input, tensor1
    )  # (in the dtype of the result, as torch's: float64 input, float32 operands)
    _, t2 = _promote(input, tensor2)
    quot = t1 / t2
    out = renamed(input + (quot * value if value != 1 else quot), "AddcdivBackward0")
    return watch(out, tensor2)  # (torch's node saves tensor2 even when only input needs a gradient)


# ----------------------------------------------------------------------------- trigonometric, hyperbolic, special
def tan(input) -> Tensor:
    """tan x; d/dx = 1 + tan^2 x."""
    return _unary("tan", input)


def asin(input) -> Tensor:
    """arcsin x; d/dx = 1 / sqrt(1 - x^2)."""
    return _unary("asin", input)


def acos(input) -> Tensor:
    """arccos x; d/dx = -1 / sqrt(1 - x^2)."""
    return _unary("acos", input)


def atan(input) -> Tensor:
    """arctan x; d/dx = 1 / (1 + x^2)."""
    return _unary("atan", input)


def sinh(input) -> Tensor:
    return _unary("sinh", input)


def cosh(input) -> Tensor:
    return _unary("cosh", input)


def asinh(input) -> Tensor:
    return _unary("asinh", input)


def acosh(input) -> Tensor:
    return _unary("acosh", input)


def atanh(input) -> Tensor:
    return _unary("atanh", input)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def atan2(input, other) -> Tensor:
    """The angle of the point (other, input): arctan(input / other) in the right quadrant.
    d/dinput = other / r^2, d/dother = -input / r^2 (0 at the origin, as torch)."""
    return _binary("atan2", input, other, scalars=False)


arctan2 = atan2


def sinc(input) -> Tensor:
    """sin(pi x) / (pi x), 1 at 0 (the normalized sinc)."""
    return _unary("sinc", input)


def hypot(input, other) -> Tensor:
    """sqrt(input^2 + other^2) without overflow; floats only (as torch)."""
    a, b = _operands(input, other, "hypot", scalars=False)
    not_for(a, "iub", "hypot")
    return _m.BINARY_OPS["hypot"].apply(a, b)


def deg2rad(input) -> Tensor:
    return renamed(need_tensor(input, "deg2rad")._floating() * (math.pi / 180), "Deg2RadBackward0")


def rad2deg(input) -> Tensor:
    return renamed(need_tensor(input, "rad2deg")._floating() * (180 / math.pi), "Rad2DegBackward0")


def erf(input) -> Tensor:
    """The error function 2/sqrt(pi) * integral_0^x e^(-t^2) dt; d/dx = 2/sqrt(pi) e^(-x^2)."""
    return _unary("erf", input)


def erfc(input) -> Tensor:
    """1 - erf(x), accurate where erf(x) is close to 1."""
    return _unary("erfc", input)


def erfinv(input) -> Tensor:
    """The inverse of erf on (-1, 1) (+-inf at +-1, NaN outside); d/dy = sqrt(pi)/2 e^(erfinv(y)^2)."""
    return _unary("erfinv", input)


def lgamma(input) -> Tensor:
    """log |Gamma(x)|; d/dx = digamma(x)."""
    return _unary("lgamma", input)


def digamma(input) -> Tensor:
    """Gamma'(x) / Gamma(x); d/dx = polygamma(1, x)."""
    return _unary("digamma", input)


def polygamma(n, input) -> Tensor:
    """The n-th derivative of digamma (n = 0: digamma itself); d/dx = polygamma(n + 1, x)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return _unary("polygamma", input, n=n)


def mvlgamma(input, p) -> Tensor:
    """The multivariate log-gamma function: sum_{i<p} lgamma(x - i/2) + p (p-1)/4 log(pi)."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    t = need_tensor(input, "mvlgamma")._floating()
    # as torch's: lgamma of x - (p-1)/2, ..., x - 1/2, x side by side, summed (p = 10**6: one op, not a
    # million in a Python loop)
    steps = _arange(-p * 0.5 + 0.5, 0.5, 0.5, dtype=t.dtype, device=t.device)
    total = lgamma(t.unsqueeze(-1) + steps).sum(-1)
    return renamed(total + p * (p - 1) / 4 * math.log(math.pi), "MvlgammaBackward0")


def i0(input) -> Tensor:
    """The modified Bessel function of the first kind, order 0; d/dx = I1(x)."""
    return _unary("i0", input)


def logit(input, eps=None) -> Tensor:
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] if eps is given (then the gradient
    is 0 outside that range; without eps it is NaN outside [0, 1], as torch)."""
    return _unary("logit", input, eps=None if eps is None else _PY_FLOAT(eps))


def xlogy(input, other) -> Tensor:
    """input * log(other), 0 where input is 0 (unless other is NaN)."""
    return _binary("xlogy", input, other)


def logaddexp(input, other) -> Tensor:
    """log(e^input + e^other), without overflow."""
    return _binary("logaddexp", input, other, scalars=False, ints=False)


def logaddexp2(input, other) -> Tensor:
    """log2(2^input + 2^other)."""
    return _binary("logaddexp2", input, other, scalars=False, ints=False)


# ----------------------------------------------------------------------------- signs, steps and limits
def copysign(input, other) -> Tensor:
    """|input| with other's sign (-0.0 counts as negative); d/dinput = +-1 (0 at 0), d/dother = 0."""
    return _binary("copysign", need_tensor(input, "copysign"), other)


def heaviside(input, values) -> Tensor:
    """0 where input < 0, 1 where input > 0, values where input == 0 (backward raises, as in torch)."""
    need_tensor(input, "heaviside")
    need_tensor(values, "heaviside", "values", 2)
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if input._data.shape != values._data.shape:
        _broadcast_check(input, values, "heaviside")
    if input._data.dtype.kind == "f":
        return _m.BINARY_OPS["heaviside"].apply(input, values)
    xp = _backend(input.device).xp
    return _plain(input, xp.heaviside(input._data, values._data).astype(input._data.dtype, copy=False))


def _fmax_fmin(name, input, other) -> Tensor:
    a, b = _operands(input, other, name, scalars=False)
    if a._data.dtype.kind != "f":
        xp = _backend(a.device).xp
        return _plain(a, (xp.maximum if name == "fmax" else xp.minimum)(a._data, b._data))
    return _m.BINARY_OPS[name].apply(a, b)


def fmax(input, other) -> Tensor:
    """The larger of the two, ignoring NaN (NaN only where both are); all of the gradient to the
    side it picks (input on ties)."""
    return _fmax_fmin("fmax", input, other)


def fmin(input, other) -> Tensor:
    return _fmax_fmin("fmin", input, other)


def nextafter(input, other) -> Tensor:
    """The next representable float after input in other's direction; the gradient passes to input
    where it moved (torch's rule), none to other."""
    a, b = _operands(input, other, "nextafter", scalars=False)
    not_for(a, "iub", "nextafter")
    return _m.BINARY_OPS["nextafter"].apply(a, b)


def sgn(input) -> Tensor:
    """The sign of a real tensor (torch's complex-aware sign); bools stay as they are."""
    t = need_tensor(input, "sgn")
    return t.clone() if t._data.dtype.kind == "b" else renamed(t.sign(), "SgnBackward0")


def signbit(input) -> Tensor:
    """True where the sign bit is set (so for -0.0 and -NaN too)."""
    t = need_tensor(input, "signbit")
    xp = _backend(t.device).xp
    return _plain(t, xp.signbit(t._data) if t._data.dtype.kind == "f" else t._data < 0)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None) -> Tensor:
    """NaN, +inf and -inf replaced by nan, posinf and neginf (by default 0 and the dtype's largest and
    smallest finite values); the gradient passes where input was finite."""
    t, nan = need_tensor(input, "nan_to_num"), 0.0 if nan is None else nan  # (None: the default, as torch)
    if t._data.dtype.kind != "f":
        return t.clone()
    return _m.UNARY_OPS["nan_to_num"].apply(t, nan=nan, posinf=posinf, neginf=neginf)


def _clamp(input, min, max, fname) -> Tensor:
    """min(max(input, min), max); bounds that are tensors: functions.clamp_tensors."""
    t = need_tensor(input, fname)
    if not isinstance(min, TensorBase) and not isinstance(max, TensorBase):
        return t.clamp(min, max)
    return renamed(clamp_tensors(t, min, max), "ClampBackward0")


def clip(input, min=None, max=None) -> Tensor:
    return _clamp(input, min, max, "clip")


def clamp_min(input, min) -> Tensor:
    return renamed(
        _clamp(input, min, None, "clamp_min"), f"ClampMinBackward{int(isinstance(min, TensorBase))}"
    )


def clamp_max(input, max) -> Tensor:
    return renamed(
        _clamp(input, None, max, "clamp_max"), f"ClampMaxBackward{int(isinstance(max, TensorBase))}"
    )


def isnan(input) -> Tensor:
    return need_tensor(input, "isnan").isnan()


def isinf(input) -> Tensor:
    return need_tensor(input, "isinf").isinf()


def isfinite(input) -> Tensor:
    return need_tensor(input, "isfinite").isfinite()


def isposinf(input) -> Tensor:
    t = need_tensor(input, "isposinf")
    return _plain(t, t._data == math.inf)


def isneginf(input) -> Tensor:
    t = need_tensor(input, "isneginf")
    return _plain(t, t._data == -math.inf)


def isreal(input) -> Tensor:
    """True everywhere: pyneuro has no complex tensors."""
    t = need_tensor(input, "isreal")
    return _plain(t, _backend(t.device).xp.ones(t._data.shape, dtype=bool))


def angle(input) -> Tensor:
    """The complex argument of a real tensor: pi where input < 0, else 0 (a zero gradient)."""
    return _unary("angle", input)


FrexpResult = return_types.frexp


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2**exponent, 0.5 <= |mantissa| < 1 (exponent int32)."""
    t = need_tensor(input, "frexp")
    if t._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    xp = _backend(t.device).xp
    exponent = xp.frexp(t._data)[1]
    # mantissa = input * 2^-exponent, exact (powers of two; two halves, so subnormals do not overflow the
    # scale), so its gradient is grad / 2^exponent as torch's
    one, half = xp.ones((), dtype=t._data.dtype), exponent // 2
    mantissa = t * _plain(t, xp.ldexp(one, -half)) * _plain(t, xp.ldexp(one, half - exponent))
    return FrexpResult(mantissa, _plain(t, exponent.astype("int32")))


# pyneuro has no complex tensors: the conjugate of a tensor is the tensor, never a lazy view
def conj(input) -> Tensor:
    return need_tensor(input, "conj")


resolve_conj = resolve_neg = conj


def conj_physical(input) -> Tensor:
    return need_tensor(input, "conj_physical").clone()


def is_conj(input) -> bool:
    need_tensor(input, "is_conj")
    return False


def is_neg(input) -> bool:
    need_tensor(input, "is_neg")
    return False
