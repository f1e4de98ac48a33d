"""Convolution and pooling, NumPy reference: the specification the other backends are tested against.

Clear rather than fast. Every kernel walks the kH*kW positions of the window: for position
(i, j) the inputs it touches form one strided slice of the (padded) input,

    xp[:, :, i*dh : i*dh + sh*(Ho-1) + 1 : sh,  j*dw : j*dw + sw*(Wo-1) + 1 : sw]   (N, C, Ho, Wo)

so a convolution is a sum over positions of one small einsum per group, its input gradient
scatters the same slices back (+=), and pooling takes a max or a sum over the slices.
Cost: conv2d forward 2*N*O*(C/groups)*kH*kW*Ho*Wo FLOPs, each backward the same.

Works in the dtype it is given (float32, or float64 when the tests want an accurate oracle).
Arguments are checked by _conv_checks, the rules every backend shares.
"""

from __future__ import annotations

import numpy as np

from . import _conv_checks as _cc

_DTYPES = ("float32", "float64")
VARIANTS = ("numpy",)


def _variant(variant):
    if variant is not None:
        _cc.variant(variant, VARIANTS)


def _window(i, j, stride, dilation, out):
    """The (rows, cols) slices of the padded input that window position (i, j) reads."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out
    return (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


def _pad(x, padding, value=0.0, extra=(0, 0)):
    (ph, pw), (eh, ew) = padding, extra
    return np.pad(x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)), constant_values=value)


# ----------------------------------------------------------------------------- conv2d
def conv2d_forward(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None):
    """y[n, o] = bias[o] + sum over c in o's group, i, j of w[o, c, i, j] * xp[n, c, window(i, j)]."""
    stride, padding, dilation, groups, out = _cc.conv2d(
        x, w, bias, stride, padding, dilation, groups, _DTYPES
    )
    _variant(variant)
    return _correlate(x, w, bias, stride, padding, dilation, groups, out)


