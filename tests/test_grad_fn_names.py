"""grad_fn names of the ops a student prints, by the operands' ranks and layouts, against torch.

torch's name is the last op its implementation records, and for matmul and F.linear that
depends on the inputs: a 3-D @ 3-D product is folded into bmm and ends in _unsafe_view
(UnsafeViewBackward0, what printing an attention output shows), a vector @ matrix ends in a
squeeze, nn.Linear on a 3-D input is a flattened addmm then a view; x.sum(0) is the overload
with a dim (SumBackward1) even when the dims cover the whole tensor. autograd/names.py holds
the rules; these cases pin them to torch 2.13. (reshape: a view of a contiguous tensor, torch's
_reshape_alias of a viewable other layout, a copy then _unsafe_view otherwise.)
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(0)
A = {
    n: _rng.standard_normal(s).astype(np.float32)
    for n, s in [(1, (3,)), (2, (4, 3)), (3, (2, 4, 3)), (4, (2, 2, 4, 3))]
}
B = {
    n: _rng.standard_normal(s).astype(np.float32)
    for n, s in [(1, (3,)), (2, (3, 5)), (3, (2, 3, 5)), (4, (2, 2, 3, 5))]
}


def _linear_case(rank, bias, transposed=False):
    def run(m):
        m.manual_seed(0)
        layer = m.nn.Linear(3, 2, bias=bias)
        x = m.tensor(A[rank])
        if transposed:
            x = x.transpose(-1, -2).contiguous().transpose(-1, -2)
        return layer(x)

    return run


def _matmul_case(ra, rb):
    def run(m):
        return m.matmul(m.tensor(A[ra], requires_grad=True), m.tensor(B[rb]))

    return run


CASES = {f"linear {r}-D bias={b}": _linear_case(r, b) for r in (1, 2, 3, 4) for b in (True, False)}
CASES.update(
    {
        f"linear {r}-D bias={b} not contiguous": _linear_case(r, b, True)
        for r in (2, 3, 4)
        for b in (True, False)
    }
)
CASES.update({f"matmul {a}-D @ {b}-D": _matmul_case(a, b) for a in (1, 2, 3, 4) for b in (1, 2, 3, 4)})
CASES["bmm"] = lambda m: m.bmm(m.tensor(A[3], requires_grad=True), m.tensor(B[3]))
CASES["einsum bij,bjk"] = lambda m: m.einsum(
    "bij,bjk->bik", m.tensor(A[3], requires_grad=True), m.tensor(B[3])
)
CASES.update(
    {
        "sum()": lambda m: m.tensor(A[2], requires_grad=True).sum(),
        "sum(0) of 1-D": lambda m: m.tensor(A[1], requires_grad=True).sum(0),
        "sum(-1) of 1-D": lambda m: m.tensor(A[1], requires_grad=True).sum(-1),
        "sum((0, 1))": lambda m: m.tensor(A[2], requires_grad=True).sum((0, 1)),
        "sum(0)": lambda m: m.tensor(A[2], requires_grad=True).sum(0),
        "mean()": lambda m: m.tensor(A[2], requires_grad=True).mean(),
        "mean(0) of 1-D": lambda m: m.tensor(A[1], requires_grad=True).mean(0),
        "mean((0, 1))": lambda m: m.tensor(A[2], requires_grad=True).mean((0, 1)),
        "reshape contiguous": lambda m: m.tensor(A[2], requires_grad=True).reshape(-1),
        "reshape of transposed": lambda m: m.tensor(A[2], requires_grad=True).t().reshape(-1),
        "flatten of transposed": lambda m: m.tensor(A[2], requires_grad=True).t().flatten(),
        "reshape of transposed, viewable": lambda m: m.tensor(A[2], requires_grad=True).t().reshape(3, 2, 2),
        "reshape of transposed, same shape": lambda m: m.tensor(A[2], requires_grad=True).t().reshape(3, 4),
        "view of transposed, viewable": lambda m: m.tensor(A[2], requires_grad=True).t().view(3, 2, 2),
        "view contiguous": lambda m: m.tensor(A[3], requires_grad=True).view(8, 3),
        "reshape of a row slice": lambda m: m.tensor(A[2], requires_grad=True)[:2].reshape(6),
        "reshape of a column slice": lambda m: m.tensor(A[2], requires_grad=True)[:, :2].reshape(8),
        "round(decimals=2)": lambda m: m.tensor(A[2], requires_grad=True).round(decimals=2),
        "zero_": lambda m: (m.tensor(A[2], requires_grad=True) * 2).zero_(),
        "fill_ number": lambda m: (m.tensor(A[2], requires_grad=True) * 2).fill_(2.0),
        "fill_ tensor": lambda m: (m.tensor(A[2], requires_grad=True) * 2).fill_(m.tensor(3.0)),
        "diag of 1-D": lambda m: m.diag(m.tensor(A[1], requires_grad=True)),
        "diag of 2-D": lambda m: m.diag(m.tensor(A[2], requires_grad=True)),
    }
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_fn_name_matches_torch(name):
    want = CASES[name](torch)
    got = CASES[name](pn)
    assert got.grad_fn.name() == want.grad_fn.name()
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)


# x[key]: torch applies the parts left to right and names the last op it recorded
INDEX_KEYS = {
    "t[0,0,:4]": (0, 0, slice(None, 4)),
    "t[0,0,:2]": (0, 0, slice(None, 2)),
    "t[:,0]": (slice(None), 0),
    "t[0]": 0,
    "t[:]": slice(None),
    "t[:5]": slice(None, 5),
    "t[0,:]": (0, slice(None)),
    "t[0, 1:]": (0, slice(1, None)),
    "t[1:, 0]": (slice(1, None), 0),
    "t[None]": None,
    "t[0, None]": (0, None),
    "t[None, 0]": (None, 0),
    "t[..., 0]": (Ellipsis, 0),
    "t[..., :2]": (Ellipsis, slice(None, 2)),
    "t[0, ..., None]": (0, Ellipsis, None),
    "t[:, ::1]": (slice(None), slice(None, None, 1)),
    "t[..., 0:4]": (Ellipsis, slice(0, 4)),
    "t[:, -1, :]": (slice(None), -1, slice(None)),
    "t[1, :, 0:4]": (1, slice(None), slice(0, 4)),
}


@pytest.mark.parametrize("name", sorted(INDEX_KEYS))
def test_basic_index_names_match_torch(name):
    key = INDEX_KEYS[name]
    x = _rng.standard_normal((2, 3, 4)).astype(np.float32)
    want = torch.tensor(x, requires_grad=True)[key]
    got = pn.tensor(x, requires_grad=True)[key]
    assert got.grad_fn.name() == want.grad_fn.name()
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


def test_autograd_grad_with_create_graph_hands_back_the_computed_gradient():
    """torch.autograd.grad(x**3, x, create_graph=True) prints grad_fn=<MulBackward0>; .grad of
    backward(create_graph=True) is stored through a copy (CopyBackwards) in both libraries."""

    def names(m):
        x = m.tensor(2.0, requires_grad=True)
        y = m.tensor([1.0, 2.0], requires_grad=True)
        g = m.autograd.grad(x**3, x, create_graph=True)[0]
        h = m.autograd.grad((y**2).sum(), y, create_graph=True)[0]
        second = m.autograd.grad(g, x)[0]
        return g.grad_fn.name(), h.grad_fn.name(), float(g), float(second), h.tolist()

    assert names(pn) == names(torch)


# the name read only after backward freed the graph (a loss printed after loss.backward()): the
# node no longer holds its activations then, but torch's name was fixed when the op ran
AFTER_BACKWARD = {
    "(h @ w) / 2": lambda m, h, w: (h @ w) / 2,
    "1 / h": lambda m, h, w: 1 / h,
    "h[:, 0]": lambda m, h, w: h[:, 0],
    "h[:, 1:]": lambda m, h, w: h[:, 1:],
    "h[None]": lambda m, h, w: h[None],
    "h[[0, 1]]": lambda m, h, w: h[[0, 1]],
    "h.reshape": lambda m, h, w: h.reshape(6, 4),
    "h.transpose.reshape": lambda m, h, w: h.transpose(0, 1).reshape(3, 8),
    "3-D @ 2-D": lambda m, h, w: h @ w,
    "2-D @ 1-D": lambda m, h, w: h[0] @ w[:, 0],
    "1-D @ 2-D": lambda m, h, w: h[0, 0] @ w,
    "1-D @ 1-D": lambda m, h, w: h[0, 0] @ w[:, 0],
    "linear 3-D": lambda m, h, w: m.nn.functional.linear(h, w.T),
    "linear 3-D bias": lambda m, h, w: m.nn.functional.linear(h, w.T, w[0]),
    "h ** h": lambda m, h, w: h**h,
}


@pytest.mark.parametrize("name", sorted(AFTER_BACKWARD))
def test_name_read_after_backward_matches_torch(name):
    def run(m):
        x = m.tensor(_rng_x, requires_grad=True)
        w = m.tensor(_rng_w, requires_grad=True)
        out = AFTER_BACKWARD[name](m, x * 2, w)
        out.sum().backward()
        return type(out.grad_fn).__name__, out.grad_fn.name()

    assert run(pn) == run(torch)


_rng_x = _rng.standard_normal((2, 3, 4)).astype(np.float32)
_rng_w = _rng.standard_normal((4, 5)).astype(np.float32)


def _walk(fn):
    """The graph under fn as torch shows it: (class name, [children]); a leaf's shape; None."""
    if fn is None:
        return None
    if type(fn).__name__ == "AccumulateGrad":
        return ("AccumulateGrad", tuple(fn.variable.shape))
    assert fn.name() == type(fn).__name__
    return (type(fn).__name__, [_walk(child) for child, _ in fn.next_functions])


