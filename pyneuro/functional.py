"""pyneuro.functional: differentiable neural-network functions (like torch.nn.functional).

    import pyneuro.functional as F
    loss = F.cross_entropy(model(x), y)

Each function documents the math it computes and which kernel of the backend's table
runs it. They work on Tensors only, never on a backend's table or arrays: the kernels are
reached through Tensor ops and the autograd Functions in pyneuro/autograd/fused.py.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import autograd as _ag
from ._arguments import check_tensor_arguments
from ._dtype import int64 as _int64
from ._dtype import torch_name as _torch_name
from ._dtype import uint8 as _uint8
from ._errors import (
    ArgumentError,
    DTypeError,
    DTypeNotImplemented,
    IndexRangeError,
    NotATensor,
    ShapeError,
    check_dropout_dtype,
    check_dropout_p,
    not_differentiable,
    type_name,
)
from ._shapes import numpy_keywords
from .backends import _checks
from .creation import arange, as_tensor, tensor
from .functional_activation import *  # noqa: F403 - relu6, hardtanh, mish, prelu, glu, ... (its __all__)
from .functional_activation import __all__ as _ACTIVATIONS
from .functional_activation import _need_float, implicit_softmax_dim
from .functional_activation import activation as _activation
from .functional_attention import scaled_dot_product_attention
from .functional_conv import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    max_pool1d,
    max_pool2d,
    pad,
)
from .functional_conv3d import *  # noqa: F403 - conv3d, max_pool3d, avg_pool3d, ... (its __all__)
from .functional_conv3d import __all__ as _CONV3D
from .functional_fractional import *  # noqa: F403 - fractional_max_pool2d/3d (its __all__)
from .functional_fractional import __all__ as _FRACTIONAL
from .functional_grid import affine_grid, grid_sample
from .functional_layers import *  # noqa: F403 - pdist, bilinear, rms_norm, embedding_bag, ... (its __all__)
from .functional_layers import __all__ as _LAYERS
from .functional_loss import *  # noqa: F403 - kl_div, triplet_margin_loss, ... (its __all__)
from .functional_loss import __all__ as _LOSSES
from .functional_loss import class_loss_node
from .functional_norm import batch_norm, group_norm, instance_norm, layer_norm, local_response_norm
from .functional_pool import *  # noqa: F403 - adaptive_max_pool2d, max_unpool2d, lp_pool2d, ... (its __all__)
from .functional_pool import __all__ as _POOLING
from .functional_resample import *  # noqa: F403 - interpolate, pixel_shuffle, unfold, fold, ... (its __all__)
from .functional_resample import __all__ as _RESAMPLING
from .functions import where
from .functions_index import broadcast_tensors
from .random import _rng, draw_in_memory_order
from .tensor import Tensor

_FLOAT32 = np.dtype(np.float32)

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")  # torch's words


def _tensor(x, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise NotATensor(f"{name} must be a pyneuro Tensor, got {type(x).__name__}")
    return x


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Rectified linear unit: relu(x) = max(x, 0), elementwise.

    Kernel: the backend's relu_forward; backward is relu_backward(grad, y), which passes
    the gradient where the output is positive and zeroes it elsewhere (d relu/dx = [x > 0]).
    inplace=True writes the result into input and returns input, as torch does (Tensor.relu_).
    """
    x = _tensor(input, "input")
    if inplace:
        return x.relu_()
    return _ag.ReLU.apply(x)


@numpy_keywords
def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """Softmax along `dim`: y_i = exp(x_i - max x) / sum_j exp(x_j - max x).

    Subtracting the row maximum (the log-sum-exp trick) changes nothing mathematically but
    keeps exp from overflowing, so logits like 1e4 give finite probabilities.
    Kernel: softmax_forward runs on (rows, n) views with `dim` last -- the fused 'online'
    variant on the C++ backend computes max and sum in a single pass over each row.
    Backward: softmax_backward(g, y) = y * (g - sum(g * y)), the Jacobian-vector product
    of the softmax, without ever forming the n x n Jacobian.
    """
    x = _tensor(input, "input")
    if dim is None:
        dim = implicit_softmax_dim("softmax", x.ndim, _stacklevel + 1)  # +1: numpy_keywords
    if dtype is not None:
        x = x.to(dtype=dtype)  # (by keyword: a string or an int is TypeError, not a device)
    return _ag.Softmax.apply(x, dim=dim)


