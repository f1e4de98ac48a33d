"""nn.utils.weight_norm / spectral_norm (and their remove_*) side by side with torch: parameters and
buffers, outputs, gradients of g, v and weight_orig, the power iteration's u, eval mode."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _init(L, m, seed):
    rng = np.random.default_rng(seed)
    with L.no_grad():
        for p in m.parameters():
            p.copy_(L.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


def r(t):
    return np.round(t.detach().numpy(), 4).tolist()


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_like_torch(dim):
    def run(L):
        m = _init(L, L.nn.Linear(3, 2), 0)
        with pytest.warns(FutureWarning, match="deprecated"):
            L.nn.utils.weight_norm(m, dim=dim)
        x = L.from_numpy(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
        y = m(x)
        y.sum().backward()
        seen = [sorted(m.state_dict()), tuple(m.weight_g.shape), r(y), r(m.weight_g.grad), r(m.weight_v.grad)]
        L.nn.utils.remove_weight_norm(m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            conv = L.nn.utils.weight_norm(L.nn.Conv2d(2, 3, 2))
        return seen + [sorted(m.state_dict()), r(m.weight), tuple(conv.weight_g.shape)]

    assert run(pn) == run(torch)


@pytest.mark.parametrize(
    "make",
    [lambda nn: nn.Linear(4, 3), lambda nn: nn.Conv2d(2, 3, 2), lambda nn: nn.ConvTranspose2d(2, 3, 2)],
)
def test_spectral_norm_like_torch(make):
    def run(L):
        s = L.nn.utils.spectral_norm(_init(L, make(L.nn), 2), n_power_iterations=3)
        seen = [sorted(s.state_dict()), [n for n, _ in s.named_parameters()], tuple(s.weight_u.shape)]
        with L.no_grad():  # the same starting vectors (the random draws differ between the two)
            s.weight_u.copy_(L.from_numpy(np.linspace(0.1, 1, s.weight_u.numel()).astype(np.float32)))
            s.weight_v.copy_(L.from_numpy(np.linspace(-1, 1, s.weight_v.numel()).astype(np.float32)))
        x = L.ones((1, 4)) if isinstance(s, L.nn.Linear) else L.ones((1, 2, 3, 3))
        y = s(x)
        y.sum().backward()
        seen += [r(y), r(s.weight_orig.grad), r(s.weight_u)]
        s.eval()
        seen.append(r(s(x)))  # no power iteration in eval mode
        L.nn.utils.remove_spectral_norm(s)
        return seen + [sorted(s.state_dict())]

    assert run(pn) == run(torch)


def test_errors_like_torch():
    for L in (pn, torch):
        with pytest.raises(ValueError, match="n_power_iterations"):
            L.nn.utils.spectral_norm(L.nn.Linear(2, 2), n_power_iterations=0)
        m = L.nn.utils.spectral_norm(L.nn.Linear(2, 2))
        with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
            L.nn.utils.spectral_norm(m)
        with pytest.raises(ValueError, match="not found"):
            L.nn.utils.remove_weight_norm(L.nn.Linear(2, 2))


@pytest.mark.parametrize("api", ["parametrizations", "utils"])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_weight_prints_torch_node(api, dim):
    """Both APIs compute the weight with torch._weight_norm: printing it shows
    grad_fn=<WeightNormInterfaceBackward0>, and its gradients reach g and v."""

    def run(L):
        L.manual_seed(0)
        wrap = (
            L.nn.utils.parametrizations.weight_norm if api == "parametrizations" else L.nn.utils.weight_norm
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = wrap(_init(L, L.nn.Linear(3, 2), 1), dim=dim)
        w = m.weight
        name = type(w.grad_fn).__name__
        (w * L.arange(6.0).view(2, 3)).sum().backward()
        grads = [(n, r(p.grad)) for n, p in m.named_parameters() if p.grad is not None]
        return name, r(w), grads

    assert run(pn) == run(torch)


def test_a_parametrized_linear_reads_its_weight_once_per_forward():
    """spectral_norm's weight takes a power-iteration step on each read in training: Linear.forward
    reads it once, as torch's (its input check read it a second time: two steps per forward)."""
    outs = []
    for lib in (torch, pn):
        lib.manual_seed(0)
        sn = lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(40, 30))
        x = lib.randn(2, 40)
        u = []
        for _ in range(2):
            sn(x)
            u.append(sn.parametrizations.weight[0]._u.detach().numpy().copy())
        outs.append(u)
    for theirs, mine in zip(*outs):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)
