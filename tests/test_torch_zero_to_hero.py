"""Idioms of Karpathy's "Neural Networks: Zero to Hero" notebooks (micrograd, makemore, the
"backprop ninja" exercise, nanoGPT), run under pyneuro and torch. The full notebooks run as
tests/scripts/zth_*.py; these are the rules they found, each checked against torch."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((32, 64)).astype(np.float32), rng.standard_normal((32, 64)).astype(np.float32)


@pytest.mark.parametrize(
    "name, op, torch_backward",
    [
        ("tanh", lambda fw, x: fw.tanh(x), "tanh_backward"),
        ("sigmoid", lambda fw, x: fw.sigmoid(x), "sigmoid_backward"),
        ("F.tanh", lambda fw, x: fw.nn.functional.tanh(x), "tanh_backward"),
        ("nn.Sigmoid", lambda fw, x: fw.nn.Sigmoid()(x), "sigmoid_backward"),
    ],
)
def test_activation_gradient_is_torchs_to_the_bit(name, op, torch_backward):
    """Given the same output y, the gradient is torch's kernel's to the last bit: tanh's
    g * (1 - y*y) with 1 - y*y rounded once (torch fuses it into an fma), sigmoid's
    g * (1 - y) * y in that order."""
    x0, g0 = _batch()
    x = pn.tensor(x0, requires_grad=True)
    y = op(pn, x)
    y.backward(pn.tensor(g0))
    expected = getattr(torch.ops.aten, torch_backward)(torch.tensor(g0), torch.tensor(y.detach().numpy()))
    np.testing.assert_array_equal(x.grad.numpy(), expected.numpy())


def test_hand_written_tanh_backward_is_close_but_not_exact_as_in_torch():
    """backprop ninja: `dhpreact = (1.0 - h**2) * dh` against hpreact.grad prints
    exact: False, approximate: True under torch; so it must here."""

    def run(fw):
        x0, g0 = _batch()
        hpreact = fw.tensor(x0, requires_grad=True)
        h = fw.tanh(hpreact)
        dh = fw.tensor(g0)
        h.backward(dh)
        dhpreact = (1.0 - h**2) * dh
        return (
            fw.all(dhpreact == hpreact.grad).item(),
            fw.allclose(dhpreact, hpreact.grad),
            (dhpreact - hpreact.grad).abs().max().item() > 0,
        )

    assert run(pn) == run(torch) == (False, True, True)


def test_histogram_of_a_tensor_that_requires_grad_is_in_the_graph_as_torchs():
    """makemore part 3 plots `hy, hx = torch.histogram(t, density=True)` of activations that
    require grad, with `hx[:-1].detach(), hy.detach()`: torch's outputs require grad
    (grad_fn=<NotImplemented>), so numpy() (what plt.plot calls) refuses them undetached and
    backward through them raises."""

    def run(fw):
        fw.manual_seed(0)
        t = fw.tanh(fw.randn(200, requires_grad=True))
        hy, hx = fw.histogram(t, density=True)
        with pytest.raises(RuntimeError, match="Can't call numpy"):
            hy.numpy()
        with pytest.raises(RuntimeError, match="derivative for aten::histogram is not implemented"):
            hy.sum().backward()
        with fw.no_grad():
            plain = fw.histogram(t, bins=5)
        return (
            repr(hy[:3]).replace("pyneuro", "torch"),
            type(hx.grad_fn).__name__,
            hx.requires_grad,
            np.round(hx[:-1].detach().numpy()[:3], 5).tolist(),
            plain.hist.requires_grad,
            fw.histogram(t.detach(), bins=5).hist.requires_grad,
        )

    assert run(pn) == run(torch)
