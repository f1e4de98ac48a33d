"""Tensors in shared memory: Tensor.share_memory_(), is_shared(), and how a shared tensor travels
to another process (torch.multiprocessing's "file_descriptor" strategy).

Why it matters: Hogwild training (pytorch/examples' mnist_hogwild) calls `model.share_memory()`
and hands the model to several processes, each of which trains it with its own optimizer; the
updates must land in ONE set of weights. A tensor pickled by value would give every process its
own copy, and the parent's model would come back untrained, silently.

How:
  * share_memory_() moves the tensor's values into a fresh memory file (memfd_create, or an
    unlinked file in /dev/shm where there is none) mapped MAP_SHARED, and points the tensor at
    it. The values and the tensor object stay the same; views made BEFORE the call keep the old
    memory, as the storage move does in torch.
  * Sending such a tensor to a process started with "spawn" or "forkserver", or through a
    multiprocessing Queue or Pipe, pickles it with multiprocessing's ForkingPickler. For it
    pyneuro registers a reducer (the first time a tensor is shared) that sends, instead of the
    values, a duplicate of the file's descriptor (multiprocessing.reduction.DupFd, passed over
    a Unix socket) plus the array's dtype, shape, strides and offset; the receiver maps the same
    file. With "fork" the child inherits the mapping itself.
  * Any other pickling (pn.save, copy.deepcopy, pickle.dumps) still writes the values.
  * Lifetime: the file has no name, so it is freed by the kernel when the last mapping and the
    last descriptor are gone; nothing is left behind in /dev/shm by a crash.
Arrays on a GPU (cupy) are left as they are, as torch leaves CUDA tensors.
"""

from __future__ import annotations

import mmap
import os
import tempfile

import numpy as np


class Segment(mmap.mmap):
    """A shared mapping of a memory file that keeps the file's descriptor (to pass it on)."""

    fd: int
    nbytes: int

    def __del__(self):
        fd, self.fd = getattr(self, "fd", -1), -1
        if fd >= 0:
            os.close(fd)


def _memory_file(nbytes: int) -> int:
    """A descriptor of a new, nameless file of nbytes bytes in memory."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("pyneuro-tensor", os.MFD_CLOEXEC)
    else:  # macOS, older kernels: a file in /dev/shm (or the temp dir) unlinked at once
        folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
        fd, path = tempfile.mkstemp(prefix="pyneuro-tensor-", dir=folder)
        os.unlink(path)
    try:
        os.ftruncate(fd, nbytes)
    except OSError:
        os.close(fd)
        raise
    return fd


def _map(fd: int, nbytes: int) -> Segment:
    segment = Segment(fd, nbytes, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    segment.fd, segment.nbytes = fd, nbytes
    return segment


def segment_of(array) -> Segment | None:
    """The shared segment an array's memory belongs to (through its chain of bases), or None."""
    base = array
    while base is not None:
        if isinstance(base, Segment):
            return base
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return None


def _address(array) -> int:
    return array.__array_interface__["data"][0]


def _segment_address(segment: Segment) -> int:
    return _address(np.frombuffer(segment, np.uint8))


def to_shared(array: np.ndarray) -> np.ndarray:
    """A copy of array (same shape, dtype and values, C order) in a new shared segment."""
    nbytes = max(array.nbytes, 1)  # a mapping cannot be empty
    segment = _map(_memory_file(nbytes), nbytes)
    shared = np.frombuffer(segment, array.dtype, count=array.size).reshape(array.shape)
    shared[...] = array
    _register_reducers()
    return shared


def share(tensor) -> None:
    """Tensor.share_memory_'s work: move tensor's values into shared memory (once)."""
    data = tensor._data
    if isinstance(data, np.ndarray) and segment_of(data) is None:
        tensor._data = to_shared(data)


def is_shared(tensor) -> bool:
    return isinstance(tensor._data, np.ndarray) and segment_of(tensor._data) is not None


# ----------------------------------------------------------------------------- across processes
class _SharedArray:
    """Stands for a shared array in a tensor's pickled state (only under ForkingPickler)."""

    def __init__(self, array: np.ndarray, segment: Segment):
        self.array, self.segment = array, segment

    def __reduce__(self):
        from multiprocessing.reduction import DupFd  # imported only when a tensor is sent

        a, segment = self.array, self.segment
        offset = _address(a) - _segment_address(segment)
        return attach, (DupFd(segment.fd), segment.nbytes, a.dtype.str, a.shape, a.strides, offset)


def attach(dup, nbytes: int, dtype: str, shape: tuple, strides: tuple, offset: int) -> np.ndarray:
    """The receiving side: map the sender's file and view the array in it."""
    segment = _map(dup.detach(), nbytes)
    _register_reducers()  # so that this process can pass the tensor on
    return np.ndarray(shape, np.dtype(dtype), buffer=segment, offset=offset, strides=strides)


def _reduce_tensor(tensor):
    """ForkingPickler's reducer for tensors: a shared tensor's values travel as its segment."""
    rebuild, args, state = tensor.__reduce_ex__(4)[:3]
    segment = segment_of(tensor._data) if isinstance(tensor._data, np.ndarray) else None
    if segment is not None:
        slots = dict(state[1], _data=_SharedArray(tensor._data, segment))
        state = (state[0], slots)
    return rebuild, args, state


_registered: set = set()


def _register_reducers() -> None:
    """Register _reduce_tensor with multiprocessing's pickler for every tensor class (ForkingPickler
    looks classes up exactly, so each subclass is registered, as torch does)."""
    from multiprocessing.reduction import ForkingPickler

    from .tensor import Tensor

    pending, classes = [Tensor], []
    while pending:
        cls = pending.pop()
        classes.append(cls)
        pending.extend(cls.__subclasses__())
    for cls in classes:
        if cls not in _registered:
            ForkingPickler.register(cls, _reduce_tensor)
            _registered.add(cls)
