"""What one kernel call costs: floating-point operations and bytes moved, one formula per entry.

The profiler divides these by the measured time to get GFLOP/s and GB/s, and compares them
with the machine's measured peaks (pyneuro.bench.machine.measure_peaks). Each formula takes
the entry's own arguments (same names as docs/DESIGN.md, "The backend layer") plus `out`,
what the entry returned, and gives (flops, bytes).

- FLOPs count the arithmetic a straightforward kernel does: a multiply-add is 2, an exp or a
  comparison is 1. For matmul and convolution this is exact (2·M·N·K); for the elementwise and
  row-wise kernels it is an honest estimate ("about 5 per element" for softmax).
- Bytes are the compulsory traffic: every input read once and every output written once (an
  in-place update reads and writes its array). Real kernels may move more (a cache miss, a
  second pass over a row), never less, so GB/s here is a lower bound on what the memory did.

`bound(entry)` says which peak a kernel is held against: "compute" kernels (matmul, convolution) do many
FLOPs per byte and are compared with the FMA peak; all the others do about one FLOP per 4 bytes
and can only be as fast as memory, so they are compared with the copy bandwidth.
"""

from __future__ import annotations

from math import prod

from ..backends import protocol


def _nbytes(*arrays) -> int:
    """Total bytes of the arrays (None and non-arrays count 0)."""
    return sum(int(getattr(a, "nbytes", 0)) for a in arrays if a is not None)


def _size(a) -> int:
    return int(getattr(a, "size", 0))


def matmul(a, b, trans_a=False, trans_b=False, variant=None, *, out):
    m, k = (a.shape[1], a.shape[0]) if trans_a else (a.shape[0], a.shape[1])
    n = b.shape[0] if trans_b else b.shape[1]
    return 2 * m * n * k, _nbytes(a, b, out)  # one multiply-add per (i, j, p)


def matmul_bias(a, b, bias, trans_a=False, trans_b=False, *, out):
    flops, moved = matmul(a, b, trans_a, trans_b, out=out)
    return flops + _size(out), moved + _nbytes(bias)  # plus one add per output element


def matmul_bias_relu(a, b, bias, trans_a=False, trans_b=False, *, out):
    flops, moved = matmul(a, b, trans_a, trans_b, out=out)
    return flops + (2 if bias is not None else 1) * _size(out), moved + _nbytes(bias)  # (+ b), max(., 0)


def matmul_relu_mask(a, b, relu_output, trans_a=False, trans_b=False, *, out):
    flops, moved = matmul(a, b, trans_a, trans_b, out=out)
    return flops + _size(out), moved + _nbytes(relu_output)  # one select per output element


def matmul_batched(a, b, trans_a=False, trans_b=False, *, out):
    m, k = (a.shape[2], a.shape[1]) if trans_a else (a.shape[1], a.shape[2])
    n = b.shape[1] if trans_b else b.shape[2]
    return 2 * a.shape[0] * m * n * k, _nbytes(a, b, out)


def take_rows(a, index, *, out):
    return 0, _nbytes(index) + 2 * _nbytes(out)  # each gathered byte read once and written once


def relu_forward(x, *, out):
    return _size(x), _nbytes(x, out)  # one max(x, 0) per element


def relu_backward(grad_output, x, *, out):
    return _size(x), _nbytes(grad_output, x, out)  # one select per element


def gelu_forward(x, approximate="none", *, out):
    return 20 * _size(x), _nbytes(x, out)  # an exp, a division, a degree-11 polynomial (csrc/cpu/gelu.cpp)


def gelu_backward(grad_output, x, approximate="none", *, out):
    return 22 * _size(x), _nbytes(grad_output, x, out)  # the same, the density, the product


def softmax_forward(x, variant=None, *, out):
    return 5 * _size(x), _nbytes(x, out)  # max, subtract, exp, sum, scale


def softmax_backward(grad_output, output, *, out):
    return 4 * _size(output), _nbytes(grad_output, output, out)  # row dot (2), subtract, multiply


