"""The `cpu` backend: pyneuro's C++ kernels (pyneuro._cpu, built with pybind11).

This module is a thin layer: it makes inputs contiguous where the C++ side needs it
(a transposed 2-D view is passed to matmul as its base array with the transpose flag
flipped, so it is never copied) and hands everything else to the binding, which
validates dtypes, ranks, shapes and target ranges before any kernel runs and releases
the GIL while it computes. float64 input is refused with TypeError, not converted.
"""

from __future__ import annotations

import os

import numpy as np

if os.environ.get("PYNEURO_DISABLE_CPU_EXT"):
    from ._registry import BackendUnavailable

    raise BackendUnavailable("disabled by PYNEURO_DISABLE_CPU_EXT")

# The kernels run on pyneuro's own worker team (csrc/cpu/team.cpp), whose idle workers yield
# their core and soon sleep. libgomp, loaded with the extension, runs only the FMA peak
# measurement (csrc/cpu/peak.cpp) and numba's OpenMP layer, with its own defaults: pyneuro
# sets no OMP_* or GOMP_* variable (csrc/cpu/runtime.cpp has the history and the figures).
try:
    from .. import _cpu
except ImportError as exc:  # no compiler at install time, or a broken build
    from ._registry import BackendUnavailable

    raise BackendUnavailable(f"C++ extension pyneuro._cpu not importable ({exc})") from None
from . import _checks  # after the extension: an unavailable backend stops above

NAME = "cpu"
DEVICE = "cpu"
xp = np
VARIANTS = {
    "matmul": tuple(_cpu.matmul_variants),
    "softmax": tuple(_cpu.softmax_variants),
    "conv2d": tuple(_cpu.conv2d_variants),
}
DEFAULT_VARIANT = {"matmul": "packed", "softmax": "online", "conv2d": "implicit"}

asarray = np.asarray
to_numpy = np.asarray


def cache_sizes() -> dict:
    """This CPU's data caches as the C++ kernels see them: {"l1d", "l2", "l3": bytes, "source"}."""
    return dict(_cpu.matmul_tuning()["caches"])


get_num_threads = _cpu.get_num_threads
set_num_threads = _cpu.set_num_threads
max_num_threads = _cpu.max_num_threads
simd_path = _cpu.simd_path


def _contig(x):
    """C-contiguous view of x, copying only when it is not already one. A NumPy scalar (what
    NumPy returns for arithmetic on 0-d arrays, e.g. a 0-d gradient) becomes a 0-d array."""
    if isinstance(x, np.ndarray):
        return x if x.flags.c_contiguous else np.ascontiguousarray(x)
    if isinstance(x, np.generic):
        return np.asarray(x)
    return x


def _operand(x, trans: bool):
    """(array, trans) for matmul: a Fortran-ordered 2-D array is the transpose of a C one."""
    if isinstance(x, np.ndarray) and x.ndim == 2 and not x.flags.c_contiguous:
        if x.flags.f_contiguous:
            return x.T, not trans
        return np.ascontiguousarray(x), trans
    return x, trans


def matmul(a, b, trans_a: bool = False, trans_b: bool = False, variant: str | None = None):
    a, trans_a = _operand(a, trans_a)
    b, trans_b = _operand(b, trans_b)
    return _cpu.matmul(a, b, trans_a, trans_b, variant or "packed")


def matmul_batched(a, b, trans_a: bool = False, trans_b: bool = False):
    """c[i] = op(a[i]) @ op(b[i]): one call for the whole batch (csrc/bindings/cpu_matmul.cpp)."""
    return _cpu.matmul_batched(_contig(a), _contig(b), trans_a, trans_b)


def matmul_bias(a, b, bias, trans_a: bool = False, trans_b: bool = False):
    """op(a) @ op(b) + bias in one call: the packed matmul adds the bias to each C tile while
    it is still in L1 (csrc/cpu/matmul.cpp), the same bits as matmul then bias_add."""
    a, trans_a = _operand(a, trans_a)
    b, trans_b = _operand(b, trans_b)
    return _cpu.matmul(a, b, trans_a, trans_b, "packed", _contig(bias))


def matmul_bias_relu(a, b, bias, trans_a: bool = False, trans_b: bool = False):
    """relu(op(a) @ op(b) + bias) (bias may be None) in one call: the packed matmul applies
    both to each C tile while it is in L1, the same bits as matmul_bias then relu_forward."""
    a, trans_a = _operand(a, trans_a)
    b, trans_b = _operand(b, trans_b)
    return _cpu.matmul(a, b, trans_a, trans_b, "packed", None if bias is None else _contig(bias), True)


def matmul_relu_mask(a, b, relu_output, trans_a: bool = False, trans_b: bool = False):
    """op(a) @ op(b) zeroed where relu_output <= 0, in one call (the epilogue reads the mask
    tile by tile): the same bits as matmul then relu_backward."""
    a, trans_a = _operand(a, trans_a)
    b, trans_b = _operand(b, trans_b)
    return _cpu.matmul(a, b, trans_a, trans_b, "packed", None, False, _contig(relu_output))


def take_rows(a, index):
    """a[index] along axis 0: one parallel row copy in C++ (csrc/cpu/gather.cpp), any dtype."""
    index = _checks.row_index(a, index)
    if not isinstance(a, np.ndarray):
        a = np.asarray(a)
    return _cpu.take_rows(_contig(a), index)


def standardize_forward(
    x, outer: int, inner: int, eps: float, weight=None, bias=None, per_inner: bool = False
):
    """(y, mean, var, rstd) of float32 or float64 x as (outer, stats, inner), one C++ call
    (csrc/cpu/norm.cpp): the moments in L1-sized pieces, y written while x is in cache."""
    w = None if weight is None else _contig(weight)
    return _cpu.standardize_forward(
        _contig(x), outer, inner, eps, w, None if bias is None else _contig(bias), per_inner
    )


