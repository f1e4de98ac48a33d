"""In-place faults found by probing against torch (round 41): each case runs the same code on
torch and on pyneuro and compares the outcome (values, requires_grad, or the exception's class and
message)."""

import numpy as np
import pytest

import pyneuro as pn
from pyneuro._tensor_base import DATA_ASSIGNED

torch = pytest.importorskip("torch")


def _outcome(lib, case):
    try:
        x = case(lib)
    except Exception as exc:  # the oracle decides whether raising is right
        return exc
    if isinstance(x, tuple):  # (what the case reports itself)
        return x
    return x.tolist(), x.requires_grad, str(x.dtype).split(".")[-1]


def check_against_torch(case):
    got, want = _outcome(pn, case), _outcome(torch, case)
    if isinstance(want, Exception):
        assert isinstance(got, type(want)), (got, want)  # (pyneuro's DTypeError is a RuntimeError)
        assert str(got) == str(want)
    else:
        assert got == want


def _int_target(op):
    def case(lib):
        x = lib.tensor([1, 2])
        w = lib.tensor([1.5, 2.0], requires_grad=True)
        op(x, w)
        return x

    return case


INT_TARGET = {  # an int64 tensor written from a float tensor that requires grad
    "add_": lambda x, w: x.add_(w),
    "mul_": lambda x, w: x.mul_(w),
    "iadd": lambda x, w: x.__iadd__(w),
    "sub_alpha": lambda x, w: x.sub_(w, alpha=2),
    "addcmul_": lambda x, w: x.addcmul_(w, w),
    "clamp_": lambda x, w: x.clamp_(w, None),
    "copy_": lambda x, w: x.copy_(w),
    "setitem": lambda x, w: x.__setitem__(0, w[0]),
    "setitem_slice": lambda x, w: x.__setitem__(slice(0, 2), w),
}


@pytest.mark.parametrize("name", sorted(INT_TARGET))
def test_an_int_tensor_written_from_a_tensor_that_requires_grad(name):
    """torch: arithmetic into the int tensor is refused by the cast rule, a copy casts the values
    and the int tensor stays out of the graph (it cannot require grad). pyneuro recorded the op:
    an AttributeError from the graph code, or an int64 tensor with a grad_fn."""
    check_against_torch(_int_target(INT_TARGET[name]))


def test_fill_of_an_int_tensor_with_a_0d_tensor_that_requires_grad():
    def case(lib):
        x = lib.tensor([1, 2])
        x.fill_(lib.tensor([3.5, 1.0], requires_grad=True)[0])
        return x

    assert _outcome(pn, case)[0] == _outcome(torch, case)[0] == [3, 3]
    w = pn.tensor([1.5, 2.0], requires_grad=True)
    y = pn.zeros(2)
    y.fill_(w[1])  # a float tensor joins the graph, as torch's
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 2.0])


MODULES = {
    "BatchNorm1d": lambda nn: nn.BatchNorm1d(3),
    "BatchNorm2d_no_affine": lambda nn: nn.BatchNorm2d(3, affine=False),
    "InstanceNorm2d": lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
    "LayerNorm": lambda nn: nn.LayerNorm(3),
    "GroupNorm": lambda nn: nn.GroupNorm(1, 3),
    "PReLU": lambda nn: nn.PReLU(2),
    "Embedding": lambda nn: nn.Embedding(4, 2, padding_idx=0),
    "TransformerEncoderLayer": lambda nn: nn.TransformerEncoderLayer(4, 2, 8),
    "LazyBatchNorm1d": lambda nn: nn.LazyBatchNorm1d(),
}


def _versions(lib, make, forward=None):
    lib.manual_seed(0)
    m = make(lib.nn)
    if forward is not None:
        m(forward(lib))
    tensors = [*m.named_parameters(), *m.named_buffers()]
    return {k: v._version for k, v in tensors if "Uninitialized" not in type(v).__name__}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_parameter_and_buffer_versions_after_construction_and_a_forward(name):
    """torch's __init__ runs reset_parameters (ones_, zeros_, fill_: version 1 each); a training
    forward of a batch norm counts num_batches_tracked.add_(1) and not the running statistics'
    update (its kernel's)."""
    assert _versions(pn, MODULES[name]) == _versions(torch, MODULES[name])
    if "Norm" in name and "Layer" not in name and "Group" not in name:
        shape = (4, 3, 5, 5) if "2d" in name else (4, 3)
        x = lambda lib: lib.tensor(np.random.RandomState(0).randn(*shape).astype(np.float32))
        assert _versions(pn, MODULES[name], x) == _versions(torch, MODULES[name], x)


