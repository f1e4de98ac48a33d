"""The C++ CPU kernels' own tests: vectorised exp accuracy, special values, thread-count
invariance, forced SIMD paths, and row lengths around the SIMD width and the OpenMP threshold.

The conformance suite (test_conformance.py) checks every backend against the NumPy reference
on ordinary inputs; these tests go after what is specific to pyneuro._cpu: its hand-written
exp, its masked vector tails, its online softmax blocks (2048 floats), its run-time ISA
dispatch (PYNEURO_SIMD) and its single-threaded path for small inputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from pyneuro.backends import numpy_backend as ref

_cpu = pytest.importorskip("pyneuro._cpu", reason="C++ extension pyneuro._cpu not built")

F32 = np.finfo(np.float32)


def ulps(got, want64):
    """Error of float32 results in units of the last place of the correctly rounded value.

    The float32 spacing is computed in float64 (2^(exponent - 23), at least 2^-149), so the
    result does not depend on whether the calling thread flushes float32 denormals to zero.
    """
    exponent = np.floor(np.log2(np.abs(want64.astype(np.float32).astype(np.float64))))
    spacing = np.maximum(2.0 ** (exponent - 23), 2.0**-149)
    return np.abs(got.astype(np.float64) - want64) / spacing


def exp_via_log_softmax_backward(t):
    """exp(t) computed by the kernel's vectorised exp, for any t.

    log_softmax_backward computes g - exp(y) * sum(g) per row; with rows y = [t, 0] and
    g = [0, 1] the first output is exactly -exp(t) (one exp, multiplied by 1).
    """
    y = np.stack([t, np.zeros_like(t)], axis=1)
    g = np.stack([np.zeros_like(t), np.ones_like(t)], axis=1)
    return -_cpu.log_softmax_backward(g, y)[:, 0]


def sweep():
    dense = np.linspace(-104.5, 89.5, 400_001, dtype=np.float64).astype(np.float32)
    near_zero = np.float32(np.geomspace(1e-30, 1, 2001))
    edges = np.float32(
        [
            88.72,
            88.7228,
            88.72284,
            88.7229,
            89.0,
            -87.33,
            -87.34,
            -103.27,
            -103.28,
            -103.97,
            -104.0,
            -104.1,
            -200.0,
            1e30,
            -1e30,
            0.5 * np.log(2),
            -0.5 * np.log(2),
        ]
    )
    return np.concatenate([dense, near_zero, -near_zero, edges])


@pytest.fixture
def two_threads():
    old = _cpu.get_num_threads()
    yield
    _cpu.set_num_threads(old)


# ----------------------------------------------------------------------------- exp accuracy
def test_vectorised_exp_is_accurate_over_the_float_range():
    t = sweep()
    got = exp_via_log_softmax_backward(t)
    with np.errstate(over="ignore"):
        want = np.exp(t.astype(np.float64))
    normal = (want >= F32.tiny) & (want <= F32.max)
    assert ulps(got[normal], want[normal]).max() <= 2.0
    # Results below the smallest normal float are denormal (or flushed to zero: the kernel
    # threads run with FTZ/DAZ); either way the absolute error is below FLT_MIN.
    tiny = want < F32.tiny
    assert np.all(np.abs(got[tiny] - want[tiny]) <= F32.tiny)
    assert np.all(got[t <= -104] == 0)
    assert np.all(np.isinf(got[want > F32.max]))


def test_vectorised_exp_special_values():
    t = np.float32([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, -1e-45])
    got = exp_via_log_softmax_backward(t)
    assert got[0] == np.inf
    assert got[1] == 0
    assert np.isnan(got[2])
    assert np.all(got[3:] == 1.0)


def test_softmax_of_two_logits_matches_float64():
    # softmax([0, t])[1] = e^t / (1 + e^t): the kernel's exp for every t in [-104, 0], then
    # a sum and a division (each rounded once more).
    t = np.linspace(-104, 0, 100_001, dtype=np.float64).astype(np.float32)
    x = np.stack([np.zeros_like(t), t], axis=1)
    t64 = t.astype(np.float64)
    want = np.stack([1 / (1 + np.exp(t64)), np.exp(t64) / (1 + np.exp(t64))], axis=1)
    for variant in _cpu.softmax_variants:
        got = _cpu.softmax_forward(x, variant)
        normal = want >= F32.tiny
        assert ulps(got[normal], want[normal]).max() <= 3.0, variant
        assert np.all(np.abs(got[~normal] - want[~normal]) <= F32.tiny), variant
    # log_softmax([0, t]) = [-log1p(e^t), t - log1p(e^t)]
    got = _cpu.log_softmax_forward(x)
    want = np.stack([-np.log1p(np.exp(t64)), t64 - np.log1p(np.exp(t64))], axis=1)
    np.testing.assert_allclose(got, want, rtol=4 * F32.eps, atol=F32.eps)  # log(1 + tiny) rounds to 0


# ----------------------------------------------------------------------------- special rows
def special_rows(cols):
    """Rows whose special values sit in different online-softmax blocks (2048 floats)."""
    rng = np.random.default_rng(7)
    x = (3 * rng.standard_normal((12, cols))).astype(np.float32)
    x[1, cols - 1] = np.nan  # NaN in the last block: the whole row is NaN
    x[2, cols // 2] = np.inf  # +inf: NaN row, as in the reference
    x[3] = -np.inf  # all -inf: NaN row
    x[4, : cols // 2] = -np.inf  # leading -inf blocks, then finite values
    x[5, -1] = -np.inf  # a single -inf: probability 0
    x[6] += np.linspace(0, 200, cols, dtype=np.float32)  # maximum grows block after block
    x[7] -= np.linspace(0, 200, cols, dtype=np.float32)  # maximum in the first block
    x[8] *= 1e4  # huge logits stay finite
    x[9, 0] = 5e4
    x[10, :] = np.nan
    x[11, 0], x[11, 1:] = 0.0, -np.inf  # one finite entry: probability exactly 1
    return x


@pytest.mark.parametrize("cols", [1, 3, 17, 2048, 2049, 4097, 6000])
def test_special_rows_match_reference(cols):
    x = special_rows(cols)
    t = np.arange(x.shape[0]) % cols
    gl = np.linspace(-1, 1, x.shape[0]).astype(np.float32)
    x64 = x.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        cases = [
            (_cpu.softmax_forward(x, "three_pass"), ref.softmax_forward(x64)),
            (_cpu.softmax_forward(x, "online"), ref.softmax_forward(x64)),
            (_cpu.log_softmax_forward(x), ref.log_softmax_forward(x64)),
            (_cpu.cross_entropy_forward(x, t), ref.cross_entropy_forward(x64, t)),
            (
                _cpu.cross_entropy_backward(x, t, gl),
                ref.cross_entropy_backward(x64, t, gl.astype(np.float64)),
            ),
        ]
    for i, (got, want) in enumerate(cases):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"case {i}")
        ok = ~np.isnan(want)
        assert np.all(np.isinf(got[ok]) == np.isinf(want[ok])), f"case {i}"
        fin = ok & np.isfinite(want)
        tol = 32 * F32.eps * np.sqrt(cols)
        scale = np.maximum(np.abs(want[fin]), 1.0 if i >= 2 else 0.0)  # log-space: absolute
        assert np.all(np.abs(got[fin] - want[fin]) <= tol * scale + 1e-30 + (2e-2 if i in (2, 3) else 0)), (
            f"case {i}"
        )


def test_softmax_rows_of_one_finite_entry_are_exactly_one_hot():
    x = np.full((3, 4097), -np.inf, np.float32)
    x[0, 0], x[1, 2048], x[2, 4096] = 1.0, -3.0, 1e4
    for variant in _cpu.softmax_variants:
        got = _cpu.softmax_forward(x, variant)
        np.testing.assert_array_equal(got, np.isfinite(x).astype(np.float32))


def test_relu_special_values_and_negative_zero():
    x = np.float32([np.nan, -0.0, 0.0, -np.inf, np.inf, -1e-45, 1e-45, -1.0, 2.0] * 5)
    g = np.arange(x.size, dtype=np.float32) + 1
    np.testing.assert_array_equal(_cpu.relu_forward(x), ref.relu_forward(x))
    np.testing.assert_array_equal(_cpu.relu_backward(g, x), ref.relu_backward(g, x))


def test_kernels_leave_the_callers_denormal_mode_alone():
    # Kernels set flush-to-zero only for their own duration (FlushToZeroScope): NumPy's
    # arithmetic on the calling thread must give the same denormal result afterwards as
    # before (normally 1e-41; 0 if something else already switched this thread to FTZ).
    before = np.float32(1e-38) * np.float32(1e-3)
    _cpu.softmax_forward(np.zeros((2, 3), np.float32))
    _cpu.cross_entropy_backward(np.zeros((3, 4), np.float32), np.zeros(3, np.int64), np.ones(3, np.float32))
    _cpu.relu_forward(np.zeros(10, np.float32))
    _cpu.adam_step(
        np.ones(4, np.float32),
        np.ones(4, np.float32),
        np.zeros(4, np.float32),
        np.zeros(4, np.float32),
        1,
        1e-3,
    )
    assert np.float32(1e-38) * np.float32(1e-3) == before


# ----------------------------------------------------------------------------- shapes
def row_kernels(x, g, t, gl, variant="online"):
    y = ref.softmax_forward(x.astype(np.float64)).astype(np.float32)
    return {
        "softmax": _cpu.softmax_forward(x, variant),
        "log_softmax": _cpu.log_softmax_forward(x),
        "softmax_backward": _cpu.softmax_backward(g, y),
        "log_softmax_backward": _cpu.log_softmax_backward(g, np.log(y)),
        "ce_forward": _cpu.cross_entropy_forward(x, t),
        "ce_backward": _cpu.cross_entropy_backward(x, t, gl),
        "relu": _cpu.relu_forward(x),
        "relu_backward": _cpu.relu_backward(g, x),
        "bias_add": _cpu.bias_add(x, np.linspace(-1, 1, x.shape[1], dtype=np.float32)),
        "bias_grad": _cpu.bias_grad(g),
        "argmax": _cpu.argmax(x),
    }


def reference(x, g, t, gl):
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    y = ref.softmax_forward(x64).astype(np.float32).astype(np.float64)
    with np.errstate(divide="ignore"):
        ly = np.log(y.astype(np.float32)).astype(np.float64)
    return {
        "softmax": ref.softmax_forward(x64),
        "log_softmax": ref.log_softmax_forward(x64),
        "softmax_backward": ref.softmax_backward(g64, y),
        "log_softmax_backward": ref.log_softmax_backward(g64, ly),
        "ce_forward": ref.cross_entropy_forward(x64, t),
        "ce_backward": ref.cross_entropy_backward(x64, t, gl.astype(np.float64)),
        "relu": ref.relu_forward(x),
        "relu_backward": ref.relu_backward(g, x),
        "bias_add": x64 + np.linspace(-1, 1, x.shape[1], dtype=np.float32),
        "bias_grad": ref.bias_grad(g64),
        "argmax": np.argmax(x, axis=1) if x.shape[1] else np.zeros(x.shape[0], np.int64),
    }


def inputs(rows, cols, seed=0):
    rng = np.random.default_rng(seed)
    x = (3 * rng.standard_normal((rows, cols))).astype(np.float32)
    g = rng.standard_normal((rows, cols)).astype(np.float32)
    t = rng.integers(0, cols, rows).astype(np.int64)
    gl = rng.standard_normal(rows).astype(np.float32)
    return x, g, t, gl


def check_against_reference(rows, cols, variant="online"):
    x, g, t, gl = inputs(rows, cols)
    got, want = row_kernels(x, g, t, gl, variant), reference(x, g, t, gl)
    tol = 16 * F32.eps * np.sqrt(cols) + 8 * F32.eps
    for name in got:
        w = want[name]
        atol = tol * (np.abs(g).sum(1).max(initial=1) + 1) if "backward" in name else tol
        if name in ("log_softmax", "ce_forward", "bias_grad"):
            atol = tol * max(8.0, np.abs(x).max(initial=0) * 4, np.sqrt(rows) * 4)
        np.testing.assert_allclose(got[name], w, rtol=tol, atol=atol, err_msg=f"{name} {rows}x{cols}")


# Row lengths around every SIMD width (4, 8, 16 lanes, 2 vectors per step) and the online
# softmax block (2048); rows x cols around the OpenMP threshold (kParallelMinWork in
# common.h: 524288 elements for the exp kernels, 1048576 for the elementwise ones).
@pytest.mark.parametrize("cols", list(range(1, 34)) + [47, 64, 2047, 2048, 2049, 4097])
def test_row_lengths(cols):
    check_against_reference(5, cols)


@pytest.mark.parametrize(
    "rows,cols",
    [
        (512, 1023),
        (512, 1024),
        (512, 1025),
        (524287, 1),
        (524289, 1),
        (1024, 1023),
        (1024, 1024),
        (1024, 1025),
        (1, 600000),
        (3, 33),
        (0, 9),
    ],
)
def test_shapes_around_the_threading_threshold(rows, cols):
    check_against_reference(rows, cols)
    check_against_reference(rows, cols, "three_pass")


@pytest.mark.parametrize("cols", [5, 16, 22, 128, 150, 1000])
def test_bias_grad_adds_each_column_in_row_order(cols):
    """bias_grad takes 128 columns at a time in registers, the last narrower strip as whole
    vectors and a masked one, and fewer than a vector of columns in a scalar loop: on every
    path a column's rows are added in order, so the result is a float32 running sum, bit
    for bit."""
    rng = np.random.default_rng(cols)
    for rows in (1, 33, 70):
        g = rng.standard_normal((rows, cols)).astype(np.float32)
        want = np.zeros(cols, np.float32)
        for row in g:
            want = want + row
        assert np.array_equal(_cpu.bias_grad(g), want), (rows, cols)


@pytest.mark.parametrize("n", [131_071, 131_072, 131_073, 262145, 1_048_575, 1_048_576, 1_048_577, 2_500_001])
def test_elementwise_sizes_around_the_threading_threshold(n):
    rng = np.random.default_rng(n)
    x, g = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    specials = np.float32([np.nan, -np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-45, -1e-45, 1e-40, -1e-40])
    x[::997] = np.resize(specials, x[::997].size)  # through the vector and streaming paths too
    np.testing.assert_array_equal(_cpu.relu_forward(x), ref.relu_forward(x))
    np.testing.assert_array_equal(_cpu.relu_backward(g, x), ref.relu_backward(g, x))
    x = rng.standard_normal(n).astype(np.float32)
    p, buf = x.copy(), np.zeros_like(x)
    _cpu.sgd_step(p, g, buf, 0.1, 0.9, 0.0, 0.0, False, True)
    np.testing.assert_allclose(p, x - 0.1 * g, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(buf, g)


def test_cross_entropy_backward_of_long_rows():
    # Rows of several online blocks (2048 floats): block exps rescaled by exp(mb - max).
    x, _, t, gl = inputs(171, 50001, seed=6)
    x[5] += np.linspace(0, 300, 50001, dtype=np.float32)  # the maximum moves block by block
    big = _cpu.cross_entropy_backward(x, t, gl)
    want = ref.cross_entropy_backward(x[::17].astype(np.float64), t[::17], gl[::17].astype(np.float64))
    np.testing.assert_allclose(big[::17], want, rtol=64 * F32.eps, atol=F32.eps)
    np.testing.assert_allclose(
        big[5],
        ref.cross_entropy_backward(x[5:6].astype(np.float64), t[5:6], gl[5:6].astype(np.float64))[0],
        rtol=64 * F32.eps,
        atol=F32.eps,
    )


# ----------------------------------------------------------------------------- threads
def all_outputs(x, g, t, gl):
    out = row_kernels(x, g, t, gl)
    out["softmax_three_pass"] = _cpu.softmax_forward(x, "three_pass")
    for name, args in {
        "sgd": (0.1, 0.9, 0.1, 1e-2, True, False),
        "sgd_plain": (0.1, 0.0, 0.0, 0.0, False, False),
    }.items():
        p, buf = x.copy(), g.copy()
        _cpu.sgd_step(p, g, buf, *args)
        out[name] = p
    p, m, v = x.copy(), g.copy(), np.abs(g)
    _cpu.adam_step(p, g, m, v, 3, 1e-3, 0.9, 0.999, 1e-8, 1e-2)
    out["adam"] = p
    return out


@pytest.mark.parametrize("shape", [(4000, 300), (120, 5000), (3, 200000), (80000, 10)])
def test_results_are_bit_identical_for_1_and_2_threads(two_threads, shape):
    x, g, t, gl = inputs(*shape, seed=3)
    x[1, 5] = np.nan
    _cpu.set_num_threads(1)
    one = all_outputs(x, g, t, gl)
    _cpu.set_num_threads(2)
    two = all_outputs(x, g, t, gl)
    for name in one:
        np.testing.assert_array_equal(one[name], two[name], err_msg=name)


# ----------------------------------------------------------------------------- forced paths
FORCED_PATH_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {testdir!r})
    from pyneuro import _cpu
    import test_fused_cpu as T
    assert _cpu.simd_path() == {path!r}, _cpu.simd_path()
    T.test_vectorised_exp_is_accurate_over_the_float_range()
    T.test_vectorised_exp_special_values()
    T.test_softmax_of_two_logits_matches_float64()
    for cols in [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 2049, 4097]:
        T.check_against_reference(5, cols)
        T.check_against_reference(5, cols, "three_pass")
    for cols in [1, 17, 4097]:
        T.test_special_rows_match_reference(cols)
    T.test_relu_special_values_and_negative_zero()
    T.test_elementwise_sizes_around_the_threading_threshold(2_500_001)  # streaming stores
    T.test_cross_entropy_backward_of_long_rows()
    print("ok", _cpu.simd_path())
""")


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return set(f.read().split())
    except OSError:
        return set()


