"""The losses' weighting options, side by side with torch: BCE's weight=, BCE-with-logits'
pos_weight= (imbalanced labels), mse/l1/huber's weight=, and the deprecated size_average/reduce."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((4, 3)).astype(np.float32) * 3
LABELS = (RNG.random((4, 3)) > 0.5).astype(np.float32)
FULL_WEIGHT = RNG.random((4, 3)).astype(np.float32)


def run(L, fn, x, **kwargs):
    """(loss values, input gradient) of fn on x with library L."""
    xt = L.tensor(x, requires_grad=True)
    kwargs = {k: L.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    loss = fn(L)(xt, L.tensor(LABELS), **kwargs)
    loss.sum().backward()
    return loss.detach().numpy(), xt.grad.numpy()


def same(fn, x, **kwargs):
    for p, t in zip(run(pn, fn, x, **kwargs), run(torch, fn, x, **kwargs)):
        np.testing.assert_allclose(p, t, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "weights",
    [{}, {"pos_weight": np.array([3.0, 0.5, 1.0], np.float32)}, {"weight": np.array([1.0, 2.0, 0.0], np.float32)},
     {"weight": FULL_WEIGHT, "pos_weight": np.array([[2.0, 1.0, 0.25]], np.float32)}],
)  # fmt: skip
def test_bce_with_logits_weights(reduction, weights):
    same(lambda L: L.nn.functional.binary_cross_entropy_with_logits, LOGITS, reduction=reduction, **weights)

    def module(L):
        made = {k: L.tensor(v) for k, v in weights.items()}
        return L.nn.BCEWithLogitsLoss(reduction=reduction, **made)

    same(module, LOGITS)
    assert sorted(module(pn).state_dict()) == sorted(module(torch).state_dict())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "weights", [{}, {"weight": np.array([1.0, 2.0, 0.5], np.float32)}, {"weight": FULL_WEIGHT}]
)
def test_bce_weight(reduction, weights):
    probs = 1 / (1 + np.exp(-LOGITS))
    same(lambda L: L.nn.functional.binary_cross_entropy, probs, reduction=reduction, **weights)
    module = lambda L: L.nn.BCELoss(reduction=reduction, **{k: L.tensor(v) for k, v in weights.items()})
    same(module, probs)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pointwise_losses_weight(name, reduction):
    same(lambda L: getattr(L.nn.functional, name), LOGITS, reduction=reduction, weight=FULL_WEIGHT)
    for L in (torch, pn):
        with pytest.raises(ValueError, match="same size"):
            getattr(L.nn.functional, name)(L.ones(4, 3), L.ones(4, 3), weight=L.ones(3))


@pytest.mark.parametrize(
    ("legacy", "reduction"),
    [
        ({"size_average": False}, "sum"),
        ({"reduce": False}, "none"),
        ({"size_average": True, "reduce": True}, "mean"),
    ],
)
def test_size_average_and_reduce_warn_and_map_to_reduction(legacy, reduction):
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "binary_cross_entropy_with_logits"):
        with pytest.warns(UserWarning, match=f"reduction='{reduction}'"):
            same(lambda L: getattr(L.nn.functional, name), LOGITS, **legacy)
    with pytest.warns(UserWarning):
        assert pn.nn.MSELoss(**legacy).reduction == reduction


def test_bce_with_logits_gradient_at_zero_logits_is_sigmoid_minus_target():
    """A model whose logits start at exactly 0 (zero-initialised logistic regression) must get
    sigmoid(0) - y = -0.5 / +0.5, not the 0 / 1 of max(z, 0)'s kink."""
    for pos_weight in (None, pn.tensor([2.0, 2.0])):
        z = pn.zeros(2, requires_grad=True)
        loss = pn.nn.functional.binary_cross_entropy_with_logits(
            z, pn.tensor([1.0, 0.0]), reduction="sum", pos_weight=pos_weight
        )
        loss.backward()
        expected = [-1.0, 0.5] if pos_weight is not None else [-0.5, 0.5]
        np.testing.assert_allclose(z.grad.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(float(loss), np.log(2) * 3, rtol=1e-6)


def test_loss_corner_cases_as_torch():
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (pn, torch):
        F = lib.nn.functional
        out = []
        for f in (
            lambda a, b: F.smooth_l1_loss(a, b),
            lambda a, b: F.smooth_l1_loss(a, b, beta=0.5),
            lambda a, b: F.huber_loss(a, b, delta=2.0),
        ):
            x = lib.tensor([float("inf"), -float("inf"), 0.3, 5.0, float("nan"), 1.0], requires_grad=True)
            t = lib.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 2.0], requires_grad=True)
            f(x, t).backward()  # (an infinite error's gradient is +-1, not NaN)
            out.append((np.round(x.grad.numpy(), 6).tolist(), np.round(t.grad.numpy(), 6).tolist()))
        lib.manual_seed(0)
        x, c = lib.randn(3, 4), lib.tensor([0, 1, 2])
        out.append(round(F.cross_entropy(x, c, label_smoothing=-0.1).item(), 5))  # (smooths nothing)
        for bad in (
            lambda: F.cross_entropy(x, c, weight=lib.ones(4, requires_grad=True)),
            lambda: F.nll_loss(x, c, weight=lib.ones(4, requires_grad=True)),
            lambda: F.binary_cross_entropy(lib.rand(3), lib.rand(3), weight=lib.ones(3, requires_grad=True)),
            lambda: F.binary_cross_entropy_with_logits(
                x, lib.rand(3, 4), pos_weight=lib.ones(4, requires_grad=True)
            ),
        ):
            with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
                bad()
        with pytest.raises(ValueError, match="margin must be greater than 0"):
            F.triplet_margin_loss(x, x, x, margin=0)
        outcomes.append(out)
    assert str(outcomes[0]) == str(outcomes[1])


