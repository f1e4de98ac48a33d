"""F.binary_cross_entropy and F.binary_cross_entropy_with_logits (one node each, autograd/binary_loss.py)
against torch: values, both gradients, weight and pos_weight, every reduction, second
derivatives, the clamped ends, what backward reads after a change, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
P = RNG.uniform(0.02, 0.98, (6, 4)).astype(np.float32)
P_EDGES = P.copy()
P_EDGES[0, 0], P_EDGES[1, 1], P_EDGES[2, 2], P_EDGES[3, 3] = 0.0, 1.0, 1e-30, 1 - 1e-7
Y = RNG.uniform(0, 1, (6, 4)).astype(np.float32)
Y[0, 1], Y[1, 0], Y[2, 3] = 0.0, 1.0, 1.0
Z = RNG.normal(0, 3, (6, 4)).astype(np.float32)
Z[0, 0], Z[1, 1], Z[2, 2] = 0.0, 95.0, -95.0
W = RNG.uniform(0.5, 2, (4,)).astype(np.float32)
PW = RNG.uniform(0.5, 3, (4,)).astype(np.float32)


def _run(lib, fn, x, y, reduction, weight=None, pos_weight=None, dtype="float32"):
    x = lib.tensor(x.astype(dtype), requires_grad=True)
    y = lib.tensor(y.astype(dtype), requires_grad=True)
    kw = {} if weight is None else {"weight": lib.tensor(weight.astype(dtype))}
    if pos_weight is not None:
        kw["pos_weight"] = lib.tensor(pos_weight.astype(dtype))
    loss = getattr(lib.nn.functional, fn)(x, y, reduction=reduction, **kw)
    (loss.sum() if reduction == "none" else loss * 1.5).backward()
    return loss.detach().numpy(), x.grad.numpy(), y.grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("probs", [P, P_EDGES], ids=["interior", "edges"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_values_and_gradients_match_torch(reduction, weighted, probs, dtype):
    w = W if weighted else None
    want = _run(torch, "binary_cross_entropy", probs, Y, reduction, w, dtype=dtype)
    got = _run(pn, "binary_cross_entropy", probs, Y, reduction, w, dtype=dtype)
    for g, t in zip(got, want):
        assert g.dtype == t.dtype
        np.testing.assert_allclose(g, t, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, W])
@pytest.mark.parametrize("pos_weight", [None, PW])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_with_logits_matches_torch(reduction, weight, pos_weight, dtype):
    want = _run(torch, "binary_cross_entropy_with_logits", Z, Y, reduction, weight, pos_weight, dtype)
    got = _run(pn, "binary_cross_entropy_with_logits", Z, Y, reduction, weight, pos_weight, dtype)
    for g, t in zip(got, want):
        assert g.dtype == t.dtype
        np.testing.assert_allclose(g, t, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("pos_weight", [None, PW])
def test_second_derivatives_match_torch(pos_weight):
    def grads(lib):
        out = []
        for fn, x in (("binary_cross_entropy", P), ("binary_cross_entropy_with_logits", Z)):
            xt = lib.tensor(x, requires_grad=True)
            yt = lib.tensor(Y, requires_grad=True)
            kw = {}
            if pos_weight is not None and fn.endswith("logits"):
                kw["pos_weight"] = lib.tensor(pos_weight)
            loss = getattr(lib.nn.functional, fn)(xt, yt, **kw)
            gx, gy = lib.autograd.grad(loss, (xt, yt), create_graph=True)
            out += [a.numpy() for a in lib.autograd.grad((gx * gx).sum() + gy.sum(), (xt, yt))]
        return out

    for g, t in zip(grads(pn), grads(torch)):
        np.testing.assert_allclose(g, t, rtol=1e-4, atol=1e-6)


def test_node_names_and_edges_are_torchs():
    for lib in (pn, torch):
        z = lib.tensor(Z, requires_grad=True)
        y = lib.tensor(Y)
        loss = lib.nn.functional.binary_cross_entropy(lib.sigmoid(z), y)
        assert type(loss.grad_fn).__name__ == "BinaryCrossEntropyBackward0"
        assert [type(n).__name__ for n, _ in loss.grad_fn.next_functions] == ["SigmoidBackward0", "NoneType"]
        loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y, pos_weight=lib.tensor(PW))
        assert type(loss.grad_fn).__name__ == "BinaryCrossEntropyWithLogitsBackward0"
        assert [type(n).__name__ for n, _ in loss.grad_fn.next_functions] == ["AccumulateGrad", "NoneType"]


@pytest.mark.parametrize("fn", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("shape", [(6, 1, 4), (2, 6, 1)])
def test_a_weight_that_would_widen_the_losses_is_torchs_runtime_error(fn, shape):
    for lib in (pn, torch):
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            getattr(lib.nn.functional, fn)(lib.tensor(P[:, :4]), lib.tensor(Y), weight=lib.ones(shape))


@pytest.mark.parametrize("shape", [(2, 4), (4, 1), (5,)])
def test_a_weight_that_does_not_broadcast_is_a_runtime_error(shape):
    for lib in (pn, torch):
        for fn in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
            with pytest.raises(RuntimeError):
                getattr(lib.nn.functional, fn)(lib.tensor(P), lib.tensor(Y), weight=lib.ones(shape))
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        pn.nn.functional.binary_cross_entropy_with_logits(
            pn.tensor(P), pn.tensor(Y), pos_weight=pn.ones(shape)
        )


def test_a_pos_weight_that_would_widen_the_losses_is_torchs_runtime_error():
    for lib in (pn, torch):
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            lib.nn.functional.binary_cross_entropy_with_logits(
                lib.tensor(Z[0]), lib.tensor(Y[0]), pos_weight=lib.ones(3, 4)
            )


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan")])
def test_probabilities_out_of_range_are_runtime_errors(bad):
    for lib in (pn, torch):
        p = lib.tensor([0.5, bad])
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            lib.nn.functional.binary_cross_entropy(p, lib.tensor([1.0, 0.0]))
        with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
            lib.nn.functional.binary_cross_entropy(lib.tensor([0.5, 0.5]), p)


def test_empty_batches_give_nan_means_and_zero_sums():
    for fn in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        for reduction in ("mean", "sum"):
            got = getattr(pn.nn.functional, fn)(pn.zeros(0), pn.zeros(0), reduction=reduction)
            want = getattr(torch.nn.functional, fn)(torch.zeros(0), torch.zeros(0), reduction=reduction)
            np.testing.assert_equal(got.item(), want.item())


def test_logits_with_a_float64_target_give_a_float64_loss_as_torch():
    for lib in (pn, torch):
        z = lib.tensor(Z, requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy_with_logits(z, lib.tensor(Y.astype(np.float64)))
        loss.backward()
        assert str(loss.dtype).endswith("float64") and str(z.grad.dtype).endswith("float32")


@pytest.mark.parametrize("fn,x", [("binary_cross_entropy", P), ("binary_cross_entropy_with_logits", Z)])
def test_backward_reads_the_input_as_it_is_after_a_data_change(fn, x):
    """torch's node saves the input tensor: a change through .data (no version) shows in the gradient."""
    grads = []
    for lib in (pn, torch):
        t = lib.tensor(x, requires_grad=True)
        loss = getattr(lib.nn.functional, fn)(t, lib.tensor(Y))
        t.data.mul_(0.5)
        loss.backward()
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("changed", ["weight", "target"])
def test_an_in_place_change_of_what_the_node_saved_is_torchs_error(changed):
    for lib in (pn, torch):
        z = lib.tensor(Z, requires_grad=True)
        y, w = lib.tensor(Y), lib.tensor(W)
        loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y, weight=w)
        {"weight": w, "target": y}[changed].add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
