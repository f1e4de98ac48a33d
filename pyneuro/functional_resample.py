"""Resampling and rearranging functions for pyneuro.functional (torch.nn.functional's names):

interpolate (and upsample, upsample_nearest, upsample_bilinear)   resize the spatial dims
pixel_shuffle / pixel_unshuffle    (C r^2, H, W) <-> (C, H r, W r), by reshape and permute
channel_shuffle                    interleave the channels of `groups` groups
unfold / fold                      im2col / col2im: sliding blocks <-> image

    y = F.interpolate(x, scale_factor=2, mode="bilinear")   # x (N, C, H, W) -> (N, C, 2H, 2W)

interpolate works one spatial dimension at a time, innermost first (as torch's CPU kernels
nest their loops): each output position j along a dimension reads a few input positions
i_k(j) with weights w_k(j),

    nearest        one tap:  i = min(floor(j * scale), in - 1)         (scale = in / out, float32)
    nearest-exact  one tap:  i = min(floor((j + 0.5) * scale), in - 1)
    linear         two taps: s = scale (j + 0.5) - 0.5 (clamped at 0), i = floor(s), i + 1, weights 1 - t, t
    bicubic        four taps i - 1 .. i + 2 (clamped to the input), Keys' cubic with a = -0.75
    (align_corners=True: s = j (in - 1) / (out - 1), so the corner pixels' centres line up)

and is an index_select per tap times a weight, summed, so autograd gives the gradient (the
transpose: each output gradient scatter-added back to the taps it read). The index and
weight arrays are computed in the input's float precision, exactly as torch's kernels do, so
the taps chosen agree with torch. bilinear = linear along W then along H; trilinear adds D.
mode="area" is adaptive_avg_pool1d/2d/3d.
"""

from __future__ import annotations

import math
import operator
import warnings

import numpy as np

from ._dtype import uint8
from ._errors import ArgumentError, DTypeNotImplemented, IndexRangeError, NotATensor, ShapeError, type_name
from ._memory import check_allocation
from .autograd import named
from .autograd.fold import Col2Im, Im2Col
from .creation import as_tensor
from .functional_conv import adaptive_avg_pool1d, adaptive_avg_pool2d
from .functional_conv3d import adaptive_avg_pool3d
from .tensor import Tensor

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_CUBIC_A = -0.75


def _nearest_taps(n_in, n_out, scale, exact, ft, shortcuts):
    """One (index, None) tap: the nearest input position of each output position. shortcuts:
    torch's 2-D kernel (only that one) maps out == in to the identity and out == 2 in to j >> 1
    whatever scale_factor says (a 3-row image at scale 1.3 keeps its rows; a 3-long 1-D or 3-D
    signal reads rows [0, 0, 1])."""
    j = np.arange(n_out)
    if shortcuts and n_out == n_in and not exact:
        return [(j, None)]
    if shortcuts and n_out == 2 * n_in and not exact:
        return [(j >> 1, None)]
    s = ft(1.0 / scale) if scale else ft(n_in) / ft(n_out)
    offset = ft(0.5) if exact else ft(0)
    src = np.floor((j.astype(ft) + offset) * s).astype(np.int64)
    return [(np.minimum(src, n_in - 1), None)]


def _source(n_in, n_out, scale, align_corners, cubic, ft):
    """The real source coordinate of every output position (torch's area_pixel_compute_source_index)."""
    j = np.arange(n_out).astype(ft)
    if align_corners:
        s = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
        return s * j
    s = ft(1.0 / scale) if scale else ft(n_in) / ft(n_out)
    src = s * (j + ft(0.5)) - ft(0.5)
    return src if cubic else np.maximum(src, ft(0))


def _linear_taps(n_in, n_out, scale, align_corners, ft):
    src = _source(n_in, n_out, scale, align_corners, False, ft)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - i0.astype(ft), ft(0), ft(1)).astype(ft)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return [(i0, ft(1) - t), (i1, t)]


