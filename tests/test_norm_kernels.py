"""The standardize kernels (csrc/cpu/norm.cpp, the core of batch / layer / group / instance
norm) against the NumPy backend's entries and a float64 oracle, and the norms that run on them
against torch: values and gradients, float32 and float64, awkward shapes and layouts."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import backends
from pyneuro.autograd.norm import _outer_inner

torch = pytest.importorskip("torch")

# (outer, stats, inner): the row path fused (a statistic under 256 KiB) and not, a statistic
# split over threads (fewer than 16), the column path (inner < 16), one element per statistic.
VIEWS = [
    (128, 32, 256),  # BatchNorm2d 128x32x16x16
    (1, 640, 256),  # LayerNorm rows
    (1, 8, 6400),  # GroupNorm of two samples
    (1, 3, 70001),  # few statistics, split, odd length
    (300, 2, 257),  # split across rows, pieces cut mid-row
    (64, 10, 1),  # BatchNorm1d on (N, C): column path
    (5, 7, 3),
    (3, 5, 15),  # the widest column path
    (3, 5, 16),  # the narrowest row path
    (1, 1, 1),
    (1, 5, 1),  # one element per statistic
    (2, 1, 1),
    (7, 5, 2049),  # pieces of 2048 and 1
    (1, 1, 100003),
]


def _tables():
    if not backends.status("cpu").available:
        pytest.skip("the C++ backend is not built")
    return backends.get("cpu"), backends.get("numpy")


def _oracle(x, outer, inner, eps):
    v = x.reshape(outer, -1, inner).astype(np.float64)
    mean = v.mean(axis=(0, 2), keepdims=True)
    var = ((v - mean) ** 2).mean(axis=(0, 2), keepdims=True)
    r = 1 / np.sqrt(var + eps)
    return (v - mean) * r, mean.ravel(), var.ravel(), r.ravel()


def _divisor(stats):
    return next(d for d in (3, 2, 1) if stats % d == 0)


@pytest.mark.parametrize("affine", [None, "stats", "inner", "groups"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("view", VIEWS)
def test_forward_and_backward_match_numpy_and_the_float64_oracle(view, dtype, affine):
    cpu, ref = _tables()
    outer, stats, inner = view
    rng = np.random.default_rng(sum(view))
    x = (rng.standard_normal(view) * 3 + 5).astype(dtype)
    g = rng.standard_normal(view).astype(dtype)
    # affine: one weight and bias per statistic, or per channel repeated (instance_norm's N*C
    # statistics); or one per inner element (layer_norm's), or `rows` rows of those, statistic s
    # taking row s % rows (group_norm's channels spread over their groups)
    inner_mode = affine in ("inner", "groups")
    rows = _divisor(stats) if affine == "groups" else 1
    period = rows * inner if inner_mode else stats if stats % 2 else _divisor(stats)
    w = rng.uniform(0.5, 2, period).astype(dtype) if affine else None
    b = rng.standard_normal(period).astype(dtype) if affine else None
    if inner_mode:
        w_s, b_s = (
            np.tile(a.reshape(rows, inner), (stats // rows, 1)).reshape(1, stats, inner) for a in (w, b)
        )
    else:
        w_s = np.tile(w, stats // period).reshape(1, stats, 1) if affine else 1.0
        b_s = np.tile(b, stats // period).reshape(1, stats, 1) if affine else 0.0
    tol = 2e-5 if dtype == np.float32 else 1e-12
    got = cpu.standardize_forward(x, outer, inner, 1e-5, w, b, inner_mode)
    want = ref.standardize_forward(x, outer, inner, 1e-5, w, b, inner_mode)
    xhat, mean, var, r = _oracle(x, outer, inner, 1e-5)
    exact = (xhat * w_s + b_s, mean, var, r)
    assert all(a.dtype == dtype for a in got)
    assert [a.shape for a in got] == [a.shape for a in want] == [x.shape, (stats,), (stats,), (stats,)]
    for a, bb, c in zip(got, want, exact):
        np.testing.assert_allclose(a, bb, rtol=tol * 10, atol=tol * 10)
        np.testing.assert_allclose(a, c.reshape(a.shape), rtol=tol * 2, atol=tol * 2)
    dx, sum_g, sum_gxhat = cpu.standardize_backward(g, x, got[1], got[3], outer, inner, w, inner_mode)
    g64 = g.astype(np.float64).reshape(view)
    w64 = None if w is None else w.astype(np.float64)
    dref, sg_ref, sgx_ref = ref.standardize_backward(
        g64, x.astype(np.float64), mean, r, outer, inner, w64, inner_mode
    )

    def total(a):  # the oracle's sums: per statistic, or per parameter entry k
        if inner_mode:
            return a.sum(axis=0).reshape(stats // rows, rows, inner).sum(axis=0).reshape(-1)
        return a.sum(axis=(0, 2))

    count = outer * stats // rows if inner_mode else outer * inner
    assert dx.dtype == sum_g.dtype == sum_gxhat.dtype == dtype and dx.shape == x.shape
    assert sum_g.shape == sum_gxhat.shape == ((period,) if inner_mode else (stats,))
    np.testing.assert_allclose(dx, dref, rtol=tol * 10, atol=tol * 10)
    np.testing.assert_allclose(sum_g, total(g64), rtol=tol, atol=tol * np.sqrt(count))
    np.testing.assert_allclose(sgx_ref, total(g64 * xhat), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(sum_gxhat, sgx_ref, rtol=tol * 10, atol=tol * 10 * np.sqrt(count))


def test_the_variance_survives_a_large_mean_in_float32():
    """sum(x^2) - sum(x)^2 / n in float32 would lose every digit here; the two-pass pieces don't."""
    cpu, _ = _tables()
    rng = np.random.default_rng(1)
    x = (1e4 + rng.standard_normal((64, 8, 300))).astype(np.float32)
    _, mean, var, _ = cpu.standardize_forward(x, 64, 300, 1e-5)
    _, mean64, var64, _ = _oracle(x, 64, 300, 1e-5)
    np.testing.assert_allclose(mean, mean64, rtol=1e-7)
    np.testing.assert_allclose(var, var64, rtol=1e-4)


