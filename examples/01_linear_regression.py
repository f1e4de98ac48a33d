"""Linear regression "the hard way": the gradient-descent loop written out by hand.

We fit y = w*x + b to noisy points drawn around y = 3x - 2, three ways:

1. by hand: compute the loss, call backward(), and move w and b against their gradients
   inside `pn.no_grad()` (the update itself must not be recorded), then clear the gradients;
2. with the building blocks every PyTorch program uses: nn.Linear, nn.MSELoss, optim.SGD;
3. exactly, with the least-squares formula, to see what gradient descent converges to.

    python examples/01_linear_regression.py [--quick]
"""

import argparse

import numpy as np

import pyneuro as pn
from pyneuro import nn, optim


def make_data(n=200):
    pn.manual_seed(0)
    x = pn.rand(n, 1) * 4 - 2  # inputs in [-2, 2)
    y = 3 * x - 2 + 0.3 * pn.randn(n, 1)  # a line plus noise
    return x, y


def by_hand(x, y, steps, lr=0.1):
    w = pn.zeros(1, requires_grad=True)
    b = pn.zeros(1, requires_grad=True)
    for step in range(steps):
        y_pred = x * w + b  # forward: broadcast (n, 1) * (1,) + (1,)
        loss = ((y_pred - y) ** 2).mean()  # mean squared error
        loss.backward()  # fills w.grad and b.grad
        with pn.no_grad():  # the update is not part of the model
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None  # gradients accumulate: clear them each step
        b.grad = None
        if step % (steps // 5) == 0:
            print(f"  step {step:4d}: loss {loss.item():.4f}  w {w.item():+.3f}  b {b.item():+.3f}")
    return w.item(), b.item(), loss.item()


def with_modules(x, y, steps, lr=0.1):
    model = nn.Linear(1, 1)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item(), loss.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (for tests)")
    args = parser.parse_args(argv)
    steps = 100 if args.quick else 500
    x, y = make_data()

    print("1. by hand (manual gradient descent):")
    w1, b1, l1 = by_hand(x, y, steps)
    print("2. nn.Linear + nn.MSELoss + optim.SGD:")
    w2, b2, l2 = with_modules(x, y, steps)
    print(f"  w {w2:+.3f}  b {b2:+.3f}  loss {l2:.4f}")

    # 3. least squares: solve [x 1] @ [w b] = y exactly
    design = np.hstack([x.numpy(), np.ones((len(x), 1), np.float32)])
    (w3, b3), *_ = np.linalg.lstsq(design, y.numpy()[:, 0], rcond=None)
    print(f"3. least squares: w {w3:+.3f}  b {b3:+.3f}")
    print(
        f"result: by hand w={w1:.3f} b={b1:.3f}; modules w={w2:.3f} b={b2:.3f}; exact w={w3:.3f} b={b3:.3f}"
    )
    ok = abs(w1 - w3) < 0.05 and abs(b1 - b3) < 0.05 and abs(w2 - w3) < 0.05 and abs(b2 - b3) < 0.05
    print("gradient descent reached the least-squares line" if ok else "not converged yet")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
