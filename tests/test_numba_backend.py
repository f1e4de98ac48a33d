"""What is specific to the numba backend (its conformance is in test_conformance.py):
the variants agree, results do not depend on the thread count, non-contiguous and
transposed inputs are handled, float64 is refused, in-place updates stay in place,
the vectorised exp is accurate, and caching can never break the import.
"""

from __future__ import annotations

import itertools
import platform
import threading

import numpy as np
import pytest

from pyneuro import backends
from pyneuro.backends import numpy_backend as ref

_status = backends.status("numba")
pytestmark = pytest.mark.skipif(not _status.available, reason=f"backend unavailable: {_status.reason}")


@pytest.fixture(scope="module")
def nb():
    return backends.get("numba")


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def randn(rng, *shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


# ----------------------------------------------------------------------------- variants
def test_variant_names_and_defaults(nb):
    assert nb.VARIANTS == {
        "matmul": ("naive", "blocked"),
        "softmax": ("three_pass", "online"),
        "conv2d": ("direct", "channels", "im2col"),
    }
    # conv2d: None = chosen per call (im2col unless a group has one output channel, then direct)
    assert nb.DEFAULT_VARIANT == {"matmul": "blocked", "softmax": "online", "conv2d": None}
    with pytest.raises(ValueError, match="three_pass, online"):
        nb.softmax_forward(np.zeros((2, 2), np.float32), variant="fused")


# Sizes that cross every blocking boundary of the blocked kernel (MC=64 rows, NC=512
# columns, KC=256 depth in even slices), with leftovers in each, and the four transpose cases;
# leftovers of the register tile (8 rows x 32 columns: 67 = 64 + 3 rows, 48 = 32 + 16 columns);
# depths of 1-4 (the sweeps of CPUs without AVX-512: one sweep of 4 values of k writes C
# without reading it; fewer zero C first).
@pytest.mark.parametrize(
    "m,n,k",
    [(67, 259, 515), (130, 70, 257), (5, 600, 3), (70, 20, 4), (9, 33, 1), (17, 48, 40), (600, 1030, 20)],
)
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_variants_agree_bit_for_bit(nb, rng, m, n, k, trans_a, trans_b):
    """naive and blocked do the same FMAs in the same order for every element of C."""
    from pyneuro.backends.numba import matmul_kernels as mm

    a = randn(rng, *((k, m) if trans_a else (m, k)))
    b = randn(rng, *((n, k) if trans_b else (k, n)))
    blocked = np.empty((m, n), np.float32)  # the kernel itself, whatever path nb.matmul would take
    plan = nb.linear._matmul_plan(m, n, 2, trans_b, trans_a)
    mm.matmul_blocked(a, b, trans_a, trans_b, blocked, *plan, nb.linear._NO_BIAS, False, False)
    naive = nb.matmul(a, b, trans_a, trans_b, variant="naive")
    np.testing.assert_array_equal(blocked, naive)
    want = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b).astype(np.float64)
    np.testing.assert_allclose(blocked, want, rtol=1e-4, atol=1e-4 * np.sqrt(k))


@pytest.mark.parametrize("m", [1, 2, 4])
@pytest.mark.parametrize("n,k", [(1, 1), (65, 784), (257, 3), (10, 0)])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_few_rows_path(nb, rng, m, n, k, trans_a, trans_b):
    """M <= FEW_ROWS reads B in place (nn.Linear on one sample); serial == parallel, bit for bit."""
    from pyneuro.backends.numba import matmul_kernels as mm

    a = randn(rng, *((k, m) if trans_a else (m, k)))
    b = randn(rng, *((n, k) if trans_b else (k, n)))
    got = nb.matmul(a, b, trans_a, trans_b)
    want = (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b).astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.sqrt(max(k, 1)) * 4)
    rows = np.ascontiguousarray(a.T) if trans_a else a
    serial, parallel = np.empty_like(got), np.empty_like(got)
    mm.matmul_few_rows.run(False, rows, b, trans_b, serial)
    mm.matmul_few_rows.run(True, rows, b, trans_b, parallel)
    np.testing.assert_array_equal(serial, parallel)
    if k:
        np.testing.assert_array_equal(serial, got)


