"""The numba backend's conv2d and pooling entries (the table re-exports them).

Kernels in conv_kernels.py; the checks (torch's errors and messages) in ../_conv_checks.py.
"""

from __future__ import annotations

import numpy as np

from .. import _conv_checks as _cc
from . import _common
from . import conv_kernels as _cv
from ._common import NS_PER_ELEMENT, NS_PER_FMA
from ._common import run as _run
from .linear import matmul

VARIANTS = ("direct", "channels", "im2col")
DEFAULT_VARIANT = None  # by shape: _default_rung
_NO_BIAS = np.zeros(1, np.float32)
COLUMN_BYTES = 16 << 20  # im2col: the column matrix of a chunk of images stays under 16 MiB


def _default_rung(out_channels: int, groups: int) -> str:
    """im2col (a chunk of images' columns, then the numba matmul: its register tile) unless a
    group has a single output channel (depthwise): there each GEMM would be a matrix-vector
    product, and the direct loops are faster. Model 167, 2 threads, forward / grad input / grad
    weight in ms, im2col against channels (the default before): the MNIST ConvNet's 32->64 at
    26x26, batch 64, 9.5 / 13.4 / 11.3 against 22 / 30 / 100 (the C++ backend 5.4 / 5.2 / 5.6);
    a ResNet's 64->64 at 56x56, batch 8, 9.7 / 12.7 / 11.0 against 29 / 36 / 125 (C++ 6.7 / 6.6
    / 6.7); 1->32 at 28x28 1.0 / 1.0 / 1.2 against 0.8 / 4.7 (direct) / 4.5; depthwise 32 at
    28x28: direct 0.6 / 0.6 / 0.4, im2col 2.4 / 3.8 / 2.3."""
    return "im2col" if out_channels // groups >= 2 else "direct"


