"""DataLoader workers, emulated in this process: get_worker_info and how an IterableDataset is
read with num_workers > 0.

torch starts num_workers processes; each gets its own copy of the dataset, runs
worker_init_fn(worker_id), iterates its copy and batches what it yields, and the loader hands
out the workers' batches round-robin (worker 0's first batch, worker 1's first, ..., then
every worker's second, skipping workers that have run dry). An IterableDataset sees which
worker it runs in through get_worker_info() and shards itself by it; one that does not
shard yields its samples once per worker, as under torch.

A map-style dataset's batch i is fetched and collated by worker i % num_workers, so
its batches come in the sampler's order, each made inside one worker.

pyneuro keeps the loading in this process (in-memory batches gain nothing from processes)
but reproduces exactly that: a (shallow) copy of the dataset per worker, worker_init_fn
called with get_worker_info() answering, the same order, drop_last per worker, and each
worker with its own random streams seeded as torch seeds a worker's: pyneuro's default
generator and Python's `random` with WorkerInfo.seed (base_seed + id), NumPy's global one
with torch's _generate_state(base_seed, id). The main process's streams are left where they
were. (A copy is shallow: attributes a worker rebinds are its own, objects they hold are
shared; torch's workers, separate processes, copy even those.) A TensorDataset read by the
built-in gather runs no user code, so it is read without this emulation.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import random
import threading
import traceback

import numpy as np

from .. import random as _random

__all__ = ["WorkerInfo", "get_worker_info"]

_local = threading.local()  # .info: the WorkerInfo of the worker running in this thread
_lock = threading.RLock()  # one emulated worker at a time: the random streams it swaps are global


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed and the worker's
    own copy of the dataset (attributes are read-only, as torch's)."""

    __slots__ = ("id", "num_workers", "seed", "dataset", "_streams")

    def __init__(self, id: int, num_workers: int, seed: int, dataset):
        for name, value in (("id", id), ("num_workers", num_workers), ("seed", seed), ("dataset", dataset)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_streams", None)  # (pyneuro, random, NumPy) states between batches

    def __setattr__(self, key, value):  # (torch's is a frozen dataclass: FrozenInstanceError)
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {key!r}")

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


def get_worker_info():
    """The current worker's WorkerInfo while a DataLoader worker runs dataset code, else None
    (in the main process, and always with num_workers=0), as torch.utils.data.get_worker_info."""
    return getattr(_local, "info", None)


@contextlib.contextmanager
def _as_worker(info: WorkerInfo, base_seed: int):
    """Run a block as worker `info`: get_worker_info() answers it and the random streams are
    the worker's own (seeded as torch seeds them on first entry); the main process's come back after.
    Workers of loaders iterated in several threads take turns (a draw another thread makes
    meanwhile comes from the worker's streams: they are the process's global ones)."""
    with _lock:
        yield from _run_as_worker(info, base_seed)


def _run_as_worker(info: WorkerInfo, base_seed: int):
    main = _streams()
    if info._streams is None:
        _set_streams(((info.seed, None), None, None))  # pyneuro's stream built from the seed on first draw
        random.seed(info.seed)
        np.random.seed(_generate_state(base_seed, info.id))
    else:
        _set_streams(info._streams)
    previous, _local.info = getattr(_local, "info", None), info
    try:
        yield
    except (StopIteration, DatasetStop):
        raise
    except Exception as exc:
        raise _caught(exc, info.id) from None
    finally:
        _local.info = previous
        object.__setattr__(info, "_streams", _streams())
        _set_streams(main)


class DatasetStop(Exception):
    """A map-style dataset (or collate_fn) raised StopIteration: the loader's epoch ends there,
    as torch's does (carried out of the batch generators, which would turn it into an error)."""


class KeyErrorMessage(str):
    """A KeyError's message printed as written (KeyError shows its argument's repr), as torch's."""

    def __repr__(self):
        return self


def _caught(exc: Exception, worker_id: int) -> Exception:
    """The exception the main process raises for one raised in a worker, as torch's
    ExceptionWrapper.reraise builds it: the same type, its message "Caught KeyError in
    DataLoader worker process 0." followed by the worker's original traceback (a type that
    cannot be built from one message is a RuntimeError)."""
    original = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    msg = f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}.\nOriginal {original}"
    if isinstance(exc, KeyError):
        msg = KeyErrorMessage(msg)
    try:
        return type(exc)(msg)
    except Exception:
        return RuntimeError(msg)


