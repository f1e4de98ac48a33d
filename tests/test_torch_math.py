"""The elementwise math of functions_math.py / _tensor_math.py / special.py, side by side with torch:
values, gradients (at the awkward points torch defines), dtypes, broadcasting, in-place forms, errors."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # (force: torch's gradients may be lazy ZeroTensors)
    return t.detach().cpu().numpy()


def assert_same(p, t, rtol=1e-5, atol=1e-6):
    """pyneuro's p equals torch's t: dtype, shape, values (NaN where torch has NaN, infinities equal)."""
    a, b = _np(p), _np(t)
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (p.dtype, t.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(
        a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True
    )


def run_both(fn_name, arrays, *args, source=None, rtol=1e-5, atol=1e-6, grad=True, **kwargs):
    """Call pn.<fn_name> and torch.<fn_name> on the arrays (tensors; floats require grad), compare the
    results and the gradients of sum(out * w) for a fixed w."""
    pts = [pn.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    tts = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    p = getattr(source or pn, fn_name)(*pts, *args, **kwargs)
    t = getattr(getattr(torch, source.__name__.split(".")[-1]) if source else torch, fn_name)(
        *tts, *args, **kwargs
    )
    assert_same(p, t, rtol, atol)
    if grad and t.requires_grad:
        w = np.random.default_rng(0).uniform(0.5, 1.0, tuple(t.shape)).astype(_np(t).dtype)
        (p * pn.tensor(w)).sum().backward()
        (t * torch.tensor(w)).sum().backward()
        for pt, tt in zip(pts, tts):
            if tt.requires_grad:
                assert (pt.grad is None) == (tt.grad is None)
                if tt.grad is not None:
                    assert_same(pt.grad, tt.grad, rtol, atol)
    return p


# ----------------------------------------------------------------------------- unary
_X = np.array([-3.5, -1.2, -0.5, -0.0, 0.0, 0.3, 0.9, 1.0, 2.0, 4.7, 12.0], dtype=np.float32)
_UNIT = np.array([-0.999, -0.7, -0.2, 0.0, 0.1, 0.5, 0.75, 0.9999], dtype=np.float32)
_POS = np.array([0.01, 0.3, 0.5, 1.0, 1.5, 2.0, 3.3, 10.0, 150.0], dtype=np.float32)
_ABOVE1 = np.array([1.001, 1.2, 2.0, 9.0, 100.0], dtype=np.float32)
_EDGES = np.array([NAN, INF, -INF], dtype=np.float32)

UNARY_DOMAINS = {
    "tan": _UNIT,
    "asin": _UNIT,
    "arcsin": _UNIT,
    "acos": _UNIT,
    "arccos": _UNIT,
    "atan": _X,
    "arctan": _X,
    "sinh": _X,
    "cosh": _X,
    "asinh": _X,
    "arcsinh": _X,
    "acosh": _ABOVE1,
    "arccosh": _ABOVE1,
    "atanh": _UNIT,
    "arctanh": _UNIT,
    "sinc": _X,
    "exp2": _X,
    "frac": _X,
    "erf": _X,
    "erfc": _X,
    "erfinv": _UNIT,
    "lgamma": np.concatenate([_POS, [-0.5, -1.5, -2.7]]).astype(np.float32),
    "digamma": np.concatenate([_POS, [-0.5, -1.5, -2.7]]).astype(np.float32),
    "i0": _X,
    "logit": np.array([0.01, 0.2, 0.5, 0.9, 0.999], dtype=np.float32),
    "deg2rad": _X,
    "rad2deg": _X,
    "reciprocal": _POS,
    "rsqrt": _POS,
    "expm1": _X,
    "log2": _POS,
    "log10": _POS,
    "square": _X,
    "absolute": _X,
    "negative": _X,
    "sgn": _X,
    "fix": _X,
    "nan_to_num": np.concatenate([_X, _EDGES]).astype(np.float32),
}


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_values_and_gradients(name, dtype):
    x = UNARY_DOMAINS[name].astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-12)
    if name in ("lgamma", "digamma", "i0"):  # torch's own float64 series are accurate to ~1e-10 near zeros
        tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-8, atol=1e-9)
    run_both(name, [x], **tol)
    # the method form gives the same
    assert_same(getattr(pn.tensor(x), name)(), getattr(torch.tensor(x), name)(), **tol)


@pytest.mark.parametrize(
    "name", ["tan", "erf", "erfinv", "lgamma", "digamma", "sinc", "exp2", "atanh", "i0", "logit"]
)
def test_unary_integer_input_gives_float32(name):
    x = np.array([0, 1, 2, -1], dtype=np.int64)
    p, t = getattr(pn, name)(pn.tensor(x)), getattr(torch, name)(torch.tensor(x))
    assert p.dtype == pn.float32
    assert_same(p, t)
    assert getattr(pn, name)(pn.tensor([True, False])).dtype == pn.float32


def test_unary_edge_values():
    edges = np.array([NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 1e-30, -1e-30], dtype=np.float64)
    for name in ["erf", "erfc", "erfinv", "lgamma", "digamma", "sinc", "tan", "atanh", "logit", "i0", "frac"]:
        for dtype in (np.float32, np.float64):
            x = edges.astype(dtype)
            assert_same(
                getattr(pn, name)(pn.tensor(x)), getattr(torch, name)(torch.tensor(x)), rtol=1e-6, atol=1e-6
            )


def test_special_functions_accuracy_against_torch_float64():
    x = np.linspace(-9.5, 9.5, 4001)
    for name in ("erf", "erfc"):
        assert_same(
            getattr(pn, name)(pn.tensor(x)), getattr(torch, name)(torch.tensor(x)), rtol=1e-14, atol=1e-16
        )
    y = np.concatenate([np.linspace(-1, 1, 4001)[1:-1], [1 - 1e-12, -1 + 1e-12]])
    assert_same(pn.erfinv(pn.tensor(y)), torch.erfinv(torch.tensor(y)), rtol=1e-12, atol=1e-14)
    z = np.concatenate([np.linspace(-20.3, 30.3, 2001), [1e5, 1e-8]])
    assert_same(pn.lgamma(pn.tensor(z)), torch.lgamma(torch.tensor(z)), rtol=1e-11, atol=1e-11)
    assert_same(pn.digamma(pn.tensor(z)), torch.digamma(torch.tensor(z)), rtol=1e-11, atol=1e-11)
    # float32: erf to ~1 ulp; erfinv near +-1 too
    x32 = np.linspace(-5, 5, 100001, dtype=np.float32)
    assert_same(pn.erf(pn.tensor(x32)), torch.erf(torch.tensor(x32)), rtol=0, atol=2e-7)
    u32 = np.linspace(-1, 1, 100001, dtype=np.float32)[1:-1]
    assert_same(pn.erfinv(pn.tensor(u32)), torch.erfinv(torch.tensor(u32)), rtol=3e-7, atol=1e-7)


def test_logit_eps_gradient_and_nan_to_num_options():
    x = np.array([0.0, 0.1, 0.5, 0.95, 1.0, -1.0, 2.0], dtype=np.float32)
    run_both("logit", [x], eps=0.2)
    run_both("logit", [x[1:4]])
    y = np.array([NAN, INF, -INF, 1.5], dtype=np.float32)
    run_both("nan_to_num", [y], nan=1.0, posinf=2.0, neginf=-3.0)
    run_both("nan_to_num", [y.astype(np.float16)], grad=False)
    assert_same(pn.nan_to_num(pn.tensor([1, 2])), torch.nan_to_num(torch.tensor([1, 2])))


def test_unary_dtype_and_error_rules():
    i = pn.tensor([1, -2, 3])
    ti = torch.tensor([1, -2, 3])
    for name in ("sgn", "square", "negative", "absolute", "fix", "positive", "nan_to_num"):
        assert_same(getattr(pn, name)(i), getattr(torch, name)(ti))
    assert_same(pn.square(pn.tensor([True, False])), torch.square(torch.tensor([True, False])))
    assert_same(pn.sgn(pn.tensor([True, False])), torch.sgn(torch.tensor([True, False])))
    with pytest.raises(NotImplementedError):
        pn.frac(i)
    with pytest.raises(RuntimeError):
        pn.positive(pn.tensor([True]))
    with pytest.raises(TypeError):
        pn.tan(1.0)
    assert pn.tan(input=pn.tensor([0.5])).shape == (1,)


def test_signbit_and_inf_tests():
    x = np.array([-0.0, 0.0, -1.0, 2.0, NAN, -NAN, INF, -INF], dtype=np.float32)
    for name in ("signbit", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal"):
        assert_same(getattr(pn, name)(pn.tensor(x)), getattr(torch, name)(torch.tensor(x)))
        assert_same(getattr(pn, name)(pn.tensor([1, -2])), getattr(torch, name)(torch.tensor([1, -2])))
        assert_same(getattr(pn.tensor(x), name)(), getattr(torch.tensor(x), name)())


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma(n):
    x = np.array([-2.5, -0.3, 0.2, 0.5, 1.0, 3.7, 25.0], dtype=np.float64)
    tol = dict(rtol=1e-9, atol=1e-9) if n != 1 else dict(rtol=1e-8, atol=1e-8)  # torch's trigamma: ~1e-10
    p, t = pn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yp, yt = pn.polygamma(n, p), torch.polygamma(n, t)
    assert_same(yp, yt, **tol)
    yp.sum().backward()
    yt.sum().backward()
    assert_same(p.grad, t.grad, rtol=1e-7, atol=1e-7)
    assert_same(pn.tensor(x.astype(np.float32)).polygamma(n), torch.tensor(x.astype(np.float32)).polygamma(n))
    assert_same(pn.special.polygamma(n, pn.tensor([1, 2])), torch.special.polygamma(n, torch.tensor([1, 2])))


def test_mvlgamma_angle_frexp_conj():
    x = np.array([2.5, 3.0, 7.25], dtype=np.float32)
    run_both("mvlgamma", [x], p=3)
    run_both("angle", [np.array([-1.0, 0.0, 2.0, NAN], dtype=np.float32)])
    assert_same(pn.angle(pn.tensor([-1, 2])), torch.angle(torch.tensor([-1, 2])))
    y = np.array([8.0, 0.3, -5.0, 0.0], dtype=np.float32)
    y = np.concatenate([y, [1e-40, INF]]).astype(np.float32)
    px, tx = pn.tensor(y, requires_grad=True), torch.tensor(y, requires_grad=True)
    (pm, pe), (tm, te) = pn.frexp(px), torch.frexp(tx)
    assert_same(pm, tm)
    assert_same(pe, te)
    pm.sum().backward()
    tm.sum().backward()
    assert_same(px.grad, tx.grad)  # grad / 2^exponent
    with pytest.raises(RuntimeError):
        pn.frexp(pn.tensor([1, 2]))
    t = pn.tensor(x)
    assert pn.conj(t) is t and t.resolve_conj() is t and not t.is_conj() and not pn.is_neg(t)
    assert_same(pn.special.zeta(pn.tensor([2.0, 3.0, 2.0]), pn.tensor([1.0, -1.5, -2.0])),
                torch.special.zeta(torch.tensor([2.0, 3.0, 2.0]), torch.tensor([1.0, -1.5, -2.0])))  # fmt: skip
    assert_same(pn.special.multigammaln(pn.tensor(x), 2), torch.special.multigammaln(torch.tensor(x), 2))


# ----------------------------------------------------------------------------- binary
_A = np.array([0.0, 0.0, -1.0, 3.0, -2.0, 1.5, 0.0, 2.0, -0.5], dtype=np.float32)
_B = np.array([0.0, -0.0, -0.0, 0.0, -3.0, 1.5, 2.0, -1.0, 4.0], dtype=np.float32)


@pytest.mark.parametrize(
    "name", ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "copysign", "xlogy"]
)
def test_binary_at_awkward_points(name):
    run_both(name, [_A, _B])
    run_both(name, [_A.astype(np.float64), _B.astype(np.float64)], rtol=1e-12, atol=1e-14)


def test_fmax_fmin_nan_and_ties():
    a = np.array([NAN, 1.0, NAN, 2.0, 3.0], dtype=np.float32)
    b = np.array([1.0, NAN, NAN, 2.0, -3.0], dtype=np.float32)
    for name in ("fmax", "fmin"):
        run_both(name, [a, b])
        assert_same(
            getattr(pn, name)(pn.tensor([1, 5]), pn.tensor([3, 2])),
            getattr(torch, name)(torch.tensor([1, 5]), torch.tensor([3, 2])),
        )


def test_xlogy_and_logaddexp_infinities():
    a = np.array([0.0, 0.0, 2.0, -INF, INF, -INF], dtype=np.float32)
    b = np.array([0.0, NAN, -1.0, -INF, INF, 1.0], dtype=np.float32)
    run_both("xlogy", [a[:3], b[:3]])
    run_both("logaddexp", [a[3:], b[3:]])
    assert_same(pn.xlogy(2, pn.tensor([3.0])), torch.xlogy(2, torch.tensor([3.0])))
    assert_same(
        pn.xlogy(pn.tensor([2, 0]), pn.tensor([3, 0])),
        torch.xlogy(torch.tensor([2, 0]), torch.tensor([3, 0])),
    )


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("lib_name", ["xlogy", "xlog1py"])
@pytest.mark.parametrize("y", [[-0.5, -0.5], [-2.0, -2.0], [0.0, 0.0], [NAN, 2.0]])
def test_xlogy_gradient_of_an_element_not_used_is_zero(lib_name, y, create_graph):
    """Silent before: x's gradient was g * log(y), so an element indexed away (g = 0) where log(y)
    is NaN or -inf took NaN back; torch's is xlogy(g, y), 0 wherever g is 0 (y not NaN)."""
    grads = []
    for lib in (pn, torch):
        f = getattr(lib, lib_name) if lib_name == "xlogy" else lib.special.xlog1py
        x = lib.tensor([0.4, 0.4], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(f(x, lib.tensor(y, dtype=lib.float64))[0], x, create_graph=create_graph)
        grads.append(g)
    assert_same(*grads)


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_fmod_remainder(name):
    a = np.array([5.5, -5.5, 3.0, -3.0, 0.5], dtype=np.float32)
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.25], dtype=np.float32)
    run_both(name, [a, b])
    run_both(name, [a], 1.5)
    ia, ib = np.array([5, -5, 7, -7]), np.array([3, 3, -2, -2])
    run_both(name, [ia, ib])
    with pytest.raises(RuntimeError):
        getattr(pn, name)(pn.tensor([5, 1]), pn.tensor([0, 1]))
    with pytest.raises(ZeroDivisionError):
        getattr(pn, name)(pn.tensor([5, 1]), 0)
    assert_same(pn.remainder(-5, pn.tensor([3])), torch.remainder(-5, torch.tensor([3])))


