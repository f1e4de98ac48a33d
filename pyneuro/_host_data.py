"""Python data on its way to a tensor: what torch.tensor reads besides lists, arrays and numbers.

torch.tensor takes a list, a tuple, a NumPy array or scalar, a tensor, and any other object
Python sees as a sequence (a pandas Series, a memoryview, a class with __len__ and
__getitem__), which it reads item by item: ``obj[0]``, ``obj[1]``, ... So a Series of floats
is a list of ``np.float64`` and becomes float64 (not the default float32), a DataFrame
(``df[0]`` is a column lookup) is torch's ValueError, and an element of no known kind
(``None``, ``...``, a dict) is its RuntimeError "Could not infer dtype of NoneType";
`not_numbers` refuses such data before any dtype cast (NumPy would read [1., None] as NaN). The
helpers here give `_tensor_base._host_array` those readings; they import nothing of pyneuro
but the error types.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from ._errors import DataError, DTypeError

# what torch keeps as it is, as NumPy arrays of these dtypes (_tensor_base.KEPT_AS_IS, less float16)
_ARRAY_KINDS = "biuf"
_NUMBERS = (int, float, bool, complex, np.generic, np.ndarray)
# the NumPy dtypes torch makes tensors of (undetermined_dtype_error's list); np.longdouble is not one
TORCH_NUMPY_DTYPES = frozenset(
    np.dtype(t)
    for t in (np.float64, np.float32, np.float16, np.complex64, np.complex128, np.int64, np.int32, np.int16)
    + (np.int8, np.uint64, np.uint32, np.uint16, np.uint8, np.bool_)
)


def is_other_sequence(data) -> bool:
    """Is data a sequence torch reads item by item that is not a list, tuple, array or string?
    (A range stays NumPy's: the same int64 values, without a Python loop.) Objects that carry
    an array interface (CuPy arrays, memory maps) are left to NumPy as before."""
    if isinstance(data, (list, tuple, range, str, bytes, bytearray, dict, np.ndarray, np.generic)):
        return False
    kind = type(data)
    if not (hasattr(kind, "__getitem__") and hasattr(kind, "__len__")):
        return False
    return not (hasattr(data, "__array_interface__") or hasattr(data, "__cuda_array_interface__"))


def sequence_data(seq):
    """An other sequence (see is_other_sequence) as torch reads it: its items as a list (each
    item that is itself such a sequence read the same way), or, for a one-dimensional object
    that NumPy reads as numbers (a pandas Series of floats, ints or bools), that array, whose
    dtype is the dtype of the NumPy scalars its items are (Series[0] is np.float64)."""
    n = len(seq)
    if n == 0:
        return []
    try:
        first = seq[0]
    except (KeyError, IndexError, TypeError, ValueError):  # a DataFrame: df[0] looks up a column
        raise DataError(f"could not determine the shape of object type '{type(seq).__name__}'") from None
    if hasattr(seq, "__array__") and isinstance(first, np.generic):
        arr = np.asarray(seq)
        if arr.ndim == 1 and arr.dtype.kind in _ARRAY_KINDS and arr.dtype == first.dtype:
            return arr
    items = [first, *(seq[i] for i in range(1, n))]
    return [sequence_data(x) if is_other_sequence(x) else x for x in items]


_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_WARNED = set()


def torch_warn_once(key: str, message: str) -> None:
    """torch's TORCH_WARN_ONCE: a UserWarning the first time in the process only, shown at the
    caller's line (the first frame outside pyneuro)."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def list_item(x):
    """An item of a list given to torch.tensor, as torch reads it: another sequence item by item
    (sequence_data); a NumPy array with torch's UserWarning that a list of arrays is slow (once
    per process)."""
    if isinstance(x, np.ndarray):
        torch_warn_once(
            "list of arrays",
            "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting "
            "the list to a single numpy.ndarray with numpy.array() before converting to a tensor.",
        )
        return x
    return sequence_data(x) if is_other_sequence(x) else x


def undetermined_dtype_error(data) -> DTypeError:
    """torch's error for data holding something that is not a number: "Could not infer dtype of
    NoneType" (its RuntimeError; a lone string is its TypeError "new(): invalid data type 'str'", an
    array of objects or strings its TypeError "can't convert np.ndarray of type numpy.object_")."""
    if isinstance(data, np.ndarray):
        return DTypeError(
            f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, "
            "uint16, uint8, and bool."
        )
    stack = [data]
    while stack:
        x = stack.pop(0)
        if isinstance(x, (list, tuple)):
            stack[:0] = list(x)
        elif isinstance(x, (str, bytes)) and x is data:
            return DTypeError(f"new(): invalid data type '{type(x).__name__}'")
        elif not isinstance(x, _NUMBERS) and not hasattr(x, "_data"):  # (a tensor's values are numbers)
            return DTypeError(f"Could not infer dtype of {type(x).__name__}")
    return DTypeError(f"Could not infer dtype of {type(data).__name__}")


def not_numbers(arr, data, kept: bool, dtype):
    """torch's refusal of data that are not numbers (arr: NumPy's reading of data; kept: data
    was an array), None where it takes them. Checked before any cast: with a dtype given NumPy
    would read [1., None] as NaN and ['1', '2'] as numbers. An array of objects, strings or dates
    is torch's TypeError; a list with None or a str in it its TypeError or ValueError (DTypeError,
    DataError); complex numbers (pyneuro has no complex tensors) cast to a real dtype from an
    array only, as torch casts them (a Python complex there is its TypeError)."""
    kind = arr.dtype.kind
    if kind == "c":
        if dtype is None:
            return TypeError("complex tensors are not supported")
        return None if kept else TypeError("must be real number, not complex")
    if kind in "US" and arr.ndim and not kept:  # ['a']: torch's ValueError (a lone 'abc' is its TypeError)
        return DataError(f"too many dimensions 'str' (a {type(data).__name__} of strings)")
    return undetermined_dtype_error(arr if kept else data)


def huge_int_inside(arr, data) -> bool:
    """Does the Python data arr was made from hold an int beyond int64 (NumPy made it uint64, object or
    float64)? Float arrays are only scanned when a value is that large."""
    if arr.dtype.kind == "f" and not (arr.size and np.abs(arr).max() >= 2.0**63):
        return False
    if arr.dtype.kind != "O":
        arr = np.asarray(data, dtype=object)
    return any(type(x) is int and not -(2**63) <= x < 2**63 for x in arr.ravel())