def _cubic_taps(n_in, n_out, scale, align_corners, ft):
    src = _source(n_in, n_out, scale, align_corners, True, ft)
    i = np.floor(src).astype(np.int64)
    t = (src - np.floor(src)).astype(ft)
    a = ft(_CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return [(np.clip(i + k - 1, 0, n_in - 1), w.astype(ft)) for k, w in enumerate(weights)]


def _antialias_taps(n_in, n_out, scale, align_corners, cubic, ft):
    """antialias=True (torch's _compute_weights_aa, PIL's resampling): when shrinking by a factor
    s > 1 the filter (a triangle, or Keys' cubic with a = -0.5) is stretched s times, so each output
    averages every input it covers; weights normalised to sum 1, padded with zero taps."""
    if align_corners:
        s = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    else:
        s = ft(1.0 / scale) if scale else ft(n_in) / ft(n_out)
    size = 4 if cubic else 2
    support = ft(size * 0.5) * s if s >= 1 else ft(size * 0.5)
    inv = ft(1) / s if s >= 1 else ft(1)
    width = int(math.ceil(support)) * 2 + 1
    # every output at once (a Python round per output took minutes for size=10**6), in ft as torch's
    center = s * (np.arange(n_out) + 0.5).astype(ft)
    lo = np.maximum(np.trunc(center - support + ft(0.5)).astype(np.int64), 0)
    hi = np.minimum(np.trunc(center + support + ft(0.5)).astype(np.int64), n_in)
    taps = lo[:, None] + np.arange(width)  # (n_out, width); those at or past hi are padding
    valid = taps < hi[:, None]
    x = np.abs((taps.astype(ft) - center[:, None] + ft(0.5)) * inv)
    if cubic:
        a = ft(-0.5)
        f = np.where(
            x < 1,
            ((a + 2) * x - (a + 3)) * x * x + 1,
            np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0),
        )
    else:
        f = np.where(x < 1, 1 - x, 0)
    f = np.where(valid, f, 0).astype(ft)
    total = np.cumsum(f, axis=1, dtype=ft)[:, -1:]  # summed in order, as torch's loop
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(total != 0, f / total, f).astype(ft).T
    idx = np.where(valid, taps, 0).T
    return [(idx[k], w[k]) for k in range(width)]


def _resample_dim(x: Tensor, d: int, taps) -> Tensor:
    """sum_k x.index_select(d, i_k) * w_k, the weights broadcast along dimension d."""
    out = None
    for idx, w in taps:
        part = x.index_select(d, as_tensor(idx, device=x.device))
        if w is not None:
            part = part * as_tensor(
                w.reshape((-1,) + (1,) * (x.ndim - 1 - d)), dtype=x.dtype, device=x.device
            )
        out = part if out is None else out + part
    return out


def _is_int(s) -> bool:
    """An output size torch takes: an int, NumPy int or 0-d integer tensor (not a bool or a float)."""
    try:
        return not isinstance(s, bool) and operator.index(s) is not None
    except TypeError:
        return False


