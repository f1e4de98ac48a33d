"""Attention for pyneuro.functional (torch.nn.functional's names): scaled dot-product attention.

    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # q (..., L, E), k (..., S, E), v (..., S, Ev)

What it computes, for each leading index (batch, head):

    scores  = q k^T * scale + bias       (L, S): how well query i matches key j; scale = 1/sqrt(E)
    weights = softmax(scores, dim=-1)    each query's distribution over the S keys
    out     = weights v                  (L, Ev): each query's weighted mix of the values

Why the 1/sqrt(E): a dot product of two E-long vectors of unit-variance entries has variance E;
scaling it back to ~1 keeps the softmax out of its flat, saturated tails, where gradients vanish.

bias is 0 where a query may attend and -inf where it may not, so those weights come out exactly
0: from attn_mask (bool: True = "may attend"; float: added as it is) or from is_causal (query i
sees keys 0..i only: a language model must not read the future). A query that may attend to no
key at all gets a zero output and zero gradients (torch's "safe softmax"), not NaN.

Cost: 2 L S E FLOPs for the scores and 2 L S Ev for the output (batched matmuls), plus an L x S
weight matrix per (batch, head) held for the backward pass: the memory that grows with the
square of the sequence length. FlashAttention avoids storing it by recomputing it blockwise in
the backward pass; here it is kept, because seeing it is the lesson.

The helpers below turn the masks of nn.MultiheadAttention into this additive form as well
(there a bool True means the opposite, "masked out"; see canonical_mask).
"""

from __future__ import annotations

import math

from ._dtype import bool_
from ._errors import ArgumentError, DTypeError, ShapeError, check_dropout_p
from .autograd import named, watch
from .creation import ones, zeros
from .tensor import Tensor

_NEG_INF = float("-inf")


class AssertedShapeError(AssertionError, ShapeError):
    """A wrong input that nn.MultiheadAttention rejects with an assert in torch (AssertionError),
    where scaled_dot_product_attention raises RuntimeError for the same mistake: an instance of both."""


def canonical_mask(mask, name: str, like: Tensor, masked_is_true: bool = True):
    """mask as an additive float mask (0 = keep, -inf = drop) in like's dtype, or None.

    nn.MultiheadAttention's convention (masked_is_true): a bool True drops that position;
    scaled_dot_product_attention's: a bool True keeps it. A float mask is added unchanged.
    """
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a pyneuro Tensor or None, not {type(mask).__name__}")
    if mask.dtype == bool_:
        drop = mask if masked_is_true else ~mask
        return zeros(tuple(mask.shape), dtype=like.dtype, device=like.device).masked_fill(drop, _NEG_INF)
    if not mask.dtype.is_floating_point:
        raise AssertedShapeError(f"only bool and floating types of {name} are supported")
    return mask.to(like.dtype)


def safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with rows that are -inf everywhere giving 0 instead of NaN.

    Such rows are set to 0 before the softmax (so its backward sees finite numbers and the
    gradient stays 0, not NaN) and their weights to 0 after it.
    """
    dead = (scores == _NEG_INF).all(-1, keepdim=True)
    if not bool(dead.any()):
        return scores.softmax(-1)
    return scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
) -> Tensor:
    """softmax(q k^T * scale + mask) v over the last two dims, like torch's F.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading dims
    broadcast. attn_mask: bool (True = may attend) or float (added), broadcastable to (..., L, S).
    is_causal: query i attends to keys 0..i (top-left aligned when L != S). dropout_p: dropout
    on the weights, always applied when > 0 (pass 0.0 in eval mode, as torch asks). enable_gqa:
    key/value with fewer heads (dim -3) than query are repeated to match (grouped-query attention).
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not {type(t).__name__}"
            )
        if t.ndim < 2:
            raise ShapeError(
                f"scaled_dot_product_attention: {name} must have at least 2 dims, got shape {tuple(t.shape)}"
            )
    if not query.dtype.is_floating_point or key.dtype != query.dtype or value.dtype != query.dtype:
        raise DTypeError(
            "Expected query, key, and value to have the same floating dtype, but got query.dtype: "
            f"{query.dtype}, key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )
    if key.shape[-1] != query.shape[-1]:
        raise ShapeError(
            f"scaled_dot_product_attention: query and key must have the same last dim, got {query.shape[-1]} and {key.shape[-1]}"
        )
    if value.shape[-2] != key.shape[-2]:
        raise ShapeError(
            f"scaled_dot_product_attention: key and value must have the same sequence length (dim -2), "
            f"got {key.shape[-2]} and {value.shape[-2]}"
        )
    if is_causal and attn_mask is not None:
        raise ArgumentError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"
        )
    check_dropout_p(dropout_p)
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk == 0 or hq % hk:
            raise ShapeError(
                f"enable_gqa: the number of query heads ({hq}) must be a multiple of key/value heads ({hk})"
            )
        key, value = key.repeat_interleave(hq // hk, -3), value.repeat_interleave(hq // hk, -3)
    L, S = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    flash = dropout_p == 0.0 and query.ndim == key.ndim == value.ndim == 4 and query.device == "cpu"
    if flash:
        scores = (query @ key.transpose(-2, -1)) * s
    else:  # torch's math path: q and k scaled by sqrt(|scale|) first, copies its matmul saves (so q
        root = math.sqrt(abs(s))  # or k changed in place after this is no error there)
        scores = (query * (root if s >= 0 else -root)) @ (key.transpose(-2, -1) * root)
    if is_causal:
        attn_mask = ones((L, S), dtype=bool_, device=query.device).tril(0)
    bias = canonical_mask(attn_mask, "attn_mask", scores, masked_is_true=False)
    if bias is not None:
        scores = scores + bias
        weights = safe_softmax(scores)
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0.0:
        from .functional import dropout  # pyneuro.functional imports this module

        weights = dropout(weights, dropout_p, training=True)
    out = weights @ value
    if flash:
        out = named(out, "ScaledDotProductFlashAttentionForCpuBackward0")  # the kernel torch picks then
        out = watch(out, out)  # (whose node saves its output: changed in place, backward raises)
    return out


__all__ = ["scaled_dot_product_attention"]
