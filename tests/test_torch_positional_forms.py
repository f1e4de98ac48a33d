"""torch's functions called with positional arguments in torch's order (torch.std(x, 0, True),
torch.topk(x, 2, 1, False, True), F.pad(x, (1, 1), 'constant', 2.0), F.nll_loss(..., 'sum') in its
seventh place, ...), run with torch and pyneuro and compared: an argument taken in the wrong place
would be a silent wrong answer."""

from __future__ import annotations

import pytest
from conftest import assert_same_outcome, form_outcome

import pyneuro as pn

torch = pytest.importorskip("torch")


def _forms(torch):
    x = torch.tensor([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    # fmt: off
    return {
     'std_pos_unbiased': lambda: torch.std(x, 0, True), 'std_pos_keep': lambda: torch.std(x, 1, False, True), 'var_pos': lambda: x.var(1, False),
     'std_unbiased_only': lambda: x.std(False), 'clamp_pos': lambda: torch.clamp(x, -1, 1), 'sum_pos_keep': lambda: torch.sum(x, 1, True), 'mean_pos_keep': lambda: torch.mean(x, 0, True),
     'max_pos_keep': lambda: torch.max(x, 1, True)[0], 'topk_pos': lambda: torch.topk(x, 2, 1, False, True)[0], 'sort_pos': lambda: torch.sort(x, 1, True)[0], 'argsort_pos': lambda: torch.argsort(x, 1, True),
     'norm_pos': lambda: torch.norm(x, 1, 1, True), 'cumsum_pos': lambda: torch.cumsum(x, 1), 'prod_pos': lambda: torch.prod(x, 1, True), 'logsumexp_pos': lambda: torch.logsumexp(x, 1, True),
     'gather_pos': lambda: torch.gather(x, 1, torch.tensor([[0], [1]])), 'index_select_pos': lambda: torch.index_select(x, 1, torch.tensor([2])), 'narrow_pos': lambda: torch.narrow(x, 1, 1, 2),
     'split_pos': lambda: torch.split(x, 2, 1)[0], 'chunk_pos': lambda: torch.chunk(x, 3, 1)[1], 'transpose_pos': lambda: torch.transpose(x, 0, 1), 'squeeze_pos': lambda: torch.squeeze(x[None], 0),
     'unsqueeze_pos': lambda: torch.unsqueeze(x, 0).shape, 'flatten_pos': lambda: torch.flatten(x[None], 1), 'repeat_interleave_pos': lambda: torch.repeat_interleave(x, 2, 0),
     'roll_pos': lambda: torch.roll(x, 1, 1), 'diag_pos': lambda: torch.diag(x, 1), 'tril_pos': lambda: torch.tril(x, 1), 'where_pos': lambda: torch.where(x > 0, x, torch.zeros_like(x)),
     'masked_fill_pos': lambda: torch.masked_fill(x, x > 0, 0.0), 'softmax_pos': lambda: torch.softmax(x, 0), 'log_softmax_pos': lambda: torch.log_softmax(x, 1),
     'linspace_pos': lambda: torch.linspace(0, 1, 3), 'arange_pos': lambda: torch.arange(0, 6, 2), 'full_pos': lambda: torch.full((2,), 1.5), 'randint_pos': lambda: torch.randint(5, (3,)).shape,
     'normal_pos': lambda: torch.normal(0.0, 1.0, (2,)).shape, 'cat_pos': lambda: torch.cat((x, x), 1).shape, 'stack_pos': lambda: torch.stack((x, x), 2).shape, 'einsum_pos': lambda: torch.einsum('ij->i', x),
     'lerp_pos': lambda: torch.lerp(x, -x, 0.5), 'addcmul_pos': lambda: torch.addcmul(x, x, x, value=2), 'clip_pos': lambda: torch.clip(x, 0, 2), 'quantile_pos': lambda: torch.quantile(x, 0.5, 1, True),
     'cdist_pos': lambda: torch.cdist(x, x, 1.0), 'dist_pos': lambda: torch.dist(x, -x, 1), 'kthvalue_pos': lambda: torch.kthvalue(x, 2, 1, True)[0], 'median_pos': lambda: torch.median(x, 1, True)[0],
     'mode_pos': lambda: torch.mode(x, 1, True)[0], 'unique_pos': lambda: torch.unique(torch.tensor([2, 1, 2]), True, True)[1], 'bincount_pos': lambda: torch.bincount(torch.tensor([0, 1, 1]), None, 4),
     'histc_pos': lambda: torch.histc(x, 4, -2, 4), 'count_nonzero_pos': lambda: torch.count_nonzero(x, 1), 'all_pos': lambda: torch.all(x > -3, 1, True), 'amax_pos': lambda: torch.amax(x, 1, True),
     'isclose_pos': lambda: torch.isclose(x, x + 1e-6, 1e-5, 1e-8), 'allclose_pos': lambda: torch.allclose(x, x + 1e-3, 1e-5, 1e-2), 'nan_to_num_pos': lambda: torch.nan_to_num(torch.tensor([float('nan'), float('inf')]), 0.0, 9.0),
     'F_dropout_pos': lambda: torch.nn.functional.dropout(x, 0.5, False), 'F_pad_pos': lambda: torch.nn.functional.pad(x, (1, 1), 'constant', 2.0), 'F_normalize_pos': lambda: torch.nn.functional.normalize(x, 1.0, 0),
     'F_leaky_pos': lambda: torch.nn.functional.leaky_relu(x, 0.3), 'F_elu_pos': lambda: torch.nn.functional.elu(x, 0.5), 'F_softplus_pos': lambda: torch.nn.functional.softplus(x, 2, 1),
     'F_ce_pos': lambda: torch.nn.functional.cross_entropy(x, torch.tensor([0, 2]), torch.tensor([1., 2., 3.])), 'F_interp_pos': lambda: torch.nn.functional.interpolate(x[None], 6, None, 'linear'),
     'F_maxpool_pos': lambda: torch.nn.functional.max_pool1d(x[None], 2, 1, 1), 'F_avgpool_pos': lambda: torch.nn.functional.avg_pool1d(x[None], 2, 1, 0, True),
     'F_conv1d_pos': lambda: torch.nn.functional.conv1d(x[None], torch.ones(1, 2, 2), None, 1, 1), 'F_linear_pos': lambda: torch.nn.functional.linear(x, torch.ones(2, 3), torch.ones(2)),
     'F_layer_norm_pos': lambda: torch.nn.functional.layer_norm(x, (3,), None, None, 1e-5), 'F_embedding_pos': lambda: torch.nn.functional.embedding(torch.tensor([1]), x, None),
     'F_one_hot_pos': lambda: torch.nn.functional.one_hot(torch.tensor([1]), 3), 'F_gelu_kw': lambda: torch.nn.functional.gelu(x, approximate='none'), 'F_hardtanh_pos': lambda: torch.nn.functional.hardtanh(x, -1.0, 1.0),
     'F_threshold_pos': lambda: torch.nn.functional.threshold(x, 1.0, -5.0), 'F_glu_pos': lambda: torch.nn.functional.glu(torch.ones(2, 4), 1), 'F_cos_sim_pos': lambda: torch.nn.functional.cosine_similarity(x, -x, 1, 1e-8),
     'F_mse_pos': lambda: torch.nn.functional.mse_loss(x, -x, None, None, 'sum'), 'F_nll_pos': lambda: torch.nn.functional.nll_loss(x.log_softmax(1), torch.tensor([0, 1]), None, None, -100, None, 'sum'),
    }
    # fmt: on


@pytest.mark.parametrize("name", sorted(_forms(torch)))
def test_positional_form_matches_torch(name):
    assert_same_outcome(form_outcome(_forms(pn)[name]), form_outcome(_forms(torch)[name]))
