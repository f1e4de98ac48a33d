"""Rprop (Riedmiller & Braun, 1993) and ASGD (Polyak & Juditsky, 1992), as torch.optim computes them.

    Rprop: only the sign of the gradient is used. Each weight has its own step size s
           (starting at lr): where g keeps its sign from the last step, s *= etaplus; where it
           flips, s *= etaminus and that weight skips this step (its g counts as 0, so the
           next step does not see a flip again); s stays within step_sizes = (min, max).
               p -= sign(g) * s
    ASGD:  SGD with a decaying rate eta and a running average ax of the iterates:
               p *= 1 - lambd * eta;  p -= eta * g
               ax = p (while t <= t0), then ax += (p - ax) * mu
               eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)
           (ax is what Polyak averaging would evaluate; the optimizer itself steps p.)
maximize negates g. Updates are whole-array passes on the backend's `xp`, in place.
"""

from __future__ import annotations

from ..backends import table_for
from ..creation import full_like, zeros_like
from .adam_variants import scalar_state
from .optimizer import Optimizer, advance_step, check_hyper, new_step


class Rprop(Optimizer):
    """torch.optim.Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
    capturable=False, foreach=None, maximize=False, differentiable=False)."""

    _scalar_state = ("step",)  # (torch's __setstate__ reads them: KeyError without them)
    _sparse_refusal = "Rprop does not support sparse gradients"

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable: bool = False,
        foreach=None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        check_hyper("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            low, high = group["step_sizes"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state.get(p)
                if not st:
                    st = self.state[p] = {
                        "step": new_step(),
                        "prev": zeros_like(p),
                        "step_size": full_like(p, group["lr"]),
                    }
                advance_step(st)
                xp = table_for(p).xp
                g = -p.grad._data if group["maximize"] else p.grad._data.copy()
                prev, size = st["prev"]._data, st["step_size"]._data
                agree = g * prev
                factor = xp.where(agree > 0, etaplus, xp.where(agree < 0, etaminus, 1)).astype(size.dtype)
                size *= factor
                xp.clip(size, low, high, out=size)
                g = xp.where(agree < 0, 0.0, g).astype(
                    g.dtype
                )  # a flipped sign: no step for that weight this time
                sign = xp.sign(g)
                p._data -= xp.where(sign == sign, sign, 0.0) * size  # (torch's sign(NaN) is 0: no step)
                prev[...] = g
                p._vc[0] += 1
        return loss


class ASGD(Optimizer):
    """torch.optim.ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
    foreach=None, maximize=False, differentiable=False, capturable=False)."""

    _scalar_state = ("step", "eta", "mu")  # (torch's __setstate__ reads them: KeyError without them)
    _sparse_refusal = "ASGD does not support sparse gradients"

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach=None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ):
        check_hyper("learning rate", lr)
        check_hyper("weight_decay value", weight_decay)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state.get(p)
                if not st:
                    st = self.state[p] = {
                        "step": new_step(),
                        "eta": scalar_state(lr),
                        "mu": scalar_state(1.0),
                        "ax": zeros_like(p),
                    }
                step = advance_step(st)
                w = p._data
                g = -p.grad._data if group["maximize"] else p.grad._data
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * w
                eta, mu = float(st["eta"]._data), float(st["mu"]._data)
                w *= 1 - lambd * eta
                w += -eta * g
                ax = st["ax"]._data
                if mu != 1:
                    ax += (w - ax) * mu
                else:
                    ax[...] = w
                st["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                st["mu"]._data[...] = 1 / max(1, step - t0)
                p._vc[0] += 1
        return loss
