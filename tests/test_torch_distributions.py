"""pyneuro.distributions against torch.distributions: values and gradients of log_prob, entropy,
cdf/icdf and moments, sample shapes, sample statistics, KL divergences and validation errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")
D = pn.distributions
TD = torch.distributions


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(a, b, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, equal_nan=True)


def _build(name, params, lib, dtype="float32", grad=True, frozen=()):
    """The distribution `name` from `lib` (pn or torch) with float params that require grad (but `frozen`)."""
    mod = D if lib is pn else TD
    tensors = {}
    for k, v in params.items():
        if isinstance(v, (int, float)) and k == "total_count":
            tensors[k] = v
            continue
        dt = getattr(lib, dtype)
        t = lib.tensor(np.asarray(v, dtype=dtype), dtype=dt)
        if grad and k not in frozen:
            t.requires_grad_(True)
        tensors[k] = t
    return getattr(mod, name)(**tensors), tensors


# name, params, a value in the support (batch-shaped), has cdf, has icdf
CASES = [
    ("Normal", {"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.5, 3.0]}, [0.3, 1.2, -4.0], True, True),
    ("Laplace", {"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.5, 3.0]}, [0.3, 1.2, -4.0], True, True),
    ("Uniform", {"low": [0.0, -1.0, 2.0], "high": [1.0, 3.0, 2.5]}, [0.3, 1.2, 2.1], True, True),
    ("Exponential", {"rate": [0.5, 1.0, 4.0]}, [0.3, 1.2, 0.0], True, True),
    ("Gamma", {"concentration": [0.5, 2.0, 7.0], "rate": [1.0, 3.0, 0.5]}, [0.3, 1.0, 20.0], True, False),
    (
        "Beta",
        {"concentration1": [0.5, 2.0, 7.0], "concentration0": [1.0, 3.0, 0.7]},
        [0.3, 0.5, 0.9],
        False,
        False,
    ),
    ("Poisson", {"rate": [0.5, 2.0, 7.0]}, [0.0, 3.0, 5.0], False, False),
    ("Bernoulli", {"probs": [0.1, 0.5, 0.8]}, [0.0, 1.0, 1.0], False, False),
    ("Bernoulli", {"logits": [-2.0, 0.0, 3.0]}, [0.0, 1.0, 0.0], False, False),
    ("Binomial", {"total_count": 10, "probs": [0.1, 0.5, 0.8]}, [0.0, 4.0, 10.0], False, False),
    ("Binomial", {"total_count": 6, "logits": [-1.0, 0.0, 2.0]}, [2.0, 4.0, 6.0], False, False),
    ("Categorical", {"probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]}, [2, 0], False, False),
    ("Categorical", {"logits": [[0.2, -1.3, 0.5], [2.0, 0.3, 0.1]]}, [1, 2], False, False),
    (
        "OneHotCategorical",
        {"probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]},
        [[0, 0, 1.0], [1.0, 0, 0]],
        False,
        False,
    ),
    (
        "Dirichlet",
        {"concentration": [[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]]},
        [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]],
        False,
        False,
    ),
    ("Chi2", {"df": [1.0, 3.0, 10.0]}, [0.5, 2.0, 9.0], True, False),
    ("Cauchy", {"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.5, 3.0]}, [0.3, 1.2, -4.0], True, True),
    ("Gumbel", {"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.5, 3.0]}, [0.3, 1.2, -4.0], True, True),
    (
        "StudentT",
        {"df": [3.0, 6.0, 10.0], "loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.5, 3.0]},
        [0.3, 1.2, -4.0],
        False,
        False,
    ),
    ("LogNormal", {"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.5, 0.3]}, [0.3, 1.2, 4.0], True, True),
    ("HalfNormal", {"scale": [1.0, 0.5, 3.0]}, [0.3, 1.2, 4.0], True, True),
    ("Geometric", {"probs": [0.2, 0.5, 0.9]}, [0.0, 3.0, 1.0], False, False),
    ("Geometric", {"logits": [0.2, -0.5, 1.0]}, [0.0, 3.0, 2.0], False, False),
    (
        "Multinomial",
        {"total_count": 5, "probs": [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]},
        [[1.0, 1.0, 3.0], [0.0, 0.0, 5.0]],
        False,
        False,
    ),
]
CASES += [
    ("ContinuousBernoulli", {"probs": [0.2, 0.4995, 0.8]}, [0.1, 0.5, 0.9], True, True),
    ("ContinuousBernoulli", {"logits": [-1.0, 0.001, 2.0]}, [0.1, 0.5, 0.9], True, True),
    ("HalfCauchy", {"scale": [1.0, 0.5, 3.0]}, [0.3, 1.2, 4.0], True, True),
    (
        "Kumaraswamy",
        {"concentration1": [0.5, 2.0, 3.0], "concentration0": [1.5, 0.7, 4.0]},
        [0.3, 0.5, 0.9],
        True,
        True,
    ),
    (
        "GeneralizedPareto",
        {"loc": [0.0, 1.0, -2.0], "scale": [1.0, 0.5, 3.0], "concentration": [0.3, 0.0, -0.2]},
        [0.3, 1.2, 1.0],
        True,
        True,
    ),
    (
        "VonMises",
        {"loc": [0.0, 1.0, -2.0], "concentration": [0.5, 2.0, 10.0]},
        [0.3, 1.2, -2.5],
        False,
        False,
    ),
    ("FisherSnedecor", {"df1": [1.0, 3.0, 10.0], "df2": [5.0, 8.0, 12.0]}, [0.3, 1.2, 4.0], False, False),
    ("Weibull", {"scale": [1.0, 2.0, 0.5], "concentration": [1.0, 1.5, 3.0]}, [0.3, 1.0, 4.0], True, True),
    ("Pareto", {"scale": [1.0, 2.0, 0.5], "alpha": [0.5, 1.5, 3.0]}, [1.3, 2.0, 4.0], True, True),
    (
        "InverseGamma",
        {"concentration": [0.5, 1.5, 3.0], "rate": [1.0, 2.0, 0.5]},
        [0.3, 1.0, 4.0],
        True,
        False,
    ),
    (
        "NegativeBinomial",
        {"total_count": [1.0, 2.5, 7.0], "probs": [0.2, 0.5, 0.8]},
        [0.0, 3.0, 10.0],
        False,
        False,
    ),
    (
        "NegativeBinomial",
        {"total_count": [1.0, 2.5, 7.0], "logits": [0.2, -0.5, 0.8]},
        [0.0, 3.0, 10.0],
        False,
        False,
    ),
    ("RelaxedBernoulli", {"temperature": [0.5], "probs": [0.2, 0.5, 0.8]}, [0.1, 0.3, 0.9], False, False),
    ("RelaxedBernoulli", {"temperature": [2.0], "logits": [0.2, -0.5, 0.8]}, [0.1, 0.3, 0.9], False, False),
    (
        "RelaxedOneHotCategorical",
        {"temperature": [0.5], "probs": [[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]},
        [[0.1, 0.3, 0.6], [0.2, 0.2, 0.6]],
        False,
        False,
    ),
    (
        "RelaxedOneHotCategorical",
        {"temperature": [2.0], "logits": [[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]},
        [[0.1, 0.3, 0.6], [0.2, 0.2, 0.6]],
        False,
        False,
    ),
]
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]
HEAVY_TAILED = ("Cauchy", "StudentT")
NO_SAMPLE_MOMENTS = HEAVY_TAILED + (
    "FisherSnedecor",
    "GeneralizedPareto",
    "VonMises",
    "HalfCauchy",
    "Pareto",
    "InverseGamma",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
)
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]


def _compare(case, method, dtype="float32"):
    name, params, value, has_cdf, has_icdf = case
    p, pp = _build(name, params, pn, dtype)
    # torch has no gradient of the incomplete gamma in its first argument (Gamma.cdf in concentration)
    t, tp = _build(name, params, torch, dtype, frozen=("concentration", "df") if method == "cdf" else ())
    if method in ("log_prob", "cdf"):
        vd = np.asarray(value, dtype=dtype if name not in ("Categorical",) else "int64")
        args_p, args_t = (pn.tensor(vd),), (torch.tensor(vd),)
    elif method == "icdf":
        args_p, args_t = (
            (pn.tensor(np.array([0.1, 0.5, 0.97], dtype=dtype)),),
            (torch.tensor(np.array([0.1, 0.5, 0.97], dtype=dtype)),),
        )
    else:
        args_p = args_t = ()
    try:
        rt = getattr(t, method)(*args_t)
    except NotImplementedError:  # Poisson.entropy
        with pytest.raises(NotImplementedError):
            getattr(p, method)(*args_p)
        return
    rp = getattr(p, method)(*args_p)
    assert tuple(rp.shape) == tuple(rt.shape)
    assert str(rp.dtype).split(".")[-1] == str(rt.dtype).split(".")[-1]
    _close(rp, rt, rtol=2e-5, atol=2e-5)
    if rt.requires_grad:
        weights = np.linspace(0.5, 1.5, rt.numel()).reshape(tuple(rt.shape)).astype(dtype)
        (rp * pn.tensor(weights)).sum().backward()
        (rt * torch.tensor(weights)).sum().backward()
        for k in pp:
            if isinstance(tp[k], torch.Tensor) and tp[k].grad is not None:
                assert pp[k].grad is not None, f"no gradient for {k}"
                _close(pp[k].grad, tp[k].grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob_values_and_gradients(case):
    _compare(case, "log_prob")


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c[0] != "Binomial"],
    ids=[i for c, i in zip(CASES, IDS) if c[0] != "Binomial"],
)
def test_entropy_values_and_gradients(case):
    _compare(case, "entropy")


def test_binomial_entropy():
    p, _ = _build("Binomial", {"total_count": 10, "probs": [0.1, 0.5, 0.8]}, pn)
    t, _ = _build("Binomial", {"total_count": 10, "probs": [0.1, 0.5, 0.8]}, torch)
    _close(p.entropy(), t.entropy())


@pytest.mark.parametrize("method", ["mean", "variance", "stddev", "mode"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_moments(case, method):
    name = case[0]
    p, _ = _build(name, case[1], pn)
    t, _ = _build(name, case[1], torch)
    try:
        rt = getattr(t, method)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            getattr(p, method)
        return
    rp = getattr(p, method)
    assert tuple(rp.shape) == tuple(rt.shape)
    _close(rp, rt)


@pytest.mark.parametrize("case", [c for c in CASES if c[3]], ids=[i for c, i in zip(CASES, IDS) if c[3]])
def test_cdf(case):
    _compare(case, "cdf")


@pytest.mark.parametrize("case", [c for c in CASES if c[4]], ids=[i for c, i in zip(CASES, IDS) if c[4]])
def test_icdf(case):
    _compare(case, "icdf")


def test_float64_parameters_keep_float64():
    _compare(CASES[0], "log_prob", dtype="float64")
    _compare(CASES[0], "cdf", dtype="float64")
    _compare(CASES[4], "entropy", dtype="float64")
    n = D.Normal(pn.zeros(2, dtype=pn.float64), 1.0)
    assert n.sample((3,)).dtype == pn.float64 and n.rsample().dtype == pn.float64


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sample_shapes_and_dtypes(case, sample_shape):
    p, _ = _build(case[0], case[1], pn)
    t, _ = _build(case[0], case[1], torch)
    assert p.batch_shape == tuple(t.batch_shape) and p.event_shape == tuple(t.event_shape)
    sp, st = p.sample(sample_shape), t.sample(sample_shape)
    assert tuple(sp.shape) == tuple(st.shape)
    assert str(sp.dtype).split(".")[-1] == str(st.dtype).split(".")[-1]
    assert not sp.requires_grad
    assert p.has_rsample == t.has_rsample
    if t.has_rsample:
        rp = p.rsample(sample_shape)
        assert tuple(rp.shape) == tuple(st.shape) and rp.requires_grad
    else:
        with pytest.raises(NotImplementedError):
            p.rsample(sample_shape)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c[0] not in NO_SAMPLE_MOMENTS],
    ids=[i for c, i in zip(CASES, IDS) if c[0] not in NO_SAMPLE_MOMENTS],
)
def test_sample_statistics(case):
    pn.manual_seed(0)
    p, _ = _build(case[0], case[1], pn, grad=False)
    n = 20000
    s = _np(p.sample((n,))).astype(np.float64)
    mean, var = _np(p.mean).astype(np.float64), _np(p.variance).astype(np.float64)
    if case[0] == "Categorical":  # no mean: compare the class frequencies with probs
        freq = np.stack([(s == k).mean(0) for k in range(3)], -1)
        np.testing.assert_allclose(freq, _np(p.probs), atol=0.015)
        return
    if case[0] == "LogNormal":  # its sample variance is too heavy-tailed to test; log x is N(loc, scale^2)
        s, mean, var = np.log(s), _np(p.loc).astype(np.float64), _np(p.scale).astype(np.float64) ** 2
    np.testing.assert_allclose(s.mean(0), mean, atol=5 * np.sqrt(var / n).max() + 1e-6, rtol=0)
    np.testing.assert_allclose(s.var(0), var, rtol=0.06, atol=1e-3)


@pytest.mark.parametrize("name", HEAVY_TAILED)
def test_heavy_tailed_samples_have_their_median_at_loc(name):
    pn.manual_seed(0)
    loc = pn.tensor([0.0, 1.0, -2.0])
    d = D.Cauchy(loc, 2.0) if name == "Cauchy" else D.StudentT(3.0, loc, 2.0)
    s = _np(d.sample((20000,)))
    np.testing.assert_allclose((s < _np(loc)).mean(0), 0.5, atol=0.015)
    q = np.quantile(s, 0.75, axis=0) - _np(loc)  # Cauchy: the upper quartile is loc + scale
    if name == "Cauchy":
        np.testing.assert_allclose(q, 2.0, rtol=0.06)


def test_relaxed_draws_pick_classes_with_their_probabilities():
    """For any temperature, argmax of a RelaxedOneHotCategorical draw is Categorical(probs), and a
    RelaxedBernoulli draw exceeds 1/2 with probability probs (the Gumbel-max and logistic tricks)."""
    pn.manual_seed(0)
    probs = pn.tensor([0.2, 0.5, 0.3])
    logits = probs.log().requires_grad_(True)
    y = D.RelaxedOneHotCategorical(pn.tensor(0.7), logits=logits).rsample((20000,))
    _close(y.sum(-1), np.ones(20000), rtol=1e-5)
    freq = np.bincount(_np(y.argmax(-1)), minlength=3) / 20000
    np.testing.assert_allclose(freq, _np(probs), atol=0.015)
    (y[:, 0]).sum().backward()
    assert logits.grad is not None and float(logits.grad[0]) > 0
    b = D.RelaxedBernoulli(pn.tensor(3.0), probs=pn.tensor([0.1, 0.6])).sample((20000,))
    assert bool(((b > 0) & (b < 1)).all())
    np.testing.assert_allclose((_np(b) > 0.5).mean(0), [0.1, 0.6], atol=0.015)


def test_von_mises_circular_statistics():
    pn.manual_seed(0)
    d = D.VonMises(pn.tensor([0.0, 1.0, -2.0, 3.0]), pn.tensor([0.5, 2.0, 10.0, 1e-6]))
    s = _np(d.sample((20000,))).astype(np.float64)
    assert (s >= -np.pi).all() and (s < np.pi).all()
    c, sn = np.cos(s).mean(0), np.sin(s).mean(0)
    np.testing.assert_allclose(np.arctan2(sn, c)[:3], [0.0, 1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(1 - np.hypot(c, sn), _np(d.variance), atol=0.02)


def test_multinomial_counts_sum_to_total_count():
    pn.manual_seed(0)
    d = D.Multinomial(7, probs=pn.tensor([[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]]))
    s = d.sample((1000,))
    assert tuple(s.shape) == (1000, 2, 3) and s.dtype == pn.float32
    assert bool((s.sum(-1) == 7).all()) and bool((s[:, 1, 0] == 0).all())
    np.testing.assert_allclose(_np(s).mean(0), _np(d.mean), atol=0.15)


def test_samples_are_reproducible_with_manual_seed():
    d = D.Normal(pn.zeros(3), pn.ones(3))
    c = D.Categorical(logits=pn.zeros(2, 4))
    g = D.Gamma(pn.tensor([0.5, 3.0]), 1.0)
    pn.manual_seed(7)
    first = [d.sample((4,)), c.sample((4,)), g.sample((4,))]
    pn.manual_seed(7)
    second = [d.sample((4,)), c.sample((4,)), g.sample((4,))]
    for a, b in zip(first, second):
        assert bool((a == b).all())


def test_normal_rsample_backpropagates_into_loc_and_scale():
    mu = pn.tensor([0.5, -1.0], requires_grad=True)
    std = pn.tensor([1.0, 2.0], requires_grad=True)
    pn.manual_seed(0)
    z = D.Normal(mu, std).rsample((3,))
    (z * z).sum().backward()
    eps = (z.detach() - mu.detach()) / std.detach()
    _close(mu.grad, (2 * z.detach()).sum(0))
    _close(std.grad, (2 * z.detach() * eps).sum(0))


@pytest.mark.parametrize("name", ["Laplace", "Uniform", "Exponential"])
def test_location_scale_rsample_gradients(name):
    params = {
        "Laplace": {"loc": [0.5], "scale": [2.0]},
        "Uniform": {"low": [0.0], "high": [2.0]},
        "Exponential": {"rate": [2.0]},
    }
    p, pp = _build(name, params[name], pn)
    pn.manual_seed(1)
    z = p.rsample((1000,))
    z.sum().backward()
    # d z / d param is the standardised draw: check one closed form per family
    if name == "Laplace":
        _close(pp["loc"].grad, [1000.0])
        _close(pp["scale"].grad, ((z.detach() - 0.5) / 2.0).sum(0), rtol=1e-4)
    elif name == "Uniform":
        _close(pp["low"].grad + pp["high"].grad, [1000.0], rtol=1e-5)
    else:
        _close(pp["rate"].grad, (-z.detach() / 2.0).sum(0), rtol=1e-4)


def test_gamma_rsample_gradient_matches_torch_implicit_gradient():
    from pyneuro.distributions._special import gamma_sample_grad_array

    alpha = torch.tensor([0.1, 0.5, 1.0, 2.5, 10.0, 100.0], dtype=torch.float64, requires_grad=True)
    torch.manual_seed(0)
    x = torch._standard_gamma(alpha)
    x.sum().backward()
    mine = gamma_sample_grad_array(np, alpha.detach().numpy(), x.detach().numpy())
    np.testing.assert_allclose(mine, alpha.grad.numpy(), rtol=2e-3)


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet"])
def test_gamma_family_rsample_gradient_of_the_mean(name):
    """E[x] is known in closed form, so the mean of d x / d param over many draws must match its derivative."""
    pn.manual_seed(0)
    n = 20000
    if name == "Gamma":
        a = pn.tensor([0.7, 3.0], requires_grad=True)
        D.Gamma(a, 2.0).rsample((n,)).mean(0).sum().backward()
        expected = np.array([0.5, 0.5])  # d/da (a / rate)
    elif name == "Beta":
        a = pn.tensor([2.0], requires_grad=True)
        D.Beta(a, pn.tensor([3.0])).rsample((n,)).mean(0).sum().backward()
        expected = np.array([3.0 / 25.0])  # d/da a / (a + b)
    else:
        a = pn.tensor([1.0, 2.0, 3.0], requires_grad=True)
        D.Dirichlet(a).rsample((n,))[..., 0].mean().backward()
        expected = np.array([5 / 36, -1 / 36, -1 / 36])  # d/da_j a_0 / Σ a
    np.testing.assert_allclose(_np(a.grad), expected, atol=0.02)


def test_categorical_log_prob_broadcasts_values_and_batches():
    logits = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    p, t = D.Categorical(logits=pn.tensor(logits)), TD.Categorical(logits=torch.tensor(logits))
    v = np.array([[0, 1, 2, 4], [3, 3, 3, 3]])
    _close(p.log_prob(pn.tensor(v)), t.log_prob(torch.tensor(v)))
    _close(p.log_prob(pn.tensor([2])), t.log_prob(torch.tensor([2])))
    assert tuple(p.sample((7,)).shape) == (7, 4) and p.sample().dtype == pn.int64
    _close(p.entropy(), t.entropy())
    _close(p.enumerate_support(), t.enumerate_support())
    assert tuple(p.enumerate_support(False).shape) == tuple(t.enumerate_support(False).shape)


def test_categorical_never_draws_zero_probability_classes():
    pn.manual_seed(3)
    s = D.Categorical(probs=pn.tensor([0.0, 0.5, 0.0, 0.5])).sample((5000,))
    assert set(np.unique(_np(s)).tolist()) == {1, 3}


def test_multivariate_normal_forms_values_and_gradients():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((2, 3, 3)).astype(np.float32)
    cov = m @ m.transpose(0, 2, 1) + np.eye(3, dtype=np.float32)
    loc = rng.standard_normal(3).astype(np.float32)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    for kw in ("covariance_matrix", "precision_matrix", "scale_tril"):
        mat = np.linalg.cholesky(cov) if kw == "scale_tril" else cov
        a, ta = pn.tensor(mat, requires_grad=True), torch.tensor(mat, requires_grad=True)
        mu, tmu = pn.tensor(loc, requires_grad=True), torch.tensor(loc, requires_grad=True)
        d, td = D.MultivariateNormal(mu, **{kw: a}), TD.MultivariateNormal(tmu, **{kw: ta})
        assert d.batch_shape == tuple(td.batch_shape) and d.event_shape == tuple(td.event_shape)
        lp, tlp = d.log_prob(pn.tensor(x)), td.log_prob(torch.tensor(x))
        _close(lp, tlp, rtol=1e-5, atol=1e-5)
        _close(d.entropy(), td.entropy())
        for prop in ("covariance_matrix", "precision_matrix", "scale_tril", "variance", "mean"):
            _close(getattr(d, prop), getattr(td, prop), rtol=1e-5, atol=2e-5)
        (lp.sum() + d.entropy().sum()).backward()
        (tlp.sum() + td.entropy().sum()).backward()
        _close(a.grad, ta.grad, rtol=1e-4, atol=2e-5)
        _close(mu.grad, tmu.grad, rtol=1e-4, atol=2e-5)
        assert tuple(d.rsample((4,)).shape) == (4, 2, 3)


def test_multivariate_normal_rsample_statistics_and_gradient():
    cov = np.array([[2.0, 0.6], [0.6, 1.0]], dtype=np.float32)
    L = pn.tensor(np.linalg.cholesky(cov), requires_grad=True)
    loc = pn.tensor([1.0, -1.0], requires_grad=True)
    pn.manual_seed(0)
    s = D.MultivariateNormal(loc, scale_tril=L).rsample((20000,))
    np.testing.assert_allclose(np.cov(_np(s).T), cov, atol=0.06)
    np.testing.assert_allclose(_np(s).mean(0), [1.0, -1.0], atol=0.05)
    s.sum().backward()
    _close(loc.grad, [20000.0, 20000.0])
    assert L.grad is not None


def test_low_rank_multivariate_normal_against_torch():
    rng = np.random.default_rng(0)
    arrays = (
        rng.standard_normal((2, 4)).astype(np.float32),
        rng.standard_normal((2, 4, 2)).astype(np.float32),
        (rng.random(4) + 0.5).astype(np.float32),
    )
    mine = [pn.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    p, t = D.LowRankMultivariateNormal(*mine), TD.LowRankMultivariateNormal(*theirs)
    assert p.batch_shape == (2,) and p.event_shape == (4,)
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)
    lp, tlp = p.log_prob(pn.tensor(x)), t.log_prob(torch.tensor(x))
    _close(lp, tlp)
    _close(p.entropy(), t.entropy())
    for prop in ("covariance_matrix", "precision_matrix", "scale_tril", "variance"):
        _close(getattr(p, prop), getattr(t, prop), rtol=1e-5, atol=2e-6)
    (lp.sum() + p.entropy().sum()).backward()
    (tlp.sum() + t.entropy().sum()).backward()
    for a, b in zip(mine, theirs):
        _close(a.grad, b.grad, rtol=1e-4, atol=1e-5)
    q, tq = (
        D.LowRankMultivariateNormal(pn.zeros(4), pn.ones(4, 1), pn.ones(4)),
        TD.LowRankMultivariateNormal(torch.zeros(4), torch.ones(4, 1), torch.ones(4)),
    )
    m, tm = (
        D.MultivariateNormal(pn.ones(4), pn.eye(4) * 2),
        TD.MultivariateNormal(torch.ones(4), torch.eye(4) * 2),
    )
    for a, b, c, d in ((p, q, t, tq), (p, m, t, tm), (m, p, tm, t)):
        _close(D.kl_divergence(a, b), TD.kl_divergence(c, d), rtol=1e-5)
    pn.manual_seed(0)
    s = q.rsample((20000,))
    assert tuple(s.shape) == (20000, 4) and s.requires_grad is False
    np.testing.assert_allclose(np.cov(_np(s).T), _np(tq.covariance_matrix), atol=0.06)
    with pytest.raises(ValueError):
        D.LowRankMultivariateNormal(pn.zeros(4), pn.ones(3, 1), pn.ones(4))


def test_lkj_cholesky_against_torch():
    c = np.array([0.5, 2.0, 5.0], dtype=np.float32)
    pc, tc = pn.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)
    p, t = D.LKJCholesky(3, pc), TD.LKJCholesky(3, tc)
    assert p.batch_shape == (3,) and p.event_shape == (3, 3)
    torch.manual_seed(0)
    v = t.sample()
    lp, tlp = p.log_prob(pn.tensor(v.numpy())), t.log_prob(v)
    _close(lp, tlp)
    lp.sum().backward()
    tlp.sum().backward()
    _close(pc.grad, tc.grad, rtol=1e-4)
    pn.manual_seed(0)
    s = p.sample((4000,))
    assert tuple(s.shape) == (4000, 3, 3, 3) and bool(p.support.check(s).all())
    corr = s @ s.mT  # the off-diagonal correlations have variance 1 / (2 eta + d - 1)
    np.testing.assert_allclose(_np(corr[..., 1, 0]).var(0), 1 / (2 * c + 2), rtol=0.08)
    with pytest.raises(ValueError):
        D.LKJCholesky(1)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kw", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_wishart_against_torch(kw):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((2, 3, 3)).astype(np.float32)
    cov = m @ m.transpose(0, 2, 1) + np.eye(3, dtype=np.float32)
    mat = np.linalg.cholesky(cov) if kw == "scale_tril" else cov
    df = np.array([4.0, 6.5], dtype=np.float32)
    pa, ta = pn.tensor(mat, requires_grad=True), torch.tensor(mat, requires_grad=True)
    pd, tdf = pn.tensor(df, requires_grad=True), torch.tensor(df, requires_grad=True)
    p, t = D.Wishart(pd, **{kw: pa}), TD.Wishart(tdf, **{kw: ta})
    assert p.batch_shape == (2,) and p.event_shape == (3, 3)
    torch.manual_seed(0)
    v = t.sample((2,))
    lp, tlp = p.log_prob(pn.tensor(v.numpy())), t.log_prob(v)
    _close(lp, tlp, rtol=1e-5)
    _close(p.entropy(), t.entropy(), rtol=1e-5)
    for prop in ("mean", "mode", "variance", "covariance_matrix", "precision_matrix", "scale_tril"):
        _close(getattr(p, prop), getattr(t, prop), rtol=1e-5, atol=2e-6)
    (lp.sum() + p.entropy().sum()).backward()
    (tlp.sum() + t.entropy().sum()).backward()
    _close(pd.grad, tdf.grad, rtol=1e-5)
    # torch's gradient for scale_tril also fills the (structurally zero) upper triangle; compare the lower one
    mask = np.tril(np.ones((3, 3))) if kw == "scale_tril" else np.ones((3, 3))
    _close(_np(pa.grad) * mask, _np(ta.grad) * mask, rtol=1e-4, atol=1e-5)
    pn.manual_seed(0)
    s = p.rsample((20000,))
    np.testing.assert_allclose(_np(s).mean(0), _np(t.mean), rtol=0.05, atol=0.05)
    with pytest.raises(ValueError):
        D.Wishart(1.0, pn.eye(3))


def test_independent_normal():
    loc = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    p = D.Independent(D.Normal(pn.tensor(loc), 2.0), 1)
    t = TD.Independent(TD.Normal(torch.tensor(loc), 2.0), 1)
    assert p.batch_shape == (4,) and p.event_shape == (3,)
    _close(p.log_prob(pn.tensor(loc * 0.5)), t.log_prob(torch.tensor(loc * 0.5)))
    _close(p.entropy(), t.entropy())
    assert tuple(p.rsample((2,)).shape) == (2, 4, 3) and p.has_rsample
    _close(D.kl_divergence(p, D.Independent(D.Normal(pn.zeros(4, 3), 1.0), 1)),
           TD.kl_divergence(t, TD.Independent(TD.Normal(torch.zeros(4, 3), 1.0), 1)))  # fmt: skip
    with pytest.raises(ValueError):
        D.Independent(D.Normal(pn.zeros(3), 1.0), 2)


KL_PAIRS = [
    ("Normal", {"loc": [0.0, 1.0], "scale": [1.0, 2.0]}, "Normal", {"loc": [0.5, -1.0], "scale": [2.0, 0.5]}),
    ("Bernoulli", {"probs": [0.3, 0.9]}, "Bernoulli", {"probs": [0.5, 0.2]}),
    ("Bernoulli", {"logits": [0.3, -2.0]}, "Bernoulli", {"logits": [1.0, 0.2]}),
    ("Categorical", {"probs": [[0.2, 0.8], [0.5, 0.5]]}, "Categorical", {"probs": [[0.1, 0.9], [0.3, 0.7]]}),
    ("Categorical", {"logits": [[0.2, 0.8, 0.1]]}, "Categorical", {"logits": [[1.0, -0.9, 0.0]]}),
    ("OneHotCategorical", {"probs": [[0.2, 0.8]]}, "OneHotCategorical", {"probs": [[0.6, 0.4]]}),
    (
        "Uniform",
        {"low": [0.0, 0.0], "high": [1.0, 2.0]},
        "Uniform",
        {"low": [-1.0, -0.5], "high": [2.0, 3.0]},
    ),
    ("Uniform", {"low": [0.0], "high": [1.0]}, "Normal", {"loc": [0.3], "scale": [2.0]}),
    ("Normal", {"loc": [0.0], "scale": [1.0]}, "Laplace", {"loc": [0.3], "scale": [2.0]}),
    ("Exponential", {"rate": [1.0, 2.0]}, "Exponential", {"rate": [3.0, 0.5]}),
    (
        "Laplace",
        {"loc": [0.0, 1.0], "scale": [1.0, 2.0]},
        "Laplace",
        {"loc": [1.0, 1.0], "scale": [0.5, 3.0]},
    ),
    (
        "Gamma",
        {"concentration": [1.0, 2.0], "rate": [1.0, 3.0]},
        "Gamma",
        {"concentration": [2.0, 0.5], "rate": [1.0, 1.0]},
    ),
    (
        "Beta",
        {"concentration1": [1.0, 2.0], "concentration0": [1.0, 3.0]},
        "Beta",
        {"concentration1": [2.0, 0.5], "concentration0": [1.0, 1.0]},
    ),
    ("Poisson", {"rate": [1.0, 2.0]}, "Poisson", {"rate": [3.0, 0.5]}),
    ("Dirichlet", {"concentration": [[1.0, 2.0, 3.0]]}, "Dirichlet", {"concentration": [[0.5, 0.5, 2.0]]}),
    (
        "Binomial",
        {"total_count": 5, "probs": [0.3, 0.6]},
        "Binomial",
        {"total_count": 5, "probs": [0.5, 0.1]},
    ),
]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=[f"{a}-{c}" for a, _, c, _ in KL_PAIRS])
def test_kl_divergence_values_and_gradients(pair):
    np_, pp_, nq, pq = pair
    p, pgrads = _build(np_, pp_, pn)
    q, qgrads = _build(nq, pq, pn)
    tp, tpg = _build(np_, pp_, torch)
    tq, tqg = _build(nq, pq, torch)
    kp, kt = D.kl_divergence(p, q), TD.kl_divergence(tp, tq)
    _close(kp, kt)
    kp.sum().backward()
    kt.sum().backward()
    for mine, theirs in ((pgrads, tpg), (qgrads, tqg)):
        for k in mine:
            if isinstance(theirs[k], torch.Tensor) and theirs[k].grad is not None:
                _close(mine[k].grad, theirs[k].grad, rtol=1e-4, atol=1e-5)


KL_FAMILIES = {
    "Normal": {"loc": [0.3, -1.0], "scale": [1.0, 2.0]},
    "Laplace": {"loc": [0.3, -1.0], "scale": [1.0, 2.0]},
    "Gumbel": {"loc": [0.3, -1.0], "scale": [1.0, 2.0]},
    "Cauchy": {"loc": [0.3, -1.0], "scale": [1.0, 2.0]},
    "Exponential": {"rate": [0.5, 2.0]},
    "Gamma": {"concentration": [0.5, 3.0], "rate": [1.0, 2.0]},
    "Beta": {"concentration1": [0.5, 3.0], "concentration0": [1.0, 2.0]},
    "Uniform": {"low": [0.2, 1.5], "high": [0.7, 3.0]},
    "Pareto": {"scale": [1.0, 0.5], "alpha": [2.5, 3.5]},
    "Poisson": {"rate": [0.5, 2.0]},
    "Bernoulli": {"probs": [0.3, 0.6]},
    "Binomial": {"total_count": 5, "probs": [0.3, 0.6]},
    "Geometric": {"probs": [0.3, 0.6]},
    "HalfNormal": {"scale": [1.0, 2.0]},
    "LogNormal": {"loc": [0.3, -1.0], "scale": [1.0, 2.0]},
    "ContinuousBernoulli": {"probs": [0.2, 0.7]},
}
KL_GRID = [(a, b) for a in KL_FAMILIES for b in KL_FAMILIES]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("pair", KL_GRID, ids=[f"{a}-{b}" for a, b in KL_GRID])
def test_kl_divergence_across_families_as_torch(pair):
    """Every pair of these families: the same value and gradients as torch, inf where torch
    gives inf, and NotImplementedError where torch registers no KL."""
    a, b = pair
    tp, tpg = _build(a, KL_FAMILIES[a], torch)
    tq, tqg = _build(b, KL_FAMILIES[b], torch)
    p, pg = _build(a, KL_FAMILIES[a], pn)
    q, qg = _build(b, KL_FAMILIES[b], pn)
    try:
        kt = TD.kl_divergence(tp, tq)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            D.kl_divergence(p, q)
        return
    kp = D.kl_divergence(p, q)
    _close(kp, kt, rtol=2e-5)
    if kt.requires_grad and bool(torch.isfinite(kt).all()):
        kp.sum().backward()
        kt.sum().backward()
        for mine, theirs in ((pg, tpg), (qg, tqg)):
            for k in mine:
                if isinstance(theirs[k], torch.Tensor) and theirs[k].grad is not None:
                    _close(mine[k].grad, theirs[k].grad, rtol=1e-4, atol=1e-5)


def test_kl_infinite_where_q_has_no_mass_and_unregistered_pairs():
    _close(D.kl_divergence(D.Uniform(0.0, 2.0), D.Uniform(0.0, 1.0)), np.inf)
    _close(D.kl_divergence(D.Bernoulli(0.5), D.Bernoulli(0.0)), np.inf)
    _close(D.kl_divergence(D.Bernoulli(0.0), D.Bernoulli(0.0)), 0.0)
    p = D.Categorical(pn.tensor([0.5, 0.5, 0.0]))
    _close(D.kl_divergence(p, D.Categorical(pn.tensor([0.5, 0.0, 0.5]))), np.inf)
    _close(
        D.kl_divergence(D.Categorical(pn.tensor([0.0, 1.0])), D.Categorical(pn.tensor([0.5, 0.5]))), np.log(2)
    )
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Cauchy(0.0, 1.0), D.Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError):
        TD.kl_divergence(TD.Cauchy(0.0, 1.0), TD.Normal(0.0, 1.0))


def test_register_kl_for_a_new_pair_and_subclass_dispatch():
    class MyNormal(D.Normal):
        pass

    _close(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)), 0.5)

    @D.register_kl(D.Gamma, D.Exponential)
    def _kl(p, q):
        return p.rate * 0 + 42.0

    _close(D.kl_divergence(D.Gamma(1.0, 1.0), D.Exponential(1.0)), 42.0)
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


def test_multivariate_normal_kl():
    a = np.array([[2.0, 0.3], [0.3, 1.0]], dtype=np.float32)
    s = np.array([[1.0, 0.0], [0.5, 2.0]], dtype=np.float32)
    pa, ta = pn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    kp = D.kl_divergence(
        D.MultivariateNormal(pn.zeros(2), pa), D.MultivariateNormal(pn.ones(2), scale_tril=pn.tensor(s))
    )
    kt = TD.kl_divergence(
        TD.MultivariateNormal(torch.zeros(2), ta),
        TD.MultivariateNormal(torch.ones(2), scale_tril=torch.tensor(s)),
    )
    _close(kp, kt)
    kp.backward()
    kt.backward()
    _close(pa.grad, ta.grad, rtol=1e-4)


# ----------------------------------------------------------------------------- transforms and mixtures
def _tanh_gaussian(lib, mu, sd):
    M = D if lib is pn else TD
    tr = D.TanhTransform if lib is pn else TD.transforms.TanhTransform
    return M.TransformedDistribution(M.Normal(mu, sd), [tr(cache_size=1)])


def test_tanh_squashed_gaussian_like_sac():
    mu0, sd0 = np.array([0.3, -1.0, 2.0], dtype=np.float32), np.array([1.0, 0.5, 2.0], dtype=np.float32)
    pm, ps = pn.tensor(mu0, requires_grad=True), pn.tensor(sd0, requires_grad=True)
    tm, ts = torch.tensor(mu0, requires_grad=True), torch.tensor(sd0, requires_grad=True)
    p, t = _tanh_gaussian(pn, pm, ps), _tanh_gaussian(torch, tm, ts)
    assert p.batch_shape == (3,) and p.event_shape == () and p.has_rsample
    v = [0.2, -0.9, 0.99]
    lp, tlp = p.log_prob(pn.tensor(v)), t.log_prob(torch.tensor(v))
    _close(lp, tlp)
    lp.sum().backward()
    tlp.sum().backward()
    _close(pm.grad, tm.grad, rtol=1e-4)
    _close(ps.grad, ts.grad, rtol=1e-4)
    # the cached pre-tanh value is reused by log_prob of a fresh rsample, as torch does
    pn.manual_seed(0)
    y = p.rsample((4,))
    x = (y.detach() * 0).add(1)  # any other tensor goes through atanh
    assert tuple(p.log_prob(y).shape) == (4, 3) and tuple(p.log_prob(x.clamp(max=0.5)).shape) == (4, 3)
    assert p.transforms[0].inv(y) is p.transforms[0]._cached_x_y[0]


def test_composed_transforms_and_their_inverses():
    mu, sd = np.array([0.3, -1.0, 2.0], dtype=np.float32), np.array([1.0, 0.5, 2.0], dtype=np.float32)
    mine = [D.AffineTransform(1.0, -2.0), D.SigmoidTransform()]
    theirs = [TD.transforms.AffineTransform(1.0, -2.0), TD.transforms.SigmoidTransform()]
    p = D.TransformedDistribution(D.Normal(pn.tensor(mu), pn.tensor(sd)), mine)
    t = TD.TransformedDistribution(TD.Normal(torch.tensor(mu), torch.tensor(sd)), theirs)
    v = [0.3, 0.6, 0.9]
    _close(p.log_prob(pn.tensor(v)), t.log_prob(torch.tensor(v)))
    _close(p.cdf(pn.tensor(v)), t.cdf(torch.tensor(v)))
    _close(p.icdf(pn.tensor([0.2, 0.5, 0.7])), t.icdf(torch.tensor([0.2, 0.5, 0.7])))
    g = D.TransformedDistribution(
        D.Gamma(pn.tensor([2.0, 3.0]), 1.0), [D.PowerTransform(pn.tensor(0.5)), D.SoftplusTransform()]
    )
    tg = TD.TransformedDistribution(
        TD.Gamma(torch.tensor([2.0, 3.0]), 1.0),
        [TD.transforms.PowerTransform(torch.tensor(0.5)), TD.transforms.SoftplusTransform()],
    )
    _close(g.log_prob(pn.tensor([1.5, 2.0])), tg.log_prob(torch.tensor([1.5, 2.0])))
    e = D.ExpTransform()
    assert repr(e.inv) == "_InverseTransform(ExpTransform())" and e.inv.inv is e and e == D.ExpTransform()
    x = pn.tensor([0.5, -1.0])
    _close(e.inv(e(x)), x)
    _close(e.inv.log_abs_det_jacobian(e(x), x), -_np(x))
    c = D.ComposeTransform([D.ExpTransform(), D.AffineTransform(1.0, 3.0)])
    _close(c.inv(c(x)), x, rtol=1e-6)
    _close(c.log_abs_det_jacobian(x, c(x)), _np(x) + np.log(3.0))


VECTOR_TRANSFORMS = [
    ("StickBreakingTransform", (), (2, 3)),
    ("SoftmaxTransform", (), (2, 3)),
    ("LowerCholeskyTransform", (), (2, 3, 3)),
    ("PositiveDefiniteTransform", (), (2, 3, 3)),
    ("ReshapeTransform", ((3,), (3, 1)), (2, 3)),
]


@pytest.mark.parametrize("spec", VECTOR_TRANSFORMS, ids=[v[0] for v in VECTOR_TRANSFORMS])
def test_vector_transforms_against_torch(spec):
    name, args, shape = spec
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    mine, theirs = getattr(D, name)(*args), getattr(TD.transforms, name)(*args)
    a, b = pn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = mine(a), theirs(b)
    _close(ya, yb, rtol=1e-6)
    _close(mine.inv(ya), theirs.inv(yb), rtol=1e-5, atol=1e-6)
    assert repr(mine.domain) == repr(theirs.domain) and repr(mine.codomain) == repr(theirs.codomain)
    if name in ("StickBreakingTransform", "ReshapeTransform"):
        assert tuple(mine.forward_shape(shape)) == tuple(theirs.forward_shape(shape))
        la, lb = mine.log_abs_det_jacobian(a, ya), theirs.log_abs_det_jacobian(b, yb)
        _close(la, lb)
    (
        ya * pn.tensor(np.linspace(0.5, 1.5, ya.numel()).reshape(tuple(ya.shape)).astype(np.float32))
    ).sum().backward()
    (
        yb * torch.tensor(np.linspace(0.5, 1.5, yb.numel()).reshape(tuple(yb.shape)).astype(np.float32))
    ).sum().backward()
    _close(a.grad, b.grad, rtol=1e-5, atol=1e-6)


def test_logistic_normal_against_torch():
    loc, scale = np.array([0.3, -1.0, 0.5], dtype=np.float32), np.array([1.0, 0.5, 2.0], dtype=np.float32)
    pl, ps = pn.tensor(loc, requires_grad=True), pn.tensor(scale, requires_grad=True)
    tl, ts = torch.tensor(loc, requires_grad=True), torch.tensor(scale, requires_grad=True)
    p, t = D.LogisticNormal(pl, ps), TD.LogisticNormal(tl, ts)
    assert p.batch_shape == () and p.event_shape == (4,)
    v = [0.1, 0.2, 0.3, 0.4]
    lp, tlp = p.log_prob(pn.tensor(v)), t.log_prob(torch.tensor(v))
    _close(lp, tlp)
    lp.backward()
    tlp.backward()
    _close(pl.grad, tl.grad, rtol=1e-5)
    _close(ps.grad, ts.grad, rtol=1e-5)
    s = p.sample((1000,))
    _close(s.sum(-1), np.ones(1000), rtol=1e-5)


def test_block_transforms_against_torch():
    x = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)
    a, b = pn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    m, t = D.CorrCholeskyTransform(), TD.transforms.CorrCholeskyTransform()
    ya, yb = m(a), t(b)
    _close(ya, yb, rtol=1e-5, atol=1e-6)
    _close(m.inv(ya), t.inv(yb), rtol=1e-4, atol=1e-5)
    la, lb = m.log_abs_det_jacobian(a, ya), t.log_abs_det_jacobian(b, yb)
    _close(la, lb, rtol=1e-5)
    (la.sum() + ya.sum()).backward()
    (lb.sum() + yb.sum()).backward()
    _close(a.grad, b.grad, rtol=1e-4, atol=1e-5)
    assert tuple(m.forward_shape((2, 6))) == (2, 4, 4) and bool(D.constraints.corr_cholesky.check(ya).all())
    xc = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    c = D.CatTransform(
        [D.ExpTransform(), D.identity_transform, D.SigmoidTransform()], dim=0, lengths=[1, 2, 1]
    )
    tc = TD.transforms.CatTransform(
        [TD.transforms.ExpTransform(), TD.transforms.identity_transform, TD.transforms.SigmoidTransform()],
        dim=0,
        lengths=[1, 2, 1],
    )
    s = D.StackTransform([D.ExpTransform(), D.SigmoidTransform(), D.AffineTransform(1.0, 2.0)], dim=1)
    ts = TD.transforms.StackTransform(
        [
            TD.transforms.ExpTransform(),
            TD.transforms.SigmoidTransform(),
            TD.transforms.AffineTransform(1.0, 2.0),
        ],
        dim=1,
    )
    for mine, theirs in ((c, tc), (s, ts)):
        ym, yt = mine(pn.tensor(xc)), theirs(torch.tensor(xc))
        _close(ym, yt, rtol=1e-6)
        _close(
            mine.log_abs_det_jacobian(pn.tensor(xc), ym), theirs.log_abs_det_jacobian(torch.tensor(xc), yt)
        )
        _close(mine.inv(ym), xc, rtol=1e-5, atol=1e-6)
        assert bool(mine.codomain.check(ym).all())
    lkj = D.TransformedDistribution(D.Normal(pn.zeros(3), 1.0), D.CorrCholeskyTransform())
    assert lkj.event_shape == (3, 3) and bool(D.constraints.corr_cholesky.check(lkj.sample((5,))).all())


def test_transformed_distribution_changes_event_shape_and_broadcasts_transform_parameters():
    p = D.TransformedDistribution(D.Normal(pn.zeros(3), 1.0), D.StickBreakingTransform())
    t = TD.TransformedDistribution(TD.Normal(torch.zeros(3), 1.0), TD.transforms.StickBreakingTransform())
    assert p.batch_shape == () and p.event_shape == (4,) and repr(p.support) == "Simplex()"
    v = [0.1, 0.2, 0.3, 0.4]
    _close(p.log_prob(pn.tensor(v)), t.log_prob(torch.tensor(v)))
    assert tuple(p.sample((2,)).shape) == (2, 4)
    a = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.AffineTransform(pn.zeros(4), 2.0)])
    ta = TD.TransformedDistribution(TD.Normal(0.0, 1.0), [TD.transforms.AffineTransform(torch.zeros(4), 2.0)])
    assert a.batch_shape == (4,) == tuple(ta.batch_shape)
    _close(a.log_prob(pn.zeros(4)), ta.log_prob(torch.zeros(4)))
    c = D.CumulativeDistributionTransform(D.Normal(0.0, 1.0))
    tc = TD.transforms.CumulativeDistributionTransform(TD.Normal(0.0, 1.0))
    _close(c(pn.tensor([0.3])), tc(torch.tensor([0.3])))
    _close(c.inv(pn.tensor([0.6])), tc.inv(torch.tensor([0.6])))


@pytest.mark.parametrize(
    "make",
    [
        lambda C: C.real,
        lambda C: C.positive,
        lambda C: C.nonnegative,
        lambda C: C.greater_than(2.0),
        lambda C: C.less_than(1.0),
        lambda C: C.unit_interval,
        lambda C: C.interval(-2.0, 3.0),
        lambda C: C.simplex,
        lambda C: C.real_vector,
        lambda C: C.independent(C.positive, 1),
        lambda C: C.stack([C.positive, C.unit_interval, C.real], 1),
        lambda C: C.cat([C.positive, C.real], 1, [1, 2]),
    ],
)
def test_biject_to_and_transform_to_against_torch(make):
    assert D.identity_transform(pn.tensor([1.5])).tolist() == [1.5]
    x = np.array([[-1.0, 0.3, 2.0]], dtype=np.float32)
    for mine, theirs in ((D.biject_to, TD.biject_to), (D.transform_to, TD.transform_to)):
        tm, tt = mine(make(D.constraints)), theirs(make(TD.constraints))
        y = tm(pn.tensor(x))
        _close(y, tt(torch.tensor(x)), rtol=1e-6)
        assert bool(make(D.constraints).check(y).all())
    with pytest.raises(NotImplementedError):
        D.biject_to(D.constraints.lower_cholesky)
    assert tuple(D.transform_to(D.constraints.lower_cholesky)(pn.zeros(2, 2)).shape) == (2, 2)


def test_mixture_same_family_against_torch():
    logits = np.array([[0.3, -0.2], [1.0, 0.0]], dtype=np.float32)
    loc, scale = (
        np.array([[-1.0, 2.0], [0.0, 0.5]], dtype=np.float32),
        np.array([[1.0, 0.5], [2.0, 0.3]], dtype=np.float32),
    )
    pp = [pn.tensor(a, requires_grad=True) for a in (logits, loc, scale)]
    tp = [torch.tensor(a, requires_grad=True) for a in (logits, loc, scale)]
    p = D.MixtureSameFamily(D.Categorical(logits=pp[0]), D.Normal(pp[1], pp[2]))
    t = TD.MixtureSameFamily(TD.Categorical(logits=tp[0]), TD.Normal(tp[1], tp[2]))
    assert p.batch_shape == (2,) and p.event_shape == ()
    x = np.array([[0.0, 1.0], [2.5, -1.0], [0.3, 0.3]], dtype=np.float32)
    lp, tlp = p.log_prob(pn.tensor(x)), t.log_prob(torch.tensor(x))
    _close(lp, tlp)
    _close(p.mean, t.mean)
    _close(p.variance, t.variance)
    _close(p.cdf(pn.tensor(x)), t.cdf(torch.tensor(x)))
    (lp.sum() + p.variance.sum()).backward()
    (tlp.sum() + t.variance.sum()).backward()
    for a, b in zip(pp, tp):
        _close(a.grad, b.grad, rtol=1e-4)
    pn.manual_seed(0)
    s = _np(p.sample((20000,)))
    np.testing.assert_allclose(s.mean(0), _np(p.mean), atol=0.05)
    np.testing.assert_allclose(s.var(0), _np(p.variance), rtol=0.06)
    gmm = D.MixtureSameFamily(
        D.Categorical(pn.ones(4, 3)), D.Independent(D.Normal(pn.randn(4, 3, 2), 1.0), 1)
    )
    assert gmm.batch_shape == (4,) and gmm.event_shape == (2,)
    assert tuple(gmm.sample((5,)).shape) == (5, 4, 2) and tuple(gmm.log_prob(pn.zeros(4, 2)).shape) == (4,)
    with pytest.raises(ValueError):
        D.MixtureSameFamily(D.Categorical(pn.ones(3)), D.Normal(pn.zeros(2), 1.0))


# ----------------------------------------------------------------------------- validation and errors
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # probs [0.5, -0.5] normalise by a zero sum
@pytest.mark.parametrize(
    "make",
    [
        lambda M, T: M.Normal(0.0, -1.0),
        lambda M, T: M.Normal(T.tensor([0.0, 1.0]), T.tensor([1.0, 0.0])),
        lambda M, T: M.Uniform(1.0, 0.0),
        lambda M, T: M.Exponential(-1.0),
        lambda M, T: M.Bernoulli(probs=1.5),
        lambda M, T: M.Bernoulli(),
        lambda M, T: M.Bernoulli(probs=0.5, logits=0.0),
        lambda M, T: M.Categorical(probs=T.tensor(0.5)),
        lambda M, T: M.Categorical(probs=T.tensor([0.5, -0.5])),
        lambda M, T: M.Gamma(T.tensor([1.0]), T.tensor([0.0])),
        lambda M, T: M.Beta(0.0, 1.0),
        lambda M, T: M.Poisson(-1.0),
        lambda M, T: M.Dirichlet(T.tensor(1.0)),
        lambda M, T: M.MultivariateNormal(T.zeros(2), T.tensor([[1.0, 2.0], [2.0, 1.0]])),
        lambda M, T: M.MultivariateNormal(T.zeros(2), scale_tril=T.tensor([[1.0, 1.0], [0.0, 1.0]])),
        lambda M, T: M.MultivariateNormal(T.zeros(2)),
        lambda M, T: M.MultivariateNormal(T.tensor(0.0), T.eye(2)),
        lambda M, T: M.Normal(0.0, 1.0).log_prob(1.0),
        lambda M, T: M.Normal(T.zeros(3), 1.0).log_prob(T.zeros(2)),
        lambda M, T: M.Exponential(1.0).log_prob(T.tensor(-1.0)),
        lambda M, T: M.Categorical(T.ones(3)).log_prob(T.tensor(3)),
        lambda M, T: M.Bernoulli(0.3).log_prob(T.tensor(0.5)),
        lambda M, T: M.Poisson(2.0).log_prob(T.tensor(1.5)),
        lambda M, T: M.Dirichlet(T.ones(3)).log_prob(T.tensor([0.5, 0.6, 0.1])),
        lambda M, T: M.Geometric(T.tensor([0.5, 0.0])),
        lambda M, T: M.HalfNormal(-1.0),
        lambda M, T: M.LogNormal(0.0, 0.0),
        lambda M, T: M.StudentT(-1.0),
        lambda M, T: M.Multinomial(3, T.tensor([0.5, 0.5])).log_prob(T.tensor([3.0, 1.0])),
        lambda M, T: M.Pareto(1.0, 2.0).log_prob(T.tensor(0.5)),
        lambda M, T: M.Weibull(1.0, -2.0),
        lambda M, T: M.NegativeBinomial(2.0, probs=T.tensor(1.0)),
        lambda M, T: M.RelaxedBernoulli(T.tensor(0.5), probs=T.tensor(0.3)).log_prob(T.tensor(1.5)),
    ],
)
def test_validation_raises_value_error_like_torch(make):
    # (torch.compile, which other tests call, switches torch's validation off process-wide)
    TD.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        make(TD, torch)
    with pytest.raises(ValueError):
        make(D, pn)


@pytest.mark.parametrize(
    "make",
    [
        lambda M, T: M.Normal(T.zeros(2), T.ones(3)),
        lambda M, T: M.Gamma(T.ones(2, 1), T.ones(3, 2)),
        lambda M, T: M.MultivariateNormal(T.zeros(2, 3), T.eye(3).expand(4, 3, 3)),
    ],
)
def test_parameters_that_do_not_broadcast_raise_runtime_error(make):
    with pytest.raises(RuntimeError):
        make(TD, torch)
    with pytest.raises(RuntimeError):
        make(D, pn)


def test_validate_args_false_skips_the_checks():
    d = D.Normal(0.0, -1.0, validate_args=False)
    t = TD.Normal(0.0, -1.0, validate_args=False)
    _close(d.log_prob(pn.tensor(0.5)), t.log_prob(torch.tensor(0.5)))
    assert np.isnan(_np(D.Exponential(1.0, validate_args=False).log_prob(pn.tensor(-1.0)))) is np.False_
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)


def test_repr_shapes_expand_and_flags():
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.Normal(pn.zeros(2), 1.0)) == f"Normal(loc: {pn.Size([2])!r}, scale: {pn.Size([2])!r})"
    assert repr(D.constraints.positive) == "GreaterThan(lower_bound=0.0)"
    assert repr(D.Categorical(pn.ones(3)).support) == "IntegerInterval(lower_bound=0, upper_bound=2)"
    e = D.Normal(pn.tensor([0.0, 1.0]), 1.0).expand((3, 2))
    assert e.batch_shape == (3, 2) and tuple(e.sample((4,)).shape) == (4, 3, 2)
    _close(
        e.log_prob(pn.zeros(3, 2)),
        TD.Normal(torch.tensor([0.0, 1.0]), 1.0).expand((3, 2)).log_prob(torch.zeros(3, 2)),
    )
    for name in (
        "Bernoulli",
        "Categorical",
        "Gamma",
        "Beta",
        "Dirichlet",
        "MultivariateNormal",
        "OneHotCategorical",
    ):
        args = {"Bernoulli": (pn.tensor([0.3]),), "Categorical": (pn.ones(1, 3),), "Gamma": (pn.ones(1), 1.0),
                "Beta": (pn.ones(1), 1.0), "Dirichlet": (pn.ones(1, 3),), "MultivariateNormal": (pn.zeros(1, 2), pn.eye(2)),
                "OneHotCategorical": (pn.ones(1, 3),)}[name]  # fmt: skip
        d = getattr(D, name)(*args).expand((4,))
        assert d.batch_shape == (4,)
        assert tuple(d.sample().shape) == (4,) + tuple(d.event_shape)
    assert D.Normal.has_rsample and not D.Categorical.has_rsample and not D.Poisson.has_rsample
    assert D.Bernoulli(0.3).enumerate_support().tolist() == [0.0, 1.0]
    _close(
        D.Bernoulli(pn.tensor([0.3, 0.6])).enumerate_support(),
        TD.Bernoulli(torch.tensor([0.3, 0.6])).enumerate_support(),
    )
    oh = D.OneHotCategorical(pn.ones(2, 3))
    _close(oh.enumerate_support(), TD.OneHotCategorical(torch.ones(2, 3)).enumerate_support())
    _close(
        D.Binomial(3, pn.tensor([0.3])).enumerate_support(),
        TD.Binomial(3, torch.tensor([0.3])).enumerate_support(),
    )


def test_awkward_shapes_zero_d_empty_and_non_contiguous():
    # 0-d parameters: batch_shape (), scalar log_prob
    p, t = D.Gamma(pn.tensor(2.0), pn.tensor(3.0)), TD.Gamma(torch.tensor(2.0), torch.tensor(3.0))
    assert p.batch_shape == () and tuple(p.sample().shape) == () and tuple(p.rsample((3,)).shape) == (3,)
    _close(p.log_prob(pn.tensor(0.5)), t.log_prob(torch.tensor(0.5)))
    # empty batches
    e = D.Normal(pn.zeros(0, 2), 1.0)
    assert tuple(e.sample((3,)).shape) == (3, 0, 2) and tuple(e.log_prob(pn.zeros(0, 2)).shape) == (0, 2)
    assert tuple(D.Categorical(logits=pn.zeros(0, 3), validate_args=False).sample((2,)).shape) == (2, 0)
    # non-contiguous parameters and values (transposed views)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    pv, tv = pn.tensor(x).t(), torch.tensor(x).t()
    _close(D.Normal(pv, 2.0).log_prob(pv * 0.5), TD.Normal(tv, 2.0).log_prob(tv * 0.5))
    _close(D.Categorical(logits=pv).entropy(), TD.Categorical(logits=tv).entropy())
    _close(D.Laplace(pv, pv.abs() + 1).cdf(pv.t().t()), TD.Laplace(tv, tv.abs() + 1).cdf(tv))
    # values broadcast against the batch (a column of values against a row of distributions)
    d, td = D.Normal(pn.tensor([0.0, 1.0, 2.0]), 1.0), TD.Normal(torch.tensor([0.0, 1.0, 2.0]), 1.0)
    _close(d.log_prob(pn.tensor([[0.5], [1.5]])), td.log_prob(torch.tensor([[0.5], [1.5]])))
    # masked actions: -inf logits are never drawn and add nothing to the entropy
    m = D.Categorical(logits=pn.tensor([0.0, float("-inf"), 1.0]))
    _close(m.entropy(), TD.Categorical(logits=torch.tensor([0.0, float("-inf"), 1.0])).entropy())
    pn.manual_seed(0)
    assert 1 not in set(m.sample((500,)).tolist())
    # the value's own gradient
    v, tv2 = pn.tensor([0.3, 0.8], requires_grad=True), torch.tensor([0.3, 0.8], requires_grad=True)
    D.Beta(2.0, 3.0).log_prob(v).sum().backward()
    TD.Beta(2.0, 3.0).log_prob(tv2).sum().backward()
    _close(v.grad, tv2.grad)


def test_lazy_probs_and_logits():
    p = D.Bernoulli(logits=pn.tensor([0.3, -1.0]))
    t = TD.Bernoulli(logits=torch.tensor([0.3, -1.0]))
    _close(p.probs, t.probs)
    c = D.Categorical(probs=pn.tensor([1.0, 3.0]))  # normalised as in torch
    _close(c.probs, [0.25, 0.75])
    _close(c.logits, TD.Categorical(probs=torch.tensor([1.0, 3.0])).logits)


# ----------------------------------------------------------------------------- the special functions
def test_special_functions_against_torch():
    from pyneuro.distributions import _special as S

    # log Gamma, digamma, erf, erfinv are the package's one copy (functions_math; tests/test_torch_math.py)
    fm = pn.functions_math
    assert (S.lgamma, S.digamma, S.erf, S.erfinv) == (fm.lgamma, fm.digamma, fm.erf, fm.erfinv)
    a, z = np.array([0.1, 0.5, 2.5, 10.0, 100.0]), np.array([0.05, 2.0, 2.5, 30.0, 90.0])
    np.testing.assert_allclose(
        S.gammainc_array(np, a, z),
        torch.special.gammainc(torch.tensor(a), torch.tensor(z)).numpy(),
        rtol=1e-9,
    )


def test_special_function_gradients():
    from pyneuro.distributions._special import digamma, erf, erfinv, lgamma

    v = np.array([0.3, 1.0, 2.5, 9.0], dtype=np.float32)
    for mine, theirs, vals in (
        (lgamma, torch.lgamma, v),
        (digamma, torch.digamma, v),
        (erf, torch.erf, v - 1),
        (erfinv, torch.erfinv, v / 10),
    ):
        a, t = pn.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)
        ra, rt = mine(a), theirs(t)
        _close(ra, rt, rtol=1e-6)
        ra.sum().backward()
        rt.sum().backward()
        _close(a.grad, t.grad, rtol=1e-5)


def test_torch_module_paths_import():
    """Scripts import from torch's per-family modules; each resolves to the same class here."""
    import importlib

    for module, name in [
        ("normal", "Normal"),
        ("categorical", "Categorical"),
        ("bernoulli", "Bernoulli"),
        ("one_hot_categorical", "OneHotCategorical"),
        ("independent", "Independent"),
        ("multivariate_normal", "MultivariateNormal"),
        ("transformed_distribution", "TransformedDistribution"),
        ("kl", "kl_divergence"),
        ("transforms", "TanhTransform"),
        ("exp_family", "ExponentialFamily"),
    ]:
        mod = importlib.import_module(f"pyneuro.distributions.{module}")
        assert getattr(mod, name) is getattr(D, name)
        assert getattr(getattr(D, module), name) is getattr(D, name)


