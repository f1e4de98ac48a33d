"""Tensor method call forms with torch's keyword names (sum(dim=, keepdim=), topk(k=, ...),
flip(dims=), add(other=, alpha=), new_full, in-place forms, ...), run with torch and pyneuro
and compared: dtype and values, or the exception type."""

from __future__ import annotations

import pytest
from conftest import assert_same_outcome, form_outcome

import pyneuro as pn

torch = pytest.importorskip("torch")


def _forms(torch):
    x = torch.tensor([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    v = torch.tensor([3.0, 1.0, 2.0])
    # fmt: off
    return {
     'sum_dim_kw': lambda: x.sum(dim=1, keepdim=True), 'sum_dtype': lambda: x.sum(dtype=torch.float64), 'mean_axis': lambda: x.mean(axis=0),
     'max_kw': lambda: x.max(dim=0).indices, 'min_kw_keep': lambda: x.min(dim=1, keepdim=True).values, 'std_corr': lambda: x.std(dim=1, correction=0),
     'var_keep': lambda: x.var(0, keepdim=True), 'prod_kw': lambda: x.prod(dim=1), 'cumsum_kw': lambda: x.cumsum(dim=1), 'argsort_kw': lambda: x.argsort(dim=1, descending=True),
     'topk_kw': lambda: x.topk(k=2, dim=1, largest=True, sorted=True).indices, 'sort_kw': lambda: v.sort(descending=True).values, 'norm_kw': lambda: x.norm(p=2, dim=1, keepdim=True),
     'view_tuple': lambda: x.view((3, 2)), 'reshape_star': lambda: x.reshape(3, -1), 'transpose_kw': lambda: x.transpose(dim0=0, dim1=1), 'permute_tuple': lambda: x.permute((1, 0)),
     'squeeze_kw': lambda: x[None].squeeze(dim=0).shape, 'unsqueeze_kw': lambda: x.unsqueeze(dim=1).shape, 'repeat_tuple': lambda: v.repeat((2, 1)), 'expand_tuple': lambda: v.expand((2, 3)),
     'split_kw': lambda: x.split(split_size=2, dim=1)[1], 'chunk_kw': lambda: x.chunk(chunks=3, dim=1)[2], 'flatten_kw': lambda: x[None].flatten(start_dim=1).shape,
     'clamp_kw': lambda: x.clamp(min=-1.0, max=2.0), 'clip_kw': lambda: x.clip(max=1.0), 'pow_kw': lambda: x.pow(exponent=2), 'add_kw': lambda: x.add(other=v, alpha=2),
     'mul_kw': lambda: x.mul(other=2.0), 'sub_scalar_alpha': lambda: x.sub(1, alpha=3), 'div_kw': lambda: x.div(v, rounding_mode='trunc'), 'masked_fill_kw': lambda: x.masked_fill(mask=x > 0, value=0.0),
     'where_method': lambda: x.where(x > 0, torch.tensor(0.0)), 'gather_kw': lambda: x.gather(dim=1, index=torch.tensor([[0], [2]])), 'index_select_kw': lambda: x.index_select(dim=1, index=torch.tensor([2, 0])),
     'to_dtype_kw': lambda: x.to(dtype=torch.int64), 'type_str': lambda: x.type('torch.DoubleTensor').dtype, 'type_dtype': lambda: x.type(torch.int32), 'softmax_kw': lambda: x.softmax(dim=1),
     'log_softmax_kw': lambda: x.log_softmax(dim=-1), 'argmax_kw': lambda: x.argmax(dim=1, keepdim=True), 'allclose_m': lambda: x.allclose(x + 1e-9), 'equal_m': lambda: x.equal(x.clone()),
     'new_zeros': lambda: x.new_zeros((2, 2)), 'new_ones_dtype': lambda: x.new_ones(2, dtype=torch.int64), 'new_full': lambda: x.new_full((2,), 3.5), 'item_f': lambda: x[0, 0].item(),
     'tolist': lambda: x.tolist(), 'numpy_dtype': lambda: x.numpy().dtype.name, 'unbind_kw': lambda: x.unbind(dim=1)[1], 'flip_dims': lambda: x.flip(dims=(0,)), 'roll_kw': lambda: x.roll(shifts=1, dims=1),
     'diag_m': lambda: x[:, :2].diag(), 'tril_kw': lambda: x.tril(diagonal=-1), 'triu_kw': lambda: x.triu(diagonal=1), 'outer_m': lambda: v.outer(v), 'dot_m': lambda: v.dot(v), 'matmul_m': lambda: x.matmul(v),
     'mm_m': lambda: x.mm(x.T), 'bmm_m': lambda: x[None].bmm(x.T[None]), 'logsumexp_kw': lambda: x.logsumexp(dim=1), 'all_kw': lambda: (x > -5).all(dim=1), 'any_m': lambda: (x > 3).any(),
     'nonzero_m': lambda: (x > 0).nonzero(), 'unique_m': lambda: v.unique(return_counts=True)[1], 'abs_m': lambda: x.abs(), 'neg_m': lambda: -x, 'pos_m': lambda: +x, 'exp_m': lambda: x.exp(),
     'sigmoid_m': lambda: x.sigmoid(), 'relu_m': lambda: x.relu(), 'floor_m': lambda: x.floor(), 'round_m': lambda: x.round(), 'sign_m': lambda: x.sign(), 'reciprocal_m': lambda: x.reciprocal(),
     'bool_m': lambda: x.bool(), 'long_m': lambda: x.long(), 'int_m': lambda: x.int(), 'float_m': lambda: x.long().float(), 'double_m': lambda: x.double(), 'half_m': lambda: x.half().float(),
     'len': lambda: len(x), 'size_kw': lambda: x.size(dim=1), 'numel_m': lambda: x.numel(), 'ndim': lambda: x.ndim, 'shape_eq': lambda: x.shape == (2, 3), 'is_floating': lambda: x.is_floating_point(),
     'requires_grad_m': lambda: x.clone().requires_grad_().requires_grad, 'data_setter': lambda: (lambda z: (setattr(z, 'data', torch.zeros(2)), z)[1])(torch.ones(2)),
     'fill_': lambda: x.clone().fill_(7.0), 'zero_': lambda: x.clone().zero_(), 'uniform_range': lambda: bool(((lambda z: (z >= 2) & (z < 3))(torch.empty(100).uniform_(2, 3))).all()),
     'normal_shape': lambda: torch.empty(3).normal_(mean=0, std=2).shape, 'copy_bcast': lambda: torch.zeros(2, 3).copy_(v), 'add_inplace_alpha': lambda: x.clone().add_(v, alpha=-1),
     'mul_inplace': lambda: x.clone().mul_(2), 'div_inplace': lambda: x.clone().div_(2), 'clamp_inplace': lambda: x.clone().clamp_(min=0), 'masked_fill_inplace': lambda: x.clone().masked_fill_(x < 0, 0.0),
     'index_fill_': lambda: x.clone().index_fill_(1, torch.tensor([0]), -9.0), 'scatter_inplace': lambda: torch.zeros(2, 3).scatter_(1, torch.tensor([[2], [0]]), 1.0), 'sub_inplace': lambda: x.clone().sub_(1),
    }
    # fmt: on


@pytest.mark.parametrize("name", sorted(_forms(torch)))
def test_tensor_method_form_matches_torch(name):
    assert_same_outcome(form_outcome(_forms(pn)[name]), form_outcome(_forms(torch)[name]))
