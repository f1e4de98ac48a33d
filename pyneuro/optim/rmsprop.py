"""RMSprop (Hinton's lecture 6e) and Adagrad (Duchi et al., 2011): per-element step sizes from
the history of squared gradients, as torch.optim.RMSprop and torch.optim.Adagrad compute them.

    RMSprop:  g = grad (+ weight_decay * p; negated first if maximize)
              v = alpha v + (1 - alpha) g^2                    (a running mean of g^2)
              centered: m = alpha m + (1 - alpha) g;  d = sqrt(v - m^2) + eps
              else:                                   d = sqrt(v) + eps
              momentum: b = momentum b + g / d;  p -= lr b
              else:                              p -= lr g / d
    Adagrad:  g = grad (+ weight_decay * p; negated first if maximize)
              s += g^2                                         (the whole history, never decays)
              p -= lr / (1 + (step - 1) lr_decay) * g / (sqrt(s) + eps)

Dividing by the root of a running mean of g^2 gives each weight a step of about lr, whatever
its gradient's scale; Adagrad's sum makes the steps shrink for weights that saw large
gradients. Each update is a few whole-array passes on the backend's `xp` (numpy or cupy),
in place on the parameter, whose version counter is then bumped as for every in-place change.
"""

from __future__ import annotations

from ..backends import table_for
from ..creation import full_like, zeros_like
from .optimizer import Optimizer, advance_step, check_fused, check_hyper, new_step, numeric
from .sparse_adam import sparse_adagrad_step


def _gradient(p, grad, weight_decay, maximize):
    g = -grad if maximize else grad
    return g + weight_decay * p if weight_decay else g


class RMSprop(Optimizer):
    """torch.optim.RMSprop(params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, maximize=False)."""

    _setstate_groups = {"momentum": 0}  # (torch's __setstate__ fills it in, whatever the default)
    _scalar_state = ("step",)  # (torch's __setstate__ reads them: KeyError without them)
    _sparse_refusal = "RMSprop does not support sparse gradients"

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach=None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("momentum value", momentum)
        check_hyper("weight_decay value", weight_decay)
        check_hyper("alpha value", alpha)
        defaults = dict(  # torch's key order (param_groups and state_dict print in it)
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in map(numeric, self.param_groups):
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state.get(p)
                if not st:
                    st = self.state[p] = {"step": new_step(), "square_avg": zeros_like(p)}
                    if momentum > 0:
                        st["momentum_buffer"] = zeros_like(p)
                    if centered:
                        st["grad_avg"] = zeros_like(p)
                advance_step(st)
                xp = table_for(p).xp
                w = p._data
                g = _gradient(w, p.grad._data, group["weight_decay"], group["maximize"])
                v = st["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                if centered:
                    m = st["grad_avg"]._data
                    m *= alpha
                    m += (1 - alpha) * g
                    d = xp.sqrt(v - m * m) + eps
                else:
                    d = xp.sqrt(v) + eps
                if momentum > 0:
                    b = st["momentum_buffer"]._data
                    b *= momentum
                    b += g / d
                    w -= lr * b
                else:
                    w -= lr * (g / d)
                p._vc[0] += 1
        return loss


class Adagrad(Optimizer):
    """torch.optim.Adagrad(params, lr=0.01, lr_decay=0, weight_decay=0,
    initial_accumulator_value=0, eps=1e-10, maximize=False)."""

    _scalar_state = ("step",)  # (torch's __setstate__ reads them: KeyError without them)

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach=None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused=None,
    ):
        check_hyper("learning rate", lr)
        check_hyper("lr_decay value", lr_decay)
        check_hyper("weight_decay value", weight_decay)
        check_hyper("initial_accumulator_value value", initial_accumulator_value)
        check_hyper("epsilon value", eps)
        check_fused(fused, foreach, differentiable)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch makes the state at construction
            for p in group["params"]:
                self.state[p] = {"step": new_step(), "sum": full_like(p, group["initial_accumulator_value"])}

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in map(numeric, self.param_groups):
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state.get(p)
                if not st:  # a group added after construction
                    st = self.state[p] = {
                        "step": new_step(),
                        "sum": full_like(p, group["initial_accumulator_value"]),
                    }
                step = advance_step(st)
                if p.grad.is_sparse:
                    if group["fused"]:
                        raise RuntimeError("`fused` does not support sparse grad or complex param")
                    sparse_adagrad_step(p, p.grad, st, step, group)
                    continue
                xp = table_for(p).xp
                w = p._data
                g = _gradient(w, p.grad._data, group["weight_decay"], group["maximize"])
                s = st["sum"]._data
                s += g * g
                clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
                w -= clr * (g / (xp.sqrt(s) + group["eps"]))
                p._vc[0] += 1
        return loss
