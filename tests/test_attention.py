"""Attention and the Transformer layers against torch: F.scaled_dot_product_attention,
nn.MultiheadAttention, TransformerEncoder/DecoderLayer, TransformerEncoder/Decoder, Transformer.

Each module test builds the torch module, copies its state dict into pyneuro's and compares the
outputs, the attention weights and the gradients of the inputs and of every parameter.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.nn as nn
import pyneuro.nn.functional as F

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-4, 2e-5


def _pair(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return (
        [pn.tensor(a, requires_grad=True) for a in arrays],
        [torch.tensor(a, requires_grad=True) for a in arrays],
    )


def _close(p, t, what=""):
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=what)


def _copy_state(tm, pm):
    state = {k: pn.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    pm.load_state_dict(state)
    assert list(pm.state_dict()) == list(tm.state_dict())


def _backward_both(p_out, t_out):
    rng = np.random.default_rng(7)
    g = rng.standard_normal(tuple(t_out.shape)).astype(np.float32)
    (p_out * pn.tensor(g)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()


def _unique(tensors):
    """Each tensor once (self-attention passes x as query, key and value)."""
    return list({id(t): t for t in tensors}.values())


def _compare_grads(pm, tm, p_in, t_in):
    for (name, p), (_, t) in zip(pm.named_parameters(), tm.named_parameters()):
        assert (p.grad is None) == (t.grad is None), name
        if t.grad is not None:
            _close(p.grad, t.grad, name)
    for p, t in zip(p_in, t_in):
        _close(p.grad, t.grad, "input grad")


# ----------------------------------------------------------------------------- F.scaled_dot_product_attention
@pytest.mark.parametrize(
    "shapes, kw",
    [
        (((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)), {}),
        (((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)), {"is_causal": True}),  # L < S: top-left aligned
        (((2, 6, 8), (2, 4, 8), (2, 4, 3)), {"is_causal": True}),  # L > S
        (((5, 8), (7, 8), (7, 8)), {"scale": 0.3}),
        (((1, 4, 5, 8), (3, 1, 6, 8), (3, 1, 6, 2)), {}),  # leading dims broadcast
    ],
)
def test_sdpa_matches_torch(shapes, kw):
    P, T = _pair(*shapes)
    o = F.scaled_dot_product_attention(*P, **kw)
    ot = torch.nn.functional.scaled_dot_product_attention(*T, **kw)
    _close(o, ot)
    _backward_both(o, ot)
    for p, t in zip(P, T):
        _close(p.grad, t.grad)


@pytest.mark.parametrize("kind", ["bool", "float", "bool_row_masked", "float_broadcast"])
def test_sdpa_masks_match_torch(kind):
    P, T = _pair((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), seed=1)
    rng = np.random.default_rng(3)
    if kind.startswith("bool"):
        m = rng.random((4, 6)) > 0.4
        m[:, 0] = True
        if kind == "bool_row_masked":
            m[2] = False  # query 2 may attend nowhere: zero output and zero gradient, not NaN
    elif kind == "float":
        m = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
    else:
        m = np.where(rng.random((1, 4, 6)) > 0.3, 0.0, -np.inf).astype(np.float32)
        m[..., 0] = 0.0
    o = F.scaled_dot_product_attention(*P, attn_mask=pn.tensor(m))
    ot = torch.nn.functional.scaled_dot_product_attention(*T, attn_mask=torch.tensor(m))
    _close(o, ot)
    _backward_both(o, ot)
    for p, t in zip(P, T):
        assert np.isfinite(p.grad.numpy()).all()
        _close(p.grad, t.grad)


def test_sdpa_grouped_query_attention_matches_torch():
    P, T = _pair((2, 4, 5, 8), (2, 2, 6, 8), (2, 2, 6, 8), seed=2)
    o = F.scaled_dot_product_attention(*P, enable_gqa=True)
    ot = torch.nn.functional.scaled_dot_product_attention(*T, enable_gqa=True)
    _close(o, ot)


def test_sdpa_dropout_zeroes_weights_and_keeps_the_scale():
    q = pn.zeros(1, 64, 4)  # equal scores: every weight is 1/64
    v = pn.ones(1, 64, 1)
    pn.manual_seed(0)
    out = F.scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    vals = out.numpy().ravel()
    assert 0.5 < vals.mean() < 1.5 and vals.std() > 0  # 1 on average, but not every row 1


def test_sdpa_bad_input_raises_like_torch():
    q, k, v = pn.randn(2, 4, 8), pn.randn(2, 6, 8), pn.randn(2, 6, 5)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, k, v, attn_mask=pn.ones(4, 6, dtype=pn.bool), is_causal=True)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, pn.randn(2, 6, 7), v)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, k, pn.randn(2, 5, 5))
    with pytest.raises(TypeError):
        F.scaled_dot_product_attention(q.numpy(), k, v)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, k, v, attn_mask=pn.ones(4, 6, dtype=pn.int64))


# ----------------------------------------------------------------------------- nn.MultiheadAttention
MHA_CASES = [
    ({}, "self"),
    ({"batch_first": True}, "self"),
    ({"batch_first": True}, "cross"),
    ({}, "unbatched"),
    ({"kdim": 3, "vdim": 5}, "cross"),
    ({"add_bias_kv": True}, "self"),
    ({"add_zero_attn": True, "batch_first": True}, "self"),
    ({"bias": False}, "self"),
]


def _mha_inputs(kw, how, E=8):
    N, L, S = 3, 4, 6
    kd, vd = kw.get("kdim", E), kw.get("vdim", E)
    if how == "unbatched":
        return _pair((L, E), (S, E), (S, E), seed=4)
    bf = kw.get("batch_first", False)

    def shape(T, D):
        return (N, T, D) if bf else (T, N, D)

    if how == "self":
        P, T = _pair(shape(L, E), seed=4)
        return [P[0]] * 3, [T[0]] * 3
    return _pair(shape(L, E), shape(S, kd), shape(S, vd), seed=4)


@pytest.mark.parametrize("kw, how", MHA_CASES)
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
def test_multihead_attention_matches_torch(kw, how, need_weights, average):
    tm = torch.nn.MultiheadAttention(8, 2, **kw)
    pm = nn.MultiheadAttention(8, 2, **kw)
    _copy_state(tm, pm)
    P, T = _mha_inputs(kw, how)
    o, w = pm(*P, need_weights=need_weights, average_attn_weights=average)
    ot, wt = tm(*T, need_weights=need_weights, average_attn_weights=average)
    _close(o, ot)
    assert (w is None) == (wt is None)
    if wt is not None:
        assert tuple(w.shape) == tuple(wt.shape)
        _close(w, wt)
    _backward_both(o, ot)
    _compare_grads(pm, tm, _unique(P), _unique(T))


@pytest.mark.parametrize("mask_kind", ["bool2d", "float3d", "kpm_bool", "both_float", "causal_hint"])
def test_multihead_attention_masks_match_torch(mask_kind):
    N, L, E, H = 2, 5, 8, 2
    tm = torch.nn.MultiheadAttention(E, H, batch_first=True)
    pm = nn.MultiheadAttention(E, H, batch_first=True)
    _copy_state(tm, pm)
    P, T = _pair((N, L, E), seed=5)
    rng = np.random.default_rng(6)
    kw_p, kw_t = {}, {}
    if mask_kind in ("bool2d", "causal_hint"):
        m = np.triu(np.ones((L, L), bool), 1)  # True = masked out (MultiheadAttention's convention)
        kw_p["attn_mask"], kw_t["attn_mask"] = pn.tensor(m), torch.tensor(m)
        if mask_kind == "causal_hint":
            kw_p["is_causal"] = kw_t["is_causal"] = True
    if mask_kind in ("float3d", "both_float"):
        m = rng.standard_normal((N * H, L, L)).astype(np.float32)
        kw_p["attn_mask"], kw_t["attn_mask"] = pn.tensor(m), torch.tensor(m)
    if mask_kind == "kpm_bool":
        k = np.zeros((N, L), bool)
        k[0, -2:] = True
        kw_p["key_padding_mask"], kw_t["key_padding_mask"] = pn.tensor(k), torch.tensor(k)
    if mask_kind == "both_float":
        k = np.zeros((N, L), np.float32)
        k[1, 0] = -np.inf
        kw_p["key_padding_mask"], kw_t["key_padding_mask"] = pn.tensor(k), torch.tensor(k)
    for need in (True, False):
        o, w = pm(P[0], P[0], P[0], need_weights=need, **kw_p)
        ot, wt = tm(T[0], T[0], T[0], need_weights=need, **kw_t)
        _close(o, ot, f"need_weights={need}")
        if need:
            _close(w, wt)


def test_multihead_attention_parameters_repr_and_errors_match_torch():
    for kw in ({}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True, "bias": False}):
        tm, pm = torch.nn.MultiheadAttention(8, 2, **kw), nn.MultiheadAttention(8, 2, **kw)
        assert list(pm.state_dict()) == list(tm.state_dict())
        assert [tuple(p.shape) for p in pm.parameters()] == [tuple(p.shape) for p in tm.parameters()]
        assert repr(pm) == repr(tm)
    pm = nn.MultiheadAttention(8, 2)
    assert np.allclose(pm.in_proj_bias.detach().numpy(), 0) and np.allclose(
        pm.out_proj.bias.detach().numpy(), 0
    )
    bound = np.sqrt(6 / (8 + 24))  # xavier_uniform_ on the (24, 8) in_proj_weight
    assert np.abs(pm.in_proj_weight.detach().numpy()).max() <= bound
    with pytest.raises(AssertionError):
        nn.MultiheadAttention(8, 3)
    x = pn.randn(4, 2, 8)
    with pytest.raises(RuntimeError):
        pm(x, x, x, is_causal=True)  # a hint needs the mask
    with pytest.raises(RuntimeError):
        pm(pn.randn(4, 2, 7), x, x)
    with pytest.raises(RuntimeError):
        pm(x, x, x, attn_mask=pn.zeros(3, 3))
    with pytest.raises(RuntimeError):
        pm(x, x, x, attn_mask=pn.zeros(4, 4, dtype=pn.int64))


# ----------------------------------------------------------------------------- Transformer layers
def _torch_modules(cls_name, *args, **kw):
    return getattr(torch.nn, cls_name)(*args, **kw), getattr(nn, cls_name)(*args, **kw)


@pytest.mark.parametrize(
    "kw",
    [
        {"dropout": 0.0},
        {"dropout": 0.0, "batch_first": True, "norm_first": True},
        {"dropout": 0.3, "activation": "gelu", "batch_first": True},  # compared in eval mode
        {"dropout": 0.0, "bias": False},
    ],
)
def test_encoder_layer_matches_torch(kw):
    tm, pm = _torch_modules("TransformerEncoderLayer", 8, 2, dim_feedforward=16, **kw)
    _copy_state(tm, pm)
    tm.eval()
    pm.eval()
    P, T = _pair((3, 5, 8), seed=8)
    L = 5 if kw.get("batch_first") else 3
    mask = np.triu(np.full((L, L), -np.inf, np.float32), 1)
    o = pm(P[0], src_mask=pn.tensor(mask))
    ot = tm(T[0], src_mask=torch.tensor(mask))
    _close(o, ot)
    _backward_both(o, ot)
    _compare_grads(pm, tm, P, T)
    assert repr(pm) == repr(tm)


def test_encoder_and_decoder_stacks_match_torch():
    d, h = 8, 2
    tl, pl = _torch_modules("TransformerEncoderLayer", d, h, 16, 0.0, batch_first=True)
    tenc = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(d), enable_nested_tensor=False)
    penc = nn.TransformerEncoder(pl, 2, norm=nn.LayerNorm(d))
    _copy_state(tenc, penc)
    assert penc.layers[0] is not penc.layers[1] and penc.layers[0].linear1.weight is not pl.linear1.weight
    tdl, pdl = _torch_modules("TransformerDecoderLayer", d, h, 16, 0.0, batch_first=True)
    tdec, pdec = torch.nn.TransformerDecoder(tdl, 2), nn.TransformerDecoder(pdl, 2)
    _copy_state(tdec, pdec)
    P, T = _pair((2, 5, d), (2, 4, d), seed=9)
    kpm = np.zeros((2, 5), bool)
    kpm[1, -1] = True
    mem_p = penc(P[0], src_key_padding_mask=pn.tensor(kpm))
    mem_t = tenc(T[0], src_key_padding_mask=torch.tensor(kpm))
    _close(mem_p, mem_t)
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    o = pdec(P[1], mem_p, tgt_mask=causal, memory_key_padding_mask=pn.tensor(kpm))
    ot = tdec(T[1], mem_t, tgt_mask=torch.tensor(causal.numpy()), memory_key_padding_mask=torch.tensor(kpm))
    _close(o, ot)
    _backward_both(o, ot)
    _compare_grads(pdec, tdec, P, T)
    _compare_grads(penc, tenc, [], [])


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
def test_transformer_matches_torch_and_builds_the_causal_mask():
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
    tm, pm = torch.nn.Transformer(**kw), nn.Transformer(**kw)
    assert list(pm.state_dict()) == list(tm.state_dict())
    assert sum(p.numel() for p in pm.parameters()) == sum(p.numel() for p in tm.parameters())
    _copy_state(tm, pm)
    P, T = _pair((6, 2, 8), (5, 2, 8), seed=10)
    o = pm(P[0], P[1], tgt_mask=pm.generate_square_subsequent_mask(5))
    ot = tm(T[0], T[1], tgt_mask=tm.generate_square_subsequent_mask(5))
    _close(o, ot)
    _backward_both(o, ot)
    _compare_grads(pm, tm, P, T)
    for n in (1, 4):
        np.testing.assert_array_equal(
            nn.Transformer.generate_square_subsequent_mask(n).numpy(),
            torch.nn.Transformer.generate_square_subsequent_mask(n).numpy(),
        )
    with pytest.raises(RuntimeError):
        pm(pn.randn(6, 2, 8), pn.randn(5, 3, 8))  # batch sizes differ
    with pytest.raises(RuntimeError):
        pm(pn.randn(6, 2, 8), pn.randn(5, 2, 7))


def test_transformer_weights_start_xavier_uniform():
    pm = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32)
    w = pm.encoder.layers[0].linear1.weight.detach().numpy()  # (32, 16)
    assert np.abs(w).max() <= np.sqrt(6 / (16 + 32)) and w.std() > 0.1


def test_course_u13n2_transformer_cells_run_and_mask_the_future():
    """The course's sequence-model notebook (u13n2), its Transformer cells with the imports renamed."""
    input_ids = pn.tensor([[ord(c) for c in "The quick brown fox jumped over the lazy dogs"]])
    targets = pn.tensor([[ord(c) for c in "he quick brown fox jumped over the lazy dogs."]])
    embedder = nn.Embedding(256, 5)
    lm_head = nn.Linear(5, 256)
    lm_head.weight = embedder.weight
    xformer = nn.TransformerEncoderLayer(d_model=5, nhead=1, dim_feedforward=5, batch_first=True)
    assert sum(p.numel() for p in xformer.parameters() if p.requires_grad) == 200
    x = pn.cat([embedder(input_ids)] * 2, axis=1)
    assert tuple(xformer(x).shape) == (1, 90, 5)
    mask = nn.Transformer.generate_square_subsequent_mask(45)
    embeddings = embedder(input_ids)
    embeddings.retain_grad()
    logits = lm_head(xformer(embeddings, mask))
    loss = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    loss[0, 20].backward()
    g = embeddings.grad.squeeze().norm(dim=1).numpy()
    assert np.all(g[21:] == 0) and g[20] > 0  # position 20 sees positions 0..20 only