def test_classes_name_torchs_modules_and_dir_lists_torchs_names():
    """type(d) prints torch's path (<class 'torch.distributions.multinomial.Multinomial'>, not the
    module that groups the families here), a pickle finds the class there, and
    dir(torch.distributions) (printed by d2l.ai's Documentation section) is torch's list."""
    ours, theirs = pn.distributions, torch.distributions
    for name in theirs.__all__:
        cls = getattr(theirs, name)
        if isinstance(cls, type):
            assert getattr(ours, name).__module__ == cls.__module__.replace("torch", "pyneuro", 1), name
    assert dir(ours) == dir(theirs) and sorted(ours.__all__) == sorted(theirs.__all__)
    m = pickle.loads(pickle.dumps(ours.Multinomial(3, pn.ones(2))))
    assert type(m) is ours.Multinomial and int(m.total_count) == 3
    assert repr(pickle.loads(pickle.dumps(ours.CatTransform([ours.ExpTransform()])))) == "CatTransform()"


@pytest.mark.parametrize(
    "make",
    [
        lambda M, t: M.Beta(2.0, 3.0),  # torch's Beta keeps its parameters in a Dirichlet: `Beta()`
        lambda M, t: M.Beta(t([2.0, 1.0], requires_grad=True), t(3.0)).expand((4, 2)),
        lambda M, t: M.Normal(t([0.0, 1.0]), 1.0),
        lambda M, t: M.Gamma(2.0, 3.0).expand((2,)),
    ],
)
def test_repr_and_parameters_like_torch(make):
    """print(dist) lists the arg_constraints parameters that are in the instance's __dict__."""
    t_dist, p_dist = make(torch.distributions, torch.tensor), make(D, pn.tensor)
    assert repr(p_dist).replace("pyneuro", "torch") == repr(t_dist)
    for name in t_dist.arg_constraints:
        want = getattr(t_dist, name)
        np.testing.assert_allclose(getattr(p_dist, name).detach().numpy(), want.detach().numpy())
    pn.manual_seed(0)
    torch.manual_seed(0)
    np.testing.assert_allclose(
        p_dist.rsample((2,)).detach().numpy(), t_dist.rsample((2,)).detach().numpy(), rtol=1e-5
    )
