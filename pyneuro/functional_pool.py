"""More pooling for pyneuro.functional (torch.nn.functional's names):

adaptive_max_pool1d/2d (+ _with_indices)   the maximum over windows sized to a fixed output size
max_pool1d/2d_with_indices                 max_pool1d/2d(..., return_indices=True)
max_unpool1d/2d                            put each maximum back at its index, zeros elsewhere
lp_pool1d/2d                               (sum over the window of x^p)^(1/p)

adaptive_max_pool: output cell i of a dimension of size n -> o covers [floor(i n / o),
ceil((i + 1) n / o)). The window of each output cell is gathered (index_select along H, then
W; short windows repeat their last element, which changes no maximum), argmax picks the first
maximum in row-major order as torch's kernel does, and the values are then *gathered* from x at
those flat indices h * W + w, so the gradient flows to exactly that element (a gather's
backward is a scatter-add), as in torch. max_unpool is a scatter of the values into zeros at
the indices (backward: a gather). lp_pool is avg_pool of x^p times the window size, to the 1/p,
composed exactly as torch composes it.
"""

from __future__ import annotations

import math

import numpy as np

from . import autograd as _ag
from ._dtype import int64
from ._errors import DTypeError, NotATensor, ShapeError
from ._memory import check_allocation
from ._shapes import ints
from .creation import arange, as_tensor, zeros
from .functional_conv import _tensor_1d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .tensor import Tensor


