"""Reductions, statistics, matrix products, searching, integration, random fills and dtype
queries (pyneuro/_tensor_reduce.py, pyneuro/functions_reduce.py) side by side with torch."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)
NAN = np.array([[1.0, np.nan, 3.0, 0.5], [4.0, 5.0, 6.0, 2.0], [np.nan] * 4], dtype=np.float32)


def same(p, t, atol=1e-6):
    """pyneuro result p equals torch result t: shape, dtype name and values (NaN where NaN)."""
    if isinstance(t, tuple):
        assert len(p) == len(t)
        for a, b in zip(p, t):
            same(a, b, atol)
        return
    if not isinstance(t, torch.Tensor):
        assert p == t or (isinstance(t, float) and p == pytest.approx(t))
        return
    assert tuple(p.shape) == tuple(t.shape), (p.shape, t.shape)
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (p.dtype, t.dtype)
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), atol=atol, rtol=atol, equal_nan=True)


def grads(fp, ft, *arrays, atol=1e-5):
    """Values and the gradients of a weighted sum, for float arrays turned into leaves."""
    pa = [pn.tensor(a, requires_grad=True) for a in arrays]
    ta = [torch.tensor(a, requires_grad=True) for a in arrays]
    po, to = fp(*pa), ft(*ta)
    same(po, to, atol)
    w = RNG.standard_normal(tuple(to.shape)).astype(arrays[0].dtype)
    (po * pn.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for p, t in zip(pa, ta):
        tg = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        np.testing.assert_allclose(p.grad.numpy(), tg, atol=atol, rtol=atol)


def both(fn, *arrays):
    """fn(module, *tensors) for pyneuro and torch."""
    return fn(pn, *[pn.tensor(a) for a in arrays]), fn(torch, *[torch.tensor(a) for a in arrays])


def raises_like(fn, *arrays):
    """pyneuro raises an exception that is an instance of the type torch raises."""
    with pytest.raises(Exception) as te:
        fn(torch, *[torch.tensor(a) for a in arrays])
    kind = type(te.value)
    kind = RuntimeError if issubclass(kind, RuntimeError) else kind
    with pytest.raises(kind):
        fn(pn, *[pn.tensor(a) for a in arrays])


# ----------------------------------------------------------------------------- reductions


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.amax(x, dim=(0, 2)),
        lambda m, x: m.amin(x, 1, keepdim=True),
        lambda m, x: m.amax(x),
        lambda m, x: m.aminmax(x, dim=1),
        lambda m, x: m.aminmax(x),
        lambda m, x: x.aminmax(dim=-1, keepdim=True),
        lambda m, x: m.argmin(x, dim=1),
        lambda m, x: m.argmin(x),
        lambda m, x: m.count_nonzero(x > 0, dim=(0, 1)),
        lambda m, x: (x > 0).count_nonzero(),
        lambda m, x: m.all(x > -5, dim=1),
        lambda m, x: m.any(x > 2, 0, keepdim=True),
        lambda m, x: m.all(x > 0),
        lambda m, x: m.msort(x),
        lambda m, x: m.kthvalue(x, 2, dim=1),
        lambda m, x: x.kthvalue(3, keepdim=True),
        lambda m, x: m.std_mean(x, dim=1),
        lambda m, x: m.var_mean(x, (0, 2), correction=0, keepdim=True),
        lambda m, x: m.var_mean(x, True),
        lambda m, x: m.std_mean(x, 1, False, True),
    ],
)
def test_reductions(fn):
    same(*both(fn, X))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.nansum(x),
        lambda m, x: m.nansum(x, 1),
        lambda m, x: m.nanmean(x, dim=1, keepdim=True),
        lambda m, x: x.nanmean(),
        lambda m, x: m.nanquantile(x, 0.4, dim=1),
        lambda m, x: m.quantile(x, 0.4, dim=1),
        lambda m, x: m.nanquantile(x, m.tensor([0.0, 0.5, 1.0]), dim=0),
    ],
)
def test_nan_aware(fn):
    same(*both(fn, NAN))


def test_reduction_gradients():
    grads(lambda x: x.nansum(1), lambda x: x.nansum(1), NAN)
    grads(lambda x: x.nanmean(0), lambda x: x.nanmean(0), NAN[:2])
    grads(lambda x: x.kthvalue(2, 1).values, lambda x: x.kthvalue(2, 1).values, X)
    grads(
        lambda x: pn.std_mean(x, 1)[0] + pn.var_mean(x, 1)[1],
        lambda x: torch.std_mean(x, 1)[0] + torch.var_mean(x, 1)[1],
        X,
    )
    grads(lambda x: x.aminmax(dim=0).max, lambda x: x.aminmax(dim=0).max, X)


def test_integer_and_empty_inputs():
    ints = np.array([[3, 0, 2], [1, 5, 0]])
    for fn in (
        lambda m, x: m.nansum(x),
        lambda m, x: m.count_nonzero(x, 1),
        lambda m, x: m.aminmax(x, dim=0),
        lambda m, x: m.kthvalue(x, 1, 0),
        lambda m, x: m.trace(x[:, :2]),
        lambda m, x: m.amax(x, 1),
    ):
        same(*both(fn, ints))
    same(*both(lambda m, x: m.kthvalue(x, 1), np.float32(3.0)))
    raises_like(lambda m, x: m.nanmean(x), ints)
    raises_like(lambda m, x: m.aminmax(x), np.zeros(0, np.float32))
    raises_like(lambda m, x: m.kthvalue(x, 4), np.ones(3, np.float32))


# ----------------------------------------------------------------------------- quantile


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("q", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_quantile_interpolations(interpolation, q):
    x = RNG.standard_normal((4, 7)).astype(np.float32)
    grads(
        lambda t: t.quantile(q, dim=1, interpolation=interpolation),
        lambda t: t.quantile(q, dim=1, interpolation=interpolation),
        x,
    )


def test_quantile_shapes_and_errors():
    qs = np.array([0.1, 0.5, 0.75], np.float32)
    for fn in (
        lambda m, x, q: m.quantile(x, q),
        lambda m, x, q: m.quantile(x, q, dim=1, keepdim=True),
        lambda m, x, q: m.quantile(x, q, dim=None, keepdim=True),
        lambda m, x, q: m.quantile(x, q[1], dim=0),
        lambda m, x, q: x.quantile(0.3, -1, True),
        lambda m, x, q: m.quantile(x[0, 0, 0], 0.3),
    ):
        same(*both(fn, X, qs))
    grads(
        lambda x: pn.quantile(x, pn.tensor(qs), dim=2),
        lambda x: torch.quantile(x, torch.tensor(qs), dim=2),
        X,
    )
    raises_like(lambda m, x: m.quantile(x, 0.5), np.array([1, 2]))
    raises_like(lambda m, x: m.quantile(x, 1.5), np.array([1.0, 2.0], np.float32))
    raises_like(
        lambda m, x: m.quantile(x, m.tensor([0.5], dtype=m.float64)), np.array([1.0, 2.0], np.float32)
    )
    raises_like(lambda m, x: m.quantile(x, 0.5), np.zeros(0, np.float32))
    raises_like(lambda m, x: m.quantile(x, m.tensor([[0.5]])), np.ones(2, np.float32))
    raises_like(lambda m, x: m.quantile(x, 0.5, interpolation="cubic"), np.ones(2, np.float32))


# ----------------------------------------------------------------------------- histograms, statistics


def test_histc_and_histogram():
    x = RNG.standard_normal(50).astype(np.float32)
    same(*both(lambda m, x: m.histc(x, bins=7), x))
    same(*both(lambda m, x: m.histc(x, 4, min=-1, max=1), x))
    same(*both(lambda m, x: x.histc(bins=2), np.ones(3, np.float32)))
    same(*both(lambda m, x: m.histogram(x, 6), x))
    same(*both(lambda m, x: m.histogram(x, bins=3, range=(-1.0, 1.0), density=True), x))
    same(*both(lambda m, x: m.histogram(x, m.tensor([-1.0, 0.0, 0.5, 2.0]), weight=x.abs()), x), atol=1e-5)
    same(*both(lambda m, x: m.histogram(x, bins=2), np.ones(2, np.float32)))
    raises_like(lambda m, x: m.histc(x), np.array([1, 2]))


def test_cov_and_corrcoef():
    x = RNG.standard_normal((3, 6)).astype(np.float32)
    grads(lambda t: t.cov(), lambda t: t.cov(), x)
    grads(lambda t: pn.corrcoef(t), lambda t: torch.corrcoef(t), x)
    grads(lambda t: pn.cov(t[0]), lambda t: torch.cov(t[0]), x)
    fw = np.array([1, 2, 1, 3, 1, 1])
    aw = np.abs(RNG.standard_normal(6)).astype(np.float32)
    for fn in (
        lambda m, x, f, a: m.cov(x, correction=0, fweights=f),
        lambda m, x, f, a: m.cov(x, fweights=f, aweights=a),
        lambda m, x, f, a: m.cov(x, aweights=a),
    ):
        same(*both(fn, x, fw, aw), atol=1e-5)
    same(*both(lambda m, x: m.cov(x), np.array([[1, 2, 4], [1, 0, 2]])))
    same(*both(lambda m, x: m.corrcoef(x), np.array([[1, 2, 4], [1, 0, 2]])))


# ----------------------------------------------------------------------------- searching


def test_searchsorted_and_bucketize():
    seq = np.array([1.0, 3.0, 5.0, 5.0, 7.0], np.float32)
    vals = np.array([[0.0, 5.0, 6.0], [7.0, 8.0, 3.0]], np.float32)
    for fn in (
        lambda m, s, v: m.searchsorted(s, v),
        lambda m, s, v: m.searchsorted(s, v, right=True),
        lambda m, s, v: m.searchsorted(s, v, side="right", out_int32=True),
        lambda m, s, v: m.searchsorted(s, 5.0),
        lambda m, s, v: m.bucketize(v, s),
        lambda m, s, v: m.bucketize(v, s, right=True, out_int32=True),
    ):
        same(*both(fn, seq, vals))
    rows = np.sort(RNG.standard_normal((2, 3, 6)).astype(np.float32), -1)
    same(
        *both(
            lambda m, s, v: m.searchsorted(s, v, side="right"),
            rows,
            RNG.standard_normal((2, 3, 4)).astype(np.float32),
        )
    )
    unsorted = np.array([5.0, 1.0, 3.0], np.float32)
    same(*both(lambda m, s, v: m.searchsorted(s, v, sorter=m.argsort(s)), unsorted, vals))
    raises_like(lambda m, s, v: m.searchsorted(s, v, side="left", right=True), seq, vals)
    raises_like(lambda m, s, v: m.searchsorted(s, v), vals[:1, :2], vals)


# ----------------------------------------------------------------------------- matrix products


def test_matrix_products_values_and_gradients():
    a, b = RNG.standard_normal((3, 4)).astype(np.float32), RNG.standard_normal((4, 5)).astype(np.float32)
    c, v = RNG.standard_normal((3, 5)).astype(np.float32), RNG.standard_normal(4).astype(np.float32)
    grads(
        lambda c, a, b: pn.addmm(c, a, b, beta=0.5, alpha=2.0),
        lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2.0),
        c,
        a,
        b,
    )
    grads(lambda c, a, b: c[0].addmm(a, b), lambda c, a, b: c[0].addmm(a, b), c, a, b)
    grads(
        lambda c, a, v: pn.addmv(c[:, 0], a, v, alpha=3),
        lambda c, a, v: torch.addmv(c[:, 0], a, v, alpha=3),
        c,
        a,
        v,
    )
    grads(
        lambda c, a, b: pn.addr(c, a[:, 0], b[0], beta=2),
        lambda c, a, b: torch.addr(c, a[:, 0], b[0], beta=2),
        c,
        a,
        b,
    )
    grads(
        lambda c, a, b: pn.addbmm(c, a.reshape(1, 3, 4).expand(2, 3, 4), b.unsqueeze(0).expand(2, 4, 5)),
        lambda c, a, b: torch.addbmm(c, a.reshape(1, 3, 4).expand(2, 3, 4), b.unsqueeze(0).expand(2, 4, 5)),
        c,
        a,
        b,
    )
    grads(lambda a, v: pn.mv(a, v), lambda a, v: torch.mv(a, v), a, v)
    grads(lambda a: a.trace(), lambda a: a.trace(), a)
    grads(lambda v, w: pn.vdot(v, w), lambda v, w: torch.vdot(v, w), v, b[:, 0].copy())
    grads(lambda a, c: pn.inner(a, c[:, :4]), lambda a, c: torch.inner(a, c[:, :4]), a, c)
    with pytest.warns(UserWarning):
        pn.chain_matmul(pn.ones(2, 2), pn.ones(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grads(
            lambda a, b, c: pn.chain_matmul(a, b, c.T), lambda a, b, c: torch.chain_matmul(a, b, c.T), a, b, c
        )
    x3, y3 = (
        RNG.standard_normal((2, 3, 4)).astype(np.float32),
        RNG.standard_normal((3, 4, 5)).astype(np.float32),
    )
    grads(lambda x, y: pn.tensordot(x, y), lambda x, y: torch.tensordot(x, y), x3, y3)
    grads(
        lambda x, y: pn.tensordot(x, y, dims=([0, 2], [2, 0])),
        lambda x, y: torch.tensordot(x, y, dims=([0, 2], [2, 0])),
        x3,
        y3[:2].transpose(1, 2, 0).copy(),
    )
    grads(lambda x, y: pn.tensordot(x, y, 0), lambda x, y: torch.tensordot(x, y, 0), a, v)
    grads(lambda x, y: pn.inner(x, y), lambda x, y: torch.inner(x, y), a, np.float32(2.0))


def test_matrix_product_errors_and_ints():
    same(*both(lambda m, a: m.trace(a), np.arange(9).reshape(3, 3)))
    same(*both(lambda m, a: m.tensordot(a, a, dims=([1], [0])), np.arange(9).reshape(3, 3)))
    raises_like(lambda m, a: m.trace(a), np.ones((2, 2, 2), np.float32))
    raises_like(lambda m, a: m.mv(a, m.ones(2)), np.ones((2, 3), np.float32))
    raises_like(lambda m, a: m.vdot(a, m.ones(3)), np.ones(2, np.float32))
    raises_like(lambda m, a: m.inner(a, m.ones(4, 2)), np.ones((2, 3), np.float32))
    raises_like(lambda m, a: m.tensordot(a, m.ones(4, 3), dims=([1], [0])), np.ones((2, 3), np.float32))


def test_cross_dist_renorm():
    a, b = RNG.standard_normal((4, 3)).astype(np.float32), RNG.standard_normal((4, 3)).astype(np.float32)
    grads(lambda a, b: pn.cross(a, b, dim=1), lambda a, b: torch.cross(a, b, dim=1), a, b)
    grads(lambda a, b: a.cross(b[:1], dim=-1), lambda a, b: a.cross(b[:1], dim=-1), a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grads(lambda a, b: pn.cross(a[:3], b[:3]), lambda a, b: torch.cross(a[:3], b[:3]), a, b)
    with pytest.warns(UserWarning):
        pn.cross(pn.tensor(a), pn.tensor(b))
    for p in (2, 1, 3.5, float("inf"), -float("inf")):
        grads(lambda a, b: pn.dist(a, b, p), lambda a, b: torch.dist(a, b, p), a, b)
    same(*both(lambda m, a, b: m.dist(a, b, 0), a, b))
    for p, dim, maxnorm in ((2, 0, 1.5), (1, 1, 2.0), (3, -1, 0.5)):
        grads(lambda a: pn.renorm(a, p, dim, maxnorm), lambda a: torch.renorm(a, p, dim, maxnorm), a * 2)


# ----------------------------------------------------------------------------- integration, grids


def test_trapezoid_family():
    y = RNG.standard_normal((3, 5)).astype(np.float32)
    x = np.sort(RNG.standard_normal(5)).astype(np.float32)
    grads(lambda y: pn.trapezoid(y), lambda y: torch.trapezoid(y), y)
    grads(lambda y, x: pn.trapezoid(y, x), lambda y, x: torch.trapezoid(y, x), y, x)
    grads(lambda y: pn.trapezoid(y, dx=0.5, dim=0), lambda y: torch.trapezoid(y, dx=0.5, dim=0), y)
    grads(lambda y, x: pn.trapz(y, x, dim=1), lambda y, x: torch.trapz(y, x, dim=1), y, x)
    grads(lambda y, x: pn.trapezoid(y, x, dim=0), lambda y, x: torch.trapezoid(y, x, dim=0), y, y * 2)
    grads(lambda y, x: pn.cumulative_trapezoid(y, x), lambda y, x: torch.cumulative_trapezoid(y, x), y, x)
    grads(lambda y: pn.cumulative_trapezoid(y, dim=0), lambda y: torch.cumulative_trapezoid(y, dim=0), y)
    same(*both(lambda m, y: m.trapezoid(y), np.array([1, 2, 4])))
    same(*both(lambda m, y: m.trapezoid(y), np.zeros(0, np.float32)))


def test_vander_and_logspace():
    same(*both(lambda m, x: m.vander(x), np.array([1, 2, 3])))
    same(*both(lambda m, x: m.vander(x, N=4, increasing=True), np.array([1.5, -2.0], np.float32)))
    same(*both(lambda m, x: m.vander(x), np.array([1, 2], np.int32)))
    # torch.vander's own backward fails (an in-place op in it): its values as torch.linalg.vander's
    grads(
        lambda x: pn.vander(x, 3),
        lambda x: torch.linalg.vander(x, N=3).flip(-1),
        np.array([1.5, -2.0, 0.5], np.float32),
    )
    same(pn.logspace(0, 2, 3), torch.logspace(0, 2, 3))
    same(
        pn.logspace(-1, 1, 5, base=2.0, dtype=pn.float64),
        torch.logspace(-1, 1, 5, base=2.0, dtype=torch.float64),
    )
    same(pn.logspace(0, 2, 3, base=2, dtype=pn.int64), torch.logspace(0, 2, 3, base=2, dtype=torch.int64))


# ----------------------------------------------------------------------------- random fills


def _draws(fill, dtype=pn.float32, n=4000):
    pn.manual_seed(3)
    a = fill(pn.empty(n, dtype=dtype))
    pn.manual_seed(3)
    b = fill(pn.empty(n, dtype=dtype))
    assert a.dtype == dtype and a.equal(b)  # reproducible from the seed
    return a.numpy().astype(np.float64)


def test_random_fills_distributions():
    assert abs(_draws(lambda t: t.bernoulli_(0.3)).mean() - 0.3) < 0.03
    assert set(np.unique(_draws(lambda t: t.bernoulli_(0.3)))) <= {0.0, 1.0}
    assert abs(_draws(lambda t: t.exponential_(2.0)).mean() - 0.5) < 0.05
    g = _draws(lambda t: t.geometric_(0.25))
    assert g.min() >= 1 and abs(g.mean() - 4) < 0.3
    assert abs(np.median(_draws(lambda t: t.cauchy_(1.0, 0.5))) - 1.0) < 0.1
    assert abs(np.median(_draws(lambda t: t.log_normal_(0.0, 0.5))) - 1.0) < 0.1
    r = _draws(lambda t: t.random_(3, 7))
    assert set(np.unique(r)) == {3.0, 4.0, 5.0, 6.0}
    assert set(np.unique(_draws(lambda t: t.random_(2), pn.int64))) == {0.0, 1.0}
    assert _draws(lambda t: t.random_(), pn.int32).min() >= 0
    assert set(np.unique(_draws(lambda t: t.random_(), pn.bool_))) == {0.0, 1.0}
    r = _draws(lambda t: t.random_(**{"from": -2, "to": 1}), pn.int64)
    assert set(np.unique(r)) == {-2.0, -1.0, 0.0}
    assert _draws(lambda t: t.random_(), pn.float32).max() <= 2**24
    assert set(np.unique(_draws(lambda t: t.random_(2, to=5)))) == {2.0, 3.0, 4.0}
    assert set(np.unique(_draws(lambda t: t.random_(to=3)))) == {0.0, 1.0, 2.0}
    probs = pn.tensor([0.0, 1.0, 0.0, 1.0])
    assert probs.bernoulli().tolist() == [0.0, 1.0, 0.0, 1.0]
    assert pn.bernoulli(probs, 0.0).tolist() == [0.0] * 4
    assert pn.empty(4).bernoulli_(probs).tolist() == [0.0, 1.0, 0.0, 1.0]


def test_random_fills_generator_version_and_leaf():
    g = pn.Generator().manual_seed(5)
    a = pn.empty(6).exponential_(generator=g)
    g.manual_seed(5)
    assert a.equal(pn.empty(6).exponential_(generator=g))
    t = pn.zeros(5)
    v = t._version
    t.cauchy_()
    assert t._version == v + 1
    w = pn.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.bernoulli_()
    with pn.no_grad():
        w.log_normal_()
    assert (w.detach().numpy() > 0).all()
    with pytest.raises(RuntimeError):
        pn.empty(3).random_(5, 2)


def test_random_functions():
    pn.manual_seed(0)
    rates = pn.tensor([1.0, 10.0, 100.0])
    p = pn.poisson(rates.expand(2000, 3)).mean(0)
    assert np.allclose(p.numpy(), [1, 10, 100], rtol=0.05) and p.dtype == pn.float32
    with pytest.raises(NotImplementedError):
        pn.poisson(pn.ones(3, dtype=pn.int64))
    r = pn.randint_like(pn.ones(200), 5)
    assert r.dtype == pn.float32 and set(np.unique(r.numpy())) == {0, 1, 2, 3, 4}
    r = pn.randint_like(pn.ones(200, dtype=pn.int32), 2, 4)
    assert r.dtype == pn.int32 and set(np.unique(r.numpy())) == {2, 3}
    with pytest.raises(RuntimeError):
        pn.tensor([1.5]).bernoulli()


# ----------------------------------------------------------------------------- dtype queries


def test_tensor_queries():
    for data, dtype in ((np.ones(3, np.float32), None), ([1, 2], None), ([True], None), ([1, 2], "uint8")):
        p = pn.tensor(data, dtype=getattr(pn, dtype) if dtype else None)
        t = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None)
        assert p.is_signed() == t.is_signed() and p.is_complex() == t.is_complex()
        assert p.nbytes == t.nbytes and p.itemsize == t.itemsize
        assert pn.is_floating_point(p) == torch.is_floating_point(t) and pn.is_complex(p) is False
    assert pn.is_nonzero(pn.tensor([2.0])) and not pn.tensor(0).is_nonzero()
    raises_like(lambda m, x: m.is_nonzero(x), np.ones(2))
    raises_like(lambda m, x: m.is_nonzero(x), np.ones(0))


def _dt(name):
    return getattr(pn, name), getattr(torch, name)


NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_promote_types_and_can_cast():
    for a in NAMES:
        for b in NAMES:
            (pa, ta), (pb, tb) = _dt(a), _dt(b)
            assert (
                str(pn.promote_types(pa, pb)).split(".")[-1]
                == str(torch.promote_types(ta, tb)).split(".")[-1]
            )
            assert pn.can_cast(pa, pb) == torch.can_cast(ta, tb), (a, b)


def test_result_type():
    cases = [
        (lambda m: m.ones(2, dtype=m.int32), 2.5),
        (lambda m: m.ones(2, dtype=m.int32), 2),
        (lambda m: m.ones(2, dtype=m.float16), 2.5),
        (lambda m: m.tensor(2.0, dtype=m.float64), lambda m: m.ones(2, dtype=m.int32)),
        (lambda m: m.tensor(2.0, dtype=m.float64), lambda m: m.ones(2, dtype=m.float32)),
        (lambda m: m.tensor(2, dtype=m.int64), lambda m: m.ones(2, dtype=m.int8)),
        (lambda m: m.ones(2, dtype=m.bool), True),
        (lambda m: m.ones(2, dtype=m.bool), 3),
        (lambda m: m.ones(2, dtype=m.uint8), lambda m: m.ones(2, dtype=m.int8)),
        (2, 2.5),
    ]
    for a, b in cases:
        args = [[x(m) if callable(x) else x for x in (a, b)] for m in (pn, torch)]
        assert str(pn.result_type(*args[0])).split(".")[-1] == str(torch.result_type(*args[1])).split(".")[-1]


def test_finfo_iinfo():
    for name in ("float16", "float32", "float64"):
        p, t = pn.finfo(getattr(pn, name)), torch.finfo(getattr(torch, name))
        for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
            assert getattr(p, field) == getattr(t, field), (name, field)
    assert pn.finfo().eps == torch.finfo().eps
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        p, t = pn.iinfo(getattr(pn, name)), torch.iinfo(getattr(torch, name))
        assert (p.bits, p.max, p.min, p.dtype) == (t.bits, t.max, t.min, t.dtype)
        assert type(p.max) is int
    with pytest.raises(TypeError):
        pn.finfo(pn.int32)
    with pytest.raises(TypeError):
        pn.iinfo(pn.float32)
    with pytest.raises(TypeError):
        pn.iinfo(pn.bool_)


def test_exports():
    import pyneuro.functions_reduce as fr

    for name in fr.__all__:
        exported = getattr(
            pn, name
        )  # pn wraps free functions for out= and tensor arguments (_out.py, _arguments.py)
        assert inspect.unwrap(exported) is inspect.unwrap(getattr(fr, name)) and hasattr(torch, name), name
    assert inspect.unwrap(pn.all) is inspect.unwrap(fr.all) and inspect.unwrap(pn.any) is inspect.unwrap(
        fr.any
    )
    assert "all" not in fr.__all__ and "any" not in fr.__all__


# ----------------------------------------------------------------------------- in-place and older forms


def test_inplace_products_and_renorm():
    a, b = RNG.standard_normal((3, 4)).astype(np.float32), RNG.standard_normal((4, 5)).astype(np.float32)
    c = RNG.standard_normal((3, 5)).astype(np.float32)
    for name, args in (
        ("addmm_", (a, b)),
        ("addr_", (c[:, 0].copy(), b[0].copy())),
        ("baddbmm_", (a[None], b[None])),
        ("addbmm_", (a[None], b[None])),
    ):
        target = c[None] if name == "baddbmm_" else c
        pt, tt = pn.tensor(target), torch.tensor(target)
        v = pt._version
        getattr(pt, name)(*[pn.tensor(x) for x in args], beta=0.5, alpha=2)
        getattr(tt, name)(*[torch.tensor(x) for x in args], beta=0.5, alpha=2)
        same(pt, tt, 1e-5)
        assert pt._version == v + 1
    pt, tt = pn.tensor(c[:, 0].copy()), torch.tensor(c[:, 0].copy())
    pt.addmv_(pn.tensor(c[:, :4].copy()), pn.tensor(b[:, 0].copy()))
    tt.addmv_(torch.tensor(c[:, :4].copy()), torch.tensor(b[:, 0].copy()))
    same(pt, tt, 1e-5)
    # with grad: recorded like every in-place op
    grads(
        lambda c, a, b: (c * 1).addmm_(a, b, alpha=3),
        lambda c, a, b: (c * 1).addmm_(a, b, alpha=3),
        c,
        a,
        b,
    )
    grads(lambda c: (c * 2).renorm_(2, 0, 1.0), lambda c: (c * 2).renorm_(2, 0, 1.0), c)
    with pytest.raises(RuntimeError, match="leaf"):
        pn.tensor(c, requires_grad=True).addmm_(pn.tensor(a), pn.tensor(b))


@pytest.mark.filterwarnings("ignore:torch.*deprecated")  # torch's own warnings for its older forms
def test_older_linear_algebra_forms():
    m = RNG.standard_normal((4, 4))
    spd = m @ m.T + 4 * np.eye(4)
    rhs = RNG.standard_normal((4, 2))
    for upper in (False, True):
        grads(lambda a: pn.cholesky(a, upper), lambda a: torch.cholesky(a, upper), spd, atol=1e-9)
        low_p, low_t = (
            pn.linalg.cholesky(pn.tensor(spd), upper=upper),
            torch.linalg.cholesky(torch.tensor(spd), upper=upper),
        )
        grads(
            lambda b, low: pn.cholesky_solve(b, low, upper),
            lambda b, low: torch.cholesky_solve(b, low, upper),
            rhs,
            low_t.numpy(),
            atol=1e-9,
        )
        same(pn.cholesky_inverse(low_p, upper), torch.cholesky_inverse(low_t, upper), 1e-9)
        for transpose in (False, True):
            p = pn.triangular_solve(pn.tensor(rhs), pn.tensor(m), upper, transpose)
            t = torch.triangular_solve(torch.tensor(rhs), torch.tensor(m), upper, transpose)
            same(tuple(p), tuple(t), 1e-9)
    r = RNG.standard_normal((5, 3))
    for some in (True, False):
        q, rr = pn.qr(pn.tensor(r), some)
        tq, trr = torch.qr(torch.tensor(r), some)
        same(q.abs(), tq.abs(), 1e-9)
        same(rr.abs(), trr.abs(), 1e-9)
        u, s, v = pn.svd(pn.tensor(r), some)
        tu, ts, tv = torch.svd(torch.tensor(r), some)
        same(s, ts, 1e-9)
        same(v.abs(), tv.abs(), 1e-9)
        same(u.abs(), tu.abs(), 1e-9)
    same(
        tuple(pn.svd(pn.tensor(r), compute_uv=False)),
        tuple(torch.svd(torch.tensor(r), compute_uv=False)),
        1e-9,
    )
    same(*both(lambda m, a: m.ger(a, a[:2]), r[:, 0].copy()))
    same(*both(lambda m, a: a.sum_to_size(1, 3), r))
    same(*both(lambda m, a: a.sum_to_size((5, 1)), r))
    raises_like(lambda m, a: a.sum_to_size(2, 3), r)
    same(*both(lambda m, a: a.baddbmm(a, a.mT @ a), r[None]), 1e-9)
    pn.manual_seed(0)
    assert pn.tensor([0.0, 1.0, 0.0]).multinomial(3, replacement=True).tolist() == [1, 1, 1]


def test_more_errors_like_torch():
    raises_like(lambda m, a: m.trace(a), np.ones((2, 2), bool))
    raises_like(lambda m, a: m.tensordot(a, a.double(), dims=1), np.ones((2, 2), np.float32))
    raises_like(lambda m, a: m.linalg.vector_norm(a, float("inf")), np.zeros(0, np.float32))
    raises_like(lambda m, a: m.histc(a, 5, min=3, max=1), np.ones(3, np.float32))
    raises_like(lambda m, a: m.renorm(a, 2, 0, 1.0), np.ones(3, np.float32))
    raises_like(lambda m, a: m.var_mean(a), np.array([1, 2]))
    raises_like(lambda m, a: m.addmm(m.ones(3), a, a.t()), np.ones((2, 3), np.float32))
    pn.manual_seed(0)
    big = pn.empty(1000, dtype=pn.int64).random_().numpy()
    assert big.min() >= 0 and big.max() > 2**60


def test_numpy_keyword_aliases():
    for fn in (
        lambda m, x: x.nansum(axis=1),
        lambda m, x: x.count_nonzero(axis=0),
        lambda m, x: x.quantile(0.5, axis=1, keepdims=True),
        lambda m, x: m.nanmean(x, axis=0),
        lambda m, x: m.amax(x, axis=(0, 1)),
        lambda m, x: x.kthvalue(2, axis=0).values,
    ):
        same(*both(fn, X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantile_ranks_in_the_input_dtype(dtype):
    # 0.6 * 5 is exactly 3 in float32 but 3.0000000000000004 in float64: torch ranks in the input's dtype
    x = RNG.standard_normal((3, 6)).astype(dtype)
    x[0, :2] = np.nan
    for q in np.linspace(0, 1, 21):
        for interpolation in ("nearest", "higher", "lower", "midpoint", "linear"):
            for name in ("quantile", "nanquantile"):
                same(*both(lambda m, x: getattr(m, name)(x, float(q), dim=1, interpolation=interpolation), x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histograms_bin_for_bin(dtype):
    # edges and bins exactly as torch's kernel: its linspace (fused multiply-adds) and bin rules
    for seed in range(6):
        r = np.random.default_rng(seed)
        x = (r.integers(-10, 10, size=60) / r.choice([3, 7, 10])).astype(dtype)
        for bins in (3, 7, 13, 100):
            for lo, hi in ((0, 0), (-1, 1), (-0.3, 0.7)):
                same(*both(lambda m, x: m.histc(x, bins, lo, hi), x), atol=0)
            for rng in (None, (-1.0, 0.7)):
                same(*both(lambda m, x: m.histogram(x, bins, range=rng), x), atol=0)


@pytest.mark.parametrize("n", [3, 100, 1000, 10000])
def test_std_and_var_are_torchs_floats(n):
    """torch's CPU std/var of float32 accumulate in double and round once: x.std().item()
    prints torch's digits (float32 two-pass arithmetic was 1 ulp off for randn(3))."""
    torch.manual_seed(0)
    t = torch.randn(n, 7)
    x = pn.tensor(t.numpy())
    for got, want in (
        (x.std(), t.std()),
        (x.var(0), t.var(0)),
        (x.std(1, correction=0), t.std(1, correction=0)),
        (pn.std_mean(x, 0)[0], torch.std_mean(t, 0)[0]),
    ):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize(
    "shape, dims",
    [((20000, 16), (0,)), ((120, 150, 3), (0, 1)), ((3, 4000, 5), (0, 1)), ((9000, 2, 3), (0, 1))],
)
def test_float32_sum_over_many_rows_is_as_accurate_as_torch(shape, dims):
    """A float32 sum or mean that keeps the last axis (column sums, the channel means of HWC
    images) over thousands of rows: NumPy adds such rows one after another, 40x torch's error
    (cascade sums); pyneuro adds them in blocks, within a few times torch's error."""
    a = np.random.default_rng(0).random(shape, dtype=np.float32) + 1
    exact = a.astype(np.float64).sum(axis=dims)
    rows = a.size // exact.size
    for reduce, scale in (("sum", 1.0), ("mean", rows)):
        ours = getattr(pn.from_numpy(a), reduce)(dim=dims).numpy().astype(np.float64) * scale
        theirs = getattr(torch.from_numpy(a), reduce)(dim=dims).numpy().astype(np.float64) * scale
        err, torch_err = np.abs(ours - exact).max(), np.abs(theirs - exact).max()
        assert err <= 8 * torch_err + 1e-7 * np.abs(exact).max(), (reduce, err, torch_err)
    kept = pn.from_numpy(a).sum(dim=dims, keepdim=True)
    assert tuple(kept.shape) == tuple(torch.from_numpy(a).sum(dim=dims, keepdim=True).shape)