LINEAR_GRAPHS = {
    "2-D": lambda F, h, h3, w, b: F.linear(h, w, b),
    "2-D no bias": lambda F, h, h3, w, b: F.linear(h, w),
    "3-D": lambda F, h, h3, w, b: F.linear(h3, w, b),
    "3-D no bias": lambda F, h, h3, w, b: F.linear(h3, w),
    "3-D not contiguous": lambda F, h, h3, w, b: F.linear(h3.transpose(0, 1), w, b),
    "1-D": lambda F, h, h3, w, b: F.linear(h[0], w, b),
    "1-D no bias": lambda F, h, h3, w, b: F.linear(h[0], w),
    "weight without grad": lambda F, h, h3, w, b: F.linear(h, w.detach(), b),
    "input without grad": lambda F, h, h3, w, b: F.linear(h.detach(), w, b),
    "3-D input without grad": lambda F, h, h3, w, b: F.linear(h3.detach(), w, b),
}


@pytest.mark.parametrize("name", sorted(LINEAR_GRAPHS))
def test_linear_graph_walks_like_torch(name):
    """F.linear is one fused node here; its next_functions show torch's: addmm(bias, input,
    weight.t()) with the TBackward0 a graph walk (torchviz, a hand-written print_graph) meets,
    and for other ranks the views (or copy) around the addmm or mm."""

    def run(m):
        w = m.tensor(_rng_w.T.copy(), requires_grad=True)
        b = m.tensor(_rng_w[0], requires_grad=True)
        h3 = m.tensor(_rng_x, requires_grad=True) * 1
        out = LINEAR_GRAPHS[name](m.nn.functional, h3[0], h3, w, b)
        fn = out.grad_fn
        assert fn.next_functions[-1][0] is fn.next_functions[-1][0]  # the same nodes each read
        return _walk(fn)

    assert run(pn) == run(torch)


