"""Custom autograd Functions written as in torch (static forward(ctx, ...) / backward(ctx, ...)),
run side by side with torch: values, gradients, ctx, grad_fn names, errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

X = np.array([[1.0, -2.0, 3.0], [-0.5, 4.0, -1.5]], dtype=np.float32)


def make(fw):
    """The same custom Functions, defined against fw's autograd.Function."""

    class MyReLU(fw.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (x > 0).float()

    class ScaleAdd(fw.autograd.Function):
        """x * k + y with a plain-number argument and a value kept on ctx."""

        @staticmethod
        def forward(ctx, x, k, y):
            ctx.k = k
            return x * k + y

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, None, grad

    class Exp(fw.autograd.Function):
        """Saves its output, in the setup_context form."""

        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    return MyReLU, ScaleAdd, Exp


def run_both(body):
    out = []
    for fw in (pn, torch):
        res = body(fw, *make(fw))
        out.append([r.detach().numpy() if hasattr(r, "detach") else r for r in res])
    return out


def test_values_gradients_and_names_match_torch():
    def body(fw, MyReLU, ScaleAdd, Exp):
        x = fw.tensor(X, requires_grad=True)
        y = fw.tensor(X[::-1].copy(), requires_grad=True)
        a = MyReLU.apply(x)
        b = ScaleAdd.apply(a, 3.0, y)
        c = Exp.apply(b * 0.1)
        c.sum().backward()
        return [a, b, c, x.grad, y.grad, type(a.grad_fn).__name__, type(c.grad_fn).__name__]

    p, t = run_both(body)
    for u, v in zip(p, t):
        if isinstance(u, np.ndarray):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
        else:
            assert u == v  # MyReLUBackward, ExpBackward


def test_needs_input_grad_no_grad_and_mark_non_differentiable():
    for fw in (pn, torch):
        seen = {}

        class Probe(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                seen["needs"] = ctx.needs_input_grad
                seen["grad_mode"] = fw.is_grad_enabled()
                out = x + y
                ctx.mark_non_differentiable(out)
                return out

            @staticmethod
            def backward(ctx, g):
                return g, g

        out = Probe.apply(fw.ones(2, requires_grad=True), fw.ones(2))
        assert seen["needs"] == (True, False) and seen["grad_mode"] is False
        assert out.requires_grad is False and out.grad_fn is None
        with fw.no_grad():
            assert MyReLU_of(fw).apply(fw.ones(2, requires_grad=True)).requires_grad is False


def MyReLU_of(fw):
    return make(fw)[0]


def test_saved_tensors_are_freed_and_checked_against_in_place_changes():
    for fw in (pn, torch):
        MyReLU = MyReLU_of(fw)
        x = fw.tensor(X, requires_grad=True)
        y = MyReLU.apply(x * 1.0)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.sum().backward()
        h = x * 1.0
        z = MyReLU.apply(h)
        h.mul_(2)  # changes what forward saved
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_wrong_gradients_raise_as_torch():
    for fw in (pn, torch):

        class TooFew(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x + y

            @staticmethod
            def backward(ctx, g):
                return g

        class BadShape(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g.sum(0)

        a, b = fw.ones(2, 3, requires_grad=True), fw.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
            TooFew.apply(a, b).sum().backward()
        with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
            BadShape.apply(a).sum().backward()


@pytest.mark.parametrize("shape", [(3,), (1, 3), ()])
def test_a_gradient_that_sums_to_the_inputs_shape_is_summed_as_torch(shape):
    """torch sums a returned gradient down to its input's shape when the input broadcasts to it (a
    bias gradient not summed over the batch); pyneuro raised. create_graph keeps it differentiable."""
    results = []
    for fw in (pn, torch):

        class AddBias(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x, b):
                return x * b

            @staticmethod
            def backward(ctx, g):
                return g, g * 2

        x = fw.ones(4, 3, requires_grad=True)
        b = fw.full(shape, 3.0, requires_grad=True)
        (gb,) = fw.autograd.grad(AddBias.apply(x, b).sum(), b, create_graph=True)
        results.append(gb.detach().numpy())
    np.testing.assert_array_equal(results[0], results[1])


def test_a_custom_function_inside_a_module_trains():
    MyReLU = MyReLU_of(pn)

    class Net(pn.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = pn.nn.Linear(3, 8), pn.nn.Linear(8, 1)

        def forward(self, x):
            return self.fc2(MyReLU.apply(self.fc1(x)))

    pn.manual_seed(0)
    net = Net()
    opt = pn.optim.SGD(net.parameters(), lr=0.05)
    x = pn.tensor(X)
    target = pn.tensor([[1.0], [-1.0]])
    losses = []
    for _ in range(50):
        loss = pn.nn.functional.mse_loss(net(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_pyneuro_style_functions_still_work_and_once_differentiable_is_there():
    from pyneuro.autograd.function import once_differentiable

    class Square(pn.autograd.Function):  # pyneuro's own protocol: methods on backend arrays
        def forward(self, x):
            self.saved = (x,)
            return x * x

        def backward(self, g):
            (x,) = self.saved
            return (2 * x * g,)

    x = pn.tensor([1.0, 2.0], requires_grad=True)
    Square.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])

    class Cube(pn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = pn.tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_two_outputs_and_mark_dirty_as_torch():
    """Once refused with NotImplementedError; now torch's semantics (tests/test_probe_autograd_custom.py
    covers the details)."""
    torch = pytest.importorskip("torch")

    def run(lib):
        class TwoOut(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                return g1 * 2 + g2 * 3

        class Dirty(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x)
                return x.mul_(2)

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b = TwoOut.apply(x)
        y = Dirty.apply(x * 1)
        (a.sum() + 2 * b.sum() + y.sum()).backward()
        return x.grad.tolist(), y.tolist()

    assert run(pn) == run(torch)


def test_vjp_is_backwards_other_name_as_in_torch():
    for lib in (pn, pytest.importorskip("torch")):

        class Seven(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 7

        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        Seven.apply(x).sum().backward()
        assert x.grad.tolist() == [7.0, 7.0, 7.0]


def test_calling_a_function_instance_is_torchs_legacy_error():
    for lib in (pn, pytest.importorskip("torch")):

        class Exp(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.exp()

            @staticmethod
            def backward(ctx, g):
                return g

        with pytest.warns(DeprecationWarning) if lib is not pn else _nothing():
            instance = Exp()
        with pytest.raises(RuntimeError, match="Legacy autograd function"):
            instance(lib.ones(2, requires_grad=True))


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
