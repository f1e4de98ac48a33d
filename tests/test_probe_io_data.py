"""torch.utils.data call forms checked against torch: num_workers > 0 with an IterableDataset
(get_worker_info sharding, worker_init_fn on the worker's own dataset copy, round-robin order,
drop_last per worker), the DataLoader's worker option checks, and the sampler/dataset errors."""

import math
from collections import OrderedDict, defaultdict

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _data(mod):
    return mod.utils.data


def _classes(mod):
    data = _data(mod)

    class Sharded(data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            info = data.get_worker_info()
            if info is None:
                return iter(range(self.n))
            return iter(range(info.id, self.n, info.num_workers))

    class Span(data.IterableDataset):
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            return iter(range(self.start, self.end))

    def split_span(worker_id):  # the worker_init_fn of torch's IterableDataset docs
        info = data.get_worker_info()
        ds = info.dataset
        per = int(math.ceil((ds.end - ds.start) / float(info.num_workers)))
        ds.start = ds.start + worker_id * per
        ds.end = min(ds.start + per, ds.end)

    return Sharded, Span, split_span


def _batches(loader):
    return [b.tolist() for b in loader]


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: more workers than this machine's CPUs
def test_iterable_dataset_with_workers_as_torch():
    results = []
    for mod in (torch, pn):
        data = _data(mod)
        Sharded, Span, split_span = _classes(mod)
        span = Span(3, 17)
        results.append(
            [
                _batches(data.DataLoader(Sharded(7), batch_size=2, num_workers=2)),
                _batches(data.DataLoader(Sharded(9), batch_size=2, num_workers=3, drop_last=True)),
                _batches(data.DataLoader(span, batch_size=3, num_workers=3, worker_init_fn=split_span)),
                _batches(data.DataLoader(span, batch_size=3, num_workers=3, worker_init_fn=split_span)),
                (span.start, span.end),  # the workers changed their own copies
                _batches(data.DataLoader(Span(0, 3), batch_size=2, num_workers=2)),  # not sharded: twice
                data.get_worker_info(),
            ]
        )
    assert results[1] == results[0]
    assert results[1][2] == [[3, 4, 5], [8, 9, 10], [13, 14, 15], [6, 7], [11, 12], [16]]


def test_worker_info_inside_a_worker():
    data = pn.utils.data

    class Probe(data.IterableDataset):
        def __iter__(self):
            info = data.get_worker_info()
            yield (info.id, info.num_workers, info.dataset is self and self is not probe, pn.rand(1).item())
            with pytest.raises(AttributeError):
                info.id = 3

    probe = Probe()  # each worker iterates its own copy
    pn.manual_seed(0)
    first = list(data.DataLoader(probe, batch_size=None, num_workers=2))
    after = pn.rand(1).item()
    assert [r[:3] for r in first] == [[0, 2, True], [1, 2, True]]
    assert first[0][3] != first[1][3]  # each worker draws from its own generator
    pn.manual_seed(0)
    again = list(data.DataLoader(probe, batch_size=None, num_workers=2))
    assert again == first and pn.rand(1).item() == after  # reproducible; the main stream is untouched


def test_worker_exceptions_reach_the_caller():
    for mod in (torch, pn):  # torch re-raises the worker's exception type in the main process
        data = _data(mod)

        class Broken(data.IterableDataset):
            def __iter__(self):
                yield 1
                raise ValueError("bad sample")

        with pytest.raises(ValueError, match="bad sample"):
            list(data.DataLoader(Broken(), num_workers=2))


@pytest.mark.parametrize(
    "kw,err",
    [
        ({"num_workers": -1}, ValueError),
        ({"num_workers": "2"}, TypeError),
        ({"timeout": -1}, ValueError),
        ({"prefetch_factor": 2}, ValueError),
        ({"num_workers": 1, "prefetch_factor": -1}, ValueError),
        ({"persistent_workers": True}, ValueError),
        ({"batch_size": 2.0}, ValueError),
        ({"batch_size": True}, ValueError),
        ({"batch_size": 0}, ValueError),
    ],
)
def test_loader_option_errors_as_torch(kw, err):
    for mod in (torch, pn):
        with pytest.raises(err):
            _data(mod).DataLoader(list(range(4)), **kw)


def test_worker_options_accepted_with_workers():
    for mod in (torch, pn):
        dl = _data(mod).DataLoader(
            list(range(4)), batch_size=2, num_workers=1, prefetch_factor=4, persistent_workers=True, timeout=5
        )
        assert _batches(dl) == [[0, 1], [2, 3]] and _batches(dl) == [[0, 1], [2, 3]]


def test_sampler_and_dataset_errors_as_torch():
    for mod in (torch, pn):
        data = _data(mod)
        with pytest.raises(ValueError, match="drop_last"):
            data.BatchSampler(range(4), 2, "yes")
        with pytest.raises(ValueError, match="batch_size"):
            data.BatchSampler(range(4), 2.0, False)
        cat = data.ConcatDataset([[1, 2, 3], [4, 5]])
        assert cat[-5] == 1 and cat[-1] == 5
        with pytest.raises(ValueError):
            cat[-6]
        with pytest.raises(IndexError):
            cat[5]


def _epochs(mod, make, epochs=2):
    """Indices of `epochs` passes of the loader make(mod), then one draw of the default generator."""
    mod.manual_seed(0)
    loader = make(mod)
    order = [[(b[0] if isinstance(b, list) else b).tolist() for b in loader] for _ in range(epochs)]
    return order, round(mod.rand(1).item(), 6)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.utils.data.DataLoader(range(10), batch_size=4, shuffle=True),
        lambda m: m.utils.data.DataLoader(range(10), batch_size=4),  # each epoch still draws a seed
        lambda m: m.utils.data.DataLoader(
            range(10), batch_size=3, shuffle=True, generator=m.Generator().manual_seed(1)
        ),
        lambda m: m.utils.data.DataLoader(
            m.utils.data.TensorDataset(m.arange(7)), batch_size=3, shuffle=True
        ),
        lambda m: m.utils.data.DataLoader(
            range(5), sampler=m.utils.data.RandomSampler(range(5), num_samples=12)
        ),
        lambda m: m.utils.data.DataLoader(
            range(6),
            batch_size=5,
            sampler=m.utils.data.RandomSampler(range(6), replacement=True, num_samples=40),
        ),
        lambda m: m.utils.data.DataLoader(
            range(6),
            sampler=m.utils.data.RandomSampler(
                range(6), num_samples=6, generator=m.Generator().manual_seed(2)
            ),
        ),
    ],
)
def test_shuffled_epochs_are_torchs_for_one_seed(make):
    """The same seed gives torch's batches, epoch after epoch, and leaves the default generator
    where torch leaves it."""
    want = _epochs(torch, make)
    got = _epochs(pn, make)
    assert got[0] == want[0]
    assert got[1] == want[1]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_draws_inside_workers_are_torchs():
    def run(mod):
        data = mod.utils.data

        class Noisy(data.IterableDataset):
            def __iter__(self):
                info = data.get_worker_info()
                return iter([(info.id, round(mod.rand(1).item(), 6)) for _ in range(2)])

        mod.manual_seed(0)
        batches = list(data.DataLoader(Noisy(), batch_size=None, num_workers=2))
        return batches, round(mod.rand(1).item(), 6)

    assert run(pn) == run(torch)


