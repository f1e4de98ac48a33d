"""Second (and third) derivatives against torch, op by op: the create_graph=True rules.

For each op f and the same random inputs x in pyneuro and torch:

    loss = sum(w * f(x)) + sum(u * f(x)^2)        w, u fixed random (the square makes even a
                                                  linear f's gradient depend on x)
    g = grad(loss, x, create_graph=True)          the first backward, run by the rules
    h = grad(sum(g * v), x)                       a Hessian-vector product through them

and h must match torch's. A handful of smooth ops go to the third order. An op torch cannot
differentiate twice must raise in both.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

PN = types.SimpleNamespace(T=pn, F=F, name="pn")
TORCH = types.SimpleNamespace(T=torch, F=TF, name="torch")
TOL = {np.float64: 1e-6, np.float32: 2e-3}


def _data(kind, shape, dtype, r):
    """'n' normal, 'p' in (0.5, 2), 's' in (-0.8, 0.8), 'a' away from zero (|x| in (0.5, 2)),
    'u' in (0.05, 0.95), 'd' distinct values (no ties), 'c' a well-conditioned square matrix."""
    if kind == "n":
        x = r.standard_normal(shape)
    elif kind == "p":
        x = r.uniform(0.5, 2.0, shape)
    elif kind == "s":
        x = r.uniform(-0.8, 0.8, shape)
    elif kind == "a":
        x = r.uniform(0.5, 2.0, shape) * r.choice([-1.0, 1.0], shape)
    elif kind == "u":
        x = r.uniform(0.05, 0.95, shape)
    elif kind == "d":
        n = int(np.prod(shape))
        x = (r.permutation(n).reshape(shape) * 0.37 - n * 0.1) + r.uniform(-0.1, 0.1, shape)
    elif kind == "z":  # normal with a zero in each row (one row with two)
        x = r.standard_normal(shape)
        x[..., 1] = 0
        x[0, ..., -1] = 0
    elif kind == "t":  # ties: values from a small set
        x = r.integers(0, 3, shape) * 0.5
    elif kind == "c":
        x = r.standard_normal(shape) * 0.3 + 2 * np.eye(shape[-1])
    else:
        raise AssertionError(kind)
    return np.asarray(x, dtype=dtype)


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _derivatives(lib, fn, arrays, order, seed):
    """The derivatives of order 1 (recorded) to `order`, each a list over the inputs (as numpy;
    zeros where a gradient does not depend on x)."""
    xs = [lib.T.tensor(a, requires_grad=True) for a in arrays]
    outs = [o for o in _outputs(fn(lib, *xs)) if o.requires_grad]
    r = np.random.default_rng(seed)
    loss = 0
    for o in outs:
        w = lib.T.tensor(r.standard_normal(tuple(o.shape)).astype(arrays[0].dtype))
        u = lib.T.tensor(r.standard_normal(tuple(o.shape)).astype(arrays[0].dtype))
        loss = loss + (o * w).sum() + (o * o * u).sum()
    grads = lib.T.autograd.grad(loss, xs, create_graph=True, allow_unused=True)
    results = [[np.zeros(a.shape) if g is None else g.detach().numpy() for g, a in zip(grads, arrays)]]
    for _ in range(order - 1):
        vs = [r.standard_normal(a.shape).astype(a.dtype) for a in arrays]
        total = 0
        for g, v in zip(grads, vs):
            if g is not None and g.requires_grad:
                total = total + (g * lib.T.tensor(v)).sum()
        if isinstance(total, int):  # nothing depends on x any more: the derivatives are zero
            grads = [None] * len(xs)
        else:
            grads = lib.T.autograd.grad(total, xs, create_graph=True, allow_unused=True)
        results.append(
            [np.zeros(a.shape) if g is None else g.detach().numpy() for g, a in zip(grads, arrays)]
        )
    return results


def check(fn, kinds, dtype=np.float64, order=2, seed=0):
    r = np.random.default_rng(seed)
    arrays = [_data(kind, shape, dtype, r) for kind, shape in kinds]
    want = _derivatives(TORCH, fn, arrays, order, seed + 1)
    got = _derivatives(PN, fn, arrays, order, seed + 1)
    tol = TOL[dtype]
    for k, (gk, wk) in enumerate(zip(got, want)):
        for i, (a, b) in enumerate(zip(gk, wk)):
            assert a.shape == b.shape, f"order {k + 1}, input {i}: shape {a.shape} != {b.shape}"
            np.testing.assert_allclose(
                a, b, rtol=tol, atol=tol, equal_nan=True, err_msg=f"order {k + 1}, input {i}"
            )


def cases(*items):
    """(id, fn, kinds) triples as pytest params."""
    return [pytest.param(fn, kinds, id=name) for name, fn, kinds in items]


M = (3, 4)
N = [("n", M)]
P = [("p", M)]
S = [("s", M)]
A = [("a", M)]

UNARY = cases(
    ("exp", lambda L, x: x.exp(), N),
    ("log", lambda L, x: x.log(), P),
    ("sqrt", lambda L, x: x.sqrt(), P),
    ("rsqrt", lambda L, x: L.T.rsqrt(x), P),
    ("sin", lambda L, x: x.sin(), N),
    ("cos", lambda L, x: x.cos(), N),
    ("tan", lambda L, x: x.tan(), S),
    ("tanh", lambda L, x: x.tanh(), N),
    ("sigmoid", lambda L, x: x.sigmoid(), N),
    ("abs", lambda L, x: x.abs(), A),
    ("log1p", lambda L, x: x.log1p(), P),
    ("expm1", lambda L, x: x.expm1(), N),
    ("reciprocal", lambda L, x: x.reciprocal(), A),
    ("erf", lambda L, x: x.erf(), N),
    ("erfc", lambda L, x: x.erfc(), N),
    ("erfinv", lambda L, x: x.erfinv(), S),
    ("sinh", lambda L, x: x.sinh(), N),
    ("cosh", lambda L, x: x.cosh(), N),
    ("asin", lambda L, x: x.asin(), S),
    ("acos", lambda L, x: x.acos(), S),
    ("atan", lambda L, x: x.atan(), N),
    ("asinh", lambda L, x: x.asinh(), N),
    ("acosh", lambda L, x: (x + 1).acosh(), P),
    ("atanh", lambda L, x: x.atanh(), S),
    ("exp2", lambda L, x: L.T.exp2(x), N),
    ("log2", lambda L, x: x.log2(), P),
    ("log10", lambda L, x: x.log10(), P),
    ("square", lambda L, x: L.T.square(x), N),
    ("pow2", lambda L, x: x**2, N),
    ("pow3", lambda L, x: x**3, N),
    ("pow_half", lambda L, x: x**0.5, P),
    ("pow_minus1", lambda L, x: x**-1, A),
    ("pow_2_5", lambda L, x: x.pow(2.5), P),
    ("pow0", lambda L, x: x**0 * x, N),
    ("pow_tensor", lambda L, x, y: x**y, [("p", M), ("n", M)]),
    ("pow_tensor_broadcast", lambda L, x, y: x.pow(y), [("p", M), ("n", (4,))]),
    ("rpow", lambda L, x: 2**x, N),
    ("rpow_float", lambda L, x: 1.5**x, N),
    ("neg", lambda L, x: -x, N),
    ("round_times_x", lambda L, x: x.round() * x, N),
    ("sign_times_x", lambda L, x: x.sign() * x * x, A),
    ("logit", lambda L, x: x.logit(), [("u", M)]),
    ("lgamma", lambda L, x: x.lgamma(), P),
    ("digamma", lambda L, x: x.digamma(), P),
    ("sinc", lambda L, x: L.T.sinc(x), A),
    ("polygamma", lambda L, x: L.T.polygamma(1, x), P),
    ("i0", lambda L, x: L.T.i0(x), N),
    ("special_i1", lambda L, x: L.T.special.i1(x), A),
    ("special_i0e", lambda L, x: L.T.special.i0e(x), A),
    ("special_i1e", lambda L, x: L.T.special.i1e(x), A),
    ("erfcx", lambda L, x: L.T.special.erfcx(x), N),
    ("log_ndtr", lambda L, x: L.T.special.log_ndtr(x), N),
    ("entr", lambda L, x: L.T.special.entr(x), P),
    ("logit_eps", lambda L, x: x.logit(eps=0.2), [("u", M)]),
    ("nan_to_num", lambda L, x: L.T.nan_to_num(x.log()) * x, P),
)

B34 = [("n", M), ("n", M)]
BCAST = [("n", (3, 1)), ("n", (4,))]

BINARY = cases(
    ("add", lambda L, x, y: x + y, BCAST),
    ("sub", lambda L, x, y: x - y, BCAST),
    ("mul", lambda L, x, y: x * y, BCAST),
    ("div", lambda L, x, y: x / y, [("n", (3, 1)), ("a", (4,))]),
    ("add_scalar", lambda L, x: 3 - x * 2 + 1, N),
    ("rdiv", lambda L, x: 2 / x, A),
    ("maximum", lambda L, x, y: L.T.maximum(x, y), [("d", M), ("d", (4,))]),
    ("minimum", lambda L, x, y: L.T.minimum(x, y), [("d", M), ("d", (4,))]),
    ("where", lambda L, x, y: L.T.where(x > 0, x * x, y), [("n", M), ("n", (4,))]),
    ("where_scalar", lambda L, x: L.T.where(x > 0, x, 0.0), N),
    ("lerp_tensor", lambda L, x, y, w: L.T.lerp(x, y, w), [("n", M), ("n", (4,)), ("u", M)]),
    ("lerp_scalar", lambda L, x, y: L.T.lerp(x, y, 0.3), B34),
    ("atan2", lambda L, x, y: L.T.atan2(x, y), [("n", M), ("a", (4,))]),
    ("hypot", lambda L, x, y: L.T.hypot(x, y), [("a", M), ("a", M)]),
    ("logaddexp", lambda L, x, y: L.T.logaddexp(x, y), BCAST),
    ("logaddexp2", lambda L, x, y: L.T.logaddexp2(x, y), BCAST),
    ("xlogy", lambda L, x, y: L.T.xlogy(x, y), [("n", M), ("p", M)]),
    ("clamp", lambda L, x: x.clamp(-0.5, 0.7), N),
    ("clamp_min", lambda L, x: x.clamp(min=0.1), N),
    ("fmod", lambda L, x, y: L.T.fmod(x, y) * x, [("n", M), ("p", M)]),
    ("remainder", lambda L, x, y: L.T.remainder(x, y) * x, [("n", M), ("p", M)]),
    ("fmax", lambda L, x, y: L.T.fmax(x, y), [("d", M), ("d", M)]),
    ("copysign", lambda L, x, y: L.T.copysign(x, y) * x, [("a", M), ("a", M)]),
    ("fmin", lambda L, x, y: L.T.fmin(x, y), [("d", M), ("d", (4,))]),
    ("xlog1py", lambda L, x, y: L.T.special.xlog1py(x, y), [("n", M), ("p", (4,))]),
    ("div_floor", lambda L, x, y: L.T.div(x, y, rounding_mode="floor") * x, [("n", M), ("p", M)]),
    ("maximum_ties", lambda L, x, y: L.T.maximum(x, y), [("t", M), ("t", M)]),
    ("fmod_scalar", lambda L, x: L.T.fmod(x, 0.7) * x, N),
    ("remainder_scalar", lambda L, x: L.T.remainder(x, 0.7) * x, N),
    ("xlogy_scalar_other", lambda L, x: L.T.xlogy(x, 2.5), N),
    ("xlogy_scalar_self", lambda L, y: L.T.xlogy(1.5, y), P),
    ("hypot_broadcast", lambda L, x, y: L.T.hypot(x, y), [("a", M), ("a", (4,))]),
)

REDUCTIONS = cases(
    ("sum_all", lambda L, x: x.sum(), N),
    ("sum_dim", lambda L, x: x.sum(1), N),
    ("sum_dims_keep", lambda L, x: x.sum((0, 2), keepdim=True), [("n", (2, 3, 4))]),
    ("mean_all", lambda L, x: x.mean(), N),
    ("mean_dim_keep", lambda L, x: x.mean(0, keepdim=True), N),
    ("max_dim", lambda L, x: x.max(1)[0], [("d", M)]),
    ("min_dim_keep", lambda L, x: x.min(0, keepdim=True)[0], [("d", M)]),
    ("amax", lambda L, x: x.amax(dim=(0, 1)), [("d", (2, 3, 4))]),
    ("amin", lambda L, x: x.amin(dim=1), [("d", M)]),
    ("max_all", lambda L, x: x.max(), [("d", M)]),
    ("min_all", lambda L, x: x.min(), [("d", M)]),
    ("var", lambda L, x: x.var(), N),
    ("var_dim", lambda L, x: x.var(1, keepdim=True), N),
    ("std", lambda L, x: x.std(0), N),
    ("std_biased", lambda L, x: x.std(1, unbiased=False), N),
    ("norm", lambda L, x: x.norm(), N),
    ("norm_p1", lambda L, x: x.norm(p=1, dim=1), A),
    ("norm_p2_dim", lambda L, x: x.norm(p=2, dim=0), N),
    ("norm_p3", lambda L, x: x.norm(p=3, dim=1), A),
    ("logsumexp", lambda L, x: x.logsumexp(1), N),
    ("prod_all", lambda L, x: x.prod(), N),
    ("prod_dim", lambda L, x: x.prod(1), N),
    ("prod_dim_keep", lambda L, x: x.prod(0, keepdim=True), N),
    ("cumsum", lambda L, x: x.cumsum(1), N),
    ("cumprod", lambda L, x: x.cumprod(1), N),
    ("cumprod_dim0", lambda L, x: x.cumprod(0), N),
    ("logcumsumexp", lambda L, x: x.logcumsumexp(1), N),
    ("cummax", lambda L, x: x.cummax(1)[0], [("d", M)]),
    ("median_all", lambda L, x: x.median(), [("d", M)]),
    ("median_all_ties", lambda L, x: x.median() * x, [("t", M)]),
    ("amax_ties", lambda L, x: x.amax(1) * x.sum(), [("t", M)]),
    ("max_all_ties", lambda L, x: x.max() * x, [("t", M)]),
    ("prod_zeros", lambda L, x: x.prod(1), [("z", M)]),
    ("prod_all_zero", lambda L, x: x.prod() + (x * x[0, 0]).prod(), [("z", M)]),
    ("cumprod_zeros", lambda L, x: x.cumprod(1), [("z", M)]),
    ("cumprod_zeros_dim0", lambda L, x: x.t().cumprod(0), [("z", M)]),
    ("logcumsumexp_dim0", lambda L, x: x.logcumsumexp(0), [("n", (3, 2, 2))]),
)

SHAPES = cases(
    ("reshape", lambda L, x: x.reshape(4, 3), N),
    ("view", lambda L, x: x.view(2, 6), N),
    ("permute", lambda L, x: x.permute(2, 0, 1), [("n", (2, 3, 4))]),
    ("transpose", lambda L, x: x.transpose(0, 2), [("n", (2, 3, 4))]),
    ("t", lambda L, x: x.t(), N),
    ("expand", lambda L, x: x.expand(3, 4), [("n", (3, 1))]),
    ("repeat", lambda L, x: x.repeat(2, 3), N),
    ("flip", lambda L, x: x.flip(1), N),
    ("roll", lambda L, x: x.roll(1, 1), N),
    ("squeeze_unsqueeze", lambda L, x: x.unsqueeze(0).squeeze(2), [("n", (3, 1))]),
    ("basic_index", lambda L, x: x[1:, ::2], N),
    ("int_index", lambda L, x: x[1], N),
    ("advanced_index", lambda L, x: x[L.T.tensor([0, 2, 0])], N),
    ("advanced_index_2", lambda L, x: x[L.T.tensor([0, 2, 2]), L.T.tensor([1, 3, 3])], N),
    ("bool_mask", lambda L, x: x[x > 0], N),
    ("index_select", lambda L, x: x.index_select(1, L.T.tensor([3, 0, 3])), N),
    ("gather", lambda L, x: x.gather(1, L.T.tensor([[0, 1], [2, 2], [3, 0]])), N),
    (
        "scatter",
        lambda L, x, s: x.scatter(1, L.T.tensor([[0, 1], [2, 3], [3, 0]]), s),
        [("n", M), ("n", (3, 2))],
    ),
    (
        "scatter_add",
        lambda L, x, s: x.scatter_add(1, L.T.tensor([[0, 0], [2, 3], [3, 3]]), s),
        [("n", M), ("n", (3, 2))],
    ),
    (
        "index_add",
        lambda L, x, s: x.index_add(0, L.T.tensor([0, 2, 0]), s),
        [("n", M), ("n", (3, 4))],
    ),
    ("masked_fill", lambda L, x: x.masked_fill(x > 0.5, 2.0), N),
    ("scatter_reduce_sum", lambda L, x, s: _scatter_reduce(L, x, s, "sum"), [("n", M), ("n", (3, 2))]),
    ("scatter_reduce_mean", lambda L, x, s: _scatter_reduce(L, x, s, "mean"), [("n", M), ("n", (3, 2))]),
    (
        "scatter_reduce_mean_no_self",
        lambda L, x, s: _scatter_reduce(L, x, s, "mean", include_self=False),
        [("n", M), ("n", (3, 2))],
    ),
    ("scatter_reduce_prod", lambda L, x, s: _scatter_reduce(L, x, s, "prod"), [("a", M), ("a", (3, 2))]),
    (
        "scatter_reduce_prod_zero_elsewhere",  # zeros in self where nothing is scattered
        lambda L, x, s: _scatter_reduce(L, x.masked_fill(_not_hit(L), 0), s, "prod"),
        [("a", M), ("a", (3, 2))],
    ),
    (
        "scatter_reduce_prod_no_self",
        lambda L, x, s: _scatter_reduce(L, x, s, "prod", include_self=False),
        [("a", M), ("a", (3, 2))],
    ),
    ("scatter_reduce_amax", lambda L, x, s: _scatter_reduce(L, x, s, "amax"), [("t", M), ("t", (3, 2))]),
    (
        "scatter_reduce_amin_no_self",
        lambda L, x, s: _scatter_reduce(L, x, s, "amin", include_self=False),
        [("t", M), ("t", (3, 2))],
    ),
    ("cat", lambda L, x, y: L.T.cat([x, y * y], 1), [("n", M), ("n", (3, 2))]),
    ("stack", lambda L, x, y: L.T.stack([x, y], 1), B34),
    ("split", lambda L, x: x.split(1, 1)[2] * x.split([1, 3], 1)[0], N),
    ("chunk", lambda L, x: x.chunk(2, 1)[1], N),
    ("narrow", lambda L, x: x.narrow(1, 1, 2), N),
    ("unfold", lambda L, x: x.unfold(1, 2, 1), N),
    ("diagonal", lambda L, x: x.diagonal(1), N),
    ("tril", lambda L, x: x.tril(), N),
    ("triu", lambda L, x: x.triu(1), N),
    ("setitem", lambda L, x: _setitem(x), N),
    ("setitem_index", lambda L, x, y: _setitem_index(L, x, y), [("n", M), ("n", (2, 4))]),
    ("contiguous_clone", lambda L, x: x.t().contiguous().clone(), N),
    ("flatten", lambda L, x: x.flatten(), [("n", (2, 3, 4))]),
)


def _scatter_reduce(L, x, s, reduce, include_self=True):
    index = L.T.tensor([[0, 0], [2, 3], [3, 1]])
    return x.scatter_reduce(1, index, s, reduce, include_self=include_self)


def _not_hit(L):
    return L.T.tensor([[False, False, True, False], [True, False, False, False], [False, False, True, False]])


def _setitem(x):
    y = x.clone()
    y[1:] = x[:2] * 2
    return y * y


def _setitem_index(L, x, y):
    z = x.clone()
    z[L.T.tensor([0, 2])] = y * y
    return z


def _const(L, x, values):
    return L.T.tensor(values, dtype=x.dtype)


def _spd(a):
    return a @ a.mT


def _eigh_both(L, a):
    w, v = L.T.linalg.eigh(a + a.mT)
    return (v * v * w.unsqueeze(-2)).sum(-1) + w


def _bn(L, x, w, b):
    return L.F.batch_norm(x, None, None, w, b, training=True)


def _ce(L, x, **kw):
    return L.F.cross_entropy(x, L.T.tensor([0, 2, 1, 2]), **kw)


NN = cases(
    ("linear", lambda L, x, w, b: L.F.linear(x, w, b), [("n", (2, 3)), ("n", (4, 3)), ("n", (4,))]),
    ("linear_3d", lambda L, x, w: L.F.linear(x, w), [("n", (2, 2, 3)), ("n", (4, 3))]),
    ("relu", lambda L, x: L.F.relu(x), A),
    ("leaky_relu", lambda L, x: L.F.leaky_relu(x, 0.1), A),
    ("elu", lambda L, x: L.F.elu(x), A),
    ("selu", lambda L, x: L.F.selu(x), A),
    ("celu", lambda L, x: L.F.celu(x, 0.7), A),
    ("gelu", lambda L, x: L.F.gelu(x), N),
    ("gelu_tanh", lambda L, x: L.F.gelu(x, approximate="tanh"), N),
    ("silu", lambda L, x: L.F.silu(x), N),
    ("mish", lambda L, x: L.F.mish(x), N),
    ("softplus", lambda L, x: L.F.softplus(x), N),
    ("softplus_beta", lambda L, x: L.F.softplus(x, beta=2.0, threshold=1.0), N),
    ("hardtanh", lambda L, x: L.F.hardtanh(x, -0.5, 0.5), N),
    ("relu6", lambda L, x: L.F.relu6(x * 4), A),
    ("logsigmoid", lambda L, x: L.F.logsigmoid(x), N),
    ("softsign", lambda L, x: L.F.softsign(x), N),
    ("softmax", lambda L, x: L.F.softmax(x, 1), N),
    ("softmax_dim0", lambda L, x: L.F.softmax(x, 0), N),
    ("log_softmax", lambda L, x: L.F.log_softmax(x, -1), N),
    ("cross_entropy", lambda L, x: _ce(L, x), [("n", (4, 3))]),
    ("cross_entropy_sum", lambda L, x: _ce(L, x, reduction="sum"), [("n", (4, 3))]),
    ("cross_entropy_none", lambda L, x: _ce(L, x, reduction="none"), [("n", (4, 3))]),
    ("cross_entropy_weight", lambda L, x: _ce(L, x, weight=_const(L, x, [0.5, 2.0, 1.0])), [("n", (4, 3))]),
    (
        "cross_entropy_weight_smoothing",
        lambda L, x: _ce(L, x, weight=_const(L, x, [0.5, 2.0, 1.0]), label_smoothing=0.2),
        [("n", (4, 3))],
    ),
    ("cross_entropy_smoothing", lambda L, x: _ce(L, x, label_smoothing=0.1), [("n", (4, 3))]),
    ("cross_entropy_ignore", lambda L, x: _ce(L, x, ignore_index=2), [("n", (4, 3))]),
    (
        "cross_entropy_3d",
        lambda L, x: L.F.cross_entropy(x, L.T.tensor([[0, 2], [1, 1]])),
        [("n", (2, 3, 2))],
    ),
    (
        "cross_entropy_probs",
        lambda L, x, t: L.F.cross_entropy(x, t.softmax(1)),
        [("n", (4, 3)), ("n", (4, 3))],
    ),
    ("nll_loss", lambda L, x: L.F.nll_loss(x.log_softmax(1), L.T.tensor([0, 2, 1, 2])), [("n", (4, 3))]),
    ("mse_loss", lambda L, x, y: L.F.mse_loss(x, y), B34),
    ("mse_loss_sum", lambda L, x, y: L.F.mse_loss(x, y, reduction="sum"), B34),
    ("l1_loss", lambda L, x, y: L.F.l1_loss(x, y) * x.sum(), B34),
    ("smooth_l1_loss", lambda L, x, y: L.F.smooth_l1_loss(x, y), B34),
    ("huber_loss", lambda L, x, y: L.F.huber_loss(x, y, delta=0.5), B34),
    ("bce", lambda L, x, y: L.F.binary_cross_entropy(x, y), [("u", M), ("u", M)]),
    ("bce_logits", lambda L, x, y: L.F.binary_cross_entropy_with_logits(x, y), [("n", M), ("u", M)]),
    (
        "bce_logits_pos_weight",
        lambda L, x, y: L.F.binary_cross_entropy_with_logits(
            x, y, pos_weight=_const(L, x, [1.0, 2.0, 0.5, 3.0])
        ),
        [("n", M), ("u", M)],
    ),
    ("kl_div", lambda L, x, y: L.F.kl_div(x.log_softmax(1), y, reduction="batchmean"), [("n", M), ("u", M)]),
    (
        "kl_div_log_target",
        lambda L, x, y: L.F.kl_div(x, y, reduction="sum", log_target=True),
        [("n", M), ("n", M)],
    ),
    ("layer_norm", lambda L, x, w, b: L.F.layer_norm(x, (4,), w, b), [("n", M), ("n", (4,)), ("n", (4,))]),
    ("layer_norm_plain", lambda L, x: L.F.layer_norm(x, (3, 4)), [("n", (2, 3, 4))]),
    ("batch_norm", _bn, [("n", (4, 3, 2)), ("n", (3,)), ("n", (3,))]),
    (
        "group_norm",
        lambda L, x, w, b: L.F.group_norm(x, 2, w, b),
        [("n", (2, 4, 3)), ("n", (4,)), ("n", (4,))],
    ),
    ("dropout_p0", lambda L, x: L.F.dropout(x, 0.0) * x, N),
    ("embedding", lambda L, w: L.F.embedding(L.T.tensor([[0, 2], [2, 1]]), w), [("n", (3, 4))]),
    ("cosine_similarity", lambda L, x, y: L.F.cosine_similarity(x, y), B34),
    ("normalize", lambda L, x: L.F.normalize(x, dim=1), N),
    ("pairwise_distance", lambda L, x, y: L.F.pairwise_distance(x, y), B34),
    ("pad_constant", lambda L, x: L.F.pad(x, (1, 2)), N),
    ("pad_reflect", lambda L, x: L.F.pad(x, (1, 1), mode="reflect"), [("n", (2, 3, 4))]),
    ("pad_replicate", lambda L, x: L.F.pad(x, (1, 2), mode="replicate"), [("n", (2, 3, 4))]),
)

CONV = cases(
    (
        "conv1d",
        lambda L, x, w, b: L.F.conv1d(x, w, b, padding=1),
        [("n", (2, 2, 5)), ("n", (3, 2, 3)), ("n", (3,))],
    ),
    (
        "conv2d",
        lambda L, x, w, b: L.F.conv2d(x, w, b),
        [("n", (2, 2, 5, 5)), ("n", (3, 2, 3, 3)), ("n", (3,))],
    ),
    (
        "conv2d_stride_pad_dil",
        lambda L, x, w: L.F.conv2d(x, w, stride=2, padding=1, dilation=2),
        [("n", (1, 2, 6, 7)), ("n", (2, 2, 2, 3))],
    ),
    ("conv2d_groups", lambda L, x, w: L.F.conv2d(x, w, groups=2), [("n", (1, 4, 4, 4)), ("n", (4, 2, 2, 2))]),
    (
        "conv2d_same_even",
        lambda L, x, w: L.F.conv2d(x, w, padding="same"),
        [("n", (1, 2, 5, 4)), ("n", (2, 2, 2, 4))],
    ),
    (
        "conv_transpose2d",
        lambda L, x, w, b: L.F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        [("n", (1, 2, 3, 3)), ("n", (2, 3, 3, 3)), ("n", (3,))],
    ),
    ("max_pool2d", lambda L, x: L.F.max_pool2d(x, 2), [("d", (1, 2, 4, 4))]),
    ("max_pool2d_stride", lambda L, x: L.F.max_pool2d(x, 3, stride=2, padding=1), [("d", (1, 2, 5, 5))]),
    ("avg_pool2d", lambda L, x: L.F.avg_pool2d(x, 2, stride=1), [("n", (1, 2, 4, 4))]),
    ("adaptive_avg_pool2d", lambda L, x: L.F.adaptive_avg_pool2d(x, (2, 3)), [("n", (1, 2, 5, 4))]),
    ("max_pool1d", lambda L, x: L.F.max_pool1d(x, 2), [("d", (2, 2, 6))]),
    ("avg_pool1d", lambda L, x: L.F.avg_pool1d(x, 3, stride=2), [("n", (2, 2, 7))]),
    ("interpolate_nearest", lambda L, x: L.F.interpolate(x, scale_factor=2), [("n", (1, 2, 3, 3))]),
    (
        "interpolate_bilinear",
        lambda L, x: L.F.interpolate(x, size=(5, 4), mode="bilinear"),
        [("n", (1, 2, 3, 3))],
    ),
    ("unfold_im2col", lambda L, x: L.F.unfold(x, 2, stride=1), [("n", (1, 2, 3, 4))]),
    ("fold_col2im", lambda L, x: L.F.fold(x, (3, 3), 2), [("n", (1, 8, 4))]),
    (
        "unfold_dilated_padded",
        lambda L, x: L.F.unfold(x, 2, dilation=2, padding=1, stride=2),
        [("n", (1, 2, 5, 4))],
    ),
)

MATMUL = cases(
    ("dot_1d_1d", lambda L, a, b: a @ b, [("n", (4,)), ("n", (4,))]),
    ("vec_mat", lambda L, a, b: a @ b, [("n", (3,)), ("n", (3, 4))]),
    ("mat_vec", lambda L, a, b: a @ b, [("n", (3, 4)), ("n", (4,))]),
    ("mat_mat", lambda L, a, b: a @ b, [("n", (3, 4)), ("n", (4, 2))]),
    ("batched_broadcast", lambda L, a, b: a @ b, [("n", (2, 1, 3, 4)), ("n", (3, 4, 2))]),
    ("batched_vec", lambda L, a, b: a @ b, [("n", (2, 3, 4)), ("n", (4,))]),
    ("vec_batched", lambda L, a, b: a @ b, [("n", (3,)), ("n", (2, 3, 4))]),
    ("bmm", lambda L, a, b: L.T.bmm(a, b), [("n", (2, 3, 4)), ("n", (2, 4, 2))]),
    ("mm", lambda L, a, b: L.T.mm(a, b), [("n", (3, 4)), ("n", (4, 2))]),
    ("einsum", lambda L, a, b: L.T.einsum("bij,bjk->bik", a, b), [("n", (2, 3, 4)), ("n", (2, 4, 2))]),
    ("einsum_trace", lambda L, a: L.T.einsum("ii->", a) * a, [("n", (3, 3))]),
    ("outer", lambda L, a, b: L.T.outer(a, b), [("n", (3,)), ("n", (4,))]),
    ("det", lambda L, a: L.T.linalg.det(a), [("c", (3, 3))]),
    ("inv", lambda L, a: L.T.linalg.inv(a), [("c", (3, 3))]),
    ("solve", lambda L, a, b: L.T.linalg.solve(a, b), [("c", (3, 3)), ("n", (3, 2))]),
    ("logdet", lambda L, a: L.T.logdet(a @ a.transpose(-1, -2)), [("c", (3, 3))]),
    ("slogdet", lambda L, a: L.T.linalg.slogdet(a)[1], [("c", (2, 3, 3))]),
    ("det_batched", lambda L, a: L.T.linalg.det(a), [("c", (2, 3, 3))]),
    ("inv_batched", lambda L, a: L.T.linalg.inv(a), [("c", (2, 3, 3))]),
    ("solve_broadcast", lambda L, a, b: L.T.linalg.solve(a, b), [("c", (3, 3)), ("n", (2, 3, 2))]),
    ("solve_vector", lambda L, a, b: L.T.linalg.solve(a, b), [("c", (3, 3)), ("n", (3,))]),
    ("cholesky", lambda L, a: L.T.linalg.cholesky(_spd(a)), [("c", (3, 3))]),
    ("cholesky_upper", lambda L, a: L.T.linalg.cholesky(_spd(a), upper=True), [("c", (2, 3, 3))]),
    ("eigvalsh", lambda L, a: L.T.linalg.eigvalsh(a + a.mT), [("n", (3, 3))]),
    ("eigvalsh_upper_nonsymmetric", lambda L, a: L.T.linalg.eigvalsh(a, UPLO="U"), [("n", (3, 3))]),
    ("eigh_vectors_upper", lambda L, a: L.T.linalg.eigh(a, UPLO="U")[1] ** 2, [("n", (3, 3))]),
    ("eigh_vectors", lambda L, a: L.T.linalg.eigh(a + a.mT)[1] ** 2, [("n", (2, 3, 3))]),
    ("eigh_both", lambda L, a: _eigh_both(L, a), [("n", (3, 3))]),
    ("svdvals", lambda L, a: L.T.linalg.svdvals(a), [("n", (2, 4, 3))]),
    ("svd_u_tall", lambda L, a: L.T.linalg.svd(a, full_matrices=False)[0] ** 2, [("n", (4, 3))]),
    ("svd_vh_wide", lambda L, a: L.T.linalg.svd(a, full_matrices=False)[2] ** 2, [("n", (3, 4))]),
    ("svd_u_wide", lambda L, a: L.T.linalg.svd(a, full_matrices=False)[0] ** 2, [("n", (3, 4))]),
    ("svd_vh_tall", lambda L, a: L.T.linalg.svd(a, full_matrices=False)[2] ** 2, [("n", (4, 3))]),
    ("matrix_norm_nuc", lambda L, a: L.T.linalg.matrix_norm(a, "nuc"), [("n", (3, 4))]),
    ("qr_q", lambda L, a: L.T.linalg.qr(a)[0], [("n", (4, 3))]),
    ("qr_r", lambda L, a: L.T.linalg.qr(a)[1], [("n", (2, 3, 3))]),
    ("pinv_wide", lambda L, a: L.T.linalg.pinv(a), [("n", (3, 4))]),
    ("pinv_tall", lambda L, a: L.T.linalg.pinv(a), [("n", (4, 3))]),
)


@pytest.mark.parametrize("fn, kinds", UNARY)
def test_unary(fn, kinds):
    check(fn, kinds)


@pytest.mark.parametrize("fn, kinds", BINARY)
def test_binary(fn, kinds):
    check(fn, kinds)


@pytest.mark.parametrize("fn, kinds", REDUCTIONS)
def test_reductions(fn, kinds):
    check(fn, kinds)


@pytest.mark.parametrize("fn, kinds", SHAPES)
def test_shapes_and_indexing(fn, kinds):
    check(fn, kinds)


@pytest.mark.parametrize("fn, kinds", NN)
def test_functional(fn, kinds):
    check(fn, kinds)


@pytest.mark.parametrize("fn, kinds", CONV)
def test_conv_and_pooling(fn, kinds):
    check(fn, kinds)


@pytest.mark.parametrize("fn, kinds", MATMUL)
def test_matmul_and_linalg(fn, kinds):
    check(fn, kinds)


FLOAT32 = cases(
    ("tanh", lambda L, x: x.tanh(), N),
    ("pow_tensor", lambda L, x, y: x**y, [("p", M), ("n", M)]),
    ("softmax", lambda L, x: L.F.softmax(x, 1), N),
    ("cross_entropy", lambda L, x: _ce(L, x), [("n", (4, 3))]),
    ("layer_norm", lambda L, x, w, b: L.F.layer_norm(x, (4,), w, b), [("n", M), ("n", (4,)), ("n", (4,))]),
    ("matmul", lambda L, a, b: a @ b, [("n", (2, 3, 4)), ("n", (4, 2))]),
    ("conv2d", lambda L, x, w: L.F.conv2d(x, w, padding=1), [("n", (1, 2, 4, 4)), ("n", (2, 2, 3, 3))]),
)


@pytest.mark.parametrize("fn, kinds", FLOAT32)
def test_float32(fn, kinds):
    check(fn, kinds, dtype=np.float32)


THIRD = cases(
    ("exp", lambda L, x: x.exp(), N),
    ("sin_cos", lambda L, x: x.sin() * x.cos(), N),
    ("tanh", lambda L, x: x.tanh(), N),
    ("sigmoid", lambda L, x: x.sigmoid(), N),
    ("log", lambda L, x: x.log(), P),
    ("pow_tensor", lambda L, x, y: x**y, [("p", M), ("n", M)]),
    ("softmax", lambda L, x: L.F.softmax(x, 1), N),
    ("log_softmax", lambda L, x: L.F.log_softmax(x, 1), N),
    ("gelu", lambda L, x: L.F.gelu(x), N),
    ("erf", lambda L, x: x.erf(), N),
    ("layer_norm", lambda L, x: _layer_norm_third(L, x), N),
    ("matmul_tanh", lambda L, a, b: (a @ b).tanh(), [("n", (3, 4)), ("n", (4, 2))]),
    ("conv2d_tanh", lambda L, x, w: L.F.conv2d(x, w).tanh(), [("n", (1, 2, 4, 4)), ("n", (2, 2, 3, 3))]),
    ("prod", lambda L, x: x.prod(1), N),
    ("cumprod", lambda L, x: x.cumprod(1), N),
    ("atan2", lambda L, x, y: L.T.atan2(x, y), [("n", M), ("a", M)]),
    ("cumprod_zeros", lambda L, x: x.cumprod(1), [("z", M)]),
    ("prod_zeros", lambda L, x: x.prod(1), [("z", M)]),
    ("logcumsumexp", lambda L, x: _logcumsumexp_third(L, x), N),
    ("det", lambda L, a: L.T.linalg.det(a), [("c", (3, 3))]),
    ("solve", lambda L, a, b: L.T.linalg.solve(a, b), [("c", (3, 3)), ("n", (3, 2))]),
    ("logaddexp", lambda L, x, y: L.T.logaddexp(x, y), B34),
    ("unfold_im2col", lambda L, x: L.F.unfold(x, 2).tanh(), [("n", (1, 2, 3, 4))]),
    ("inv", lambda L, a: L.T.linalg.inv(a), [("c", (3, 3))]),
    ("cholesky", lambda L, a: L.T.linalg.cholesky(_spd(a)), [("c", (3, 3))]),
    ("eigvalsh", lambda L, a: L.T.linalg.eigvalsh(a + a.mT), [("n", (3, 3))]),
    ("svdvals", lambda L, a: L.T.linalg.svdvals(a), [("n", (4, 3))]),
)


def _cdist(L, x, y):
    if L is PN:
        return L.T.cdist(x, y)
    return ((x.unsqueeze(1) - y.unsqueeze(0)) ** 2).sum(-1).sqrt()


def _hardsigmoid(L, x):
    return L.F.hardsigmoid(x) if L is PN else L.F.relu6(x + 3) / 6


def _multi_margin(L, x):
    target = L.T.tensor([0, 2, 1])
    if L is PN:
        return L.F.multi_margin_loss(x, target)
    picked = x.gather(1, target.unsqueeze(1))
    other = L.T.ones_like(x).scatter(1, target.unsqueeze(1), 0.0)
    return ((1 - picked + x).clamp(min=0) * other).sum(1).mean() / x.shape[1]


# torch cannot differentiate these twice (its double backward is not implemented) while
# pyneuro's, composed of ops with rules, can: compared with the same function in torch's ops
COMPOSED = cases(
    ("cdist", _cdist, [("n", (3, 2)), ("n", (4, 2))]),
    ("hardsigmoid", lambda L, x: _hardsigmoid(L, x * 4) * x, A),
    ("multi_margin_loss", _multi_margin, [("n", (3, 4))]),
)


@pytest.mark.parametrize("fn, kinds", COMPOSED)
def test_ops_torch_differentiates_once_against_its_composition(fn, kinds):
    check(fn, kinds)


NOT_TWICE = cases(
    ("floor_divide", lambda L, x, y: L.T.floor_divide(x, y), [("n", M), ("p", M)]),
    ("heaviside", lambda L, x, y: L.T.heaviside(x, y), B34),
)


@pytest.mark.parametrize("fn, kinds", NOT_TWICE)
def test_ops_torch_cannot_differentiate_raise_in_both(fn, kinds):
    """Ops whose derivative torch does not implement: both refuse, with a RuntimeError."""
    r = np.random.default_rng(0)
    arrays = [_data(kind, shape, np.float64, r) for kind, shape in kinds]
    for lib in (TORCH, PN):
        with pytest.raises(RuntimeError, match="not implemented"):
            _derivatives(lib, fn, arrays, 2, 1)


def _layer_norm_third(L, x):
    """torch's own layer_norm has a wrong third derivative (torch.autograd.gradgradcheck of its
    gradient fails: its double backward is a formula whose own backward misses terms), so
    pyneuro's layer_norm is compared at the third order with torch's ops composed."""
    if L is PN:
        return L.F.layer_norm(x, (4,))
    mean = x.mean(1, keepdim=True)
    var = ((x - mean) ** 2).mean(1, keepdim=True)
    return (x - mean) / (var + 1e-5).sqrt()


def _logcumsumexp_third(L, x):
    """torch's logcumsumexp has NaN third derivatives (its double backward works in log space
    with -inf entries); on these small inputs log(cumsum(exp(x))) is exact enough to compare."""
    return x.logcumsumexp(1) if L is PN else x.exp().cumsum(1).log()


@pytest.mark.parametrize("fn, kinds", THIRD)
def test_third_order(fn, kinds):
    check(fn, kinds, order=3)


def test_atan2_at_the_origin_has_zero_gradient_and_finite_second_derivatives():
    """atan2's gradient is 0 at the origin (as torch's); recorded, its derivatives there are
    finite (torch's second derivatives are NaN there: its where reads 0 * inf)."""
    x = pn.tensor([0.0, 1.0, 0.0], dtype=pn.float64, requires_grad=True)
    y = pn.tensor([0.0, 2.0, -1.0], dtype=pn.float64, requires_grad=True)
    gx, gy = pn.autograd.grad(pn.atan2(x, y).sum(), [x, y], create_graph=True)
    xt = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64, requires_grad=True)
    yt = torch.tensor([0.0, 2.0, -1.0], dtype=torch.float64, requires_grad=True)
    want = torch.autograd.grad(torch.atan2(xt, yt).sum(), [xt, yt])
    np.testing.assert_allclose(gx.detach().numpy(), want[0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(gy.detach().numpy(), want[1].numpy(), rtol=1e-12)
    hx, hy = pn.autograd.grad((gx * gx + gy).sum(), [x, y])
    assert np.isfinite(hx.numpy()).all() and np.isfinite(hy.numpy()).all()
    assert hx.numpy()[0] == 0 and hy.numpy()[0] == 0


def test_gamma_rsample_cannot_be_differentiated_twice_in_either():
    """The reparameterised Gamma draw: torch has no derivative of _standard_gamma_grad, and
    pyneuro's node has no rule; both raise NotImplementedError (pyneuro already while recording
    the first gradient, torch when differentiating it)."""
    for lib in (torch, pn):
        lib.manual_seed(0)
        alpha = lib.tensor([1.5, 2.0], requires_grad=True)
        z = lib.distributions.Gamma(alpha, lib.tensor([1.0, 1.0])).rsample()
        with pytest.raises(NotImplementedError):
            (g,) = lib.autograd.grad(z.sum(), alpha, create_graph=True)
            lib.autograd.grad(g.sum(), alpha)


MASK_READS = {
    "gather": lambda L, x: x.gather(1, L.tensor([[0], [2]])),
    "masked_select": lambda L, x: x.masked_select(x > 1),
    "amax": lambda L, x: x.amax(1),
    "amin_all": lambda L, x: x.amin(),
    "max_all": lambda L, x: x.max(),
    "min_all": lambda L, x: x.min(),
    "clamp": lambda L, x: x.clamp(0, 2),
    "clamp_min": lambda L, x: x.clamp(min=0.5),
    "index": lambda L, x: x[[0, 1], [2, 0]],
    "topk": lambda L, x: x.topk(2)[0],
}


@pytest.mark.parametrize("name", sorted(MASK_READS))
def test_gradient_that_reads_its_input_only_as_a_mask_is_a_constant(name):
    """An op whose backward reads its input only through a comparison or its positions (clamp's
    mask, amax's ties, gather's shape): its create_graph gradient does not require grad, as
    torch's, so differentiating it again raises torch's RuntimeError rather than giving zeros."""
    for L in (pn, torch):
        x = L.tensor([[1.0, 3.0, 2.0], [0.5, -1.0, 4.0]], requires_grad=True)
        (g,) = L.autograd.grad(MASK_READS[name](L, x).sum(), x, create_graph=True)
        assert not g.requires_grad and g.grad_fn is None, L.__name__
        with pytest.raises(RuntimeError, match="does not require grad"):
            g.sum().backward()
    # a product with the input itself still records, in both
    for L in (pn, torch):
        x = L.tensor([[1.0, 3.0, 2.0], [0.5, -1.0, 4.0]], requires_grad=True)
        (g,) = L.autograd.grad((MASK_READS[name](L, x).sum() * x).sum(), x, create_graph=True)
        assert g.requires_grad, L.__name__