def test_broadcasting_and_python_scalars():
    a = np.random.default_rng(1).uniform(0.5, 2.0, (3, 1, 4)).astype(np.float32)
    b = np.random.default_rng(2).uniform(0.5, 2.0, (2, 1)).astype(np.float32)
    for name in (
        "atan2",
        "hypot",
        "xlogy",
        "logaddexp",
        "fmax",
        "copysign",
        "fmod",
        "remainder",
        "float_power",
    ):
        run_both(name, [a, b], rtol=1e-5, atol=1e-5)
    for name in ("xlogy", "copysign", "fmod", "remainder", "float_power", "add", "sub", "mul", "div"):
        run_both(name, [a], 2.5)
    with pytest.raises(RuntimeError):
        pn.atan2(pn.ones(3), pn.ones(4))
    for name in ("atan2", "hypot", "fmax", "logaddexp", "logical_and", "nextafter"):
        with pytest.raises(TypeError):
            getattr(pn, name)(pn.ones(2), 2)
        with pytest.raises(TypeError):
            getattr(pn.ones(2), name)(2)


def test_float_promotion_rules():
    i, f64 = pn.tensor([1, 2]), pn.tensor([1.0, 2.0], dtype=pn.float64)
    assert pn.atan2(i, i).dtype == pn.float32
    assert pn.atan2(f64, pn.tensor([1.0, 1.0])).dtype == pn.float64
    assert pn.float_power(i, 2).dtype == pn.float64
    assert pn.float_power(2, pn.tensor([1.0])).dtype == pn.float64
    assert pn.fmod(i, 2).dtype == pn.int64
    assert pn.copysign(i, -1).dtype == pn.float32
    with pytest.raises(NotImplementedError):
        pn.hypot(i, i)
    with pytest.raises(NotImplementedError):
        pn.nextafter(i, i)


