"""Tensor hooks: functions called with a tensor's gradient during backward (Tensor.register_hook).

    h = x.register_hook(lambda grad: grad.clamp(-1, 1))   # clip the gradient flowing through x
    h.remove()

When they run, as in torch:
  * a hook on a leaf gets the leaf's whole gradient of one backward (the sum over every use),
    before it is added into `.grad`;
  * a hook on a non-leaf gets the gradient flowing into the node that made the tensor (again
    the sum over every use), before that node's backward reads it; `retain_grad()` keeps the
    gradient after the hooks;
  * a hook returns None (the gradient stays) or a tensor of the same shape and dtype that
    replaces it for everything downstream; several hooks run in the order they were added;
  * a hook stays with the node that made the tensor: after an in-place change of the tensor it
    still sees the gradient of the value before the change.

The hooks live here, keyed by the identity of their owner (a leaf tensor or a node) and held
weakly, not on the tensors: a tensor's `==` is elementwise, so tensors cannot be dict keys of
their own, and a graph without hooks pays one dict truth test per node.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

from .._handles import RemovableHandle
from .._tensor_base import TensorBase, _wrap
from .function import _node_hooks

by_leaf: dict = {}  # id(leaf tensor) -> (weakref to it, OrderedDict(handle id -> hook))
by_node: dict = {}  # id(node)        -> (weakref to it, OrderedDict(handle id -> hook))
post_accumulate: dict = {}  # id(leaf tensor) -> (weakref, OrderedDict(handle id -> hook(tensor)))
node_pre: dict = {}  # id(node) -> (weakref, OrderedDict(handle id -> hook(grad_outputs)))
node_post: dict = {}  # id(node) -> (weakref, OrderedDict(handle id -> hook(grad_inputs, grad_outputs)))


def _hooks_of(table: dict, owner) -> OrderedDict:
    key = id(owner)
    entry = table.get(key)
    if entry is None or entry[0]() is not owner:
        # the entry goes when its owner does, before the id can be reused
        entry = table[key] = (weakref.ref(owner, lambda _, k=key: table.pop(k, None)), OrderedDict())
    return entry[1]


def register_hook(tensor, hook) -> RemovableHandle:
    """Tensor.register_hook: run hook(grad) whenever a gradient for `tensor` is computed."""
    if not tensor._req:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    hooks = _hooks_of(by_leaf, tensor) if tensor._node is None else _hooks_of(by_node, tensor._node)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def register_post_accumulate_grad_hook(tensor, hook) -> RemovableHandle:
    """Tensor.register_post_accumulate_grad_hook: hook(tensor) once per backward, after the leaf's
    gradient of that backward is in `.grad` (an optimizer step inside backward; hook returns None)."""
    if not tensor._req:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor._node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    hooks = _hooks_of(post_accumulate, tensor)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def is_hooked_leaf(leaf) -> bool:
    """Does the leaf have tensor hooks or post-accumulate-grad hooks (its gradient is summed first)?"""
    return bool(
        (by_leaf and hooks_for(by_leaf, leaf)) or (post_accumulate and hooks_for(post_accumulate, leaf))
    )


def run_post_accumulate(leaves) -> None:
    """The post-accumulate-grad hooks of these leaves (each once), after a backward filled their .grad."""
    for leaf in leaves:
        hooks = hooks_for(post_accumulate, leaf)
        for hook in tuple(hooks.values()) if hooks else ():
            result = hook(leaf)
            if result is None or result is leaf:  # (the tensor itself, as p.add_(...) returns: torch's too)
                continue
            if not isinstance(result, TensorBase):
                raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def register_node_hook(node, hook, pre: bool) -> RemovableHandle:  # (Function.register_hook/_prehook)
    """grad_fn.register_prehook(hook(grad_outputs)) / grad_fn.register_hook(hook(grad_inputs,
    grad_outputs)): run when the engine reaches the node, before / after its backward; a hook
    returns None or a tuple that replaces the gradients it was given (grad_inputs for the second)."""
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    hooks = _hooks_of(node_pre if pre else node_post, node)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _replaced(result, old: tuple, what: str) -> tuple:
    if result is None:
        return old
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != len(old):
        raise RuntimeError(f"hook '{what}' returned {len(result)} gradients where {len(old)} were expected")
    return result


def _grad_outputs(g, device) -> tuple:
    """The node's incoming gradient as torch's grad_outputs tuple: one array, or a multi-output
    custom Function's slots (custom._Grads: `items`, None where no gradient reached an output)."""
    items = getattr(g, "items", None)
    arrays = items if isinstance(items, tuple) else (g,)
    return tuple(None if a is None else _wrap(a, device) for a in arrays)


def run_node_pre(node, g, device):
    """Node pre-hooks on the gradient g flowing into node; returns the (possibly new) gradient."""
    grads = _grad_outputs(g, device)
    for hook in tuple(hooks_for(node_pre, node).values()):
        grads = _replaced(hook(grads), grads, getattr(hook, "__name__", "pre-hook"))
    arrays = tuple(t._data if isinstance(t, TensorBase) else None for t in grads)
    return type(g)(arrays) if isinstance(getattr(g, "items", None), tuple) else arrays[0]


def run_node_post(node, grads, g, device, dense):
    """Node post-hooks: (gradient arrays for node's inputs, g) -> the (possibly new) gradient arrays."""
    grad_inputs = tuple(None if a is None else _wrap(dense(a), device) for a in grads)
    grad_outputs = _grad_outputs(g, device)
    for hook in tuple(hooks_for(node_post, node).values()):
        grad_inputs = _replaced(
            hook(grad_inputs, grad_outputs), grad_inputs, getattr(hook, "__name__", "hook")
        )
    return tuple(None if t is None else t._data for t in grad_inputs)


def hooks_for(table: dict, owner):
    """The owner's hooks (a non-empty OrderedDict) or None."""
    entry = table.get(id(owner))
    return entry[1] if entry is not None and entry[1] and entry[0]() is owner else None


def run(hooks, g, device):
    """Pass gradient array g through the hooks in order; returns the (possibly replaced) array."""
    return run_tensor(hooks, _wrap(g, device))._data


def run_tensor(hooks, g):
    """Pass gradient tensor g through the hooks in order; returns the (possibly replaced) tensor.
    (create_graph=True walks with tensors: a hook's result then stays in the graph.)"""
    for hook in tuple(hooks.values()):
        result = hook(g)
        if result is None:
            continue
        name = getattr(hook, "__name__", type(hook).__name__)
        if not isinstance(result, TensorBase):
            raise TypeError(f"hook '{name}' returned {type(result).__name__}; expected a Tensor or None")
        if tuple(result._data.shape) != tuple(g._data.shape):
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        if result._data.dtype != g._data.dtype or result.device != g.device:
            raise RuntimeError(
                f"hook '{name}' has changed the type of value (was {g.type()} got {result.type()})"
            )
        g = result
    return g


_node_hooks[0] = register_node_hook
