"""Argument checks and output sizes for the conv/pool kernel-table entries (numba, cupy).

Temporary home (the lead unifies it with the conv helper's _conv_checks.py at merge):
every backend calls only the functions below, so swapping the import is one line.

Each check raises what torch raises for the same call -- RuntimeError, here as the
ShapeError / DTypeError / ArgumentError classes of pyneuro._errors, which are also
ValueError / TypeError -- with torch's message, before any kernel touches memory.
"""

from __future__ import annotations

import numpy as np

from .._errors import ArgumentError, DTypeError, ShapeError


def _size(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _pair(v, name: str) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v), int(v)
    try:
        a, b = v
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be an int or a pair of ints, got {v!r}") from None
    return int(a), int(b)


def float32_4d(x, name: str, op: str):
    """x is a 4-D float32 array (NCHW)."""
    if x is None or not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise DTypeError(f"{op}: {name} must be an array, got {type(x).__name__}")
    if x.ndim != 4:
        if name == "weight":
            raise ShapeError(
                f"{op}: expected weight to be 4-D [out_channels, in_channels/groups, kH, kW], "
                f"but got weight of size {_size(x.shape)}"
            )
        raise ShapeError(
            f"Expected 3D (unbatched) or 4D (batched) input to {op}, but got input of size: {_size(x.shape)}"
        )
    if np.dtype(x.dtype) != np.float32:
        raise DTypeError(f"expected scalar type Float but found {np.dtype(x.dtype).name} ({op}: {name})")
    return x


def conv_params(stride, padding, dilation, groups):
    """((sh, sw), (ph, pw), (dh, dw), groups) as ints, with torch's checks."""
    stride, padding, dilation = (
        _pair(stride, "stride"),
        _pair(padding, "padding"),
        _pair(dilation, "dilation"),
    )
    if min(stride) < 1:
        raise ArgumentError("non-positive stride is not supported")
    if min(padding) < 0:
        raise ArgumentError("negative padding is not supported")
    if min(dilation) < 1:
        raise ArgumentError(f"dilation should be greater than zero, but got {list(dilation)}")
    if isinstance(groups, bool) or int(groups) < 1:
        raise ArgumentError("non-positive groups is not supported")
    return stride, padding, dilation, int(groups)


def conv_output_hw(h, w, kh, kw, stride, padding, dilation) -> tuple[int, int]:
    """(Ho, Wo); raises torch's error when the dilated kernel exceeds the padded input."""
    ph, pw = h + 2 * padding[0], w + 2 * padding[1]
    ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if ph < ekh or pw < ekw:
        raise ShapeError(
            f"Calculated padded input size per channel: ({ph} x {pw}). Kernel size: ({ekh} x {ekw}). "
            "Kernel size can't be greater than actual input size"
        )
    return (ph - ekh) // stride[0] + 1, (pw - ekw) // stride[1] + 1


def conv_shapes(x_shape, w_shape, groups: int) -> None:
    """Channel and group consistency of input [N,C,H,W] and weight [O,C/groups,kH,kW]."""
    if w_shape[0] % groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_size(w_shape)}] instead"
        )
    if x_shape[1] != w_shape[1] * groups:
        raise ShapeError(
            f"Given groups={groups}, weight of size {_size(w_shape)}, expected input{_size(x_shape)} "
            f"to have {w_shape[1] * groups} channels, but got {x_shape[1]} channels instead"
        )
    if w_shape[2] < 1 or w_shape[3] < 1:
        raise ShapeError(f"conv2d: kernel size must be positive, got weight of size {_size(w_shape)}")


def conv_forward_args(x, w, bias, stride, padding, dilation, groups):
    """All checks of conv2d_forward; returns (stride, padding, dilation, groups, (Ho, Wo))."""
    float32_4d(x, "input", "conv2d")
    float32_4d(w, "weight", "conv2d")
    stride, padding, dilation, groups = conv_params(stride, padding, dilation, groups)
    conv_shapes(tuple(x.shape), tuple(w.shape), groups)
    if bias is not None:
        if not hasattr(bias, "shape") or bias.ndim != 1 or bias.shape[0] != w.shape[0]:
            raise ShapeError(
                f"Given weight of size {_size(w.shape)}, expected bias to be 1-dimensional with "
                f"{w.shape[0]} elements, but got bias of size {_size(getattr(bias, 'shape', ()))} instead"
            )
        if np.dtype(bias.dtype) != np.float32:
            raise DTypeError(
                f"expected scalar type Float but found {np.dtype(bias.dtype).name} (conv2d: bias)"
            )
    out = conv_output_hw(x.shape[2], x.shape[3], w.shape[2], w.shape[3], stride, padding, dilation)
    return stride, padding, dilation, groups, out


