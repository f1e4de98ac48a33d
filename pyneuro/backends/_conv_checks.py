"""Argument checks and output sizes for the convolution and pooling kernels.

Every backend calls these before any kernel runs (the C++ binding mirrors them in
csrc/bindings/cpu_conv.cpp, with the same messages). Errors follow torch: it raises
RuntimeError for all of them, so the classes come from pyneuro._errors (ShapeError is a
ValueError and a RuntimeError, DTypeError a TypeError and a RuntimeError) and the messages
are torch's own where torch has one.

Conventions: arrays are NCHW; stride/padding/dilation/kernel are (h, w) pairs (an int
means the same for both); padding is symmetric (the layer above resolves "same"/"valid").
"""

from __future__ import annotations

import numpy as np

from .._errors import ArgumentError, DTypeError, ShapeError

_TORCH_DTYPE = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


def pair(v, name: str) -> tuple[int, int]:
    """(h, w) from an int or a pair of ints."""
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    t = tuple(int(e) for e in v)
    if len(t) != 2:
        raise ArgumentError(f"{name} must be an int or a pair of ints, got {v!r}")
    return t


def _sizes(a) -> str:
    return "[" + ", ".join(str(int(s)) for s in a.shape) + "]"


def require_float(a, name: str, dtypes=("float32",)) -> None:
    """An array of one of `dtypes` (float32 for the compiled backends; the NumPy reference also
    takes float64 so tests can use it as an accurate oracle)."""
    if a is None or not hasattr(a, "shape") or not hasattr(a, "dtype"):
        raise TypeError(f"{name} must be an array, got {type(a).__name__}")
    dt = np.dtype(a.dtype).name
    if dt not in dtypes:
        raise DTypeError(f"expected scalar type Float but found {_TORCH_DTYPE.get(dt, dt)} ({name})")


def require_4d(a, name: str, op: str) -> None:
    if a.ndim != 4:
        raise ShapeError(f"Expected 4D (batched) input to {op}, but got {name} of size: {_sizes(a)}")


def out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False) -> int:
    """Output length of a window sweep, torch's pooling_output_shape (conv: ceil_mode False).

    ceil_mode rounds up, but the last window must start inside the input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def conv2d(x, w, bias, stride, padding, dilation, groups, dtypes=("float32",)):
    """Checks conv2d's arguments; returns (stride, padding, dilation, (Ho, Wo)) as int pairs."""
    require_float(x, "input", dtypes)
    require_float(w, "weight", dtypes)
    if x.dtype != w.dtype:
        raise DTypeError(
            f"Input type ({_TORCH_DTYPE.get(x.dtype.name, x.dtype.name)}) and weight type "
            f"({_TORCH_DTYPE.get(w.dtype.name, w.dtype.name)}) should be the same"
        )
    require_4d(x, "input", "conv2d")
    if w.ndim != 4:
        raise ShapeError(f"Expected 4D weight for conv2d, but got weight of size: {_sizes(w)}")
    return conv2d_shapes(
        tuple(x.shape), tuple(w.shape), bias, stride, padding, dilation, groups, dtypes, x.dtype
    )


