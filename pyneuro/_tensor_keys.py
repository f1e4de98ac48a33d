"""How an index key is read: x[key] and x[key] = value turn a key of ints, slices, None,
Ellipsis, bools, lists, NumPy arrays and tensors into what the backend's arrays take, and say
where torch's rules differ from NumPy's (integers select before index arrays; positive slice
steps only; x[arrays] = tensor needs the destination's dtype).

Used by the indexing methods of _tensor_shape.py (reads) and _tensor_inplace.py (writes).
"""

from __future__ import annotations

import builtins
import re
import warnings

import numpy as np

from ._dtype import _PY_BOOL, _PY_INT, torch_name
from ._errors import DTypeError
from ._tensor_base import TensorBase, _backend

_SEQUENCE_AS_TUPLE = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch "
    "2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
    "x[torch.tensor(seq)], which will result either in an error or a different result"
)


_NUMPY_WORDS = (  # NumPy's IndexError messages, and torch's words for the same error
    (r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)",
     "index {0} is out of bounds for dimension {1} with size {2}"),
    (r"too many indices for array: array is (\d+)-dimensional, but \d+ were indexed",
     "too many indices for tensor of dimension {0}"),
    (r"boolean index did not match indexed array along (?:axis|dimension) (\d+); size of (?:axis|dimension) is "
     r"\d+ but size of corresponding boolean (?:axis|dimension) is (\d+)",
     "The shape of the mask [{1}] at index {0} does not match the shape of the indexed tensor {shape} at index {0}"),
    (r"only integers, slices",
     "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices"),
)  # fmt: skip
_NUMPY_WORDS = tuple((re.compile(pattern), words) for pattern, words in _NUMPY_WORDS)


def torch_index_error(error: IndexError, shape) -> IndexError:
    """error, or an IndexError in torch's words where error is one of NumPy's (x[5] on 3 rows:
    "... out of bounds for dimension 0 ...", not "... for axis 0 ..."): the text students search."""
    for pattern, words in _NUMPY_WORDS:
        found = pattern.match(str(error))
        if found:
            return IndexError(words.format(*found.groups(), shape=list(shape)))
    return error


def zeroed_index_arrays(index):
    """index with each integer index array's values replaced by zeros (same shapes), or None if
    it has none: what selects the same shape of result where every array index is in range.

    torch checks index values inside its kernel, so a key whose result has no elements
    (x[..., [0, 5], 2:2]) checks none of them: the read is empty and a write writes nothing."""
    parts = index if type(index) is tuple else (index,)
    out, changed = [], False
    for p in parts:
        if isinstance(p, TensorBase) and p._data.ndim and p._data.dtype.kind in "iu":
            p, changed = p.new_zeros(p.shape), True
        elif isinstance(p, (list, np.ndarray)):
            a = np.asarray(p)
            if a.ndim and a.dtype.kind in "iu":
                p, changed = np.zeros(a.shape, np.int64), True
        out.append(p)
    if not changed:
        return None
    return tuple(out) if type(index) is tuple else out[0]


def empty_selection(t, index, error: IndexError):
    """t[index] where NumPy found an array index out of range but the result has no elements
    (torch checks none then, zeroed_index_arrays): that empty result, else None (error stands)."""
    if "is out of bounds for" not in str(error):  # (NumPy's words or the kernels' torch words)
        return None
    stand_in = zeroed_index_arrays(index)
    if stand_in is None:
        return None
    try:
        out = t._getitem(stand_in)
    except IndexError:
        return None
    return out if out.numel() == 0 else None


def sequence_as_tuple(index):
    """torch's (and old NumPy's) reading of a short list holding a sequence, tensor, slice, None
    or Ellipsis: a tuple of indices, with torch's deprecation warning (x[[rows, cols]] is
    x[rows, cols]); any other key is returned as it is."""
    if type(index) is not list or len(index) >= 32:
        return index
    for p in index:
        if p is None or p is Ellipsis or isinstance(p, (list, tuple, str, slice, TensorBase, np.ndarray)):
            warnings.warn(_SEQUENCE_AS_TUPLE, UserWarning, stacklevel=3)
            return tuple(index)
    return index