_X = {n: _rng.standard_normal((2, 3, 2, 2, 2)[:n]).astype(np.float32) for n in (2, 3, 4, 5)}
_Y = {n: _rng.integers(0, 3, (2, 2, 2, 2)[: n - 1]) for n in (2, 3, 4, 5)}


def _ce(n, **kw):
    return lambda m, x: m.nn.functional.cross_entropy(x[n], m.tensor(_Y[n]), **kw)


def _nll(n, **kw):
    return lambda m, x: m.nn.functional.nll_loss(x[n], m.tensor(_Y[n]), **kw)


LOSS_GRAPHS = {
    "ce": _ce(2),
    "ce none": _ce(2, reduction="none"),
    "ce weight": lambda m, x: _ce(2, weight=m.ones(3))(m, x),
    "ce ignore_index": _ce(2, ignore_index=1),
    "ce probabilities": lambda m, x: m.nn.functional.cross_entropy(x[2], m.tensor(_X[2]).softmax(1)),
    "ce 3-D": _ce(3),
    "ce 3-D none": _ce(3, reduction="none"),
    "ce 4-D": _ce(4),
    "ce 4-D none": _ce(4, reduction="none"),
    "ce 5-D sum": _ce(5, reduction="sum"),
    "nll": lambda m, x: m.nn.functional.nll_loss(m.nn.functional.log_softmax(x[2], 1), m.tensor(_Y[2])),
    "nll weight sum": lambda m, x: _nll(2, weight=m.ones(3), reduction="sum")(m, x),
    "nll 3-D none": _nll(3, reduction="none"),
    "bce with logits": lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(
        x[3], m.tensor(_X[3]).sigmoid()
    ),
    "bce with logits pos_weight": lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(
        x[3], m.tensor(_X[3]).sigmoid(), pos_weight=m.ones(2)
    ),
    "bce": lambda m, x: m.nn.functional.binary_cross_entropy(
        x[3].sigmoid(), m.tensor(_X[3]).sigmoid(), reduction="none"
    ),
}


