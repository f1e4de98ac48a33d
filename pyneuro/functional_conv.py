"""Convolution, pooling, channel dropout and padding for pyneuro.functional (torch.nn.functional's names).

    y = F.conv2d(x, w, b, stride=1, padding="same")      # x (N, C, H, W), w (O, C/groups, kH, kW)
    y = F.max_pool2d(F.relu(y), 2)                        # halves H and W

Each function resolves torch's argument forms (ints or pairs, padding "same"/"valid", stride
None meaning the kernel size, unbatched (C, H, W) input) and calls one autograd Function of
pyneuro/autograd/conv.py, whose forward and backward are kernel-table calls
(conv2d_forward/backward_*, max/avg/adaptive pooling; see
docs/DESIGN.md, "Convolution and pooling entries"). The kernels check the shapes and raise
torch's errors. conv_transpose2d (x (N, C, H, W), w (C, O/groups, kH, kW)) is the
input-gradient of conv2d: it runs conv2d_backward_input forward and conv2d_forward backward.

The 1-D functions (x (N, C, L) or (C, L)) compute the same over the last axis alone:
conv1d (cross-correlation), conv_transpose1d, max_pool1d and avg_pool1d (maximum / mean over each window),
adaptive_avg_pool1d (mean over windows that give a fixed output length). Each views the
signal as an image of height 1, (N, C, 1, L), and calls its 2-D function.

Costs (per image): conv2d does 2 * O * (C/groups) * kH * kW * Ho * Wo FLOPs forward and twice
that backward (the input and the weight gradients); pooling reads each input element once per
window it falls in and does no multiplication worth counting.
"""

from __future__ import annotations

import warnings
from numbers import Integral

from . import autograd as _ag
from ._dtype import c_type_name, int64
from ._dtype import torch_name as _torch_name
from ._errors import ArgumentError, DTypeError, DTypeNotImplemented, NotATensor, ShapeError
from .backends._conv_checks import _sizes
from .backends._conv_checks import out_size as _out_size
from .backends._conv_checks import pair as _pair
from .creation import full as _full
from .functions import cat as _ag_cat
from .tensor import Tensor


def _batched(input, op: str):
    """(x as 4-D, unbatched?): torch accepts (C, H, W) and answers in the same form."""
    if not isinstance(input, Tensor):
        raise NotATensor(f"{op}(): argument 'input' must be a pyneuro Tensor, not {type(input).__name__}")
    if input.ndim == 3:
        return input.unsqueeze(0), True
    return input, False


_same_even_kernel_warned = []  # torch warns once per process (TORCH_WARN_ONCE)


def _warn_same_even_kernel() -> None:
    if not _same_even_kernel_warned:
        _same_even_kernel_warned.append(True)
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of "
            "the input be created",
            stacklevel=3,
        )


def same_padding(kernel, dilation) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for padding="same" at stride 1: the total d (k - 1) split with
    the extra row/column (odd total, i.e. an even kernel) at the bottom/right, as torch does."""
    (kh, kw), (dh, dw) = kernel, dilation
    th, tw = dh * (kh - 1), dw * (kw - 1)
    return th // 2, th - th // 2, tw // 2, tw - tw // 2


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D cross-correlation (what deep learning calls convolution), like torch's F.conv2d.

        y[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x[n, g*C/G + c, i*sh + u*dh - ph, j*sw + v*dw - pw]

    padding: an int, a pair, "valid" (no padding) or "same" (output as large as the input;
    stride 1 only; an even kernel pads one more row/column at the bottom/right, as torch).
    Kernels: conv2d_forward (the bias is added inside it); backward conv2d_backward_input,
    conv2d_backward_weight and conv2d_backward_bias.
    """
    x, unbatched = _batched(input, "conv2d")
    if not isinstance(weight, Tensor):
        raise NotATensor(f"conv2d(): argument 'weight' must be a pyneuro Tensor, not {type(weight).__name__}")
    if weight.dtype != x.dtype:
        raise DTypeError(f"expected scalar type {_torch_name(x.dtype)} but found {_torch_name(weight.dtype)}")
    if bias is not None and bias.dtype != x.dtype:
        raise DTypeError(
            f"Input type ({c_type_name(x.dtype)}) and bias type ({c_type_name(bias.dtype)}) "
            "should be the same"
        )
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    pad4 = None
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ArgumentError("padding='same' is not supported for strided convolutions")
            k = tuple(weight.shape[2:4]) if weight.ndim == 4 else (1, 1)
            t, b, left, r = same_padding(k, dilation)
            padding = (t, left)  # the symmetric part goes to the kernel
            if (t, left) != (b, r):  # even kernel: the extra bottom row / right column padded here
                pad4 = (0, b - t, 0, r - left)
                _warn_same_even_kernel()
        else:
            raise ArgumentError(f"Invalid padding string: {padding!r}")
    else:
        padding = _pair(padding, "padding")
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise ArgumentError(f"groups must be an int, got {groups!r}")
    y = _ag.Conv2d.apply(x, weight, bias, stride, padding, dilation, groups, pad4)
    return y.squeeze(0) if unbatched else y