@pytest.mark.parametrize("view", [(128, 32, 256), (1, 3, 70001), (64, 10, 1), (1, 640, 256)])
def test_results_are_the_same_bits_for_any_thread_count(view):
    cpu, _ = _tables()
    rng = np.random.default_rng(2)
    x = rng.standard_normal(view).astype(np.float32)
    g = rng.standard_normal(view).astype(np.float32)
    before = cpu.get_num_threads()
    runs = []
    try:
        for n in (1, 2, 3):
            cpu.set_num_threads(n)
            out = cpu.standardize_forward(x, view[0], view[2], 1e-5)
            runs.append((*out, *cpu.standardize_backward(g, x, out[1], out[3], view[0], view[2])))
            # layer_norm's and group_norm's parameter sums (narrow and wide parameter rows)
            for rows in {1, view[1] if view[1] <= 4 else 2}:
                w = np.linspace(0.5, 2, rows * view[2]).astype(np.float32)
                out = cpu.standardize_forward(x, view[0], view[2], 1e-5, w, w, True)
                runs[-1] += (*out, *cpu.standardize_backward(g, x, out[1], out[3], view[0], view[2], w, True))
    finally:
        cpu.set_num_threads(before)
    for run in runs[1:]:
        for a, b in zip(run, runs[0]):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("view", [(4, 3, 300), (1, 3, 70001), (6, 3, 1)])
