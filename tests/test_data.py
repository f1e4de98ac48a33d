"""pyneuro.data: TensorDataset, Subset, DataLoader and random_split with PyTorch's semantics
(torch is the oracle where it is installed; the batching rules are checked directly)."""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
import pytest

import pyneuro as pn
from pyneuro.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    Sampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def _ds(n=10, features=3):
    x = np.arange(n * features, dtype=np.float32).reshape(n, features)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(pn.from_numpy(x), pn.from_numpy(y))


def _rows(batches):
    return [b[1].numpy().tolist() for b in batches]


# ----------------------------------------------------------------------------- datasets
def test_tensor_dataset_items_and_errors():
    ds = _ds(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.numpy().tolist() == [9.0, 10.0, 11.0] and y.item() == 3
    with pytest.raises(AssertionError, match=r"^Size mismatch between tensors$"):  # torch's assert
        TensorDataset(pn.zeros(5, 2), pn.zeros(4))
    with pytest.raises(ValueError):
        TensorDataset()


def test_subset_and_concat():
    ds = _ds(6)
    sub = Subset(ds, [4, 0, 2])
    assert len(sub) == 3 and sub[0][1].item() == 4 and sub[2][1].item() == 2
    both = ds + sub
    assert isinstance(both, ConcatDataset) and len(both) == 9
    assert both[6][1].item() == 4 and both[-1][1].item() == 2
    with pytest.raises(IndexError):
        both[9]


# ----------------------------------------------------------------------------- DataLoader batching
@pytest.mark.parametrize(
    "n,bs,drop_last",
    [
        (10, 3, False),
        (10, 3, True),
        (10, 5, False),
        (10, 5, True),
        (10, 20, False),
        (10, 20, True),
        (1, 1, False),
        (0, 4, False),
    ],
)
def test_batches_and_len(n, bs, drop_last):
    loader = DataLoader(_ds(n), batch_size=bs, drop_last=drop_last)
    batches = list(loader)
    expected = n // bs if drop_last else math.ceil(n / bs)
    assert len(loader) == expected == len(batches)
    flat = [i for b in _rows(batches) for i in b]
    assert flat == list(range(expected * bs if drop_last else n))
    for x, y in batches:
        assert isinstance(x, pn.Tensor) and isinstance(y, pn.Tensor)
        assert x.shape[1:] == (3,) and x.shape[0] == y.shape[0] <= bs
        assert x.numpy().dtype == np.float32 and y.numpy().dtype == np.int64


def test_shuffle_is_a_permutation_reshuffled_each_epoch_and_seeded():
    ds = _ds(50)
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=pn.Generator().manual_seed(7))
    e1 = [i for b in _rows(loader) for i in b]
    e2 = [i for b in _rows(loader) for i in b]
    assert sorted(e1) == sorted(e2) == list(range(50))
    assert e1 != e2 and e1 != list(range(50))
    again = DataLoader(ds, batch_size=8, shuffle=True, generator=pn.Generator().manual_seed(7))
    assert [i for b in _rows(again) for i in b] == e1
    assert [i for b in _rows(again) for i in b] == e2


def test_shuffle_without_generator_uses_default_generator():
    ds = _ds(40)
    pn.manual_seed(123)
    a = [_rows(DataLoader(ds, batch_size=40, shuffle=True))[0] for _ in range(2)]
    pn.manual_seed(123)
    b = [_rows(DataLoader(ds, batch_size=40, shuffle=True))[0] for _ in range(2)]
    assert a == b and a[0] != a[1]


def test_batch_rows_match_labels_after_shuffle():
    ds = _ds(30)
    for x, y in DataLoader(ds, batch_size=7, shuffle=True, generator=pn.Generator().manual_seed(1)):
        np.testing.assert_array_equal(x.numpy()[:, 0], y.numpy() * 3)