def _streams() -> tuple:
    """(pyneuro's default generator's seed and stream, Python's random state, NumPy's).
    The pyneuro stream object itself is taken, not a serialised copy: swapping it costs
    nothing, where get_rng_state/set_rng_state would cost half a millisecond per batch."""
    gen = _random.default_generator
    return (gen._seed, gen._state), random.getstate(), np.random.get_state()


def _set_streams(states: tuple) -> None:
    gen = _random.default_generator
    gen._seed, gen._state = states[0]
    if states[1] is not None:
        random.setstate(states[1])
        np.random.set_state(states[2])


def _generate_state(base_seed: int, worker_id: int) -> list:
    """torch.utils.data._utils.worker._generate_state: NumPy's seed in worker `worker_id`
    (SeedSequence-style hashing of the worker id and the 64-bit base seed into four words)."""
    mask = 0xFFFFFFFF
    hash_const = 0x43B0D7E5

    def hash32(value):
        nonlocal hash_const
        value = (value ^ hash_const) & mask
        hash_const = (hash_const * 0x931E8875) & mask
        value = (value * hash_const) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x, y):
        result = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (result ^ (result >> 16)) & mask

    pool = [hash32(v) for v in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash32(pool[i_src]))
    hash_b, state = 0x8B51F9DD, []
    for value in pool:
        value = (value ^ hash_b) & mask
        hash_b = (hash_b * 0x58F38DED) & mask
        value = (value * hash_b) & mask
        state.append((value ^ (value >> 16)) & mask)
    return state


def _copy(dataset):
    """The worker's own (shallow) copy of the dataset (torch's worker gets a whole copy)."""
    try:
        return copy.copy(dataset)
    except Exception:  # an object that refuses to be copied: shared, as a fork would start it
        return dataset


def _start(loader, base_seed: int) -> list:
    """The loader's workers, each with its dataset copy, after worker_init_fn ran in each;
    with persistent_workers, the workers the first iteration started, as they were left."""
    kept = getattr(loader, "_kept", None)
    if kept is not None and kept["workers"] is not None:
        return kept["workers"]
    n = loader.num_workers
    workers = []
    for worker_id in range(n):
        info = WorkerInfo(worker_id, n, base_seed + worker_id, _copy(loader.dataset))
        with _as_worker(info, base_seed):
            if loader.worker_init_fn is not None:
                loader.worker_init_fn(worker_id)
        workers.append(info)
    if kept is not None:
        kept["workers"] = workers
    return workers


def iter_workers(loader, batches_of, base_seed: int):
    """The batches of an IterableDataset read by loader.num_workers emulated workers,
    round-robin; batches_of(iterator) turns one worker's samples into its batches."""
    running = []
    for info in _start(loader, base_seed):
        with _as_worker(info, base_seed):  # torch: iter(dataset) in the worker, after worker_init_fn
            running.append((info, batches_of(iter(info.dataset))))
    while running:
        for entry in list(running):
            info, batches = entry
            with _as_worker(info, base_seed):
                batch = next(batches, _DONE)
            if batch is _DONE:
                running.remove(entry)
            else:
                yield batch


def map_workers(loader, tasks, fetch, base_seed: int):
    """fetch(worker's dataset, task) for each task of a map-style dataset (a batch's indices,
    or one index without batching), task i in worker i % num_workers, in order."""
    workers = _start(loader, base_seed)
    for i, task in enumerate(tasks):
        info = workers[i % len(workers)]
        with _as_worker(info, base_seed):
            batch = fetch(info.dataset, task)
        yield batch


_DONE = object()