def test_nan_and_inf_make_their_statistic_nan_as_numpy(view):
    cpu, ref = _tables()
    x = np.random.default_rng(3).standard_normal(view).astype(np.float32)
    x[view[0] // 2, 1, view[2] // 2] = np.nan
    x[0, 2, 0] = np.inf
    got, want = (
        cpu.standardize_forward(x, view[0], view[2], 1e-5),
        ref.standardize_forward(x, view[0], view[2], 1e-5),
    )
    for s in (1, 2):
        assert np.isnan(got[0][:, s]).all() and np.isnan(want[0][:, s]).all()
    np.testing.assert_allclose(got[0][:, 0], want[0][:, 0], rtol=1e-5, atol=1e-5)
    g = np.ones(view, np.float32)
    dx = cpu.standardize_backward(g, x, got[1], got[3], view[0], view[2])[0]
    assert np.isnan(dx[:, 1:]).all() and np.isfinite(dx[:, 0]).all()


def test_constant_statistics_give_zero_and_eps_zero_gives_nan():
    cpu, ref = _tables()
    x = np.full((3, 4, 20), 2.5, np.float32)
    out, mean, var, rstd = cpu.standardize_forward(x, 3, 20, 1e-5)
    assert (out == 0).all() and (var == 0).all() and (mean == 2.5).all()
    assert np.isnan(cpu.standardize_forward(x, 3, 20, 0.0)[0]).all()
    assert np.isnan(ref.standardize_forward(x, 3, 20, 0.0)[0]).all()


def test_bad_arguments_are_refused():
    cpu, _ = _tables()
    x = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match="outer and inner"):
        cpu.standardize_forward(x, 0, 4, 1e-5)
    with pytest.raises(ValueError, match="is not"):
        cpu.standardize_forward(x, 5, 4, 1e-5)
    with pytest.raises(TypeError, match="dtype"):
        cpu.standardize_forward(x.astype(np.float16), 2, 4, 1e-5)
    out = cpu.standardize_forward(x, 2, 4, 1e-5)
    with pytest.raises(ValueError, match="mean"):
        cpu.standardize_backward(x, x, out[1][:2], out[3], 2, 4)
    with pytest.raises(ValueError, match="same shape"):
        cpu.standardize_backward(x[:1], x, out[1], out[3], 2, 4)
    with pytest.raises(ValueError, match="does not divide"):
        cpu.standardize_forward(x, 2, 4, 1e-5, np.ones(2, np.float32))
    with pytest.raises(ValueError, match="differ in length"):
        cpu.standardize_forward(
            np.zeros((2, 6, 4), np.float32), 2, 4, 1e-5, np.ones(2, np.float32), np.ones(3, np.float32)
        )
    with pytest.raises(TypeError, match="dtype"):
        cpu.standardize_backward(x, x, out[1], out[3], 2, 4, np.ones(3, np.float64))
    with pytest.raises(ValueError, match="period dividing"):
        cpu.standardize_forward(x, 2, 4, 1e-5, np.ones(3, np.float32), None, True)


def test_outer_inner_lines_the_dims_up():
    assert _outer_inner((128, 32, 16, 16), (0, 2, 3)) == (128, 256)
    assert _outer_inner((64, 100, 256), (2,)) == (1, 256)
    assert _outer_inner((8, 4, 25), (2,)) == (1, 25)
    assert _outer_inner((5, 4), (0,)) == (5, 1)
    assert _outer_inner((5, 1, 4, 1), (0, 1, 3)) == (5, 1)  # size-1 dims count either way
    assert _outer_inner((3, 4, 5), ()) == (1, 1)
    assert _outer_inner((3, 4, 5), (0, 1, 2)) == (1, 60)
    assert _outer_inner((3, 4, 5), (1,)) is None  # kept dims 0 and 2 are not adjacent


# ----------------------------------------------------------------------------- the norms vs torch


def _run(fw, kind, x0, dtype, params):
    """(out, grads of x, weight, bias) of one norm in framework fw."""
    tdtype = getattr(fw, np.dtype(dtype).name)
    x = fw.tensor(x0, dtype=tdtype)
    if params.get("perm"):
        x = x.permute(*params["perm"])
    x.requires_grad_(True)
    c = x.shape[1] if kind != "layer" else None
    shape_w = (c,) if c is not None else tuple(x.shape[-params["nd"] :])
    w = fw.tensor(
        np.linspace(0.5, 1.5, int(np.prod(shape_w))).reshape(shape_w), dtype=tdtype, requires_grad=True
    )
    b = fw.tensor(
        np.linspace(-1, 1, int(np.prod(shape_w))).reshape(shape_w), dtype=tdtype, requires_grad=True
    )
    F = fw.nn.functional
    if kind == "batch":
        rm, rv = fw.zeros(c, dtype=tdtype), fw.ones(c, dtype=tdtype)
        out = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
        extra = (rm, rv)
    elif kind == "layer":
        out, extra = F.layer_norm(x, shape_w, w, b), ()
    elif kind == "group":
        out, extra = F.group_norm(x, params["groups"], w, b), ()
    else:
        rm, rv = fw.zeros(c, dtype=tdtype), fw.ones(c, dtype=tdtype)
        out = F.instance_norm(x, rm, rv, w, b, use_input_stats=True, momentum=0.3)
        extra = (rm, rv)
    g = fw.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)), dtype=tdtype)
    (out * g).sum().backward()
    return [t.detach().numpy() for t in (out, x.grad, w.grad, b.grad, *extra)]


