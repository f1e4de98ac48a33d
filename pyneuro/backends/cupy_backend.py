"""The `cupy` backend: the same CUDA kernels as pyneuro._cuda, compiled at run time by CuPy.

The kernel sources (pyneuro/cuda_kernels/*.cuh when installed, csrc/cuda/kernels in a
development tree; see pyneuro.cuda.kernel_source_dir) are compiled once per process
with NVRTC through cupy.RawModule (CuPy also caches the binary on disk), so nothing
recompiles per call. Arrays are cupy.ndarray, `xp` is cupy itself, and inputs are
checked with the shared Python checks (_checks.py) before any launch. This is the GPU
fallback when the extension was not built (no nvcc at install time) but CuPy is there.

Launch configurations mirror csrc/cuda/launch.cu.
"""

from __future__ import annotations

import importlib.util
import re
import threading

import numpy as np

from . import _checks
from . import _conv_checks as _cc
from ._registry import BackendUnavailable

if importlib.util.find_spec("cupy") is None:
    raise BackendUnavailable("not installed (pip install cupy-cuda12x)")

import cupy

try:
    _count = int(cupy.cuda.runtime.getDeviceCount())
except Exception as exc:  # cupy.cuda.runtime.CUDARuntimeError without driver/device
    raise BackendUnavailable(f"installed, but no GPU device ({exc})") from None
if _count == 0:
    raise BackendUnavailable("installed, but no GPU device (0 devices)")

NAME = "cupy"
DEVICE = "cuda"
xp = cupy
ndarray = cupy.ndarray
VARIANTS = {"matmul": ("naive", "tiled", "regblock", "vectorized"), "softmax": ("warp", "block")}
DEFAULT_VARIANT = {"matmul": None, "softmax": None}  # None: chosen by size, as in cuda_backend
MIN_BLOCKS_FOR_VECTORIZED = 64

_MAX_BLOCKS = 8192
_BLOCK = 256
_lock = threading.Lock()
_module = None
_INCLUDE = re.compile(r'^#include "[^"]+"[ \t]*$', re.M)


def _kernels():
    """The compiled RawModule (built on first use, then reused)."""
    global _module
    if _module is None:
        with _lock:
            if _module is None:
                from ..cuda import KERNEL_FILES, kernel_source_dir

                # The files' full text, concatenated (their #include lines dropped), so that
                # CuPy's compile cache, keyed on the source string, sees every edit.
                folder = kernel_source_dir()
                code = "\n".join(_INCLUDE.sub("", (folder / name).read_text()) for name in KERNEL_FILES)
                _module = cupy.RawModule(code=code, options=("--std=c++17",))
    return _module


def _launch(name, grid, block, args):
    _kernels().get_function(name)(grid, block, args)


def _i(n):
    return np.int64(n)


def _f(x):
    return np.float32(x)


def asarray(a, dtype=None):
    """Host array -> cupy array (integer class labels become int64)."""
    if dtype is None and isinstance(a, np.ndarray) and a.dtype.kind in "iu":
        dtype = np.int64
    return cupy.asarray(a, dtype=dtype)


def to_numpy(a):
    return cupy.asnumpy(a)


def _f32(x, name, ndim=None):
    """Checked, C-contiguous float32 cupy array (float64 is refused, not converted)."""
    _checks.require_array(x, name, ndim)
    if not isinstance(x, cupy.ndarray):
        raise TypeError(
            f"{name} must be a cupy.ndarray on the GPU, got {type(x).__name__} "
            "(move it to the device first: backend.asarray(x))"
        )
    _checks.require_float32(x, name)
    return cupy.ascontiguousarray(x)


