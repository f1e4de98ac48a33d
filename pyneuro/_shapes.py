"""Shape arithmetic shared by the Tensor methods and the autograd Functions.

Pure functions on tuples of ints; imports nothing from pyneuro but the error types.
"""

from __future__ import annotations

from ._errors import ShapeError


def normalize_dims(dim, ndim):
    """dim (None, int or tuple) -> sorted tuple of non-negative axes, validated."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})"
            )
        out.append(d % max(ndim, 1))
    return tuple(sorted(out))


def broadcast_shapes(s1, s2):
    """The broadcast of two shapes (ShapeError when they do not broadcast)."""
    out = []
    for i in range(1, max(len(s1), len(s2)) + 1):
        x = s1[-i] if i <= len(s1) else 1
        y = s2[-i] if i <= len(s2) else 1
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"matmul: batch dimensions {tuple(s1)} and {tuple(s2)} cannot be broadcast")
        out.append(max(x, y))
    return tuple(reversed(out))


def prod(sizes) -> int:
    n = 1
    for s in sizes:
        n *= s
    return n


def shape_arg(shape) -> tuple:
    """Sizes given as f(2, 3) or f((2, 3)) -> (2, 3) (no checks: reshape's -1 is allowed)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)