@numpy_keywords
def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably as x - max - log(sum(exp(x - max))).

    Computing log(softmax(x)) in two steps would take log(0) = -inf for very negative
    logits; the fused form never does. Kernel: log_softmax_forward; backward is
    log_softmax_backward(g, y) = g - exp(y) * sum(g).
    """
    x = _tensor(input, "input")
    if dim is None:
        dim = implicit_softmax_dim("log_softmax", x.ndim, _stacklevel + 1)  # +1: numpy_keywords
    if dtype is not None:
        x = x.to(dtype=dtype)  # (by keyword: a string or an int is TypeError, not a device)
    return _ag.LogSoftmax.apply(x, dim=dim)


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's deprecated size_average/reduce pair -> a reduction string."""
    if size_average is None and reduce is None:
        return reduction
    # truthiness, as torch's legacy_get_string: 0 and 1 count, and a tensor with several
    # elements is the ambiguous-bool RuntimeError (nn.MSELoss(pred, y), a forgotten loss object)
    size_average = True if size_average is None else bool(size_average)
    reduce = True if reduce is None else bool(reduce)
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
        stacklevel=3,
    )
    return reduction


def _class_targets(logits: Tensor, target: Tensor, fn: str):
    """Check integer class targets against input (N, C, d1, ...) / (C,) like torch.

    Returns (x2, t2, out_shape): input folded to (rows, C) with the class dim last,
    targets folded to (rows,), and the shape of the per-sample losses.
    """
    if logits.ndim >= 2 and (target.ndim == 0 or target.shape[0] != logits.shape[0]):  # (torch's first check)
        raise ValueError(
            f"{fn}: expected input of shape (N, C) and target of shape (N,), got input {tuple(logits.shape)} "
            f"and target {tuple(target.shape)} (Expected input batch_size to match target batch_size)"
        )
    if target._data.dtype not in (_int64, _uint8):  # float, bool and the other integer targets
        raise DTypeError(f"expected target dtype to be Long or Byte, but got {_torch_name(target.dtype)}")
    if target._data.dtype == _uint8:  # torch's 2-d kernel takes Byte targets, its spatial one does not
        if logits.ndim > 2:
            raise DTypeError("expected scalar type Long but found Byte")
        target = target.to(_int64)  # class numbers, never a mask when they index
    if logits.ndim == 0:  # (nll_loss's; cross_entropy refused a 0-d input before, as torch's log_softmax)
        raise ShapeError("Expected 1 or more dimensions (got 0)")
    if logits.ndim == 1:
        if target.ndim == 1 and target.shape[0] != 1:
            raise ValueError(
                f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}"
            )
        if target.ndim > 1:
            raise ShapeError(
                f"{fn}: unbatched input of shape {tuple(logits.shape)} needs a 0-d target, got shape {tuple(target.shape)}"
            )
        return logits.reshape(1, logits.shape[0]), target.reshape(1), ()  # a (1,) target works too, as torch
    if logits.ndim == 2:
        if target.ndim != 1:
            raise ShapeError(
                f"{fn}: expected input of shape (N, C) and target of shape (N,), got input {tuple(logits.shape)} "
                f"and target {tuple(target.shape)}"
            )
        return logits, target, (logits.shape[0],)
    spatial = (logits.shape[0],) + logits.shape[2:]
    if target.shape != spatial:
        raise ShapeError(  # torch's words: logits (N, T, V) need a permute to (N, V, T), or a view(-1, V)
            f"Expected target size {list(spatial)}, got {list(target.shape)}"
        )
    c = logits.shape[1]
    x2 = logits.permute((0,) + tuple(range(2, logits.ndim)) + (1,)).reshape(-1, c)
    return x2, target.reshape(-1), spatial


def _class_weight(weight, x: Tensor, c: int, fn: str):
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        weight = tensor(weight, dtype=x.dtype, device=x.device)
    if weight.ndim != 1 or weight.shape[0] != c:
        raise ShapeError(
            f"{fn}: weight tensor should be defined either for all {c} classes or no classes "
            f"but got weight tensor of shape: {tuple(weight.shape)}"
        )
    if weight.dtype.kind != "f":
        raise DTypeError(f"{fn}: weight must be a floating tensor, got {weight.dtype}")
    if weight.device != x.device:
        raise RuntimeError(f"{fn}: weight is on {weight.device} but input is on {x.device}")
    if weight.dtype != x.dtype:  # torch does not convert it
        raise DTypeError(f"expected scalar type {_torch_name(x.dtype)} but found {_torch_name(weight.dtype)}")
    return weight


