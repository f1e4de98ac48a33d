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
the classic MNIST ConvNet's 1.2M parameters in ~0.5 ms instead of ~4 ms). Elsewhere, and as the
reference, each parameter costs a handful of in-place array passes (out=) on the backend's `xp`,
run block by block so that they work in the cache (see BLOCK).
"""

from __future__ import annotations

from ..backends import table_for
from ..creation import zeros_like
from .optimizer import Optimizer, advance_step, check_hyper, new_step


class Adadelta(Optimizer):
    """torch.optim.Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)."""

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
            foreach=foreach,
            capturable=capturable,
            maximize=maximize,
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
                    _blocked(table.xp, arrays, hyper)
                p._vc[0] += 1  # an in-place change: a graph that saved p refuses to backward
            for table, lists in fused.items():  # one kernel call for all of them (cpu backend)
                table.adadelta_step_multi(*lists, *hyper)
        return loss


def _fusable(arrays) -> bool:
    """Can the fused kernel update these in place: float32, and the three it writes contiguous?"""
    return all(a.dtype == "float32" for a in arrays) and all(arrays[i].flags.c_contiguous for i in (0, 2, 3))


# Elements per block: the 4 arrays and 3 scratch blocks (7 x 128 KB) stay in the L2 cache
# through the ~16 passes of the update, which then read main memory once instead of 16 times.
BLOCK = 1 << 15


def _blocked(xp, arrays, hyper):
    """Run _update block by block over flat views on the host (one call for small, GPU or
    non-contiguous arrays, where blocking would not help or views would not write through)."""
    w = arrays[0]
    n = w.size
    host = getattr(xp, "__name__", "") == "numpy"
    if not host or n <= BLOCK or not all(a.flags.c_contiguous for a in arrays):
        _update(xp, *arrays, [xp.empty_like(w) for _ in range(3)], *hyper)
        return
    flat = [a.reshape(-1) for a in arrays]
    scratch = [xp.empty(BLOCK, dtype=w.dtype) for _ in range(3)]
    for i in range(0, n, BLOCK):
        j = min(n, i + BLOCK)
        _update(xp, *(a[i:j] for a in flat), [s[: j - i] for s in scratch], *hyper)


def _update(xp, w, grad, v, u, scratch, lr, rho, eps, weight_decay, maximize):
    """One Adadelta update, in place on w, v (square_avg) and u (acc_delta), with out= passes."""
    g, t, d = scratch
    if maximize:
        xp.negative(grad, out=g)
    elif weight_decay:
        g[...] = grad
    else:
        g = grad
    if weight_decay:  # g += weight_decay * w
        xp.multiply(w, weight_decay, out=t)
        g += t
    v *= rho  # v = rho v + (1 - rho) g^2
    xp.multiply(g, g, out=t)
    t *= 1 - rho
    v += t
    xp.add(u, eps, out=d)  # dx = sqrt(u + eps) / sqrt(v + eps) * g
    xp.sqrt(d, out=d)
    xp.add(v, eps, out=t)
    xp.sqrt(t, out=t)
    d /= t
    d *= g
    u *= rho  # u = rho u + (1 - rho) dx^2
    xp.multiply(d, d, out=t)
    t *= 1 - rho
    u += t
    if lr != 1:  # p -= lr dx
        d *= lr
    w -= d