@pytest.mark.parametrize("name", sorted(LOSS_GRAPHS))
def test_loss_graph_walks_like_torch(name):
    """The class losses end in torch's node with torch's edges: cross_entropy's through a
    LogSoftmaxBackward0 (and the views of nll_loss2d), BCE's to the input and the target; not
    to the nodes of pyneuro's composition or fused kernel."""

    def run(m):
        x = {n: m.tensor(a, requires_grad=True) * 1 for n, a in _X.items()}
        return _walk(LOSS_GRAPHS[name](m, x).grad_fn)

    assert run(pn) == run(torch)


LAYER_GRAPHS = {
    "gelu": lambda m, x, x4: m.nn.GELU()(x),
    "gelu tanh": lambda m, x, x4: m.nn.GELU("tanh")(x),
    "silu": lambda m, x, x4: m.nn.SiLU()(x),
    "leaky_relu": lambda m, x, x4: m.nn.LeakyReLU(0.1)(x),
    "elu": lambda m, x, x4: m.nn.ELU()(x),
    "selu": lambda m, x, x4: m.nn.SELU()(x),
    "celu": lambda m, x, x4: m.nn.CELU()(x),
    "softplus": lambda m, x, x4: m.nn.Softplus()(x),
    "mish": lambda m, x, x4: m.nn.Mish()(x),
    "hardswish": lambda m, x, x4: m.nn.Hardswish()(x),
    "hardsigmoid": lambda m, x, x4: m.nn.Hardsigmoid()(x),
    "logsigmoid": lambda m, x, x4: m.nn.LogSigmoid()(x),
    "hardtanh": lambda m, x, x4: m.nn.Hardtanh()(x),
    "relu6": lambda m, x, x4: m.nn.ReLU6()(x),
    "softshrink": lambda m, x, x4: m.nn.Softshrink()(x),
    "hardshrink": lambda m, x, x4: m.nn.Hardshrink()(x),
    "threshold": lambda m, x, x4: m.nn.Threshold(0.1, 0.0)(x),
    "glu": lambda m, x, x4: m.nn.GLU()(x),
    "layer_norm": lambda m, x, x4: m.nn.LayerNorm(4)(x),
    "layer_norm no affine": lambda m, x, x4: m.nn.functional.layer_norm(x, (4,)),
    "batch_norm 1d": lambda m, x, x4: m.nn.BatchNorm1d(4)(x),
    "batch_norm eval": lambda m, x, x4: m.nn.BatchNorm2d(3).eval()(x4),
    "batch_norm no stats": lambda m, x, x4: m.nn.functional.batch_norm(x4, None, None, training=True),
    "group_norm": lambda m, x, x4: m.nn.GroupNorm(1, 3)(x4),
    "upsample nearest": lambda m, x, x4: m.nn.Upsample(scale_factor=2)(x4),
    "interpolate bilinear": lambda m, x, x4: m.nn.functional.interpolate(x4, scale_factor=2, mode="bilinear"),
}


