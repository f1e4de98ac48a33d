"""Convert the 5,000-digit MNIST sample (CSV) into pyneuro's bundled package data.

Input : mnist_5k.csv.gz, one row per image: 784 pixel values (0-255, row-major 28x28)
        then the label (0-9); 500 images per digit (see /work/shared/data/README.md).
Output: pyneuro/datasets/data/mnist_sample.npz (compressed) holding
        train_images uint8 (4000, 28, 28), train_labels uint8 (4000,),
        test_images  uint8 (1000, 28, 28), test_labels  uint8 (1000,).

The split is deterministic and class-balanced: within each digit a fixed-seed permutation
sends 400 images to train and 100 to test; each split is then shuffled once (fixed seed)
so that an unshuffled loader does not see the digits sorted by label.

    python tools/make_mnist_sample.py [--src PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = Path("/work/shared/data/mnist_5k.csv.gz")
DEFAULT_OUT = ROOT / "pyneuro" / "datasets" / "data" / "mnist_sample.npz"
TRAIN_PER_CLASS, TEST_PER_CLASS, SEED = 400, 100, 20240501


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise ValueError(f"{path}: expected rows of 784 pixels + 1 label, got shape {table.shape}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{path}: pixel or label values out of range")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def split(images, labels, rng):
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        if len(idx) != TRAIN_PER_CLASS + TEST_PER_CLASS:
            raise ValueError(
                f"digit {digit}: expected {TRAIN_PER_CLASS + TEST_PER_CLASS} images, got {len(idx)}"
            )
        idx = rng.permutation(idx)
        train_idx.append(idx[:TRAIN_PER_CLASS])
        test_idx.append(idx[TRAIN_PER_CLASS:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    return (images[train_idx], labels[train_idx]), (images[test_idx], labels[test_idx])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    images, labels = read_csv(args.src)
    (xtr, ytr), (xte, yte) = split(images, labels, np.random.default_rng(SEED))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, train_images=xtr, train_labels=ytr, test_images=xte, test_labels=yte)
    digest = hashlib.sha256(args.src.read_bytes()).hexdigest()
    print(
        f"{args.src} (sha256 {digest}) -> {args.out} ({args.out.stat().st_size} bytes): "
        f"train {xtr.shape}, test {xte.shape}"
    )


if __name__ == "__main__":
    main()
