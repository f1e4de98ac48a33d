"""Logistic regression on real digits: is this handwritten digit a 3 or a 5?

A linear score z = x @ w + b, squashed by the sigmoid into a probability p = sigmoid(z),
trained with the binary cross-entropy  -[y log p + (1 - y) log(1 - p)].  The images are the
bundled MNIST sample (784 pixels each), so this is one neuron looking at all 784 pixels.

    python examples/02_logistic_regression.py [--quick]
"""

import argparse

import pyneuro as pn
from pyneuro import datasets, optim


def digits(split, a=3, b=5):
    """Flattened images of digits a and b, and targets 1.0 for b, 0.0 for a."""
    images, labels = datasets.load("mnist-sample", split).tensors
    keep = (labels == a) | (labels == b)  # a boolean mask, like in PyTorch
    x = images[keep].reshape(-1, 784)
    y = (labels[keep] == b).float().reshape(-1, 1)
    return x, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (for tests)")
    args = parser.parse_args(argv)
    steps = 60 if args.quick else 300
    x_train, y_train = digits("train")
    x_test, y_test = digits("test")
    print(f"{len(x_train)} training and {len(x_test)} test images of 3s and 5s")

    pn.manual_seed(0)
    w = pn.zeros(784, 1, requires_grad=True)
    b = pn.zeros(1, requires_grad=True)
    optimizer = optim.SGD([w, b], lr=0.5)
    for step in range(steps + 1):
        p = pn.sigmoid(x_train @ w + b)
        p = p.clamp(1e-7, 1 - 1e-7)  # keep log() finite
        loss = -(y_train * p.log() + (1 - y_train) * (1 - p).log()).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % (steps // 4) == 0:
            print(f"  step {step:4d}: binary cross-entropy {loss.item():.4f}")

    with pn.no_grad():
        predicted = (pn.sigmoid(x_test @ w + b) > 0.5).float()
        accuracy = (predicted == y_test).float().mean().item()
    print(f"test accuracy (3 vs 5): {100 * accuracy:.1f}%")
    return 0 if accuracy > 0.85 else 1


if __name__ == "__main__":
    raise SystemExit(main())
