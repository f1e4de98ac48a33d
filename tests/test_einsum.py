"""pn.einsum against torch.einsum: values and gradients over the equation forms courses and
scripts use (matmul, batch, outer, trace, diagonal, ellipsis, implicit output), and errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output: ik
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(5,), (5,)]),
    ("i,i", [(5,), (5,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),  # trace
    ("iji->j", [(3, 2, 3)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),  # attention scores
    ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
    ("...d,...d->...", [(2, 3, 4), (2, 3, 4)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),  # ellipsis broadcast
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("...ij->ij", [(5, 2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ab,cd->abcd", [(2, 3), (1, 2)]),
    ("ijk,ikl->ijl", [(1, 2, 3), (4, 3, 5)]),  # a size-1 label broadcasts
    ("i,i->i", [(3,), (1,)]),
    (" ij , jk -> ik ", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize(("equation", "shapes"), CASES)
def test_values_and_gradients_match_torch(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    p_in = [pn.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    p_out, t_out = pn.einsum(equation, *p_in), torch.einsum(equation, *t_in)
    assert tuple(p_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(p_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-5)
    w = rng.standard_normal(tuple(t_out.shape)).astype(np.float32)
    (p_out * pn.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for p, t in zip(p_in, t_in):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_operands_as_a_list_and_float64():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    got = pn.einsum("ij,kj->ik", [pn.tensor(a), pn.tensor(a)])
    want = torch.einsum("ij,kj->ik", [torch.tensor(a), torch.tensor(a)])
    assert got.dtype == pn.float64
    np.testing.assert_allclose(got.numpy(), want.numpy())


@pytest.mark.parametrize(
    ("equation", "shapes", "message"),
    [
        ("ij,jk->ik", [(2, 3)], "fewer operands were provided"),
        ("ijk,jk->ik", [(2, 3), (3, 4)], "does not match the number of dimensions"),
        ("ij,jk->iz", [(2, 3), (3, 4)], "output subscript z does not appear"),
        ("ij,jk->ik", [(2, 3), (4, 4)], "does not broadcast with previously seen size 3"),
    ],
)
def test_errors_match_torch(equation, shapes, message):
    for fw in (pn, torch):
        with pytest.raises(RuntimeError, match=message):
            fw.einsum(equation, *[fw.ones(*s) for s in shapes])
