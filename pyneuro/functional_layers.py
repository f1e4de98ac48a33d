"""The functions behind more torch.nn layers, for pyneuro.functional (torch.nn.functional's names):

pdist                 distances between every pair of rows of x (N, M), i < j
cosine_similarity     cos of the angle between x1 and x2 along a dim, in their common dtype
pairwise_distance     ||x1 - x2 + eps||_p along the last dim
bilinear              y = x1^T A x2 + b for each of the out_features matrices A
rms_norm              x / sqrt(mean(x^2) + eps) * weight over the last dims
dropout1d / dropout3d zero whole channels (feature maps) of 1-d / 3-d signals
alpha_dropout, feature_alpha_dropout   dropout that keeps SELU's zero mean and unit variance
gumbel_softmax        a differentiable sample from a categorical (hard=True: one-hot, straight-through)
embedding_bag         sums / means / maxima of bags of embedding rows, without the (N, D) per-index output

All are compositions of differentiable Tensor ops, so autograd gives their gradients.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._errors import DTypeError, IndexRangeError, NotATensor, ShapeError, check_dropout_dtype, check_dropout_p
from ._euclidean import PairDist, pair_indices
from ._shapes import dim_int, ints
from ._tensor_base import _promote
from .autograd import EmbeddingLookup, named
from .autograd.linalg import Trilinear
from .creation import as_tensor, zeros
from .functions import cat, where
from .functions_index import broadcast_tensors
from .random import _rng
from .tensor import Tensor


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """||x_i - x_j||_p for the rows i < j of x (N, M), in row-major order: N (N - 1) / 2 values."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if p == 2:  # exact differences a chunk at a time; the backward by matrix products (_euclidean.py)
        return named(PairDist.apply(input, *pair_indices(input.shape[0], input.device)), "PdistBackward0")
    i, j = np.triu_indices(input.shape[0], k=1)
    rows_i = input.index_select(0, as_tensor(i.astype(np.int64), device=input.device))
    rows_j = input.index_select(0, as_tensor(j.astype(np.int64), device=input.device))
    diff = rows_i - rows_j
    if p == 0:  # the number of coordinates that differ (zero gradient), as torch
        return (diff != 0).sum(dim=1).to(input.dtype) + diff.sum(dim=1) * 0
    return diff.norm(p, dim=1)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij x1[..., i] A[o, i, j] x2[..., j] + b[o], weight A (out, in1, in2).

    One matmul x1 (B, in1) @ A as (in1, out * in2), then a product with x2 summed over j.
    """
    out, in1, in2 = weight.shape if weight.ndim == 3 else (None, None, None)
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, got {weight.ndim}-D")
    if input1.shape[-1] != in1:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected {in1}"
        )
    if input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected {in2}"
        )
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    for d in range(input1.ndim - 1):
        if input1.shape[d] != input2.shape[d]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {d}: got {input1.shape[d]} and {input2.shape[d]}"
            )
    lead = tuple(input1.shape[:-1])
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)  # (torch's views, which its node saves)
    if x1.dtype.is_floating_point and weight.dtype == x1.dtype == x2.dtype:
        y = Trilinear.apply(x1, weight, x2)  # (reads the three at backward, as torch's node)
    else:  # (integers: no gradient; int32 stays int32)
        t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
        y = (t * x2.unsqueeze(1)).sum(-1, dtype=None if t.dtype.is_floating_point else t.dtype)
    y = y.reshape(*lead, out)
    return y if bias is None else y + bias  # torch adds the bias last


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """x / sqrt(mean(x^2 over the last len(normalized_shape) dims) + eps) * weight (RMSNorm).

    eps=None uses the machine epsilon of x's dtype (torch.finfo(x.dtype).eps), as torch.
    """
    shape = ints(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k :]) != shape or input.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*{', '.join(map(str, shape))}], "
            f"but got input of size{list(input.shape)}"
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = input * (input * input).mean(dim=dims, keepdim=True).add(eps).rsqrt()
    return y if weight is None else y * weight


# ----------------------------------------------------------------------------- dropout
def _keep_mask(input: Tensor, shape, p: float, generator) -> Tensor:
    keep = _rng(generator).bernoulli(1.0 - p, shape)  # torch's draw: bernoulli_(1 - p)
    return as_tensor(keep.astype(input._data.dtype), device=input.device)


def _feature_shape(input: Tensor, spatial: int) -> tuple:
    """The mask shape of channel dropout: input's batch and channel sizes, 1 for the spatial dims."""
    lead = input.ndim - spatial
    return tuple(input.shape[:lead]) + (1,) * spatial


def _apply(input: Tensor, factor, inplace: bool, shift=None) -> Tensor:
    def op(a):
        return a * factor if shift is None else a * factor + shift

    return input._inplace_op(op) if inplace else op(input)


