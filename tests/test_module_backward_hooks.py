"""Module backward hooks (register_full_backward_hook / _pre_hook), side by side with torch: what
the hooks see, replacements of grad_input and grad_output, inputs without grad, retain_graph, and
the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def r(t):
    return None if t is None else np.round(t.detach().numpy(), 4).tolist()


def linear(L):
    m = L.nn.Linear(3, 2)
    with L.no_grad():
        m.weight.copy_(L.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]))
        m.bias.fill_(0.1)
    return m


def both(fn):
    return fn(pn), fn(torch)


def test_hooks_see_grad_output_then_grad_input():
    def run(L):
        m, log = linear(L), []
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append(("full", [r(g) for g in gi], [r(g) for g in go]))
        )
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", [r(g) for g in go])))
        x = L.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]], requires_grad=True)
        y = m(x)
        (y * L.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        return log, r(x.grad), r(m.weight.grad), type(y.grad_fn).__name__ if L is torch else y.grad_fn.name()

    p, t = both(run)
    assert p == t


def test_input_without_grad_fires_at_the_output_with_torchs_warning():
    def run(L):
        m, log = linear(L), []
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append(([r(g) for g in gi], [r(g) for g in go]))
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (m(L.ones(1, 3)) ** 2).sum().backward()
        return log, [str(w.message)[:60] for w in caught]

    p, t = both(run)
    assert p == t and p[1]


@pytest.mark.parametrize("which", ["full", "pre"])
def test_replacing_gradients(which):
    def run(L):
        m = linear(L)
        if which == "full":
            m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
        else:
            m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0.5,))
        x = L.ones(1, 3, requires_grad=True)
        m(x).sum().backward()
        return r(x.grad), r(m.weight.grad)

    p, t = both(run)
    assert p == t


def test_hooks_inside_a_model_and_across_retained_backwards():
    def run(L):
        net = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 1))
        with L.no_grad():
            for p in net.parameters():
                p.copy_(L.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)).astype(np.float32)))
        seen = []
        handle = net[1].register_full_backward_hook(lambda mod, gi, go: seen.append((r(gi[0]), r(go[0]))))
        out = net(L.tensor([[0.5, -1.0, 2.0]]))
        out.backward(retain_graph=True)
        out.backward()
        handle.remove()
        net(L.tensor([[0.5, -1.0, 2.0]])).sum().backward()  # removed: not called again
        return seen, r(net[0].weight.grad)

    p, t = both(run)
    assert p == t and len(p[0]) == 2


def test_a_hook_returning_the_wrong_number_of_gradients_raises_like_torch():
    for L in (pn, torch):
        m = L.nn.Linear(2, 2)
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="invalid number of grad_input"):
            m(L.ones(1, 2, requires_grad=True)).sum().backward()


def test_multi_input_module_hook_sees_every_grad_input():
    class Mul(pn.nn.Module):
        def forward(self, a, b):
            return a * b

    seen = []
    m = Mul()
    m.register_full_backward_hook(lambda mod, gi, go: seen.append([r(g) for g in gi]))
    a, b = pn.tensor([2.0], requires_grad=True), pn.tensor([3.0], requires_grad=True)
    m(a, b).sum().backward()
    assert seen == [[[3.0], [2.0]]] and a.grad.tolist() == [3.0] and b.grad.tolist() == [2.0]
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2, gi[1]))
    with pytest.raises(NotImplementedError, match="one input"):
        m(a, b).sum().backward()


def test_global_full_backward_hooks_run_for_every_module_before_its_own():
    torch = pytest.importorskip("torch")
    import importlib

    logs, grads = [], []
    for lib in (pn, torch):
        module_api = importlib.import_module(lib.__name__ + ".nn.modules.module")
        log = []
        h1 = module_api.register_module_full_backward_hook(
            lambda m, gi, go, log=log: log.append(
                ("full", type(m).__name__, [None if g is None else tuple(g.shape) for g in gi])
            )
        )
        h2 = module_api.register_module_full_backward_pre_hook(
            lambda m, go, log=log: log.append(("pre", type(m).__name__))
        )
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 1))
        x = lib.ones(2, 3, requires_grad=True)
        model(x).sum().backward()
        h1.remove()
        h2.remove()
        model(x).sum().backward()  # removed: nothing more is logged
        h3 = module_api.register_module_full_backward_pre_hook(
            lambda m, go: (go[0] * 2,) if isinstance(m, lib.nn.Linear) and m.out_features == 1 else None
        )
        x.grad = None
        model(x).sum().backward()
        h3.remove()
        logs.append(log)
        grads.append(x.grad.numpy())
    assert logs[0] == logs[1] and len(logs[0]) == 8
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
