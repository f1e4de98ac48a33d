"""In-place changes and autograd (issue 13, items 1 and 2), with torch as the oracle.

Each case is one function written once against a small library namespace `L` (torch or
pyneuro): it builds a graph, changes something in place, runs backward and returns the
gradients. The same code runs on both; pyneuro must give torch's gradients, or, where torch
refuses, the same exception type and message (pyneuro's names for torch's; the hint that
follows the message differs, since pyneuro has no anomaly mode).
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


class _Lib:
    """The names a case uses, from torch or from pyneuro."""

    def __init__(self, mod):
        self.mod = mod
        self.F = mod.nn.functional
        self.nn = mod.nn
        self.no_grad = mod.no_grad
        self.zeros = mod.zeros
        self.is_torch = mod is torch

    def t(self, values, grad=False):
        return self.mod.tensor(np.asarray(values, dtype=np.float32), requires_grad=grad)

    def long(self, values):
        return self.mod.tensor(np.asarray(values, dtype=np.int64))


TORCH, PN = _Lib(torch), _Lib(pn)

V3 = [1.0, 2.0, 3.0]
V3B = [4.0, -5.0, 0.5]
M23 = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]


def _message(exc) -> str:
    """The part of the message both libraries share (up to the hint)."""
    text = str(exc).replace("torch.", "pyneuro.").replace("torch::autograd::", "")
    return text.split(" Hint:")[0]


def _run(case, lib):
    try:
        out = case(lib)
    except Exception as exc:  # the oracle decides whether raising is right
        return exc
    return [None if g is None else np.array(g.detach().numpy() if lib.is_torch else g.numpy()) for g in out]


def check_against_torch(case, same_message=True):
    expected = _run(case, TORCH)
    got = _run(case, PN)
    if isinstance(expected, Exception):
        assert isinstance(got, Exception), f"torch raised {expected!r}; pyneuro returned {got}"
        assert type(expected) in type(got).__mro__, (expected, got)
        if same_message:
            assert _message(got) == _message(expected)
        else:  # torch names a tensor pyneuro does not have (e.g. the view weight.t() that addmm saved)
            assert _message(got).split(": [")[0] == _message(expected).split(": [")[0]
            assert _message(got).split(" is at ")[1] == _message(expected).split(" is at ")[1]
        return got
    assert not isinstance(got, Exception), f"torch gave {expected}; pyneuro raised {got!r}"
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert (g is None) == (e is None)
        if e is not None:
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    return got


# ----------------------------------------------------------------------------- item 1: saved tensors


def case_issue_example(L):
    w = L.t(V3, True)
    x = L.t([4.0, 5.0, 6.0])
    loss = (w * x).sum()
    x.mul_(10)
    loss.backward()
    return [w.grad]


def _binary_then_mutate(op, mutate, which):
    """loss = op(w, x).sum(); then mutate x (which="x") or a non-leaf a = w * 1 (which="a")."""

    def case(L):
        w = L.t(V3, True)
        x = L.t(V3B)
        a = w * 1
        loss = op(L, a, x).sum()
        mutate(L, x if which == "x" else a)
        loss.backward()
        return [w.grad]

    return case


BINARY = {
    "add": lambda L, a, x: a + x,
    "sub": lambda L, a, x: a - x,
    "mul": lambda L, a, x: a * x,
    "div": lambda L, a, x: a / x,
    "pow": lambda L, a, x: a ** x.abs(),
    "pow_scalar": lambda L, a, x: a**2,
    "maximum": lambda L, a, x: L.mod.maximum(a, x),
    "matmul": lambda L, a, x: a.reshape(3, 1) @ x.reshape(1, 3),
    "abs": lambda L, a, x: (a - 2).abs() * 1,
    "clamp": lambda L, a, x: a.clamp(1.5, 2.5),
    "log": lambda L, a, x: a.log(),
}
MUTATIONS = {
    "mul_": lambda L, t: t.mul_(10),
    "add_": lambda L, t: t.add_(1),
    "zero_": lambda L, t: t.zero_(),
    "setitem": lambda L, t: t.__setitem__(1, 7.0),
    "nograd_add": lambda L, t: _under_no_grad(L, lambda: t.add_(1)),
}


def _under_no_grad(L, f):
    with L.no_grad():
        f()


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("mutate", sorted(MUTATIONS))
def test_mutating_the_plain_operand_after_use(op, mutate):
    check_against_torch(_binary_then_mutate(BINARY[op], MUTATIONS[mutate], "x"))


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("mutate", ["mul_", "nograd_add", "setitem"])
def test_mutating_the_grad_operand_after_use(op, mutate):
    check_against_torch(_binary_then_mutate(BINARY[op], MUTATIONS[mutate], "a"))


def test_issue_example_raises_torchs_error():
    exc = check_against_torch(case_issue_example)
    assert isinstance(exc, RuntimeError)
    assert "[pyneuro.FloatTensor [3]] is at version 1; expected version 0 instead" in str(exc)


def test_only_what_backward_reads_counts():
    """a + b saves nothing: mutating b afterwards is fine (torch agrees), and the gradient is right."""

    def case(L):
        w = L.t(V3, True)
        b = L.t(V3B)
        loss = (w + b).sum() + (w - b).sum()
        b.mul_(3)
        loss.backward()
        return [w.grad]

    got = check_against_torch(case)
    np.testing.assert_array_equal(got[0], [2, 2, 2])


OUTPUT_SAVERS = {
    "exp": lambda L, a: a.exp(),
    "sigmoid": lambda L, a: a.sigmoid(),
    "tanh": lambda L, a: a.tanh(),
    "sqrt": lambda L, a: a.sqrt(),
    "softmax": lambda L, a: L.F.softmax(a.reshape(1, 3), dim=1),
    "log_softmax": lambda L, a: L.F.log_softmax(a.reshape(1, 3), dim=1),
    "relu": lambda L, a: L.F.relu(a - 2),
}


@pytest.mark.parametrize("op", sorted(OUTPUT_SAVERS))
@pytest.mark.parametrize("how", ["no_grad", "detach"])
def test_saved_output_changed(op, how):
    def case(L):
        w = L.t(V3, True)
        y = OUTPUT_SAVERS[op](L, w * 1)
        if how == "no_grad":
            with L.no_grad():
                y.mul_(2)
        else:
            y.detach().add_(1)
        y.sum().backward()
        return [w.grad]

    exc = check_against_torch(case)
    assert isinstance(exc, RuntimeError)


@pytest.mark.parametrize("how", ["no_grad", "detach", "view_no_grad"])
def test_leaf_changed_between_forward_and_backward(how):
    def case(L):
        w = L.t(V3, True)
        loss = (w * w).sum()
        if how == "no_grad":
            with L.no_grad():
                w.sub_(0.5)
        elif how == "detach":
            w.detach().add_(1)
        else:
            with L.no_grad():
                w[1:].mul_(2)
        loss.backward()
        return [w.grad]

    check_against_torch(case)


def test_linear_input_zeroed_after_forward():
    def case(L):
        L.mod.manual_seed(0)
        layer = L.nn.Linear(3, 2)
        with L.no_grad():
            layer.weight.copy_(L.t(M23))
            layer.bias.fill_(0.5)
        x = L.t([V3, V3B])
        loss = layer(x).sum()
        x.zero_()
        loss.backward()
        return [layer.weight.grad]

    check_against_torch(case)


def test_linear_weight_stepped_before_backward():
    """An optimizer step between forward and backward changes a weight backward reads."""

    def case(L):
        layer = L.nn.Linear(3, 2)
        x = L.t([V3, V3B], True)
        loss = layer(x).sum()
        (layer.weight * 2).sum().backward()
        L.mod.optim.SGD(layer.parameters(), lr=0.1).step()
        loss.backward()
        return [x.grad]

    check_against_torch(case, same_message=False)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse_loss"])
def test_loss_targets_changed(loss):
    def case(L):
        logits = L.t(M23, True)
        if loss == "cross_entropy":
            target = L.long([2, 0])
            out = L.F.cross_entropy(logits, target)
        else:
            target = L.t([V3B, V3])
            out = L.F.mse_loss(logits, target)
        target.zero_()
        out.backward()
        return [logits.grad]

    check_against_torch(case)


def test_versions_count_and_are_shared_by_views_and_detach():
    for L in (TORCH, PN):
        x = L.t([V3, V3B])
        v = x[1:]
        d = x.detach()
        r = x.reshape(6)
        x.add_(1)
        v.mul_(2)
        d[0, 0] = 3.0
        r.zero_()
        x += 1
        assert x._version == v._version == d._version == r._version == 5
        assert x.data._version == 0  # .data is outside the graph and its version tracking, as in torch
        assert v._base is x and d._base is None


def test_in_place_on_a_leaf_that_requires_grad():
    def leaf(L):
        w = L.t(V3, True)
        w.add_(1)
        return [w]

    def view(L):
        w = L.t(V3, True)
        w[1:].mul_(2)
        return [w]

    def setitem(L):
        w = L.t(V3, True)
        w[0] = 1.0
        return [w]

    for case in (leaf, view, setitem):
        exc = check_against_torch(case)
        assert isinstance(exc, RuntimeError)


def test_under_no_grad_a_leaf_may_change():
    for L in (TORCH, PN):
        w = L.t(V3, True)
        with L.no_grad():
            w.mul_(2)
            w[0] = 5.0
        assert w.is_leaf and w.requires_grad and w.grad_fn is None
        assert w._version == 2


def test_retain_graph_second_backward_sees_the_change():
    def case(L):
        w = L.t(V3, True)
        x = L.t(V3B)
        loss = (w * x).sum()
        loss.backward(retain_graph=True)
        x.add_(1)
        loss.backward()
        return [w.grad]

    check_against_torch(case)


def _mask(L, values):
    return L.mod.tensor(np.asarray(values, dtype=bool))


# An index, mask or condition changed in place between forward and backward: torch's node saved
# it and raises; pyneuro's kept the same memory and gave a wrong gradient before watch().
CHANGED_INDEX = {
    "x[i]": lambda L, x, i: (x[i], lambda: i.__setitem__(0, 1)),
    "x[mask]": lambda L, x, i: (lambda m: (x[m], lambda: m.__setitem__(1, True)))(
        _mask(L, [True, False, True])
    ),
    "masked_fill": lambda L, x, i: (lambda m: (x.masked_fill(m, 0.0), lambda: m.fill_(False)))(
        _mask(L, [True, False, False])
    ),
    "where": lambda L, x, i: (lambda m: (L.mod.where(m, x, 0.0), lambda: m.__setitem__(1, True)))(
        _mask(L, [True, False, True])
    ),
    "gather": lambda L, x, i: (x.reshape(1, 3).gather(1, i.reshape(1, 2)), lambda: i.zero_()),
    "index_select": lambda L, x, i: (x.index_select(0, i), lambda: i.__setitem__(0, 1)),
    "scatter": lambda L, x, i: ((x * 0).scatter(0, i, x[:2] * 2), lambda: i.__setitem__(0, 1)),
    "index_add": lambda L, x, i: ((x * 0).index_add(0, i, x[:2] * 2), lambda: i.__setitem__(0, 1)),
    "index_put": lambda L, x, i: ((x * 0).index_put((i,), x[:2] * 2), lambda: i.__setitem__(0, 1)),
    "std of a changed input": lambda L, x, i: (lambda h: (h.std(), lambda: h.add_(1)))(x * 1),
    "logsumexp of a changed input": lambda L, x, i: (lambda h: (h.logsumexp(0), lambda: h.mul_(2)))(x * 1),
}


@pytest.mark.parametrize("name", sorted(CHANGED_INDEX))
def test_an_index_or_mask_changed_after_use_raises_as_torch(name):
    def case(L):
        x = L.t([1.0, -1.0, 2.0], True)
        y, change = CHANGED_INDEX[name](L, x, L.long([0, 2]))
        change()
        (y * y).sum().backward()
        return [x.grad]

    check_against_torch(
        case, same_message=name not in ("std of a changed input", "logsumexp of a changed input")
    )


def test_an_index_changed_after_backward_is_fine():
    def case(L):
        x, i = L.t([1.0, -1.0, 2.0], True), L.long([0, 2])
        x[i].sum().backward()
        i[0] = 1
        return [x.grad]

    check_against_torch(case)


# ----------------------------------------------------------------------------- item 2: rebase


REBASE = {
    "iadd": lambda L, x, w: x.__iadd__(w * 3),
    "add_": lambda L, x, w: x.add_(w * 3),
    "mul_": lambda L, x, w: x.add_(1).mul_(w * 3),
    "sub_alpha": lambda L, x, w: x.sub_(w, alpha=2),
    "div_": lambda L, x, w: x.add_(2).div_(w),
    "copy_": lambda L, x, w: x.copy_(w * 3),
    "setitem_all": lambda L, x, w: x.__setitem__(Ellipsis, w * 3),
    "setitem_slice": lambda L, x, w: x.__setitem__(slice(0, 1), w[1:] * 3),
    "setitem_int": lambda L, x, w: x.__setitem__(1, w[0] * 3),
    "setitem_index_tensor": lambda L, x, w: x.__setitem__(L.long([1, 0]), w * 3),
    "setitem_bool_mask": lambda L, x, w: x.__setitem__(L.mod.tensor([True, False]), w[0] * 3),
    "setitem_broadcast": lambda L, x, w: x.__setitem__(Ellipsis, w.sum()),
}


@pytest.mark.parametrize("name", sorted(REBASE))
def test_writing_a_grad_value_into_a_plain_tensor_joins_the_graph(name):
    def case(L):
        w = L.t([1.0, 2.0], True)
        x = L.zeros(2)
        REBASE[name](L, x, w)
        assert x.requires_grad and not x.is_leaf
        ((x * x).sum() + w.sum()).backward()
        return [w.grad]

    check_against_torch(case)


def test_issue_example_two():
    got = check_against_torch(REBASE_CASE)
    np.testing.assert_allclose(got[0], [19, 37])


def REBASE_CASE(L):
    w = L.t([1.0, 2.0], True)
    x = L.zeros(2)
    x += w * 3
    assert x.requires_grad
    ((x * x).sum() + w.sum()).backward()
    return [w.grad]


def test_grad_fn_names_after_rebase():
    w = pn.tensor([1.0, 2.0], requires_grad=True)
    x = pn.zeros(2)
    x += w
    assert x.grad_fn.name() == "AddBackward0"
    x.copy_(w)
    assert x.grad_fn.name() == "CopyBackwards"
    x[...] = w * 3
    assert x.grad_fn.name() == "CopySlices"


@pytest.mark.parametrize(
    "write",
    [
        lambda L, x, w: x[1:].__iadd__(w),  # what `x[1:] += w` does first (then setitem writes it back)
        lambda L, x, w: x.__setitem__(slice(1, None), x[1:] + w),
        lambda L, x, w: x[1:].mul_(w),
        lambda L, x, w: x.reshape(3, 1)[1:, 0].add_(w),
        lambda L, x, w: x.unsqueeze(0)[0, 1:].copy_(w * w),
        lambda L, x, w: x.reshape(1, 3).t()[1:].mul_(w.reshape(2, 1)),
    ],
)
def test_writes_through_views_reach_the_base(write):
    def case(L):
        w = L.t([1.0, 2.0], True)
        x = L.t([0.5, 1.0, -1.0])
        write(L, x, w)
        assert x.requires_grad
        (x * L.t([1.0, 2.0, 3.0]) * x).sum().backward()
        return [w.grad]

    check_against_torch(case)


@pytest.mark.parametrize(
    "write",
    [
        lambda L, v, w: v.__setitem__(([0, 1], [1, 0]), w * 3),
        lambda L, v, w: v.__setitem__(v > 3, w * 3),
        lambda L, v, w: v.__setitem__((1, [0, 1]), w),
        lambda L, v, w: v[1].__setitem__([0, 1], w),
        lambda L, v, w: v.__setitem__((slice(None), 0), w),
    ],
)
def test_writes_through_integer_arrays_into_a_view_reach_the_base(write):
    """v = base[:, 1:]; v[idx] = w: the base's graph must see the write (base's grad_fn CopySlices)."""

    def case(L):
        a = L.t([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], True)
        w = L.t([2.0, 5.0], True)
        base = (a * 1).reshape(2, 3)
        write(L, base[:, 1:], w)
        (base * base).sum().backward()
        return [a.grad, w.grad]

    check_against_torch(case)


def test_x_slice_iadd_w_statement():
    def case(L):
        w = L.t([1.0, 2.0], True)
        x = L.zeros(3)
        x[1:] += w
        ((x * x).sum()).backward()
        return [w.grad]

    got = check_against_torch(case)
    np.testing.assert_allclose(got[0], [2, 4])


def test_in_place_on_a_non_leaf_keeps_earlier_uses_right():
    """h is used, then changed in place: the earlier use's gradient still flows to the old h."""

    def case(L):
        w = L.t(V3, True)
        h = w * 2
        y = h.exp()  # saves its output, not h
        h.mul_(3)  # h's grad_fn becomes MulBackward0; y's graph still goes to the old h
        h.relu_()
        (y.sum() + (h * h).sum()).backward()
        return [w.grad]

    check_against_torch(case)


