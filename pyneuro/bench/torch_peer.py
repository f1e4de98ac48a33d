"""PyTorch as an extra peer (`pyneuro bench --torch`): the same kernels through torch's CPU ops.

Inputs are shared with NumPy through torch.from_numpy (no copies). Each entry uses the
op PyTorch itself runs for that kernel: the autograd backward ops for softmax and
log_softmax (_softmax_backward_data), threshold_backward for ReLU, and torch.optim's
SGD / Adam (single-tensor path) for the optimizer steps.
"""

from __future__ import annotations

import numpy as np


def torch_impl():
    """The Impl of PyTorch (imports torch: only call when --torch was asked for)."""
    import torch

    from .runner import Impl

    def bind(kernel, args, kwargs):
        t_args = tuple(
            torch.from_numpy(a.copy() if kernel.in_place else a) if isinstance(a, np.ndarray) else a
            for a in args
        )
        return _CALLS[kernel.name](torch, t_args, kwargs)

    return Impl("torch", None, True, bind)


def _matmul(torch, args, kw):
    a, b = args
    a = a.T if kw["trans_a"] else a
    b = b.T if kw["trans_b"] else b
    return lambda: torch.matmul(a, b)


def _softmax_backward(torch, args, kw):
    g, y = args
    return lambda: torch.ops.aten._softmax_backward_data(g, y, 1, torch.float32)


def _log_softmax_backward(torch, args, kw):
    g, y = args
    return lambda: torch.ops.aten._log_softmax_backward_data(g, y, 1, torch.float32)


def _cross_entropy_backward(torch, args, kw):
    logits, targets, grad_losses = args
    # What autograd runs for F.cross_entropy(reduction='none'): nll_loss's backward (a scatter)
    # then log_softmax's backward; log_softmax is recomputed because the table's backward
    # takes the logits, not a saved output.

    def call():
        logp = torch.log_softmax(logits, 1)
        g = torch.zeros_like(logits)
        g.scatter_(1, targets[:, None], -grad_losses[:, None])
        return torch.ops.aten._log_softmax_backward_data(g, logp, 1, torch.float32)

    return call


def _sgd(torch, args, kw):
    param, grad, buf = args
    p = torch.nn.Parameter(param)
    p.grad = grad
    opt = torch.optim.SGD(
        [p],
        lr=kw["lr"],
        momentum=kw["momentum"],
        dampening=kw["dampening"],
        weight_decay=kw["weight_decay"],
        nesterov=kw["nesterov"],
        foreach=False,
    )
    opt.step()  # creates the momentum buffer, so the timed steps are steady-state steps
    return opt.step


def _adam(torch, args, kw):
    param, grad, m, v = args
    p = torch.nn.Parameter(param)
    p.grad = grad
    opt = torch.optim.Adam(
        [p],
        lr=kw["lr"],
        betas=(kw["beta1"], kw["beta2"]),
        eps=kw["eps"],
        weight_decay=kw["weight_decay"],
        foreach=False,
    )
    opt.step()
    return opt.step


_CALLS = {
    "matmul": _matmul,
    "softmax_forward": lambda torch, a, kw: lambda: torch.softmax(a[0], 1),
    "softmax_backward": _softmax_backward,
    "log_softmax_forward": lambda torch, a, kw: lambda: torch.log_softmax(a[0], 1),
    "log_softmax_backward": _log_softmax_backward,
    "cross_entropy_forward": lambda torch, a, kw: (
        lambda: torch.nn.functional.cross_entropy(a[0], a[1], reduction="none")
    ),
    "cross_entropy_backward": _cross_entropy_backward,
    "relu_forward": lambda torch, a, kw: lambda: torch.relu(a[0]),
    "relu_backward": lambda torch, a, kw: lambda: torch.ops.aten.threshold_backward(a[0], a[1], 0),
    "bias_add": lambda torch, a, kw: lambda: a[0] + a[1],
    "bias_grad": lambda torch, a, kw: lambda: a[0].sum(0),
    "sgd_step": _sgd,
    "adam_step": _adam,
    "argmax": lambda torch, a, kw: lambda: torch.argmax(a[0], 1),
}
