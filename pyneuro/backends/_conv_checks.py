"""Argument checks and output sizes of the convolution and pooling entries, for every backend.

One function per check, one message per check (docs/DESIGN.md, "Errors and bad input"): the
numpy reference, the numba, cuda and cupy tables call these before any kernel runs, and the
C++ binding of the cpu table (csrc/bindings/cpu_conv.cpp) calls them too, so the same bad
input raises the same exception with the same message on every backend
(tests/test_bad_input.py). The compiled bindings then re-check what a kernel relies on for
memory safety (checks.h, cuda_conv.cpp); those checks are never reached from a kernel table.

Errors follow torch, which raises RuntimeError for all of them: the classes come from
pyneuro._errors (ShapeError and ArgumentError are a ValueError and a RuntimeError,
DTypeError a TypeError and a RuntimeError, IndexRangeError an IndexError and a RuntimeError)
and the messages are torch's own wherever torch has the check.

Conventions: arrays are NCHW; stride/padding/dilation/kernel are (h, w) pairs (an int means
the same for both); padding is symmetric (the layer above resolves "same"/"valid").
"""

from __future__ import annotations

import operator

import numpy as np

from .._dtype import c_type_name
from .._dtype import torch_name as _torch_name
from .._errors import ArgumentError, DTypeError, DTypeNotImplemented, IndexRangeError, ShapeError
from ._checks import variant as _variant

F32 = ("float32",)  # what the compiled and GPU tables compute in; the numpy reference also takes float64
INTEGERS = ("int64", "int32", "int16", "int8", "uint8")  # (numpy_conv's integer convolutions)


def _sizes(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


# ----------------------------------------------------------------------------- arguments
def pair(v, name: str) -> tuple[int, int]:
    """(h, w) from an int (a 0-d integer tensor too, as torch reads one), a pair of them, or a
    one-element sequence. As torch: another count is a RuntimeError (ArgumentError here), a
    value that is no integer (1.5, "2", True) a TypeError."""
    if not isinstance(v, (list, tuple)):
        return (integer_arg(v, name, v),) * 2
    if len(v) not in (1, 2):
        raise ArgumentError(f"{name} must be an int or a pair of ints, got {v!r}")
    h, w = (integer_arg(e, name, v) for e in (v * 2 if len(v) == 1 else v))
    return h, w


def integer_arg(x, name: str, given) -> int:
    """One integer of a size argument (an int, NumPy int or 0-d integer tensor); TypeError otherwise."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or a pair of ints, got {given!r}")
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"{name} must be an int or a pair of ints, got {given!r}") from None


def variant(name, choices: tuple) -> str:
    """A conv2d variant name of `choices` (ValueError listing them otherwise)."""
    return _variant(name, tuple(choices), "conv2d")


def require_float(a, name: str, dtypes=F32) -> None:
    """An array of one of `dtypes`: TypeError for a non-array, DTypeError for another dtype."""
    if a is None or not hasattr(a, "shape") or not hasattr(a, "dtype"):
        raise TypeError(f"{name} must be an array, got {type(a).__name__}")
    if np.dtype(a.dtype).name not in dtypes:
        raise DTypeError(f"expected scalar type {_torch_name(dtypes[0])} but found {_torch_name(a.dtype)}")


def input_4d(x, op: str) -> None:
    """The input of a conv/pool kernel is NCHW (torch's message; the layer above adds the batch)."""
    if x.ndim != 4:
        raise ShapeError(
            f"Expected 3D (unbatched) or 4D (batched) input to {op}, but got input of size: {_sizes(x.shape)}"
        )


def array_4d(a, name: str, op: str) -> None:
    """A weight, grad_output or indices array is 4-D."""
    if a.ndim != 4:
        raise ShapeError(f"{op}: expected {name} to be 4-D, but got {name} of size {_sizes(a.shape)}")


def shape4(shape, name: str) -> tuple[int, int, int, int]:
    """An input_shape / weight_shape argument: 4 non-negative sizes."""
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise ShapeError(f"{name} must be 4 non-negative sizes, got {shape!r}") from None
    if len(shape) != 4 or min(shape) < 0:
        raise ShapeError(f"{name} must be 4 non-negative sizes, got {shape!r}")
    return shape


def grad_shape(grad_y, want, op: str) -> None:
    """grad_output has the forward output's shape."""
    if tuple(int(s) for s in grad_y.shape) != tuple(want):
        raise ShapeError(
            f"{op}: expected grad_output of size {_sizes(want)}, but got grad_output of size "
            f"{_sizes(grad_y.shape)}"
        )


# ----------------------------------------------------------------------------- conv2d
def conv_params(stride, padding, dilation, groups):
    """((sh, sw), (ph, pw), (dh, dw), groups) as ints, with torch's checks."""
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    if min(stride) < 1:
        raise ArgumentError("non-positive stride is not supported")
    if min(padding) < 0:
        raise ArgumentError("negative padding is not supported")
    if min(dilation) < 1:
        raise ArgumentError(
            "non-positive dilation is not supported"
        )  # torch's batch-1 path words it differently
    if isinstance(groups, bool) or int(groups) < 1:
        raise ArgumentError("non-positive groups is not supported")
    return stride, padding, dilation, int(groups)


def conv_geometry(xs, ws, stride, padding, dilation, groups) -> tuple[int, int]:
    """Input [N,C,H,W] and weight [O,C/groups,kH,kW] agree; returns (Ho, Wo)."""
    _, c, h, w = (int(s) for s in xs)
    o, cg, kh, kw = (int(s) for s in ws)
    if o < groups:  # (no output channel: torch refuses the weight, not just an empty result)
        raise ShapeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {_sizes(ws)} instead"
        )
    if o % groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_sizes(ws)}] instead"  # (torch's double brackets)
        )
    if c != cg * groups:
        raise ShapeError(
            f"Given groups={groups}, weight of size {_sizes(ws)}, expected input{_sizes(xs)} to have "
            f"{cg * groups} channels, but got {c} channels instead"
        )
    if kh < 1 or kw < 1:
        raise ShapeError(
            f"kernel size should be greater than zero, but got kernel_height: {kh} kernel_width: {kw}"
        )
    ph, pw = h + 2 * padding[0], w + 2 * padding[1]
    ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if ph < ekh or pw < ekw:
        raise ShapeError(
            f"Calculated padded input size per channel: ({ph} x {pw}). Kernel size: ({ekh} x {ekw}). "
            "Kernel size can't be greater than actual input size"
        )
    return (ph - ekh) // stride[0] + 1, (pw - ekw) // stride[1] + 1