def test_in_place_through_a_non_leaf_view_of_a_grad_tensor():
    def case(L):
        w = L.t(M23, True)
        h = w * 1
        h[0].mul_(2)
        h[:, 1] = 0.0
        h.t()[2].add_(h[:, 0].detach())
        (h * h).sum().backward()
        return [w.grad]

    check_against_torch(case)


def test_clamp_pow_relu_fill_in_place_under_the_graph():
    def case(L):
        w = L.t(V3B, True)
        h = w * 1
        h.clamp_(-1.0, 2.0)
        g = w * 1
        g.pow_(2)
        r = w - 1
        r.relu_()
        f = w * 1
        f[1:].fill_(2.0)
        (h.sum() + g.sum() + r.sum() + (f * f).sum()).backward()
        return [w.grad]

    check_against_torch(case)


def test_non_leaf_changed_in_place_after_a_saving_use():
    """h saved by h * x (x requires grad), then h changed: torch names h's producer."""

    def case(L):
        w = L.t(V3, True)
        x = L.t(V3B, True)
        h = w * 1
        loss = (h * x).sum()
        h.add_(1)
        loss.backward()
        return [w.grad, x.grad]

    exc = check_against_torch(case)
    assert "which is output 0 of Add" in str(exc)


# ----------------------------------------------------------------------------- optimizers (item 8, part)


