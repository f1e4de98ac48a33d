"""Parameters as one flat vector and back (torch.nn.utils.convert_parameters): what optimisers
that work on a single vector (L-BFGS, natural gradient, evolution strategies) need."""

from __future__ import annotations

from ...functions import cat
from ...tensor import Tensor


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


__all__ = ["parameters_to_vector", "vector_to_parameters"]