def _windows(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, K) input positions of each adaptive window, the short ones padded with their last."""
    i = np.arange(n_out, dtype=np.int64)
    starts, ends = i * n_in // n_out, -(-(i + 1) * n_in // n_out)
    k = int((ends - starts).max(initial=1))
    return np.minimum(starts[:, None] + np.arange(k), ends[:, None] - 1)


def _check_fits(lead, oh: int, ow: int, op: str) -> None:
    """An output that cannot exist (2**31 per side) refused before any window is built."""
    check_allocation(math.prod(lead) * oh * ow * 12, op)  # float32 values and int64 indices


def _window_argmax(win: Tensor) -> Tensor:
    """The position of each window's (last dim's) maximum, as torch's adaptive max-pool kernel
    picks it (`val > max || isnan(val)`): the first of equal maxima, but the last NaN."""
    arg = win.argmax(dim=-1)
    nan = win.isnan()
    if nan.any():
        last = (win.shape[-1] - 1) - nan.flip(-1).to(int64).argmax(dim=-1)
        arg = last.where(nan.any(dim=-1), arg)
    return arg


def _adaptive_max(x: Tensor, oh: int, ow: int):
    """(values, flat indices h * W + w) of the adaptive max pool of x's last two dims."""
    *lead, h, w = x.shape
    if oh == 0 or ow == 0:  # an empty answer, still on x's graph
        return x.reshape(*lead, h * w)[..., :0].reshape(*lead, oh, ow), zeros(*lead, oh, ow, dtype=int64)
    b, flat = len(lead), x.reshape(*lead, h * w)
    if oh == ow == 1:  # one window, the whole plane (AdaptiveMaxPool(1), global max pooling): no copy
        idx = _window_argmax(flat.detach()).reshape(*lead, 1, 1)
        return flat._gather(b, idx.reshape(*lead, 1)).reshape(*lead, 1, 1), idx
    rows, cols = _windows(h, oh), _windows(w, ow)
    kh, kw = rows.shape[1], cols.shape[1]
    if h % oh == 0 and w % ow == 0:  # windows that tile the plane: x itself, regrouped (one copy)
        win = x.detach().reshape(*lead, oh, kh, ow, kw)
    else:  # overlapping windows: each gathered
        win = x.detach().index_select(-2, as_tensor(rows.reshape(-1), device=x.device))
        win = win.index_select(-1, as_tensor(cols.reshape(-1), device=x.device)).reshape(
            *lead, oh, kh, ow, kw
        )
    win = win.permute(*range(b), b, b + 2, b + 1, b + 3)
    arg = _window_argmax(win.reshape(*lead, oh, ow, kh * kw))
    row_of = as_tensor(rows, device=x.device)[arange(oh, device=x.device).reshape(oh, 1), arg // kw]
    col_of = as_tensor(cols, device=x.device)[arange(ow, device=x.device), arg % kw]
    idx = row_of * w + col_of
    values = flat._gather(b, idx.reshape(*lead, oh * ow)).reshape(*lead, oh, ow)
    return values, idx


def _output_pair(output_size, x: Tensor, op: str):
    size = (
        (output_size, output_size)
        if isinstance(output_size, int) or output_size is None
        else tuple(output_size)
    )
    if len(size) != 2:
        raise RuntimeError(f"{op}(): internal error: output_size.size() must be 2")
    return tuple(x.shape[-2 + i] if s is None else int(s) for i, s in enumerate(size))


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over adaptive windows of x (N, C, H, W) or (C, H, W) to output_size (oh, ow).

    return_indices=True also gives the flat index h * W + w of each maximum in its plane.
    """
    if not isinstance(input, Tensor):
        raise NotATensor(
            f"adaptive_max_pool2d(): argument 'input' must be a pyneuro Tensor, not {type(input).__name__}"
        )
    if input.ndim not in (3, 4):
        raise ShapeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    if input.dtype.kind != "f":  # (torch has no integer kernel: it raises, it does not compute)
        raise NotImplementedError(f"\"adaptive_max_pool2d\" not implemented for '{input.dtype.torch_name}'")
    for d in range(1, input.ndim):  # (a 3-D input's first dim is its batch here, as torch reads it)
        if input.shape[d] == 0:
            raise ShapeError(
                "adaptive_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {d} being empty"
            )
    oh, ow = _output_pair(output_size, input, "adaptive_max_pool2d")
    _check_fits(input.shape[:-2], oh, ow, "adaptive_max_pool2d")
    values, idx = _adaptive_max(input, oh, ow)
    values = _ag.named(values, "AdaptiveMaxPool2DBackward0", reads=(input, idx))  # torch's node saves both
    return (values, idx) if return_indices else values


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Maximum over adaptive windows of x (N, C, L) or (C, L) to output length o (torch's order)."""
    x = _tensor_1d(input, "adaptive_max_pool1d")
    o = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    if isinstance(output_size, (tuple, list)) and len(output_size) != 1:
        raise RuntimeError(
            f"adaptive_max_pool1d() argument 'output_size' should contain one int (got {len(output_size)})"
        )
    values, idx = _adaptive_max(x.unsqueeze(-2), 1, int(o))
    values, idx = values.squeeze(-2), idx.squeeze(-2)
    values = _ag.named(values, "SqueezeBackward1", reads=(x, idx))  # torch's node saves both
    return (values, idx) if return_indices else values


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):  # fmt: skip
    """max_pool1d(..., return_indices=True): (values, positions of the maxima)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):  # fmt: skip
    """max_pool2d(..., return_indices=True): (values, flat indices h * W + w of the maxima)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ----------------------------------------------------------------------------- max_unpool
def _ints(v, n: int) -> tuple:
    t = ints(v, n)
    if len(t) == 1:
        t = t * n
    return tuple(int(e) for e in t)


