"""Adamax, NAdam and RAdam: three variations on Adam, as torch.optim computes them.

All three keep Adam's running mean of the gradient, m = lerp(m, g, 1 - beta1), and change
what divides it:
    Adamax (Kingma & Ba, 2015, sec. 7):  u = max(beta2 u, |g| + eps)          (an infinity norm)
                                         p -= lr / (1 - beta1^t) * m / u
    NAdam (Dozat, 2016):  Nesterov momentum in Adam. With mu_t = beta1 (1 - 0.5 * 0.96^(t psi))
                          (psi = momentum_decay) and P_t = mu_1 ... mu_t,
                          v = beta2 v + (1 - beta2) g^2;  d = sqrt(v / (1 - beta2^t)) + eps
                          p -= lr (1 - mu_t) / (1 - P_t) * g / d + lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / d
    RAdam (Liu et al., 2020):  v as NAdam's; rho_inf = 2 / (1 - beta2) - 1,
                          rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t).
                          While rho_t <= 5 the variance estimate is too young: p -= lr m / (1 - beta1^t)
                          (plain momentum SGD); after that Adam's step times the rectification
                          r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
weight_decay adds weight_decay * p to g (L2), or with decoupled_weight_decay=True (NAdam,
RAdam) multiplies p by 1 - lr * weight_decay first, as AdamW does. maximize negates g.

Each update is a few whole-array passes on the backend's `xp`, in place on the parameter,
whose version counter is then bumped as for every in-place change. foreach, capturable and
differentiable are accepted and stored, as torch stores them; they change nothing here (step()
refuses capturable and differentiable where torch's does: optimizer._check_step_flags).
"""

from __future__ import annotations

from ..backends import table_for
from ..creation import zeros_like
from ..tensor import tensor
from .optimizer import Optimizer, advance_step, check_hyper, new_step, numeric, step_count


def check_adam_hypers(lr, betas, eps, weight_decay) -> None:
    """torch's constructor checks shared by the Adam family (ValueError "Invalid ...")."""
    check_hyper("learning rate", lr)
    check_hyper("epsilon value", eps)
    check_hyper("beta parameter at index 0", betas[0], high=1.0, high_open=True)
    check_hyper("beta parameter at index 1", betas[1], high=1.0, high_open=True)
    check_hyper("weight_decay value", weight_decay)


def lerp_(xp, a, b, weight: float) -> None:
    """a = a + weight * (b - a), in place, with torch.lerp's two formulas (the one that is
    exact at its end: from a when weight < 0.5, from b otherwise), so rounding matches torch."""
    if weight < 0.5:
        a += weight * (b - a)
    else:
        a[...] = b - (b - a) * (1 - weight)


def scalar_state(value: float):
    """A 0-d float32 tensor, as torch keeps per-parameter scalars (mu_product, eta, mu) in state."""
    return tensor(value)


class _AdamVariant(Optimizer):
    """Shared loop: for each parameter with a gradient, make its state, then call _update."""

    _scalar_state = ("step",)  # (torch's __setstate__ reads them: KeyError without them)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in map(numeric, self.param_groups):
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state.get(p)
                if not st:
                    st = self.state[p] = self._new_state(p)
                advance_step(st)
                xp = table_for(p).xp
                w = p._data
                g = -p.grad._data if group["maximize"] else p.grad._data
                self._update(xp, w, g, st, group)
                p._vc[0] += 1  # an in-place change: a graph that saved p refuses to backward
        return loss

    def _new_state(self, p) -> dict:
        return {"step": new_step(), "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}


def _decay(w, g, group):
    """Weight decay: L2 (g + wd * p, returned) or decoupled (p *= 1 - lr * wd, in place)."""
    wd = group["weight_decay"]
    if wd == 0:
        return g
    if group.get("decoupled_weight_decay", False):
        w *= 1 - group["lr"] * wd
        return g
    return g + wd * w


class Adamax(_AdamVariant):
    """torch.optim.Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    foreach=None, *, maximize=False, differentiable=False, capturable=False)."""

    _sparse_refusal = "Adamax does not support sparse gradients"

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach=None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ):
        check_adam_hypers(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _new_state(self, p) -> dict:
        return {"step": new_step(), "exp_avg": zeros_like(p), "exp_inf": zeros_like(p)}

    def _update(self, xp, w, g, st, group):
        beta1, beta2 = group["betas"]
        g = _decay(w, g, group)
        m, u = st["exp_avg"]._data, st["exp_inf"]._data
        lerp_(xp, m, g, 1 - beta1)
        u *= beta2
        xp.maximum(u, xp.abs(g) + group["eps"], out=u)
        clr = group["lr"] / (1 - beta1 ** step_count(st))
        w += (-clr * m) / u


class NAdam(_AdamVariant):
    """torch.optim.NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None, maximize=False,
    capturable=False, differentiable=False)."""

    _sparse_refusal = "NAdam does not support sparse gradients"
    _scalar_state = ("step", "mu_product")  # (torch's __setstate__ reads both: KeyError without them)

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach=None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ):
        check_adam_hypers(lr, betas, eps, weight_decay)
        check_hyper("momentum_decay value", momentum_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _new_state(self, p) -> dict:
        return {
            "step": new_step(),
            "mu_product": scalar_state(1.0),
            "exp_avg": zeros_like(p),
            "exp_avg_sq": zeros_like(p),
        }

    def _update(self, xp, w, g, st, group):
        beta1, beta2 = group["betas"]
        lr, step, psi = group["lr"], step_count(st), group["momentum_decay"]
        g = _decay(w, g, group)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        product = st["mu_product"]._data
        product *= mu  # a float32 running product, as torch keeps it
        mu_product = float(product)
        m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
        lerp_(xp, m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        denom = xp.sqrt(v / (1 - beta2**step)) + group["eps"]
        w += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        w += (-lr * mu_next / (1.0 - mu_product * mu_next)) * m / denom


class RAdam(_AdamVariant):
    """torch.optim.RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
    differentiable=False)."""

    _sparse_refusal = "RAdam does not support sparse gradients"

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach=None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ):
        check_adam_hypers(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update(self, xp, w, g, st, group):
        beta1, beta2 = group["betas"]
        lr, step = group["lr"], step_count(st)
        g = _decay(w, g, group)
        m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
        lerp_(xp, m, g, 1 - beta1)
        v *= beta2
        v += (1 - beta2) * g * g
        bias_correction2 = 1 - beta2**step
        corrected = m / (1 - beta1**step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = (bias_correction2**0.5) / (xp.sqrt(v) + group["eps"])
            w -= corrected * lr * adaptive * rect
        else:
            w -= corrected * lr