@pytest.mark.parametrize(
    "make",
    [
        lambda L, ps: L.mod.optim.SGD(ps, lr=0.1),
        lambda L, ps: L.mod.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda L, ps: L.mod.optim.Adam(ps, lr=0.1),
        lambda L, ps: L.mod.optim.AdamW(ps, lr=0.1, amsgrad=True),
    ],
)
def test_optimizer_steps_a_non_contiguous_parameter(make):
    def case(L):
        base = L.t(np.arange(12.0).reshape(3, 4) / 7)
        w = base.t().detach().requires_grad_()  # (4, 3), not contiguous
        assert not w.is_contiguous()
        opt = make(L, [w])
        for _ in range(3):
            opt.zero_grad()
            (w * w * L.t([1.0, -2.0, 3.0])).sum().backward()
            opt.step()
        return [w.detach()]

    check_against_torch(case)


def test_optimizer_step_bumps_the_version():
    w = pn.tensor(V3, requires_grad=True)
    opt = pn.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    before = w._version
    opt.step()
    assert w._version == before + 1


@pytest.mark.parametrize("base_grad", [False, True])
def test_a_view_sees_a_later_write_into_its_base(base_grad):
    """v = x[:2]; then x changes in place through another view: v's gradient goes through the write."""

    def case(L):
        w = L.t([1.0, 2.0], True)
        x = L.t([0.5, -1.0, 2.0], True) * 1 if base_grad else L.zeros(3)
        v = x[:2]
        x[1:] += w
        v2 = x.reshape(3, 1)
        x.mul_(w[1])
        ((v * v).sum() + v2.sum()).backward()
        return [w.grad]

    check_against_torch(case)