CASES = [
    ("batch", (128, 32, 16, 16), {}),
    ("batch", (16, 5), {}),  # BatchNorm1d on (N, C): the column path
    ("batch", (7, 3, 11), {}),
    ("batch", (2, 3, 1), {}),  # one element per channel and sample
    ("batch", (6, 4, 5, 3), {"perm": (0, 3, 1, 2)}),  # channels_last-like strides: (N, C=3, H, W)
    ("batch", (3, 5, 4), {"perm": (2, 1, 0)}),  # a transposed input
    ("layer", (64, 10, 256), {"nd": 1}),
    ("layer", (5, 3, 7), {"nd": 2}),
    ("layer", (9, 1), {"nd": 1}),  # one element per row
    ("layer", (4, 6, 5), {"nd": 1, "perm": (1, 0, 2)}),
    ("group", (4, 12, 8, 8), {"groups": 4}),
    ("group", (3, 6, 5), {"groups": 1}),
    ("group", (3, 6, 5), {"groups": 6}),
    ("group", (2, 3, 1, 1), {"groups": 3}),  # one element per group
    ("instance", (3, 4, 9, 7), {}),
    ("instance", (2, 3, 5), {"perm": (0, 2, 1)}),  # (N, C=5, L=3) from a transpose
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("kind", "shape", "params"), CASES)
def test_norms_match_torch(kind, shape, params, dtype):
    _tables()
    x0 = (np.random.default_rng(len(shape) + shape[0]).standard_normal(shape) * 2 + 3).astype(dtype)
    tol = 3e-4 if dtype == np.float32 else 1e-9
    ours, theirs = _run(pn, kind, x0, dtype, params), _run(torch, kind, x0, dtype, params)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_the_norms_run_on_the_kernels(monkeypatch):
    cpu, _ = _tables()
    calls = []
    for name in ("standardize_forward", "standardize_backward"):
        fn = getattr(cpu, name)
        monkeypatch.setattr(cpu, name, lambda *a, _fn=fn, _name=name: calls.append((_name, a)) or _fn(*a))
    if backends.current("cpu").NAME != "cpu":
        pytest.skip("another backend is selected")
    x = pn.tensor(
        np.random.default_rng(4).standard_normal((4, 6, 5, 5)).astype(np.float32), requires_grad=True
    )
    mods = (
        pn.nn.BatchNorm2d(6),
        pn.nn.GroupNorm(3, 6),
        pn.nn.InstanceNorm2d(6, affine=True),
        pn.nn.LayerNorm([5, 5]),
    )
    for m in mods:
        m(x).sum().backward()
    names = [n for n, _ in calls]
    assert names.count("standardize_forward") == 4 and names.count("standardize_backward") == 4
    # every weight and bias goes into the kernel (StandardizeAffine): GroupNorm(3, 6)'s spread
    # over each group's 2 channels x 25 elements
    with_weight = [a[4].shape for n, a in calls if n == "standardize_forward" and len(a) > 4]
    assert with_weight == [(6,), (150,), (6,), (25,)]
    for m in mods:
        assert m.weight.grad is not None and m.bias.grad is not None


def test_empty_batches_as_torch():
    _tables()
    for fw in (pn, torch):
        x = fw.zeros((0, 3, 4), requires_grad=True)
        out = fw.nn.functional.batch_norm(x, fw.zeros(3), fw.ones(3), training=True)
        assert tuple(out.shape) == (0, 3, 4)
        out.sum().backward()
        assert tuple(x.grad.shape) == (0, 3, 4)
    ours = pn.nn.functional.layer_norm(pn.zeros((0, 5)), (5,))
    assert tuple(ours.shape) == (0, 5)


