"""PyTorch as the oracle for the whole public API: values, dtypes, shapes and gradients.

Every case runs the same function on pyneuro and on torch (`lib.T` is `pn` or `torch`,
`lib.F` the functional module, `lib.nn` the nn package) with the same inputs, in float32
and float64, and compares
  - the outputs: shape, dtype and values (NaN where torch has NaN);
  - the gradients of every floating input, after backward with the same random upstream
    gradient (so broadcasting, keepdim and reductions are checked in backward too).
Shapes cover scalars, size-1 dims, broadcasting and empty tensors where torch allows them.
The last part feeds bad input to both and checks that pyneuro raises the exception type
torch raises (pyneuro's ShapeError/DTypeError are also ValueError/TypeError, as
docs/DESIGN.md, "Errors and bad input" promises).
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import nn, optim

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests and is not installed")
TF = torch.nn.functional

PN = types.SimpleNamespace(T=pn, F=F, nn=nn, name="pn")
TORCH = types.SimpleNamespace(T=torch, F=TF, nn=torch.nn, name="torch")
DTYPES = {"float32": (np.float32, 2e-5), "float64": (np.float64, 1e-10)}


# ----------------------------------------------------------------------------- helpers


def _data(kind, shape, dtype, r):
    """Input data of a kind: 'n' normal, 'p' positive, 'u' in (0, 1), 'i<k>' ints in [0, k),
    'b' booleans, 'd' distinct values (no ties for max/sort)."""
    if kind == "n":
        return r.standard_normal(shape).astype(dtype)
    if kind == "p":
        return r.uniform(0.5, 2.0, shape).astype(dtype)
    if kind == "u":
        return r.uniform(0.05, 0.95, shape).astype(dtype)
    if kind == "d":
        n = int(np.prod(shape))
        return (r.permutation(n).reshape(shape) * 0.37 - n * 0.1).astype(dtype)
    if kind == "b":
        return r.random(shape) > 0.5
    if kind.startswith("i"):
        return r.integers(0, int(kind[1:]), shape).astype(np.int64)
    raise AssertionError(kind)


def _pair(arr):
    grad = arr.dtype.kind == "f"
    p = pn.tensor(arr, dtype=arr.dtype)
    t = torch.tensor(arr)
    if grad:
        p.requires_grad_()
        t.requires_grad_()
    return p, t


def _dtype_name(x):
    return str(x.dtype).replace("torch.", "") if isinstance(x, torch.Tensor) else np.dtype(x.dtype).name


def assert_same(p, t, tol, where="output"):
    """p (pyneuro) matches t (torch): type, shape, dtype, values; recursing into tuples."""
    if isinstance(t, torch.Tensor):
        assert isinstance(p, pn.Tensor), f"{where}: expected a Tensor, got {type(p).__name__}"
        assert tuple(p.shape) == tuple(t.shape), f"{where}: shape {tuple(p.shape)} != torch {tuple(t.shape)}"
        assert _dtype_name(p) == _dtype_name(t), f"{where}: dtype {_dtype_name(p)} != torch {_dtype_name(t)}"
        got, want = np.asarray(p.detach().numpy()), t.detach().numpy()
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(got, want, err_msg=where)
    elif isinstance(t, (tuple, list)):
        assert isinstance(p, (tuple, list)) and len(p) == len(t), f"{where}: {p!r} vs {t!r}"
        for i, (a, b) in enumerate(zip(p, t)):
            assert_same(a, b, tol, f"{where}[{i}]")
    elif isinstance(t, (torch.Size,)):
        assert tuple(p) == tuple(t), where
    else:
        assert type(p) is type(t) or (isinstance(p, (int, float)) and isinstance(t, (int, float))), (
            f"{where}: {type(p).__name__} != torch {type(t).__name__}"
        )
        if isinstance(t, float) and np.isnan(t):
            assert np.isnan(p), where
        else:
            assert p == pytest.approx(t, rel=tol, abs=tol), f"{where}: {p!r} != torch {t!r}"


def _float_outputs(out):
    if isinstance(out, torch.Tensor) or isinstance(out, pn.Tensor):
        return (
            [out]
            if out.dtype in (torch.float32, torch.float64) or _dtype_name(out).startswith("float")
            else []
        )
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _float_outputs(x)]
    return []


def run_case(fn, kinds, dtype_name, seed=0, grad=True):
    """fn(lib, *inputs) on both libraries; compare outputs and input gradients."""
    dtype, tol = DTYPES[dtype_name]
    r = np.random.default_rng(seed)
    arrays = [_data(kind, shape, dtype, r) for kind, shape in kinds]
    pairs = [_pair(a) for a in arrays]
    ps, ts = [p for p, _ in pairs], [t for _, t in pairs]
    want = fn(TORCH, *ts)
    got = fn(PN, *ps)
    assert_same(got, want, tol)
    if not grad:
        return
    outs_t = [o for o in _float_outputs(want) if o.requires_grad]
    outs_p = _float_outputs(got)
    if not outs_t:
        return
    outs_p = [o for o in outs_p if o.requires_grad]
    assert len(outs_p) == len(outs_t), "pyneuro output does not require grad where torch's does"
    gs = [r.standard_normal(tuple(o.shape)).astype(dtype) for o in outs_t]
    torch.autograd.backward(outs_t, [torch.tensor(g) for g in gs])
    for o, g in zip(outs_p, gs):
        o.backward(pn.tensor(g, dtype=dtype), retain_graph=True)
    for i, (p, t) in enumerate(zip(ps, ts)):
        if t.requires_grad:
            if t.grad is None:
                assert p.grad is None or not np.any(p.grad.numpy()), (
                    f"input {i}: pyneuro has a gradient, torch none"
                )
            else:
                assert p.grad is not None, f"input {i}: no gradient"
                assert_same(p.grad, t.grad, tol * 10, f"grad of input {i}")


def cases(*items):
    """pytest params from (id, fn, kinds[, opts]) items, each in float32 and float64."""
    out = []
    for item in items:
        name, fn, kinds = item[:3]
        opts = item[3] if len(item) > 3 else {}
        for dt in opts.get("dtypes", DTYPES):
            out.append(pytest.param(fn, kinds, dt, opts.get("grad", True), id=f"{name}-{dt}"))
    return out


# ----------------------------------------------------------------------------- elementwise

S0, S1, S2, S3 = (), (5,), (3, 4), (2, 1, 3)
E = (0, 3)  # an empty batch

UNARY = [
    ("exp", lambda L, x: x.exp(), "n"),
    ("log", lambda L, x: x.log(), "p"),
    ("sqrt", lambda L, x: x.sqrt(), "p"),
    ("abs", lambda L, x: x.abs(), "n"),
    ("neg", lambda L, x: -x, "n"),
    ("neg_method", lambda L, x: x.neg(), "n"),
    ("sigmoid", lambda L, x: x.sigmoid(), "n"),
    ("tanh", lambda L, x: x.tanh(), "n"),
    ("relu", lambda L, x: x.relu(), "n"),
    ("square", lambda L, x: x.square(), "n"),
    ("clamp", lambda L, x: x.clamp(-0.5, 0.7), "n"),
    ("clamp_min", lambda L, x: x.clamp(min=0.1), "n"),
    ("clamp_max_method", lambda L, x: x.clamp_max(0.2), "n"),
    ("clip", lambda L, x: x.clip(-0.3, 0.3), "n"),
    ("pow2", lambda L, x: x**2, "n"),
    ("pow3", lambda L, x: x.pow(3), "n"),
    ("pow_half", lambda L, x: x**0.5, "p"),
    ("pow_neg", lambda L, x: x**-1.5, "p"),
    ("rpow", lambda L, x: 2.0**x, "n"),
    ("rsub", lambda L, x: 1 - x, "n"),
    ("rdiv", lambda L, x: 2 / x, "p"),
    ("radd_mul", lambda L, x: 3 + 0.5 * x, "n"),
    ("scalar_div", lambda L, x: x / 4, "n"),
    ("fn_exp_log", lambda L, x: L.T.log(L.T.exp(x)) + L.T.sqrt(x * x), "n"),
    ("fn_sigmoid_tanh_relu", lambda L, x: L.T.sigmoid(x) * L.T.tanh(x) + L.T.relu(x) + L.T.abs(x), "n"),
    ("fn_clamp", lambda L, x: L.T.clamp(x, min=-0.2, max=0.4), "n"),
    ("F_sigmoid_tanh", lambda L, x: L.F.sigmoid(x) + L.F.tanh(x), "n"),
    ("leaky_relu", lambda L, x: L.F.leaky_relu(x, 0.1), "n"),
    ("leaky_relu_default", lambda L, x: L.F.leaky_relu(x), "n"),
    ("clone_contiguous", lambda L, x: x.clone() * x.contiguous(), "n"),
    ("sin_cos", lambda L, x: x.sin() * x.cos() + L.T.sin(x) - L.T.cos(x), "n"),
    ("log1p_expm1", lambda L, x: x.log1p() + x.expm1() + L.T.log1p(x), "p"),
    ("reciprocal_rsqrt", lambda L, x: x.reciprocal() + x.rsqrt(), "p"),
    (
        "rounding",
        lambda L, x: ((x * 3).round(), x.floor(), x.ceil(), x.trunc(), x.sign(), L.T.round(x), L.T.sign(x)),
        "n",
    ),
    ("detach_mix", lambda L, x: x * x.detach(), "n"),
]


@pytest.mark.parametrize(
    "fn,kinds,dt,grad",
    cases(
        *[(f"{name}-{shape}", fn, [(kind, shape)]) for name, fn, kind in UNARY for shape in (S0, S2, S3, E)]
    ),
)
def test_unary(fn, kinds, dt, grad):
    run_case(fn, kinds, dt, grad=grad)


BINARY = [
    ("add", lambda L, a, b: a + b),
    ("sub", lambda L, a, b: a - b),
    ("mul", lambda L, a, b: a * b),
    ("div", lambda L, a, b: a / b),
    ("pow", lambda L, a, b: a**b),
    ("add_method_alpha", lambda L, a, b: a.add(b, alpha=2.0)),
    ("sub_method_alpha", lambda L, a, b: a.sub(b, alpha=0.5)),
    ("mul_div_methods", lambda L, a, b: a.mul(b).div(b + 3)),
    ("maximum", lambda L, a, b: L.T.maximum(a, b)),
    ("minimum", lambda L, a, b: L.T.minimum(a, b)),
    ("where", lambda L, a, b: L.T.where(a > 1.0, a, b)),
    ("max_binary", lambda L, a, b: a.max(b)),
    ("masked_fill", lambda L, a, b: (a * b).masked_fill(b > 1.2, 0.5)),
    ("maximum_ties", lambda L, a, b: (L.T.maximum(a.round(), b.round()), L.T.minimum(a.round(), b.round()))),
]
BROADCAST = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 3), (4, 1)),
    ((5, 1), (1, 5)),
    ((3,), ()),
    ((), (2, 3)),
    ((2, 3, 4), (1, 3, 1)),
    ((0, 3), (3,)),
    ((1, 1), (2, 1, 1)),
]


@pytest.mark.parametrize(
    "fn,kinds,dt,grad",
    cases(
        *[(f"{name}-{sa}-{sb}", fn, [("p", sa), ("p", sb)]) for name, fn in BINARY for sa, sb in BROADCAST]
    ),
)
def test_binary_broadcasting(fn, kinds, dt, grad):
    run_case(fn, kinds, dt, grad=grad)


@pytest.mark.parametrize(
    "fn,kinds,dt,grad",
    cases(
        (
            "eq",
            lambda L, a, b: (a == b, a != b, a < b, a <= b, a > b, a >= b),
            [("i3", (3, 4)), ("i3", (4,))],
        ),
        (
            "cmp_float",
            lambda L, a, b: (a < b, a.eq(b), a.ne(b), a.lt(b), a.le(b), a.gt(b), a.ge(b)),
            [("n", (3, 4)), ("n", (3, 1))],
        ),
        ("cmp_scalar", lambda L, a: (a > 0, a == 0.5, a <= 1), [("n", (2, 3))]),
        (
            "logical",
            lambda L, a, b: ((a > 0) & (b > 0), (a > 0) | (b > 0), (a > 0) ^ (b > 0), ~(a > 0)),
            [("n", (2, 3)), ("n", (2, 3))],
        ),
        (
            "all_any",
            lambda L, a: (
                (a > 0).all(),
                (a > 0).any(),
                (a > -5).all(dim=1),
                (a > 0).any(dim=0, keepdim=True),
            ),
            [("n", (3, 4))],
        ),
        (
            "isnan_isfinite",
            lambda L, a: ((a / 0).isnan(), (a / 0).isfinite(), a.isfinite()),
            [("n", (3, 4))],
            {"grad": False},
        ),
        (
            "int_arith",
            lambda L, a, b: (a + b, a - b, a * b, a * 2, a + 1, -a, a // 2, a % 3, a**2, abs(a - 1)),
            [("i5", (3, 4)), ("i5", (4,))],
        ),
        ("int_truediv", lambda L, a, b: (a / (b + 1), a / 2), [("i5", (3, 4)), ("i5", (4,))]),
        (
            "int_float_promote",
            lambda L, a, b: (a * b, b + a, a * 0.5, a + 1.5),
            [("i5", (3, 4)), ("n", (3, 4))],
        ),
        (
            "int_sum_argmax",
            lambda L, a: (a.sum(), a.sum(dim=0), a.argmax(), a.max(), a.min(dim=1)),
            [("i5", (3, 4))],
        ),
        (
            "bool_sum",
            lambda L, a: ((a > 0).sum(), (a > 0).sum(dim=1), (a > 0).float().mean(), (a > 0).long()),
            [("n", (3, 4))],
        ),
        (
            "small_int_sum",
            lambda L, a: (a.to(L.T.uint8).sum(), a.int().sum(dim=0), a.to(L.T.int16).sum(), a.sum(dim=())),
            [("i5", (3, 4))],
        ),
        (
            "sum_mean_empty_dims",
            lambda L, x: (x.sum(dim=()), x.mean(dim=[]), x.sum(dim=(), keepdim=True)),
            [("n", (3, 4))],
        ),
        (
            "casts",
            lambda L, a: (a.float(), a.double(), a.long(), a.int(), a.bool(), a.to(L.T.float64)),
            [("n", (2, 3))],
        ),
        ("float_mix", lambda L, a: (a * 2.5 + 1) / 3 - 0.25, [("n", (2, 3))]),
    ),
)
def test_comparisons_dtypes_and_integers(fn, kinds, dt, grad):
    run_case(fn, kinds, dt, grad=grad)


def _inplace(L, x, y):
    a = x.detach().clone()
    a.add_(y)
    a.sub_(y, alpha=0.5)
    a.mul_(2.0)
    a.div_(y + 3)
    a += 1
    a -= y
    a *= y
    a /= 2
    b = a.clone().clamp_(-0.5, 0.5)
    c = L.T.zeros_like(a).copy_(y)
    d = L.T.empty_like(a).fill_(0.25)
    e = a.clone().zero_()
    return a, b, c, d, e


@pytest.mark.parametrize(
    "fn,kinds,dt,grad",
    cases(
        ("inplace", _inplace, [("n", (3, 4)), ("p", (4,))], {"grad": False}),
        (
            "logical_not_equal",
            lambda L, x, y: (
                (x > 0).logical_not(),
                x.equal(x.clone()),
                x.equal(y),
                x.allclose(x + 1e-9),
                L.T.allclose(x, y),
            ),
            [("n", (3, 4)), ("n", (3, 4))],
            {"grad": False},
        ),
        (
            "unflatten_reshape_fn",
            lambda L, x: (x.unflatten(1, (2, 2)), L.T.reshape(x, (2, 6)), L.T.reshape(x, (-1,))),
            [("n", (3, 4))],
        ),
        ("clamp_min_method", lambda L, x: x.clamp_min(0.1) + x.clamp_max(0.3), [("n", (3, 4))]),
        (
            "data_detach",
            lambda L, x: (x.data * 2, x.detach().requires_grad, (x * 1).detach_() + 1),
            [("n", (3,))],
        ),
        (
            "zero_dim_promotion",
            lambda L, x, s: (x * s, s + x, x - s.to(L.T.float64)),
            [("n", (3,)), ("n", ())],
        ),
        (
            "int_widths",
            lambda L, a: (
                a.int() + a,
                a.int() * 2,
                a.to(L.T.uint8) + 1,
                a.to(L.T.int16) + a.int(),
                a.int() / 2,
                a.int().sum(),
                a.int().max(),
            ),
            [("i5", (2, 3))],
        ),
        (
            "bool_arith",
            lambda L, a: ((a > 2) * 3, (a > 2) + (a > 1), (a > 2).int() + 1, (a > 2).sum(dim=0)),
            [("i5", (2, 3))],
        ),
        (
            "int_floor_mod_negative",
            lambda L, a: ((a - 2) // 3, (a - 2) % 3, (a - 2) // -2, -(a - 2), 7 // (a + 1), 7 % (a + 1)),
            [("i5", (2, 3))],
        ),
        (
            "float_floor_mod",
            lambda L, x: (x // 0.3, x % 0.3, 2.0 // (x.abs() + 1)),
            [("n", (2, 3))],
            {"grad": False},
        ),
        (
            "int_dot_matmul",
            lambda L, a, b: (a[0].dot(b[0]), a @ b.T, a[0] @ b.T),
            [("i5", (2, 3)), ("i5", (4, 3))],
        ),
        (
            "int_round_sign_cumsum",
            lambda L, a: ((a - 2).sign(), a.cumsum(0), (a > 2).cumsum(1), a.round()),
            [("i5", (2, 3))],
        ),
        (
            "cumsum_logsumexp",
            lambda L, x: (
                x.cumsum(0),
                x.cumsum(dim=-1),
                L.T.cumsum(x, 1),
                x.logsumexp(1),
                x.logsumexp(0, keepdim=True),
                L.T.logsumexp(x, dim=-1),
            ),
            [("n", (3, 4))],
        ),
        (
            "sum_mean_fn_dtype",
            lambda L, a: (L.T.sum(a, dtype=L.T.float32), L.T.mean(a, dim=0, dtype=L.T.float64), L.T.numel(a)),
            [("i5", (2, 3))],
        ),
        ("where_scalar", lambda L, x: (L.T.where(x > 0, x, 0.0), L.T.where(x > 0, 1.0, x)), [("n", (3, 4))]),
        ("where_int_float", lambda L, x, i: L.T.where(x > 0, x, i), [("n", (3, 4)), ("i5", (4,))]),
        (
            "mixed_int_float_tensor",
            lambda L, x, i: (x + i, i * x, x / i.clamp(min=1), i - x),
            [("n", (3, 4)), ("i5", (3, 4))],
        ),
        ("float_scalar_of_int", lambda L, i: (i * 1.5, i + 0.5, 2.5 - i, i / 3), [("i5", (3,))]),
        (
            "numpy_scalar",
            lambda L, x: (x * np.float32(2), x + np.float64(1.0), x * np.int64(3)),
            [("n", (3,))],
        ),
    ),
)
def test_more_tensor_methods(fn, kinds, dt, grad):
    run_case(fn, kinds, dt, grad=grad)


# ----------------------------------------------------------------------------- reductions

RED_SHAPES = [(3, 4, 5), (4,), (), (1, 3), (0, 3)]


def _dims(shape):
    nd = len(shape)
    out = [None]
    if nd:
        out += [0, -1]
    if nd >= 2:
        out += [(0, -1)]
    return out


def _reduction_cases():
    items = []
    for shape in RED_SHAPES:
        for dim in _dims(shape):
            for keep in (False, True):
                tag = f"{shape}-{dim}-{keep}"
                items.append(
                    (
                        f"sum-{tag}",
                        lambda L, x, d=dim, k=keep: (
                            x.sum() if d is None and not k else x.sum(dim=d, keepdim=k)
                        ),
                        [("n", shape)],
                    )
                )
                items.append(
                    (
                        f"mean-{tag}",
                        lambda L, x, d=dim, k=keep: (
                            x.mean() if d is None and not k else x.mean(dim=d, keepdim=k)
                        ),
                        [("n", shape)],
                    )
                )
                if 0 not in shape:
                    items.append(
                        (f"var-{tag}", lambda L, x, d=dim, k=keep: x.var(dim=d, keepdim=k), [("n", shape)])
                    )
                    items.append(
                        (
                            f"std0-{tag}",
                            lambda L, x, d=dim, k=keep: x.std(dim=d, keepdim=k, unbiased=False),
                            [("n", shape)],
                        )
                    )
                    items.append(
                        (f"norm-{tag}", lambda L, x, d=dim, k=keep: x.norm(dim=d, keepdim=k), [("n", shape)])
                    )
                    items.append(
                        (
                            f"norm1-{tag}",
                            lambda L, x, d=dim, k=keep: x.norm(p=1, dim=d, keepdim=k),
                            [("n", shape)],
                        )
                    )
                    items.append(
                        (
                            f"norm3-{tag}",
                            lambda L, x, d=dim, k=keep: x.norm(p=3, dim=d, keepdim=k),
                            [("n", shape)],
                        )
                    )
                if isinstance(dim, int) and 0 not in shape:
                    items.append(
                        (
                            f"max_dim-{tag}",
                            lambda L, x, d=dim, k=keep: tuple(x.max(dim=d, keepdim=k)),
                            [("d", shape)],
                        )
                    )
                    items.append(
                        (f"min_dim-{tag}", lambda L, x, d=dim, k=keep: tuple(x.min(d, k)), [("d", shape)])
                    )
                    items.append(
                        (
                            f"argmax-{tag}",
                            lambda L, x, d=dim, k=keep: (x.argmax(dim=d, keepdim=k), x.argmin(d, k)),
                            [("d", shape)],
                        )
                    )
                    items.append(
                        (
                            f"amax-{tag}",
                            lambda L, x, d=dim, k=keep: x.amax(dim=d, keepdim=k) + x.amin(dim=d, keepdim=k),
                            [("d", shape)],
                        )
                    )
                    items.append(
                        (
                            f"softmax-{tag}",
                            lambda L, x, d=dim: x.softmax(d) * L.F.log_softmax(x, dim=d),
                            [("n", shape)],
                        )
                    )
                if dim is None and not keep and 0 not in shape:
                    items.append(
                        (
                            f"max_all-{tag}",
                            lambda L, x: (x.max(), x.min(), x.argmax(), x.argmin()),
                            [("d", shape)],
                        )
                    )
    items.append(
        (
            "fn_sum_mean",
            lambda L, x: L.T.sum(x, dim=1) + L.T.mean(x, 1) + L.T.std(x, dim=1) + L.T.var(x, 1),
            [("n", (3, 4))],
        )
    )
    items.append(
        (
            "fn_max_min",
            lambda L, x: (L.T.max(x, dim=1), L.T.min(x, 0), L.T.max(x), L.T.argmax(x, dim=0)),
            [("d", (3, 4))],
        )
    )
    items.append(("max_ties", lambda L, x: x.max() + x.min(), [("i2", (3, 4))], {"grad": False}))
    items.append(
        (
            "amax_ties",
            lambda L, x: (
                x.relu().amax(dim=1),
                x.clamp(-0.2, 0.2).amin(dim=(0, 2), keepdim=True),
                x.relu().amax(),
                x.clamp(max=0.1).amax(dim=-1, keepdim=True),
            ),
            [("n", (3, 4, 2))],
        )
    )
    items.append(("sum_dtype", lambda L, x: x.sum(dtype=L.T.float64), [("n", (3, 4))]))
    items.append(("fn_norm", lambda L, x: L.T.norm(x) + L.T.norm(x, dim=0).sum(), [("n", (3, 4))]))
    items.append(("norm_inf", lambda L, x: x.norm(p=float("inf")), [("d", (3, 4))]))
    return items


@pytest.mark.parametrize("fn,kinds,dt,grad", cases(*_reduction_cases()))
def test_reductions(fn, kinds, dt, grad):
    run_case(fn, kinds, dt, grad=grad)


def test_max_with_ties_splits_or_picks_like_torch():
    """torch.max() over all elements shares the gradient between ties; max(dim) picks one."""
    for dt in DTYPES:
        run_case(lambda L, x: x.max(), [("i2", (3, 4))], dt, grad=False)


# ----------------------------------------------------------------------------- shapes and indexing


@pytest.mark.parametrize(
    "fn,kinds,dt,grad",
    cases(
        ("reshape", lambda L, x: x.reshape(4, 3) * 2, [("n", (3, 4))]),
        ("reshape_tuple_neg", lambda L, x: x.reshape((-1, 2)), [("n", (3, 4))]),
        ("view", lambda L, x: x.view(2, -1) + x.view(-1).view(6, 2).view(2, 6), [("n", (3, 4))]),
        ("view_shares_memory", lambda L, x: _view_write(x), [("n", (3, 4))], {"grad": False}),
        ("view_row_slice", lambda L, x: x[1:].view(-1) * 2, [("n", (3, 4))]),
        ("view_as_reshape_as", lambda L, x, y: x.view_as(y) + x.reshape_as(y), [("n", (3, 4)), ("n", (12,))]),
        (
            "flatten",
            lambda L, x: (x.flatten(), x.flatten(1), x.flatten(0, 1), x.flatten(-2, -1), L.T.flatten(x, 1)),
            [("n", (2, 3, 4))],
        ),
        ("flatten_scalar", lambda L, x: x.flatten() * 3, [("n", ())]),
        (
            "permute",
            lambda L, x: (
                x.permute(2, 0, 1),
                x.permute((1, 2, 0)),
                x.permute(-1, 0, 1),
                L.T.permute(x, (0, 2, 1)),
            ),
            [("n", (2, 3, 4))],
        ),
        (
            "transpose",
            lambda L, x: (x.transpose(0, 2), x.transpose(-1, -2), x.swapaxes(0, 1), L.T.transpose(x, 1, 0)),
            [("n", (2, 3, 4))],
        ),
        ("T_t_mT", lambda L, x: (x.T, x.t(), x.mT), [("n", (3, 4))]),
        ("T_1d", lambda L, x: (x.t(), x.T * 2), [("n", (4,))]),
        (
            "squeeze",
            lambda L, x: (x.squeeze(), x.squeeze(0), x.squeeze(1), x.squeeze(-1), L.T.squeeze(x, 2)),
            [("n", (1, 3, 1))],
        ),
        (
            "unsqueeze",
            lambda L, x: (x.unsqueeze(0), x.unsqueeze(-1), x.unsqueeze(1), L.T.unsqueeze(x, 2)),
            [("n", (3, 4))],
        ),
        (
            "expand",
            lambda L, x: (x.expand(2, 3, 4), x.expand(-1, 4), x.expand_as(L.T.zeros(5, 3, 4))),
            [("n", (3, 1))],
        ),
        (
            "cat",
            lambda L, a, b: (L.T.cat([a, b], dim=0), L.T.cat((a.T, b.T), 1), L.T.cat([a, b], -2)),
            [("n", (2, 3)), ("n", (4, 3))],
        ),
        ("cat_empty_part", lambda L, a, b: L.T.cat([a, b]), [("n", (0, 3)), ("n", (2, 3))]),
        ("concat", lambda L, a, b: L.T.concat([a, b], dim=1), [("n", (2, 3)), ("n", (2, 1))]),
        (
            "stack",
            lambda L, a, b: (L.T.stack([a, b]), L.T.stack([a, b], dim=1), L.T.stack((a, b), -1)),
            [("n", (2, 3)), ("n", (2, 3))],
        ),
        (
            "split_chunk",
            lambda L, x: (x.split(2), x.split([1, 3], dim=1), x.chunk(2, dim=1), x.chunk(3)),
            [("n", (5, 4))],
        ),
        (
            "index_basic",
            lambda L, x: (x[0], x[-1], x[1:3], x[:, 1], x[..., -1], x[None], x[:, None, 1:], x[::2, ::3]),
            [("n", (4, 5))],
        ),
        ("index_int_array", lambda L, x, i: (x[i], x[i, 0], x[:, i % 5]), [("n", (4, 5)), ("i4", (6,))]),
        ("index_bool", lambda L, x: (x[x > 0], x[(x > 0).any(dim=1)]), [("n", (4, 5))]),
        (
            "gather",
            lambda L, x, i: (x.gather(1, i), L.T.gather(x, 0, i % 3)),
            [("n", (3, 5)), ("i5", (3, 2))],
        ),
        (
            "sort_topk",
            lambda L, x: (
                tuple(x.sort()),
                tuple(x.sort(dim=0, descending=True)),
                tuple(x.topk(2)),
                tuple(x.topk(1, dim=0, largest=False)),
                x.argsort(),
                x.argsort(dim=0, descending=True),
            ),
            [("d", (3, 5))],
        ),
        ("fn_sort_topk", lambda L, x: (tuple(L.T.topk(x, 3)), L.T.argsort(x, dim=1)), [("d", (3, 5))]),
        ("setitem_no_grad", lambda L, x: _setitem(L, x), [("n", (3, 4))], {"grad": False}),
        (
            "index_select",
            lambda L, x, i: (x.index_select(0, i % 3), L.T.index_select(x, -1, i), x.index_select(1, i[:0])),
            [("n", (3, 4)), ("i4", (5,))],
        ),
        (
            "masked_select",
            lambda L, x, y: (x.masked_select(y > 0), L.T.masked_select(x, y[0] > 0)),
            [("n", (3, 4)), ("n", (3, 4))],
        ),
        (
            "select_narrow_unbind",
            lambda L, x: (
                x.select(1, -1),
                x.narrow(0, 1, 2),
                x.narrow(-1, -3, 2),
                x.unbind(1),
                L.T.unbind(x),
            ),
            [("n", (3, 4))],
        ),
        (
            "flip",
            lambda L, x: (x.flip(0), x.flip(-1, 0), L.T.flip(x, (1,)), L.T.flip(x, [0, 2])),
            [("n", (2, 3, 4))],
        ),
        (
            "movedim",
            lambda L, x: (
                x.movedim(0, -1),
                x.movedim((0, 1), (2, 0)),
                L.T.movedim(x, 2, 0),
                x.moveaxis(-1, 1),
            ),
            [("n", (2, 3, 4))],
        ),
        (
            "repeat_tile",
            lambda L, x: (x.repeat(2, 1), x.repeat(2, 3, 2), x.tile(2), x.tile((2, 1, 1))),
            [("n", (2, 3))],
        ),
        (
            "outer_bmm",
            lambda L, a, b, c, d: (a.outer(b), L.T.outer(b, a), c.bmm(d), L.T.bmm(c, d)),
            [("n", (3,)), ("n", (4,)), ("n", (2, 3, 4)), ("n", (2, 4, 5))],
        ),
        ("tril_triu", lambda L, x: (x.tril(), x.triu(1), L.T.tril(x, -1), L.T.triu(x)), [("n", (3, 4))]),
        ("tril_batched", lambda L, x: x.tril() + x.triu(2), [("n", (2, 4, 3))]),
        ("log2_log10", lambda L, x: x.log2() + x.log10(), [("p", (3, 4))]),
        (
            "where_max_methods",
            lambda L, x, y: (x.where(x > 0, y), x.maximum(y), x.minimum(y)),
            [("n", (3, 4)), ("n", (4,))],
        ),
        (
            "nonzero_unique",
            lambda L, i: (
                i.nonzero(),
                L.T.nonzero(i),
                i.nonzero(as_tuple=True),
                i.unique(),
                L.T.unique(i, return_counts=True),
            ),
            [("i3", (3, 4))],
            {"grad": False},
        ),
        (
            "isinf_isclose",
            lambda L, x, y: ((x / (x * 0)).isinf(), x.isclose(y), L.T.isclose(x, x + 1e-9)),
            [("n", (3, 4)), ("n", (3, 4))],
            {"grad": False},
        ),
        (
            "half_stride_ndimension",
            lambda L, x: (x.half().float(), x.stride(), x.T.stride(1), x.ndimension(), x.get_device()),
            [("n", (3, 4))],
            {"grad": False},
        ),
    ),
)
def test_shapes_and_indexing(fn, kinds, dt, grad):
    run_case(fn, kinds, dt, grad=grad)


def _view_write(x):
    y = x.detach().clone()
    v = y.view(-1)
    v[0] = 7.0  # a view shares memory: the write shows in y
    return y


def _setitem(L, x):
    y = x.detach().clone()
    y[0] = 1.5
    y[:, 1] = y[:, 2]
    y[y > 1.2] = 0.0
    return y


# ----------------------------------------------------------------------------- matmul and linear algebra


MATMUL_SHAPES = [
    ((3, 4), (4, 2)),
    ((4,), (4, 2)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((0, 4), (4, 3)),
    ((3, 0), (0, 2)),
]


@pytest.mark.parametrize(
    "fn,kinds,dt,grad",
    cases(
        *[
            (
                f"matmul-{sa}-{sb}",
                lambda L, a, b: (a @ b, L.T.matmul(a, b), a.matmul(b)),
                [("n", sa), ("n", sb)],
            )
            for sa, sb in MATMUL_SHAPES
        ],
        ("mm", lambda L, a, b: (a.mm(b), L.T.mm(a, b)), [("n", (3, 4)), ("n", (4, 2))]),
        ("dot", lambda L, a, b: (a.dot(b), L.T.dot(a, b)), [("n", (5,)), ("n", (5,))]),
        (
            "linear",
            lambda L, x, w, b: (L.F.linear(x, w, b), L.F.linear(x, w)),
            [("n", (5, 3)), ("n", (4, 3)), ("n", (4,))],
        ),
        ("linear_3d", lambda L, x, w, b: L.F.linear(x, w, b), [("n", (2, 5, 3)), ("n", (4, 3)), ("n", (4,))]),
        ("linear_1d", lambda L, x, w, b: L.F.linear(x, w, b), [("n", (3,)), ("n", (4, 3)), ("n", (4,))]),
        ("linear_empty", lambda L, x, w, b: L.F.linear(x, w, b), [("n", (0, 3)), ("n", (4, 3)), ("n", (4,))]),
    ),
)
def test_matmul_and_linear(fn, kinds, dt, grad):
    run_case(fn, kinds, dt, grad=grad)


# ----------------------------------------------------------------------------- functional


def _ce_cases():
    items = []
    for red in ("mean", "sum", "none"):
        for extra in ({}, {"label_smoothing": 0.1}, {"ignore_index": 1}, {"weight": True}):

            def fn(L, x, y, w, red=red, extra=extra):
                kw = dict(extra)
                if kw.pop("weight", None):
                    kw["weight"] = w.detach()
                return (
                    L.F.cross_entropy(x, y, reduction=red, **kw),
                    L.F.nll_loss(
                        L.F.log_softmax(x, dim=1),
                        y,
                        reduction=red,
                        **{k: v for k, v in kw.items() if k != "label_smoothing"},
                    ),
                )

            tag = "-".join(extra) or "plain"
            items.append((f"ce-{red}-{tag}", fn, [("n", (6, 4)), ("i4", (6,)), ("p", (4,))]))
            items.append((f"ce_kdim-{red}-{tag}", fn, [("n", (2, 4, 3)), ("i4", (2, 3)), ("p", (4,))]))
        items.append(
            (
                f"ce_probs-{red}",
                lambda L, x, p, red=red: L.F.cross_entropy(
                    x, L.F.softmax(p, 1), reduction=red, label_smoothing=0.2
                ),
                [("n", (5, 3)), ("n", (5, 3))],
            )
        )
    items.append(("ce_unbatched", lambda L, x: L.F.cross_entropy(x, L.T.tensor(2)), [("n", (4,))]))
    items.append(
        ("ce_empty", lambda L, x, y: L.F.cross_entropy(x, y, reduction="sum"), [("n", (0, 4)), ("i4", (0,))])
    )
    return items


@pytest.mark.parametrize(
    "fn,kinds,dt,grad",
    cases(
        *_ce_cases(),
        *[
            (
                f"{name}-{red}",
                (lambda L, x, y, name=name, red=red: getattr(L.F, name)(x, y, reduction=red)),
                [("n", (4, 3)), ("u", (4, 3))],
            )
            for name in ("mse_loss", "l1_loss", "binary_cross_entropy_with_logits")
            for red in ("mean", "sum", "none")
        ],
        *[
            (
                f"bce-{red}",
                (lambda L, x, y, red=red: L.F.binary_cross_entropy(x, y, reduction=red)),
                [("u", (4, 3)), ("u", (4, 3))],
            )
            for red in ("mean", "sum", "none")
        ],
        ("mse_scalar", lambda L, x, y: L.F.mse_loss(x, y), [("n", ()), ("n", ())]),
        (
            "softmax_dims",
            lambda L, x: (
                L.F.softmax(x, dim=0),
                L.F.softmax(x, dim=-1),
                L.F.log_softmax(x, 1),
                L.T.softmax(x, 1),
                L.T.log_softmax(x, dim=0),
            ),
            [("n", (3, 4, 2))],
        ),
        ("softmax_1d", lambda L, x: (L.F.softmax(x, dim=0), L.F.log_softmax(x, dim=-1)), [("n", (5,))]),
        ("softmax_empty", lambda L, x: L.F.softmax(x, dim=1), [("n", (0, 4))]),
        ("relu_F", lambda L, x: L.F.relu(x), [("n", (3, 4))]),
        (
            "normalize",
            lambda L, x: (L.F.normalize(x), L.F.normalize(x, dim=0), L.F.normalize(x, p=1, dim=1)),
            [("n", (3, 4))],
        ),
        (
            "cosine_similarity",
            lambda L, a, b: (L.F.cosine_similarity(a, b), L.F.cosine_similarity(a, b, dim=0)),
            [("n", (3, 4)), ("n", (3, 4))],
        ),
        (
            "cosine_similarity_bcast",
            lambda L, a, b: L.F.cosine_similarity(a, b, dim=-1),
            [("n", (3, 4)), ("n", (1, 4))],
        ),
        (
            "cosine_similarity_1d",
            lambda L, a, b: L.F.cosine_similarity(a, b, dim=0),
            [("n", (4,)), ("n", (4,))],
        ),
        (
            "pairwise_distance",
            lambda L, a, b: (L.F.pairwise_distance(a, b), L.F.pairwise_distance(a, b, p=1.0, keepdim=True)),
            [("n", (3, 4)), ("n", (3, 4))],
        ),
        ("embedding", lambda L, i, w: L.F.embedding(i, w), [("i5", (2, 3)), ("n", (5, 4))]),
        ("embedding_pad", lambda L, i, w: L.F.embedding(i, w, padding_idx=0), [("i5", (7,)), ("n", (5, 4))]),
        ("one_hot", lambda L, i: (L.F.one_hot(i, 6), L.F.one_hot(i)), [("i4", (2, 3))]),
        (
            "dropout_off",
            lambda L, x: (L.F.dropout(x, 0.5, training=False), L.F.dropout(x, 0.0)),
            [("n", (3, 4))],
        ),
        (
            "activations",
            lambda L, x: (
                L.F.silu(x),
                L.F.softplus(x * 30),
                L.F.softplus(x, beta=3, threshold=2),
                L.F.elu(x * 40),
                L.F.elu(x, alpha=0.3),
            ),
            [("n", (3, 4))],
        ),
        (
            "layer_norm",
            lambda L, x, w, b: (L.F.layer_norm(x, (4,), w, b), L.F.layer_norm(x, [3, 4], eps=1e-3)),
            [("n", (2, 3, 4)), ("n", (4,)), ("n", (4,))],
        ),
    ),
)
def test_functional(fn, kinds, dt, grad):
    run_case(fn, kinds, dt, grad=grad)


# ----------------------------------------------------------------------------- nn modules


def _module_pair(make):
    torch.manual_seed(0)
    tm = make(TORCH)
    pm = make(PN)
    sd = {k: pn.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    pm.load_state_dict(sd)
    return pm, tm


@pytest.mark.parametrize(
    "make,shape,dtype",
    [
        (lambda L: L.nn.Linear(4, 3), (5, 4), np.float32),
        (lambda L: L.nn.Linear(4, 3, bias=False), (2, 5, 4), np.float32),
        (
            lambda L: L.nn.Sequential(
                L.nn.Flatten(), L.nn.Linear(6, 5), L.nn.ReLU(), L.nn.Linear(5, 2), L.nn.Sigmoid()
            ),
            (4, 2, 3),
            np.float32,
        ),
        (
            lambda L: L.nn.Sequential(
                L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.LeakyReLU(0.2), L.nn.Identity(), L.nn.Softmax(dim=1)
            ),
            (4, 3),
            np.float32,
        ),
        (
            lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.LogSoftmax(dim=-1), L.nn.Dropout(0.3).eval()),
            (4, 3),
            np.float32,
        ),
        (lambda L: L.nn.Flatten(0, -1), (2, 3), np.float32),
        (lambda L: L.nn.Linear(3, 2).double(), (4, 3), np.float64),
        (
            lambda L: L.nn.Sequential(
                L.nn.Linear(3, 4),
                L.nn.SiLU(),
                L.nn.Softplus(),
                L.nn.ELU(0.5),
                L.nn.Softplus(beta=2, threshold=1),
            ),
            (5, 3),
            np.float32,
        ),
        (lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.LayerNorm(4)), (5, 3), np.float32),
        (lambda L: L.nn.LayerNorm((2, 3), elementwise_affine=False), (4, 2, 3), np.float32),
        (lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4), L.nn.ReLU()), (6, 3), np.float32),
        (lambda L: L.nn.BatchNorm1d(3, affine=False), (4, 3, 5), np.float32),
        (lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4)).eval(), (6, 3), np.float32),
    ],
)
def test_modules_match_torch(make, shape, dtype):
    pm, tm = _module_pair(make)
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    xp, xt = _pair(x)
    op, ot = pm(xp), tm(xt)
    assert_same(op, ot, 1e-5)
    g = np.random.default_rng(2).standard_normal(tuple(ot.shape)).astype(dtype)
    op.backward(pn.tensor(g, dtype=dtype))
    ot.backward(torch.tensor(g))
    assert_same(xp.grad, xt.grad, 1e-5)
    for (n, p), (_, q) in zip(pm.named_parameters(), tm.named_parameters()):
        assert_same(p.grad, q.grad, 1e-4, n)
    assert [n for n, _ in pm.named_parameters()] == [n for n, _ in tm.named_parameters()]


@pytest.mark.parametrize(
    "cls,kinds,kw",
    [
        ("MSELoss", ("n", "n"), {}),
        ("MSELoss", ("n", "n"), {"reduction": "sum"}),
        ("L1Loss", ("n", "n"), {"reduction": "none"}),
        ("BCELoss", ("u", "u"), {}),
        ("BCEWithLogitsLoss", ("n", "u"), {"reduction": "sum"}),
    ],
)
def test_elementwise_loss_modules(cls, kinds, kw):
    for dt in DTYPES:
        run_case(lambda L, x, y: getattr(L.nn, cls)(**kw)(x, y), [(kinds[0], (4, 3)), (kinds[1], (4, 3))], dt)


def test_module_list_parameter_and_state_dict_names_match_torch():
    def make(L):
        m = L.nn.Module()
        m.layers = L.nn.ModuleList([L.nn.Linear(2, 3), L.nn.Linear(3, 1)])
        m.scale = L.nn.Parameter(L.T.ones(1))
        m.emb = L.nn.Embedding(4, 2, padding_idx=1)
        return m

    pm, tm = make(PN), make(TORCH)
    assert list(pm.state_dict()) == list(tm.state_dict())
    assert [tuple(p.shape) for p in pm.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    assert isinstance(pm.scale, pn.Tensor) and pm.scale.requires_grad
    assert pm.emb.weight[1].abs().sum().item() == 0.0  # the padding row starts at zero, as in torch


@pytest.mark.parametrize(
    "init,shape",
    [
        ("kaiming_uniform_", (64, 100)),
        ("xavier_uniform_", (50, 80)),
        ("xavier_normal_", (200, 300)),
        ("kaiming_normal_", (200, 300)),
        ("uniform_", (100, 100)),
        ("normal_", (100, 100)),
        ("zeros_", (3, 4)),
        ("ones_", (3, 4)),
        ("constant_", (3, 4)),
    ],
)
def test_init_distributions_match_torch(init, shape):
    """Same distribution as torch's initialisers: equal bounds and (roughly) equal spread."""
    args = (0.3,) if init == "constant_" else ()
    pfn, tfn = getattr(nn.init, init, None), getattr(torch.nn.init, init)
    if pfn is None:
        pytest.skip(f"pyneuro.nn.init has no {init}")
    p = pfn(pn.empty(*shape), *args).numpy()
    t = tfn(torch.empty(*shape), *args).numpy()
    assert p.shape == t.shape and p.dtype == t.dtype
    np.testing.assert_allclose(p.std(), t.std(), rtol=0.08, atol=1e-7)
    np.testing.assert_allclose(
        np.abs(p).max(), np.abs(t).max(), rtol=0.25 if "normal" in init else 0.02, atol=1e-7
    )


