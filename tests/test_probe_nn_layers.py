"""Layers and nn.functional as users call them, side by side with torch: values, gradients and
the exception types of wrong inputs (the harness is test_probe_nn.py's `check`)."""

from __future__ import annotations

import subprocess
import sys

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
    # CTC: values, and log_probs.grad as torch's backward gives it (with its exp(log_probs) term)
    **{
        f"ctc_{reduction}": (
            "lp = rnd(10, 3, 5).log_softmax(2).requires_grad_(); t = torch.tensor([[1, 2, 2], [3, 4, 0], [1, 1, 1]])\n"
            f"l = F.ctc_loss(lp, t, torch.tensor([10, 8, 6]), torch.tensor([3, 2, 3]), reduction='{reduction}')\n"
            "l.sum().backward(); out = [l, lp.grad]"
        )
        for reduction in ("mean", "sum", "none")
    },
    "ctc_logits_concatenated_targets_module": (
        "x = rnd(10, 2, 5).requires_grad_(); t = torch.tensor([1, 2, 2, 3, 4])\n"
        "l = nn.CTCLoss()(x.log_softmax(2), t, torch.tensor([10, 8]), torch.tensor([3, 2])); l.backward()\n"
        "out = [l, x.grad, repr(nn.CTCLoss(zero_infinity=True))]"
    ),
    "ctc_blank_last_tuple_lengths": (
        "x = rnd(10, 2, 5).requires_grad_(); t = torch.tensor([[1, 2, 2], [3, 0, 0]])\n"
        "l = F.ctc_loss(x.log_softmax(2), t, (10, 8), (3, 2), blank=4); l.backward(); out = [l, x.grad]"
    ),
    "ctc_impossible_is_inf": (
        "x = rnd(3, 2, 5); t = torch.tensor([[1, 1, 1], [3, 2, 0]])\n"
        "out = F.ctc_loss(x.log_softmax(2), t, (3, 3), (3, 2), reduction='none')"
    ),
    "ctc_zero_infinity": (
        "x = rnd(3, 2, 5).requires_grad_(); t = torch.tensor([[1, 1, 1], [3, 2, 0]])\n"
        "l = F.ctc_loss(x.log_softmax(2), t, (3, 3), (3, 2), zero_infinity=True); l.backward(); out = [l, x.grad]"
    ),
    "ctc_empty_target": (
        "x = rnd(4, 2, 5).requires_grad_(); t = torch.tensor([[1, 1], [3, 2]])\n"
        "l = F.ctc_loss(x.log_softmax(2), t, (4, 4), (0, 2), reduction='none'); l.sum().backward(); out = [l, x.grad]"
    ),
    "ctc_unbatched": (
        "x = rnd(6, 5).requires_grad_()\n"
        "l = F.ctc_loss(x.log_softmax(1), torch.tensor([1, 2]), torch.tensor(6), torch.tensor(2)); l.backward()\n"
        "out = [l, x.grad]"
    ),
    "ctc_input_length_too_long": (
        "F.ctc_loss(rnd(6, 2, 5).log_softmax(2), torch.tensor([[1, 2], [2, 2]]), [7, 5], [2, 2])"
    ),
    # class targets: torch takes int64 and uint8 only
    **{
        f"{fn}_target_{dtype}": f"F.{fn}(rnd(4, 5), torch.tensor([1, 2, 3, 0], dtype=torch.{dtype}))"
        for fn in ("cross_entropy", "nll_loss")
        for dtype in ("int32", "int16", "int8", "bool")
    },
    "cross_entropy_uint8_target": "out = F.cross_entropy(rnd(4, 5), torch.tensor([1, 2, 3, 0], dtype=torch.uint8))",
    "cross_entropy_spatial_int32_target": "F.cross_entropy(rnd(2, 3, 4), torch.zeros(2, 4, dtype=torch.int32))",
    # binary_cross_entropy at p = 0 and 1: torch's clamped value and its finite gradient
    "bce_at_zero_and_one": (
        "x = torch.tensor([0., 1., 0., 1., 0.3]).requires_grad_(); t = torch.tensor([0., 1., 1., 0., 0.2])\n"
        "l = F.binary_cross_entropy(x, t, weight=torch.tensor([1., 2, 3, 4, 5]), reduction='none')\n"
        "l.sum().backward(); out = [l, x.grad]"
    ),
    "bce_second_derivative": (
        "x = torch.tensor([0.2, 0.7]).requires_grad_(); l = F.binary_cross_entropy(x, torch.tensor([0., 1.]))\n"
        "g, = torch.autograd.grad(l, x, create_graph=True); g.sum().backward(); out = [g, x.grad]"
    ),
    # functional forms
    "cosine_similarity_broadcasts": (
        "out = [F.cosine_similarity(rnd(3, 4), rnd(4, seed=2)), F.cosine_similarity(rnd(3, 1, 4), rnd(2, 4), dim=-1)]"
    ),
    "linear_weight_vector": "out = [F.linear(rnd(2, 3), rnd(3, seed=2)), F.linear(rnd(5, 2, 3), rnd(3, seed=2))]",
    "one_hot_int32": "F.one_hot(torch.tensor([0, 1], dtype=torch.int32))",
    "one_hot_empty_needs_num_classes": "F.one_hot(torch.tensor([], dtype=torch.long))",
    "one_hot_empty": "out = F.one_hot(torch.tensor([], dtype=torch.long), 3)",
    "dropout_integer_input": "F.dropout(torch.ones(3, dtype=torch.long))",
    "dropout_integer_input_eval": "x = torch.ones(3, dtype=torch.long); out = F.dropout(x, training=False)",
    "F_embedding_padding_idx_out_of_range": "F.embedding(torch.tensor([1]), torch.ones(3, 2), padding_idx=3)",
    "embedding_padding_idx_negative": (
        "w = torch.ones(3, 2, requires_grad=True); F.embedding(torch.tensor([2, 1]), w, padding_idx=-1).sum().backward()\n"
        "out = w.grad"
    ),
    # interpolate(antialias=True): values and gradients
    **{
        f"antialias_{mode}_{corners}_{size[0]}x{size[1]}": (
            "x = rnd(2, 3, 8, 8).requires_grad_()\n"
            f"y = F.interpolate(x, size={size}, mode='{mode}', align_corners={corners}, antialias=True)\n"
            "(y * rnd(*y.shape, seed=5)).sum().backward(); out = [y, x.grad]"
        )
        for mode in ("bilinear", "bicubic")
        for corners in (False, True)
        for size in ((3, 3), (5, 7), (16, 3), (1, 1))
    },
    "antialias_scale_factor": (
        "out = [F.interpolate(rnd(1, 2, 9, 10), scale_factor=0.37, mode='bilinear', antialias=True),\n"
        "       F.interpolate(rnd(1, 2, 9, 10), scale_factor=(0.5, 1.7), mode='bicubic', antialias=True,\n"
        "                     recompute_scale_factor=True)]"
    ),
    "antialias_linear_mode": "F.interpolate(rnd(1, 2, 9), size=3, mode='linear', antialias=True)",
    # norms: a float64 input with float32 parameters is an error in torch (not a silent promotion)
    "batchnorm_mixed_dtype": "nn.BatchNorm1d(2)(rnd(4, 2).double())",
    "batchnorm_mixed_dtype_eval": "nn.BatchNorm1d(2).eval()(rnd(4, 2).double())",
    "layernorm_mixed_dtype": "nn.LayerNorm(2)(rnd(4, 2).double())",
    "layernorm_half_input_float_parameters": "out = nn.LayerNorm(2)(rnd(4, 2).half()).dtype",
    "norms_in_float64": (
        "out = [nn.LayerNorm(2).double()(rnd(4, 2).double()), nn.BatchNorm1d(2).double()(rnd(4, 2).double()),\n"
        "       F.batch_norm(rnd(4, 2).double(), None, None, training=True)]"
    ),
    # torch has no integer or bool kernel for these: NotImplementedError
    **{
        f"{fn}_of_{kind}": f"F.{fn}(torch.tensor({data}){extra})"
        for fn, extra in (
            ("gelu", ""),
            ("silu", ""),
            ("elu", ""),
            ("leaky_relu", ""),
            ("softplus", ""),
            ("softmax", ", 1"),
            ("log_softmax", ", 1"),
            ("softmin", ", 1"),
            ("layer_norm", ", (2,)"),
        )
        for kind, data in (("int", "[[-1, 2], [3, -4]]"), ("bool", "[[True, False], [True, True]]"))
    },
    "softmax_of_int_with_dtype": (
        "out = [F.softmax(torch.tensor([[1, 2]]), 1, dtype=torch.float64),\n"
        "       F.log_softmax(torch.tensor([[1, 2]]), dim=1, dtype=torch.float32)]"
    ),
    "sdpa_kernel_context": "from torch.nn.attention import SDPBackend, sdpa_kernel\nq = rnd(1, 2, 3, 4)\nwith sdpa_kernel(SDPBackend.MATH):\n    a = F.scaled_dot_product_attention(q, q, q)\nwith sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):\n    b = F.scaled_dot_product_attention(q, q, q, is_causal=True)\nout = [a, b, str(SDPBackend.MATH), repr(SDPBackend.CUDNN_ATTENTION), int(SDPBackend.EFFICIENT_ATTENTION)]",
    "keyword_forms": "x = rnd(2, 3, 4, 4)\nout = [F.max_pool2d(input=x, kernel_size=2), F.interpolate(input=x, size=(2, 2)), F.pad(input=x, pad=(1, 1)),\n       F.one_hot(input=torch.tensor([1]), num_classes=3), F.conv2d(input=x, weight=rnd(1, 3, 2, 2)),\n       nn.MSELoss()(input=rnd(3), target=rnd(3, seed=1)), det(nn.Linear(4, 2))(input=x), nn.Softmax(dim=0)(input=rnd(3))]",
    "one_hot_keyword_is_input": "F.one_hot(tensor=torch.tensor([1]), num_classes=3)",
    "embedding_bag_offsets_past_the_end": "F.embedding_bag(torch.tensor([1, 2]), rnd(3, 2), torch.tensor([0, 5]))",
    "cross_entropy_weight_dtype": "nn.CrossEntropyLoss(weight=torch.tensor([1., 2., 3.]))(rnd(2, 3).double(), torch.tensor([0, 2]))",
    "nll_weight_dtype": "F.nll_loss(rnd(2, 3).double(), torch.tensor([0, 2]), weight=torch.tensor([1., 2., 3.]))",
    "mse_loss_of_integers": "out = F.mse_loss(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3]))",
    "l1_loss_of_integers": "out = F.l1_loss(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3]))",
    "smooth_l1_loss_of_integers": "out = F.smooth_l1_loss(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3]))",
    "huber_loss_of_integers": "out = F.huber_loss(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3]))",
    "soft_margin_loss_of_integers": "out = F.soft_margin_loss(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3]))",
    "kl_div_of_integers": "out = F.kl_div(torch.tensor([1, 2, 3]), torch.tensor([1, 0, 3]))",
    "mse_loss_float_input_integer_target": "out = F.mse_loss(torch.tensor([1., 2, 3]), torch.tensor([1, 0, 3]))",
    "l1_loss_float_input_integer_target": "out = F.l1_loss(torch.tensor([1., 2, 3]), torch.tensor([1, 0, 3]))",
    "smooth_l1_loss_float_input_integer_target": "out = F.smooth_l1_loss(torch.tensor([1., 2, 3]), torch.tensor([1, 0, 3]))",
    "kl_div_float_input_integer_target": "out = F.kl_div(torch.tensor([1., 2, 3]), torch.tensor([1, 0, 3]))",
    "embedding_indices_uint8": "out = det(nn.Embedding(4, 2))(torch.tensor([1], dtype=torch.uint8))",
    "embedding_indices_int8": "out = det(nn.Embedding(4, 2))(torch.tensor([1], dtype=torch.int8))",
    "embedding_indices_int16": "out = det(nn.Embedding(4, 2))(torch.tensor([1], dtype=torch.int16))",
    "embedding_indices_int32": "out = det(nn.Embedding(4, 2))(torch.tensor([1], dtype=torch.int32))",
    "embedding_indices_bool": "out = det(nn.Embedding(4, 2))(torch.tensor([1], dtype=torch.bool))",
    "embedding_scale_grad_by_freq": "m = det(nn.Embedding(4, 2, scale_grad_by_freq=True)); y = m(torch.tensor([[1, 1, 2], [1, 3, 3]]))\n(y * rnd(2, 3, 2, seed=5)).sum().backward(); out = m.weight.grad",
    "embedding_max_norm_renorms_rows": "m = det(nn.Embedding(4, 2, max_norm=0.5)); y = m(torch.tensor([1, 2, 1]))\n(y * rnd(3, 2, seed=5)).sum().backward(); out = [y, m.weight, m.weight.grad]",
    "embedding_bag_padding_idx_grad": "m = det(nn.EmbeddingBag(4, 2, padding_idx=1, mode='mean')); y = m(torch.tensor([[1, 2], [1, 1], [3, 1]]))\n(y * rnd(3, 2, seed=5)).sum().backward(); out = [y, m.weight.grad]",
}


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_layer_as_torch(name):
    check(LAYER_CASES[name])


