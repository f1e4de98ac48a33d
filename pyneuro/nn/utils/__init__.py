"""pyneuro.nn.utils: gradient clipping and parameter vectors, as torch.nn.utils
(clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters), weight_norm and
spectral_norm (weight_norms.py), and pyneuro.nn.utils.rnn (pad_sequence, PackedSequence, pack_padded_sequence, ...).

loss.backward()
nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
optimizer.step()
"""

from __future__ import annotations

from ...autograd import no_grad
from ...functions import cat, stack
from ...tensor import Tensor
from . import rnn
from .weight_norms import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm


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
    norm_type = float(norm_type)  # torch takes 'inf' as a string too
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


def _same_device(param, device):
    """The parameters' one device (torch: TypeError for parameters on two devices)."""
    if device is not None and str(param.device) != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return str(param.device)


def _typename(obj) -> str:
    cls = type(obj)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    device, flat = None, []
    for param in parameters:
        device = _same_device(param, device)
        flat.append(param.reshape(-1))
    return cat(flat)


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters (their .data), in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    device, pointer = None, 0
    for param in parameters:
        device = _same_device(param, device)
        n = param.numel()
        param.data = vec[pointer : pointer + n].view_as(param).data
        pointer += n


__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
    "rnn",
    "weight_norm",
    "remove_weight_norm",
    "spectral_norm",
    "remove_spectral_norm",
]