def test_linear_default_init_matches_torch_bounds():
    pm, tm = nn.Linear(100, 50), torch.nn.Linear(100, 50)
    for (n, p), (_, q) in zip(pm.named_parameters(), tm.named_parameters()):
        bound = 1 / np.sqrt(100)
        assert np.abs(p.detach().numpy()).max() <= bound and np.abs(q.detach().numpy()).max() <= bound, n
        np.testing.assert_allclose(p.detach().numpy().std(), q.detach().numpy().std(), rtol=0.2)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"weight": True},
        {"ignore_index": 0},
        {"label_smoothing": 0.15},
        {"reduction": "sum", "weight": True, "ignore_index": 2, "label_smoothing": 0.05},
    ],
)
def test_loss_modules_with_options(kw):
    r = np.random.default_rng(3)
    x = r.standard_normal((7, 4)).astype(np.float32)
    y = r.integers(0, 4, 7)
    w = r.uniform(0.5, 2, 4).astype(np.float32)
    for pcls, tcls in ((nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss), (nn.NLLLoss, torch.nn.NLLLoss)):
        k = dict(kw)
        if pcls is nn.NLLLoss:
            k.pop("label_smoothing", None)
        kp = dict(k, weight=pn.tensor(w)) if k.pop("weight", None) else k
        kt = {**kp, "weight": torch.tensor(w)} if "weight" in kp else kp
        xp, xt = _pair(x)
        lp, lt = pcls(**kp)(xp, pn.tensor(y)), tcls(**kt)(xt, torch.tensor(y))
        assert_same(lp, lt, 1e-5)
        lp.backward()
        lt.backward()
        assert_same(xp.grad, xt.grad, 1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_module_and_similarities(dtype):
    """The course's recommender: embeddings, dot / cosine / Euclidean scores, top-k."""
    torch.manual_seed(0)
    te = torch.nn.Embedding(8, 4).to(torch.float64 if dtype == np.float64 else torch.float32)
    pe = nn.Embedding(8, 4).to(pn.float64 if dtype == np.float64 else pn.float32)
    pe.load_state_dict({"weight": pn.tensor(te.weight.detach().numpy(), dtype=dtype)})
    users, items = np.array([0, 3, 3]), np.array([[1, 2, 5], [4, 6, 7], [0, 1, 2]])

    def scores(L, e):
        u = e(L.T.tensor(users))
        it = e(L.T.tensor(items))
        dot = (u.unsqueeze(1) * it).sum(-1)
        cos = L.F.cosine_similarity(u.unsqueeze(1), it, dim=-1)
        dist = (u.unsqueeze(1) - it).pow(2).sum(-1).sqrt()
        best = (dot + cos - dist).topk(2, dim=1)
        return dot, cos, dist, best.values, best.indices

    op, ot = scores(PN, pe), scores(TORCH, te)
    assert_same(op, ot, 1e-5)
    sum(o.sum() for o in op[:4]).backward()
    sum(o.sum() for o in ot[:4]).backward()
    assert_same(pe.weight.grad, te.weight.grad, 1e-4)


# ----------------------------------------------------------------------------- optimizers


OPTIMIZERS = [
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, amsgrad=True, maximize=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("Adam", dict(lr=0.01, maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_options_match_torch(name, kw, dtype):
    pm, tm = _module_pair(lambda L: L.nn.Sequential(L.nn.Linear(5, 4), L.nn.ReLU(), L.nn.Linear(4, 3)))
    if dtype == np.float64:
        pm, tm = pm.double(), tm.double()
    po, to = getattr(optim, name)(pm.parameters(), **kw), getattr(torch.optim, name)(tm.parameters(), **kw)
    r = np.random.default_rng(4)
    x, y = r.standard_normal((8, 5)).astype(dtype), r.integers(0, 3, 8)
    for _ in range(6):
        po.zero_grad()
        to.zero_grad()
        F.cross_entropy(pm(pn.tensor(x, dtype=dtype)), pn.tensor(y)).backward()
        TF.cross_entropy(tm(torch.tensor(x)), torch.tensor(y)).backward()
        po.step()
        to.step()
    for (n, p), (_, q) in zip(pm.named_parameters(), tm.named_parameters()):
        assert_same(p.detach(), q.detach(), 1e-5 if dtype == np.float32 else 1e-12, n)


# ----------------------------------------------------------------------------- tensor API


def test_tensor_api_matches_torch():
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 4
    p, t = pn.tensor(a), torch.tensor(a)
    assert p.numel() == t.numel() and p.nelement() == t.nelement() and p.dim() == t.dim() and p.ndim == t.ndim
    assert tuple(p.size()) == tuple(t.size()) and p.size(1) == t.size(1) and p.size(-1) == t.size(-1)
    assert tuple(p.shape) == tuple(t.shape) and len(p) == len(t)
    assert p.tolist() == t.tolist() and p[1, 2].item() == t[1, 2].item()
    assert type(p.sum().item()) is type(t.sum().item()) is float
    assert type(pn.tensor([3]).item()) is type(torch.tensor([3]).item()) is int
    assert type(pn.tensor(True).item()) is bool
    assert pn.tensor(7).tolist() == torch.tensor(7).tolist() == 7
    assert pn.tensor([[True, False]]).tolist() == [[True, False]]
    assert float(p[0, 1]) == float(t[0, 1]) and int(p[2, 3]) == int(t[2, 3])
    assert p.is_floating_point() and not pn.tensor([1]).is_floating_point()
    assert p.element_size() == t.element_size() == 4
    assert p.T.is_contiguous() == t.T.is_contiguous() is False
    for size in ((), (0,), (2, 0, 3), (1,)):
        assert pn.zeros(size).numel() == torch.zeros(size).numel()
        assert tuple(pn.ones(size).shape) == tuple(torch.ones(size).shape)


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.T.zeros(2, 3),
        lambda L: L.T.ones((2, 3), dtype=L.T.int64),
        lambda L: L.T.full((2, 2), 1.5),
        lambda L: L.T.full((2,), 3),
        lambda L: L.T.full((2,), True),
        lambda L: L.T.eye(3),
        lambda L: L.T.eye(2, 3),
        lambda L: L.T.arange(5),
        lambda L: L.T.arange(1, 4, 0.5),
        lambda L: L.T.arange(0.0, 1.0, 0.25),
        lambda L: L.T.arange(5, dtype=L.T.float32),
        lambda L: L.T.linspace(0, 1, 5),
        lambda L: L.T.zeros_like(L.T.ones(2, 3)),
        lambda L: L.T.ones_like(L.T.arange(3)),
        lambda L: L.T.full_like(L.T.ones(2), 7.0),
        lambda L: L.T.tensor([[1, 2], [3, 4]]),
        lambda L: L.T.tensor([1.5, 2]),
        lambda L: L.T.tensor(3.0),
        lambda L: L.T.tensor([True, False]),
        lambda L: L.T.tensor([]),
        lambda L: L.T.tensor([[1.0, 2.0]], dtype=L.T.float64),
        lambda L: L.T.ones(2, 3).new_zeros(2),
        lambda L: L.T.ones(2, 3).new_ones((1, 2)),
        lambda L: L.T.ones(2).new_full((2,), 4.0),
        lambda L: L.T.ones(2).new_tensor([1, 2]),
        lambda L: L.T.as_tensor([1, 2, 3]),
        lambda L: L.T.ones(3).type(L.T.int64),
    ],
    ids=lambda f: "",
)
def test_creation_matches_torch(make):
    assert_same(make(PN), make(TORCH), 1e-6)


def test_randomness_shapes_and_dtypes_match_torch():
    for fp, ft in [
        (pn.rand(2, 3), torch.rand(2, 3)),
        (pn.randn((4,)), torch.randn((4,))),
        (pn.randint(0, 5, (3,)), torch.randint(0, 5, (3,))),
        (pn.randint(5, (2, 2)), torch.randint(5, (2, 2))),
        (pn.randperm(6), torch.randperm(6)),
        (pn.rand_like(pn.ones(2)), torch.rand_like(torch.ones(2))),
        (pn.randn(2, dtype=pn.float64), torch.randn(2, dtype=torch.float64)),
        (pn.empty(2, 3), torch.empty(2, 3)),
    ]:
        assert tuple(fp.shape) == tuple(ft.shape) and _dtype_name(fp) == _dtype_name(ft)
    assert sorted(pn.randperm(6).tolist()) == list(range(6))


def test_repr_is_sensible():
    assert repr(pn.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(pn.tensor([1, 2])) == repr(torch.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(pn.tensor([True])) == repr(torch.tensor([True]))
    assert repr(pn.tensor(2.0)) == repr(torch.tensor(2.0))
    assert "requires_grad=True" in repr(pn.ones(2, requires_grad=True))
    assert "grad_fn=<" in repr(pn.ones(2, requires_grad=True) * 2)
    assert "float64" in repr(pn.ones(2, dtype=pn.float64))
    assert repr(pn.zeros(0)) == repr(torch.zeros(0))


def test_grad_accumulates_and_retain_grad_like_torch():
    for lib in (PN, TORCH):
        x = lib.T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        assert x.grad is None and x.is_leaf
        y = x * 2
        y.retain_grad()
        z = (y * y).sum()
        z.backward(retain_graph=True)
        z.backward()
        (x**3).sum().backward()
        assert y.grad.tolist() == [8.0, 16.0, 24.0] and not y.is_leaf
        assert x.grad.tolist() == [19.0, 44.0, 75.0], lib.name
        x.grad = None
        with lib.T.no_grad():
            w = x * 2
        assert not w.requires_grad and w.grad_fn is None


def test_backward_on_a_nonscalar_with_gradient_and_through_shared_inputs():
    a = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    g = np.random.default_rng(6).standard_normal((4,)).astype(np.float32)
    xp, xt = _pair(a)
    (xp * xp + xp.exp() * xp).sum(0).backward(pn.tensor(g))
    (xt * xt + xt.exp() * xt).sum(0).backward(torch.tensor(g))
    assert_same(xp.grad, xt.grad, 1e-5)


# ----------------------------------------------------------------------------- bad input


def _raises(fn):
    """The exception type fn raises on each library (None if it returns)."""
    out = []
    for lib in (PN, TORCH):
        try:
            fn(lib)
            out.append(None)
        except Exception as exc:
            out.append(exc)
    return out


def _f(lib, *shape, grad=False):
    return lib.T.ones(shape, requires_grad=grad)


BAD = [
    ("add_shapes", lambda L: _f(L, 3) + _f(L, 4)),
    ("mul_shapes", lambda L: _f(L, 2, 3) * _f(L, 3, 2)),
    ("matmul_inner", lambda L: _f(L, 2, 3) @ _f(L, 4, 5)),
    ("matmul_scalar", lambda L: _f(L) @ _f(L, 3)),
    ("matmul_dtypes", lambda L: _f(L, 2, 3) @ L.T.ones(3, 2, dtype=L.T.int64)),
    ("mm_1d", lambda L: _f(L, 3).mm(_f(L, 3, 2))),
    ("dot_2d", lambda L: _f(L, 2, 3).dot(_f(L, 2, 3))),
    ("dot_sizes", lambda L: _f(L, 3).dot(_f(L, 4))),
    ("reshape_numel", lambda L: _f(L, 2, 3).reshape(4, 2)),
    ("view_of_transposed", lambda L: _f(L, 2, 3).T.view(6)),
    ("view_numel", lambda L: _f(L, 2, 3).view(-1, 4)),
    ("cat_shapes", lambda L: L.T.cat([_f(L, 2, 3), _f(L, 2, 4)])),
    ("cat_empty_list", lambda L: L.T.cat([])),
    ("stack_shapes", lambda L: L.T.stack([_f(L, 2, 3), _f(L, 3, 2)])),
    ("expand_bad", lambda L: _f(L, 2, 3).expand(4, 3)),
    ("sum_dim_range", lambda L: _f(L, 2, 3).sum(dim=2)),
    ("mean_dim_range", lambda L: _f(L, 2, 3).mean(-3)),
    ("softmax_dim_range", lambda L: L.F.softmax(_f(L, 2, 3), dim=2)),
    ("argmax_dim_range", lambda L: _f(L, 2, 3).argmax(dim=5)),
    ("max_dim_range", lambda L: _f(L, 2, 3).max(dim=2)),
    ("unsqueeze_range", lambda L: _f(L, 2, 3).unsqueeze(4)),
    ("transpose_range", lambda L: _f(L, 2, 3).transpose(0, 2)),
    ("permute_bad", lambda L: _f(L, 2, 3).permute(0, 0)),
    ("index_range", lambda L: _f(L, 2, 3)[2]),
    ("index_too_many", lambda L: _f(L, 2, 3)[0, 0, 0]),
    ("index_float", lambda L: _f(L, 2, 3)[L.T.tensor([0.0])]),
    ("item_many", lambda L: _f(L, 2).item()),
    ("bool_many", lambda L: bool(_f(L, 2))),
    ("len_scalar", lambda L: len(_f(L))),
    ("mean_int", lambda L: L.T.tensor([1, 2]).mean()),
    ("grad_int", lambda L: L.T.tensor([1, 2], requires_grad=True)),
    ("backward_nonscalar", lambda L: (_f(L, 3, grad=True) * 2).backward()),
    ("backward_no_grad", lambda L: _f(L, 3).sum().backward()),
    ("backward_twice", lambda L: _twice(L)),
    ("backward_grad_shape", lambda L: (_f(L, 3, grad=True) * 2).backward(_f(L, 4))),
    ("numpy_requires_grad", lambda L: _f(L, 3, grad=True).numpy()),
    ("inplace_leaf", lambda L: _f(L, 3, grad=True).add_(1)),
    ("ce_target_range", lambda L: L.F.cross_entropy(_f(L, 3, 4), L.T.tensor([0, 4, 1]))),
    ("ce_target_negative", lambda L: L.F.cross_entropy(_f(L, 3, 4), L.T.tensor([0, -1, 1]))),
    ("ce_target_float", lambda L: L.F.cross_entropy(_f(L, 3, 4), L.T.tensor([0.0, 1.0, 2.0]))),
    ("ce_batch", lambda L: L.F.cross_entropy(_f(L, 3, 4), L.T.tensor([0, 1]))),
    ("ce_target_2d", lambda L: L.F.cross_entropy(_f(L, 3, 4), L.T.tensor([[0], [1], [2]]))),
    ("ce_weight_size", lambda L: L.F.cross_entropy(_f(L, 3, 4), L.T.tensor([0, 1, 2]), weight=_f(L, 3))),
    ("ce_reduction", lambda L: L.F.cross_entropy(_f(L, 3, 4), L.T.tensor([0, 1, 2]), reduction="avg")),
    (
        "ce_smoothing_range",
        lambda L: L.F.cross_entropy(_f(L, 3, 4), L.T.tensor([0, 1, 2]), label_smoothing=1.5),
    ),
    ("ce_scalar_input", lambda L: L.F.cross_entropy(_f(L), L.T.tensor(0))),
    ("nll_target_range", lambda L: L.F.nll_loss(_f(L, 3, 4), L.T.tensor([0, 9, 1]))),
    ("nll_target_float", lambda L: L.F.nll_loss(_f(L, 3, 4), L.T.tensor([0.0, 1.0, 2.0]))),
    ("nll_batch", lambda L: L.F.nll_loss(_f(L, 3, 4), L.T.tensor([0, 1]))),
    ("mse_broadcast_fail", lambda L: L.F.mse_loss(_f(L, 3), _f(L, 4))),
    ("bce_shapes", lambda L: L.F.binary_cross_entropy(_f(L, 3) * 0.5, _f(L, 4))),
    ("linear_shapes", lambda L: L.F.linear(_f(L, 2, 3), _f(L, 4, 5))),
    ("linear_module_shapes", lambda L: L.nn.Linear(3, 2)(_f(L, 4, 5))),
    ("linear_dtype", lambda L: L.nn.Linear(3, 2)(L.T.zeros(4, 3, dtype=L.T.float64))),
    ("embedding_range", lambda L: L.F.embedding(L.T.tensor([0, 5]), _f(L, 5, 2))),
    ("embedding_float_idx", lambda L: L.F.embedding(L.T.tensor([0.0, 1.0]), _f(L, 5, 2))),
    ("one_hot_range", lambda L: L.F.one_hot(L.T.tensor([0, 3]), 3)),
    ("one_hot_float", lambda L: L.F.one_hot(L.T.tensor([0.0, 1.0]), 3)),
    ("topk_k", lambda L: _f(L, 2, 3).topk(4)),
    ("sgd_lr", lambda L: L.T.optim.SGD([_f(L, 2, grad=True)], lr=-1)),
    ("adam_beta", lambda L: L.T.optim.Adam([_f(L, 2, grad=True)], betas=(1.5, 0.9))),
    ("optim_empty", lambda L: L.T.optim.SGD([], lr=0.1)),
    ("nesterov_no_momentum", lambda L: L.T.optim.SGD([_f(L, 2, grad=True)], lr=0.1, nesterov=True)),
    (
        "load_state_dict_shape",
        lambda L: L.nn.Linear(3, 2).load_state_dict({"weight": L.T.zeros(3, 3), "bias": L.T.zeros(2)}),
    ),
    ("load_state_dict_missing", lambda L: L.nn.Linear(3, 2).load_state_dict({"weight": L.T.zeros(2, 3)})),
    ("no_such_device", lambda L: _f(L, 2).to("tpu")),
    ("eq_shapes", lambda L: _f(L, 3) == _f(L, 2)),
    ("lt_shapes", lambda L: _f(L, 3) < _f(L, 2, 2)),
    ("maximum_shapes", lambda L: L.T.maximum(_f(L, 3), _f(L, 2))),
    ("where_shapes", lambda L: L.T.where(_f(L, 3) > 0, _f(L, 3), _f(L, 2))),
    ("setitem_shapes", lambda L: _f(L, 3, 2).__setitem__(0, _f(L, 3))),
    ("stack_dim_range", lambda L: L.T.stack([_f(L, 2, 3), _f(L, 2, 3)], dim=4)),
    ("cat_dim_range", lambda L: L.T.cat([_f(L, 2, 3), _f(L, 2, 3)], dim=2)),
    ("cat_of_a_tensor", lambda L: L.T.cat(_f(L, 2, 2))),
    ("split_zero", lambda L: _f(L, 4).split(0)),
    ("chunk_zero", lambda L: _f(L, 4).chunk(0)),
    ("int_floordiv_zero", lambda L: L.T.tensor([2, 3]) // 0),
    ("int_mod_zero_tensor", lambda L: L.T.tensor([2, 3]) % L.T.tensor([1, 0])),
    ("argmax_empty", lambda L: L.T.zeros(0).argmax()),
    ("argmax_empty_dim", lambda L: L.T.zeros(2, 0).argmax(dim=1)),
    ("max_empty", lambda L: L.T.zeros(0).max()),
    ("bce_out_of_range", lambda L: L.F.binary_cross_entropy(L.T.tensor([1.5]), L.T.tensor([1.0]))),
    ("float_of_many", lambda L: float(_f(L, 2))),
    ("int_of_many", lambda L: int(_f(L, 2))),
    ("norm_of_ints", lambda L: L.T.tensor([3, 4]).norm()),
    ("var_of_ints", lambda L: L.T.tensor([3, 4]).var()),
    ("softmax_of_ints", lambda L: L.F.softmax(L.T.tensor([1, 2]), dim=0)),
    ("int_pow_negative", lambda L: L.T.tensor([2]) ** -1),
    ("neg_of_bool", lambda L: -L.T.tensor([True])),
    ("reshape_two_inferred", lambda L: _f(L, 6).reshape(-1, -1)),
    ("sum_repeated_dim", lambda L: _f(L, 2, 3).sum(dim=(0, 0))),
    ("topk_negative_k", lambda L: _f(L, 3).topk(-1)),
    ("clamp_nothing", lambda L: _f(L, 2).clamp()),
    ("mm_of_3d", lambda L: _f(L, 2, 2, 2).mm(_f(L, 2, 2))),
    ("flatten_reversed", lambda L: _f(L, 2, 3, 4).flatten(2, 1)),
    ("t_of_3d", lambda L: _f(L, 2, 3, 4).t()),
    ("zeros_negative", lambda L: L.T.zeros(-1)),
    ("tensor_ragged", lambda L: L.T.tensor([[1, 2], [3]])),
    ("tensor_of_none", lambda L: L.T.tensor(None)),
    ("tensor_of_str", lambda L: L.T.tensor("abc")),
    ("arange_step_zero", lambda L: L.T.arange(0, 3, 0)),
    ("one_hot_negative", lambda L: L.F.one_hot(L.T.tensor([-1]), 3)),
    ("ce_bool_target", lambda L: L.F.cross_entropy(_f(L, 2, 3), L.T.tensor([True, False]))),
    ("ce_kdim_target_shape", lambda L: L.F.cross_entropy(_f(L, 2, 3, 4), L.T.zeros(2, 3, dtype=L.T.int64))),
    ("ce_probs_wrong_shape", lambda L: L.F.cross_entropy(_f(L, 2, 3), _f(L, 2, 4))),
    ("linear_int_input", lambda L: L.nn.Linear(2, 1)(L.T.tensor([[1, 2]]))),
]


def _twice(L):
    x = _f(L, 3, grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    y.backward()


@pytest.mark.parametrize("fn", [b for _, b in BAD], ids=[a for a, _ in BAD])
def test_bad_input_raises_like_torch(fn):
    mine, theirs = _raises(fn)
    if theirs is None:
        pytest.skip("torch accepts this input")  # pyneuro may still refuse it more strictly
    assert mine is not None, (
        f"pyneuro accepted input that torch refuses with {type(theirs).__name__}: {theirs}"
    )
    # torch's "kernel not implemented for 'Long'" is a NotImplementedError (a RuntimeError);
    # pyneuro's DTypeError for the same dtype problem is a RuntimeError too.
    expected = RuntimeError if type(theirs) is NotImplementedError else type(theirs)
    assert isinstance(mine, expected), (
        f"pyneuro raised {type(mine).__name__} ({mine}) where torch raises {type(theirs).__name__} ({theirs})"
    )
    assert str(mine), "the message must say what is wrong"


def test_create_graph_through_an_op_without_a_rule_is_refused_clearly():
    """An op whose backward cannot be differentiated again says so (never a wrong answer)."""
    a = pn.ones(2, requires_grad=True)
    y = pn.distributions.Gamma(a, 1.0).rsample()  # (torch cannot differentiate it twice either)
    with pytest.raises(NotImplementedError, match="create_graph"):
        y.sum().backward(create_graph=True)
    assert a.grad is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_vectors_have_zero_gradients_like_torch(dtype):
    """norm/std/normalize/cosine_similarity of an all-zero row: finite (zero) gradients."""

    def fn(L, x, y):
        z = x * (L.T.arange(4) > 0).to(x.dtype).unsqueeze(1)  # row 0 is all zeros
        return (
            L.F.normalize(z, dim=1),
            L.F.cosine_similarity(z, y),
            z.norm(dim=1),
            z[:1].std(dim=1),
            z[:1].norm(),
            L.F.pairwise_distance(z, z),
        )

    run_case(fn, [("n", (4, 3)), ("n", (4, 3))], dtype)


def test_autograd_grad_matches_torch_and_leaves_grads_alone():
    r = np.random.default_rng(7)
    x, w = r.standard_normal((4, 3)).astype(np.float32), r.standard_normal((3, 2)).astype(np.float32)
    got, want = [], []
    for lib, out in ((PN, got), (TORCH, want)):
        xt, wt = lib.T.tensor(x, requires_grad=True), lib.T.tensor(w, requires_grad=True)
        h = xt @ wt
        loss = (h.tanh() ** 2).mean()
        out.extend(lib.T.autograd.grad(loss, [wt, h], retain_graph=True))
        out.append(xt.grad)  # untouched: None
        out.extend(lib.T.autograd.grad([h.sum(), loss], xt))
        with pytest.raises(RuntimeError):
            lib.T.autograd.grad((wt * 2).sum(), [wt, lib.T.ones(2, requires_grad=True)])  # unused input
    assert got[2] is None and want[2] is None
    assert_same([g for g in got if g is not None], [g for g in want if g is not None], 1e-5)


# ----------------------------------------------------------------------------- random programs


def _random_shapes(r):
    """Two shapes that broadcast: random rank 0-4, sizes 0-4, some dims stretched from 1."""
    nd = int(r.integers(0, 5))
    base = [int(r.integers(1, 5)) for _ in range(nd)]
    if nd and r.random() < 0.15:
        base[int(r.integers(0, nd))] = 0
    a = [1 if r.random() < 0.3 else n for n in base]
    b = [1 if r.random() < 0.3 else n for n in base][int(r.integers(0, nd + 1)) :]
    return tuple(a), tuple(b)


_RANDOM_BINARY = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b * 0.5,
    lambda a, b: a / (b.abs() + 1),
    lambda a, b: (a.abs() + 0.5) ** b.tanh(),
]
_RANDOM_UNARY = [
    lambda x: x.exp(),
    lambda x: x.sigmoid(),
    lambda x: x.tanh(),
    lambda x: x.relu(),
    lambda x: x.abs(),
    lambda x: x * x,
    lambda x: x.clamp(-0.3, 0.6),
]


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_match_torch(seed):
    """A random chain: broadcast binary op -> unary op -> reduction over random dims (keepdim or
    not) -> softmax/log_softmax over a random dim where one is left; values and gradients."""
    r = np.random.default_rng(1000 + seed)
    sa, sb = _random_shapes(r)
    binary = _RANDOM_BINARY[int(r.integers(len(_RANDOM_BINARY)))]
    unary = _RANDOM_UNARY[int(r.integers(len(_RANDOM_UNARY)))]
    nd = max(len(sa), len(sb))
    dims = tuple(sorted({int(d) - nd for d in r.integers(0, nd, size=int(r.integers(1, 3)))})) if nd else None
    keep = bool(r.random() < 0.5)
    reduce_name = ["sum", "mean", "amax"][int(r.integers(3))]
    dt = "float64" if seed % 3 == 0 else "float32"

    def fn(L, a, b):
        y = unary(binary(a, b))
        if reduce_name == "amax" and (0 in y.shape or dims is None):
            reduce = y.sum(dim=dims, keepdim=keep) if dims is not None else y.sum()
        elif reduce_name == "amax":
            reduce = y.amax(dim=dims, keepdim=keep)
        else:
            reduce = (
                getattr(y, reduce_name)(dim=dims, keepdim=keep)
                if dims is not None
                else getattr(y, reduce_name)()
            )
        if reduce.ndim and 0 not in reduce.shape:
            return reduce, L.F.log_softmax(reduce, dim=-1) * L.F.softmax(reduce, dim=0)
        return reduce

    kinds = [("n", sa), ("n", sb)]
    run_case(fn, kinds, dt, seed=seed)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_stats_match_torch(momentum):
    pm, tm = _module_pair(
        lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4, momentum=momentum))
    )
    r = np.random.default_rng(8)
    for step in range(3):
        x = r.standard_normal((5, 3)).astype(np.float32) * (step + 1)
        op, ot = pm(pn.tensor(x)), tm(torch.tensor(x))
        assert_same(op, ot, 1e-5)
    sd_p, sd_t = pm.state_dict(), tm.state_dict()
    assert list(sd_p) == list(sd_t)
    for k in sd_t:
        assert_same(sd_p[k], sd_t[k], 1e-5, k)
    x = r.standard_normal((2, 3)).astype(np.float32)
    assert_same(pm.eval()(pn.tensor(x)), tm.eval()(torch.tensor(x)), 1e-5)
    with pytest.raises(ValueError):
        pm.train()(pn.ones(1, 3))  # one value per channel: torch's ValueError too


def test_module_dict_like_torch():
    for L in (PN, TORCH):
        d = L.nn.ModuleDict({"enc": L.nn.Linear(2, 3), "dec": L.nn.Linear(3, 2)})
        d["act"] = L.nn.ReLU()
        assert list(d) == ["enc", "dec", "act"] and len(d) == 3 and "enc" in d
        assert [n for n, _ in d.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
