"""Convolution and pooling kernels of the numba backend (NCHW, float32).

conv2d, weight [O, C/g, kH, kW], output [N, O, Ho, Wo]:
    Cost: 2 * N * O * (C/g) * kH * kW * Ho * Wo FLOPs for the forward pass, and the same
    for each of the two backward passes. Minimum traffic 4 * (|x| + |w| + |y|) bytes, so
    with C*kH*kW in the tens or more the work is compute-bound, like a matmul.

    direct  no im2col buffer. One task per output plane (n, o): the plane is
            accumulated in a small buffer while the loops run over c, kh, kw (one weight
            scalar each) and output rows; the innermost loop walks along a row, reading a
            contiguous input row when the stride is 1, so LLVM vectorises it as a saxpy.
            The column range whose input lies inside the image is computed once per
            (kw, row) instead of testing every element against the padding. Best when
            there are few output channels per group (depthwise); otherwise its inner
            loops (one output row, Wo long, strided when sw > 1) are short.
    channels  no im2col buffer either. One task per output row (n, oh): an [Wo, O/g]
            accumulator, and for each input value a saxpy into the O/g output channels
            it feeds, with the weights pre-transposed to [g, C/g, kH, kW, O/g] so that
            inner loop is contiguous and vectorised whatever the stride (an outer-product
            update, as a matmul micro-kernel does). Default when O/g >= 8.
    im2col  the textbook lowering, the default (conv.py: _default_rung): copy the receptive
            fields of a chunk of images into one [C/g*kH*kW, images*Ho*Wo] matrix (im2col_batch,
            chunks of at most 16 MiB), then one numba matmul per (chunk, group), which runs
            the register tile of matmul_kernels.py. Extra traffic: the column matrix is kH*kW
            times the input, but the matmul reuses every loaded value from cache, and its
            ~190 GFLOP/s per core are several times what the loops above reach.

    backward_input  direct: one task per input plane (n, c): the gradient of each output
            element is scattered back through the same loops (transposed convolution); each
            plane has one owner, so no atomics and the result does not depend on the thread
            count. im2col: the columns' gradient W^T @ grad_y per chunk, put back by
            col2im_batch (one task per input plane again).
    backward_weight direct: one task per (o, c) filter: each of its kH*kW taps is a dot
            product of an output-gradient plane with a shifted input plane, summed over the
            batch. im2col: grad_y @ columns^T per chunk, the chunks summed in order.

    The backward passes come in the same loop orders: "direct" (above), "channels" (inner
    loops along C/g for grad input, along O/g for grad weight, on transposed copies of the
    weight / output gradient) and "im2col", chosen like the forward.

Pooling: one task per (n, c) plane; the window loops are those of torch's CPU kernels,
including their tie and NaN rules (max: the first maximum in scan order, a NaN wins),
so values *and* indices match torch bit for bit.

Every task writes only its own output plane, so the single- and multi-threaded twins
(see _numba_jit) give identical results.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .jit import kernel, wide_vectors


# ----------------------------------------------------------------------------- helpers
@kernel(parallel=False)
def _valid_range(n_out, stride, offset, size):
    """[lo, hi): the output positions o with 0 <= o*stride + offset < size."""
    lo = 0
    if offset < 0:
        lo = (-offset + stride - 1) // stride
    hi = 0
    if size - offset > 0:
        hi = (size - offset + stride - 1) // stride
    hi = min(hi, n_out)
    return min(lo, hi), hi


# ----------------------------------------------------------------------------- conv2d
@kernel()
def conv2d_direct(x, w, bias, has_bias, y, sh, sw, ph, pw, dh, dw, groups):
    n_img, H, W = x.shape[0], x.shape[2], x.shape[3]
    O, cpg, KH, KW = w.shape
    Ho, Wo = y.shape[2], y.shape[3]
    opg = O // groups
    for task in prange(n_img * O):
        n = task // O
        o = task % O
        c0 = (o // opg) * cpg
        acc = np.zeros((Ho, Wo), np.float32)
        for ci in range(cpg):
            xp = x[n, c0 + ci]
            for kh in range(KH):
                r0, r1 = _valid_range(Ho, sh, kh * dh - ph, H)
                for kw in range(KW):
                    wv = w[o, ci, kh, kw]
                    off = kw * dw - pw
                    q0, q1 = _valid_range(Wo, sw, off, W)
                    for r in range(r0, r1):
                        xr = xp[r * sh + kh * dh - ph]
                        ar = acc[r]
                        for q in range(q0, q1):
                            ar[q] += wv * xr[q * sw + off]
        b = bias[o] if has_bias else np.float32(0.0)
        for r in range(Ho):
            for q in range(Wo):
                y[n, o, r, q] = acc[r, q] + b


@kernel()
def conv2d_channels(x, wt, bias, has_bias, y, sh, sw, ph, pw, dh, dw):
    """wt: the weight as [groups, C/g, kH, kW, O/g] (contiguous)."""
    n_img, H, W = x.shape[0], x.shape[2], x.shape[3]
    groups, cpg, KH, KW, opg = wt.shape
    Ho, Wo = y.shape[2], y.shape[3]
    for task in prange(n_img * Ho):
        n = task // Ho
        r = task % Ho
        acc = np.empty((Wo, opg), np.float32)
        for g in range(groups):
            acc[:, :] = 0.0
            for ci in range(cpg):
                for kh in range(KH):
                    ih = r * sh - ph + kh * dh
                    if ih < 0 or ih >= H:
                        continue
                    xr = x[n, g * cpg + ci, ih]
                    for kw in range(KW):
                        off = kw * dw - pw
                        q0, q1 = _valid_range(Wo, sw, off, W)
                        wv = wt[g, ci, kh, kw]
                        for q in range(q0, q1):
                            xv = xr[q * sw + off]
                            aq = acc[q]
                            for o in range(opg):
                                aq[o] += xv * wv[o]
            for o in range(opg):
                b = bias[g * opg + o] if has_bias else np.float32(0.0)
                for q in range(Wo):
                    y[n, g * opg + o, r, q] = acc[q, o] + b


@kernel()
def im2col_batch(x, cols, n0, c0, sh, sw, ph, pw, dh, dw):
    """cols[ci, kh, kw, j, r, q] = x[n0+j, c0+ci, r*sh+kh*dh-ph, q*sw+kw*dw-pw] (0 outside): the
    receptive fields of images n0..n0+nb as one [C/g*kH*kW, nb*Ho*Wo] matrix. One task per
    (channel, image); each writes its own rows, copying whole input row stretches."""
    H, W = x.shape[2], x.shape[3]
    cpg, KH, KW, nb, Ho, Wo = cols.shape
    for task in prange(cpg * nb):
        ci = task // nb
        j = task % nb
        xc = x[n0 + j, c0 + ci]
        for kh in range(KH):
            r0, r1 = _valid_range(Ho, sh, kh * dh - ph, H)
            for kw in range(KW):
                off = kw * dw - pw
                q0, q1 = _valid_range(Wo, sw, off, W)
                out = cols[ci, kh, kw, j]
                for r in range(Ho):
                    orow = out[r]
                    if r < r0 or r >= r1:
                        orow[:] = 0.0
                        continue
                    xr = xc[r * sh + kh * dh - ph]
                    orow[:q0] = 0.0
                    if sw == 1:
                        orow[q0:q1] = xr[q0 + off : q1 + off]
                    else:
                        for q in range(q0, q1):
                            orow[q] = xr[q * sw + off]
                    orow[q1:] = 0.0


@kernel()
def col2im_batch(cols, gx, n0, c0, sh, sw, ph, pw, dh, dw):
    """The adjoint of im2col_batch: gx[n0+j, c0+ci] = the sum of each tap's cols[ci, kh, kw, j]
    put back where it was read. One task per input plane (channel, image), which adds its taps
    in a fixed order (kh, kw): the same sums for any thread count, no atomics."""
    H, W = gx.shape[2], gx.shape[3]
    cpg, KH, KW, nb, Ho, Wo = cols.shape
    for task in prange(cpg * nb):
        ci = task // nb
        j = task % nb
        plane = gx[n0 + j, c0 + ci]
        plane[:, :] = 0.0
        for kh in range(KH):
            r0, r1 = _valid_range(Ho, sh, kh * dh - ph, H)
            for kw in range(KW):
                off = kw * dw - pw
                q0, q1 = _valid_range(Wo, sw, off, W)
                tap = cols[ci, kh, kw, j]
                for r in range(r0, r1):
                    pr = plane[r * sh + kh * dh - ph]
                    cr = tap[r]
                    if sw == 1:
                        pr[q0 + off : q1 + off] += cr[q0:q1]
                    else:
                        for q in range(q0, q1):
                            pr[q * sw + off] += cr[q]


@kernel()
def conv2d_backward_input(gy, w, gx, sh, sw, ph, pw, dh, dw, groups):
    n_img, C, H, W = gx.shape
    O, cpg, KH, KW = w.shape
    Ho, Wo = gy.shape[2], gy.shape[3]
    opg = O // groups
    for task in prange(n_img * C):
        n = task // C
        c = task % C
        g = c // cpg
        ci = c % cpg
        acc = np.zeros((H, W), np.float32)
        for o in range(g * opg, (g + 1) * opg):
            gp = gy[n, o]
            for kh in range(KH):
                r0, r1 = _valid_range(Ho, sh, kh * dh - ph, H)
                for kw in range(KW):
                    wv = w[o, ci, kh, kw]
                    off = kw * dw - pw
                    q0, q1 = _valid_range(Wo, sw, off, W)
                    for r in range(r0, r1):
                        ar = acc[r * sh + kh * dh - ph]
                        gr = gp[r]
                        for q in range(q0, q1):
                            ar[q * sw + off] += wv * gr[q]
        gx[n, c] = acc


@kernel()
def conv2d_backward_input_channels(gy, wt, gx, sh, sw, ph, pw, dh, dw):
    """wt: the weight as [groups, O/g, kH, kW, C/g]. One task per input row (n, ih)."""
    n_img, H, W = gx.shape[0], gx.shape[2], gx.shape[3]
    groups, opg, KH, KW, cpg = wt.shape
    Ho, Wo = gy.shape[2], gy.shape[3]
    for task in prange(n_img * H):
        n = task // H
        ih = task % H
        acc = np.empty((W, cpg), np.float32)
        for g in range(groups):
            acc[:, :] = 0.0
            for kh in range(KH):
                th = ih + ph - kh * dh  # = oh * sh
                if th < 0 or th % sh != 0 or th // sh >= Ho:
                    continue
                oh = th // sh
                for kw in range(KW):
                    off = kw * dw - pw
                    q0, q1 = _valid_range(Wo, sw, off, W)
                    for o in range(opg):
                        gr = gy[n, g * opg + o, oh]
                        wv = wt[g, o, kh, kw]
                        for q in range(q0, q1):
                            gv = gr[q]
                            aw = acc[q * sw + off]
                            for ci in range(cpg):
                                aw[ci] += gv * wv[ci]
            for ci in range(cpg):
                for iw in range(W):
                    gx[n, g * cpg + ci, ih, iw] = acc[iw, ci]


@kernel()
def conv2d_backward_weight_channels(gyt, x, gwt, sh, sw, ph, pw, dh, dw):
    """gyt: the output gradient as [N, Ho, Wo, O]; gwt: grad weight as [groups, C/g, kH, kW, O/g].
    One task per input channel (g, ci): its kH*kW*(O/g) weights, summed over N, Ho, Wo."""
    n_img, H, W = x.shape[0], x.shape[2], x.shape[3]
    groups, cpg, KH, KW, opg = gwt.shape
    Ho, Wo = gyt.shape[1], gyt.shape[2]
    for task in prange(groups * cpg):
        g = task // cpg
        ci = task % cpg
        c = g * cpg + ci
        out = gwt[g, ci]
        out[:, :, :] = 0.0
        for kh in range(KH):
            r0, r1 = _valid_range(Ho, sh, kh * dh - ph, H)
            for kw in range(KW):
                off = kw * dw - pw
                q0, q1 = _valid_range(Wo, sw, off, W)
                ow_ = out[kh, kw]
                for n in range(n_img):
                    for r in range(r0, r1):
                        xr = x[n, c, r * sh + kh * dh - ph]
                        for q in range(q0, q1):
                            xv = xr[q * sw + off]
                            gv = gyt[n, r, q]
                            for o in range(opg):
                                ow_[o] += xv * gv[g * opg + o]


@kernel()
def conv2d_backward_weight(gy, x, gw, sh, sw, ph, pw, dh, dw, groups):
    n_img, H, W = x.shape[0], x.shape[2], x.shape[3]
    O, cpg, KH, KW = gw.shape
    Ho, Wo = gy.shape[2], gy.shape[3]
    opg = O // groups
    for task in prange(O * cpg):
        o = task // cpg
        ci = task % cpg
        c = (o // opg) * cpg + ci
        for kh in range(KH):
            r0, r1 = _valid_range(Ho, sh, kh * dh - ph, H)
            for kw in range(KW):
                off = kw * dw - pw
                q0, q1 = _valid_range(Wo, sw, off, W)
                s = np.float32(0.0)
                for n in range(n_img):
                    for r in range(r0, r1):
                        xr = x[n, c, r * sh + kh * dh - ph]
                        gr = gy[n, o, r]
                        for q in range(q0, q1):
                            s += gr[q] * xr[q * sw + off]
                gw[o, ci, kh, kw] = s


@kernel()
def conv2d_backward_bias(gy, gb):
    n_img, O = gy.shape[0], gy.shape[1]
    for o in prange(O):
        s = np.float32(0.0)
        for n in range(n_img):
            s += gy[n, o].sum()
        gb[o] = s


# ----------------------------------------------------------------------------- max pool
@kernel()
def max_pool2d_forward(x, y, idx, kh, kw, sh, sw, ph, pw, dh, dw):
    n_img, C, H, W = x.shape
    Ho, Wo = y.shape[2], y.shape[3]
    for plane in prange(n_img * C):
        n = plane // C
        c = plane % C
        xp = x[n, c]
        for r in range(Ho):
            h0 = r * sh - ph
            h1 = min(h0 + (kh - 1) * dh + 1, H)
            while h0 < 0:
                h0 += dh
            for q in range(Wo):
                w0 = q * sw - pw
                w1 = min(w0 + (kw - 1) * dw + 1, W)
                while w0 < 0:
                    w0 += dw
                best = -np.inf
                at = h0 * W + w0  # torch's initial index: the first real element
                for ih in range(h0, h1, dh):
                    for iw in range(w0, w1, dw):
                        v = xp[ih, iw]
                        if v > best or np.isnan(v):  # a NaN replaces the maximum, as in torch
                            best = v
                            at = ih * W + iw
                y[n, c, r, q] = best
                idx[n, c, r, q] = at


@kernel()
def max_pool2d_2x2(x, y, idx):
    """max_pool2d_forward for the common 2x2 window, stride 2, no padding or dilation, whole
    windows only: the window unrolled, each step a select (take = v > best or v is NaN), so
    no branch mispredicts on random data and no window bounds per output. The same values,
    indices, ties and NaN rule as the general kernel (~4.7x faster at 64x64x24x24, model 167)."""
    C, W = x.shape[1], x.shape[3]
    Ho, Wo = y.shape[2], y.shape[3]
    for plane in prange(x.shape[0] * C):
        wide_vectors()
        n = plane // C
        c = plane % C
        xp, yp, ip = x[n, c], y[n, c], idx[n, c]
        for r in range(Ho):
            x0, x1, yr, ir = xp[2 * r], xp[2 * r + 1], yp[r], ip[r]
            for q in range(Wo):
                best, at = x0[2 * q], 2 * r * W + 2 * q  # the first element is always taken
                v = x0[2 * q + 1]
                take = (v > best) | (v != v)
                best, at = (v, at + 1) if take else (best, at)
                v = x1[2 * q]
                take = (v > best) | (v != v)
                best, at = (v, (2 * r + 1) * W + 2 * q) if take else (best, at)
                v = x1[2 * q + 1]
                take = (v > best) | (v != v)
                best, at = (v, (2 * r + 1) * W + 2 * q + 1) if take else (best, at)
                yr[q] = best
                ir[q] = at


@kernel()
def max_pool2d_backward(gy, idx, gx):
    n_img, C = gx.shape[0], gx.shape[1]
    W = gx.shape[3]
    Ho, Wo = gy.shape[2], gy.shape[3]
    for plane in prange(n_img * C):
        n = plane // C
        c = plane % C
        out = gx[n, c]
        out[:, :] = 0.0
        for r in range(Ho):
            for q in range(Wo):
                i = idx[n, c, r, q]
                out[i // W, i % W] += gy[n, c, r, q]


# ----------------------------------------------------------------------------- avg pool
@kernel(parallel=False)
def _avg_window(r, q, kh, kw, sh, sw, ph, pw, H, W, count_include_pad, divisor_override):
    """(h0, h1, w0, w1, 1/divisor) of output (r, q), as torch's avg_pool2d."""
    h0 = r * sh - ph
    w0 = q * sw - pw
    h1 = min(h0 + kh, H + ph)
    w1 = min(w0 + kw, W + pw)
    pool = (h1 - h0) * (w1 - w0)
    h0 = max(h0, 0)
    w0 = max(w0, 0)
    h1 = min(h1, H)
    w1 = min(w1, W)
    if divisor_override:
        div = divisor_override
    elif count_include_pad:
        div = pool
    else:
        div = (h1 - h0) * (w1 - w0)
    return h0, h1, w0, w1, np.float32(1.0) / np.float32(div)