# ----------------------------------------------------------------------------- inplace=True
# torch's functional activations and dropout take inplace=True: the result is written into
# the input, which is returned (its grad_fn then is the op's, its version goes up), and on a
# leaf that requires grad they raise like every in-place op.
ACTIVATIONS_INPLACE = {
    "relu": lambda L, a: L.F.relu(a, inplace=True),
    "leaky_relu": lambda L, a: L.F.leaky_relu(a, 0.2, inplace=True),
    "elu": lambda L, a: L.F.elu(a, 0.7, inplace=True),
    "silu": lambda L, a: L.F.silu(a, inplace=True),
    "nn.ReLU": lambda L, a: L.nn.ReLU(inplace=True)(a),
    "nn.LeakyReLU": lambda L, a: L.nn.LeakyReLU(0.1, inplace=True)(a),
    "nn.ELU": lambda L, a: L.nn.ELU(inplace=True)(a),
    "nn.SiLU": lambda L, a: L.nn.SiLU(inplace=True)(a),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS_INPLACE))
def test_inplace_activation_writes_into_its_input(name):
    op = ACTIVATIONS_INPLACE[name]

    def case(L):
        w = L.t(V3B, True)
        a = w * 1.5
        out = op(L, a)
        assert out is a  # the input itself comes back, holding the result
        (out * L.t(V3)).sum().backward()
        return [w.grad, a.detach()]

    check_against_torch(case)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS_INPLACE))
