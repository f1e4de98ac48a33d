"""torch.autograd.graph against torch: saved_tensors_hooks (which tensors are packed and
unpacked, grad mode inside the hooks, custom Functions reading what unpack returns),
save_on_cpu, disable_saved_tensors_hooks, Node, increment_version."""

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _story(L, make):
    log = []

    def pack(x):
        log.append(("pack", tuple(x.shape), round(float(x.sum()), 4), L.is_grad_enabled()))
        return x

    def unpack(x):
        log.append(("unpack", tuple(x.shape), L.is_grad_enabled()))
        return x

    L.manual_seed(0)
    x = L.randn(4, requires_grad=True)
    with L.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = make(L, x)
    y.sum().backward()
    return sorted(log, key=str), [round(v, 5) for v in x.grad.tolist()]


@pytest.mark.parametrize(
    "name, make",
    [
        ("mul by a non-leaf", lambda L, x: x * (x * 2)),
        ("pow", lambda L, x: x.pow(2)),
        ("exp saves its output", lambda L, x: x.exp()),
        ("matmul", lambda L, x: x.reshape(2, 2) @ L.ones(2, 3)),
        ("sin of a product", lambda L, x: (x * 3).sin()),
    ],
)
def test_saved_tensors_hooks_pack_and_unpack_what_torch_does(name, make):
    assert _story(pn, make) == _story(torch, make)


def test_custom_function_reads_what_unpack_returns():
    grads = []
    for L in (pn, torch):

        class Square(L.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.save_for_backward(t)
                return t * t

            @staticmethod
            def backward(ctx, g):
                (t,) = ctx.saved_tensors
                return 2 * t * g

        x = L.tensor([1.0, 2.0], requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(lambda t: t * 10, lambda t: t):
            y = Square.apply(x)
        y.sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [20.0, 40.0]


def test_an_unpack_that_changes_a_builtin_ops_values_is_refused():
    x = pn.tensor([1.0, 2.0], requires_grad=True)
    with pn.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 2):
        y = x * x
    with pytest.raises(NotImplementedError, match="unpack hook returned other values"):
        y.sum().backward()


def test_unpack_must_return_a_tensor_and_disable_blocks_hooks():
    for L in (pn, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
            y = x * x
        with pytest.raises(TypeError, match="expected to be a Tensor"):
            y.sum().backward()
        with L.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass


def test_save_on_cpu_node_and_increment_version():
    x = pn.randn(3, requires_grad=True)
    with pn.autograd.graph.save_on_cpu(pin_memory=True):
        y = (x * 3).sin()
    y.sum().backward()
    pn.testing.assert_close(x.grad, 3 * (x.detach() * 3).cos())
    assert isinstance(y.grad_fn, pn.autograd.graph.Node) and isinstance(
        y.grad_fn.next_functions[0][0].next_functions[0][0], pn.autograd.graph.Node
    )
    t = pn.ones(2)
    v = t._version
    pn.autograd.graph.increment_version(t)
    assert t._version == v + 1
    w = pn.ones(2, requires_grad=True)
    z = w.exp()
    pn.autograd.graph.increment_version(z)  # backward now sees the saved output as modified, as torch
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_saved_tensors_hooks_that_return_their_tensor_do_not_keep_graphs_alive():
    """An identity (or logging) pack hook on an op that saves its own output (tanh, exp): the packed
    value was the output, held by a module-level table keyed by the output's own node, so neither was
    ever freed (a 784-256-10 tanh MLP grew 64 KB a step). Now it lives on the node: gc frees both."""
    import gc

    def live():
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, pn.Tensor))

    x = pn.randn(64, 32, requires_grad=True)
    before = live()
    with pn.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        for _ in range(200):
            x.tanh().sigmoid().exp().sum().backward()
        for _ in range(200):
            x.tanh().relu()  # (no backward: the graphs are dropped)
    assert live() - before < 10
    assert x.grad is not None and x.grad.shape == (64, 32)
