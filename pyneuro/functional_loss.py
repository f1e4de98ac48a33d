"""More losses for pyneuro.functional (torch.nn.functional's names, arguments and formulas):

binary_cross_entropy          -(y log p + (1 - y) log(1 - p)), each log clamped at -100
binary_cross_entropy_with_logits   the same from logits z: (1 - y) z + softplus(-z)

kl_div                        KL(target || exp(input)) from log-probabilities: t (log t - x)
margin_ranking_loss           max(0, -y (x1 - x2) + margin)
hinge_embedding_loss          x where y = 1, max(0, margin - x) where y = -1
cosine_embedding_loss         1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1
triplet_margin_loss           max(0, margin + d(a, p) - d(a, n)), d the p-norm distance
triplet_margin_with_distance_loss   the same with any distance function
soft_margin_loss              log(1 + exp(-y x))
multilabel_soft_margin_loss   the mean over classes of the binary logistic losses
multi_margin_loss             sum_{j != y} max(0, margin - x[y] + x[j])^p / C (multi-class hinge)
multilabel_margin_loss        sum over targets j and non-targets k of max(0, 1 - (x[j] - x[k])) / C
poisson_nll_loss              exp(x) - t x (log_input), or x - t log(x + eps); full adds Stirling's term
gaussian_nll_loss             0.5 (log var + (x - t)^2 / var)

The two binary cross-entropies are one node each (autograd/binary_loss.py: torch's forward and
backward formulas side by side, the reduction inside, as torch's nodes). The others compose
differentiable Tensor ops exactly as torch's implementation does (the same order of operations,
the same clamps), so values and gradients follow torch's, including where the loss is flat. reduction is 'mean' (default), 'sum' or 'none' as for every loss;
size_average / reduce are torch's deprecated forms of it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from . import autograd as _ag
from ._dtype import int64 as _int64
from ._dtype import torch_name as _torch_name
from ._errors import ArgumentError, DTypeError, ShapeError, not_differentiable
from ._shapes import broadcast_shapes as _broadcast_shapes
from .autograd.function import _broadcast_mismatch
from .creation import as_tensor
from .functional_activation import _need_float, logsigmoid
from .functional_ctc import ctc_loss
from .functions import where
from .tensor import Tensor


def _f():
    """pyneuro.functional, for its reduction rules (_reduce, _check_reduction, _legacy_reduction) and
    pairwise_distance; imported on use, as it imports this module for its __all__."""
    from . import functional

    return functional


def _reduction(size_average, reduce, reduction: str) -> str:
    reduction = _f()._legacy_reduction(size_average, reduce, reduction)
    _f()._check_reduction(reduction)
    return reduction


# ------------------------------------------------------------------ binary cross-entropy
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
) -> Tensor:
    """Logistic loss of logits z and targets y in [0, 1]: (1 - y) z + softplus(-z)
    = (1 - y) z + log(1 + e^-z), whose gradient is sigmoid(z) - y (torch's formula).

    pos_weight p (one per class, broadcast along the last dim) weighs the positive term, for
    imbalanced labels: (1 - y) z + (1 + (p - 1) y) softplus(-z); weight multiplies each
    element's loss. Both as in torch.
    """
    not_differentiable(weight, "binary_cross_entropy_with_logits", "weight")
    not_differentiable(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    if input.shape != target.shape:
        raise ShapeError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )  # torch's
    reduction = _f()._legacy_reduction(size_average, reduce, reduction)
    _f()._check_reduction(reduction)
    _need_float(input, "log_sigmoid")
    if target.dtype.kind != "f":  # integer labels: torch refuses them (they must be floats in [0, 1])
        raise DTypeError(
            f"result type {_torch_name(input.dtype)} can't be cast to the desired output type {_torch_name(target.dtype)}"
        )
    out = _ag.BinaryCrossEntropyWithLogits.apply(
        input,
        target,
        weight=_param_array(weight, input, target.dtype),
        pos_weight=_param_array(pos_weight, input, target.dtype),
        reduction=reduction,
    )
    return _ag.watch(out, weight, pos_weight)  # (torch's node saves them: a later change raises)


def _param_array(t, input: Tensor, dtype):
    """A loss's weight (or pos_weight) as the array its node multiplies by, in dtype: a shape that
    broadcasts into input's, as torch multiplies the losses by it in place (one that would widen
    them is torch's RuntimeError)."""
    if t is None:
        return None
    if not isinstance(t, Tensor):
        t = as_tensor(t)
    shape = tuple(input.shape)
    mismatch = _broadcast_mismatch((shape, tuple(t.shape)))
    if mismatch:
        raise ShapeError(mismatch)
    wide = _broadcast_shapes(shape, tuple(t.shape))
    if wide != shape:
        raise ShapeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(wide)}")
    return t._data.astype(dtype, copy=False)


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of probabilities p in [0, 1] and targets y (logistic regression).

        loss = -(y log p + (1 - y) log(1 - p))
    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 gives a large finite loss,
    not inf. Prefer binary_cross_entropy_with_logits on raw scores: it never forms p.
    """
    not_differentiable(weight, "binary_cross_entropy", "weight")
    if input.shape != target.shape:
        raise ShapeError(  # torch's words: model(x) of shape (N, 1) against labels of shape (N,)
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is "
            "deprecated. Please ensure they have the same size."
        )
    reduction = _f()._legacy_reduction(size_average, reduce, reduction)
    _f()._check_reduction(reduction)
    if (
        target.dtype != input.dtype
    ):  # integer labels, or float64 labels for a float32 model: torch refuses them
        raise DTypeError(f"Found dtype {_torch_name(target.dtype)} but expected {_torch_name(input.dtype)}")
    _need_float(input, "binary_cross_entropy", device_suffix=False)
    p, y = _f()._tensor(input, "input")._data, target._data
    if p.size and not (p.min() >= 0 and p.max() <= 1):  # (NaN fails both, as torch's check)
        raise ArgumentError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 (apply sigmoid first, "
            "or use binary_cross_entropy_with_logits on raw scores)"
        )
    if y.size and not (y.min() >= 0 and y.max() <= 1):
        raise ArgumentError("all elements of target should be between 0 and 1")  # (torch's check and words)
    out = _ag.BinaryCrossEntropy.apply(
        input, target, weight=_param_array(weight, input, p.dtype), reduction=reduction
    )
    return _ag.watch(out, weight)  # (torch's node saves it: a later change raises)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:  # fmt: skip
    """Pointwise KL divergence of log-probabilities `input` from `target` (probabilities, or log-
    probabilities with log_target=True):  t (log t - x)  (0 where t = 0),  or exp(t) (t - x).

    reduction='batchmean' (sum / batch size) is the mathematical KL divergence; 'mean' divides
    by every element as well, and warns as torch does.
    """
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' "
            "divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed "
            "to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    if input.dtype.kind != "f" or target.dtype.kind != "f":
        raise DTypeError("kl_div: Integral inputs not supported.")
    batchmean = reduction == "batchmean" and size_average is None and reduce is None
    reduction = _reduction(size_average, reduce, "sum" if batchmean else reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # torch's xlogy(t, t): t log t, 0 at t = 0 (where, as in torch, the target's gradient is nan)
        xlogy = where(target == 0, 0.0, target * target.log())
        loss = xlogy - target * input
    out = _f()._reduce(loss, reduction)
    return out / input.shape[0] if batchmean and input.ndim else out


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where y = -1."""
    reduction = _reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ShapeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    # torch's margin is a double: integer inputs give a float loss
    return _f()._reduce((-target * (input1 - input2) + float(margin)).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:  # fmt: skip
    """x where y = 1 and max(0, margin - x) where y = -1 (x typically a distance), as torch sums
    where(y != 1, max(0, margin - x), 0) + where(y != -1, x, 0)."""
    reduction = _reduction(size_average, reduce, reduction)
    margin_part = where(target != 1, (margin - input).clamp(min=0), 0.0)
    self_part = where(target != -1, input, 0.0)
    loss = margin_part + self_part
    if input.dtype.kind in "iu":  # torch's result keeps an integer input's dtype (and 'mean' of it fails)
        loss = loss.to(input.dtype)
    return _f()._reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """1 - cos where y = 1, max(0, cos - margin) where y = -1, with
    cos = sum(x1 x2) / sqrt((sum(x1^2) + 1e-12) (sum(x2^2) + 1e-12)) over the last dim (torch's eps)."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.ndim > 1:
        raise ShapeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != target.ndim + 1 or input2.ndim != target.ndim + 1:
        expects = "1D target tensor expects 2D" if target.ndim else "0D target tensor expects 1D"
        raise ShapeError(
            f"{expects} input tensors, but found inputs with sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    d = target.ndim
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + 1e-12
    mag2 = (input2 * input2).sum(d) + 1e-12
    cos = prod / (mag1 * mag2).sqrt()
    pos = where(target == 1, 1 - cos, 0.0)
    neg = where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _f()._reduce(pos + neg, reduction)


def _same_rank(anchor, positive, negative) -> None:
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ShapeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative {negative.ndim}D inputs"
        )


def _triplet(dist_pos, dist_neg, dist_swap, margin, reduction) -> Tensor:
    if dist_swap is not None:
        dist_neg = dist_neg.minimum(dist_swap)
    return _f()._reduce((margin + dist_pos - dist_neg).clamp(min=0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:  # fmt: skip
    """max(0, margin + d(a, p) - d(a, n)), d = pairwise_distance (p-norm, eps added); swap=True uses
    min(d(a, n), d(p, n)) as the negative distance."""
    if not margin > 0:  # (the module's check too, as torch's functional)
        raise ValueError(f"margin must be greater than 0, got {margin}")
    reduction = _reduction(size_average, reduce, reduction)
    _same_rank(anchor, positive, negative)

    def dist(a, b):
        return _f().pairwise_distance(a, b, p, eps)

    swapped = dist(positive, negative) if swap else None
    return _triplet(dist(anchor, positive), dist(anchor, negative), swapped, margin, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:  # fmt: skip
    """triplet_margin_loss with any distance_function(x1, x2) (default pairwise_distance); margin > 0."""
    _f()._check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _same_rank(anchor, positive, negative)
    dist = distance_function if distance_function is not None else _f().pairwise_distance
    swapped = dist(positive, negative) if swap else None
    return _triplet(dist(anchor, positive), dist(anchor, negative), swapped, margin, reduction)


def class_loss_node(ndim: int, reduction: str, smoothing: float) -> str:
    """torch's grad_fn for cross_entropy / nll_loss with class-index targets on an input of ndim dims:
    label smoothing adds two losses; (N, C, d1, ...) input goes through nll_loss2d (a view of its
    result for reduction='none', except for exactly 4-D input)."""
    if smoothing:
        return "AddBackward0"
    if ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" and ndim != 4 else "NllLoss2DBackward0"


def soft_margin_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """log(1 + exp(-y x)), the two-class logistic loss with targets y = +-1."""
    reduction = _reduction(size_average, reduce, reduction)
    if input.dtype.kind != "f" and target.dtype.kind != "f":
        raise DTypeError(
            f"result type Float can't be cast to the desired output type {_torch_name(input.dtype)}"
        )
    not_differentiable(target, "soft_margin_loss", "target")
    if input.dtype.kind == "f" and target.dtype == input.dtype and target.shape == input.shape:
        return _ag.SoftMarginLoss.apply(input, target, reduction=reduction)  # (saves both, as torch's)
    loss = (-input * target).exp().log1p()
    if loss.dtype != input.dtype:  # torch writes the loss into the input's dtype
        _f()._cast_to_input(target, input)
        loss = loss.to(input.dtype)
    # (torch's node saves input and target: an in-place change of either after the op makes backward raise)
    return _ag.named(_f()._reduce(loss, reduction), "SoftMarginLossBackward0", reads=(input, target))


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """-(y log sigmoid(x) + (1 - y) log sigmoid(-x)), times weight, averaged over the classes (last dim)."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    return _f()._reduce(loss, reduction)


def _long_target(input: Tensor, target: Tensor, kernel: str) -> None:
    """torch's checks of a margin loss's class targets: a float input (else NotImplementedError
    from its kernel), then int64 targets exactly."""
    _need_float(input, kernel, device_suffix=False)
    if target.dtype != _int64:
        raise DTypeError(f"expected scalar type Long but found {_torch_name(target.dtype)}")


def _class_rows(input: Tensor, target: Tensor):
    """input as (N, C) and target as (N,) from torch's (N, C) / (N,) or (C,) / 0-d forms."""
    _long_target(input, target, "multi_margin_loss_cpu_kernel")
    if input.ndim <= 1:
        x = input.reshape(1, -1)
        t = target.reshape(-1)
    else:
        x, t = input, target
    if input.ndim > 2 or t.ndim != 1 or t.shape[0] != x.shape[0]:
        raise ShapeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    return x, t


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """Multi-class hinge loss: sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C per sample."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x, t = _class_rows(input, target)
    if weight is not None and weight.dtype != x.dtype:
        raise DTypeError(f"expected scalar type {_torch_name(x.dtype)} but found {_torch_name(weight.dtype)}")
    n, c = x.shape
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= c):
        raise RuntimeError("target out of range")
    column = t.reshape(n, 1)
    hinge = (margin - x.gather(1, column) + x).relu()  # (relu: no gradient at exactly 0, as torch's kernel)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[t].reshape(n, 1)
    own = column == as_tensor(np.arange(c), device=x.device)
    loss = where(own, 0.0, hinge).sum(dim=1) / c
    if input.ndim <= 1 and reduction == "none":
        loss = loss.reshape(())
    # (torch's node saves the target and weight: one changed in place before backward raises)
    return _ag.named(_f()._reduce(loss, reduction), "MultiMarginLossBackward0", reads=(t, weight))


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:  # fmt: skip
    """sum over the target classes j and the other classes k of max(0, 1 - (x[j] - x[k])) / C.

    target (N, C) lists each sample's classes, ended by the first -1 (the rest is ignored).
    """
    reduction = _reduction(size_average, reduce, reduction)
    _long_target(input, target, "multilabel_margin_loss_forward_out_frame")
    if tuple(target.shape) != tuple(input.shape) or input.ndim > 2:
        raise ShapeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    x = input.reshape(1, -1) if input.ndim <= 1 else input
    n, c = x.shape
    t = target.cpu().numpy().reshape(n, c).astype(np.int64)
    valid = np.cumprod(t != -1, axis=1).astype(bool)  # entries before the first -1
    if np.any((t < -1) | (t >= c)):  # every entry, even after the -1, as torch
        raise RuntimeError("argument #2 'target' is out of range")
    safe = np.where(valid, t, 0)
    is_target = np.zeros((n, c), bool)
    rows = np.repeat(np.arange(n), c)
    is_target[rows[valid.reshape(-1)], safe[valid]] = True
    x_target = x.gather(1, as_tensor(safe, device=x.device))  # (N, C): x at each listed class
    hinge = (1 - x_target.unsqueeze(2) + x.unsqueeze(1)).relu()  # (N, j, k); none at exactly 0
    pairs = as_tensor(valid[:, :, None] & ~is_target[:, None, :], device=x.device)
    loss = where(pairs, hinge, 0.0).sum(dim=(1, 2)) / c
    if input.ndim <= 1:
        loss = loss.reshape(())
    return _ag.named(_f()._reduce(loss, reduction), "MultilabelMarginLossBackward0")


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """Negative log-likelihood of target ~ Poisson(rate): exp(x) - t x with log_input (x = log rate),
    else x - t log(x + eps); full adds Stirling's t log t - t + log(2 pi t) / 2 where t > 1."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # torch's composition: masked where t <= 1 (so, as in torch, the target's gradient is nan at t = 0)
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + where(target > 1, stirling, 0.0)
    return _f()._reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:  # fmt: skip
    """Negative log-likelihood of target ~ N(input, var): 0.5 (log var + (x - t)^2 / var) (+ 0.5 log 2 pi
    with full). var has input's shape, or one dimension of size 1 (shared), or lacks the last
    dimension. var is clamped at eps for the value only: its gradient passes as if unclamped (torch
    clamps it in place under no_grad)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.detach() * 0 + float(var)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (
            input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1
        ):  # heteroscedastic: one dimension of size 1
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (var.clamp(min=eps) - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _f()._reduce(loss, reduction)


__all__ = [
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "kl_div",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "ctc_loss",  # (functional_ctc.py)
]