def _value(x):
    if hasattr(x, "dtype") and hasattr(x, "tolist") and not isinstance(x, str):
        return (str(x.dtype).split(".")[-1], x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: _value(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_value(v) for v in x])
    return x


@pytest.mark.parametrize(
    "batch",
    [
        lambda m: [1, 2.5],  # an int first: torch.tensor infers float32
        lambda m: [2.5, 1],
        lambda m: [True, False],
        lambda m: [1, True],
        lambda m: [np.str_("a"), np.str_("b")],
        lambda m: [OrderedDict(b=1, a=2.0), OrderedDict(b=3, a=4.0)],
        lambda m: [defaultdict(list, a=1), defaultdict(list, a=2)],
        lambda m: [{"x": np.ones(2, np.float32), "y": (1, "s")}] * 2,
    ],
)
def test_default_collate_values_and_types_as_torch(batch):
    want = _value(torch.utils.data.default_collate(batch(torch)))
    got = _value(pn.utils.data.default_collate(batch(pn)))
    assert got == want


@pytest.mark.parametrize(
    "batch,err",
    [
        (lambda m: [], IndexError),
        (lambda m: [m.ones(1), 1], TypeError),
        (lambda m: [m.ones(2), m.ones(3)], RuntimeError),
        (lambda m: [np.zeros(2), np.zeros(3)], RuntimeError),
    ],
)
def test_default_collate_errors_as_torch(batch, err):
    for mod in (torch, pn):
        with pytest.raises(err):
            mod.utils.data.default_collate(batch(mod))