def _feature_dropout(input, p, training, inplace, generator, spatial) -> Tensor:
    check_dropout_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if spatial < 0 or input.ndim - spatial < 1:  # no channel dimension to drop along
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1.0:  # (torch multiplies by a zero of the input's dtype: integers stay integers)
        return _apply(input, zeros((), dtype=input.dtype, device=input.device), inplace)
    check_dropout_dtype(input.dtype)
    mask = _keep_mask(input, _feature_shape(input, spatial), p, generator) / (1.0 - p)
    return _apply(input, mask, inplace)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) with probability p, scaling the rest by 1 / (1 - p)."""
    check_dropout_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that dropout1d exists to "
            "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional "
            "batch dimension (i.e. 2D or 3D inputs)."
        )
    return _feature_dropout(input, p, training, inplace, generator, 1)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None
) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability p, scaling the rest by 1 / (1 - p).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    regularises little; dropping a whole map does (Tompson et al., 2015). The mask is
    (N, C, 1, 1), broadcast over H and W. As torch 2.13, a 3-D input is read as (N, C, L)
    (channel-wise 1-D dropout) with a warning, and other ranks are deprecated (a warning)."""
    check_dropout_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result in an "
            "error in a future release. To retain the behavior and silence this warning, please use dropout "
            "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, generator, input.ndim - 2)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p (scaled by 1 / (1 - p))."""
    check_dropout_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will result in an "
            "error in a future release.",
            stacklevel=2,
        )
        # torch reads it as one unbatched sample: one mask value per entry of dim 0
        return _feature_dropout(input, p, training, inplace, generator, max(input.ndim - 1, 0))
    return _feature_dropout(input, p, training, inplace, generator, 3)


_SELU_ALPHA = (
    1.7580993408473766  # -SELU's scale * alpha: the value a very negative input saturates at, negated
)


