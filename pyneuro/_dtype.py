"""Dtypes: pn.float32, pn.int64, ... and the one rule that normalises a dtype argument.

pyneuro's dtypes are NumPy dtype objects (pn.float32 is np.dtype("float32")), with
PyTorch's aliases (pn.float, pn.double, pn.long, pn.half, pn.int, pn.bool). This module
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

# Python's own types, for code below that must not see the aliases above.
_PY_FLOAT = builtins.float
_PY_INT = builtins.int
_PY_BOOL = builtins.bool
_SCALARS = (_PY_INT, _PY_FLOAT)  # bool is an int


def _dtype(d):
    """Normalise a dtype argument (pn.float32, np.float64, 'int64', float, int, bool)."""
    if d is None:
        return None
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