def _output_size(input, size, scale_factor, mode, recompute_scale_factor):
    """(output sizes, scales passed to the kernels) from torch's argument forms and checks."""
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(input.shape[2:])} and output size of {size}. Please provide "
                    "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
                )
        else:  # (one size for every dim: a float is torch's TypeError too, size=h / 2)
            size = [size] * dim
        if not all(_is_int(s) for s in size):
            raise TypeError(
                "expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, int], "
                f"but got size with types {[type(s) for s in size]}"
            )
        return [int(s) for s in size], [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {scale_factor}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                "(s1, s2, ...,sK) format."
            )
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    if not all(math.isfinite(n * s) for n, s in zip(input.shape[2:], scales)):  # (torch's C cast refuses it)
        raise ArgumentError("value cannot be converted to type int64_t without overflow")
    sizes = [math.floor(n * s) for n, s in zip(input.shape[2:], scales)]
    if recompute_scale_factor or mode == "area":
        scales = [None] * dim
    return sizes, scales


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dimensions of x (N, C, d1[, d2[, d3]]) to `size` or by `scale_factor`.

    Modes as torch: nearest, nearest-exact, linear (3-D input), bilinear and bicubic (4-D),
    trilinear (5-D), area (adaptive average pooling, 3-D to 5-D). align_corners (linear
    modes only; default False) maps the corner pixels' centres onto each other. See the
    module docstring for the formulas. antialias=True (bilinear and bicubic, 4-D) widens the
    filter when shrinking, as torch (and PIL) do.
    """
    if not isinstance(input, Tensor):
        raise NotATensor(
            f"interpolate(): argument 'input' must be a pyneuro Tensor, not {type(input).__name__}"
        )
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    elif type(align_corners) is not bool:  # (torch's upsample kernels type it bool: 1 is TypeError)
        raise TypeError(
            f"upsample_{mode}(): argument 'align_corners' must be bool, not {type_name(align_corners)}"
        )
    sizes, scales = _output_size(input, size, scale_factor, mode, recompute_scale_factor)
    check_allocation(math.prod(input.shape[:2]) * math.prod(sizes) * input.element_size(), "interpolate")
    if antialias:
        if not (mode in ("bilinear", "bicubic") and input.ndim == 4):
            raise ValueError(
                "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                "tensor as input"
            )
    rank = _LINEAR_RANK.get(mode)
    if mode not in ("nearest", "nearest-exact", "area") and rank != input.ndim or not 3 <= input.ndim <= 5:
        if rank is not None and 3 <= input.ndim <= 5:
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {rank}D input")
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the modes: "
            f"{_MODES} (got {mode})"
        )
    if min(sizes, default=1) < 1:
        names = "DHW"[3 - len(sizes) :]
        inp = ", ".join(f"{a}: {n}" for a, n in zip(names, input.shape[2:]))
        out = ", ".join(f"{a}: {n}" for a, n in zip(names, sizes))
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({inp}) output ({out})"
        )
    if mode == "area":
        pool = {3: adaptive_avg_pool1d, 4: adaptive_avg_pool2d, 5: adaptive_avg_pool3d}[input.ndim]
        return pool(input, sizes[0] if input.ndim == 3 else tuple(sizes))
    nearest = mode in ("nearest", "nearest-exact")
    if input.dtype.kind != "f" and not (nearest and input.dtype == uint8):  # torch: floats and uint8 images
        raise NotImplementedError(f"\"upsample_{mode}\" not implemented for '{input.dtype.torch_name}'")
    ft = input._data.dtype.type if input.dtype.kind == "f" and input._data.dtype.itemsize >= 4 else np.float32
    x = input
    for k in reversed(range(len(sizes))):  # innermost dimension first, as torch's kernels
        n_in, n_out, scale = x.shape[2 + k], sizes[k], scales[k]
        if n_in == n_out and (antialias or mode in ("linear", "bilinear", "trilinear")):
            continue  # torch's kernels copy a dimension whose size stays, whatever scale_factor says
        if antialias:
            taps = _antialias_taps(n_in, n_out, scale, align_corners, mode == "bicubic", ft)
        elif nearest:
            taps = _nearest_taps(n_in, n_out, scale, mode == "nearest-exact", ft, input.ndim == 4)
        elif mode == "bicubic":
            taps = _cubic_taps(n_in, n_out, scale, align_corners, ft)
        else:
            taps = _linear_taps(n_in, n_out, scale, align_corners, ft)
        x = _resample_dim(x, 2 + k, taps)
    if x is input:  # (every size kept: a tensor of its own, as torch's)
        x = input.clone()
    return named(x, _upsample_node(mode, len(sizes), antialias), shows=(input,))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate (torch warns too)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='nearest')."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ----------------------------------------------------------------------------- rearranging
def _factor(name: str, op: str, r) -> int:
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(r).__name__}")
    if r <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {r}")
    return int(r)


def _upsample_node(mode: str, rank: int, antialias: bool) -> str:
    """torch's grad_fn for interpolate: UpsampleNearest2DBackward0, UpsampleBilinear2DAaBackward0, ..."""
    kind = {"nearest-exact": "NearestExact"}.get(mode, mode.capitalize())
    return f"Upsample{kind}{rank}D{'Aa' if antialias else ''}Backward0"


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): out[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]."""
    r = _factor("upscale_factor", "pixel_shuffle", upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)"
        )
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
            f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    b = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return named(x.reshape(*batch, c // (r * r), h * r, w * r), "PixelShuffleBackward0")


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    r = _factor("downscale_factor", "pixel_unshuffle", downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            "pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    *batch, c, h, w = input.shape
    for n, what, axis in ((h, "height", -2), (w, "width", -1)):
        if n % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                f"input.size({axis})={n} is not divisible by {r}"
            )
    b = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return named(x.reshape(*batch, c * r * r, h // r, w // r), "PixelUnshuffleBackward0")


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with the channels viewed as (groups, C / groups) and transposed (ShuffleNet)."""
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    x = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return named(x.reshape(n, c, *rest), "ChannelShuffleBackward0")


