"""Custom autograd Functions as torch users write them: several outputs (non-differentiable ones
among them, plain values beside them), mark_dirty, and set_materialize_grads, against torch."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def _two_outputs(lib):
    class ProdSum(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y, x + y

        @staticmethod
        def backward(ctx, g_prod, g_sum):
            x, y = ctx.saved_tensors
            return g_prod * y + g_sum, g_prod * x + g_sum

    return ProdSum


@pytest.mark.parametrize("use", ["both", "first", "second"])
def test_two_outputs_gradients_and_shared_grad_fn(use):
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = lib.tensor([4.0, -5.0, 6.0], requires_grad=True)
        a, b = _two_outputs(lib).apply(x, y)
        loss = {"both": a.sum() + (b * b).sum(), "first": (a * a).sum(), "second": b.sum()}[use]
        loss.backward()
        return x.grad, y.grad, a.grad_fn is b.grad_fn, type(a.grad_fn).__name__

    got, want = run(pn), run(torch)
    np.testing.assert_allclose(_np(got[0]), _np(want[0]))
    np.testing.assert_allclose(_np(got[1]), _np(want[1]))
    assert got[2:] == want[2:] == (True, "ProdSumBackward")


def test_unused_output_gets_zeros_or_none_without_materialize():
    def run(lib, materialize):
        seen = []

        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                seen.append(None if ga is None else ga.tolist())
                return (0 if ga is None else ga * 2) + gb * 3

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        F.apply(x)[1].sum().backward()
        return x.grad.tolist(), seen

    for materialize in (True, False):
        assert run(pn, materialize) == run(torch, materialize)


def test_non_differentiable_and_integer_and_plain_outputs():
    def run(lib):
        class SortWithIndex(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                v, i = x.sort()
                ctx.save_for_backward(i)
                ctx.mark_non_differentiable(i)
                return v, i, x.argmax(), 7

            @staticmethod
            def backward(ctx, gv, gi, gmax, gplain):
                (i,) = ctx.saved_tensors
                g = lib.zeros_like(gv)
                g[i] = gv
                return g

        x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
        v, i, m, n = SortWithIndex.apply(x)
        (v * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
        return x.grad.tolist(), i.tolist(), int(m), n, v.requires_grad, i.requires_grad, m.requires_grad

    assert run(pn) == run(torch)


def test_two_outputs_second_derivative_and_retain_rules():
    def run(lib):
        class Powers(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x**2, x**3

            @staticmethod
            def backward(ctx, ga, gb):
                (x,) = ctx.saved_tensors
                return ga * 2 * x + gb * 3 * x**2

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b = Powers.apply(x)
        (g,) = lib.autograd.grad((a + b).sum(), x, create_graph=True)
        g.sum().backward()
        c, d = Powers.apply(x)
        c.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            d.sum().backward()
        return g.tolist(), x.grad.tolist()

    assert run(pn) == run(torch)


def test_hook_and_retain_grad_on_one_output():
    def run(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2 + gb * 3

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b = F.apply(x)
        b.register_hook(lambda g: g * 10)
        b.retain_grad()
        (a + b).sum().backward()
        return x.grad.tolist(), b.grad.tolist()

    assert run(pn) == run(torch)


def test_saved_input_changed_in_place_raises_with_two_outputs():
    for lib in (pn, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        y1, y2 = _two_outputs(lib).apply(b, b)
        b.mul_(3)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            (y1 + y2).sum().backward()


def _add_one(lib):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    return AddOne


def test_mark_dirty_returns_the_input_in_the_graph():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        c = _add_one(lib).apply(b)
        (c * c).sum().backward()
        return a.grad.tolist(), c is b, type(b.grad_fn).__name__, b._version, b.tolist()

    assert run(pn) == run(torch)


def test_mark_dirty_on_a_view_and_without_grad():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        v = b[0:1]
        same = _add_one(lib).apply(v) is v
        (b * 2).sum().backward()
        plain = lib.tensor([1.0, 2.0])
        return a.grad.tolist(), same, b.tolist(), _add_one(lib).apply(plain) is plain, plain.tolist()

    assert run(pn) == run(torch)


def test_mark_dirty_on_a_leaf_that_requires_grad_raises():
    for lib in (pn, torch):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            _add_one(lib).apply(lib.tensor([1.0, 2.0], requires_grad=True))


def test_named_reads_make_a_composite_raise_like_torch_op():
    """autograd.named(out, name, reads=...): the composite's node checks what torch's node saves."""
    x = pn.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * 1
    out = pn.autograd.named(pn.where(y > 0, y, y * 0.1), "LeakyReluBackward0", reads=(y,))
    assert type(out.grad_fn).__name__ == "LeakyReluBackward0"
    y.add_(1)
    tx = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    ty = tx * 1
    tout = torch.nn.functional.leaky_relu(ty, 0.1)
    ty.add_(1)
    for loss in (out.sum(), tout.sum()):
        with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
            loss.backward()
    y2 = x * 1
    pn.autograd.named(pn.where(y2 > 0, y2, y2 * 0.1), "LeakyReluBackward0", reads=(y2,)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.1, 1.0], rtol=1e-6)


def _backward_returning(lib, make_grads, extra_input=None):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k=None):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return make_grads(g)

    x = lib.ones(2, requires_grad=True)
    args = (x,) if extra_input is None else (x, extra_input)
    F.apply(*args).sum().backward()
    return x.grad.tolist()


def test_backward_may_return_trailing_nones_beyond_the_inputs():
    got = _backward_returning(pn, lambda g: (g * 3, None, None))
    assert got == _backward_returning(torch, lambda g: (g * 3, None, None)) == [3.0, 3.0]


@pytest.mark.parametrize(
    "make_grads, extra, message",
    [
        (lambda g: (g, g), None, "incorrect number of gradients"),
        (lambda g: (g * 2, g), 3, "different than None at position 2"),
        (lambda g: 2.0, None, "expected Variable or None"),
    ],
)
def test_backward_returning_wrong_gradients_raises_runtime_error(make_grads, extra, message):
    for lib in (pn, torch):
        with pytest.raises(RuntimeError, match=message):
            _backward_returning(lib, make_grads, extra)


def test_node_hooks_on_a_two_output_function_see_every_output_slot():
    def run(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2 + gb * 3

        x = lib.ones(2, requires_grad=True)
        a, _ = F.apply(x)
        seen = []
        a.grad_fn.register_prehook(lambda go: seen.append([None if g is None else g.tolist() for g in go]))
        a.grad_fn.register_hook(lambda gi, go: seen.append((len(gi), len(go))))
        a.sum().backward()
        return seen, x.grad.tolist()

    assert run(pn) == run(torch)