def _masked_targets(t2: Tensor, c: int, ignore_index: int):
    """(safe targets, valid mask): ignored entries point at class 0 and are masked out.

    Targets that are neither ignore_index nor in [0, C) raise IndexError like torch.
    """
    valid = t2 != ignore_index
    safe = t2 * valid  # ignored -> 0 (an index the gathers can take)
    if safe.numel():
        _checks.raise_target_range(safe, c)
    return safe, valid


def _weighted_class_loss(
    x2: Tensor,
    t2: Tensor,
    out_shape,
    weight,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    log_probs: bool,
) -> Tensor:
    """The general class-index loss: weights, ignore_index, label smoothing (torch's formulas).

        nll_i    = -w[t_i] * logp[i, t_i]            (0 where t_i == ignore_index)
        smooth_i = -sum_c w[c] * logp[i, c]          (0 where ignored; only with smoothing)
        loss_i   = (1 - eps) * nll_i + eps / C * smooth_i
        'mean'   = sum_i loss_i / sum_i w[t_i]       (the weights of the non-ignored targets)
    x2 holds logits (cross_entropy) or log-probabilities (nll_loss, log_probs=True). Without
    smoothing, cross_entropy keeps the fused kernel for the per-sample -logp[i, t_i].
    """
    c = x2.shape[1]
    safe, valid = _masked_targets(t2, c, ignore_index)
    w_t = valid.to(x2.dtype)  # weight of each target, 0 if ignored
    if weight is not None:
        w_t = weight[safe] * w_t
    rows = arange(x2.shape[0], device=x2.device)
    if log_probs or label_smoothing:
        logp = x2 if log_probs else log_softmax(x2, dim=1)
        nll = -logp[rows, safe] * w_t
    else:
        if x2._req and not bool(valid.all()):
            # Ignored rows leave the graph before the fused kernel: its backward would give their
            # target logit (p - 1) * 0 = -0, where torch's log_softmax + nll_loss gives +0 (printed
            # "-0.0000" in the gradient otherwise).
            x2 = x2.where(valid.unsqueeze(1), x2.detach())
        nll = _ag.CrossEntropy.apply(x2, safe, reduction="none", with_grad=x2._req) * w_t
    if label_smoothing:
        smooth = -(logp if weight is None else logp * weight).sum(dim=1)
        nll = nll * (1 - label_smoothing) + smooth * (label_smoothing / c)
    # Ignored rows are cut out of the graph (a where, not a product with 0), so that a
    # 'mean' over no targets (0 / 0 = nan) still gives zero gradients, as in torch.
    per = nll.where(valid, 0.0)
    if reduction == "none":
        return per.reshape(out_shape)
    total = per.sum()
    if reduction == "sum":
        return total
    return total / w_t.sum()  # 0 / 0 = nan when every target is ignored, like torch


