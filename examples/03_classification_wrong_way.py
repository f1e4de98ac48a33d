"""Classification the wrong way, then the right way.

The wrong way: treat the digit's value as a number to predict. One linear output, trained
with mean squared error to output 0.0 for a "0", 7.0 for a "7", and round to the nearest
digit. It pretends a 7 is "closer" to an 8 than to a 1, so it confuses digits that merely have
neighbouring values, and it scores poorly.

The right way: one output per class (10 logits), softmax turns them into probabilities, and
cross-entropy asks for a high probability on the right class. Same data, same linear model
size, same optimizer: only the output and the loss change.

    python examples/03_classification_wrong_way.py [--quick]
"""

import argparse

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import datasets, nn, optim
from pyneuro.data import DataLoader


def train(model, loss_of, loader, epochs):
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for x, y in loader:
            loss = loss_of(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs (for tests)")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else 10
    train_set = datasets.load("mnist-sample", "train")
    x_test, y_test = datasets.load("mnist-sample", "test").tensors
    loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=pn.Generator().manual_seed(0))

    # wrong: regress the digit value with MSE, then round
    pn.manual_seed(0)
    regressor = nn.Sequential(nn.Flatten(), nn.Linear(784, 1))
    train(regressor, lambda out, y: F.mse_loss(out[:, 0], y.float()), loader, epochs)
    with pn.no_grad():
        guess = regressor(x_test)[:, 0].clamp(0, 9).numpy().round()
    wrong_acc = float((guess == y_test.numpy()).mean())

    # right: 10 logits, softmax + cross-entropy
    pn.manual_seed(0)
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    train(classifier, F.cross_entropy, loader, epochs)
    with pn.no_grad():
        right_acc = (classifier(x_test).argmax(dim=1) == y_test).float().mean().item()

    print(f"wrong way (MSE on the digit value): test accuracy {100 * wrong_acc:.1f}%")
    print(f"right way (softmax + cross-entropy): test accuracy {100 * right_acc:.1f}%")
    return 0 if right_acc > wrong_acc + 0.2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
