"""Fractional max pooling (Graham, 2014) for pyneuro.functional: fractional_max_pool2d/3d.

Max pooling whose windows (kernel_size, possibly overlapping) start at pseudo-random, increasing
positions chosen so that exactly output_size windows fit, shrinking the map by a non-integer
ratio. Each (sample, channel) plane draws one number u in [0, 1) per spatial dim (torch.rand, so
a seed gives torch's windows, or the `_random_samples` given), and window i of a dim of size n
then starts at

    int((i + u) * alpha) - int(u * alpha),   alpha = (n - k) / (out - 1)   (the last at n - k),

computed in the input's dtype as torch's kernel does. The maximum of each window is found on the
host (first maximum in row-major order; a NaN wins) and its value *gathered* from x at that flat
index, so the gradient flows to exactly that element, as in torch (indices: flat per plane).
"""

from __future__ import annotations

import numpy as np

from ._errors import ShapeError
from ._shapes import ints
from .autograd import named
from .creation import as_tensor, rand
from .tensor import Tensor


def _starts(sample: np.ndarray, n_in: int, n_out: int, k: int) -> np.ndarray:
    """torch's generate_intervals for every plane: (planes, n_out) window starts, in sample's dtype."""
    t = sample.dtype.type
    seq = np.empty(sample.shape + (n_out,), np.int64)
    if n_out > 1:
        alpha = t(n_in - k) / t(n_out - 1)
        i = np.arange(n_out - 1, dtype=sample.dtype)
        seq[..., :-1] = ((i + sample[..., None]) * alpha).astype(np.int64) - (sample * alpha).astype(
            np.int64
        )[..., None]
    if n_out > 0:
        seq[..., -1] = n_in - k
    return seq


def _fractional(input: Tensor, kernel, output_size, samples, op: str, dims: int):
    """(values, int64 flat indices) of fractional max pooling over the last `dims` dims."""
    batched = input.ndim == dims + 2
    if input.ndim not in (dims + 1, dims + 2):
        raise ShapeError(f"{op}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: {list(input.shape)}")
    x = input if batched else input.unsqueeze(0)
    n, c, spatial = x.shape[0], x.shape[1], tuple(x.shape[2:])
    kernel = _n_ints(kernel, dims, "kernel_size")
    output_size = _n_ints(output_size, dims, "output_size")
    for name, k, o, size in zip(("time", "height", "width")[3 - dims :], kernel, output_size, spatial):
        if o + k - 1 > size:
            raise ShapeError(f"{op}(): pool {name} {k} too large relative to input {name} {size}")
    u = np.asarray(samples.detach().cpu().numpy())  # (N, C, dims)
    host = np.asarray(x.detach().cpu().numpy())
    which = (1, 0) if dims == 2 else (0, 1, 2)  # torch's kernels read (W, H) in 2-D, but (T, H, W) in 3-D
    starts = [_starts(u[..., which[d]], spatial[d], output_size[d], kernel[d]) for d in range(dims)]
    # the flat position of every element of every window: (N, C, *out, *kernel), then (N, C, *out, window)
    flat = np.zeros((n, c) + (1,) * (2 * dims), np.int64)
    stride = 1
    for d in reversed(range(dims)):
        shape = [n, c] + [1] * (2 * dims)
        shape[2 + d], shape[2 + dims + d] = output_size[d], kernel[d]
        pos = starts[d][:, :, :, None] + np.arange(kernel[d])  # (N, C, out_d, k_d)
        flat = flat + pos.reshape(shape) * stride
        stride *= spatial[d]
    flat = flat.reshape((n, c) + tuple(output_size) + (-1,))
    planes = host.reshape(n, c, -1)
    vals = np.take_along_axis(planes, flat.reshape(n, c, -1), axis=2).reshape(flat.shape)
    best = np.argmax(vals, axis=-1)  # the first maximum in row-major window order
    nan = np.isnan(vals)
    last_nan = vals.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)  # torch's scan lets a later NaN win
    best = np.where(nan.any(-1), last_nan, best)
    idx = np.take_along_axis(flat, best[..., None], axis=-1)[..., 0]
    index = as_tensor(idx, device=x.device)
    out = x.reshape(n, c, -1).gather(2, index.reshape(n, c, -1)).reshape(index.shape)
    out = out if batched else out.squeeze(0)
    return named(out, f"FractionalMaxPool{dims}DBackward0"), index if batched else index.squeeze(0)


def _n_ints(v, n: int, name: str) -> tuple:
    vals = ints(v, n)
    if len(vals) == 1:
        vals *= n
    if len(vals) != n:
        raise ShapeError(f"{name} must be an int or a tuple of {n} ints, got {v}")
    return tuple(int(a) for a in vals)


def _sizes_from_ratio(input: Tensor, output_size, output_ratio, op: str, dims: int):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is not None:
        return output_size
    if dims == 2 and len(output_ratio) > 2:
        raise ValueError(f"{op} requires output_ratio to either be a single Int or tuple of Ints.")
    ratio = (output_ratio[0],) * dims if len(output_ratio) == 1 else tuple(output_ratio)
    return [int(input.shape[input.ndim - dims + d] * ratio[d]) for d in range(dims)]


def _samples(input: Tensor, dims: int, samples):
    if samples is not None:
        return samples
    n_batch = 1 if input.ndim == dims + 1 else input.shape[0]
    return rand(n_batch, input.shape[-dims - 1], dims, dtype=input.dtype, device=input.device)


def fractional_max_pool2d_with_indices(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    """(values, indices) of 2-D fractional max pooling of (N, C, H, W) or (C, H, W), as torch."""
    size = _sizes_from_ratio(input, output_size, output_ratio, "fractional_max_pool2d", 2)
    return _fractional(
        input, kernel_size, size, _samples(input, 2, _random_samples), "fractional_max_pool2d", 2
    )


def fractional_max_pool2d(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    out = fractional_max_pool2d_with_indices(
        input, kernel_size, output_size, output_ratio, False, _random_samples
    )
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    """(values, indices) of 3-D fractional max pooling of (N, C, T, H, W) or (C, T, H, W), as torch."""
    size = _sizes_from_ratio(input, output_size, output_ratio, "fractional_max_pool3d", 3)
    return _fractional(
        input, kernel_size, size, _samples(input, 3, _random_samples), "fractional_max_pool3d", 3
    )


def fractional_max_pool3d(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None
):
    out = fractional_max_pool3d_with_indices(
        input, kernel_size, output_size, output_ratio, False, _random_samples
    )
    return out if return_indices else out[0]


__all__ = [
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
]
