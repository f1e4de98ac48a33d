"""Exception types that satisfy both our design and PyTorch.

docs/DESIGN.md, "Errors and bad input" promises ValueError for bad shapes and values, TypeError for bad dtypes and
IndexError for class indices out of range; PyTorch raises RuntimeError for most of these.
The classes here derive from both, so code written for either (`except ValueError:` or
torch-style `except RuntimeError:`) catches them:

    >>> try:
    ...     pn.ones(3) + pn.ones(4)
    ... except RuntimeError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    ShapeError True
"""

from __future__ import annotations

import numpy as np

from ._memory_spans import address, root


class ArgumentError(ValueError, RuntimeError):
    """An argument value the operation cannot take: a ValueError and a RuntimeError."""


class ArgumentTypeError(TypeError, ArgumentError):
    """An argument of a type torch's parser refuses (TypeError there), still an ArgumentError."""


class ShapeError(ArgumentError):
    """Shapes that do not fit the operation: a ValueError and a RuntimeError."""


class DTypeError(TypeError, RuntimeError):
    """A dtype that the operation cannot take: a TypeError and a RuntimeError."""


class DTypeNotImplemented(DTypeError, NotImplementedError):
    """torch's NotImplementedError for a dtype its kernel lacks ("... not implemented for 'Long'"),
    still a DTypeError."""


class IndexRangeError(IndexError, RuntimeError):
    """A class index out of range where torch says RuntimeError: an IndexError too."""


class ZeroDivision(ZeroDivisionError, RuntimeError):
    """An integer division by zero (torch: RuntimeError 'ZeroDivisionError')."""


class AllocationError(MemoryError, RuntimeError):
    """A tensor too large to allocate: torch's CPU allocator raises RuntimeError; a MemoryError too."""


class OutOfMemoryError(RuntimeError):
    """torch.OutOfMemoryError (also torch.cuda.OutOfMemoryError): a device allocator ran out of
    memory. A host allocation that fails is AllocationError, torch's CPU RuntimeError."""


class AcceleratorError(RuntimeError):
    """torch.AcceleratorError: an accelerator (GPU) reported an error."""


class DataError(TypeError, ValueError):
    """Data that cannot become a tensor, e.g. ragged nested lists (torch: ValueError)."""


class NotATensor(TypeError, AttributeError):
    """Something else (a list, an array, None, a number) where an nn.functional function takes a
    tensor: torch's parser refuses it with TypeError, its Python-level functions fail with
    AttributeError as their code reads it (`[1., 2.].dim()` in F.softmax, F.interpolate,
    F.normalize, F.l1_loss); both catch this."""


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix the operation cannot take (singular, not positive-definite,
    an SVD that does not converge on NaN). Named as torch's class is (torch._C._LinAlgError), so
    `type(e).__name__` and `repr(e)` print the same."""


LinAlgError = _LinAlgError


def reworded(exc, old: str, new: str):
    """exc again (same class and attributes) with `old` in its message read as `new`: an op that
    reports another's failure under its own name, as torch's words do (cholesky_ex, Tensor.cholesky)."""
    out = type(exc)(str(exc).replace(old, new, 1))
    out.__dict__.update(exc.__dict__)
    return out


class DeviceUnavailable(RuntimeError, AssertionError):
    """A device that is not usable here (CUDA without a GPU): torch's CPU-only build raises
    AssertionError ("Torch not compiled with CUDA enabled"), a CUDA build without a GPU
    RuntimeError; this is both."""


def type_name(x) -> str:
    """x's type as torch's messages name it, CPython's tp_name: `list`, `numpy.ndarray` (a type
    written in C, with its module), `Series` (a class written in Python: its name alone)."""
    kind = type(x)
    if kind.__module__ == "builtins" or kind.__flags__ & (1 << 9):  # (Py_TPFLAGS_HEAPTYPE)
        return kind.__name__
    return f"{kind.__module__}.{kind.__qualname__}"


def operand_type_error(other) -> TypeError:
    """torch's TypeError for a tensor op with something that is neither a tensor nor a number,
    with the likely fix: x - x.max(dim=1) forgot .values (the pair would be read as numbers)."""
    name = type_name(other)
    hint = (
        " (a (values, indices) result: use its .values)"
        if hasattr(other, "values") and hasattr(other, "indices")
        else " (make it a tensor first: torch.tensor(...))"
        if isinstance(other, (list, tuple, range))
        else ""
    )
    return OperandTypeError(f"unsupported operand type(s): 'Tensor' and '{name}'{hint}")


class OperandTypeError(TypeError):
    """operand_type_error's exception: an operand a tensor op does not know."""


