"""Shape arithmetic shared by the Tensor methods and the autograd Functions.

Pure functions on tuples of ints (and c_order, the layout rule for results); imports nothing
from pyneuro but the error types.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from ._errors import ShapeError


def normalize_dims(dim, ndim):
    """dim (None, int or tuple) -> sorted tuple of non-negative axes, validated."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (bool, np.bool_)):  # (an int to Python, but no dim to torch: x.sum(True))
        raise TypeError(f"dim must be an int or a tuple of ints, not {type(dim).__name__}")
    if isinstance(dim, int):
        dims = (dim,)
    elif hasattr(dim, "__index__") and not isinstance(dim, (tuple, list)):
        dims = (operator.index(dim),)  # a 0-d integer tensor or NumPy integer, as torch takes them
    else:
        dims = tuple(d if type(d) is int else dim_int(d) for d in dim)  # (no bool: x.flip(True))
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})"
            )
        if d % max(ndim, 1) in out:  # as torch: sum(x, (0, 0)) is an error, not a sum over dim 0
            raise RuntimeError(f"dim {d % max(ndim, 1)} appears multiple times in the list of dims")
        out.append(d % max(ndim, 1))
    return tuple(sorted(out))


def dim_int(dim, name: str = "dim") -> int:
    """One dim as an int (an int, a NumPy integer or a 0-d integer tensor). torch's parser takes
    nothing else where an op takes one dim: None, a tuple, a float or a bool is its TypeError
    (softmax(x, None), cumsum(x, (1,)), x.unsqueeze(True))."""
    if isinstance(dim, (bool, np.bool_)) or not (
        isinstance(dim, int) or (hasattr(dim, "__index__") and not isinstance(dim, (tuple, list)))
    ):
        raise TypeError(f"argument '{name}' must be int, not {type(dim).__name__}")
    return operator.index(dim)


def one_dim(dim, ndim) -> int:
    """One dim (dim_int's rule) -> its axis in [0, ndim), checked as normalize_dims checks it."""
    if type(dim) is int and -ndim <= dim < ndim:  # (the common case, first: softmax(x, 1) runs this)
        return dim + ndim if dim < 0 else dim
    return normalize_dims(dim_int(dim), ndim)[0]


def ints(v, n: int = 1) -> tuple:
    """v as a tuple: one integer repeated n times (an int, a NumPy integer or a 0-d integer
    tensor: anything with __index__ that is no sequence, as torch takes them), else tuple(v)."""
    if isinstance(v, int):
        return (v,) * n
    if hasattr(v, "__index__") and not isinstance(v, (tuple, list)) and getattr(v, "ndim", 0) == 0:
        return (operator.index(v),) * n
    return tuple(v)


def broadcast_shapes(s1, s2):
    """The broadcast of two shapes (ShapeError when they do not broadcast)."""
    out = []
    for i in range(1, max(len(s1), len(s2)) + 1):
        x = s1[-i] if i <= len(s1) else 1
        y = s2[-i] if i <= len(s2) else 1
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"matmul: batch dimensions {tuple(s1)} and {tuple(s2)} cannot be broadcast")
        out.append(y if x == 1 else x)  # (not max: 1 against 0 broadcasts to 0)
    return tuple(reversed(out))


def prod(sizes) -> int:
    n = 1
    for s in sizes:
        n *= s
    return n


def shape_arg(shape) -> tuple:
    """Sizes given as f(2, 3) or f((2, 3)) -> (2, 3) (no checks: reshape's -1 is allowed). torch's
    parser takes no bool first (x.view(True, 9), x.flip(True): TypeError) but a later one as an
    index (x.view(9, True) is (9, 1))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if shape and isinstance(shape[0], (bool, np.bool_)):
        raise TypeError(
            f"argument must be tuple of ints, but found element of type {type(shape[0]).__name__} at pos 0"
        )
    return tuple(map(operator.index, shape))  # 2.5 is TypeError, as torch


class Size(tuple):
    """A tensor's shape (like torch.Size): a tuple of ints that prints as `pyneuro.Size([2, 3])`."""

    __slots__ = ()
    __module__ = "pyneuro"  # type(x.shape): <class 'pyneuro.Size'>, as torch's

    def __new__(cls, sizes=()):
        # ints only, as torch's (Size([2.5]) is TypeError); a 0-d integer tensor becomes its int
        return tuple.__new__(cls, map(operator.index, sizes))

    def __repr__(self) -> str:
        return f"pyneuro.Size({list(self)})"

    # joined or repeated, a Size stays a Size (torch: Size([2]) + (3,) and (3,) + Size([2]))
    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other))) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    __str__ = __repr__

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return _TUPLE_NEW(Size, out) if isinstance(index, slice) else out  # (ints already)

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return prod(self)


_TUPLE_NEW = tuple.__new__


def size_of(shape) -> Size:
    """A backend array's shape as a Size: its sizes are ints already, so Size's conversion of
    each (a map over operator.index, most of what x.shape cost) is skipped."""
    return _TUPLE_NEW(Size, shape)


def numpy_keywords(fn):
    """Let fn take NumPy's spellings `axis=` and `keepdims=` for `dim=` and `keepdim=`, as torch does.

    x.sum(axis=1), x.mean(axis=0, keepdims=True), F.softmax(x, axis=-1): course code written
    with NumPy habits runs unchanged. Applied to the Tensor methods and free functions that
    take a dim (tensor.py, functions.py, functional.py), so the rule lives here only.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not kwargs:  # (the common call: nothing to rename)
            return fn(*args)
        if "axis" in kwargs:
            if "dim" in kwargs:
                raise TypeError(f"{fn.__name__}() got both 'dim' and its alias 'axis'")
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs:
            if "keepdim" in kwargs:
                raise TypeError(f"{fn.__name__}() got both 'keepdim' and its alias 'keepdims'")
            kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    return wrapper


def c_order(a):
    """a in C order. torch's ops that are not elementwise (reductions, gathers, cat, stack,
    softmax along a dim that is not the last, running sums) return contiguous tensors whatever the input's
    layout, and code relies on it (`out.view(-1)`); NumPy's results of those may be in another
    order. Device arrays are C-ordered already."""
    return np.ascontiguousarray(a) if type(a) is np.ndarray and not a.flags.c_contiguous else a
