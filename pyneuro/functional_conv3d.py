"""3-D convolution and pooling for pyneuro.functional (torch.nn.functional's names), built on the 2-D ones:

conv3d                   y[n, o, d] = sum_u conv2d(x[n, :, d s + u dil], w[o, :, u]) + b[o]
conv_transpose3d         y[n, :, i s + u dil - p] += conv_transpose2d(x[n, :, i], w[:, :, u])
max_pool3d, avg_pool3d   pooling over (D, H, W) windows
adaptive_avg_pool3d, adaptive_max_pool3d, lp_pool3d, max_unpool3d

x is (N, C, D, H, W) or unbatched (C, D, H, W). conv3d pads with F.pad, then for each of the kD
kernel depths u runs one conv2d over the depth slices it reads, all output depths at once as a
batch (N Do, C, H, W), and sums the kD results; conv_transpose3d runs one conv_transpose2d per u
over all input depths and spreads its results to the output depths i s + u dil (zeros between). The poolings are separable: the maximum (or
mean) over a D x H x W box is the maximum (or mean) over D of the maxima (means) over H x W, so
each runs the 2-D pooling over (H, W) and then a 1-D pooling over D. For max pooling the first
maximum in (d, h, w) order wins, as in torch, and the gradient reaches exactly that element; the
flat indices d H W + h W + w are assembled from the two stages' indices. All compose existing
differentiable ops and kernels.
"""

from __future__ import annotations

import numpy as np

from ._errors import ArgumentError, DTypeNotImplemented, NotATensor, ShapeError
from .autograd import named
from .autograd.stand_in import follows
from .backends._conv_checks import integer_arg
from .functional_conv import (
    _warn_same_even_kernel,
    adaptive_avg_pool2d,
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    integer_average,
    max_pool2d,
    pad,
)
from .functional_pool import _unpool, _unpool_size, adaptive_max_pool2d, lp_infinite
from .tensor import Tensor


def _triple(v, name: str) -> tuple:
    """(d, h, w) by pair()'s rules: an int, three, or one in a sequence; TypeError for a value that
    is no integer."""
    t = tuple(v) if isinstance(v, (list, tuple)) else (v,)
    if len(t) not in (1, 3):
        raise ArgumentError(f"{name} must be an int or a tuple of three ints, got {v!r}")
    d, h, w = (integer_arg(e, name, v) for e in (t * 3 if len(t) == 1 else t))
    return d, h, w


def _conv_stride(stride) -> tuple:
    s = _triple(stride, "stride")
    if min(s) < 1:
        raise ArgumentError("non-positive stride is not supported")
    return s


def _batched5(input, op: str):
    """(x as 5-D, unbatched?) for a (C, D, H, W) or (N, C, D, H, W) input."""
    if not isinstance(input, Tensor):
        raise NotATensor(f"{op}(): argument 'input' must be a pyneuro Tensor, not {type(input).__name__}")
    if input.ndim == 4:
        return input.unsqueeze(0), True
    if input.ndim != 5:
        raise ShapeError(
            f"{op}: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, got {list(input.shape)}"
        )
    return input, False


