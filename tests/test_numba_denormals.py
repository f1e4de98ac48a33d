"""The numba optimizer updates run with denormals off, as the C++ kernels do, and leave every
thread's floating-point setting as they found it (pyneuro/backends/numba/fpenv.py)."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from pyneuro import backends

_status = backends.status("numba")
pytestmark = pytest.mark.skipif(not _status.available, reason=f"backend unavailable: {_status.reason}")

TINY = np.finfo(np.float32).tiny  # the smallest normal float32, 1.18e-38
X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")


def _denormals(a) -> int:
    a = np.abs(np.asarray(a))
    return int(((a > 0) & (a < TINY)).sum())


def _decaying(rng, n):
    """p, g, buf as after many steps of a weight whose input is almost never active: its
    gradient is 0 and its momentum buffer has decayed to denormals or just above them."""
    p = rng.standard_normal(n).astype(np.float32)
    g = (1e-3 * rng.standard_normal(n)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    b[::3], g[::3] = np.float32(1e-39), 0  # denormal already
    b[1::7], g[1::7] = np.float32(1.05 * TINY), 0  # 0.9x of it is denormal
    return p, g, b


@pytest.fixture(scope="module")
def nb():
    return backends.get("numba")


@pytest.mark.skipif(not X86, reason="FTZ/DAZ are x86's MXCSR bits; elsewhere denormals stay IEEE")
@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("n", [10, 4096, 3 * 4096 + 17])  # one block, exactly one, several with a tail
def test_sgd_buffer_flushes_denormals_as_the_cpp_kernels_do(nb, parallel, n):
    from pyneuro.backends.numba import elementwise_kernels as ew

    p, g, b = _decaying(np.random.default_rng(n), n)
    ew.sgd_step.run(parallel, p, g, b, 0.05, 0.9, 0.0, 0.0, False, False)
    assert _denormals(b) == 0 and _denormals(p) == 0
    assert not b[::3].any() and not b[1::7].any()  # DAZ: read as 0; FTZ: 0.9 * 1.05 tiny written as 0
    p0, g0, b0 = _decaying(np.random.default_rng(n), n)
    normal = np.ones(n, bool)
    normal[::3] = normal[1::7] = False
    want_b = 0.9 * b0.astype(np.float64) + g0
    np.testing.assert_allclose(b[normal], want_b[normal], rtol=1e-6)
    np.testing.assert_allclose(p, p0 - 0.05 * np.where(normal, want_b, 0), rtol=1e-6, atol=1e-7)
    if backends.status("cpu").available:  # the same bits as the C++ update
        pc, bc = p0.copy(), b0.copy()
        backends.get("cpu").sgd_step(pc, g0, bc, 0.05, 0.9, 0.0, 0.0, False, False)
        np.testing.assert_array_equal(p, pc)
        np.testing.assert_array_equal(b, bc)


@pytest.mark.skipif(not X86, reason="FTZ/DAZ are x86's MXCSR bits; elsewhere denormals stay IEEE")
@pytest.mark.parametrize("parallel", [False, True])
def test_adam_moments_flush_denormals(nb, parallel):
    from pyneuro.backends.numba import elementwise_kernels as ew

    n = 2 * 4096 + 5
    p, g, m = _decaying(np.random.default_rng(3), n)
    v = np.abs(m)
    denormal, edge = m == np.float32(1e-39), m == np.float32(1.05 * TINY)
    ew.adam_step.run(parallel, p, g, m, v, 1e-3, 1.0, 0.9, 0.999, 1e-8, 0.0)
    assert _denormals(m) == _denormals(v) == _denormals(p) == 0
    assert not m[denormal].any() and not v[denormal].any()  # read as 0, stay 0
    assert not m[edge].any()  # 0.9 * 1.05 tiny: written as 0
    np.testing.assert_allclose(v[edge], 0.999 * 1.05 * TINY, rtol=1e-6)  # still normal: kept


def test_every_thread_keeps_ieee_denormals_after_the_kernels(nb):
    """The kernels set FTZ/DAZ for their blocks only: afterwards NumPy on the Python thread, and
    a user's own parallel numba code on numba's worker threads, still produce denormals."""
    import numba

    @numba.njit(parallel=True)
    def scale(x, out):
        for i in numba.prange(x.shape[0]):
            out[i] = x[i] * np.float32(0.01)

    n = 64 * 4096
    p, g, b = _decaying(np.random.default_rng(0), n)
    for _ in range(3):
        nb.sgd_step(p, g, b, 0.05, 0.9)
        nb.adam_step(p, g, np.abs(b), np.abs(b), 2, 1e-3)
    x = np.full(n, 1e-37, np.float32)
    out = np.zeros(n, np.float32)
    scale(x, out)  # every block of the range, on every thread
    assert _denormals(out) == n
    assert _denormals(x * np.float32(0.01)) == n
