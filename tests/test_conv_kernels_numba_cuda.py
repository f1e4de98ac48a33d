"""conv2d / pooling kernel-table entries of the numba, cupy and cuda backends against torch.

* numba: every entry on awkward shapes (odd sizes, 1x1 kernels, kernels as large as the
  padded input, stride > kernel, dilation, groups = channels, padding, ceil_mode, ties,
  -inf, NaN, count_include_pad both ways, non-divisible adaptive sizes), values from
  torch.nn.functional and gradients from torch.autograd; bad input raises torch's
  exception types and messages.
* cupy: the same entries through the fake CuPy on the CPU emulator (tests/support/fake_cupy),
  a few small shapes (each launch is checked against the kernel's C signature).
* gpu: the cuda and cupy backends on a real device (skips without one).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from pyneuro import backends

torch = pytest.importorskip("torch")
F = torch.nn.functional
_NUMBA = backends.status("numba")
numba_backend = backends.get("numba") if _NUMBA.available else None
needs_numba = pytest.mark.skipif(not _NUMBA.available, reason=f"numba backend unavailable: {_NUMBA.reason}")

ROOT = Path(__file__).resolve().parent.parent

# (N, C, H, W, O, kH, kW, stride, padding, dilation, groups)
CONV_CASES = [
    (2, 3, 7, 9, 4, 3, 3, (1, 1), (0, 0), (1, 1), 1),  # odd sizes
    (1, 5, 6, 5, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # 1x1 kernel
    (2, 2, 4, 5, 3, 4, 5, (1, 1), (0, 0), (1, 1), 1),  # kernel as large as the input
    (1, 2, 3, 3, 2, 5, 5, (1, 1), (1, 1), (1, 1), 1),  # kernel as large as the padded input
    (2, 3, 11, 10, 2, 2, 3, (3, 4), (0, 1), (1, 1), 1),  # stride > kernel
    (1, 2, 9, 8, 3, 3, 2, (1, 2), (2, 1), (2, 3), 1),  # dilation, padding
    (2, 4, 6, 7, 4, 3, 3, (1, 1), (1, 1), (1, 1), 4),  # groups = channels (depthwise)
    (1, 6, 5, 6, 4, 3, 1, (2, 1), (1, 0), (1, 1), 2),  # groups = 2
    (1, 4, 5, 5, 8, 3, 3, (2, 2), (1, 1), (2, 2), 4),  # depthwise multiplier 2, dilated, strided
    (2, 6, 9, 7, 18, 3, 3, (2, 1), (1, 2), (1, 2), 2),  # 9 outputs per group: the default picks im2col
    (2, 16, 8, 9, 8, 3, 2, (3, 2), (1, 1), (2, 1), 1),  # 16 inputs
]


def _rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def _t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def _close(got, want, tol=1e-4):
    want = want.detach().numpy() if hasattr(want, "detach") else want
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- numba: conv2d
@needs_numba
@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_numba_conv2d_matches_torch(case, with_bias):
    n, c, h, w, o, kh, kw, stride, padding, dilation, groups = case
    rng = np.random.default_rng(hash(case) % 2**32)
    x, wt, b = _rand(rng, n, c, h, w), _rand(rng, o, c // groups, kh, kw), _rand(rng, o)
    tx, tw, tb = _t(x, True), _t(wt, True), (_t(b, True) if with_bias else None)
    ty = F.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    gy = _rand(rng, *ty.shape)
    ty.backward(torch.tensor(gy))
    bias = b if with_bias else None
    for variant in (None, *numba_backend.VARIANTS["conv2d"]):
        _close(
            numba_backend.conv2d_forward(x, wt, bias, stride, padding, dilation, groups, variant=variant), ty
        )
    for variant in (None, *numba_backend.VARIANTS["conv2d"]):
        _close(
            numba_backend.conv2d_backward_input(
                gy, wt, x.shape, stride, padding, dilation, groups, variant=variant
            ),
            tx.grad,
        )
        _close(
            numba_backend.conv2d_backward_weight(
                gy, x, wt.shape, stride, padding, dilation, groups, variant=variant
            ),
            tw.grad,
            2e-4,
        )
    if with_bias:
        _close(numba_backend.conv2d_backward_bias(gy), tb.grad)


@needs_numba
def test_numba_im2col_in_chunks_of_images_matches_torch_and_any_thread_count(monkeypatch):
    """im2col's column matrix holds as many images as fit COLUMN_BYTES: with room for 2 of 5,
    the chunks (2, 2, 1) give torch's values, and every entry the same bits on 1 thread as on all."""
    import numba

    case = (5, 6, 9, 8, 8, 3, 3, (2, 1), (1, 2), (1, 1), 2)
    n, c, h, w, o, kh, kw, stride, padding, dilation, groups = case
    rng = np.random.default_rng(11)
    x, wt = _rand(rng, n, c, h, w), _rand(rng, o, c // groups, kh, kw)
    tx, tw = _t(x, True), _t(wt, True)
    ty = F.conv2d(tx, tw, None, stride, padding, dilation, groups)
    gy = _rand(rng, *ty.shape)
    ty.backward(torch.tensor(gy))
    per_image = (c // groups) * kh * kw * ty.shape[2] * ty.shape[3] * 4
    monkeypatch.setattr(numba_backend.conv, "COLUMN_BYTES", 2 * per_image + 1)
    args = (stride, padding, dilation, groups)

    def run():
        return (
            numba_backend.conv2d_forward(x, wt, None, *args, variant="im2col"),
            numba_backend.conv2d_backward_input(gy, wt, x.shape, *args, variant="im2col"),
            numba_backend.conv2d_backward_weight(gy, x, wt.shape, *args, variant="im2col"),
        )

    got = run()
    _close(got[0], ty)
    _close(got[1], tx.grad)
    _close(got[2], tw.grad, 2e-4)  # the weight gradient's tolerance in the test above
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
    finally:
        numba.set_num_threads(threads)
    for a, b in zip(got, one):
        assert np.array_equal(a, b)


@needs_numba
def test_numba_conv2d_takes_non_contiguous_input_and_is_thread_count_independent():
    rng = np.random.default_rng(1)
    x = _rand(rng, 3, 5, 16, 12).transpose(0, 1, 3, 2)  # non-contiguous [3, 5, 12, 16]
    wt = _rand(rng, 6, 5, 3, 3)[:, :, ::-1, :]  # negative strides
    want = F.conv2d(_t(np.ascontiguousarray(x)), _t(np.ascontiguousarray(wt)), padding=1)
    big = numba_backend.conv2d_forward(x, wt, None, (1, 1), (1, 1), (1, 1), 1, variant="direct")
    _close(big, want)
    # the serial twin (small calls) and the parallel one give the same bits
    serial = np.empty_like(big)
    numba_backend.conv._cv.conv2d_direct.serial(
        np.ascontiguousarray(x),
        np.ascontiguousarray(wt),
        numba_backend.conv._NO_BIAS,
        False,
        serial,
        1,
        1,
        1,
        1,
        1,
        1,
        1,
    )
    assert np.array_equal(big, serial)


@needs_numba
def test_numba_conv2d_unknown_variant_lists_the_valid_ones():
    x, w = np.zeros((1, 1, 3, 3), np.float32), np.zeros((1, 1, 2, 2), np.float32)
    with pytest.raises(ValueError, match="direct, channels, im2col"):
        numba_backend.conv2d_forward(x, w, variant="winograd")


BAD_CONV = [
    # (x shape, w shape, kwargs)
    ((2, 3), (4, 3, 3, 3), {}),
    ((1, 3, 5, 5), (4, 3, 3), {}),
    ((64, 1, 28, 28), (32, 3, 3, 3), {}),
    ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}),
    ((1, 3, 2, 2), (4, 3, 3, 3), {}),
    ((1, 3, 4, 4), (4, 3, 3, 3), {"dilation": 2}),
    ((1, 3, 5, 5), (4, 3, 3, 3), {"stride": 0}),
    ((1, 3, 5, 5), (4, 3, 3, 3), {"padding": -1}),
    ((2, 3, 5, 5), (4, 3, 3, 3), {"dilation": 0}),  # batch 2: torch's batch-1 path has other words
    ((1, 3, 5, 5), (4, 3, 3, 3), {"groups": 0}),
]