def test_float_power_and_ldexp():
    a = np.array([0.5, 1.0, 2.0, 3.0], dtype=np.float32)
    b = np.array([2.0, -1.0, 0.5, 3.0], dtype=np.float32)
    run_both("float_power", [a, b], rtol=1e-12, atol=1e-12)
    run_both("float_power", [a], 3, rtol=1e-12)
    run_both("ldexp", [a, np.array([1.0, 2.0, -1.0, 0.0], dtype=np.float32)])
    assert_same(
        pn.ldexp(pn.tensor(a), pn.tensor([1, 2, -1, 0])),
        torch.ldexp(torch.tensor(a), torch.tensor([1, 2, -1, 0])),
    )
    with pytest.raises(RuntimeError):
        pn.tensor([1.0]).float_power_(2)
    x = pn.tensor([2.0], dtype=pn.float64)
    x.float_power_(3)
    assert x.item() == 8.0


def test_nextafter_and_heaviside():
    a = np.array([1.0, 0.0, -1.0], dtype=np.float32)
    b = np.array([2.0, -1.0, -1.0], dtype=np.float32)
    run_both("nextafter", [a, b], rtol=0, atol=0)  # the gradient passes where input moved
    run_both("nextafter", [a, a], rtol=0, atol=0)
    v = np.array([0.5, 0.5, 0.5], dtype=np.float32)
    x = np.array([-1.0, 0.0, 2.0], dtype=np.float32)
    assert_same(pn.heaviside(pn.tensor(x), pn.tensor(v)), torch.heaviside(torch.tensor(x), torch.tensor(v)))
    with pytest.raises(RuntimeError):
        pn.heaviside(pn.tensor(x), pn.tensor([1, 1, 1]))