def test_reset_parameters_of_every_module_reinitialises_as_torch():
    """model.apply(m.reset_parameters() where it exists), the usual re-initialisation: Embedding,
    LayerNorm and GroupNorm had no reset_parameters, so their trained values stayed."""

    def run(lib):
        lib.manual_seed(0)
        nn = lib.nn
        m = nn.Sequential(nn.Embedding(10, 4, padding_idx=1), nn.LayerNorm(4), nn.Linear(4, 4),
                          nn.GroupNorm(2, 4), nn.PReLU())  # fmt: skip
        with lib.no_grad():
            for p in m.parameters():
                p.add_(1)
        lib.manual_seed(1)
        m.apply(lambda mod: mod.reset_parameters() if hasattr(mod, "reset_parameters") else None)
        return [p.detach().numpy().copy() for p in m.parameters()], [p._version for p in m.parameters()]

    (got, got_versions), (want, want_versions) = run(pn), run(torch)
    assert got_versions == want_versions
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


def test_an_inference_tensors_version_is_refused_as_torch():
    def run(lib):
        with lib.inference_mode():
            x = lib.ones(2)
            v = x[0]
        out = []
        for t in (x, v, lib.ones(2)):
            try:
                out.append(t._version)
            except RuntimeError as exc:
                out.append(str(exc))
        return out

    assert run(pn) == run(torch) == ["Inference tensors do not track version counter."] * 2 + [0]


