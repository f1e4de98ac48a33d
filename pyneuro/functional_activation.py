"""More elementwise activations, like torch.nn.functional's (re-exported by pyneuro.functional).

The "hard" family replaces a smooth curve by straight pieces: hardtanh clips to [min_val,
max_val] (relu6 clips to [0, 6]), hardsigmoid and hardswish are the piecewise-linear
sigmoid and swish of MobileNetV3, hardshrink/softshrink zero a band [-lambd, lambd] and
threshold replaces everything <= a threshold by a constant. The smooth ones are built from
exp/log/tanh: mish = x tanh(softplus(x)), selu and celu are scaled ELUs, softsign =
x / (1 + |x|), logsigmoid = log(sigmoid(x)), tanhshrink = x - tanh(x). prelu is a leaky relu
whose negative slope is a learned weight (one per channel), rrelu one with a random slope
while training, glu(a, b) = a * sigmoid(b) gates one half of the input with the other, and
softmin(x) = softmax(-x).

Every function is written with differentiable Tensor ops (where, clamp, exp, log1p, tanh, ...)
so autograd derives the gradients; the comparisons are chosen so the gradient at each kink
is the one torch's hand-written backward gives (e.g. hardtanh's is 0 at exactly min_val and
max_val, logsigmoid's is 1/2 at 0). `inplace=True` writes the result into the input and
returns the input, as torch does, through Tensor._inplace_op (an error on a leaf that
requires grad; recorded for autograd otherwise).
"""

from __future__ import annotations

import warnings

import numpy as np

from ._errors import ArgumentError, DTypeError, NotATensor, ShapeError, ZeroDivision
from ._shapes import one_dim
from .autograd import named
from .autograd.activation import ACTIVATION_OPS, Glu, PreluKernel
from .creation import as_tensor
from .functions import where
from .random import _rng
from .tensor import Tensor

# SELU's constants (Klambauer et al. 2017), as torch writes them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _tensor(x, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise NotATensor(f"{name} must be a pyneuro Tensor, got {type(x).__name__}")
    return x


def _need_float(x: Tensor, kernel: str, device_suffix: bool = True) -> None:
    """torch has no integer or bool kernel for these: NotImplementedError with torch's words."""
    if x._data.dtype.kind != "f":  # the array's dtype: no DType object on the hot path
        name = f"{kernel}_{x.device.type}" if device_suffix else kernel
        raise NotImplementedError(f"\"{name}\" not implemented for '{x.dtype.torch_name}'")


def activation(op: str, x: Tensor, **params) -> Tensor:
    """The activation `op` of autograd/activation.py: one node, whose backward reads the input as
    torch's node does (the input's values when backward runs). A parameter given as a one-element
    tensor is its number, as torch's Scalar arguments take it (leaky_relu(x, pn.tensor(0.2)))."""
    for k, v in params.items():
        if isinstance(v, Tensor):
            params[k] = v.item()
    return ACTIVATION_OPS[op].apply(x, **params)


