"""3-D convolution and pooling layers (torch.nn's names, arguments, initialisation and reprs):
Conv3d, ConvTranspose3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d, LPPool3d, MaxUnpool3d.

Each forward is one call of pyneuro.functional (pyneuro/functional_conv3d.py, which builds
them on the 2-D kernels). Conv3d shares Conv1d/Conv2d's arguments, parameters, init and
padding modes (_ConvNd).
"""

from __future__ import annotations

from ... import functional as F
from ..._shapes import ints
from ...tensor import Tensor
from .conv import _ConvNd, _ConvTransposeNd, _MaxPoolNd
from .module import Module
from .pooling import _AdaptiveMaxPoolNd, _LPPoolNd, _MaxUnpoolNd


def _triple(v) -> tuple:
    return (v,) * 3 if isinstance(v, float) else ints(v, 3)  # (a float kept, as conv.py's _pair)


class Conv3d(_ConvNd):
    """y = conv3d(x, W) + b with W of shape (out_channels, in_channels / groups, kD, kH, kW).

    x (N, C, D, H, W) or unbatched (C, D, H, W). Initialisation as torch: weight ~
    kaiming_uniform_(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels /
    groups * kD * kH * kW. padding_mode 'zeros', 'reflect', 'replicate' or 'circular'.
    """

    _tuple = staticmethod(_triple)

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._conv_input(input)
        return F.conv3d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class ConvTranspose3d(_ConvTransposeNd):
    """y = conv_transpose3d(x, W) + b with W of shape (in_channels, out_channels / groups, kD, kH, kW).

    Output sizes (D - 1) s - 2 p + dil (k - 1) + output_padding + 1, or output_size (which picks
    output_padding, as torch). Initialisation as torch (fan_in = out_channels / groups * kD kH kW).
    """

    _tuple = staticmethod(_triple)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                  self.dilation)  # fmt: skip


class MaxPool3d(_MaxPoolNd):
    """Maximum over kD x kH x kW windows (stride defaults to kernel_size), as torch."""

    def forward(self, input: Tensor):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)  # fmt: skip


class AvgPool3d(Module):
    """Mean over kD x kH x kW windows (count_include_pad, divisor_override as torch)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(Module):
    """Average pooling to a fixed output size (an int, or a triple whose None keeps the input's size)."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool3d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Maximum over adaptive windows of (N, C, D, H, W) to output_size."""

    def forward(self, input: Tensor):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class LPPool3d(_LPPoolNd):
    """(sum over each kD x kH x kW window of x^p)^(1/p)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class MaxUnpool3d(_MaxUnpoolNd):
    """max_unpool3d(input, indices, ...): the inverse of MaxPool3d(return_indices=True) at its maxima."""

    dims = 3

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


__all__ = [
    "Conv3d",
    "ConvTranspose3d",
    "MaxPool3d",
    "AvgPool3d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d",
    "LPPool3d",
    "MaxUnpool3d",
]
