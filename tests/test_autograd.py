"""The autograd engine and every differentiable op: values vs NumPy, gradients by gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import backends


def t(a, grad=True):
    return pn.tensor(np.asarray(a, dtype=np.float32), requires_grad=grad)


def rnd(*shape, seed=0, grad=True):
    return t(np.random.default_rng(seed).standard_normal(shape), grad)


# ----------------------------------------------------------------------------- engine semantics


def test_grad_is_none_before_backward_and_accumulates():
    x = t([1.0, 2.0])
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_shared_subexpression_and_diamond_graph():
    x = t([3.0])
    a = x * 2
    b = a + a  # a used twice
    c = b * a  # diamond: c = (2a) * a = 2 a^2 = 8 x^2
    c.backward()
    np.testing.assert_allclose(x.grad.numpy(), [48.0])


def test_same_tensor_both_operands():
    x = t([3.0])
    (x * x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0])
    y = t([1.0, 2.0])
    (y + y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 2.0])


def test_leaf_grads_do_not_alias():
    a = t([1.0, 2.0])
    b = t([3.0, 4.0])
    (a + b).backward(pn.ones(2))
    a.grad.zero_()
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_backward_twice_through_freed_graph_raises():
    x = t([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = t([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_backward_on_tensor_without_grad_raises():
    x = pn.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        x.sum().backward()


def test_backward_non_scalar_needs_gradient():
    x = t([1.0, 2.0])
    y = x * 3
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    y.backward(pn.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])


def test_backward_gradient_shape_mismatch_names_shapes():
    y = t([1.0, 2.0]) * 2
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(pn.ones(3))


def test_no_grad_context_and_decorator_and_enable_grad():
    x = t([1.0])
    with pn.no_grad():
        y = x * 2
        assert not pn.is_grad_enabled()
        with pn.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @pn.no_grad()
    def f(v):
        return v * 2

    assert not f(x).requires_grad
    assert pn.is_grad_enabled()
    with pn.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert pn.is_grad_enabled()


def test_is_leaf_grad_fn_and_repr():
    x = t([1.0, 2.0])
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "MulBackward0"
    assert "grad_fn=<MulBackward0>" in repr(y)
    assert "requires_grad=True" in repr(x)
    assert repr(pn.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(pn.tensor([0.5, 1.25])) == "tensor([0.5000, 1.2500])"
    assert repr(pn.tensor([1, 2])) == "tensor([1, 2])"


def test_non_leaf_grad_stays_none_unless_retained():
    x = t([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    z = y * 3
    w = z.sum()
    w.backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):  # as torch warns
        assert z.grad is None
    np.testing.assert_allclose(y.grad.numpy(), [3.0, 3.0])  # retained: no warning


def test_assigning_grad_is_checked_like_torch():
    torch = pytest.importorskip("torch")
    for fw in (pn, torch):
        x = fw.ones(2, requires_grad=True)
        x.grad = fw.zeros(2)
        x.grad = None
        with pytest.raises(TypeError, match="expected to be a Tensor or None"):
            x.grad = 5
        with pytest.raises(RuntimeError, match="of size '\\[3\\]' to a tensor of size '\\[2\\]'"):
            x.grad = fw.ones(3)
        with pytest.raises(RuntimeError, match="dtype 'double' to a tensor with grad_dtype 'Float'"):
            x.grad = fw.ones(2, dtype=fw.float64)
        with pytest.raises(RuntimeError, match="own grad"):
            x.grad = x
        assert x.grad is None


def test_detach_and_requires_grad_rules():
    x = t([1.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        pn.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad = False


def test_inplace_on_leaf_requiring_grad_needs_no_grad():
    w = t([1.0, 2.0])
    (w * w).sum().backward()
    with pytest.raises(RuntimeError, match="in-place"):
        w -= 0.1 * w.grad
    with pn.no_grad():
        w -= 0.5 * w.grad
    np.testing.assert_allclose(w.numpy() if not w.requires_grad else w.detach().numpy(), [0.0, 0.0])
    assert w.requires_grad and w.is_leaf


def test_inplace_ops_under_no_grad():
    w = t([1.0, 2.0])
    with pn.no_grad():
        w.add_(pn.tensor([1.0, 1.0]), alpha=2)
        np.testing.assert_allclose(w.detach().numpy(), [3.0, 4.0])
        w.mul_(2)
        w.sub_(1.0)
        w.div_(pn.tensor([5.0, 7.0]))
        np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0])
        w.fill_(3.0)
        w.copy_(pn.tensor([7.0, 8.0]))
        np.testing.assert_allclose(w.detach().numpy(), [7.0, 8.0])
        w.zero_()
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])
    g = pn.ones(2)
    g.zero_()  # plain tensors: in place is always fine
    assert g.tolist() == [0.0, 0.0]


def test_mixing_devices_is_a_clear_error():
    if backends.status("cuda").available or backends.status("cupy").available:
        pytest.skip("a CUDA backend is usable here; the error path cannot be reached")
    with pytest.raises(RuntimeError, match="cuda"):
        pn.tensor([1.0]).to("cuda")


def test_topological_order_long_chain_no_recursion_limit():
    x = t([1.0])
    y = x
    for _ in range(3000):
        y = y + 1
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])


# ----------------------------------------------------------------------------- gradcheck itself


def test_gradcheck_passes_and_fails_with_report():
    x = rnd(3, seed=1)
    assert pn.gradcheck(lambda a: (a * a).sum(), (x,))

    class Wrong(pn.autograd.Function):
        def forward(self, a):
            return a * a

        def backward(self, g):
            return (g * self.bk.xp.ones_like(g),)  # wrong: should be 2a

    with pytest.raises(pn.GradcheckError, match="input 0"):
        pn.gradcheck(lambda a: Wrong.apply(a).sum(), (x,))
    assert pn.gradcheck(lambda a: Wrong.apply(a).sum(), (x,), raise_exception=False) is False


def test_gradcheck_restores_backend(backend_name):
    pn.gradcheck(lambda a: a.exp().sum(), (rnd(2),))
    assert backends.backend_name("cpu") == backend_name


def test_gradcheck_requires_some_input_with_grad():
    with pytest.raises(ValueError, match="requires grad"):
        pn.gradcheck(lambda a: a.sum(), (rnd(2, grad=False),))


# ----------------------------------------------------------------------------- each op: values + gradcheck

UNARY = [
    ("neg", lambda a: -a, lambda a: -a),
    ("exp", lambda a: a.exp(), np.exp),
    ("log", lambda a: (a.abs() + 0.5).log(), lambda a: np.log(np.abs(a) + 0.5)),
    ("sqrt", lambda a: (a * a + 1).sqrt(), lambda a: np.sqrt(a * a + 1)),
    ("abs", lambda a: a.abs(), np.abs),
    ("pow2", lambda a: a**2, lambda a: a**2),
    ("pow3", lambda a: a.pow(3), lambda a: a**3),
    ("rpow", lambda a: 2.0**a, lambda a: 2.0**a),
    ("clamp", lambda a: a.clamp(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7)),
    ("clamp_min", lambda a: a.clamp(min=0.1), lambda a: np.maximum(a, 0.1)),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    ("tanh", lambda a: a.tanh(), np.tanh),
    ("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0)),
    ("scalar_ops", lambda a: (3 - a) * 2 / 4 + 1, lambda a: (3 - a) * 2 / 4 + 1),
    ("rdiv", lambda a: 1.0 / (a * a + 1), lambda a: 1.0 / (a * a + 1)),
]


@pytest.mark.parametrize("name,op,ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops(name, op, ref, backend_name):
    x = rnd(3, 4, seed=2)
    np.testing.assert_allclose(op(x).detach().numpy(), ref(x.detach().numpy()), rtol=1e-5, atol=1e-6)
    assert pn.gradcheck(op, (rnd(3, 4, seed=3),))


BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((), (3,))]


@pytest.mark.parametrize("sa,sb", BINARY_SHAPES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_binary_broadcasting(op, sa, sb):
    rng = np.random.default_rng(4)
    a = rng.uniform(0.5, 2.0, sa).astype(np.float32)
    b = rng.uniform(0.5, 2.0, sb).astype(np.float32)
    fns = {
        "add": (lambda x, y: x + y, np.add),
        "sub": (lambda x, y: x - y, np.subtract),
        "mul": (lambda x, y: x * y, np.multiply),
        "div": (lambda x, y: x / y, np.divide),
        "pow": (lambda x, y: x**y, np.power),
    }
    f, ref = fns[op]
    out = f(t(a), t(b))
    assert out.shape == np.broadcast_shapes(sa, sb)
    np.testing.assert_allclose(out.detach().numpy(), ref(a, b), rtol=1e-5)
    assert pn.gradcheck(f, (t(a), t(b)))


def test_numpy_array_and_scalar_operands():
    x = t([1.0, 2.0])
    with pytest.raises(TypeError):  # ndarray on the left defers to Tensor, which declines, as torch's
        _ = np.array([3.0, 4.0], dtype=np.float32) * x
    with pytest.raises(RuntimeError, match="requires grad"):  # NumPy's op, on the values
        _ = x * np.array([3.0, 4.0], dtype=np.float32)
    y = x.detach() * np.array([3.0, 4.0], dtype=np.float32)  # back as a tensor of NumPy's dtype
    assert isinstance(y, pn.Tensor) and y.dtype == pn.float32 and y.tolist() == [3.0, 8.0]
    np.testing.assert_allclose((x + np.float32(1)).detach().numpy(), [2.0, 3.0])
    assert (x * 2).dtype == pn.float32
    assert (pn.tensor([1, 2]) * 0.5).dtype == pn.float32
    assert (pn.tensor([1, 2]) / 2).dtype == pn.float32
    assert (pn.tensor([1, 2]) + pn.tensor([0.5, 0.5])).dtype == pn.float32
    assert (pn.tensor([1, 2]) + 1).dtype == pn.int64


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((3, 4), (4, 5)),
        ((4,), (4,)),
        ((3, 4), (4,)),
        ((4,), (4, 5)),
        ((2, 3, 4), (4, 5)),
        ((2, 3, 4), (2, 4, 5)),
        ((2, 3, 4), (1, 4, 5)),
        ((3, 4), (2, 4, 5)),
    ],
)
def test_matmul_cases_values_and_grads(sa, sb, backend_name):
    rng = np.random.default_rng(5)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    out = t(a) @ t(b)
    np.testing.assert_allclose(out.detach().numpy(), np.matmul(a, b), rtol=1e-4, atol=1e-5)
    assert pn.gradcheck(lambda x, y: x @ y, (t(a), t(b)))


def test_matmul_shape_error_names_shapes(backend_name):
    with pytest.raises(ValueError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        rnd(2, 3) @ rnd(4, 5)
    with pytest.raises(ValueError, match=r"expected tensor \[3\] and src \[4\]"):
        rnd(3) @ rnd(4)


def test_matmul_backward_uses_transpose_flags_not_copies(backend_name, monkeypatch):
    bk = backends.current("cpu")
    calls = []
    real = bk.matmul

    def spy(a, b, trans_a=False, trans_b=False, variant=None):
        calls.append((a, b, trans_a, trans_b))
        return real(a, b, trans_a=trans_a, trans_b=trans_b)

    monkeypatch.setattr(bk, "matmul", spy)
    x, w = rnd(5, 3), rnd(3, 4)
    (x @ w).sum().backward()
    assert sorted(c[2:] for c in calls) == [(False, False), (False, True), (True, False)]
    # the operands are the saved arrays themselves, never transposed copies
    passed = [id(arr) for c in calls for arr in c[:2]]
    assert passed.count(id(x._data)) == 2 and passed.count(id(w._data)) == 2


@pytest.mark.parametrize(
    "dim,keepdim", [(None, False), (0, False), (1, True), (-1, False), ((0, 1), False), ((0, 2), True)]
)
def test_sum_mean(dim, keepdim):
    x = rnd(2, 3, 4, seed=6)
    a = x.detach().numpy()
    axis = dim
    np.testing.assert_allclose(
        x.sum(dim, keepdim).detach().numpy(), a.sum(axis=axis, keepdims=keepdim), rtol=1e-5
    )
    np.testing.assert_allclose(
        x.mean(dim, keepdim).detach().numpy(), a.mean(axis=axis, keepdims=keepdim), rtol=1e-5
    )
    assert pn.gradcheck(lambda v: v.sum(dim, keepdim), (x,))
    assert pn.gradcheck(lambda v: v.mean(dim, keepdim), (x,))


def test_var_std():
    x = rnd(3, 5, seed=7)
    a = x.detach().numpy()
    np.testing.assert_allclose(x.var(1).detach().numpy(), a.var(axis=1, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(x.std().detach().numpy(), a.std(ddof=1), rtol=1e-5)
    assert pn.gradcheck(lambda v: v.std(0), (x,))


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_max_min_with_dim(dim, keepdim):
    x = rnd(3, 4, seed=8)
    a = x.detach().numpy()
    values, indices = x.max(dim, keepdim)
    np.testing.assert_allclose(values.detach().numpy(), a.max(axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(
        indices.numpy(), np.expand_dims(a.argmax(axis=dim), dim) if keepdim else a.argmax(axis=dim)
    )
    assert indices.dtype == pn.int64
    r = x.min(dim=dim, keepdim=keepdim)
    np.testing.assert_allclose(r.values.detach().numpy(), a.min(axis=dim, keepdims=keepdim))
    assert pn.gradcheck(lambda v: v.max(dim, keepdim)[0], (x,))
    assert pn.gradcheck(lambda v: v.min(dim, keepdim).values, (x,))


def test_max_all_and_ties_share_gradient():
    x = t([1.0, 3.0, 3.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, 0.5])
    assert pn.gradcheck(lambda v: v.max() + v.min(), (rnd(4, seed=9),))


def test_argmax_argmin(backend_name):
    x = rnd(5, 7, seed=10)
    a = x.detach().numpy()
    np.testing.assert_array_equal(x.argmax(dim=1).numpy(), a.argmax(axis=1))
    np.testing.assert_array_equal(x.argmax(0).numpy(), a.argmax(axis=0))
    assert x.argmax().item() == a.argmax()
    np.testing.assert_array_equal(x.argmin(1).numpy(), a.argmin(axis=1))
    assert x.argmax(dim=1, keepdim=True).shape == (5, 1)


def test_shape_ops_values_and_grads():
    x = rnd(2, 3, 4, seed=11)
    a = x.detach().numpy()
    cases = [
        (lambda v: v.reshape(4, 6), a.reshape(4, 6)),
        (lambda v: v.view(-1), a.reshape(-1)),
        (lambda v: v.flatten(1), a.reshape(2, 12)),
        (lambda v: v.unsqueeze(1), a[:, None]),
        (lambda v: v.unsqueeze(-1).squeeze(-1), a),
        (lambda v: v.permute(2, 0, 1), a.transpose(2, 0, 1)),
        (lambda v: v.transpose(0, 2), a.swapaxes(0, 2)),
        (lambda v: v.T, a.T),
        (lambda v: v[0].t(), a[0].T),
        (lambda v: v[:, :1].expand(2, 3, 4), np.broadcast_to(a[:, :1], (2, 3, 4))),
    ]
    for f, ref in cases:
        np.testing.assert_allclose(f(x).detach().numpy(), ref)
        assert pn.gradcheck(f, (x,))
    assert x.squeeze().shape == (2, 3, 4)
    assert pn.zeros(1, 3, 1).squeeze().shape == (3,)
    assert pn.zeros(1, 3, 1).squeeze(0).shape == (3, 1)


def test_indexing_basic_and_gather_with_scatter_add():
    x = rnd(4, 5, seed=12)
    a = x.detach().numpy()
    idx = pn.tensor([0, 2, 2, 3])
    cases = [
        (lambda v: v[1], a[1]),
        (lambda v: v[1:3, ::2], a[1:3, ::2]),
        (lambda v: v[..., -1], a[..., -1]),
        (lambda v: v[None, 0], a[None, 0]),
        (lambda v: v[idx], a[[0, 2, 2, 3]]),
        (lambda v: v[idx, pn.tensor([1, 1, 4, 0])], a[[0, 2, 2, 3], [1, 1, 4, 0]]),
        (lambda v: v[[1, 1]], a[[1, 1]]),
        (lambda v: v[v > 0], a[a > 0]),
        (lambda v: v[:, idx], a[:, [0, 2, 2, 3]]),
    ]
    for f, ref in cases:
        np.testing.assert_allclose(f(x).detach().numpy(), ref)
        assert pn.gradcheck(f, (x,))
    y = t([1.0, 2.0, 3.0])
    y[pn.tensor([0, 0, 2])].sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 0.0, 1.0])  # repeated index: added


def test_index_out_of_range_is_index_error():
    with pytest.raises(IndexError):
        rnd(3)[5]


def test_setitem():
    x = pn.zeros(2, 3)
    x[0] = pn.tensor([1.0, 2.0, 3.0])
    x[1, 1:] = 7.0
    x[pn.tensor([0]), pn.tensor([0])] = 9.0
    np.testing.assert_allclose(x.numpy(), [[9.0, 2.0, 3.0], [0.0, 7.0, 7.0]])


def test_cat_stack_where():
    a, b = rnd(2, 3, seed=13), rnd(1, 3, seed=14)
    np.testing.assert_allclose(
        pn.cat([a, b]).detach().numpy(), np.concatenate([a.detach().numpy(), b.detach().numpy()])
    )
    assert pn.gradcheck(lambda u, v: pn.cat([u, v], dim=0), (a, b))
    c = rnd(2, 3, seed=15)
    assert pn.stack([a, c], dim=1).shape == (2, 2, 3)
    assert pn.gradcheck(lambda u, v: pn.stack([u, v], dim=1), (a, c))
    cond = a > 0
    np.testing.assert_allclose(
        pn.where(cond, a, c).detach().numpy(), np.where(cond.numpy(), a.detach().numpy(), c.detach().numpy())
    )
    assert pn.gradcheck(lambda u, v: pn.where(cond, u, v), (a, c))
    assert pn.gradcheck(lambda u: pn.where(cond, u, 0.0), (a,))
    with pytest.raises(ValueError, match="stack"):
        pn.stack([a, b])


def test_comparisons_have_no_grad():
    x = rnd(3)
    for r in (x > 0, x < 0, x >= 0, x <= 0, x == x, x != 0):
        assert r.dtype == pn.bool_ and not r.requires_grad


def test_dtype_conversions():
    x = rnd(3)
    assert x.long().dtype == pn.int64 and not x.long().requires_grad
    assert pn.tensor([1, 2]).float().dtype == pn.float32
    y = (x.double() * 3).sum()
    assert y.dtype == pn.float64
    y.backward()
    assert x.grad.dtype == pn.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])
    assert pn.tensor([1.5, 2.5]).tolist() == [1.5, 2.5]
    assert x.to(pn.float64).dtype == pn.float64


def test_clone_contiguous_and_data():
    x = rnd(3, 4)
    assert pn.gradcheck(lambda v: v.T.contiguous().clone(), (x,))
    d = x.data
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.detach().numpy())


def test_graph_without_saved_tensors_can_backward_twice_like_torch():
    x = t([1.0, 2.0])
    y = (x + 1).sum()
    y.backward()
    y.backward()  # nothing was freed: Add and Sum keep only shapes
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_empty_batch_has_defined_results(backend_name):
    lin = pn.nn.Linear(4, 3)
    x = pn.zeros(0, 4, requires_grad=True)
    out = lin(x)
    assert out.shape == (0, 3)
    assert np.isnan(F.cross_entropy(out, pn.zeros(0, dtype=pn.int64)).item())  # mean of nothing, like torch
    F.cross_entropy(out, pn.zeros(0, dtype=pn.int64), reduction="sum").backward()
    assert lin.weight.grad.abs().sum().item() == 0 and x.grad.shape == (0, 4)
    assert F.softmax(pn.zeros(0, 3), dim=-1).shape == (0, 3)


def test_weight_grads_are_the_kernel_outputs_not_copies(backend_name, monkeypatch):
    bk = backends.current("cpu")
    outputs = []
    for name in ("matmul", "bias_grad"):
        real = getattr(bk, name)

        def spy(*args, _real=real, **kw):
            out = _real(*args, **kw)
            outputs.append(out)
            return out

        monkeypatch.setattr(bk, name, spy)
    model = pn.nn.Sequential(pn.nn.Linear(4, 5), pn.nn.ReLU(), pn.nn.Linear(5, 3))
    F.cross_entropy(model(rnd(6, 4, grad=False)), pn.tensor([0, 1, 2, 0, 1, 2])).backward()
    ids = {id(o) for o in outputs}
    assert all(id(p.grad._data) in ids for p in model.parameters())


def test_no_grad_decorator_without_parentheses():
    @pn.no_grad
    def f(v):
        return v * 2

    assert not f(t([1.0])).requires_grad and pn.is_grad_enabled()


def test_backward_frees_intermediate_activations():
    import gc
    import weakref

    x = rnd(4, 3, grad=False)
    lin = pn.nn.Linear(3, 5)
    hidden = F.relu(lin(x))
    ref = weakref.ref(hidden)
    loss = (hidden * 2).sum()
    del hidden
    loss.backward()
    gc.collect()
    assert ref() is None  # the loss no longer keeps the activation alive
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


# ----------------------------------------------------------------------------- the same ops on device "cuda"
# Forward values and gradients on each device against the cpu backend (float32 tolerances);
# the "cuda" cases skip with the reason when no GPU backend is usable.
from conftest import check_device_parity  # noqa: E402


def _r(*shape, seed=0, low=None, high=None):
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("name,op,ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops_on_device(name, op, ref, device):
    check_device_parity(op, _r(3, 4, seed=2), device=device)


@pytest.mark.parametrize("sa,sb", BINARY_SHAPES + [((2, 1, 4), (2, 3, 1))])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum"])
def test_binary_broadcasting_on_device(op, sa, sb, device):
    fns = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "pow": lambda x, y: x**y,
        "maximum": pn.maximum,
    }
    check_device_parity(
        fns[op],
        _r(*sa, seed=4, low=0.5, high=2.0),
        _r(*sb, seed=5, low=0.5, high=2.0),
        device=device,
        rtol=1e-4,
    )


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((3, 4), (4, 5)),
        ((4,), (4,)),
        ((3, 4), (4,)),
        ((4,), (4, 5)),
        ((2, 3, 4), (4, 5)),
        ((2, 3, 4), (2, 4, 5)),
        ((3, 4), (2, 4, 5)),
    ],
)
def test_matmul_on_device(sa, sb, device):
    check_device_parity(
        lambda x, y: x @ y, _r(*sa, seed=5), _r(*sb, seed=6), device=device, rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize(
    "dim,keepdim",
    [(None, False), (0, False), (1, True), (-1, False), ((0, 1), False), ((0, 2), True), (1, False)],
)
def test_reductions_on_device(dim, keepdim, device):
    x = _r(2, 3, 4, seed=6)
    check_device_parity(lambda v: v.sum(dim, keepdim), x, device=device, rtol=1e-5, atol=1e-5)
    check_device_parity(lambda v: v.mean(dim, keepdim), x, device=device, rtol=1e-5, atol=1e-5)
    check_device_parity(lambda v: v.var(1), x, device=device, rtol=1e-4, atol=1e-5)
    check_device_parity(lambda v: v.std(), x, device=device, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_max_min_argmax_on_device(dim, keepdim, device):
    x = _r(3, 4, seed=8)
    check_device_parity(lambda v: v.max(dim, keepdim), x, device=device)
    check_device_parity(lambda v: v.min(dim=dim, keepdim=keepdim), x, device=device)
    check_device_parity(lambda v: v.max() + v.min(), x, device=device)
    check_device_parity(lambda v: (v.argmax(dim, keepdim), v.argmin(dim), v.argmax()), x, device=device)
    check_device_parity(
        lambda v: v.amax(dim) * 2, np.array([[1.0, 3.0, 3.0]] * 3, np.float32).T, device=device
    )


def test_shape_ops_on_device(device):
    cases = [
        lambda v: v.reshape(4, 6),
        lambda v: v.view(-1),
        lambda v: v.flatten(1),
        lambda v: v.unsqueeze(1),
        lambda v: v.unsqueeze(-1).squeeze(-1),
        lambda v: v.permute(2, 0, 1),
        lambda v: v.transpose(0, 2),
        lambda v: v.T,
        lambda v: v[0].t(),
        lambda v: v[:, :1].expand(2, 3, 4),
        lambda v: v.T.contiguous().clone(),
        lambda v: v.split(2, dim=2),
        lambda v: v.chunk(3, dim=1),
    ]
    for f in cases:
        check_device_parity(f, _r(2, 3, 4, seed=11), device=device)


def test_indexing_gather_and_scatter_add_on_device(device):
    idx = np.array([0, 2, 2, 3])
    cases = [
        lambda v, i: v[1],
        lambda v, i: v[1:3, ::2],
        lambda v, i: v[..., -1],
        lambda v, i: v[None, 0],
        lambda v, i: v[i],
        lambda v, i: v[i, pn.tensor([1, 1, 4, 0], device=v.device)],
        lambda v, i: v[[1, 1]],
        lambda v, i: v[:, 1:4],
        lambda v, i: v[-3:],
        lambda v, i: v.flip(0),  # a view with a negative stride (torch rejects v[::-1])
        lambda v, i: v.gather(1, pn.tensor([[0, 1], [2, 2], [4, 0], [3, 3]], device=v.device)),
    ]
    for f in cases:
        check_device_parity(f, _r(4, 5, seed=12), idx, device=device)
    y = pn.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y[pn.tensor([0, 0, 2], device=device)].sum().backward()
    np.testing.assert_allclose(y.grad.cpu().numpy(), [2.0, 0.0, 1.0])  # repeated index: added
    with pytest.raises(IndexError):
        pn.tensor([1.0, 2.0], device=device)[pn.tensor([0, 2], device=device)]
    with pytest.raises(IndexError):
        pn.tensor([1.0, 2.0], device=device)[5]


def test_setitem_cat_stack_where_on_device(device):
    x = pn.zeros(2, 3, device=device)
    x[0] = pn.tensor([1.0, 2.0, 3.0], device=device)
    x[1, 1:] = 7.0
    x[:, 0] = pn.tensor([9.0, 8.0], device=device)
    np.testing.assert_allclose(x.cpu().numpy(), [[9.0, 2.0, 3.0], [8.0, 7.0, 7.0]])
    a, b, c = _r(2, 3, seed=13), _r(1, 3, seed=14), _r(2, 3, seed=15)
    check_device_parity(lambda u, v: pn.cat([u, v], dim=0), a, b, device=device)
    check_device_parity(lambda u, v: pn.cat([u, u * 2], dim=1) * pn.cat([v[0], v[0]]), a, b, device=device)
    check_device_parity(lambda u, v: pn.stack([u, v], dim=1), a, c, device=device)
    check_device_parity(lambda u, v: pn.where(u > 0, u, v), a, c, device=device)
    check_device_parity(lambda u: pn.where(u > 0, u, 0.0), a, device=device)
    check_device_parity(lambda u: u.masked_fill(u < 0, 1.5), a, device=device)


def test_comparisons_and_logic_on_device(device):
    a, b = _r(3, 4, seed=16), _r(4, seed=17)
    got = check_device_parity(
        lambda x, y: (
            x > 0,
            x < y,
            x >= 0,
            x <= y,
            x == x,
            x != 0,
            (x > 0) & (y > 0),
            (x > 0) | (y > 0),
            ~(x > 0),
            (x > 0).logical_not(),
            x.isnan(),
            x.isfinite(),
        ),
        a,
        b,
        device=device,
    )
    assert all(r.dtype == np.bool_ for r in got)
    x = pn.tensor(a, device=device)
    assert (x > 0).float().mean().item() == pytest.approx((a > 0).mean())
    assert (x > 0).sum().item() == (a > 0).sum() and (x > 0).sum().dtype == pn.int64
    assert x.equal(x) and x.allclose(x + 1e-9) and not x.allclose(x + 1)
    assert bool((x == x).all()) and not bool((x > 100).any())
    labels = pn.tensor([1, 0, 3], device=device)
    assert (x[:3].argmax(dim=1) == labels).sum().item() == (a[:3].argmax(1) == [1, 0, 3]).sum()


def test_creation_and_conversions_on_device(device):
    np.testing.assert_array_equal(pn.arange(5, device=device).cpu().numpy(), np.arange(5))
    np.testing.assert_allclose(pn.arange(0, 1, 0.25, device=device).cpu().numpy(), np.arange(0, 1, 0.25))
    np.testing.assert_array_equal(pn.eye(3, device=device).cpu().numpy(), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(pn.full((2, 2), 3.0, device=device).cpu().numpy(), np.full((2, 2), 3.0))
    x = pn.tensor([1.7, -2.2, 0.0], device=device)
    assert x.long().dtype == pn.int64 and x.long().cpu().tolist() == [1, -2, 0]
    assert x.bool().cpu().tolist() == [True, True, False]
    assert pn.tensor([True, False], device=device).float().cpu().tolist() == [1.0, 0.0]
    assert x.tolist() == pytest.approx([1.7, -2.2, 0.0])
    check_device_parity(lambda v: F.one_hot(v, 4), np.array([0, 3, 1]), device=device)


def test_empty_batch_on_device(device):
    lin = pn.nn.Linear(4, 3).to(device)
    x = pn.zeros(0, 4, requires_grad=True, device=device)
    out = lin(x)
    assert out.shape == (0, 3)
    assert np.isnan(F.cross_entropy(out, pn.zeros(0, dtype=pn.int64, device=device)).item())
    F.cross_entropy(out, pn.zeros(0, dtype=pn.int64, device=device), reduction="sum").backward()
    assert lin.weight.grad.abs().sum().item() == 0 and x.grad.shape == (0, 4)


def test_more_math_and_indexing_on_device(device):
    x = _r(4, 5, seed=18)
    check_device_parity(
        lambda v: (v.sin(), v.cos(), v.abs().log1p(), v.expm1(), v.round(), v.floor(), v.ceil(), v.trunc()),
        x * 3,
        device=device,
    )
    check_device_parity(
        lambda v: (v.flip(0), v.flip(0, 1), v.tril(), v.triu(1), v.narrow(1, 1, 3), v.select(1, 2)),
        x,
        device=device,
    )
    idx = np.array([0, 3, 3])
    check_device_parity(
        lambda v, i: (v[:, i], v.index_select(1, i), v.index_select(0, i)), x, idx, device=device
    )
    check_device_parity(
        lambda v, i: v.reshape(2, 2, 5)[:, pn.tensor([1, 0], device=v.device), i[:2]], x, idx, device=device
    )
    check_device_parity(lambda v: (v.repeat(2, 1), v[0].outer(v[1]), v.unsqueeze(1) * v[0]), x, device=device)
    check_device_parity(lambda v: v.isclose(v + 1e-9), x, device=device)
    check_device_parity(
        lambda v: (v.cumsum(0), v.cumsum(1), v.cumsum(-1) * v), x, device=device, rtol=1e-5, atol=1e-5
    )


def _first_grad(f):
    """x, w -> d f(x, w) / dx with create_graph=True: check_device_parity then differentiates
    that gradient again, so the second derivatives (graph_rules.py) run on the device."""

    def op(x, w):
        (g,) = pn.autograd.grad(f(x, w), x, create_graph=True)
        return g

    return op


SECOND_ORDER = {
    "mlp_tanh": (lambda x, w: pn.tanh(x @ w).sin().sum(), (4, 3), (3, 5)),
    "softmax_ce": (
        lambda x, w: (
            pn.nn.functional.cross_entropy(x @ w, pn.tensor([0, 2, 1, 4], device=x.device))
            + pn.nn.functional.log_softmax(x, dim=1).exp().pow(2).mean()
        ),
        (4, 3),
        (3, 5),
    ),
    "conv_pool": (
        lambda x, w: (
            pn.nn.functional.max_pool2d(pn.nn.functional.conv2d(x, w, padding=1).sigmoid(), 2).pow(2).sum()
        ),
        (2, 3, 6, 6),
        (4, 3, 3, 3),
    ),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_on_device(name, device):
    f, sx, sw = SECOND_ORDER[name]
    check_device_parity(_first_grad(f), _r(*sx, seed=8), _r(*sw, seed=9), device=device, rtol=1e-4, atol=1e-5)
