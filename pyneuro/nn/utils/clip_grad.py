"""Gradient clipping, as torch.nn.utils.clip_grad: the joint norm of many tensors (get_total_norm),
scaling gradients down to a norm (clip_grads_with_norm_), both in one call (clip_grad_norm_), and
clamping each gradient element (clip_grad_value_).

loss.backward()
nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
optimizer.step()

`foreach` is accepted for torch's signatures; pyneuro always takes the one loop below.
"""

from __future__ import annotations

import types
import warnings

from ...autograd import no_grad
from ...creation import tensor
from ...functions import stack
from ...tensor import Tensor


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters) -> list:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def _refuse_sparse(tensors, op: str) -> None:
    """torch has no sparse kernel for these (a sparse .grad of Embedding(sparse=True)): NotImplementedError."""
    for t in tensors:
        if t.is_sparse:
            raise NotImplementedError(
                f"Could not run 'aten::{op}' with arguments from the 'SparseCPU' backend. This could be because "
                "the operator doesn't exist for this backend, or was omitted during the selective/custom build process"
            )


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """The norm of all the tensors together, as if they were one vector: the norm of their norms.

    norm_type may be float('inf') (or 'inf'): the largest absolute value. error_if_nonfinite:
    RuntimeError when the total is nan or inf.
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)  # torch takes 'inf' as a string too
    if not tensors:
        return tensor(0.0)
    _refuse_sparse(tensors, "linalg_vector_norm")
    with no_grad():
        norms = stack([t.norm(norm_type) for t in tensors])
        total = norms.amax() if norm_type == float("inf") else norms.norm(norm_type)
    if error_if_nonfinite and not bool(total.isfinite()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None) -> None:
    """Multiply every gradient in place by min(1, max_norm / (total_norm + 1e-6))."""
    grads = _grads(parameters)
    max_norm = float(max_norm)  # (first, as torch: max_norm=None is TypeError with no gradient too)
    if not grads:
        return
    with no_grad():
        coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm; return that norm
    (get_total_norm of the gradients, then clip_grads_with_norm_)."""
    if not isinstance(parameters, Tensor):
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator is read twice below
        if is_generator and not parameters:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2
            )
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """Deprecated name of clip_grad_norm_ (warns FutureWarning, as torch)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)  # (first, as torch: None is TypeError with no gradient too)
    grads = _grads(parameters)
    _refuse_sparse(grads, "clamp_")
    with no_grad():
        for g in grads:
            g.clamp_(-clip_value, clip_value)


__all__ = ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]
