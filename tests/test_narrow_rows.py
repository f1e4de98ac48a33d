"""The narrow-row path of the softmax family (csrc/cpu/simd_softmax.h, "narrow rows"): rows of
at most 32 columns run kWidth rows at a time (16 with AVX-512, 8 with AVX2), the last partial
group on zero-padded copies. Awkward column counts (1, 2, 7, 10, 16, 17, 31, 32, 33: the
last one takes the row path) and row counts around the group sizes, against the NumPy
reference (float64) and torch; special values inside a group; strided and misaligned inputs;
the same bits for any thread count."""

from __future__ import annotations

import numpy as np
import pytest

from pyneuro import backends

COLS = (1, 2, 7, 10, 16, 17, 31, 32, 33)
ROWS = (1, 7, 8, 9, 15, 16, 17, 40, 100)


def _ref():
    return backends.get("numpy")


def _inputs(rows, cols, seed):
    rng = np.random.default_rng(seed)
    x = (3 * rng.standard_normal((rows, cols))).astype(np.float32)
    t = rng.integers(0, cols, rows)
    gl = rng.standard_normal(rows).astype(np.float32)
    g = rng.standard_normal((rows, cols)).astype(np.float32)
    return x, t, gl, g


def _all_kernels(bk, x, t, gl, g):
    ref = _ref()
    y = ref.softmax_forward(x.astype(np.float64)).astype(np.float32)
    ly = ref.log_softmax_forward(x.astype(np.float64)).astype(np.float32)
    return {
        "softmax": bk.softmax_forward(x),
        "log_softmax": bk.log_softmax_forward(x),
        "ce_forward": bk.cross_entropy_forward(x, t),
        "ce_backward": bk.cross_entropy_backward(x, t, gl),
        "softmax_backward": bk.softmax_backward(g, y),
        "log_softmax_backward": bk.log_softmax_backward(g, ly),
    }


def _expected(x, t, gl, g):
    """The same kernels in float64 by the NumPy reference."""
    d = [a.astype(np.float64) for a in (x, gl, g)]
    return _all_kernels(_ref(), d[0], t, d[1], d[2])


@pytest.mark.parametrize("cols", COLS)
@pytest.mark.parametrize("rows", ROWS)
def test_narrow_rows_match_reference(cpu_device_backend, rows, cols):
    x, t, gl, g = _inputs(rows, cols, seed=rows * 100 + cols)
    got = _all_kernels(cpu_device_backend, x, t, gl, g)
    want = _expected(x, t, gl, g)
    for name in got:
        assert got[name].dtype == np.float32, name
        np.testing.assert_allclose(got[name], want[name], rtol=2e-5, atol=2e-6, err_msg=name)


@pytest.mark.parametrize("cols", (2, 10, 17, 32))
def test_narrow_rows_match_torch(cols):
    torch = pytest.importorskip("torch")
    bk = backends.get("cpu") if backends.status("cpu").available else pytest.skip("cpu backend unavailable")
    x, t, gl, _ = _inputs(37, cols, seed=cols)
    xt = torch.from_numpy(x).requires_grad_(True)
    losses = torch.nn.functional.cross_entropy(xt, torch.from_numpy(t), reduction="none")
    (losses * torch.from_numpy(gl)).sum().backward()
    np.testing.assert_allclose(bk.cross_entropy_forward(x, t), losses.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bk.cross_entropy_backward(x, t, gl), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        bk.softmax_forward(x), torch.softmax(torch.from_numpy(x), 1).numpy(), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(
        bk.log_softmax_forward(x), torch.log_softmax(torch.from_numpy(x), 1).numpy(), rtol=1e-5, atol=1e-5
    )


def test_special_values_inside_a_group(cpu_device_backend):
    """Rows of -inf, NaN and +inf next to ordinary rows in one group: as the reference."""
    bk, ref = cpu_device_backend, _ref()
    rows = [
        [-np.inf] * 10,
        [np.nan] + [0.0] * 9,
        [np.inf] + [0.0] * 9,
        [-np.inf] + [1.0] * 9,
        list(range(10)),
    ]
    x = np.array(rows * 4, np.float32)  # 20 rows: a whole group and a partial one
    t = np.arange(20) % 10
    gl = np.ones(20, np.float32)
    for name, a, b in [
        ("softmax", bk.softmax_forward(x), ref.softmax_forward(x)),
        ("log_softmax", bk.log_softmax_forward(x), ref.log_softmax_forward(x)),
        ("ce_forward", bk.cross_entropy_forward(x, t), ref.cross_entropy_forward(x, t)),
        ("ce_backward", bk.cross_entropy_backward(x, t, gl), ref.cross_entropy_backward(x, t, gl)),
    ]:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=name)


