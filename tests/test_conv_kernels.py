"""Conv2d and pooling kernels of every CPU-device backend (and every C++ rung) against torch.

Each kernel-table entry -- conv2d forward / backward input / backward weight / backward bias,
max_pool2d, avg_pool2d, adaptive_avg_pool2d forward and backward -- is compared with
torch.nn.functional in float64 (forward values, gradients from torch.autograd) on awkward
shapes: odd sizes, 1x1 kernels, kernels as large as the input, stride > kernel, dilation,
depthwise and grouped convolutions, padding, batch 1, non-contiguous input. Max pooling:
ties, -inf, NaN, ceil_mode (indices compared exactly). Bad input raises torch's exception
type (RuntimeError; ValueError/TypeError through pyneuro._errors) with torch's message.

IMPLS lists (backend, variant) for every available backend on the CPU device that has the
conv entries, so a new backend (numba) joins by adding them to its table. GPU backends have
their own file.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyneuro import backends

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _impls():
    out = []
    for name, spec in backends.BACKENDS.items():
        if spec[0] != "cpu" or not backends.status(name).available:
            continue
        table = backends.get(name)
        if not hasattr(table, "conv2d_forward"):
            continue
        for v in table.VARIANTS.get("conv2d", (None,)):
            out.append(pytest.param(table, v, id=f"{name}-{v}"))
    return out


IMPLS = _impls()
BACKEND_TABLES = {p.values[0].NAME: p.values[0] for p in IMPLS}
TABLES = [pytest.param(t, id=n) for n, t in BACKEND_TABLES.items()]


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, np.float64), requires_grad=grad)


def close(got, want, rtol=2e-5):
    want = np.asarray(want)
    scale = max(1.0, float(np.nanmax(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale * 4)


# (x shape, w shape, stride, padding, dilation, groups)
CONV_CASES = {
    "odd": ((2, 3, 7, 9), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    "1x1-batch1": ((1, 5, 6, 7), (3, 5, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    "kernel=input": ((2, 2, 5, 6), (3, 2, 5, 6), (1, 1), (0, 0), (1, 1), 1),
    "stride>kernel": ((2, 3, 8, 9), (4, 3, 2, 2), (3, 3), (0, 0), (1, 1), 1),
    "dilation2-groups2-pad": ((2, 4, 9, 9), (6, 2, 3, 3), (1, 1), (1, 1), (2, 2), 2),
    "depthwise": ((3, 6, 7, 7), (6, 1, 3, 3), (2, 1), (1, 1), (1, 1), 6),
    "asymmetric": ((2, 3, 6, 6), (4, 3, 3, 2), (1, 2), (2, 0), (1, 2), 1),
    "1x1-stride-pad-groups": ((1, 4, 5, 5), (8, 2, 1, 1), (2, 2), (1, 1), (1, 1), 2),
    "kernel=padded-input": ((1, 2, 3, 3), (2, 2, 5, 5), (1, 1), (1, 1), (1, 1), 1),
    "mnist-conv2": ((2, 32, 26, 26), (64, 32, 3, 3), (1, 1), (0, 0), (1, 1), 1),  # K*P > one L2 tile
    "pointwise-tiled": ((1, 256, 24, 24), (8, 256, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    "mnist-conv1": ((3, 1, 28, 28), (32, 1, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    # K = 576, P = 30*15: the implicit rung's tiles (224 columns) end in the middle of an output row
    "tiled-strided-padded": ((2, 64, 30, 29), (5, 64, 3, 3), (1, 2), (1, 1), (1, 1), 1),
    # Few output positions (P < 32): the implicit rung's grad_w batches images into one GEMM.
    "P1-whole-window-odd": ((5, 7, 4, 4), (3, 7, 4, 4), (1, 1), (0, 0), (1, 1), 1),  # DCGAN head
    "P1-whole-window-groups": ((6, 6, 3, 3), (9, 2, 3, 3), (1, 1), (0, 0), (1, 1), 3),
    "P1-from-1x1-pad": ((3, 5, 1, 1), (4, 5, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "P1-stride-dilation": ((2, 3, 7, 7), (5, 3, 3, 3), (4, 4), (0, 0), (3, 3), 1),
    "P1-batch1": ((1, 3, 2, 5), (1, 3, 2, 5), (1, 1), (0, 0), (1, 1), 1),
    "P2-odd": ((7, 3, 3, 4), (5, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    "P3-pad-groups": ((9, 4, 1, 3), (6, 2, 1, 3), (1, 1), (0, 1), (1, 1), 2),
    "P1-batch>chunk": ((300, 3, 2, 2), (2, 3, 2, 2), (1, 1), (0, 0), (1, 1), 1),  # 256 images a chunk
    "P1-x-strided-window": ((70, 2, 5, 5), (3, 2, 3, 3), (1, 1), (0, 0), (2, 2), 1),
}


@pytest.mark.parametrize("case", list(CONV_CASES))
@pytest.mark.parametrize("table,variant", IMPLS)
def test_conv2d_matches_torch(table, variant, case):
    xs, ws, stride, padding, dilation, groups = CONV_CASES[case]
    rng = np.random.default_rng(abs(hash(case)) % 2**32)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    xt, wt, bt = t64(x, True), t64(w, True), t64(b, True)
    yt = F.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(t64(g))
    args = (stride, padding, dilation, groups)

    y = table.conv2d_forward(x, w, b, *args, variant=variant)
    assert y.dtype == np.float32 and y.shape == tuple(yt.shape)
    close(y, yt.detach().numpy())
    close(table.conv2d_forward(x, w, None, *args, variant=variant), (yt - bt[:, None, None]).detach().numpy())
    gx = table.conv2d_backward_input(g, w, x.shape, *args, variant=variant)
    assert gx.dtype == np.float32
    close(gx, xt.grad.numpy())
    gw = table.conv2d_backward_weight(g, x, w.shape, *args, variant=variant)
    assert gw.dtype == np.float32 and gw.shape == w.shape
    close(gw, wt.grad.numpy())
    close(table.conv2d_backward_bias(g), bt.grad.numpy())


@pytest.mark.parametrize("table,variant", IMPLS)
def test_conv2d_empty_batch(table, variant):
    x, w = np.ones((0, 2, 5, 5), np.float32), np.ones((3, 2, 3, 3), np.float32)
    assert table.conv2d_forward(x, w, variant=variant).shape == (0, 3, 3, 3)
    g = np.ones((0, 3, 3, 3), np.float32)
    assert table.conv2d_backward_input(g, w, x.shape, variant=variant).shape == x.shape
    np.testing.assert_array_equal(
        table.conv2d_backward_weight(g, x, w.shape, variant=variant), np.zeros(w.shape)
    )


@pytest.mark.parametrize("table,variant", IMPLS)
def test_conv2d_non_contiguous(table, variant):
    rng = np.random.default_rng(1)
    base = rng.standard_normal((2, 7, 3, 12)).astype(np.float32)
    x = base.transpose(0, 2, 1, 3)[:, :, :, ::2]  # (2, 3, 7, 6), strided view
    w = rng.standard_normal((5, 3, 4, 3)).astype(np.float32)[:, :, ::-1]  # (5, 3, 4, 3) reversed
    xt, wt = t64(x, True), t64(w, True)
    yt = F.conv2d(xt, wt, None, (1, 2), (0, 0), (1, 1), 1)
    g = np.ascontiguousarray(rng.standard_normal(tuple(yt.shape))[..., ::-1]).astype(np.float32)[..., ::-1]
    yt.backward(t64(g))
    close(table.conv2d_forward(x, w, None, (1, 2), (0, 0), (1, 1), 1, variant=variant), yt.detach().numpy())
    close(
        table.conv2d_backward_input(g, w, x.shape, (1, 2), (0, 0), (1, 1), 1, variant=variant),
        xt.grad.numpy(),
    )
    close(
        table.conv2d_backward_weight(g, x, w.shape, (1, 2), (0, 0), (1, 1), 1, variant=variant),
        wt.grad.numpy(),
    )


def test_cpu_small_p_grad_weight_same_for_any_thread_count():
    """The batched grad_w (P < 32) chunks images by shape only, never by thread count."""
    if "cpu" not in BACKEND_TABLES:
        pytest.skip("cpu backend unavailable")
    cpu = BACKEND_TABLES["cpu"]
    rng = np.random.default_rng(3)
    for xs, ws in (((600, 64, 4, 4), (8, 64, 4, 4)), ((300, 16, 3, 3), (32, 16, 2, 2))):
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        g = rng.standard_normal((xs[0], ws[0], xs[2] - ws[2] + 1, xs[3] - ws[3] + 1)).astype(np.float32)
        before = cpu.get_num_threads()
        try:
            got = []
            for n in (1, 2, 3):
                cpu.set_num_threads(n)
                got.append(cpu.conv2d_backward_weight(g, x, w.shape, 1, 0, 1, 1, variant="implicit"))
        finally:
            cpu.set_num_threads(before)
        for other in got[1:]:
            np.testing.assert_array_equal(other, got[0])
        want = np.einsum("nop,nkp->ok", g.reshape(xs[0], ws[0], -1).astype(np.float64), _unfold(x, ws))
        close(got[0], want.reshape(ws))


def _unfold(x, ws):
    """im2col of x (N, C, H, W) for a ws kernel, stride 1, no padding: (N, C*kh*kw, P), float64."""
    t = torch.nn.functional.unfold(torch.tensor(x, dtype=torch.float64), ws[2:])
    return t.numpy()


def test_cpu_rungs_agree_for_any_thread_count():
    """No rung lets the result depend on how many threads ran it (fixed reduction order)."""
    if "cpu" not in BACKEND_TABLES:
        pytest.skip("cpu backend unavailable")
    cpu = BACKEND_TABLES["cpu"]
    rng = np.random.default_rng(2)
    # 21 MFLOP per call: above the parallel threshold (common.h), 9 images = 3 chunks of grad_w.
    x = rng.standard_normal((9, 16, 16, 16)).astype(np.float32)
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    g = rng.standard_normal((9, 32, 16, 16)).astype(np.float32)
    before = cpu.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            cpu.set_num_threads(n)
            results.append(
                [
                    (
                        cpu.conv2d_forward(x, w, None, 1, 1, 1, 1, variant=v),
                        cpu.conv2d_backward_input(g, w, x.shape, 1, 1, 1, 1, variant=v),
                        cpu.conv2d_backward_weight(g, x, w.shape, 1, 1, 1, 1, variant=v),
                    )
                    for v in cpu.VARIANTS["conv2d"]
                ]
            )
    finally:
        cpu.set_num_threads(before)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            for u, v in zip(a, b):
                np.testing.assert_array_equal(u, v)


# ----------------------------------------------------------------------------- max pooling
POOL_CASES = {  # (x shape, kernel, stride, padding, dilation)
    "odd-dilated": ((2, 3, 7, 9), (3, 2), (2, 3), (1, 1), (1, 2)),
    "2x2": ((1, 2, 6, 6), (2, 2), (2, 2), (0, 0), (1, 1)),
    "overlapping-padded": ((2, 2, 5, 5), (3, 3), (1, 1), (1, 1), (1, 1)),
    "stride>kernel": ((1, 2, 9, 8), (2, 2), (3, 3), (0, 0), (1, 1)),
    "kernel=input": ((2, 1, 4, 5), (4, 5), (1, 1), (0, 0), (1, 1)),
    "mnist": ((2, 4, 24, 24), (2, 2), (2, 2), (0, 0), (1, 1)),
}


def _pool_input(kind, shape, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    if kind == "ties":
        x = np.ones(shape, np.float32)
    elif kind == "rounded-ties":
        x = np.round(x).astype(np.float32)
    elif kind == "neg-inf":
        x[..., ::2, :] = -np.inf
        x[0, 0] = -np.inf  # one whole plane of -inf
    elif kind == "nan":
        x.reshape(-1)[::7] = np.nan
    return x


@pytest.mark.parametrize("kind", ["random", "ties", "rounded-ties", "neg-inf", "nan"])
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("case", list(POOL_CASES))
@pytest.mark.parametrize("table", TABLES)
def test_max_pool2d_matches_torch(table, case, ceil_mode, kind):
    shape, kernel, stride, padding, dilation = POOL_CASES[case]
    rng = np.random.default_rng(3)
    x = _pool_input(kind, shape, rng)
    xt = t64(x, True)
    yt, it = F.max_pool2d(xt, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    y, idx = table.max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode)
    assert y.dtype == np.float32 and idx.dtype == np.int64
    np.testing.assert_array_equal(y, yt.detach().numpy().astype(np.float32))
    np.testing.assert_array_equal(idx, it.numpy())
    g = rng.standard_normal(y.shape).astype(np.float32)
    yt.backward(t64(g))
    close(table.max_pool2d_backward(g, idx, x.shape), xt.grad.numpy())


# ----------------------------------------------------------------------------- average pooling
AVG_CASES = {  # (x shape, kernel, stride, padding)
    "odd": ((2, 3, 7, 9), (3, 2), (2, 3), (1, 1)),
    "overlapping": ((1, 2, 5, 5), (3, 3), (1, 1), (1, 1)),
    "ceil-edge": ((1, 2, 6, 7), (3, 3), (2, 2), (1, 1)),
    "stride>kernel": ((2, 1, 9, 8), (2, 2), (3, 3), (0, 0)),
    "default-stride": ((1, 3, 8, 8), (2, 2), None, (0, 0)),
}


@pytest.mark.parametrize("divisor_override", [None, 3])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("case", list(AVG_CASES))
@pytest.mark.parametrize("table", TABLES)
def test_avg_pool2d_matches_torch(table, case, ceil_mode, count_include_pad, divisor_override):
    shape, kernel, stride, padding = AVG_CASES[case]
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(np.float32)
    xt = t64(x, True)
    yt = F.avg_pool2d(xt, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    y = table.avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    assert y.dtype == np.float32
    close(y, yt.detach().numpy())
    g = rng.standard_normal(y.shape).astype(np.float32)
    yt.backward(t64(g))
    gx = table.avg_pool2d_backward(
        g, x.shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    assert gx.dtype == np.float32
    close(gx, xt.grad.numpy())


@pytest.mark.parametrize(
    "shape,out",
    [
        ((2, 3, 7, 9), (3, 4)),
        ((1, 2, 5, 5), (5, 5)),
        ((1, 2, 7, 9), (1, 1)),
        ((2, 1, 4, 6), (6, 8)),
        ((1, 1, 10, 3), (3, 2)),
    ],
)
@pytest.mark.parametrize("table", TABLES)
def test_adaptive_avg_pool2d_matches_torch(table, shape, out):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)[:, :, ::-1]  # non-contiguous too
    xt = t64(x, True)
    yt = F.adaptive_avg_pool2d(xt, out)
    y = table.adaptive_avg_pool2d_forward(x, out)
    assert y.dtype == np.float32
    close(y, yt.detach().numpy())
    g = rng.standard_normal(y.shape).astype(np.float32)
    yt.backward(t64(g))
    close(table.adaptive_avg_pool2d_backward(g, x.shape), xt.grad.numpy())


# ----------------------------------------------------------------------------- bad input
def _torch_error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.value


BAD_CONV = {  # x shape, w shape, kwargs, the part of torch's message we reproduce
    "channels": (
        (4, 1, 28, 28),
        (32, 3, 3, 3),
        {},
        "expected input[4, 1, 28, 28] to have 3 channels, but got 1",
    ),
    "kernel>padded": (
        (2, 3, 2, 2),
        (4, 3, 3, 3),
        {},
        (
            "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't "
            "be greater than actual input size"
        ),
    ),
    "groups-divide": (
        (2, 4, 5, 5),
        (3, 2, 3, 3),
        {"groups": 2},
        "expected weight to be divisible by 2 at dimension 0",
    ),
    "x-2d": ((2, 4), (3, 4, 3, 3), {}, "input of size: [2, 4]"),
    "x-5d": ((1, 2, 4, 5, 5), (3, 4, 3, 3), {}, "4D"),
    "stride0": ((2, 4, 5, 5), (3, 4, 3, 3), {"stride": 0}, "non-positive stride is not supported"),
    "padding<0": ((2, 4, 5, 5), (3, 4, 3, 3), {"padding": -1}, "negative padding is not supported"),
    "dilation0": (
        (2, 4, 5, 5),
        (3, 4, 3, 3),
        {"dilation": 0},
        "non-positive dilation is not supported",
    ),
    "w-3d": ((2, 4, 5, 5), (3, 4, 3), {}, None),
}


@pytest.mark.parametrize("case", list(BAD_CONV))
@pytest.mark.parametrize("table,variant", IMPLS)
def test_conv2d_bad_input_raises_like_torch(table, variant, case):
    xs, ws, kw, msg = BAD_CONV[case]
    x, w = np.ones(xs, np.float32), np.ones(ws, np.float32)
    ref = _torch_error(lambda: F.conv2d(torch.ones(xs), torch.ones(ws), **kw))
    assert isinstance(ref, RuntimeError)
    full = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, **kw}
    with pytest.raises(RuntimeError) as info:
        table.conv2d_forward(
            x, w, None, full["stride"], full["padding"], full["dilation"], full["groups"], variant=variant
        )
    assert isinstance(
        info.value, ValueError
    )  # docs/DESIGN.md, "Errors and bad input": shapes and values -> ValueError too
    if msg:
        assert msg in str(info.value) and msg in str(ref)
    if len(xs) == 4 and len(ws) == 4:  # the backward kernels take shapes and check them the same way
        g = np.ones((xs[0], ws[0], 1, 1), np.float32)
        with pytest.raises(RuntimeError):
            table.conv2d_backward_input(
                g, w, xs, full["stride"], full["padding"], full["dilation"], full["groups"], variant=variant
            )
        with pytest.raises(RuntimeError):
            table.conv2d_backward_weight(
                g, x, ws, full["stride"], full["padding"], full["dilation"], full["groups"], variant=variant
            )


@pytest.mark.parametrize("table,variant", IMPLS)
def test_conv2d_bad_bias_grad_and_variant(table, variant):
    x, w = np.ones((2, 4, 5, 5), np.float32), np.ones((3, 4, 3, 3), np.float32)
    ref = _torch_error(lambda: F.conv2d(torch.ones(2, 4, 5, 5), torch.ones(3, 4, 3, 3), torch.ones(4)))
    with pytest.raises(RuntimeError) as info:
        table.conv2d_forward(x, w, np.ones(4, np.float32), variant=variant)
    assert str(info.value) == str(ref).splitlines()[0]
    with pytest.raises(ValueError, match="grad_output"):  # wrong grad_y shape
        table.conv2d_backward_input(np.ones((2, 3, 4, 4), np.float32), w, x.shape, variant=variant)
    with pytest.raises(ValueError, match="grad_output"):
        table.conv2d_backward_weight(np.ones((2, 3, 2, 3), np.float32), x, w.shape, variant=variant)
    with pytest.raises(ValueError, match="unknown conv2d variant 'winograd'"):
        table.conv2d_forward(x, w, variant="winograd")


# The NumPy reference also computes in float64 (the tests' accurate oracle); the others refuse it.
BAD_DTYPES = [
    pytest.param(t, d, id=f"{n}-{np.dtype(d).name}")
    for n, t in BACKEND_TABLES.items()
    for d in (np.int32, np.float16, np.float64)
    if not (n == "numpy" and d == np.float64)
]


@pytest.mark.parametrize("table,dtype", BAD_DTYPES)
def test_conv_pool_bad_dtype(table, dtype):
    x, w = np.ones((2, 4, 5, 5), dtype), np.ones((3, 4, 3, 3), np.float32)
    for call in (
        lambda: table.conv2d_forward(x, w),
        lambda: table.conv2d_forward(w[:1], x[:1].astype(dtype)),
        lambda: table.max_pool2d_forward(x, 2),
        lambda: table.avg_pool2d_forward(x, 2),
        lambda: table.adaptive_avg_pool2d_forward(x, 2),
        lambda: table.conv2d_backward_bias(x),
    ):
        with pytest.raises(TypeError) as info:
            call()
        assert isinstance(info.value, RuntimeError)  # torch: RuntimeError "expected scalar type ..."


BAD_POOL = {  # kwargs for max_pool2d / avg_pool2d on a (2, 4, 5, 5) input, except "too-small" (2x2)
    "pad>half": (
        {"kernel": 3, "stride": 1, "padding": 2},
        "pad should be at most half of effective kernel size",
    ),
    "too-small": ({"kernel": 3, "stride": 1, "padding": 0}, "Output size is too small"),
    "stride0": ({"kernel": 2, "stride": 0, "padding": 0}, "stride"),
    "kernel0": (
        {"kernel": 0, "stride": 1, "padding": 0},
        "kernel size should be greater than zero, but got kH: 0 kW: 0",
    ),
}


@pytest.mark.parametrize("op", ["max", "avg"])
@pytest.mark.parametrize("case", list(BAD_POOL))
@pytest.mark.parametrize("table", TABLES)
def test_pool_bad_args_raise_like_torch(table, case, op):
    kw, msg = BAD_POOL[case]
    shape = (2, 4, 2, 2) if case == "too-small" else (2, 4, 5, 5)
    tfn = F.max_pool2d if op == "max" else F.avg_pool2d
    ref = _torch_error(lambda: tfn(torch.ones(shape), kw["kernel"], kw["stride"], kw["padding"]))
    assert isinstance(ref, RuntimeError)
    fn = table.max_pool2d_forward if op == "max" else table.avg_pool2d_forward
    with pytest.raises(RuntimeError) as info:
        fn(np.ones(shape, np.float32), kw["kernel"], kw["stride"], kw["padding"])
    assert isinstance(info.value, ValueError) and msg in str(info.value)
    assert msg in str(ref)
    with pytest.raises(RuntimeError):
        fn(np.ones((4, 5, 5), np.float32), 2)  # not 4-D


@pytest.mark.parametrize("table", TABLES)
def test_pool_bad_backward_args(table):
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        table.avg_pool2d_forward(np.ones((1, 1, 4, 4), np.float32), 2, divisor_override=0)
    with pytest.raises(ValueError):  # grad of the wrong shape
        table.avg_pool2d_backward(np.ones((1, 1, 3, 3), np.float32), (1, 1, 4, 4), 2)
    with pytest.raises(ValueError):
        table.adaptive_avg_pool2d_backward(np.ones((1, 2, 3, 3), np.float32), (1, 1, 4, 4))
    y, idx = table.max_pool2d_forward(np.ones((1, 1, 4, 4), np.float32), 2)
    with pytest.raises(ValueError):
        table.max_pool2d_backward(y, idx[..., :1], (1, 1, 4, 4))


def test_cpu_binding_rejects_bad_indices_and_layouts():
    """Straight into pyneuro._cpu: out-of-range indices and non-contiguous arrays raise, never crash."""
    if "cpu" not in BACKEND_TABLES:
        pytest.skip("cpu backend unavailable")
    from pyneuro import _cpu

    g = np.ones((1, 1, 2, 2), np.float32)
    with pytest.raises(IndexError):
        _cpu.max_pool2d_backward(g, np.full((1, 1, 2, 2), 16, np.int64), (1, 1, 4, 4))
    with pytest.raises(IndexError):
        _cpu.max_pool2d_backward(g, np.full((1, 1, 2, 2), -1, np.int64), (1, 1, 4, 4))
    x = np.ones((2, 3, 8, 8), np.float32)[:, :, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        _cpu.conv2d_forward(x, np.ones((2, 3, 3, 3), np.float32))
    with pytest.raises(TypeError):
        _cpu.conv2d_forward([[1.0]], np.ones((2, 3, 3, 3), np.float32))
