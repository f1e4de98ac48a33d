"""Common call forms of torch.nn (layer options, losses' arguments, recurrent and attention
layers, reprs, gradient clipping), each run with torch and with pyneuro on the same weights and
compared: dtype and values, the repr, or the exception type."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_same_outcome, form_outcome

import pyneuro as pn

torch = pytest.importorskip("torch")


def _forms(torch):
    nn, F = torch.nn, torch.nn.functional
    rng = np.random.default_rng(0)

    def T(*s):
        return torch.from_numpy(rng.standard_normal(s).astype(np.float32))

    def init(m, seed=0):
        r = np.random.default_rng(seed)
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.from_numpy((r.standard_normal(tuple(p.shape)) * 0.3).astype(np.float32)))
        return m

    x4, x3, x2 = T(2, 3, 5, 5), T(2, 4, 6), T(3, 4)
    # fmt: off
    return {
     'conv_pad_same': lambda: init(nn.Conv2d(3, 2, 3, padding='same'))(x4),
     'conv_stride_tuple': lambda: init(nn.Conv2d(3, 2, (3, 1), stride=(2, 1), padding=(1, 0)))(x4),
     'conv_groups': lambda: init(nn.Conv2d(3, 6, 3, groups=3))(x4), 'conv_dil': lambda: init(nn.Conv2d(3, 2, 2, dilation=2, bias=False))(x4),
     'conv1d': lambda: init(nn.Conv1d(4, 2, 3, padding=1))(x3), 'convT': lambda: init(nn.ConvTranspose2d(3, 2, 2, stride=2))(x4),
     'maxpool_ceil': lambda: nn.MaxPool2d(2, ceil_mode=True)(x4), 'maxpool_pad': lambda: nn.MaxPool2d(3, 2, 1)(x4), 'avgpool_nopad': lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False)(x4),
     'adaptive_avg': lambda: nn.AdaptiveAvgPool2d((2, 3))(x4), 'adaptive_avg_none': lambda: nn.AdaptiveAvgPool2d((None, 2))(x4),
     'bn_train': lambda: init(nn.BatchNorm2d(3))(x4), 'bn_eval': lambda: init(nn.BatchNorm2d(3)).eval()(x4), 'bn1d_3d': lambda: init(nn.BatchNorm1d(4))(x3),
     'bn_noaffine': lambda: nn.BatchNorm2d(3, affine=False, track_running_stats=False)(x4), 'bn_running': lambda: (lambda m: (m(x4), m.running_mean)[1])(nn.BatchNorm2d(3, momentum=None)),
     'ln': lambda: init(nn.LayerNorm(6))(x3), 'ln_noaff': lambda: nn.LayerNorm([4, 6], elementwise_affine=False)(x3), 'gn': lambda: init(nn.GroupNorm(1, 4))(x3),
     'emb_pad': lambda: init(nn.Embedding(5, 3, padding_idx=0))(torch.tensor([[0, 2], [4, 0]])), 'emb_max_norm': lambda: nn.Embedding.from_pretrained(T(5, 3), freeze=True)(torch.tensor([1, 3])),
     'linear_nobias': lambda: init(nn.Linear(4, 2, bias=False))(x2), 'bilinear': lambda: init(nn.Bilinear(4, 4, 2))(x2, x2), 'identity_args': lambda: nn.Identity(54, unused='x')(x2),
     'flatten_mod': lambda: nn.Flatten(0, 1)(x3).shape, 'unflatten': lambda: nn.Unflatten(1, (2, 2))(x2).shape, 'dropout_eval': lambda: nn.Dropout(0.3).eval()(x2),
     'softmax_mod': lambda: nn.Softmax(dim=-1)(x2), 'logsoftmax_mod': lambda: nn.LogSoftmax(1)(x2), 'softmax2d': lambda: nn.Softmax2d()(x4),
     'prelu': lambda: init(nn.PReLU(3))(x4), 'elu': lambda: nn.ELU(0.5)(x2), 'hardtanh': lambda: nn.Hardtanh(-0.5, 0.5)(x2), 'threshold': lambda: nn.Threshold(0.1, 20)(x2),
     'softplus_mod': lambda: nn.Softplus(beta=2, threshold=1)(x2), 'tanhshrink': lambda: nn.Tanhshrink()(x2), 'softsign': lambda: nn.Softsign()(x2), 'logsigmoid': lambda: nn.LogSigmoid()(x2),
     'ce_weight': lambda: nn.CrossEntropyLoss(weight=torch.tensor([1., 2., 0.5, 1.]))(x2, torch.tensor([0, 1, 3])),
     'ce_ignore': lambda: nn.CrossEntropyLoss(ignore_index=1)(x2, torch.tensor([0, 1, 3])), 'ce_4d': lambda: nn.CrossEntropyLoss()(x4, torch.tensor(rng.integers(0, 3, (2, 5, 5)))),
     'nll_weight_none': lambda: nn.NLLLoss(weight=torch.tensor([1., 2., 0.5, 1.]), reduction='none')(x2.log_softmax(1), torch.tensor([0, 1, 3])),
     'bce_mod': lambda: nn.BCELoss()(torch.sigmoid(x2), (x2 > 0).float()), 'huber_delta': lambda: nn.HuberLoss(delta=0.5)(x2, x2 * 0.3), 'kl': lambda: nn.KLDivLoss(reduction='batchmean')(x2.log_softmax(1), x2.softmax(1)),
     'cos_emb': lambda: nn.CosineEmbeddingLoss()(x2, x2.flip(0), torch.tensor([1, -1, 1])), 'margin': lambda: nn.MarginRankingLoss(0.5)(x2[:, 0], x2[:, 1], torch.tensor([1, -1, 1])),
     'triplet': lambda: nn.TripletMarginLoss()(x2, x2 * 0.5, x2.flip(0)), 'multimargin': lambda: nn.MultiMarginLoss()(x2, torch.tensor([0, 3, 1])),
     'smoothl1_beta0': lambda: nn.SmoothL1Loss(beta=0.0)(x2, x2 * 0.5), 'poisson': lambda: nn.PoissonNLLLoss()(x2, x2.abs()), 'gauss': lambda: nn.GaussianNLLLoss()(x2, x2 * 0.5, x2.abs() + 0.1),
     'rnn_h': lambda: init(nn.RNN(6, 3, batch_first=True))(x3)[1], 'gru_bi': lambda: init(nn.GRU(6, 3, bidirectional=True))(x3)[0], 'lstm_2l': lambda: init(nn.LSTM(6, 3, 2, batch_first=True))(x3)[1][1],
     'mha': lambda: init(nn.MultiheadAttention(6, 2, batch_first=True))(x3, x3, x3)[1], 'mha_mask': lambda: init(nn.MultiheadAttention(6, 2))(x3, x3, x3, attn_mask=torch.triu(torch.ones(2, 2, dtype=torch.bool), 1))[0],
     'tel': lambda: init(nn.TransformerEncoderLayer(6, 2, 8, dropout=0.0, batch_first=True))(x3), 'tel_gelu_norm_first': lambda: init(nn.TransformerEncoderLayer(6, 2, 8, 0.0, activation='gelu', norm_first=True))(x3),
     'sdpa_causal': lambda: F.scaled_dot_product_attention(x3[None], x3[None], x3[None], is_causal=True), 'pixelshuffle': lambda: nn.PixelShuffle(2)(T(1, 4, 2, 2)),
     'upsample_nearest': lambda: nn.Upsample(scale_factor=2)(x4), 'upsample_bilinear_ac': lambda: nn.Upsample(size=(7, 3), mode='bilinear', align_corners=True)(x4),
     'interp_linear': lambda: F.interpolate(x3, size=9, mode='linear'), 'fold_unfold': lambda: F.fold(F.unfold(x4, 2, stride=1), (5, 5), 2, stride=1),
     'pad_reflect': lambda: F.pad(x4, (1, 2, 0, 1), mode='reflect'), 'pad_replicate3d': lambda: F.pad(x3, (2, 1), mode='replicate'), 'pad_circular': lambda: F.pad(x4, (1, 1, 1, 1), mode='circular'),
     'zeropad': lambda: nn.ZeroPad2d((1, 0, 0, 2))(x4), 'cosine_sim_mod': lambda: nn.CosineSimilarity(dim=0)(x2, x2.flip(1)), 'pairwise': lambda: nn.PairwiseDistance(p=1)(x2, x2.flip(0)),
     'seq_slice': lambda: len(nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))[1:]), 'modulelist_extend': lambda: len(nn.ModuleList([nn.ReLU()]).extend([nn.Tanh(), nn.ReLU()])),
     'moduledict_keys': lambda: list(nn.ModuleDict({'b': nn.ReLU(), 'a': nn.Tanh()}).keys()), 'param_count_conv': lambda: sum(p.numel() for p in nn.Conv2d(3, 8, 3).parameters()),
     'state_keys_bn': lambda: sorted(nn.BatchNorm1d(3).state_dict()), 'repr_seq': lambda: repr(nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(2), nn.LeakyReLU(0.1), nn.MaxPool2d(2), nn.Dropout2d(0.2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3))),
     'repr_rnn': lambda: repr(nn.LSTM(4, 8, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)), 'repr_emb': lambda: repr(nn.Embedding(10, 3, padding_idx=0)),
     'repr_tel': lambda: repr(nn.TransformerEncoderLayer(8, 2, 16)), 'repr_losses': lambda: [repr(m) for m in (nn.CrossEntropyLoss(label_smoothing=0.1), nn.MSELoss(reduction='sum'), nn.BCEWithLogitsLoss(), nn.NLLLoss())],
     'clip_value': lambda: (lambda m: (m(x2).sum().backward(), nn.utils.clip_grad_value_(m.parameters(), 0.1), m.weight.grad)[2])(init(nn.Linear(4, 2))),
     'clip_norm_inf': lambda: (lambda m: (m(x2).sum().backward(), nn.utils.clip_grad_norm_(m.parameters(), 0.5, norm_type='inf'))[1])(init(nn.Linear(4, 2))),
     'p2v': lambda: nn.utils.parameters_to_vector(init(nn.Linear(2, 2)).parameters()),
    }
    # fmt: on


@pytest.mark.parametrize("name", sorted(_forms(torch)))
def test_nn_call_form_matches_torch(name):
    assert_same_outcome(form_outcome(_forms(pn)[name]), form_outcome(_forms(torch)[name]), 2e-5, 2e-6)
