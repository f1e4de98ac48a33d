"""Property-based tests (Hypothesis): the compiled kernels against the NumPy reference.

Hypothesis draws shapes, memory layouts (C-contiguous, transposed, sliced, negative-step and
misaligned views) and values with the special ones mixed in (+-inf, NaN, huge, tiny
denormals, -0.0) for matmul, softmax, log_softmax, cross-entropy and relu, and every other
available CPU backend (cpu, numba) must agree with the numpy backend, NaN for NaN.

max_examples is kept small so that the file runs in well under a minute; CI selects the
derandomized profile (HYPOTHESIS_PROFILE=pyneuro-ci, or CI set in the environment) so a
failure there reproduces exactly.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyneuro import backends

_COMMON = {
    "max_examples": 25,
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("pyneuro-dev", **_COMMON)
settings.register_profile("pyneuro-ci", derandomize=True, **_COMMON)
PROFILE = settings.get_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("pyneuro-ci" if os.environ.get("CI") else "pyneuro-dev")
)

OTHERS = [n for n in backends.BACKENDS if backends.BACKENDS[n][0] == "cpu" and n != "numpy"]
REF = backends.get("numpy")

SPECIAL = [np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-40, -1e-40, -0.0, 0.0]
LAYOUTS = ["c", "transposed", "sliced", "reversed", "misaligned"]


def _backend(name):
    status = backends.status(name)
    if not status.available:
        pytest.skip(f"backend unavailable: {status.reason}")
    return backends.get(name)


def _misaligned(a):
    buf = np.zeros(a.nbytes + 1, np.uint8)
    out = np.frombuffer(buf.data, a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    return out


def _layout(a, layout):
    """An array equal to a, laid out in memory as `layout` says."""
    if layout == "transposed":
        return np.ascontiguousarray(a.T).T
    if layout == "sliced":
        big = np.zeros((a.shape[0], 2 * a.shape[1] + 1), a.dtype)
        big[:, 1::2] = a
        return big[:, 1::2]
    if layout == "reversed":
        return np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1]
    if layout == "misaligned":
        return _misaligned(np.ascontiguousarray(a))
    return np.ascontiguousarray(a)


@st.composite
def matrices(draw, rows=None, cols=None, specials=SPECIAL, bound=30.0):
    """(array, layout): a float32 matrix with some special values, in one of the layouts."""
    r = rows if rows is not None else draw(st.integers(1, 40))
    c = cols if cols is not None else draw(st.integers(1, 70))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal((r, c)) * draw(st.sampled_from([0.1, 1.0, bound]))).astype(np.float32)
    if specials and draw(st.booleans()):
        n = draw(st.integers(1, max(1, r * c // 4)))
        a.flat[rng.integers(0, r * c, n)] = rng.choice(np.array(specials, np.float32), n)
    layout = draw(st.sampled_from(LAYOUTS))
    out = _layout(a, layout)
    assert np.array_equal(out, a, equal_nan=True)
    return out, layout


def _ref(fn, *args):
    with np.errstate(all="ignore"):  # inf - inf, 3e38 - (-3e38): the reference's NaN/inf are the spec
        return np.asarray(getattr(REF, fn)(*args))


def _close(got, want, rtol, atol, what):
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (what, got.shape, got.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("name", OTHERS)
@PROFILE
@given(data=st.data())
def test_matmul_matches_reference(name, data):
    bk = _backend(name)
    m, k, n = data.draw(st.integers(1, 40)), data.draw(st.integers(1, 70)), data.draw(st.integers(1, 40))
    # No huge finite values: whether 3e38 + 3e38 - 3e38 overflows depends on the summation order.
    # No denormals: the compiled kernels run with denormals-are-zero (runtime.cpp), so
    # 1e-40 * inf is 0 * inf = NaN there and inf in NumPy and torch (a known divergence).
    specials = [np.inf, -np.inf, np.nan, -0.0]
    ta, tb = data.draw(st.booleans()), data.draw(st.booleans())
    a, la = data.draw(matrices(*((k, m) if ta else (m, k)), specials=specials, bound=10.0))
    b, lb = data.draw(matrices(*((n, k) if tb else (k, n)), specials=specials, bound=10.0))
    want = _ref("matmul", a, b, ta, tb)
    scale = np.float32(k * 100 * 1e-6)  # |a| |b| <= ~100 per product: a float32 sum of k of them
    _close(bk.matmul(a, b, ta, tb), want, 1e-4, scale, f"{name} matmul {la}/{lb} ta={ta} tb={tb}")


@pytest.mark.parametrize("name", OTHERS)
@PROFILE
@given(xl=matrices(), variant=st.sampled_from([None, "online", "three_pass"]))
def test_softmax_and_log_softmax_match_reference(name, xl, variant):
    bk = _backend(name)
    x, layout = xl
    args = (x,) if variant is None else (x, variant)
    _close(bk.softmax_forward(*args), _ref("softmax_forward", x), 1e-5, 1e-6, f"{name} softmax {layout}")
    _close(
        bk.log_softmax_forward(x), _ref("log_softmax_forward", x), 1e-5, 1e-5, f"{name} log_softmax {layout}"
    )


@pytest.mark.parametrize("name", OTHERS)
@PROFILE
@given(xl=matrices(), seed=st.integers(0, 2**32 - 1))
def test_cross_entropy_matches_reference(name, xl, seed):
    bk = _backend(name)
    x, layout = xl
    rng = np.random.default_rng(seed)
    t = rng.integers(0, x.shape[1], x.shape[0])
    gl = rng.standard_normal(x.shape[0]).astype(np.float32)
    want = _ref("cross_entropy_forward", x, t)
    # log(sum) is O(log cols); the loss carries the row's scale through x[t] - max.
    atol = 1e-5 * (1 + np.nanmax(np.abs(np.where(np.isfinite(x), x, 0))))
    _close(bk.cross_entropy_forward(x, t), want, 1e-5, atol, f"{name} ce forward {layout}")
    _close(
        bk.cross_entropy_backward(x, t, gl),
        _ref("cross_entropy_backward", x, t, gl),
        1e-5,
        1e-6,
        f"{name} ce backward {layout}",
    )


@pytest.mark.parametrize("name", OTHERS)
@PROFILE
@given(xl=matrices(), gl=matrices())
def test_relu_matches_reference_exactly(name, xl, gl):
    bk = _backend(name)
    x, layout = xl
    g = np.asarray(gl[0])
    if g.shape != x.shape:
        g = np.resize(np.ascontiguousarray(g), x.shape)
    y = np.asarray(bk.relu_forward(x))
    want = _ref("relu_forward", x)
    # Exact, NaN for NaN; denormal inputs may flush to zero in the compiled kernels (FTZ/DAZ).
    denormal = (x != 0) & (np.abs(x) < np.finfo(np.float32).tiny)
    np.testing.assert_array_equal(np.where(denormal, 0, y), np.where(denormal, 0, want), err_msg=layout)
    gx = np.asarray(bk.relu_backward(g, x))
    want = _ref("relu_backward", g, x)
    dn = denormal | ((g != 0) & (np.abs(g) < np.finfo(np.float32).tiny))
    np.testing.assert_array_equal(np.where(dn, 0, gx), np.where(dn, 0, want), err_msg=layout)
