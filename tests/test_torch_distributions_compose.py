"""Chains of transforms whose event dims differ (torch's ComposeTransform bookkeeping) and KL
divergences at a support's edge, against torch.distributions."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _chain(T, name):
    tr = T.distributions.transforms
    return {
        "affine(event_dim=1), exp": [tr.AffineTransform(0.0, 2.0, event_dim=1), tr.ExpTransform()],
        "exp, affine(event_dim=1)": [tr.ExpTransform(), tr.AffineTransform(1.0, 3.0, event_dim=1)],
        "affine, stick-breaking": [tr.AffineTransform(0.0, 2.0), tr.StickBreakingTransform()],
        "exp, sigmoid, affine": [tr.ExpTransform(), tr.SigmoidTransform(), tr.AffineTransform(0.5, 2.0)],
    }[name]


CHAINS = [
    "affine(event_dim=1), exp",
    "exp, affine(event_dim=1)",
    "affine, stick-breaking",
    "exp, sigmoid, affine",
]


@pytest.mark.parametrize("name", CHAINS)
@pytest.mark.parametrize("batch", [(), (4,)])
def test_transformed_distribution_shapes_and_log_prob(name, batch):
    """[Affine(event_dim=1), Exp] over a vector Normal had event shape () and an unsummed log_prob."""
    results = []
    for T in (pn, torch):
        D = T.distributions
        base = D.Independent(D.Normal(T.zeros(*batch, 3), T.ones(*batch, 3)), 1)
        d = D.TransformedDistribution(base, _chain(T, name))
        compose = D.transforms.ComposeTransform(_chain(T, name))
        x = T.linspace(-0.5, 0.7, 3).expand(*batch, 3)
        y = compose(x)
        results.append(
            (
                tuple(d.batch_shape),
                tuple(d.event_shape),
                compose.domain.event_dim,
                compose.codomain.event_dim,
                d.log_prob(y).numpy(),
                compose.log_abs_det_jacobian(x, y).numpy(),
            )
        )
    ours, theirs = results
    assert ours[:4] == theirs[:4]
    for a, b in zip(ours[4:], theirs[4:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "pair",
    [
        ("Uniform(0., 1.)", "Beta(T.tensor(2.), T.tensor(3.))"),
        ("Uniform(0., 3.)", "Gamma(T.tensor(1.1), T.tensor(2.))"),
        ("Uniform(1., 3.)", "Pareto(T.tensor(1.), T.tensor(2.))"),
        ("Uniform(0.5, 1.)", "Beta(T.tensor(2.), T.tensor(3.))"),
    ],
)
def test_kl_of_a_uniform_starting_at_zero(pair):
    """0 log 0 is 0 (xlogy): KL(Uniform(0, 1) || Beta(2, 3)) was NaN."""
    values = []
    for T in (pn, torch):
        D = T.distributions
        p, q = (eval("D." + s, {"D": D, "T": T}) for s in pair)
        values.append(D.kl_divergence(p, q).item())
    np.testing.assert_allclose(values[0], values[1], rtol=1e-5)


MULTIVARIATE = [
    "MultivariateNormal(loc, covariance_matrix=A @ A.mT + T.eye(2))",
    "MultivariateNormal(loc, scale_tril=T.tril(A) + T.eye(2))",
    "MultivariateNormal(loc, precision_matrix=A @ A.mT + T.eye(2))",
    "LowRankMultivariateNormal(loc, A, T.ones(2))",
    "Wishart(T.tensor(3.0), covariance_matrix=A @ A.mT + T.eye(2))",
]


@pytest.mark.parametrize("make", MULTIVARIATE)
def test_second_derivatives_of_multivariate_log_prob(make):
    """create_graph through the Cholesky factor and the solves (it raised NotImplementedError)."""
    results = []
    for T in (pn, torch):
        loc = T.tensor([0.1, -0.2], requires_grad=True)
        A = T.tensor([[1.0, 0.3], [0.3, 0.8]], requires_grad=True)
        d = eval("T.distributions." + make, {"T": T, "loc": loc, "A": A})
        wishart = make.startswith("Wishart")
        value = T.tensor([[2.0, 0.3], [0.3, 1.0]]) if wishart else T.tensor([0.5, 0.25])
        lp = d.log_prob(value)
        (g,) = T.autograd.grad(lp, A, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), A)
        results.append((lp.item(), h.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "make", ["Normal(0.0, 1.0)", "Categorical(T.ones(3))", "Bernoulli(0.5)", "Exponential(T.tensor(1.0))"]
)
def test_a_bare_int_sample_shape_is_refused_as_torch(make):
    for T in (pn, torch):
        d = eval("T.distributions." + make, {"T": T})
        with pytest.raises(TypeError):
            d.sample(3)
        assert tuple(d.sample((3,)).shape)[:1] == (3,) and tuple(d.sample([2]).shape)[:1] == (2,)


@pytest.mark.parametrize(
    "value",
    [
        [[1.0, 0.0], [1.0, 1.0]],
        [[1.0, 2.0], [2.0, 1.0]],
        [[1.0, 0.0], [0.0, 0.0]],
        [[2.0, 1.0], [1.0, 2.0]],
        [[[1.0, 0.0], [0.0, -1.0]], [[1.0, 0.5], [0.5, 1.0]]],
    ],
)
@pytest.mark.parametrize("name", ["lower_triangular", "square", "symmetric", "positive_semidefinite"])
def test_matrix_constraints(name, value):
    checks = [getattr(T.distributions.constraints, name).check(T.tensor(value)).tolist() for T in (pn, torch)]
    assert checks[0] == checks[1]


def test_block_transforms_import_from_transforms():
    from pyneuro.distributions.transforms import CatTransform, CorrCholeskyTransform, StackTransform

    assert CatTransform is pn.distributions.CatTransform and StackTransform and CorrCholeskyTransform