def standardize_backward(
    grad_output, x, mean, rstd, outer: int, inner: int, weight=None, per_inner: bool = False
):
    """(dx, sum_g, sum_gxhat) of standardize_forward in one C++ call: two sums per statistic, then dx."""
    g, w = _contig(grad_output), None if weight is None else _contig(weight)
    return _cpu.standardize_backward(g, _contig(x), _contig(mean), _contig(rstd), outer, inner, w, per_inner)


def relu_forward(x):
    return _cpu.relu_forward(_contig(x))


def relu_backward(grad_output, x):
    return _cpu.relu_backward(_contig(grad_output), _contig(x))


def gelu_forward(x, approximate: str = "none"):
    """x Phi(x) (or the tanh form) in one C++ pass (csrc/cpu/gelu.cpp), float32."""
    return _cpu.gelu_forward(_contig(x), approximate)


def gelu_backward(grad_output, x, approximate: str = "none"):
    return _cpu.gelu_backward(_contig(grad_output), _contig(x), approximate)


def softmax_forward(x, variant: str | None = None):
    return _cpu.softmax_forward(_contig(x), variant or "online")


def softmax_backward(grad_output, output):
    return _cpu.softmax_backward(_contig(grad_output), _contig(output))


def log_softmax_forward(x):
    return _cpu.log_softmax_forward(_contig(x))


def log_softmax_backward(grad_output, output):
    return _cpu.log_softmax_backward(_contig(grad_output), _contig(output))


def _targets(t):
    # Integer targets of any width become int64; floats are left for the binding to refuse.
    if isinstance(t, np.ndarray) and t.dtype != np.int64 and t.dtype.kind in "iu":
        return t.astype(np.int64)
    return _contig(t)


def cross_entropy_forward(logits, targets):
    return _cpu.cross_entropy_forward(_contig(logits), _targets(targets))


def cross_entropy_backward(logits, targets, grad_losses):
    return _cpu.cross_entropy_backward(_contig(logits), _targets(targets), _contig(grad_losses))


def cross_entropy_reduced(logits, targets, mean: bool = True):
    return _cpu.cross_entropy_reduced(_contig(logits), _targets(targets), bool(mean))


def cross_entropy_backward_scaled(logits, targets, scale):
    return _cpu.cross_entropy_backward_scaled(_contig(logits), _targets(targets), float(scale))


def cross_entropy_reduced_grad(logits, targets, mean: bool = True):
    return _cpu.cross_entropy_reduced_grad(_contig(logits), _targets(targets), bool(mean))


def bias_add(x, bias):
    return _cpu.bias_add(_contig(x), _contig(bias))


def bias_grad(grad_output):
    return _cpu.bias_grad(_contig(grad_output))


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
    _cpu.sgd_step(
        param, _contig(grad), momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, first_step
    )


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
    _cpu.sgd_step_multi(
        params,
        [_contig(g) for g in grads],
        momentum_buffers,
        lr,
        momentum,
        dampening,
        weight_decay,
        nesterov,
        first_step,
    )


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    _cpu.adam_step(param, _contig(grad), exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay)


def adam_step_multi(
    params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0
):
    _cpu.adam_step_multi(
        params, [_contig(g) for g in grads], exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps, weight_decay
    )


def adadelta_step_multi(
    params, grads, square_avgs, acc_deltas, lr, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False
):
    _cpu.adadelta_step_multi(
        params, [_contig(g) for g in grads], square_avgs, acc_deltas, lr, rho, eps, weight_decay, maximize
    )


def argmax(x):
    return _cpu.argmax(_contig(x))


# conv2d and pooling: csrc/cpu/conv*.cpp, pool.cpp. The binding checks the arguments with
# _conv_checks (the same rules and messages as every backend); inputs are made contiguous here.
def conv2d_forward(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None):
    return _cpu.conv2d_forward(
        _contig(x), _contig(w), _contig(bias), stride, padding, dilation, groups, variant
    )


def conv2d_backward_input(
    grad_y, w, input_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    return _cpu.conv2d_backward_input(
        _contig(grad_y), _contig(w), tuple(input_shape), stride, padding, dilation, groups, variant
    )


def conv2d_backward_weight(
    grad_y, x, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None
):
    return _cpu.conv2d_backward_weight(
        _contig(grad_y), _contig(x), tuple(weight_shape), stride, padding, dilation, groups, variant
    )


def conv2d_backward_bias(grad_y):
    return _cpu.conv2d_backward_bias(_contig(grad_y))


def max_pool2d_forward(x, kernel, stride=None, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
    return _cpu.max_pool2d_forward(_contig(x), kernel, stride, padding, dilation, ceil_mode)


def max_pool2d_backward(grad_y, indices, input_shape):
    return _cpu.max_pool2d_backward(_contig(grad_y), _contig(indices), tuple(input_shape))


def avg_pool2d_forward(
    x, kernel, stride=None, padding=(0, 0), ceil_mode=False, count_include_pad=True, divisor_override=None
):
    return _cpu.avg_pool2d_forward(
        _contig(x), kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
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
    return _cpu.avg_pool2d_backward(
        _contig(grad_y),
        tuple(input_shape),
        kernel,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def adaptive_avg_pool2d_forward(x, output_size):
    return _cpu.adaptive_avg_pool2d_forward(_contig(x), output_size)


def adaptive_avg_pool2d_backward(grad_y, input_shape):
    return _cpu.adaptive_avg_pool2d_backward(_contig(grad_y), tuple(input_shape))