def _follow_planes(node, given) -> None:
    """The 2-D node of one kernel depth reads planes made from the input (a copy, or a view), where
    torch's node saves the input itself: after `input.data = other` it reads them made again from
    the new array (autograd/stand_in.py). given: (input, planes, the zero padding (lo, hi) of
    D, H, W, (first depth, step, count)), or None for an unbatched input (torch's node saves its
    unsqueezed view: `.data =` unseen)."""
    if given is None:
        return
    input, planes, sides, (start, step, depth) = given

    def made(a):
        a = np.pad(a, ((0, 0), (0, 0)) + tuple(sides)) if any(map(any, sides)) else a
        a = a[:, :, start : start + step * (depth - 1) + 1 : step].transpose(0, 2, 1, 3, 4)
        return np.ascontiguousarray(a).reshape(planes.shape)

    follows(node, input, planes._data, made)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D cross-correlation, like torch's F.conv3d: w (O, C / groups, kD, kH, kW).

    padding: an int, a triple, "valid" or "same" (stride 1; an odd total puts the extra on the
    right, as torch). kD conv2d calls, each over all output depths batched together.
    """
    x, unbatched = _batched5(input, "conv3d")
    if weight.ndim != 5:
        raise ShapeError(f"conv3d: weight must be 5-D (O, C / groups, kD, kH, kW), got {list(weight.shape)}")
    s, dil = _conv_stride(stride), _triple(dilation, "dilation")
    k = tuple(weight.shape[2:])
    padded_copy = False
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ArgumentError(f"Invalid padding string: {padding!r}")
        if padding == "same" and s != (1, 1, 1):
            raise ArgumentError("padding='same' is not supported for strided convolutions")
        totals = [dd * (kk - 1) if padding == "same" else 0 for dd, kk in zip(dil, k)]
        sides = [(t // 2, t - t // 2) for t in totals]
        if any(t % 2 for t in totals):
            _warn_same_even_kernel()
            padded_copy = True  # (torch's node then saves a zero-padded copy of the input, not the input)
    else:
        sides = [(p, p) for p in _triple(padding, "padding")]
    if min(min(side) for side in sides) < 0:
        raise ArgumentError("negative padding is not supported")
    n, c = x.shape[:2]
    if c != weight.shape[1] * groups:
        raise ShapeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{weight.shape[1] * groups} channels, but got {c} channels instead"
        )
    if any(sides_ != (0, 0) for sides_ in sides):
        x = pad(x, tuple(v for lo_hi in reversed(sides) for v in lo_hi))
    span = [dd * (kk - 1) + 1 for dd, kk in zip(dil, k)]
    if any(size < sp for size, sp in zip(x.shape[2:], span)):
        sizes = " x ".join(str(v) for v in x.shape[2:])
        raise ShapeError(
            f"Calculated padded input size per channel: ({sizes}). Kernel size: ({' x '.join(map(str, span))}). "
            "Kernel size can't be greater than actual input size"
        )
    depth = (x.shape[2] - span[0]) // s[0] + 1
    total = None
    for u in range(k[0]):
        start = u * dil[0]
        slices = x[:, :, start : start + s[0] * (depth - 1) + 1 : s[0]]  # (N, C, Do, H, W)
        planes = slices.permute(0, 2, 1, 3, 4).reshape(n * depth, c, *x.shape[3:])
        kernel = weight[:, :, u]
        y = conv2d(planes, kernel, None, s[1:], 0, dil[1:], groups)
        if y._node is not None:  # torch's node saves the (batched) input and the weight themselves
            _follow_planes(
                y._node, None if unbatched or padded_copy else (input, planes, sides, (start, s[0], depth))
            )
            follows(y._node, weight, kernel._data, lambda a, u=u: a[:, :, u])
        total = y if total is None else total + y
    out = total.reshape(n, depth, *total.shape[1:]).permute(0, 2, 1, 3, 4).contiguous()  # torch's layout
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1, 1)
    # torch's node saves the input (unless it padded a copy) and the weight: an in-place change raises
    saved = (weight,) if padded_copy else (input, weight)
    out = named(out, "ConvolutionBackward0", reads=saved)
    return out.squeeze(0) if unbatched else out


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution, like torch's F.conv_transpose3d: w (C, O / groups, kD, kH, kW).

    Output depth (D - 1) s - 2 p + dil (kD - 1) + output_padding + 1 (likewise H and W).
    """
    x, unbatched = _batched5(input, "conv_transpose3d")
    if weight.ndim != 5:
        raise ShapeError(
            f"conv_transpose3d: weight must be 5-D (C, O / groups, kD, kH, kW), got {list(weight.shape)}"
        )
    s, p, dil = _conv_stride(stride), _triple(padding, "padding"), _triple(dilation, "dilation")
    op = _triple(output_padding, "output_padding")
    n, c, d = x.shape[:3]
    if c != weight.shape[0]:
        raise ShapeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{weight.shape[0]} channels, but got {c} channels instead"
        )
    kd = weight.shape[2]
    full = (d - 1) * s[0] + dil[0] * (kd - 1) + 1  # the output depth before cropping the padding
    out_depth = full - 2 * p[0] + op[0]
    planes = x.permute(0, 2, 1, 3, 4).reshape(n * d, c, *x.shape[3:])
    total = None
    for u in range(kd):
        kernel = weight[:, :, u]
        y = conv_transpose2d(planes, kernel, None, s[1:], p[1:], op[1:], groups, dil[1:])
        if y._node is not None:  # (as conv3d's)
            _follow_planes(y._node, None if unbatched else (input, planes, ((0, 0),) * 3, (0, 1, d)))
            follows(y._node, weight, kernel._data, lambda a, u=u: a[:, :, u])
        y = y.reshape(n, d, *y.shape[1:])  # (N, D, O, Ho, Wo)
        if s[0] > 1:  # put s - 1 zero slices between the depths: (N, (D - 1) s + 1, O, Ho, Wo)
            y = pad(y.unsqueeze(2), (0, 0, 0, 0, 0, 0, 0, s[0] - 1)).reshape(n, d * s[0], *y.shape[2:])
            y = y.narrow(1, 0, (d - 1) * s[0] + 1)
        front = u * dil[0]
        y = pad(y, (0, 0, 0, 0, 0, 0, front, full - front - y.shape[1]))
        total = y if total is None else total + y
    if op[0]:  # (a pad of nothing would copy the sum: F.pad returns a new tensor, as torch's)
        total = pad(total, (0, 0, 0, 0, 0, 0, 0, op[0]))
    total = total.narrow(1, p[0], out_depth)
    out = total.permute(0, 2, 1, 3, 4).contiguous()  # torch's layout: y.view(n, -1) works
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1, 1)
    out = named(out, "ConvolutionBackward0", reads=(input, weight))  # torch's node (which saves both)
    return out.squeeze(0) if unbatched else out