WARNING_CASES = {
    "encoder_nested_tensor_reasons": (
        "out = [nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, **kw), 1).use_nested_tensor\n"
        "       for kw in ({}, {'batch_first': True}, {'batch_first': True, 'norm_first': True},\n"
        "                  {'batch_first': True, 'activation': torch.tanh}, {'batch_first': True, 'bias': False})]\n"
        "out.append(nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 1, 16, batch_first=True), 1).use_nested_tensor)"
    ),
    "encoder_no_warning_when_disabled": (
        "out = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1, enable_nested_tensor=False).use_nested_tensor"
    ),
    "mha_mismatched_mask_types": (
        "m = det(nn.MultiheadAttention(4, 2)); q = rnd(3, 2, 4)\n"
        "o, w = m(q, q, q, attn_mask=torch.zeros(3, 3), key_padding_mask=torch.zeros(2, 3, dtype=torch.bool)); out = [o, w]"
    ),
}


@pytest.mark.parametrize("name", sorted(WARNING_CASES))
def test_warns_as_torch(name):
    check(WARNING_CASES[name], warns=True)


def test_same_padding_even_kernel_warns_once_per_process_as_torch():
    code = (
        "import warnings, {lib} as t\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    t.nn.functional.conv2d(t.ones(1, 1, 4, 4), t.ones(1, 1, 2, 2), padding='same')\n"
        "    t.nn.Conv1d(1, 1, 4, padding='same')(t.ones(1, 1, 6))\n"
        "    t.nn.Conv3d(1, 1, 2, padding='same')(t.ones(1, 1, 4, 4, 4))\n"
        "    t.nn.Conv2d(1, 1, 3, padding='same')(t.ones(1, 1, 4, 4))\n"
        "print(sum('even kernel lengths' in str(x.message) for x in w))\n"
    )
    counts = [
        subprocess.run(
            [sys.executable, "-c", code.format(lib=lib)], capture_output=True, text=True, check=True
        ).stdout
        for lib in ("torch", "pyneuro")
    ]
    assert counts[1] == counts[0] == "1\n"