def _check_smoothing(label_smoothing) -> float:
    """torch refuses only label_smoothing > 1; a negative one (or NaN) smooths nothing there."""
    ls = float(label_smoothing)
    if ls > 1.0:
        raise ArgumentError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    return ls if ls > 0.0 else 0.0


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits (N, C) and integer class targets (N,), like torch's.

        loss_i = -log softmax(x_i)[t_i] = logsumexp(x_i) - x_i[t_i]

    reduction: 'mean' (default, averaged over N), 'sum', or 'none' (per-sample (N,)).
    Kernel: cross_entropy_forward gives the per-sample losses in one fused pass per row
    (max, sum of exp, pick the target logit) -- softmax is never materialised forward.
    Backward: cross_entropy_backward = (softmax(x) - onehot(t)) * dloss, again fused.

    PyTorch's options work too:
      weight (C,)      a rescaling weight per class; 'mean' divides by the summed weights
                       of the targets (not by N).
      ignore_index     targets equal to it (default -100) add nothing and are left out of
                       the 'mean' (all ignored: nan, like torch).
      label_smoothing  eps in [0, 1]: the target becomes (1 - eps) onehot + eps / C.
    Input (N, C, d1, ...) with targets (N, d1, ...), and unbatched input (C,) with a 0-d
    target, work like PyTorch. Targets that are probabilities (floating, the input's
    shape) give -sum_c w_c p_c log_softmax(x)_c, averaged over the samples for 'mean'.
    Targets out of range raise IndexError.
    """
    not_differentiable(weight, "nll_loss_forward", "weight")  # (torch's words: its CE is log_softmax + nll)
    x = _tensor(input, "input")
    t = target if isinstance(target, Tensor) else tensor(target, device=x.device)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    ls = _check_smoothing(label_smoothing) if label_smoothing else 0.0
    if x.device != t.device:
        raise RuntimeError(f"cross_entropy: input is on {x.device} but target is on {t.device}")
    _need_float(x, "log_softmax_lastdim_kernel_impl", device_suffix=False)  # torch's log_softmax comes first
    xs, ts, kind = x._data.shape, t._data.shape, t._data.dtype.kind
    if not xs and (ts or kind == "f"):  # (0-d input; a 0-d int target reads as probabilities below)
        raise IndexError(
            "Dimension out of range (expected to be in range of [-1, 0], but got 1): "
            "cross_entropy's input must have at least 1 dimension (C,) or (N, C)"
        )
    if ts == xs:  # probability targets (torch's reading of a target shaped as the input)
        if kind != "f":
            raise RuntimeError(
                f"Expected floating point type for target with class probabilities, got {_torch_name(t.dtype)}"
            )
        return _cross_entropy_probs(x, t, weight, reduction, ls, ignore_index)
    if kind == "f" and len(ts) == len(xs) and xs and ts[0] != xs[0]:  # probabilities for another batch
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size ({ts[0]}).")
    if (
        weight is None
        and not ls
        and len(xs) == 2
        and len(ts) == 1
        and t._data.dtype in (_int64, _uint8)
        and ts[0] == xs[0]
        and not (0 <= ignore_index < xs[1])
    ):
        try:  # the common case: one fused kernel, no mask
            return _ag.CrossEntropy.apply(x, t, reduction=reduction, with_grad=x._req)
        except IndexError:
            if not bool((t == ignore_index).any()):
                raise
    x2, t2, out_shape = _class_targets(x, t, "cross_entropy")
    w = _class_weight(weight, x, x2.shape[1], "cross_entropy")
    loss = _weighted_class_loss(x2, t2, out_shape, w, ignore_index, reduction, ls, log_probs=False)
    # (torch: nll_loss of log_softmax; with label smoothing a sum of two terms, not shown that way).
    # Its nll_loss node saves the target and weight: one changed in place before backward raises.
    shows = None if ls else _class_loss_edges(x, reduction, through_log_softmax=True)
    return _ag.named(loss, class_loss_node(x.ndim, reduction, ls), reads=(t, weight), shows=shows)


def _class_loss_edges(x: Tensor, reduction: str, through_log_softmax: bool) -> tuple:
    """What torch's class-index loss node (class_loss_node's) has an edge to: the input x, through
    cross_entropy's log_softmax; an input of 3 or 5+ dims is viewed as 4-D for nll_loss2d (and
    its 'none' losses viewed back: the node is that view, over the nll_loss2d)."""
    edge = _ag.edge_node(x)
    if through_log_softmax:
        edge = _ag.ShownNode("LogSoftmaxBackward0", (edge, 0))
    if x.ndim > 2 and x.ndim != 4:
        edge = _ag.ShownNode("ViewBackward0", (edge, 0))
        if reduction == "none":
            edge = _ag.ShownNode("NllLoss2DBackward0", (edge, 0))
    return (edge,)


def _cross_entropy_probs(
    x: Tensor, t: Tensor, weight, reduction: str, ls: float, ignore_index: int
) -> Tensor:
    """-sum_c w_c p_c log_softmax(x)_c over the class dim (1, or 0 when unbatched)."""
    if ignore_index >= 0:
        raise ShapeError("cross_entropy: ignore_index is not supported for floating point target")
    class_dim = 1 if x.ndim > 1 else 0
    c = x.shape[class_dim]
    logp = log_softmax(x, dim=class_dim)
    if ls:
        t = t * (1 - ls) + ls / c
    prod = logp * t
    if isinstance(weight, Tensor) and weight.dtype.kind == "f":  # (a product here: torch promotes it)
        weight = weight.to(x.dtype)
    w = _class_weight(weight, x, c, "cross_entropy")
    if w is not None:
        prod = prod * (w.reshape((1, c) + (1,) * (x.ndim - 2)) if x.ndim > 1 else w)
    if reduction == "none":
        return -prod.sum(dim=class_dim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    rows = x.numel() // c if c else 0
    return _ag.named(
        total / rows if rows else total * float("nan"), "DivBackward1", shows=(total,)
    )  # torch's node


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at class targets (N,), like torch's.

        loss_i = -weight[t_i] * input[i, t_i]   (weight defaults to 1; 0 where t_i == ignore_index)
        'mean' = sum_i loss_i / sum_i weight[t_i] over the non-ignored targets
    Use it after log_softmax; cross_entropy fuses the two. The pick is an integer-array
    gather whose backward scatters the gradient back (scatter-add). Input (N, C, d1, ...)
    with targets (N, d1, ...) and unbatched (C,) with a 0-d target work as in torch.
    """
    not_differentiable(weight, "nll_loss_forward", "weight")
    x = _tensor(input, "input")
    t = target if isinstance(target, Tensor) else tensor(target, device=x.device)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if x.device != t.device:
        raise RuntimeError(f"nll_loss: input is on {x.device} but target is on {t.device}")
    x2, t2, out_shape = _class_targets(x, t, "nll_loss")
    _need_float(x, "nll_loss_out_frame", device_suffix=False)
    w = _class_weight(weight, x, x2.shape[1], "nll_loss")
    loss = _weighted_class_loss(x2, t2, out_shape, w, ignore_index, reduction, 0.0, log_probs=True)
    shows = _class_loss_edges(x, reduction, through_log_softmax=False)
    return _ag.named(loss, class_loss_node(x.ndim, reduction, 0.0), reads=(x, t, weight), shows=shows)


