"""The `cuda` backend: pyneuro's hand-written CUDA kernels (pyneuro._cuda).

Arrays are `pyneuro._cuda.DeviceArray`: C-contiguous float32 / int64 (float64 is held
but refused by the kernels) in device memory from a caching allocator, speaking
__cuda_array_interface__ both ways (CuPy, Numba and PyTorch share memory with it, no
copies). The extension needs no CuPy.

The kernel table validates everything in C++ before a launch (types, dtypes, ranks,
shapes, device mixing, class-target range) and reports CUDA errors as RuntimeError.

`xp`, the array namespace a Tensor uses for generic ops, is `DeviceNamespace` below:
pyneuro's own kernels for what Tensor, autograd, nn, optim and the data loader call on the
device: elementwise + - * / ** with NumPy broadcasting (scalars, rows and columns directly,
any other pattern through one strided copy); maximum/minimum; exp, log, sqrt, abs, sign,
tanh; comparisons and logical ops giving bool arrays; where; isnan/isfinite; sum/mean over
any axes (int64 / bool sums over all axes), max/min, argmax/argmin along any axis, all/any;
empty/zeros/ones/full(_like), arange, eye; copy; reshape views; broadcast_to; transposes;
basic indexing (a view when contiguous, else a read-only copy) and integer-array gathers
(`a[idx]`, `a[rows, targets]`, take, take_along_axis) with scatter-add for their
gradients (`xp.add.at`); a number assigned through integer arrays (`a[idx] = 0`);
concatenate/stack. Index arrays and class targets are range-
checked without a device -> host copy when their values' range is known (uploaded from
the host, or produced by arange/argmax/gathers of such arrays); otherwise one min/max
reduction is copied back. It does NOT delegate to CuPy, even when CuPy is installed, so
results never depend on what else is installed; any other NumPy name raises
NotImplementedError (an AttributeError too, so hasattr() is False) saying so (use the
`cupy` backend for full NumPy coverage on the GPU, or move to the host with `to_numpy`).
Host copies are counted: `transfer_stats()` / `reset_transfer_stats()`.
"""

from __future__ import annotations

import math

import numpy as np

from . import _conv_checks as _cc
from ._registry import BackendUnavailable

try:
    from .. import _cuda
except ImportError:
    raise BackendUnavailable("not built (no CUDA toolkit at build time)") from None

from ..cuda import extension_problem

_count, _problem = extension_problem(_cuda)
if _problem:
    raise BackendUnavailable(_problem)

NAME = "cuda"
DEVICE = "cuda"
ndarray = _cuda.DeviceArray
VARIANTS = {"matmul": tuple(_cuda.matmul_variants), "softmax": tuple(_cuda.softmax_variants)}
# matmul: "vectorized" when its 128x128 tiles give the GPU enough blocks, else "tiled"
# (32x32 tiles: 16x more blocks, so small products such as an MLP's still fill the SMs);
# softmax: warp-per-row up to 1024 columns, block-per-row beyond.
DEFAULT_VARIANT = {"matmul": None, "softmax": None}
MIN_BLOCKS_FOR_VECTORIZED = 64