def _no_grad_view_case(change, use):
    """A view made under no_grad() of a leaf that requires grad; `change` (or nothing); `use` with
    grad mode on. Returns what torch reports: flags, gradients, or the exception."""

    def case(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with lib.no_grad():
            v = w[:2]
        flags = (v.requires_grad, v.is_leaf, v.grad_fn is None)
        if change is not None:
            change(lib, w, v)
        try:
            out = use(lib, w, v)
        except RuntimeError as exc:
            return flags, "RuntimeError", str(exc)
        grads = [None if t.grad is None else t.grad.tolist() for t in (w, v)]
        return flags, out.requires_grad, grads

    return case


def _nograd(f):
    def change(lib, w, v):
        with lib.no_grad():
            f(w, v)

    return change


NO_GRAD_VIEW_CHANGES = {
    "none": None,
    "base_mul_under_no_grad": _nograd(lambda w, v: w.mul_(2)),  # an optimizer step on the base
    "view_add_under_no_grad": _nograd(lambda w, v: v.add_(1)),
    "sibling_under_no_grad": _nograd(lambda w, v: w[2:].zero_()),
}
NO_GRAD_VIEW_USES = {
    "alone": lambda lib, w, v: _backward((v * 3).sum()),
    "with_its_base": lambda lib, w, v: _backward((v * 3).sum() + w.sum()),
    "view_of_it": lambda lib, w, v: _backward(v[1:].exp().sum() + w.sum()),
}


def _backward(y):
    y.backward()
    return y


@pytest.mark.parametrize("use", sorted(NO_GRAD_VIEW_USES))
@pytest.mark.parametrize("change", sorted(NO_GRAD_VIEW_CHANGES))
def test_a_view_made_under_no_grad_then_used_with_grad_mode_on(change, use):
    """torch: such a view requires grad and is a leaf, but no gradient is stored for it (nor its
    base, through it); once its memory changed in place, in any mode, using it with grad mode on
    raises. pyneuro's view required no grad (backward of it alone: 'does not require grad'; a change
    went unnoticed)."""
    check_against_torch(_no_grad_view_case(NO_GRAD_VIEW_CHANGES[change], NO_GRAD_VIEW_USES[use]))


STEPPED = {  # a module, its input's shape, and the parameter changed between forward and backward
    "conv2d_bias": (lambda nn: nn.Conv2d(2, 3, 2), (1, 2, 4, 4), "bias"),
    "conv1d_bias": (lambda nn: nn.Conv1d(2, 3, 2), (1, 2, 5), "bias"),
    "conv_transpose2d_bias": (lambda nn: nn.ConvTranspose2d(2, 3, 2), (1, 2, 3, 3), "bias"),
    "conv2d_weight": (lambda nn: nn.Conv2d(2, 3, 2), (1, 2, 4, 4), "weight"),
    "layer_norm_bias": (lambda nn: nn.LayerNorm(4), (2, 4), "bias"),
    "layer_norm_weight": (lambda nn: nn.LayerNorm(4), (2, 4), "weight"),
    "instance_norm_weight": (lambda nn: nn.InstanceNorm1d(2, affine=True), (2, 2, 5), "weight"),
    "instance_norm_bias": (lambda nn: nn.InstanceNorm1d(2, affine=True), (2, 2, 5), "bias"),
    "lstm_weight_ih": (lambda nn: nn.LSTM(4, 3), (3, 1, 4), "weight_ih_l0"),
    "lstm_bias_hh": (lambda nn: nn.LSTM(4, 3), (3, 1, 4), "bias_hh_l0"),
    "lstm_2_layers_h_n": (lambda nn: nn.LSTM(4, 3, num_layers=2), (3, 1, 4), "bias_ih_l1"),
    "lstm_bidirectional_c_n": (
        lambda nn: nn.LSTM(4, 3, bidirectional=True),
        (3, 1, 4),
        "weight_ih_l0_reverse",
    ),
    "lstm_batch_first": (lambda nn: nn.LSTM(4, 3, batch_first=True), (1, 3, 4), "weight_ih_l0"),
    "lstm_proj": (lambda nn: nn.LSTM(4, 3, proj_size=2), (3, 1, 4), "weight_ih_l0"),
    "gru_weight_ih": (lambda nn: nn.GRU(4, 3), (3, 1, 4), "weight_ih_l0"),
}


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("name", sorted(STEPPED))
def test_a_parameter_stepped_between_forward_and_backward(name):
    """An optimizer step (a parameter changed under no_grad) before backward: torch raises where
    its node saved that parameter, and computes otherwise. pyneuro's conv node watched the bias,
    its instance norm the weight (torch's multiplies a repeat()ed copy), and its layer norm and
    oneDNN LSTM (float32, no projections: every weight and bias saved) watched too little."""
    make, shape, param = STEPPED[name]

    def case(lib):
        lib.manual_seed(0)
        m = make(lib.nn)
        out = m(lib.tensor(np.random.RandomState(0).randn(*shape).astype(np.float32)))
        if isinstance(out, tuple):  # (a recurrent layer: the output, or h_n / c_n)
            out = out[1][-1] if name.endswith("c_n") else out[1][0] if name.endswith("h_n") else out[0]
        loss = (out * out).sum()
        with lib.no_grad():
            getattr(m, param).mul_(1.5)
        try:
            loss.backward()
        except RuntimeError as exc:
            assert "modified by an inplace operation" in str(exc)
            return ("raises",)
        return tuple(p.grad.tolist() for p in m.parameters())

    got, want = _outcome(pn, case), _outcome(torch, case)
    if want == ("raises",) or got == ("raises",):
        assert got == want
    else:
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def _view_functions(lib):
    class Identity(lib.autograd.Function):  # an input returned as-is (a gradient-reversal layer's shape)
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return -g

    class ViewAs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.view_as(x)

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3, x[:1]

        @staticmethod
        def backward(ctx, g, h):
            return g * 2

    return {"Identity": Identity, "ViewAs": ViewAs, "Two": Two}


CUSTOM_VIEW_CASES = {
    "inplace_on_it": lambda F, w, a, y: y.add_(1),
    "inplace_on_a_view_of_it": lambda F, w, a, y: y[0].mul_(2),
    "inplace_under_no_grad_then_used": lambda F, w, a, y: (
        _nograd(lambda w, v: v.add_(1))(None, w, y),
        y * 2,
    ),
    "base_changed_then_used": lambda F, w, a, y: (a.add_(1), y * 2),
    "base_changed_then_grad_fn": lambda F, w, a, y: (a.mul_(2), y.grad_fn),
    "used_unchanged": lambda F, w, a, y: None,
}


@pytest.mark.parametrize("fn", ["Identity", "ViewAs", "Two"])
@pytest.mark.parametrize("case", sorted(CUSTOM_VIEW_CASES))
def test_a_custom_functions_output_that_is_its_input_or_a_view_of_it(fn, case):
    """torch: such an output is a view made inside a custom Function; changing it in place (recorded),
    or using it after its memory changed, raises (torch's regenerated view would bypass the Function's
    backward). pyneuro's was a tensor of its own (another version counter): it computed."""

    def run(lib):
        F = _view_functions(lib)[fn]
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        a = w * 1
        y = F.apply(a)
        y = y[1] if fn == "Two" else y
        CUSTOM_VIEW_CASES[case](F, w, a, y)
        (y * y).sum().backward()
        return w.grad.tolist(), y._is_view(), y._version == a._version

    check_against_torch(run)


@pytest.mark.parametrize("hooks", ["identity", "save_on_cpu", "custom_function"])
def test_saved_tensors_hooks_skip_the_version_check_as_torch(hooks):
    """torch checks no version of a tensor that saved_tensors_hooks packed: backward reads what
    unpack gives (here the tensor itself, changed in place: its new values). pyneuro raised torch's
    'modified by an inplace operation' error."""

    def run(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        w = lib.tensor([1.0, 2.0], requires_grad=True)
        a = w * 1
        if hooks == "save_on_cpu":
            context = lib.autograd.graph.save_on_cpu()
        else:
            context = lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)
        with context:
            y = (Square.apply(a) if hooks == "custom_function" else a * a).sum()
        a.add_(1)
        y.backward()
        return w.grad.tolist()

    assert run(pn) == run(torch) == [4.0, 6.0]


def _hooked_module_case(hook, change, x_requires_grad):
    """A Linear with a module backward hook, its output changed (or not) before backward."""

    def case(lib):
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 3)
        if hook == "full":
            lin.register_full_backward_hook(lambda m, gi, go: None)
        else:
            lin.register_full_backward_pre_hook(lambda m, go: None)
        y = lin(lib.randn(2, 3, requires_grad=x_requires_grad))
        if change == "relu_inplace":
            y = lib.nn.ReLU(inplace=True)(y)
        elif change == "add_":
            y.add_(1)
        elif change == "under_no_grad":
            with lib.no_grad():
                y.mul_(2)
        elif change == "data":
            y.data.mul_(2)  # (no version bump: torch computes)
        (y * y).sum().backward()
        return lin.weight.grad

    return case


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
@pytest.mark.parametrize("x_requires_grad", [False, True])
@pytest.mark.parametrize("change", ["relu_inplace", "add_", "under_no_grad", "data", "none"])
@pytest.mark.parametrize("hook", ["full", "pre"])
def test_a_hooked_modules_output_changed_in_place(hook, change, x_requires_grad):
    """torch's module backward hooks pass the outputs through BackwardHookFunction, a custom Function
    returning its inputs as-is: a ReLU(inplace=True) after the hooked module (a Grad-CAM hook on a
    resnet layer) raises torch's view-made-in-a-custom-Function error. pyneuro computed."""
    case = _hooked_module_case(hook, change, x_requires_grad)
    got, want = _outcome(pn, case), _outcome(torch, case)
    if isinstance(want, Exception):
        check_against_torch(case)
    else:
        np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)