def _weight_for(losses: Tensor, weight) -> Tensor:
    """The weight= of mse_loss / l1_loss / huber_loss: exactly the input's shape, as torch requires."""
    w = weight if isinstance(weight, Tensor) else tensor(weight, device=losses.device)
    if tuple(w.shape) != tuple(losses.shape):
        raise ValueError("Weights and input must have the same size.")
    return w


def _weighted_pointwise(losses: Tensor, weight, reduction: str) -> Tensor:
    """mse_loss / l1_loss with weight=: 'mean' is the weighted mean sum(w l) / sum(w), as torch's."""
    w = _weight_for(losses, weight)
    if reduction == "mean":
        return (losses * w).sum() / w.sum()
    return _reduce(losses * w, reduction)


def mse_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean", weight=None
) -> Tensor:
    """Mean squared error: mean((input - target)^2) (or 'sum', or 'none' elementwise).

    Shapes should match. As torch, different shapes broadcast with a UserWarning: (N, 1) against
    (N,) becomes an (N, N) matrix, a classic bug the warning points at (_pairwise_loss).
    Backward: d/dinput = 2 (input - target) / n, one fused elementwise pass.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = _pairwise_loss("mse_loss", input, target, reduction)
    if x.dtype.kind != "f" and t.dtype.kind != "f":  # torch has no integer kernel
        _need_float(x, "mse")
    if x.dtype != t.dtype:
        x, t = x._other(t)
    if weight is not None:
        d = x - t
        return _weighted_pointwise(d * d, weight, reduction)
    return _ag.MSE.apply(x, t, reduction=reduction)


def l1_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean", weight=None
) -> Tensor:
    """Mean absolute error |input - target| (shapes should match: others broadcast, with a warning)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = _pairwise_loss("l1_loss", input, target, reduction)
    if weight is not None:
        return _weighted_pointwise((x - t).abs(), weight, reduction)
    return _reduce((x - t).abs(), reduction)


def _cast_to_input(other: Tensor, x: Tensor) -> None:
    """torch's error where a loss's result, promoted with other, would not fit the input's dtype
    (huber_loss and soft_margin_loss keep the input's dtype: float target, integer input)."""
    if other.dtype.kind == "f" and x.dtype.kind != "f":
        raise DTypeError(
            f"result type {_torch_name(other.dtype)} can't be cast to the desired output type {_torch_name(x.dtype)}"
        )


