"""The numba backend's explicit vectors (numba/simd.py) and the matmul register tile built on
them: the vector operations against NumPy, the CPU rule that picks the tile, and the tile,
the sweeps it replaces and the transposing pack against each other and the naive kernel."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from pyneuro import backends

_status = backends.status("numba")
pytestmark = pytest.mark.skipif(not _status.available, reason=f"backend unavailable: {_status.reason}")


@pytest.fixture(scope="module")
def simd():
    from pyneuro.backends.numba import simd

    return simd


@pytest.fixture(scope="module")
def mm():
    from pyneuro.backends.numba import matmul_kernels

    return matmul_kernels


@pytest.fixture(scope="module")
def axpy_rows(simd):
    import numba

    @numba.njit
    def axpy_rows(a, x, y, j):
        """y[i, j:j+16] = fma(a[i], x[i, j:j+16], y[i, j:j+16]); z[i] = 0 vectors."""
        z = np.empty_like(y)
        for i in range(x.shape[0]):
            simd.vstore(y, i, j, simd.vfma(simd.vsplat(a[i]), simd.vload(x, i, j), simd.vload(y, i, j)))
            simd.vstore(z, i, j, simd.vzero())
        return z

    return axpy_rows


def test_vector_operations_against_numpy(axpy_rows, simd):
    """load / store at any column (unaligned), splat, zero and fma, row by row; only the 16
    lanes from j are touched."""
    rng = np.random.default_rng(0)
    x = rng.integers(-50, 50, (3, 40)).astype(np.float32)  # small integers: every result exact
    y = rng.integers(-50, 50, (3, 40)).astype(np.float32)
    a = np.array([2.0, -3.0, 0.5], np.float32)
    for j in (0, 3, 24):
        want = y.copy()
        want[:, j : j + 16] = a[:, None] * x[:, j : j + 16] + y[:, j : j + 16]
        z = axpy_rows(a, x, y, j)
        np.testing.assert_array_equal(y, want)
        np.testing.assert_array_equal(z[:, j : j + 16], 0.0)
        assert not np.signbit(z[:, j : j + 16]).any()  # +0.0
    assert simd.LANES == 16


def test_vfma_rounds_once(axpy_rows):
    """(1 + 2^-13)^2 - (1 + 2^-12) is 2^-26 exactly; a float32 multiply then add gives 0."""
    e = np.float32(1 + 2.0**-13)
    x = np.full((1, 16), e, np.float32)
    y = np.full((1, 16), -np.float32(1 + 2.0**-12), np.float32)
    assert np.float32(e * e) + y[0, 0] == 0.0  # the two-rounding result
    axpy_rows(np.array([e], np.float32), x, y, 0)
    np.testing.assert_array_equal(y, np.float32(2.0**-26))


def test_sixteen_lanes_follow_numbas_target(simd, monkeypatch):
    """Numba's rule: NUMBA_CPU_FEATURES when set, else the host's features."""
    from llvmlite import binding as llvm
    from numba import config

    monkeypatch.setattr(config, "CPU_FEATURES", "+avx2,+fma,-avx512f")
    assert simd._target_has_avx512f() is False
    monkeypatch.setattr(config, "CPU_FEATURES", "+avx2,+avx512f,+fma")
    assert simd._target_has_avx512f() is True
    monkeypatch.setattr(config, "CPU_FEATURES", None)
    assert simd._target_has_avx512f() is bool(llvm.get_host_cpu_features().get("avx512f", False))


def _packed(rng, mc, nc, kc, pad, trans_a):
    """A packed A (row-major, or read through a transpose as the blocked kernel does), a packed
    B zero beyond nc (as _blocked_task leaves it) and a staged C with PAD columns."""
    a = rng.standard_normal((kc, mc) if trans_a else (mc, kc)).astype(np.float32)
    b = np.zeros((kc, nc + pad), np.float32)
    b[:, :nc] = rng.standard_normal((kc, nc))
    c = rng.standard_normal((mc + 3, nc + pad)).astype(np.float32)
    return (a.T if trans_a else a), b, c


@pytest.mark.parametrize("mc", [1, 7, 8, 13, 64])
@pytest.mark.parametrize("nc,kc", [(1, 1), (16, 3), (31, 4), (33, 9), (100, 50)])
@pytest.mark.parametrize("trans_a", [False, True])
def test_register_tile_gives_the_bits_of_the_sweeps(mm, mc, nc, kc, trans_a):
    """_register_tile (AVX-512 CPUs) and _tile_update (the others) compute c_stage[row0:row0+mc,
    :nc] (+)= A @ B as the same k-ordered FMA chains: the same bits, from a C already there and
    from 0 (fresh), any leftover of rows (mc % 8) and columns (nc % 32); nothing else of C
    is written. (The register tile runs, if slowly, on any CPU: it is tested everywhere.)"""
    rng = np.random.default_rng(mc * 1000 + nc * 10 + kc)
    a, b, c = _packed(rng, mc, nc, kc, mm.PAD, trans_a)
    row0 = 2
    for fresh in (False, True):
        tile, sweeps = c.copy(), c.copy()
        mm._register_tile(a, b, tile, row0, mc, nc, kc, fresh)
        mm._tile_update(a, b, sweeps, row0, mc, nc, kc, fresh)
        np.testing.assert_array_equal(tile[row0 : row0 + mc, :nc], sweeps[row0 : row0 + mc, :nc])
        untouched = np.ones(c.shape, bool)
        untouched[row0 : row0 + mc, : -(-nc // mm.NR) * mm.NR] = False  # (whole 32-column blocks)
        np.testing.assert_array_equal(tile[untouched], c[untouched])
        untouched[row0 : row0 + mc, :] = True
        untouched[row0 : row0 + mc, :nc] = False
        np.testing.assert_array_equal(sweeps[untouched], c[untouched])
        if fresh:
            naive = np.empty((mc, nc), np.float32)
            mm.matmul_naive(np.ascontiguousarray(a), np.ascontiguousarray(b[:, :nc]), False, False, naive)
            np.testing.assert_array_equal(tile[row0 : row0 + mc, :nc], naive)


@pytest.mark.parametrize("n,k", [(1, 1), (15, 7), (16, 300), (17, 5), (100, 64)])
def test_pack_transposed(mm, n, k):
    """dst[:k, :n] = src.T, 16 rows of src at a time; the rest of dst untouched."""
    src = np.random.default_rng(n + k).standard_normal((n + 2, k + 3)).astype(np.float32)
    view = src[1 : n + 1, 2 : k + 2]  # a strided block, as the blocked kernel passes
    dst = np.full((k + 1, n + mm.PAD), np.nan, np.float32)
    mm._pack_transposed(dst, view)
    np.testing.assert_array_equal(dst[:k, :n], view.T)
    assert np.isnan(dst[k:]).all() and np.isnan(dst[:, n:]).all()


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 feature names")
def test_blocked_kernel_on_a_cpu_without_avx512(tmp_path):
    """Compiled for an AVX2 target (numba's NUMBA_CPU_NAME / NUMBA_CPU_FEATURES, as a portable
    cache is), the blocked kernel takes the sweeps, including depths below 4 (C zeroed first),
    and still gives the naive kernel's bits."""
    script = textwrap.dedent(
        """
        import numpy as np
        from pyneuro.backends.numba import linear, matmul_kernels as mm
        from pyneuro.backends.numba.simd import HAS_16_LANES
        assert not HAS_16_LANES
        rng = np.random.default_rng(0)
        for m, n, k in [(67, 259, 515), (9, 33, 1), (70, 20, 4), (5, 600, 3)]:
            for ta, tb in [(False, False), (True, True)]:
                a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
                b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
                naive, blocked = np.empty((m, n), np.float32), np.full((m, n), np.nan, np.float32)
                mm.matmul_naive(a, b, ta, tb, naive)
                mm.matmul_blocked(a, b, ta, tb, blocked, *linear._matmul_plan(m, n, 2, tb, ta), linear._NO_BIAS, False, False)
                assert np.array_equal(naive, blocked), (m, n, k, ta, tb)
        print("ok")
        """
    )
    env = dict(
        os.environ,
        NUMBA_CPU_NAME="haswell",
        NUMBA_CPU_FEATURES="+avx,+avx2,+fma,+sse4.2,+popcnt",
        NUMBA_CACHE_DIR=str(tmp_path),
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_kernels_run_as_plain_python_under_disable_jit(tmp_path):
    """NUMBA_DISABLE_JIT=1 (stepping through a kernel in a debugger): the intrinsics become
    Python (simd.py's vectors NumPy arrays), so the backend still computes, slowly, the same
    results within float32 rounding; the register tile and a training step included."""
    script = textwrap.dedent(
        """
        import numpy as np
        import pyneuro as pn
        from pyneuro import backends, nn, optim
        from pyneuro.backends import numpy_backend as ref
        import pyneuro.nn.functional as F
        nb = backends.get("numba")
        rng = np.random.default_rng(0)
        x = rng.standard_normal((70, 40)).astype(np.float32)
        w = rng.standard_normal((66, 40)).astype(np.float32)
        assert nb.linear._path(70, 66, 40, False, True, "blocked") in ("blocked", "dot")
        np.testing.assert_allclose(nb.matmul(x, w, False, True), x @ w.T, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(nb.matmul(x.T, x), x.T @ x, rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(nb.relu_forward(x), ref.relu_forward(x))
        np.testing.assert_allclose(nb.softmax_forward(x), ref.softmax_forward(x), rtol=1e-5, atol=1e-7)
        t = rng.integers(0, 40, 70)
        np.testing.assert_allclose(nb.cross_entropy_forward(x, t), ref.cross_entropy_forward(x, t), rtol=1e-5)
        pn.set_backend("numba")
        pn.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 3))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        xb, yb = pn.randn(8, 20), pn.tensor(np.arange(8) % 3)
        losses = []
        for _ in range(3):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[2] < losses[0], losses
        print("ok")
        """
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