def test_hooked_modules_inputs_and_outputs_numbered_as_torchs_one_call():
    def run(lib):
        class Two(lib.nn.Module):
            def forward(self, a, b):
                return a * 2, b * 3

        class Changes(lib.nn.Module):
            def forward(self, a, b):
                b.add_(1)
                return a * b

        out = []
        for make, change in ((Two, lambda y: y[1].add_(1)), (Changes, None)):
            m = make()
            m.register_full_backward_hook(lambda m, gi, go: None)
            a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
            try:
                y = m(a * 1, b * 1)
                change(y) if change else None
            except RuntimeError as exc:
                out.append(str(exc))
        return out

    got, want = run(pn), run(torch)
    assert got == want and len(want) == 2 and want[0].startswith("Output 1 of BackwardHookFunction")


@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_cummax_saves_its_input(op):
    """torch's cummaxmin_backward reads the input: changed in place before backward, it raises."""

    def case(lib):
        x = lib.tensor([[1.0, 3.0, 2.0], [0.0, -1.0, 4.0]], requires_grad=True)
        values = getattr(x, op)(1).values
        with lib.no_grad():
            x.add_(1)
        values.sum().backward()
        return x.grad

    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        case(torch)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        case(pn)


ACTIVATIONS = {  # torch's node saves the input (derivatives.yaml: self) and differentiates it at backward
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.1),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "elu": lambda F, x: F.elu(x, 1.5),
    "elu_negative_alpha": lambda F, x: F.elu(x, -0.5),
    "celu": lambda F, x: F.celu(x, 0.7),
    "selu": lambda F, x: F.selu(x),
    "softplus": lambda F, x: F.softplus(x, beta=2.0, threshold=1.0),
    "mish": lambda F, x: F.mish(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardtanh": lambda F, x: F.hardtanh(x, -0.5, 1.0),
    "relu6": lambda F, x: F.relu6(x),
    "softshrink": lambda F, x: F.softshrink(x, 0.5),
    "hardshrink": lambda F, x: F.hardshrink(x, 0.5),
    "threshold": lambda F, x: F.threshold(x, 0.2, -3.0),
}
_CHANGES = {  # between forward and backward, without a version bump
    "data_mul": lambda x: x.data.mul_(-1.5).add_(0.4),
    "data_assigned": lambda x: setattr(x, "data", x.data * -1.5 + 0.4),
    "none": lambda x: None,
}
_X = [[0.3, -1.2, 2.0, 0.7], [1.5, 0.1, -0.4, -2.2], [0.9, 1.1, -0.6, 3.5]]