def _pairwise_loss(name, input, target, reduction):
    """input and target as tensors of one shape, and a valid reduction. Different shapes warn
    and broadcast, as torch's mse/l1/smooth_l1/huber losses do (incompatible ones raise)."""
    x = _tensor(input, "input")
    if not isinstance(t := target, Tensor):  # torch calls target.size() first: a list has none,
        if hasattr(target, "size"):  # an array's is an int (TypeError)
            raise TypeError(f"'{type(target.size).__name__}' object is not callable")
        raise AttributeError(f"'{type(target).__name__}' object has no attribute 'size'")
    if x.shape != t.shape:
        warnings.warn(
            f"Using a target size ({t.shape}) that is different to the input size ({x.shape}). This will "
            "likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )
        x, t = broadcast_tensors(x, t)
    _check_reduction(reduction)
    return x, t


def smooth_l1_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target), like torch;
    beta = 0 is l1_loss. Quadratic near 0 (a gradient that shrinks with the error), linear
    beyond (outliers pull no harder than beta)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, t = _pairwise_loss("smooth_l1_loss", input, target, reduction)
    if x.dtype.kind != "f" and t.dtype.kind != "f":
        _need_float(x, "smooth_l1")
    if beta < 0:
        raise ArgumentError("smooth_l1_loss does not support negative values for beta.")
    if x.dtype != t.dtype:  # promoted, as torch's: a bool or integer target works
        x, t = x._other(t)
    if beta == 0:
        return _reduce((x - t).abs(), reduction)
    loss = _reduce(_ag.SmoothL1.apply(x, t, beta=beta), reduction)
    return _ag.named(loss, "SmoothL1LossBackward0", reads=(x, t))


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight=None
) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta), like torch (smooth_l1_loss
    times delta, with beta = delta). weight= (the input's shape) multiplies each loss; 'mean'
    still divides by their count (torch's rule here, unlike mse_loss's weighted mean)."""
    x, t = _pairwise_loss("huber_loss", input, target, reduction)
    if x.dtype.kind != "f" and t.dtype.kind != "f":
        _need_float(x, "huber")
    if not delta > 0:
        raise ArgumentError("huber_loss does not support non-positive values for delta.")
    if (
        x.dtype != t.dtype
    ):  # torch's kernel writes into the input's dtype: a float loss of an integer input fails
        _cast_to_input(t, x)
        t = t.to(x.dtype)
    losses = _ag.SmoothL1.apply(x, t, beta=delta, huber=True)
    loss = _reduce(losses if weight is None else losses * _weight_for(losses, weight), reduction)
    return _ag.named(loss, "HuberLossBackward0", reads=(x, t))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x. inplace=True: into input, which is returned (torch)."""
    if inplace:
        return _tensor(input, "input")._inplace_op(lambda a: leaky_relu(a, negative_slope), saves_result=True)
    _need_float(_tensor(input, "input"), "leaky_relu")
    return _activation("leaky_relu", input, slope=negative_slope)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b with W of shape (out_features, in_features), like torch's F.linear.

    Kernels: matmul(x, W, trans_b=True) -- the transpose is a flag of the GEMM, not a copy --
    then bias_add (one pass over the output), or both in one matmul_bias call where the table
    has it (the bias added in the GEMM's epilogue). Backward: dx = matmul(dy, W),
    dW = matmul(dy, x, trans_a=True), db = bias_grad(dy) (column sums).
    Inputs (..., in_features) of any rank work; a wrong last dimension raises ValueError
    naming both shapes.
    """
    x = _tensor(input, "input")
    weight = _tensor(weight, "weight")
    if (
        x._data.dtype is not _FLOAT32
        or weight._data.dtype is not _FLOAT32
        or (bias is not None and bias._data.dtype is not _FLOAT32)
    ):  # (the rules of other dtypes)
        if x._data.dtype != weight._data.dtype:
            raise DTypeError(  # torch's words (the course teaches the fix: x.float())
                f"mat1 and mat2 must have the same dtype, but got {x.dtype.torch_name} and {weight.dtype.torch_name}"
            )
        if bias is not None and bias._data.dtype != x._data.dtype:  # (every backend: numpy's would promote)
            raise DTypeError(
                f"self and mat2 must have the same dtype, but got {bias.dtype.torch_name} and {x.dtype.torch_name}"
            )
        if x._data.dtype.kind in "biu":
            return _integer_linear(x, weight, bias)
    if weight.ndim == 1:  # torch allows a weight vector: x @ w, one output per row
        if bias is not None and x.ndim > 1:  # (torch's addmm path then: a matrix weight only)
            raise ShapeError("mat2 must be a matrix, got 1-D tensor")
        y = x.matmul(weight)
        return y if bias is None else y + bias
    if bias is None:
        return _ag.Linear.apply(x, weight)
    if (
        isinstance(bias, Tensor) and bias._data.shape != weight._data.shape[:1]
    ):  # raw tuples: once per layer call
        return _broadcast_bias_linear(x, weight, bias)
    return _ag.Linear.apply(x, weight, bias)


def _integer_linear(x: Tensor, weight: Tensor, bias) -> Tensor:
    """F.linear of integer tensors, which torch's CPU addmm computes (exact, wrapping around in
    the dtype; no gradient) and of bool ones, which it refuses."""
    if x._data.dtype.kind == "b":
        raise DTypeNotImplemented("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    y = x.matmul(weight.t() if weight.ndim == 2 else weight)
    return y if bias is None else y + bias


def _broadcast_bias_linear(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """F.linear with a bias of another shape, which torch broadcasts over the output (its addmm for a
    2-D input); the output keeps the shape x W^T has (a bias that would grow it is an error)."""
    if x.ndim == 1:  # as torch: the row (1, in), then its (1, out) result viewed as (out,)
        return _broadcast_bias_linear(x.unsqueeze(0), weight, bias).reshape(weight.shape[0])
    y = _ag.Linear.apply(x, weight)
    try:
        grown = broadcast_tensors(y.detach(), bias.detach())[0].shape != y.shape
    except (ValueError, RuntimeError):
        grown = True
    if grown:
        raise ShapeError(
            f"The expanded size of the bias {tuple(bias.shape)} does not fit the output of shape {tuple(y.shape)}"
        )
    return _ag.named(y + bias, "AddmmBackward0") if x.ndim == 2 else y + bias


def one_hot(input: Tensor, num_classes: int = -1) -> Tensor:
    """Integer classes (...) -> int64 one-hot rows (..., num_classes), like torch.

    num_classes=-1 uses max(tensor) + 1. Classes out of range raise IndexError.
    """
    t = _tensor(input, "input")  # (torch's keyword is input=)
    if not hasattr(num_classes, "__index__"):  # (a float raises, as torch)
        raise TypeError(
            f"one_hot(): argument 'num_classes' (position 2) must be int, not {type(num_classes).__name__}"
        )
    if t._data.dtype != _int64:
        raise DTypeError(f"one_hot is only applicable to index tensor of type LongTensor. (got {t.dtype})")
    if num_classes == -1 and not t.numel():
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    hi = int(t.max()) if t.numel() else -1
    lo = int(t.min()) if t.numel() else 0
    if num_classes == -1:
        num_classes = hi + 1
    if lo < 0 or hi >= num_classes:
        raise IndexRangeError(
            f"one_hot: class values must be in [0, {num_classes}), got {lo if lo < 0 else hi}"
        )
    return (t.unsqueeze(-1) == arange(num_classes, device=t.device)).long()


@numpy_keywords
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along `dim` (unit vectors; eps guards against zero vectors)."""
    x = _tensor(input, "input")
    return x / x.norm(p, dim=dim, keepdim=True).clamp(min=eps)


@numpy_keywords
def embedding(
    input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm=None, norm_type: float = 2.0,
    scale_grad_by_freq: bool = False, sparse: bool = False,
) -> Tensor:  # fmt: skip
    """Look up rows of `weight` (num_embeddings, dim) at integer indices `input` (...).

    out[..., :] = weight[input[...], :] -- a row gather (xp.take). Backward scatter-adds
    each output row's gradient into its weight row (repeated indices add up); the row
    `padding_idx` gets no gradient. Indices out of range raise IndexError. As torch:
    max_norm rescales, in place and without grad, each looked-up row whose norm_type-norm
    exceeds it; scale_grad_by_freq divides each row's gradient by how often its index occurs
    in this batch. sparse=True: weight's gradient is a sparse COO tensor (autograd/fused.py).
    """
    if not isinstance(input, Tensor):  # (torch.embedding's argument parser: a list or an int is TypeError)
        raise TypeError(
            f"embedding(): argument 'indices' (position 2) must be Tensor, not {type_name(input)}"
        )
    idx = input
    if idx.dtype.kind not in "iu" or idx._data.dtype.itemsize < 4:  # torch: int64 or int32 indices only
        raise DTypeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {idx.type()} instead (while checking arguments for embedding)"
        )
    if weight.ndim != 2:
        raise ShapeError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {tuple(weight.shape)}"
        )
    n = weight.shape[0]
    if idx.numel():
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            raise IndexRangeError(f"index out of range in self (index {(lo if lo < 0 else hi)}, {n} rows)")
    if padding_idx is not None and not -n <= padding_idx < n:
        raise AssertionError("Padding_idx must be within num_embeddings")  # torch asserts it
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        with _ag.no_grad():  # torch's embedding_renorm_: only the rows this batch looks up
            rows = idx.reshape(-1).unique()
            norms = weight[rows].norm(p=norm_type, dim=1, keepdim=True)
            scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight[rows] = weight[rows] * scale
    out = _ag.EmbeddingLookup.apply(weight, idx, padding_idx=padding_idx, sparse=bool(sparse))
    if scale_grad_by_freq and out.requires_grad:
        if sparse:  # torch's refusal, at backward
            out.register_hook(_no_sparse_scale)
            return out
        counts = idx.reshape(-1).bincount(minlength=n)[idx].to(out.dtype).unsqueeze(-1)
        out.register_hook(lambda g: g / counts)
    return out


