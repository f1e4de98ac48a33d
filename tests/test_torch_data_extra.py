"""IterableDataset, ChainDataset, StackDataset, get_worker_info, default_convert, batch_size=None,
RandomSampler(replacement, num_samples) and torch's submodule import paths, against torch."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _data(fw):
    return fw.utils.data


def _stream(fw, n=7, with_len=False):
    base = _data(fw).IterableDataset

    class Stream(base):
        def __iter__(self):
            return iter(fw.arange(n) * 2)

    if with_len:
        Stream.__len__ = lambda self: n
    return Stream()


def _as_lists(batches):
    out = []
    for b in batches:
        if isinstance(b, dict):
            out.append({k: np.asarray(v).tolist() for k, v in b.items()})
        elif isinstance(b, (list, tuple)):
            out.append([np.asarray(v).tolist() for v in b])
        else:
            out.append(np.asarray(b).tolist())
    return out


@pytest.mark.parametrize(
    "kw",
    [{}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}, {"shuffle": False}],
)
def test_iterable_dataset_batches_like_torch(kw):
    mine = list(pn.utils.data.DataLoader(_stream(pn), **kw))
    ref = list(torch.utils.data.DataLoader(_stream(torch), **kw))
    assert _as_lists(mine) == _as_lists(ref)
    assert [type(b).__name__ for b in mine] == [type(b).__name__ for b in ref]
    assert all(
        getattr(a, "dtype", None) == getattr(pn, str(b.dtype)[6:], None)
        for a, b in zip(mine, ref)
        if hasattr(b, "dtype")
    )


@pytest.mark.parametrize(
    "kw",
    [{"shuffle": True}, {"sampler": [0, 1]}, {"batch_sampler": [[0]]}],
)
def test_iterable_dataset_refuses_samplers_like_torch(kw):
    with pytest.raises(ValueError) as t_err:
        torch.utils.data.DataLoader(_stream(torch), **kw)
    with pytest.raises(ValueError) as p_err:
        pn.utils.data.DataLoader(_stream(pn), **kw)
    assert str(p_err.value) == str(t_err.value)


def test_iterable_dataset_len():
    with pytest.raises(TypeError):
        len(pn.utils.data.DataLoader(_stream(pn), batch_size=2))
    for kw in ({"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None}):
        mine = len(pn.utils.data.DataLoader(_stream(pn, with_len=True), **kw))
        assert mine == len(torch.utils.data.DataLoader(_stream(torch, with_len=True), **kw))
    for fw in (pn, torch):  # abstract: no __iter__, no instance
        with pytest.raises(TypeError):
            _data(fw).IterableDataset()


def test_chain_dataset():
    for fw in (pn, torch):
        chained = _stream(fw, 3) + _stream(fw, 2)
        assert type(chained).__name__ == "ChainDataset"
        assert [int(v) for v in chained] == [0, 2, 4, 0, 2]
        c = _data(fw).ChainDataset([_stream(fw, 3, True), _stream(fw, 4, True)])
        assert len(c) == 7
        with pytest.raises(AssertionError):
            _data(fw).ConcatDataset([_stream(fw)])
        with pytest.raises(AssertionError):
            list(_data(fw).ChainDataset([_data(fw).TensorDataset(fw.arange(2))]))
        with pytest.raises(AssertionError):
            _data(fw).ConcatDataset([])


def test_stack_dataset_like_torch():
    for args, kwargs in [
        ((np.arange(4.0), np.arange(4) * 3), {}),
        ((), {"a": np.arange(4.0), "b": [5, 6, 7, 8]}),
    ]:
        res = []
        for fw in (pn, torch):
            conv = lambda v: fw.tensor(v) if isinstance(v, np.ndarray) else v
            ds = _data(fw).StackDataset(*(conv(a) for a in args), **{k: conv(v) for k, v in kwargs.items()})
            batches = list(_data(fw).DataLoader(ds, batch_size=3))
            res.append((len(ds), _as_lists(batches), _as_lists([ds[1]])))
        assert res[0] == res[1]
    for args, kwargs in [
        ((np.arange(3), np.arange(4)), {}),
        ((), {}),
        ((np.arange(3),), {"b": np.arange(3)}),
    ]:
        msgs = []
        for fw in (pn, torch):
            with pytest.raises(ValueError) as e:
                _data(fw).StackDataset(
                    *(fw.tensor(a) for a in args), **{k: fw.tensor(v) for k, v in kwargs.items()}
                )
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


def test_get_worker_info_is_none_in_the_main_process():
    assert pn.utils.data.get_worker_info() is None is torch.utils.data.get_worker_info()


def test_default_convert_like_torch():
    from collections import namedtuple

    Point = namedtuple("Point", "x y")
    samples = [
        np.arange(3, dtype=np.float32),
        np.float64(2.5),
        (1, np.int32(3)),
        [np.ones(2), "s"],
        {"a": np.arange(2), "b": 3},
        Point(np.zeros(1), 1),
        "text",
        7,
    ]
    for s in samples:
        mine, ref = pn.utils.data.default_convert(s), torch.utils.data.default_convert(s)
        assert type(mine).__name__ == type(ref).__name__
        flat_m = (
            mine.values() if isinstance(mine, dict) else (mine if isinstance(mine, (list, tuple)) else [mine])
        )
        flat_r = ref.values() if isinstance(ref, dict) else (ref if isinstance(ref, (list, tuple)) else [ref])
        for a, b in zip(flat_m, flat_r):
            if isinstance(b, torch.Tensor):
                assert isinstance(a, pn.Tensor) and str(a.dtype)[8:] == str(b.dtype)[6:]
                np.testing.assert_array_equal(a.numpy(), b.numpy())
            else:
                assert a == b


def test_map_style_without_batching_like_torch():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    mine = list(pn.utils.data.DataLoader(pn.utils.data.TensorDataset(pn.tensor(x)), batch_size=None))
    ref = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x)), batch_size=None))
    assert _as_lists(mine) == _as_lists(ref)
    assert len(pn.utils.data.DataLoader(pn.utils.data.TensorDataset(pn.tensor(x)), batch_size=None)) == 3
    with pytest.raises(ValueError):
        pn.utils.data.DataLoader(pn.utils.data.TensorDataset(pn.tensor(x)), batch_size=None, drop_last=True)
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.tensor(x)), batch_size=None, drop_last=True
        )


def test_random_sampler_replacement_and_num_samples():
    g = pn.Generator().manual_seed(0)
    s = pn.utils.data.RandomSampler(range(5), num_samples=12, generator=g)
    order = list(s)
    assert (
        len(order) == len(s) == 12
        and sorted(order[:5]) == list(range(5))
        and sorted(order[5:10]) == list(range(5))
    )
    s = pn.utils.data.RandomSampler(range(5), replacement=True, num_samples=50, generator=g)
    order = list(s)
    assert len(order) == 50 and set(order) <= set(range(5))
    for fw in (pn, torch):
        with pytest.raises(TypeError):
            _data(fw).RandomSampler(range(3), replacement=1)
        with pytest.raises(ValueError):
            _data(fw).RandomSampler(range(3), num_samples=0)
    ds = pn.utils.data.TensorDataset(pn.arange(5))
    batches = list(
        pn.utils.data.DataLoader(ds, batch_size=4, sampler=pn.utils.data.RandomSampler(ds, num_samples=9))
    )
    assert [len(b[0]) for b in batches] == [4, 4, 1]


@pytest.mark.parametrize("tensor_dataset", [False, True])
@pytest.mark.parametrize("replacement", [True, False])
def test_infinite_random_sampler_draws_as_it_goes(tensor_dataset, replacement):
    """makemore's InfiniteDataLoader: RandomSampler(ds, replacement=True, num_samples=int(1e10)).
    torch draws the indices 32 (or a permutation) at a time, so the first batch comes at once;
    building the whole order first took seconds and gigabytes (or, for a TensorDataset, 80 GB).
    The batches are torch's."""

    def run(fw):
        data = _data(fw)
        fw.manual_seed(3)
        if tensor_dataset:
            ds = data.TensorDataset(fw.arange(20.0).view(10, 2), fw.arange(10))
        else:

            class Names(data.Dataset):
                def __len__(self):
                    return 10

                def __getitem__(self, i):
                    return fw.tensor(i), fw.tensor([i, i])

            ds = Names()
        sampler = data.RandomSampler(ds, replacement=replacement, num_samples=int(1e10))
        loader = data.DataLoader(ds, batch_size=4, sampler=sampler)
        it = iter(loader)
        batches = [next(it)[1].tolist() for _ in range(12)]
        return batches, len(loader), fw.randn(1).item()

    assert run(pn) == run(torch)


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (
            "utils.data.dataset",
            [
                "Dataset",
                "IterableDataset",
                "TensorDataset",
                "StackDataset",
                "ConcatDataset",
                "ChainDataset",
                "Subset",
                "random_split",
            ],
        ),
        (
            "utils.data.sampler",
            [
                "Sampler",
                "RandomSampler",
                "SequentialSampler",
                "BatchSampler",
                "SubsetRandomSampler",
                "WeightedRandomSampler",
            ],
        ),
        ("utils.data.dataloader", ["DataLoader", "default_collate", "default_convert", "get_worker_info"]),
        (
            "utils.data",
            [
                "Dataset",
                "IterableDataset",
                "DataLoader",
                "get_worker_info",
                "default_convert",
                "ChainDataset",
                "StackDataset",
            ],
        ),
    ],
)
def test_torch_import_paths(module, names):
    mod = importlib.import_module("pyneuro." + module)
    tmod = importlib.import_module("torch." + module)
    for name in names:
        assert hasattr(tmod, name)
        assert getattr(mod, name) is getattr(pn.data, name)  # one home for each class
    assert set(getattr(tmod, "__all__", names)) & set(names) <= set(getattr(mod, "__all__", names))


@pytest.mark.parametrize("lengths", [[0.5, 0.6], [0.3, 0.3], [0.5, 0.4999999], [1.5, -0.5], [0.7, 0.3]])
def test_random_split_fractions_refused_as_torch(lengths):
    """Fractions that do not sum to 1 are read as lengths ('Sum of input lengths does not equal
    the length of the input dataset!'); one outside [0, 1] is named by its index."""

    def run(fw):
        try:
            return [len(s) for s in _data(fw).random_split(range(10), lengths)]
        except ValueError as e:
            return str(e)

    assert run(pn) == run(torch)
