"""torch.histogramdd beside torch's (pyneuro/_histogram.py, whose kernels Tensor.histogram and
histc share): counts, weights, densities, given edges, batched input, the empty case, and
torch's argument errors; torch.histogram's range check (min > max) that came with the move."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((200, 3)).astype(np.float32)
SMALL = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [2.0, 2.0]], np.float32)


def _same(call):
    p, t = call(pn), call(torch)
    assert tuple(p.hist.shape) == tuple(t.hist.shape) and str(p.hist.dtype)[-7:] == str(t.hist.dtype)[-7:]
    np.testing.assert_allclose(p.hist.numpy(), t.hist.numpy(), rtol=1e-6, atol=1e-7)
    assert len(p.bin_edges) == len(t.bin_edges)
    for a, b in zip(p.bin_edges, t.bin_edges):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.histogramdd(m.tensor(SMALL), bins=[2, 2]),
        lambda m: m.histogramdd(m.tensor(SMALL), bins=3, range=[0.0, 3.0, 0.0, 3.0], density=True),
        lambda m: m.histogramdd(
            m.tensor(SMALL),
            bins=[m.tensor([0.0, 1.0, 2.0]), m.tensor([0.0, 2.0])],
            weight=m.tensor([1.0, 2, 3, 4]),
        ),
        lambda m: m.histogramdd(m.ones(3, 1), bins=2),
        lambda m: m.histogramdd(m.tensor(X), bins=[3, 4, 5]),
        lambda m: m.histogramdd(m.tensor(X), bins=4, density=True),
        lambda m: m.histogramdd(
            m.tensor(X).double(),
            bins=(2, 3, 2),
            range=[-1.0, 1, -2, 2, 0, 1],
            weight=m.arange(200.0).double(),
        ),
        lambda m: m.histogramdd(m.tensor(X).reshape(20, 10, 3), bins=2),
        lambda m: m.histogramdd(m.zeros(0, 2), bins=2),
        lambda m: m.histogramdd(m.tensor(SMALL), bins=[m.tensor([1.0, 0.0]), m.tensor([0.0, 2.0])]),
    ],
)
def test_histogramdd_matches_torch(call):
    _same(call)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.histogramdd(m.tensor(SMALL).long(), bins=2),
        lambda m: m.histogramdd(m.tensor(SMALL), bins=[2]),
        lambda m: m.histogramdd(m.tensor(SMALL), bins=2, range=[0.0, 1.0]),
        lambda m: m.histogramdd(m.tensor(SMALL), bins=0),
        lambda m: m.histogramdd(m.tensor(SMALL), bins=2, weight=m.ones(3)),
        lambda m: m.histogramdd(m.tensor(SMALL), bins=2, range=[1.0, 0.0, 0.0, 1.0]),
        lambda m: m.histogramdd(m.tensor([[1.0], [float("inf")]]), bins=2),
        lambda m: m.histogramdd(m.tensor([1.0, 2.0]), bins=2),
        lambda m: m.histogramdd(m.tensor([[1.0, 2.0]]), bins=[m.tensor([[0.0, 1.0]]), m.tensor([0.0, 1.0])]),
        lambda m: m.histogramdd(m.tensor([[1.0, 2.0]]), bins=(2, 3), weight=m.tensor([2])),
        lambda m: m.histogramdd(
            m.tensor([[1.0, 2.0]]), bins=[m.tensor([0.0, 1.0]), m.tensor([0.0, 1.0]).double()]
        ),
        lambda m: m.histogram(m.tensor([1.0, 2.0]), bins=2, range=(2.0, 1.0)),
    ],
)
def test_histogramdd_errors_match_torch(call):
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(type(t_err.value)) as p_err:
        call(pn)
    assert str(p_err.value) == str(t_err.value)
