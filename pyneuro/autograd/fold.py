"""Im2Col and Col2Im: the sliding-block copies behind F.unfold and F.fold (torch's im2col/col2im).

Each is the other's adjoint, so each one's backward is the other's forward:

    im2col(x)[n, (c, u, v), (i, j)] = x_pad[n, c, i*sh + u*dh, j*sw + v*dw]
    col2im(y)[n, c, a, b]           = sum of y[n, (c, u, v), (i, j)] over the (u, v, i, j) with
                                      i*sh + u*dh - ph = a and j*sw + v*dw - pw = b

Both loop over the kH * kW kernel offsets and copy (or add) one strided slice per offset with
the backend's array namespace, so they run unchanged on NumPy and CuPy arrays. They keep only
shapes for backward (saves_tensors = False).
"""

from __future__ import annotations

from .function import Function


def _blocks(size, kernel, dilation, padding, stride):
    """Number of block positions along one dimension (torch's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _offsets(kernel, dilation, stride, out):
    """(u, v, row slice, column slice) of the padded image each kernel offset reads."""
    (kh, kw), (dh, dw), (sh, sw), (oh, ow) = kernel, dilation, stride, out
    for u in range(kh):
        for v in range(kw):
            rows = slice(u * dh, u * dh + sh * (oh - 1) + 1, sh)
            cols = slice(v * dw, v * dw + sw * (ow - 1) + 1, sw)
            yield u, v, rows, cols


def im2col(xp, x, kernel, dilation, padding, stride):
    """x (N, C, H, W) -> (N, C * kH * kW, L) with L = oH * oW block positions."""
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    oh = _blocks(h, kh, dilation[0], ph, stride[0])
    ow = _blocks(w, kw, dilation[1], pw, stride[1])
    padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    cols = xp.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for u, v, rows, cs in _offsets(kernel, dilation, stride, (oh, ow)):
        cols[:, :, u, v] = padded[:, :, rows, cs]
    return cols.reshape(n, c * kh * kw, oh * ow)


def col2im(xp, cols, size, kernel, dilation, padding, stride):
    """cols (N, C * kH * kW, L) -> (N, C, H, W) = size, overlapping blocks summed."""
    (h, w), (kh, kw), (ph, pw) = size, kernel, padding
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    oh = _blocks(h, kh, dilation[0], ph, stride[0])
    ow = _blocks(w, kw, dilation[1], pw, stride[1])
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for u, v, rows, cs in _offsets(kernel, dilation, stride, (oh, ow)):
        out[:, :, rows, cs] += blocks[:, :, u, v]
    return xp.ascontiguousarray(out[:, :, ph : ph + h, pw : pw + w])


class Im2Col(Function):
    """out = im2col(x) (F.unfold); backward: col2im(g) into x's shape."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, x, kernel=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
        self.saved = (x.shape[2:], kernel, dilation, padding, stride)
        return im2col(self.bk.xp, x, kernel, dilation, padding, stride)

    def backward(self, g):
        size, kernel, dilation, padding, stride = self.saved
        return (col2im(self.bk.xp, g, size, kernel, dilation, padding, stride),)


class Col2Im(Function):
    """out = col2im(cols) (F.fold); backward: im2col(g)."""

    __slots__ = ()
    saves_tensors = False

    def forward(self, cols, size=(1, 1), kernel=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
        self.saved = (kernel, dilation, padding, stride)
        return col2im(self.bk.xp, cols, size, kernel, dilation, padding, stride)

    def backward(self, g):
        kernel, dilation, padding, stride = self.saved
        return (im2col(self.bk.xp, g, kernel, dilation, padding, stride),)