# ----------------------------------------------------------------------------- arithmetic
def test_div_rounding_modes():
    a = np.array([5.0, -5.0, 7.5, -7.5, 1.0], dtype=np.float32)
    b = np.array([2.0, 2.0, -2.0, 0.1, 3.0], dtype=np.float32)
    for mode in (None, "trunc", "floor"):
        run_both("div", [a, b], rounding_mode=mode)
        run_both("divide", [a], 2, rounding_mode=mode)
    ia, ib = np.array([5, -5, 7, -7, 0]), np.array([2, 2, -2, -2, 3])
    for mode in ("trunc", "floor"):
        run_both("div", [ia, ib], rounding_mode=mode)
        with pytest.raises(RuntimeError):
            pn.div(pn.tensor(ia), 0, rounding_mode=mode)
    run_both("div", [ia, ib])  # true division of integers: float32
    run_both("floor_divide", [a, b], grad=False)
    for lib in (pn, torch):  # in the graph, but without a derivative
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            lib.floor_divide(lib.tensor(a, requires_grad=True), 2.0).sum().backward()
    run_both("true_divide", [a, b])
    with pytest.raises(RuntimeError):
        pn.div(pn.tensor(a), 2, rounding_mode="round")
    t = pn.tensor(a).divide(2.0, rounding_mode="floor")
    assert_same(t, torch.tensor(a).divide(2.0, rounding_mode="floor"))


def test_add_sub_rsub_mul_keywords():
    a = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    b = np.array([0.5, 4.0, -1.0], dtype=np.float32)
    run_both("add", [a, b], alpha=2)
    run_both("sub", [a, b], alpha=0.5)
    run_both("subtract", [a, b])
    run_both("rsub", [a, b], alpha=3)
    run_both("rsub", [a], 2)
    run_both("mul", [a, b])
    run_both("multiply", [a], 3)
    assert_same(pn.add(2, pn.tensor(a)), torch.add(2, torch.tensor(a)))
    assert_same(
        pn.add(input=pn.tensor(a), other=pn.tensor(b)),
        torch.add(input=torch.tensor(a), other=torch.tensor(b)),
    )
    with pytest.raises(RuntimeError):
        pn.add(pn.tensor([1]), pn.tensor([2]), alpha=2.5)
    with pytest.raises(RuntimeError):
        pn.sub(pn.tensor([True]), pn.tensor([True]))


