"""The NumPy reference backend: the specification every other backend is tested against.

Each function here is the plainest correct NumPy form of one kernel of the table in
docs/DESIGN.md, "The backend layer". They work in the dtype they are given (float32 at run time, float64 when the
tests want an accurate oracle) and are numerically stable: every softmax subtracts the
row maximum before exp (the log-sum-exp trick), so logits of 1e4 give finite results.

Shapes: "rows" kernels take 2-D (rows, cols) arrays and work along the last axis.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from . import adadelta_xp as _adadelta
from . import numpy_conv as _conv
from . import special_xp as _special

NAME = "numpy"
DEVICE = "cpu"
xp = np  # the array namespace for generic elementwise ops on this backend's arrays
VARIANTS = {"matmul": ("numpy",), "softmax": ("stable",), "conv2d": ("numpy",)}
DEFAULT_VARIANT = {"matmul": "numpy", "softmax": "stable", "conv2d": "numpy"}


def asarray(a, dtype=None):
    """Host array -> this backend's array (a no-op for CPU backends)."""
    return np.asarray(a, dtype=dtype)


def to_numpy(a):
    """This backend's array -> NumPy array."""
    return np.asarray(a)


# ----------------------------------------------------------------------------- matmul
def matmul(a, b, trans_a: bool = False, trans_b: bool = False, variant: str | None = None):
    """C = op(a) @ op(b); op(x) = x.T when its flag is set (a view, never a copy).

    Cost: 2*M*N*K FLOPs. This is NumPy's BLAS call (OpenBLAS sgemm).
    """
    _checks.matmul_dims(a, b, trans_a, trans_b)
    if variant is not None:
        _checks.variant(variant, VARIANTS["matmul"], "matmul")
    return np.matmul(a.T if trans_a else a, b.T if trans_b else b)