def conv2d(x, w, bias, stride, padding, dilation, groups, dtypes=F32):
    """All checks of conv2d_forward; returns (stride, padding, dilation, groups, (Ho, Wo))."""
    require_float(x, "input", dtypes)
    require_float(w, "weight", dtypes)
    if x.dtype != w.dtype:
        raise DTypeError(f"expected scalar type {_torch_name(x.dtype)} but found {_torch_name(w.dtype)}")
    input_4d(x, "conv2d")
    array_4d(w, "weight", "conv2d")
    stride, padding, dilation, groups = conv_params(stride, padding, dilation, groups)
    out = conv_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    if bias is not None:
        require_float(bias, "bias", dtypes)
        if bias.ndim != 1 or int(bias.shape[0]) != int(w.shape[0]):
            raise ShapeError(
                f"Given weight of size {_sizes(w.shape)}, expected bias to be 1-dimensional with "
                f"{int(w.shape[0])} elements, but got bias of size {_sizes(bias.shape)} instead"
            )
        if bias.dtype != x.dtype:
            raise DTypeError(
                f"Input type ({c_type_name(x.dtype)}) and bias type "
                f"({c_type_name(bias.dtype)}) should be the same"
            )
    return stride, padding, dilation, groups, out


def integer_conv(dtype, dilation, transposed: bool) -> None:
    """torch's CPU kernels for a convolution of integer (or bool) tensors: its slow_conv2d takes
    every integer dtype, its dilated and transposed kernels int64 only, and none takes bool;
    what none takes is its NotImplementedError, named after the kernel torch would run."""
    if transposed:
        kernel = "slow_conv_transpose2d_out_cpu"
    else:
        kernel = "slow_conv_dilated<>" if max(dilation) > 1 else "slow_conv2d_cpu"
    name = np.dtype(dtype).name
    if name not in INTEGERS or (name != "int64" and kernel != "slow_conv2d_cpu"):
        raise DTypeNotImplemented(f"\"{kernel}\" not implemented for '{_torch_name(dtype)}'")


