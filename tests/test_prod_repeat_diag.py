"""prod, repeat_interleave and diag against torch: values, gradients (prod exact at zeros), dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

A = np.array([[1.5, -2.0, 0.0, 3.0], [0.5, 4.0, -1.0, 2.0], [0.0, 0.0, 1.0, 2.0]], dtype=np.float32)


def grads_match(fn, data=A):
    out = []
    for fw in (pn, torch):
        x = fw.tensor(data, requires_grad=True)
        y = fn(fw, x)
        w = np.linspace(-1, 1, y.numel()).astype(np.float32).reshape(tuple(y.shape))
        (y * fw.tensor(w)).sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__))
    (py, pg, pn_name), (ty, tg, t_name) = out
    np.testing.assert_allclose(py, ty, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pg, tg, rtol=1e-6, atol=1e-6)
    return pn_name, t_name


@pytest.mark.parametrize(
    "fn",
    [
        lambda fw, x: x.prod(),
        lambda fw, x: x.prod(1),
        lambda fw, x: x.prod(0, keepdim=True),
        lambda fw, x: fw.prod(x, -1),
        lambda fw, x: x[1].prod(),  # no zero
        lambda fw, x: x[2].prod(),  # two zeros: every gradient is 0
    ],
)
def test_prod_values_gradients_and_names(fn):
    p, t = grads_match(fn)
    assert p == t


def test_prod_over_an_empty_dim_matches_torch():
    out = []
    for fw in (pn, torch):
        x = fw.ones(3, 0, requires_grad=True)
        y = x.prod(1)
        y.sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy().shape))
    np.testing.assert_array_equal(out[0][0], out[1][0])  # empty products are 1
    assert out[0][1] == out[1][1]


def test_prod_dtypes_match_torch():
    for fw in (pn, torch):
        assert fw.tensor([1, 2, 3], dtype=fw.int32).prod().dtype == fw.int64
        assert fw.tensor([True, True]).prod().dtype == fw.int64
        assert int(fw.tensor([[1, 2], [3, 4]]).prod(dim=1)[1]) == 12


@pytest.mark.parametrize(
    "fn",
    [
        lambda fw, x: x.repeat_interleave(2),
        lambda fw, x: x.repeat_interleave(3, dim=0),
        lambda fw, x: x.repeat_interleave(fw.tensor([1, 0, 2, 1]), dim=1),
        lambda fw, x: fw.repeat_interleave(x, 2, dim=-1),
    ],
)
def test_repeat_interleave(fn):
    grads_match(fn)


def test_repeat_interleave_of_counts_and_errors():
    for fw in (pn, torch):
        np.testing.assert_array_equal(fw.repeat_interleave(fw.tensor([2, 0, 3])).numpy(), [0, 0, 2, 2, 2])
        with pytest.raises(RuntimeError):
            fw.ones(3).repeat_interleave(fw.tensor([1, 2]))


@pytest.mark.parametrize("k", [0, 1, -2, 5])
def test_diag_both_ways(k):
    grads_match(lambda fw, x: x.diag(k))  # a 2-D input: its diagonal k
    grads_match(lambda fw, x: fw.diag(x, k), A[0].copy())  # a 1-D input: a matrix


def test_diag_rejects_3d_as_torch():
    for fw in (pn, torch):
        with pytest.raises(RuntimeError, match="1D or 2D"):
            fw.ones(2, 2, 2).diag()


def _diagonal_cases(lib):
    """(name, what it returns) for diagonals of layouts that are not row by row: views in torch."""
    out = []
    x = lib.zeros(4, 4)
    x[1:, 1:].diagonal().fill_(1)  # the off-diagonal idiom
    out.append(x.clone())
    x = lib.zeros(4, 4)
    x[::2, ::2].diagonal().fill_(1)
    out.append(x.clone())
    x = lib.zeros(2, 3, 2)
    x.diagonal(0, 0, 2).add_(1)
    out.append(x.clone())
    x = lib.zeros(2, 3, 2)
    d = x.diagonal(0, 0, 2)
    x.fill_(5)  # the diagonal sees a later change of its base
    out.append(d.clone())
    e = lib.arange(12.0).reshape(3, 4)
    out += [e.diagonal(1), e.diagonal(-1), e.diagonal(5), e.t().diagonal(1), e.diagonal(0, 1, 0)]
    a = lib.arange(16.0).reshape(4, 4).requires_grad_()
    y = a * 1
    y[1:, 1:].diagonal().mul_(3)
    y.sum().backward()
    out.append(a.grad.clone())
    a.grad = None
    y = a * 1
    d = y.diagonal()
    y.mul_(2)
    d.sum().backward()
    out.append(a.grad.clone())
    b = lib.arange(24.0).reshape(2, 3, 4).requires_grad_()
    (b.permute(2, 0, 1).diagonal(0, 1, 2) ** 2).sum().backward()
    out.append(b.grad)
    return out


def test_diagonal_is_a_view_whatever_the_layout_as_torch():
    for got, want in zip(_diagonal_cases(pn), _diagonal_cases(torch)):
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    e = pn.arange(12.0).reshape(3, 4)
    assert e.diagonal()._is_view() and e.t().diagonal(1).stride() == (5,)
