"""Orders a user passes to torch.special that once hung or overflowed: the orthogonal polynomials'
n (a Python loop of n rounds: chebyshev_polynomial_t(x, 10**9) never ended, torch answers at once
with its closed forms and its loop that stops at NaN) and polygamma's n (math.factorial(10**6), then
OverflowError; torch takes n! as exp(lgamma(n + 1)) in x's dtype: inf, so the value is +-inf or NaN).
Each case compares values with torch; the large orders run in a child with a time limit, so that a
regression fails instead of hanging.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests and is not installed")

NAMES = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p",
]  # fmt: skip

# the special points (|x| = 1, x = 0 for the shifted forms and Laguerre), both sides of 1, huge values
_X = np.concatenate(
    [
        np.random.default_rng(0).uniform(-1.5, 1.5, 30),
        [0, 1, -1, 0.5, 1.0000001, -0.9999999, 2, -2, np.inf, -np.inf],
    ]
)


def _child(code, timeout):
    """The list a child printed (nan and inf included); it must end within timeout seconds."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return np.array(eval(done.stdout, {"nan": float("nan"), "inf": float("inf")}))


def _values(L, name, x, n, dtype):
    n = L.tensor(n, dtype=dtype) if isinstance(n, np.ndarray) else n
    return getattr(L.special, name)(L.tensor(x, dtype=dtype), n).numpy()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_polynomials_match_torch_through_their_branches(name, dtype):
    """closed forms past n = 4/6/8 (Chebyshev), Hermite's NaN past n = 128 / 512, the loop stopped at NaN,
    orders read as torch's int64 (truncated; NaN, inf and 1e30 are INT64_MIN, so 0)"""
    tol = dict(rtol=2e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-12)
    orders = [-3, -0.5, 0, 0.7, 1, 1.9, 2, 3, 5, 6, 7, 8, 9, 17, 50, 129, 300, 513]
    for n in orders + [np.array([np.nan, np.inf, -np.inf, 1e30, 2.0**63, 5.9, 12.0] * 6)[: _X.size]]:
        want = _values(torch, name, _X, n, getattr(torch, dtype))
        got = _values(pn, name, _X, n, getattr(pn, dtype))
        assert got.dtype == want.dtype
        if n in (129, 300, 513) if not isinstance(n, np.ndarray) else False:
            # cos(n acos x) amplifies C's acosf (not correctly rounded, off by an ulp) n times
            keep = ~((np.abs(_X) < 1) if "shifted" not in name else (np.abs(2 * _X - 1) < 1))
            got, want = got[keep], want[keep]
        np.testing.assert_allclose(got, want, equal_nan=True, err_msg=f"{name}(x, {n})", **tol)


_HUGE = {  # each answers at once under torch (a closed form, or a loop that overflowed to NaN)
    "chebyshev_polynomial_t": 10**9,
    "chebyshev_polynomial_u": 10**9,
    "shifted_chebyshev_polynomial_w": 10**9,
    "hermite_polynomial_h": 10**9,
    "hermite_polynomial_he": 10**12,
}


@pytest.mark.parametrize("name", NAMES)
def test_polynomials_keep_torchs_shapes(name):
    for L in (torch, pn):  # a 0-d x, and x and n broadcast to 2-D
        f = getattr(L.special, name)
        got = (f(L.tensor(0.3), 3), f(L.tensor([[0.1, 0.2]]), L.tensor([[2.0], [3.0]])))
        if L is torch:
            want = got
    for g, w in zip(got, want):
        assert tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(_HUGE))
def test_polynomials_of_huge_order_answer_at_once_as_torch(name):
    x = [0.5, 1.5, -1.2, 1.0000001, 0.3, -0.99, 1.0, -1.0, 0.0]
    code = (
        "import pyneuro as pn\n"
        f"print(pn.special.{name}(pn.tensor({x}), {_HUGE[name]}).tolist())\n"
    )  # fmt: skip
    want = getattr(torch.special, name)(torch.tensor(x), _HUGE[name]).numpy()
    np.testing.assert_allclose(_child(code, 60), want, rtol=1e-4, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name", ["legendre_polynomial_p", "laguerre_polynomial_l"])
def test_polynomials_that_stay_finite_for_huge_orders_end(name):
    """Legendre inside (-1, 1) and Laguerre for x > 0 never overflow; torch loops n times in C, pyneuro
    multiplies blocks of the steps' matrices (a Python round per step would take hours)."""
    x = [0.5, -0.3, 0.99, 1.5]
    code = f"import pyneuro as pn\nprint(pn.special.{name}(pn.tensor({x}, dtype=pn.float64), 3 * 10**6).tolist())\n"
    want = getattr(torch.special, name)(torch.tensor(x, dtype=torch.float64), 3 * 10**6).numpy()
    # (both sides' rounding grows over 3e6 steps: a few 1e-5 apart)
    np.testing.assert_allclose(_child(code, 120), want, rtol=1e-3, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("n", [1, 2, 5, 34, 35, 40, 170, 171, 200, 10**6])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_polygamma_of_large_order_as_torch(n, dtype):
    x = [50.0, 1.0, 0.5, -2.5, 3.3, 1e-3]
    want = torch.special.polygamma(n, torch.tensor(x, dtype=getattr(torch, dtype))).numpy()
    got = pn.special.polygamma(n, pn.tensor(x, dtype=getattr(pn, dtype))).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, equal_nan=True)


def test_zeta_and_polygamma_far_below_zero_end_with_torchs_values():
    """q = -1e7 + 0.25 needs 10**7 direct terms before Euler-Maclaurin: a round each over the whole
    array took minutes (torch sums them in C); now in array chunks."""
    q = [-1e7 + 0.25, -2e5 + 0.5, -60.5, 0.5, 3.0]
    code = (
        "import pyneuro as pn\n"
        f"q = pn.tensor({q}, dtype=pn.float64)\n"
        "print([pn.special.zeta(pn.tensor(2.0, dtype=pn.float64), q).tolist(), pn.special.polygamma(3, q).tolist()])\n"
    )  # fmt: skip
    zeta, poly = _child(code, 30)
    q64 = torch.tensor(q, dtype=torch.float64)
    np.testing.assert_allclose(
        zeta, torch.special.zeta(torch.tensor(2.0, dtype=torch.float64), q64).numpy(), rtol=1e-7
    )
    np.testing.assert_allclose(poly, torch.special.polygamma(3, q64).numpy(), rtol=1e-7)
