"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

The update is torch.optim.SGD's, computed by the backend's `sgd_step` kernel in place:
    g = grad + weight_decay * p
    buf = g (first step) or momentum * buf + (1 - dampening) * g
    g = g + momentum * buf (nesterov) or buf
    p -= lr * g
One fused pass over each parameter: no temporaries, no copies.
"""

from __future__ import annotations

from ..backends import table_for
from ..creation import empty_like
from ..tensor import Tensor
from .optimizer import Optimizer, _step_in_place, check_fused, numeric
from .sparse_adam import sparse_sgd_step


class SGD(Optimizer):
    """torch.optim.SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach=None,
        differentiable: bool = False,
        fused=None,
    ):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        check_fused(fused, foreach, differentiable)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,  # accepted for torch's signature: one code path here
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient.

        Parameters are batched by kernel table (and by first step, which sets the momentum
        buffer): a table with `sgd_step_multi` updates a whole batch in one call; a
        non-contiguous parameter, or a table without that entry, runs the per-parameter
        `sgd_step`. Either gives the same bits."""
        loss = self._closure_loss(closure)
        state = self.state
        for group in map(
            numeric, self.param_groups
        ):  # (a Tensor lr read as its value, as the kernels take it)
            lr = group["lr"]
            momentum = group["momentum"]
            dampening = group["dampening"] if momentum else 0.0
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"] if momentum else False
            maximize = group["maximize"]
            batches: dict = {}  # (table, first step) -> ([tensors], [param arrays], [grads], [buffers])
            tables: dict = {}  # (device, dtype) -> (table, has sgd_step_multi): one lookup per kind
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                data = p._data
                kind = (p.device, data.dtype)
                found = tables.get(kind)
                if found is None:
                    bk = table_for(p)
                    found = tables[kind] = (bk, hasattr(bk, "sgd_step_multi"))
                bk, has_multi = found
                try:
                    g = -grad._data if maximize else grad._data
                except AttributeError:  # a sparse .grad (Embedding(sparse=True)): only its rows change
                    if group["fused"]:
                        raise RuntimeError("`_fused_sgd` does not support sparse gradients") from None
                    sparse_sgd_step(p, grad, state, lr, momentum, dampening, nesterov, maximize, weight_decay)
                    continue
                buf_data, first = None, False
                if momentum:
                    entry = state.get(p)
                    buf = entry.get("momentum_buffer") if entry else None
                    first = buf is None
                    if first:
                        buf = empty_like(p)
                        state[p] = {"momentum_buffer": buf}
                    buf_data = buf._data
                if not (has_multi and data.flags.c_contiguous):
                    _step_in_place(
                        bk,
                        p,
                        g,
                        lambda d, gr, bk=bk, b=buf_data, first=first: bk.sgd_step(
                            d, gr, b, lr, momentum, dampening, weight_decay, nesterov, first
                        ),
                    )
                    continue
                g = g if g.flags.c_contiguous else bk.xp.ascontiguousarray(g)
                tensors, ps, gs, bufs = batches.setdefault((bk, first), ([], [], [], []))
                tensors.append(p)
                ps.append(data)
                gs.append(g)
                bufs.append(buf_data)
            for (bk, first), (tensors, ps, gs, bufs) in batches.items():
                bufs = bufs if momentum else None
                bk.sgd_step_multi(ps, gs, bufs, lr, momentum, dampening, weight_decay, nesterov, first)
                for t in tensors:
                    t._vc[0] += 1  # an in-place change: saved copies of p are now stale
        return loss