def _pool_args(kernel_size, stride, padding, dilation=1):
    k = _triple(kernel_size, "kernel_size")
    s = (
        k
        if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
        else _triple(stride, "stride")
    )
    return k, s, _triple(padding, "padding"), _triple(dilation, "dilation")


def _over_hw(x: Tensor):
    """x (N, C, D, H, W) as (N, C D, H, W) for a 2-D pooling of every depth slice."""
    n, c, d, h, w = x.shape
    return x.reshape(n, c * d, h, w)


def _over_d(y: Tensor, n: int, c: int, d: int):
    """(N, C D, Ho, Wo) -> (N, C Ho Wo, 1, D): depth last, for a (1, kD) pooling."""
    ho, wo = y.shape[2:]
    return y.reshape(n, c, d, ho, wo).permute(0, 1, 3, 4, 2).reshape(n, c * ho * wo, 1, d), (ho, wo)


def _back(z: Tensor, n: int, c: int, hw) -> Tensor:
    """(N, C Ho Wo, 1, Do) -> (N, C, Do, Ho, Wo), contiguous as torch's results (y.view(n, -1) works)."""
    do = z.shape[-1]
    return z.reshape(n, c, hw[0], hw[1], do).permute(0, 1, 4, 2, 3).contiguous()


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over each kD x kH x kW window, like torch's max_pool3d (return_indices: d H W + h W + w)."""
    x, unbatched = _batched5(input, "max_pool3d")
    k, s, p, dil = _pool_args(kernel_size, stride, padding, dilation)
    for kk, pp, dd in zip(k, p, dil):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise ArgumentError(
                f"pad should be at most half of effective kernel size, but got pad={pp}, kernel_size={kk} and "
                f"dilation={dd}"
            )
    if any(pp > kk // 2 for kk, pp in zip(k, p)):  # (a dilated window: then the kernel's own half, as torch)
        raise ArgumentError(
            f"pad should be smaller than or equal to half of kernel size, but got kT: {k[0]} kW: {k[2]} kH: {k[1]} "
            f"padT: {p[0]} padW: {p[2]} padH: {p[1]}"
        )
    n, c, d, h, w = x.shape
    hw_vals, hw_idx = max_pool2d(_over_hw(x), k[1:], s[1:], p[1:], dil[1:], ceil_mode, True)
    col, hw = _over_d(hw_vals, n, c, d)
    vals, d_idx = max_pool2d(col, (1, k[0]), (1, s[0]), (0, p[0]), (1, dil[0]), ceil_mode, True)
    out = _back(vals, n, c, hw)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    d_of = _back(d_idx, n, c, hw)  # the depth of each maximum, (N, C, Do, Ho, Wo)
    plane = hw_idx.reshape(n, c, d, *hw)  # the h W + w of the maximum of every depth slice
    idx = d_of * (h * w) + plane._gather(2, d_of)
    return (out.squeeze(0), idx.squeeze(0)) if unbatched else (out, idx)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None) -> Tensor:  # fmt: skip
    """Mean over each kD x kH x kW window, like torch's avg_pool3d (count_include_pad, divisor_override)."""
    x, unbatched = _batched5(input, "avg_pool3d")
    if not x.dtype.is_floating_point:  # (whole windows, truncated once: not avg_pool2d's twice)
        args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        return integer_average(input, "avg_pool3d_out_frame", lambda t: avg_pool3d(t, *args))
    k, s, p, _ = _pool_args(kernel_size, stride, padding)
    n, c, d = x.shape[:3]
    over = 1 if divisor_override else None  # window sums, divided by the override at the end
    y = avg_pool2d(_over_hw(x), k[1:], s[1:], p[1:], ceil_mode, count_include_pad, over)
    col, hw = _over_d(y, n, c, d)
    z = avg_pool2d(col, (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode, count_include_pad, over)
    out = _back(z, n, c, hw)
    if divisor_override:
        out = out / divisor_override
    return out.squeeze(0) if unbatched else out


def _adaptive_size(output_size, x: Tensor, op: str) -> tuple:
    size = (output_size,) * 3 if isinstance(output_size, int) or output_size is None else tuple(output_size)
    if len(size) != 3:
        raise ArgumentError(f"{op}: output_size must be 3, got {len(size)}")
    return tuple(x.shape[2 + i] if v is None else int(v) for i, v in enumerate(size))


def adaptive_avg_pool3d(input, output_size) -> Tensor:
    """Average pooling to a fixed output size (oD, oH, oW) (None keeps that input size), like torch."""
    if isinstance(input, Tensor) and input.ndim not in (4, 5):
        raise ShapeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {list(input.shape)}")
    x, unbatched = _batched5(input, "adaptive_avg_pool3d")
    od, oh, ow = _adaptive_size(output_size, x, "adaptive_avg_pool3d")
    if (od, oh, ow) == (1, 1, 1):  # global average pooling: torch takes the mean
        return input.mean((-3, -2, -1), keepdim=True)
    if not x.dtype.is_floating_point:
        raise DTypeNotImplemented(f"\"adaptive_avg_pool3d_cpu\" not implemented for '{x.dtype.torch_name}'")
    n, c, d = x.shape[:3]
    col, hw = _over_d(adaptive_avg_pool2d(_over_hw(x), (oh, ow)), n, c, d)
    out = _back(adaptive_avg_pool2d(col, (1, od)), n, c, hw)
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool3d(input, output_size, return_indices: bool = False):
    """Maximum over adaptive windows to (oD, oH, oW), like torch (return_indices: d H W + h W + w)."""
    if isinstance(input, Tensor) and input.ndim not in (4, 5):
        raise ShapeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: {list(input.shape)}")
    x, unbatched = _batched5(input, "adaptive_max_pool3d")
    od, oh, ow = _adaptive_size(output_size, x, "adaptive_max_pool3d")
    n, c, d, h, w = x.shape
    hw_vals, hw_idx = adaptive_max_pool2d(_over_hw(x), (oh, ow), True)
    col, hw = _over_d(hw_vals, n, c, d)
    vals, d_idx = adaptive_max_pool2d(col, (1, od), True)
    out = _back(vals, n, c, hw)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    d_of = _back(d_idx, n, c, hw)
    idx = d_of * (h * w) + hw_idx.reshape(n, c, d, *hw)._gather(2, d_of)
    return (out.squeeze(0), idx.squeeze(0)) if unbatched else (out, idx)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices: bool = False):
    return adaptive_max_pool3d(input, output_size, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):  # fmt: skip
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum over each kD x kH x kW window of x^p)^(1/p), composed as torch's lp_pool3d."""
    if (pooled := lp_infinite(max_pool3d, input, norm_type, kernel_size, stride, ceil_mode)) is not None:
        return pooled
    kd, kh, kw = _triple(kernel_size, "kernel_size")
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu() * (kd * kh * kw)).pow(1.0 / norm_type)


def max_unpool3d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """The partial inverse of max_pool3d: each value back at its flat index d H W + h W + w, zeros elsewhere."""
    if input.ndim not in (4, 5):
        raise ShapeError(
            f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with {input.ndim} dimensions."
        )
    k = _triple(kernel_size, "kernel_size")
    s = k if stride is None else _triple(stride, "stride")
    return _unpool(input, indices, _unpool_size(input, k, s, _triple(padding, "padding"), output_size))


__all__ = [
    "conv3d",
    "conv_transpose3d",
    "max_pool3d",
    "max_pool3d_with_indices",
    "avg_pool3d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices",
    "lp_pool3d",
    "max_unpool3d",
]
