"""Padding layers (torch.nn's names, arguments and reprs), each one call of F.pad:

ZeroPad1d/2d/3d         pad with zeros
ConstantPad1d/2d/3d     pad with a constant value
ReflectionPad1d/2d/3d   mirror the input at its edges (the edge itself is not repeated)
ReplicationPad1d/2d/3d  repeat the edge element
CircularPad1d/2d/3d     wrap around (the start pads the end and the end the start)

`padding` is an int (the same on every side) or a tuple (left, right[, top, bottom[, front,
back]]), stored as a tuple of 2, 4 or 6 ints for the 1-, 2- and 3-d layers as torch does.
Negative sizes crop.
"""

from __future__ import annotations

from ... import functional as F
from ...tensor import Tensor
from .module import Module


def _sides(padding, n: int) -> tuple:
    """torch's _ntuple(n): an int repeated n times, any other iterable as a tuple."""
    if isinstance(padding, int):
        return (padding,) * n
    return tuple(padding)


class _PadNd(Module):
    """What the padding layers share: the F.pad mode, the tuple of sides, the input check."""

    mode = "constant"
    dims = 1  # how many trailing dimensions the layer pads

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _sides(padding, 2 * self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with `value`: (C, W) or (N, C, W) -> W + left + right."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with `value`: padding (left, right, top, bottom)."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with `value`: padding (left, right, top, bottom, front, back)."""

    dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dimension with zeros."""


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dimensions with zeros: padding (left, right, top, bottom)."""

    dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dimensions with zeros."""

    dims = 3


class ReflectionPad1d(_PadNd):
    """Mirror the last dimension at its edges: [0 1 2 3] padded by 2 -> [2 1 0 1 2 3 2 1]."""

    mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror the last two dimensions at their edges."""

    mode, dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Mirror the last three dimensions at their edges."""

    mode, dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge elements of the last dimension: [0 1 2] padded by 2 -> [0 0 0 1 2 2 2]."""

    mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Repeat the edge rows and columns."""

    mode, dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Repeat the edges of the last three dimensions."""

    mode, dims = "replicate", 3


class _CircularPadNd(_PadNd):
    """Circular padding; torch checks the input's rank first (ValueError)."""

    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (self.dims + 1, self.dims + 2):
            raise ValueError(
                f"expected {self.dims + 1}D or {self.dims + 2}D input (got {input.dim()}D input)"
            )
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Wrap the last dimension around: [0 1 2 3] padded by 1 -> [3 0 1 2 3 0]."""


class CircularPad2d(_CircularPadNd):
    """Wrap the last two dimensions around (a torus)."""

    dims = 2


class CircularPad3d(_CircularPadNd):
    """Wrap the last three dimensions around."""

    dims = 3


__all__ = [
    f"{kind}Pad{n}d"
    for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular")
    for n in (1, 2, 3)
]