# hostile inputs: non-contiguous, empty, NaN/inf, bad sizes, tensors changed in place after use
HOSTILE_CASES = {
    "mha_all_masked": "m=det(nn.MultiheadAttention(4,2,batch_first=True)); q=rnd(1,2,4)\no,w=m(q,q,q,key_padding_mask=torch.tensor([[True,True]])); out=[o,w]",
    "mutate_weight_after_forward": "m=det(nn.Linear(2,2)); x=rnd(3,2).requires_grad_(); y=m(x)\nwith torch.no_grad(): m.weight.add_(1)\ny.sum().backward()",
    "mutate_input_after_forward": "m=det(nn.Linear(2,2)); x=rnd(3,2).requires_grad_(); x2=x*1; y=m(x2).sum()\nx2.add_(1)\ny.backward()",
    "mutate_conv_input": "m=det(nn.Conv2d(1,1,3)); x=rnd(1,1,4,4).requires_grad_(); x2=x*1; y=m(x2).sum()\nx2.mul_(2); y.backward()",
    "mutate_bn_input": "m=nn.BatchNorm1d(2); x=rnd(4,2).requires_grad_(); x2=x*1; y=m(x2).pow(2).sum()\nx2.mul_(2); y.backward()",
    "mutate_ln_weight": "m=det(nn.LayerNorm(2)); x=rnd(4,2).requires_grad_(); y=m(x).pow(2).sum()\nwith torch.no_grad(): m.weight.mul_(2)\ny.backward()",
    "mutate_emb_weight": "m=det(nn.Embedding(3,2)); y=m(torch.tensor([1])).pow(2).sum()\nwith torch.no_grad(): m.weight.mul_(2)\ny.backward(); out=m.weight.grad",
    "mutate_lstm_weight": "m=det(nn.LSTM(2,2)); y=m(rnd(3,1,2))[0].sum()\nwith torch.no_grad(): m.weight_hh_l0.mul_(2)\ny.backward()",
    "mutate_mha": "m=det(nn.MultiheadAttention(2,1)); q=rnd(3,1,2); y=m(q,q,q)[0].sum()\nwith torch.no_grad(): m.in_proj_weight.mul_(2)\ny.backward()",
    "mutate_softmax_out": "x=rnd(3,4).requires_grad_(); y=F.softmax(x, 1); s=(y*y).sum(); y.add_(1); s.backward()",
    "lin_noncontig": "m=det(nn.Linear(3,2)); x=rnd(3,4).t(); out=m(x)",
    "conv_noncontig": "m=det(nn.Conv2d(2,3,3)); x=rnd(1,5,5,2).permute(0,3,1,2); y=m(x); y.sum().backward(); out=[y, m.weight.grad]",
    "conv_empty_batch": "m=det(nn.Conv2d(2,3,3)); out=m(torch.zeros(0,2,5,5)).shape",
    "bn_empty_batch": "m=nn.BatchNorm2d(2); out=m(torch.zeros(0,2,3,3)).shape",
    "ln_empty": "m=nn.LayerNorm(3); out=m(torch.zeros(0,3)).shape",
    "lstm_noncontig": "m=det(nn.LSTM(3,2)); x=rnd(3,4,2).permute(1,2,0); o,_=m(x); out=o",
    "ce_nan": 'out=F.cross_entropy(torch.tensor([[float("nan"), 1.]]), torch.tensor([0]))',
    "ce_inf": 'x=torch.tensor([[float("inf"), 1.]]).requires_grad_(); l=F.cross_entropy(x, torch.tensor([0])); l.backward(); out=[l, x.grad]',
    "ce_neginf": 'x=torch.tensor([[-float("inf"), 1.]]).requires_grad_(); l=F.cross_entropy(x, torch.tensor([1])); l.backward(); out=[l, x.grad]',
    "softmax_all_neginf": 'out=F.softmax(torch.tensor([[-float("inf"), -float("inf")]]), 1)',
    "logsoftmax_inf": 'out=F.log_softmax(torch.tensor([[float("inf"), 1.]]), 1)',
    "maxpool_nan": 'out=F.max_pool2d(torch.tensor([[[[1., float("nan")],[2., 3.]]]]), 2)',
    "maxpool_nan_grad": 'x=torch.tensor([[[[1., float("nan")],[2., 3.]]]]).requires_grad_(); F.max_pool2d(x, 2).sum().backward(); out=x.grad',
    "relu_nan": 'out=F.relu(torch.tensor([float("nan"), -1.]))',
    "adaptive_max_nan": 'out=F.adaptive_max_pool2d(torch.tensor([[[[1., float("nan")],[2., 3.]]]]), 1)',
    "sdpa_all_masked": "q=rnd(1,1,2,4); out=F.scaled_dot_product_attention(q,q,q,attn_mask=torch.zeros(2,2,dtype=torch.bool))",
    "lin_neg": "nn.Linear(-1, 2)",
    "lin_zero": "m=nn.Linear(0, 2); out=[m(torch.zeros(3,0)), repr(m)]",
    "conv_zero_ch": "nn.Conv2d(0, 2, 3)",
    "lin_float_feat": "nn.Linear(2.0, 3)",
    "emb_zero": "m=nn.Embedding(0, 3); out=repr(m)",
    "bn_zero": "nn.BatchNorm1d(0)",
    "dropout_neg": "nn.Dropout(-0.1)",
    "lstm_str_size": 'nn.LSTM("3", 4)',
    "gn_zero_groups": "nn.GroupNorm(0, 4)",
    "maxpool_k0": "nn.MaxPool2d(0)(rnd(1,1,4,4))",
    "conv_k0": "nn.Conv2d(1,1,0)",
    "conv_stride0": "nn.Conv2d(1,1,3,stride=0)(rnd(1,1,4,4))",
    "upsample_neg": "F.interpolate(rnd(1,1,4,4), scale_factor=-1.)",
    "softmax_dim_big": "F.softmax(rnd(2,3), dim=5)",
    "linear_grad_nonleaf_x": "m=det(nn.Linear(2,2)); x=rnd(3,2).requires_grad_(); y=m(x*2); y.sum().backward(); out=x.grad",
    "mutate_ln_input": "m = det(nn.LayerNorm(2)); x = rnd(4, 2).requires_grad_(); x2 = x * 1; y = m(x2).pow(2).sum()\nx2.mul_(2); y.backward()",
    "mutate_gn_input": "m = det(nn.GroupNorm(1, 2)); x = rnd(4, 2, 3).requires_grad_(); x2 = x * 1; y = m(x2).pow(2).sum()\nx2.mul_(2); y.backward()",
    "mutate_bn_eval_input": "m = det(nn.BatchNorm1d(2)).eval(); x = rnd(4, 2).requires_grad_(); x2 = x * 1; y = m(x2).pow(2).sum()\nx2.mul_(2); y.backward()",
    "norm_node_names": "x = rnd(4, 3).requires_grad_()\nout = [type(F.layer_norm(x, (3,)).grad_fn).__name__, type(F.batch_norm(x, None, None, training=True).grad_fn).__name__,\n       type(F.group_norm(x.reshape(4, 3, 1), 1).grad_fn).__name__, type(nn.BatchNorm1d(3)(x).grad_fn).__name__]",
    "bn_empty_batch_backward": "m = nn.BatchNorm2d(2); x = torch.zeros(0, 2, 3, 3, requires_grad=True); m(x).sum().backward()\nout = [x.grad.shape, m.running_mean, m.num_batches_tracked]",
    "layernorm_double_backward": "x = rnd(4, 3).requires_grad_(); m = det(nn.LayerNorm(3)); y = m(x)\ng, = torch.autograd.grad(y.pow(3).sum(), x, create_graph=True); g.pow(2).sum().backward(); out = [x.grad, m.weight.grad]",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
def test_hostile_input_as_torch(name):
    check(HOSTILE_CASES[name], warns=name in ("lin_zero", "conv_zero_ch", "conv_k0"))


# A tensor changed in place after an op whose torch node saves it: backward raises exactly where torch's does
MUTATED_AFTER_USE = {
    "gelu": "F.gelu(x2)",
    "gelu_tanh": 'F.gelu(x2, approximate="tanh")',
    "silu": "F.silu(x2)",
    "softplus": "F.softplus(x2)",
    "elu": "F.elu(x2)",
    "selu": "F.selu(x2)",
    "celu": "F.celu(x2)",
    "mish": "F.mish(x2)",
    "hardswish": "F.hardswish(x2)",
    "hardsigmoid": "F.hardsigmoid(x2)",
    "logsigmoid": "F.logsigmoid(x2)",
    "leaky": "F.leaky_relu(x2, 0.1)",
    "relu6": "F.relu6(x2)",
    "hardtanh": "F.hardtanh(x2)",
    "softsign": "F.softsign(x2)",
    "tanhshrink": "F.tanhshrink(x2)",
    "softshrink": "F.softshrink(x2)",
    "hardshrink": "F.hardshrink(x2)",
    "threshold": "F.threshold(x2, 0.1, 2.)",
    "prelu": "F.prelu(x2, torch.tensor([0.2]))",
    "rrelu_eval": "F.rrelu(x2)",
    "softmax": "F.softmax(x2, -1)",
    "log_softmax": "F.log_softmax(x2, -1)",
    "softmin": "F.softmin(x2, -1)",
    "glu": "F.glu(x2, -1)",
    "normalize": "F.normalize(x2, dim=-1)",
    "cos": "F.cosine_similarity(x2, x2 + 1, dim=-1)",
    "pdist": "F.pairwise_distance(x2, x2 + 1)",
    "mse": "F.mse_loss(x2, torch.ones(4, 6))",
    "l1": "F.l1_loss(x2, torch.ones(4, 6))",
    "smoothl1": "F.smooth_l1_loss(x2, torch.ones(4, 6))",
    "huber": "F.huber_loss(x2, torch.ones(4, 6))",
    "bcel": "F.binary_cross_entropy_with_logits(x2, torch.ones(4, 6))",
    "bce": "F.binary_cross_entropy(x2.sigmoid(), torch.ones(4, 6))",
    "kl": 'F.kl_div(x2, torch.ones(4, 6) / 6, reduction="batchmean")',
    "nll": "F.nll_loss(x2, torch.tensor([0, 1, 2, 3]))",
    "ce_ls": "F.cross_entropy(x2, torch.tensor([0, 1, 2, 3]), label_smoothing=0.1)",
    "ce_prob": "F.cross_entropy(x2, torch.ones(4, 6) / 6)",
    "maxpool1d": "F.max_pool1d(x2.unsqueeze(0), 2)",
    "avgpool1d": "F.avg_pool1d(x2.unsqueeze(0), 2)",
    "adaptive_avg": "F.adaptive_avg_pool1d(x2.unsqueeze(0), 2)",
    "adaptive_max": "F.adaptive_max_pool1d(x2.unsqueeze(0), 2)",
    "lppool": "F.lp_pool1d(x2.unsqueeze(0), 2, 2)",
    "interp": 'F.interpolate(x2.unsqueeze(0), scale_factor=2, mode="linear")',
    "pad_reflect": 'F.pad(x2.unsqueeze(0), (1, 1), mode="reflect")',
    "linear": "F.linear(x2, torch.ones(3, 6))",
    "dropout_eval": "F.dropout(x2, training=False)",
    "embedding_w": "F.embedding(torch.tensor([0, 1]), x2)",
    "sdpa": "F.scaled_dot_product_attention(x2.unsqueeze(0), x2.unsqueeze(0), x2.unsqueeze(0))",
    "unfold": "F.unfold(x2.reshape(1, 1, 4, 6), 2)",
    "pixel_shuffle": "F.pixel_shuffle(x2.reshape(1, 4, 2, 3), 2)",
    "rms_norm": "F.rms_norm(x2, (6,))",
    "instance": "F.instance_norm(x2.unsqueeze(0))",
    "lrn": "F.local_response_norm(x2.unsqueeze(0), 2)",
    "conv1d": "F.conv1d(x2.unsqueeze(0), torch.ones(2, 4, 3))",
    "one_minus": "F.margin_ranking_loss(x2, x2 * 2, torch.ones(4, 6))",
    "aavg1": "F.adaptive_avg_pool1d(x2.unsqueeze(0), 2)",
    "amax1": "F.adaptive_max_pool1d(x2.unsqueeze(0), 2)",
    "aavg2": "F.adaptive_avg_pool2d(x2.reshape(1,4,2,3), 2)",
    "amax2": "F.adaptive_max_pool2d(x2.reshape(1,4,2,3), 1)",
    "refl2": 'F.pad(x2.reshape(1,4,2,3), (1,1,1,1), mode="reflect")',
    "repl1": 'F.pad(x2.unsqueeze(0), (1,1), mode="replicate")',
    "circ": 'F.pad(x2.unsqueeze(0), (1,1), mode="circular")',
    "inst2": "F.instance_norm(x2.reshape(1,4,2,3))",
    "const_pad": "F.pad(x2, (1,1))",
}


@pytest.mark.parametrize("name", sorted(MUTATED_AFTER_USE))
def test_input_changed_in_place_after_use_as_torch(name):
    check(
        f"x = rnd(4, 6).requires_grad_(); x2 = x * 1; y = {MUTATED_AFTER_USE[name]}\n"
        "s = (y.float() * y.float()).sum() if y.dtype.is_floating_point else y.sum()\n"
        "x2.add_(0.5); s.backward(); out = x.grad"
    )


@pytest.mark.parametrize("name", sorted(MUTATED_AFTER_USE))
def test_values_and_gradients_of_the_same_ops(name):
    check(
        f"x = rnd(4, 6).requires_grad_(); x2 = x * 1; y = {MUTATED_AFTER_USE[name]}; (y * y).sum().backward(); out = [y, x.grad]"
    )