def _repeated(v, n: int) -> tuple:
    """torch's _pair / _single of the unpooling arguments: a sequence as a tuple, anything else
    repeated n times (a float too: torch refuses it only where it makes the output size)."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _unpool_size(input: Tensor, kernel, stride, padding, output_size) -> list:
    """torch's _unpool_output_size: (in - 1) s + k - 2 p, or a checked output_size."""
    n = len(kernel)
    default = [(input.shape[-n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        for i, v in enumerate(default):  # (a float kernel_size or stride: MaxUnpool2d(2, stride=1.))
            if not isinstance(v, (int, np.integer)):
                raise TypeError(
                    "max_unpool2d(): argument 'output_size' (position 3) must be tuple of ints, but found "
                    f"element of type {type(v).__name__} at pos {i}"
                )
        return [int(v) for v in default]
    size = list(output_size)
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(
            f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a length of '{len(size)}'"
        )
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
    return [int(s) for s in size]


def _unpool(input: Tensor, indices: Tensor, size: list) -> Tensor:
    """Scatter input's values into zeros of the spatial `size` at the flat `indices`."""
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu" or indices.dtype.itemsize != 8:
        got = indices.dtype.torch_name if isinstance(indices, Tensor) else type(indices).__name__
        raise DTypeError(f"elements in indices should be type int64 but got: {got}")
    if tuple(indices.shape) != tuple(input.shape):
        raise ShapeError(
            f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) but got "
            f"indices tensor with shape: {list(indices.shape)}"
        )
    plane = math.prod(size)
    if indices.numel():
        lo, hi = int(indices.min()), int(indices.max())
        if lo < 0 or hi >= plane:
            sizes = "x".join(str(s) for s in size)
            raise RuntimeError(
                f"Found an invalid max index: {hi if hi >= plane else lo} (output volumes are of size {sizes})"
            )
    lead = tuple(input.shape[: input.ndim - len(size)])
    n = math.prod(input.shape[len(lead) :])
    out = zeros(*lead, plane, dtype=input.dtype, device=input.device)
    out = out.scatter(len(lead), indices.reshape(*lead, n), input.reshape(*lead, n))
    return out.reshape(*lead, *size)


def max_unpool2d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """The partial inverse of max_pool2d: x (N, C, h, w) with its indices -> (N, C, H, W), each value
    put back at its flat index H * W position and zeros elsewhere."""
    if input.ndim not in (3, 4):
        raise ShapeError(
            f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with {input.ndim} dimensions."
        )
    k = _repeated(kernel_size, 2)
    s = k if stride is None else _repeated(stride, 2)
    size = _unpool_size(input, k, s, _repeated(padding, 2), output_size)
    return _unpool(input, indices, size)


def max_unpool1d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """The partial inverse of max_pool1d: x (N, C, l) -> (N, C, L), values back at their positions."""
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"Input to max_unpooling1d should be a 2d or 3d Tensor, but got a tensor with {input.ndim} dimensions."
        )
    k = _repeated(kernel_size, 1)
    s = k if stride is None else _repeated(stride, 1)
    size = _unpool_size(input, k, s, _repeated(padding, 1), output_size)
    return _unpool(input, indices, size)


# ----------------------------------------------------------------------------- lp_pool
def _lp(out: Tensor, norm_type: float, window: int) -> Tensor:
    """(sign(a) relu(|a|) * window)^(1/p) of the window means a, as torch composes it."""
    return (out.sign() * out.abs().relu() * window).pow(1.0 / norm_type)


def lp_infinite(max_pool, input: Tensor, norm_type, kernel_size, stride, ceil_mode):
    """p = inf: the largest |x| of each window (max pooling of |x|); p = -inf the smallest, as
    torch (x^inf averaged and raised to 1/inf would be inf^0 = 1 everywhere). None otherwise."""
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        if norm_type > 0:
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    return None


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over each kH x kW window of x^p)^(1/p) (p = inf is max pooling
    of |x|)."""
    if (pooled := lp_infinite(max_pool2d, input, norm_type, kernel_size, stride, ceil_mode)) is not None:
        return pooled
    kh, kw = _ints(kernel_size, 2)
    if stride is None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(out, norm_type, kh * kw)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over windows of k elements: (sum x^p)^(1/p)."""
    if (pooled := lp_infinite(max_pool1d, input, norm_type, kernel_size, stride, ceil_mode)) is not None:
        return pooled
    (k,) = _ints(kernel_size, 1)
    if stride is None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(out, norm_type, k)


__all__ = [
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "lp_pool1d",
    "lp_pool2d",
]
