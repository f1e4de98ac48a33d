"""Samplers: the order in which a DataLoader reads a map-style dataset (torch.utils.data.sampler).

A sampler is an iterable of indices (BatchSampler: of lists of indices). The built-ins can also
give a whole epoch's order as one int64 array (`index_array`), which lets the DataLoader gather
a TensorDataset's batches without a Python loop over samples.
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import Generic, TypeVar

import numpy as np

from .._dtype import int64
from ..creation import empty, randint, randperm
from ..random import Generator, _rng

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]


T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Iterable of dataset indices. Subclasses define __iter__ (and __len__ when they can).
    Generic as torch's (``class MySampler(Sampler[int])``)."""

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


# the longest epoch order a DataLoader takes from a RandomSampler in one array (32 MiB of int64)
EAGER_ORDER_LIMIT = 1 << 22


class RandomSampler(Sampler):
    """Random indices into data_source, drawn afresh on every iteration, exactly as
    torch.utils.data.RandomSampler draws them: from `generator`, or (None) from a new generator
    seeded by one int64 draw from the default generator; a permutation (num_samples > len
    gives several permutations back to back, cut to num_samples), or with replacement=True
    num_samples uniform draws (randint, 32 at a time). The same seed gives torch's order."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _draws(self):
        """The epoch's index arrays in torch's order of draws, each drawn only when the one
        before is used up (as torch's generator __iter__ draws them): a permutation per pass
        (num_samples > len gives several, the last cut; a last, empty one is drawn too, as
        torch's), or with replacement=True num_samples uniform draws, 32 at a time."""
        n, k = len(self.data_source), self.num_samples
        gen = self.generator
        if gen is None:
            gen = Generator().manual_seed(draw_seed(None))
        if self.replacement:  # (a loop, not a list of sizes: makemore's num_samples=int(1e10))
            for _ in range(k // 32):
                yield randint(0, n, (32,), generator=gen).numpy()
            yield randint(0, n, (k % 32,), generator=gen).numpy()
            return
        if n == 0:
            raise ZeroDivisionError("RandomSampler over an empty data source")  # torch's k // n
        for _ in range(k // n):
            yield randperm(n, generator=gen).numpy()
        yield randperm(n, generator=gen).numpy()[: k % n]  # drawn even when empty, as torch

    def index_array(self) -> np.ndarray:
        return np.concatenate(list(self._draws())).astype(np.int64, copy=False)

    def index_array_and_rest(self):
        """(the epoch's order, a function that makes torch's last draw) when that last draw adds
        no index (num_samples a multiple of len, without replacement): torch draws it only when
        the epoch is used up, so a DataLoader makes it then. Else (the whole order, None); (None,
        None) for an epoch too long to hold (an "infinite" loader's num_samples=int(1e10)), whose
        indices the DataLoader then draws as it goes, as torch's."""
        if self.num_samples > EAGER_ORDER_LIMIT:
            return None, None
        if self.replacement or self.num_samples % max(len(self.data_source), 1):
            return self.index_array(), None
        draws = self._draws()
        parts = [next(draws) for _ in range(self.num_samples // len(self.data_source))]
        return np.concatenate(parts).astype(np.int64, copy=False), lambda: next(draws, None)

    def __iter__(self):  # (a generator: each draw at the next() that needs it, as torch's)
        for part in self._draws():
            yield from part.tolist()

    def __len__(self) -> int:
        return self.num_samples


def draw_seed(generator) -> int:
    """One int64 draw, torch.empty((), dtype=torch.int64).random_(generator=generator).item():
    how torch seeds a sampler's generator and a DataLoader iteration's workers."""
    return int(empty((), dtype=int64).random_(generator=generator).item())


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
    Draws come from `generator` (pyneuro's default generator when None) by torch.multinomial's
    recipe, so a seed gives torch's indices."""

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
        # torch.multinomial(weights, n, replacement) on the float64 weights, torch's recipe: with
        # replacement, inverse-CDF draws; without, the n largest w / E with E ~ Exp(1)
        # (Efraimidis-Spirakis: drawing one index after another in proportion to the weights left)
        return _rng(self.generator).multinomial_draw(w[None, :], n, self.replacement)[0]

    def __iter__(self):  # (a generator: the order is drawn at the first next(), as torch's)
        yield from self.index_array().tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size` (last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool = False):
        _check_batch_size(batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

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


class BatchSizeError(ValueError, TypeError):
    """A batch_size that is not an int at all: torch's ValueError, and a TypeError as well."""


def _check_batch_size(batch_size) -> None:
    """torch's check: a positive int (not a bool), else ValueError with its message."""
    message = f"batch_size should be a positive integer value, but got batch_size={batch_size}"
    if not isinstance(batch_size, Integral) or isinstance(batch_size, bool):
        raise BatchSizeError(message)
    if batch_size <= 0:
        raise ValueError(message)
