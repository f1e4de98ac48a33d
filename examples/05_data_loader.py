"""What a DataLoader does: batching, the last partial batch, shuffling, seeds, splits.

python examples/05_data_loader.py
"""

import argparse

import pyneuro as pn
from pyneuro.data import DataLoader, TensorDataset, random_split


def ids(loader):
    """The sample ids in each batch (the second tensor holds each sample's id)."""
    return [y.tolist() for _, y in loader]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry with the other examples")
    parser.parse_args(argv)

    features = pn.arange(20, dtype=pn.float32).reshape(10, 2)  # 10 samples, 2 features each
    sample_ids = pn.arange(10)  # sample i has id i
    dataset = TensorDataset(features, sample_ids)
    print(f"dataset: {len(dataset)} samples; dataset[3] = {dataset[3]}")

    # 1. batching: 10 samples in batches of 4 -> 4 + 4 + 2 (the last, partial batch is kept)
    loader = DataLoader(dataset, batch_size=4)
    print(f"batch_size=4: {len(loader)} batches {ids(loader)}")
    x, y = next(iter(loader))
    print(f"  first batch: x {tuple(x.shape)}, y {tuple(y.shape)}")
    # ... unless drop_last=True
    print(f"batch_size=4, drop_last=True: {ids(DataLoader(dataset, batch_size=4, drop_last=True))}")

    # 2. shuffling: a new order every epoch
    g = pn.Generator().manual_seed(42)
    shuffled = DataLoader(dataset, batch_size=5, shuffle=True, generator=g)
    first, second = ids(shuffled), ids(shuffled)
    print(f"shuffle=True, epoch 1: {first}")
    print(f"shuffle=True, epoch 2: {second}")

    # 3. seeds: the same seed gives the same sequence of epochs
    again = DataLoader(dataset, batch_size=5, shuffle=True, generator=pn.Generator().manual_seed(42))
    same = ids(again) == first and ids(again) == second
    print(f"same seed, same order: {same}")

    # 4. random_split: train/validation subsets (by count or by fraction)
    train, val = random_split(dataset, [0.8, 0.2], generator=pn.Generator().manual_seed(0))
    print(f"random_split 80/20: train ids {sorted(train.indices)}, validation ids {sorted(val.indices)}")
    return 0 if same and first != second else 1


if __name__ == "__main__":
    raise SystemExit(main())