def _correlate(x, w, bias, stride, padding, dilation, groups, out):
    """conv2d_forward's sum, its arguments checked."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    xp = _pad(x, padding).reshape(n, groups, cg, x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    wg = w.reshape(groups, o // groups, cg, kh, kw)
    y = np.zeros((n, groups, o // groups) + out, x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = _window(i, j, stride, dilation, out)
            y += np.einsum("gdc,ngchw->ngdhw", wg[..., i, j], xp[..., rows, cols])
    y = y.reshape((n, o) + out)
    return y + bias[:, None, None] if bias is not None else y


def conv2d_backward_input(
    grad_y, w, input_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    """grad_x: every window slice gets back sum over o of w[o, c, i, j] * grad_y[n, o] (+=, windows overlap)."""
    stride, padding, dilation, groups, input_shape = _cc.conv2d_backward_input(
        grad_y, w, input_shape, stride, padding, dilation, groups, _DTYPES
    )
    _variant(variant)
    return _correlate_transposed(grad_y, w, input_shape, stride, padding, dilation, groups)


def _correlate_transposed(grad_y, w, input_shape, stride, padding, dilation, groups):
    """conv2d_backward_input's scatter, its arguments checked."""
    n, c, h, wd = input_shape
    o, cg, kh, kw = w.shape
    out = tuple(grad_y.shape[2:])
    gy = grad_y.reshape((n, groups, o // groups) + out)
    wg = w.reshape(groups, o // groups, cg, kh, kw)
    gxp = np.zeros((n, groups, cg, h + 2 * padding[0], wd + 2 * padding[1]), grad_y.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = _window(i, j, stride, dilation, out)
            gxp[..., rows, cols] += np.einsum("gdc,ngdhw->ngchw", wg[..., i, j], gy)
    gxp = gxp.reshape(n, c, h + 2 * padding[0], wd + 2 * padding[1])
    return np.ascontiguousarray(gxp[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + wd])


def conv2d_backward_weight(
    grad_y, x, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    """grad_w[o, c, i, j] = sum over n, h, w of grad_y[n, o] * xp[n, c, window(i, j)]."""
    stride, padding, dilation, groups, weight_shape = _cc.conv2d_backward_weight(
        grad_y, x, weight_shape, stride, padding, dilation, groups, _DTYPES
    )
    _variant(variant)
    n, _, h, wd = x.shape
    o, cg, kh, kw = weight_shape
    out = tuple(grad_y.shape[2:])
    gy = grad_y.reshape((n, groups, o // groups) + out)
    xp = _pad(x, padding).reshape(n, groups, cg, h + 2 * padding[0], wd + 2 * padding[1])
    gw = np.zeros((groups, o // groups, cg, kh, kw), grad_y.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = _window(i, j, stride, dilation, out)
            gw[..., i, j] = np.einsum("ngdhw,ngchw->gdc", gy, xp[..., rows, cols])
    return gw.reshape(weight_shape)


def conv2d_backward_bias(grad_y):
    """grad_b[o] = sum over n, h, w of grad_y[n, o, h, w]."""
    _cc.conv2d_backward_bias(grad_y, _DTYPES)
    return grad_y.sum(axis=(0, 2, 3))


# ----------------------------------------------------------------------------- integer convolutions
def integer_conv2d(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """conv2d_forward of integer arrays, which torch's CPU kernels convolve (F.conv2d of two
    int64 tensors is an int64 tensor; no gradient): the same sum, taken in int64 and narrowed
    to x's dtype once, so it wraps around as torch's sums in that dtype do. Not a kernel-table
    entry (every table's conv2d_forward takes floating arrays only); autograd/conv.py calls it
    for integer data on the host, after _conv_checks.integer_conv, torch's rule of which
    integer convolutions it has."""
    stride, padding, dilation, groups, out = _cc.conv2d(
        x, w, bias, stride, padding, dilation, groups, _cc.INTEGERS
    )
    wide = [None if a is None else a.astype(np.int64) for a in (x, w, bias)]
    return _correlate(*wide, stride, padding, dilation, groups, out).astype(x.dtype)


def integer_conv_transpose2d(x, w, output_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """conv2d_backward_input of integer arrays (x in grad_y's place: F.conv_transpose2d's
    forward), as integer_conv2d computes conv2d_forward's."""
    stride, padding, dilation, groups, output_shape = _cc.conv2d_backward_input(
        x, w, output_shape, stride, padding, dilation, groups, _cc.INTEGERS
    )
    wide = (x.astype(np.int64), w.astype(np.int64))
    return _correlate_transposed(*wide, output_shape, stride, padding, dilation, groups).astype(x.dtype)


# ----------------------------------------------------------------------------- max pooling
def max_pool2d_forward(x, kernel, stride=None, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    """(y, indices): the window maximum and its flat index h*W + w in the input plane.

    As torch's CPU kernel: the window starts with the index of its first real element and the
    value -inf; a later element replaces it when it is strictly greater or NaN. So ties keep
    the first maximum in scan order, a NaN wins (the last NaN, as torch), padding never wins.
    """
    kernel, stride, padding, dilation, out = _cc.pool2d(
        x, kernel, stride, padding, dilation, ceil_mode, "max_pool2d", _DTYPES
    )
    n, c, h, w = x.shape
    ho, wo = out
    # Room for ceil_mode's last window, which may run past the right padding.
    extra = tuple(
        max(0, (o - 1) * s + d * (k - 1) + 1 - (sz + 2 * p))
        for o, s, d, k, sz, p in zip(out, stride, dilation, kernel, (h, w), padding)
    )
    xp = _pad(x, padding, -np.inf, extra)
    y = np.full((n, c, ho, wo), -np.inf, x.dtype)
    idx = np.full((n, c, ho, wo), -1, np.int64)
    oh = np.arange(ho)[:, None] * stride[0] - padding[0]
    ow = np.arange(wo)[None, :] * stride[1] - padding[1]
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            r, q = oh + i * dilation[0], ow + j * dilation[1]  # input coordinates, (Ho, 1) and (1, Wo)
            real = (r >= 0) & (r < h) & (q >= 0) & (q < w)  # (Ho, Wo): not padding
            flat = r * w + q
            rows, cols = _window(i, j, stride, dilation, out)
            v = xp[:, :, rows, cols]
            idx = np.where(real & (idx < 0), flat, idx)  # the first real element
            take = real & ((v > y) | np.isnan(v))
            y = np.where(take, v, y)
            idx = np.where(take, flat, idx)
    # a window wholly in the padding (padding 1, dilation 2) has no real element: torch gives
    # -inf and the index its kernel starts from, the first window position at or past 0
    h0 = oh + -(-np.maximum(-oh, 0) // dilation[0]) * dilation[0]
    w0 = ow + -(-np.maximum(-ow, 0) // dilation[1]) * dilation[1]
    return y, np.where(idx < 0, h0 * w + w0, idx)


def max_pool2d_backward(grad_y, indices, input_shape):
    """grad_x[n, c, indices[n, c, k]] += grad_y[n, c, k] (overlapping windows accumulate)."""
    input_shape = _cc.max_pool2d_backward(grad_y, indices, input_shape, _DTYPES)
    n, c, h, w = input_shape
    _cc.indices_in_plane(indices, h * w)
    gx = np.zeros((n * c, h * w), grad_y.dtype)
    rows = np.repeat(np.arange(n * c), grad_y.shape[2] * grad_y.shape[3])
    np.add.at(gx, (rows, indices.reshape(-1)), grad_y.reshape(-1))
    return gx.reshape(input_shape)


# ----------------------------------------------------------------------------- average pooling
def _avg_divisors(shape, kernel, stride, padding, out, count_include_pad, divisor_override):
    """(Ho, Wo) divisors, as torch: the window clipped to the padded input, then to the input
    unless count_include_pad."""
    if divisor_override is not None:
        return np.full(out, float(divisor_override))
    sizes = []
    for sz, k, s, p, o in zip(shape[2:], kernel, stride, padding, out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, sz + p)
        size = end - start
        if not count_include_pad:
            size = np.minimum(end, sz) - np.maximum(start, 0)
        sizes.append(size)
    return (sizes[0][:, None] * sizes[1][None, :]).astype(np.float64)


def avg_pool2d_forward(
    x, kernel, stride=None, padding=(0, 0), ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """y = (sum of the window, zero padding) / divisor (see _avg_divisors)."""
    kernel, stride, padding, _, out = _cc.pool2d(
        x, kernel, stride, padding, 1, ceil_mode, "avg_pool2d", _DTYPES
    )
    _cc.divisor(divisor_override)
    extra = tuple(
        max(0, (o - 1) * s + k - (sz + 2 * p))
        for o, s, k, sz, p in zip(out, stride, kernel, x.shape[2:], padding)
    )
    xp = _pad(x, padding, 0.0, extra)
    y = np.zeros(x.shape[:2] + out, x.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            y += xp[(..., *_window(i, j, stride, (1, 1), out))]
    div = _avg_divisors(x.shape, kernel, stride, padding, out, count_include_pad, divisor_override)
    return (y / div).astype(x.dtype)


def avg_pool2d_backward(
    grad_y,
    input_shape,
    kernel,
    stride=None,
    padding=(0, 0),
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Every input of a window gets grad_y / divisor (+=, windows overlap)."""
    kernel, stride, padding, out, input_shape, _ = _cc.avg_pool2d_backward(
        grad_y, input_shape, kernel, stride, padding, ceil_mode, divisor_override, _DTYPES
    )
    n, c, h, w = input_shape
    extra = tuple(
        max(0, (o - 1) * s + k - (sz + 2 * p)) for o, s, k, sz, p in zip(out, stride, kernel, (h, w), padding)
    )
    g = grad_y / _avg_divisors(input_shape, kernel, stride, padding, out, count_include_pad, divisor_override)
    gxp = np.zeros((n, c, h + 2 * padding[0] + extra[0], w + 2 * padding[1] + extra[1]), grad_y.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            gxp[(..., *_window(i, j, stride, (1, 1), out))] += g.astype(grad_y.dtype)
    return np.ascontiguousarray(gxp[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w])


def _adaptive_bounds(size, out):
    """Window [start, end) of each output index: floor(i*size/out), ceil((i+1)*size/out)."""
    return [(i * size // out, -((-(i + 1) * size) // out)) for i in range(out)]


def adaptive_avg_pool2d_forward(x, output_size):
    """y[..., i, j] = mean of x over rows floor(i*H/oh) .. ceil((i+1)*H/oh), the same for columns."""
    oh, ow = _cc.adaptive(x, output_size, _DTYPES)
    y = np.empty(x.shape[:2] + (oh, ow), x.dtype)
    for i, (h0, h1) in enumerate(_adaptive_bounds(x.shape[2], oh)):
        for j, (w0, w1) in enumerate(_adaptive_bounds(x.shape[3], ow)):
            y[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return y


def adaptive_avg_pool2d_backward(grad_y, input_shape):
    """Every input of window (i, j) gets grad_y[..., i, j] / window size (+=, windows may overlap)."""
    input_shape = _cc.adaptive_backward(grad_y, input_shape, _DTYPES)
    oh, ow = grad_y.shape[2:]
    gx = np.zeros(input_shape, grad_y.dtype)
    for i, (h0, h1) in enumerate(_adaptive_bounds(input_shape[2], oh)):
        for j, (w0, w1) in enumerate(_adaptive_bounds(input_shape[3], ow)):
            gx[:, :, h0:h1, w0:w1] += grad_y[:, :, i, j, None, None] / ((h1 - h0) * (w1 - w0))
    return gx