def _check_transposed(xs, ws, bias, groups) -> None:
    """torch's shape checks of a transposed convolution (input xs batched, weight ws), in its words."""
    if ws[0] % groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_sizes(ws)}] instead"
        )
    if xs[1] != ws[0]:
        raise ShapeError(
            f"Given transposed=1, weight of size {_sizes(ws)}, expected input{_sizes(xs)} to have "
            f"{ws[0]} channels, but got {xs[1]} channels instead"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != ws[1] * groups):
        raise ShapeError(
            f"Given transposed=1, weight of size {_sizes(ws)}, expected bias to be 1-dimensional with "
            f"{ws[1] * groups} elements, but got bias of size {_sizes(bias.shape)} instead"
        )


def int_list(value, op: str, name: str, position: int) -> tuple[int, ...]:
    """value read as torch reads an int-list argument (F.pad's pad, F.layer_norm's normalized_shape):
    a tuple, list or Size of ints (NumPy ints and 0-d integer tensors too); else torch's TypeError."""
    where = f"{op}(): argument '{name}' (position {position}) must be tuple of ints"
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{where}, not {type(value).__name__}")
    for i, v in enumerate(value):
        if type(v) is int:  # (the common case, before the ABC check below)
            continue
        integer_tensor = isinstance(v, Tensor) and v.ndim == 0 and v.dtype.kind in "iu"
        if isinstance(v, bool) or not (isinstance(v, Integral) or integer_tensor):
            raise TypeError(f"{where}, but found element of type {type(v).__name__} at pos {i}")
    return tuple(int(v) for v in value)


