"""The batch-loss pair of the kernel table: cross_entropy_reduced (the mean or sum of the
per-sample losses in one call) and cross_entropy_backward_scaled (the backward with one
gradient for every row), which F.cross_entropy's 'mean' and 'sum' use where a table has them; and the two in one call,
cross_entropy_reduced_grad, which F.cross_entropy's forward uses when the logits require grad
(its gradient then serves a backward from 1).

Checked on every CPU table that has them: the value against the per-row losses summed in
float64 on awkward shapes, the backward bit for bit against cross_entropy_backward with a
full grad_losses, the same errors as the per-row entries, the same bits for any thread
count, and through autograd: the gradient of F.cross_entropy bit for bit that of the path
without the pair, and its value and gradient against torch's."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import backends

SHAPES = [(0, 3), (1, 1), (1, 10), (3, 2), (7, 33), (128, 10), (129, 10), (64, 1000)]


def _table(bk):
    """Every CPU table has the pair (protocol.py); only the GPU tables reduce in Python."""
    for name in ("cross_entropy_reduced", "cross_entropy_backward_scaled", "cross_entropy_reduced_grad"):
        assert hasattr(bk, name), (bk.NAME, name)
    return bk


def _inputs(seed, rows, cols, scale=3.0):
    rng = np.random.default_rng(seed)
    logits = (scale * rng.standard_normal((rows, cols))).astype(np.float32)
    targets = rng.integers(0, cols, rows).astype(np.int64)
    return logits, targets


@pytest.mark.parametrize("rows, cols", SHAPES)
def test_reduced_is_the_mean_or_sum_of_the_per_row_losses(cpu_device_backend, rows, cols):
    bk = _table(cpu_device_backend)
    logits, targets = _inputs(rows * 31 + cols, rows, cols)
    losses = bk.cross_entropy_forward(logits, targets).astype(np.float64)
    for mean in (True, False):
        got = bk.cross_entropy_reduced(logits, targets, mean)
        assert isinstance(got, np.ndarray) and got.shape == () and got.dtype == np.float32
        if mean and rows == 0:
            assert np.isnan(got)  # torch: the mean of no samples is nan
            continue
        want = losses.sum() / rows if mean else losses.sum()
        np.testing.assert_allclose(float(got), want, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("rows, cols", SHAPES)
@pytest.mark.parametrize("scale", [1.0 / 128, 1.0, -2.5, 0.0])
def test_backward_scaled_is_backward_with_a_full_grad_losses_bit_for_bit(
    cpu_device_backend, rows, cols, scale
):
    bk = _table(cpu_device_backend)
    logits, targets = _inputs(rows * 7 + cols, rows, cols)
    got = bk.cross_entropy_backward_scaled(logits, targets, scale)
    want = bk.cross_entropy_backward(logits, targets, np.full(rows, scale, np.float32))
    assert got.shape == logits.shape and got.dtype == np.float32
    assert np.array_equal(got, want)


@pytest.mark.parametrize("rows, cols", SHAPES)
def test_reduced_grad_is_the_pair_in_one_call_bit_for_bit(cpu_device_backend, rows, cols):
    bk = _table(cpu_device_backend)
    logits, targets = _inputs(rows * 13 + cols, rows, cols)
    for mean in (True, False):
        loss, grad = bk.cross_entropy_reduced_grad(logits, targets, mean)
        want_loss = bk.cross_entropy_reduced(logits, targets, mean)
        # the gradient of the loss itself: 1 / rows for the mean (the backward's float(g) / n)
        want_grad = bk.cross_entropy_backward_scaled(logits, targets, 1.0 / rows if mean and rows else 1.0)
        assert loss.shape == () and loss.dtype == np.float32
        assert np.array_equal(loss, want_loss, equal_nan=True)
        assert grad.shape == logits.shape and grad.dtype == np.float32
        assert np.array_equal(grad, want_grad)


def test_the_pair_raises_what_the_per_row_entries_raise(cpu_device_backend):
    bk = _table(cpu_device_backend)
    logits, targets = _inputs(0, 4, 5)
    calls = {
        "cross_entropy_forward": lambda x, t: bk.cross_entropy_forward(x, t),
        "cross_entropy_reduced": lambda x, t: bk.cross_entropy_reduced(x, t, True),
        "cross_entropy_backward_scaled": lambda x, t: bk.cross_entropy_backward_scaled(x, t, 0.25),
        "cross_entropy_reduced_grad": lambda x, t: bk.cross_entropy_reduced_grad(x, t, True),
    }
    bad = [
        (IndexError, logits, np.array([0, 1, 5, 2])),  # a target past the classes
        (IndexError, logits, np.array([0, -1, 2, 2])),
        (TypeError, logits, targets.astype(np.float32)),  # targets that are not integers
        (ValueError, logits, targets[:3]),  # not one per row
        (ValueError, logits[0], targets),  # 1-D logits
        (TypeError, logits.tolist(), targets),  # not an array
    ]
    for error, x, t in bad:
        for name, call in calls.items():
            with pytest.raises(error) as info:
                call(x, t)
            if error is IndexError:
                assert "out of bounds" in str(info.value), name


def test_the_reduced_loss_has_the_same_bits_for_any_thread_count():
    bk = backends.get("cpu") if backends.status("cpu").available else None
    if bk is None:
        pytest.skip("the cpu backend is not built")
    logits, targets = _inputs(5, 4096, 256)  # 1M exps: above kParallelMinWork, so the rows are split
    before = pn.get_num_threads()
    try:
        pn.set_num_threads(1)
        one = bk.cross_entropy_reduced(logits, targets, True)
        pn.set_num_threads(max(2, before))
        many = bk.cross_entropy_reduced(logits, targets, True)
    finally:
        pn.set_num_threads(before)
    assert np.array_equal(one, many)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_gives_the_gradient_of_the_path_without_the_pair(backend_name, monkeypatch, reduction):
    bk = backends.current("cpu")
    _table(bk)
    logits, targets = _inputs(11, 37, 10)

    def loss_and_grad():
        x = pn.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, pn.tensor(targets), reduction=reduction)
        (loss * 3.0).backward()  # an upstream gradient other than 1
        return loss.item(), x.grad.numpy().copy()

    fast_loss, fast_grad = loss_and_grad()
    monkeypatch.delattr(bk, "cross_entropy_reduced")
    monkeypatch.delattr(bk, "cross_entropy_backward_scaled")
    monkeypatch.delattr(bk, "cross_entropy_reduced_grad")
    slow_loss, slow_grad = loss_and_grad()
    assert np.array_equal(fast_grad, slow_grad)
    assert fast_loss == pytest.approx(slow_loss, rel=2e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_matches_torch(backend_name, reduction):
    torch = pytest.importorskip("torch")
    logits, targets = _inputs(3, 129, 10)
    x = pn.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, pn.tensor(targets), reduction=reduction)
    loss.backward()
    tx = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(targets), reduction=reduction)
    tloss.backward()
    assert loss.shape == () and loss.dtype == pn.float32
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    empty = F.cross_entropy(pn.zeros(0, 10), pn.tensor(np.zeros(0, np.int64)), reduction=reduction)
    assert np.isnan(empty.item()) if reduction == "mean" else empty.item() == 0.0


def _fused_calls(monkeypatch, bk):
    """Count the calls of bk.cross_entropy_reduced_grad (which still runs)."""
    calls = []
    real = bk.cross_entropy_reduced_grad

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bk, "cross_entropy_reduced_grad", counted)
    return calls


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_backward_from_one_gets_the_gradient_forward_computed_bit_for_bit(
    backend_name, monkeypatch, reduction
):
    bk = _table(backends.current("cpu"))
    logits, targets = _inputs(17, 128, 10)

    def grads(how):
        x = pn.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, pn.tensor(targets), reduction=reduction)
        if how == "backward":
            loss.backward()
            return x.grad.numpy().copy()
        if how == "grad":
            return pn.autograd.grad(loss, x)[0].numpy().copy()
        loss.backward(pn.tensor(np.float32(1.0)))  # an explicit gradient of 1
        return x.grad.numpy().copy()

    calls = _fused_calls(monkeypatch, bk)
    fused = {how: grads(how) for how in ("backward", "grad", "explicit")}
    assert len(calls) == 3
    monkeypatch.delattr(bk, "cross_entropy_reduced_grad")
    plain = grads("backward")
    for how, got in fused.items():
        assert np.array_equal(got, plain), how


def test_only_a_loss_whose_logits_need_a_gradient_computes_it_in_forward(backend_name, monkeypatch):
    bk = _table(backends.current("cpu"))
    calls = _fused_calls(monkeypatch, bk)
    logits, targets = _inputs(19, 16, 10)
    t = pn.tensor(targets)
    F.cross_entropy(pn.tensor(logits), t)  # no gradient wanted
    x = pn.tensor(logits, requires_grad=True)
    with pn.no_grad():
        F.cross_entropy(x, t)
    assert calls == []
    F.cross_entropy(x, t)
    assert calls == [1]


def test_the_forward_gradient_serves_one_backward_and_later_ones_compute_again(backend_name):
    logits, targets = _inputs(23, 33, 10)
    x = pn.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, pn.tensor(targets))
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad.zero_()  # the first gradient's array, changed in place by its new owner
    loss.backward(retain_graph=True)
    assert np.array_equal(x.grad.numpy(), first)
    (loss * 2.0).backward()  # an upstream gradient other than 1: the backward kernel
    np.testing.assert_allclose(x.grad.numpy(), 3 * first, rtol=1e-6, atol=1e-9)


def test_hooks_and_double_backward_see_the_loss_as_before(backend_name):
    torch = pytest.importorskip("torch")
    logits, targets = _inputs(29, 12, 5)
    x = pn.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, pn.tensor(targets))
    loss.register_hook(lambda g: g * 4.0)  # the node then gets 4, not 1
    loss.backward()
    tx = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(targets))
    tloss.register_hook(lambda g: g * 4.0)
    tloss.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    # create_graph: the graph's own rule, then a second derivative, as torch's
    x = pn.tensor(logits, requires_grad=True)
    (gx,) = pn.autograd.grad(F.cross_entropy(x, pn.tensor(targets)), x, create_graph=True)
    (gx * gx).sum().backward()
    tx = torch.tensor(logits, requires_grad=True)
    (tgx,) = torch.autograd.grad(
        torch.nn.functional.cross_entropy(tx, torch.tensor(targets)), tx, create_graph=True
    )
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-6)
