"""DataLoader workers, emulated in this process: get_worker_info and how an IterableDataset is
read with num_workers > 0.

torch starts num_workers processes; each gets its own copy of the dataset, runs
worker_init_fn(worker_id), iterates its copy and batches what it yields, and the loader hands
out the workers' batches round-robin (worker 0's first batch, worker 1's first, ..., then
every worker's second, skipping workers that have run dry). An IterableDataset sees which
worker it runs in through get_worker_info() and shards itself by it; one that does not
shard yields its samples once per worker, as under torch.

pyneuro keeps the loading in this process (in-memory batches gain nothing from processes)
but reproduces exactly that: one copy of the dataset per worker, worker_init_fn called with
get_worker_info() answering, the same round-robin order, drop_last per worker, and each
worker with its own default random generator seeded with its WorkerInfo.seed (the main
process's stream is left where it was). A map-style dataset's batches come out in the
sampler's order whatever the workers, so it is read without this emulation.
"""

from __future__ import annotations

import contextlib
import copy

from .. import random as _random

__all__ = ["WorkerInfo", "get_worker_info"]

_current = None  # the WorkerInfo of the worker whose code is running, None in the main process


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed and the worker's
    own copy of the dataset (attributes are read-only, as torch's)."""

    __slots__ = ("id", "num_workers", "seed", "dataset", "_rng_state")

    def __init__(self, id: int, num_workers: int, seed: int, dataset):
        for name, value in (("id", id), ("num_workers", num_workers), ("seed", seed), ("dataset", dataset)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_rng_state", None)

    def __setattr__(self, key, value):
        raise AttributeError(f"Cannot assign attributes to {type(self).__name__} objects")  # torch's type

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


def get_worker_info():
    """The current worker's WorkerInfo while a DataLoader worker runs dataset code, else None
    (in the main process, and always with num_workers=0), as torch.utils.data.get_worker_info."""
    return _current


@contextlib.contextmanager
def _as_worker(info: WorkerInfo):
    """Run a block as worker `info`: get_worker_info() answers it and the default generator
    is the worker's own (seeded with info.seed on first entry); the main process's comes back after."""
    global _current
    main_state = _random.get_rng_state()
    if info._rng_state is None:
        _random.manual_seed(info.seed)
    else:
        _random.set_rng_state(info._rng_state)
    previous, _current = _current, info
    try:
        yield
    finally:
        _current = previous
        object.__setattr__(info, "_rng_state", _random.get_rng_state())
        _random.set_rng_state(main_state)


def _copy(dataset):
    """The worker's own copy of the dataset (torch pickles it into each process)."""
    try:
        return copy.deepcopy(dataset)
    except Exception:  # unpicklable state (an open file, a generator): share it, as a fork would
        return dataset


def iter_workers(loader, batches_of, base_seed: int):
    """The batches of loader.dataset read by loader.num_workers emulated workers, round-robin.
    batches_of(iterator) turns one worker's samples into its batches (collated); worker i's
    seed is base_seed + i, as torch's."""
    n = loader.num_workers
    workers = []
    for worker_id in range(n):
        info = WorkerInfo(worker_id, n, base_seed + worker_id, _copy(loader.dataset))
        with _as_worker(info):
            if loader.worker_init_fn is not None:
                loader.worker_init_fn(worker_id)
            workers.append((info, batches_of(iter(info.dataset))))
    while workers:
        for entry in list(workers):
            info, batches = entry
            with _as_worker(info):
                batch = next(batches, _DONE)
            if batch is _DONE:
                workers.remove(entry)
            else:
                yield batch


_DONE = object()