@pytest.mark.parametrize("path", ["avx2", "scalar"])
def test_forced_simd_paths_agree_with_the_reference(path):
    if path == "avx2" and not {"avx2", "fma"} <= cpu_flags():
        pytest.skip("this CPU has no AVX2+FMA, so PYNEURO_SIMD=avx2 cannot be forced")
    import pyneuro

    root = os.path.dirname(os.path.dirname(os.path.abspath(pyneuro.__file__)))
    env = dict(os.environ, PYNEURO_SIMD=path, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    script = FORCED_PATH_SCRIPT.format(testdir=os.path.dirname(os.path.abspath(__file__)), path=path)
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("ok " + path)


def test_unknown_simd_request_falls_back_to_the_best_path():
    import pyneuro

    root = os.path.dirname(os.path.dirname(os.path.abspath(pyneuro.__file__)))
    code = "from pyneuro import _cpu; print(_cpu.simd_path())"

    def path_with(value):
        env = {k: v for k, v in os.environ.items() if k != "PYNEURO_SIMD"}
        env["PYTHONPATH"] = root
        if value is not None:
            env["PYNEURO_SIMD"] = value
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        return out.stdout.strip()

    best = path_with(None)
    assert best in ("avx512", "avx2", "neon", "scalar")
    assert path_with("avx9000") == best


def test_argmax_denormals_zeros_and_nan():
    x = np.float32(
        [
            [0.0, 1e-45, -1.0],
            [-0.0, 0.0, -1e-45],
            [-1e-45, -2e-45, -np.inf],
            [-np.inf, -np.inf, -np.inf],
            [1.0, np.nan, np.nan],
            [np.inf, 1.0, np.inf],
        ]
    )
    np.testing.assert_array_equal(_cpu.argmax(x), np.argmax(x, axis=1))


@pytest.mark.parametrize("cols", [1, 2, 63, 64, 65, 130, 1000])
def test_argmax_ties_nans_and_chunk_edges(cols):
    """Vectorised argmax (two passes, 64-element chunks): first max / first NaN wherever it is."""
    rng = np.random.default_rng(cols)
    rows = []
    for pos in sorted({0, cols // 2, cols - 1, min(cols - 1, 64), max(0, cols - 65)}):
        r = rng.integers(-3, 3, cols).astype(np.float32)  # many ties
        r[pos] = 7.0
        rows.append(r.copy())
        r[cols - 1] = 7.0  # a later tie loses
        rows.append(r.copy())
        r[pos] = np.nan  # a NaN anywhere wins ...
        rows.append(r.copy())
        r[:pos] = np.nan if pos else r[:pos]  # ... the first one
        rows.append(r.copy())
        r = -np.abs(rng.standard_normal(cols)).astype(np.float32) * 1e-40  # denormals only
        rows.append(r.copy())
        rows.append(np.where(rng.random(cols) < 0.5, -0.0, 0.0).astype(np.float32))
        rows.append(np.full(cols, -np.inf, np.float32))
        rows.append(np.float32(-np.nan) * np.ones(cols, np.float32))
    x = np.stack(rows)
    np.testing.assert_array_equal(_cpu.argmax(x), np.argmax(x, axis=1))
    flipped = np.ascontiguousarray(x[:, ::-1])
    np.testing.assert_array_equal(_cpu.argmax(flipped), np.argmax(flipped, axis=1))
