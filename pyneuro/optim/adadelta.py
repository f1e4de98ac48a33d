"""Adadelta (Zeiler, 2012): a per-parameter step size from running averages, no tuned rate.

The update is torch.optim.Adadelta's (lr=1.0 by default, the classic MNIST example's optimizer):
    g  = grad + weight_decay * p                      (negated first if maximize)
    v  = rho v + (1 - rho) g^2                        (running mean of squared gradients)
    dx = sqrt(u + eps) / sqrt(v + eps) * g            (u: running mean of squared updates)
    u  = rho u + (1 - rho) dx^2
    p -= lr * dx
The ratio makes the step carry the units of p (Zeiler's argument): early on u is ~0, so steps
start at ~sqrt(eps)/|g| * g and grow as updates accumulate. Each parameter costs a handful of
in-place array passes (out=, no temporaries beyond one scratch array) on the backend's `xp`.
"""

from __future__ import annotations

from ..backends import table_for
from ..creation import zeros_like
from .optimizer import Optimizer


class Adadelta(Optimizer):
    """torch.optim.Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)."""

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        foreach=None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            capturable=capturable,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp = table_for(p).xp
                st = self.state.get(p)
                if not st:
                    st = self.state[p] = {"step": 0, "square_avg": zeros_like(p), "acc_delta": zeros_like(p)}
                st["step"] += 1
                w, v, u = p._data, st["square_avg"]._data, st["acc_delta"]._data
                g = -p.grad._data if group["maximize"] else p.grad._data
                if wd:
                    g = g + wd * w
                v *= rho  # v = rho v + (1 - rho) g^2
                tmp = xp.multiply(g, g)
                tmp *= 1 - rho
                v += tmp
                delta = xp.add(u, eps)  # dx = sqrt(u + eps) / sqrt(v + eps) * g
                xp.sqrt(delta, out=delta)
                xp.add(v, eps, out=tmp)
                xp.sqrt(tmp, out=tmp)
                delta /= tmp
                delta *= g
                u *= rho  # u = rho u + (1 - rho) dx^2
                xp.multiply(delta, delta, out=tmp)
                tmp *= 1 - rho
                u += tmp
                delta *= lr  # p -= lr dx
                w -= delta
        return loss
