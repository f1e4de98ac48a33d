"""Convolution and pooling layers (torch's names, arguments, initialisation and reprs):

Conv1d, Conv2d    y = conv1d/conv2d(x, weight) + bias, a learnt cross-correlation
ConvTranspose1d/2d   y = conv_transpose1d/2d(x, weight) + bias, its transpose (upsampling)
MaxPool1d/2d      the maximum over each window
AvgPool1d/2d      the mean over each window
AdaptiveAvgPool1d/2d   the mean over windows sized to give a fixed output size

Each forward is one call of pyneuro.functional (whose 1-D functions run the 2-D kernels on a
height-1 image)."""

from __future__ import annotations

import math

from ... import functional as F
from ..._errors import ArgumentError, ArgumentTypeError
from ..._shapes import ints
from ..._tensor_base import _device
from ...creation import empty
from ...tensor import Tensor
from .. import init
from .module import Module, Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _pair(v):
    """(v, v) from an int, or a sequence's items; a float is kept, as torch's _pair keeps it
    (Conv2d(3, 8, 3, padding=3 / 2) builds, and its forward is the TypeError)."""
    return (v, v) if isinstance(v, float) else ints(v, 2)


def _single(v, name="kernel_size"):
    """(v,) from an int or a sequence of one int (torch's _single, checked; a float kept)."""
    t = (v,) if isinstance(v, float) else ints(v)
    if len(t) != 1:
        raise ArgumentError(f"expected {name} to be a single int or a tuple of one int, but got {v!r}")
    return t


