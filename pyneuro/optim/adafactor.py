"""Adafactor (Shazeer & Stern, 2018) as torch.optim.Adafactor computes it.

Adam's second moment costs as much memory as the parameter. Adafactor keeps, for a matrix
(the last two dimensions of a parameter with more than one), only the running means of g^2
along each row and each column, and rebuilds the full estimate as their outer product:
    row = lerp(row, mean(g^2, -1), 1 - beta2_t) ;  col = lerp(col, mean(g^2, -2), 1 - beta2_t)
    v   = row @ col / max(mean(row, -2), eps1)          (a vector keeps v = lerp(v, g^2, .) itself)
with 1 - beta2_t = t^beta2_decay (so beta2 grows towards 1). The step is relative to the
parameter's size and clipped:
    u = g / sqrt(max(v, eps1^2)) ;  u /= max(1, rms(u) / d)
    p -= max(eps2, rms(p)) * min(lr, 1 / sqrt(t)) * u
after the decoupled weight decay p *= 1 - lr * weight_decay. There is no first moment.
"""

from __future__ import annotations

import numpy as np

from ..backends import table_for
from ..creation import zeros
from ..tensor import Tensor
from .adam_variants import lerp_
from .optimizer import Optimizer, advance_step, new_step


class Adafactor(Optimizer):
    """torch.optim.Adafactor(params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
    weight_decay=0.0, *, foreach=None, maximize=False): eps = (eps1, eps2), eps1 None meaning
    the parameter dtype's machine epsilon; foreach is kept in the groups and changes nothing."""

    _scalar_state = ("step",)  # (torch's __setstate__ reads them: KeyError without them)
    _sparse_refusal = "Adafactor does not support sparse gradients"

    _whole_model_state = ("row_var", "col_var")  # factored: not shaped like the parameter

    def __init__(
        self,
        params,
        lr=1e-2,
        beta2_decay: float = -0.8,
        eps=(None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach=None,
        maximize: bool = False,
    ):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        for ok, message in (
            (0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}"),
            (0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}"),
            (eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}"),
            (0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}"),
            (1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}"),
            (0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}"),
        ):
            if not ok:
                raise ValueError(message)
        defaults = dict(
            lr=lr,
            beta2_decay=beta2_decay,
            eps=eps,
            d=d,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state.get(p)
                if not st:
                    st = self.state[p] = {"step": new_step()}
                    if p.grad.ndim > 1:
                        st["row_var"] = zeros(*p.shape[:-1], 1, dtype=p.dtype, device=p.device)
                        st["col_var"] = zeros(*p.shape[:-2], 1, p.shape[-1], dtype=p.dtype, device=p.device)
                    else:
                        st["variance"] = zeros(tuple(p.shape), dtype=p.dtype, device=p.device)
                t = float(advance_step(st))
                _update(table_for(p).xp, p, st, group, lr, t)
                p._vc[0] += 1  # an in-place change: a graph that saved p refuses to backward
        return loss


def _update(xp, p, st, group, lr: float, t: float) -> None:
    w = p._data
    g = -p.grad._data if group["maximize"] else p.grad._data
    eps1, eps2 = group["eps"]
    if eps1 is None:
        eps1 = float(np.finfo(w.dtype).eps)
    beta = t ** group["beta2_decay"]  # 1 - beta2_t
    alpha = max(eps2, float(xp.sqrt((w * w).sum())) / (w.size**0.5)) * min(lr, 1 / (t**0.5))
    if group["weight_decay"] != 0:
        w *= 1 - lr * group["weight_decay"]
    if g.ndim > 1:
        row, col = st["row_var"]._data, st["col_var"]._data
        lerp_(xp, row, xp.sqrt((g * g).sum(-1, keepdims=True)) ** 2 / g.shape[-1], beta)
        lerp_(xp, col, xp.sqrt((g * g).sum(-2, keepdims=True)) ** 2 / g.shape[-2], beta)
        estimate = (row @ col) / xp.maximum(row.mean(-2, keepdims=True), eps1)
    else:
        variance = st["variance"]._data
        lerp_(xp, variance, g * g, beta)
        estimate = variance.copy()
    update = g / xp.sqrt(xp.maximum(estimate, eps1 * eps1))
    denom = max(1.0, float(xp.sqrt((update * update).sum())) / ((update.size**0.5) * group["d"]))
    w -= (alpha / denom) * update
