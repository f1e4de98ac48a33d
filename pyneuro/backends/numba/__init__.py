"""The `numba` backend: the kernel table compiled by Numba, for when pyneuro._cpu is missing.

Same algorithms as the C++ kernels (cache-blocked matmul with packing and register
blocking, online softmax, cross-entropy fused with softmax, fused optimizer updates),
written in Python and compiled by Numba to vectorised, multi-threaded machine code.
The kernels live in matmul_kernels.py (whose register tile uses simd.py's explicit
vectors), softmax_kernels.py, elementwise_kernels.py and conv_kernels.py; this package
module (the table, with conv.py for the conv2d and pooling entries, linear.py for matmul
and the bias, _common.py for the serial/parallel choice and the float32 inputs) is the
thin layer in front of them:

1. every input is validated with pyneuro.backends._checks *before* any compiled code
   runs, so bad input raises ValueError / TypeError / IndexError, never crashes;
2. float32 is required (float64 is refused with TypeError, like the C++ backend);
   non-contiguous inputs are copied to C order (a Fortran-ordered matmul operand is
   passed as its transpose instead, without a copy); integer targets become int64.
   So each kernel sees one array layout and compiles once (compile time matters);
3. outputs are allocated here, and the kernel fills them;
4. each parallel kernel exists twice (see jit.ParallelKernel): small calls
   (< ~20 µs of work) run the single-threaded twin, which skips waking the thread pool.

Importing this module imports numba (~0.5 s) but compiles nothing: each kernel is
compiled (or loaded from numba's on-disk cache) on its first call. `import pyneuro`
never imports this module; the registry does, on first use of the backend.

Threads: numba's own pool (NUMBA_NUM_THREADS, or set_num_threads below). Results do not
depend on the thread count: work is split over rows / output tiles, never inside a sum,
and the single- and multi-threaded twins round identically (tested bit for bit).

Compile time: cold, the whole table (both twins of every kernel) takes ~25 s of CPU on
the 2-core dev machine; numba caches the machine code on disk (next to this module, or
in the user's cache folder when site-packages is read-only, or nowhere if neither is
writable), so later processes load it in ~1 s. `python -m pyneuro.bench.numba_timing`
measures this and the speed against the C++ kernels and NumPy.
"""

from __future__ import annotations

from .._registry import BackendUnavailable

try:
    import numba
except ModuleNotFoundError as exc:
    if exc.name == "numba":
        raise BackendUnavailable("not installed (pip install numba)") from None
    raise BackendUnavailable(f"numba is installed but not importable ({exc})") from None
except ImportError as exc:  # e.g. a numba built for another NumPy
    raise BackendUnavailable(f"numba is installed but not importable ({exc})") from None

import numpy as np

from .. import _checks
from . import _common, linear
from . import conv as _conv
from . import elementwise_kernels as _ew
from . import softmax_kernels as _sm
from ._common import NS_PER_ELEMENT, NS_PER_EXP
from ._common import aligned as _aligned
from ._common import f32 as _f32
from ._common import run as _run

# The conv2d and pooling entries of the table (conv.py); `x as x` marks a re-export.
from .conv import adaptive_avg_pool2d_backward as adaptive_avg_pool2d_backward
from .conv import adaptive_avg_pool2d_forward as adaptive_avg_pool2d_forward
from .conv import avg_pool2d_backward as avg_pool2d_backward
from .conv import avg_pool2d_forward as avg_pool2d_forward
from .conv import conv2d_backward_bias as conv2d_backward_bias
from .conv import conv2d_backward_input as conv2d_backward_input
from .conv import conv2d_backward_weight as conv2d_backward_weight
from .conv import conv2d_forward as conv2d_forward
from .conv import max_pool2d_backward as max_pool2d_backward
from .conv import max_pool2d_forward as max_pool2d_forward