def test_inplace_activation_on_a_leaf_that_requires_grad_raises(name):
    op = ACTIVATIONS_INPLACE[name]
    check_against_torch(lambda L: [op(L, L.t(V3B, True))])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS_INPLACE))
def test_inplace_activation_without_grad_changes_the_tensor(name):
    op = ACTIVATIONS_INPLACE[name]

    def case(L):
        x = L.t(V3B)
        y = op(L, x)
        assert y is x
        assert x._version == 1
        return [x]

    check_against_torch(case)


def test_inplace_relu_after_a_use_that_saved_its_input():
    def case(L):
        w = L.t(V3B, True)
        a = w * 1.0
        loss = (a * a).sum()  # mul saves a
        L.F.relu(a, inplace=True)
        loss.backward()
        return [w.grad]

    got = check_against_torch(case)
    assert isinstance(got, RuntimeError)


def test_inplace_module_reprs_match_torch():
    for make in (
        lambda L: L.nn.ReLU(inplace=True),
        lambda L: L.nn.LeakyReLU(0.1, inplace=True),
        lambda L: L.nn.LeakyReLU(0.1),
        lambda L: L.nn.ELU(inplace=True),
        lambda L: L.nn.ELU(alpha=0.5),
        lambda L: L.nn.SiLU(inplace=True),
        lambda L: L.nn.SiLU(),
        lambda L: L.nn.Dropout(0.25, inplace=True),
    ):
        assert repr(make(PN)) == repr(make(TORCH))


