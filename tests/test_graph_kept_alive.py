"""A graph kept alive after backward holds no activations (`losses.append(loss)`, a student's habit).

torch frees what its nodes saved at backward, and its view and identity nodes hold sizes, not
tensors: a loop that keeps every step's loss tensor grows by a few hundred KB a step. pyneuro's
nodes let go of their non-leaf inputs at backward too (Function.release); these nets exercise the
nodes that save nothing but held their input anyway (Named of a composed op, Clone, Reshape) and
the arrays a composition keeps to follow `.data =` (autograd/stand_in.py).
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest

import pyneuro as pn
import pyneuro.nn.functional as F
from pyneuro import nn

NETS = {  # (model, input shape): about 4 MB of activations per layer and step
    "batchnorm1d": (
        lambda: nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 10)),
        (4096, 784),
    ),
    "groupnorm_conv1d_flatten": (
        lambda: nn.Sequential(nn.GroupNorm(4, 16), nn.Conv1d(16, 8, 3), nn.Flatten(), nn.Linear(8 * 998, 10)),
        (64, 16, 1000),
    ),
    "conv2d_pool_flatten": (
        lambda: nn.Sequential(
            nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 13 * 13, 10)
        ),
        (512, 1, 28, 28),
    ),
}


def _grown_over_four_steps(step) -> int:
    """Bytes still allocated after four more calls of step() (two first: caches, first gradients)."""
    for _ in range(2):
        step()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(4):
            step()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", list(NETS))
def test_losses_kept_in_a_list_hold_no_activations(name):
    make, shape = NETS[name]
    pn.manual_seed(0)
    model, losses = make(), []

    def step():
        x, y = pn.randn(*shape), pn.randint(0, 10, (shape[0],))
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        losses.append(loss)

    grown = _grown_over_four_steps(step)
    assert grown / 4 < 512 * 1024, f"{grown / 4 / 2**20:.1f} MB kept per step"  # (it was 2.7-16 MB)
    assert losses[0].grad_fn.next_functions  # the edges stay, as torch's


def test_a_residual_add_kept_alive_holds_no_activation_and_backward_twice_works_as_torchs():
    torch = pytest.importorskip("torch")
    pn.manual_seed(0)
    block, losses = nn.Linear(512, 512), []

    def step():
        x = pn.randn(2048, 512)  # 4 MB
        h = block(x)
        loss = (h + x * 0.5 - h.relu()).mean()  # an Add and a Sub of activations
        loss.backward()
        losses.append(loss)

    grown = _grown_over_four_steps(step)
    assert grown / 4 < 512 * 1024, f"{grown / 4 / 2**20:.1f} MB kept per step"  # (it was 16 MB)
    for lib in (pn, torch):  # nothing saved: a second backward works, broadcasting summed back
        a = lib.ones(3, 1, requires_grad=True)
        b = lib.ones(4, requires_grad=True)
        y = (a - b).sum() + (a + b).sum()
        y.backward()
        y.backward()
        assert a.grad.tolist() == [[16.0], [16.0], [16.0]] and b.grad.tolist() == [0.0] * 4