@pytest.mark.parametrize("name", sorted(LAYER_GRAPHS))
def test_layer_graph_walks_like_torch(name):
    """Activations and normalisations composed here end in torch's node, whose edges go to the
    op's inputs (input, weight, bias), not into the composition."""

    def run(m):
        x = m.tensor(_X[3].reshape(3, 4), requires_grad=True) * 1
        x4 = m.tensor(_X[5].reshape(2, 3, 2, 4), requires_grad=True) * 1
        return _walk(LAYER_GRAPHS[name](m, x, x4).grad_fn)

    assert run(pn) == run(torch)


def test_a_shown_node_refuses_hooks_clearly():
    """linear's TBackward0 and cross_entropy's LogSoftmaxBackward0 are torch's nodes that pyneuro's
    fused kernels do not run: a hook on one is a clear NotImplementedError, not a silent no-op."""
    x = pn.randn(3, 4, requires_grad=True)
    layer = pn.nn.Linear(4, 2)
    t_node = layer(x).grad_fn.next_functions[2][0]
    log_softmax = pn.nn.functional.cross_entropy(layer(x), pn.tensor([0, 1, 1])).grad_fn.next_functions[0][0]
    for node in (t_node, log_softmax):
        assert node.name() in ("TBackward0", "LogSoftmaxBackward0") and node.metadata == {}
        with pytest.raises(NotImplementedError, match="register the hook on a tensor"):
            node.register_hook(lambda *a: None)
        with pytest.raises(NotImplementedError):
            node.register_prehook(lambda *a: None)


@pytest.mark.parametrize(
    "case",
    ["floor_divide", "a // b", "a // 2", "7 // a", "heaviside"],
)
def test_ops_torch_cannot_differentiate_are_its_not_implemented_node(case):
    """floor_divide (also written a // b) and heaviside of tensors that require grad: torch records
    a node named NotImplemented (printed grad_fn=<NotImplemented>), whose backward raises."""
    ops = {
        "floor_divide": lambda fw, a, b: fw.floor_divide(a, b),
        "a // b": lambda fw, a, b: a // b,
        "a // 2": lambda fw, a, b: a // 2,
        "7 // a": lambda fw, a, b: 7 // a,
        "heaviside": lambda fw, a, b: fw.heaviside(a, b),
    }

    def run(fw):
        a = fw.tensor([3.0, -4.5, 0.0], requires_grad=True)
        b = fw.tensor([2.0, 2.0, 0.5], requires_grad=True)
        y = ops[case](fw, a, b)
        with pytest.raises(RuntimeError, match="is not implemented"):
            y.sum().backward()
        return type(y.grad_fn).__name__, y.requires_grad, repr(y).replace("pyneuro", "torch"), y.tolist()

    assert run(pn) == run(torch)