class _ConvNd(Module):
    """What the convolutions and transposed convolutions share: arguments, parameters,
    initialisation and repr.

    `_tuple` turns an int (or sequence) into the layer's tuple of per-dimension sizes;
    `transposed` gives the weight the shape (in_channels, out_channels / groups, *k) and the
    repr an output_padding field."""

    _tuple = staticmethod(_pair)
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
        generator=None,
        output_padding=0,
    ):
        super().__init__()
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if self.transposed and isinstance(padding, str):  # (torch's TypeError; it raises at forward)
            raise ArgumentTypeError(
                f"{type(self).__name__}: padding must be an int or a tuple of ints, not a string"
            )
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                "padding_mode must be one of {'circular', 'replicate', 'zeros', 'reflect'}, "
                f"but got padding_mode='{padding_mode}'"
            )
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self._tuple(stride)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = self._tuple(kernel_size), self._tuple(stride)
        self.padding = padding if isinstance(padding, str) else self._tuple(padding)
        self.dilation, self.groups, self.padding_mode = self._tuple(dilation), groups, padding_mode
        self.output_padding = self._tuple(output_padding)
        dev, dt = _device(device), dtype
        if self.transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty(shape, dtype=dt, device=dev))
        if bias:
            self.bias = Parameter(empty((out_channels,), dtype=dt, device=dev))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def _conv_input(self, input: Tensor):
        """(input, padding) for the convolution: with padding_mode 'reflect', 'replicate' or 'circular'
        the input is padded by F.pad first and the convolution pads nothing (as torch does)."""
        if self.padding_mode == "zeros":
            return input, self.padding
        if self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            sides = [(t // 2, t - t // 2) for t in totals]
        else:
            sides = (
                [(0, 0)] * len(self.kernel_size)
                if self.padding == "valid"
                else [(p, p) for p in self.padding]
            )
        pad = tuple(v for lo_hi in reversed(sides) for v in lo_hi)  # last dimension first, as F.pad
        return F.pad(input, pad, mode=self.padding_mode), 0

    def reset_parameters(self, generator=None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def extra_repr(self) -> str:
        n = len(self.kernel_size)
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """y = conv1d(x, W) + b with W of shape (out_channels, in_channels / groups, k).

    x (N, C, L) or unbatched (C, L). Initialisation as torch: weight ~ kaiming_uniform_(a=sqrt(5)),
    i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups * k; bias ~ the
    same range. padding_mode 'zeros' (default), 'reflect', 'replicate' or 'circular' (F.pad's modes).
    """

    _tuple = staticmethod(_single)

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._conv_input(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """y = conv2d(x, W) + b with W of shape (out_channels, in_channels / groups, kH, kW).

    Initialisation as torch: weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in),
    1/sqrt(fan_in)) with fan_in = in_channels / groups * kH * kW; bias ~ the same range.
    padding_mode 'zeros' (default), 'reflect', 'replicate' or 'circular' (F.pad's modes).
    """

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._conv_input(input)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: torch's argument order and _output_padding."""

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
        generator=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
            generator,
            output_padding,
        )

    def _output_padding(self, input, output_size):
        """self.output_padding, or the one that gives output_size (its last len(kernel) sizes), as torch."""
        if output_size is None:
            return self.output_padding
        n = len(self.kernel_size)
        lead = 2 if input.ndim == n + 2 else 1
        if len(output_size) == lead + n:
            output_size = output_size[lead:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or {lead + n} "
                f"elements (got {len(output_size)})"
            )
        lo = [
            (input.shape[lead + d] - 1) * self.stride[d]
            - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(n)
        ]
        hi = [lo[d] + self.stride[d] - 1 for d in range(n)]
        for size, a, b in zip(output_size, lo, hi):
            if size < a or size > b:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from {lo} to {hi} "
                    f"(for an input of {input.shape[2:]})"
                )
        return tuple(int(size) - a for size, a in zip(output_size, lo))


class ConvTranspose1d(_ConvTransposeNd):
    """y = conv_transpose1d(x, W) + b with W of shape (in_channels, out_channels / groups, k).

    x (N, C, L) or unbatched (C, L); the output is (L - 1) s - 2 p + d (k - 1) + output_padding + 1
    long, or output_size (whose last entry picks output_padding, as torch). Initialisation as
    torch: weight ~ kaiming_uniform_(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = out_channels / groups * k. padding_mode: only 'zeros' (ValueError otherwise).
    """

    _tuple = staticmethod(_single)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose1d(
            input, self.weight, self.bias, self.stride, self.padding, op, self.groups, self.dilation
        )


class ConvTranspose2d(_ConvTransposeNd):
    """y = conv_transpose2d(x, W) + b with W of shape (in_channels, out_channels / groups, kH, kW).

    The upsampling layer of DCGAN generators and U-Net decoders: x (N, C, H, W) or unbatched
    (C, H, W) gives Ho = (H - 1) sh - 2 ph + dh (kH - 1) + oph + 1 rows (likewise Wo), or
    output_size (its last two entries pick output_padding, as torch). Initialisation as torch:
    weight ~ kaiming_uniform_(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = out_channels / groups * kH * kW. padding_mode: only 'zeros' (ValueError otherwise).
    """

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose2d(
            input, self.weight, self.bias, self.stride, self.padding, op, self.groups, self.dilation
        )


class _MaxPoolNd(Module):
    """What MaxPool1d and MaxPool2d share: the arguments (stored as given) and the repr."""

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Maximum over windows of kernel_size elements (stride defaults to kernel_size), as torch."""

    def forward(self, input: Tensor):
        args = (self.padding, self.dilation, self.ceil_mode, self.return_indices)
        return F.max_pool1d(input, self.kernel_size, self.stride, *args)


class MaxPool2d(_MaxPoolNd):
    """Maximum over kernel_size windows (stride defaults to kernel_size), as torch."""

    def forward(self, input: Tensor):
        return F.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class AvgPool1d(Module):
    """Mean over windows of kernel_size elements (stride defaults to kernel_size), as torch.

    Sizes are stored as 1-tuples, as torch's (so is its repr)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size, "stride")
        self.padding = _single(padding, "padding")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        args = (self.padding, self.ceil_mode, self.count_include_pad)
        return F.avg_pool1d(input, self.kernel_size, self.stride, *args)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over kernel_size windows (count_include_pad, divisor_override as torch)."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (an int, or a pair whose None keeps the input's size)."""

    def __init__(self, output_size):
        super().__init__()
        if not isinstance(output_size, int) and output_size is not None and len(tuple(output_size)) != 2:
            raise ArgumentError(
                f"AdaptiveAvgPool2d: output_size must be an int or a pair, got {output_size!r}"
            )
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(Module):
    """Average pooling to a fixed output length (an int or a 1-tuple)."""

    def __init__(self, output_size):
        super().__init__()
        _single(output_size, "output_size")
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