def conv2d_backward_input(grad_y, w, input_shape, stride, padding, dilation, groups, dtypes=F32):
    """Checks of conv2d_backward_input; returns (stride, padding, dilation, groups, input_shape)."""
    require_float(grad_y, "grad_output", dtypes)
    require_float(w, "weight", dtypes)
    array_4d(w, "weight", "conv2d")
    xs = shape4(input_shape, "input_shape")
    stride, padding, dilation, groups = conv_params(stride, padding, dilation, groups)
    out = conv_geometry(xs, w.shape, stride, padding, dilation, groups)
    grad_shape(grad_y, (xs[0], int(w.shape[0])) + out, "conv2d")
    return stride, padding, dilation, groups, xs


def conv2d_backward_weight(grad_y, x, weight_shape, stride, padding, dilation, groups, dtypes=F32):
    """Checks of conv2d_backward_weight; returns (stride, padding, dilation, groups, weight_shape)."""
    require_float(grad_y, "grad_output", dtypes)
    require_float(x, "input", dtypes)
    input_4d(x, "conv2d")
    ws = shape4(weight_shape, "weight_shape")
    stride, padding, dilation, groups = conv_params(stride, padding, dilation, groups)
    out = conv_geometry(x.shape, ws, stride, padding, dilation, groups)
    grad_shape(grad_y, (int(x.shape[0]), ws[0]) + out, "conv2d")
    return stride, padding, dilation, groups, ws


def conv2d_backward_bias(grad_y, dtypes=F32) -> None:
    require_float(grad_y, "grad_output", dtypes)
    array_4d(grad_y, "grad_output", "conv2d")


