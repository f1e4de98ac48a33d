"""torch.pca_lowrank / torch.svd_lowrank against torch: the same seed gives the same random basis,
so U, S and V agree (tall, wide, batched inputs; centred or not; M subtracted; q and niter)."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(3)
A_TALL = _rng.standard_normal((20, 5)).astype(np.float32) @ np.diag([5, 3, 1, 0.5, 0.1]).astype(np.float32)
A_WIDE = np.ascontiguousarray(A_TALL.T)
A_BATCH = _rng.standard_normal((2, 12, 4)).astype(np.float32)

CASES = {
    "pca tall": lambda m: m.pca_lowrank(m.tensor(A_TALL)),
    "pca tall q=2": lambda m: m.pca_lowrank(m.tensor(A_TALL), q=2),
    "pca wide": lambda m: m.pca_lowrank(m.tensor(A_WIDE), q=3),
    "pca not centred": lambda m: m.pca_lowrank(m.tensor(A_TALL), q=3, center=False),
    "pca niter=0": lambda m: m.pca_lowrank(m.tensor(A_TALL), q=3, niter=0),
    "pca batched": lambda m: m.pca_lowrank(m.tensor(A_BATCH), q=2),
    "pca float64": lambda m: m.pca_lowrank(m.tensor(A_TALL, dtype=m.float64), q=3),
    "svd tall": lambda m: m.svd_lowrank(m.tensor(A_TALL), q=3),
    "svd wide with M": lambda m: m.svd_lowrank(
        m.tensor(A_WIDE), q=2, M=m.tensor(A_WIDE).mean(0, keepdim=True)
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lowrank_like_torch(name):
    def run(m):
        m.manual_seed(0)
        return [t.numpy() for t in CASES[name](m)]

    want, got = _signs(*run(torch)), _signs(*run(pn))
    for w, g in zip(want, got):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-4)


def _signs(U, S, V):
    """A singular pair's sign is LAPACK's choice (torch's MKL and NumPy's OpenBLAS differ on
    wide matrices, as linalg.svd does): each V column's largest entry made positive, U's with it."""
    rows = np.abs(V).argmax(-2)[..., None, :]
    flip = np.sign(np.take_along_axis(V, rows, -2))
    return U * flip, S, V * flip


def test_lowrank_bad_arguments_like_torch():
    for m in (torch, pn):
        with pytest.raises(ValueError, match=r"q\(=9\) must be non-negative"):
            m.pca_lowrank(m.ones(4, 3), q=9)
        with pytest.raises(ValueError, match=r"niter\(=-1\)"):
            m.pca_lowrank(m.ones(4, 3), niter=-1)


def test_pca_lowrank_recovers_the_principal_directions():
    """Rank-2 data: the first two columns of V span the data's plane (S beyond is ~0)."""
    pn.manual_seed(1)
    basis = pn.linalg.qr(pn.randn(6, 2)).Q
    X = pn.randn(50, 2) @ basis.T
    U, S, V = pn.pca_lowrank(X, q=3)
    assert float(S[2]) < 1e-4 * float(S[0])
    proj = V[:, :2] @ V[:, :2].T
    np.testing.assert_allclose((proj @ basis).numpy(), basis.numpy(), atol=1e-4)