# matmul and the Linear layer's bias (linear.py)
from .linear import bias_add as bias_add
from .linear import bias_grad as bias_grad
from .linear import matmul as matmul
from .linear import matmul_bias as matmul_bias
from .linear import matmul_bias_relu as matmul_bias_relu
from .linear import matmul_relu_mask as matmul_relu_mask

NAME = "numba"
DEVICE = "cpu"
xp = np
VARIANTS = {"matmul": linear.VARIANTS, "softmax": ("three_pass", "online"), "conv2d": _conv.VARIANTS}
DEFAULT_VARIANT = {"matmul": linear.DEFAULT_VARIANT, "softmax": "online", "conv2d": _conv.DEFAULT_VARIANT}


def asarray(a, dtype=None):
    """Host array -> this backend's array (a no-op: the numba backend uses NumPy arrays)."""
    return np.asarray(a, dtype=dtype)


def to_numpy(a):
    """This backend's array -> NumPy array."""
    return np.asarray(a)


def get_num_threads() -> int:
    """Threads the numba kernels use."""
    return numba.get_num_threads()


def set_num_threads(n: int) -> None:
    """Set the threads the numba kernels use (1 .. NUMBA_NUM_THREADS)."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= numba.config.NUMBA_NUM_THREADS:
        raise ValueError(f"set_num_threads needs an int in 1..{numba.config.NUMBA_NUM_THREADS}, got {n!r}")
    numba.set_num_threads(n)


# ----------------------------------------------------------------------------- input preparation
def _targets(logits, targets) -> np.ndarray:
    """Targets as contiguous int64 after the type and shape checks; the range check is done
    by the cross-entropy kernels themselves (they return the count of bad targets)."""
    if (
        type(targets) is np.ndarray
        and type(logits) is np.ndarray
        and targets.dtype == np.int64
        and targets.flags.c_contiguous
        and targets.ndim == 1
        and logits.ndim == 2
        and targets.shape[0] == logits.shape[0]
        and targets.flags.aligned
    ):
        return targets  # the common case: nothing to convert, nothing else to check
    return _aligned(np.ascontiguousarray(_checks.targets_for(logits, targets, check_range=False)))


def _check_bad_targets(bad: int, targets, classes: int) -> None:
    if bad:
        _checks.raise_target_range(targets, classes)


def _variant(variant, kind: str) -> str:
    return DEFAULT_VARIANT[kind] if variant is None else _checks.variant(variant, VARIANTS[kind], kind)


# ----------------------------------------------------------------------------- relu
def relu_forward(x):
    """y = max(x, 0); NaN propagates, as in torch.relu. Any shape."""
    x = _f32(x, "x")
    y = _common.empty_like(x)
    _run(_ew.relu_forward, x.size * NS_PER_ELEMENT, x.reshape(-1), y.reshape(-1))
    return y


def relu_backward(grad_output, x):
    """grad_x = 0 where x <= 0, else grad_output (x: relu's input or output)."""
    g = _f32(grad_output, "grad_output")
    x = _f32(x, "x")
    _checks.same_shape(g, "grad_output", x, "x")
    gx = _common.empty_like(x)
    _run(_ew.relu_backward, x.size * NS_PER_ELEMENT, g.reshape(-1), x.reshape(-1), gx.reshape(-1))
    return gx


# ----------------------------------------------------------------------------- softmax family
_NO_TARGETS = np.empty(0, np.int64)
_NO_FLOATS = np.empty(0, np.float32)
_NO_ROWS = np.empty((0, 0), np.float32)


def _narrow(mode: int, x, targets=_NO_TARGETS, grad_losses=_NO_FLOATS, y=_NO_ROWS, losses=_NO_FLOATS):
    """The batched path for rows shorter than one vector (see softmax_kernels.narrow_rows)."""
    return _run(_sm.narrow_rows, x.size * NS_PER_EXP, x, targets, grad_losses, y, losses, mode)


def softmax_forward(x, variant: str | None = None):
    """Row-wise softmax. Variants: three_pass, online (default; one pass for max and sum)."""
    x = _f32(x, "x", 2)
    variant = _variant(variant, "softmax")
    y = _common.empty_like(x)
    if 0 < x.shape[1] < _sm.NARROW_COLS:  # rows shorter than a vector: both variants batch them
        _narrow(_sm.SOFTMAX, x, y=y)
    else:
        kernel = _sm.softmax_online if variant == "online" else _sm.softmax_three_pass
        _run(kernel, x.size * NS_PER_EXP, x, y)
    return y


def softmax_backward(grad_output, output):
    """grad_x = y * (g - sum(g * y)), per row."""
    g, y = _f32(grad_output, "grad_output", 2), _f32(output, "output", 2)
    _checks.same_shape(g, "grad_output", y, "output")
    gx = _common.empty_like(y)
    _run(_sm.softmax_backward, y.size * NS_PER_ELEMENT, g, y, gx)
    return gx


def log_softmax_forward(x):
    """y = x - max - log(sum(exp(x - max))), per row."""
    x = _f32(x, "x", 2)
    y = _common.empty_like(x)
    if 0 < x.shape[1] < _sm.NARROW_COLS:
        _narrow(_sm.LOG_SOFTMAX, x, y=y)
    else:
        _run(_sm.log_softmax_forward, x.size * NS_PER_EXP, x, y)
    return y


def log_softmax_backward(grad_output, output):
    """grad_x = g - exp(y) * sum(g), per row."""
    g, y = _f32(grad_output, "grad_output", 2), _f32(output, "output", 2)
    _checks.same_shape(g, "grad_output", y, "output")
    gx = _common.empty_like(y)
    _run(_sm.log_softmax_backward, y.size * NS_PER_EXP, g, y, gx)
    return gx


def cross_entropy_forward(logits, targets):
    """Per-sample losses logsumexp(logits[i]) - logits[i, targets[i]], one pass per row."""
    targets = _targets(logits, targets)
    logits = _f32(logits, "logits", 2)
    losses = np.empty(logits.shape[0], np.float32)
    if 0 < logits.shape[1] < _sm.NARROW_COLS:
        bad = _narrow(_sm.CE_FORWARD, logits, targets=targets, losses=losses)
    else:
        bad = _run(_sm.cross_entropy_forward, logits.size * NS_PER_EXP, logits, targets, losses)
    _check_bad_targets(bad, targets, logits.shape[1])
    return losses


def cross_entropy_backward(logits, targets, grad_losses):
    """grad_logits = (softmax(logits) - onehot(targets)) * grad_losses[:, None], fused."""
    targets = _targets(logits, targets)
    _checks.grad_losses_for(logits, grad_losses)
    logits = _f32(logits, "logits", 2)
    grad_losses = _f32(grad_losses, "grad_losses", 1)
    grad = _common.empty_like(logits)
    if 0 < logits.shape[1] < _sm.NARROW_COLS:
        bad = _narrow(_sm.CE_BACKWARD, logits, targets=targets, grad_losses=grad_losses, y=grad)
    else:
        bad = _run(_sm.cross_entropy_backward, logits.size * NS_PER_EXP, logits, targets, grad_losses, grad)
    _check_bad_targets(bad, targets, logits.shape[1])
    return grad


def cross_entropy_reduced(logits, targets, mean=True):
    """The mean (mean=False: the sum) of the per-sample losses as a 0-d float32 array, summed
    in float64 in row order (as the cpu backend); the mean of no rows is NaN."""
    return _reduce_losses(cross_entropy_forward(logits, targets), mean)


def _reduce_losses(losses, mean):
    n = losses.shape[0]
    total = _sm.sum_in_order(losses)
    return np.array((total / n if n else np.nan) if mean else total, dtype=np.float32)


def cross_entropy_backward_scaled(logits, targets, scale):
    """cross_entropy_backward with every entry of grad_losses equal to `scale` (a number)."""
    _checks.require_array(logits, "logits", 2)
    grad_losses = np.empty(logits.shape[0], np.float32)
    grad_losses.fill(scale)
    return cross_entropy_backward(logits, targets, grad_losses)


def cross_entropy_reduced_grad(logits, targets, mean=True):
    """(cross_entropy_reduced, cross_entropy_backward_scaled with scale 1 / rows, or 1 for the sum).
    Narrow rows (an MLP's output layer) take one kernel call for both (CE_BOTH), with the checks
    done once: 128x10 on the model 167 Xeon, 10.2 -> 6.6 us back to back, 26-27 -> 20 us inside
    the training step."""
    n = _checks.require_array(logits, "logits", 2).shape[0]
    scale = 1.0 / n if mean and n else 1.0
    if not 0 < logits.shape[1] < _sm.NARROW_COLS:
        loss = cross_entropy_reduced(logits, targets, mean)
        return loss, cross_entropy_backward_scaled(logits, targets, scale)
    targets = _targets(logits, targets)
    logits = _f32(logits, "logits", 2)
    losses = np.empty(n, np.float32)
    grad_losses = np.empty(n, np.float32)
    grad_losses.fill(scale)
    grad = _common.empty_like(logits)
    bad = _narrow(_sm.CE_BOTH, logits, targets=targets, grad_losses=grad_losses, y=grad, losses=losses)
    _check_bad_targets(bad, targets, logits.shape[1])
    return _reduce_losses(losses, mean), grad


# ----------------------------------------------------------------------------- optimizers
class _InPlace:
    """A flat, C-contiguous float32 view of an array updated in place.

    A non-contiguous array is updated through a contiguous copy that is written back on
    exit, so the caller's array changes in place either way.
    """

    def __init__(self, arr, name: str):
        _checks.require_array(arr, name)
        if not isinstance(arr, np.ndarray):
            raise TypeError(
                f"{name} must be a numpy.ndarray (it is updated in place), got {type(arr).__name__}"
            )
        _checks.require_float32(arr, name)
        _checks.writeable(arr, name)
        self.arr = arr
        # a strided or misaligned array is updated through a contiguous, aligned copy
        self.work = arr if arr.flags.c_contiguous and arr.flags.aligned else np.array(arr, order="C")

    def flat(self) -> np.ndarray:
        return self.work.reshape(-1)

    def write_back(self) -> None:
        if self.work is not self.arr:
            self.arr[...] = self.work


def _flat_in_place(*arrays):
    """Flat views of arrays that are all what the kernels update in place without help:
    writeable plain float32 ndarrays (_common.is_plain) of one shape, what the optimizers
    always pass. None otherwise: the caller then takes the checked path (_InPlace).

    The checked path costs ~7 us per parameter in Python, ten times the kernel's own time
    on a bias vector; this one ~2 us."""
    shape = getattr(arrays[0], "shape", None)
    for x in arrays:
        if not _common.is_plain(x, writeable=True) or x.shape != shape:
            return None
    return [x.ravel() for x in arrays]  # views: the arrays are C-contiguous


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
    """torch.optim.SGD's update, in place on param (and momentum_buffer when momentum != 0)."""
    flat = _flat_in_place(param, grad, momentum_buffer) if momentum else None
    if flat is not None:
        scalars = (float(lr), float(momentum), float(dampening), float(weight_decay), bool(nesterov))
        _run(_ew.sgd_step, flat[0].size * NS_PER_ELEMENT, *flat, *scalars, bool(first_step))
        return
    p = _InPlace(param, "param")
    g = _f32(grad, "grad")
    _checks.same_shape(param, "param", g, "grad")
    buffers = [p]
    if momentum:
        _checks.momentum_buffer_for(momentum, momentum_buffer)
        buf = _InPlace(momentum_buffer, "momentum_buffer")
        _checks.same_shape(param, "param", momentum_buffer, "momentum_buffer")
        buffers.append(buf)
        buf_flat = buf.flat()
    else:
        buf_flat = p.flat()  # not touched by the kernel when momentum == 0
    _run(
        _ew.sgd_step,
        g.size * NS_PER_ELEMENT,
        p.flat(),
        g.reshape(-1),
        buf_flat,
        float(lr),
        float(momentum),
        float(dampening),
        float(weight_decay),
        bool(nesterov),
        bool(first_step),
    )
    for arr in buffers:
        arr.write_back()


def sgd_step_multi(
    params,
    grads,
    momentum_buffers,
    lr,
    momentum=0.0,
    dampening=0.0,
    weight_decay=0.0,
    nesterov=False,
    first_step=False,
):
    """sgd_step over lists of parameters (one compiled kernel call each)."""
    bufs = [None] * len(params) if momentum_buffers is None else momentum_buffers
    for p, g, b in zip(params, grads, bufs, strict=True):
        sgd_step(p, g, b, lr, momentum, dampening, weight_decay, nesterov, first_step)


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """torch.optim.Adam's update (L2 weight decay, bias-corrected moments), in place."""
    _checks.adam_args(step)
    # The bias corrections are per-step scalars: computed once here, in float64.
    bias_correction1 = 1.0 - float(beta1) ** int(step)
    bias_correction2 = 1.0 - float(beta2) ** int(step)
    scalars = (
        float(lr) / bias_correction1,
        1.0 / bias_correction2**0.5,
        float(beta1),
        float(beta2),
        float(eps),
        float(weight_decay),
    )
    flat = _flat_in_place(param, grad, exp_avg, exp_avg_sq)
    if flat is not None:
        _run(_ew.adam_step, flat[0].size * 4 * NS_PER_ELEMENT, *flat, *scalars)
        return
    p = _InPlace(param, "param")
    g = _f32(grad, "grad")
    _checks.same_shape(param, "param", g, "grad")
    m, v = _InPlace(exp_avg, "exp_avg"), _InPlace(exp_avg_sq, "exp_avg_sq")
    _checks.same_shape(param, "param", exp_avg, "exp_avg")
    _checks.same_shape(param, "param", exp_avg_sq, "exp_avg_sq")
    _run(_ew.adam_step, g.size * 4 * NS_PER_ELEMENT, p.flat(), g.reshape(-1), m.flat(), v.flat(), *scalars)
    for arr in (p, m, v):
        arr.write_back()


def adam_step_multi(
    params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0
):
    """adam_step over lists of parameters and their state (steps: one count per parameter)."""
    for p, g, m, v, step in zip(params, grads, exp_avgs, exp_avg_sqs, steps, strict=True):
        adam_step(p, g, m, v, step, lr, beta1, beta2, eps, weight_decay)


# ----------------------------------------------------------------------------- batch gather
NS_PER_GATHERED_BYTE = 0.2  # a row gather from a large array is memory-latency bound


def take_rows(a, index):
    """a[index] along axis 0 (the batch gather of a data loader), any dtype: a parallel row copy."""
    index = _checks.row_index(a, index)
    rows = a.shape[0]
    a = np.ascontiguousarray(a)
    out = np.empty((index.shape[0],) + a.shape[1:], a.dtype)
    row_bytes = a.nbytes // rows if rows else 0
    if not (out.size and row_bytes):  # nothing to copy; the index is still checked
        _checks.raise_row_index(index, rows)
        return out
    src, dst = a.reshape(rows, -1).view(np.uint8), out.reshape(len(index), -1).view(np.uint8)
    if _run(_ew.take_rows, out.nbytes * NS_PER_GATHERED_BYTE, src, index, dst) >= 0:
        _checks.raise_row_index(index, rows)  # the message names the first bad entry
    return out


# ----------------------------------------------------------------------------- argmax
def argmax(x):
    """Index (int64) of the first maximum in each row; a NaN counts as the maximum."""
    x = _f32(x, "x", 2)
    _checks.nonempty_rows(x)
    out = np.empty(x.shape[0], np.int64)
    _run(_ew.argmax, x.size * NS_PER_ELEMENT, x, out)
    return out