_XS = np.array([1.5, -2.0, 3.0], np.float32)
_DS = np.array([1.0, 2.0, 2.0], np.float32)
OVERLOAD_CASES = {  # torch names the overload it ran: a Python number or a tensor, a rounding mode
    "fmod(x, 2.0)": lambda m, x: m.fmod(x, 2.0),
    "fmod(x, t)": lambda m, x: m.fmod(x, m.tensor(_DS)),
    "fmod(x, 0-d t)": lambda m, x: m.fmod(x, m.tensor(2.0)),
    "remainder(x, 2.0)": lambda m, x: m.remainder(x, 2.0),
    "remainder(x, t)": lambda m, x: m.remainder(x, m.tensor(_DS)),
    "x % t": lambda m, x: x % m.tensor(_DS),
    "pow(x, t)": lambda m, x: m.pow(x, m.tensor(_DS)),
    "div floor": lambda m, x: m.div(x, 2.0, rounding_mode="floor"),
    "div trunc": lambda m, x: m.div(x, m.tensor(_DS), rounding_mode="trunc"),
    "x.div floor": lambda m, x: x.div(2.0, rounding_mode="floor"),
    "x / 2": lambda m, x: x / 2,
    "quantile 0.5": lambda m, x: m.quantile(x, 0.5),
    "quantile q tensor": lambda m, x: m.quantile(x, m.tensor([0.25, 0.5])),
    "quantile dim keepdim": lambda m, x: m.quantile(x.view(1, 3), 0.5, dim=1, keepdim=True),
    "quantile q tensor dim": lambda m, x: m.quantile(x.view(1, 3), m.tensor([0.25, 0.5]), dim=1),
    "nanquantile lower": lambda m, x: m.nanquantile(x, 0.5, interpolation="lower"),
    "scatter value": lambda m, x: x.scatter(0, m.tensor([2, 0]), 7.0),
    "scatter src": lambda m, x: x.scatter(0, m.tensor([2, 0]), m.tensor([7.0, 8.0])),
    "scatter_ value": lambda m, x: x.clone().scatter_(0, m.tensor([1]), 7.0),
    "rsub number": lambda m, x: m.rsub(x, 1.0),
    "rsub tensor": lambda m, x: m.rsub(x, m.tensor(_DS)),
    "rot90": lambda m, x: x.view(1, 3).rot90(),
    "rot90 k=0": lambda m, x: x.view(1, 3).rot90(0),
    "rot90 k=2": lambda m, x: x.view(3, 1).rot90(2),
    "rot90 k=3": lambda m, x: x.view(3, 1).rot90(-1),
    "block_diag": lambda m, x: m.block_diag(x.view(1, 3), m.ones(2, 2)),
    # torch's Scalar overloads have nodes of their own (from torch's docstring examples)
    "pow(2, x)": lambda m, x: m.pow(2, x),
    "float_power(2, x)": lambda m, x: m.float_power(2.5, x),
    "xlogy(2, x)": lambda m, x: m.xlogy(2, x),
    "xlogy(x, 2)": lambda m, x: m.xlogy(x, 2),
    "special.xlog1py(x, 2)": lambda m, x: m.special.xlog1py(x, 2),
    "copysign(x, 1)": lambda m, x: m.copysign(x, 1),
    "copysign(x, t)": lambda m, x: m.copysign(x, m.tensor(_DS)),
    "lerp tensor weight": lambda m, x: m.lerp(x, x * 2, m.full_like(x, 0.5)),
    "lerp 0-d float64 weight": lambda m, x: x.lerp(x * 2, m.tensor(0.5, dtype=m.float64)),
    "lerp number weight": lambda m, x: m.lerp(x, x * 2, 0.5),
    "narrow_copy": lambda m, x: m.narrow_copy(x, 0, 1, 2),
    "vdot": lambda m, x: m.vdot(x, m.tensor(_DS)),
    "diag_embed dims": lambda m, x: m.diag_embed(x.view(1, 3), 1, 0, 2),
    "take_along_dim": lambda m, x: m.take_along_dim(x, m.tensor([2, 0])),
    "take_along_dim dim": lambda m, x: m.take_along_dim(x.view(1, 3), m.tensor([[2, 0]]), dim=1),
}


