"""Results are laid out as torch's: ops that are not elementwise return contiguous tensors.

torch's reductions, gathers (x[:, idx], index_select, repeat_interleave), cat and stack, softmax
along a dimension that is not the last, running sums, interpolate, masked_fill and the norms return
contiguous tensors whatever the input's layout, and code relies on it: `out.view(n, -1)` after
one of them works in torch. NumPy's versions of these may return another order (a[:, idx] is
Fortran-like), which made that .view() raise. Each case is checked against torch: the same
is_contiguous(), the same strides, and .view(-1) working (or raising) alike.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _lib(name):
    if name == "torch":
        import torch.nn.functional as F
        from torch import nn

        return torch, F, nn
    import pyneuro.nn.functional as F
    from pyneuro import nn

    return pn, F, nn


_X3 = np.random.default_rng(0).standard_normal((2, 5, 7)).astype(np.float32)
_X4 = np.random.default_rng(1).standard_normal((2, 3, 6, 6)).astype(np.float32)
_X5 = np.random.default_rng(2).standard_normal((2, 2, 4, 5, 4)).astype(np.float32)

CASES = {
    "softmax_dim0": lambda L, F, nn, x, t: x.softmax(0),
    "softmax_dim1": lambda L, F, nn, x, t: F.softmax(x, dim=1),
    "log_softmax_dim0": lambda L, F, nn, x, t: F.log_softmax(x, 0),
    "softmax_of_transposed": lambda L, F, nn, x, t: t.softmax(1),
    "index_select_dim1": lambda L, F, nn, x, t: x.index_select(1, L.tensor([0, 2, 2])),
    "index_select_dim2": lambda L, F, nn, x, t: x.index_select(2, L.tensor([1, 0])),
    "fancy_second_axis": lambda L, F, nn, x, t: x[:, [0, 3]],
    "fancy_last_axis": lambda L, F, nn, x, t: x[..., [1, 4, 4]],
    "bool_mask_second_axis": lambda L, F, nn, x, t: x[:, L.tensor([True, False, True, True, False])],
    "repeat_interleave_dim1": lambda L, F, nn, x, t: x.repeat_interleave(2, dim=1),
    "interpolate_nearest": lambda L, F, nn, x, t: F.interpolate(L.tensor(_X4), scale_factor=2),
    "interpolate_bilinear": lambda L, F, nn, x, t: F.interpolate(L.tensor(_X4), size=(4, 5), mode="bilinear"),
    "cross_dim1": lambda L, F, nn, x, t: L.cross(x[0, :3].t(), x[1, :3].t(), dim=1),
    "cat_transposed": lambda L, F, nn, x, t: L.cat([t, t], 2),
    "cat_transposed_dim0": lambda L, F, nn, x, t: L.cat([t, t], 0),
    "stack_transposed": lambda L, F, nn, x, t: L.stack([t, t]),
    "pad_transposed": lambda L, F, nn, x, t: F.pad(t, (1, 1)),
    "roll_transposed": lambda L, F, nn, x, t: t.roll(1, 1),
    "cumsum_transposed": lambda L, F, nn, x, t: t.cumsum(1),
    "cumprod_transposed": lambda L, F, nn, x, t: t.cumprod(2),
    "masked_fill_transposed": lambda L, F, nn, x, t: t.masked_fill(t > 0, 0.0),
    "layer_norm_transposed": lambda L, F, nn, x, t: F.layer_norm(t, (5,)),
    "batch_norm_transposed": lambda L, F, nn, x, t: F.batch_norm(t, None, None, training=True),
    "batch_norm_eval_transposed": lambda L, F, nn, x, t: F.batch_norm(t, L.zeros(7), L.ones(7)),
    "mean_last_of_transposed": lambda L, F, nn, x, t: t.mean(-1),
    "sum_keepdim_of_transposed": lambda L, F, nn, x, t: t.sum(0, keepdim=True),
    "amax_of_transposed": lambda L, F, nn, x, t: t.amax(1),
    "std_of_transposed": lambda L, F, nn, x, t: t.std(-1),
    "norm_of_transposed": lambda L, F, nn, x, t: t.norm(dim=-1),
    "logsumexp_of_transposed": lambda L, F, nn, x, t: t.logsumexp(-1),
    "prod_of_transposed": lambda L, F, nn, x, t: t.prod(-1),
    "all_of_transposed": lambda L, F, nn, x, t: (t > 0).all(-1),
    "logcumsumexp_of_transposed": lambda L, F, nn, x, t: t.logcumsumexp(1),
    "logsigmoid_of_transposed": lambda L, F, nn, x, t: F.logsigmoid(t),
    # the 3-D layers (built from 2-D ones over permuted views): contiguous as torch's
    "conv3d": lambda L, F, nn, x, t: F.conv3d(L.tensor(_X5), L.ones(3, 2, 3, 3, 3)),
    "conv_transpose3d": lambda L, F, nn, x, t: F.conv_transpose3d(L.tensor(_X5), L.ones(2, 3, 2, 2, 2)),
    "max_pool3d": lambda L, F, nn, x, t: F.max_pool3d(L.tensor(_X5), 2),
    "max_pool3d_indices": lambda L, F, nn, x, t: F.max_pool3d(L.tensor(_X5), 2, return_indices=True)[1],
    "avg_pool3d": lambda L, F, nn, x, t: F.avg_pool3d(L.tensor(_X5), 2),
    "adaptive_avg_pool3d": lambda L, F, nn, x, t: F.adaptive_avg_pool3d(L.tensor(_X5), 2),
    "adaptive_max_pool3d": lambda L, F, nn, x, t: F.adaptive_max_pool3d(L.tensor(_X5), (3, 2, 1)),
    "interpolate_area_3d": lambda L, F, nn, x, t: F.interpolate(L.tensor(_X5), size=3, mode="area"),
    # elementwise ops keep the input's layout in both libraries
    "mul_transposed": lambda L, F, nn, x, t: t * 2,
    "exp_transposed": lambda L, F, nn, x, t: t.exp(),
    "clone_transposed": lambda L, F, nn, x, t: t.clone(),  # (preserve_format: the input's order)
    "clone_permuted": lambda L, F, nn, x, t: x.permute(2, 0, 1).clone(),
    "clone_strided": lambda L, F, nn, x, t: t[:, ::2].clone(),
    "clone_expanded": lambda L, F, nn, x, t: x[:1].expand(3, 5, 7).clone(),
    "clone_contiguous_format": lambda L, F, nn, x, t: t.clone(memory_format=L.contiguous_format),
    "diag_of_transposed": lambda L, F, nn, x, t: t[0].diag(1),
}


def _layout(name, lib):
    L, F, nn = _lib(lib)
    x = L.tensor(_X3)
    out = CASES[name](L, F, nn, x, x.transpose(1, 2))
    try:
        out.view(-1)
        viewable = True
    except RuntimeError:
        viewable = False
    return out.is_contiguous(), tuple(out.stride()), viewable, out.detach().numpy()


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_layout_matches_torch(name):
    *want, values_t = _layout(name, "torch")
    *got, values_p = _layout(name, "pyneuro")
    assert got == want, f"{name}: pyneuro (contiguous, strides, view ok) {got}, torch {want}"
    np.testing.assert_allclose(values_p, values_t, rtol=1e-5, atol=1e-5)


def test_gradients_through_the_copied_layouts_match_torch():
    def run(lib):
        L, F, nn = _lib(lib)
        x = L.tensor(_X3, requires_grad=True)
        t = x.transpose(1, 2)
        y = F.softmax(x, 0).view(-1).sum() * 0 + (x[:, [0, 3]].view(-1) * L.arange(28.0)).sum()
        y = y + (L.cat([t, t], 2).view(-1) ** 2).sum() + (t.cumsum(1).view(-1) * L.arange(70.0)).sum()
        y = y + (F.layer_norm(t, (5,)).view(-1) * L.arange(70.0)).sum()
        y.backward()
        return x.grad.numpy()

    np.testing.assert_allclose(run("pyneuro"), run("torch"), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.arange(24).reshape(2, 3, 4)[None],
        lambda L: L.arange(24).reshape(2, 3, 4)[:, None],
        lambda L: L.arange(24).reshape(2, 3, 4).unsqueeze(-1),
        lambda L: L.arange(24).reshape(2, 3, 4).transpose(0, 2)[None],
        lambda L: L.zeros(3, 1),
        lambda L: L.zeros(2, 1, 3).transpose(0, 1),
        lambda L: L.arange(24).reshape(2, 3, 4)[0:1].expand(2, 3, 4),
    ],
)
def test_strides_of_size_one_dims_match_torch(make):
    """NumPy gives an inserted axis stride 0; torch the next dimension's extent (1 at the end)."""
    assert tuple(make(pn).stride()) == tuple(make(torch).stride())


def test_module_registries_are_plain_dicts_as_torchs():
    mine, theirs = pn.nn.Sequential(pn.nn.Linear(1, 1)), torch.nn.Sequential(torch.nn.Linear(1, 1))
    for name in ("_modules", "_parameters", "_buffers"):
        assert type(getattr(mine, name)) is type(getattr(theirs, name)) is dict
    assert repr(mine._modules) == repr(theirs._modules)
