"""Gradients of basic slices, which the engine adds in place (autograd/function.py, SliceGrad).

Reading a tensor one slice at a time (an RNN's x[t]) used to cost a full-size array of zeros
and a full-size addition per slice in the backward pass; the engine now adds each slice's
gradient into one array in place. These tests pin that the sums stay torch's and that no array
the walk does not own (the seed, a hook's, a leaf's earlier .grad, a sibling's view) is written.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _both(a):
    return pn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


CASES = {
    "steps": lambda fw, x: sum((x[t] * (t + 1)).sum() for t in range(x.shape[0])),
    "steps_of_nonleaf": lambda fw, x: sum(((x * 2)[t] ** 2).sum() for t in range(x.shape[0])),
    "overlapping": lambda fw, x: (x[0:3] * 2).sum() + (x[1:4] ** 2).sum() + x[2].sum(),
    "slice_and_dense": lambda fw, x: (x * 3).sum() + x[1].sum() + x[-1, 1:].sum() + x[..., 0].sum(),
    "strided": lambda fw, x: (x[::2] * 5).sum() + x.flip(0)[0].sum() + x[1::2, ::3].sum(),
    "cat_then_slices": lambda fw, x: sum(fw.cat([x, x * 2])[t].sum() * t for t in range(2 * x.shape[0])),
    "stacked_steps": lambda fw, x: fw.stack([x[t] * x[t + 1] for t in range(x.shape[0] - 1)]).sum(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_slice_gradients_match_torch(name):
    a = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    p, t = _both(a)
    CASES[name](pn, p).backward()
    CASES[name](torch, t).backward()
    np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_slice_gradients_accumulate_over_backward_calls_into_the_grads_memory():
    x = pn.ones(4, 3, requires_grad=True)
    (x[0].sum() + x[1].sum() * 2).backward()
    first = x.grad.numpy().copy()
    held = x.grad.numpy()  # .grad's memory after the first call
    (x[1].sum() + x[3].sum()).backward()
    np.testing.assert_array_equal(first, [[1] * 3, [2] * 3, [0] * 3, [0] * 3])
    np.testing.assert_array_equal(x.grad.numpy(), [[1] * 3, [3] * 3, [0] * 3, [1] * 3])
    # added into .grad's own memory, as torch's AccumulateGrad: an array that views it sees the sum
    np.testing.assert_array_equal(held, x.grad.numpy())


def test_seed_and_hooked_arrays_are_not_written():
    x = pn.ones(3, 2, requires_grad=True)
    y = x * 1.0
    seed = pn.ones(2)
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    z = y[1] + y[2]  # two slices of y, the seed flows to both
    z.backward(seed)
    np.testing.assert_array_equal(seed.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(seen[0], [[0, 0], [1, 1], [1, 1]])
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [1, 1], [1, 1]])


def test_retain_grad_and_leaf_hooks_see_the_summed_slices():
    x = pn.zeros(4, 2, requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.numpy().copy()) or g * 10)
    h = x + 1
    h.retain_grad()
    (h[0].sum() + h[0].sum() + h[3].sum() * 3).backward()
    np.testing.assert_array_equal(h.grad.numpy(), [[2, 2], [0, 0], [0, 0], [3, 3]])
    assert len(calls) == 1  # one hook call with the sum, as torch
    np.testing.assert_array_equal(x.grad.numpy(), [[20, 20], [0, 0], [0, 0], [30, 30]])


def test_the_engine_adds_slices_in_place_only_into_arrays_it_owns():
    """White-box: the rule that makes L slices cost O(L) (the time is measured in bench/, not here)."""
    from pyneuro.autograd.engine import _sum
    from pyneuro.autograd.function import SliceGrad

    owned = np.zeros((4, 2), np.float32)
    part = SliceGrad(np, (4, 2), 1, np.ones(2, np.float32))
    assert _sum(owned, True, part) is owned  # in place
    np.testing.assert_array_equal(owned[1], [1, 1])
    shared = np.zeros((4, 2), np.float32)
    out = _sum(shared, False, part)  # not ours: a new array
    assert out is not shared and not shared.any() and out[1].tolist() == [1, 1]
    readonly = np.broadcast_to(np.float32(0), (4, 2))
    assert _sum(readonly, True, part)[1].tolist() == [1, 1]  # cannot take it in place: a new array
    wide = np.zeros((4, 2), np.float64)
    assert _sum(wide, True, part).dtype == np.float64 and not wide.any()  # dtype differs: NumPy's rule
    both = _sum(SliceGrad(np, (4, 2), 0, np.ones(2, np.float32)), False, part)
    np.testing.assert_array_equal(both, [[1, 1], [1, 1], [0, 0], [0, 0]])


def test_negative_and_zero_steps_raise_like_torch():
    for fw in (pn, torch):
        x = fw.ones(5, 4)
        for index in [
            (slice(None, None, -1),),
            (slice(None), slice(None, None, -2)),
            ([0, 1], slice(None, None, -1)),
        ]:
            with pytest.raises(ValueError, match="step must be greater than zero"):
                x[index]
            with pytest.raises(ValueError, match="step must be greater than zero"):
                x[index] = 1.0
        with pytest.raises(ValueError):
            x[::0]
    np.testing.assert_array_equal(pn.arange(4).flip(0).numpy(), [3, 2, 1, 0])  # flip still reverses
