"""The activations of pyneuro/functional_activation.py and their modules against torch.

relu6, hardtanh, hardsigmoid, hardswish, mish, selu, celu, softsign, logsigmoid, tanhshrink,
softshrink, hardshrink, threshold, rrelu, prelu, glu, softmin (and the in-place forms), and
ReLU6 ... Softmax2d: values, gradients (at the kinks too), in-place behaviour, reprs, errors.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

PF = pn.nn.functional
TF = torch.nn.functional

# Kinks of every function below (0, +-0.5, +-1, +-3, 6, 20 = softplus' threshold), tiny and
# large values.
XS = np.array(
    [-1e4, -100.0, -30.0, -21.0, -20.0, -7.0, -6.0, -3.0, -2.5, -1.0, -0.5, -1e-8, 0.0, 1e-8]
    + [0.5, 1.0, 2.5, 3.0, 6.0, 7.0, 20.0, 21.0, 30.0, 100.0, 1e4]
)
UPSTREAM = np.linspace(0.5, 1.5, len(XS))  # a gradient that differs per element

ELEMENTWISE = [
    ("relu6", {}),
    ("hardtanh", {}),
    ("hardtanh", {"min_val": -3.0, "max_val": 6.0}),
    ("hardtanh", {"min_val": 0.5, "max_val": 0.5}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("mish", {}),
    ("selu", {}),
    ("celu", {}),
    ("celu", {"alpha": 2.0}),
    ("celu", {"alpha": -1.0}),
    ("softsign", {}),
    ("logsigmoid", {}),
    ("tanhshrink", {}),
    ("softshrink", {}),
    ("softshrink", {"lambd": 1.0}),
    ("softshrink", {"lambd": 0.0}),
    ("hardshrink", {}),
    ("hardshrink", {"lambd": 3.0}),
    ("hardshrink", {"lambd": -1.0}),
    ("threshold", {"threshold": 1.0, "value": 20.0}),
    ("threshold", {"threshold": -1.0, "value": -3.0}),
    ("rrelu", {}),
    ("rrelu", {"lower": 0.1, "upper": 0.3}),
    ("rrelu", {"lower": 0.2, "upper": 0.2, "training": True}),  # one possible slope: deterministic
]


def _run(fw, fn, xs, dtype, **kw):
    x = fw.tensor(xs.astype(dtype), requires_grad=True)
    y = fn(fw)(x, **kw)
    (y * fw.tensor(UPSTREAM[: len(xs)].astype(dtype))).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def _tol(dtype, name=""):
    if dtype == np.float32:
        return {"rtol": 2e-6, "atol": 1e-7}
    # torch's hardsigmoid backward multiplies by the float32 constant 1/6 (3e-8 off) in float64 too
    return {"rtol": 1e-7 if name == "hardsigmoid" else 1e-12, "atol": 1e-15}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "kw"), ELEMENTWISE)
def test_values_and_gradients_match_torch(name, kw, dtype):
    (pv, pg), (tv, tg) = (
        _run(fw, lambda m: getattr(m.nn.functional, name), XS, dtype, **kw) for fw in (pn, torch)
    )
    assert pv.dtype == tv.dtype
    np.testing.assert_allclose(pv, tv, **_tol(dtype, name))
    np.testing.assert_allclose(pg, tg, **_tol(dtype, name))


# The gradient at each kink, pinned (torch's hand-written backwards decide these).
KINKS = [
    ("relu6", {}, [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]),
    ("hardtanh", {}, [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]),
    ("hardtanh", {"min_val": -2.0, "max_val": 5.0}, [-2.0, 5.0], [0.0, 0.0]),
    ("hardsigmoid", {}, [-3.0, 3.0, 0.0], [0.0, 0.0, 1 / 6]),
    ("hardswish", {}, [-3.0, 3.0, 0.0], [0.0, 1.0, 0.5]),
    ("mish", {}, [0.0], [0.6]),
    ("selu", {}, [0.0], [1.6732632423543772 * 1.0507009873554805]),
    ("celu", {"alpha": 2.0}, [0.0], [1.0]),
    ("softsign", {}, [0.0], [1.0]),
    ("logsigmoid", {}, [0.0], [0.5]),
    ("tanhshrink", {}, [0.0], [0.0]),
    ("softshrink", {}, [-0.5, 0.5, 0.0], [0.0, 0.0, 0.0]),
    ("hardshrink", {}, [-0.5, 0.5, 0.0], [0.0, 0.0, 0.0]),
    ("threshold", {"threshold": 1.0, "value": 5.0}, [1.0], [0.0]),
    ("rrelu", {}, [0.0], [(1 / 8 + 1 / 3) / 2]),
]


@pytest.mark.parametrize(("name", "kw", "at", "grad"), KINKS)
def test_gradient_at_the_kinks(name, kw, at, grad):
    for fw in (pn, torch):
        x = fw.tensor(at, dtype=fw.float64, requires_grad=True)
        getattr(fw.nn.functional, name)(x, **kw).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-7, atol=0, err_msg=fw.__name__)


@pytest.mark.parametrize("upstream", [-1.0, np.inf, np.nan])
@pytest.mark.parametrize(("name", "kw"), ELEMENTWISE[:-1])
def test_flat_regions_give_positive_zero_gradients_like_torch(name, kw, upstream):
    """Where torch's backward kernel selects 0 (hardtanh/relu6 outside the band, the shrinks
    inside it, threshold below it, hardsigmoid/hardswish's flat parts) a negative, inf or NaN
    gradient from above still gives +0, never -0 (a printed "-0.") or NaN."""
    grads = []
    for fw in (pn, torch):
        x = fw.tensor(XS.astype(np.float32), requires_grad=True)
        getattr(fw.nn.functional, name)(x, **kw).backward(fw.full((len(XS),), upstream))
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=2e-6, atol=1e-7, equal_nan=True)
    numbers = ~np.isnan(grads[1])  # (a NaN's sign bit means nothing)
    np.testing.assert_array_equal(np.signbit(grads[0][numbers]), np.signbit(grads[1][numbers]))


@pytest.mark.parametrize(("name", "kw"), ELEMENTWISE[:-1])
def test_non_finite_inputs_match_torch(name, kw):
    xs = np.array([np.nan, np.inf, -np.inf, 1.0], dtype=np.float32)
    with np.errstate(invalid="ignore"):  # hardswish(-inf) = -inf * 0 = nan, as torch
        p = getattr(PF, name)(pn.tensor(xs), **kw).numpy()
    t = getattr(TF, name)(torch.tensor(xs), **kw).numpy()
    np.testing.assert_allclose(p, t, rtol=1e-6, equal_nan=True)


INPLACE = [
    ("relu6", {}),
    ("hardtanh", {"min_val": -2.0, "max_val": 0.5}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("mish", {}),
    ("selu", {}),
    ("celu", {"alpha": 1.5}),
    ("threshold", {"threshold": 0.5, "value": -4.0}),
    ("rrelu", {}),
    ("elu", {}),
    ("leaky_relu", {}),
]


@pytest.mark.parametrize(("name", "kw"), INPLACE)
def test_inplace_matches_torch(name, kw):
    xs = np.array([-4.0, -3.0, -1.0, 0.0, 0.5, 3.0, 7.0], dtype=np.float32)
    for fw in (pn, torch):
        f = getattr(fw.nn.functional, name)
        x = fw.tensor(xs)
        y = f(x, inplace=True, **kw)
        assert y is x
        np.testing.assert_allclose(x.numpy(), TF.__dict__[name](torch.tensor(xs), **kw).numpy(), rtol=1e-6)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            f(fw.tensor(xs, requires_grad=True), inplace=True, **kw)
    grads = []
    for fw in (pn, torch):  # in place on a non-leaf: recorded, the gradient is the out-of-place one
        a = fw.tensor(xs, requires_grad=True)
        b = a * 1
        getattr(fw.nn.functional, name)(b, inplace=True, **kw).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("hardtanh_", (-0.5, 2.0)),
        ("selu_", ()),
        ("celu_", (0.7,)),
        ("threshold_", (0.5, 9.0)),
        ("rrelu_", (0.1, 0.2)),
        ("relu_", ()),
        ("elu_", (0.3,)),
        ("leaky_relu_", (0.2,)),
    ],
)
def test_underscore_functions_write_into_their_input(name, args):
    xs = np.array([-4.0, -0.5, 0.0, 0.5, 3.0], dtype=np.float32)
    out = []
    for fw in (pn, torch):
        x = fw.tensor(xs)
        assert getattr(fw.nn.functional, name)(x, *args) is x
        out.append(x.numpy())
        with pytest.raises(RuntimeError, match="leaf Variable"):
            getattr(fw.nn.functional, name)(fw.tensor(xs, requires_grad=True), *args)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6)


def test_integer_inputs_like_torch():
    xs = np.array([-3, -1, 0, 2, 7], dtype=np.int64)
    for call in (
        lambda F, x: F.relu6(x),
        lambda F, x: F.hardtanh(x, -0.5, 2.5),
        lambda F, x: F.threshold(x, 1.5, 2.7),
        lambda F, x: F.threshold(x, -1.5, 9.0),
        lambda F, x: F.softsign(x),
        lambda F, x: F.tanhshrink(x),
    ):
        p, t = call(PF, pn.tensor(xs)), call(TF, torch.tensor(xs))
        assert p.numpy().dtype == t.numpy().dtype
        np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-6)
    for name in (
        "hardsigmoid",
        "hardswish",
        "mish",
        "selu",
        "celu",
        "logsigmoid",
        "softshrink",
        "hardshrink",
    ):
        for fw, F in ((pn, PF), (torch, TF)):
            with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
                getattr(F, name)(fw.tensor(xs))
    for fw, F in ((pn, PF), (torch, TF)):
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            F.prelu(fw.tensor(xs), fw.tensor([1]))
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            F.glu(fw.tensor([[1, 2]]))
        with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
            F.relu6(fw.tensor([True, False]))
        with pytest.raises(NotImplementedError, match="'Bool'"):
            F.threshold(fw.tensor([True, False]), 0.5, 1.0)


def test_argument_errors_like_torch():
    for fw, F in ((pn, PF), (torch, TF)):
        x = fw.tensor([-1.0, 0.5, 2.0])
        with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] .* found -1"):
            F.softshrink(x, -1.0)
        with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
            F.celu(x, 0.0)
        with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
            F.celu(x, 0.0, inplace=True)
        with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
            F.hardtanh(x, 2.0, 1.0)
        with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
            F.rrelu(x, 0.5, 0.2)
        with pytest.raises(AssertionError, match=r"max_val \(1.0\) must be greater than min_val \(1.0\)"):
            fw.nn.Hardtanh(1.0, 1.0)
        with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
            fw.nn.Softmax2d()(fw.ones(2, 3))
    np.testing.assert_array_equal(PF.hardtanh(pn.tensor([0.0, 3.0]), 1.0, 1.0).numpy(), [1.0, 1.0])


def test_hardtanh_deprecated_keywords_warn_like_torch():
    for fw in (pn, torch):
        with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
            m = fw.nn.Hardtanh(min_value=-2.0, max_val=3.0)
        assert (m.min_val, m.max_val) == (-2.0, 3.0)
    assert isinstance(pn.nn.ReLU6(), pn.nn.Hardtanh)


MODULES = [
    ("ReLU6", (), {}),
    ("ReLU6", (), {"inplace": True}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 3), {"inplace": True}),
    ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (), {"inplace": True}),
    ("Hardswish", (), {"inplace": True}),
    ("Mish", (), {}),
    ("Mish", (), {"inplace": True}),
    ("SELU", (), {}),
    ("SELU", (), {"inplace": True}),
    ("CELU", (), {}),
    ("CELU", (0.5,), {"inplace": True}),
    ("Softsign", (), {}),
    ("LogSigmoid", (), {}),
    ("Tanhshrink", (), {}),
    ("Softshrink", (), {}),
    ("Softshrink", (1.5,), {}),
    ("Hardshrink", (), {}),
    ("Hardshrink", (2,), {}),
    ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (0.1, 20), {"inplace": True}),
    ("RReLU", (), {}),
    ("RReLU", (0.1, 0.3), {"inplace": True}),
    ("PReLU", (), {}),
    ("PReLU", (3, 0.1), {}),
    ("GLU", (), {}),
    ("GLU", (2,), {}),
    ("Softmin", (), {}),
    ("Softmin", (1,), {}),
    ("Softmax2d", (), {}),
]


@pytest.mark.parametrize(("name", "args", "kw"), MODULES)
def test_modules_match_torch(name, args, kw):
    pm, tm = getattr(pn.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(pm) == repr(tm)
    pm.eval(), tm.eval()
    a = np.linspace(-4, 4, 2 * 3 * 2 * 4, dtype=np.float32).reshape(2, 3, 2, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Softmin's implicit dim
        p, t = pm(pn.tensor(a)), tm(torch.tensor(a))
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_prelu_per_channel_and_shared_against_torch():
    rng = np.random.default_rng(0)
    for shape, c in (((2, 3, 4, 5), 3), ((6, 3), 3), ((7,), 1), ((2, 3, 4), 1), ((), 1)):
        a = rng.standard_normal(shape).astype(np.float32)
        if a.ndim:
            a.flat[0] = 0.0  # x = 0 takes the negative branch: gradient w, weight gradient 0
        w0 = rng.uniform(0.05, 0.5, c).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        out = []
        for fw in (pn, torch):
            m = fw.nn.PReLU(c)
            with fw.no_grad():
                m.weight.copy_(fw.tensor(w0))
            x = fw.tensor(a, requires_grad=True)
            y = m(x)
            (y * fw.tensor(g)).sum().backward()
            out.append([y.detach().numpy(), x.grad.numpy(), m.weight.grad.numpy()])
        for p, t in zip(*out):
            np.testing.assert_allclose(p, t, rtol=1e-5, atol=1e-6)


def test_prelu_module_state_and_functional_errors():
    m = pn.nn.PReLU(4, init=0.1, dtype=pn.float64)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert m.weight.shape == (4,) and m.weight.dtype == pn.float64 and m.weight.requires_grad
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(4, 0.1))
    with pn.no_grad():
        m.weight.fill_(3.0)
    m.reset_parameters()
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(4, 0.1))
    assert list(m.state_dict()) == ["weight"]
    for fw, F in ((pn, PF), (torch, TF)):
        with pytest.raises(RuntimeError, match="Found parameter numbers = 3 and channel size = 4"):
            F.prelu(fw.ones(2, 4), fw.ones(3))
        with pytest.raises(RuntimeError, match="Found parameter numbers = 4 and channel size = 1"):
            F.prelu(fw.ones(4), fw.ones(4))
        with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor"):
            F.prelu(fw.tensor(-2.0), fw.ones(3))
        with pytest.raises(RuntimeError, match="Expected `weight` to be a scalar or 1D tensor"):
            F.prelu(fw.ones(2, 3), fw.ones(1, 3))
        with pytest.raises(RuntimeError, match="Type promoting not supported"):
            F.prelu(fw.ones(2, 3), fw.ones(3, dtype=fw.float64))
        with pytest.raises(TypeError):
            F.prelu(fw.ones(2, 3), 0.5)
        y = F.prelu(-fw.ones(2, 3), fw.tensor(0.5))  # a 0-d weight is shared too
        np.testing.assert_array_equal(y.numpy(), np.full((2, 3), -0.5))
        assert F.prelu(fw.tensor(-2.0), fw.tensor([0.5])).shape == ()
    assert inspect.unwrap(pn.prelu) is inspect.unwrap(PF.prelu)  # (each namespace wraps it: _arguments.py)


@pytest.mark.parametrize(("shape", "dim"), [((4, 6), -1), ((4, 6), 0), ((2, 4, 3), 1), ((2, 0, 4), -1)])
def test_glu_matches_torch(shape, dim):
    a = np.linspace(-3, 3, int(np.prod(shape)), dtype=np.float64).reshape(shape)
    out = []
    for fw in (pn, torch):
        x = fw.tensor(a, requires_grad=True)
        y = fw.nn.functional.glu(x, dim)
        (y * y).sum().backward()
        out.append((y.detach().numpy(), x.grad.numpy()))
    assert out[0][0].shape == out[1][0].shape
    for p, t in zip(*out):
        np.testing.assert_allclose(p, t, rtol=1e-12, atol=1e-15)


def test_glu_errors_like_torch():
    for fw, F in ((pn, PF), (torch, TF)):
        with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
            F.glu(fw.ones(2, 3))
        with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 0 is size 3"):
            fw.nn.GLU(0)(fw.ones(3, 2))
        with pytest.raises(RuntimeError, match="glu does not support scalars"):
            F.glu(fw.tensor(1.0))
        with pytest.raises(IndexError, match="Dimension out of range"):
            F.glu(fw.ones(2, 4), 2)


def test_softmin_and_softmax2d_match_torch():
    a = np.array([[[1.0, -2.0], [0.5, 3.0], [30.0, -30.0]]], dtype=np.float32)  # (1, 3, 2)
    for dim in (0, 1, 2, -1):
        out = []
        for fw in (pn, torch):
            x = fw.tensor(a, requires_grad=True)
            y = fw.nn.functional.softmin(x, dim)
            (y * fw.tensor(np.arange(6, dtype=np.float32).reshape(1, 3, 2))).sum().backward()
            out.append((y.detach().numpy(), x.grad.numpy()))
        for p, t in zip(*out):
            np.testing.assert_allclose(p, t, rtol=1e-6, atol=1e-7)
    for fw in (pn, torch):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
            y = fw.nn.functional.softmin(fw.tensor(a[0]))
        np.testing.assert_allclose(y.numpy(), TF.softmin(torch.tensor(a[0]), 1).numpy(), rtol=1e-6)
        assert fw.nn.functional.softmin(fw.tensor(a), 1, dtype=fw.float64).dtype == fw.float64
    b = np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32)
    for arr in (b, b[0]):
        np.testing.assert_allclose(
            pn.nn.Softmax2d()(pn.tensor(arr)).numpy(),
            torch.nn.Softmax2d()(torch.tensor(arr)).numpy(),
            rtol=1e-6,
        )


def test_rrelu_training_draws_slopes_in_range():
    xs = -np.linspace(0.5, 3.0, 200)
    x = pn.tensor(xs, requires_grad=True)
    y = PF.rrelu(x, 0.1, 0.3, training=True, generator=pn.Generator().manual_seed(3))
    y.sum().backward()
    slopes = y.detach().numpy() / xs
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)  # the gradient is each element's slope
    y2 = PF.rrelu(pn.tensor(xs), 0.1, 0.3, training=True, generator=pn.Generator().manual_seed(3))
    np.testing.assert_array_equal(y2.numpy(), y.detach().numpy())
    np.testing.assert_array_equal(PF.rrelu(pn.tensor([2.0, 0.0]), training=True).numpy(), [2.0, 0.0])
    m = pn.nn.RReLU(0.1, 0.3)
    m.eval()
    np.testing.assert_allclose(m(pn.tensor([-1.0, 2.0])).numpy(), [-0.2, 2.0], rtol=1e-7)


TOP_LEVEL = ["selu", "celu", "hardshrink", "threshold", "prelu", "rrelu", "relu_", "selu_", "celu_"]
TOP_LEVEL += ["threshold_", "rrelu_"]


def test_top_level_functions_where_torch_has_them():
    xs = np.array([-2.0, -0.5, 0.0, 0.7, 4.0], dtype=np.float32)
    args = {"threshold": (0.5, -1.0), "threshold_": (0.5, -1.0), "prelu": "w"}
    for name in TOP_LEVEL:
        assert hasattr(torch, name)
        assert name in pn.__all__
        out = []
        for fw in (pn, torch):
            a = args.get(name, ())
            a = (fw.tensor([0.3]),) if a == "w" else a
            out.append(getattr(fw, name)(fw.tensor(xs), *a).numpy())
        np.testing.assert_allclose(out[0], out[1], rtol=1e-6, err_msg=name)
    for name in ("relu6", "hardtanh", "mish", "glu", "softmin", "softsign", "logsigmoid"):
        assert not hasattr(torch, name) and name not in pn.__all__


def test_exports():
    fnames = [n for n, _ in ELEMENTWISE] + ["prelu", "glu", "softmin", "hardtanh_", "selu_", "threshold_"]
    for name in fnames:
        assert name in PF.__all__ and getattr(PF, name) is getattr(pn.functional, name)
    for name in {m for m, _, _ in MODULES}:
        assert name in pn.nn.__all__ and getattr(pn.nn, name) is getattr(pn.nn.modules, name)


def test_elu_gradient_keeps_its_far_negative_tail():
    """F.elu runs the same kernel as selu/celu: exp(x) * alpha below -1, not expm1's (out + 1),
    which rounds to 0 below about -17 in float32 where torch's gradient is ~1e-8."""
    a = np.array([-30, -20, -17, -5, -1e-3, 0, 1e-3, 3], np.float32)
    p = pn.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    pn.nn.functional.elu(p, 0.7).sum().backward()
    torch.nn.functional.elu(t, 0.7).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=0)


def test_hardtanh_of_an_unsigned_tensor_refuses_negative_limits_as_torch():
    for lib in (pn, torch):
        x = lib.tensor([0, 3, 9], dtype=lib.uint8)
        with pytest.raises(RuntimeError, match="cannot do hardtanh on an unsigned type with negative limits"):
            lib.nn.functional.hardtanh(x)
        with pytest.raises(RuntimeError, match="unsigned type with negative limits"):
            lib.nn.functional.hardtanh(x.clone(), -1.0, 1.0, inplace=True)
        assert lib.nn.functional.relu6(x).tolist() == [0, 3, 6]
