"""DataLoader (PyTorch semantics) over map-style and iterable datasets.

One epoch = one pass over the sampler's order, cut into batches of `batch_size`; the last,
smaller batch is kept unless `drop_last`. With ``shuffle=True`` every epoch (every ``iter``)
draws a fresh permutation from `generator` (or from pyneuro's default generator, seeded by
``pn.manual_seed``), so the same seed gives the same sequence of epochs. An IterableDataset
is read in its own order (no sampler, no shuffle: torch refuses both) and cut into batches
the same way. batch_size=None turns batching off: each sample passes through
:func:`default_convert` (or `collate_fn`) alone.

Fast path: when the dataset is a TensorDataset (or a Subset of one), the loader uses the
default collate and the sampler is one of the built-ins, a batch is ``t[indices]`` for each
tensor: one vectorised gather, no Python loop over samples (and a zero-copy slice when the
order is sequential). Anything else is read item by item and merged by `collate_fn`.

Loading always runs in this process (in-memory batches are one gather, so worker processes
would only add cost). With num_workers > 0, dataset code runs in emulated workers as torch's
workers run it (worker.py: a dataset copy per worker, worker_init_fn, get_worker_info, each
worker's random streams, the order in which their batches come).
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import warnings
from numbers import Integral
from typing import Generic

import numpy as np

from .. import accelerator
from .._tensor_base import _wrap
from ..autograd import shape as _shape
from ..backends import current as _current
from .collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, T_co, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _check_batch_size, draw_seed
from .worker import DatasetStop, get_worker_info, iter_workers, map_workers

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]


class DataLoader(Generic[T_co]):
    """Iterate over `dataset` in batches of Tensors, like ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style Dataset (``__getitem__`` and ``__len__``) or an IterableDataset.
        batch_size: samples per batch (positive int, default 1), or None for no batching.
        shuffle: reshuffle the order at the start of every epoch (map-style only).
        sampler: an iterable of indices to use instead of shuffle/sequential order.
        batch_sampler: an iterable of index lists (excludes batch_size, shuffle, sampler, drop_last).
        num_workers: workers to emulate for an IterableDataset (module docstring); loading
            always runs in this process.
        collate_fn: merges a list of samples into a batch (default: :func:`default_collate`;
            :func:`default_convert` when batch_size is None).
        pin_memory: accepted for compatibility; no effect.
        drop_last: drop the last batch when it is smaller than batch_size.
        generator: the pn.Generator that draws the shuffle order.
        worker_init_fn: called as fn(worker_id) in each (emulated) worker of an IterableDataset.
        persistent_workers: keep the workers (their dataset copies, random streams and seed)
            from one iteration to the next, as torch keeps its worker processes.
    timeout, prefetch_factor, multiprocessing_context, pin_memory_device and in_order are
    checked as torch checks them and otherwise have no effect; an unknown keyword (a typo
    such as batchsize=) is torch's TypeError, never silently ignored.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ):
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value, unset in (
                ("shuffle", shuffle, (None, False)),
                ("sampler", sampler, (None,)),
                ("batch_sampler", batch_sampler, (None,)),
            ):
                if value not in unset if name == "shuffle" else value is not None:
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, but got {name}={value}"
                    )
        elif not hasattr(
            dataset, "__getitem__"
        ):  # one without __len__ serves an explicit sampler, as torch's
            raise TypeError(
                f"DataLoader needs a map-style dataset (__getitem__ and __len__) or an IterableDataset, "
                f"got {type(dataset).__name__}"
            )
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
                )
        else:
            _check_batch_size(batch_size)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.num_workers = num_workers
        self.worker_init_fn = worker_init_fn
        self.timeout, self.prefetch_factor, self.persistent_workers = (
            timeout,
            prefetch_factor,
            persistent_workers,
        )
        self.pin_memory = pin_memory
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        self.multiprocessing_context = _start_method(multiprocessing_context, num_workers)
        self._kept = None  # persistent workers, once the first iteration started them
        self._IterableDataset_len_called = None  # len(dataset) once len(loader) was asked
        if self._iterable:
            sampler = None
        elif sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._initialized = True

    _FIXED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __setattr__(self, name, value):
        if name in self._FIXED and self.__dict__.get(
            "_initialized"
        ):  # torch's rule: the batching is set once
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, as torch
            self._IterableDataset_len_called = n  # torch's name: iterators warn past it
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        if self.batch_sampler is None:
            return len(self.sampler)
        return len(self.batch_sampler)

    def __iter__(self):
        if self.num_workers == 0 and self.timeout != 0:  # torch's single-process iterator asserts it
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        if self.num_workers != 0 and not isinstance(
            self.num_workers, Integral
        ):  # (torch's range(num_workers))
            raise TypeError(f"'{type(self.num_workers).__name__}' object cannot be interpreted as an integer")
        iterator = _SingleProcessDataLoaderIter if self.num_workers == 0 else _MultiProcessingDataLoaderIter
        return iterator(self, self._batch_stream())

    def _batch_stream(self):
        # torch draws every iteration's worker seed from `generator` (or the default generator),
        # with or without workers; drawn here too, the random streams after an epoch are torch's.
        # Persistent workers live from the first iteration on, keeping that seed (no new draw),
        # their dataset copies and their random streams; worker_init_fn runs once (worker.py)
        if self.persistent_workers and self.num_workers > 0:
            if self._kept is None:
                self._kept = {"seed": draw_seed(self.generator), "workers": None}
            base_seed = self._kept["seed"]
        else:
            base_seed = draw_seed(self.generator)
        if self.pin_memory and not accelerator.is_available():  # torch's warning, at every iteration
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device pinned memory "
                "won't be used.",
                stacklevel=2,
            )
        if self._iterable:
            return self._iter_stream(base_seed)
        if not self._auto_collation:
            if self.num_workers > 0:
                return map_workers(self, _started(self.sampler), self._fetch_one, base_seed)
            return (self._fetch_one(self.dataset, i) for i in self.sampler)
        source = _tensor_source(self.dataset) if self._default_collate else None
        if source is None:  # user code reads the samples: in the (emulated) workers, if any
            if self.num_workers > 0:
                return map_workers(self, _started(self.batch_sampler), self._fetch, base_seed)
            return (self._fetch(self.dataset, indices) for indices in self.batch_sampler)
        batches = self._iter_tensors(source)
        return _started(batches) if self.num_workers > 0 else batches  # (the workers' first batch now)

    def _iter_tensors(self, source):
        """A TensorDataset's batches, each one gather. A generator: the shuffle is drawn at the
        first next(), as torch's single-process iterator draws it (a draw between iter(loader) and
        the first batch, e.g. a model's init, then gives torch's weights and order)."""
        order, rest = None, None
        if isinstance(self.batch_sampler, BatchSampler) and self.batch_sampler.sampler is self.sampler:
            if hasattr(self.sampler, "index_array_and_rest"):
                order, rest = self.sampler.index_array_and_rest()
            else:
                order = _order_of(self.sampler)
        if order is None:  # a custom (batch) sampler or an epoch too long to hold: one gather a batch
            yield from self._iter_gather_batches(source)
        else:
            yield from self._iter_gather(source, order, rest)

    def _iter_stream(self, base_seed: int):
        """An IterableDataset's samples in its own order, batched (or converted one by one);
        with num_workers > 0, the emulated workers' batches, round-robin."""
        if self.num_workers > 0:
            return iter_workers(self, self._batches, base_seed)
        return self._batches(iter(self.dataset))

    def _batches(self, samples):
        """Batches (collated) of an iterator of samples, the last one short unless drop_last."""
        if self.batch_size is None:
            for sample in samples:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in samples:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _fetch(self, dataset, indices):
        """One batch of a map-style dataset: its samples, collated. A StopIteration raised by
        the dataset or collate_fn ends the epoch, as torch's fetch (outside any generator) lets
        it; inside the batch generators it would become a RuntimeError."""
        fetch_many = getattr(dataset, "__getitems__", None)  # a dataset that reads batches itself
        try:
            samples = fetch_many(list(indices)) if fetch_many else [dataset[i] for i in indices]
            return self.collate_fn(samples)
        except StopIteration:
            raise DatasetStop from None

    def _fetch_one(self, dataset, index):
        """One sample, converted (no automatic batching); StopIteration as in _fetch."""
        try:
            return self.collate_fn(dataset[index])
        except StopIteration:
            raise DatasetStop from None

    def _iter_gather(self, source, order: np.ndarray, rest=None):
        """The batches of `order`, one gather each. rest: the sampler's last draw, made where
        torch's BatchSampler asks the sampler past its end: while filling the last, partial
        batch, or at the next() after the last full one."""
        tensors, base = source  # base: Subset indices mapped to the TensorDataset, or None
        n, bs = len(order), self.batch_size
        stop = (n // bs) * bs if self.drop_last else n
        sequential = base is None and isinstance(self.sampler, SequentialSampler)
        if base is not None:
            order = base[order]
        for start in range(0, stop, bs):
            end = min(start + bs, n)
            if rest is not None and end - start < bs:
                rest, draw = None, rest
                draw()
            if sequential:  # contiguous rows: one block copy (a fresh batch, as torch's collate gives)
                yield [t[start:end].clone() for t in tensors]
            else:
                yield _gather(tensors, order[start:end])  # one gather per tensor
        if rest is not None:
            rest()

    def _iter_gather_batches(self, source):
        tensors, base = source
        for indices in self.batch_sampler:
            index = _index_array(indices)
            if index is None:  # slices, bools, nested lists: read item by item, as torch's fetch
                yield self._fetch(self.dataset, indices)
                continue
            if base is not None:
                index = base[index]
            yield _gather(tensors, index)


def _started(tasks):
    """An iterator over tasks that has taken its first one already: torch's workers take their
    first indices when iter(loader) starts them, so a shuffle is drawn then, not at next()."""
    tasks = iter(tasks)
    first = next(tasks, _NOTHING)
    return tasks if first is _NOTHING else itertools.chain((first,), tasks)


_NOTHING = object()


class _LoaderIterator:
    """What iter(loader) gives, as torch's loader iterators: the batches, one per next(), and
    len() the loader's number of batches (progress bars read it)."""

    def __init__(self, loader, batches):
        self._loader, self._batches = loader, batches
        self._num_yielded, self._len_called = (
            0,
            loader._IterableDataset_len_called if loader._iterable else None,
        )

    def __iter__(self):
        return self

    def __next__(self):
        try:
            batch = next(self._batches)
        except DatasetStop:
            raise StopIteration from None
        self._num_yielded += 1
        if self._len_called is not None and self._num_yielded > self._len_called:
            _warn_past_length(self._loader, self._len_called, self._num_yielded)
        return batch

    def __len__(self) -> int:
        return len(self._loader)


def _warn_past_length(loader, length: int, fetched: int) -> None:
    """torch's warning when an IterableDataset yields more than the len() it reported (and the
    loader's len() was asked): with workers, often replicas that do not shard themselves. As
    torch's, it compares batches fetched with the dataset's length in samples."""
    message = (
        f"Length of IterableDataset {loader.dataset} was reported to be {length}"
        f"(when accessing len(dataloader)), but {fetched} samples have been fetched. "
    )
    if loader.num_workers > 0:
        message += (
            "For multiprocessing data-loading, this could be caused by not properly configuring the "
            "IterableDataset replica at each worker. Please see "
            "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples."
        )
    warnings.warn(message, stacklevel=3)


def _index_array(indices) -> np.ndarray | None:
    """A custom sampler's batch as an int64 array; None unless it is a non-empty list of
    integers (the batch is then read item by item, which gives torch's result or error)."""
    if not all(
        isinstance(i, (Integral, np.integer)) and not isinstance(i, (bool, np.bool_)) for i in indices
    ):
        return None
    index = np.asarray(indices.tolist() if hasattr(indices, "tolist") else list(indices), dtype=np.int64)
    return index if index.size else None


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    """torch's checks of the worker options, with its messages (a num_workers that is no integer,
    1.5, fails when the workers start: __iter__)."""
    if num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing."
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _start_method(context, num_workers: int):
    """torch's check of multiprocessing_context: None, or with num_workers > 0 a start method's
    name (kept as its context object) or a context object."""
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                f"but got multiprocessing_context={context!r}"
            )
        context = multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string specifying the "
            f"start method, but got multiprocessing_context={context}"
        )
    return context