def test_batch_norm_without_affine_then_inplace_relu_and_double_backward_match_torch():
    _tables()
    x0 = np.random.default_rng(5).standard_normal((8, 3, 4, 4))
    res = []
    for fw in (pn, torch):
        x = fw.tensor(x0, dtype=fw.float64, requires_grad=True)
        y = fw.nn.ReLU(inplace=True)(fw.nn.BatchNorm2d(3, affine=False, dtype=fw.float64)(x))
        (gx,) = fw.autograd.grad((y * y).sum(), x, create_graph=True)
        (ggx,) = fw.autograd.grad((gx * gx).sum(), x)
        res.append((y.detach().numpy(), gx.detach().numpy(), ggx.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("kind", ["batch", "instance", "layer", "group1", "group3"])
def test_the_fused_affine_double_backward_matches_torch(kind):
    """StandardizeAffine's create_graph rule (graph_rules_more.py): gradients of gradients of
    x, weight and bias, float64, as torch's."""
    _tables()
    x0 = np.random.default_rng(6).standard_normal((5, 3, 4, 2))
    res = []
    for fw in (pn, torch):
        x = fw.tensor(x0, dtype=fw.float64, requires_grad=True)
        if kind == "batch":
            m = fw.nn.BatchNorm2d(3, dtype=fw.float64)
        elif kind == "instance":
            m = fw.nn.InstanceNorm2d(3, affine=True, dtype=fw.float64)
        elif kind == "layer":
            m = fw.nn.LayerNorm([4, 2], dtype=fw.float64)
        else:
            m = fw.nn.GroupNorm(int(kind[-1]), 3, dtype=fw.float64)
        with fw.no_grad():
            n = m.weight.numel()
            m.weight.copy_(
                fw.tensor(np.linspace(-2, 1.5, n).reshape(tuple(m.weight.shape)), dtype=fw.float64)
            )
            m.bias.copy_(fw.tensor(np.linspace(-0.3, 0.3, n).reshape(tuple(m.bias.shape)), dtype=fw.float64))
        y = m(x)
        loss = (y * y * fw.cos(x)).sum()
        gx, gw, gb = fw.autograd.grad(loss, (x, m.weight, m.bias), create_graph=True)
        second = fw.autograd.grad((gx * gx).sum() + (gw * gb).sum(), (x, m.weight, m.bias))
        res.append([t.detach().numpy() for t in (y, gx, gw, gb, *second)])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8)


def test_a_frozen_affine_and_a_half_input_keep_torch_results():
    """weight and bias not requiring grad (only dx), and float16 input with float32 parameters
    (the separate nodes: the kernels take one dtype)."""
    _tables()
    x0 = np.random.default_rng(7).standard_normal((6, 4, 3)).astype(np.float32)
    res = []
    for fw in (pn, torch):
        m = fw.nn.BatchNorm1d(4)
        m.weight.requires_grad_(False)
        x = fw.tensor(x0, requires_grad=True)
        m(x).pow(2).sum().backward()
        res.append((x.grad.numpy(), m.bias.grad.numpy(), m.running_mean.numpy(), m.running_var.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    out = pn.nn.functional.batch_norm(
        pn.tensor(x0, dtype=pn.float16), None, None, pn.ones(4), pn.zeros(4), training=True
    )
    ref = torch.nn.functional.batch_norm(
        torch.tensor(x0, dtype=torch.float16), None, None, torch.ones(4), torch.zeros(4), training=True
    )
    assert str(out.dtype).endswith("float16")
    np.testing.assert_allclose(out.numpy().astype(np.float32), ref.numpy().astype(np.float32), atol=2e-2)


@pytest.mark.parametrize("which", ["weight", "bias"])
@pytest.mark.parametrize("kind", ["batch", "layer"])
def test_one_affine_parameter_alone_matches_torch(kind, which):
    _tables()
    x0 = np.random.default_rng(8).standard_normal((6, 5, 7)).astype(np.float32)
    res = []
    for fw in (pn, torch):
        x = fw.tensor(x0, requires_grad=True)
        n = 5 if kind == "batch" else 7
        p = fw.tensor(np.linspace(0.5, 2, n).astype(np.float32), requires_grad=True)
        w, b = (p, None) if which == "weight" else (None, p)
        F = fw.nn.functional
        y = (
            F.batch_norm(x, None, None, w, b, training=True)
            if kind == "batch"
            else F.layer_norm(x, (7,), w, b)
        )
        (y * fw.sin(x)).sum().backward()
        res.append((y.detach().numpy(), x.grad.numpy(), p.grad.numpy()))
    for a, b_ in zip(*res):
        np.testing.assert_allclose(a, b_, rtol=1e-4, atol=1e-4)