def _int_args(op: str, **args) -> None:
    """torch's parser refuses a padding string (or other non-int) with a TypeError."""
    for name, v in args.items():
        if isinstance(v, (str, bool, float)):
            raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {type(v).__name__}")


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """2-D transposed convolution (the input-gradient of conv2d), like torch's F.conv_transpose2d.

        y[n, g*O/G + o, i*sh + u*dh - ph, j*sw + v*dw - pw] += w[g*C/G + c, o, u, v] * x[n, g*C/G + c, i, j]

    x (N, C, H, W) or unbatched (C, H, W), w (C, O/groups, kH, kW); the output is
    Ho = (H - 1) sh - 2 ph + dh (kH - 1) + oph + 1 high (likewise Wo): output_padding adds rows
    at the bottom (columns at the right) and must be smaller than the stride or the dilation.
    Kernels: conv2d_backward_input forward; backward conv2d_forward (dx),
    conv2d_backward_weight (dw) and conv2d_backward_bias (db).
    """
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise NotATensor(
                f"conv_transpose2d(): argument '{name}' must be a pyneuro Tensor, not {type(t).__name__}"
            )
    _int_args("conv_transpose2d", stride=stride, padding=padding, output_padding=output_padding)
    if input.ndim not in (3, 4):
        raise ShapeError(
            "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: "
            f"{_sizes(input.shape)}"
        )
    if weight.ndim != 4:
        raise ShapeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{_sizes(weight.shape)}, but got {input.ndim}-dimensional input of size {_sizes(input.shape)} instead"
        )
    x, unbatched = _batched(input, "conv_transpose2d")
    if weight.dtype != x.dtype:
        raise DTypeError(f"expected scalar type {_torch_name(x.dtype)} but found {_torch_name(weight.dtype)}")
    if bias is not None and bias.dtype != x.dtype:
        raise DTypeError(f"expected scalar type {_torch_name(x.dtype)} but found {_torch_name(bias.dtype)}")
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    output_padding, dilation = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    if isinstance(groups, bool) or not isinstance(groups, Integral):
        raise TypeError(f"conv_transpose2d(): argument 'groups' must be int, not {type(groups).__name__}")
    (sh, sw), (oph, opw), (dh, dw) = stride, output_padding, dilation
    for bad, message in (
        (min(stride) < 1, "non-positive stride is not supported"),
        (min(padding) < 0, "negative padding is not supported"),
        (min(output_padding) < 0, "negative output_padding is not supported"),
        (
            min(dilation) < 1,
            f"dilation should be greater than zero, but got dilation_height: {dh}, dilation_width: {dw}",
        ),
        (groups < 1, "non-positive groups is not supported"),
        (
            (oph >= sh and oph >= dh) or (opw >= sw and opw >= dw),
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {oph} output_padding_width: {opw} stride_height: {sh} "
            f"stride_width: {sw} dilation_height: {dh} dilation_width: {dw}",
        ),
    ):
        if bad:
            raise ArgumentError(message)
    _check_transposed(tuple(x.shape), tuple(weight.shape), bias, int(groups))
    kh, kw = weight.shape[2:]
    if kh < 1 or kw < 1:
        raise ShapeError(
            f"kernel size should be greater than zero, but got kernel_height: {kh} kernel_width: {kw}"
        )
    h, w = x.shape[2:]
    ho, wo = (
        (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        for i, s, p, d, k, op in zip((h, w), stride, padding, dilation, (kh, kw), output_padding)
    )
    if ho < 0 or wo < 0:  # an empty output (0 rows) is torch's too (its 3x3 path; its 1x1 one refuses it)
        raise ShapeError(
            f"Given input size per channel: ({h} x {w}). Calculated output size per channel: ({ho} x {wo}). "
            "Output size is too small"
        )
    y = _ag.ConvTranspose2d.apply(x, weight, bias, stride, padding, output_padding, dilation, int(groups))
    return y.squeeze(0) if unbatched else y


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over each kH x kW window (stride defaults to the kernel size), like torch.

    Padding counts as -inf (never chosen over a real element). Kernel: max_pool2d_forward,
    which also returns the flat index h * W + w of each maximum in its input plane
    (return_indices=True gives them); backward scatter-adds the gradient at those indices.
    """
    x, unbatched = _batched(input, "max_pool2d")
    if x.dtype.kind == "b":
        raise DTypeNotImplemented("\"max_pool2d\" not implemented for 'Bool'")
    if x.dtype.kind in "iu":  # integers (uint8 images), as torch's CPU kernel: the float64 pool's
        y, idx = max_pool2d(x.double(), kernel_size, stride, padding, dilation, ceil_mode, True)
        y = x.flatten(-2).gather(-1, idx.flatten(-2)).view_as(idx)  # indices pick the exact values
        y, idx = (y.squeeze(0), idx.squeeze(0)) if unbatched else (y, idx)
        return (y, idx) if return_indices else y
    kernel = _pair(kernel_size, "kernel_size")
    stride = (
        kernel
        if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
        else _pair(stride, "stride")
    )
    args = (kernel, stride, _pair(padding, "padding"), _pair(dilation, "dilation"), bool(ceil_mode))
    if return_indices:
        y, idx = _ag.max_pool2d_with_indices(x, *args)
        return (y.squeeze(0), idx.squeeze(0)) if unbatched else (y, idx)
    y = _ag.MaxPool2d.apply(x, *args)
    return y.squeeze(0) if unbatched else y


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Mean over each window, like torch's avg_pool2d.

    count_include_pad: divide by the whole window (padding zeros included) or only by its part
    inside the input; divisor_override replaces the divisor. Kernel: avg_pool2d_forward;
    backward avg_pool2d_backward spreads each gradient over its window.
    """
    x, unbatched = _batched(input, "avg_pool2d")
    if not x.dtype.is_floating_point:  # (torch's integer means: integer_average)
        args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        return integer_average(input, "avg_pool2d", lambda t: avg_pool2d(t, *args))
    kernel = _pair(kernel_size, "kernel_size")
    stride = (
        kernel
        if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
        else _pair(stride, "stride")
    )
    y = _ag.AvgPool2d.apply(
        x,
        kernel,
        stride,
        _pair(padding, "padding"),
        bool(ceil_mode),
        bool(count_include_pad),
        divisor_override,
    )
    return y.squeeze(0) if unbatched else y


def integer_average(input: Tensor, kernel: str, pool) -> Tensor:
    """torch's average pooling of integers: int64 sums each window and divides with C++'s integer
    division (truncated toward zero: the mean of -1, -2, -2, -2 is -1); the other integer types
    and bool have no kernel (NotImplementedError). pool(float64 input) is the float pooling."""
    if input.dtype != int64:
        raise DTypeNotImplemented(f"\"{kernel}\" not implemented for '{input.dtype.torch_name}'")
    return pool(input.double()).trunc().long()


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Average pooling to a fixed output size (oh, ow), like torch (None keeps that input size).

    Output cell i averages rows [floor(i H / oh), ceil((i + 1) H / oh)): the windows cover the
    input and may overlap by one row when oh does not divide H.
    """
    x, unbatched = _batched(input, "adaptive_avg_pool2d")
    size = (
        (output_size, output_size)
        if isinstance(output_size, int) or output_size is None
        else tuple(output_size)
    )
    if len(size) != 2:
        raise ArgumentError(f"adaptive_avg_pool2d: output_size must be 2, got {len(size)}")
    size = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(size))
    if size == (1, 1):  # global average pooling: torch takes the mean (its node is MeanBackward1)
        return input.mean((-2, -1), keepdim=True)
    if not x.dtype.is_floating_point:
        raise DTypeNotImplemented(f"\"adaptive_avg_pool2d\" not implemented for '{x.dtype.torch_name}'")
    y = _ag.named(
        _ag.AdaptiveAvgPool2d.apply(x, size), "AdaptiveAvgPool2DBackward0", reads=(x,)
    )  # torch saves x
    return y.squeeze(0) if unbatched else y


# ----------------------------------------------------------------------------- 1-D
# A length-L signal is an image of height 1: x (N, C, L) -> (N, C, 1, L), w (O, C/g, k) ->
# (O, C/g, 1, k), each size k -> (1, k); the answer's height-1 axis is squeezed away. So the
# 1-D functions run the 2-D kernels and autograd Functions above (torch builds avg_pool1d and
# adaptive_avg_pool1d the same way). Unbatched (C, L) becomes (C, 1, L), which the 2-D
# functions take as unbatched, so it is answered unbatched. The arguments are checked here
# with torch's 1-D messages; what the 2-D kernels check gives torch's own 2-D messages.
_CONV_SIZE = (
    "expected {name} to be a single integer value or a list of 1 values to match the "
    "convolution dimensions, but got {name}={v}"
)
_MAX_SIZE = "max_pool1d() {name} must be an int, list of ints or tuple of ints of size 1 but got size {n}"
_ARG_SIZE = "{op}() argument '{name}' should contain one int (got {n})"


def _single(v, name: str, op: str, message: str) -> int:
    """An int from an int or a sequence of one int; `message` words a sequence of another length."""
    seq = (v,) if isinstance(v, Integral) else v
    if isinstance(seq, (list, tuple)):
        seq = tuple(seq)
    if not isinstance(seq, tuple) or not all(
        isinstance(e, Integral) and not isinstance(e, bool) for e in seq
    ):
        raise TypeError(f"{op}(): argument '{name}' must be an int or a tuple of one int, not {v!r}")
    if len(seq) != 1:
        raise ArgumentError(message.format(name=name, op=op, n=len(seq), v=list(seq)))
    return int(seq[0])


def _no_stride(stride) -> bool:
    """stride None or an empty sequence means stride = kernel_size, as torch."""
    return stride is None or (not isinstance(stride, Integral) and len(stride) == 0)


def _tensor_1d(input, op: str) -> Tensor:
    """input is a (C, L) or (N, C, L) Tensor (torch's message, used by the pooling functions)."""
    if not isinstance(input, Tensor):
        raise NotATensor(f"{op}(): argument 'input' must be a pyneuro Tensor, not {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
            f"'self' (while checking arguments for {op})"
        )
    return input


def _check_conv1d(x, w, bias, padding, dilation, groups) -> None:
    """torch's shape checks of conv1d, in its order and words (sizes of the batched input)."""
    if x.ndim not in (2, 3):
        raise ShapeError(
            f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: {_sizes(x.shape)}"
        )
    if w.ndim < 3:
        raise ShapeError("weight should have at least three dimensions")
    if w.ndim != 3:
        raise ShapeError(
            f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight {_sizes(w.shape)}, "
            f"but got {x.ndim}-dimensional input of size {_sizes(x.shape)} instead"
        )
    xs = tuple(x.shape) if x.ndim == 3 else (1,) + tuple(x.shape)
    o, cg, k = w.shape
    if o < groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {_sizes(w.shape)} instead"
        )
    if o % groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_sizes(w.shape)}] instead"
        )
    if xs[1] != cg * groups:
        raise ShapeError(
            f"Given groups={groups}, weight of size {_sizes(w.shape)}, expected input{_sizes(xs)} to have "
            f"{cg * groups} channels, but got {xs[1]} channels instead"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != o):
        raise ShapeError(
            f"Given weight of size {_sizes(w.shape)}, expected bias to be 1-dimensional with {o} elements, "
            f"but got bias of size {_sizes(bias.shape)} instead"
        )
    total = dilation * (k - 1) if padding == "same" else 2 * padding if isinstance(padding, int) else 0
    if k >= 1 and xs[2] + total < dilation * (k - 1) + 1:
        raise ShapeError(
            f"Calculated padded input size per channel: ({xs[2] + total}). Kernel size: "
            f"({dilation * (k - 1) + 1}). Kernel size can't be greater than actual input size"
        )


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D cross-correlation over the last axis, like torch's F.conv1d.

        y[n, o, i] = b[o] + sum_{c, u} w[o, c, u] * x[n, g*C/G + c, i*s + u*d - p]

    x (N, C, L) or unbatched (C, L), w (O, C/groups, k). padding: an int, a 1-tuple, "valid"
    or "same" (stride 1; an even kernel pads the extra element on the right, as torch).
    Runs conv2d on (N, C, 1, L) with a (1, k) kernel: the same kernels and autograd Function.
    """
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise NotATensor(f"conv1d(): argument '{name}' must be a pyneuro Tensor, not {type(t).__name__}")
    stride = _single(stride, "stride", "conv1d", _CONV_SIZE)
    dilation = _single(dilation, "dilation", "conv1d", _CONV_SIZE)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ArgumentError(f"Invalid padding string: {padding!r}")
        if padding == "same" and stride != 1:
            raise ArgumentError("padding='same' is not supported for strided convolutions")
    else:
        padding = _single(padding, "padding", "conv1d", _CONV_SIZE)
    if isinstance(groups, bool) or not isinstance(groups, Integral):
        raise ArgumentError(f"groups must be an int, got {groups!r}")
    for bad, message in (
        (stride < 1, "non-positive stride is not supported"),
        (isinstance(padding, int) and padding < 0, "negative padding is not supported"),
        (dilation < 1, "non-positive dilation is not supported"),
        (groups < 1, "non-positive groups is not supported"),
    ):
        if bad:
            raise ArgumentError(message)
    _check_conv1d(input, weight, bias, padding, dilation, int(groups))
    pad2 = padding if isinstance(padding, str) else (0, padding)
    y = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, stride), pad2, (1, dilation), int(groups))
    _follow_1d(y, input, weight, _ag.Conv2d)
    return (
        y.squeeze(-2) if input.ndim == 2 else _ag.named(y.squeeze(-2), "ConvolutionBackward0")
    )  # torch's nodes


def _follow_1d(y, input, weight, op) -> None:
    """torch's node of a 1-D convolution saves its (batched) input and its weight as given, so after
    `weight.data = other` its backward reads the new weight; pyneuro's 2-D node reads their
    unsqueezed views, which stand in for them (autograd/stand_in.py). An unbatched input is
    unsqueezed by torch's conv1d too (a view its node saves: `.data =` unseen)."""
    node = y._node
    if node is not None and input.ndim == 2:
        node = node.nexts[0]  # (the 2-D node, under the squeeze of its unbatched output)
    if isinstance(node, op):
        if input.ndim == 3:
            _ag.follows(node, input)
        _ag.follows(node, weight)


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """1-D transposed convolution over the last axis, like torch's F.conv_transpose1d.

        y[n, g*O/G + o, i*s + u*d - p] += w[g*C/G + c, o, u] * x[n, g*C/G + c, i]

    x (N, C, L) or unbatched (C, L), w (C, O/groups, k); the output is
    (L - 1) s - 2 p + d (k - 1) + output_padding + 1 long. Runs conv_transpose2d on
    (N, C, 1, L) with a (1, k) kernel: the same kernels and autograd Function.
    """
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise NotATensor(
                f"conv_transpose1d(): argument '{name}' must be a pyneuro Tensor, not {type(t).__name__}"
            )
    _int_args("conv_transpose1d", stride=stride, padding=padding, output_padding=output_padding)
    stride = _single(stride, "stride", "conv_transpose1d", _CONV_SIZE)
    padding = _single(padding, "padding", "conv_transpose1d", _CONV_SIZE)
    output_padding = _single(output_padding, "output_padding", "conv_transpose1d", _CONV_SIZE)
    dilation = _single(dilation, "dilation", "conv_transpose1d", _CONV_SIZE)
    if input.ndim not in (2, 3):
        raise ShapeError(
            "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of size: "
            f"{_sizes(input.shape)}"
        )
    if weight.ndim != 3:
        raise ShapeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{_sizes(weight.shape)}, but got {input.ndim}-dimensional input of size {_sizes(input.shape)} instead"
        )
    if isinstance(groups, Integral) and not isinstance(groups, bool) and groups >= 1:
        xs = tuple(input.shape) if input.ndim == 3 else (1,) + tuple(input.shape)
        _check_transposed(xs, tuple(weight.shape), bias, int(groups))  # in 1-D sizes
    y = conv_transpose2d(
        input.unsqueeze(-2),
        weight.unsqueeze(-2),
        bias,
        (1, stride),
        (0, padding),
        (0, output_padding),
        groups,
        (1, dilation),
    )
    _follow_1d(y, input, weight, _ag.ConvTranspose2d)
    return (
        y.squeeze(-2) if input.ndim == 2 else _ag.named(y.squeeze(-2), "ConvolutionBackward0")
    )  # torch's nodes


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over each window of k elements (stride defaults to k), like torch's max_pool1d.

        y[n, c, i] = max_{u < k} x[n, c, i*s + u*d - p]      (padding counts as -inf)

    return_indices=True also gives the position in the input's last axis of each maximum.
    Runs max_pool2d on (N, C, 1, L) with a (1, k) window.
    """
    if not isinstance(input, Tensor):
        raise NotATensor(
            f"max_pool1d(): argument 'input' must be a pyneuro Tensor, not {type(input).__name__}"
        )
    if input.ndim not in (2, 3) or min(input.shape[-2:]) < 1:
        raise ShapeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{_sizes(input.shape)}"
        )
    k = _single(kernel_size, "kernel_size", "max_pool1d", _MAX_SIZE)
    s = k if _no_stride(stride) else _single(stride, "stride", "max_pool1d", _MAX_SIZE)
    p = _single(padding, "padding", "max_pool1d", _MAX_SIZE)
    d = _single(dilation, "dilation", "max_pool1d", _MAX_SIZE)
    for bad, message in (
        (k < 1, f"kernel_size must be greater than zero, but got {k}"),
        (s < 1, f"stride must be greater than zero, but got {s}"),
        (p < 0, f"padding must be non-negative, but got {p}"),
        (
            p > k // 2,
            f"padding should be at most half of kernel size, but got padding={p} and kernel_size={k}",
        ),
        (d < 1, f"dilation must be greater than zero, but got {d}"),
    ):
        if bad:
            raise ArgumentError("max_pool1d() " + message)
    out = _out_size(input.shape[-1], k, s, p, d, bool(ceil_mode))
    if out < 1:
        raise ShapeError(f"max_pool1d() Invalid computed output size: {out}")
    if input.dtype.kind in "biu" and not return_indices:  # torch's max_pool1d_impl takes floats only
        raise NotImplementedError(f"\"max_pool1d_impl\" not implemented for '{input.dtype.torch_name}'")
    y = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices)
    if return_indices:
        idx = y[1].squeeze(-2)
        return _ag.watch(y[0].squeeze(-2), idx), idx
    return y.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> Tensor:
    """Mean over each window of k elements (stride defaults to k), like torch's avg_pool1d.

    count_include_pad: divide by k (padding zeros included) or by the window's part inside
    the input. Runs avg_pool2d on (N, C, 1, L) with a (1, k) window, as torch does.
    """
    x = _tensor_1d(input, "avg_pool1d")
    k = _single(kernel_size, "kernel_size", "avg_pool1d", _ARG_SIZE)
    s = k if _no_stride(stride) else _single(stride, "stride", "avg_pool1d", _ARG_SIZE)
    p = _single(padding, "padding", "avg_pool1d", _ARG_SIZE)
    y = avg_pool2d(x.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return y.squeeze(-2)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Average pooling to a fixed output length o, like torch's adaptive_avg_pool1d.

    Output element i averages x[floor(i L / o) : ceil((i + 1) L / o)]. Runs
    adaptive_avg_pool2d on (N, C, 1, L) with output size (1, o), as torch does.
    """
    x = _tensor_1d(input, "adaptive_avg_pool1d")
    o = _single(output_size, "output_size", "adaptive_avg_pool1d", _ARG_SIZE)
    return adaptive_avg_pool2d(x.unsqueeze(-2), (1, o)).squeeze(-2)