def default_matmul_variant(m: int, n: int) -> str:
    """The matmul variant used when none is named, for an (m, n) result."""
    blocks = -(-m // 128) * -(-n // 128)
    return "vectorized" if blocks >= MIN_BLOCKS_FOR_VECTORIZED else "tiled"


def _result_dims(a, b, trans_a, trans_b):
    try:
        m = a.shape[1] if trans_a else a.shape[0]
        n = b.shape[0] if trans_b else b.shape[1]
        return int(m), int(n)
    except (AttributeError, IndexError, TypeError):
        return 0, 0  # not 2-D arrays: the binding raises the proper error


def asarray(a, dtype=None):
    """Host array (or CAI device array, or DeviceArray) -> DeviceArray.

    NumPy input is copied to the device (integer input becomes int64); an object with
    __cuda_array_interface__ is viewed without a copy.
    """
    return _cuda.asarray(a, dtype)


def to_numpy(a):
    """DeviceArray -> new NumPy array (a host copy; synchronises)."""
    if isinstance(a, _cuda.DeviceArray):
        return a.numpy()
    return np.asarray(a)


synchronize = _cuda.synchronize
memory_stats = _cuda.memory_stats
empty_cache = _cuda.empty_cache
# {"d2h_copies", "d2h_bytes", "h2d_copies", "h2d_bytes"} since the last reset: every
# host <-> device copy the extension makes (item(), numpy(), uploads, range checks).
transfer_stats = _cuda.transfer_stats
reset_transfer_stats = _cuda.reset_transfer_stats


# ----------------------------------------------------------------------------- kernel table
def matmul(a, b, trans_a: bool = False, trans_b: bool = False, variant: str | None = None):
    """C = op(a) @ op(b) with the CUDA matmul ladder (naive, tiled, regblock, vectorized).

    variant=None picks by size (default_matmul_variant): vectorized for large products.
    """
    if variant is None:
        variant = default_matmul_variant(*_result_dims(a, b, trans_a, trans_b))
    return _cuda.matmul(a, b, bool(trans_a), bool(trans_b), variant)


relu_forward = _cuda.relu_forward
relu_backward = _cuda.relu_backward


def softmax_forward(x, variant: str | None = None):
    """Row softmax: 'warp' (a warp per row), 'block' (a block per row), None: by row length."""
    return _cuda.softmax_forward(x, variant)


softmax_backward = _cuda.softmax_backward
log_softmax_forward = _cuda.log_softmax_forward
log_softmax_backward = _cuda.log_softmax_backward
cross_entropy_forward = _cuda.cross_entropy_forward
cross_entropy_backward = _cuda.cross_entropy_backward
bias_add = _cuda.bias_add
bias_grad = _cuda.bias_grad
argmax = _cuda.argmax


def sgd_step(
    param,
    grad,
    momentum_buffer,
    lr,
    momentum=0.0,
    dampening=0.0,
    weight_decay=0.0,
    nesterov=False,
    first_step=False,
):
    _cuda.sgd_step(
        param,
        grad,
        momentum_buffer,
        float(lr),
        float(momentum),
        float(dampening),
        float(weight_decay),
        bool(nesterov),
        bool(first_step),
    )


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    _cuda.adam_step(
        param,
        grad,
        exp_avg,
        exp_avg_sq,
        int(step),
        float(lr),
        float(beta1),
        float(beta2),
        float(eps),
        float(weight_decay),
    )


# ----------------------------------------------------------------------------- array namespace
_ADD, _SUB, _MUL, _DIV, _MAX, _MIN, _POW = range(7)
(
    _NEG,
    _EXP,
    _LOG,
    _SQRT,
    _ABS,
    _SQUARE,
    _SIGN,
    _TANH,
    _SIN,
    _COS,
    _LOG1P,
    _EXPM1,
    _ROUND,
    _FLOOR,
    _CEIL,
    _TRUNC,
    _ERF,
    _ERFC,
) = range(18)
_EQ, _NE, _LT, _LE, _GT, _GE, _AND, _OR, _XOR = range(9)
_ISNAN, _ISFINITE, _ISINF = range(3)


class NotProvided(AttributeError, NotImplementedError):
    """An array-namespace name the cuda backend does not provide.

    Both an AttributeError (so `hasattr(xp, name)` is False and feature checks work) and a
    NotImplementedError (so calling code learns that this is a gap, not a typo).
    """


def _binary(op):
    def f(a, b, out=None):
        return _cuda.binary(op, a, b, out)

    return f


def _unary(op):
    def f(x):
        return _cuda.unary(op, x)

    return f


def _compare(op):
    def f(a, b):
        return _cuda.compare(op, a, b)

    return f


def _scatter_add(target, index, values):
    """target[index] += values, repeated indices adding up (numpy.add.at), on the device."""
    _cuda.scatter_add(target, index, values)


def _with_at(f, at):
    f.at = at
    return f


def _arange_count(start, stop, step):
    if step == 0:
        raise ValueError("arange: step must not be zero")
    return max(0, math.ceil((stop - start) / step))


class DeviceNamespace:
    """A NumPy-shaped namespace over DeviceArray, backed only by pyneuro's CUDA kernels.

    Covers what a device Tensor needs for one training step; every other attribute
    raises NotImplementedError (never a silent host round trip).
    """

    ndarray = _cuda.DeviceArray
    float32 = np.float32
    float64 = np.float64
    int64 = np.int64

    bool_ = np.bool_
    add = staticmethod(_with_at(_binary(_ADD), _scatter_add))
    subtract = staticmethod(_binary(_SUB))
    multiply = staticmethod(_binary(_MUL))
    divide = true_divide = staticmethod(_binary(_DIV))
    maximum = staticmethod(_binary(_MAX))
    minimum = staticmethod(_binary(_MIN))
    negative = staticmethod(_unary(_NEG))
    exp = staticmethod(_unary(_EXP))
    log = staticmethod(_unary(_LOG))
    sqrt = staticmethod(_unary(_SQRT))
    abs = absolute = staticmethod(_unary(_ABS))
    square = staticmethod(_unary(_SQUARE))
    sign = staticmethod(_unary(_SIGN))
    tanh = staticmethod(_unary(_TANH))
    sin = staticmethod(_unary(_SIN))
    cos = staticmethod(_unary(_COS))
    log1p = staticmethod(_unary(_LOG1P))
    expm1 = staticmethod(_unary(_EXPM1))
    floor = staticmethod(_unary(_FLOOR))
    ceil = staticmethod(_unary(_CEIL))
    trunc = staticmethod(_unary(_TRUNC))
    erf = staticmethod(_unary(_ERF))  # (NumPy has none: autograd/math.py's erf and erfc use these here)
    erfc = staticmethod(_unary(_ERFC))

    @staticmethod
    def round(a, decimals=0):
        if decimals:
            raise NotProvided("cuda backend: round with decimals != 0 is not implemented")
        return _cuda.unary(_ROUND, a)

    around = round

    @staticmethod
    def flip(a, axis=None):
        axes = range(a.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
        axes = {ax % a.ndim for ax in axes}
        return a[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(a.ndim))]

    @staticmethod
    def tri(n, m=None, k=0, dtype=np.float32):
        """Ones at and below the k-th diagonal: arange(n)[:, None] + k >= arange(m)[None, :]."""
        m = n if m is None else m
        rows = _cuda.arange(int(n), 0.0, 1.0, np.int64).reshape((n, 1))
        cols = _cuda.arange(int(m), 0.0, 1.0, np.int64).reshape((1, m))
        return _cuda.compare(_GE, rows + int(k), cols).astype(dtype)

    @staticmethod
    def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
        xp = DeviceNamespace
        close = xp.abs(a - b) <= xp.abs(b) * rtol + atol
        if not isinstance(a, (int, float)) and not isinstance(b, (int, float)):
            close = close | (a == b)  # equal infinities
        if equal_nan:
            close = close | (xp.isnan(a) & xp.isnan(b))
        return close

    power = staticmethod(_binary(_POW))
    equal = staticmethod(_compare(_EQ))
    not_equal = staticmethod(_compare(_NE))
    less = staticmethod(_compare(_LT))
    less_equal = staticmethod(_compare(_LE))
    greater = staticmethod(_compare(_GT))
    greater_equal = staticmethod(_compare(_GE))
    logical_and = staticmethod(_compare(_AND))
    logical_or = staticmethod(_compare(_OR))
    logical_xor = staticmethod(_compare(_XOR))

    @staticmethod
    def logical_not(a):
        return _cuda.compare(_EQ, a.astype(np.bool_, copy=False), False)

    @staticmethod
    def where(condition, x=None, y=None):
        if x is None and y is None:
            raise NotProvided(
                "cuda backend: where(condition) (nonzero) is not implemented: its result size "
                "needs a device -> host copy; move the array to the host"
            )
        return _cuda.where(condition, x, y)

    @staticmethod
    def isnan(a):
        return _cuda.float_predicate(a, _ISNAN)

    @staticmethod
    def isfinite(a):
        return _cuda.float_predicate(a, _ISFINITE)

    @staticmethod
    def isinf(a):
        return _cuda.float_predicate(a, _ISINF)

    @staticmethod
    def allclose(a, b, rtol=1e-05, atol=1e-08):
        """NumPy's allclose, computed on the device; the one bool comes back to the host."""
        return bool(DeviceNamespace.isclose(a, b, rtol=rtol, atol=atol).all())

    @staticmethod
    def clip(a, a_min=None, a_max=None, out=None):
        r = a
        if a_min is not None:
            r = _cuda.binary(_MAX, r, a_min, out)
        if a_max is not None:
            r = _cuda.binary(_MIN, r, a_max, out)
        if r is a and out is None:
            r = a.copy()
        return r

    @staticmethod
    def arange(start, stop=None, step=1, dtype=None):
        if stop is None:
            start, stop = 0, start
        values = (start, stop, step)
        if dtype is None:
            ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
            dtype = np.int64 if ints else np.float32
        return _cuda.arange(_arange_count(start, stop, step), float(start), float(step), dtype)

    @staticmethod
    def eye(n, m=None, k=0, dtype=np.float32):
        if k != 0:
            raise NotProvided("cuda backend: eye with k != 0 is not implemented")
        return _cuda.eye(int(n), int(n if m is None else m), dtype)

    @staticmethod
    def indices(dimensions, dtype=np.int64, sparse=False):
        """np.indices; the sparse form is what Tensor.gather uses (aranges shaped to broadcast)."""
        nd = len(dimensions)
        grids = []
        for i, n in enumerate(dimensions):
            shape = tuple(n if j == i else 1 for j in range(nd))
            g = _cuda.arange(int(n), 0.0, 1.0, dtype).reshape(shape)
            grids.append(g if sparse else _cuda.broadcast_to(g, tuple(dimensions)).copy())
        return tuple(grids) if sparse else DeviceNamespace.stack(grids)

    @staticmethod
    def cumsum(a, axis=None, dtype=None):
        """np.cumsum of float32 (summed in double on the device, each output rounded to float32);
        dtype= casts the result, or (a non-float dtype) the input first."""
        if dtype is None or a.dtype == np.float32 and np.dtype(dtype).kind == "f":
            out = _cuda.cumsum(a, axis)
            return out if dtype is None else out.astype(dtype, copy=False)
        return _cuda.cumsum(a.astype(dtype, copy=False), axis)

    @staticmethod
    def stack(arrays, axis=0):
        return _cuda.stack(list(arrays), axis)

    @staticmethod
    def concatenate(arrays, axis=0):
        return _cuda.concatenate(list(arrays), axis)

    @staticmethod
    def take(a, indices, axis=None):
        if axis is None:
            return a.reshape(-1)[indices]
        axis = axis + a.ndim if axis < 0 else axis
        if axis != 0:
            raise NotProvided("cuda backend: take along an axis other than 0 is not implemented")
        return a[indices]

    @staticmethod
    def take_along_axis(a, indices, axis):
        return _cuda.take_along_axis(a, indices, axis)

    @staticmethod
    def swapaxes(a, axis1, axis2):
        return a.swapaxes(axis1, axis2)

    @staticmethod
    def max(a, axis=None, keepdims=False):
        return a.max(axis=axis, keepdims=keepdims)

    amax = max

    @staticmethod
    def min(a, axis=None, keepdims=False):
        return a.min(axis=axis, keepdims=keepdims)

    amin = min

    @staticmethod
    def all(a, axis=None, keepdims=False):
        return a.all(axis=axis, keepdims=keepdims)

    @staticmethod
    def any(a, axis=None, keepdims=False):
        return a.any(axis=axis, keepdims=keepdims)

    @staticmethod
    def argmin(a, axis=None):
        return a.argmin(axis=axis)

    @staticmethod
    def asarray(a, dtype=None):
        return _cuda.asarray(a, dtype)

    @staticmethod
    def array(a, dtype=None, copy=True, order="C"):
        out = _cuda.asarray(a, dtype)
        if copy and isinstance(a, _cuda.DeviceArray) and out.data_ptr == a.data_ptr:
            out = out.copy()
        return out

    @staticmethod
    def ascontiguousarray(a, dtype=None):
        return _cuda.asarray(a, dtype)  # DeviceArrays are always C-contiguous

    @staticmethod
    def empty(shape, dtype=np.float32):
        return _cuda.empty(shape, dtype)

    @staticmethod
    def zeros(shape, dtype=np.float32):
        return _cuda.zeros(shape, dtype)

    @staticmethod
    def ones(shape, dtype=np.float32):
        return _cuda.ones(shape, dtype)

    @staticmethod
    def full(shape, fill_value, dtype=np.float32):
        return _cuda.full(shape, float(fill_value), dtype)

    @staticmethod
    def empty_like(a, dtype=None):
        return _cuda.empty(a.shape, dtype or a.dtype)

    @staticmethod
    def zeros_like(a, dtype=None):
        return _cuda.zeros(a.shape, dtype or a.dtype)

    @staticmethod
    def ones_like(a, dtype=None):
        return _cuda.ones(a.shape, dtype or a.dtype)

    @staticmethod
    def full_like(a, fill_value, dtype=None):
        return _cuda.full(a.shape, float(fill_value), dtype or a.dtype)

    @staticmethod
    def sum(a, axis=None, keepdims=False):
        return _cuda.sum(a, axis, keepdims)

    @staticmethod
    def mean(a, axis=None, keepdims=False):
        return _cuda.mean(a, axis, keepdims)

    @staticmethod
    def broadcast_to(a, shape):
        return _cuda.broadcast_to(a, shape)

    @staticmethod
    def expand_dims(a, axis):
        shape = list(a.shape)
        axis = axis + len(shape) + 1 if axis < 0 else axis
        shape.insert(axis, 1)
        return a.reshape(tuple(shape))

    @staticmethod
    def reshape(a, shape):
        return a.reshape(shape)

    @staticmethod
    def copy(a):
        return a.copy()

    @staticmethod
    def transpose(a, axes=None):
        return a.transpose(axes)  # a copy: DeviceArrays have no strided views

    @staticmethod
    def matmul(a, b):
        return matmul(a, b)

    @staticmethod
    def argmax(a, axis=None):
        if a.ndim == 2 and axis in (1, -1) and a.shape[1]:
            return argmax(a)
        return a.argmax(axis=axis)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotProvided(
            f"cuda backend: xp.{name} is not implemented by pyneuro's CUDA kernels "
            "(use the cupy backend for full NumPy coverage on the GPU, or move the array to the host)"
        )

    def __repr__(self):
        return "<pyneuro cuda array namespace (pyneuro._cuda kernels)>"


xp = DeviceNamespace()


# ----------------------------------------------------------------------------- conv2d and pooling
# Kernels in csrc/cuda/kernels/conv.cuh and pool.cuh (bindings: csrc/bindings/cuda_conv.cpp,
# which re-checks everything a kernel relies on). torch's errors and messages come first,
# from _conv_checks.py, the checks every backend shares.

VARIANTS["conv2d"] = tuple(_cuda.conv2d_variants)
DEFAULT_VARIANT["conv2d"] = "tiled"


def _conv_variant(variant):
    return DEFAULT_VARIANT["conv2d"] if variant is None else _cc.variant(variant, VARIANTS["conv2d"])


def conv2d_forward(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None):
    stride, padding, dilation, groups, _ = _cc.conv2d(x, w, bias, stride, padding, dilation, groups)
    return _cuda.conv2d_forward(x, w, bias, stride, padding, dilation, groups, _conv_variant(variant))


def conv2d_backward_input(
    grad_y, w, input_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    stride, padding, dilation, groups, x_shape = _cc.conv2d_backward_input(
        grad_y, w, input_shape, stride, padding, dilation, groups
    )
    return _cuda.conv2d_backward_input(
        grad_y, w, x_shape, stride, padding, dilation, groups, _conv_variant(variant)
    )


def conv2d_backward_weight(
    grad_y, x, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    stride, padding, dilation, groups, w_shape = _cc.conv2d_backward_weight(
        grad_y, x, weight_shape, stride, padding, dilation, groups
    )
    return _cuda.conv2d_backward_weight(
        grad_y, x, w_shape, stride, padding, dilation, groups, _conv_variant(variant)
    )


def conv2d_backward_bias(grad_y):
    _cc.conv2d_backward_bias(grad_y)
    return _cuda.conv2d_backward_bias(grad_y)


def max_pool2d_forward(x, kernel, stride=None, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    k, s, p, d, _ = _cc.pool2d(x, kernel, stride, padding, dilation, bool(ceil_mode), "max_pool2d")
    return _cuda.max_pool2d_forward(x, k, s, p, d, bool(ceil_mode))


def max_pool2d_backward(grad_y, indices, input_shape):
    # The values of the indices are range-checked by the binding, with _conv_checks.indices_in_plane's
    # message (no copy back when they came from max_pool2d_forward, which records their range).
    return _cuda.max_pool2d_backward(grad_y, indices, _cc.max_pool2d_backward(grad_y, indices, input_shape))


def avg_pool2d_forward(
    x, kernel, stride=None, padding=(0, 0), ceil_mode=False, count_include_pad=True, divisor_override=None
):
    k, s, p, _, _ = _cc.pool2d(x, kernel, stride, padding, 1, bool(ceil_mode), "avg_pool2d")
    return _cuda.avg_pool2d_forward(
        x, k, s, p, bool(ceil_mode), bool(count_include_pad), _cc.divisor(divisor_override)
    )


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
    k, s, p, _, shape, div = _cc.avg_pool2d_backward(
        grad_y, input_shape, kernel, stride, padding, bool(ceil_mode), divisor_override
    )
    return _cuda.avg_pool2d_backward(grad_y, shape, k, s, p, bool(ceil_mode), bool(count_include_pad), div)


def adaptive_avg_pool2d_forward(x, output_size):
    return _cuda.adaptive_avg_pool2d_forward(x, _cc.adaptive(x, output_size))


def adaptive_avg_pool2d_backward(grad_y, input_shape):
    return _cuda.adaptive_avg_pool2d_backward(grad_y, _cc.adaptive_backward(grad_y, input_shape))
