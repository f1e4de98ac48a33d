"""Normalisations, like torch.nn.functional's: layer_norm, batch_norm, group_norm, instance_norm
and local_response_norm.

The first four are one rule over different dims: (x - mean) / sqrt(var + eps), var the biased
variance (divided by n), then * weight + bias (`_standardize`, `_affine`); batch_norm and
instance_norm may instead normalise with running statistics, which training moves by
`momentum` toward the batch's (`_running`). The standardization is one node
(autograd/norm.py: Standardize), and with the backend's standardize kernels the affine joins
it (StandardizeAffine, `_standardize_affine`); the rest is differentiable Tensor ops.
Re-exported by pyneuro.functional. One exception at the end: nn.CrossMapLRN2d's legacy op
(cross_map_lrn2d, the CrossMapLRN node), whose backward is torch's hand-written one.

Arrows: imports _errors, _shapes, autograd (no_grad), creation, functional_conv (int_list), functions
and tensor; functional.py imports this module.
"""

from __future__ import annotations

from ._dtype import float16, float32, torch_name
from ._errors import ArgumentError, DTypeError, NotATensor, ShapeError, ZeroDivision
from ._shapes import prod
from ._tensor_base import TensorBase, _wrap
from .autograd import named, no_grad
from .autograd.custom import transforms
from .autograd.function import Function
from .autograd.norm import RunningNorm, Standardize, StandardizeAffine, affine_view
from .autograd.stand_in import follows
from .creation import zeros
from .functional_activation import _need_float
from .functional_conv import int_list
from .functions import cat
from .tensor import Tensor


def _standardize(x: Tensor, dims, eps: float):
    """((x - mean) / sqrt(var + eps), mean, var) over dims, var the biased variance: one node
    (autograd/norm.py); mean and var come back as tensors without a graph."""
    stats, dims = [], (dims,) if isinstance(dims, int) else dims
    out = Standardize.apply(x, dims=tuple(d % x.ndim for d in dims), eps=eps, stats=stats)
    mean, var = (_wrap(a, x.device) for a in stats)
    return out, mean, var


def _standardize_affine(x: Tensor, dims: tuple, eps: float, weight, bias, per_inner: bool = False):
    """(out, mean, var, fused): out = _standardize(x, dims, eps) * weight + bias as one node
    (StandardizeAffine, fused True) where the backend's standardize kernels run it, else
    _standardize's out without the affine (fused False: the caller applies it). Parameters
    per channel (dim 1), or with per_inner of the normalized trailing dims' shape."""
    view = affine_view(x, dims, weight, bias, per_inner)
    if view is None:
        return (*_standardize(x, dims, eps), False)
    stats = []
    out = StandardizeAffine.apply(
        x, weight, bias, dims=dims, eps=eps, stats=stats, view=view, per_inner=per_inner
    )
    mean, var = (_wrap(a, x.device) for a in stats)
    return out, mean, var, True


def _in_dtype_of(out: Tensor, input: Tensor) -> Tensor:
    """out.to(input.dtype) (a half input with float parameters stays half): out itself where it
    has that dtype already, as Tensor.to answers, without its argument parsing."""
    return out if out._data.dtype == input._data.dtype else out.to(input.dtype)


