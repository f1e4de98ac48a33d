"""The cpu backend's fused Adadelta (adadelta_step_multi, one pass per element) against the
NumPy backend's (the reference, backends/adadelta_xp.py), and Adadelta.step on it against torch."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import backends

SHAPES = [(300, 257), (257,), (10, 3, 3, 3), (0,), ()]
SETTINGS = [
    (1.0, 0.9, 1e-6, 0.0, False),
    (0.5, 0.8, 1e-5, 0.1, False),
    (1.0, 0.95, 1e-6, 0.0, True),
    (0.3, 0.9, 1e-4, 1e-2, True),
]


def _cpu():
    if not backends.status("cpu").available:
        pytest.skip("the C++ backend is not built")
    return backends.get("cpu")


@pytest.mark.parametrize("hyper", SETTINGS)
def test_fused_step_matches_the_numpy_form(hyper):
    cpu = _cpu()
    rng = np.random.default_rng(0)
    arrays = [[np.array(rng.standard_normal(s), np.float32) for s in SHAPES] for _ in range(2)]
    states = [[np.array(np.abs(rng.standard_normal(s)) * 0.1, np.float32) for s in SHAPES] for _ in range(2)]
    params, grads = arrays
    ref = [a.copy() for a in params], [a.copy() for a in states[0]], [a.copy() for a in states[1]]
    out = [a.copy() for a in params], [a.copy() for a in states[0]], [a.copy() for a in states[1]]
    for _ in range(3):
        backends.get("numpy").adadelta_step_multi(ref[0], grads, ref[1], ref[2], *hyper)
        cpu.adadelta_step_multi(out[0], grads, out[1], out[2], *hyper)
    for a, b in zip(sum(ref, []), sum(out, [])):
        np.testing.assert_allclose(b, a, rtol=2e-6, atol=1e-6)  # a few float32 roundings apart
    assert not np.array_equal(out[0][0], params[0])  # it did update


def test_fused_step_checks_its_arguments():
    cpu = _cpu()
    p, g = np.zeros(4, np.float32), np.zeros(4, np.float32)
    with pytest.raises(ValueError):
        cpu.adadelta_step_multi([p], [g], [np.zeros(3, np.float32)], [np.zeros(4, np.float32)], 1.0)
    with pytest.raises(ValueError):
        cpu.adadelta_step_multi([p], [g, g], [p.copy()], [p.copy()], 1.0)
    with pytest.raises(TypeError):
        cpu.adadelta_step_multi([p.astype(np.float64)], [g], [p.copy()], [p.copy()], 1.0)


@pytest.mark.parametrize("kw", [{}, dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1), dict(maximize=True)])
def test_adadelta_step_on_cpu_matches_torch(kw):
    torch = pytest.importorskip("torch")
    _cpu()
    res = []
    for lib in (torch, pn):
        lib.manual_seed(0)
        w = lib.nn.Parameter(lib.randn(300, 257))
        b = lib.nn.Parameter(lib.randn(257))
        w64 = lib.nn.Parameter(lib.randn(7, dtype=lib.float64))  # not fused: the NumPy form
        wt = lib.nn.Parameter(lib.randn(5, 4).t())  # non-contiguous: the NumPy form
        opt = lib.optim.Adadelta([w, b, w64, wt], **kw)
        for _ in range(4):
            opt.zero_grad()
            (lib.tanh(w * 1.3).sum() + (b**3).sum() + (w64**2).sum() + (wt**3).sum()).backward()
            opt.step()
        res.append([t.detach().numpy() for t in (w, b, w64, wt)])
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=2e-6)
