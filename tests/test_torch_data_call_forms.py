"""Common DataLoader / Dataset call forms (dict and tuple batches with strings and NumPy arrays,
batch_size=None, random_split by fractions, Subset, ConcatDataset, samplers, collate_fn,
IterableDataset, bad arguments), each run with torch and pyneuro and compared."""

from __future__ import annotations

from importlib import import_module

import numpy as np
import pytest
from conftest import assert_same_outcome, form_outcome

import pyneuro as pn

torch = pytest.importorskip("torch")


def _forms(torch):
    data = import_module(torch.__name__ + ".utils.data")
    DataLoader, TensorDataset, Dataset = data.DataLoader, data.TensorDataset, data.Dataset

    class D(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": torch.tensor([float(i), 2.0 * i]), "y": i, "name": f"n{i}", "np": np.array([i, i])}

    class T(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return (np.float32(i), [i, i + 1], (i, "a"))

    def show(b):
        if hasattr(b, "tolist"):
            return (str(b.dtype).split(".")[-1], b.tolist())
        if isinstance(b, dict):
            return {k: show(v) for k, v in b.items()}
        if isinstance(b, (list, tuple)):
            return type(b).__name__, [show(v) for v in b]
        return b

    return {
        "dict_batch": lambda: show(next(iter(DataLoader(D(), batch_size=3)))),
        "tuple_batch": lambda: show(next(iter(DataLoader(T(), batch_size=2)))),
        "len_drop_last": lambda: (
            len(DataLoader(D(), batch_size=2, drop_last=True)),
            len(DataLoader(D(), batch_size=2)),
        ),
        "batch_none": lambda: show(next(iter(DataLoader(D(), batch_size=None)))),
        "random_split_frac": lambda: [
            len(s)
            for s in data.random_split(range(10), [0.7, 0.3], generator=torch.Generator().manual_seed(0))
        ],
        "random_split_n": lambda: [len(s) for s in data.random_split(TensorDataset(torch.arange(7)), [3, 4])],
        "subset": lambda: show(data.Subset(TensorDataset(torch.arange(10.0)), [2, 5])[1]),
        "concat": lambda: (
            len(data.ConcatDataset([TensorDataset(torch.arange(3)), TensorDataset(torch.arange(4))])),
            show(data.ConcatDataset([TensorDataset(torch.arange(3)), TensorDataset(torch.arange(4))])[4]),
        ),
        "seq_sampler": lambda: list(data.SequentialSampler(range(4))),
        "batch_sampler": lambda: list(data.BatchSampler(data.SequentialSampler(range(5)), 2, False)),
        "sampler_len": lambda: len(data.RandomSampler(range(7))),
        "collate_fn": lambda: next(iter(DataLoader(range(6), batch_size=3, collate_fn=lambda b: sum(b)))),
        "default_collate": lambda: show(data.default_collate([(1, 2.0), (3, 4.0)])),
        "tensor_ds_len": lambda: len(TensorDataset(torch.ones(3, 2), torch.zeros(3))),
        "tensor_ds_mismatch": lambda: TensorDataset(torch.ones(3), torch.ones(4)),
        "loader_iter_twice": lambda: [len(list(DataLoader(range(5), batch_size=2))) for _ in range(2)],
        "shuffle_cover": lambda: sorted(
            sum((b.tolist() for b in DataLoader(torch.arange(9), batch_size=4, shuffle=True)), [])
        ),
        "iterable": lambda: show(
            list(
                DataLoader(
                    type("I", (data.IterableDataset,), {"__iter__": lambda self: iter(range(5))})(),
                    batch_size=2,
                )
            )
        ),
        "sampler_and_shuffle": lambda: DataLoader(
            range(5), sampler=data.SequentialSampler(range(5)), shuffle=True
        ),
        "bad_batch_size": lambda: DataLoader(range(5), batch_size=0),
    }


@pytest.mark.parametrize("name", sorted(_forms(torch)))
def test_data_call_form_matches_torch(name):
    assert_same_outcome(form_outcome(_forms(pn)[name]), form_outcome(_forms(torch)[name]))
