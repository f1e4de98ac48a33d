"""What a composition's node reads in place of a tensor torch's node saves as itself.

pyneuro runs some ops on a view or a reshape of their inputs (conv1d is conv2d of x.unsqueeze(-2),
group_norm normalises x.reshape(N, G, -1), the LSTM's per-step linears read its weights where
torch's one oneDNN node saves them): the node then holds an array made from the input's, not the
input itself. torch's node saves the input, so after `input.data = other` its backward reads the
new array; `follows` records, for such a node, which tensor its array stands in for and how to make
it again, and Function.follow_assigned_data (run only once some `.data =` assignment has happened)
swaps in the array made from the new one. An in-place change needs none of this: the view shares
the input's memory and version counter already.
"""

from __future__ import annotations

import weakref

import numpy as np

from .._tensor_base import TensorBase

# node -> [[source tensor (weak), its array when recorded, derived array or None, derive], ...]
# (the array itself, not a weak reference: a derived copy does not keep it alive, and a new array
# may take a dead one's id; the entry goes with the node)
STAND_INS = weakref.WeakKeyDictionary()
USED = [False]  # whether any node was ever recorded (a plain read for Function.let_go's hot path)


def follows(node, source, derived=None, derive=None) -> None:
    """`node` reads `derived` (an array made from source's array: derive(array) makes it again)
    where torch's node saves `source` itself. derived None: the node reads source's array itself
    or a view of it in the same element order (a reshape, an added unit axis)."""
    if node is None or not isinstance(source, TensorBase) or type(source._data) is not np.ndarray:
        return
    entry = [weakref.ref(source), source._data, derived, derive]
    USED[0] = True
    STAND_INS.setdefault(node, []).append(entry)


def add_swaps(node, arrays, swaps: dict) -> None:
    """Into swaps (id(old array) -> new array): the arrays of `node` (`arrays`, what it saved)
    that stand in for a tensor whose array `.data =` replaced since forward."""
    for entry in STAND_INS.get(node, ()):
        source, old = entry[0](), entry[1]
        if source is None:
            continue
        new = source._data
        if new is old or type(new) is not np.ndarray or new.shape != old.shape or new.dtype != old.dtype:
            continue  # (a changed shape or dtype: the forward's arrays stay, nothing could read the new one)
        if entry[2] is not None:
            made = entry[3](new)
            swaps[id(entry[2])] = made
            entry[2] = made
        else:
            for a in arrays:
                if _same_elements(a, old):
                    swaps[id(a)] = new if a.shape == new.shape else new.reshape(a.shape)
        entry[1] = new


def _same_elements(a, old) -> bool:
    """Is a old, or a view of old's memory holding its elements in the same order?"""
    if a is old:
        return True
    if type(a) is not np.ndarray or a.size != old.size or a.dtype != old.dtype or a.size == 0:
        return False
    if a.__array_interface__["data"][0] != old.__array_interface__["data"][0]:
        return False
    if a.flags.c_contiguous and old.flags.c_contiguous:
        return True
    return _without_units(a) == _without_units(old)


def _without_units(a) -> tuple:
    return tuple((n, s) for n, s in zip(a.shape, a.strides) if n != 1)


def saved_arrays(saved, out: list) -> list:
    """Every array in a node's saved tuple (nested tuples and lists walked)."""
    if isinstance(saved, (tuple, list)):
        for s in saved:
            saved_arrays(s, out)
    elif type(saved) is np.ndarray:
        out.append(saved)
    return out
