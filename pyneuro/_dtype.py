"""Dtypes: pn.float32, pn.int64, ... and the one rule that normalises a dtype argument.

Inside pyneuro a dtype is a NumPy dtype object (this module's float32 is np.dtype("float32")):
the arrays carry them and every kernel table checks them. What users see (pn.float32, t.dtype)
is a `DType`, one per NumPy dtype: it prints as `pyneuro.float32` (torch prints
`torch.float32`), has torch's `.is_floating_point` and `.itemsize`, compares equal to the NumPy
dtype or type users pass (np.float32, np.dtype("float32"), "float32") and hashes like it, and
NumPy accepts it wherever a dtype goes (np.zeros(3, dtype=pn.float32)), through its `.dtype`.
PyTorch's aliases: pn.float, pn.double, pn.long, pn.half, pn.int, pn.bool. This module
imports nothing from pyneuro: every other module may use it.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
float = float32
double = float64
long = int64
int = int32
half = float16
bool = bool_

# The default float dtype (torch.set_default_dtype): what Python floats, the factories and the
# int -> float promotions give. One list, so every reader sees a change.
_default_float = [float32]


def default_float() -> np.dtype:
    return _default_float[0]


# Python's own types, for code below that must not see the aliases above.
_PY_FLOAT = builtins.float
_PY_INT = builtins.int
_PY_BOOL = builtins.bool
_SCALARS = (_PY_INT, _PY_FLOAT)  # bool is an int


def _dtype(d):
    """Normalise a dtype argument (pn.float32, float, int, bool; NumPy's np.float32 or
    np.dtype('float32'), which pn.float32 equals) to a NumPy dtype.

    A string is torch's TypeError (`torch.zeros(2, dtype='float32')`, `x.sum(dtype='float64')`),
    as is anything else that is not a dtype.
    """
    if d is None:
        return None
    if type(d) is DType:
        return d.dtype
    if type(d) is UnsupportedDType:
        raise TypeError(d.refusal())
    if d is _PY_FLOAT:
        return float64  # Python's float is a double: torch.zeros(2, dtype=float) is float64
    if d is _PY_INT:
        return int64
    if d is _PY_BOOL:
        return bool_
    if isinstance(d, np.dtype):  # (pyneuro's own code holds NumPy dtypes: int64 above is one)
        return d
    if isinstance(d, type) and issubclass(d, np.generic):  # np.float32: NumPy's name for a dtype
        return np.dtype(d)
    if d is complex:  # torch's complex128, which pyneuro has no tensors of
        raise TypeError(unsupported("complex128").refusal())
    raise TypeError(f"argument 'dtype' must be pyneuro.dtype, not {type(d).__name__}")


def is_dtype(d) -> bool:
    """Does d name a dtype, as _dtype reads one (a dtype pyneuro lacks included: _dtype says why)?
    None does not (Tensor.to's forms: _tensor_forms)."""
    if type(d) is UnsupportedDType or d is complex:
        return True
    try:
        return _dtype(d) is not None
    except TypeError:
        return False


class DType:
    """What `pn.float32` and `t.dtype` are: a NumPy dtype under torch's name (see the module docstring)."""

    __slots__ = ("dtype",)
    __module__ = "pyneuro"  # type(x.dtype) prints <class 'pyneuro.dtype'> (pn.dtype), as torch's

    def __init__(self, np_dtype):
        self.dtype = np.dtype(np_dtype)  # np.dtype(DType) reads this attribute

    def __repr__(self) -> str:
        return f"pyneuro.{self.dtype.name}"

    __str__ = __repr__

    def __eq__(self, other):
        if type(other) is DType:
            return self.dtype == other.dtype
        if other is None:
            return False  # np.dtype(None) is float64, but `dtype == None` asks "no dtype given?"
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dtype)  # equal to the NumPy dtype, so it must hash like it

    def __reduce__(self):
        return (public, (self.dtype.name,))

    @property
    def is_floating_point(self) -> _PY_BOOL:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> _PY_BOOL:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> _PY_BOOL:
        return self.dtype.kind in "fic"

    @property
    def itemsize(self) -> _PY_INT:
        return self.dtype.itemsize

    @property
    def torch_name(self) -> str:
        """torch's scalar type name, as its error messages say it ("Float", "Double", "Long")."""
        return torch_name(self.dtype)

    # NumPy's spellings, for code that treats t.dtype as a NumPy dtype
    kind = property(lambda self: self.dtype.kind)
    name = property(lambda self: self.dtype.name)
    type = property(lambda self: self.dtype.type)
    char = property(lambda self: self.dtype.char)
    str = property(lambda self: self.dtype.str)