native_channel_shuffle = channel_shuffle  # torch's name for the same function


# ----------------------------------------------------------------------------- unfold / fold
def _pair(v, name: str) -> tuple[int, int]:
    t = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(t) == 1:
        t = t * 2
    if len(t) != 2 or isinstance(v, bool):
        raise ArgumentError(f"{name} must be an int or a pair of ints, got {v!r}")
    return tuple(int(e) for e in t)


def _block_args(kernel_size, dilation, padding, stride):
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    for name, v, lo in (("kernel", k, 1), ("dilation", d, 1), ("stride", s, 1), ("padding", p, 0)):
        if min(v) < lo:
            what = "non-negative" if lo == 0 else "greater than zero"
            raise RuntimeError(f"{name} should be {what}, but got {name}=({v[0]}, {v[1]})")
    return k, d, p, s


def _blocks_shape(size, k, d, p, s):
    return tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(size, k, d, p, s))


def _no_integers(x: Tensor, kernel: str) -> None:
    """torch's im2col and col2im take floating and bool tensors, not integer ones."""
    if x.dtype.kind in "iu":
        raise DTypeNotImplemented(f"\"{kernel}\" not implemented for '{x.dtype.torch_name}'")


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: x (N, C, H, W) -> (N, C kH kW, L), column l holding the l-th sliding block.

    out[n, c kH kW + u kW + v, i oW + j] = x[n, c, i sH + u dH - pH, j sW + v dW - pW] (0 outside).
    Unbatched (C, H, W) gives (C kH kW, L). Autograd Function Im2Col (backward: col2im).
    """
    if input.ndim < 3:  # torch's Python reads input.shape[-3] first: its IndexError
        n = max(input.ndim, 1)
        raise IndexRangeError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {n})"
        )
    if input.ndim not in (3, 4) or 0 in input.shape[1:]:
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions "
            f"for input, but got: {list(input.shape)}"
        )
    k, d, p, s = _block_args(kernel_size, dilation, padding, stride)
    x = input.unsqueeze(0) if input.ndim == 3 else input
    blocks = _blocks_shape(x.shape[2:], k, d, p, s)
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={k}, dilation={d}, padding={p}, "
            f"calculated shape of the array of sliding blocks as {blocks}, but its components must be at least one."
        )
    _no_integers(x, "im2col_out_cpu")
    y = Im2Col.apply(x, kernel=k, dilation=d, padding=p, stride=s)
    return y.squeeze(0) if input.ndim == 3 else y


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im: blocks (N, C kH kW, L) -> image (N, C, H, W) = output_size, overlaps summed.

    The adjoint of unfold (fold(unfold(x)) multiplies each pixel by the number of blocks that
    cover it). Unbatched (C kH kW, L) gives (C, H, W). Autograd Function Col2Im.
    """
    if input.ndim not in (2, 3) or 0 in input.shape[1:]:
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions "
            f"for input, but got: {list(input.shape)}"
        )
    size = _pair(output_size, "output_size")
    k, d, p, s = _block_args(kernel_size, dilation, padding, stride)
    x = input.unsqueeze(0) if input.ndim == 2 else input
    if x.shape[1] % (k[0] * k[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={x.shape[1]} and kernel_size={k}."
        )
    blocks = _blocks_shape(size, k, d, p, s)
    if min(blocks) < 1 or blocks[0] * blocks[1] != x.shape[2]:
        raise ShapeError(
            f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, expected size "
            f"of input's dimension 2 to match the calculated number of sliding blocks {blocks[0]} * {blocks[1]} "
            f"= {blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}."
        )
    _no_integers(x, "col2im_out_cpu")
    y = Col2Im.apply(x, size=size, kernel=k, dilation=d, padding=p, stride=s)
    return y.squeeze(0) if input.ndim == 2 else y


__all__ = [
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "native_channel_shuffle",
    "unfold",
    "fold",
]