def log_softmax_forward(x, *, out):
    return 5 * _size(x), _nbytes(x, out)  # max, subtract, exp, sum, subtract log-sum


def log_softmax_backward(grad_output, output, *, out):
    return 4 * _size(output), _nbytes(grad_output, output, out)  # row sum, exp, multiply, subtract


def cross_entropy_forward(logits, targets, *, out):
    return 5 * _size(logits), _nbytes(logits, targets, out)  # a log-softmax, then pick one per row


def cross_entropy_backward(logits, targets, grad_losses, *, out):
    return 6 * _size(logits), _nbytes(logits, targets, grad_losses, out)  # softmax again, - one-hot, scale


def cross_entropy_reduced(logits, targets, mean=True, *, out):
    return 6 * _size(logits), _nbytes(logits, targets, out)  # the losses, then one add per row


def cross_entropy_backward_scaled(logits, targets, scale, *, out):
    return 6 * _size(logits), _nbytes(logits, targets, out)


def cross_entropy_reduced_grad(logits, targets, mean=True, *, out):
    return 12 * _size(logits), _nbytes(logits, targets, *out)  # both of the above: (loss, dlogits)


def standardize_forward(x, outer, inner, eps, weight=None, bias=None, per_inner=False, *, out):
    """Per element: the sum, x - shift and its square (3), (x - mean) * scale + shift (2); x read, y written."""
    return 6 * _size(x), _nbytes(x, *out)


def standardize_backward(grad_output, x, mean, rstd, outer, inner, weight=None, per_inner=False, *, out):
    """Per element: sum(g), g * (x - mean) (3), then r * g - k2 - k3 * (x - mean) (4)."""
    return 8 * _size(x), _nbytes(grad_output, x, mean, rstd, *out)


def bias_add(x, bias, *, out):
    return _size(x), _nbytes(x, bias, out)


def bias_grad(grad_output, *, out):
    return _size(grad_output), _nbytes(grad_output, out)  # a column sum


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
    *,
    out,
):
    n = _size(param)
    flops = 2 * n  # p -= lr * d
    moved = 2 * _nbytes(param) + _nbytes(grad)  # param read and written, grad read
    if weight_decay:
        flops += 2 * n  # d = g + wd * p
    if momentum:
        flops += 3 * n + (2 * n if nesterov else 0)  # buf = momentum * buf + (1 - dampening) * d
        moved += 2 * _nbytes(momentum_buffer)
    return flops, moved


def adam_step(
    param, grad, exp_avg, exp_avg_sq, step, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, *, out
):
    n = _size(param)
    # m = b1 m + (1-b1) g (3), v = b2 v + (1-b2) g² (4), sqrt, + eps, divide, scale, subtract (5)
    flops = 12 * n + (2 * n if weight_decay else 0)
    return flops, 2 * _nbytes(param, exp_avg, exp_avg_sq) + _nbytes(grad)


def argmax(x, *, out):
    return _size(x), _nbytes(x, out)  # one comparison per element


def _conv_macs(grad_or_out, w_shape) -> int:
    """Multiply-adds of a convolution: one per output element and weight of its group,
    N·O·Ho·Wo · (C/groups)·kH·kW."""
    return _size(grad_or_out) * prod(w_shape[1:])


def conv2d_forward(
    x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None, *, out
):
    return 2 * _conv_macs(out, w.shape) + (_size(out) if bias is not None else 0), _nbytes(x, w, bias, out)


def conv2d_backward_input(
    grad_y, w, input_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None, *, out
):
    return 2 * _conv_macs(grad_y, w.shape), _nbytes(grad_y, w, out)


def conv2d_backward_weight(
    grad_y, x, weight_shape, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, variant=None, *, out
):
    return 2 * _conv_macs(grad_y, weight_shape), _nbytes(grad_y, x, out)


def conv2d_backward_bias(grad_y, *, out):
    return _size(grad_y), _nbytes(grad_y, out)


