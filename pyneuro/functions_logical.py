"""torch-level comparisons, logical and bitwise ops: pn.eq, pn.logical_and, pn.bitwise_xor, pn.gcd, ...

Built on functions_math.py's operand rules: comparisons and
logical ops give bool; bitwise ops, shifts and gcd/lcm take integers and bools only
(NotImplementedError for floats, as torch says).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._dtype import _PY_FLOAT
from ._tensor_base import TensorBase, _backend, need_tensor
from .functions_math import _array, _operands, _plain, not_for

if TYPE_CHECKING:  # annotations only
    from .tensor import Tensor

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm",
]  # fmt: skip


def _comparison(name, method):
    def compare(input, other) -> Tensor:
        if other is None:
            raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not NoneType")
        return getattr(need_tensor(input, name), method)(other)

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"input.{method}(other) elementwise, broadcasting: a bool tensor."
    return compare


eq, ne = _comparison("eq", "eq"), _comparison("ne", "ne")
lt, le = _comparison("lt", "lt"), _comparison("le", "le")
gt, ge = _comparison("gt", "gt"), _comparison("ge", "ge")
greater, greater_equal = _comparison("greater", "gt"), _comparison("greater_equal", "ge")
less, less_equal = _comparison("less", "lt"), _comparison("less_equal", "le")
not_equal = _comparison("not_equal", "ne")


def _logical(name, input, other, op) -> Tensor:
    a, b = _operands(input, other, name, scalars=False)
    return _plain(a, op(a._data != 0, b._data != 0))


def logical_and(input, other) -> Tensor:
    """True where both are non-zero (any dtypes; a bool result)."""
    return _logical("logical_and", input, other, lambda x, y: x & y)


def logical_or(input, other) -> Tensor:
    return _logical("logical_or", input, other, lambda x, y: x | y)


def logical_xor(input, other) -> Tensor:
    return _logical("logical_xor", input, other, lambda x, y: x ^ y)


def logical_not(input) -> Tensor:
    return need_tensor(input, "logical_not").logical_not()


def _bitwise(name, input, other, op, bools=True) -> Tensor:
    """An integer op; bools=False: not for two bools (the shifts)."""
    a, b = _operands(input, other, name)
    not_for(a, "f" if bools else "fb", name)
    if isinstance(b, TensorBase):
        not_for(b, "f", name)
    elif isinstance(b, _PY_FLOAT):
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Float'")
    return _plain(a, op(_backend(a.device).xp, a._data, _array(b)))


def bitwise_and(input, other) -> Tensor:
    return _bitwise("bitwise_and", input, other, lambda xp, x, y: x & y)


def bitwise_or(input, other) -> Tensor:
    return _bitwise("bitwise_or", input, other, lambda xp, x, y: x | y)


def bitwise_xor(input, other) -> Tensor:
    return _bitwise("bitwise_xor", input, other, lambda xp, x, y: x ^ y)


def bitwise_not(input) -> Tensor:
    t = need_tensor(input, "bitwise_not")
    not_for(t, "f", "bitwise_not")
    return _plain(t, ~t._data)


def _shift(xp, x, s, left):
    """x << s or x >> s as torch defines them for every s: a shift by a negative amount or by the
    width of x's type or more gives 0 (left) or x's sign fill (right), not C's undefined result."""
    bits = x.dtype.itemsize * 8
    s = xp.asarray(s)
    ok = (s >= 0) & (s < bits)
    safe = xp.where(ok, s, 0).astype(x.dtype)
    if left:
        return xp.where(ok, x << safe, 0).astype(x.dtype, copy=False)
    return xp.where(ok, x >> safe, xp.where(x < 0, -1, 0)).astype(x.dtype, copy=False)


def bitwise_left_shift(input, other) -> Tensor:
    """input * 2**other for integers (0 once every bit is shifted out)."""
    return _bitwise("bitwise_left_shift", input, other, lambda xp, x, y: _shift(xp, x, y, True), bools=False)


def bitwise_right_shift(input, other) -> Tensor:
    """input // 2**other for integers (arithmetic: negative numbers stay negative)."""
    return _bitwise(
        "bitwise_right_shift", input, other, lambda xp, x, y: _shift(xp, x, y, False), bools=False
    )


def gcd(input, other) -> Tensor:
    """The greatest common divisor (integers only)."""
    a, b = _operands(input, other, "gcd", scalars=False)
    not_for(a, "fb", "gcd")
    return _plain(a, _backend(a.device).xp.gcd(a._data, b._data))


def lcm(input, other) -> Tensor:
    """The least common multiple (integers only)."""
    a, b = _operands(input, other, "lcm", scalars=False)
    not_for(a, "fb", "lcm")
    return _plain(a, _backend(a.device).xp.lcm(a._data, b._data))