def test_loader_batching_attributes_are_fixed_after_init_and_tensor_dataset_checks():
    for mod in (torch, pn):
        data = mod.utils.data
        loader = data.DataLoader(range(6), batch_size=2)
        for name, value in (("batch_size", 3), ("drop_last", True), ("sampler", None), ("dataset", [1])):
            with pytest.raises(ValueError, match="should not be set after"):
                setattr(loader, name, value)
        loader.collate_fn = data.default_collate  # other attributes may change
        with pytest.raises(IndexError):
            data.TensorDataset(mod.tensor(1.0))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_map_style_workers_fetch_each_batch_with_that_workers_streams():
    """Random augmentation in __getitem__ (pyneuro/torch, NumPy, Python's random) under
    num_workers > 0 gives torch's values, and the main process's streams end where torch's do."""

    def run(mod):
        import random

        data = mod.utils.data

        class Augment(data.Dataset):
            def __len__(self):
                return 7

            def __getitem__(self, i):
                info = data.get_worker_info()
                return [i, info.id, mod.rand(1).item(), float(np.random.rand()), random.random()]

        def seed_numpy(worker_id):  # a worker_init_fn of the kind tutorials show
            np.random.seed(1000 + worker_id)

        mod.manual_seed(0)
        np.random.seed(0)
        random.seed(0)
        out = []
        for kw in ({"batch_size": 3}, {"batch_size": 2, "shuffle": True, "worker_init_fn": seed_numpy}):
            out.append([[v.tolist() for v in b] for b in data.DataLoader(Augment(), num_workers=2, **kw)])
        out.append([b for b in data.DataLoader(Augment(), batch_size=None, num_workers=3)][:3])
        out.append([mod.rand(1).item(), float(np.random.rand()), random.random()])
        return out

    want, got = run(torch), run(pn)
    np.testing.assert_allclose(np.array(_flat(got)), np.array(_flat(want)), rtol=1e-6)


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [float(x)]


@pytest.mark.parametrize(
    "kw",
    [
        {"batch_sampler": [[0], []]},  # an empty batch
        {"batch_size": 2, "sampler": [0.0, 1.0]},  # float indices
        {"batch_size": 2, "sampler": [0, 7]},  # out of range
    ],
)
def test_tensor_dataset_gather_refuses_what_torch_refuses(kw):
    for mod in (torch, pn):
        ds = mod.utils.data.TensorDataset(mod.arange(5) * 10, mod.arange(5.0))
        with pytest.raises(IndexError):
            list(mod.utils.data.DataLoader(ds, **kw))


def test_pin_memory_without_an_accelerator_warns_as_torch():
    if torch.accelerator.is_available() or pn.accelerator.is_available():
        pytest.skip("the warning is for machines without an accelerator")
    for mod in (torch, pn):
        loader = mod.utils.data.DataLoader(
            mod.utils.data.TensorDataset(mod.ones(3, 2)), batch_size=2, pin_memory=True
        )
        with pytest.warns(UserWarning, match="pin_memory"):
            batches = list(loader)
        assert len(batches) == 2


