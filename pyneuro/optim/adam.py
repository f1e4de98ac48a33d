"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019).

The update is torch.optim.Adam's, computed by the backend's `adam_step` kernel in place:
    g = grad + weight_decay * p                       (Adam's L2 penalty)
    m = beta1 m + (1 - beta1) g ;  v = beta2 v + (1 - beta2) g^2
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
AdamW instead decays the weights directly (p *= 1 - lr * weight_decay) before the step.
amsgrad=True (Reddi et al., 2018) divides by the running maximum of v instead of v:
    v_max = max(v_max, v);  p -= lr / (1 - beta1^t) * m / (sqrt(v_max) / sqrt(1 - beta2^t) + eps)
which the kernel does not cover, so that variant runs as array operations.
"""

from __future__ import annotations

from ..autograd import no_grad
from ..backends import table_for
from ..creation import zeros_like
from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    _step_in_place,
    advance_step,
    check_fused,
    check_hyper,
    new_step,
    numeric,
    step_count,
)


class Adam(Optimizer):
    """torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
    *, maximize=False, decoupled_weight_decay=False): decoupled_weight_decay=True is AdamW.
    foreach, capturable, differentiable and fused are accepted and kept in the groups, as torch
    keeps them; they change nothing here (one code path, no CUDA graphs, no higher-order grads),
    except that step() refuses capturable and differentiable where torch's does
    (optimizer._check_step_flags)."""

    _scalar_state = ("step",)  # (torch's __setstate__ reads them: KeyError without them)
    _sparse_refusal = "Adam does not support sparse gradients, please consider SparseAdam instead"

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach=None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused=None,
        decoupled_weight_decay: bool = False,
    ):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("beta parameter at index 0", betas[0], high=1.0, high_open=True)
        check_hyper("beta parameter at index 1", betas[1], high=1.0, high_open=True)
        check_hyper("weight_decay value", weight_decay)
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        check_fused(fused, foreach, differentiable)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=bool(amsgrad),
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in map(
            numeric, self.param_groups
        ):  # (a Tensor lr read as its value, as the kernels take it)
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            batches: dict = {}  # table -> the argument lists of one adam_step_multi call
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad._data if group["maximize"] else p.grad._data
                st = self.state.get(p)
                if not st:
                    st = self.state[p] = {
                        "step": new_step(),
                        "exp_avg": zeros_like(p),
                        "exp_avg_sq": zeros_like(p),
                    }
                    if group["amsgrad"]:
                        st["max_exp_avg_sq"] = zeros_like(p)
                step = advance_step(st)
                if group.get("decoupled_weight_decay", False):
                    if weight_decay:
                        with no_grad():
                            p.mul_(1 - lr * weight_decay)
                    wd = 0.0
                else:
                    wd = weight_decay
                if group["amsgrad"]:
                    _amsgrad_step(p, st, lr, beta1, beta2, eps, wd, group["maximize"])
                    continue
                bk = table_for(p)
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                if not (p._data.flags.c_contiguous and hasattr(bk, "adam_step_multi")):
                    # a non-contiguous parameter, or a table without the multi-tensor entry
                    _step_in_place(
                        bk,
                        p,
                        g,
                        lambda d, gr, bk=bk, m=m, v=v, step=step, wd=wd: bk.adam_step(
                            d, gr, m, v, step, lr, beta1, beta2, eps, wd
                        ),
                    )
                    continue
                g = g if g.flags.c_contiguous else bk.xp.ascontiguousarray(g)
                args = batches.setdefault((bk, wd), ([], [], [], [], [], []))
                for lst, item in zip(args, (p, p._data, g, m, v, step)):
                    lst.append(item)
            for (bk, wd), (tensors, ps, gs, ms, vs, steps) in batches.items():
                bk.adam_step_multi(ps, gs, ms, vs, steps, lr, beta1, beta2, eps, wd)  # one kernel call
                for t in tensors:
                    t._vc[0] += 1  # an in-place change: saved copies of p are now stale
        return loss


def _amsgrad_step(p, st, lr, beta1, beta2, eps, weight_decay, maximize):
    """Adam's update with v replaced by its running maximum (torch's amsgrad), in place,
    written with Tensor ops (no fused kernel for this variant)."""
    with no_grad():
        grad = -p.grad if maximize else p.grad
        g = grad + weight_decay * p if weight_decay else grad
        m, v = st["exp_avg"], st["exp_avg_sq"]
        if "max_exp_avg_sq" not in st:  # amsgrad switched on after some steps
            st["max_exp_avg_sq"] = zeros_like(p)
        v_max = st["max_exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        v_max.copy_(v_max.maximum(v))
        step = step_count(st)
        denom = v_max.sqrt() / ((1 - beta2**step) ** 0.5) + eps
        p -= (lr / (1 - beta1**step)) * (m / denom)


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (default weight_decay=0.01)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach=None,
        capturable: bool = False,
        differentiable: bool = False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
