"""Datasets (torch.utils.data.dataset): map-style Dataset, TensorDataset, StackDataset, Subset,
ConcatDataset and random_split; streams: IterableDataset and ChainDataset.

A map-style dataset answers ds[i] and len(ds); an IterableDataset is read only by iterating
over it (a file, a generator, a stream), so a DataLoader takes its samples in its order.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import Generic, TypeVar

T_co = TypeVar("T_co", covariant=True)  # what a dataset yields: Dataset[tuple[Tensor, int]] in typed code


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.
    Generic as torch's, so typed code may write ``class Pairs(Dataset[tuple[Tensor, int]])``."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A stream of samples: subclasses define ``__iter__()`` (and ``__len__`` if they know it).

    A DataLoader reads it in its own order and batches it; it takes no sampler or shuffle.
    ``a + b`` chains two streams (ChainDataset). As torch's, it is an abstract Iterable: a
    class without ``__iter__`` cannot be instantiated (TypeError)."""

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several IterableDatasets read one after the other (lazily, at iteration)."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class StackDataset(Dataset[T_co]):
    """Datasets of one length read side by side: StackDataset(a, b)[i] is (a[i], b[i]);
    StackDataset(x=a, y=b)[i] is {"x": a[i], "y": b[i]} (positional or named, not both)."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like input/output, "
                "but both types are given."
            )
        datasets = args or tuple(kwargs.values())
        if not datasets:
            raise ValueError("At least one dataset should be passed")
        self._length = len(datasets[0])
        if any(self._length != len(d) for d in datasets):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """A batch's samples (each dataset's own __getitems__ used where it has one)."""
        named = isinstance(self.datasets, dict)
        columns = {}
        for key, d in self.datasets.items() if named else enumerate(self.datasets):
            many = getattr(d, "__getitems__", None)
            column = many(indices) if many else [d[i] for i in indices]
            if len(column) != len(indices):
                raise ValueError(
                    f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(column)}"
                )
            columns[key] = column
        if named:
            return [{k: col[i] for k, col in columns.items()} for i in range(len(indices))]
        return [tuple(col[i] for col in columns.values()) for i in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class _NoTensorsError(IndexError, ValueError):
    """TensorDataset(): torch's IndexError (its len() reads tensors[0]), and the ValueError pyneuro raised."""


class _NotATensorError(AttributeError, ValueError):
    """TensorDataset(None), TensorDataset([1, 2]): torch's AttributeError (it reads t.size(0)), and
    the ValueError pyneuro raised."""


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dimension.

    ``ds[i]`` is ``tuple(t[i] for t in tensors)``; a DataLoader gathers whole batches of rows
    at once (``t[batch_indices]``), which is the fast path for in-memory data.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise _NoTensorsError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not hasattr(t, "shape"):
                raise _NotATensorError(f"TensorDataset takes tensors, got {type(t).__name__}")
            if len(t.shape) == 0:
                raise IndexError(  # torch's type (from t.size(0))
                    f"TensorDataset tensors need a first (sample) dimension, got {type(t).__name__} "
                    f"shaped {getattr(t, 'shape', None)}"
                )
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise AssertionError("Size mismatch between tensors")  # torch asserts, in these words
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class Subset(Dataset[T_co]):
    """The samples of `dataset` at positions `indices` (in that order)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        """A batch's samples: through the dataset's own __getitems__ where it has one (a dataset
        that reads batches itself stays batched behind a Subset or random_split, as torch's)."""
        many = getattr(self.dataset, "__getitems__", None)
        if callable(many):
            return many([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """Several datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        if idx < 0:
            if -idx > len(self):  # torch's type and message
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        if idx >= len(self):
            raise IndexError(f"index {idx} out of range for a dataset of length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split `dataset` into non-overlapping random Subsets of the given lengths.

    `lengths` are either ints summing to ``len(dataset)`` or fractions summing to 1; with
    fractions each split gets ``floor(fraction * len)`` samples and the remainder is dealt
    one by one, round-robin, from the first split on (exactly as PyTorch does). The order
    comes from ``randperm(len(dataset), generator=generator)`` (pyneuro's default generator,
    seeded by ``pn.manual_seed``, when `generator` is None).
    """
    import pyneuro as pn

    n = len(dataset)
    lengths = lengths.tolist() if hasattr(lengths, "tolist") else list(lengths)  # (a tensor of lengths too)
    if not lengths:
        raise ValueError("random_split needs at least one length")
    all_ints = all(isinstance(x, Integral) and not isinstance(x, bool) for x in lengths)
    if not all_ints:
        if not all(isinstance(x, Real) and not isinstance(x, bool) for x in lengths):
            raise TypeError(f"random_split lengths must be ints or fractions, got {lengths!r}")
        if not (math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1) and sum(lengths) == n:
            raise TypeError(f"random_split lengths must be ints or fractions summing to 1, got {lengths!r}")
        if not math.isclose(sum(lengths), 1.0) or sum(lengths) > 1:  # (torch reads them as lengths then)
            raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
        for i, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:  # torch's warning
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.", stacklevel=2
                )
        lengths = sizes
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split lengths must be non-negative, got {lengths!r}")
    if sum(lengths) != n:
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset!"
        )  # torch's words
    order = pn.randperm(n, generator=generator).tolist()
    splits, offset = [], 0
    for length in lengths:
        splits.append(Subset(dataset, order[offset : offset + length]))
        offset += length
    return splits