def zero_d_ints(index):
    """0-d integer tensors of an index as Python ints: torch applies them as selects, so
    x[torch.tensor(1)] is a view (as x[1]) and x[i] = v casts v (no index_put dtype rule)."""
    if isinstance(index, TensorBase):
        return _PY_INT(index._data) if _is_int_part(index) else index
    if type(index) is tuple and builtins.any(isinstance(p, TensorBase) and _is_int_part(p) for p in index):
        return tuple(_PY_INT(p._data) if isinstance(p, TensorBase) and _is_int_part(p) else p for p in index)
    return index


def check_slice_steps(index) -> None:
    """torch slices with positive steps only: x[::-1] raises ValueError (x.flip(0) reverses)."""
    for p in index if isinstance(index, tuple) else (index,):
        if isinstance(p, slice) and p.step is not None and p.step <= 0:
            raise ValueError("step must be greater than zero" if p.step < 0 else "slice step cannot be zero")


def same_dtype_put(self, values) -> None:
    """index_put (and x[indices] = values) writes a tensor of self's dtype only, as torch."""
    if isinstance(values, TensorBase) and values._data.dtype != self._data.dtype:
        raise DTypeError(
            "Index put requires the source and destination dtypes match, got "
            f"{torch_name(self.dtype)} for the destination and {torch_name(values.dtype)} for the source."
        )


# The index dtypes torch's gathers and scatters take: gather/scatter/index_select/index_add/
# index_reduce/embedding any of int32 and int64; take/put/index_copy/index_fill/take_along_dim
# only int64 ("long"). A uint8 or int8 index is refused (never read as a mask, as x[uint8] is).
_INT32_64 = (np.dtype(np.int32), np.dtype(np.int64))


def int_index(index, what, argument="index", long_only=False, error=DTypeError):
    """index's array after torch's dtype check for `what` (its RuntimeError; index_fill's is an
    IndexError: pass error=)."""
    if not isinstance(index, TensorBase):
        raise TypeError(f"{what}(): argument '{argument}' must be Tensor, not {type(index).__name__}")
    dtype = index._data.dtype
    if dtype != _INT32_64[1] and (long_only or dtype != _INT32_64[0]):
        wanted = "int64" if long_only else "int32/int64"
        raise error(f"{what}(): Expected dtype {wanted} for {argument} but got: {torch_name(dtype)}")
    return index._data


def _is_int_part(p) -> bool:
    """An index part torch applies as a select: an int, a NumPy integer or a 0-d integer tensor."""
    if isinstance(p, TensorBase):
        return p._data.ndim == 0 and p._data.dtype.kind in "iu"
    return isinstance(p, (_PY_INT, np.integer)) and not isinstance(p, (_PY_BOOL, np.bool_))


def split_int_index(index):
    """(selects, rest) when an index mixes integers with index arrays, else None.

    torch applies the integers first, as selects, and only then the arrays, so x[0, :, [1, 3]]
    of a (2, 3, 4) tensor is (3, 2). NumPy counts the integers among the arrays, and an integer
    apart from the arrays moves the gathered dimension to the front ((2, 3)). Indexing with
    `selects` (the integers, the other parts as full slices) and then with `rest` (the other
    parts) gives torch's result."""
    parts = index if isinstance(index, tuple) else (index,)
    ints = [_is_int_part(p) for p in parts]
    arrays = [isinstance(p, (TensorBase, list, np.ndarray)) and not is_int for p, is_int in zip(parts, ints)]
    if not (builtins.any(ints) and builtins.any(arrays)):
        return None
    selects, rest = [], []
    for p, is_int in zip(parts, ints):
        if is_int:
            selects.append(_PY_INT(p._data) if isinstance(p, TensorBase) else p)
        elif p is None:  # the new dimension is made by the selects and kept whole by the rest
            selects.append(None)
            rest.append(slice(None))
        elif p is Ellipsis or isinstance(p, slice):
            selects.append(p if p is Ellipsis else slice(None))
            rest.append(p)
        elif isinstance(p, (_PY_BOOL, np.bool_)):
            rest.append(p)  # a bool scalar spans no dimension of the tensor
        else:
            covers = np.ndim(p._data if isinstance(p, TensorBase) else p) if _bool_part(p) else 1
            selects.extend([slice(None)] * covers)
            rest.append(p)
    return tuple(selects), tuple(rest)


