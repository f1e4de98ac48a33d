"""pyneuro.nn.utils: gradient clipping, as torch.nn.utils (clip_grad_norm_, clip_grad_value_).

loss.backward()
nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
optimizer.step()
"""

from __future__ import annotations

from ..autograd import no_grad
from ..functions import stack
from ..tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm; return that norm.

    The total norm is the norm of the per-parameter norms (as if all gradients were one
    vector); each gradient is multiplied in place by min(1, max_norm / (total + 1e-6)).
    """
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    with no_grad():
        norms = stack([g.norm(norm_type) for g in grads])
        total = norms.amax() if norm_type == float("inf") else norms.norm(norm_type)
        if error_if_nonfinite and not bool(total.isfinite()):
            raise RuntimeError(
                f"The total norm of order {float(norm_type)} for gradients from `parameters` is non-finite, "
                "so it cannot be clipped. To disable this error and scale the gradients by the "
                "non-finite norm anyway, set `error_if_nonfinite=False`"
            )
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


__all__ = ["clip_grad_norm_", "clip_grad_value_"]