class ListDataset(Dataset):
    """A generic Dataset (not a TensorDataset): goes through per-item default_collate."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return pn.from_numpy(np.full(2, i, dtype=np.float32)), i


def test_generic_dataset_matches_fast_path():
    fast = DataLoader(_ds(13), batch_size=4, shuffle=True, generator=pn.Generator().manual_seed(3))
    slow = DataLoader(ListDataset(13), batch_size=4, shuffle=True, generator=pn.Generator().manual_seed(3))
    for (_xf, yf), (xs, ys) in zip(fast, slow):
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())
        assert ys.numpy().dtype == np.int64 and xs.shape == (len(ys), 2)


def test_subset_goes_through_fast_path_with_right_rows():
    ds = _ds(20)
    sub = Subset(Subset(ds, list(range(19, -1, -1))), [0, 5, 10, 15])
    rows = _rows(DataLoader(sub, batch_size=3))
    assert rows == [[19, 14, 9], [4]]


def test_sampler_list_and_custom_collate():
    ds = _ds(6)
    assert _rows(DataLoader(ds, batch_size=2, sampler=[5, 3, 1])) == [[5, 3], [1]]
    seen = []
    loader = DataLoader(ds, batch_size=4, collate_fn=lambda items: seen.append(len(items)) or len(items))
    assert list(loader) == [4, 2] and seen == [4, 2]


def test_loader_argument_errors():
    ds = _ds(4)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="batch_size"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(TypeError, match="batch_size"):
        DataLoader(ds, batch_size=2.5)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, shuffle=True, sampler=[0, 1])
    with pytest.raises(TypeError):
        DataLoader(42)


# ----------------------------------------------------------------------------- collate
def test_default_collate_like_torch():
    Point = namedtuple("Point", "x y")
    batch = default_collate([(1, 2.5, "a", {"k": 1}), (3, 4.5, "b", {"k": 2})])
    ints, floats, strs, dicts = batch
    assert ints.numpy().dtype == np.int64 and ints.numpy().tolist() == [1, 3]
    assert floats.numpy().dtype == np.float64 and strs == (
        "a",
        "b",
    )  # a tuple, as torch (the transposed batch)
    assert dicts["k"].numpy().tolist() == [1, 2]
    p = default_collate([Point(1, 2), Point(3, 4)])
    assert isinstance(p, Point) and p.x.numpy().tolist() == [1, 3]
    arr = default_collate([np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)])
    assert tuple(arr.shape) == (2, 2, 2)
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError):
        default_collate([object(), object()])


# ----------------------------------------------------------------------------- random_split
def test_random_split_ints_and_fractions():
    ds = _ds(10)
    a, b = random_split(ds, [7, 3], generator=pn.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted(list(a.indices) + list(b.indices)) == list(range(10))
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=pn.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(_ds(11), [1 / 3, 1 / 3, 1 / 3], generator=pn.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [4, 4, 3]  # remainder dealt round-robin, like torch
    same = random_split(ds, [7, 3], generator=pn.Generator().manual_seed(0))
    assert list(same[0].indices) == list(a.indices)


def test_random_split_errors():
    ds = _ds(10)
    with pytest.raises(ValueError, match="does not equal"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="does not equal"):  # fractions that miss 1: torch's words too
        random_split(ds, [0.5, 0.6])
    with pytest.raises(ValueError):
        random_split(ds, [12, -2])


def test_random_split_fraction_sizes_match_torch():
    torch = pytest.importorskip("torch", reason="torch is the oracle for random_split sizes")
    from torch.utils.data import random_split as torch_split

    for n, fracs in [
        (11, [1 / 3, 1 / 3, 1 / 3]),
        (10, [0.5, 0.3, 0.2]),
        (7, [0.1, 0.9]),
        (103, [0.8, 0.1, 0.1]),
    ]:
        ours = [len(p) for p in random_split(_ds(n), fracs, generator=pn.Generator().manual_seed(0))]
        theirs = [len(p) for p in torch_split(range(n), fracs, generator=torch.Generator().manual_seed(0))]
        assert ours == theirs, (n, fracs)


def test_len_matches_torch_dataloader():
    torch = pytest.importorskip("torch", reason="torch is the oracle for len(DataLoader)")
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import TensorDataset as TorchDataset

    for n, bs, drop in [(10, 3, False), (10, 3, True), (64, 64, True), (65, 64, False), (5, 8, True)]:
        t = TorchLoader(TorchDataset(torch.zeros(n, 1)), batch_size=bs, drop_last=drop)
        assert len(DataLoader(_ds(n), batch_size=bs, drop_last=drop)) == len(t) == len(list(t))


def test_random_sampler_len():
    assert len(RandomSampler(_ds(9))) == 9


class EveryOther(Sampler):
    """A custom sampler (no index_array): even positions, then odd ones."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(list(range(0, self.n, 2)) + list(range(1, self.n, 2)))

    def __len__(self):
        return self.n


