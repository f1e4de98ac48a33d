"""Lazy modules (nn.LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*) and
nn.UninitializedParameter / UninitializedBuffer, side by side with torch's: reprs, errors before the
first forward, shape inference, in-place materialization (optimizers built before it keep training
the same objects), the class switch, initialisation bounds, values and gradients once torch's
initial weights are copied in, state_dict / load_state_dict in every direction, .to()/.double(),
apply() after a dry run, deepcopy, and d2l's patterns."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def as_np(t):
    return t.detach().numpy()


# (name, constructor args, kwargs, input shape)
CASES = [
    ("LazyLinear", (3,), {}, (2, 5)),
    ("LazyLinear", (4,), {"bias": False}, (2, 3, 6)),
    ("LazyLinear", (3,), {}, (7,)),
    ("LazyConv1d", (4, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("LazyConv1d", (4, 3), {"groups": 2, "padding": "same", "padding_mode": "reflect"}, (6, 8)),
    ("LazyConv2d", (6, 3), {"padding": 1, "bias": False}, (2, 4, 5, 5)),
    ("LazyConv2d", (4, (2, 3)), {"dilation": 2, "groups": 2}, (1, 6, 7, 8)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (6, 3), {"stride": 2, "groups": 2, "output_padding": 1}, (2, 4, 5)),
    ("LazyConvTranspose2d", (5, 3), {"stride": 2, "padding": 1}, (2, 3, 4, 4)),
    ("LazyConvTranspose2d", (2, 2), {"bias": False}, (3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {"stride": 2}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"momentum": None, "bias": False}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 3, 3)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"eps": 1e-3}, (2, 3, 4, 5)),
    ("LazyInstanceNorm3d", (), {"affine": False}, (2, 3, 2, 3, 3)),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def make(fw, name, args, kw):
    return getattr(fw.nn, name)(*args, **kw)


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def copy_params(pm, tm):
    """torch's initial values into pyneuro's (materialized) parameters and buffers, in place."""
    with pn.no_grad():
        for (_, p), (_, q) in zip(
            pm.state_dict(keep_vars=True).items(), tm.state_dict(keep_vars=True).items()
        ):
            p.copy_(pn.tensor(q.detach().numpy()))


# ------------------------------------------------------------------------------- before the first forward
@pytest.mark.parametrize(("name", "args", "kw", "shape"), CASES, ids=IDS)
def test_uninitialized_module_looks_like_torchs(name, args, kw, shape):
    pm, tm = make(pn, name, args, kw), make(torch, name, args, kw)
    assert repr(pm) == repr(tm)
    assert pm.has_uninitialized_params() == tm.has_uninitialized_params()
    pk, tk = pm.state_dict(), tm.state_dict()
    assert list(pk) == list(tk)
    assert [type(v).__name__ for v in pk.values()] == [type(v).__name__ for v in tk.values()]
    assert [repr(p) for p in pm.parameters()] == [repr(p) for p in tm.parameters()]
    assert [n for n, _ in pm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    for p, q in zip(pm.parameters(), tm.parameters()):
        assert isinstance(p, pn.nn.Parameter) and isinstance(p, pn.nn.UninitializedParameter)
        assert str(p.dtype) == str(q.dtype).replace("torch", "pyneuro") and p.requires_grad == q.requires_grad


def test_uninitialized_parameter_errors_match_torch():
    ops = {
        "shape": lambda fw, w: w.shape,
        "numel": lambda fw, w: w.numel(),
        "sum": lambda fw, w: w.sum(),
        "add": lambda fw, w: w + 1,
        "radd": lambda fw, w: 1 + w,
        "mul": lambda fw, w: w * w,
        "eq": lambda fw, w: w == 1,
        "free add": lambda fw, w: fw.add(w, 1),
        "exp": lambda fw, w: fw.exp(w),
        "matmul": lambda fw, w: fw.ones(2, 3) @ w,
        "linear": lambda fw, w: fw.nn.functional.linear(fw.ones(2, 3), w),
        "index": lambda fw, w: w[0],
        "len": lambda fw, w: len(w),
        "item": lambda fw, w: w.item(),
        "detach": lambda fw, w: w.detach(),
        "numpy": lambda fw, w: w.numpy(),
        "requires_grad_": lambda fw, w: w.requires_grad_(False),
        "uniform_": lambda fw, w: fw.nn.init.uniform_(w),
        "xavier": lambda fw, w: fw.nn.init.xavier_uniform_(w),
        "zeros_": lambda fw, w: fw.nn.init.zeros_(w),
        "share_memory_": lambda fw, w: w.share_memory_(),
        "copy_": lambda fw, w: w.copy_(fw.ones(2)),
    }
    for label, op in ops.items():
        kinds = []
        for fw in (pn, torch):
            w = fw.nn.LazyLinear(3).weight
            with pytest.raises(Exception) as info:
                op(fw, w)
            kinds.append(info.value)
        mine, theirs = kinds
        assert isinstance(mine, type(theirs)), (label, mine, theirs)
    # the module-level uses that fail in torch fail here too
    for fw in (pn, torch):
        with pytest.raises(ValueError):
            sum(p.numel() for p in fw.nn.LazyLinear(3).parameters())
        with pytest.raises(ValueError):
            fw.nn.LazyLinear(3).requires_grad_(False)


def test_what_an_uninitialized_parameter_allows_matches_torch():
    for fw in (pn, torch):
        w = fw.nn.UninitializedParameter()
        assert repr(w) == str(w) == "<UninitializedParameter>"
        assert (
            w.requires_grad and w.is_leaf and w.grad is None and w.is_floating_point() and not w.is_complex()
        )
        assert tuple(w.size()) == (0,) and w.size(0) == 0 and w.ndim == 1 and w.get_device() == -1
        assert tuple(w.data.shape) == (0,)
        assert str(w.device) == "cpu"
        assert hash(w) == hash(w)
        assert type(w.float()).__name__ == "UninitializedParameter"
        assert str(w.to(fw.float64).dtype).endswith("float64")
        assert fw.nn.parameter.is_lazy(w) and not fw.nn.parameter.is_lazy(fw.ones(1))
        assert fw.nn.parameter.UninitializedParameter is fw.nn.UninitializedParameter
        b = fw.nn.UninitializedBuffer()
        assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad and b.persistent
        assert not fw.nn.UninitializedBuffer(persistent=False).persistent
        assert not isinstance(b, fw.nn.Parameter) and fw.nn.parameter.is_lazy(b)
        assert not fw.nn.UninitializedParameter(requires_grad=False).requires_grad
        assert str(fw.nn.UninitializedParameter(dtype=fw.float64).dtype).endswith("float64")


@pytest.mark.parametrize(
    ("cls", "args", "kw", "dtype", "requires_grad", "become"),
    [
        ("UninitializedParameter", ((2, 3),), {}, "float32", True, "Parameter"),
        ("UninitializedParameter", (4,), {}, "float32", True, "Parameter"),
        ("UninitializedParameter", ((2,),), {"dtype": "float64"}, "float64", True, "Parameter"),
        ("UninitializedBuffer", ((3, 1),), {}, "float32", False, "Tensor"),
        ("UninitializedBuffer", ((0, 2),), {}, "float32", False, "Tensor"),
    ],
)
def test_materialize_turns_the_same_object_into_an_ordinary_one(cls, args, kw, dtype, requires_grad, become):
    out = []
    for fw in (pn, torch):
        t = getattr(fw.nn, cls)()
        ident = id(t)
        kwargs = {k: getattr(fw, v) for k, v in kw.items()}
        t.materialize(*args, **kwargs)
        assert id(t) == ident and type(t).__name__ == become and not fw.nn.parameter.is_lazy(t)
        out.append((tuple(t.shape), str(t.dtype).split(".")[-1], t.requires_grad))
    assert out[0] == out[1] == (out[0][0], dtype, requires_grad)
    p = pn.nn.UninitializedParameter(requires_grad=False, dtype=pn.float64)
    p.materialize((2, 2))
    assert type(p) is pn.nn.Parameter and p.dtype == pn.float64 and not p.requires_grad


# ------------------------------------------------------------------------------- the first forward
@pytest.mark.parametrize(("name", "args", "kw", "shape"), CASES, ids=IDS)
def test_first_forward_infers_materializes_and_becomes_the_eager_class(name, args, kw, shape):
    pm, tm = make(pn, name, args, kw), make(torch, name, args, kw)
    before = {n: p for n, p in pm.named_parameters()}
    x = data(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an instance norm's num_features warning, in both
        tm(torch.from_numpy(x))
        pm(pn.tensor(x))
    assert type(pm).__name__ == type(tm).__name__ == name[4:]
    assert type(pm) is getattr(pn.nn, name[4:])
    assert repr(pm) == repr(tm)
    assert not pm._forward_pre_hooks and not pm.__dict__.get("_load_state_dict_pre_hooks")
    for n, p in pm.named_parameters():
        assert p is before[n] and type(p) is pn.nn.Parameter and p.requires_grad
    shapes = lambda m: [(n, tuple(t.shape), str(t.dtype).split(".")[-1]) for n, t in m.state_dict().items()]
    assert shapes(pm) == shapes(tm)
    assert [type(b).__name__ for b in pm.buffers()] == ["Tensor"] * len(list(tm.buffers()))


@pytest.mark.parametrize(("name", "args", "kw", "shape"), CASES, ids=IDS)
def test_values_and_gradients_match_torch_with_torchs_initial_weights(name, args, kw, shape):
    pm, tm = make(pn, name, args, kw), make(torch, name, args, kw)
    x = data(shape, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm(torch.from_numpy(x))
        pm(pn.tensor(x))
        copy_params(pm, tm)
        x2 = data(shape, seed=2)
        px, tx = pn.tensor(x2, requires_grad=True), torch.tensor(x2, requires_grad=True)
        py, ty = pm(px), tm(tx)
    g = data(tuple(ty.shape), seed=3)
    py.backward(pn.tensor(g))
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(as_np(py), as_np(ty), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(as_np(px.grad), as_np(tx.grad), rtol=1e-4, atol=1e-5)
    for (n, p), (_, q) in zip(pm.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(as_np(p.grad), as_np(q.grad), rtol=1e-4, atol=1e-4, err_msg=n)
    for (n, b), (_, c) in zip(pm.named_buffers(), tm.named_buffers()):
        np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


@pytest.mark.parametrize(
    ("name", "args", "shape", "fan_in"),
    [
        ("LazyLinear", (50,), (3, 40), 40),
        ("LazyConv2d", (30, 3), (1, 8, 5, 5), 8 * 9),
        ("LazyConv1d", (40, 3, 1, 0, 1, 2), (1, 8, 5), 4 * 3),
        ("LazyConvTranspose2d", (6, 3), (1, 40, 5, 5), 6 * 9),
    ],
)
def test_initialisation_is_the_eager_one(name, args, shape, fan_in):
    """kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the bias the same range:
    the values fill the bounds (and only them) as torch's do."""
    pn.manual_seed(0)
    m = make(pn, name, args, {})
    m(pn.tensor(data(shape)))
    bound = 1 / np.sqrt(fan_in)
    for p in (m.weight, m.bias):
        v = p.detach().numpy()
        assert v.dtype == np.float32 and np.all(np.abs(v) <= bound + 1e-7)
        assert np.abs(v).max() > 0.8 * bound and v.std() > 0.4 * bound
    m2 = make(pn, name, args, {})
    m2(pn.tensor(data(shape)))
    assert not np.array_equal(m.weight.detach().numpy(), m2.weight.detach().numpy())  # drawn, not fixed
    pn.manual_seed(0)
    m3 = make(pn, name, args, {})
    m3(pn.tensor(data(shape)))
    assert np.array_equal(m.weight.detach().numpy(), m3.weight.detach().numpy())  # seeded: reproducible