@needs_numba
@pytest.mark.parametrize("xs, ws, kw", BAD_CONV)
def test_numba_conv2d_bad_input_raises_what_torch_raises(xs, ws, kw):
    with pytest.raises(RuntimeError) as want:
        F.conv2d(torch.zeros(xs), torch.zeros(ws), **kw)
    args = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **kw}
    with pytest.raises(RuntimeError) as got:
        numba_backend.conv2d_forward(np.zeros(xs, np.float32), np.zeros(ws, np.float32), None, **args)
    if "weight to be 4-D" not in str(got.value):  # torch's 3-D weight message is about stride (conv1d)
        assert str(got.value) == str(want.value)


@needs_numba
def test_numba_conv2d_bad_dtype_and_bias():
    x, w = np.zeros((1, 3, 5, 5), np.float32), np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(TypeError):
        numba_backend.conv2d_forward(x.astype(np.float64), w)
    with pytest.raises(RuntimeError):
        numba_backend.conv2d_forward(x, w.astype(np.float16))
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 4 elements"):
        numba_backend.conv2d_forward(x, w, np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="grad_output"):
        numba_backend.conv2d_backward_input(np.zeros((1, 4, 2, 2), np.float32), w, x.shape)


# ----------------------------------------------------------------------------- numba: pooling
# (N, C, H, W, kernel, stride, padding, dilation, ceil_mode)
POOL_CASES = [
    (2, 3, 7, 9, (3, 3), (2, 2), (1, 1), (1, 1), False),
    (2, 3, 7, 9, (3, 3), (2, 2), (1, 1), (1, 1), True),
    (1, 2, 5, 5, (1, 1), (1, 1), (0, 0), (1, 1), False),
    (1, 2, 5, 6, (5, 6), (1, 1), (0, 0), (1, 1), False),  # kernel = input
    (1, 2, 11, 10, (2, 3), (4, 5), (1, 1), (1, 1), False),  # stride > kernel
    (1, 2, 11, 10, (2, 3), (4, 5), (1, 1), (1, 1), True),
    (1, 2, 9, 8, (3, 2), (1, 2), (1, 0), (1, 1), True),
    (2, 1, 6, 6, (2, 2), (2, 2), (0, 0), (1, 1), True),
]


