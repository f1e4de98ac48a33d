"""Convolution and pooling Functions: one kernel-table call forward, one or three backward.

    Conv2d              y  = conv2d_forward(x, w, b)            (bias added inside the kernel)
                        dx = conv2d_backward_input(dy, w)       (the transposed convolution)
                        dw = conv2d_backward_weight(dy, x)      (correlate the input with dy)
                        db = conv2d_backward_bias(dy)           (sum over N, Ho, Wo)
    ConvTranspose2d     y  = conv2d_backward_input(x, w) + b    (w (Cin, Cout/groups, kH, kW) read as a
                                                                 conv weight with O = Cin)
                        dx = conv2d_forward(dy, w)              (the convolution it transposes)
                        dw = conv2d_backward_weight(x, dy)      (x plays grad_y, dy the conv input)
                        db = conv2d_backward_bias(dy)
    MaxPool2d           y, idx = max_pool2d_forward(x);  dx = scatter-add dy at idx
    AvgPool2d           y = avg_pool2d_forward(x);       dx = avg_pool2d_backward(dy)
    AdaptiveAvgPool2d   y = adaptive_avg_pool2d_forward(x); dx = its backward

The kernels and their arguments are described in pyneuro/backends/protocol.py (docs/DESIGN.md,
"Convolution and pooling entries"); each backend validates its arguments and raises torch's
errors, so nothing here re-checks them. Padding given to the kernels is symmetric; an
asymmetric one (padding="same" with an even kernel) is applied here by padding x with zeros,
and backward crops the padded gradient back.
"""

from __future__ import annotations

import numpy as np

from .._tensor_base import _wrap
from ..backends import _conv_checks, numpy_conv
from .function import Function

_HALF = np.dtype(np.float16)


def _widened(a):
    return a.astype(np.float32) if getattr(a, "dtype", None) == _HALF else a


def _narrowed(a):
    return a.astype(_HALF) if getattr(a, "dtype", None) == np.float32 else a


def half_in_float32(cls):
    """Class decorator: the kernels compute in float32 and float64 only, so a float16 node runs
    them in float32 and hands float16 back (torch's CPU kernels accumulate half in float too).
    Forward widens its half arrays and narrows its result; backward, which then receives a half
    gradient, does the same (integer outputs, such as pooling indices, pass through)."""
    forward, backward = cls.forward, cls.backward

    def half_forward(self, *arrays, **params):
        if not any(getattr(a, "dtype", None) == _HALF for a in arrays):
            return forward(self, *arrays, **params)
        return _narrowed(forward(self, *map(_widened, arrays), **params))

    def half_backward(self, g):
        if g.dtype != _HALF:
            return backward(self, g)
        return tuple(_narrowed(r) for r in backward(self, _widened(g)))

    cls.forward, cls.backward = half_forward, half_backward
    return cls


def _pad_zeros(xp, x, pad4):
    """x (N, C, H, W) with (top, bottom, left, right) zero rows/columns added."""
    t, b, left, r = pad4
    return xp.pad(x, ((0, 0), (0, 0), (t, b), (left, r)))


@half_in_float32
class Conv2d(Function):
    """y = conv2d(x, w) + b (NCHW, groups, stride, padding, dilation) on the backend's kernels.

    pad4 (top, bottom, left, right), when given, is an extra zero padding applied to x first
    (torch's asymmetric "same" padding for even kernels).
    """

    __slots__ = ()
    saved_for = ((0, 1), (0, 1))  # torch's node saves x and w whatever needs a gradient, never the bias

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, pad4=None):
        bk = self.kernels(x)
        if pad4 is not None:
            x = _pad_zeros(bk.xp, x, pad4)
        self.saved = (x, w, (stride, padding, dilation, groups), pad4)
        if x.dtype.kind in "biu" and type(x) is np.ndarray:  # (torch convolves integers: no gradient)
            _conv_checks.integer_conv(x.dtype, dilation, transposed=False)
            return numpy_conv.integer_conv2d(x, w, b, stride, padding, dilation, groups)
        return bk.conv2d_forward(x, w, b, stride, padding, dilation, groups)

    def backward(self, g):
        bk = self.bk
        x, w, (stride, padding, dilation, groups), pad4 = self.saved
        gx = gw = gb = None
        if self.needs[0]:
            gx = bk.conv2d_backward_input(g, w, x.shape, stride, padding, dilation, groups)
            if pad4 is not None:
                t, b, left, r = pad4
                gx = gx[:, :, t : gx.shape[2] - b, left : gx.shape[3] - r]
        if self.needs[1]:
            gw = bk.conv2d_backward_weight(g, x, w.shape, stride, padding, dilation, groups)
        if len(self.needs) > 2 and self.needs[2]:
            gb = bk.conv2d_backward_bias(g)
        return gx, gw, gb

    def name(self) -> str:
        return "ConvolutionBackward0"