class UnsupportedDType:
    """A torch dtype pyneuro has no tensors of: bfloat16 and the float8 types (NumPy has no such
    types), complex32, complex64, complex128 (pyneuro's kernels and autograd are real), uint16,
    uint32, uint64 (torch's own support is thin: no add, no max, no promotion). It exists so that code
    naming it runs: `autocast("cpu", dtype=torch.bfloat16)` (which computes in float32 here),
    `x.dtype == torch.bfloat16`, `torch.finfo(torch.bfloat16)`, its properties; making a tensor
    of it raises TypeError saying so, never a tensor of another dtype."""

    __slots__ = ("name", "itemsize", "kind", "torch_name")

    def __init__(self, name: str, itemsize: int, kind: str, torch_name: str):
        self.name, self.itemsize, self.kind, self.torch_name = name, itemsize, kind, torch_name

    def __repr__(self) -> str:
        return f"pyneuro.{self.name}"

    __str__ = __repr__

    def __reduce__(self):
        return (unsupported, (self.name,))

    is_floating_point = property(lambda self: self.kind == "f")
    is_complex = property(lambda self: self.kind == "c")
    is_signed = property(lambda self: self.kind != "u")

    def refusal(self) -> str:
        if self.kind == "u":  # (torch itself has few ops on them: no add, no max, no promotion)
            return f"pyneuro has no {self.name} tensors (only uint8 among the unsigned); use int64 or int32"
        why = {"bfloat16": "NumPy has no bfloat16 type", "c": "its kernels and autograd are real-valued"}
        reason = why.get(self.name) or why.get(self.kind) or "NumPy has no 8-bit float type"
        return f"pyneuro has no {self.name} tensors ({reason}); use float32 or float64"


_UNSUPPORTED = {
    name: UnsupportedDType(name, size, kind, tname)
    for name, size, kind, tname in (
        ("bfloat16", 2, "f", "BFloat16"),
        ("complex32", 4, "c", "ComplexHalf"),
        ("complex64", 8, "c", "ComplexFloat"),
        ("complex128", 16, "c", "ComplexDouble"),
        ("uint16", 2, "u", "UInt16"),
        ("uint32", 4, "u", "UInt32"),
        ("uint64", 8, "u", "UInt64"),
        ("float8_e4m3fn", 1, "f", "Float8_e4m3fn"),
        ("float8_e5m2", 1, "f", "Float8_e5m2"),
        ("float8_e4m3fnuz", 1, "f", "Float8_e4m3fnuz"),
        ("float8_e5m2fnuz", 1, "f", "Float8_e5m2fnuz"),
    )
}


def unsupported(name: str) -> UnsupportedDType:
    """pn.bfloat16, pn.complex64, ...: the one object per name (see UnsupportedDType)."""
    return _UNSUPPORTED[name]


_TORCH_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


def torch_name(dtype) -> str:
    """torch's scalar type name of a dtype (a DType, NumPy dtype or name), as its messages
    print it: "Float", "Double", "Long". The one table of those names."""
    name = np.dtype(getattr(dtype, "dtype", dtype)).name
    return _TORCH_NAMES.get(name, name)


# The C type names some of torch's messages use instead ("mask with dtype float", "dtype 'double'")
_C_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}


def c_type_name(dtype) -> str:
    """The C type torch's messages print for a dtype where they do not say its scalar type name."""
    name = np.dtype(getattr(dtype, "dtype", dtype)).name
    return _C_NAMES.get(name, name)


DType.__name__ = DType.__qualname__ = "dtype"  # type(x.dtype): <class 'pyneuro.dtype'>, as torch's

_PUBLIC = {d: DType(d) for d in (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)}