def test_lerp_addcmul_addcdiv():
    rng = np.random.default_rng(3)
    s, e = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((3,)).astype(np.float32)
    w = np.array([0.0, 0.3, 1.0], dtype=np.float32)
    run_both("lerp", [s, e, w])
    run_both("lerp", [s, e], 0.75)
    run_both("lerp", [s, e], weight=1.0)
    t1, t2 = rng.standard_normal((2, 1)).astype(np.float32), rng.uniform(1, 2, (3,)).astype(np.float32)
    run_both("addcmul", [s, t1, t2], value=0.5)
    run_both("addcdiv", [s, t1, t2], value=-2)
    run_both("addcmul", [np.array([1]), np.array([2]), np.array([3])], value=2)
    with pytest.raises(RuntimeError):
        pn.addcdiv(pn.tensor([1]), pn.tensor([1]), pn.tensor([1]))
    with pytest.raises(RuntimeError):
        pn.lerp(pn.tensor([1.0]), pn.tensor([2.0]), pn.tensor([0.5], dtype=pn.float64))
    with pytest.raises(NotImplementedError):
        pn.lerp(pn.tensor([1]), pn.tensor([2]), 0.5)
    assert_same(pn.tensor(s).lerp(pn.tensor(e), 0.5), torch.tensor(s).lerp(torch.tensor(e), 0.5))


# ----------------------------------------------------------------------------- comparisons, logical, bitwise
def test_comparisons():
    a = np.array([[1.0, 2.0, NAN]], dtype=np.float32)
    b = np.array([[2.0], [1.0]], dtype=np.float32)
    for name in (
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "greater",
        "greater_equal",
        "less",
        "less_equal",
        "not_equal",
    ):
        assert_same(
            getattr(pn, name)(pn.tensor(a), pn.tensor(b)),
            getattr(torch, name)(torch.tensor(a), torch.tensor(b)),
        )
        assert_same(getattr(pn, name)(pn.tensor(a), 1), getattr(torch, name)(torch.tensor(a), 1))
        assert_same(
            getattr(pn.tensor(a), name)(pn.tensor(b)), getattr(torch.tensor(a), name)(torch.tensor(b))
        )
        with pytest.raises(TypeError):
            getattr(pn, name)(1, pn.tensor(a))


def test_logical_ops():
    a, b = np.array([1.0, 0.0, -2.0, 0.0], dtype=np.float32), np.array([3, 0, 0, 5])
    for name in ("logical_and", "logical_or", "logical_xor"):
        assert_same(
            getattr(pn, name)(pn.tensor(a), pn.tensor(b)),
            getattr(torch, name)(torch.tensor(a), torch.tensor(b)),
        )
    assert_same(pn.logical_not(pn.tensor(a)), torch.logical_not(torch.tensor(a)))


def test_bitwise_ops_and_shifts():
    a, b = np.array([12, -7, 5, 0]), np.array([10, 3, -1, 7])
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        assert_same(
            getattr(pn, name)(pn.tensor(a), pn.tensor(b)),
            getattr(torch, name)(torch.tensor(a), torch.tensor(b)),
        )
        assert_same(getattr(pn, name)(pn.tensor(a), 6), getattr(torch, name)(torch.tensor(a), 6))
        assert_same(getattr(pn, name)(6, pn.tensor(a)), getattr(torch, name)(6, torch.tensor(a)))
        bools = (pn.tensor([True, False]), pn.tensor([True, True]))
        assert_same(
            getattr(pn, name)(*bools),
            getattr(torch, name)(torch.tensor([True, False]), torch.tensor([True, True])),
        )
        with pytest.raises(NotImplementedError):
            getattr(pn, name)(pn.tensor([1.0]), pn.tensor([1.0]))
    assert_same(pn.bitwise_not(pn.tensor(a)), torch.bitwise_not(torch.tensor(a)))
    assert_same(pn.bitwise_not(pn.tensor([True, False])), torch.bitwise_not(torch.tensor([True, False])))
    with pytest.raises(NotImplementedError):
        pn.bitwise_not(pn.tensor([1.0]))
    s = np.array([0, 1, 3, 63, 64, 70, -1])
    v = np.array([1, -8, 5, 1, 3, -3, 9])
    for name in ("bitwise_left_shift", "bitwise_right_shift"):
        assert_same(
            getattr(pn, name)(pn.tensor(v), pn.tensor(s)),
            getattr(torch, name)(torch.tensor(v), torch.tensor(s)),
        )
        assert_same(getattr(pn, name)(pn.tensor(v), 2), getattr(torch, name)(torch.tensor(v), 2))
    v8 = np.array([5, -128, 127], dtype=np.int8)
    assert_same(pn.bitwise_left_shift(pn.tensor(v8), 7), torch.bitwise_left_shift(torch.tensor(v8), 7))
    assert_same(pn.gcd(pn.tensor(a), pn.tensor(b)), torch.gcd(torch.tensor(a), torch.tensor(b)))
    assert_same(pn.lcm(pn.tensor(a), pn.tensor(b)), torch.lcm(torch.tensor(a), torch.tensor(b)))