@needs_numba
@pytest.mark.parametrize("case", POOL_CASES)
def test_numba_max_pool2d_matches_torch(case):
    n, c, h, w, k, s, p, d, ceil = case
    rng = np.random.default_rng(3)
    x = np.round(_rand(rng, n, c, h, w) * 2) / 2  # many ties
    tx = _t(x, True)
    ty, ti = F.max_pool2d(tx, k, s, p, d, ceil, return_indices=True)
    gy = _rand(rng, *ty.shape)
    ty.backward(torch.tensor(gy))
    y, idx = numba_backend.max_pool2d_forward(x, k, s, p, d, ceil)
    assert np.array_equal(y, ty.detach().numpy()) and idx.dtype == np.int64
    assert np.array_equal(idx, ti.numpy())
    _close(numba_backend.max_pool2d_backward(gy, idx, x.shape), tx.grad, 1e-5)


@needs_numba
@pytest.mark.parametrize("shape", [(2, 3, 8, 6), (1, 2, 7, 9), (3, 1, 2, 2), (2, 2, 5, 4)])
@pytest.mark.parametrize("ceil", [False, True])
def test_numba_max_pool2d_2x2_path_matches_torch_and_the_general_kernel(shape, ceil):
    """2x2, stride 2 (the common pooling) runs an unrolled kernel of its own when every window
    is whole (odd sizes in ceil mode take the general one): torch's values, indices, ties and
    NaNs, and the general kernel's bits."""
    rng = np.random.default_rng(5)
    x = np.round(_rand(rng, *shape) * 2) / 2  # many ties
    flat = x.reshape(-1)
    flat[::7], flat[3::11], flat[5::13] = np.nan, -np.inf, np.inf
    ty, ti = F.max_pool2d(_t(x), 2, 2, 0, 1, ceil, return_indices=True)
    y, idx = numba_backend.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), ceil)
    assert np.array_equal(y, ty.numpy(), equal_nan=True)
    assert np.array_equal(idx, ti.numpy())
    yg, ig = np.empty_like(y), np.empty_like(idx)
    numba_backend.conv._cv.max_pool2d_forward(x, yg, ig, 2, 2, 2, 2, 0, 0, 1, 1)
    assert np.array_equal(y, yg, equal_nan=True) and np.array_equal(idx, ig)