# ----------------------------------------------------------------------------- pooling
def out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False) -> int:
    """Output length of a window sweep, torch's pooling_output_shape (conv: ceil_mode False).

    ceil_mode rounds up, but the last window must start inside the input or its left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def nonempty_planes(shape, op: str) -> None:
    """Pooling needs C, H, W > 0 (the batch may be empty)."""
    if min(int(s) for s in shape[1:]) < 1:
        raise ShapeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:"
            f"{_sizes(shape)}"
        )


def pool2d(x, kernel, stride, padding, dilation=1, ceil_mode=False, op="max_pool2d", dtypes=F32, shape=None):
    """Checks of max/avg pooling; returns (kernel, stride, padding, dilation, (Ho, Wo)).

    stride None or () means stride = kernel, as torch. `shape` (a backward entry's input_shape)
    replaces x, which is then None."""
    if shape is None:
        require_float(x, "input", dtypes)
        input_4d(x, op)
        shape = tuple(int(s) for s in x.shape)
    else:
        shape = shape4(shape, "input_shape")
    kernel = pair(kernel, "kernel_size")
    no_stride = stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0)
    stride = kernel if no_stride else pair(stride, "stride")
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation")
    if min(kernel) < 1:
        raise ArgumentError(
            f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}"
        )
    if min(stride) == 0:
        raise ArgumentError("stride should not be zero")
    if min(stride) < 0:
        raise ArgumentError(f"stride should be greater than zero, but got dH: {stride[0]} dW: {stride[1]}")
    if min(dilation) < 1:
        raise ArgumentError(
            f"dilation should be greater than zero, but got dilationH: {dilation[0]} dilationW: {dilation[1]}"
        )
    if min(padding) < 0:
        raise ArgumentError(f"pad must be non-negative, but got pad: {min(padding)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise ArgumentError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    if (
        padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2
    ):  # (a dilated window: then the kernel's own half)
        raise ArgumentError(
            "pad should be smaller than or equal to half of kernel size, but got "
            f"padW = {padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, kH = {kernel[0]}"
        )
    nonempty_planes(shape, op)
    _, c, h, w = shape
    ho, wo = (
        out_size(sz, k, s, p, d, ceil_mode)
        for sz, k, s, p, d in zip((h, w), kernel, stride, padding, dilation)
    )
    if ho < 1 or wo < 1:
        raise ShapeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{max(ho, 0)}x{max(wo, 0)}). "
            "Output size is too small"
        )
    return kernel, stride, padding, dilation, (ho, wo)


def divisor(divisor_override) -> int:
    """avg_pool2d's divisor_override as an int, 0 for None (torch refuses 0)."""
    if divisor_override is None:
        return 0
    if int(divisor_override) == 0:
        raise ArgumentError("divisor must be not zero")
    return int(divisor_override)


def avg_pool2d_backward(
    grad_y, input_shape, kernel, stride, padding, ceil_mode, divisor_override, dtypes=F32
):
    """Checks of avg_pool2d_backward; returns (kernel, stride, padding, (Ho, Wo), input_shape, divisor)."""
    require_float(grad_y, "grad_output", dtypes)
    input_shape = shape4(input_shape, "input_shape")
    kernel, stride, padding, _, out = pool2d(
        None, kernel, stride, padding, 1, ceil_mode, "avg_pool2d", shape=input_shape
    )
    div = divisor(divisor_override)
    grad_shape(grad_y, input_shape[:2] + out, "avg_pool2d")
    return kernel, stride, padding, out, input_shape, div


def max_pool2d_backward(grad_y, indices, input_shape, dtypes=F32) -> tuple[int, int, int, int]:
    """grad_output and int64 indices of one shape [N, C, Ho, Wo] for input_shape [N, C, H, W];
    returns input_shape. The values of the indices are checked by indices_in_plane."""
    require_float(grad_y, "grad_output", dtypes)
    array_4d(grad_y, "grad_output", "max_pool2d")
    xs = shape4(input_shape, "input_shape")
    if indices is None or not hasattr(indices, "dtype") or np.dtype(indices.dtype) != np.int64:
        raise DTypeError(
            f"max_pool2d: expected indices of dtype int64, but got {getattr(indices, 'dtype', type(indices))}"
        )
    if tuple(indices.shape) != tuple(grad_y.shape) or tuple(grad_y.shape[:2]) != xs[:2]:
        raise ShapeError(
            f"max_pool2d: expected grad_output and indices of size [{xs[0]}, {xs[1]}, Ho, Wo], but got "
            f"grad_output of size {_sizes(grad_y.shape)} and indices of size {_sizes(indices.shape)}"
        )
    return xs


def indices_in_plane(indices, plane: int) -> None:
    """Every index of max_pool2d_backward lies in [0, H*W) (one min/max reduction; the cuda
    binding does it on the device with the same message)."""
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= plane):
        raise IndexRangeError(f"max_pool2d: an index is outside the input plane of {plane} elements")


def adaptive(x, output_size, dtypes=F32) -> tuple[int, int]:
    """Checks adaptive_avg_pool2d_forward; returns (oh, ow)."""
    require_float(x, "input", dtypes)
    input_4d(x, "adaptive_avg_pool2d")
    out = pair(output_size, "output_size")
    if min(out) < 0:
        raise ArgumentError(
            "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 "
            f"but received {{{out[0]}, {out[1]}}}"
        )
    shape = [int(s) for s in x.shape]
    if min(shape[1:]) < 1:
        raise ShapeError(
            "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
            f"but input has sizes {shape} with dimension {shape.index(0, 1)} being empty"
        )
    return out


def adaptive_backward(grad_y, input_shape, dtypes=F32) -> tuple[int, int, int, int]:
    """grad_output [N, C, oh, ow] for input_shape [N, C, H, W] (H, W > 0); returns input_shape."""
    require_float(grad_y, "grad_output", dtypes)
    array_4d(grad_y, "grad_output", "adaptive_avg_pool2d")
    xs = shape4(input_shape, "input_shape")
    nonempty_planes(xs, "adaptive_avg_pool2d")
    grad_shape(grad_y, xs[:2] + tuple(int(s) for s in grad_y.shape[2:]), "adaptive_avg_pool2d")
    return xs