def public(d) -> DType:
    """The DType users see for a NumPy dtype (one object per dtype, so `t.dtype is pn.float32`)."""
    out = _PUBLIC.get(d) if isinstance(d, np.dtype) else None  # the hot path: t.dtype
    if out is None:
        d = np.dtype(d)
        out = _PUBLIC.get(d)
        if out is None:
            out = _PUBLIC[d] = DType(d)
    return out


_OVERFLOW_NAMES = {
    "int64": "int64_t",
    "int32": "int",
    "int16": "int16_t",
    "int8": "int8_t",
    "uint8": "uint8_t",
}


def quiet_cast(array, dtype):
    """array.astype(dtype) without NumPy's RuntimeWarnings: torch converts silently (NaN or inf to an
    integer gives C's undefined value, 1e300 to float32 gives inf), so t.long() prints nothing."""
    with np.errstate(invalid="ignore", over="ignore"):
        return array.astype(dtype)


def py_scalar(x):
    """A NumPy scalar as the Python number torch reads it as (np.float32(1.5) is the float 1.5,
    a weak scalar beside a tensor, not a float32 tensor); anything else as given."""
    return x.item() if isinstance(x, np.generic) else x


def number_fill(value, dtype):
    """fill_value for full, fill_ and x[i] = v, where torch refuses None (NumPy would make it NaN)."""
    if value is None:
        raise TypeError("a fill value must be a number, not NoneType")
    return fill_value(value, dtype)


def fill_value(value, dtype):
    """A Python number as a fill value of dtype (fill_, full, masked_fill, x[i] = v): itself,
    or torch's RuntimeError where it does not fit: 300 into int8, inf into int64, 1e10 into
    float16. As in torch (C's rule) a negative int may wrap into an unsigned dtype (-1 -> 255)."""
    dtype = np.dtype(dtype)
    if isinstance(value, (str, bytes)):  # (NumPy's ValueError; a None fill is refused by its callers)
        raise TypeError(f"a fill value must be a number, not {type(value).__name__}")
    value = py_scalar(value)
    if isinstance(value, complex):  # (a real dtype takes the real part of a complex number that is real)
        if value.imag:
            name = _OVERFLOW_NAMES.get(dtype.name) or _C_NAMES[dtype.name]
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
        value = value.real
    if not isinstance(value, _SCALARS) or isinstance(value, _PY_BOOL) or dtype.kind not in "iuf":
        return value
    if dtype.kind == "f":
        fits = (
            isinstance(value, _PY_INT)
            or not math.isfinite(value)
            or abs(value) <= _PY_FLOAT(np.finfo(dtype).max)
        )
    else:
        info = np.iinfo(dtype)
        if isinstance(value, _PY_INT):  # (a negative int may wrap into an unsigned dtype, as C's)
            fits = (-info.max if dtype.kind == "u" else info.min) <= value <= info.max
        else:  # a float must lie in the range itself: -0.5 or 255.5 into uint8 raise, as torch
            fits = math.isfinite(value) and info.min <= value <= info.max
    if not fits:
        name = _OVERFLOW_NAMES.get(dtype.name) or _C_NAMES[dtype.name]
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    if dtype.kind == "u" and isinstance(value, _PY_INT) and value < 0:
        return value % (np.iinfo(dtype).max + 1)
    return value


def wrap_int(value, dtype):
    """A Python int as torch reads it against an integer tensor of dtype (int8_tensor + 300,
    uint8_tensor < -1): cast to the dtype, wrapping modulo 2**bits as C does."""
    info = np.iinfo(dtype)
    if info.min <= value <= info.max or not -(2**63) <= value < 2**63:
        return value
    return np.array(value, dtype=np.int64).astype(dtype).item()


# The kinds in torch's order of categories: a result may be written into a tensor of the same or a
# higher category (int64 into uint8 wraps), never a lower one (float into int, number into bool).
CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def can_cast(src, dst) -> _PY_BOOL:
    """torch.can_cast on NumPy dtypes: False only where the cast would lose the kind."""
    return CATEGORY[np.dtype(src).kind] <= CATEGORY[np.dtype(dst).kind]