@half_in_float32
class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, w) + b: the input-gradient of the conv2d whose weight is w.

    The output is Ho = (H - 1) sh - 2 ph + dh (kH - 1) + oph + 1 high (likewise Wo), of which
    conv2d gives back H rows when oph < sh. An output padding that is not smaller than the
    stride (allowed when it is smaller than the dilation) is run as zero rows/columns appended
    to x (which add nothing to y) and oph % sh; backward crops them from dx.
    """

    __slots__ = ()
    saved_for = ((0, 1), (0, 1))  # (as Conv2d's)

    def forward(
        self, x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1
    ):
        bk = self.kernels(x)
        extra = tuple(op // s for op, s in zip(output_padding, stride))
        if any(extra):
            x = _pad_zeros(bk.xp, x, (0, extra[0], 0, extra[1]))
        n, _, h, wd = x.shape
        ho, wo = (
            (i - 1) * s - 2 * p + d * (k - 1) + op % s + 1
            for i, s, p, d, k, op in zip((h, wd), stride, padding, dilation, w.shape[2:], output_padding)
        )
        args = (stride, padding, dilation, groups)
        if x.dtype.kind in "biu" and type(x) is np.ndarray:  # (as Conv2d's)
            _conv_checks.integer_conv(x.dtype, dilation, transposed=True)
            y = numpy_conv.integer_conv_transpose2d(x, w, (n, w.shape[1] * groups, ho, wo), *args)
        else:
            y = bk.conv2d_backward_input(x, w, (n, w.shape[1] * groups, ho, wo), *args)
        if b is not None:
            y = y + b.reshape(1, -1, 1, 1)
        self.saved = (x, w, args, extra)
        return y

    def backward(self, g):
        bk = self.bk
        x, w, args, extra = self.saved
        gx = gw = gb = None
        if self.needs[0]:
            gx = bk.conv2d_forward(g, w, None, *args)
            if any(extra):
                gx = gx[:, :, : gx.shape[2] - extra[0], : gx.shape[3] - extra[1]]
        if self.needs[1]:
            gw = bk.conv2d_backward_weight(x, g, w.shape, *args)
        if len(self.needs) > 2 and self.needs[2]:
            gb = bk.conv2d_backward_bias(g)
        return gx, gw, gb

    def name(self) -> str:
        return "ConvolutionBackward0"


@half_in_float32
class MaxPool2d(Function):
    """y = max over each window; backward sends each gradient to the argmax it came from.

    `box`, when a list, receives the int64 indices (for return_indices=True).
    """

    __slots__ = ()

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode, box=None):
        bk = self.kernels(x)
        y, idx = bk.max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode)
        if box is not None:
            box.append(idx)
        self.saved = (idx, x.shape)
        return y

    def backward(self, g):
        idx, shape = self.saved
        return (self.bk.max_pool2d_backward(g, idx, shape),)

    def name(self) -> str:
        return "MaxPool2DWithIndicesBackward0"


def max_pool2d_with_indices(x, kernel, stride, padding, dilation, ceil_mode):
    """(y, indices) as Tensors; only y is in the graph (indices are integers)."""
    box = []
    y = MaxPool2d.apply(x, kernel, stride, padding, dilation, ceil_mode, box=box)
    return y, _wrap(box[0], x.device)


@half_in_float32
class AvgPool2d(Function):
    """y = mean over each window; backward spreads each gradient evenly over its window.
    It reads only x's shape, but torch saves x: changing x in place after the op, or a second
    backward, raises there too."""

    __slots__ = ()
    saved_for = ((0,),)

    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        bk = self.kernels(x)
        args = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
        self.saved = (x.shape, args)
        return bk.avg_pool2d_forward(x, *args)

    def backward(self, g):
        shape, args = self.saved
        return (self.bk.avg_pool2d_backward(g, shape, *args),)

    def name(self) -> str:
        return "AvgPool2DBackward0"


@half_in_float32
class AdaptiveAvgPool2d(Function):
    """y[i, j] = mean of the window [floor(i H / oh), ceil((i + 1) H / oh)) x (same for W)."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, x, output_size):
        bk = self.kernels(x)
        self.saved = (x.shape,)
        return bk.adaptive_avg_pool2d_forward(x, output_size)

    def backward(self, g):
        return (self.bk.adaptive_avg_pool2d_backward(g, self.saved[0]),)

    def name(self) -> str:
        return "AdaptiveAvgPool2DBackward0"
