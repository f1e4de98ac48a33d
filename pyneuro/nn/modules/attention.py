"""MultiheadAttention: H attention heads side by side, each on its own E/H-wide slice.

    attn = nn.MultiheadAttention(embed_dim=64, num_heads=4, batch_first=True)
    out, weights = attn(x, x, x)      # self-attention; x (N, L, 64) -> out (N, L, 64), weights (N, L, L)

What it computes (E = embed_dim, H = num_heads, d = E / H):

    q = query W_q^T + b_q,  k = key W_k^T + b_k,  v = value W_v^T + b_v     (one (3E, E) in_proj_weight
                                                                             when key/value are E wide)
    head h: o_h = softmax(q_h k_h^T / sqrt(d) + mask) v_h                   q_h = columns h*d .. (h+1)*d
    out = concat(o_1 .. o_H) W_o^T + b_o                                      (out_proj)

Each head can attend to different positions; splitting E into H slices costs no more than one
E-wide head (the matmuls have the same total size). Cost per sequence: 8 L E^2 FLOPs for the four
projections (self-attention, L = S) and 4 L^2 E for the scores and the weighted sums.

Masks (torch's conventions, the opposite of scaled_dot_product_attention's bool form): a bool
True in attn_mask (L, S) or (N*H, L, S), or in key_padding_mask (N, S), means "do not attend";
a float mask is added to the scores. need_weights=True (the default) also returns the weights,
averaged over the heads unless average_attn_weights=False; need_weights=False runs
F.scaled_dot_product_attention (what the Transformer layers use).
"""

from __future__ import annotations

import math
import warnings

from ... import functional as F
from ..._errors import ArgumentError, ShapeError
from ..._tensor_base import _device
from ...creation import empty, zeros
from ...functional_attention import AssertedShapeError, canonical_mask, scaled_dot_product_attention
from ...functions import cat
from ...tensor import Tensor
from .. import init
from .linear import Linear
from .module import Module, Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """MultiheadAttention's out_proj: a Linear (torch's class name, so reprs and checks match)."""