@pytest.mark.parametrize("m,n,k", [(128, 256, 10), (10, 256, 128), (64, 33, 9), (6, 5, 7), (9, 300, 3)])
@pytest.mark.parametrize("trans_a", [False, True])
def test_small_products_take_the_row_kernel_with_the_naive_bits(nb, rng, m, n, k, trans_a):
    """Small products with a row-major B run matmul_rows (4 rows x 4 values of k per sweep): every
    element is still the k-ordered FMA chain of the naive kernel; serial == parallel; with a mask
    (matmul_relu_mask's epilogue) it is relu_backward of that product, bit for bit."""
    from pyneuro.backends.numba import matmul_kernels as mm

    assert m * n * k <= mm.SMALL_FMAS
    a = randn(rng, *((k, m) if trans_a else (m, k)))
    b = randn(rng, k, n)
    got = nb.matmul(a, b, trans_a)
    np.testing.assert_array_equal(got, nb.matmul(a, b, trans_a, variant="naive"))
    mask = np.maximum(randn(rng, m, n), 0)  # a ReLU's output: the masked product is relu_backward's
    mask.flat[:4] = [np.nan, -0.0, 1e-45, -1e-45]
    masked = nb.relu_backward(got, mask)
    for parallel in (False, True):
        c = np.full((m, n), np.nan, np.float32)
        mm.matmul_rows.run(parallel, a, b, trans_a, c, np.zeros((0, 0), np.float32))
        np.testing.assert_array_equal(c, got)
        mm.matmul_rows.run(parallel, a, b, trans_a, c, mask)
        np.testing.assert_array_equal(c.view(np.int32), masked.view(np.int32))


CASES_DOT = [
    (128, 256, 784),
    (67, 259, 515),
    (5, 37, 33),
    (9, 17, 32),
    (130, 18, 100),
    (128, 10, 256),
    (7, 3, 40),
    (11, 9, 64),  # rows: a 6-row block, then one overlapping it
    (70, 80, 2100),  # with AVX-512: blocked (deeper than DOT_DEEP_K); (67, 259, 515): dot
]


@pytest.mark.parametrize("m,n,k", CASES_DOT)
def test_matmul_dot_path(nb, rng, m, n, k):
    """The dot kernel: A @ B.T as dot products in 6x4 blocks (edges: single dots). Any panel
    width (a multiple of 4) and thread count gives the same bits. nb.matmul takes it for
    K >= DOT_MIN_K unless, with the register tile (AVX-512), the product is large enough for
    the blocked kernel (see the next test): then it has the naive kernel's bits."""
    from pyneuro.backends.numba import matmul_kernels as mm

    a, b = randn(rng, m, k), randn(rng, n, k)
    want = a.astype(np.float64) @ b.T.astype(np.float64)
    dots = []
    for parallel, panel in [
        (False, nb.linear._dot_plan(n, k, 1)),
        (True, nb.linear._dot_plan(n, k, 2)),
        (True, 4),
        (True, 8),
    ]:
        c = np.full((m, n), np.nan, np.float32)
        mm.matmul_dot.run(parallel, a, b, c, panel, nb.linear._NO_BIAS, False, False)
        dots.append(c)
        np.testing.assert_array_equal(c, dots[0])
    np.testing.assert_allclose(dots[0], want, rtol=1e-5, atol=2e-6 * np.sqrt(k) * 4)
    got = nb.matmul(a, b, trans_b=True)
    path = nb.linear._path(m, n, k, False, True, "blocked")
    assert path in ("dot", "blocked")
    if path == "blocked":
        np.testing.assert_array_equal(got, nb.matmul(a, b, trans_b=True, variant="naive"))
    else:
        np.testing.assert_array_equal(got, dots[0])


# (m, n, k) of A @ B.T and the kernel measured faster for it with the register tile (AVX-512;
# the figures are above linear._dot_path); without AVX-512 every one of them is a dot product.
TRANSPOSED_B_PATHS = [
    ((128, 256, 784), "blocked"),  # the MLP's x @ W1.T
    ((1000, 256, 784), "blocked"),  # its evaluation batch
    ((64, 128, 9216), "blocked"),  # the ConvNet's fc1 at batch 64: deep
    ((64, 128, 1152), "dot"),
    ((96, 256, 784), "dot"),
    ((32, 256, 784), "dot"),  # too few rows to repay packing B
    ((128, 32, 256), "dot"),  # too few columns for 32-column blocks
    ((128, 10, 256), "dot"),  # the 10-class output layer
]


@pytest.mark.parametrize("shape,fastest", TRANSPOSED_B_PATHS)
def test_transposed_b_takes_the_kernel_measured_faster(nb, shape, fastest):
    from pyneuro.backends.numba import matmul_kernels as mm

    want = fastest if mm.HAS_16_LANES else "dot"
    assert nb.linear._path(*shape, False, True, "blocked") == want