@needs_numba
@pytest.mark.parametrize("dilation", [(1, 1), (2, 2), (2, 3)])
def test_numba_max_pool2d_dilated(dilation):
    rng = np.random.default_rng(4)
    x = _rand(rng, 1, 2, 10, 11)
    ty, ti = F.max_pool2d(_t(x), 3, 2, 1, dilation, True, return_indices=True)
    y, idx = numba_backend.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1), dilation, True)
    assert np.array_equal(y, ty.numpy()) and np.array_equal(idx, ti.numpy())


@needs_numba
def test_numba_max_pool2d_ties_inf_and_nan_as_torch():
    x = np.zeros((1, 3, 4, 4), np.float32)  # channel 0: all ties
    x[0, 1] = -np.inf  # channel 1: all -inf
    x[0, 2] = np.arange(16, dtype=np.float32).reshape(4, 4)
    x[0, 2, 0, 1] = np.nan  # channel 2: NaN (first) and a later NaN
    x[0, 2, 1, 0] = np.nan
    x[0, 2, 3, 3] = np.inf
    for args in (((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((4, 4), (4, 4), (0, 0))):
        ty, ti = F.max_pool2d(_t(x), *args, return_indices=True)
        y, idx = numba_backend.max_pool2d_forward(x, *args)
        np.testing.assert_array_equal(y, ty.numpy())  # NaN == NaN here
        assert np.array_equal(idx, ti.numpy()), (args, idx, ti.numpy())


@needs_numba
@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 3])
def test_numba_avg_pool2d_matches_torch(case, count_include_pad, divisor_override):
    n, c, h, w, k, s, p, _, ceil = case
    rng = np.random.default_rng(5)
    x = _rand(rng, n, c, h, w)
    tx = _t(x, True)
    ty = F.avg_pool2d(tx, k, s, p, ceil, count_include_pad, divisor_override)
    gy = _rand(rng, *ty.shape)
    ty.backward(torch.tensor(gy))
    _close(numba_backend.avg_pool2d_forward(x, k, s, p, ceil, count_include_pad, divisor_override), ty, 1e-5)
    _close(
        numba_backend.avg_pool2d_backward(gy, x.shape, k, s, p, ceil, count_include_pad, divisor_override),
        tx.grad,
        1e-5,
    )


@pytest.mark.parametrize(
    "hw, out", [((7, 9), (3, 4)), ((5, 5), (5, 5)), ((4, 6), (1, 1)), ((3, 5), (7, 8)), ((10, 7), (4, 3))]
)
@needs_numba
def test_numba_adaptive_avg_pool2d_matches_torch(hw, out):
    rng = np.random.default_rng(6)
    x = _rand(rng, 2, 3, *hw)
    tx = _t(x, True)
    ty = F.adaptive_avg_pool2d(tx, out)
    gy = _rand(rng, *ty.shape)
    ty.backward(torch.tensor(gy))
    _close(numba_backend.adaptive_avg_pool2d_forward(x, out), ty, 1e-5)
    _close(numba_backend.adaptive_avg_pool2d_backward(gy, x.shape), tx.grad, 1e-5)