def test_losses_raise_no_numpy_warning_under_a_users_error_filter():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (torch never warns for inf * 0 in a loss)
        F = pn.nn.functional
        assert F.kl_div(pn.tensor([-1.0, -2.0]), pn.tensor([0.0, 0.5]), reduction="sum").item() > 0
        assert F.poisson_nll_loss(pn.tensor([1.0, 2.0]), pn.tensor([0.0, 3.0]), full=True).item() > 0
        assert pn.tensor([float("inf")]).mul(0).isnan().all()


@pytest.mark.parametrize(
    "shape, target, kwargs",
    [((2, 3), [0, -100], {}), ((2, 3), [0, 2], {"ignore_index": 2, "reduction": "sum"}),
     ((2, 3), [-100, -100], {}), ((2, 3), [1, -100], {"weight": np.array([1.0, 2.0, 0.5], np.float32)}),
     ((2, 3), [0, 1], {"weight": np.array([0.0, 1.0, 1.0], np.float32)}),
     ((1, 3, 2, 2), [[[0, -100], [1, 2]]], {}), ((1, 3, 2, 2), [[[0, 7], [7, 2]]], {"ignore_index": 7})],
)  # fmt: skip
def test_cross_entropy_gradient_of_ignored_targets_is_positive_zero(shape, target, kwargs):
    """An ignored target's row gets +0 gradients, as torch's log_softmax + nll_loss gives (the
    fused kernel's (p - 1) * 0 was -0, printed "-0.0000"); a zero class weight still gives -0."""
    grads, printed = [], []
    for L in (pn, torch):
        x = L.zeros(*shape, requires_grad=True)
        kw = {k: L.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        L.nn.functional.cross_entropy(x, L.tensor(target), **kw).backward()
        grads.append(x.grad.numpy())
        printed.append(str(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(np.signbit(grads[0]), np.signbit(grads[1]))
    assert printed[0] == printed[1]