def _alpha_dropout(input, p, training, inplace, generator, mask_shape) -> Tensor:
    """torch's alpha dropout: dropped values become -alpha' and an affine map a x + b restores the
    mean and variance:  a = ((1 - p) (1 + p alpha'^2))^(-1/2),  out = a (keep x + alpha' (p - 1 + keep)) ."""
    check_dropout_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _apply(input, 0.0, inplace)
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    keep = _keep_mask(input, mask_shape, p, generator)
    return _apply(input, keep * a, inplace, shift=(keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False, generator=None
):
    """Dropout for SELU networks: keeps zero mean and unit variance (note training=False by default, as torch)."""
    return _alpha_dropout(input, p, training, inplace, generator, tuple(input.shape))


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False, generator=None
):
    """alpha_dropout of whole channels: the mask is (N, C, 1, ...)."""
    return _alpha_dropout(
        input, p, training, inplace, generator, _feature_shape(input, max(input.ndim - 2, 0))
    )


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1,
                   generator=None) -> Tensor:  # fmt: skip
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) drawn as -log(Exponential(1)).

    hard=True returns the one-hot of the argmax, y_hard - y_soft.detach() + y_soft: its value is
    one-hot but its gradient is the soft sample's (the straight-through estimator), as torch.
    """
    exp = _rng(generator).exponential_fill(tuple(logits.shape)).astype(logits._data.dtype)  # torch's draws
    gumbels = (logits + as_tensor(-np.log(exp), device=logits.device)) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim=dim, keepdim=True)
    y_hard = zeros(tuple(logits.shape), dtype=logits.dtype, device=logits.device).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# ----------------------------------------------------------------------------- embedding_bag
def _bags(input: Tensor, offsets, include_last_offset: bool):
    """(flat indices, bag of each index, number of bags, trailing) from torch's 2-D or 1-D + offsets
    forms. include_last_offset: the last offset ends the last bag for torch's sum and mean, which leave
    out the `trailing` indices after it (the mean still counts them in the last bag's size), while
    its max keeps them in the last bag; they are given to the last bag here."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                f"sequences. However, found offsets of type {type(offsets)}"
            )
        b, n = input.shape
        return input.reshape(-1), np.repeat(np.arange(b), n), b, 0
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None or offsets.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor but got {None if offsets is None else offsets.ndim}")
    if offsets.dtype.kind not in "iu":
        raise DTypeError("embedding_bag: offsets must be an integer tensor (int64 or int32)")
    starts = offsets.cpu().numpy().astype(np.int64)
    if len(starts) and starts[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. "
            f"However, got {starts[0]}"
        )
    n = input.shape[0]
    if len(starts) and starts[-1] > n:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {starts[-1]}"
        )
    if len(starts) > 1 and (np.diff(starts) < 0).any():  # (torch's kernel check, with its words)
        raise RuntimeError("Expected i < index_size to be true, but got false.  (offsets must not decrease)")
    end = n
    if include_last_offset:
        starts, end = starts[:-1], (int(starts[-1]) if len(starts) else n)
    bag_of = np.searchsorted(starts, np.arange(n), side="right") - 1 if len(starts) else np.zeros(n, np.int64)
    return input, bag_of, len(starts), n - end


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None) -> Tensor:  # fmt: skip
    """Reduce bags of rows of weight (V, D): out[b] = sum / mean / max of weight[i] over the indices i of bag b.

    Bags: the rows of a 2-D input (B, n), or the runs input[offsets[b] : offsets[b + 1]] of a 1-D input.
    per_sample_weights (mode 'sum' only) scales each row; indices equal to padding_idx are left out
    (and out of a mean's count); an empty bag gives zeros. The sum and mean scatter-add the gathered
    rows into their bags; max gathers each bag padded with -inf and takes its maximum.
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None or scale_grad_by_freq:
        raise NotImplementedError(
            "embedding_bag: max_norm and scale_grad_by_freq are not supported by pyneuro"
        )
    if input.dtype.kind not in "iu":
        raise DTypeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {input.dtype.torch_name} instead (while checking arguments for embedding_bag)"
        )
    flat, bag_of, bags, trailing = _bags(input, offsets, include_last_offset)
    v, d = weight.shape
    idx = flat.cpu().numpy().astype(np.int64)
    bad = np.flatnonzero((idx < 0) | (idx >= v))
    if bad.size:
        raise IndexRangeError(
            f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in the valid range [0, {v})"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += v
    keep = idx != padding_idx if padding_idx is not None else np.ones(idx.shape, bool)
    if mode != "max" and trailing and padding_idx is None:  # (torch's padding_idx kernel keeps the
        keep[len(idx) - trailing :] = False  # indices after the last offset in the last bag)
    idx, bag_of = idx[keep], bag_of[keep]
    lookup = as_tensor(idx, device=weight.device)  # (sparse: weight's gradient one sparse entry per index)
    rows = EmbeddingLookup.apply(weight, lookup, sparse=True) if sparse else weight.index_select(0, lookup)
    if per_sample_weights is not None:
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ShapeError("embedding_bag: per_sample_weights has to be of the same shape as input")
        if per_sample_weights.dtype != weight.dtype:  # (torch's check, in its words)
            raise DTypeError(
                "Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                f"'per_sample_weights'; but type {weight.type()} does not equal {per_sample_weights.type()} "
                "(while checking arguments for embedding_bag)"
            )
        w = per_sample_weights.reshape(-1)[as_tensor(np.flatnonzero(keep), device=weight.device)]
        rows = rows * w.unsqueeze(1)
    if mode == "max":
        return named(_bag_max(rows, bag_of, bags, d), "EmbeddingBagBackward0")
    out = zeros(bags, d, dtype=weight.dtype, device=weight.device).index_add(0, as_tensor(bag_of), rows)
    if mode == "mean":
        counts = np.bincount(bag_of, minlength=bags)
        if bags and padding_idx is None:  # torch's count of the last bag runs to the end of input
            counts[-1] += trailing  # (its sum stops at the last offset; with padding_idx neither does)
        counts = np.maximum(counts, 1).astype(weight._data.dtype)
        out = out / as_tensor(counts[:, None], device=weight.device)
    return named(out, "EmbeddingBagBackward0")


def _bag_max(rows: Tensor, bag_of: np.ndarray, bags: int, d: int) -> Tensor:
    """Per-bag elementwise maxima: rows gathered into (bags, longest, D), the gaps -inf; empty bags 0."""
    counts = np.bincount(bag_of, minlength=bags)
    longest = int(counts.max()) if bags and counts.size else 0
    if longest == 0:
        return zeros(bags, d, dtype=rows.dtype, device=rows.device) + rows.sum() * 0
    slot = np.arange(len(bag_of)) - np.concatenate(([0], np.cumsum(counts)[:-1]))[bag_of]
    table = np.full((bags, longest), len(bag_of), dtype=np.int64)  # the gap row: index len(rows)
    table[bag_of, slot] = np.arange(len(bag_of))
    gap = zeros(1, d, dtype=rows.dtype, device=rows.device) - float("inf")
    padded = cat([rows, gap]).index_select(0, as_tensor(table.reshape(-1), device=rows.device))
    best = padded.reshape(bags, longest, d).max(dim=1).values
    empty = as_tensor((counts == 0)[:, None], device=rows.device)
    return where(empty, 0.0, best)


def _need_tensor(x, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise NotATensor(f"{name} must be a pyneuro Tensor, got {type(x).__name__}")
    return x


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos(x1, x2) = sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along `dim`.

    Each vector is divided by its (clamped) norm first, as PyTorch does, which keeps
    large vectors from overflowing the product of norms. x1 and x2 broadcast against
    each other (e.g. one query (1, D) against many items (N, D)), in their common dtype
    (float32 with int64: float32, as torch's)."""
    a, b = _promote(_need_tensor(x1, "x1"), _need_tensor(x2, "x2"))
    dim = dim_int(dim)  # (one dim, an int: as torch)
    if not a.dtype.is_floating_point:
        raise DTypeError(f"expected common dtype to be floating point, yet common dtype is {a.dtype}")
    if a.shape != b.shape:  # torch broadcasts first, so dim counts in the common shape
        a, b = broadcast_tensors(a, b)
    na = a.norm(dim=dim, keepdim=True).clamp(min=eps)
    nb = b.norm(dim=dim, keepdim=True).clamp(min=eps)
    return ((a / na) * (b / nb)).sum(dim=dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (the Euclidean distance for p=2)."""
    return named((x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim), "NormBackward1")


__all__ = [
    "pdist",
    "cosine_similarity",
    "pairwise_distance",
    "bilinear",
    "rms_norm",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
    "gumbel_softmax",
    "embedding_bag",
]