def test_lazy_norms_initialise_ones_zeros_and_running_statistics():
    for fw in (pn, torch):
        m = fw.nn.LazyBatchNorm2d().eval()
        x = fw.ones(2, 3, 2, 2)
        out = m(x)
        assert m.num_batches_tracked.item() == 0  # eval: the running statistics normalise
        np.testing.assert_allclose(as_np(out), np.ones((2, 3, 2, 2)) / np.sqrt(1 + 1e-5), rtol=1e-6)
        np.testing.assert_array_equal(as_np(m.weight), np.ones(3))
        np.testing.assert_array_equal(as_np(m.bias), np.zeros(3))
        np.testing.assert_array_equal(m.running_mean.numpy(), np.zeros(3))
        np.testing.assert_array_equal(m.running_var.numpy(), np.ones(3))
        assert str(m.num_batches_tracked.dtype).endswith("int64")
    bn = pn.nn.BatchNorm1d(
        3
    )  # the eager reset the lazy one runs: torch's reset_parameters/reset_running_stats
    bn(pn.randn(4, 3))
    with pn.no_grad():
        bn.weight.fill_(2.0)
    bn.reset_parameters()
    assert bn.num_batches_tracked.item() == 0 and bn.weight.detach().numpy().tolist() == [1.0] * 3
    assert bn.running_var.numpy().tolist() == [1.0] * 3