def test_strided_and_misaligned_inputs(cpu_device_backend):
    bk = cpu_device_backend
    x, t, gl, _ = _inputs(33, 10, seed=5)
    strided = np.repeat(x, 2, axis=0)[::2]  # every other row of a bigger array
    assert not strided.flags.c_contiguous or strided.base is not None
    buf = np.zeros(x.nbytes + 1, np.uint8)
    misaligned = np.frombuffer(buf.data, np.float32, x.size, offset=1).reshape(x.shape)
    misaligned[...] = x
    want = _expected(x, t, gl, np.zeros_like(x))
    for xx in (strided, misaligned, x.T.copy().T):
        np.testing.assert_allclose(bk.softmax_forward(xx), want["softmax"], rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(bk.cross_entropy_forward(xx, t), want["ce_forward"], rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(
            bk.cross_entropy_backward(xx, t, gl), want["ce_backward"], rtol=2e-5, atol=2e-6
        )


def test_same_bits_for_any_thread_count():
    """Rows land in different groups when the rows are split differently over threads; the
    results must not change by a bit (lanes are independent, partial groups padded)."""
    if not backends.status("cpu").available:
        pytest.skip("cpu backend unavailable")
    bk = backends.get("cpu")
    x, t, gl, g = _inputs(20001, 10, seed=7)  # big enough to be split over threads
    before = bk.get_num_threads()
    try:
        bk.set_num_threads(1)
        one = _all_kernels(bk, x, t, gl, g)
        bk.set_num_threads(max(2, before))
        many = _all_kernels(bk, x, t, gl, g)
        # The same rows, starting at an odd row: every group boundary moves.
        shifted = _all_kernels(bk, x[3:], t[3:], gl[3:], g[3:])
    finally:
        bk.set_num_threads(before)
    for name in one:
        np.testing.assert_array_equal(one[name], many[name], err_msg=name)
        np.testing.assert_array_equal(one[name][3:], shifted[name], err_msg=name)


def test_large_softmax_unaligned_rows():
    """A large output (2**24 floats) of rows of 16385 columns (each row starts unaligned,
    several online blocks per row), with special rows, as the reference."""
    if not backends.status("cpu").available:
        pytest.skip("cpu backend unavailable")
    bk = backends.get("cpu")
    rng = np.random.default_rng(11)
    x = (3 * rng.standard_normal((1024, 16385))).astype(np.float32)
    x[5] = -np.inf
    x[6, 7] = np.nan
    x[7, 100:] = -np.inf
    want = _ref().softmax_forward(x)
    for variant in ("online", "three_pass"):
        np.testing.assert_allclose(bk.softmax_forward(x, variant), want, rtol=2e-5, atol=1e-9, equal_nan=True)


_SPLITS = """
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
from pyneuro import backends
import test_narrow_rows as m
bk = backends.get("cpu")
x, t, gl, g = m._inputs(20001, 10, seed=3)
x[77, :3] = [np.nan, np.inf, -np.inf]
out = {}
for threads in (1, 2):
    bk.set_num_threads(threads)
    for name, a in m._all_kernels(bk, x, t, gl, g).items():
        out[f"{threads}/{name}"] = a
for name, a in m._all_kernels(bk, x[3:], t[3:], gl[3:], g[3:]).items():  # every group boundary moves
    out[f"shifted/{name}"] = a
np.savez(sys.argv[1], **out)
"""


@pytest.mark.parametrize("simd", ["native", "avx2", "scalar"])
def test_ten_class_rows_take_the_fixed_width_loop_with_the_same_bits_for_any_split(tmp_path, simd):
    """10-column rows run through a loop compiled for cols = 10 (with_cols in simd_softmax.h),
    whole groups and the padded last one alike: on each SIMD path the bits do not depend on the
    thread split, and they match the general loop's (PYNEURO_NARROW_FIXED=0) to float32
    rounding (the compiler may fuse a multiply and an add differently in the unrolled loop)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    if not backends.status("cpu").available:
        pytest.skip("cpu backend unavailable")
    runs = {}
    for fixed in ("1", "0"):
        env = dict(os.environ, PYNEURO_NARROW_FIXED=fixed)
        if simd != "native":
            env["PYNEURO_SIMD"] = simd
        path = tmp_path / f"fixed{fixed}.npz"
        here = str(Path(__file__).resolve().parent)
        res = subprocess.run(
            [sys.executable, "-c", _SPLITS, str(path), here], env=env, capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr[-3000:]
        runs[fixed] = dict(np.load(path))
    fixed, general = runs["1"], runs["0"]
    names = [k.split("/")[1] for k in fixed if k.startswith("1/")]
    assert len(names) == 6
    for name in names:
        one = fixed[f"1/{name}"]
        np.testing.assert_array_equal(one, fixed[f"2/{name}"], err_msg=name)
        np.testing.assert_array_equal(one[3:], fixed[f"shifted/{name}"], err_msg=name)
        # (atol: a backward's g - dot cancels, so a 1-ulp change in dot is no longer 1 ulp of the result)
        np.testing.assert_allclose(one, general[f"1/{name}"], rtol=1e-6, atol=1e-6, err_msg=name)


def test_tiny_probabilities_are_denormals_as_torchs(backend_name):
    """softmax([1, 10, 100])[0] is 1.0089e-43 in torch (it keeps denormals); the C++ kernels
    run the softmax family with denormals kept (KeepDenormalsScope) and numba's exp builds
    2^n in two steps, so all three backends give torch's values, not 0."""
    import pyneuro as pn

    torch = pytest.importorskip("torch")
    rows = np.array([[1.0, 10.0, 100.0], [0.0, -95.0, -100.0]] * 3, np.float32)
    targets = np.array([2, 0] * 3)

    def run(m):
        x = m.tensor(rows, requires_grad=True)
        m.nn.functional.cross_entropy(x, m.tensor(targets)).backward()
        return x.softmax(1).detach().numpy(), x.log_softmax(1).detach().numpy(), x.grad.numpy()

    for g, w in zip(run(pn), run(torch)):
        assert ((g != 0) == (w != 0)).all()
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=0)
