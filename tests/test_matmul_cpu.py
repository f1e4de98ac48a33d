"""The C++ matmul ladder (naive -> blocked -> packed) of the `cpu` backend, beyond conformance.

Every variant against a float64 NumPy product, with the float32 error bound of a length-K
dot product (it grows with K), on shapes around every tile boundary of the packed kernel
(MR/NR of the micro-tile, KC/MC/NC of the cache blocks) and for every transpose flag;
bit-identical results for any thread count; the forced narrower SIMD paths (PYNEURO_SIMD)
in a subprocess; aliasing, empty and degenerate inputs; a very long reduction.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pyneuro import backends

if not backends.status("cpu").available:
    pytest.skip(f"backend unavailable: {backends.status('cpu').reason}", allow_module_level=True)

cpu = backends.get("cpu")
VARIANTS = cpu.VARIANTS["matmul"]
TRANS = [(False, False), (True, False), (False, True), (True, True)]
EPS32 = np.finfo(np.float32).eps


def operands(rng, m, n, k, trans_a, trans_b, dist="normal"):
    draw = rng.standard_normal if dist == "normal" else rng.random
    a = draw((k, m) if trans_a else (m, k)).astype(np.float32)
    b = draw((n, k) if trans_b else (k, n)).astype(np.float32)
    return a, b


def reference(a, b, trans_a, trans_b):
    """(float64 product, componentwise bound 2*K*eps*(|A| @ |B|)) of op(a) @ op(b)."""
    a64 = (a.T if trans_a else a).astype(np.float64)
    b64 = (b.T if trans_b else b).astype(np.float64)
    k = a64.shape[1]
    return a64 @ b64, 2 * max(k, 1) * EPS32 * (np.abs(a64) @ np.abs(b64)) + 1e-30


def check(got, a, b, trans_a, trans_b, what=""):
    want, tol = reference(a, b, trans_a, trans_b)
    assert got.shape == want.shape and got.dtype == np.float32, what
    err = np.abs(got - want)
    assert np.all(err <= tol), f"{what}: max error {err.max()} exceeds the K-scaled bound"


@pytest.fixture
def threads():
    """Restore the thread count after a test that changes it."""
    saved = cpu.get_num_threads()
    yield cpu.set_num_threads
    cpu.set_num_threads(saved)


def test_variant_names():
    assert VARIANTS == ("naive", "blocked", "packed")
    assert cpu.DEFAULT_VARIANT["matmul"] == "packed"
    assert cpu.simd_path() in ("avx512", "avx2", "neon", "scalar")


# Shapes around the tile boundaries of every SIMD path: micro-tile rows MR (8 AVX-512,
# 6 AVX2, 4 scalar) and columns NR (32, or 16 when N <= 16; AVX2 16/8; scalar 8), depth
# blocks of at most 256 (K = 257 -> 2 blocks, 513 -> 3), row block MC (128, 120, 64), the
# switch between packing A and reading it in place (N > 2 NR), the narrow kernel for
# trans_a with N <= 16 (tiles of 16 rows), plus the 128-row batches and 10-class outputs
# of an MLP.
BOUNDARY_SHAPES = [  # (M, N, K)
    (7, 15, 255),
    (8, 16, 256),
    (9, 17, 257),
    (6, 31, 5),
    (12, 32, 1),
    (13, 33, 513),
    (4, 8, 2),
    (5, 9, 3),
    (63, 47, 129),
    (64, 48, 64),
    (65, 49, 65),
    (119, 63, 100),
    (120, 64, 128),
    (121, 65, 130),
    (127, 10, 256),
    (128, 10, 784),
    (129, 11, 200),
    (255, 1, 17),
    (1, 255, 17),
    (16, 6, 512),
    (33, 16, 600),
    (17, 13, 300),
]


@pytest.mark.parametrize("m,n,k", BOUNDARY_SHAPES)
@pytest.mark.parametrize("trans", TRANS, ids=["nn", "tn", "nt", "tt"])
def test_tile_boundaries_every_variant(rng, m, n, k, trans):
    a, b = operands(rng, m, n, k, *trans)
    for variant in VARIANTS:
        check(cpu.matmul(a, b, *trans, variant=variant), a, b, *trans, f"{variant} {m}x{n}x{k}")


@pytest.mark.parametrize("m,n,k", [(515, 1031, 257), (1, 1000, 1), (1000, 1, 1000), (260, 300, 600)])
@pytest.mark.parametrize("trans", TRANS, ids=["nn", "tn", "nt", "tt"])
def test_large_awkward_shapes_every_variant(rng, m, n, k, trans):
    a, b = operands(rng, m, n, k, *trans)
    for variant in VARIANTS:
        check(cpu.matmul(a, b, *trans, variant=variant), a, b, *trans, f"{variant} {m}x{n}x{k}")


@pytest.mark.parametrize("m,n,k", [(10, 256, 128), (16, 1000, 300), (1, 33, 5), (13, 17, 513), (7, 4500, 64)])
def test_few_rows_of_a_transposed_a_run_as_the_transposed_product(rng, threads, m, n, k):
    """A^T @ B with at most 16 rows (dY^T @ H, the output layer's weight gradient) runs on
    AVX-512 as (B^T @ A)^T through the narrow kernel: the same FMAs per element in the same
    order as B^T @ A itself, so bit for bit its transpose, for any thread count."""
    a, b = operands(rng, m, n, k, True, False)
    threads(2)
    got = cpu.matmul(a, b, True, False)
    check(got, a, b, True, False, f"{m}x{n}x{k}")
    assert np.array_equal(got, cpu.matmul(b, a, True, False).T)
    threads(1)
    assert np.array_equal(got, cpu.matmul(a, b, True, False))
    bias = rng.standard_normal(n).astype(np.float32)
    assert np.array_equal(cpu.matmul_bias(a, b, bias, trans_a=True), cpu.bias_add(got, bias))


@pytest.mark.parametrize("trans", TRANS, ids=["nn", "tn", "nt", "tt"])
def test_wider_than_one_column_block(rng, threads, trans):
    # N above the packed kernel's column block (NC = 4096) even per thread: each thread's
    # share of 4500 columns takes two passes of the jc loop.
    a, b = operands(rng, 9, 9000, 64, *trans)
    threads(2)
    got = cpu.matmul(a, b, *trans)
    check(got, a, b, *trans, "packed 9x9000x64")
    threads(1)
    assert np.array_equal(got, cpu.matmul(a, b, *trans))


@pytest.mark.parametrize(
    "m,n,k",
    [
        (300, 257, 301),
        (5, 3000, 300),
        (3000, 5, 300),
        (128, 256, 784),
        (784, 256, 128),
        (128, 10, 256),
        (40, 40, 1100),
    ],
)
@pytest.mark.parametrize("trans", TRANS, ids=["nn", "tn", "nt", "tt"])
def test_bit_identical_for_any_thread_count(rng, threads, m, n, k, trans):
    # Threads split rows and columns of C, never the K sum: results must not change by
    # a single bit with the thread count (nor between two runs).
    a, b = operands(rng, m, n, k, *trans)
    for variant in VARIANTS:
        if variant == "naive" and m * n * k > 1e7:
            continue
        threads(1)
        one = cpu.matmul(a, b, *trans, variant=variant)
        for nt in (2, 3, 4):  # 4: a 2 x 2 grid of row and column shares
            threads(nt)
            many = cpu.matmul(a, b, *trans, variant=variant)
            assert np.array_equal(one, many), f"{variant}: 1 vs {nt} threads differ for {m}x{n}x{k}"
        assert np.array_equal(many, cpu.matmul(a, b, *trans, variant=variant))


def test_mlp_step_shapes_use_no_transpose_copies(rng):
    # One MLP step 784-256-10 on a batch of 128, written as the autograd layer calls it.
    x = rng.standard_normal((128, 784)).astype(np.float32)
    w1 = rng.standard_normal((256, 784)).astype(np.float32)  # PyTorch layout (out, in)
    w2 = rng.standard_normal((10, 256)).astype(np.float32)
    h = cpu.matmul(x, w1, trans_b=True)  # forward: x @ w1.T
    check(h, x, w1, False, True, "forward 1")
    check(cpu.matmul(h, w2, trans_b=True), h, w2, False, True, "forward 2")
    dy = rng.standard_normal((128, 10)).astype(np.float32)
    check(cpu.matmul(dy, h, trans_a=True), dy, h, True, False, "grad w2 = dy.T @ h")
    check(cpu.matmul(dy, w2), dy, w2, False, False, "grad h = dy @ w2")
    dh = rng.standard_normal((128, 256)).astype(np.float32)
    check(cpu.matmul(dh, x, trans_a=True), dh, x, True, False, "grad w1 = dh.T @ x")
    check(cpu.matmul(x, dh, trans_a=True), x, dh, True, False, "x.T @ dh (784 x 256)")


@pytest.mark.parametrize("variant", VARIANTS)
def test_aliased_operands(rng, variant):
    a = rng.standard_normal((70, 45)).astype(np.float32)
    check(cpu.matmul(a, a, True, False, variant=variant), a, a, True, False, "a.T @ a")
    check(cpu.matmul(a, a, False, True, variant=variant), a, a, False, True, "a @ a.T")
    sq = rng.standard_normal((33, 33)).astype(np.float32)
    got = cpu.matmul(sq, sq, variant=variant)
    check(got, sq, sq, False, False, "sq @ sq")
    assert not np.shares_memory(got, sq)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("m,n,k", [(0, 5, 3), (5, 0, 3), (0, 0, 0), (5, 3, 0), (1, 1, 0)])
def test_empty(variant, m, n, k):
    for trans in TRANS:
        a = np.ones((k, m) if trans[0] else (m, k), np.float32)
        b = np.ones((n, k) if trans[1] else (k, n), np.float32)
        got = cpu.matmul(a, b, *trans, variant=variant)
        assert got.shape == (m, n) and got.dtype == np.float32
        assert np.all(got == 0)  # K = 0: the empty sum


@pytest.mark.parametrize("variant", VARIANTS)
def test_special_values_propagate(variant):
    a = np.ones((9, 40), np.float32)
    b = np.ones((40, 35), np.float32)
    a[2, 7] = np.nan
    b[5, 30] = np.inf
    got = cpu.matmul(a, b, variant=variant)
    assert np.all(np.isnan(got[2]))
    assert np.all(np.isinf(np.delete(got[:, 30], 2)))
    assert np.all(got[np.arange(9) != 2][:, np.arange(35) != 30] == 40)


@pytest.mark.parametrize("variant", VARIANTS)
def test_huge_k_stays_within_the_k_scaled_bound(rng, variant):
    # 2^20 positive terms per dot product: a single float32 running sum would drift far
    # from the true value; blocking over K keeps every variant inside the bound.
    m, n, k = 2, 3, 1 << 20
    for trans in [(False, False), (True, True)]:
        a, b = operands(rng, m, n, k, *trans, dist="uniform")
        got = cpu.matmul(a, b, *trans, variant=variant)
        check(got, a, b, *trans, f"{variant} K=2^20")
        want, _ = reference(a, b, *trans)
        # Far tighter than the worst-case bound in practice: relative error ~1e-4 at most.
        assert np.max(np.abs(got - want) / want) < 1e-3


_SUBPROCESS_CHECK = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pyneuro import backends
    cpu = backends.get("cpu")
    want_path = sys.argv[1]
    assert cpu.simd_path() == want_path, (cpu.simd_path(), want_path)
    rng = np.random.default_rng(7)
    eps = np.finfo(np.float32).eps
    shapes = [(1, 1, 1), (5, 7, 3), (6, 16, 256), (7, 17, 257), (13, 9, 300), (121, 33, 129),
              (65, 130, 64), (70, 90, 520)]
    for m, n, k in shapes:
        for ta in (False, True):
            for tb in (False, True):
                a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
                b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
                a64 = (a.T if ta else a).astype(np.float64)
                b64 = (b.T if tb else b).astype(np.float64)
                tol = 2 * k * eps * (np.abs(a64) @ np.abs(b64)) + 1e-30
                for variant in cpu.VARIANTS["matmul"]:
                    got = cpu.matmul(a, b, ta, tb, variant=variant)
                    assert np.all(np.abs(got - a64 @ b64) <= tol), (want_path, variant, m, n, k, ta, tb)
    a, b = rng.standard_normal((300, 257)).astype(np.float32), rng.standard_normal((257, 301)).astype(np.float32)
    cpu.set_num_threads(1)
    one = cpu.matmul(a, b)
    cpu.set_num_threads(2)
    assert np.array_equal(one, cpu.matmul(a, b))
    print("ok", cpu.simd_path())
    """
)