def max_pool2d_forward(x, kernel, stride=None, padding=(0, 0), dilation=(1, 1), ceil_mode=False, *, out):
    y = out[0] if isinstance(out, tuple) else out
    return _size(y) * kernel[0] * kernel[1], _nbytes(x, *(out if isinstance(out, tuple) else (out,)))


def max_pool2d_backward(grad_y, indices, input_shape, *, out):
    return _size(grad_y), _nbytes(grad_y, indices, out)  # one scatter-add per output


def avg_pool2d_forward(x, kernel, stride=None, padding=(0, 0), *args, out, **kwargs):
    return _size(out) * kernel[0] * kernel[1], _nbytes(x, out)


def avg_pool2d_backward(grad_y, input_shape, kernel, stride=None, padding=(0, 0), *args, out, **kwargs):
    return _size(grad_y) * kernel[0] * kernel[1], _nbytes(grad_y, out)


def adaptive_avg_pool2d_forward(x, output_size, *, out):
    return _size(x), _nbytes(x, out)  # every input element is added about once


def adaptive_avg_pool2d_backward(grad_y, input_shape, *, out):
    return _size(out), _nbytes(grad_y, out)


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
    *,
    out,
):
    """One call for many parameters: the sum of their sgd_step costs."""
    bufs = momentum_buffers if momentum_buffers is not None else [None] * len(params)
    total = [0, 0]
    for p, g, b in zip(params, grads, bufs):
        f, m = sgd_step(p, g, b, lr, momentum, dampening, weight_decay, nesterov, first_step, out=None)
        total[0] += f
        total[1] += m
    return tuple(total)


def adam_step_multi(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    steps,
    lr,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    weight_decay=0.0,
    *,
    out,
):
    """One call for many parameters: the sum of their adam_step costs."""
    total = [0, 0]
    for p, g, m, v, st in zip(params, grads, exp_avgs, exp_avg_sqs, steps):
        f, b = adam_step(p, g, m, v, st, lr, beta1, beta2, eps, weight_decay, out=None)
        total[0] += f
        total[1] += b
    return tuple(total)


def adadelta_step_multi(
    params, grads, square_avgs, acc_deltas, lr, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False, *, out
):
    """Per element: v = rho v + (1-rho) g² (4), two sqrt, + eps twice, divide, times g (6),
    u = rho u + (1-rho) dx² (4), p -= lr dx (2); param, square_avg, acc_delta read and written."""
    n = sum(_size(p) for p in params)
    flops = 16 * n + (2 * n if weight_decay else 0)
    return flops, sum(
        2 * _nbytes(p, v, u) + _nbytes(g) for p, g, v, u in zip(params, grads, square_avgs, acc_deltas)
    )


# entry name -> its formula: every function of the kernel-table contract but the transfers
# (asarray/to_numpy), plus the optional multi-tensor optimizer steps.
COSTS = {
    name: globals()[name]
    for name in protocol.FUNCTIONS + protocol.OPTIONAL_FUNCTIONS
    if name not in ("asarray", "to_numpy")
}

COMPUTE_BOUND = frozenset(
    {
        "matmul",
        "matmul_bias",
        "matmul_bias_relu",
        "matmul_relu_mask",
        "matmul_batched",
        "conv2d_forward",
        "conv2d_backward_input",
        "conv2d_backward_weight",
    }
)


def bound(entry: str) -> str:
    """'compute' (held against the FMA peak) or 'memory' (against the copy bandwidth)."""
    return "compute" if entry in COMPUTE_BOUND else "memory"


def cost(entry: str, args: tuple, kwargs: dict, out) -> tuple:
    """(flops, bytes) of one call of `entry`; (0, 0) when the formula cannot read the arguments."""
    try:
        flops, moved = COSTS[entry](*args, out=out, **kwargs)
    except (AttributeError, IndexError, TypeError, ValueError, KeyError):
        return 0, 0
    return int(flops), int(moved)