def test_sequential_with_an_inplace_relu_trains_like_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    w1, b1 = rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    w2, b2 = rng.standard_normal((3, 6)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0, 2, 2, 1])

    def case(L):
        model = L.nn.Sequential(L.nn.Linear(5, 6), L.nn.ReLU(inplace=True), L.nn.Linear(6, 3))
        with L.no_grad():
            for p, v in zip(model.parameters(), (w1, b1, w2, b2)):
                p.copy_(L.t(v))
        loss = L.F.cross_entropy(model(L.t(x)), L.long(y))
        loss.backward()
        return [p.grad for p in model.parameters()] + [loss.detach()]

    check_against_torch(case)


@pytest.mark.parametrize("fn", ["dropout", "dropout2d"])
def test_inplace_dropout_writes_the_same_values_into_its_input(fn):
    drop = getattr(pn.nn.functional, fn)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    expected = drop(pn.tensor(x), 0.4, True, generator=pn.Generator().manual_seed(9))
    w = pn.tensor(x, requires_grad=True)
    a = w * 1.0
    out = drop(a, 0.4, True, True, generator=pn.Generator().manual_seed(9))
    assert out is a and a._version == 1
    np.testing.assert_array_equal(a.detach().numpy(), expected.numpy())
    out.sum().backward()  # d/dw of sum(w * mask) is the mask: kept elements 1/(1-p), the rest 0
    kept = expected.numpy() != 0
    np.testing.assert_allclose(w.grad.numpy(), np.where(kept, 1 / 0.6, 0.0), rtol=1e-6)
    plain = pn.tensor(x)
    assert drop(plain, 0.4, False, True) is plain  # eval: the input, unchanged
    np.testing.assert_array_equal(plain.numpy(), x)
    assert drop(plain, 1.0, True, True) is plain  # p = 1: zeroed in place
    assert not plain.numpy().any()