def test_loaders_with_workers_in_several_threads():
    import threading

    data = pn.utils.data

    class Tagged(data.IterableDataset):
        def __init__(self, tag):
            self.tag = tag

        def __iter__(self):
            for i in range(20):
                info = data.get_worker_info()
                yield (self.tag, info.id, info.dataset.tag == self.tag, i)

    def read(tag, out):
        out[tag] = list(data.DataLoader(Tagged(tag), batch_size=None, num_workers=2))

    results = {}
    threads = [threading.Thread(target=read, args=(tag, results)) for tag in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for tag in ("a", "b", "c"):
        rows = results[tag]
        assert len(rows) == 40 and all(r[0] == tag and r[2] for r in rows)
        assert [r[1] for r in rows[:4]] == [0, 1, 0, 1]  # round-robin within each loader
    assert data.get_worker_info() is None


def test_random_split_warns_of_an_empty_split_as_torch():
    for mod in (torch, pn):
        with pytest.warns(UserWarning, match="index 2 is 0"):
            parts = mod.utils.data.random_split(range(3), [0.5, 0.25, 0.25])
        assert [len(p) for p in parts] == [2, 1, 0]


class _EightItems:  # a map-style dataset of its indices (defined per library below)
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return i


@pytest.mark.parametrize("workers, tensors", [(0, True), (0, False), (2, False), (2, True)])
def test_the_shuffle_is_drawn_when_torch_draws_it(workers, tensors):
    """torch's single-process iterator draws the shuffle at the first next(); its workers take
    their first indices at iter(loader). A draw in between (a model's init) must see the same
    stream, so seeded weights and batch order both stay torch's."""
    seen = []
    for lib in (torch, pn):
        data = lib.utils.data
        dataset = (
            data.TensorDataset(lib.arange(8)) if tensors else type("DS", (_EightItems, data.Dataset), {})()
        )
        lib.manual_seed(0)
        batches = iter(data.DataLoader(dataset, batch_size=8, shuffle=True, num_workers=workers))
        drawn = lib.rand(2).tolist()
        batch = next(batches)
        seen.append((drawn, (batch[0] if isinstance(batch, list) else batch).tolist()))
    assert seen[0] == seen[1]


def _batched_dataset(T, with_getitem=True):
    class Batched(T.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitems__(self, idx):
            return [i * 10 for i in idx]

    if with_getitem:
        Batched.__getitem__ = lambda self, i: i
    return Batched()


def test_subset_reads_batches_through_its_datasets_getitems():
    """random_split of a dataset with __getitems__ read it item by item ([0, 1], torch [0, 10]);
    a dataset with __getitems__ alone raised NotImplementedError behind a Subset."""
    results = []
    for T in (pn, torch):
        U = T.utils.data
        train, _ = U.random_split(_batched_dataset(T), [2, 2], generator=T.Generator().manual_seed(0))
        only = U.Subset(_batched_dataset(T, with_getitem=False), [3, 1])
        results.append(
            [b.tolist() for b in U.DataLoader(train, batch_size=2)]
            + [b.tolist() for b in U.DataLoader(only, batch_size=2)]
        )
    assert results[0] == results[1]


SAMPLER_DRAWS = {
    "RandomSampler": lambda T: T.utils.data.RandomSampler(range(6)),
    "RandomSampler with replacement": lambda T: T.utils.data.RandomSampler(range(6), True, 40),
    "WeightedRandomSampler": lambda T: T.utils.data.WeightedRandomSampler([1.0, 2, 3, 1, 1, 1], 6),
    "DataLoader, batch_size=None": lambda T: T.utils.data.DataLoader(
        list(range(6)), batch_size=None, shuffle=True
    ),
}


@pytest.mark.parametrize("name", list(SAMPLER_DRAWS))
def test_samplers_draw_at_the_first_next(name):
    """torch's samplers are generators: a draw between iter() and next() comes before theirs."""
    results = []
    for T in (pn, torch):
        T.manual_seed(0)
        it = iter(SAMPLER_DRAWS[name](T))
        T.rand(1)
        results.append([int(i) for i in it])
    assert results[0] == results[1]


def test_draws_without_replacement_order_zero_weights_as_torch():
    """Past the positive weights, torch's race orders the zero-weight indices by its topk."""
    results = []
    for T in (pn, torch):
        g = T.Generator().manual_seed(1)
        sampler = T.utils.data.WeightedRandomSampler([1, 0, 3, 0, 5], 5, replacement=False, generator=g)
        T.manual_seed(0)
        drawn = T.multinomial(T.tensor([[1.0, 0, 2, 0, 0, 0], [0, 0, 0, 0, 0, 1.0]]), 6).tolist()
        results.append((list(sampler), drawn))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "kw",
    [
        dict(batch_sampler=[[slice(0, 2), slice(2, 4)]]),
        dict(sampler=[[0, 1], [2]], batch_size=2),
        dict(sampler=[True, False], batch_size=2),
    ],
    ids=["slices", "ragged", "bools"],
)
def test_tensor_dataset_batches_of_non_integer_indices_read_item_by_item(kw):
    """The TensorDataset fast path crashed on slices (AttributeError) and raised NumPy's errors."""
    results = []
    for T in (pn, torch):
        loader = T.utils.data.DataLoader(T.utils.data.TensorDataset(T.arange(6)), **kw)
        try:
            results.append([b[0].tolist() for b in loader])
        except RuntimeError:
            results.append("RuntimeError")
    assert results[0] == results[1]


def test_random_split_takes_a_tensor_of_lengths():
    splits = [[len(s) for s in T.utils.data.random_split(range(5), T.tensor([2, 3]))] for T in (pn, torch)]
    assert splits[0] == splits[1] == [2, 3]


def _collate_outcome(T, batch):
    class Row(list):
        pass

    try:
        out = T.utils.data.default_collate(batch(Row))
    except Exception as error:
        return type(error).__name__
    return type(out).__name__, [t.tolist() for t in out] if isinstance(out, list) else out


@pytest.mark.parametrize(
    "batch",
    [
        lambda Row: [Row([1, 2]), Row([3, 4])],
        lambda Row: {"a": 1},
        lambda Row: 3,
        lambda Row: [],
    ],
    ids=["list subclass", "dict", "int", "empty"],
)
def test_default_collate_of_odd_batches_is_torchs(batch):
    assert _collate_outcome(pn, batch) == _collate_outcome(torch, batch)


def test_default_collate_of_a_tensor_is_a_type_error():
    for T in (pn, torch):
        with pytest.raises(TypeError):
            T.utils.data.default_collate(T.tensor([1, 2]))


def test_worker_info_is_frozen_as_torchs_dataclass():
    import dataclasses

    class Probe(pn.utils.data.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            info = pn.utils.data.get_worker_info()
            with pytest.raises(dataclasses.FrozenInstanceError):
                info.id = 5
            return i

    assert [b.tolist() for b in pn.utils.data.DataLoader(Probe(), batch_size=2, num_workers=1)] == [[0, 1]]


@pytest.mark.parametrize(
    "n, batch_size, drop_last", [(10, 5, False), (10, 4, False), (10, 4, True), (10, 5, True)]
)
@pytest.mark.parametrize("data", ["tensor dataset", "list"])
def test_a_seeded_shuffle_draws_when_torch_draws(n, batch_size, drop_last, data):
    """RandomSampler draws each permutation (and torch's last, empty one) only when the one
    before is used up: peeking next(iter(loader)) with a generator shared with other draws
    advanced it further than torch's, so every later epoch came in another order."""
    results = []
    for T in (pn, torch):
        U = T.utils.data
        dataset = U.TensorDataset(T.arange(n)) if data == "tensor dataset" else list(range(n))
        g = T.Generator().manual_seed(3)
        loader = U.DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=g, drop_last=drop_last)
        first = next(iter(loader))
        seen = [T.rand(1, generator=g).item()]
        for batch in loader:
            seen.append((batch[0] if data == "tensor dataset" else batch).tolist())
            seen.append(T.rand(1, generator=g).item())
        sampler = iter(U.RandomSampler(range(5), generator=g))
        seen += [next(sampler), T.rand(1, generator=g).item()]
        results.append(((first[0] if data == "tensor dataset" else first).tolist(), seen))
    assert results[0] == results[1]