def _no_sparse_scale(grad):
    raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse gradients")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)); derivative y (1 - y)."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def dropout(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only).
    inplace=True: into input, which is returned (torch's signature; generator is pyneuro's)."""
    check_dropout_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:  # (torch multiplies by a zero of the input's dtype: integers stay integers)
        mask = tensor(0, dtype=input.dtype, device=input.device)
    else:
        check_dropout_dtype(input.dtype)
        # torch's recipe, so a seed gives its masks: noise = bernoulli(1 - p) / (1 - p), in the
        # input's dtype
        # (drawn in the input's memory order, as torch's empty_like(input).bernoulli_(1 - p))
        keep = draw_in_memory_order(input._data, lambda shape: _rng(generator).bernoulli(1.0 - p, shape))
        keep = keep.astype(input._data.dtype)
        mask = as_tensor(keep / keep.dtype.type(1.0 - p), device=input.device)
    if inplace:
        return _tensor(input, "input")._inplace_op(lambda a: a * mask)
    return input * mask


def gelu(input: Tensor, *, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit: gelu(x) = x * Phi(x), Phi the standard normal CDF (like torch).

    Phi(x) = (1 + erf(x / sqrt 2)) / 2 = erfc(-x / sqrt 2) / 2 (erfc: no cancellation for x << 0);
    approximate="tanh" is the transformer papers' 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
    as torch. One node, GeluBackward0 (autograd/activation.py's Gelu): the backend's gelu_forward /
    gelu_backward kernels (the cpu backend's are C++, csrc/cpu/gelu.cpp), else special_xp's formula.
    """
    x = _tensor(input, "input")
    _need_float(x, "GeluKernelImpl", device_suffix=False)
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")  # (torch's words)
    return _activation("gelu", x, approximate=approximate)


# fmt: off
__all__ = [
    "gelu", "relu", "softmax", "log_softmax", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "leaky_relu", "linear", "one_hot", "normalize",
    "embedding", "sigmoid", "tanh", "dropout",
    "layer_norm", "batch_norm", "group_norm", "instance_norm", "local_response_norm", "conv1d",
    "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d",
    "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "scaled_dot_product_attention",
    "pad", "affine_grid", "grid_sample",
    *_ACTIVATIONS, *_RESAMPLING, *_POOLING, *_FRACTIONAL, *_LAYERS, *_LOSSES, *_CONV3D,
]
# fmt: on

# torch's parser refuses a list or an array where a Tensor goes (_arguments.py: one rule)
check_tensor_arguments(globals(), "pyneuro.functional")
