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
    """Normalise a dtype argument (pn.float32, np.float64, 'int64', float, int, bool) to a NumPy dtype."""
    if d is None:
        return None
    if type(d) is DType:
        return d.dtype
    if d is _PY_FLOAT:
        return float32
    if d is _PY_INT:
        return int64
    if d is _PY_BOOL:
        return bool_
    try:
        return np.dtype(d)
    except TypeError:
        raise TypeError(f"not a dtype: {d!r}") from None


class DType:
    """What `pn.float32` and `t.dtype` are: a NumPy dtype under torch's name (see the module docstring)."""

    __slots__ = ("dtype",)

    def __init__(self, np_dtype):
        self.dtype = np.dtype(np_dtype)  # np.dtype(DType) reads this attribute

    def __repr__(self) -> str:
        return f"pyneuro.{self.dtype.name}"

    __str__ = __repr__

    def __eq__(self, other):
        if type(other) is DType:
            return self.dtype == other.dtype
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