def _bool_part(p) -> bool:
    dtype = p._data.dtype if isinstance(p, TensorBase) else np.asarray(p).dtype
    return dtype == np.bool_


_GETTING = object()  # (_convert_index's value when the index reads: x[key])


def _byte_mask(mask, value):
    """torch's old byte mask (a uint8 tensor or NumPy uint8 array as an index part): a mask, with its
    deprecation warning; a number or a 0-d tensor assigned through one is its RuntimeError (its
    masked_fill_ takes bool masks only), a tensor of values is put as through a bool mask."""
    if value is not _GETTING and (not isinstance(value, TensorBase) or value.ndim == 0):
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
    warnings.warn(
        "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.",
        UserWarning,
        stacklevel=5,  # (the line that indexes: x[mask] or x[mask] = values)
    )
    return mask != 0


def _convert_index(index, t: TensorBase, value=_GETTING):
    """Turn Tensor/list index parts into backend arrays; report whether any is an array. value:
    what x[index] = value assigns (the byte-mask rule reads it)."""
    check_slice_steps(index)
    bk = None
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    advanced = False
    for p in parts:
        if isinstance(p, (str, bytes)):  # (NumPy's IndexError; torch's TypeError)
            raise TypeError(f"new(): invalid data type '{type(p).__name__}'")
        if isinstance(p, TensorBase):
            if p.device != t.device:
                raise RuntimeError(f"indices on {p.device} cannot index a tensor on {t.device}")
            p = p._data
            advanced = True
            if p.dtype == np.uint8:  # torch's old byte mask: a mask, not indices
                p = _byte_mask(p, value)
            elif p.dtype.kind in "iuf" and p.dtype not in (np.int64, np.int32):
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif isinstance(p, (list, np.ndarray)):
            bk = bk or _backend(t.device)
            arr = np.asarray(p)
            if arr.size == 0 and isinstance(p, list):
                arr = arr.astype(np.int64)  # x[[]]: no rows, as torch (NumPy reads [] as float)
            # torch makes a sequence or array a long index tensor (floats truncated: x[[1.7]] is
            # x[[1]]), but a uint8 one its byte mask (a NumPy uint8 mask, as from an image)
            if arr.dtype == np.uint8:
                arr = _byte_mask(arr, value)
            elif arr.dtype.kind == "f":
                arr = arr.astype(np.int64)
            p = bk.asarray(arr)
            advanced = True
        elif hasattr(p, "shape") and hasattr(p, "dtype") and not isinstance(p, (np.integer, np.bool_)):
            advanced = True
        out.append(p)
    if advanced and isinstance(index, tuple) and any(p is Ellipsis for p in out):
        out = _drop_empty_ellipsis(out, t.ndim)
    return (tuple(out) if isinstance(index, tuple) else out[0]), advanced


def _drop_empty_ellipsis(parts: list, ndim: int) -> list:
    """An Ellipsis that stands for no dimension separates nothing for torch (x[:, [0], ..., [0, 1]]
    of a 3-D x keeps the indexed dims in place), where NumPy moves them to the front."""
    used = 0
    for p in parts:
        if p is None or p is Ellipsis:
            continue
        used += p.ndim if getattr(p, "dtype", None) is not None and p.dtype == np.bool_ else 1
    return [p for p in parts if p is not Ellipsis] if used >= ndim else parts
