"""Where saved tensors' memory lies: which of them overlap (the same tensor twice, views of one
tensor, tied weights), whether a group can be stored as views of one span, and whether a lone
non-contiguous tensor is a transpose of a dense block. Used by serialization.py (pn.save) and
storage.py (t.untyped_storage()).
"""

from __future__ import annotations

import numpy as np


def dense_order(a: np.ndarray):
    """The axes of a non-contiguous array whose elements fill one block of memory (a transpose,
    x.t() or x.permute(...)) from the outermost in memory, else None. Such a tensor is stored
    as its values in C order, so that a safetensors reader gets its shape (a transposed weight
    read as its (6,) storage would not load into a model), and pn.load lays it out as it was."""
    if a.flags.c_contiguous or a.ndim < 2 or a.size == 0:
        return None
    order = sorted(range(a.ndim), key=lambda i: (-a.strides[i], i))
    return order if a.transpose(order).flags.c_contiguous else None


def root(array):
    """The array whose memory `array` views (itself if it owns its memory)."""
    while isinstance(getattr(array, "base", None), np.ndarray):
        array = array.base
    return array


def address(array) -> int:
    """The address of the array's first element (a device array's data_ptr)."""
    if hasattr(array, "__array_interface__"):
        return int(array.__array_interface__["data"][0])
    return int(getattr(array, "data_ptr", 0) or 0)


def extent(a: np.ndarray) -> int:
    """Bytes from a's first element to one past its last (strides assumed non-negative)."""
    if a.size == 0:
        return 0
    return sum((n - 1) * s for n, s in zip(a.shape, a.strides)) + a.dtype.itemsize


def overlapping(pending: list) -> list:
    """`pending` cut into groups of tensors whose host memory overlaps (members and groups
    in first-seen order). Spans are swept in address order within each root array."""
    spans = []
    for i, (obj, array, _, _) in enumerate(pending):
        if isinstance(obj._data, np.ndarray) and array.size and min(array.strides, default=0) >= 0:
            lo = address(array)
            spans.append((id(root(array)), lo, lo + extent(array), i))
    label = list(range(len(pending)))
    reach = None  # (root, end of the memory covered so far, the group's first index)
    for base, lo, hi, i in sorted(spans):
        if reach is not None and reach[0] == base and lo < reach[1]:
            label[i] = reach[2]
            reach = (base, max(reach[1], hi), reach[2])
        else:
            reach = (base, hi, i)
    groups: dict = {}
    for i, entry in enumerate(pending):
        groups.setdefault(label[i], []).append(entry)
    return list(groups.values())  # a group first appears at its first member: first-seen order


def viewable(group: list) -> bool:
    """Whether a group can be written as views of one storage: one dtype, whole-element
    offsets and strides, and a contiguous root array that exposes its memory."""
    first = group[0][1]
    base, item = root(first), first.dtype.itemsize
    if not base.flags.c_contiguous:
        return False
    return all(
        a.dtype == first.dtype
        and min(a.strides, default=0) >= 0
        and (address(a) - address(base)) % item == 0
        and all(s % item == 0 for s in a.strides)
        for _, a, _, _ in group
    )