# ------------------------------------------------------------------------------- training
def test_an_optimizer_built_before_the_first_forward_trains_the_materialized_parameters():
    """d2l's pattern: net and optimizer first, the dry run inside the training loop."""
    x = data((8, 5), seed=4)
    y = data((8, 2), seed=5)
    runs = []
    for fw in (pn, torch):
        net = fw.nn.Sequential(
            fw.nn.LazyLinear(16), fw.nn.ReLU(), fw.nn.LazyBatchNorm1d(), fw.nn.LazyLinear(2)
        )
        # SGD, not Adam: the first layer's bias feeds the batch norm, so its true gradient is 0
        # and Adam would turn rounding noise (~1e-9, different in each library) into 0.01 steps
        opt = fw.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        params = list(net.parameters())
        net(fw.tensor(x))  # the dry run
        runs.append((net, opt, params))
    copy_params(runs[0][0], runs[1][0])
    for fw, (net, opt, params) in zip((pn, torch), runs):
        for _ in range(3):
            opt.zero_grad()
            loss = ((net(fw.tensor(x)) - fw.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
        assert all(p is q for p, q in zip(params, net.parameters()))
    for p, q in zip(runs[0][0].state_dict().values(), runs[1][0].state_dict().values()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-4, atol=1e-5)


def test_d2l_patterns_sequential_apply_and_layer_summary():
    for fw in (pn, torch):
        net = fw.nn.Sequential(fw.nn.LazyLinear(256), fw.nn.ReLU(), fw.nn.LazyLinear(10))
        assert repr(net[0].weight) == "<UninitializedParameter>"
        assert tuple(net(fw.rand(2, 20)).shape) == (2, 10)
        assert [(n, tuple(p.shape)) for n, p in net.named_parameters()] == [
            ("0.weight", (256, 20)),
            ("0.bias", (256,)),
            ("2.weight", (10, 256)),
            ("2.bias", (10,)),
        ]

        def init_normal(m, fw=fw):
            if type(m) == fw.nn.Linear:  # noqa: E721 - d2l's test
                fw.nn.init.normal_(m.weight, mean=0, std=0.01)
                fw.nn.init.zeros_(m.bias)

        net.apply(init_normal)
        assert np.abs(as_np(net[0].weight)).max() < 0.1 and not as_np(net[2].bias).any()
        lenet = fw.nn.Sequential(
            fw.nn.LazyConv2d(6, kernel_size=5, padding=2), fw.nn.Sigmoid(), fw.nn.AvgPool2d(kernel_size=2, stride=2),
            fw.nn.LazyConv2d(16, kernel_size=5), fw.nn.Sigmoid(), fw.nn.AvgPool2d(kernel_size=2, stride=2),
            fw.nn.Flatten(), fw.nn.LazyLinear(120), fw.nn.Sigmoid(), fw.nn.LazyLinear(84), fw.nn.Sigmoid(),
            fw.nn.LazyLinear(10),
        )  # fmt: skip
        x, summary = fw.randn(1, 1, 28, 28), []
        for layer in lenet:
            x = layer(x)
            summary.append((layer.__class__.__name__, tuple(x.shape)))
        assert summary[0] == ("Conv2d", (1, 6, 28, 28)) and summary[3] == ("Conv2d", (1, 16, 10, 10))
        assert summary[7] == ("Linear", (1, 120)) and summary[-1] == ("Linear", (1, 10))


# ------------------------------------------------------------------------------- state_dict
def test_load_state_dict_in_every_direction_matches_torch():
    def run(fw):
        out = {}
        a, b = fw.nn.LazyLinear(3), fw.nn.LazyLinear(3)
        out["lazy->lazy"] = repr(b.load_state_dict(a.state_dict()))
        out["still lazy"] = (type(b).__name__, repr(b.weight))
        eager = fw.nn.Linear(4, 3)
        with pytest.raises(RuntimeError, match="uninitialized parameter"):
            eager.load_state_dict(a.state_dict())
        d = fw.nn.LazyLinear(3)
        out["eager->lazy"] = repr(d.load_state_dict(eager.state_dict()))
        out["after load"] = (
            type(d).__name__,
            tuple(d.weight.shape),
            d.in_features,
            d.has_uninitialized_params(),
        )
        assert np.array_equal(as_np(d.weight), as_np(eager.weight)) and np.array_equal(
            as_np(d.bias), as_np(eager.bias)
        )
        d(fw.ones(2, 4))
        out["after forward"] = (type(d).__name__, d.in_features)
        assert np.array_equal(as_np(d.weight), as_np(eager.weight))  # the checkpoint's values, not a reset
        e = fw.nn.LazyLinear(3)
        e.load_state_dict(eager.state_dict())
        with pytest.raises(AssertionError, match="in_features inferred from input: 7"):
            e(fw.ones(2, 7))
        f = fw.nn.LazyLinear(3)
        out["partial"] = repr(f.load_state_dict({"weight": fw.ones(3, 5)}, strict=False))
        out["partial state"] = (tuple(f.weight.shape), repr(f.bias), type(f).__name__)
        net = fw.nn.Sequential(fw.nn.LazyConv2d(4, 3), fw.nn.LazyBatchNorm2d())
        src = fw.nn.Sequential(fw.nn.Conv2d(2, 4, 3), fw.nn.BatchNorm2d(4))
        src(fw.randn(2, 2, 5, 5))
        out["nested"] = repr(net.load_state_dict(src.state_dict()))
        out["nested shapes"] = [(k, tuple(v.shape)) for k, v in net.state_dict().items()]
        for k, v in src.state_dict().items():
            assert np.array_equal(as_np(net.state_dict()[k]), as_np(v)), k
        return out

    assert run(pn) == run(torch)


def test_missing_and_unexpected_keys_of_a_lazy_module_as_torch():
    for fw in (pn, torch):
        m = fw.nn.LazyLinear(3)
        with pytest.raises(RuntimeError, match="Missing key"):
            m.load_state_dict({"weight": fw.ones(3, 2)})
        r = fw.nn.LazyLinear(3).load_state_dict(
            {"weight": fw.ones(3, 2), "bias": fw.ones(3), "x": fw.ones(1)}, False
        )
        assert list(r.unexpected_keys) == ["x"] and not r.missing_keys


# ------------------------------------------------------------------------------- dtype and device moves
def test_to_and_double_before_and_after_the_first_forward():
    def run(fw):
        out = []
        m = fw.nn.LazyLinear(3)
        w = m.weight
        assert m.double() is m and m.weight is w
        out.append((type(w).__name__, str(w.dtype).split(".")[-1]))
        m(fw.ones(2, 4, dtype=fw.float64))
        out.append((type(w).__name__, str(w.dtype).split(".")[-1], str(m.bias.dtype).split(".")[-1]))
        m.float()
        out.append(str(m.weight.dtype).split(".")[-1])
        m2 = fw.nn.LazyConv2d(2, 3, dtype=fw.float64).to(fw.float32).to("cpu")
        m2(fw.ones(1, 3, 4, 4))
        out.append(str(m2.weight.dtype).split(".")[-1])
        bn = fw.nn.LazyBatchNorm1d(dtype=fw.float64)
        out.append((str(bn.running_mean.dtype), str(bn.num_batches_tracked.dtype)))
        bn(fw.randn(4, 3, dtype=fw.float64))
        out.append((str(bn.running_mean.dtype), str(bn.weight.dtype)))
        return [str(o).replace("torch", "pyneuro") for o in out]

    assert run(pn) == run(torch)


# ------------------------------------------------------------------------------- errors of the first forward
@pytest.mark.parametrize(
    ("make_module", "shape", "error"),
    [
        (lambda nn: nn.LazyConv2d(8, 3), (4, 6), RuntimeError),
        (lambda nn: nn.LazyConv1d(8, 3), (2, 3, 4, 5), RuntimeError),
        (lambda nn: nn.LazyConv2d(8, 3, groups=2), (1, 3, 6, 6), ValueError),
        (lambda nn: nn.LazyConvTranspose2d(8, 3, groups=2), (1, 3, 6, 6), ValueError),
        (lambda nn: nn.LazyLinear(3), (), IndexError),
        (lambda nn: nn.LazyBatchNorm1d(), (3,), IndexError),
        (lambda nn: nn.LazyBatchNorm2d(), (2, 3), ValueError),
        (lambda nn: nn.LazyInstanceNorm2d(), (3, 4, 5), ValueError),
    ],
)
def test_bad_first_inputs_raise_torchs_errors(make_module, shape, error):
    classes = []
    for fw in (pn, torch):
        m = make_module(fw.nn)
        with pytest.raises(error):
            m(fw.tensor(data(shape)) if shape else fw.tensor(1.0))
        classes.append(type(m).__name__)
    assert classes[0] == classes[1]


def test_construction_checks_as_torchs():
    for fw in (pn, torch):
        fw.nn.LazyConv2d(7, 3, groups=2)  # out_channels % groups is not checked (torch passes 0)
        with pytest.raises(ValueError):
            fw.nn.LazyConv2d(8, 3, groups=0)
        with pytest.raises(ValueError):
            fw.nn.LazyConv2d(8, 3, padding_mode="mirror")
        with pytest.raises(ValueError):
            fw.nn.LazyConvTranspose2d(8, 3, padding_mode="reflect")


# ------------------------------------------------------------------------------- the mixin
def test_a_custom_lazy_module_and_user_hooks():
    for fw in (pn, torch):
        Mixin = __import__(fw.__name__ + ".nn.modules.lazy", fromlist=["LazyModuleMixin"]).LazyModuleMixin

        class LazyScale(Mixin, fw.nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = fw.nn.UninitializedParameter()

            def initialize_parameters(self, x):
                self.scale.materialize(x.shape[-1:])
                with fw.no_grad():
                    self.scale.fill_(2.0)

            def forward(self, x):
                return x * self.scale

        m = LazyScale()
        seen = []
        m.register_forward_pre_hook(lambda mod, args: seen.append(type(mod.scale).__name__))
        out = m(fw.ones(2, 3))
        assert type(m) is LazyScale and seen == ["Parameter"]  # the lazy hook runs first
        assert as_np(out).tolist() == [[2.0] * 3] * 2 and len(m._forward_pre_hooks) == 1

        class Forgetful(Mixin, fw.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = fw.nn.UninitializedParameter()

            def initialize_parameters(self, x):
                pass

        with pytest.raises(RuntimeError, match="has not been fully initialized"):
            Forgetful()(fw.ones(1))
        with pytest.raises(NotImplementedError):
            Mixin.initialize_parameters(m)


def test_deepcopy_before_the_first_forward_gives_an_independent_lazy_module():
    for fw in (pn, torch):
        m = fw.nn.LazyLinear(3)
        c = copy.deepcopy(m)
        assert c.weight is not m.weight and repr(c.weight) == "<UninitializedParameter>"
        c(fw.ones(2, 4))
        assert (
            type(c) is fw.nn.Linear
            and type(m) is fw.nn.LazyLinear
            and repr(m.weight) == "<UninitializedParameter>"
        )
        m(fw.ones(2, 5))
        assert tuple(m.weight.shape) == (3, 5) and tuple(c.weight.shape) == (3, 4)
    c2 = copy.deepcopy(pn.nn.LazyLinear(2))
    c2(pn.ones(1, 3))
    assert not c2._forward_pre_hooks  # the copy's own hook went, not the original's


def test_explicit_initialize_parameters_then_forward():
    for fw in (pn, torch):
        m = fw.nn.LazyConv1d(4, 3)
        m.initialize_parameters(fw.ones(2, 5, 7))
        assert type(m).__name__ == "LazyConv1d" and tuple(m.weight.shape) == (4, 5, 3)
        w = m.weight.detach().clone()
        m(fw.ones(2, 5, 7))
        assert type(m).__name__ == "Conv1d" and np.array_equal(as_np(m.weight), as_np(w))


def test_an_uninitialized_buffer_assigned_to_a_module_is_a_buffer():
    for fw in (pn, torch):
        m = fw.nn.Module()
        m.b = fw.nn.UninitializedBuffer()
        m.c = fw.nn.UninitializedBuffer(persistent=False)
        m.p = fw.nn.UninitializedParameter()
        assert [n for n, _ in m.named_buffers()] == ["b", "c"] and list(m._parameters) == ["p"]
        m.b.materialize((2,))
        assert type(m.b) is fw.Tensor and tuple(m.b.shape) == (2,)
    assert list(m.state_dict(keep_vars=True)) == ["p", "b"]