__all__ = [
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "same_padding",
]


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode: str = "constant", value=None):
    """Pad (or, with negative sizes, crop) the last dimensions, like torch's F.pad.

    pad = (left, right) for the last dimension, then (top, bottom) for the one before, ...
    mode "constant" fills with value (0); "reflect" mirrors without repeating the edge,
    "replicate" repeats the edge, "circular" wraps around (these three pad the last 1-3
    dimensions of a 2-5 dimensional input, as torch). Built from narrow, flip, expand and cat,
    so the gradient flows back into the kept elements (and, for the non-constant modes, from
    each copy into the element it copied).
    """
    if not isinstance(input, Tensor):
        raise NotATensor(f"pad(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    x = input
    pad = int_list(pad, "pad", "pad", 2)
    if len(pad) % 2:
        raise ArgumentError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise ArgumentError(
            "Padding length should be less than or equal to two times the input dimension but got "
            f"padding length {len(pad)} and input of dimension {x.ndim}"
        )
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value is not None and value != 0:
            raise ArgumentError(f'Padding mode "{mode}" doesn\'t take in value argument')
        k = len(pad) // 2
        if not k + 1 <= x.ndim <= k + 2:
            raise NotImplementedError(f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.")
        if x.dtype.kind == "b" and mode != "circular":  # (torch's reflection/replication kernels)
            kernel = "reflection" if mode == "reflect" else "replication"
            raise DTypeNotImplemented(f"\"{kernel}_pad{k}d\" not implemented for 'Bool'")
    if mode in ("reflect", "replicate"):
        _check_padded_size(x, pad)
    for i in range(len(pad) // 2):
        d = x.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        crop = (0, 0)
        if mode in ("reflect", "replicate"):  # torch's kernels pad the input, then crop: its size counts
            crop, lo, hi = (max(-lo, 0), max(-hi, 0)), max(lo, 0), max(hi, 0)
        if lo < 0:  # negative padding crops
            x = x.narrow(d, -lo, x.shape[d] + lo)
            lo = 0
        if hi < 0:
            x = x.narrow(d, 0, x.shape[d] + hi)
            hi = 0
        n = x.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ArgumentError(
                "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({lo}, {hi}) at dimension {d} of input {list(x.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise ArgumentError("Padding value causes wrapping around more than once.")
        if mode in ("replicate", "reflect", "circular") and n == 0 and (lo or hi):
            raise ArgumentError(f"Expected a non-empty dimension {d} to pad in mode {mode!r}")
        parts = [_pad_block(x, d, lo, True, mode, value)] if lo else []
        parts.append(x)
        if hi:
            parts.append(_pad_block(x, d, hi, False, mode, value))
        if len(parts) > 1:
            x = _ag_cat(parts, d)
        if crop != (0, 0):
            x = x.narrow(d, crop[0], x.shape[d] - crop[0] - crop[1])
    if mode == "constant":  # torch's ConstantPadNd makes a new tensor even when nothing is padded
        x = _ag.named(x.clone() if x is input else x, "ConstantPadNdBackward0")
    if mode == "circular":  # torch fills a new tensor slice by slice: its node is CopySlices
        x = _ag.named(x.clone() if x is input else x, "CopySlices")
    if mode in ("reflect", "replicate"):  # torch's node saves the input; no padding: a copy, as torch's
        kind = "Reflection" if mode == "reflect" else "Replication"
        x = _ag.named(x.clone() if x is input else x, f"{kind}Pad{len(pad) // 2}DBackward0", reads=(input,))
    return x


def _check_padded_size(x, pad) -> None:
    """torch's reflection and replication kernels refuse an output of no elements along every
    padded dimension, or of a negative size along one (negative padding crops)."""
    k = len(pad) // 2
    names = "DHW"[3 - k :]
    sizes = [x.shape[x.ndim - k + j] for j in range(k)]
    out = [n + pad[2 * (k - 1 - j)] + pad[2 * (k - 1 - j) + 1] for j, n in enumerate(sizes)]
    if all(n < 1 for n in out) or any(n < 0 for n in out):
        given = ", ".join(f"{a}: {n}" for a, n in zip(names, sizes))
        raise RuntimeError(
            f"input ({given}) is too small. Calculated output "
            + " ".join(f"{a}: {n}" for a, n in zip(names, out))
        )


def _pad_block(x, d, size, left, mode, value):
    """The `size` slices added on one side of dimension d."""
    n = x.shape[d]
    if mode == "constant":
        shape = list(x.shape)
        shape[d] = size
        return _full(shape, 0 if value is None else value, dtype=x.dtype, device=x.device)
    if mode == "replicate":
        shape = list(x.shape)
        shape[d] = size
        return x.narrow(d, 0 if left else n - 1, 1).expand(*shape)
    if mode == "reflect":
        return x.narrow(d, 1 if left else n - 1 - size, size).flip(d)
    return x.narrow(d, n - size if left else 0, size)  # circular
