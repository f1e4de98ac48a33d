"""Normalisations beside layer_norm and batch_norm (functional.py): group_norm, instance_norm
and local_response_norm, like torch.nn.functional's.

Each is written with differentiable Tensor ops (reshape, mean, sqrt, *, +), so autograd
differentiates it; no kernel of its own. Re-exported by pyneuro.functional.

Arrows: imports _errors, _shapes, autograd (no_grad), creation, functions and tensor; functional.py
imports this module.
"""

from __future__ import annotations

from ._errors import ArgumentError, ShapeError
from ._shapes import prod
from .autograd import no_grad
from .creation import zeros
from .functions import cat
from .tensor import Tensor


def _sizes(t: Tensor) -> list:
    return list(t.shape)


def _check_channel_vector(param: Tensor | None, c: int, name: str, input: Tensor) -> None:
    if param is not None and (param.ndim != 1 or param.shape[0] != c):
        raise ShapeError(
            f"Expected {name} to be a vector of size equal to the number of channels in input, but got "
            f"{name} of shape {_sizes(param)} and input of shape {_sizes(input)}"
        )


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels of (N, C, *) input into num_groups groups; normalise each group of
    each sample: (x - mean) / sqrt(var + eps) over its C / num_groups channels and all of *
    (var the biased variance, divided by n); then * weight + bias per channel, like torch.
    """
    if input.ndim < 2:
        raise ShapeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ShapeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{_sizes(input)} and num_groups={num_groups}"
        )
    _check_channel_vector(weight, c, "weight", input)
    _check_channel_vector(bias, c, "bias", input)
    spatial = prod(input.shape[2:])
    if n * c // num_groups * spatial == 1:  # torch's check (of its batch_norm view of the groups)
        raise ArgumentError(
            "Expected more than 1 value per channel when training, got input size "
            f"{[n * c // num_groups, num_groups] + _sizes(input)[2:]}"
        )
    groups = input.reshape(n, num_groups, c // num_groups * spatial)
    mean = groups.mean(dim=2, keepdim=True)
    centered = groups - mean
    var = (centered * centered).mean(dim=2, keepdim=True)
    out = (centered / (var + eps).sqrt()).reshape(input.shape)
    view = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(view)
    if bias is not None:
        out = out + bias.reshape(view)
    return out


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of (N, C, *) input over * alone, like torch.

    use_input_stats: each (sample, channel)'s own mean and biased variance normalise it; the
    running statistics (if given) move by `momentum` toward those means and unbiased
    variances averaged over the batch, in place. Otherwise the running statistics normalise.
    Then * weight + bias per channel.
    """
    if input.ndim < 2:
        raise ShapeError(f"instance_norm: expected input of shape (N, C, *), got {tuple(input.shape)}")
    c = input.shape[1]
    view = (1, c) + (1,) * (input.ndim - 2)
    if use_input_stats:
        spatial = prod(input.shape[2:])
        if spatial <= 1:
            raise ArgumentError(
                f"Expected more than 1 spatial element when training, got input size {input.shape}"
            )
        dims = tuple(range(2, input.ndim))
        mean = input.mean(dim=dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dim=dims, keepdim=True)
        if running_mean is not None and running_var is not None and input.shape[0]:
            with no_grad():
                batch_mean = mean.detach().reshape(-1, c).mean(dim=0)
                batch_var = var.detach().reshape(-1, c).mean(dim=0) * (spatial / (spatial - 1))
                running_mean.mul_(1 - momentum).add_(batch_mean * momentum)
                running_var.mul_(1 - momentum).add_(batch_var * momentum)
        out = centered / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise ArgumentError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        out = (input - running_mean.reshape(view)) / (running_var.reshape(view) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(view)
    if bias is not None:
        out = out + bias.reshape(view)
    return out


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """x_c / (k + alpha / size * sum of x_c'^2 over the `size` channels c' around c) ** beta,
    over dim 1 of (N, C, *) input (the window zero-padded: size // 2 before, (size - 1) // 2
    after), like torch.
    """
    if input.ndim < 3:
        raise ShapeError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    rest = tuple(input.shape[2:])
    square = input * input
    pieces = [square]
    if size // 2:
        pieces.insert(0, zeros((input.shape[0], size // 2) + rest, dtype=input.dtype, device=input.device))
    if (size - 1) // 2:
        pieces.append(zeros((input.shape[0], (size - 1) // 2) + rest, dtype=input.dtype, device=input.device))
    padded = cat(pieces, dim=1) if len(pieces) > 1 else square
    window = padded[:, 0:c]
    for offset in range(1, size):
        window = window + padded[:, offset : offset + c]
    div = (window * (alpha / size) + k) ** beta
    return input / div


__all__ = ["group_norm", "instance_norm", "local_response_norm"]
