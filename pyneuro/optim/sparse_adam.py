"""Sparse gradients in the optimizers: torch.optim.SparseAdam, and the sparse updates of SGD and Adagrad.

An Embedding(sparse=True) leaves a sparse COO .grad (rows `indices` (1, nnz) of `values`
(nnz, D), repeats adding up). The updates below touch only those rows, as torch's do:

    SGD        p[rows] -= lr * g (momentum: a sparse buffer, buf = momentum * buf + (1 - dampening) * g)
    Adagrad    on the coalesced g: sum[rows] += g^2;  p[rows] -= clr * g / (sqrt(sum[rows]) + eps)
    SparseAdam on the coalesced g: m[rows], v[rows] updated as Adam's, p[rows] -= step_size * m / (sqrt(v) + eps)
               (rows not in g keep their moments: no decay, unlike Adam's dense update)

weight_decay needs the dense parameter, so SGD and Adagrad refuse it with a sparse gradient, in
torch's words. Every other optimizer refuses a sparse gradient at step() (Optimizer._sparse_refusal).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import _scatter_add
from ..backends import table_for
from ..creation import zeros_like
from .optimizer import Optimizer, numeric


def _rows(grad) -> tuple:
    """The index arrays of a sparse tensor's entries, one per sparse dim (for a[rows] and scatter-adds)."""
    idx = grad._idx._data
    return tuple(idx[d] for d in range(idx.shape[0]))


def _add_rows(target, rows, values) -> None:
    """target[rows] += values for the unique rows of a coalesced gradient: O(nnz D), not O(V D).
    Host arrays add through the index; a device backend's arrays take a scatter-add (they have
    gathers and scatter-adds, no assignment through index arrays)."""
    xp = table_for(target).xp
    if xp is np:
        target._data[rows] += values
    else:
        _scatter_add(xp, target._data, rows, values)
    target._vc[0] += 1


def add_sparse_(p, grad, alpha) -> None:
    """p += alpha * grad for a sparse grad, in place (repeated rows summed first, by coalesce())."""
    if grad._nnz():
        grad = grad.coalesce()
        _add_rows(p, _rows(grad), grad._vals._data * alpha)


def sparse_sgd_step(p, grad, state, lr, momentum, dampening, nesterov, maximize, weight_decay) -> None:
    """torch's single-tensor SGD with a sparse grad (its momentum buffer is sparse too)."""
    g = -grad if maximize else grad
    if weight_decay != 0:  # torch: grad.add(param) of a sparse grad and the dense parameter
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
    if momentum:
        entry = state.get(p)
        buf = entry.get("momentum_buffer") if entry else None
        if buf is None:
            buf = g.detach().clone()
            state[p] = {"momentum_buffer": buf}
        else:  # (coalesced, so that the buffer keeps one entry per row)
            merged = buf.mul_(momentum).add_(g, alpha=1 - dampening).coalesce()
            buf._idx, buf._vals, buf._coalesced = merged._idx, merged._vals, True
        g = g.add(buf, alpha=momentum) if nesterov else buf
    add_sparse_(p, g, -lr)


def sparse_adagrad_step(p, grad, st, step, group) -> None:
    """torch's single-tensor Adagrad with a sparse grad: the rows of the coalesced gradient only."""
    g = -grad if group["maximize"] else grad
    if group["weight_decay"] != 0:
        raise RuntimeError("weight_decay option is not compatible with sparse gradients")
    clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
    g = g.coalesce()
    if g._nnz() == 0:
        return
    rows, values = _rows(g), g._vals._data
    _add_rows(st["sum"], rows, values * values)
    std = table_for(p).xp.sqrt(st["sum"]._data[rows]) + group["eps"]
    _add_rows(p, rows, (-clr) * (values / std))


class SparseAdam(Optimizer):
    """torch.optim.SparseAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
    Adam for sparse gradients (every parameter with a gradient must have a sparse one)."""

    _setstate_flags = False  # (torch's SparseAdam has no __setstate__: a loaded group keeps what it has)

    def __init__(
        self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, maximize: bool = False
    ):
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        sparse_params, complex_params = [], []
        for index, group in enumerate(self.param_groups):
            for d_index, p in enumerate(group["params"]):
                if p.is_sparse:
                    sparse_params.append([index, d_index])
                if p.is_complex():
                    complex_params.append([index, d_index])
        if sparse_params:
            raise ValueError(
                f"Sparse params at indices {sparse_params}: SparseAdam requires dense parameter tensors"
            )
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support complex parameters"
            )

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in map(numeric, self.param_groups):
            beta1, beta2 = group["betas"]
            lr, eps, maximize = group["lr"], group["eps"], group.get("maximize", False)
            updates = []
            for p in group["params"]:  # (torch checks every gradient before it updates any)
                if p.grad is None:
                    continue
                if not p.grad.is_sparse:
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider Adam instead"
                    )
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                state["step"] += 1
                updates.append((p, state))
            for p, state in updates:
                _sparse_adam(p, p.grad, state, lr, beta1, beta2, eps, maximize)
        return loss


def _sparse_adam(p, grad, state, lr, beta1, beta2, eps, maximize) -> None:
    """torch.optim._functional.sparse_adam for one parameter, on the rows of the coalesced gradient."""
    g = (-grad if maximize else grad).coalesce()
    if g._nnz() == 0:
        return
    rows, values = _rows(g), g._vals._data
    old_m, old_v = state["exp_avg"]._data[rows], state["exp_avg_sq"]._data[rows]
    m_update = (values - old_m) * (1 - beta1)  # (torch's: old += (1 - b) * (new - old))
    v_update = (values**2 - old_v) * (1 - beta2)
    _add_rows(state["exp_avg"], rows, m_update)
    _add_rows(state["exp_avg_sq"], rows, v_update)
    numer, v = m_update + old_m, v_update + old_v
    step = state["step"]
    step_size = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
    _add_rows(p, rows, (-step_size) * (numer / (table_for(p).xp.sqrt(v) + eps)))
