"""Layers and nn.functional as users call them, side by side with torch: values, gradients and
the exception types of wrong inputs (the harness is test_probe_nn.py's `check`)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from test_probe_nn import check

LAYER_CASES = {
    # Embedding: torch asserts its arguments
    "embedding_padding_idx_out_of_range": "nn.Embedding(5, 3, padding_idx=5)",
    "embedding_padding_idx_too_negative": "nn.Embedding(5, 3, padding_idx=-6)",
    "from_pretrained_1d": "nn.Embedding.from_pretrained(torch.ones(3))",
    "from_pretrained_shares_memory": (
        "w = torch.arange(6.).reshape(3, 2); m = nn.Embedding.from_pretrained(w); w[0, 0] = 7.\n"
        "out = [m.weight, m.weight.requires_grad, repr(m), m(torch.tensor([0, 2]))]"
    ),
    # MultiheadAttention: torch's asserts, and what reaches a projection
    "mha_query_width": "m = nn.MultiheadAttention(4, 2); m(rnd(3, 2, 5), rnd(3, 2, 5), rnd(3, 2, 5))",
    "mha_key_value_lengths": "m = nn.MultiheadAttention(4, 2); m(rnd(3, 2, 4), rnd(3, 2, 4), rnd(4, 2, 4))",
    "mha_kdim_width": (
        "m = nn.MultiheadAttention(4, 2, kdim=3, vdim=3); m(rnd(3, 2, 4), rnd(3, 2, 4), rnd(3, 2, 3))"
    ),
    "mha_key_padding_mask_shape": (
        "m = nn.MultiheadAttention(4, 2)\n"
        "m(rnd(3, 2, 4), rnd(3, 2, 4), rnd(3, 2, 4), key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))"
    ),
    "mha_4d_query": "m = nn.MultiheadAttention(4, 2); m(rnd(3, 2, 4, 1), rnd(3, 2, 4, 1), rnd(3, 2, 4, 1))",
    "mha_mixed_ranks": "m = nn.MultiheadAttention(4, 2); m(rnd(3, 2, 4), rnd(3, 4), rnd(3, 4))",
    "mha_integer_mask": (
        "m = nn.MultiheadAttention(4, 2)\n"
        "m(rnd(3, 2, 4), rnd(3, 2, 4), rnd(3, 2, 4), attn_mask=torch.zeros(3, 3, dtype=torch.long))"
    ),
    "mha_values": (
        "m = det(nn.MultiheadAttention(4, 2, batch_first=True)); q = rnd(2, 3, 4)\n"
        "mask = torch.triu(torch.ones(3, 3, dtype=torch.bool), 1)\n"
        "kpm = torch.tensor([[False, False, True], [False, False, False]])\n"
        "o, w = m(q, q, q, attn_mask=mask, key_padding_mask=kpm, average_attn_weights=False); out = [o, w]"
    ),
}


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_layer_as_torch(name):
    check(LAYER_CASES[name])