@pytest.mark.parametrize("change", sorted(_CHANGES))
@pytest.mark.parametrize("op", sorted(ACTIVATIONS))
def test_an_activations_backward_reads_its_input_as_it_is_then(op, change):
    """torch's activation nodes save the input tensor and compute the derivative from its values
    when backward runs: after `x.data.mul_(...)` (no version bump) the gradient is the new values'
    derivative. pyneuro's compositions kept forward-time masks and intermediates (sigmoid(x),
    x > 0): the old derivative."""

    def run(lib):
        x = lib.tensor(_X, requires_grad=True)
        y = ACTIVATIONS[op](lib.nn.functional, x)
        _CHANGES[change](x)
        y.backward(lib.tensor(np.random.RandomState(1).randn(3, 4).astype(np.float32)))
        return x.grad.numpy(), type(y.grad_fn).__name__

    (got, got_name), (want, want_name) = run(pn), run(torch)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert got_name == want_name


@pytest.mark.parametrize("op", sorted(ACTIVATIONS))
def test_an_activations_input_changed_in_place_raises(op):
    def run(lib):
        x = lib.tensor(_X, requires_grad=True)
        a = x * 1
        y = ACTIVATIONS[op](lib.nn.functional, a)
        a.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()

    run(torch)
    run(pn)


@pytest.mark.parametrize("op", sorted(ACTIVATIONS))
def test_an_activations_second_derivative_as_torchs(op):
    def run(lib):
        x = lib.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 25.0, float("nan")], requires_grad=True)
        (g,) = lib.autograd.grad(ACTIVATIONS[op](lib.nn.functional, x).sum(), x, create_graph=True)
        if not g.requires_grad:  # (torch: a piecewise-linear derivative records nothing)
            return g.detach().numpy(), None
        (gg,) = lib.autograd.grad((g * lib.arange(9.0)).sum(), x, allow_unused=True)
        return g.detach().numpy(), None if gg is None else gg.numpy()

    if op == "hardsigmoid":  # (torch: "derivative for aten::hardsigmoid_backward is not implemented")
        with pytest.raises(RuntimeError):
            run(torch)
        return
    (g, gg), (want_g, want_gg) = run(pn), run(torch)
    np.testing.assert_allclose(g, want_g, rtol=1e-5, atol=1e-6)
    if want_gg is not None:
        np.testing.assert_allclose(gg, want_gg, rtol=1e-4, atol=1e-6)


ASSIGNED = {  # (the op on (x, w), the tensor whose .data is replaced between forward and backward)
    "mul_input": (lambda lib, x, w: x * w, "x"),
    "matmul_both": (lambda lib, x, w: x @ w.t() @ w, "w"),
    "matmul_input": (lambda lib, x, w: x @ w, "x"),
    "exp_input": (lambda lib, x, w: (x * w).exp() + x.sin(), "x"),
    "linear_weight": (lambda lib, x, w: lib.nn.functional.linear(x, w) ** 2, "w"),
    "linear_input": (lambda lib, x, w: lib.nn.functional.linear(x, w) ** 2, "x"),
    "two_linears_weight": (
        lambda lib, x, w: lib.nn.functional.linear(lib.nn.functional.linear(x, w).tanh(), w),
        "w",
    ),
    "conv2d_weight": (
        lambda lib, x, w: (
            lib.nn.functional.conv2d(x.reshape(1, 1, 3, 3), w.reshape(1, 1, 3, 3)[:, :, :2, :2]) ** 2
        ),
        "x",
    ),
    "pow_input": (lambda lib, x, w: x.pow(3) * w, "x"),
}


