"""Adadelta (Zeiler, 2012): a per-parameter step size from running averages, no tuned rate.

The update is torch.optim.Adadelta's (lr=1.0 by default, the classic MNIST example's optimizer):
    g  = grad + weight_decay * p                      (negated first if maximize)
    v  = rho v + (1 - rho) g^2                        (running mean of squared gradients)
    dx = sqrt(u + eps) / sqrt(v + eps) * g            (u: running mean of squared updates)
    u  = rho u + (1 - rho) dx^2
    p -= lr * dx
The ratio makes the step carry the units of p (Zeiler's argument): early on u is ~0, so steps
start at ~sqrt(eps)/|g| * g and grow as updates accumulate. On the cpu backend one C++ call
updates every parameter in one pass per element (adadelta_step_multi, csrc/cpu/simd_elementwise.h:
the classic MNIST ConvNet's 1.2M parameters in ~0.5 ms instead of ~4 ms). The NumPy backend's
form (backends/adadelta_xp.py, the reference) is a handful of in-place array passes per
parameter; backends without the fused kernel (numba, cuda) run it on their own `xp`.
"""

from __future__ import annotations

from ..backends import table_for
from ..backends.adadelta_xp import adadelta_blocked
from ..creation import zeros_like
from .optimizer import Optimizer, advance_step, check_hyper, new_step


class Adadelta(Optimizer):
    """torch.optim.Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)."""

    _scalar_state = ("step",)  # (torch's __setstate__ reads them: KeyError without them)
    _sparse_refusal = "Adadelta does not support sparse gradients"

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach=None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        check_hyper("learning rate", lr)
        check_hyper("rho value", rho, high=1.0)
        check_hyper("epsilon value", eps)
        check_hyper("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            hyper = (group["lr"], group["rho"], group["eps"], group["weight_decay"], group["maximize"])
            fused: dict = {}  # table -> the four lists of one adadelta_step_multi call
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state.get(p)
                if not st:
                    st = self.state[p] = {
                        "step": new_step(),
                        "square_avg": zeros_like(p),
                        "acc_delta": zeros_like(p),
                    }
                advance_step(st)
                arrays = (p._data, p.grad._data, st["square_avg"]._data, st["acc_delta"]._data)
                table = table_for(p)
                if hasattr(table, "adadelta_step_multi") and _fusable(arrays):
                    lists = fused.setdefault(table, ([], [], [], []))
                    for array, batch in zip(arrays, lists):
                        batch.append(array)
                else:
                    adadelta_blocked(table.xp, arrays, hyper)
                p._vc[0] += 1  # an in-place change: a graph that saved p refuses to backward
            for table, lists in fused.items():  # one kernel call for all of them (cpu backend)
                table.adadelta_step_multi(*lists, *hyper)
        return loss


def _fusable(arrays) -> bool:
    """Can the fused kernel update these in place: float32, and the three it writes contiguous?"""
    return all(a.dtype == "float32" for a in arrays) and all(arrays[i].flags.c_contiguous for i in (0, 2, 3))