@pytest.mark.parametrize("name", sorted(OVERLOAD_CASES))
def test_overload_names_match_torch(name):
    def run(m):
        y = OVERLOAD_CASES[name](m, m.tensor(_XS, requires_grad=True))
        return type(y.grad_fn).__name__, y.tolist()

    got, want = run(pn), run(torch)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def test_node_classes_print_as_torch_prints_them():
    """type(y.grad_fn) is <class 'MulBackward0'> in torch (no module path), the leaf's
    <class 'AccumulateGrad'>; a torch-style Function's node lives in torch.autograd.function."""

    def run(m):
        class Twice(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = m.ones(2, requires_grad=True)
        y = m.nn.Linear(2, 2)(x) * 2
        shown = [y.grad_fn, y.grad_fn.next_functions[0][0], x.sum().grad_fn.next_functions[0][0]]
        shown.append(Twice.apply(x).grad_fn)
        return [repr(type(n)).replace("pyneuro", "torch") for n in shown]

    assert run(pn) == run(torch)


UNDIFFERENTIABLE = {
    "unique": lambda m, x: m.unique(x),
    "unique sorted=False": lambda m, x: m.unique(x, sorted=False),
    "unique counts": lambda m, x: x.unique(return_counts=True)[0],
    "unique dim=0": lambda m, x: m.unique(x, dim=0),
    "unique_consecutive": lambda m, x: m.unique_consecutive(x),
    "bincount weights": lambda m, x: m.bincount(m.tensor([0, 2, 2]), weights=x),
}


@pytest.mark.parametrize("name", sorted(UNDIFFERENTIABLE))
def test_outputs_without_a_derivative_are_in_the_graph_as_torch(name):
    """unique's values and bincount's weighted counts of a tensor that requires grad: torch records
    a node (Unique2Backward0 ..., NotImplemented for bincount) whose backward raises."""

    def run(m):
        x = m.tensor([3.0, 1.0, 3.0], requires_grad=True)
        y = UNDIFFERENTIABLE[name](m, x)
        with pytest.raises((NotImplementedError, RuntimeError)) as e:
            y.sum().backward()
        with m.no_grad():
            off = UNDIFFERENTIABLE[name](m, x).requires_grad
        return type(y.grad_fn).__name__, y.requires_grad, y.tolist(), e.type.__name__, str(e.value), off

    assert run(pn) == run(torch)


SETITEM_KEYS = {  # x[key] = v on a tensor in the graph: torch's index_put_ on x, or a write through a view
    "mask": lambda m, x: x > 0,
    "list": lambda m, x: [0, 1],
    "tensor": lambda m, x: m.tensor([0, 2]),
    ":, list": lambda m, x: (slice(None), [0, 1]),
    "..., list": lambda m, x: (Ellipsis, [1]),
    "row mask": lambda m, x: x[:, 0] > 0,
    "int": lambda m, x: 0,
    "int, list": lambda m, x: (0, [1, 2]),
    "mask, int": lambda m, x: (x[:, 0] > 0, 0),
    "partial slice, list": lambda m, x: (slice(1, 3), [0, 1]),
    "None, list": lambda m, x: (None, [0]),
    "0-d tensor": lambda m, x: m.tensor(1),
}


@pytest.mark.parametrize("name", sorted(SETITEM_KEYS))
def test_setitem_node_names_match_torch(name):
    """y[y > 0] = 0 is IndexPutBackward0 in torch (was CopySlices here); a key that makes a view
    first (an int, None, a partial slice) writes through it: CopySlices."""

    def run(m):
        x = m.tensor(np.arange(-12.0, 12.0, dtype=np.float32).reshape(4, 6), requires_grad=True)
        y = x.clone()
        y[SETITEM_KEYS[name](m, x)] = 0.0
        (y * m.arange(24.0).reshape(4, 6)).sum().backward()
        shown = [type(n).__name__ for n, _ in y.grad_fn.next_functions]
        if name in ("int", "0-d tensor"):  # (a number written through a view: torch's edge to it is
            shown = shown[:1]  # None, ours a Copy node)
        return type(y.grad_fn).__name__, shown, x.grad.tolist()

    assert run(pn) == run(torch)