def conv_backward_args(grad_y, known, known_name, other_shape, other_name, stride, padding, dilation, groups):
    """Checks of conv2d_backward_input (known = weight, other = input shape) and
    conv2d_backward_weight (known = input, other = weight shape); returns the ints and
    (x_shape, w_shape)."""
    float32_4d(grad_y, "grad_output", "conv2d")
    float32_4d(known, known_name, "conv2d")
    stride, padding, dilation, groups = conv_params(stride, padding, dilation, groups)
    other_shape = tuple(int(s) for s in other_shape)
    if len(other_shape) != 4:
        raise ShapeError(f"conv2d backward: {other_name} must have 4 entries, got {other_shape}")
    x_shape, w_shape = (
        (other_shape, tuple(known.shape)) if known_name == "weight" else (tuple(known.shape), other_shape)
    )
    conv_shapes(x_shape, w_shape, groups)
    ho, wo = conv_output_hw(x_shape[2], x_shape[3], w_shape[2], w_shape[3], stride, padding, dilation)
    want = (x_shape[0], w_shape[0], ho, wo)
    if tuple(grad_y.shape) != want:
        raise ShapeError(
            f"conv2d backward: expected grad_output of size {_size(want)}, got {_size(grad_y.shape)}"
        )
    return stride, padding, dilation, groups, x_shape, w_shape


# ----------------------------------------------------------------------------- pooling
def pool_output_size(size, k, s, p, d, ceil_mode) -> int:
    """torch's pooling_output_shape: the last window must start inside the input or left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def pool_args(x, kernel, stride, padding, dilation, ceil_mode, op, effective=True):
    """Checks of max/avg pool; returns (kernel, stride, padding, dilation, (Ho, Wo))."""
    float32_4d(x, "input", op)
    kernel = _pair(kernel, "kernel_size")
    stride = kernel if stride is None or stride == () else _pair(stride, "stride")
    padding, dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
    if min(kernel) < 1:
        raise ArgumentError(
            f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}"
        )
    if min(stride) < 1:
        raise ArgumentError(
            "stride should not be zero"
            if min(stride) == 0
            else f"stride should be greater than zero, but got dH: {stride[0]} dW: {stride[1]}"
        )
    if min(dilation) < 1:
        raise ArgumentError(
            f"dilation should be greater than zero, but got dilationH: {dilation[0]} dilationW: {dilation[1]}"
        )
    if min(padding) < 0:
        raise ArgumentError("pad must be non-negative")
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2 if effective else p > k // 2:
            raise ArgumentError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    c, h, w = (int(v) for v in x.shape[1:])
    if c == 0 or h == 0 or w == 0:
        raise ShapeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    ho = pool_output_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = pool_output_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if ho < 1 or wo < 1:
        raise ShapeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{max(ho, 0)}x{max(wo, 0)}). "
            "Output size is too small"
        )
    return kernel, stride, padding, dilation, (ho, wo)


def divisor(divisor_override) -> int:
    if divisor_override is None:
        return 0
    if int(divisor_override) == 0:
        raise ArgumentError("divisor must be not zero")
    return int(divisor_override)


def input_shape(shape, name="input_shape"):
    shape = tuple(int(s) for s in shape)
    if len(shape) != 4 or min(shape) < 0:
        raise ShapeError(f"{name} must be 4 non-negative sizes (N, C, H, W), got {shape}")
    return shape


def grad_shape(grad_y, want, op):
    float32_4d(grad_y, "grad_output", op)
    if tuple(grad_y.shape) != tuple(want):
        raise ShapeError(
            f"{op} backward: expected grad_output of size {_size(want)}, got {_size(grad_y.shape)}"
        )


def max_pool_indices(indices, grad_y, plane: int):
    """indices: int64, grad_y's shape, every value in [0, H*W)."""
    if indices is None or not hasattr(indices, "dtype") or np.dtype(indices.dtype) != np.int64:
        raise DTypeError(
            f"max_pool2d backward: indices must be int64, got {getattr(indices, 'dtype', type(indices))}"
        )
    if tuple(indices.shape) != tuple(grad_y.shape):
        raise ShapeError(
            f"max_pool2d backward: indices of size {_size(indices.shape)} do not match grad_output "
            f"of size {_size(grad_y.shape)}"
        )
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= plane):
        raise ShapeError(f"max_pool2d backward: an index is outside the input plane of {plane} elements")


def adaptive_args(x, output_size):
    float32_4d(x, "input", "adaptive_avg_pool2d")
    oh, ow = _pair(output_size, "output_size")
    for d in (1, 2, 3):
        if x.shape[d] == 0:
            raise ShapeError(
                "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, "
                f"but input has sizes {_size(x.shape)} with dimension {d} being empty"
            )
    if oh < 0 or ow < 0:
        raise ShapeError(f"adaptive_avg_pool2d: output_size must be non-negative, got {(oh, ow)}")
    return oh, ow
