"""Tensor.register_hook against torch: what a hook sees, how often, what its result replaces,
retain_grad after hooks, in-place changes, removal, errors, and autograd.grad."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], dtype=np.float32)


def leaf(fw, data=X):
    return fw.tensor(data.copy(), requires_grad=True)


def both(fn):
    """fn(framework) on both frameworks, each result converted to NumPy for comparison."""

    def conv(v):
        if isinstance(v, (list, tuple)):
            return [conv(u) for u in v]
        return v.detach().numpy() if hasattr(v, "detach") else v

    return conv(fn(pn)), conv(fn(torch))


def assert_same(p, t):
    assert len(p) == len(t)
    for a, b in zip(p, t):
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        else:
            assert a == b


def test_a_leaf_hook_sees_the_summed_gradient_once_and_can_replace_it():
    def run(fw):
        x = leaf(fw)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        x.register_hook(lambda g: g * 10)  # runs second, after the one that records
        y = (x * x).sum() + (3 * x).sum()  # x used twice: one call with the sum
        y.backward()
        return [len(seen), seen[0], x.grad]

    assert_same(*both(run))


def test_a_non_leaf_hook_changes_what_flows_downstream_and_retain_grad_keeps_the_hooked_value():
    def run(fw):
        x = leaf(fw)
        h = x.exp()
        h.retain_grad()
        h.register_hook(lambda g: g.clamp(-0.5, 0.5))
        out = (h * fw.tensor(X)).sum() + h.sum()
        out.backward()
        return [h.grad, x.grad]

    assert_same(*both(run))


def test_a_hook_on_the_output_and_on_a_leaf_used_as_the_output():
    def run(fw):
        x = leaf(fw)
        loss = (x**2).mean()
        seen = []
        loss.register_hook(lambda g: seen.append(float(g)))
        loss.backward()
        w = leaf(fw)
        w.register_hook(lambda g: g + 1)
        w.backward(fw.ones(2, 3))  # backward on a leaf: the seed goes through its hooks
        return [seen[0], x.grad, w.grad]

    assert_same(*both(run))


def test_hooks_run_in_order_and_removal_works_once_and_as_a_context_manager():
    def run(fw):
        x = leaf(fw)
        order = []
        h1 = x.register_hook(lambda g: order.append(1))
        x.register_hook(lambda g: order.append(2))
        (x * 2).sum().backward()
        h1.remove()
        h1.remove()
        (x * 2).sum().backward()
        with x.register_hook(lambda g: order.append(3)):
            (x * 2).sum().backward()
        (x * 2).sum().backward()
        return [order, x.grad]

    assert_same(*both(run))


def test_a_hook_sees_the_gradient_of_the_value_before_an_in_place_change():
    def run(fw):
        x = leaf(fw)
        a = x * 2
        seen = []
        a.register_hook(lambda g: seen.append(g.clone()))
        a.mul_(3)
        a.sum().backward()
        return [seen[0], x.grad]

    assert_same(*both(run))


def test_errors_match_torch():
    for fw in (pn, torch):
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            fw.ones(3).register_hook(lambda g: g)
        x = fw.ones(3, requires_grad=True)
        x.register_hook(lambda g: g[:2])
        with pytest.raises(RuntimeError, match="has changed the size of value"):
            (x * 2).sum().backward()


def test_a_hook_that_keeps_the_gradient_sees_it_unchanged_by_later_accumulation():
    def run(fw):
        lin = fw.nn.Linear(3, 2)
        kept = []
        lin.weight.register_hook(lambda g: kept.append(g))
        x = fw.tensor(X)
        lin(x).sum().backward()
        lin(x).sum().backward()  # .grad doubles; the first kept tensor must not
        return [kept[0], kept[1], lin.weight.grad]

    p, t = both(run)
    np.testing.assert_allclose(p[0], p[1])
    np.testing.assert_allclose(p[2], 2 * p[0], rtol=1e-6)
    np.testing.assert_allclose(t[0], p[0], rtol=1e-6)  # torch's value (its weights differ: same x.sum)


def test_gradient_clipping_with_hooks_in_a_training_step():
    """A common use: clamp each parameter's gradient as it is computed."""
    pn.manual_seed(0)
    model = pn.nn.Sequential(pn.nn.Linear(3, 4), pn.nn.ReLU(), pn.nn.Linear(4, 1))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for p, q in zip(model.parameters(), tmodel.parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    for m in (model, tmodel):
        for p in m.parameters():
            p.register_hook(lambda g: g.clamp(-0.01, 0.01))
    target = np.full((2, 1), 5.0, np.float32)
    pn.nn.functional.mse_loss(model(pn.tensor(X)), pn.tensor(target)).backward()
    torch.nn.functional.mse_loss(tmodel(torch.tensor(X)), torch.tensor(target)).backward()
    for p, q in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)
        assert np.abs(p.grad.numpy()).max() <= 0.01 + 1e-7


def test_autograd_grad_runs_the_hooks_of_intermediate_tensors():
    def run(fw):
        x = leaf(fw)
        h = x * 3
        h.register_hook(lambda g: g * 0.5)
        (gx,) = fw.autograd.grad((h * h).sum(), [x])
        return [gx, x.grad is None]

    assert_same(*both(run))


def test_hooks_go_with_their_tensor():
    import gc

    from pyneuro.autograd import hooks

    before = len(hooks.by_leaf), len(hooks.by_node)
    x = pn.ones(3, requires_grad=True)
    y = x * 2
    x.register_hook(lambda g: g)
    y.register_hook(lambda g: g)
    assert (len(hooks.by_leaf), len(hooks.by_node)) == (before[0] + 1, before[1] + 1)
    del x, y
    gc.collect()
    assert (len(hooks.by_leaf), len(hooks.by_node)) == before