BAD_POOL = [
    ("max", (1, 3, 5, 5), {"kernel": 3, "stride": 1, "padding": 2}),
    ("max", (1, 3, 5, 5), {"kernel": 3, "stride": 0, "padding": 1}),
    ("max", (1, 3, 1, 1), {"kernel": 2, "stride": 2, "padding": 0}),
    ("avg", (1, 3, 5, 5), {"kernel": 3, "stride": 1, "padding": 2}),
    ("avg", (1, 3, 1, 1), {"kernel": 2, "stride": 2, "padding": 0}),
    ("avg", (1, 3, 5, 5), {"kernel": 2, "stride": 2, "padding": 0, "divisor_override": 0}),
]


@needs_numba
@pytest.mark.parametrize("kind, shape, kw", BAD_POOL)
def test_numba_pool_bad_input_raises_what_torch_raises(kind, shape, kw):
    tkw = dict(kw)
    tkw["kernel_size"] = tkw.pop("kernel")
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    with pytest.raises(RuntimeError) as want:
        fn(torch.zeros(shape), **tkw)
    ours = numba_backend.max_pool2d_forward if kind == "max" else numba_backend.avg_pool2d_forward
    with pytest.raises(RuntimeError) as got:
        ours(np.zeros(shape, np.float32), **kw)
    assert str(got.value) == str(want.value)


@needs_numba
def test_numba_pool_bad_indices_and_empty_adaptive_input():
    gy = np.ones((1, 1, 2, 2), np.float32)
    with pytest.raises(RuntimeError):
        numba_backend.max_pool2d_backward(gy, np.full((1, 1, 2, 2), 16, np.int64), (1, 1, 4, 4))
    with pytest.raises(TypeError):
        numba_backend.max_pool2d_backward(gy, np.zeros((1, 1, 2, 2), np.int32), (1, 1, 4, 4))
    with pytest.raises(RuntimeError) as want:
        F.adaptive_avg_pool2d(torch.zeros(1, 3, 0, 5), (1, 2))
    with pytest.raises(RuntimeError) as got:
        numba_backend.adaptive_avg_pool2d_forward(np.zeros((1, 3, 0, 5), np.float32), (1, 2))
    assert str(got.value) == str(want.value)


# ----------------------------------------------------------------------------- cupy on the emulator
EMU = ROOT / "tests" / "support" / "cuda_emu"
FAKE = ROOT / "tests" / "support" / "fake_cupy"