def test_dropout_takes_torchs_positional_inplace_flag():
    x = pn.tensor(V3)
    out = pn.nn.functional.dropout(x, 0.5, True, False)  # the fourth argument is inplace, as in torch
    assert out is not x and x._version == 0
    np.testing.assert_array_equal(x.numpy(), np.float32(V3))
    check_against_torch(lambda L: [L.F.dropout(L.t(V3, True), 0.5, True, True)])  # a leaf: refused


EXPANDED_WRITES = {
    "fill_": lambda lib, x: x.fill_(2),
    "zero_": lambda lib, x: x.zero_(),
    "setitem_row": lambda lib, x: x.__setitem__(0, 1.0),
    "setitem_row_tensor": lambda lib, x: x.__setitem__(0, lib.ones(4)),
    "setitem_all": lambda lib, x: x.__setitem__(slice(None), 1.0),
    "add_": lambda lib, x: x.add_(1),
    "iadd": lambda lib, x: x.__iadd__(1),
    "mul_": lambda lib, x: x.mul_(2),
    "copy_": lambda lib, x: x.copy_(lib.ones(3, 4)),
    "clamp_": lambda lib, x: x.clamp_(0, 1),
    "relu_": lambda lib, x: x.relu_(),
    "sigmoid_": lambda lib, x: x.sigmoid_(),
    "uniform_": lambda lib, x: x.uniform_(),
    "out": lambda lib, x: lib.add(lib.ones(3, 4), 1, out=x),
}


@pytest.mark.parametrize("case", sorted(EXPANDED_WRITES))
def test_writes_into_an_expanded_tensor_as_torch(case):
    # torch fills an expand()ed tensor (its memory: the one row) and refuses to compute into it
    outcomes = []
    for lib in (pn, torch):
        b = lib.zeros(1, 4)
        try:
            EXPANDED_WRITES[case](lib, b.expand(3, 4))
            outcomes.append(b.tolist())
        except RuntimeError as exc:
            assert "more than one element of the written-to tensor" in str(exc)
            outcomes.append("RuntimeError")
    assert outcomes[0] == outcomes[1]


def test_in_place_op_with_operands_that_do_not_broadcast_raises_torchs_runtime_error():
    for lib in (pn, torch):
        x = lib.zeros(3, 3)
        for f in (
            lambda: x.mul_(lib.tensor([1.0, 5.0])),
            lambda: x.add_(lib.ones(2)),
            lambda: x.div_(lib.ones(2, 1)),
        ):
            with pytest.raises(
                RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\)"
            ):
                f()