def matmul_batched(a, b, trans_a: bool = False, trans_b: bool = False):
    """c[i] = op(a[i]) @ op(b[i]) for 3-D a and b with the same number of matrices (np.matmul stacks them)."""
    _checks.require_array(a, "a")
    _checks.require_array(b, "b")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(
            f"matmul_batched: expected two 3-D arrays with the same number of matrices, got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    matrix = lambda x: np.broadcast_to(np.empty((), x.dtype), x.shape[1:])  # one matrix's shape, no data
    _checks.matmul_dims(matrix(a), matrix(b), trans_a, trans_b)
    return np.matmul(a.transpose(0, 2, 1) if trans_a else a, b.transpose(0, 2, 1) if trans_b else b)


def matmul_bias(a, b, bias, trans_a: bool = False, trans_b: bool = False):
    """op(a) @ op(b) + bias[None, :], the Linear layer's forward: matmul, then bias_add."""
    return bias_add(matmul(a, b, trans_a, trans_b), bias)


def matmul_bias_relu(a, b, bias, trans_a: bool = False, trans_b: bool = False):
    """relu(op(a) @ op(b) + bias[None, :]) (bias may be None), nn.Sequential's Linear then
    ReLU: matmul_bias (or matmul), then relu_forward."""
    y = matmul(a, b, trans_a, trans_b) if bias is None else matmul_bias(a, b, bias, trans_a, trans_b)
    return relu_forward(y)


def matmul_relu_mask(a, b, relu_output, trans_a: bool = False, trans_b: bool = False):
    """The gradient op(a) @ op(b) through the ReLU whose output is relu_output (the input
    gradient of the Linear after it): matmul, then relu_backward."""
    return relu_backward(matmul(a, b, trans_a, trans_b), relu_output)


# ----------------------------------------------------------------------------- relu
def _param(a, stats: int, inner: int, per_inner: bool):
    """An affine parameter broadcast against the (outer, stats, inner) view: None; one value per
    statistic, or per channel repeated, as (1, stats, 1); or per_inner, period rows of inner
    values (statistic s takes row s % period), as (1, stats, inner)."""
    if a is None:
        return None
    if per_inner:
        rows = a.reshape(-1, inner)
        return np.tile(rows, (stats // rows.shape[0], 1)).reshape(1, stats, inner)
    return np.tile(a, stats // a.shape[0]).reshape(1, stats, 1)


def standardize_forward(
    x, outer: int, inner: int, eps: float, weight=None, bias=None, per_inner: bool = False
):
    """(y, mean, var, rstd) of x as (outer, stats, inner): per statistic s the mean and biased
    variance over axes 0 and 2, rstd = 1 / sqrt(var + eps), y = (x - mean) / sqrt(var + eps)
    (autograd/norm.py's NumPy form, on the 3-D view), then * weight[s % len] + bias[s % len]
    (per_inner: weight[k] and bias[k] for x[a, s, c], k = (s % period) * inner + c)."""
    v = x.reshape(outer, -1, inner)
    w, b = _param(weight, v.shape[1], inner, per_inner), _param(bias, v.shape[1], inner, per_inner)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = v.mean(axis=(0, 2), keepdims=True)
        c = v - mean
        var = (c * c).mean(axis=(0, 2), keepdims=True)
        root = np.sqrt(var + eps)
        out = c / root
        rstd = 1 / root
        out = out if w is None else out * w
        out = out if b is None else out + b
    return out.reshape(x.shape), mean.reshape(-1), var.reshape(-1), rstd.reshape(-1)


def standardize_backward(
    grad_output, x, mean, rstd, outer: int, inner: int, weight=None, per_inner: bool = False
):
    """(dx, sum(g), sum(g * xhat)): dx = w * rstd * (g - mean(g) - xhat * mean(g * xhat)) per
    statistic, xhat = (x - mean) * rstd, w = weight[s % len] (1 without one); the sums per
    statistic, or per_inner (w = weight[k]) per k = (s % period) * inner + c over all rows."""
    v, g = x.reshape(outer, -1, inner), grad_output.reshape(outer, -1, inner)
    mean, rstd = mean.reshape(1, -1, 1), rstd.reshape(1, -1, 1)
    w = _param(weight, v.shape[1], inner, per_inner)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        xhat = (v - mean) * rstd
        if per_inner:  # summed over outer and over the statistics sharing a row of parameters
            period = 1 if weight is None else weight.size // inner
            sum_g, sum_gxhat = (
                a.sum(axis=0).reshape(-1, period, inner).sum(axis=0).reshape(-1) for a in (g, g * xhat)
            )
        else:
            sum_g, sum_gxhat = g.sum(axis=(0, 2)), (g * xhat).sum(axis=(0, 2))
        gw = g if w is None else g * w
        shared = gw.mean(axis=(0, 2), keepdims=True) + xhat * (gw * xhat).mean(axis=(0, 2), keepdims=True)
        return ((gw - shared) * rstd).reshape(x.shape), sum_g, sum_gxhat


def relu_forward(x):
    """y = max(x, 0). NaN propagates and -0.0 stays -0.0, as in torch.relu."""
    _checks.require_array(x, "x")
    return _special.clamp_low(np, x, 0)


def relu_backward(grad_output, x):
    """grad_x = 0 where x <= 0, else grad_output. x may be relu's input or its output."""
    _checks.require_array(grad_output, "grad_output")
    _checks.require_array(x, "x")
    _checks.same_shape(grad_output, "grad_output", x, "x")
    return np.where(x <= 0, np.zeros((), grad_output.dtype), grad_output)


# ----------------------------------------------------------------------------- gelu
GELU_VARIANTS = ("none", "tanh")


def gelu_forward(x, approximate: str = "none"):
    """x Phi(x) (approximate="tanh": torch's tanh form) in x's floating dtype: special_xp's formula,
    the reference of the cpu backend's C++ kernel."""
    _checks.require_array(x, "x")
    _checks.variant(approximate, GELU_VARIANTS, "gelu")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.asarray(_special.gelu(np, x, approximate)).astype(x.dtype, copy=False)


def gelu_backward(grad_output, x, approximate: str = "none"):
    """grad_output * gelu'(x), same shapes, in grad_output's dtype."""
    _checks.require_array(grad_output, "grad_output")
    _checks.require_array(x, "x")
    _checks.same_shape(grad_output, "grad_output", x, "x")
    _checks.variant(approximate, GELU_VARIANTS, "gelu")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return (grad_output * _special.gelu_grad(np, x, approximate)).astype(grad_output.dtype, copy=False)


# ----------------------------------------------------------------------------- softmax
def _row_max(x):
    # Row maximum, computed so that an all -inf row keeps max = -inf; the caller then
    # gets NaN from (-inf) - (-inf), matching PyTorch for such degenerate rows.
    return np.max(x, axis=1, keepdims=True) if x.shape[1] else np.zeros((x.shape[0], 1), x.dtype)


def softmax_forward(x, variant: str | None = None):
    """y[i] = exp(x[i] - max x[i]) / sum(exp(x[i] - max x[i])), per row."""
    _checks.require_array(x, "x", 2)
    if variant is not None:
        _checks.variant(variant, VARIANTS["softmax"], "softmax")
    with np.errstate(invalid="ignore"):  # inf - inf = NaN in a row holding +inf: defined as NaN
        e = np.exp(x - _row_max(x))
    return e / np.sum(e, axis=1, keepdims=True)


def softmax_backward(grad_output, output):
    """Softmax's Jacobian-vector product: grad_x = y * (g - sum(g * y)), per row."""
    _checks.require_array(grad_output, "grad_output", 2)
    _checks.require_array(output, "output", 2)
    _checks.same_shape(grad_output, "grad_output", output, "output")
    dot = np.sum(grad_output * output, axis=1, keepdims=True)
    return output * (grad_output - dot)


def log_softmax_forward(x):
    """y[i] = x[i] - max - log(sum(exp(x[i] - max))), per row."""
    _checks.require_array(x, "x", 2)
    with np.errstate(invalid="ignore"):
        shifted = x - _row_max(x)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def log_softmax_backward(grad_output, output):
    """grad_x = g - exp(y) * sum(g), per row (exp(y) is the softmax)."""
    _checks.require_array(grad_output, "grad_output", 2)
    _checks.require_array(output, "output", 2)
    _checks.same_shape(grad_output, "grad_output", output, "output")
    return grad_output - np.exp(output) * np.sum(grad_output, axis=1, keepdims=True)


# ----------------------------------------------------------------------------- cross-entropy
def cross_entropy_forward(logits, targets):
    """Per-sample losses: logsumexp(logits[i]) - logits[i, targets[i]] (integer targets)."""
    targets = _checks.targets_for(logits, targets)
    rows = np.arange(logits.shape[0])
    mx = _row_max(logits)
    # log(sum) - (x[t] - max), not (max + log(sum)) - x[t]: near the maximum x[t] - max is
    # exact, while max + log(sum) rounds log(sum) away once |max| >> 1 (0.0 instead of ln 2
    # for logits [1e8, 1e8, 0]).
    with np.errstate(invalid="ignore"):  # inf - inf = NaN in a row holding +inf: defined as NaN
        log_sum = np.log(np.sum(np.exp(logits - mx), axis=1))
        return log_sum - (logits[rows, targets] - mx[:, 0])


def cross_entropy_backward(logits, targets, grad_losses):
    """grad_logits = (softmax(logits) - onehot(targets)) * grad_losses[:, None]."""
    targets = _checks.targets_for(logits, targets)
    _checks.grad_losses_for(logits, grad_losses)
    grad = softmax_forward(logits)
    grad[np.arange(logits.shape[0]), targets] -= 1
    return grad * grad_losses[:, None]


def cross_entropy_reduced(logits, targets, mean=True):
    """The mean (or, mean=False, the sum) of the per-sample losses, a 0-d array in logits' dtype.

    The reference sums as NumPy does (pairwise); the compiled backends sum in float64 in row
    order, so the two agree to rounding, not bit for bit. The mean of no rows is NaN."""
    losses = cross_entropy_forward(logits, targets)
    total = losses.sum()
    if not mean:
        return np.asarray(total)
    n = losses.shape[0]
    return np.asarray(total / n if n else total * np.nan)


def cross_entropy_backward_scaled(logits, targets, scale):
    """cross_entropy_backward with every entry of grad_losses equal to `scale` (a number)."""
    _checks.require_array(logits, "logits", 2)
    return cross_entropy_backward(logits, targets, np.full(logits.shape[0], scale, dtype=logits.dtype))


def cross_entropy_reduced_grad(logits, targets, mean=True):
    """(cross_entropy_reduced, its gradient for a backward from 1): cross_entropy_backward_scaled with
    scale 1 / rows for the mean (1 for the sum or no rows), in one call."""
    n = _checks.require_array(logits, "logits", 2).shape[0]
    loss = cross_entropy_reduced(logits, targets, mean)
    return loss, cross_entropy_backward_scaled(logits, targets, 1.0 / n if mean and n else 1.0)


# ----------------------------------------------------------------------------- bias
def bias_add(x, bias):
    """y = x + bias[None, :] (the bias of a Linear layer)."""
    _checks.bias_for(x, bias)
    return x + bias


def bias_grad(grad_output):
    """grad_bias[j] = sum over rows of grad_output[:, j]."""
    _checks.require_array(grad_output, "grad_output", 2)
    return np.sum(grad_output, axis=0)


# ----------------------------------------------------------------------------- optimizers
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
    """torch.optim.SGD's update, in place on param (and momentum_buffer when momentum != 0).

    g = grad + weight_decay * param
    buf = g on the first step, else momentum * buf + (1 - dampening) * g
    g = g + momentum * buf if nesterov else buf
    param -= lr * g
    """
    _checks.require_array(param, "param")
    _checks.require_array(grad, "grad")
    _checks.same_shape(param, "param", grad, "grad")
    g = grad + weight_decay * param if weight_decay else grad
    if momentum:
        _checks.momentum_buffer_for(momentum, momentum_buffer)
        _checks.same_shape(param, "param", momentum_buffer, "momentum_buffer")
        if first_step:
            momentum_buffer[...] = g
        else:
            momentum_buffer *= momentum
            momentum_buffer += (1 - dampening) * g
        g = g + momentum * momentum_buffer if nesterov else momentum_buffer
    param -= lr * g


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
    """sgd_step over lists of parameters, gradients and momentum buffers (None when momentum == 0):
    the reference is the per-parameter step, parameter by parameter."""
    bufs = [None] * len(params) if momentum_buffers is None else momentum_buffers
    for p, g, b in zip(params, grads, bufs, strict=True):
        sgd_step(p, g, b, lr, momentum, dampening, weight_decay, nesterov, first_step)


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    """torch.optim.Adam's update (L2 weight decay, bias-corrected moments), in place.

    g = grad + weight_decay * param
    m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
    param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """
    _checks.adam_args(step)
    for arr, name in ((grad, "grad"), (exp_avg, "exp_avg"), (exp_avg_sq, "exp_avg_sq")):
        _checks.require_array(arr, name)
        _checks.same_shape(param, "param", arr, name)
    g = grad + weight_decay * param if weight_decay else grad
    exp_avg *= beta1
    exp_avg += (1 - beta1) * g
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    denom = np.sqrt(exp_avg_sq) / np.sqrt(bias_correction2) + eps
    param -= (lr / bias_correction1) * exp_avg / denom


def adam_step_multi(
    params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0
):
    """adam_step over lists of parameters and their state (steps: one count per parameter)."""
    for p, g, m, v, step in zip(params, grads, exp_avgs, exp_avg_sqs, steps, strict=True):
        adam_step(p, g, m, v, step, lr, beta1, beta2, eps, weight_decay)


def adadelta_step_multi(
    params, grads, square_avgs, acc_deltas, lr, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False
):
    """torch.optim.Adadelta's update in place over lists of parameters and their state."""
    for arrays in zip(params, grads, square_avgs, acc_deltas, strict=True):
        _adadelta.adadelta_blocked(np, arrays, (lr, rho, eps, weight_decay, maximize))


# ----------------------------------------------------------------------------- batch gather
def take_rows(a, index):
    """a[index] along axis 0 for a 1-D integer index (the batch gather of a data loader)."""
    index = _checks.row_index(a, index)
    _checks.raise_row_index(index, a.shape[0])
    return a[index]


# ----------------------------------------------------------------------------- argmax
def argmax(x):
    """Index (int64) of the first maximum in each row; a NaN counts as the maximum."""
    _checks.require_array(x, "x", 2)
    _checks.nonempty_rows(x)
    return np.argmax(x, axis=1).astype(np.int64)


# ----------------------------------------------------------------------------- conv2d, pooling
# Kept in their own file, numpy_conv.py (shared argument rules: _conv_checks.py).
conv2d_forward = _conv.conv2d_forward
conv2d_backward_input = _conv.conv2d_backward_input
conv2d_backward_weight = _conv.conv2d_backward_weight
conv2d_backward_bias = _conv.conv2d_backward_bias
max_pool2d_forward = _conv.max_pool2d_forward
max_pool2d_backward = _conv.max_pool2d_backward
avg_pool2d_forward = _conv.avg_pool2d_forward
avg_pool2d_backward = _conv.avg_pool2d_backward
adaptive_avg_pool2d_forward = _conv.adaptive_avg_pool2d_forward
adaptive_avg_pool2d_backward = _conv.adaptive_avg_pool2d_backward
