"""The `numba` backend: the kernel table compiled by Numba, for when pyneuro._cpu is missing.

Same algorithms as the C++ kernels (cache-blocked matmul with packing and register
blocking, online softmax, cross-entropy fused with softmax, fused optimizer updates),
written in Python and compiled by Numba to vectorised, multi-threaded machine code.
The kernels live in matmul_kernels.py, softmax_kernels.py and elementwise_kernels.py;
this package module (the table) is the thin layer in front of them:

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
from .. import _conv_checks as _cc
from . import conv_kernels as _cv
from . import elementwise_kernels as _ew
from . import matmul_kernels as _mm
from . import softmax_kernels as _sm

NAME = "numba"
DEVICE = "cpu"
xp = np
VARIANTS = {"matmul": ("naive", "blocked"), "softmax": ("three_pass", "online")}
DEFAULT_VARIANT = {"matmul": "blocked", "softmax": "online"}


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


# ----------------------------------------------------------------------------- launching kernels
# Rough single-thread cost of the kernels' inner loops (this machine class, AVX-512), used
# only to decide whether a call is worth waking the other threads for.
NS_PER_ELEMENT = 0.25  # elementwise kernels and reductions without exp
NS_PER_EXP = 0.6  # softmax-family kernels, per element
NS_PER_FMA = 0.0125  # matmul, per multiply-add (~80 GFLOP/s)
PARALLEL_MIN_NS = 20_000.0


def _run(kernel, work_ns: float, *args) -> None:
    """Call a kernel: its multi-threaded version for big work, its single-threaded one below
    ~20 µs of work, where waking the thread pool would cost more than sharing saves.

    The choice depends on the work only, never on the thread count (see ParallelKernel).
    """
    return kernel.run(work_ns >= PARALLEL_MIN_NS, *args)


# ----------------------------------------------------------------------------- input preparation
def _f32(x, name: str, ndim: int | None = None) -> np.ndarray:
    """Validate x (shared checks), require float32, return it C-contiguous."""
    if (
        type(x) is np.ndarray
        and x.dtype == np.float32
        and x.flags.c_contiguous
        and x.flags.aligned
        and (ndim is None or x.ndim == ndim)
    ):
        return x  # the common case, without the general checks' ~0.4 us
    _checks.require_array(x, name, ndim)
    _checks.require_float32(x, name)  # the numba backend computes in float32, like the C++ one
    return _aligned(np.ascontiguousarray(x))


def _aligned(x: np.ndarray) -> np.ndarray:
    """x, or an aligned copy of a view at an odd byte offset: numba would compile a second,
    unaligned specialisation of every kernel for it."""
    return x if x.flags.aligned else x.copy()


def _operand(x, name: str, trans: bool):
    """(array, trans) for matmul: a Fortran-ordered 2-D array is the transpose of a C one."""
    x = np.asarray(x)
    if x.ndim == 2 and not x.flags.c_contiguous and x.flags.f_contiguous:
        return _f32(x.T, name), not trans
    return _f32(x, name), trans


def _targets(logits, targets) -> np.ndarray:
    """Targets as contiguous int64 after the type and shape checks; the range check is done
    by the cross-entropy kernels themselves (they return the count of bad targets)."""
    if (
        type(targets) is np.ndarray
        and targets.dtype == np.int64
        and targets.flags.c_contiguous
        and targets.ndim == 1
        and targets.shape[0] == logits.shape[0]
        and logits.ndim == 2
        and targets.flags.aligned
    ):
        return targets  # the common case: nothing to convert, nothing else to check
    return _aligned(np.ascontiguousarray(_checks.targets_for(logits, targets, check_range=False)))


def _check_bad_targets(bad: int, targets, classes: int) -> None:
    if bad:
        _checks.raise_target_range(targets, classes)


def _variant(variant, kind: str) -> str:
    return DEFAULT_VARIANT[kind] if variant is None else _checks.variant(variant, VARIANTS[kind], kind)


# ----------------------------------------------------------------------------- matmul
MAX_TILES_PER_TASK = 16  # i-tiles (of MC rows) per matmul task: c_stage <= 1024 x 272 floats


def _matmul_plan(m: int, n: int, threads: int, trans_b: bool = False) -> tuple[int, int]:
    """(panel_width, row_groups) for the blocked kernel: enough tasks for every thread.

    Wide panels (NC columns) are the most efficient; narrower ones and splitting the
    rows are used only when there would otherwise be fewer tasks than threads.
    Neither choice changes the arithmetic done for an element of C.
    Every task packs the B block of its own panel, so tasks that split the rows of one
    panel pack the same B block twice. With a transposed B that copy is a gather (it
    writes columns of the buffer), as costly as a good part of the FMAs for a short A:
    then the columns are split first (the 128x784 @ (256x784)^T of an MLP's first layer:
    two 128-column panels instead of two row groups that each transpose all of W1).
    """
    want = threads
    i_tiles = -(-m // _mm.MC)
    width = _mm.NC
    row_tiles = 1 if trans_b else i_tiles  # with trans_b, count only column panels as tasks
    while width > 64 and -(-n // width) * row_tiles < want:
        width //= 2
    panels = -(-n // width)
    if panels > 1:  # balance the panels over the threads: N = 784 in 256-wide panels would
        panels += -panels % want  # be 256, 256, 256 and 16 (one of 2 threads doing 2/3):
        width = max(64, (-(-n // panels) + 15) // 16 * 16)  # 4 panels of 208 (last: 160)
        panels = -(-n // width)
    row_groups = max(1, min(i_tiles, -(-want // panels)))
    row_groups = max(row_groups, -(-i_tiles // MAX_TILES_PER_TASK))  # bounds c_stage's size
    return width, row_groups


def _dot_path(m: int, n: int, k: int, trans_a: bool, trans_b: bool) -> bool:
    """A @ B.T (both operands read along rows) with enough depth for the dot kernel, and
    neither few rows nor few columns (those take matmul_few_rows)."""
    return trans_b and not trans_a and k >= _mm.DOT_MIN_K and m > _mm.FEW_ROWS and n > _mm.FEW_COLS


def _dot_plan(n: int, k: int, threads: int) -> int:
    """Columns of C per task of matmul_dot: a panel of B rows that fits DOT_PANEL_BYTES,
    narrower when the threads need more panels, balanced over them; a multiple of 4."""
    panel = max(4, _mm.DOT_PANEL_BYTES // (4 * k) // 4 * 4)
    panels = max(-(-n // panel), min(threads, -(-n // 4)))
    if panels > 1:
        panels += -panels % threads  # N = 256 in 80-wide panels would be 80, 80, 80, 16
    per_panel = -(-n // panels)
    return -(-per_panel // 4) * 4


_NO_BIAS = np.zeros(0, np.float32)
_FLOAT32 = np.dtype(np.float32)


def matmul(a, b, trans_a: bool = False, trans_b: bool = False, variant: str | None = None):
    """C = op(a) @ op(b); op(x) = x.T when its flag is set. Variants: naive, blocked (default).

    Cost: 2*M*N*K FLOPs. The transposes are never materialised: the blocked kernel folds
    them into the packing of each cache block, and A @ B.T, whose operands are both read
    along rows, runs as a table of dot products (see matmul_kernels.py).
    """
    return _matmul(a, b, None, trans_a, trans_b, variant)


def matmul_bias(a, b, bias, trans_a: bool = False, trans_b: bool = False):
    """op(a) @ op(b) + bias[None, :] (nn.Linear's forward), bit for bit matmul then bias_add.
    On the dot path (x @ W.T) each task adds the bias to its panel of C while it is still in
    cache; the other paths run bias_add after the product."""
    return _matmul(a, b, bias, trans_a, trans_b, None)


def _matmul(a, b, bias, trans_a, trans_b, variant):
    _checks.matmul_dims(a, b, trans_a, trans_b)
    variant = _variant(variant, "matmul")
    a, trans_a = _operand(a, "a", bool(trans_a))
    b, trans_b = _operand(b, "b", bool(trans_b))
    m, n, k = _checks.matmul_dims(a, b, trans_a, trans_b)
    work = m * n * k * NS_PER_FMA
    c = np.empty((m, n), np.float32)
    if bias is not None:
        _checks.bias_for(c, bias)
        bias = _f32(bias, "bias", 1)
        if not _dot_path(m, n, k, trans_a, trans_b):
            return bias_add(_matmul(a, b, None, trans_a, trans_b, variant), bias)
        threads = numba.get_num_threads() if work >= PARALLEL_MIN_NS else 1
        _run(_mm.matmul_dot, work, a, b, c, _dot_plan(n, k, threads), bias, True)
        return c
    if m == 0 or n == 0:
        return c
    if variant == "naive":
        _run(_mm.matmul_naive, work, a, b, trans_a, trans_b, c)
    elif (m <= _mm.FEW_ROWS or (trans_b and n <= _mm.FEW_COLS)) and k:
        # nn.Linear on one sample, or an MLP's 10-class output layer (h @ W2.T): B read in
        # place, no packing; with few columns each C element is one dot of two contiguous rows.
        rows = np.ascontiguousarray(a.T) if trans_a else a
        _run(_mm.matmul_few_rows, work, rows, b, trans_b, c)
    elif _dot_path(m, n, k, trans_a, trans_b):
        # x @ W.T (nn.Linear's forward): each C element is a dot of two contiguous rows,
        # computed in 4x4 blocks of running sums; no packing, C written once.
        threads = numba.get_num_threads() if work >= PARALLEL_MIN_NS else 1
        _run(_mm.matmul_dot, work, a, b, c, _dot_plan(n, k, threads), _NO_BIAS, False)
    elif not trans_b and m * n * k <= _mm.SMALL_FMAS:
        # Tiny (the output layer's backward: 128x10 @ 10x256, 10x128 @ 128x256): the plain
        # row loop, whose rows of B and C stay in L1; packing would cost more than it saves.
        _run(_mm.matmul_naive, work, a, b, trans_a, False, c)
    else:
        threads = numba.get_num_threads() if work >= PARALLEL_MIN_NS else 1
        _run(_mm.matmul_blocked, work, a, b, trans_a, trans_b, c, *_matmul_plan(m, n, threads, trans_b))
    return c


# ----------------------------------------------------------------------------- relu
def relu_forward(x):
    """y = max(x, 0); NaN propagates, as in torch.relu. Any shape."""
    x = _f32(x, "x")
    y = np.empty_like(x)
    _run(_ew.relu_forward, x.size * NS_PER_ELEMENT, x.reshape(-1), y.reshape(-1))
    return y


def relu_backward(grad_output, x):
    """grad_x = 0 where x <= 0, else grad_output (x: relu's input or output)."""
    g = _f32(grad_output, "grad_output")
    x = _f32(x, "x")
    _checks.same_shape(g, "grad_output", x, "x")
    gx = np.empty_like(x)
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
    y = np.empty_like(x)
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
    gx = np.empty_like(y)
    _run(_sm.softmax_backward, y.size * NS_PER_ELEMENT, g, y, gx)
    return gx


def log_softmax_forward(x):
    """y = x - max - log(sum(exp(x - max))), per row."""
    x = _f32(x, "x", 2)
    y = np.empty_like(x)
    if 0 < x.shape[1] < _sm.NARROW_COLS:
        _narrow(_sm.LOG_SOFTMAX, x, y=y)
    else:
        _run(_sm.log_softmax_forward, x.size * NS_PER_EXP, x, y)
    return y


def log_softmax_backward(grad_output, output):
    """grad_x = g - exp(y) * sum(g), per row."""
    g, y = _f32(grad_output, "grad_output", 2), _f32(output, "output", 2)
    _checks.same_shape(g, "grad_output", y, "output")
    gx = np.empty_like(y)
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
    grad = np.empty_like(logits)
    if 0 < logits.shape[1] < _sm.NARROW_COLS:
        bad = _narrow(_sm.CE_BACKWARD, logits, targets=targets, grad_losses=grad_losses, y=grad)
    else:
        bad = _run(_sm.cross_entropy_backward, logits.size * NS_PER_EXP, logits, targets, grad_losses, grad)
    _check_bad_targets(bad, targets, logits.shape[1])
    return grad


# ----------------------------------------------------------------------------- bias
def bias_add(x, bias):
    """y = x + bias[None, :]."""
    _checks.bias_for(x, bias)
    x, bias = _f32(x, "x", 2), _f32(bias, "bias", 1)
    y = np.empty_like(x)
    _run(_ew.bias_add, x.size * NS_PER_ELEMENT, x, bias, y)
    return y


def bias_grad(grad_output):
    """grad_bias[j] = sum over rows of grad_output[:, j] (rows summed in order)."""
    g = _f32(grad_output, "grad_output", 2)
    out = np.empty(g.shape[1], np.float32)
    _run(_ew.bias_grad, g.size * NS_PER_ELEMENT, g, out)
    return out


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
    writeable, C-contiguous, aligned float32 ndarrays of one shape (what the optimizers
    always pass). None otherwise: the caller then takes the checked path (_InPlace).

    The checked path costs ~7 us per parameter in Python, ten times the kernel's own time
    on a bias vector; this one ~2 us. (A dtype that is float32 but not numpy's canonical
    object fails the identity test and just takes the checked path.)"""
    shape = arrays[0].shape if type(arrays[0]) is np.ndarray else None
    flat = []
    for x in arrays:
        if type(x) is not np.ndarray or x.dtype is not _FLOAT32 or x.shape != shape:
            return None
        flags = x.flags
        if not (flags.c_contiguous and flags.aligned and flags.writeable):
            return None
        flat.append(x.ravel())  # a view: x is C-contiguous
    return flat


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


# ----------------------------------------------------------------------------- conv2d and pooling
# Kernels in conv_kernels.py; the checks (torch's errors and messages) in ../_conv_checks.py.

VARIANTS["conv2d"] = ("direct", "channels", "im2col")
DEFAULT_VARIANT["conv2d"] = None  # channels when a group has >= 8 output channels, else direct
# im2col is a forward rung only: the backward entries run "channels" for it (protocol.py, Variants).
_BACKWARD_RUNG = {"direct": "direct", "channels": "channels", "im2col": "channels"}
_NO_BIAS = np.zeros(1, np.float32)


def _conv_flops(y_shape, w_shape) -> float:
    return float(np.prod(y_shape, dtype=np.float64)) * w_shape[1] * w_shape[2] * w_shape[3]


def conv2d_forward(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None):
    """y[N,O,Ho,Wo] = conv2d(x, w) + bias (NCHW, float32). Variants: direct, channels, im2col
    (None: channels when a group has >= 8 output channels, else direct); see conv_kernels.py."""
    (sh, sw), (ph, pw), (dh, dw), groups, (ho, wo) = _cc.conv2d(x, w, bias, stride, padding, dilation, groups)
    if variant is None:
        variant = "channels" if w.shape[0] // groups >= 8 else "direct"
    variant = _cc.variant(variant, VARIANTS["conv2d"])
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
    b = _NO_BIAS if bias is None else np.ascontiguousarray(bias)
    y = np.empty((x.shape[0], w.shape[0], ho, wo), np.float32)
    if y.size == 0:
        return y
    if w.shape[1] == 0:
        y[...] = b.reshape(1, -1, 1, 1) if bias is not None else 0.0
        return y
    if variant == "im2col":
        o, cpg, kh, kw = w.shape
        opg = o // groups
        cols = np.empty((cpg, kh, kw, ho, wo), np.float32)
        for n in range(x.shape[0]):
            for g in range(groups):
                _run(_cv.im2col, cols.size * NS_PER_ELEMENT, x, cols, n, g * cpg, sh, sw, ph, pw, dh, dw)
                y[n, g * opg : (g + 1) * opg] = matmul(
                    w[g * opg : (g + 1) * opg].reshape(opg, -1), cols.reshape(cpg * kh * kw, ho * wo)
                ).reshape(opg, ho, wo)
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
        variant = "channels" if x_shape[1] // groups >= 8 else "direct"
    variant = _BACKWARD_RUNG[_cc.variant(variant, VARIANTS["conv2d"])]
    gy, w = np.ascontiguousarray(grad_y), np.ascontiguousarray(w)
    gx = np.empty(x_shape, np.float32)
    if gx.size == 0:
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
        variant = "channels" if w_shape[0] // groups >= 8 else "direct"
    variant = _BACKWARD_RUNG[_cc.variant(variant, VARIANTS["conv2d"])]
    gy, x = np.ascontiguousarray(grad_y), np.ascontiguousarray(x)
    gw = np.empty(w_shape, np.float32)
    if gw.size == 0:
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
    y = np.empty((x.shape[0], x.shape[1], ho, wo), np.float32)
    idx = np.empty(y.shape, np.int64)
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
    gx = np.empty(shape, np.float32)
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
    y = np.empty((x.shape[0], x.shape[1], ho, wo), np.float32)
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
    y = np.empty((x.shape[0], x.shape[1], oh, ow), np.float32)
    if y.size:
        _run(_cv.adaptive_avg_pool2d_forward, x.size * NS_PER_ELEMENT, x, y)
    return y


def adaptive_avg_pool2d_backward(grad_y, input_shape):
    shape = _cc.adaptive_backward(grad_y, input_shape)
    gy = np.ascontiguousarray(grad_y)
    gx = np.empty(shape, np.float32)
    if gx.size == 0:
        return gx
    if gy.size == 0:
        gx[...] = 0.0
        return gx
    _run(_cv.adaptive_avg_pool2d_backward, gx.size * NS_PER_ELEMENT, gy, gx)
    return gx
