"""The course's own checks, run with pyneuro (the numbers come from the course notebooks)."""

from __future__ import annotations

import numpy as np

import pyneuro as pn


def test_dot_product_is_6(backend_name):
    a = pn.tensor([2.0, -1.0])
    b = pn.tensor([1.5, -3.0])
    assert (a @ b).item() == 6.0
    assert pn.matmul(a, b).item() == 6.0
    assert (a * b).sum().item() == 6.0


def test_mse_value(backend_name):
    y_pred = pn.tensor([2.71, 8.28, 1.83])
    y = pn.tensor([3.14, 1.59, 2.65])
    loss = pn.nn.MSELoss()(y_pred, y)
    assert abs(loss.item() - 15.2045) < 1e-4
    assert abs(pn.functional.mse_loss(y_pred, y).item() - 15.2045) < 1e-4
    assert abs(((y_pred - y) ** 2).mean().item() - 15.2045) < 1e-4


def test_softmax_values_and_stability(backend_name):
    import pyneuro.functional as F

    x = pn.tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(F.softmax(x, dim=0).numpy(), [0.0900, 0.2447, 0.6652], atol=1e-4)
    big = F.softmax(x * 50, dim=0).numpy()
    assert np.isfinite(big).all()
    np.testing.assert_allclose(big.sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(
        F.softmax(pn.tensor([[1.0, 2.0, 3.0]]), dim=-1).numpy()[0], [0.0900, 0.2447, 0.6652], atol=1e-4
    )


def test_gradient_of_f_and_accumulation(backend_name):
    x1 = pn.tensor(1.0, requires_grad=True)
    x2 = pn.tensor(2.0, requires_grad=True)

    def f():
        return 2 * x1 + x2**2 + 5

    f().backward()
    assert (x1.grad.item(), x2.grad.item()) == (2.0, 4.0)
    f().backward()  # gradients accumulate across backward calls
    assert (x1.grad.item(), x2.grad.item()) == (4.0, 8.0)
    # the same with one graph kept alive
    x = pn.tensor([1.0, 2.0], requires_grad=True)
    y = 2 * x[0] + x[1] ** 2 + 5
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_design_seed_example_runs_with_only_the_import_changed(backend_name):
    import pyneuro as torch_like  # the only change: `import torch` -> `import pyneuro`
    from pyneuro import nn, optim

    torch_like.manual_seed(0)
    x = torch_like.randn(64, 3)
    y = x @ torch_like.tensor([[2.0], [-1.0], [0.5]]) + 0.25

    model = nn.Linear(3, 1)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for _ in range(300):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]
    np.testing.assert_allclose(model.weight.detach().numpy(), [[2.0, -1.0, 0.5]], atol=0.15)
