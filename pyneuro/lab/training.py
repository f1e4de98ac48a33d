"""check_training: run a student's training loop on a small problem and judge what it did.

The loop under test trains one epoch:

    def train_one_epoch(model, loader, loss_fn, optimizer):
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

check_training builds the model, the data, the loss and the optimizer itself, calls the
loop for a few epochs, and checks the outcome (the training loss fell, the accuracy or the
error reached a floor) *and* the mechanics, which a loop can get wrong while still
lowering the loss a little:

* optimizer.step() once per batch (not never, not once per epoch);
* every step saw fresh gradients: after each step the optimizer here fills .grad with
  NaN; a zero_grad() (or grad = None) before the next backward() removes them, a
  forgotten one lets backward() add into them, and the next step sees NaN;
* backward() ran before each step (a step that finds the NaN untouched, or no gradient
  at all, had nothing to apply).
"""

from __future__ import annotations

import math

import numpy as np

from .. import Generator, from_numpy, full_like, manual_seed, nn, no_grad, optim
from ..data import DataLoader, TensorDataset
from .checks import CheckReport, as_array, finish

__all__ = ["check_training"]


class _WatchedSGD(optim.SGD):
    """SGD that records what each step found in .grad (see the module docstring)."""

    def __init__(self, params, lr):
        self.params = list(params)
        super().__init__(self.params, lr=lr)
        self.steps = self.stale = self.untouched = self.empty = 0
        self.markers = {}

    def _mark(self):
        for p in self.params:
            p.grad = full_like(p.detach(), float("nan"))
            self.markers[id(p)] = (p.grad, p.grad._version)

    def _unchanged(self, p, g) -> bool:
        """g is the NaN marker _mark set, not written since (backward adds into .grad in place,
        bumping its version, as torch's AccumulateGrad)."""
        marker, version = self.markers.get(id(p), (None, None))
        return g is marker and g._version == version

    def step(self, closure=None):
        self.steps += 1
        grads = [(p, p.grad) for p in self.params]
        nan_grads = [(p, g) for p, g in grads if g is not None and np.isnan(as_array(g)).all()]
        if nan_grads:
            if all(self._unchanged(p, g) for p, g in nan_grads):
                self.untouched += 1  # nothing wrote into .grad since the last step
            else:
                self.stale += 1  # backward added into the previous step's gradients
        elif all(g is None or not np.any(as_array(g)) for _, g in grads):
            self.empty += 1
        else:
            super().step(closure)
        self._mark()


def _classification_problem(rng, n=600):
    """Three Gaussian blobs in the plane; a small MLP separates them to ~97%."""
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    y = rng.integers(0, 3, n)
    x = centers[y] + 0.6 * rng.standard_normal((n, 2))
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    return from_numpy(x.astype(np.float32)), from_numpy(y.astype(np.int64)), model, nn.CrossEntropyLoss(), 0.1


def _regression_problem(rng, n=400):
    """y = 2 x1 - 3 x2 + 0.5 x3 + 1 + noise (sd 0.1): a linear layer reaches MSE ~0.01."""
    x = rng.standard_normal((n, 3))
    y = x @ np.array([[2.0], [-3.0], [0.5]]) + 1.0 + 0.1 * rng.standard_normal((n, 1))
    return (
        from_numpy(x.astype(np.float32)),
        from_numpy(y.astype(np.float32)),
        nn.Linear(3, 1),
        nn.MSELoss(),
        0.05,
    )


def _evaluate(model, loss_fn, x, y, task):
    with no_grad():
        out = model(x)
        loss = float(loss_fn(out, y).item())
        if task == "classification":
            return loss, float((as_array(out).argmax(axis=1) == as_array(y)).mean())
    return loss, loss


def check_training(
    loop,
    *,
    task: str = "classification",
    epochs: int = 3,
    min_accuracy: float = 0.9,
    max_mse: float = 0.05,
    batch_size: int = 32,
    seed: int = 0,
    raises: bool = True,
) -> CheckReport:
    """Train with `loop(model, loader, loss_fn, optimizer)` (one epoch per call) and check it.

    Args:
        loop: the student's one-epoch training loop.
        task: "classification" (3 blobs, MLP, cross-entropy; the accuracy must reach
            min_accuracy) or "regression" (a linear rule, nn.Linear, MSE; the training MSE
            must fall to max_mse).
        epochs: calls of loop; batch_size: of the DataLoader; seed: data, weights and order.
        raises: raise CheckFailed when a check fails (default), or return the report.

    Exceptions raised by the loop propagate, so its own traceback shows where it broke.
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    rng = np.random.default_rng(seed)
    manual_seed(seed)
    make = _classification_problem if task == "classification" else _regression_problem
    x, y, model, loss_fn, lr = make(rng)
    loader = DataLoader(
        TensorDataset(x, y), batch_size=batch_size, shuffle=True, generator=Generator().manual_seed(seed)
    )
    optimizer = _WatchedSGD(model.parameters(), lr=lr)
    report = CheckReport(f"check_training({getattr(loop, '__name__', 'loop')}, task={task!r})")
    hints = []
    loss0, metric0 = _evaluate(model, loss_fn, x, y, task)
    for _ in range(epochs):
        loop(model, loader, loss_fn, optimizer)
    loss1, metric1 = _evaluate(model, loss_fn, x, y, task)

    expected_steps = len(loader) * epochs
    applied = optimizer.steps - optimizer.stale - optimizer.untouched - optimizer.empty
    report.add(
        optimizer.steps == expected_steps,
        f"optimizer.step() ran {optimizer.steps} times for {len(loader)} batches x {epochs} epochs",
    )
    if optimizer.steps == 0:
        hints.append("optimizer.step() was never called: without it the parameters never change")
    elif optimizer.steps < expected_steps:
        hints.append(
            "call optimizer.step() once per batch, inside the loop over the loader "
            "(not once per epoch, after it)"
        )
    elif optimizer.steps > expected_steps:
        hints.append("optimizer.step() ran more than once per batch: call it once, after loss.backward()")
    bad_mechanics = optimizer.stale + optimizer.untouched + optimizer.empty
    report.add(bad_mechanics == 0, f"steps with fresh gradients: {applied}/{optimizer.steps}")
    if optimizer.stale:
        hints.append(
            f"{optimizer.stale} steps used gradients still holding the previous batches': "
            "loss.backward() *adds* into .grad, so call optimizer.zero_grad() every batch, "
            "before loss.backward()"
        )
    if optimizer.untouched:
        hints.append(
            f"{optimizer.untouched} steps ran without a loss.backward() since the previous step: "
            "call loss.backward() every batch, before optimizer.step()"
        )
    if optimizer.empty:
        hints.append(
            f"{optimizer.empty} steps found no gradients at all: loss.backward() must run before "
            "optimizer.step(), and zero_grad() before backward(), not between backward() and step()"
        )
    fell = math.isfinite(loss1) and loss1 < 0.8 * loss0
    report.add(fell, f"training loss {loss0:.4g} -> {loss1:.4g}")
    if not fell and not hints:
        hints.append("the loss did not fall: is the update going uphill (a minus sign missing)?")
    if task == "classification":
        ok = metric1 >= min_accuracy
        report.add(
            ok, f"training accuracy {metric0:.1%} -> {metric1:.1%} (at least {min_accuracy:.0%} needed)"
        )
    else:
        ok = loss1 <= max_mse
        report.add(ok, f"training MSE {loss1:.4g} (at most {max_mse:g} needed; the noise alone gives 0.01)")
    report.hint = "\n      ".join(hints)
    return finish(report, raises)
