"""torch.linalg.householder_product / torch.orgqr and torch.geqrf beside torch's: values and
gradients in A and tau (batched, float32 and float64), LAPACK's geqrf output (a, tau), Q from
the pair, and torch's argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape, k", [((4, 3), 2), ((4, 3), 3), ((5, 5), 5), ((2, 4, 3), 3), ((3, 2), 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_householder_product_values_and_gradients(shape, k, dtype):
    rng = np.random.default_rng(sum(shape) + k)
    a = rng.standard_normal(shape).astype(dtype)
    tau = rng.uniform(0, 2, shape[:-2] + (k,)).astype(dtype)
    w = rng.standard_normal(shape).astype(dtype)
    out = []
    for m in (pn, torch):
        A, T = m.tensor(a, requires_grad=True), m.tensor(tau, requires_grad=True)
        Q = m.linalg.householder_product(A, T)
        (Q * m.tensor(w)).sum().backward()
        out.append((Q.detach().numpy(), A.grad.numpy(), T.grad.numpy(), Q.grad_fn.name()))
    tol = 1e-5 if dtype == "float32" else 1e-12
    for p, t in zip(out[0][:3], out[1][:3]):
        np.testing.assert_allclose(p, t, rtol=tol, atol=tol)
    assert out[0][3] == out[1][3]


@pytest.mark.parametrize("shape", [(3, 2), (4, 4), (2, 5), (2, 3, 3), (5, 3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_geqrf_is_lapacks_and_gives_q(shape, dtype):
    a = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype)
    p, t = pn.geqrf(pn.tensor(a)), torch.geqrf(torch.tensor(a))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(p.a.numpy(), t.a.numpy(), atol=tol)
    np.testing.assert_allclose(p.tau.numpy(), t.tau.numpy(), atol=tol)
    if shape[-2] >= shape[-1]:
        q = pn.orgqr(p.a, p.tau)
        r = p.a.triu()[..., : shape[-1], :]
        np.testing.assert_allclose((q @ r).numpy(), a, atol=10 * tol)
        np.testing.assert_allclose(pn.tensor(a).geqrf().a.orgqr(p.tau).numpy(), q.numpy())


@pytest.mark.parametrize("left, transpose", [(True, False), (True, True), (False, False), (False, True)])
def test_ormqr_values_and_gradients(left, transpose):
    rng = np.random.default_rng(3)
    a, c = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 4) if left else (2, 4, 5))
    out = []
    for m in (pn, torch):
        g = m.geqrf(m.tensor(a))
        A, T, C = (m.tensor(v.detach().numpy(), requires_grad=True) for v in (g.a, g.tau, m.tensor(c)))
        r = m.ormqr(A, T, C, left, transpose)
        (r * r).sum().backward()
        out.append([v.detach().numpy() for v in (r, A.grad, T.grad, C.grad, A.ormqr(T, C, left, transpose))])
    for p, t in zip(*out):
        np.testing.assert_allclose(p, t, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.ormqr(m.randn(4, 3), m.rand(2), m.randn(5, 2)),
        lambda m: m.ormqr(m.randn(4, 3), m.rand(2), m.randn(2, 5), left=False),
        lambda m: m.ormqr(m.randn(4, 3), m.rand(4), m.randn(4, 2)),
        lambda m: m.ormqr(m.randn(4), m.rand(2), m.randn(4, 2)),
        lambda m: m.linalg.householder_product(m.randn(3), m.rand(1)),
        lambda m: m.linalg.householder_product(m.randn(2, 3), m.rand(1)),
        lambda m: m.linalg.householder_product(m.randn(3, 2), m.rand(3)),
        lambda m: m.linalg.householder_product(m.randn(3, 2), m.rand(1, 1)),
        lambda m: m.linalg.householder_product(m.randn(3, 2), m.rand(1, dtype=m.float64)),
        lambda m: m.linalg.householder_product(m.randn(2, 3, 2), m.rand(3, 1)),
        lambda m: m.linalg.householder_product(m.randn(3, 2).int(), m.rand(2).int()),
        lambda m: m.linalg.householder_product(m.randn(3, 2), [1.0]),
        lambda m: m.geqrf(m.randn(3)),
        lambda m: m.geqrf(m.tensor([[1, 2]])),
    ],
)
def test_errors_match_torch(call):
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(type(t_err.value)) as p_err:
        call(pn)
    if not isinstance(t_err.value, TypeError):  # (the parser's TypeError names the op its own way)
        assert str(p_err.value).split(":")[0] == str(t_err.value).split(":")[0]