# ----------------------------------------------------------------------------- in place
@pytest.mark.parametrize(
    "name, args",
    [
        ("tan_", ()), ("erf_", ()), ("erfinv_", ()), ("sigmoid_", ()), ("exp_", ()), ("log1p_", ()),
        ("atan2_", ("o",)), ("xlogy_", ("o",)), ("hypot_", ("o",)), ("fmod_", (0.3,)), ("remainder_", ("o",)),
        ("lerp_", ("o", 0.3)), ("addcmul_", ("o", "o")), ("addcdiv_", ("o", "o")), ("clamp_min_", (0.2,)),
        ("nan_to_num_", ()), ("logit_", ()), ("square_", ()), ("copysign_", (-1.0,)), ("rsqrt_", ()),
        ("divide_", ("o",)), ("lgamma_", ()), ("sinc_", ()), ("frac_", ()), ("deg2rad_", ()), ("polygamma_", (2,)),
        ("digamma_", ()), ("i0_", ()), ("mvlgamma_", (1,)),
    ],
)  # fmt: skip
def test_inplace_forms_values_and_gradients(name, args):
    x = np.array([0.1, 0.4, 0.7], dtype=np.float32)
    o = np.array([0.9, 0.25, 0.5], dtype=np.float32)
    results = []
    for lib in (pn, torch):
        leaf = lib.tensor(x, requires_grad=True)
        other = lib.tensor(o, requires_grad=True)
        y = leaf * 1.0
        out = getattr(y, name)(*[other if a == "o" else a for a in args])
        assert out is y
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results.append((y, leaf.grad, other.grad))
    (py, pg, pog), (ty, tg, tog) = results
    assert_same(py, ty)
    assert_same(pg, tg)
    assert (pog is None) == (tog is None)
    if tog is not None:
        assert_same(pog, tog)