# torch's binary operators: x.__<name>__, its reflected __r<name>__ and in-place __i<name>__
OPERATORS = (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "matmul",
    "and",
    "or",
    "xor",
    "lshift",
    "rshift",
)


_REPEATABLE = (list, tuple, str, bytes, bytearray)  # Python's sequences that repeat: seq * n


def defer_to_reflected(cls, names) -> None:
    """Make cls.__<name>__ return NotImplemented for an operand it does not know whose class has
    __r<name>__, so Python asks that operand (torch's binary ops do this: `t + Foo()` calls
    Foo.__radd__). Operands without one keep operand_type_error's message and its hint.

    A NumPy array is never the operator's operand, as in torch (whose Tensor has
    __array_priority__ 1000 and no __array_ufunc__): `t + a` is then NumPy's `a.__radd__(t)` on
    t's values (a tensor of NumPy's result dtype: float32 + int64 array is float64; RuntimeError
    for a tensor that requires grad), while `a + t`, `a @ t`, `t < a` are Python's TypeError
    (NumPy defers to the tensor, which declines). `t == a` compares, as torch's.

    A sequence times a tensor (`[pad] * (max_len - n)` with max_len = lengths.max(), `"-" * t`)
    is the sequence repeated t.__index__() times, as in torch: its multiplications decline the
    sequence, and Python repeats it (TypeError for a tensor that is not one integer)."""

    def deferring(op, reflected):
        repeats = reflected in ("__rmul__", "__rrmul__", "__rimul__")

        def method(self, other):
            if isinstance(other, np.ndarray):
                return NotImplemented
            try:
                return op(self, other)
            except OperandTypeError:
                if hasattr(type(other), reflected) or (repeats and isinstance(other, _REPEATABLE)):
                    return NotImplemented
                raise

        method.__name__, method.__qualname__, method.__doc__ = op.__name__, op.__qualname__, op.__doc__
        return method

    for name in names:
        setattr(cls, f"__{name}__", deferring(getattr(cls, f"__{name}__"), f"__r{name}__"))


def check_dropout_p(p) -> None:
    """torch's check of a dropout probability: outside [0, 1], or NaN, is refused. torch's
    F.dropout raises ValueError, its kernel (torch.dropout, or p = NaN) RuntimeError: this is both."""
    if not 0.0 <= p <= 1.0:
        raise ArgumentError(f"dropout probability has to be between 0 and 1, but got {p}")


def check_dropout_dtype(dtype) -> None:
    """torch's dropouts multiply by a floating mask and write the result in the input's dtype:
    an integer or bool input in training is its RuntimeError (DTypeError: a TypeError too)."""
    if not dtype.is_floating_point:
        raise DTypeError(f"result type Float can't be cast to the desired output type {dtype.torch_name}")


def overlap_error(array):
    """torch's RuntimeError for a write into a tensor some of whose elements share memory (an
    expand()ed tensor: a stride 0 along a dim of size > 1); None if array has no such dim."""
    strides, shape = getattr(array, "strides", ()), getattr(array, "shape", ())
    if not any(s == 0 and n > 1 for s, n in zip(strides, shape)):
        return None
    return RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a single memory "
        "location. Please clone() the tensor before performing the operation."
    )