def _grid_1d(n):
    return (min((n + _BLOCK - 1) // _BLOCK, _MAX_BLOCKS),)


def _row_dims(cols, rows, block_per_row=None):
    if block_per_row is None:
        block_per_row = cols > 1024
    block = (256, 1, 1) if block_per_row else (32, 8, 1)
    return ((rows + block[1] - 1) // block[1],), block


# ----------------------------------------------------------------------------- matmul
_MATMUL_TILES = {
    "naive": (16, (16, 16, 1)),
    "tiled": (32, (32, 32, 1)),
    "regblock": (128, (256, 1, 1)),
    "vectorized": (128, (256, 1, 1)),
}


def _operand(x, trans, name):
    """(C-contiguous array, trans): a Fortran-ordered 2-D array is the transpose of a C one."""
    if isinstance(x, cupy.ndarray) and x.ndim == 2 and not x.flags.c_contiguous and x.flags.f_contiguous:
        return _f32(x.T, name), not trans
    return _f32(x, name, 2), trans


def matmul(a, b, trans_a: bool = False, trans_b: bool = False, variant: str | None = None):
    m, n, k = _checks.matmul_dims(a, b, trans_a, trans_b)
    if variant is None:  # vectorized when its 128x128 tiles fill the GPU, else 32x32 tiles
        variant = "vectorized" if -(-m // 128) * -(-n // 128) >= MIN_BLOCKS_FOR_VECTORIZED else "tiled"
    variant = _checks.variant(variant, VARIANTS["matmul"], "matmul")
    a, trans_a = _operand(a, trans_a, "a")
    b, trans_b = _operand(b, trans_b, "b")
    c = cupy.empty((m, n), np.float32)
    if m and n:
        tile, block = _MATMUL_TILES[variant]
        grid = ((n + tile - 1) // tile, (m + tile - 1) // tile)
        if grid[1] > 65535:
            raise ValueError(f"matmul variant {variant!r} cannot cover M={m} in one launch")
        _launch(
            f"pn_matmul_{variant}",
            grid,
            block,
            (
                _i(m),
                _i(n),
                _i(k),
                a,
                _i(a.shape[1]),
                b,
                _i(b.shape[1]),
                c,
                _i(n),
                np.int32(trans_a),
                np.int32(trans_b),
            ),
        )
    return c


# ----------------------------------------------------------------------------- relu, bias
def relu_forward(x):
    x = _f32(x, "x")
    y = cupy.empty_like(x)
    if x.size:
        _launch("pn_relu_forward", _grid_1d(x.size), (_BLOCK,), (_i(x.size), x, y))
    return y


def relu_backward(grad_output, x):
    g, x = _f32(grad_output, "grad_output"), _f32(x, "x")
    _checks.same_shape(g, "grad_output", x, "x")
    dx = cupy.empty_like(x)
    if x.size:
        _launch("pn_relu_backward", _grid_1d(x.size), (_BLOCK,), (_i(x.size), g, x, dx))
    return dx


def bias_add(x, bias):
    _checks.bias_for(x, bias)
    x, bias = _f32(x, "x", 2), _f32(bias, "bias", 1)
    y = cupy.empty_like(x)
    if x.size:
        _launch("pn_bias_add", _grid_1d(x.size), (_BLOCK,), (_i(x.shape[0]), _i(x.shape[1]), x, bias, y))
    return y


def bias_grad(grad_output):
    g = _f32(grad_output, "grad_output", 2)
    out = cupy.empty((g.shape[1],), np.float32)
    if g.shape[1]:
        _launch(
            "pn_column_sum", ((g.shape[1] + 31) // 32,), (32, 8, 1), (_i(g.shape[0]), _i(g.shape[1]), g, out)
        )
    return out


# ----------------------------------------------------------------------------- softmax family
def softmax_forward(x, variant: str | None = None):
    x = _f32(x, "x", 2)
    if variant is not None:
        _checks.variant(variant, VARIANTS["softmax"], "softmax")
    y = cupy.empty_like(x)
    rows, cols = x.shape
    if x.size:
        block_per_row = None if variant is None else variant == "block"
        grid, block = _row_dims(cols, rows, block_per_row)
        name = "pn_softmax_block" if block[0] > 32 else "pn_softmax_warp"
        _launch(name, grid, block, (_i(rows), _i(cols), x, y))
    return y


def log_softmax_forward(x):
    x = _f32(x, "x", 2)
    y = cupy.empty_like(x)
    if x.size:
        grid, block = _row_dims(x.shape[1], x.shape[0])
        _launch("pn_log_softmax_rows", grid, block, (_i(x.shape[0]), _i(x.shape[1]), x, y))
    return y


def _softmax_family_backward(grad_output, output, log_output):
    g, y = _f32(grad_output, "grad_output", 2), _f32(output, "output", 2)
    _checks.same_shape(g, "grad_output", y, "output")
    dx = cupy.empty_like(y)
    if y.size:
        grid, block = _row_dims(y.shape[1], y.shape[0])
        _launch(
            "pn_softmax_backward_rows",
            grid,
            block,
            (_i(y.shape[0]), _i(y.shape[1]), g, y, dx, np.int32(log_output)),
        )
    return dx


def softmax_backward(grad_output, output):
    return _softmax_family_backward(grad_output, output, 0)


def log_softmax_backward(grad_output, output):
    return _softmax_family_backward(grad_output, output, 1)


# ----------------------------------------------------------------------------- cross-entropy
def _targets(logits, targets):
    if not isinstance(targets, cupy.ndarray) and hasattr(targets, "dtype"):
        raise TypeError(f"targets must be a cupy.ndarray on the GPU, got {type(targets).__name__}")
    return cupy.ascontiguousarray(_checks.targets_for(logits, targets, xp=cupy))


def cross_entropy_forward(logits, targets):
    x = _f32(logits, "logits", 2)
    t = _targets(x, targets)
    losses = cupy.empty((x.shape[0],), np.float32)
    if x.shape[0]:
        grid, block = _row_dims(x.shape[1], x.shape[0])
        _launch("pn_cross_entropy_forward", grid, block, (_i(x.shape[0]), _i(x.shape[1]), x, t, losses))
    return losses


def cross_entropy_backward(logits, targets, grad_losses):
    x = _f32(logits, "logits", 2)
    t = _targets(x, targets)
    _checks.grad_losses_for(x, grad_losses)
    gl = _f32(grad_losses, "grad_losses", 1)
    dx = cupy.empty_like(x)
    if x.size:
        grid, block = _row_dims(x.shape[1], x.shape[0])
        _launch("pn_cross_entropy_backward", grid, block, (_i(x.shape[0]), _i(x.shape[1]), x, t, gl, dx))
    return dx


# ----------------------------------------------------------------------------- optimizers, argmax
def _inplace(x, name):
    """In-place operands must already be C-contiguous float32 cupy arrays (no hidden copy)."""
    x = _checks.require_array(x, name)
    if not isinstance(x, cupy.ndarray) or x.dtype != np.float32 or not x.flags.c_contiguous:
        raise TypeError(f"{name} is updated in place and must be a C-contiguous float32 cupy.ndarray")
    return x


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
    p = _inplace(param, "param")
    g = _f32(grad, "grad")
    _checks.same_shape(p, "param", g, "grad")
    buf = None  # a null pointer (as launch.cu passes): the kernel reads it only when use_momentum
    if momentum:
        _checks.momentum_buffer_for(momentum, momentum_buffer)
        buf = _inplace(momentum_buffer, "momentum_buffer")
        _checks.same_shape(p, "param", buf, "momentum_buffer")
    if p.size:
        _launch(
            "pn_sgd_step",
            _grid_1d(p.size),
            (_BLOCK,),
            (
                _i(p.size),
                p,
                g,
                buf,
                _f(lr),
                _f(momentum),
                _f(dampening),
                _f(weight_decay),
                np.int32(bool(nesterov)),
                np.int32(bool(first_step)),
                np.int32(bool(momentum)),
            ),
        )


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    _checks.adam_args(step)
    p = _inplace(param, "param")
    g = _f32(grad, "grad")
    m, v = _inplace(exp_avg, "exp_avg"), _inplace(exp_avg_sq, "exp_avg_sq")
    for arr, name in ((g, "grad"), (m, "exp_avg"), (v, "exp_avg_sq")):
        _checks.same_shape(p, "param", arr, name)
    bc1, bc2 = 1.0 - beta1**step, 1.0 - beta2**step
    if p.size:
        _launch(
            "pn_adam_step",
            _grid_1d(p.size),
            (_BLOCK,),
            (
                _i(p.size),
                p,
                g,
                m,
                v,
                _f(lr / bc1),
                _f(beta1),
                _f(beta2),
                _f(eps),
                _f(weight_decay),
                _f(1.0 / bc2**0.5),
                _f(1.0 - beta1),
                _f(1.0 - beta2),
            ),
        )


def argmax(x):
    x = _f32(x, "x", 2)
    _checks.nonempty_rows(x)
    out = cupy.empty((x.shape[0],), np.int64)
    if x.shape[0]:
        grid, block = _row_dims(x.shape[1], x.shape[0], block_per_row=False)
        _launch("pn_argmax_rows", grid, block, (_i(x.shape[0]), _i(x.shape[1]), x, out))
    return out


# ----------------------------------------------------------------------------- conv2d and pooling
# Kernels in csrc/cuda/kernels/conv.cuh and pool.cuh; the checks (torch's errors and messages)
# in _conv_checks.py, shared by every backend. _f32 then makes each array a contiguous cupy array.

VARIANTS["conv2d"] = ("naive", "tiled")
DEFAULT_VARIANT["conv2d"] = "tiled"


def _conv_geometry(x_shape, w_shape, ho, wo, stride, padding, dilation, groups):
    n, c, h, w = x_shape
    o, _, kh, kw = w_shape
    return tuple(_i(v) for v in (n, c, h, w, o, kh, kw, ho, wo, *stride, *padding, *dilation, groups))


def _conv_launch(name, variant, geometry, m, ncols, total, args):
    if variant == "naive":
        _launch(f"pn_conv2d_{name}_naive", _grid_1d(total), (_BLOCK,), geometry + args)
    else:
        groups = int(geometry[-1])
        _launch(
            f"pn_conv2d_{name}_tiled",
            ((ncols + 15) // 16, (m + 15) // 16, groups),
            (16, 16, 1),
            geometry + args,
        )


def conv2d_forward(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None):
    stride, padding, dilation, groups, (ho, wo) = _cc.conv2d(x, w, bias, stride, padding, dilation, groups)
    variant = _cc.variant(variant or DEFAULT_VARIANT["conv2d"], VARIANTS["conv2d"])
    x, w = _f32(x, "input", 4), _f32(w, "weight", 4)
    b = cupy.zeros((1,), np.float32) if bias is None else _f32(bias, "bias", 1)
    y = cupy.empty((x.shape[0], w.shape[0], ho, wo), np.float32)
    if y.size:
        geo = _conv_geometry(x.shape, w.shape, ho, wo, stride, padding, dilation, groups)
        _conv_launch(
            "forward",
            variant,
            geo,
            w.shape[0] // groups,
            x.shape[0] * ho * wo,
            y.size,
            (x, w, b, np.int32(bias is not None), y),
        )
    return y


def conv2d_backward_input(
    grad_y, w, input_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    stride, padding, dilation, groups, x_shape = _cc.conv2d_backward_input(
        grad_y, w, input_shape, stride, padding, dilation, groups
    )
    variant = _cc.variant(variant or DEFAULT_VARIANT["conv2d"], VARIANTS["conv2d"])
    gy, w = _f32(grad_y, "grad_output", 4), _f32(w, "weight", 4)
    gx = cupy.empty(x_shape, np.float32)
    if gx.size:
        geo = _conv_geometry(x_shape, w.shape, gy.shape[2], gy.shape[3], stride, padding, dilation, groups)
        _conv_launch(
            "backward_input",
            variant,
            geo,
            x_shape[1] // groups,
            x_shape[0] * x_shape[2] * x_shape[3],
            gx.size,
            (gy, w, gx),
        )
    return gx


def conv2d_backward_weight(
    grad_y, x, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    stride, padding, dilation, groups, w_shape = _cc.conv2d_backward_weight(
        grad_y, x, weight_shape, stride, padding, dilation, groups
    )
    variant = _cc.variant(variant or DEFAULT_VARIANT["conv2d"], VARIANTS["conv2d"])
    gy, x = _f32(grad_y, "grad_output", 4), _f32(x, "input", 4)
    gw = cupy.empty(w_shape, np.float32)
    if gw.size:
        geo = _conv_geometry(x.shape, w_shape, gy.shape[2], gy.shape[3], stride, padding, dilation, groups)
        _conv_launch(
            "backward_weight",
            variant,
            geo,
            w_shape[0] // groups,
            w_shape[1] * w_shape[2] * w_shape[3],
            gw.size,
            (gy, x, gw),
        )
    return gw


def conv2d_backward_bias(grad_y):
    _cc.conv2d_backward_bias(grad_y)
    gy = _f32(grad_y, "grad_output", 4)
    gb = cupy.empty((gy.shape[1],), np.float32)
    if gy.shape[1]:
        _launch(
            "pn_conv2d_backward_bias",
            (gy.shape[1],),
            (_BLOCK,),
            (_i(gy.shape[0]), _i(gy.shape[1]), _i(gy.shape[2] * gy.shape[3]), gy, gb),
        )
    return gb


def max_pool2d_forward(x, kernel, stride=None, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    k, s, p, d, (ho, wo) = _cc.pool2d(x, kernel, stride, padding, dilation, bool(ceil_mode), "max_pool2d")
    x = _f32(x, "input", 4)
    y = cupy.empty((x.shape[0], x.shape[1], ho, wo), np.float32)
    idx = cupy.empty(y.shape, np.int64)
    if y.size:
        _launch(
            "pn_max_pool2d_forward",
            _grid_1d(y.size),
            (_BLOCK,),
            (
                _i(x.shape[0] * x.shape[1]),
                _i(x.shape[2]),
                _i(x.shape[3]),
                _i(ho),
                _i(wo),
                *(_i(v) for v in (*k, *s, *p, *d)),
                x,
                y,
                idx,
            ),
        )
    return y, idx


def max_pool2d_backward(grad_y, indices, input_shape):
    shape = _cc.max_pool2d_backward(grad_y, indices, input_shape)
    _cc.indices_in_plane(indices, shape[2] * shape[3])  # one min/max reduction on the device
    gy, idx = _f32(grad_y, "grad_output", 4), cupy.ascontiguousarray(indices)
    gx = cupy.zeros(shape, np.float32)
    if gy.size:
        _launch(
            "pn_max_pool2d_backward",
            _grid_1d(gy.size),
            (_BLOCK,),
            (_i(shape[0] * shape[1]), _i(shape[2] * shape[3]), _i(gy.shape[2] * gy.shape[3]), gy, idx, gx),
        )
    return gx


def _avg_args(shape, ho, wo, k, s, p, count_include_pad, div):
    return (
        _i(shape[0] * shape[1]),
        _i(shape[2]),
        _i(shape[3]),
        _i(ho),
        _i(wo),
        *(_i(v) for v in (*k, *s, *p)),
        np.int32(bool(count_include_pad)),
        _i(div),
    )


def avg_pool2d_forward(
    x, kernel, stride=None, padding=(0, 0), ceil_mode=False, count_include_pad=True, divisor_override=None
):
    k, s, p, _, (ho, wo) = _cc.pool2d(x, kernel, stride, padding, 1, bool(ceil_mode), "avg_pool2d")
    div = _cc.divisor(divisor_override)
    x = _f32(x, "input", 4)
    y = cupy.empty((x.shape[0], x.shape[1], ho, wo), np.float32)
    if y.size:
        _launch(
            "pn_avg_pool2d_forward",
            _grid_1d(y.size),
            (_BLOCK,),
            (*_avg_args(x.shape, ho, wo, k, s, p, count_include_pad, div), x, y),
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
    k, s, p, (ho, wo), shape, div = _cc.avg_pool2d_backward(
        grad_y, input_shape, kernel, stride, padding, bool(ceil_mode), divisor_override
    )
    gy = _f32(grad_y, "grad_output", 4)
    gx = cupy.empty(shape, np.float32)
    if gx.size:
        _launch(
            "pn_avg_pool2d_backward",
            _grid_1d(gx.size),
            (_BLOCK,),
            (*_avg_args(shape, ho, wo, k, s, p, count_include_pad, div), gy, gx),
        )
    return gx


def adaptive_avg_pool2d_forward(x, output_size):
    oh, ow = _cc.adaptive(x, output_size)
    x = _f32(x, "input", 4)
    y = cupy.empty((x.shape[0], x.shape[1], oh, ow), np.float32)
    if y.size:
        _launch(
            "pn_adaptive_avg_pool2d_forward",
            _grid_1d(y.size),
            (_BLOCK,),
            (_i(x.shape[0] * x.shape[1]), _i(x.shape[2]), _i(x.shape[3]), _i(oh), _i(ow), x, y),
        )
    return y


def adaptive_avg_pool2d_backward(grad_y, input_shape):
    shape = _cc.adaptive_backward(grad_y, input_shape)
    gy = _f32(grad_y, "grad_output", 4)
    gx = cupy.zeros(shape, np.float32)
    if gx.size and gy.size:
        _launch(
            "pn_adaptive_avg_pool2d_backward",
            _grid_1d(gx.size),
            (_BLOCK,),
            (_i(shape[0] * shape[1]), _i(shape[2]), _i(shape[3]), _i(gy.shape[2]), _i(gy.shape[3]), gy, gx),
        )
    return gx