def _elu(x: Tensor, alpha: float, scale: float = 1.0, input_scale: float = 1.0, op: str = "elu") -> Tensor:
    """torch's elu kernel: scale x where x > 0, else alpha scale (exp(input_scale x) - 1); the
    gradient at 0 is the negative branch's alpha scale input_scale, as torch's."""
    return activation(op, x, alpha=alpha, scale=scale, input_scale=input_scale)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """min_val where x <= min_val, max_val where x >= max_val, else x (a clip to [min_val, max_val]).

    The gradient is 1 strictly inside (min_val, max_val) and 0 at and beyond both ends, as
    torch's (clamp's gradient would count the ends in). Integer tensors work, like torch.
    """
    x = _tensor(input)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return x._inplace_op(lambda a: hardtanh(a, min_val, max_val))
    if x.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if x.dtype.kind == "u" and min_val < 0:  # (relu6 of a uint8 tensor is fine, as torch's)
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    if x.dtype.kind in "iu":
        min_val, max_val = int(min_val), int(max_val)
    return activation("hardtanh", x, lo=min_val, hi=max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6): gradient 1 on (0, 6), 0 elsewhere (also at 0 and 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: 0 for x <= -3, 1 for x >= 3, x / 6 + 1 / 2 between (gradient 1/6 there).

    (torch's backward multiplies by the float32 constant 1/6 even for float64 input, a
    relative difference of 3e-8 from the exact 1/6 used here.)
    """
    x = _tensor(input)
    if inplace:
        return x._inplace_op(hardsigmoid)
    _need_float(x, "hardsigmoid")
    return activation("hardsigmoid", x)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6: 0 for x <= -3, x for x >= 3; gradient x / 3 + 1/2 on (-3, 3),
    0 at -3 and 1 at 3, as torch."""
    x = _tensor(input)
    if inplace:
        return x._inplace_op(hardswish)
    _need_float(x, "hardswish")
    return activation("hardswish", x)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)), a smooth self-gated relu (Misra 2019); softplus(x) = log(1 + exp(x))."""
    x = _tensor(input)
    if inplace:
        return x._inplace_op(mish)
    _need_float(x, "mish")
    return activation("mish", x)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale (x if x > 0 else alpha (exp(x) - 1)), alpha = 1.6733, scale = 1.0507: the
    self-normalising ELU (activations keep mean 0 and variance 1 through deep stacks)."""
    x = _tensor(input)
    if inplace:
        return x._inplace_op(selu, saves_result=True)
    _need_float(x, "elu")
    return _elu(x, _SELU_ALPHA, _SELU_SCALE)  # torch's selu is its elu kernel


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha (exp(x / alpha) - 1): an ELU continuously differentiable at 0 for any alpha."""
    x = _tensor(input)
    if alpha == 0:
        raise ZeroDivision("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return x._inplace_op(lambda a: celu(a, alpha), saves_result=True)
    _need_float(x, "elu")
    return _elu(x, alpha, 1.0, 1.0 / alpha, op="celu")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|): a tanh-like squashing into (-1, 1) with polynomial, not exponential, tails."""
    x = _tensor(input)
    return x / (x.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x| (exp(-|x|) <= 1).

    One node (autograd/activation.py's LogSigmoid), whose backward reads x's sign as it is then
    and forward's exp(-|x|), as torch's; the gradient at 0 is 1/2, as torch's.
    """
    x = _tensor(input)
    _need_float(x, "log_sigmoid")
    return activation("logsigmoid", x.contiguous())  # (torch's result is contiguous, whatever x's layout)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    x = _tensor(input)
    return x - x.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd where x > lambd, x + lambd where x < -lambd, 0 on [-lambd, lambd] (gradient 0
    there, ends included). lambd must be >= 0 (RuntimeError, like torch)."""
    x = _tensor(input)
    _need_float(x, "softshrink_check", device_suffix=False)
    top = float(np.finfo(x._data.dtype).max)
    if not 0 <= lambd <= top:
        raise ArgumentError(
            f"lambda must be in range [0, {top:g}] for input dtype {x.dtype.torch_name}, but found {lambd:g}"
        )
    return activation("softshrink", x, lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0 (gradient 0 on [-lambd, lambd], ends included)."""
    x = _tensor(input)
    _need_float(x, "hardshrink")
    return activation("hardshrink", x, lambd=lambd)


def _threshold(x: Tensor, threshold: float, value: float) -> Tensor:
    if x.dtype.kind == "b":
        _need_float(x, "threshold")
    if x.dtype.kind in "iu":
        threshold, value = int(threshold), int(value)
    return activation("threshold", x, threshold=threshold, value=value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x (gradient 0 where x <= threshold). Integer tensors
    work, with threshold and value cast to the integer type first, like torch."""
    x = _tensor(input)
    if inplace:
        return x._inplace_op(lambda a: _threshold(a, threshold, value))
    return _threshold(x, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _tensor(input)._inplace_op(lambda a: _threshold(a, threshold, value))


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    generator=None,
) -> Tensor:
    """Randomized leaky relu: x where x > 0, else a x.

    Evaluation (training=False): a = (lower + upper) / 2 for every element. Training: a is drawn
    uniformly from [lower, upper] for each element x <= 0 (torch's draws under a seed). The
    gradient at 0 is a, as torch's. generator is pyneuro's addition.
    """
    x = _tensor(input)
    if lower > upper:
        raise ArgumentError("Lower bound should be less than or equal to the upper bound")
    if inplace:
        return x._inplace_op(
            lambda a: rrelu(a, lower, upper, training, generator=generator), saves_result=True
        )
    _need_float(x, "rrelu_with_noise_out" if training else "leaky_relu")
    if training:  # torch's draws: one uniform in [lower, upper] per element x <= 0, in order
        dtype = x._data.dtype
        lo, hi = (float(dtype.type(v)) for v in (lower, upper))  # the bounds in the input's precision
        drawn = (x.detach().cpu().numpy() <= 0).reshape(-1)
        slope = np.ones(drawn.shape, dtype)
        u = _rng(generator).random(int(drawn.sum()))  # float64 uniforms, scaled without an FMA as torch's
        slope[drawn] = u * (hi - lo) + lo
        slope = as_tensor(slope.reshape(x.shape), device=x.device)
        # torch's node multiplies by the noise it drew (1 where x > 0), whatever x is at backward
        return named(where(x > 0, x, x * slope), "RreluWithNoiseBackward0", reads=(x,))
    return activation("rrelu", x, slope=(lower + upper) / 2)  # (reads x at backward, as torch's leaky_relu)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, generator=None
):
    return rrelu(input, lower, upper, training, inplace=True, generator=generator)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight x: a leaky relu with a learned slope (He et al. 2015).

    weight holds 1 slope (shared) or C, one per channel: dim 1 of (N, C, ...) input (a 1-D
    input has one channel). Its gradient is the sum of x * grad over the elements x <= 0.
    """
    x = _tensor(input)
    if not isinstance(weight, Tensor):
        raise TypeError(
            f"prelu(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}"
        )
    _need_float(x, "prelu")
    if weight.ndim > 1:
        raise ShapeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    n = weight.numel()
    if n != 1:
        if x.ndim == 0:
            raise ShapeError("Not allow zero-dim input tensor.")
        c = x.shape[1] if x.ndim > 1 else 1
        if c != n:
            raise ShapeError(
                "Mismatch of parameter numbers and input channel size. "
                f"Found parameter numbers = {n} and channel size = {c}."
            )
    if weight.dtype != x.dtype:
        raise DTypeError(
            f"prelu: Type promoting not supported. Got {x.dtype.torch_name} and {weight.dtype.torch_name}"
        )
    w = weight.reshape(()) if n == 1 else weight.reshape((1, n) + (1,) * (x.ndim - 2))
    return PreluKernel.apply(x, w)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split x in halves a, b along dim; a * sigmoid(b) (Dauphin et al. 2017).

    The output has half of x's size along dim; an odd size raises RuntimeError, like torch.
    """
    x = _tensor(input)
    if x.ndim == 0:
        raise ShapeError("glu does not support scalars because halving size must be even")
    d = one_dim(dim, x.ndim)
    size = x.shape[d]
    if size % 2:
        raise ShapeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    _need_float(x, "glu")
    return Glu.apply(x, dim=d)


def implicit_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """torch's legacy dim for softmax-like calls without one (0 for 0-, 1- and 3-D input, else 1),
    with its deprecation warning: F.softmax(x) on a 3-D x normalises over dim 0, not the last."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along dim: the smallest entries get the largest weights.

    dim=None picks torch's legacy implicit dim (0 for 0-, 1- and 3-D input, else 1) with its
    UserWarning. dtype casts the input first, like torch.
    """
    x = _tensor(input)
    if dim is None:
        dim = implicit_softmax_dim("softmin", x.ndim, _stacklevel)
    if dtype is not None:
        x = x.to(dtype=dtype)
    _need_float(x, "softmax_lastdim_kernel_impl", device_suffix=False)
    return (-x).softmax(dim)


def relu_(input: Tensor) -> Tensor:
    """relu(x) written into x (Tensor.relu_), like torch."""
    return _tensor(input).relu_()


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu(x) written into x, like torch."""
    x = _tensor(input)
    return x._inplace_op(lambda a: _elu(a, alpha), saves_result=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu(x) written into x, like torch."""
    x = _tensor(input)
    return x._inplace_op(lambda a: activation("leaky_relu", a, slope=negative_slope), saves_result=True)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish). inplace=True: into input, which is returned (torch)."""
    if inplace:
        return _tensor(input, "input")._inplace_op(silu)
    _need_float(_tensor(input, "input"), "silu")
    return activation("silu", input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, a smooth relu; x itself where beta x > threshold (like torch).

    exp only ever sees values <= threshold, so neither the value nor the gradient overflows.
    """
    _need_float(_tensor(input, "input"), "softplus")
    return activation("softplus", input, beta=beta, threshold=threshold)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha (exp(x) - 1). inplace=True: into input, which is returned (torch)."""
    if inplace:
        return _tensor(input, "input")._inplace_op(lambda a: elu(a, alpha), saves_result=True)
    _need_float(_tensor(input, "input"), "elu")
    return _elu(input, alpha)


__all__ = [
    "silu",
    "softplus",
    "elu",
    "relu6",
    "hardtanh",
    "hardtanh_",
    "hardsigmoid",
    "hardswish",
    "mish",
    "selu",
    "selu_",
    "celu",
    "celu_",
    "softsign",
    "logsigmoid",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "threshold",
    "threshold_",
    "rrelu",
    "rrelu_",
    "prelu",
    "glu",
    "softmin",
    "relu_",
    "elu_",
    "leaky_relu_",
]