def _dense_range(array):
    """(first byte, end byte) of a host array whose elements fill that range once (C, F or any
    permuted dense layout: torch's is_non_overlapping_and_dense); None for others."""
    if not hasattr(array, "__array_interface__") or not array.size:
        return None
    expected = array.itemsize
    for stride, n in sorted((abs(s), n) for s, n in zip(array.strides, array.shape) if n != 1):
        if stride != expected:
            return None
        expected *= n
    start = address(array) + sum(s * (n - 1) for s, n in zip(array.strides, array.shape) if s < 0)
    return start, start + array.nbytes


def _strides(array):
    """The strides of the dims of size > 1 (a size-1 dim's stride is arbitrary: 0 for x[None])."""
    return [s for s, n in zip(array.strides, array.shape) if n != 1]


def partial_overlap_error(dst, src):
    """torch's RuntimeError for a write from memory that overlaps the written-to memory in part
    (x[1:] = x[:-1], x.copy_(x.t()), x.mul_(x[0])): both dense, their byte ranges overlapping but
    not the same array; None otherwise (interleaved strided views are left alone, as torch's)."""
    if root(dst) is not root(src):  # (the common case, and cheap: separate memory)
        return None
    a, b = _dense_range(dst), _dense_range(src)
    if a is None or b is None or a[0] >= b[1] or b[0] >= a[1]:
        return None
    if a == b and _strides(dst) == _strides(src):
        return None  # the same memory the same way (x.add_(x), x[None] and x.unsqueeze(0)): fine
    return RuntimeError(_SHARED_MEMORY)


_SHARED_MEMORY = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


def source_overlap_error(dst, src):
    """torch's RuntimeError for an indexed write (index_copy_, index_add_, scatter_, put_,
    x[idx] = v, ...) whose source shares memory with the written-to tensor, in part or whole
    (x.index_copy_(0, i, x[:2]), x.scatter_(0, i, x)); None otherwise (a number, separate memory,
    or layouts that are not dense, which torch does not check either)."""
    if not hasattr(src, "_data") or root(dst) is not root(src._data):
        return None
    a, b = _dense_range(dst), _dense_range(src._data)
    if a is None or b is None or a[0] >= b[1] or b[0] >= a[1]:
        return None
    return RuntimeError(_SHARED_MEMORY)


def not_differentiable(tensor, function: str, argument: str) -> None:
    """torch's RuntimeError for an argument its kernel has no gradient for (a loss's class weights,
    a soft-margin target) given as a tensor that requires grad."""
    if getattr(tensor, "requires_grad", False):
        raise RuntimeError(
            f"The function '{function}' is not differentiable with respect to argument '{argument}'. "
            "This input cannot have requires_grad True."
        )


def read_only(array) -> bool:
    """Whether array says it is read-only (NumPy's flag; arrays without one, a device array's, are not)."""
    return not getattr(getattr(array, "flags", None), "writeable", True)


def writable_alias(array):
    """array, writable, when only NumPy's read-only mark on a broadcast view stands in the way (the
    memory itself is writable: an expand()ed tensor that fill_ or a setitem may write through)."""
    try:
        alias = array.view()
        alias.setflags(write=True)
    except (AttributeError, ValueError):
        return None
    return alias


def comparison_method(name: str):
    """Tensor.eq / ne / lt / le / gt / ge: the operator's answer, or torch's TypeError where the
    operator gives NotImplemented (x.eq("a"): the operator hands that to Python, a method must not)."""
    dunder = f"__{name}__"

    def method(self, other):
        out = getattr(self, dunder)(other)
        if out is NotImplemented:
            raise TypeError(
                f"{name}(): argument 'other' must be Tensor or Number, not {type(other).__name__}"
            )
        return out

    method.__name__ = method.__qualname__ = name
    return method