def conv2d_shapes(xs, ws, bias, stride, padding, dilation, groups, dtypes=("float32",), dtype=None):
    """The shape part of conv2d's checks, for the backward kernels that get shapes, not arrays."""
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    groups = int(groups)
    if min(stride) < 1:
        raise ArgumentError("non-positive stride is not supported")
    if min(padding) < 0:
        raise ArgumentError("negative padding is not supported")
    if min(dilation) < 1:
        raise ArgumentError("non-positive dilation is not supported")
    if groups < 1:
        raise ArgumentError("non-positive groups is not supported")
    _, c, h, wd = (int(s) for s in xs)
    o, cg, kh, kw = (int(s) for s in ws)
    ws_str = "[" + ", ".join(str(int(s)) for s in ws) + "]"
    xs_str = "[" + ", ".join(str(int(s)) for s in xs) + "]"
    if o % groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size {ws_str} instead"
        )
    if c != cg * groups:
        raise ShapeError(
            f"Given groups={groups}, weight of size {ws_str}, expected input{xs_str} to have "
            f"{cg * groups} channels, but got {c} channels instead"
        )
    if bias is not None:
        require_float(bias, "bias", dtypes)
        if dtype is not None and bias.dtype != dtype:
            raise DTypeError(
                f"Input type ({_TORCH_DTYPE.get(np.dtype(dtype).name)}) and bias type "
                f"({_TORCH_DTYPE.get(bias.dtype.name, bias.dtype.name)}) should be the same"
            )
        if bias.ndim != 1 or int(bias.shape[0]) != o:
            raise ShapeError(
                f"Given weight of size {ws_str}, expected bias to be 1-dimensional with {o} "
                f"elements, but got bias of size {_sizes(bias)} instead"
            )
    ph, pw = h + 2 * padding[0], wd + 2 * padding[1]
    ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if ph < ekh or pw < ekw:
        raise ShapeError(
            f"Calculated padded input size per channel: ({ph} x {pw}). Kernel size: "
            f"({ekh} x {ekw}). Kernel size can't be greater than actual input size"
        )
    out = (
        out_size(h, kh, stride[0], padding[0], dilation[0]),
        out_size(wd, kw, stride[1], padding[1], dilation[1]),
    )
    return stride, padding, dilation, out


def grad_shape(grad_y, expected: tuple, name: str = "grad_output") -> None:
    if tuple(int(s) for s in grad_y.shape) != tuple(expected):
        raise ShapeError(f"{name} must have shape {list(expected)}, got {_sizes(grad_y)}")


def pool2d(
    x, kernel, stride, padding, dilation=1, ceil_mode=False, op="max_pool2d", dtypes=("float32",), shape=None
):
    """Checks a pooling call; returns (kernel, stride, padding, dilation, (Ho, Wo)).

    stride None or () means stride = kernel, as torch. `shape` replaces x's shape (backward)."""
    if shape is None:
        require_float(x, "input", dtypes)
        require_4d(x, "input", op)
        shape = x.shape
    elif len(shape) != 4:
        raise ShapeError(f"Expected 4D (batched) input to {op}, but got input of size: {list(shape)}")
    kernel = pair(kernel, "kernel_size")
    stride = (
        kernel
        if stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0)
        else pair(stride, "stride")
    )
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation")
    if min(kernel) < 1:
        raise ArgumentError(f"kernel_size must be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}")
    if min(stride) < 1:
        raise ArgumentError(f"stride should be greater than zero, but got dH: {stride[0]} dW: {stride[1]}")
    if min(dilation) < 1:
        raise ArgumentError(
            f"dilation should be greater than zero, but got dilationH: {dilation[0]} dilationW: {dilation[1]}"
        )
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0:
            raise ArgumentError("negative padding is not supported")
        if p > (d * (k - 1) + 1) // 2:
            raise ArgumentError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    _, c, h, w = (int(s) for s in shape)
    out = tuple(
        out_size(sz, k, s, p, d, ceil_mode)
        for sz, k, s, p, d in zip((h, w), kernel, stride, padding, dilation)
    )
    if min(out) < 1 or h < 1 or w < 1:
        raise ShapeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
            "Output size is too small"
        )
    return kernel, stride, padding, dilation, out


def divisor(divisor_override) -> None:
    if divisor_override is not None and int(divisor_override) == 0:
        raise ArgumentError("divisor must be not zero")


def adaptive(x, output_size, dtypes=("float32",), shape=None):
    """Checks adaptive_avg_pool2d; returns (oh, ow)."""
    if shape is None:
        require_float(x, "input", dtypes)
        require_4d(x, "input", "adaptive_avg_pool2d")
        shape = x.shape
    elif len(shape) != 4:
        raise ShapeError(
            f"Expected 4D (batched) input to adaptive_avg_pool2d, but got input of size: {list(shape)}"
        )
    out = pair(output_size, "output_size")
    if min(out) < 0:
        raise ArgumentError(
            f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 "
            f"but received {{{out[0]}, {out[1]}}}"
        )
    if min(int(s) for s in shape[1:]) < 1:
        raise ShapeError(
            "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
            f"but input has sizes {list(shape)} with dimension {[int(s) for s in shape].index(0)} "
            "being empty"
        )
    return out
