"""Common call forms of torch's functions (scalars mixed with tensors, keyword spellings, overloads),
each run with torch and with pyneuro and compared: dtype and values, or the exception type.
Each form is one line of the table below, as a script would write it."""

from __future__ import annotations

import pytest
from conftest import assert_same_outcome, form_outcome

import pyneuro as pn

torch = pytest.importorskip("torch")


def _forms(torch):
    x = torch.tensor([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    y = torch.tensor([[2.0, 1.0, -3.0], [0.5, 0.0, 2.0]])
    v = torch.tensor([1.0, 2.0, 3.0])
    i = torch.tensor([[0, 2], [1, 0]])
    c = x > 0
    # fmt: off
    return {
     'where_xs': lambda: torch.where(c, x, 0.0), 'where_sx': lambda: torch.where(c, -1, x), 'where_int': lambda: torch.where(c, 1, 0),
     'add_alpha': lambda: torch.add(x, y, alpha=2), 'add_scalar': lambda: torch.add(x, 1), 'sub_alpha': lambda: torch.sub(x, y, alpha=0.5),
     'mul_s': lambda: torch.mul(x, 2), 'div_s': lambda: torch.div(x, 2), 'div_floor': lambda: torch.div(x, 2, rounding_mode='floor'),
     'pow_sx': lambda: torch.pow(2, v), 'pow_xs': lambda: torch.pow(x, 2), 'pow_xy': lambda: torch.pow(x.abs(), y),
     'max_bin': lambda: torch.max(x, y), 'min_bin': lambda: torch.min(x, y), 'max_dim': lambda: torch.max(x, dim=1, keepdim=True).values,
     'max_dim_i': lambda: torch.max(x, 1)[1], 'min_all': lambda: torch.min(x), 'sum_tuple': lambda: torch.sum(x, dim=(0, 1)),
     'sum_keep': lambda: x.sum(1, keepdim=True), 'mean_tuple': lambda: torch.mean(x, (0, 1)), 'mean_dim_list': lambda: x.mean([0]),
     'argmax_all': lambda: torch.argmax(x), 'argmin_dim': lambda: torch.argmin(x, dim=0), 'sort_desc': lambda: torch.sort(x, dim=0, descending=True)[0],
     'eq_s': lambda: torch.eq(x, 0.5), 'ne_t': lambda: x != y, 'allclose': lambda: torch.allclose(x, x + 1e-6), 'isclose': lambda: torch.isclose(x, y, atol=1.0),
     'norm_dim': lambda: torch.norm(x, dim=1), 'norm_p1': lambda: torch.norm(x, p=1), 'dist': lambda: torch.dist(x, y), 'mm1d2d': lambda: torch.matmul(v, x.T),
     'mm2d1d': lambda: torch.matmul(x, v), 'mv1d1d': lambda: torch.matmul(v, v), 'bmm': lambda: torch.bmm(x[None], y.T[None]), 'einsum': lambda: torch.einsum('ij,kj->ik', x, y),
     'einsum_list': lambda: torch.einsum('ij->j', [x]), 'tensordot': lambda: torch.tensordot(x, y, dims=([1], [1])), 'diag_v': lambda: torch.diag(v),
     'diag_m': lambda: torch.diag(x), 'diag_off': lambda: torch.diag(v, 1), 'triu1': lambda: torch.triu(x, 1), 'tril-1': lambda: torch.tril(x, -1),
     'flip': lambda: torch.flip(x, [0, 1]), 'roll': lambda: torch.roll(x, 1), 'roll_dims': lambda: torch.roll(x, (1, 1), (0, 1)),
     'rep_il': lambda: torch.repeat_interleave(v, 2), 'rep_il_t': lambda: torch.repeat_interleave(v, torch.tensor([1, 0, 2])), 'gather': lambda: torch.gather(x, 1, i),
     'scatter': lambda: torch.zeros(2, 3).scatter(1, i, 1.0), 'scatter_add': lambda: torch.zeros(2, 3).scatter_add(1, i, x[:, :2]),
     'topk_small': lambda: torch.topk(v, 2, largest=False).values, 'unique_counts': lambda: torch.unique(torch.tensor([3, 1, 3, 2]), return_counts=True)[1],
     'unique_inv': lambda: torch.unique(torch.tensor([3, 1, 3, 2]), return_inverse=True)[1], 'bincount': lambda: torch.bincount(torch.tensor([0, 2, 2])),
     'cumsum': lambda: torch.cumsum(x, 0), 'prod_dim': lambda: torch.prod(x, 1), 'std_dim': lambda: torch.std(x, 0), 'var_unb': lambda: torch.var(x, 1, unbiased=False),
     'logsumexp': lambda: torch.logsumexp(x, 1), 'softmax_dtype': lambda: torch.softmax(x, 1, dtype=torch.float64), 'clamp_min': lambda: torch.clamp(x, min=0),
     'abs_': lambda: x.clone().abs_(), 'sign': lambda: torch.sign(x), 'floor_div': lambda: x // 2, 'mod_neg': lambda: x % -2,
     'full_like': lambda: torch.full_like(x, 7), 'zeros_like_dt': lambda: torch.zeros_like(x, dtype=torch.int64), 'ones_int': lambda: torch.ones(2, dtype=torch.int32),
     'arange_neg': lambda: torch.arange(5, 0, -2), 'linspace1': lambda: torch.linspace(0, 1, 1), 'eye_rect': lambda: torch.eye(2, 3),
     'cat_neg': lambda: torch.cat([x, y], -1), 'stack1': lambda: torch.stack([v, v], 1), 'chunk': lambda: torch.chunk(v, 2)[1], 'split_sz': lambda: torch.split(v, 2)[1],
     'narrow': lambda: x.narrow(1, 1, 2), 'select': lambda: x.select(1, 0), 'unbind': lambda: torch.unbind(x, 1)[2], 'movedim': lambda: torch.movedim(x[None], 0, 2).shape,
     'permute_neg': lambda: x[None].permute(2, 0, 1).shape, 'squeeze_tuple': lambda: torch.ones(1, 2, 1).squeeze((0, 2)).shape, 'unsqueeze_neg': lambda: v.unsqueeze(-2).shape,
     'view_neg': lambda: x.view(-1, 2), 'flatten_range': lambda: torch.ones(2, 3, 4).flatten(0, 1).shape, 'expand_as': lambda: v.expand_as(x),
     'index_bool2d': lambda: x[c], 'index_list': lambda: x[[1, 0]], 'index_tensor2': lambda: x[torch.tensor([1, 1]), torch.tensor([0, 2])], 'index_ellipsis_none': lambda: x[..., None].shape,
     'setitem_bool': lambda: (lambda z: (z.__setitem__(z < 0, 0.0), z)[1])(x.clone()), 'setitem_slice_t': lambda: (lambda z: (z.__setitem__((slice(None), 0), v[:2]), z)[1])(x.clone()),
     'masked_fill': lambda: x.masked_fill(c, -1.0), 'nonzero': lambda: torch.nonzero(c), 'nonzero_tuple': lambda: torch.nonzero(c, as_tuple=True)[1],
     'one_hot': lambda: torch.nn.functional.one_hot(torch.tensor([0, 2]), 3), 'one_hot_auto': lambda: torch.nn.functional.one_hot(torch.tensor([0, 2])),
     'normalize': lambda: torch.nn.functional.normalize(x, dim=1), 'pad': lambda: torch.nn.functional.pad(x, (1, 1)), 'pad_val': lambda: torch.nn.functional.pad(x, (0, 1, 1, 0), value=9.0),
     'softplus_beta': lambda: torch.nn.functional.softplus(x, beta=2), 'leaky': lambda: torch.nn.functional.leaky_relu(x, 0.2), 'ce_probs': lambda: torch.nn.functional.cross_entropy(x, y.softmax(1)),
     'ce_smooth': lambda: torch.nn.functional.cross_entropy(x, torch.tensor([2, 1]), label_smoothing=0.1), 'nll_none': lambda: torch.nn.functional.nll_loss(x.log_softmax(1), torch.tensor([0, 1]), reduction='none'),
     'mse_sum': lambda: torch.nn.functional.mse_loss(x, y, reduction='sum'), 'l1': lambda: torch.nn.functional.l1_loss(x, y), 'smooth': lambda: torch.nn.functional.smooth_l1_loss(x, y, beta=0.5),
     'dropout_eval': lambda: torch.nn.functional.dropout(x, 0.5, training=False), 'emb': lambda: torch.nn.functional.embedding(torch.tensor([1, 0]), x),
     'cosine': lambda: torch.nn.functional.cosine_similarity(x, y), 'avgpool1d': lambda: torch.nn.functional.avg_pool1d(x[None], 2), 'maxpool1d': lambda: torch.nn.functional.max_pool1d(x[None], 2, 1),
     'sigmoid_t': lambda: torch.sigmoid(x), 'tanh_m': lambda: x.tanh(), 'relu_t': lambda: torch.relu(x), 'gelu_tanh': lambda: torch.nn.functional.gelu(x, approximate='tanh'),
     'silu': lambda: torch.nn.functional.silu(x), 'log_softmax_neg': lambda: torch.log_softmax(x, -1), 'exp2': lambda: torch.exp(torch.tensor(2.0)), 'rsqrt': lambda: torch.rsqrt(x.abs()),
     'item_int': lambda: torch.tensor(3).item(), 'tolist_0d': lambda: torch.tensor(2.5).tolist(), 'numel_fn': lambda: torch.numel(x), 'is_tensor': lambda: torch.is_tensor(v),
     'lerp': lambda: torch.lerp(x, y, 0.25), 'outer': lambda: torch.outer(v, v[:2]), 'cross': lambda: torch.cross(v[None], v.flip(0)[None], dim=1), 'cdist': lambda: torch.cdist(x, y),
     'meshgrid_ij': lambda: torch.meshgrid(v[:2], v, indexing='ij')[0], 'meshgrid_xy': lambda: torch.meshgrid(v[:2], v, indexing='xy')[1], 'cartesian': lambda: torch.cartesian_prod(v[:2], v[:2]),
     'tril_idx': lambda: torch.tril_indices(3, 3), 'searchsorted': lambda: torch.searchsorted(v, torch.tensor([1.5, 3.0])), 'bucketize': lambda: torch.bucketize(torch.tensor([1.5, 3.0]), v, right=True),
     'quantile': lambda: torch.quantile(x, 0.5, dim=1), 'median_all': lambda: torch.median(x), 'mode': lambda: torch.mode(torch.tensor([1, 2, 2, 3])).values,
     'count_nz': lambda: torch.count_nonzero(c, dim=0), 'all_dim': lambda: torch.all(c, dim=1), 'any_all': lambda: torch.any(c),
     'randperm_shape': lambda: torch.randperm(5).shape, 'randint_low': lambda: torch.randint(3, 5, (10,)).min().item() >= 3, 'multinomial_shape': lambda: torch.multinomial(v, 2).shape,
     'normal_tt': lambda: torch.normal(torch.zeros(3), torch.ones(3)).shape, 'bernoulli': lambda: torch.bernoulli(torch.ones(2)), 'rand_gen': lambda: torch.rand(2, generator=torch.Generator().manual_seed(0)).shape,
    }
    # fmt: on


@pytest.mark.parametrize("name", sorted(_forms(torch)))
def test_call_form_matches_torch(name):
    assert_same_outcome(form_outcome(_forms(pn)[name]), form_outcome(_forms(torch)[name]), 1e-5, 1e-6)


def test_the_comparison_finds_differences():
    assert_same_outcome(
        form_outcome(lambda: pn.tensor([1.0, 2.0])), form_outcome(lambda: torch.tensor([1.0, 2.0]))
    )
    for mine, theirs in [
        (lambda: pn.tensor([1.0, 1.0]), lambda: torch.tensor([1.0, 0.0])),  # values
        (lambda: pn.tensor([1, 0]), lambda: torch.tensor([1.0, 0.0])),  # dtype
        (lambda: pn.tensor([1.0]), lambda: torch.tensor([1.0])[5]),  # raises on one side only
        (lambda: pn.Size([2]), lambda: torch.Size([3])),  # text
    ]:
        with pytest.raises(AssertionError):
            assert_same_outcome(form_outcome(mine), form_outcome(theirs))