def test_custom_sampler_and_batch_sampler():
    ds = _ds(7)
    assert _rows(DataLoader(ds, batch_size=3, sampler=EveryOther(7))) == [[0, 2, 4], [6, 1, 3], [5]]
    assert _rows(DataLoader(Subset(ds, [6, 5, 4, 3, 2, 1, 0]), batch_size=3, sampler=EveryOther(7))) == [
        [6, 4, 2],
        [0, 5, 3],
        [1],
    ]
    loader = DataLoader(ds, batch_sampler=[[3, 1], [0], [6, 5, 4]])
    assert len(loader) == 3 and _rows(loader) == [[3, 1], [0], [6, 5, 4]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0]])


def test_batches_are_fresh_tensors_not_views_of_the_dataset():
    ds = _ds(4)
    for shuffle in (False, True):
        x, _ = next(iter(DataLoader(ds, batch_size=2, shuffle=shuffle)))
        x[0] = -1.0
    assert ds.tensors[0].numpy().min() >= 0


@pytest.mark.parametrize("backend_name_", ["numpy", "cpu", "numba"])
def test_shuffled_batches_are_the_rows_of_the_dataset_with_no_graph(backend_name_):
    """A dataset's tensors need no gradient: its batches are gathered by the kernel table
    (no autograd op), and equal the dataset's rows by index for images (2-D and 4-D) and labels."""
    if not pn.backends.status(backend_name_).available:
        pytest.skip(f"{backend_name_} is unavailable")
    previous = pn.backends.backend_name("cpu")
    pn.set_backend(backend_name_)
    try:
        rng = np.random.default_rng(0)
        images = rng.standard_normal((50, 1, 4, 4)).astype(np.float32)
        labels = rng.integers(0, 10, 50)
        ds = TensorDataset(
            pn.from_numpy(images), pn.from_numpy(images.reshape(50, 16)), pn.from_numpy(labels)
        )
        order = rng.permutation(50)
        for i, (x4, x2, y) in enumerate(DataLoader(ds, batch_size=16, sampler=order)):
            rows = order[16 * i : 16 * (i + 1)]
            assert np.array_equal(x4.numpy(), images[rows]) and np.array_equal(
                x2.numpy(), images.reshape(50, 16)[rows]
            )
            assert np.array_equal(y.numpy(), labels[rows]) and y.dtype == pn.int64
            assert all(t.grad_fn is None and not t.requires_grad and t.is_leaf for t in (x4, x2, y))
    finally:
        pn.set_backend(previous)


def test_a_dataset_tensor_that_requires_grad_gives_batches_in_its_graph():
    w = pn.tensor(np.arange(12, dtype=np.float32).reshape(6, 2), requires_grad=True)
    ds = TensorDataset(w, pn.from_numpy(np.arange(6)))
    ((x, _),) = list(DataLoader(ds, batch_size=6, sampler=[5, 0, 5, 1, 2, 3]))
    assert x.grad_fn is not None  # as torch's t[index]: the gradient flows back to the dataset
    x.sum().backward()
    assert w.grad.numpy()[:, 0].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0, 2.0]
