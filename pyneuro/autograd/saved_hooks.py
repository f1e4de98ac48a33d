"""What torch.autograd.graph.saved_tensors_hooks does: (pack, unpack) hooks around every tensor
the graph saves for backward.

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = a * b        # pack(b) and pack(a): mul saves each for the other's gradient
    y.sum().backward()   # unpack(...) of each packed value, as backward reads them

While a pair is active, each node recorded packs the tensors its backward will read (the ones
its version check watches: function.py's saved_for / saves_output), and the engine unpacks them
just before that node's backward. A custom Function's ctx.saved_tensors returns what unpack
gives (custom.py), as torch's. The built-in ops' backward reads the arrays forward kept, so for
them unpack must give back the same values (true for the hooks torch documents: logging, moving
to the CPU or to disk and back); a hook that changes them raises NotImplementedError rather
than being ignored.
"""

from __future__ import annotations

import threading

import numpy as np

from .._tensor_base import TensorBase
from .grad_mode import no_grad


class _Stack(threading.local):
    def __init__(self):
        self.pairs: list = []  # the active (pack, unpack) pairs, innermost last (per thread, as torch)
        self.disabled: list = []  # disable_saved_tensors_hooks messages, innermost last


state = _Stack()
# set once any thread has entered saved_tensors_hooks: until then the graph's hot paths skip every check
in_use = [False]


def active():
    """The innermost (pack, unpack) pair, or None."""
    pairs = state.pairs
    return pairs[-1] if pairs else None


def pack(node, tensors) -> None:
    """Pack each tensor `node` saved with the active pair (function.py calls this only with one);
    the hooks run with grad mode off, as torch runs them."""
    pack_hook, unpack_hook = state.pairs[-1]
    with no_grad():
        # on the node itself (node.packed): a hook that returns its tensor (the node's own output) makes
        # a cycle node -> packed -> output -> node, which gc frees; a global table kept it forever
        node.packed = tuple((unpack_hook, pack_hook(t), t._data) for t in tensors)


def hooked(node):
    """What saved_tensors_hooks packed for node ((unpack, packed value, array), ...), or None."""
    return getattr(node, "packed", None)


def packs(node) -> bool:
    """Did saved_tensors_hooks pack what node saved (a built-in op's tensors, or a custom Function's
    ctx.save_for_backward)? torch then checks no version: backward reads what unpack gives."""
    return getattr(node, "packed", None) is not None or getattr(node, "_packed", None) is not None


def _host(array):
    return array.get() if hasattr(array, "get") else np.asarray(array)


def unpacked(unpack_hook, value) -> TensorBase:
    with no_grad():
        t = unpack_hook(value)
    if not isinstance(t, TensorBase):
        raise TypeError(
            f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type {type(t).__name__}"
        )
    return t


def unpack(node) -> None:
    """Run the unpack hook of everything `node` packed (the engine calls this before its backward)."""
    for unpack_hook, value, array in hooked(node) or ():
        t = unpacked(unpack_hook, value)
        got = _host(t._data)
        same = got.shape == array.shape and np.array_equal(got, _host(array), equal_nan=got.dtype.kind == "f")
        if not same:
            raise NotImplementedError(
                "a saved_tensors_hooks unpack hook returned other values than the tensor it packed; pyneuro's "
                "built-in ops compute backward from the values saved in forward, so such a hook is not supported "
                "(a custom autograd.Function's ctx.saved_tensors does use what unpack returns)"
            )
