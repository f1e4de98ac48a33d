"""t.untyped_storage() and t.storage(): the memory a tensor and its views share, as torch shows it.

A tensor is a view of a block of memory (its storage): x[1], x.t() and x.reshape(6) look at
the same block as x with another offset, shape or strides. Tutorials on views check it with
`y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()` and print `x.storage()`.
Here the block is the NumPy array at the root of the tensor's `.base` chain: the storage
reports its address and size and reads its bytes (or, typed, its elements); it never copies.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._memory_spans import address as _address
from ._memory_spans import root as _root

_TYPED_DEPRECATED = (
    "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
    "storage class. This should only matter to you if you are using storages directly.  To access "
    "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()"
)


class UntypedStorage:
    """The bytes of a tensor's memory block (torch.UntypedStorage): data_ptr, nbytes, size()."""

    def __init__(self, array, device):
        self._root = _root(array)
        self.device = device

    def data_ptr(self) -> int:
        return _address(self._root)

    def nbytes(self) -> int:
        return int(self._root.nbytes)

    def size(self) -> int:
        return self.nbytes()

    def __len__(self) -> int:
        return self.nbytes()

    def element_size(self) -> int:
        return 1

    def _bytes(self) -> np.ndarray:
        if not isinstance(self._root, np.ndarray):
            raise NotImplementedError(
                "reading the bytes of a device storage: copy the tensor to the cpu first"
            )
        return np.ascontiguousarray(self._root).reshape(-1).view(np.uint8)

    def tolist(self) -> list:
        return self._bytes().tolist()

    def __getitem__(self, i):
        return self._bytes()[i].tolist()


class TypedStorage:
    """A tensor's memory block read as elements of its dtype (torch.TypedStorage, deprecated in
    torch in favour of UntypedStorage, and t.storage() warns so)."""

    def __init__(self, array, dtype, device):
        self._untyped = UntypedStorage(array, device)
        self.dtype = dtype
        self.device = device

    def untyped(self) -> UntypedStorage:
        return self._untyped

    def _untyped_storage(self) -> UntypedStorage:
        return self._untyped

    def data_ptr(self) -> int:
        return self._untyped.data_ptr()

    def element_size(self) -> int:
        return np.dtype(self.dtype.dtype).itemsize

    def nbytes(self) -> int:
        return self._untyped.nbytes()

    def size(self) -> int:
        return self.nbytes() // self.element_size()

    def __len__(self) -> int:
        return self.size()

    def _values(self) -> np.ndarray:
        return self._untyped._bytes().view(np.dtype(self.dtype.dtype))

    def tolist(self) -> list:
        return self._values().tolist()

    def __getitem__(self, i):
        return self._values()[i].tolist()

    def __repr__(self) -> str:
        lines = [f" {v}" for v in self.tolist()]  # (each as a Python number, as torch prints them)
        head = (
            f"[pyneuro.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of size {self.size()}]"
        )
        return "\n".join(lines + [head])

    __str__ = __repr__


def typed_storage(tensor) -> TypedStorage:
    warnings.warn(_TYPED_DEPRECATED, UserWarning, stacklevel=3)
    return TypedStorage(tensor._data, tensor.dtype, tensor.device)