@pytest.mark.parametrize("name", sorted(ASSIGNED))
def test_data_assigned_between_forward_and_backward(name):
    """`t.data = other` replaces t's memory: torch's node, which saved the tensor t itself, reads the
    new values at backward (a weight saved as weight.t(), as linear's, keeps the old memory). pyneuro's
    node read the arrays forward saw."""
    op, changed = ASSIGNED[name]

    def run(lib):
        x = lib.tensor(np.arange(9.0, dtype=np.float32).reshape(3, 3) / 4 - 1, requires_grad=True)
        w = lib.tensor(np.random.RandomState(0).randn(3, 3).astype(np.float32), requires_grad=True)
        y = op(lib, x, w)
        t = x if changed == "x" else w
        t.data = t.data * -1.5 + 0.25
        y.backward(lib.ones(y.shape))
        return x.grad.numpy(), w.grad.numpy()

    for got, want in zip(run(pn), run(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_module_to_and_a_lazy_parameter_do_not_count_as_data_assignment():
    before = DATA_ASSIGNED[0]
    m = pn.nn.Sequential(pn.nn.LazyLinear(3), pn.nn.Linear(3, 2)).double()
    m(pn.ones(2, 4, dtype=pn.float64)).sum().backward()
    assert DATA_ASSIGNED[0] == before  # (so the engine's walk stays as it was)


@pytest.mark.parametrize("scale", [1.0, 3.0])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("change", ["logits_under_no_grad", "leaf_under_no_grad", "targets"])
def test_cross_entropy_inputs_changed_in_place_after_forward(change, reduction, scale):
    """torch's cross_entropy is log_softmax (saves its result) then nll_loss (saves the targets):
    logits changed in place before backward are no error, the gradient is the forward's; changed
    targets raise. pyneuro raised for the logits too."""

    def case(lib):
        w = lib.tensor(_X, requires_grad=True)
        logits = w * 2 if change != "leaf_under_no_grad" else w
        target = lib.tensor([0, 2, 3])
        loss = lib.nn.functional.cross_entropy(logits, target, reduction=reduction)
        if change == "targets":
            target[0] = 1
        else:
            with lib.no_grad():
                logits.mul_(-3)
        (loss * scale).backward()
        return w.grad

    got, want = _outcome(pn, case), _outcome(torch, case)
    if isinstance(want, Exception):
        assert isinstance(got, RuntimeError) and "modified by an inplace operation" in str(got), got
    else:
        np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)


SAVED_BY_TORCH = {  # (op, which tensor is changed under no_grad before backward): torch's node saved it
    "nansum_input": (lambda lib, x: x.nansum(1), "input"),
    "nanmean_input": (lambda lib, x: x.nanmean(), "input"),
    "det_result": (lambda lib, x: lib.linalg.det(x[:, :3]), "result"),
    "norm_p1_result": (lambda lib, x: x.norm(p=1), "result"),
    "vector_norm_1_result": (lambda lib, x: lib.linalg.vector_norm(x, 1, dim=1), "result"),
    "var_mean_input_for_the_mean": (lambda lib, x: lib.var_mean(x, 1)[1], "input"),
    "std_mean_input_for_the_mean": (lambda lib, x: lib.std_mean(x, 1)[1], "input"),
    "masked_select_input": (lambda lib, x: x.masked_select(x.detach() > 0), "input"),
    "take_along_dim_input": (lambda lib, x: lib.take_along_dim(x, lib.tensor([[0], [1], [2]]), 1), "input"),
    "take_along_flat_input": (lambda lib, x: lib.take_along_dim(x, lib.tensor([0, 5])), "input"),
    "index_add_source": (lambda lib, x: lib.zeros(5, 4).index_add(0, lib.tensor([1, 3, 0]), x), "input"),
    "lstm_output": (lambda lib, x: lib.nn.LSTM(4, 2)(x.reshape(3, 1, 4))[0], "result"),
    "lstm_output_for_h_n": (lambda lib, x: _lstm_h_n_after_output_change(lib, x), "none"),
    "sdpa_result": (
        lambda lib, x: lib.nn.functional.scaled_dot_product_attention(*[x.reshape(1, 1, 3, 4)] * 3),
        "result",
    ),
}


def _lstm_h_n_after_output_change(lib, x):
    """h_n of a one-layer LSTM whose output changed in place: torch's oneDNN node saved that output."""
    output, (h_n, _) = lib.nn.LSTM(4, 2)(x.reshape(3, 1, 4))
    with lib.no_grad():
        output.mul_(2)
    return h_n


@pytest.mark.parametrize("name", sorted(SAVED_BY_TORCH))
def test_a_tensor_torchs_node_saved_changed_before_backward_raises(name):
    """pyneuro's composition of these ops did not read (or watch) the tensor torch's node saves, so
    an in-place change of it between forward and backward computed where torch raises."""
    op, changed = SAVED_BY_TORCH[name]

    def run(lib):
        w = lib.tensor(_X, requires_grad=True)
        x = w * 1
        y = op(lib, x)
        if changed != "none":  # (else the op changed it)
            with lib.no_grad():
                (x if changed == "input" else y).mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()

    run(torch)
    run(pn)


READS_AT_BACKWARD = {  # torch's node saves these tensors and reads their values when backward runs
    "prod_all": lambda lib, x: x.prod(),
    "prod_dim": lambda lib, x: x.prod(1),
    "prod_keepdim": lambda lib, x: x.prod(0, keepdim=True),
    "softmax_dim0": lambda lib, x: x.softmax(0),
    "log_softmax_dim0": lambda lib, x: x.log_softmax(0),
    "softmax_3d_dim1": lambda lib, x: x.reshape(3, 2, 2).softmax(1),
    "logsumexp_dim1": lambda lib, x: x.logsumexp(1),
    "logsumexp_dims_keepdim": lambda lib, x: x.logsumexp((0, 1), keepdim=True),
    "std_all": lambda lib, x: x.std(),
    "std_dim": lambda lib, x: x.std(1),
    "var_dim_keepdim": lambda lib, x: x.var(0, keepdim=True, correction=0),
    "std_mean": lambda lib, x: lib.std_mean(x, 1)[0],
    "bmm_with_its_transpose": lambda lib, x: lib.bmm(x[None], x.t()[None]),
    "matmul_3d_by_a_transposed_2d": lambda lib, x: x.reshape(3, 2, 2) @ x[:2, :2].t(),
    "mv": lambda lib, x: lib.mv(x, x[0]),
    "mse_loss": lambda lib, x: lib.nn.functional.mse_loss(x, lib.ones(3, 4), reduction="none"),
    "mse_loss_mean": lambda lib, x: lib.nn.functional.mse_loss(x, lib.ones(3, 4)),
}


@pytest.mark.parametrize("changed", ["input", "result"])
@pytest.mark.parametrize("name", sorted(READS_AT_BACKWARD))
def test_saved_values_changed_without_a_version_bump(name, changed):
    """`.data` changed between forward and backward (no version bump): torch's prod_backward reads
    the input and the result (grad * result / input where no element is zero), logsumexp's both
    (grad * exp(input - result)), var's the input and std's both (grad / (2 std) * 2 (x - mean) /
    (n - correction)), softmax's the result in the input's layout, a batched or folded matmul its
    operands (views of the input: they see its memory). pyneuro's prod read only the input, matmul
    its own contiguous or broadcast copies of the operands, logsumexp and std/var were compositions keeping exp(x - max) and x - mean, and softmax
    along another dim than the last kept its own transposed copy of the result."""

    def run(lib):
        x = lib.tensor(_X, requires_grad=True)
        y = READS_AT_BACKWARD[name](lib, x)
        (x if changed == "input" else y).data.mul_(-1.5).add_(0.25)
        y.backward(lib.tensor(np.asarray(np.random.RandomState(3).randn(*y.shape), dtype=np.float32)))
        return x.grad.numpy()

    np.testing.assert_allclose(run(pn), run(torch), rtol=1e-5, atol=1e-6)
