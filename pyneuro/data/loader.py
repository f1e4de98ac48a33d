"""DataLoader, samplers and default_collate (PyTorch semantics).

One epoch = one pass over the sampler's order, cut into batches of `batch_size`; the last,
smaller batch is kept unless `drop_last`. With ``shuffle=True`` every epoch (every ``iter``)
draws a fresh permutation from `generator` (or from pyneuro's default generator, seeded by
``pn.manual_seed``), so the same seed gives the same sequence of epochs.

Fast path: when the dataset is a TensorDataset (or a Subset of one), the loader uses the
default collate and the sampler is one of the built-ins, a batch is ``t[indices]`` for each
tensor: one vectorised gather, no Python loop over samples (and a zero-copy slice when the
order is sequential). Anything else is read item by item and merged by `collate_fn`.
"""

from __future__ import annotations

import collections.abc as abc
import math
from numbers import Integral

import numpy as np

from .._tensor_base import _wrap
from ..autograd import shape as _shape
from ..backends import current as _current
from ..random import _rng
from .dataset import Subset, TensorDataset


class Sampler:
    """Iterable of dataset indices. Subclasses define __iter__ (and __len__ when they can)."""

    def __iter__(self):
        raise NotImplementedError

    def index_array(self) -> np.ndarray | None:
        """The whole epoch's order as an int64 array (built-ins only; None = iterate)."""
        return None


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices, drawn afresh on every iteration from `generator`
    (pyneuro's default generator when None)."""

    def __init__(self, data_source, generator=None):
        self.data_source = data_source
        self.generator = generator

    def index_array(self) -> np.ndarray:
        import pyneuro as pn

        return np.asarray(
            pn.randperm(len(self.data_source), generator=self.generator).numpy(), dtype=np.int64
        )

    def __iter__(self):
        return iter(self.index_array().tolist())

    def __len__(self) -> int:
        return len(self.data_source)


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, drawn afresh on every iteration from `generator`
    (pyneuro's default generator when None), as torch.utils.data.SubsetRandomSampler."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def _perm(self) -> list:
        import pyneuro as pn

        return pn.randperm(len(self.indices), generator=self.generator).tolist()

    def index_array(self) -> np.ndarray | None:
        order = np.asarray([self.indices[i] for i in self._perm()])
        if order.ndim != 1 or (order.dtype.kind not in "iu" and order.size):
            return None  # not integer indices: the loader iterates instead
        return order.astype(np.int64, copy=False)

    def __iter__(self):
        for i in self._perm():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices into range(len(weights)), index i drawn with probability
    weights[i] / sum(weights) (as torch.utils.data.WeightedRandomSampler). With
    replacement=False no index repeats: each draw picks among the indices not drawn yet, in
    proportion to their weights (zero-weight indices come only once the others are used up).
    Draws come from `generator` (pyneuro's default generator when None); for one seed the
    stream differs from torch's."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        import pyneuro as pn

        if isinstance(weights, pn.Tensor):
            weights = weights.detach().cpu().numpy()
        w = np.array(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        self.weights = pn.from_numpy(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def index_array(self) -> np.ndarray:
        w = self.weights.numpy()
        n = self.num_samples
        if w.size == 0:
            raise RuntimeError("cannot sample from an empty weights tensor")
        if not self.replacement and n > w.size:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        bad = ~(w >= 0) | ~np.isfinite(w)  # torch's messages: its two multinomial kernels differ
        if bad.any() and self.replacement and n > 1:
            first = w[np.argmax(bad)]
            if not first >= 0:  # negative or NaN
                raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry = infinity or NaN)"
            )
        if bad.any():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        rng = _rng(self.generator)
        if self.replacement:
            return rng.choice(w.size, size=n, replace=True, p=w / w.sum()).astype(np.int64)
        # Without replacement: the n largest keys w / E, E ~ Exp(1) (Efraimidis-Spirakis), which is
        # drawing one index after another in proportion to the weights left. Zero weights get
        # negative keys, so they come last, in random order.
        e = rng.standard_exponential(w.size)
        keys = np.where(w > 0, w / e, -e)
        return np.argsort(-keys, kind="stable")[:n].astype(np.int64)

    def __iter__(self):
        return iter(self.index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size` (last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool = False):
        _check_batch_size(batch_size)
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, bool(drop_last)

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


def _check_batch_size(batch_size) -> None:
    if not isinstance(batch_size, Integral) or isinstance(batch_size, bool):
        raise TypeError(f"batch_size must be a positive int, got {type(batch_size).__name__} {batch_size!r}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}")


class DataLoader:
    """Iterate over `dataset` in batches of Tensors, like ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style Dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch (positive int, default 1).
        shuffle: reshuffle the order at the start of every epoch.
        sampler: an iterable of indices to use instead of shuffle/sequential order.
        batch_sampler: an iterable of index lists (excludes batch_size, shuffle, sampler, drop_last).
        num_workers: accepted for PyTorch compatibility; loading always runs in this process
            (in-memory batches are a single gather, so worker processes would only add cost).
        collate_fn: merges a list of samples into a batch (default: :func:`default_collate`).
        pin_memory: accepted for compatibility; no effect.
        drop_last: drop the last batch when it is smaller than batch_size.
        generator: the pn.Generator that draws the shuffle order.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator=None,
        **_compat,
    ):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(
                f"DataLoader needs a map-style dataset (__getitem__ and __len__), "
                f"got {type(dataset).__name__}"
            )
        if not isinstance(num_workers, Integral) or num_workers < 0:
            raise ValueError(f"num_workers must be a non-negative int, got {num_workers!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        else:
            _check_batch_size(batch_size)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self._default_collate = collate_fn is None
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __iter__(self):
        source = _tensor_source(self.dataset) if self._default_collate else None
        if source is None:
            return self._iter_items()
        order = None
        if isinstance(self.batch_sampler, BatchSampler) and self.batch_sampler.sampler is self.sampler:
            order = _order_of(self.sampler)
        if order is None:  # a custom (batch) sampler: its batches, each one gather
            return self._iter_gather_batches(source)
        return self._iter_gather(source, order)

    def _iter_items(self):
        for indices in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in indices])

    def _iter_gather(self, source, order: np.ndarray):
        tensors, base = source  # base: Subset indices mapped to the TensorDataset, or None
        n, bs = len(order), self.batch_size
        stop = (n // bs) * bs if self.drop_last else n
        sequential = base is None and isinstance(self.sampler, SequentialSampler)
        if base is not None:
            order = base[order]
        for start in range(0, stop, bs):
            end = min(start + bs, n)
            if sequential:  # contiguous rows: one block copy (a fresh batch, as torch's collate gives)
                yield [t[start:end].clone() for t in tensors]
            else:
                yield _gather(tensors, order[start:end])  # one gather per tensor

    def _iter_gather_batches(self, source):
        tensors, base = source
        for indices in self.batch_sampler:
            index = np.asarray(indices, dtype=np.int64)
            if base is not None:
                index = base[index]
            yield _gather(tensors, index)

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={isinstance(self.sampler, RandomSampler)}, "
            f"drop_last={self.drop_last}, batches={len(self)})"
        )


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
        order = np.asarray(sampler)
        if order.ndim == 1 and (order.dtype.kind in "iu" or order.size == 0):
            return order.astype(np.int64, copy=False)
    return None


def _tensor_source(dataset):
    """(tensors, index map or None) when `dataset` is a TensorDataset or Subsets of one; else None."""
    mapping = None
    while isinstance(dataset, Subset):
        indices = np.asarray(dataset.indices, dtype=np.int64)
        mapping = indices if mapping is None else indices[mapping]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:  # a subclass may override __getitem__
        return None
    return dataset.tensors, mapping


def default_collate(batch):
    """Merge a list of samples into a batch, like ``torch.utils.data.default_collate``.

    Tensors and NumPy arrays are stacked along a new first dimension; Python ints become an
    int64 tensor, floats a float64 tensor, bools a bool tensor; strings stay a list; tuples,
    lists, namedtuples and dicts are collated field by field.
    """
    import pyneuro as pn

    if not isinstance(batch, abc.Sequence) or len(batch) == 0:
        raise ValueError("default_collate needs a non-empty list of samples")
    elem = batch[0]
    if isinstance(elem, pn.Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OUS":
            raise TypeError(f"default_collate: arrays of dtype {elem.dtype} are not supported")
        values = np.ascontiguousarray(np.stack(batch))
        return pn.tensor(values, dtype=getattr(pn, values.dtype.name, None))
    if isinstance(elem, np.generic):
        values = np.asarray(batch)
        return pn.tensor(values, dtype=getattr(pn, values.dtype.name, None))
    if isinstance(elem, bool):
        return pn.from_numpy(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, Integral):
        return pn.from_numpy(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return pn.tensor(np.asarray(batch, dtype=np.float64), dtype=pn.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(fields)) for fields in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(fields)) for fields in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
        f"lists; found {type(elem).__name__}"
    )


def _stack(tensors):
    import pyneuro as pn

    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) != 1:
        raise RuntimeError(
            f"default_collate: stack expects each tensor to be equal size, got {sorted(shapes)}"
        )
    stack = getattr(pn, "stack", None)
    if stack is not None:
        return stack(list(tensors))
    return pn.from_numpy(np.stack([t.numpy() for t in tensors]))