_PACK_A_CHECK = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pyneuro import backends
    cpu = backends.get("cpu")
    rng = np.random.default_rng(11)
    out = {}
    for m, n, k in [(37, 200, 300), (130, 70, 64), (9, 10, 100), (300, 257, 129)]:
        for ta in (False, True):
            for tb in (False, True):
                a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
                b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
                out[f"{m}_{n}_{k}_{ta}_{tb}"] = cpu.matmul(a, b, ta, tb)
    np.savez(sys.argv[1], **out)
    """
)


def test_packing_a_or_not_gives_identical_bits(tmp_path):
    # Packing only moves values: forcing A to be packed (or read in place) must not change
    # a single bit of the result (PYNEURO_MATMUL_PACK_A, read once per process).
    import pyneuro

    root = str(Path(pyneuro.__file__).resolve().parent.parent)
    results = []
    for forced in ("0", "1"):
        env = dict(
            os.environ,
            PYNEURO_MATMUL_PACK_A=forced,
            PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        path = tmp_path / f"pack_a_{forced}.npz"
        proc = subprocess.run(
            [sys.executable, "-c", _PACK_A_CHECK, str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        results.append(np.load(path))
    assert results[0].files == results[1].files and results[0].files
    for name in results[0].files:
        assert np.array_equal(results[0][name], results[1][name]), name


def _cpu_supports_avx2():
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return " avx2 " in flags and " fma " in flags


@pytest.mark.parametrize("path", ["avx2", "scalar"])
def test_forced_narrower_simd_path(path):
    if path == "avx2" and _cpu_supports_avx2() is False:
        pytest.skip("this CPU has no AVX2+FMA, so PYNEURO_SIMD=avx2 cannot be honoured")
    if path == "avx2" and _cpu_supports_avx2() is None:
        pytest.skip("cannot read /proc/cpuinfo to tell whether this CPU has AVX2+FMA")
    import pyneuro

    root = str(Path(pyneuro.__file__).resolve().parent.parent)
    env = dict(os.environ, PYNEURO_SIMD=path, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", _SUBPROCESS_CHECK, path], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"ok {path}"


# ----------------------------------------------------------------------------- few-row (GEMV) path
@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("n", [1, 3, 4, 5, 63, 64, 65, 130, 256])
@pytest.mark.parametrize("k", [1, 15, 16, 17, 784])
def test_few_rows_every_layout(m, n, k):
    """M <= 4 takes the packed variant's no-packing path (a Linear layer at batch 1)."""
    rng = np.random.default_rng(m * 10007 + n * 101 + k)
    for trans_a in (False, True):
        for trans_b in (False, True):
            a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
            b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
            a64 = (a.T if trans_a else a).astype(np.float64)
            b64 = (b.T if trans_b else b).astype(np.float64)
            got = cpu.matmul(a, b, trans_a, trans_b)
            bound = 2 * k * np.finfo(np.float32).eps * (np.abs(a64) @ np.abs(b64)) + 1e-30
            assert np.all(np.abs(got - a64 @ b64) <= bound), (trans_a, trans_b)
