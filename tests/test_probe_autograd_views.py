"""One element read out of a tensor (y[0], y[1, 2]) is a 0-d view of it, as in torch: it sees
later in-place changes of y (the swap idiom's well-known result) and its gradient follows."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def test_swap_idiom_writes_the_same_element_twice_as_torch():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y[0], y[1] = y[1], y[0]
        y.sum().backward()
        return y.tolist(), x.grad.tolist()

    assert run(pn) == run(torch) == ([2.0, 2.0], [0.0, 2.0])


def test_element_sees_in_place_change_of_its_base():
    def run(lib):
        y = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        e, f = y[0, 1], y[1][0]
        y.mul_(10)
        return e.item(), f.item(), e._version, y._version

    assert run(pn) == run(torch)


def test_element_used_after_base_changed_in_place_raises():
    for lib in (pn, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        z = y[0].sin()  # (sin saves its input, the element: exp would save only its output)
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()


def test_element_changed_in_place_changes_base_and_gradient():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        e = y[1]
        e.mul_(5)
        (y * y).sum().backward()
        return y.tolist(), x.grad.tolist(), type(y.grad_fn).__name__

    assert run(pn) == run(torch)


def test_grad_accumulation_is_an_in_place_change_of_grad():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).sum().backward()
        g = x.grad
        before = g._version
        w = lib.ones(2, requires_grad=True)
        y = (w * g).sum()  # saves .grad for w's gradient
        (x * 2).sum().backward()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()
        return before, g._version, g is x.grad, g.tolist()

    assert run(pn) == run(torch)


def test_a_long_chain_of_views_shares_its_steps():
    """Each view kept a tuple of every step back to its base: n chained views took O(n^2) time and
    memory (100,000 did not finish in 200 s). Now each adds one link to its parent's steps, and a
    chain past 16 steps collapses into one as_strided step (x = x.view(...) in a loop stays short)."""
    x = pn.ones(4, requires_grad=True)
    y = x * 1
    chain = []
    for _ in range(20_000):
        y = y.view(4)
        chain.append(y)
    assert len(y._view[1]) <= 17 and len(chain[-2]._view[1]) <= 17
    assert any(kind == "strided" for kind, _ in y._view[1]) or y._view[1].parent is chain[-2]._view[1]
    y[1:].mul_(2)  # an in-place change through the whole chain: replayed from its base
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 2.0, 2.0]


def test_a_view_of_a_view_in_a_loop_changed_in_place_matches_torch():
    """x = x.view(24).view(4, 6); x.add_(1) in a loop: each in-place op replayed every earlier step
    (2,000 iterations did not finish in 120 s); the chain now stays short, the values and the
    gradient are torch's, through transposes and slices too."""
    results = []
    for T in (torch, pn):
        w = T.arange(48.0, requires_grad=True)
        x = w * 1
        y = x.view(6, 8)
        for _ in range(40):
            y = y.t().t()[:, :].view(6, 8)
            y[0].add_(1)
        y[1:5, ::2].t().mul_(3)
        (x * T.arange(48.0)).sum().backward()
        results.append((x.detach().numpy(), w.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