# Runs in a subprocess whose `cupy` is the fake one; argv[1]: "quick" or "all".
CUPY_SCRIPT = r"""
import sys
import numpy as np, torch, cupy
import torch.nn.functional as F
assert getattr(cupy, "IS_FAKE_CUPY", False)
from pyneuro import backends
bk = backends.get("cupy")
rng = np.random.default_rng(0)
conv_cases = CONV_CASES if sys.argv[1] == "all" else [CONV_CASES[i] for i in (0, 2, 5, 7)]
checked = 0

def close(got, want, what, tol=1e-4):
    global checked
    got = cupy.asnumpy(got)
    want = want.detach().numpy()
    assert got.shape == want.shape and got.dtype == want.dtype, (what, got.shape, want.shape, got.dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)
    checked += 1

for case in conv_cases:
    n, c, h, w, o, kh, kw, stride, padding, dilation, groups = case
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((o, c // groups, kh, kw)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, wt, b))
    ty = F.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    gy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(gy))
    dx, dw, db, dgy = (bk.asarray(a) for a in (x, wt, b, gy))
    for v in ("naive", "tiled"):
        close(bk.conv2d_forward(dx, dw, db, stride, padding, dilation, groups, variant=v), ty, f"fwd {v} {case}")
        close(bk.conv2d_backward_input(dgy, dw, x.shape, stride, padding, dilation, groups, variant=v), tx.grad,
              f"dx {v} {case}")
        close(bk.conv2d_backward_weight(dgy, dx, wt.shape, stride, padding, dilation, groups, variant=v), tw.grad,
              f"dw {v} {case}", 2e-4)
    close(bk.conv2d_backward_bias(dgy), tb.grad, f"db {case}")
y0 = bk.conv2d_forward(bk.asarray(x), bk.asarray(wt), None, stride, padding, dilation, groups)
close(y0, F.conv2d(torch.tensor(x), torch.tensor(wt), None, stride, padding, dilation, groups), "no bias")

x = np.round(rng.standard_normal((2, 3, 7, 9)).astype(np.float32) * 2) / 2
x[0, 0, 1, :3] = np.nan
x[1, 1] = -np.inf
for k, s, p, d, ceil in (((3, 3), (2, 2), (1, 1), (1, 1), True), ((2, 3), (4, 5), (1, 1), (2, 1), False)):
    tx = torch.tensor(x, requires_grad=True)
    ty, ti = F.max_pool2d(tx, k, s, p, d, ceil, return_indices=True)
    gy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(gy))
    y, idx = bk.max_pool2d_forward(bk.asarray(x), k, s, p, d, ceil)
    np.testing.assert_array_equal(cupy.asnumpy(y), ty.detach().numpy())
    assert np.array_equal(cupy.asnumpy(idx), ti.numpy())
    close(bk.max_pool2d_backward(bk.asarray(gy), idx, x.shape), tx.grad, "max bwd", 1e-5)
    for cip in (True, False):
        for div in (None, 5):
            x2 = np.nan_to_num(x, nan=0.5, neginf=-3.0)
            tx = torch.tensor(x2, requires_grad=True)
            ty = F.avg_pool2d(tx, k, s, p, ceil, cip, div)
            gy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
            ty.backward(torch.tensor(gy))
            close(bk.avg_pool2d_forward(bk.asarray(x2), k, s, p, ceil, cip, div), ty, "avg fwd", 1e-5)
            close(bk.avg_pool2d_backward(bk.asarray(gy), x2.shape, k, s, p, ceil, cip, div), tx.grad, "avg bwd", 1e-5)
for hw, out in (((7, 9), (3, 4)), ((3, 5), (7, 8)), ((10, 7), (4, 3))):
    x = rng.standard_normal((2, 3, *hw)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ty = F.adaptive_avg_pool2d(tx, out)
    gy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(gy))
    close(bk.adaptive_avg_pool2d_forward(bk.asarray(x), out), ty, "adaptive fwd", 1e-5)
    close(bk.adaptive_avg_pool2d_backward(bk.asarray(gy), x.shape), tx.grad, "adaptive bwd", 1e-5)
try:
    bk.conv2d_forward(bk.asarray(np.zeros((1, 3, 2, 2), np.float32)), bk.asarray(np.zeros((4, 3, 3, 3), np.float32)))
    raise AssertionError("no error")
except RuntimeError as err:
    assert "Kernel size can't be greater than actual input size" in str(err)
print("CHECKED", checked)
"""