@pytest.mark.parametrize("m", [128, 11, 6, 130])
def test_dot_blocks_give_a_row_the_same_bits_wherever_it_lies(nb, rng, m):
    """Rows of A @ B.T are computed in 6-row blocks; when 6 does not divide M the last block
    overlaps the one before it. A row's bits do not depend on which block computed it, nor
    on the rows around it."""
    from pyneuro.backends.numba import matmul_kernels as mm

    a, b = randn(rng, m, 200), randn(rng, 37, 200)

    def dot(x):
        c = np.empty((x.shape[0], b.shape[0]), np.float32)
        mm.matmul_dot.run(False, np.ascontiguousarray(x), b, c, 36, nb.linear._NO_BIAS, False, False)
        return c

    full = dot(a)
    np.testing.assert_array_equal(full[-6:], dot(a[-6:]))  # the overlapping last block
    np.testing.assert_array_equal(full[: m - m % 6], dot(a[: m - m % 6]))  # no overlap
    if m >= 9:
        np.testing.assert_array_equal(full[3:9], dot(a[3:9]))  # rows from two blocks, as one


def test_dot_plan_balances_panels(nb):
    for threads in (1, 2, 3, 16):
        for n, k in [(256, 784), (1024, 1024), (10, 40), (4, 5000), (1, 64), (259, 515)]:
            panel = nb.linear._dot_plan(n, k, threads)
            panels = -(-n // panel)
            assert panel % 4 == 0 and panel >= 4
            fair_share = -(-n // threads)
            assert panel <= -(-fair_share // 4) * 4  # no panel wider than a thread's share
            assert panels * panel >= n
            assert panel * 4 * k <= max(nb.linear._mm.DOT_PANEL_BYTES, 16 * k)  # one panel stays in L2


def test_blocked_buffers_start_on_a_cache_line(nb):
    """The blocked kernel's packed buffers and C staging come from _aligned_empty: C-contiguous,
    the shape asked for, starting on a 64-byte line whatever np.empty returned (its alignment
    is smaller and varied by process: so did the speed)."""
    from pyneuro.backends.numba import matmul_kernels as mm

    keep = [np.empty(n, np.uint8) for n in (1, 17, 40, 333)]  # move the heap about
    for rows, cols in [(1, 1), (3, 5), (64, 272), (256, 272), (1024, 272), (7, 16)]:
        buf = mm._aligned_empty(rows, cols)
        assert buf.shape == (rows, cols) and buf.dtype == np.float32 and buf.flags.c_contiguous
        assert buf.ctypes.data % mm.ALIGN == 0
        buf[...] = 1.0  # the whole view is usable memory
        assert float(buf.sum()) == rows * cols
    del keep


def test_matmul_plan_gives_every_thread_work(nb):
    from pyneuro.backends.numba import matmul_kernels as mm

    for threads, trans_a in itertools.product((1, 2, 4, 16), (False, True)):
        for m, n in [(1024, 1024), (64, 256), (8, 10), (4096, 16), (1, 1), (5000, 3), (256, 784)]:
            width, groups = nb.linear._matmul_plan(m, n, threads, trans_a=trans_a)
            i_tiles = -(-m // mm.MC)
            assert 64 <= width <= mm.NC and 1 <= groups <= i_tiles
            assert -(-i_tiles // groups) <= nb.linear.MAX_TILES_PER_TASK  # bounded staging buffer
            tasks = -(-n // width) * groups
            assert tasks >= min(threads, -(-n // 64) * i_tiles)
            if trans_a and 1 < threads <= i_tiles:  # a weight gradient: rows split first
                assert groups >= threads
    # grad_W of a 784-256-10 MLP on 2 threads: a row group (128 rows) per thread, 2 even panels
    assert nb.linear._matmul_plan(256, 784, 2, trans_a=True) == (400, 2)
    # a C narrower than NC is one panel of its own width (no staging of unused columns)
    assert nb.linear._matmul_plan(4096, 256, 2)[0] == 256


def test_softmax_variants_agree(nb, rng):
    x = randn(rng, 33, 1000, scale=5.0)
    x[3, :] = -np.inf
    x[3, 7] = 2.0
    online = nb.softmax_forward(x, variant="online")
    three = nb.softmax_forward(x, variant="three_pass")
    np.testing.assert_allclose(online, three, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(online, ref.softmax_forward(x.astype(np.float64)), rtol=1e-5, atol=1e-12)


def assert_softmax_family_matches(nb, x, t, gl):
    """softmax (both variants), log_softmax and fused cross-entropy against the float64
    reference, with NaN exactly where the reference has NaN."""
    x64 = x.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        cases = [
            (nb.softmax_forward(x), ref.softmax_forward(x64)),
            (nb.softmax_forward(x, variant="three_pass"), ref.softmax_forward(x64)),
            (nb.log_softmax_forward(x), ref.log_softmax_forward(x64)),
            (nb.cross_entropy_forward(x, t), ref.cross_entropy_forward(x64, t)),
            (nb.cross_entropy_backward(x, t, gl), ref.cross_entropy_backward(x64, t, gl.astype(np.float64))),
        ]
    for got, want in cases:
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        np.testing.assert_allclose(got[ok], want[ok], rtol=2e-5, atol=1e-6)


def test_long_rows_with_infinite_and_nan_blocks(nb, rng):
    """Rows longer than one online-softmax block whose blocks are -inf, +inf or NaN."""
    from pyneuro.backends.numba.softmax_kernels import CHUNK

    cols = 2 * CHUNK + 123
    x = randn(rng, 6, cols, scale=3.0)
    x[0, : CHUNK + 5] = -np.inf  # the first block (and more) all -inf, the rest finite
    x[1, CHUNK + 7] = np.inf  # +inf in the second block: NaN row
    x[2] = -np.inf  # all -inf: NaN row
    x[3, -1] = np.nan  # NaN in the last block: NaN row
    x[4, CHUNK:] -= 200.0  # later blocks far below the first block's max
    x[5, :CHUNK] -= 200.0  # the max appears only in a later block
    t = np.array([CHUNK + 9, 0, 1, 2, 3, cols - 1])
    gl = randn(rng, 6)
    assert_softmax_family_matches(nb, x, t, gl)


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 assembly")
def test_row_kernels_scale_by_a_reciprocal_not_a_vector_division(nb):
    """The softmax rows are scaled by 1 / sum: one division per row. With reassociation
    allowed, LLVM turned an inline `y * (1 / s)` into `y / s`, a vector division per
    element (1.3-1.4x slower rows); softmax_kernels._scale keeps it a multiply. The kernels
    are compiled afresh here (cached code cannot be inspected)."""
    import numba

    from pyneuro.backends.numba import softmax_kernels as sk
    from pyneuro.backends.numba.jit import SAFE_FASTMATH

    x = np.random.default_rng(0).random((4, 2 * sk.CHUNK + 5), dtype=np.float32)  # both row paths
    y, t, g = np.empty_like(x), np.zeros(4, np.int64), np.ones(4, np.float32)
    for kernel, args in (
        (sk.softmax_online, (x, y)),
        (sk.softmax_three_pass, (x, y)),
        (sk.cross_entropy_backward, (x, t, g, y)),
    ):
        fresh = numba.njit(fastmath=set(SAFE_FASTMATH), cache=False, error_model="numpy")(
            kernel.serial.py_func
        )
        fresh(*args)
        asm = fresh.inspect_asm(fresh.signatures[0])
        divisions = [line.strip() for line in asm.splitlines() if "divps" in line]  # packed: per element
        assert not divisions, (kernel.serial.py_func.__name__, divisions[:4])


def test_narrow_rows_path_special_values(nb, rng):
    """Rows shorter than a vector are batched (one flat exp loop): same NaN/inf rules."""
    x = randn(rng, 70, 10, scale=3.0)
    x[0, 3] = np.nan
    x[1, 4] = np.inf
    x[2] = -np.inf
    x[3, :9] = -np.inf
    x[4] *= 1e4
    t = rng.integers(0, 10, 70)
    t[3] = 9
    gl = randn(rng, 70)
    assert_softmax_family_matches(nb, x, t, gl)


# ----------------------------------------------------------------------------- determinism
@pytest.fixture
def two_thread_counts(nb):
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2 to compare thread counts")
    before = nb.get_num_threads()
    yield (1, numba.config.NUMBA_NUM_THREADS)
    nb.set_num_threads(before)


def test_results_do_not_depend_on_thread_count(nb, rng, two_thread_counts):
    a, b = randn(rng, 200, 300), randn(rng, 300, 90)
    x, g = randn(rng, 257, 333, scale=4.0), randn(rng, 257, 333)
    t = rng.integers(0, 333, 257)
    gl = randn(rng, 257)
    p0, g0 = randn(rng, 5000), randn(rng, 5000)
    tall = randn(rng, 4000, 3)

    def run_all():
        p, m, v, buf = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), np.zeros_like(p0)
        nb.sgd_step(p, g0, buf, 0.1, 0.9, 0.0, 1e-4, True, True)
        nb.adam_step(p, g0, m, v, 1, 1e-3)
        return [
            nb.matmul(a, b),
            nb.matmul(b, a, True, True),
            nb.matmul(a, b, variant="naive"),
            nb.softmax_forward(x),
            nb.softmax_forward(x, variant="three_pass"),
            nb.log_softmax_forward(x),
            nb.softmax_backward(g, x),
            nb.log_softmax_backward(g, -np.abs(x)),
            nb.cross_entropy_forward(x, t),
            nb.cross_entropy_backward(x, t, gl),
            nb.bias_grad(g),
            nb.bias_grad(tall),
            nb.argmax(x),
            p,
            m,
            v,
            buf,
        ]

    results = []
    for threads in two_thread_counts:
        nb.set_num_threads(threads)
        results.append(run_all())
    for one, many in zip(*results):
        np.testing.assert_array_equal(one, many)


def test_set_num_threads_validates(nb):
    with pytest.raises(ValueError, match="set_num_threads"):
        nb.set_num_threads(0)
    with pytest.raises(ValueError, match="set_num_threads"):
        nb.set_num_threads(10**6)


# ----------------------------------------------------------------------------- layouts and dtypes
def test_non_contiguous_inputs_match_contiguous(nb, rng):
    big = randn(rng, 60, 90, scale=3.0)
    views = [big[::2, 1::3], np.asfortranarray(big[:20, :30]), big.T[:30, :20]]
    for v in views:
        c = np.ascontiguousarray(v)
        t = np.arange(v.shape[0]) % v.shape[1]
        gl = randn(rng, 90)[::3][: v.shape[0]]
        pairs = [
            (nb.relu_forward(v), nb.relu_forward(c)),
            (nb.relu_backward(v, v), nb.relu_backward(c, c)),
            (nb.softmax_forward(v), nb.softmax_forward(c)),
            (nb.log_softmax_forward(v), nb.log_softmax_forward(c)),
            (nb.softmax_backward(v, v), nb.softmax_backward(c, c)),
            (nb.log_softmax_backward(v, v), nb.log_softmax_backward(c, c)),
            (nb.cross_entropy_forward(v, t), nb.cross_entropy_forward(c, t)),
            (
                nb.cross_entropy_backward(v, t[::-1], gl),
                nb.cross_entropy_backward(c, t[::-1], np.ascontiguousarray(gl)),
            ),
            (nb.bias_add(v, v[0]), nb.bias_add(c, c[0])),
            (nb.bias_grad(v), nb.bias_grad(c)),
            (nb.argmax(v), nb.argmax(c)),
            (nb.matmul(v, v.T), nb.matmul(c, np.ascontiguousarray(c.T))),
            (nb.matmul(v, v, trans_b=True), nb.matmul(c, c, trans_b=True)),
        ]
        for got, want in pairs:
            np.testing.assert_array_equal(got, want)


def test_float64_and_other_dtypes_are_refused(nb):
    x64 = np.ones((3, 4))
    for call in (
        lambda: nb.softmax_forward(x64),
        lambda: nb.matmul(x64, x64.T),
        lambda: nb.relu_forward(x64),
        lambda: nb.cross_entropy_forward(x64, np.zeros(3, np.int64)),
        lambda: nb.bias_add(np.ones((3, 4), np.float32), np.ones(4)),
        lambda: nb.argmax(x64.astype(np.float16)),
    ):
        with pytest.raises(TypeError, match="float32"):
            call()
    with pytest.raises(TypeError):
        nb.relu_forward(np.ones(3, np.int32))
    with pytest.raises(TypeError):
        nb.relu_forward([1.0, 2.0])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.uint32, np.int64])
def test_integer_targets_of_any_width(nb, rng, dtype):
    x = randn(rng, 6, 5)
    t = np.array([0, 4, 2, 1, 3, 0], dtype=dtype)
    want = ref.cross_entropy_forward(x.astype(np.float64), t.astype(np.int64))
    np.testing.assert_allclose(nb.cross_entropy_forward(x, t), want, rtol=1e-5, atol=1e-6)
    gl = np.ones(6, np.float32)
    np.testing.assert_allclose(
        nb.cross_entropy_backward(x, t, gl),
        ref.cross_entropy_backward(x.astype(np.float64), t.astype(np.int64), gl),
        rtol=1e-5,
        atol=1e-7,
    )


def test_optimizer_updates_stay_in_place_for_non_contiguous_params(nb, rng):
    base = randn(rng, 8, 10)
    param = base.T  # Fortran-ordered view into `base`
    grad = randn(rng, 10, 8)
    want = param.astype(np.float64).copy()
    ref.sgd_step(want, grad.astype(np.float64), None, 0.5)
    nb.sgd_step(param, grad, None, 0.5)
    np.testing.assert_allclose(base.T, want, rtol=1e-6)  # the caller's memory changed

    p, m, v = randn(rng, 12, 6)[:, ::2], np.zeros((12, 6), np.float32)[:, ::2], np.zeros((12, 3), np.float32)
    p_ref, m_ref, v_ref = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    g = randn(rng, 12, 3)
    ref.adam_step(p_ref, g.astype(np.float64), m_ref, v_ref, 1, 0.01)
    nb.adam_step(p, g, m, v, 1, 0.01)
    np.testing.assert_allclose(p, p_ref, rtol=1e-5)
    np.testing.assert_allclose(m, m_ref, rtol=1e-5)


def test_optimizer_refuses_what_it_cannot_update(nb):
    frozen = np.zeros(4, np.float32)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        nb.sgd_step(frozen, np.ones(4, np.float32), None, 0.1)
    with pytest.raises(TypeError, match="float32"):
        nb.sgd_step(np.zeros(4), np.ones(4, np.float32), None, 0.1)
    with pytest.raises(ValueError, match="momentum_buffer"):
        nb.sgd_step(np.zeros(4, np.float32), np.ones(4, np.float32), None, 0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"\(4,\).*\(5,\)"):
        nb.adam_step(
            np.zeros(4, np.float32),
            np.ones(5, np.float32),
            np.zeros(4, np.float32),
            np.zeros(4, np.float32),
            1,
            0.1,
        )


def test_sgd_without_weight_decay_ignores_infinite_params_like_the_reference(nb):
    p = np.array([np.inf, 1.0], np.float32)
    nb.sgd_step(p, np.array([1.0, 1.0], np.float32), None, 0.5)
    np.testing.assert_array_equal(p, [np.inf, 0.5])


# ----------------------------------------------------------------------------- the vectorised exp
def test_exp_polynomial_is_accurate_and_ieee_at_the_edges():
    import numba

    from pyneuro.backends.numba.softmax_kernels import _exp

    @numba.njit
    def apply(t, out):
        for i in range(t.shape[0]):
            out[i] = _exp(t[i])

    t = np.concatenate(
        [
            np.linspace(-87, 88.7, 200_001, dtype=np.float32),
            np.array([0, -0.0, np.nan, np.inf, -np.inf, -1e30, 1e30, 88.72283, 88.72284, -200], np.float32),
        ]
    )
    out = np.empty_like(t)
    apply(t, out)
    with np.errstate(over="ignore"):
        want = np.exp(t.astype(np.float64))
    normal = (want > 2.0**-125) & (want < np.finfo(np.float32).max)
    rel = np.abs(out[normal] - want[normal]) / want[normal]
    assert rel.max() < 2 * np.finfo(np.float32).eps
    tail = out[-10:]
    np.testing.assert_array_equal(tail[:2], [1.0, 1.0])
    assert np.isnan(tail[2]) and tail[3] == np.inf and tail[4] == 0 and tail[5] == 0 and tail[6] == np.inf
    assert np.isfinite(tail[7]) and tail[8] == np.inf and tail[9] == 0


# ----------------------------------------------------------------------------- compilation
def test_kernel_decorator_compiles_without_a_cache_location():
    """Where numba finds no writable cache folder, kernels still compile (uncached)."""
    from pyneuro.backends.numba.jit import kernel

    namespace: dict = {}
    exec("def add_one(x):\n    return x + 1\n", namespace)  # no source file: nothing can be cached
    compiled = kernel(parallel=False)(namespace["add_one"])
    assert compiled(41) == 42


def test_each_kernel_has_one_specialisation(nb, rng):
    """The wrappers pass one layout and dtype per kernel, so each compiles only once."""
    from pyneuro.backends.numba import elementwise_kernels, matmul_kernels, softmax_kernels

    x = randn(rng, 9, 7)
    wide = randn(rng, 9, 40)  # rows of >= NARROW_COLS columns: the row kernels, not narrow_rows
    nb.softmax_forward(wide)
    nb.softmax_forward(np.asfortranarray(wide))
    nb.softmax_forward(wide[::2])
    nb.relu_forward(x)
    nb.relu_forward(x[:, 1:])
    nb.relu_forward(x.reshape(-1))
    nb.matmul(x, x, trans_b=True)
    nb.matmul(np.asfortranarray(x), x.T)
    nb.cross_entropy_forward(wide, np.zeros(9, np.int32))
    nb.cross_entropy_forward(wide, np.zeros(9, np.uint8))
    for kernel in (
        softmax_kernels.softmax_online,
        elementwise_kernels.relu_forward,
        matmul_kernels.matmul_blocked,
        softmax_kernels.cross_entropy_forward,
    ):
        for version in (kernel.parallel, kernel.serial):
            assert len(version.signatures) <= 1, (kernel, version.signatures)
        assert kernel.serial.signatures, kernel  # these small calls ran single-threaded


def _parallel_kernels():
    """Every ParallelKernel of the numba backend's kernel modules (both twins of each)."""
    from pyneuro.backends.numba import conv_kernels, elementwise_kernels, jit, matmul_kernels, softmax_kernels

    modules = (conv_kernels, elementwise_kernels, matmul_kernels, softmax_kernels)
    return [v for m in modules for v in vars(m).values() if isinstance(v, jit.ParallelKernel)]


def test_single_and_multi_threaded_versions_agree_bit_for_bit(nb, rng, monkeypatch):
    """Small work runs the serial twin of a kernel: it must compute exactly the same."""
    x, g = randn(rng, 40, 700, scale=4.0), randn(rng, 40, 700)
    t = rng.integers(0, 700, 40)
    a, b = randn(rng, 70, 90), randn(rng, 90, 33)
    narrow, t10 = randn(rng, 300, 10, scale=4.0), rng.integers(0, 10, 300)  # the batched path

    def run_all():
        return {
            "softmax online": nb.softmax_forward(x),
            "softmax three_pass": nb.softmax_forward(x, variant="three_pass"),
            "log_softmax": nb.log_softmax_forward(x),
            "cross_entropy": nb.cross_entropy_forward(x, t),
            "cross_entropy_backward": nb.cross_entropy_backward(x, t, g[:, 0].copy()),
            "softmax narrow": nb.softmax_forward(narrow),
            "log_softmax narrow": nb.log_softmax_forward(narrow),
            "cross_entropy narrow": nb.cross_entropy_forward(narrow, t10),
            "cross_entropy_backward narrow": nb.cross_entropy_backward(narrow, t10, narrow[:, 0].copy()),
            "softmax_backward": nb.softmax_backward(g, x),
            "relu": nb.relu_forward(g),
            "bias_grad": nb.bias_grad(g),
            "argmax": nb.argmax(x),
            "matmul": nb.matmul(a, b),
            "matmul ^T ^T": nb.matmul(b, a, True, True),
        }

    monkeypatch.setattr(nb._common, "PARALLEL_MIN_NS", 0.0)  # everything multi-threaded
    run_all()
    monkeypatch.setattr(nb._common, "PARALLEL_MIN_NS", float("inf"))  # everything single-threaded
    run_all()
    # Numba's cached machine code can round differently from the code it compiles in-process
    # (softmax rows up to 3 ulp apart on Zen 4, numba 0.68): a twin loaded from the cache and
    # one compiled here differ whatever the algorithm. That happens when another process (a
    # pytest-xdist worker, an earlier run) cached only one of the two; then both are compiled
    # afresh here, so the comparison is of the algorithm, in one state.
    for kernel in _parallel_kernels():
        if bool(kernel.parallel.stats.cache_hits) != bool(kernel.serial.stats.cache_hits):
            kernel.parallel.recompile()
            kernel.serial.recompile()
    monkeypatch.setattr(nb._common, "PARALLEL_MIN_NS", 0.0)
    parallel = run_all()
    monkeypatch.setattr(nb._common, "PARALLEL_MIN_NS", float("inf"))
    serial = run_all()
    differ = {
        name: np.nonzero(np.atleast_2d(p != serial[name]).any(axis=-1))[0].tolist()
        for name, p in parallel.items()
        if not np.array_equal(p, serial[name])
    }
    assert not differ, f"parallel != serial (kernel: rows that differ): {differ}"


def test_import_pyneuro_does_not_import_numba():
    import subprocess
    import sys

    code = "import sys, pyneuro; pyneuro.backends.status('numpy'); print('numba' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env_with_pyneuro()
    )
    assert out.stdout.strip() == "False"


def _env_with_pyneuro():
    """The environment for a subprocess that must import this same pyneuro."""
    import os
    from pathlib import Path

    import pyneuro

    root = str(Path(pyneuro.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def test_optimizer_steps_fast_and_checked_paths_agree(nb, rng):
    """Plain contiguous arrays skip the wrappers' checks (_flat_in_place); a Fortran-ordered
    one goes through a contiguous copy that is written back: the same bits."""
    p, g, b = randn(rng, 6, 5), randn(rng, 6, 5), randn(rng, 6, 5)
    m, v = randn(rng, 6, 5), np.abs(randn(rng, 6, 5))
    assert nb._flat_in_place(p, g, b) is not None
    for strided in (False, True):
        wrap = (lambda x: np.asfortranarray(x)) if strided else (lambda x: x.copy())
        ps, bs = wrap(p), wrap(b)
        assert (nb._flat_in_place(ps, g, bs) is None) == strided
        nb.sgd_step(ps, g, bs, 0.1, 0.9, 0.0, 1e-3, True, False)
        pa, ma, va = wrap(p), wrap(m), wrap(v)
        nb.adam_step(pa, g, ma, va, 3, 1e-2, weight_decay=1e-2)
        if not strided:
            want = (ps, bs, pa, ma, va)
        else:
            for got, w in zip((ps, bs, pa, ma, va), want):
                np.testing.assert_array_equal(got, w)
    ro = p.copy()
    ro.flags.writeable = False
    assert nb._flat_in_place(ro, g, b) is None
    with pytest.raises(ValueError, match="writeable"):
        nb.sgd_step(ro, g, b, 0.1, 0.9)


@pytest.mark.parametrize("parallel", [False, True])
def test_take_rows_kernel_checks_then_copies(parallel):
    """The kernel checks every index entry before copying (returns the first bad position,
    copying nothing) and wraps negative entries; its serial and parallel versions agree."""
    from pyneuro.backends.numba import elementwise_kernels as ew

    a = np.arange(7 * 12, dtype=np.float32).reshape(7, 12)
    src = a.view(np.uint8)
    index = np.array([6, -1, 0, -7, 3], np.int64)
    out = np.zeros((5, 12), np.float32)
    assert ew.take_rows.run(parallel, src, index, out.view(np.uint8)) == -1
    np.testing.assert_array_equal(out, a[index])
    for bad, pos in [([1, 7, 2], 1), ([-8, 0], 0), ([0, 1, 2, 9], 3)]:
        out = np.zeros((len(bad), 12), np.float32)
        got = ew.take_rows.run(parallel, src, np.array(bad, np.int64), out.view(np.uint8))
        assert got == pos
        assert not out.any()  # nothing copied


# ----------------------------------------------------------------------------- output pool
@pytest.fixture
def pool(nb):
    """The numba backend's _common module (its output pool), emptied before and after."""
    nb._common.clear_pool()
    yield nb._common
    nb._common.clear_pool()


def _address(a):
    return a.__array_interface__["data"][0]


def test_large_outputs_are_recycled_once_free(nb, pool, monkeypatch):
    """Outputs of 32 MiB and more come from _common's pool: a freed one is handed out again
    (no fresh pages to fault in), one still referred to -- itself or through a view -- never."""
    monkeypatch.delenv("PYNEURO_OUTPUT_POOL", raising=False)
    x = np.random.default_rng(0).standard_normal((1024, 8192)).astype(np.float32)  # 32 MiB
    want = nb.softmax_forward(x).copy()
    y1 = nb.softmax_forward(x)
    where = _address(y1)
    y2 = nb.softmax_forward(x)  # y1 is held: another array
    assert _address(y2) != where
    np.testing.assert_array_equal(y1, want)
    view = y1[3:5]
    del y1
    y3 = nb.relu_forward(x)  # y1's block is still held by its view
    assert where not in (_address(y3), _address(y2))
    del view
    y4 = nb.log_softmax_forward(x)
    assert _address(y4) == where  # free again: recycled
    np.testing.assert_allclose(y4, np.log(want), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(y2, want)  # the arrays still in use were never touched
    np.testing.assert_array_equal(y3, np.maximum(x, 0))


def test_output_pool_off_and_small_outputs(nb, pool, monkeypatch):
    big = np.ones((1024, 8192), np.float32)
    monkeypatch.setenv("PYNEURO_OUTPUT_POOL", "0")
    nb.relu_forward(big)
    assert not pool._pool
    monkeypatch.delenv("PYNEURO_OUTPUT_POOL")
    nb.relu_forward(np.ones((100, 100), np.float32))  # small: plain np.empty
    assert not pool._pool
    nb.relu_forward(big)
    assert len(pool._pool) == 1


def test_output_pool_keeps_at_most_its_cap(nb, pool, monkeypatch):
    monkeypatch.delenv("PYNEURO_OUTPUT_POOL", raising=False)
    monkeypatch.setattr(pool, "POOL_MAX_BYTES", 80 << 20)
    big = np.ones((1024, 8192), np.float32)
    held = [nb.relu_forward(big) for _ in range(4)]  # 4 x 32 MiB in use
    assert sum(a.nbytes for a in pool._pool) <= 80 << 20
    assert all(np.array_equal(a, big) for a in held)


def test_output_pool_under_threads(nb, pool, monkeypatch):
    """Threads that take outputs at once never get the same array."""
    monkeypatch.delenv("PYNEURO_OUTPUT_POOL", raising=False)
    xs = [np.full((1024, 8192), float(i), np.float32) for i in range(4)]
    out, wrong = [None] * 4, []
    start = threading.Barrier(4)  # all four take their outputs at the same time

    def work(i):
        start.wait()
        for _ in range(3):
            out[i] = nb.relu_forward(xs[i])
            if not np.all(out[i] == float(i)):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong
    assert len({_address(o) for o in out}) == 4
    assert all(np.all(o == float(i)) for i, o in enumerate(out))


def test_matmul_and_conv_outputs_use_the_pool(nb, pool, monkeypatch):
    monkeypatch.delenv("PYNEURO_OUTPUT_POOL", raising=False)
    rng = np.random.default_rng(3)
    a, b = randn(rng, 4096, 8), randn(rng, 8, 2048)  # C: 32 MiB
    c = nb.matmul(a, b)
    where = _address(c)
    del c
    c = nb.matmul(a, b)
    assert _address(c) == where
    np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-5)
    x, w = randn(rng, 8, 1, 1024, 1024), randn(rng, 1, 1, 1, 1)  # y: 32 MiB
    y = nb.conv2d_forward(x, w, None)
    assert len(pool._pool) == 2
    np.testing.assert_allclose(y, x * w[0, 0, 0, 0], rtol=1e-6)