def _channel_view(x: Tensor) -> tuple:
    """The shape that lines a per-channel vector up with dim 1 of (N, C, *) input."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(out: Tensor, weight, bias, view=None) -> Tensor:
    """out * weight + bias (each optional), reshaped to view when given."""
    if weight is not None:
        out = out * (weight.reshape(view) if view else weight)
    if bias is not None:
        out = out + (bias.reshape(view) if view else bias)
    return out


def _running(input: Tensor, running_mean, running_var, eps: float, what: str, weight=None, bias=None):
    """(out, fused): input normalised with the running statistics (eval mode); with fused True the
    affine is applied too (one RunningNorm node: every tensor of input's dtype, the statistics
    constants, the parameters vectors), else the caller applies it."""
    if running_mean is None or running_var is None:
        raise ArgumentError(what)
    dtype, c = input.dtype, input.shape[1]
    params = [t for t in (weight, bias) if t is not None]
    if (
        all(t.dtype == dtype and t.ndim == 1 for t in params)
        and running_mean.dtype == running_var.dtype == dtype
        and not (running_mean.requires_grad or running_var.requires_grad)
        and running_mean.numel() == c  # (a single-channel (N, 1) input broadcasts any length otherwise)
    ):
        stats = {"mean": running_mean._data.reshape(-1), "var": running_var._data.reshape(-1), "eps": eps}
        return RunningNorm.apply(input, weight, bias, **stats), True
    view = _channel_view(input)
    return (input - running_mean.reshape(view)) / (running_var.reshape(view) + eps).sqrt(), False


def _move_toward(running: Tensor, batch, momentum: float, step: float) -> None:
    """running = (1 - momentum) running + step batch, in place on its array: torch's
    kernel updates the running statistics without counting a version, so an earlier forward's
    backward still runs (bn(x1); bn(x2); backward of both), where a change by the user raises."""
    arr = running._data
    try:
        arr *= 1 - momentum
        arr += batch * step
    except ValueError:  # (read-only memory: the in-place op's own error)
        with no_grad():
            running.mul_(1 - momentum)


def _sizes(t: Tensor) -> list:
    return list(t.shape)


def _check_channel_vector(param: Tensor | None, c: int, name: str, input: Tensor) -> None:
    if param is not None and (param.ndim != 1 or param.shape[0] != c):
        raise ShapeError(
            f"Expected {name} to be a vector of size equal to the number of channels in input, but got "
            f"{name} of shape {_sizes(param)} and input of shape {_sizes(input)}"
        )


def _check_mixed_dtype(input: Tensor, *params) -> None:
    """torch's CPU norms take float parameters with a half input, and otherwise the input's dtype only."""
    for t in params:
        if t is not None and t.dtype != input.dtype and not (t.dtype == float32 and input.dtype == float16):
            raise DTypeError("mixed dtype (CPU): all inputs must share same datatype.")


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """(x - mean) / sqrt(var + eps) over the last len(normalized_shape) dims, then * weight + bias.

    var is the biased variance (divided by n), as in torch.
    """
    if not isinstance(input, TensorBase):
        raise NotATensor(
            f"layer_norm(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    shape = int_list(normalized_shape, "layer_norm", "normalized_shape", 2)  # nn.LayerNorm also takes an int
    if not shape:
        raise ArgumentError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but "
            f"got normalized_shape = {list(shape)}"
        )
    nd = input._data.ndim
    if input._data.shape[nd - len(shape) :] != shape:
        raise ShapeError(
            f"layer_norm: input of shape {tuple(input.shape)} does not end in normalized_shape {shape}"
        )
    _need_float(input, "LayerNormKernelImpl", device_suffix=False)
    _check_mixed_dtype(input, weight, bias)
    x = input.contiguous()  # as torch's kernel: the result is contiguous whatever the input's layout
    dims = tuple(range(nd - len(shape), nd))
    out, _, _, fused = _standardize_affine(x, dims, eps, weight, bias, per_inner=True)
    # (a half input with float parameters stays half)
    out = _in_dtype_of(out if fused else _affine(out, weight, bias), input)
    return named(out, "NativeLayerNormBackward0", reads=(input, weight, bias), shows=(input, weight, bias))


_VMAP_RUNNING_STATS = (
    "Batch norm got a batched tensor as input while the running_mean or running_var, which will be updated in "
    "place, were not batched.\nIf you are using a module and do not need eval mode, please set "
    "`track_running_stats` to be False.If you are using a prebuilt module and do not need eval mode, please see "
    "the functorch website for resources on how to patch your module to work with vmap"
)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) of (N, C) or (N, C, L) input, like torch's batch_norm.

    training: the batch's mean and biased variance normalise; the running statistics (if
    given) move toward the batch's mean and unbiased variance by `momentum`, in place.
    Otherwise the running statistics normalise.
    """
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C) or (N, C, L), got {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != c:  # torch's check, in its order and words
            raise ShapeError(f"{name} should contain {c} elements not {t.numel()}")
    if input.dtype.kind != "f":  # (torch's kernel has no integer version)
        raise NotImplementedError(f"\"batch_norm\" not implemented for '{torch_name(input.dtype)}'")
    _check_mixed_dtype(input, weight, bias, running_mean, running_var)
    if eps < 0 or training and eps == 0:  # (a negative eps makes the deviation NaN: every output NaN)
        raise ValueError(
            f"batch_norm eps must be {'positive during training' if training else 'non-negative'}, but got {eps}"
        )
    fused = False  # (the affine applied by the standardize node itself)
    if training:
        if (running_mean is None) != (running_var is None):
            raise ArgumentError("running_mean and running_var must either both be None or neither be None")
        n = input.numel() // c if c else 0
        if input.numel() == 0:  # an empty batch normalises to an empty batch (statistics untouched), as torch
            return named(
                _affine(input * 1, weight, bias, _channel_view(input)),
                "NativeBatchNormBackward0",
                shows=(input, weight, bias),
            )
        if n <= 1:
            raise ArgumentError(
                f"Expected more than 1 value per channel when training, got input size {input.shape}"
            )
        # (contiguous first, as torch's kernel: the result is contiguous whatever the input's layout)
        dims = (0,) + tuple(range(2, input.ndim))
        out, mean, var, fused = _standardize_affine(input.contiguous(), dims, eps, weight, bias)
        if running_mean is not None and running_var is not None:
            mapped = transforms.mapped  # inside torch.func.vmap: the tensors torch sees as batched
            if mapped is not None and not (id(running_mean) in mapped and id(running_var) in mapped):
                raise RuntimeError(_VMAP_RUNNING_STATS)
            _move_toward(running_mean, mean._data.reshape(c), momentum, momentum)
            _move_toward(running_var, var._data.reshape(c), momentum, momentum * n / (n - 1))
    else:
        out, fused = _running(
            input.contiguous(),
            running_mean,
            running_var,
            eps,
            "batch_norm: running_mean and running_var are needed when not training",
            weight,
            bias,
        )
    out = _in_dtype_of(out if fused else _affine(out, weight, bias, _channel_view(input)), input)
    # (torch's node saves the running statistics too, updated: a later change to them raises)
    return named(
        out,
        "NativeBatchNormBackward0",
        reads=(input, weight, running_mean, running_var),
        shows=(input, weight, bias),
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
    if num_groups == 0:
        raise ZeroDivision("integer division or modulo by zero")  # (torch's, a ZeroDivisionError)
    if num_groups < 0 or c % num_groups:
        raise ShapeError(
            "Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{_sizes(input)} and num_groups={num_groups}"
        )
    _check_channel_vector(weight, c, "weight", input)
    _check_channel_vector(bias, c, "bias", input)
    _check_mixed_dtype(input, weight, bias)
    _need_float(input, "GroupNormKernelImpl", device_suffix=False)
    spatial = prod(input.shape[2:])
    if n * c // num_groups * spatial == 1:  # torch's check (of its batch_norm view of the groups)
        raise ArgumentError(
            "Expected more than 1 value per channel when training, got input size "
            f"{[n * c // num_groups, num_groups] + _sizes(input)[2:]}"
        )
    x3 = input.reshape(n, num_groups, c // num_groups * spatial)
    view = affine_view(x3, (2,), weight, bias)
    if view is not None:  # the affine in the kernel: each channel's parameters over its spatial elements
        out = StandardizeAffine.apply(
            x3, weight, bias, dims=(2,), eps=eps, view=view, per_inner=True, spread=spatial
        )
    else:
        out, _, _ = _standardize(x3, 2, eps)
    follows(out._node, input)  # torch's node saves input itself: `input.data =` is seen (stand_in.py)
    out = out.reshape(input.shape)
    if view is None:
        out = _affine(out, weight, bias, _channel_view(input))
    # (a half input with float parameters stays half)
    return named(
        _in_dtype_of(out, input),
        "NativeGroupNormBackward0",
        reads=(input, weight),
        shows=(input, weight, bias),
    )


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
    c, fused = input.shape[1], False
    # (torch's batch_norm of a view: its running statistics may be of any float dtype)
    _check_mixed_dtype(input, weight, bias)
    _need_float(input, "batch_norm", device_suffix=False)
    if weight is not None:  # torch's runs batch_norm with weight.repeat(N): a copy, so a change of the
        weight = weight.clone()  # weight after the op does not make backward raise
    # (torch's batch_norm runs on a view of the input and saves that view: after `input.data =` its
    # backward still reads the forward's values, as the nodes below, given a view, do)
    viewed = input.view(input.shape) if input._req else input
    if use_input_stats:
        spatial = prod(input.shape[2:])
        if spatial <= 1:
            raise ArgumentError(
                f"Expected more than 1 spatial element when training, got input size {input.shape}"
            )
        out, mean, var, fused = _standardize_affine(viewed, tuple(range(2, input.ndim)), eps, weight, bias)
        if running_mean is not None and running_var is not None and input.shape[0]:
            with no_grad():
                batch_mean = mean.detach().reshape(-1, c).mean(dim=0)
                batch_var = var.detach().reshape(-1, c).mean(dim=0) * (spatial / (spatial - 1))
                # one write each, as torch's (its instance norm copies a batch norm's statistics back:
                # one version; the values are those of mul_ then add_)
                running_mean.copy_(running_mean * (1 - momentum) + batch_mean * momentum)
                running_var.copy_(running_var * (1 - momentum) + batch_var * momentum)
    else:
        out, fused = _running(
            viewed,
            running_mean,
            running_var,
            eps,
            "Expected running_mean and running_var to be defined when use_input_stats is false",
            weight,
            bias,
        )
    if not fused:
        out = _affine(out, weight, bias, _channel_view(input))
    # (torch: batch_norm on a view, which saves input; a half input with float parameters stays half)
    return named(_in_dtype_of(out, input), "ViewBackward0", reads=(input,))


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


class CrossMapLRN(Function):
    """torch's legacy nn.CrossMapLRN2d, forward and backward step for step as torch computes them
    (its autograd.Function in torch/nn/modules/_functions.py), so values and gradients are
    torch's -- quirks included: the running window sum never drops channel 0 (it subtracts
    channel c - pre_pad only for c > pre_pad), and backward sums its ratios over a window of its
    own (from ipp channels back), not the forward's: it is not this forward's exact gradient.
    nn.LocalResponseNorm is the exact form."""

    __slots__ = ()
    saved_for = ((0,),)
    saves_output = True

    def forward(self, x, size, alpha, beta, k):
        channels = x.shape[1]
        square = x * x
        pre_pad = int((size - 1) / 2 + 1)
        scale = self.bk.xp.empty_like(x)
        scale[:, 0] = 0
        for c in range(min(pre_pad, channels)):  # the first channel's window
            scale[:, 0] += square[:, c]
        for c in range(1, channels):  # then slide it: add the next channel, drop the previous
            scale[:, c] = scale[:, c - 1]
            if c < channels - pre_pad + 1:
                scale[:, c] += square[:, c + pre_pad - 1]
            if c > pre_pad:
                scale[:, c] -= square[:, c - pre_pad]
        scale = scale * (alpha / size) + k
        out = scale ** (-beta) * x
        self.saved = (x, out, scale, size, alpha, beta)
        return out

    def backward(self, g):
        x, out, scale, size, alpha, beta = self.saved
        n, channels = x.shape[:2]
        ipp = int(size - (size - 1) / 2)  # torch's inversePrePad
        if ipp + channels > channels + size - 1:  # (size 1: torch's narrow() fails the same way)
            raise RuntimeError(
                f"start ({ipp}) + length ({channels}) exceeds dimension size ({channels + size - 1})."
            )
        gx = scale ** (-beta) * g
        padded = self.bk.xp.zeros((n, channels + size - 1) + x.shape[2:], dtype=x.dtype)
        padded[:, ipp : ipp + channels] = g * out / scale
        accum = padded[:, : size - 1].sum(axis=1)
        for c in range(channels):
            accum = accum + padded[:, c + size - 1]
            gx[:, c] += -(2 * alpha * beta / size) * x[:, c] * accum
            accum = accum - padded[:, c]
        return (gx, None, None, None, None)

    def name(self) -> str:
        return "CrossMapLRN2dBackward"


def cross_map_lrn2d(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """nn.CrossMapLRN2d's op (torch has no functional form): 4-D input only."""
    if input.dim() != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
    return CrossMapLRN.apply(input, size, alpha, beta, k)


__all__ = ["group_norm", "instance_norm", "local_response_norm"]