@kernel()
def avg_pool2d_forward(x, y, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override):
    n_img, C, H, W = x.shape
    Ho, Wo = y.shape[2], y.shape[3]
    for plane in prange(n_img * C):
        n = plane // C
        c = plane % C
        for r in range(Ho):
            for q in range(Wo):
                h0, h1, w0, w1, inv = _avg_window(
                    r, q, kh, kw, sh, sw, ph, pw, H, W, count_include_pad, divisor_override
                )
                s = np.float32(0.0)
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        s += x[n, c, ih, iw]
                y[n, c, r, q] = s * inv


@kernel()
def avg_pool2d_backward(gy, gx, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override):
    n_img, C, H, W = gx.shape
    Ho, Wo = gy.shape[2], gy.shape[3]
    for plane in prange(n_img * C):
        n = plane // C
        c = plane % C
        out = gx[n, c]
        out[:, :] = 0.0
        for r in range(Ho):
            for q in range(Wo):
                h0, h1, w0, w1, inv = _avg_window(
                    r, q, kh, kw, sh, sw, ph, pw, H, W, count_include_pad, divisor_override
                )
                g = gy[n, c, r, q] * inv
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        out[ih, iw] += g


# ----------------------------------------------------------------------------- adaptive avg pool
@kernel()
def adaptive_avg_pool2d_forward(x, y):
    n_img, C, H, W = x.shape
    Ho, Wo = y.shape[2], y.shape[3]
    for plane in prange(n_img * C):
        n = plane // C
        c = plane % C
        for r in range(Ho):
            h0 = (r * H) // Ho
            h1 = -((-(r + 1) * H) // Ho)
            for q in range(Wo):
                w0 = (q * W) // Wo
                w1 = -((-(q + 1) * W) // Wo)
                s = np.float32(0.0)
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        s += x[n, c, ih, iw]
                y[n, c, r, q] = s / np.float32((h1 - h0) * (w1 - w0))


@kernel()
def adaptive_avg_pool2d_backward(gy, gx):
    n_img, C, H, W = gx.shape
    Ho, Wo = gy.shape[2], gy.shape[3]
    for plane in prange(n_img * C):
        n = plane // C
        c = plane % C
        out = gx[n, c]
        out[:, :] = 0.0
        for r in range(Ho):
            h0 = (r * H) // Ho
            h1 = -((-(r + 1) * H) // Ho)
            for q in range(Wo):
                w0 = (q * W) // Wo
                w1 = -((-(q + 1) * W) // Wo)
                g = gy[n, c, r, q] / np.float32((h1 - h0) * (w1 - w0))
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        out[ih, iw] += g
