"""A multi-layer perceptron on handwritten digits: the complete PyTorch-style program.

784 pixels -> 256 -> ReLU -> 128 -> ReLU -> 10 logits, trained with Adam and cross-entropy
on the bundled MNIST sample, evaluated on held-out digits after every epoch. Swap
`"mnist-sample"` for `"fashion-mnist"` to train on clothes (60,000 images).

    python examples/04_mlp.py [--quick] [--data NAME]
"""

import argparse
import time

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import datasets, nn, optim
from pyneuro.data import DataLoader, Subset


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with pn.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(dim=1) == y).sum().item()
            total += len(y)
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch on 2,000 images (for tests)")
    parser.add_argument("--data", default="mnist-sample")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else 10

    pn.manual_seed(0)
    train_set = datasets.load(args.data, "train")
    if args.quick:
        train_set = Subset(train_set, range(2000))  # the first 2,000 images only
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(datasets.load(args.data, "test"), batch_size=1000)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    print(model)

    for epoch in range(1, epochs + 1):
        model.train()
        start, total_loss, seen = time.perf_counter(), 0.0, 0
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            seen += len(y)
        accuracy = evaluate(model, test_loader)
        print(
            f"epoch {epoch}: train loss {total_loss / seen:.4f}, test accuracy {100 * accuracy:.2f}% "
            f"({time.perf_counter() - start:.2f} s)"
        )
    return 0 if accuracy > (0.7 if args.quick else 0.9) else 1


if __name__ == "__main__":
    raise SystemExit(main())
