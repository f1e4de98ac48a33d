"""default_collate and default_convert: how a DataLoader turns samples into batches of Tensors.

default_collate merges a list of samples into one batch (stacking along a new first dimension);
default_convert, used when automatic batching is off (batch_size=None), only turns NumPy arrays
and scalars in one sample into Tensors. Both walk tuples, lists, namedtuples and dicts field by
field, as torch.utils.data's do.
"""

from __future__ import annotations

import collections.abc as abc
import copy

import numpy as np

from ..tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]


def default_collate(batch):
    """Merge a list of samples into a batch, like ``torch.utils.data.default_collate``.

    Tensors and NumPy arrays are stacked along a new first dimension (equal shapes, else
    torch.stack's RuntimeError); a batch that starts with a Python int or bool becomes what
    pn.tensor(batch) infers (int64, bool, float32 when floats follow), one that starts with a
    float a float64 tensor; strings stay as they came (a list, or a tuple from a transposed
    batch); tuples, lists, namedtuples and dicts (of the sample's own mapping type) are
    collated field by field.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def collate(batch, *, collate_fn_map=None):
    """torch.utils.data._utils.collate.collate: the batch's first element picks the function of
    `collate_fn_map` for its type (exact type first, then the first isinstance match), called as
    fn(batch, collate_fn_map=...); dicts, namedtuples and sequences are walked field by field
    with the same map. Extending default_collate, as torch's documentation shows:
    collate(batch, collate_fn_map={**default_collate_fn_map, MyType: my_fn})."""
    if isinstance(batch, Tensor):  # (torch reaches stack() with it, which wants a sequence)
        raise TypeError("stack(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    if isinstance(batch, abc.Sequence) and len(batch) == 0:
        raise IndexError("default_collate needs a non-empty list of samples (torch: list index out of range)")
    elem = batch[0]  # (a dict: KeyError, a number: TypeError, as torch's)
    if collate_fn_map is not None:
        fn = collate_fn_map.get(type(elem))
        if fn is None:
            fn = next((f for t, f in collate_fn_map.items() if isinstance(elem, t)), None)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, abc.Mapping):
        collated = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        if isinstance(elem, abc.MutableMapping):  # the sample's own type (OrderedDict, defaultdict), as torch
            clone = copy.copy(elem)
            clone.update(collated)
            return clone
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(collate(fields, collate_fn_map=collate_fn_map) for fields in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [collate(field, collate_fn_map=collate_fn_map) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:  # a list subclass keeps its type, as torch's
            if isinstance(elem, abc.MutableSequence):
                clone = copy.copy(elem)
                for i, value in enumerate(fields):
                    clone[i] = value
                return clone
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {type(elem)}"
    )


def collate_tensor_fn(batch, *, collate_fn_map=None):
    return _stack(batch)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    import pyneuro as pn

    if batch[0].dtype.kind in "OUS":
        raise TypeError(
            "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
            f"found {batch[0].dtype}"
        )
    _check_equal_shapes(batch)
    # (torch.as_tensor of the stack: its dtype kept; uint16 and wider become int64, as from_numpy's)
    return pn.as_tensor(np.ascontiguousarray(np.stack(batch)))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    import pyneuro as pn

    return pn.as_tensor(np.asarray(batch))  # (as collate_numpy_array_fn's)


def collate_float_fn(batch, *, collate_fn_map=None):
    import pyneuro as pn

    return pn.tensor(np.asarray(batch, dtype=np.float64), dtype=pn.float64)


def collate_int_fn(batch, *, collate_fn_map=None):  # bools too: pn.tensor infers bool, int64 or float32
    import pyneuro as pn

    return pn.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch  # as torch: the strings as they came (a list, or a tuple from a transposed batch)


def _stack(tensors):
    import pyneuro as pn

    for i, t in enumerate(tensors):
        if not isinstance(t, pn.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    _check_equal_shapes(tensors)
    stack = getattr(pn, "stack", None)
    if stack is not None:
        return stack(list(tensors))
    return pn.from_numpy(np.stack([t.numpy() for t in tensors]))


def _check_equal_shapes(items) -> None:
    """torch.stack's RuntimeError when the samples' shapes differ."""
    first = tuple(items[0].shape)
    for i, item in enumerate(items):
        if tuple(item.shape) != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
                f"{list(item.shape)} at entry {i}"
            )


def default_convert(data):
    """One sample's NumPy arrays and scalars as Tensors (everything else unchanged), as
    torch.utils.data.default_convert: a tuple comes back as a list, a namedtuple, list or
    dict as the same type where it can be rebuilt."""
    import pyneuro as pn

    if isinstance(data, pn.Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        if isinstance(data, np.ndarray) and data.dtype.kind in "OUS":
            return data  # strings and objects have no tensor form
        return pn.as_tensor(data)
    if isinstance(data, abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


# torch's default_collate_fn_map: what default_collate does with each kind of sample
default_collate_fn_map: dict = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}