def test_inplace_rules():
    leaf = pn.tensor([0.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.tan_()
    with pn.no_grad():
        leaf.tan_()
    assert abs(leaf.item() - np.tan(0.5)) < 1e-6
    t = pn.tensor([1.0, 2.0])
    v = t._version
    t.atan2_(pn.tensor([1.0, 1.0]))
    assert t._version == v + 1
    with pytest.raises(RuntimeError, match="can't be cast"):
        pn.tensor([1, 2]).sqrt_()
    with pytest.raises(RuntimeError, match="can't be cast"):
        pn.tensor([1, 2]).tan_()
    with pytest.raises(RuntimeError):  # the result would need a bigger shape
        pn.tensor([1.0, 2.0]).hypot_(pn.ones(2, 2))
    f = pn.tensor([1.0, 0.0, 3.0])
    f.eq_(1.0)
    assert f.tolist() == [1.0, 0.0, 0.0] and f.dtype == pn.float32
    f.logical_or_(pn.tensor([0, 0, 1]))
    assert f.tolist() == [1.0, 0.0, 1.0]
    i = pn.tensor([5, -5])
    i.floor_divide_(2)
    assert i.tolist() == [2, -3]
    i.bitwise_left_shift_(1)
    assert i.tolist() == [4, -6]
    # a saved tensor changed in place: torch's error at backward
    w = pn.tensor([0.5, 0.2], requires_grad=True)
    h = w * 1.0
    y = h.atan()
    h.tan_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    # a comparison in place on a tensor in the graph: a zero gradient, as torch
    w = pn.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    h.eq_(2)
    h.sum().backward()
    assert w.grad.tolist() == [0.0, 0.0]


def test_inplace_on_a_view():
    for lib in (pn, torch):
        w = lib.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
        h = w * 1.0
        h[0].erf_()
        (h * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        if lib is pn:
            pvals, pg = h, w.grad
        else:
            assert_same(pvals, h)
            assert_same(pg, w.grad)


# ----------------------------------------------------------------------------- shapes, special, names
def test_zero_dim_empty_and_non_contiguous():
    for name in ("erf", "tan", "lgamma", "sinc"):
        assert_same(getattr(pn, name)(pn.tensor(0.5)), getattr(torch, name)(torch.tensor(0.5)))
        assert_same(getattr(pn, name)(pn.zeros(0, 3)), getattr(torch, name)(torch.zeros(0, 3)))
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    p, t = pn.tensor(x).t(), torch.tensor(x).t()
    assert_same(pn.atan2(p, p + 1), torch.atan2(t, t + 1))
    assert_same(pn.erfinv(p / 2), torch.erfinv(t / 2))
    run_both("hypot", [np.float32(3.0) * np.ones((), np.float32), np.ones((2,), np.float32)])


def test_special_namespace():
    x = np.array([-2.0, -0.3, 0.0, 0.4, 1.7], dtype=np.float32)
    p = np.array([0.01, 0.3, 0.5, 0.9], dtype=np.float32)
    S = pn.special
    for name in ("expit", "erf", "erfc", "exp2", "expm1", "log1p", "sinc", "ndtr", "i0", "round", "entr"):
        run_both(name, [x], source=S)
    for name in ("logit", "erfinv", "ndtri"):
        run_both(name, [p], source=S)
    for name in ("gammaln", "digamma", "psi"):
        run_both(name, [np.abs(x) + 0.5], source=S)
    for name in ("xlogy", "xlog1py"):
        run_both(name, [x, np.abs(x)], source=S)
    m = np.random.default_rng(4).standard_normal((2, 3)).astype(np.float32)
    run_both("softmax", [m], 1, source=S)
    run_both("log_softmax", [m], 0, source=S)
    run_both("logsumexp", [m], 1, source=S)
    assert S.softmax(pn.tensor(m), 1, dtype=pn.float64).dtype == pn.float64
    assert inspect.unwrap(S.erf).__module__ == "pyneuro.functions_math" and S.gammaln.__name__ == "lgamma"


TORCH_NAMES = (
    "add sub subtract mul multiply div divide true_divide rsub neg negative positive absolute square reciprocal "
    "rsqrt expm1 exp2 log2 log10 frac fmod remainder floor_divide float_power tan asin arcsin acos arccos atan "
    "arctan atan2 arctan2 sinh cosh asinh arcsinh acosh arccosh atanh arctanh sinc hypot erf erfc erfinv lgamma "
    "digamma logit xlogy logaddexp logaddexp2 lerp addcmul addcdiv copysign heaviside fmax fmin nextafter "
    "deg2rad rad2deg sgn signbit nan_to_num clip clamp_min clamp_max isnan isinf isfinite isneginf isposinf "
    "isreal logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not "
    "bitwise_left_shift bitwise_right_shift eq ne lt le gt ge greater greater_equal less less_equal not_equal "
    "i0 fix ldexp gcd lcm polygamma mvlgamma angle frexp conj conj_physical resolve_conj resolve_neg is_conj is_neg"
).split()


def test_every_name_is_there_like_torch():
    t, tt = pn.zeros(2), torch.zeros(2)
    for name in TORCH_NAMES:
        assert hasattr(pn, name), name
        assert name in pn.__all__ or name in ("abs",), name
        if hasattr(tt, name):
            assert hasattr(t, name), name
        if hasattr(tt, name + "_"):
            assert hasattr(t, name + "_"), name + "_"


# ----------------------------------------------------------------------------- every dtype pair against torch
_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]
_BINARY_NAMES = (
    "add sub mul div true_divide floor_divide remainder fmod atan2 hypot xlogy logaddexp logaddexp2 copysign "
    "fmax fmin nextafter heaviside float_power eq ne lt greater_equal logical_and logical_xor bitwise_and "
    "bitwise_or bitwise_left_shift bitwise_right_shift gcd lcm ldexp rsub"
).split()


def _sample(dtype, shape, rng):
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(shape) * 2).astype(dtype)
    return rng.integers(1, 6, shape).astype(dtype)  # no zero divisors


def _outcome(fn):
    try:
        return fn()
    except Exception as exc:  # the exception is the outcome compared
        return exc


def _same_outcome(p, t, what):
    if isinstance(t, Exception) or isinstance(p, Exception):
        assert isinstance(t, Exception) and isinstance(p, type(t)), (what, p, t)
        return
    assert_same(p, t, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", _BINARY_NAMES)
def test_dtype_pairs_and_scalars_like_torch(name):
    """Result dtype, values, or the exception type torch raises, for every pair of dtypes and for Python scalars."""
    rng = np.random.default_rng(5)
    for d1 in _DTYPES:
        for d2 in _DTYPES:
            x, y = _sample(d1, (2, 3), rng), _sample(d2, (3,), rng)
            p = _outcome(lambda: getattr(pn, name)(pn.tensor(x), pn.tensor(y)))
            _same_outcome(
                p, _outcome(lambda: getattr(torch, name)(torch.tensor(x), torch.tensor(y))), (d1, d2)
            )
        for scalar in (2, 2.5, True):
            x = _sample(d1, (3,), rng)
            p = _outcome(lambda: getattr(pn, name)(pn.tensor(x), scalar))
            _same_outcome(p, _outcome(lambda: getattr(torch, name)(torch.tensor(x), scalar)), (d1, scalar))
            p = _outcome(lambda: getattr(pn, name)(scalar, pn.tensor(x)))
            _same_outcome(p, _outcome(lambda: getattr(torch, name)(scalar, torch.tensor(x))), (scalar, d1))


def test_clip_with_tensor_bounds():
    x = np.array([1.0, -2.0, 3.0, 0.5], dtype=np.float32)
    lo = np.array([0.0, 0.0, 4.0, 0.5], dtype=np.float32)
    hi = np.array([2.0], dtype=np.float32)
    run_both("clip", [x, lo, hi])
    run_both("clamp_min", [x, lo])
    run_both("clamp_max", [x, hi])
    run_both("clip", [x], -1.0, 2.0)
    for lib in (pn, torch):
        t = lib.tensor(x)
        t.clamp_max_(lib.tensor(lo))
        if lib is pn:
            got = t
    assert_same(got, t)


@pytest.mark.parametrize("name", ["i0", "i1", "i0e", "i1e", "erfcx", "log_ndtr", "ndtr", "ndtri"])
def test_special_bessel_erfcx_log_ndtr(name):
    x = np.concatenate([np.linspace(-45.0, 45.0, 181), [0.0, 1e-8, 100.0, -100.0]])
    if name == "ndtri":
        x = np.linspace(0.001, 0.999, 101)
    if name in ("i0", "i1"):
        x = x[np.abs(x) < 700]
    run_both(name, [x], source=pn.special, rtol=1e-9, atol=1e-12)
    x32 = x[
        (np.abs(x) <= 45) & (x > -20 if name == "log_ndtr" else True)
    ]  # torch's float32 log_ndtr' cancels there
    run_both(name, [x32.astype(np.float32)], source=pn.special, rtol=2e-5, atol=1e-6)
    edges = np.array([INF, -INF, NAN, 0.0], dtype=np.float64)
    if name != "ndtri":
        assert_same(
            getattr(pn.special, name)(pn.tensor(edges)), getattr(torch.special, name)(torch.tensor(edges))
        )


def test_keyword_names_like_torch():
    a = np.array([0.2, 0.5, 0.9], dtype=np.float32)
    b = np.array([0.3, 0.1, 0.7], dtype=np.float32)
    calls = [
        ("atan2", dict(input="a", other="b")),
        ("xlogy", dict(input="a", other="b")),
        ("lerp", dict(input="a", end="b", weight=0.25)),
        ("addcmul", dict(input="a", tensor1="a", tensor2="b", value=2)),
        ("addcdiv", dict(input="a", tensor1="a", tensor2="b", value=2)),
        ("heaviside", dict(input="a", values="b")),
        ("float_power", dict(input="a", exponent="b")),
        ("polygamma", dict(n=1, input="a")),
        ("clamp_min", dict(input="a", min=0.4)),
        ("clip", dict(input="a", min=0.3, max=0.6)),
        ("logit", dict(input="a", eps=0.25)),
        ("nan_to_num", dict(input="a", nan=0.0, posinf=1.0, neginf=-1.0)),
        ("div", dict(input="a", other="b", rounding_mode="floor")),
        ("add", dict(input="a", other="b", alpha=2)),
        ("mvlgamma", dict(input="a", p=1)),
        ("fmod", dict(input="a", other="b")),
        ("ldexp", dict(input="a", other="b")),
    ]
    for name, kwargs in calls:
        for lib in (pn, torch):
            args = {
                k: (lib.tensor(a if v == "a" else b) if v in ("a", "b") else v) for k, v in kwargs.items()
            }
            if lib is pn:
                got = getattr(pn, name)(**args)
            else:
                assert_same(got, getattr(torch, name)(**args))


def test_pow_by_3_and_by_tensor_exponents_round_as_torch():
    # x ** 3 is x * x * x to the last bit in torch (and -2 is 1 / (x * x)); tensor exponents are
    # computed in float64 and rounded once (the polynomial tutorial's x.unsqueeze(-1).pow(p))
    import math

    torch = pytest.importorskip("torch")
    results = []
    for lib in (pn, torch):
        x = lib.linspace(-math.pi, math.pi, 2000)
        p = lib.tensor([1, 2, 3])
        results.append(
            [(x**3).numpy(), (x**-2).numpy(), (x.double() ** 3).numpy(), x.unsqueeze(-1).pow(p).numpy()]
        )
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("eps", [0.6, 0.2, 1e-6])
def test_logit_clamps_as_torch_even_past_one_half(eps):
    """Silent before: logit's eps clamp was NumPy's clip, which for eps > 0.5 (lower bound above
    the upper) gave every element 1 - eps; torch's is x < eps ? eps : (x > 1 - eps ? 1 - eps : x)."""
    a = np.array([0.1, 0.5, 0.9, NAN, 0.0], dtype=np.float32)
    run_both("logit", [a], eps)


@pytest.mark.parametrize("op", ["addcmul", "addcdiv", "addcdiv_"])
@pytest.mark.parametrize("needs", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1)])
def test_addc_ops_saved_tensors_changed_in_place_raise_as_torchs(op, needs):
    # torch's AddcdivBackward0 saves tensor2 even when only input needs a gradient: changing it in
    # place before backward raises there (pyneuro's composition recorded no division then)
    def outcome(fw, changed):
        a, b, c = (
            fw.tensor(v, requires_grad=bool(n)) * 1
            for v, n in zip(([0.5, -1.0], [2.0, 3.0], [1.5, 2.5]), needs)
        )
        y = a.addcdiv_(b, c, value=2) if op == "addcdiv_" else getattr(fw, op)(a, b, c, value=2)
        (a, b, c)[changed].add_(1)
        try:
            y.sum().backward()
        except RuntimeError as e:
            assert "modified by an inplace operation" in str(e)
            return "raises"
        return "computes"

    for changed in range(3):
        if op == "addcdiv_" and changed == 0:
            continue  # (a is the result)
        assert outcome(pn, changed) == outcome(torch, changed), changed


@pytest.mark.parametrize("p", [1, 3, 17, 1000])
def test_mvlgamma_of_any_order_matches_torch(p):
    x = (np.random.default_rng(p).random((2, 3)) * 4 + p).astype(np.float32)
    a, b = (pn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True))
    ya, yb = pn.mvlgamma(a, p), torch.mvlgamma(b, p)
    ya.sum().backward()
    yb.sum().backward()
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4)


def test_mvlgamma_of_a_million_dimensions_answers_at_once():
    # torch adds lgamma over x - (p-1)/2, ..., x as one op; pyneuro's Python loop over p ran a
    # million lgamma ops (minutes: a hang)
    code = "import pyneuro as pn\nx = pn.full((2,), 1e6, requires_grad=True)\npn.mvlgamma(x, 10**6).sum().backward()\nprint(x.grad)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    want = torch.full((2,), 1e6, requires_grad=True)
    torch.mvlgamma(want, 10**6).sum().backward()
    assert done.returncode == 0, done
    got = [float(v) for v in done.stdout.split("[")[1].split("]")[0].split(",")]
    np.testing.assert_allclose(got, want.grad.numpy(), rtol=1e-4)