class MultiheadAttention(Module):
    """Multi-head attention (torch.nn.MultiheadAttention's arguments, parameters and results)."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        dev, dt = _device(device), dtype

        def param(*shape):
            return Parameter(empty(shape, dtype=dt, device=dev))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = param(embed_dim, embed_dim)
            self.k_proj_weight = param(embed_dim, self.kdim)
            self.v_proj_weight = param(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = param(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(
            embed_dim, embed_dim, bias=bias, device=device, dtype=dtype
        )
        if add_bias_kv:
            self.bias_k, self.bias_v = param(1, 1, embed_dim), param(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """torch's: Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self, query, key, value, self_attention: bool):
        """q, k, v = the three input projections (time-major (L, N, E) tensors). Self-attention
        (one tensor as query, key and value) runs them as one (3E, E) matmul, as torch does."""
        E = self.embed_dim
        b = self.in_proj_bias
        if self_attention and self._qkv_same_embed_dim:
            qkv = F.linear(query, self.in_proj_weight, b)
            return qkv[..., :E], qkv[..., E : 2 * E], qkv[..., 2 * E :]
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E : 2 * E], b[2 * E :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:E], w[E : 2 * E], w[2 * E :]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def _check(self, query, key, value, key_padding_mask):
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"MultiheadAttention: {name} must be a pyneuro Tensor, not {type(t).__name__}"
                )
        # torch asserts these (AssertionError); a key or value of the wrong width fails its projection
        if query.ndim not in (2, 3):
            raise AssertionError(
                f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query tensor"
            )
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise AssertionError(
                f"For {'batched (3-D)' if query.ndim == 3 else 'unbatched (2-D)'} `query`, expected `key` and "
                f"`value` to be {query.ndim}-D but found {key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if query.shape[-1] != self.embed_dim:
            raise AssertedShapeError(
                f"was expecting embedding dimension of {self.embed_dim}, but got {query.shape[-1]}"
            )
        widths = (key.shape[-1], value.shape[-1])
        if widths != (self.kdim, self.vdim):
            if not self._qkv_same_embed_dim:  # torch asserts the separate projections' shapes
                raise AssertionError(
                    f"expecting key and value weights of widths {(self.kdim, self.vdim)}, got {widths}"
                )
            raise ShapeError(
                f"was expecting key and value embedding dimensions of {(self.kdim, self.vdim)}, but got {widths}"
            )
        if key.shape[:-1] != value.shape[:-1]:
            raise AssertionError(
                f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
            )
        if key_padding_mask is not None and not isinstance(key_padding_mask, Tensor):
            raise TypeError("key_padding_mask must be a pyneuro Tensor or None")

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        """(attn_output, attn_weights or None); shapes as query's (batch_first or time-major or unbatched)."""
        self._check(query, key, value, key_padding_mask)
        if is_causal and attn_mask is None:
            raise ArgumentError(
                "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
                "`generate_square_subsequent_mask` to create this mask."
            )
        self_attention = query is key and key is value
        unbatched = query.ndim == 2
        if unbatched:  # one sequence: a batch of one, answered without the batch dim
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:  # the arithmetic below is time-major: (L, N, E)
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        L, N, E = query.shape
        H, d = self.num_heads, self.head_dim
        if query.shape[1] != key.shape[1]:
            raise ShapeError(f"query has batch size {query.shape[1]} but key has {key.shape[1]}")
        q, k, v = self._projections(query, key, value, self_attention)
        if (
            key_padding_mask is not None
            and attn_mask is not None
            and key_padding_mask.dtype != attn_mask.dtype
        ):
            warnings.warn(
                "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for both instead.",
                stacklevel=2,
            )
        mask = canonical_mask(attn_mask, "attn_mask", q)
        kpm = canonical_mask(key_padding_mask, "key_padding_mask", q)
        S = k.shape[0]
        mask = self._attn_mask_3d(mask, L, S, N)
        if kpm is not None and tuple(kpm.shape) != (N, S):
            if kpm.ndim != 2:
                raise AssertionError(
                    f"expecting key_padding_mask shape of {(N, S)}, but got {tuple(kpm.shape)}"
                )
            i = 0 if kpm.shape[0] != N else 1  # torch's check, dimension by dimension
            raise AssertionError(
                f"Expected key_padded_mask.shape[{i}] to be {(N, S)[i]}, but got {kpm.shape[i]}"
            )
        if self.bias_k is not None:  # one learned extra key/value every query can attend to
            k = cat([k, self.bias_k.repeat(1, N, 1)])
            v = cat([v, self.bias_v.repeat(1, N, 1)])
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        # heads: (L, N, E) -> (N*H, L, d), head h of sample n at index n*H + h
        q = q.reshape(L, N * H, d).transpose(0, 1)
        k = k.reshape(k.shape[0], N * H, d).transpose(0, 1)
        v = v.reshape(v.shape[0], N * H, d).transpose(0, 1)
        if self.add_zero_attn:  # an all-zero key/value: a query may attend to "nothing"
            k = cat([k, zeros((N * H, 1, d), dtype=k.dtype, device=k.device)], dim=1)
            v = cat([v, zeros((N * H, 1, d), dtype=v.dtype, device=v.device)], dim=1)
            mask, kpm = _pad_last(mask), _pad_last(kpm)
        S = k.shape[1]
        if kpm is not None:  # (N, S) -> (N*H, 1, S), merged into the attention mask
            kpm = kpm.reshape(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
            mask = kpm if mask is None else mask + kpm
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = (q * (1.0 / math.sqrt(d))) @ k.transpose(1, 2)
            if mask is not None:
                scores = scores + mask
            w = F.dropout(scores.softmax(-1), p, training=True) if p > 0 else scores.softmax(-1)
            out = w @ v  # (N*H, L, d)
            weights = w.reshape(N, H, L, S)
            if average_attn_weights:
                weights = weights.mean(dim=1)
        else:
            if mask is not None:
                mask = mask.reshape(N, H, -1, S) if mask.shape[0] == N * H else mask.unsqueeze(0)
            out = scaled_dot_product_attention(
                q.reshape(N, H, L, d), k.reshape(N, H, S, d), v.reshape(N, H, S, d), mask, dropout_p=p
            ).reshape(N * H, L, d)
        out = out.transpose(0, 1).reshape(L, N, E)  # heads side by side again
        out = self.out_proj(out)
        if unbatched:
            out = out.squeeze(1)
            weights = None if weights is None else weights.squeeze(0)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def _attn_mask_3d(self, mask, L, S, N):
        """attn_mask as (1 or N*H, L, S), with torch's shape checks."""
        if mask is None:
            return None
        if mask.ndim == 2:
            if tuple(mask.shape) != (L, S):
                raise ShapeError(f"The shape of the 2D attn_mask is {mask.shape}, but should be {(L, S)}.")
            return mask.unsqueeze(0)
        if mask.ndim == 3:
            if tuple(mask.shape) != (N * self.num_heads, L, S):
                raise ShapeError(
                    f"The shape of the 3D attn_mask is {mask.shape}, but should be {(N * self.num_heads, L, S)}."
                )
            return mask
        raise ShapeError(f"attn_mask's dimension {mask.ndim} is not supported")


def multi_head_attention_forward(
    query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
    dropout_p, out_proj_weight, out_proj_bias, training=True, key_padding_mask=None, need_weights=True,
    attn_mask=None, use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None, v_proj_weight=None,
    static_k=None, static_v=None, average_attn_weights=True, is_causal=False,
):  # fmt: skip
    """torch.nn.functional.multi_head_attention_forward: MultiheadAttention's forward with the weights
    given as arguments (time-major (L, N, E) or unbatched (L, E) inputs): a module is made around
    them, registering nothing, and runs its forward."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError(
            "multi_head_attention_forward: static_k and static_v are not supported by pyneuro"
        )
    if query.shape[-1] != embed_dim_to_check:
        raise AssertedShapeError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {query.shape[-1]}"
        )
    if embed_dim_to_check % num_heads:
        raise AssertionError(f"embed_dim {embed_dim_to_check} not divisible by num_heads {num_heads}")
    m = MultiheadAttention.__new__(MultiheadAttention)
    Module.__init__(m)
    m.__dict__.update(
        embed_dim=embed_dim_to_check, num_heads=num_heads, head_dim=embed_dim_to_check // num_heads,
        kdim=key.shape[-1], vdim=value.shape[-1], _qkv_same_embed_dim=not use_separate_proj_weight,
        in_proj_weight=in_proj_weight, in_proj_bias=in_proj_bias, q_proj_weight=q_proj_weight,
        k_proj_weight=k_proj_weight, v_proj_weight=v_proj_weight, bias_k=bias_k, bias_v=bias_v,
        add_zero_attn=add_zero_attn, dropout=dropout_p, batch_first=False, training=training,
        out_proj=lambda x: F.linear(x, out_proj_weight, out_proj_bias),
    )  # fmt: skip
    return m.forward(
        query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal
    )


def _pad_last(mask):
    """One more key position, allowed (0), at the end of a mask's last dim."""
    return None if mask is None else F.pad(mask, (0, 1))