def _images_per_chunk(n_img: int, per_image: int) -> int:
    return max(1, min(n_img, COLUMN_BYTES // (4 * per_image)))


def _column_chunks(x, w_shape, groups, ho, wo, geometry):
    """(n0, g, cols) for each chunk of images and each group g: cols [C/g, kH, kW, m, Ho, Wo] is
    the im2col matrix of images n0..n0+m, as many images as fit COLUMN_BYTES (at least one).
    One buffer serves every chunk: cols is a contiguous view of its first part (the last chunk
    may be shorter)."""
    n_img = x.shape[0]
    o, cpg, kh, kw = w_shape
    per_image = cpg * kh * kw * ho * wo
    nb = _images_per_chunk(n_img, per_image)
    buf = np.empty(per_image * nb, np.float32)
    for n0 in range(0, n_img, nb):
        m = min(nb, n_img - n0)
        cols = buf[: per_image * m].reshape(cpg, kh, kw, m, ho, wo)
        for g in range(groups):
            _run(_cv.im2col_batch, cols.size * NS_PER_ELEMENT, x, cols, n0, g * cpg, *geometry)
            yield n0, g, cols


def _grad_rows(grad_y, n0, m, g, opg):
    """grad_y[n0:n0+m, group g's channels] as a [O/g, m*Ho*Wo] matrix (the column matrix's order)."""
    part = grad_y[n0 : n0 + m, g * opg : (g + 1) * opg]
    return np.ascontiguousarray(part.transpose(1, 0, 2, 3)).reshape(opg, -1)


def _conv_flops(y_shape, w_shape) -> float:
    return float(np.prod(y_shape, dtype=np.float64)) * w_shape[1] * w_shape[2] * w_shape[3]


def conv2d_forward(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None):
    """y[N,O,Ho,Wo] = conv2d(x, w) + bias (NCHW, float32). Variants: direct, channels, im2col
    (None: by shape, _default_rung); see conv_kernels.py."""
    (sh, sw), (ph, pw), (dh, dw), groups, (ho, wo) = _cc.conv2d(x, w, bias, stride, padding, dilation, groups)
    if variant is None:
        variant = _default_rung(w.shape[0], groups)
    variant = _cc.variant(variant, VARIANTS)
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
    b = _NO_BIAS if bias is None else np.ascontiguousarray(bias)
    y = _common.empty((x.shape[0], w.shape[0], ho, wo))
    if y.size == 0:
        return y
    if w.shape[1] == 0:
        y[...] = b.reshape(1, -1, 1, 1) if bias is not None else 0.0
        return y
    if variant == "im2col":
        o, cpg, kh, kw = w.shape
        opg = o // groups
        for n0, g, cols in _column_chunks(x, w.shape, groups, ho, wo, (sh, sw, ph, pw, dh, dw)):
            m = cols.shape[3]
            yg = matmul(w[g * opg : (g + 1) * opg].reshape(opg, -1), cols.reshape(cpg * kh * kw, -1))
            y[n0 : n0 + m, g * opg : (g + 1) * opg] = yg.reshape(opg, m, ho, wo).transpose(1, 0, 2, 3)
        if bias is not None:
            y += b.reshape(1, -1, 1, 1)
        return y
    work = _conv_flops(y.shape, w.shape) * NS_PER_FMA * 4
    if variant == "channels":
        o, cpg, kh, kw = w.shape
        wt = np.ascontiguousarray(w.reshape(groups, o // groups, cpg, kh, kw).transpose(0, 2, 3, 4, 1))
        _run(_cv.conv2d_channels, work, x, wt, b, bias is not None, y, sh, sw, ph, pw, dh, dw)
    else:
        _run(_cv.conv2d_direct, work, x, w, b, bias is not None, y, sh, sw, ph, pw, dh, dw, groups)
    return y


def conv2d_backward_input(
    grad_y, w, input_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    """grad_x[N,C,H,W] of conv2d (a transposed convolution of grad_y with w)."""
    (sh, sw), (ph, pw), (dh, dw), groups, x_shape = _cc.conv2d_backward_input(
        grad_y, w, input_shape, stride, padding, dilation, groups
    )
    if variant is None:
        variant = _default_rung(w.shape[0], groups)
    variant = _cc.variant(variant, VARIANTS)
    gy, w = np.ascontiguousarray(grad_y), np.ascontiguousarray(w)
    gx = _common.empty(x_shape)
    if gx.size == 0:
        return gx
    if variant == "im2col":
        # the columns' gradient, W^T @ grad_y per chunk of images, scattered back (col2im)
        if gy.size == 0:  # no output channels: nothing flows back
            gx[...] = 0.0
            return gx
        o, cpg, kh, kw = w.shape
        opg, ho, wo = o // groups, gy.shape[2], gy.shape[3]
        geometry = (sh, sw, ph, pw, dh, dw)
        nb = _images_per_chunk(x_shape[0], cpg * kh * kw * ho * wo)
        for n0 in range(0, x_shape[0], nb):
            m = min(nb, x_shape[0] - n0)
            for g in range(groups):
                wg = w[g * opg : (g + 1) * opg].reshape(opg, -1)
                cols = matmul(wg, _grad_rows(gy, n0, m, g, opg), trans_a=True).reshape(cpg, kh, kw, m, ho, wo)
                _run(_cv.col2im_batch, cols.size * NS_PER_ELEMENT, cols, gx, n0, g * cpg, *geometry)
        return gx
    work = _conv_flops(gy.shape, w.shape) * NS_PER_FMA * 4
    if variant == "channels":
        o, cpg, kh, kw = w.shape
        wt = np.ascontiguousarray(w.reshape(groups, o // groups, cpg, kh, kw).transpose(0, 1, 3, 4, 2))
        _run(_cv.conv2d_backward_input_channels, work, gy, wt, gx, sh, sw, ph, pw, dh, dw)
    else:
        _run(_cv.conv2d_backward_input, work, gy, w, gx, sh, sw, ph, pw, dh, dw, groups)
    return gx


def conv2d_backward_weight(
    grad_y, x, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    """grad_w[O,C/g,kH,kW] of conv2d: each tap a dot product over the batch and output plane."""
    (sh, sw), (ph, pw), (dh, dw), groups, w_shape = _cc.conv2d_backward_weight(
        grad_y, x, weight_shape, stride, padding, dilation, groups
    )
    if variant is None:
        variant = _default_rung(w_shape[0], groups)
    variant = _cc.variant(variant, VARIANTS)
    gy, x = np.ascontiguousarray(grad_y), np.ascontiguousarray(x)
    gw = _common.empty(w_shape)
    if gw.size == 0:
        return gw
    if variant == "im2col":
        # grad_y @ columns^T per chunk of images, the chunks summed in order
        o, cpg, kh, kw = w_shape
        opg, ho, wo = o // groups, gy.shape[2], gy.shape[3]
        flat = gw.reshape(o, -1)
        flat[...] = 0.0
        if gy.size:
            for n0, g, cols in _column_chunks(x, w_shape, groups, ho, wo, (sh, sw, ph, pw, dh, dw)):
                gyt = _grad_rows(gy, n0, cols.shape[3], g, opg)
                flat[g * opg : (g + 1) * opg] += matmul(gyt, cols.reshape(cpg * kh * kw, -1), trans_b=True)
        return gw
    work = _conv_flops(gy.shape, w_shape) * NS_PER_FMA * 4
    if variant == "channels":
        o, cpg, kh, kw = w_shape
        gwt = np.empty((groups, cpg, kh, kw, o // groups), np.float32)
        _run(
            _cv.conv2d_backward_weight_channels,
            work,
            np.ascontiguousarray(gy.transpose(0, 2, 3, 1)),
            x,
            gwt,
            sh,
            sw,
            ph,
            pw,
            dh,
            dw,
        )
        gw[...] = gwt.transpose(0, 4, 1, 2, 3).reshape(w_shape)
    else:
        _run(_cv.conv2d_backward_weight, work, gy, x, gw, sh, sw, ph, pw, dh, dw, groups)
    return gw


def conv2d_backward_bias(grad_y):
    """grad_b[O] = grad_y summed over N, Ho, Wo."""
    _cc.conv2d_backward_bias(grad_y)
    gy = np.ascontiguousarray(grad_y)
    gb = np.empty(gy.shape[1], np.float32)
    _run(_cv.conv2d_backward_bias, gy.size * NS_PER_ELEMENT, gy, gb)
    return gb


def max_pool2d_forward(x, kernel, stride=None, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    """(y, indices): window maxima and their flat h*W + w positions (torch's ties and NaN rules)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = _cc.pool2d(
        x, kernel, stride, padding, dilation, bool(ceil_mode), "max_pool2d"
    )
    x = np.ascontiguousarray(x)
    y = _common.empty((x.shape[0], x.shape[1], ho, wo))
    idx = np.empty(y.shape, np.int64)
    whole_2x2 = (kh, kw, sh, sw, ph, pw, dh, dw) == (2, 2, 2, 2, 0, 0, 1, 1)
    if whole_2x2 and 2 * ho <= x.shape[2] and 2 * wo <= x.shape[3]:
        if y.size:
            _run(_cv.max_pool2d_2x2, y.size * 4 * NS_PER_ELEMENT, x, y, idx)
        return y, idx
    if y.size:
        _run(
            _cv.max_pool2d_forward,
            y.size * kh * kw * NS_PER_ELEMENT,
            x,
            y,
            idx,
            kh,
            kw,
            sh,
            sw,
            ph,
            pw,
            dh,
            dw,
        )
    return y, idx


def max_pool2d_backward(grad_y, indices, input_shape):
    """grad_x: grad_y scatter-added at indices (overlapping windows accumulate)."""
    shape = _cc.max_pool2d_backward(grad_y, indices, input_shape)
    _cc.indices_in_plane(indices, shape[2] * shape[3])
    gy, idx = np.ascontiguousarray(grad_y), np.ascontiguousarray(indices)
    gx = _common.empty(shape)
    if gx.size:
        _run(_cv.max_pool2d_backward, (gx.size + gy.size) * NS_PER_ELEMENT, gy, idx, gx)
    return gx


def avg_pool2d_forward(
    x, kernel, stride=None, padding=(0, 0), ceil_mode=False, count_include_pad=True, divisor_override=None
):
    """Window means (torch's divisor rules for padding, ceil_mode and divisor_override)."""
    (kh, kw), (sh, sw), (ph, pw), _, (ho, wo) = _cc.pool2d(
        x, kernel, stride, padding, 1, bool(ceil_mode), "avg_pool2d"
    )
    div = _cc.divisor(divisor_override)
    x = np.ascontiguousarray(x)
    y = _common.empty((x.shape[0], x.shape[1], ho, wo))
    if y.size:
        _run(
            _cv.avg_pool2d_forward,
            y.size * kh * kw * NS_PER_ELEMENT,
            x,
            y,
            kh,
            kw,
            sh,
            sw,
            ph,
            pw,
            bool(count_include_pad),
            div,
        )
    return y


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
    (kh, kw), (sh, sw), (ph, pw), _, shape, div = _cc.avg_pool2d_backward(
        grad_y, input_shape, kernel, stride, padding, bool(ceil_mode), divisor_override
    )
    probe = np.empty(shape, np.float32)  # grad_x
    gy = np.ascontiguousarray(grad_y)
    if gy.size:
        _run(
            _cv.avg_pool2d_backward,
            gy.size * kh * kw * NS_PER_ELEMENT,
            gy,
            probe,
            kh,
            kw,
            sh,
            sw,
            ph,
            pw,
            bool(count_include_pad),
            div,
        )
    else:
        probe[...] = 0.0
    return probe


def adaptive_avg_pool2d_forward(x, output_size):
    oh, ow = _cc.adaptive(x, output_size)
    x = np.ascontiguousarray(x)
    y = _common.empty((x.shape[0], x.shape[1], oh, ow))
    if y.size:
        _run(_cv.adaptive_avg_pool2d_forward, x.size * NS_PER_ELEMENT, x, y)
    return y


def adaptive_avg_pool2d_backward(grad_y, input_shape):
    shape = _cc.adaptive_backward(grad_y, input_shape)
    gy = np.ascontiguousarray(grad_y)
    gx = _common.empty(shape)
    if gx.size == 0:
        return gx
    if gy.size == 0:
        gx[...] = 0.0
        return gx
    _run(_cv.adaptive_avg_pool2d_backward, gx.size * NS_PER_ELEMENT, gy, gx)
    return gx