def _cupy_emulated(tmp_path, which):
    import shutil
    import subprocess
    import sys

    if not (FAKE / "cupy" / "__init__.py").is_file() or not (EMU / "cuda_runtime_api.h").is_file():
        pytest.skip("not running from a source tree (tests/support/fake_cupy is missing)")
    if not (shutil.which("g++") or shutil.which("c++")):
        pytest.skip("no host C++ compiler (g++) to build the CUDA emulator")
    import pyneuro

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(FAKE), str(Path(pyneuro.__file__).resolve().parents[1])])
    env["PYNEURO_BACKEND"] = "cupy"
    env["FAKE_CUPY_CACHE"] = str(tmp_path)
    env.pop("FAKE_CUPY_DEVICES", None)
    env.pop("FAKE_CUPY_STRICT_HOST", None)
    script = f"CONV_CASES = {CONV_CASES!r}\n" + CUPY_SCRIPT
    res = subprocess.run(
        [sys.executable, "-c", script, which],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    assert "CHECKED" in res.stdout and int(res.stdout.split("CHECKED")[1]) > 20, res.stdout


def test_cupy_conv_and_pool_on_the_emulator_quick(tmp_path):
    """The cupy entries (conv.cuh, pool.cuh via RawModule) on the CPU emulator, against torch."""
    _cupy_emulated(tmp_path, "quick")


@pytest.mark.slow
def test_cupy_conv_on_the_emulator_all_shapes(tmp_path):
    _cupy_emulated(tmp_path, "all")


# ----------------------------------------------------------------------------- cuda on the emulator
CUDA_SCRIPT = (
    CUPY_SCRIPT.replace(
        "import sys\nimport numpy as np, torch, cupy", "import sys\nimport numpy as np, torch"
    )
    .replace('assert getattr(cupy, "IS_FAKE_CUPY", False)\n', "")
    .replace(
        'bk = backends.get("cupy")',
        'bk = backends.get("cuda")\nimport types\ncupy = types.SimpleNamespace(asnumpy=bk.to_numpy)',
    )
)


@pytest.mark.slow
def test_cuda_conv_and_pool_through_the_emulated_extension(emulated_package, tmp_path):
    """pyneuro._cuda (conv_launch.cu, cuda_conv.cpp, the .cuh kernels) built against the CPU emulator."""
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(emulated_package))
    env.pop("PYNEURO_BACKEND", None)
    script = f"CONV_CASES = {CONV_CASES!r}\n" + CUDA_SCRIPT
    res = subprocess.run(
        [sys.executable, "-c", script, "quick"],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    assert int(res.stdout.split("CHECKED")[1]) > 20, res.stdout


# ----------------------------------------------------------------------------- real GPU
@pytest.mark.gpu
@pytest.mark.parametrize("name", ["cuda", "cupy"])
def test_conv_and_pool_on_the_gpu(name):
    from pyneuro import backends

    st = backends.status(name)
    if not st.available:
        pytest.skip(st.reason)
    bk = backends.get(name)
    rng = np.random.default_rng(7)
    for case in CONV_CASES + [(8, 32, 33, 31, 64, 3, 3, (1, 1), (1, 1), (1, 1), 1)]:
        n, c, h, w, o, kh, kw, stride, padding, dilation, groups = case
        x, wt, b = _rand(rng, n, c, h, w), _rand(rng, o, c // groups, kh, kw), _rand(rng, o)
        tx, tw, tb = _t(x, True), _t(wt, True), _t(b, True)
        ty = F.conv2d(tx, tw, tb, stride, padding, dilation, groups)
        gy = _rand(rng, *ty.shape)
        ty.backward(torch.tensor(gy))
        dx, dw, db, dgy = (bk.asarray(a) for a in (x, wt, b, gy))
        for v in bk.VARIANTS["conv2d"]:
            _close(
                bk.to_numpy(bk.conv2d_forward(dx, dw, db, stride, padding, dilation, groups, variant=v)),
                ty,
                1e-3,
            )
            _close(
                bk.to_numpy(
                    bk.conv2d_backward_input(dgy, dw, x.shape, stride, padding, dilation, groups, variant=v)
                ),
                tx.grad,
                1e-3,
            )
            _close(
                bk.to_numpy(
                    bk.conv2d_backward_weight(dgy, dx, wt.shape, stride, padding, dilation, groups, variant=v)
                ),
                tw.grad,
                2e-3,
            )
        _close(bk.to_numpy(bk.conv2d_backward_bias(dgy)), tb.grad, 1e-3)
    for case in POOL_CASES:
        n, c, h, w, k, s, p, d, ceil = case
        x = np.round(_rand(rng, n, c, h, w) * 2) / 2
        ty, ti = F.max_pool2d(_t(x), k, s, p, d, ceil, return_indices=True)
        y, idx = bk.max_pool2d_forward(bk.asarray(x), k, s, p, d, ceil)
        assert np.array_equal(bk.to_numpy(y), ty.numpy()) and np.array_equal(bk.to_numpy(idx), ti.numpy())
        for cip in (True, False):
            _close(
                bk.to_numpy(bk.avg_pool2d_forward(bk.asarray(x), k, s, p, ceil, cip)),
                F.avg_pool2d(_t(x), k, s, p, ceil, cip),
                1e-5,
            )
