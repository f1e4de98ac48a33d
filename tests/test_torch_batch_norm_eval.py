"""Eval-mode batch norm (one RunningNorm node, autograd/norm.py) and the running statistics'
update in training, against torch: values, gradients of input, weight and bias, second
derivatives, and what a change of the saved tensors does."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)


def _module(lib, kind, c, affine, track=True):
    lib.manual_seed(0)
    m = getattr(lib.nn, kind)(c, affine=affine, track_running_stats=track)
    with lib.no_grad():
        if affine:
            m.weight.copy_(lib.tensor(RNG_W[:c]))
            m.bias.copy_(lib.tensor(RNG_B[:c]))
    return m


RNG_W = RNG.uniform(0.5, 2, 8).astype(np.float32)
RNG_B = RNG.normal(0, 1, 8).astype(np.float32)
SHAPES = {"BatchNorm1d": [(6, 5), (4, 5, 7)], "BatchNorm2d": [(3, 5, 4, 6)], "BatchNorm3d": [(2, 5, 3, 2, 4)]}
CASES = [(kind, shape) for kind, shapes in SHAPES.items() for shape in shapes]


def _train_then_eval(lib, kind, shape, affine, steps=3, momentum=0.1):
    m = _module(lib, kind, shape[1], affine)
    m.momentum = momentum
    for i in range(steps):  # training moves the running statistics
        m(lib.tensor(RNG_X[i][: np.prod(shape)].reshape(shape) * (i + 1) + i))
    m.eval()
    x = lib.tensor(RNG_X[steps][: np.prod(shape)].reshape(shape), requires_grad=True)
    out = m(x)
    (out * lib.tensor(RNG_X[steps + 1][: np.prod(shape)].reshape(shape))).sum().backward()
    grads = [x.grad] + ([m.weight.grad, m.bias.grad] if affine else [])
    stats = [m.running_mean, m.running_var, m.num_batches_tracked]
    return [t.detach().numpy() for t in [out, *grads, *stats]]


RNG_X = [RNG.normal(0, 1, 512).astype(np.float32) for _ in range(6)]


@pytest.mark.parametrize("kind,shape", CASES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_eval_forward_backward_and_running_statistics_match_torch(kind, shape, affine, momentum):
    got = _train_then_eval(pn, kind, shape, affine, momentum=momentum)
    want = _train_then_eval(torch, kind, shape, affine, momentum=momentum)
    for g, t in zip(got, want):
        assert g.shape == t.shape
        np.testing.assert_allclose(g, t, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("weight,bias", [(True, True), (True, False), (False, True), (False, False)])
def test_functional_eval_with_either_parameter_and_second_derivatives(weight, bias):
    def run(lib):
        x = lib.tensor(RNG_X[0][:60].reshape(4, 3, 5), requires_grad=True)
        w = lib.tensor(RNG_W[:3], requires_grad=True) if weight else None
        b = lib.tensor(RNG_B[:3], requires_grad=True) if bias else None
        rm, rv = lib.tensor(RNG_B[3:6]), lib.tensor(RNG_W[3:6])
        out = lib.nn.functional.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3)
        leaves = [t for t in (x, w, b) if t is not None]
        grads = lib.autograd.grad((out * out).sum(), leaves, create_graph=True)
        if bias and not weight:  # (torch's own double backward fails there: an undefined weight)
            return [out.detach().numpy()] + [g.detach().numpy() for g in grads]
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), leaves, allow_unused=True)
        return (
            [out.detach().numpy()]
            + [g.detach().numpy() for g in grads]
            + [None if g is None else g.numpy() for g in second]
        )

    for g, t in zip(run(pn), run(torch)):
        if t is None:
            assert g is None or not np.any(g)
        else:
            np.testing.assert_allclose(g, t, rtol=2e-5, atol=1e-5)


def test_node_name_and_edges_are_torchs():
    for lib in (pn, torch):
        m = _module(lib, "BatchNorm1d", 5, True).eval()
        out = m(lib.randn(4, 5, requires_grad=True))
        assert type(out.grad_fn).__name__ == "NativeBatchNormBackward0"
        assert [type(n).__name__ for n, _ in out.grad_fn.next_functions] == ["AccumulateGrad"] * 3


@pytest.mark.parametrize("changed", ["running_mean", "running_var", "weight"])
def test_changing_a_saved_tensor_after_an_eval_forward_is_torchs_error(changed):
    for lib in (pn, torch):
        m = _module(lib, "BatchNorm1d", 5, True).eval()
        out = m(lib.randn(4, 5, requires_grad=True))
        with lib.no_grad():
            getattr(m, changed).add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_two_training_forwards_then_one_backward_runs_as_in_torch():
    """The running statistics' update counts no version (torch's kernel's): both backwards run."""
    for lib in (pn, torch):
        m = _module(lib, "BatchNorm1d", 5, True)
        x = lib.randn(6, 5, requires_grad=True)
        (m(x).sum() + m(x * 2).sum()).backward()
        assert x.grad is not None


def test_mixed_dtypes_keep_the_composite_path():
    """A half input with float parameters: torch's CPU kernel takes it, so does the other path."""
    m = pn.nn.BatchNorm1d(3).eval()
    t = torch.nn.BatchNorm1d(3).eval()
    x = RNG_X[0][:12].reshape(4, 3).astype(np.float16)
    with pn.no_grad(), torch.no_grad():
        got, want = m(pn.tensor(x)), t(torch.tensor(x))
    assert str(got.dtype).endswith("float16") and str(want.dtype).endswith("float16")
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=2e-3, atol=2e-3)
