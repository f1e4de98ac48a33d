"""pn.as_strided: a view of a tensor's memory with any sizes and strides (torch.as_strided).

A tensor's elements live in a flat block of memory, its storage (here the NumPy array at the
root of its `.base` chain); its shape and strides say where each element is:

    element [i0, i1, ...] is at storage position  offset + i0 * stride0 + i1 * stride1 + ...

as_strided makes a tensor with other sizes, strides and offset over the same storage: sliding
windows (stride 1 with size k), a matrix's diagonal (stride n + 1), repeated rows (stride 0).
It shares memory, so writes through it reach the input (and the other way round).

Gradient: each output element came from one storage position. backward adds the output's
gradient into a storage-sized array at those positions, then reads it back at the positions
of the input's elements. Storage positions outside the input get no gradient; when the input
itself repeats a position (an expanded tensor), each of its elements gets an equal share --
torch's as_strided_backward does the same.

Writes through the view are in the graph (an in-place op on it rebases the input, as for any
view) when the view's elements are distinct elements of the input; a view that overlaps itself
or reaches outside its input shares memory but is not linked for that (torch forbids in-place
ops on overlapping views in many cases).
"""

from __future__ import annotations

from ._memory_spans import dense_order
from .autograd.function import Function, _scatter_add
from .autograd.graph_rules import rule
from .autograd.inplace import register_as_strided
from .creation import empty
from .torch_names import _check_tensor


def _storage(array):
    """The array at the root of array's `.base` chain (the memory it views), as Tensor.storage_offset."""
    base = array
    while getattr(base, "base", None) is not None and hasattr(base.base, "__array_interface__"):
        base = base.base
    if base is not array and (base.dtype != array.dtype or not _block(base)):
        return array  # not a plain block of these elements: the array is its own storage
    return base


def _block(array) -> bool:
    """Whether the array's elements fill one block of memory, in C order or a permutation of it."""
    return array.flags.c_contiguous or dense_order(array) is not None


def _flat(storage):
    """The storage's elements in memory order, as a view of it: a block in a permuted order (x.t() * 1
    keeps x.t()'s layout, as torch's) through the transpose that makes it C order."""
    order = dense_order(storage) if hasattr(storage, "flags") else None
    return (storage if order is None else storage.transpose(order)).reshape(-1)


def _positions(xp, shape, strides, offset):
    """The storage position of every element of a (shape, strides in elements, offset) geometry."""
    pos = xp.full(tuple(shape), offset, dtype="int64")
    for d, (n, s) in enumerate(zip(shape, strides)):
        axis = [1] * len(shape)
        axis[d] = n
        pos = pos + (xp.arange(n, dtype="int64") * s).reshape(axis)
    return pos


def _offset_in(storage, array) -> int:
    if storage is array or not hasattr(array, "__array_interface__"):
        return 0
    start = int(storage.__array_interface__["data"][0])
    return (int(array.__array_interface__["data"][0]) - start) // array.itemsize


def _check_geometry(size, stride, offset, storage_size, itemsize) -> None:
    """torch's RuntimeErrors for a geometry as_strided cannot make."""
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}"
        )
    if any(n < 0 for n in size):
        raise RuntimeError(
            f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}"
        )
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if all(n > 0 for n in size):
        needed = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
        if needed > storage_size:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize "
                f"{itemsize} requiring a storage size of {needed * itemsize} are out of bounds for storage of size "
                f"{storage_size * itemsize}"
            )


def _move(xp, x, src, dst, counted):
    """x added into a storage-sized array at positions src, divided by how often `counted` holds
    each position (when it repeats one), and read back at positions dst.

    With (src, dst) = (output's, input's positions) it is as_strided's backward; with them
    swapped, that backward's own transpose (the division is diagonal), so each is the other's
    gradient, to any order (create_graph=True)."""
    n = 1 + max((int(p.max()) for p in (src, dst, counted) if p.size), default=-1)
    storage = xp.zeros(n, dtype=x.dtype)
    _scatter_add(xp, storage, src, x)  # (one bincount for float32/64 on the host)
    count = xp.bincount(counted.reshape(-1), minlength=n)
    if counted.size and int(count.max()) > 1:  # an expanded input: share equally among its copies
        storage = storage / xp.maximum(count, 1).astype(x.dtype)
    return storage[dst]


class StorageMove(Function):
    """out = _move(x, src, dst, counted): as_strided's backward as a graph op, for create_graph=True.

    d out / d x = _move(g, dst, src, counted) (the transpose of the same linear map).
    """

    __slots__ = ()
    saves_tensors = False
    saved_for = ()

    def forward(self, x, src=None, dst=None, counted=None):
        self.saved = (src, dst, counted)
        return _move(self.bk.xp, x, src, dst, counted)

    def backward(self, g):
        src, dst, counted = self.saved
        return (_move(self.bk.xp, g, dst, src, counted),)


@rule(StorageMove)
def _storage_move_rule(node, g):
    src, dst, counted = node.saved
    return (StorageMove.apply(g, src=dst, dst=src, counted=counted),)


