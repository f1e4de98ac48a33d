"""torch.nn.grad / F.grad (pyneuro/nn/grad.py) beside torch's: conv1d/2d/3d gradients in input
and weight with stride, padding, dilation and groups, and their own gradients (double backward)."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

CASES = {
    1: ((2, 4, 9), (6, 2, 3), {"stride": 2, "padding": 1, "groups": 2}),
    2: ((2, 3, 7, 6), (4, 3, 3, 2), {"stride": (2, 1), "padding": 1, "dilation": (1, 2)}),
    3: ((1, 2, 5, 4, 4), (3, 2, 2, 2, 2), {}),
}


@pytest.mark.parametrize("n", sorted(CASES))
def test_conv_input_and_weight_gradients_match_torch(n):
    xs, ws, kw = CASES[n]
    rng = np.random.default_rng(n)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    results = []
    for m in (pn, torch):
        X, W = m.tensor(x, requires_grad=True), m.tensor(w, requires_grad=True)
        y = getattr(m.nn.functional, f"conv{n}d")(X, W, None, **kw)
        G = m.tensor(np.random.default_rng(0).standard_normal(tuple(y.shape)), requires_grad=True)
        gi = getattr(m.nn.grad, f"conv{n}d_input")(X.shape, W, G, **kw)
        gw = getattr(m.nn.functional.grad, f"conv{n}d_weight")(X, W.shape, G, **kw)
        auto_i, auto_w = m.autograd.grad(y, (X, W), G, retain_graph=True)
        (gi.sum() + (gw * gw).sum()).backward()
        results.append([t.detach().numpy() for t in (gi, gw, auto_i, auto_w, W.grad, G.grad, X.grad)])
    for p, t in zip(*results):
        np.testing.assert_allclose(p, t, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(results[0][0], results[0][2])  # (the autograd gradient itself)