def _gather(tensors, index: np.ndarray) -> list:
    """[t[index] for t in tensors], the batch's indices copied to each device only once
    (tensors on "cuda" gather there; a dataset of images and labels uploads one index
    array per batch, not one per tensor). A host tensor that needs no gradient (a dataset's)
    is gathered by the kernel table's take_rows straight away: t[index] would give the same
    fresh tensor through the autograd op Index, whose Python, run once per tensor and batch
    with caches the training step left cold, cost more than the labels' gather itself."""
    on_device = {}
    batch = []
    for t in tensors:
        if t.device == "cpu":
            batch.append(t[index] if t.requires_grad else _take_rows(t._data, index))
            continue
        if t.device not in on_device:
            from ..tensor import tensor

            on_device[t.device] = tensor(index, device=t.device)
        batch.append(t[on_device[t.device]])
    return batch


def _take_rows(a, index: np.ndarray):
    """a[index] of a host array as a new Tensor, gathered as Index gathers it (no graph)."""
    return _wrap(_shape.gather(_current("cpu"), a, index), "cpu")


def _order_of(sampler) -> np.ndarray | None:
    """The epoch's index order as one array, when the sampler can give it without a loop."""
    if isinstance(sampler, Sampler):
        return sampler.index_array()
    if isinstance(sampler, (list, tuple, range, np.ndarray)):
        try:
            order = np.asarray(sampler)
        except ValueError:  # ragged ([[0, 1], [2]]): batched item by item, as torch's
            return None
        if order.ndim == 1 and (order.dtype.kind in "iu" or order.size == 0):
            return order.astype(np.int64, copy=False)
    return None


def _index_list(indices) -> np.ndarray | None:
    """A Subset's indices as an int64 array; None unless they are all integers."""
    array = np.asarray(indices.tolist() if hasattr(indices, "tolist") else indices)
    if array.size and array.dtype.kind not in "iu":
        return None
    return array.astype(np.int64, copy=False)


def _tensor_source(dataset):
    """(tensors, index map or None) when `dataset` is a TensorDataset or Subsets of one; else None."""
    mapping = None
    while isinstance(dataset, Subset):
        indices = _index_list(dataset.indices)
        if indices is None:  # float or bool indices: read item by item, which refuses them as torch's
            return None
        mapping = indices if mapping is None else indices[mapping]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:  # a subclass may override __getitem__
        return None
    return dataset.tensors, mapping


class _SingleProcessDataLoaderIter(_LoaderIterator):
    """iter(loader) without workers: torch's class of that name (type() prints it)."""

    __module__ = "pyneuro.utils.data.dataloader"


class _MultiProcessingDataLoaderIter(_LoaderIterator):
    """iter(loader) with workers (num_workers > 0)."""

    __module__ = "pyneuro.utils.data.dataloader"