class AsStrided(Function):
    """out = the (size, stride, offset) view of a's storage.

    d out / d a: g added into a storage-sized array at the output's positions, read back at
    a's element positions (divided by how often a repeats a position, for expanded inputs).
    """

    __slots__ = ()
    saves_tensors = False  # positions only: backward reads no tensor
    saved_for = ()
    is_view = True

    def forward(self, a, size=(), stride=(), storage_offset=None):
        xp = self.bk.xp
        storage = _storage(a)
        itemsize = a.itemsize
        in_offset = _offset_in(storage, a)
        offset = in_offset if storage_offset is None else storage_offset
        _check_geometry(size, stride, offset, storage.size, itemsize)
        flat = _flat(storage)[offset:]
        out = xp.lib.stride_tricks.as_strided(
            flat, shape=tuple(size), strides=tuple(s * itemsize for s in stride)
        )
        in_strides = tuple(s // itemsize for s in a.strides)
        self.saved = (_Places(xp, (size, stride, offset), (a.shape, in_strides, in_offset)), a.shape)
        return out

    def backward(self, g):
        places, _ = self.saved
        return (_move(self.bk.xp, g, places.out, places.inp, places.inp),)

    def view_step(self, a, out, size=(), stride=(), storage_offset=None):
        """("index", the input's element of each output element) when each output element is a
        distinct element of the input, so writes through the view can be replayed; else None."""
        xp = self.bk.xp
        places, shape = self.saved
        if len(shape) == 0 or 0 in size or _repeats_by_geometry(size, stride):
            return None  # (overlapping windows are known without a sort)
        pos_out = places.out
        flat_in, flat_out = places.inp.reshape(-1), pos_out.reshape(-1)
        order = xp.argsort(flat_in, kind="stable")
        ordered = flat_in[order]
        if _repeats(ordered) or (not _distinct_by_geometry(size, stride) and _repeats(xp.sort(flat_out))):
            return None  # the view or the input repeats a position
        where = xp.minimum(xp.searchsorted(ordered, flat_out), ordered.size - 1)
        if not bool((ordered[where] == flat_out).all()):
            return None  # the view reaches memory outside the input
        return ("index", xp.unravel_index(order[where].reshape(pos_out.shape), shape))


def _repeats(ordered) -> bool:
    """Does a sorted array of positions hold one twice?"""
    return bool((ordered[1:] == ordered[:-1]).any())


def _distinct_by_geometry(size, stride) -> bool:
    """Are the geometry's positions distinct, as each stride (in increasing order) steps past
    all that the smaller ones reach (a transpose, a slice, non-overlapping windows)? False: maybe not."""
    reach = 0  # the largest offset the dims with smaller strides reach
    for s, n in sorted((s, n) for n, s in zip(size, stride) if n > 1):
        if s <= reach:
            return False
        reach += (n - 1) * s
    return True


def _repeats_by_geometry(size, stride) -> bool:
    """Does the geometry certainly repeat a position: a stride 0 over a dim of size > 1, or a
    stride that is m times another's with m < that dim's size (x.unfold(0, 4, 2): windows overlap)?"""
    dims = [(n, s) for n, s in zip(size, stride) if n > 1]
    for i, (_, s_i) in enumerate(dims):
        if s_i == 0:
            return True
        for j, (n_j, s_j) in enumerate(dims):
            if i != j and s_j and s_i % s_j == 0 and s_i // s_j < n_j:
                return True
    return False


class _Places:
    """The storage positions of an as_strided view's elements (out) and of its input's (inp),
    made when first asked: a view that is only read (x.unfold(0, 100, 1).sum(1)) needs neither."""

    __slots__ = ("xp", "geometry", "_out", "_inp")

    def __init__(self, xp, out_geometry, in_geometry):
        self.xp, self.geometry, self._out, self._inp = xp, (out_geometry, in_geometry), None, None

    @property
    def out(self):
        if self._out is None:
            self._out = _positions(self.xp, *self.geometry[0])
        return self._out

    @property
    def inp(self):
        if self._inp is None:
            self._inp = _positions(self.xp, *self.geometry[1])
        return self._inp


register_as_strided(AsStrided)  # (view chains collapse into one as_strided step: autograd/inplace.py)


@rule(AsStrided)
def _as_strided_rule(node, g):
    places, _ = node.saved
    return (StorageMove.apply(g, src=places.out, dst=places.inp, counted=places.inp),)


def as_strided(input, size, stride, storage_offset=None):
    """A view of input's storage with the given sizes, strides (in elements) and offset (default:
    input's own storage_offset), as torch.as_strided. Strides must be >= 0 and every element
    inside the storage (RuntimeError otherwise, as torch)."""
    _check_tensor("as_strided", input)
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    offset = None if storage_offset is None else int(storage_offset)
    out = AsStrided.apply(input, size=size, stride=stride, storage_offset=offset)
    out._vc = input._vc  # the same memory, so the same version counter, linked view or not
    return out


def empty_strided(
    size, stride, *, dtype=None, layout=None, device=None, pin_memory=None, requires_grad=False
):
    """An uninitialised tensor with the given sizes and strides (a view of just enough memory)."""
    size, stride = tuple(size), tuple(stride)
    needed = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(n > 0 for n in size) else 0
    out = as_strided(empty(needed, dtype=dtype, device=device), size, stride).detach()
    if requires_grad:
        out.requires_grad_(True)
    return out


__all__ = ["as_strided", "empty_strided"]
