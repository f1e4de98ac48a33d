"""GroupNorm, InstanceNorm1d/2d/3d, BatchNorm3d, LocalResponseNorm and the scans and order
statistics (cumprod, logcumsumexp, cummax/cummin, median/nanmedian, mode) against torch."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import pyneuro as pn
from pyneuro.autograd import scan

torch = pytest.importorskip("torch")

FRAMEWORKS = (pn, torch)
RNG = np.random.default_rng(0)


def _np(t):
    return t.detach().numpy()


def _close(a, b, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol)


def _same_params(ours, theirs):
    """Copy torch's module's parameters and buffers into ours (by name)."""
    state = {k: pn.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)


# ----------------------------------------------------------------------------- GroupNorm


@pytest.mark.parametrize(
    ("shape", "groups", "affine"),
    [
        ((2, 6, 4, 5), 3, True),
        ((2, 6, 4, 5), 1, True),
        ((2, 6, 4, 5), 6, True),
        ((3, 4, 7), 2, True),
        ((3, 4, 7), 4, False),
        ((5, 4), 2, True),
        ((5, 4), 1, False),
        ((2, 4, 2, 3, 2), 2, True),
    ],
)
def test_group_norm_values_and_gradients_match_torch(shape, groups, affine):
    x = RNG.standard_normal(shape).astype(np.float32) * 3 + 1
    g = RNG.standard_normal(shape).astype(np.float32)
    c = shape[1]
    out = []
    for fw in FRAMEWORKS:
        m = fw.nn.GroupNorm(groups, c, affine=affine)
        if affine:
            with fw.no_grad():
                m.weight.copy_(fw.tensor(np.linspace(0.5, 2.0, c, dtype=np.float32)))
                m.bias.copy_(fw.tensor(np.linspace(-1.0, 1.0, c, dtype=np.float32)))
        xt = fw.tensor(x, requires_grad=True)
        y = m(xt)
        y.backward(fw.tensor(g))
        grads = [xt.grad] + ([m.weight.grad, m.bias.grad] if affine else [])
        out.append((y, grads, sorted(m.state_dict())))
    (y_p, g_p, k_p), (y_t, g_t, k_t) = out
    _close(y_p, y_t)
    for a, b in zip(g_p, g_t):
        _close(a, b, atol=1e-4)
    assert k_p == k_t


def test_group_norm_functional_and_repr_and_errors():
    x = RNG.standard_normal((2, 6, 3)).astype(np.float32)
    w = RNG.standard_normal(6).astype(np.float32)
    _close(
        pn.nn.functional.group_norm(pn.tensor(x), 2, pn.tensor(w), None, eps=1e-3),
        torch.nn.functional.group_norm(torch.tensor(x), 2, torch.tensor(w), None, eps=1e-3),
    )
    for fw in FRAMEWORKS:
        assert repr(fw.nn.GroupNorm(2, 6)) == "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)"
        assert repr(fw.nn.GroupNorm(3, 6, eps=1e-3, affine=False)) == (
            "GroupNorm(3, 6, eps=0.001, affine=False, bias=False)"
        )
        m = fw.nn.GroupNorm(2, 6, bias=False)
        assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
        with pytest.raises(ValueError, match="must be divisible by num_groups"):
            fw.nn.GroupNorm(4, 6)
        with pytest.raises(RuntimeError):
            fw.nn.GroupNorm(2, 6)(fw.randn(2, 4, 3))  # wrong channel count
        with pytest.raises(RuntimeError):
            fw.nn.GroupNorm(2, 6)(fw.randn(6))  # no channel dim
        with pytest.raises(RuntimeError):
            fw.nn.functional.group_norm(fw.randn(2, 6, 3), 4)
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            fw.nn.GroupNorm(6, 6)(fw.randn(1, 6))


# ----------------------------------------------------------------------------- InstanceNorm


@pytest.mark.parametrize(
    ("cls", "shape"),
    [
        ("InstanceNorm1d", (3, 4, 6)),
        ("InstanceNorm1d", (4, 6)),  # unbatched
        ("InstanceNorm2d", (2, 4, 3, 5)),
        ("InstanceNorm2d", (4, 3, 5)),  # unbatched
        ("InstanceNorm3d", (2, 4, 2, 3, 2)),
    ],
)
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
def test_instance_norm_train_and_eval_match_torch(cls, shape, affine, track):
    xs = [RNG.standard_normal(shape).astype(np.float32) * 2 + 0.5 for _ in range(3)]
    g = RNG.standard_normal(shape).astype(np.float32)
    out = {}
    for fw in FRAMEWORKS:
        m = getattr(fw.nn, cls)(4, affine=affine, track_running_stats=track, momentum=0.3)
        if affine:
            with fw.no_grad():
                m.weight.copy_(fw.tensor(np.array([0.5, 1.0, 1.5, 2.0], np.float32)))
                m.bias.copy_(fw.tensor(np.array([0.1, -0.2, 0.3, -0.4], np.float32)))
        rec = []
        for x in xs[:2]:  # train: two steps move the running statistics
            xt = fw.tensor(x, requires_grad=True)
            y = m(xt)
            y.backward(fw.tensor(g))
            rec += [y, xt.grad]
        if affine:
            rec += [m.weight.grad, m.bias.grad]
        m.eval()
        rec.append(m(fw.tensor(xs[2])))
        rec += [v for _, v in sorted(m.state_dict().items())]
        out[fw] = (rec, sorted(m.state_dict()))
    (rec_p, keys_p), (rec_t, keys_t) = out[pn], out[torch]
    assert keys_p == keys_t
    assert len(rec_p) == len(rec_t)
    for a, b in zip(rec_p, rec_t):
        _close(a, b, atol=1e-4)


def test_instance_norm_reprs_buffers_and_errors():
    for fw in FRAMEWORKS:
        assert repr(fw.nn.InstanceNorm2d(3)) == (
            "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
        )
        m = fw.nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
        assert repr(m) == (
            "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
        )
        assert sorted(m.state_dict()) == [
            "bias",
            "num_batches_tracked",
            "running_mean",
            "running_var",
            "weight",
        ]
        assert [n for n, _ in m.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
        plain = fw.nn.InstanceNorm1d(3)
        assert plain.running_mean is None and plain.weight is None and list(plain.state_dict()) == []
        m(fw.randn(2, 3, 4))
        assert int(m.num_batches_tracked) == 0  # torch's InstanceNorm does not count batches
        with pytest.raises(ValueError, match="expected 2D or 3D input"):
            plain(fw.randn(4))
        with pytest.raises(ValueError, match="expected 3D or 4D input"):
            fw.nn.InstanceNorm2d(3)(fw.randn(2, 3, 4, 4, 1))
        with pytest.raises(ValueError, match="to match num_features"):
            fw.nn.InstanceNorm1d(3, affine=True)(fw.randn(2, 4, 5))
        with pytest.warns(UserWarning, match="does not match num_features"):
            plain(fw.randn(2, 4, 5))
        with pytest.raises(ValueError, match="more than 1 spatial element"):
            plain(fw.randn(2, 3, 1))
        with pytest.raises(RuntimeError, match="running_mean and running_var"):
            fw.nn.functional.instance_norm(fw.randn(2, 3, 4), use_input_stats=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fw.nn.InstanceNorm1d(3)(fw.randn(2, 3, 5))  # no warning when the channels match


def test_instance_norm_functional_with_running_stats():
    x = RNG.standard_normal((3, 2, 5)).astype(np.float32)
    out = []
    for fw in FRAMEWORKS:
        rm, rv = fw.zeros(2), fw.ones(2)
        y = fw.nn.functional.instance_norm(fw.tensor(x), rm, rv, momentum=0.5, eps=1e-3)
        z = fw.nn.functional.instance_norm(fw.tensor(x), rm, rv, use_input_stats=False)
        out.append((y, z, rm, rv))
    for a, b in zip(*out):
        _close(a, b)


# ----------------------------------------------------------------------------- BatchNorm3d, LRN


def test_batch_norm_3d_matches_torch():
    x = RNG.standard_normal((2, 3, 2, 3, 4)).astype(np.float32)
    out = []
    for fw in FRAMEWORKS:
        m = fw.nn.BatchNorm3d(3)
        xt = fw.tensor(x, requires_grad=True)
        y = m(xt)
        (y * y * y).sum().backward()
        m.eval()
        out.append(
            (y, xt.grad, m.running_mean, m.running_var, m(fw.tensor(x)), repr(m), sorted(m.state_dict()))
        )
        with pytest.raises(ValueError, match="expected 5D input"):
            m(fw.randn(2, 3, 4, 4))
    p, t = out
    for a, b in zip(p[:5], t[:5]):
        _close(a, b, atol=1e-4)
    assert p[5:] == t[5:]


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 4), (2, 5, 3, 3)])
def test_local_response_norm_matches_torch(size, shape):
    x = RNG.standard_normal(shape).astype(np.float32) * 4
    out = []
    for fw in FRAMEWORKS:
        m = fw.nn.LocalResponseNorm(size, alpha=0.01, beta=0.6, k=2.0)
        xt = fw.tensor(x, requires_grad=True)
        y = m(xt)
        (y * y).sum().backward()
        out.append((y, xt.grad))
    for a, b in zip(*out):
        _close(a, b)
    for fw in FRAMEWORKS:
        assert repr(fw.nn.LocalResponseNorm(2)) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"
        with pytest.raises(ValueError, match="3D or higher"):
            fw.nn.LocalResponseNorm(2)(fw.randn(2, 3))


# ----------------------------------------------------------------------------- cumprod, logcumsumexp


@pytest.mark.parametrize(
    "values",
    [
        [2.0, 3.0, -0.5, 4.0, 1.5],  # no zero
        [2.0, 3.0, 0.0, 5.0, 4.0],  # one zero
        [2.0, 0.0, 3.0, 0.0, 4.0],  # two zeros
        [0.0, 0.0, 3.0, 2.0, 4.0],  # zeros first
        [1.5, 2.0, 3.0, 4.0, 0.0],  # zero last
        [0.0],
    ],
)
def test_cumprod_gradient_with_zeros_matches_torch(values):
    g = np.arange(1, len(values) + 1, dtype=np.float32)
    out = []
    for fw in FRAMEWORKS:
        x = fw.tensor(values, requires_grad=True)
        y = fw.cumprod(x, 0)
        y.backward(fw.tensor(g))
        out.append((y, x.grad))
    for a, b in zip(*out):
        _close(a, b)


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_cumprod_along_dims_matches_torch(dim):
    x = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    x[1, 2, :] = 0.0
    x[0, :, 3] = 0.0
    x[2, 1, 1] = 0.0
    g = RNG.standard_normal(x.shape).astype(np.float32)
    out = []
    for fw in FRAMEWORKS:
        xt = fw.tensor(x, requires_grad=True)
        y = xt.cumprod(dim)
        y.backward(fw.tensor(g))
        out.append((y, xt.grad))
    for a, b in zip(*out):
        _close(a, b, atol=1e-4)


def test_cumprod_dtypes_axis_and_errors():
    for ours, theirs in [
        (pn.tensor([1, 2, 3], dtype=pn.int32), torch.tensor([1, 2, 3], dtype=torch.int32)),
        (pn.tensor([True, False]), torch.tensor([True, False])),
        (pn.tensor([4, -2, 3]), torch.tensor([4, -2, 3])),
    ]:
        a, b = pn.cumprod(ours, 0), torch.cumprod(theirs, 0)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1] == "int64"
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    _close(pn.tensor(x).cumprod(axis=1), torch.tensor(x).cumprod(axis=1))
    _close(pn.cumprod(pn.tensor(x), axis=0), torch.cumprod(torch.tensor(x), axis=0))
    _close(pn.tensor(x).cumprod(1, dtype=pn.float64), torch.tensor(x).cumprod(1, dtype=torch.float64))
    _close(pn.cumprod(pn.tensor(2.5), 0), torch.cumprod(torch.tensor(2.5), 0))
    assert tuple(pn.cumprod(pn.zeros(0, 3), 1).shape) == (0, 3)
    for fw in FRAMEWORKS:
        with pytest.raises(IndexError):
            fw.cumprod(fw.ones(2, 3), 2)
        with pytest.raises(TypeError):
            fw.cumprod(fw.ones(2, 3))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_logcumsumexp_matches_torch(dim):
    x = RNG.standard_normal((4, 6)).astype(np.float32) * 10
    x[0, 0] = -200.0  # a tiny term first: the running sum must not underflow to log(0)
    x[1, 3] = 80.0  # exp would overflow float32
    g = RNG.standard_normal(x.shape).astype(np.float32)
    out = []
    for fw in FRAMEWORKS:
        xt = fw.tensor(x, requires_grad=True)
        y = fw.logcumsumexp(xt, dim)
        y.backward(fw.tensor(g))
        out.append((y, xt.grad, xt.logcumsumexp(dim=dim)))
    for a, b in zip(*out):
        _close(a, b, atol=1e-4)
    for fw in FRAMEWORKS:
        with pytest.raises(NotImplementedError):
            fw.logcumsumexp(fw.tensor([1, 2, 3]), 0)


# ----------------------------------------------------------------------------- cummax, cummin

NAN = float("nan")


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 3.0, 3.0, 2.0, 5.0, 5.0, 0.0],
        [3.0, 1.0, 1.0, 2.0, 0.0, 0.0, 4.0],
        [1.0, NAN, 3.0, NAN, 2.0],
        [2, 7, 7, 1, 9, 9],
        [True, False, True, True],
    ],
)
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_values_indices_and_gradients(values, name):
    res = []
    for fw in FRAMEWORKS:
        x = fw.tensor(values)
        v, i = getattr(fw, name)(x, 0)
        np.testing.assert_array_equal(_np(getattr(x, name)(dim=0).indices), i.numpy())
        res.append((v.numpy(), i.numpy()))
    np.testing.assert_array_equal(res[0][0], res[1][0])  # NaN == NaN for assert_array_equal
    np.testing.assert_array_equal(res[0][1], res[1][1])
    if isinstance(values[0], float):
        grads = []
        for fw in FRAMEWORKS:
            x = fw.tensor(values, requires_grad=True)
            getattr(fw, name)(x, 0).values.backward(fw.arange(1.0, len(values) + 1))
            grads.append(x.grad.numpy())
        np.testing.assert_array_equal(*grads)


def test_cummax_2d_axis_and_empty():
    x = RNG.integers(0, 4, (3, 5)).astype(np.float32)
    for dim in (0, 1, -1):
        a, b = pn.cummax(pn.tensor(x), dim), torch.cummax(torch.tensor(x), dim)
        np.testing.assert_array_equal(a.values.numpy(), b.values.numpy())
        np.testing.assert_array_equal(a.indices.numpy(), b.indices.numpy())
    a, b = pn.tensor(x).cummin(axis=1), torch.tensor(x).cummin(axis=1)
    np.testing.assert_array_equal(a.indices.numpy(), b.indices.numpy())
    e = pn.cummax(pn.zeros(0, 3), 0)
    assert tuple(e.values.shape) == tuple(e.indices.shape) == (0, 3)
    assert e.indices.dtype == pn.int64
    v, i = pn.cummin(pn.tensor(2.5), 0)
    assert float(v) == 2.5 and int(i) == 0 and i.ndim == 0


# ----------------------------------------------------------------------------- median, mode


MEDIAN_CASES = [
    [3.0, 1.0, 2.0, 1.0],  # even count with a tie: lower middle
    [5.0, 5.0, 4.0, 4.0],
    [2.0, 2.0, 2.0, 7.0],
    [1.0, 2.0, 2.0, 1.0, 2.0, 1.0],
    [4.0, -1.0, 7.0],
    [1.0, NAN, 3.0, NAN],
    [NAN, 5.0, NAN, 3.0, 3.0, 5.0],
    [NAN, NAN],
    [9.0],
]


@pytest.mark.parametrize("values", MEDIAN_CASES)
@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_values_and_indices_match_torch(values, name):
    res = []
    for fw in FRAMEWORKS:
        x = fw.tensor(values)
        whole = getattr(fw, name)(x)
        v, i = getattr(fw, name)(x, 0)
        res.append((whole.numpy(), v.numpy(), i.numpy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["median", "nanmedian", "mode"])
@pytest.mark.parametrize("dim", [0, 1, -1, -2])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_median_mode_along_dims_match_torch(name, dim, keepdim, dtype):
    x = RNG.integers(-2, 3, (4, 6)).astype(dtype)  # many ties
    res = []
    for fw in FRAMEWORKS:
        out = getattr(fw, name)(fw.tensor(x), dim, keepdim=keepdim)
        method = getattr(fw.tensor(x), name)(dim=dim, keepdim=keepdim)
        np.testing.assert_array_equal(out.indices.numpy(), method.indices.numpy())
        res.append((out.values.numpy(), out.indices.numpy()))
        assert out.values.shape == out.indices.shape
    for a, b in zip(*res):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "values",
    [
        [3.0, 1.0, 2.0, 1.0],
        [1.0, 2.0, 2.0, 1.0, 3.0, 3.0],
        [3.0, 1.0, 3.0, 1.0, 2.0],
        [1.0, NAN, NAN, 2.0],
        [7.0],
    ],
)
def test_mode_ties_pick_the_smallest_value_and_its_last_index(values):
    a, b = pn.mode(pn.tensor(values)), torch.mode(torch.tensor(values))
    np.testing.assert_array_equal(a.values.numpy(), b.values.numpy())
    np.testing.assert_array_equal(a.indices.numpy(), b.indices.numpy())


def test_median_mode_gradients_match_torch():
    x = np.array([[1.0, 2.0, 2.0, 1.0, 2.0, 1.0], [3.0, 0.0, 3.0, 1.0, 3.0, 2.0]], np.float32)
    for name, args in [
        ("median", ()),
        ("median", (1,)),
        ("nanmedian", ()),
        ("median", (0, True)),
        ("mode", (1,)),
    ]:
        grads = []
        for fw in FRAMEWORKS:
            xt = fw.tensor(x, requires_grad=True)
            out = getattr(fw, name)(xt, *args)
            (out if not args else out.values).sum().backward()
            grads.append(xt.grad.numpy())
        np.testing.assert_allclose(*grads, rtol=1e-6, err_msg=f"{name}{args}")


def test_median_mode_axis_namedtuple_and_errors():
    x = np.array([[3.0, 1.0, 2.0, 1.0], [5.0, 5.0, 4.0, 4.0]], np.float32)
    for fw in FRAMEWORKS:
        t = fw.tensor(x)
        out = t.median(axis=1)
        assert out.values is out[0] and out.indices is out[1]
        np.testing.assert_array_equal(out.indices.numpy(), [3, 3])
        np.testing.assert_array_equal(
            fw.mode(t, axis=0, keepdims=True).values.numpy(), [[3.0, 1.0, 2.0, 1.0]]
        )
        assert fw.median(t).ndim == 0
        assert float(fw.median(fw.tensor(2.5), 0).values) == 2.5
        assert np.isnan(float(fw.median(fw.tensor([]))))
        empty = fw.median(fw.zeros(0, 3), 1)
        assert tuple(empty.values.shape) == tuple(empty.indices.shape) == (0,)
        for name in ("median", "nanmedian", "mode"):
            with pytest.raises(IndexError, match="non-zero size"):
                getattr(fw, name)(fw.zeros(0, 3), 0)
            with pytest.raises(IndexError):
                getattr(fw, name)(t, 2)
            with pytest.raises(TypeError):
                getattr(fw, name)(t, (0, 1))
        with pytest.raises(IndexError, match="non-zero size"):
            fw.mode(fw.tensor([]))
        with pytest.raises(NotImplementedError):
            fw.median(fw.tensor([True, False]), 0)
        b = fw.mode(fw.tensor([True, False]), 0)
        assert (bool(b.values), int(b.indices)) == (False, 1)
    assert pn.median(pn.tensor([3, 1, 2, 4])).dtype == pn.int64
    assert int(pn.median(pn.tensor([3, 1, 2, 4]))) == int(torch.median(torch.tensor([3, 1, 2, 4]))) == 2


def test_scan_math_runs_on_the_host_for_a_namespace_without_its_routines():
    """A device namespace without cumprod/moveaxis (the CUDA backend's) gets the host's result."""
    bk = types.SimpleNamespace(xp=types.SimpleNamespace(), to_numpy=np.asarray, asarray=np.array)
    a = np.array([[2.0, 0.0, 3.0], [1.0, 4.0, -2.0]], np.float32)
    g = np.ones_like(a)
    out = scan._run(bk, lambda xp, x: xp.cumprod(x, axis=1), a)
    np.testing.assert_array_equal(out, np.cumprod(a, axis=1))
    grad = scan._run(bk, scan._cumprod_backward, a, out, g, d=1)
    np.testing.assert_array_equal(grad, scan._cumprod_backward(np, a, out, g, d=1))
    lse = scan._run(bk, scan._logcumsumexp, a, axis=0)
    np.testing.assert_allclose(lse, np.logaddexp.accumulate(a, axis=0))
    assert scan._run(bk, lambda xp, x: x.reshape(-1)[4:5].reshape(()).copy(), a).shape == ()
    loop = scan._logcumsumexp(
        types.SimpleNamespace(
            **{k: getattr(np, k) for k in ("moveaxis", "stack")}, logaddexp=lambda x, y: np.logaddexp(x, y)
        ),
        a,
        1,
    )
    np.testing.assert_allclose(loop, np.logaddexp.accumulate(a, axis=1), rtol=1e-6)
    x = pn.tensor([1.0, 2.0, 2.0, 1.0, 2.0, 1.0])
    assert type(pn.median(x)._data) is np.ndarray and pn.median(x).shape == ()


_NORMS = {
    "batch_norm": lambda F, x, w: F.batch_norm(x, None, None, w, None, training=True),
    "layer_norm": lambda F, x, w: F.layer_norm(x, (5,), w[:1].expand(5)),
    "group_norm": lambda F, x, w: F.group_norm(x, 3, w),
    "instance_norm": lambda F, x, w: F.instance_norm(x, weight=w),
}


@pytest.mark.parametrize("name", sorted(_NORMS))
def test_one_standardize_node_to_the_second_derivative(name):
    """The normalizations standardize with one node (autograd/norm.py) whose backward is the
    closed form and whose create_graph rule recomputes it in Tensor ops: values, gradients and
    second derivatives (through a cube, so the second derivative is not zero) as torch's."""
    x, w = RNG.standard_normal((4, 3, 5)), RNG.standard_normal(3)
    grads = []
    for fw in FRAMEWORKS:
        xt, wt = fw.tensor(x, requires_grad=True), fw.tensor(w, requires_grad=True)
        y = _NORMS[name](fw.nn.functional, xt, wt)
        gx, gw = fw.autograd.grad((y**3).sum(), (xt, wt), create_graph=True)
        (hx,) = fw.autograd.grad((gx * gx).sum() + gw.sum(), xt)
        grads.append((y, gx, gw, hx))
    for a, b in zip(*grads):
        _close(a, b, rtol=1e-8, atol=1e-8)


def test_in_place_on_a_standardized_output_is_no_error():
    """The node saves its input, not its output (as torch's NativeBatchNormBackward0): an
    in-place ReLU after BatchNorm(affine=False) leaves the backward intact."""
    x = RNG.standard_normal((6, 3, 4)).astype(np.float32)
    grads = []
    for fw in FRAMEWORKS:
        xt = fw.tensor(x, requires_grad=True)
        y = fw.nn.BatchNorm1d(3, affine=False)(xt)
        fw.relu_(y)
        (y * y).sum().backward()
        grads.append(xt.grad)
    _close(*grads)


@pytest.mark.parametrize(
    "call",
    [
        lambda fw: fw.nn.BatchNorm1d(4)(fw.randn(1, 4)),
        lambda fw: fw.nn.BatchNorm2d(4)(fw.randn(1, 4, 1, 1)),
        lambda fw: fw.nn.functional.batch_norm(fw.randn(1, 4), None, None, training=True),
        lambda fw: fw.nn.InstanceNorm1d(4)(fw.randn(1, 4, 1)),
    ],
)
def test_one_value_per_channel_message_is_torchs(call):
    """A last batch of one sample through BatchNorm in training: torch's ValueError, its words
    (the size printed as torch.Size([1, 4]), as a script printing the error shows it)."""
    messages = []
    for fw in (torch, pn):
        with pytest.raises(ValueError) as info:
            call(fw)
        messages.append(str(info.value).replace("pyneuro", "torch"))
    assert messages[1] == messages[0]
