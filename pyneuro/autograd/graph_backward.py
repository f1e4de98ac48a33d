"""Backward that records a graph (create_graph=True): gradients of gradients.

    (dy,) = pn.autograd.grad(y, x, create_graph=True)   # dy has a grad_fn
    dy.sum().backward()                                  # second derivatives into x.grad

engine.run_backward walks the graph on backend arrays: fast, but nothing it computes is
recorded, so its gradients are constants. With create_graph=True the walk here visits the
same nodes in the same order, but the gradients are Tensors and each node's backward is its
rule in graph_rules.py, written in differentiable ops and run with grad mode on: every op of
the backward records a node of its own, so the gradients it returns can be differentiated
again (to any order: the rules use only ops that have rules themselves).

A node without a rule raises NotImplementedError naming the op, never a gradient that would
silently miss its second-order terms. As in torch, retain_graph defaults to create_graph
(the first-order graph is still needed when the new one is differentiated).
"""

from __future__ import annotations

import warnings

from .._tensor_base import DATA_ASSIGNED, TensorBase, _wrap
from . import graph_conv, graph_rules_more  # noqa: F401  (they register the rules of graph_rules.py's rule_for)
from . import hooks as _hooks
from . import saved_hooks as _saved_hooks
from .custom import _CtxNode
from .elementwise import Cast
from .engine import _LEAF_LOCK, _topological_order, capturing, drops_grad, grad_slot, quiet_math
from .function import _FREED_MESSAGE
from .grad_mode import enable_grad
from .graph_rules import _const, rule, rule_for
from .inplace import Copy
from .shape import ReadsInputs

_CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak."
)


_warned = [False]


@rule(ReadsInputs)
def _reads_inputs(node, g):
    return (g,) + tuple(_const(g, node.bk.xp.zeros(s, dtype=d)) for s, d in node.saved[0])


def _reaches(node, read, limit: int = 32) -> bool:
    """Whether the graph below node takes every tensor of read as an input (looked at in its
    first `limit` nodes: a rule's own few nodes, which read the op's inputs directly)."""
    left = {id(t) for t in read}
    todo, seen = [node], set()
    while todo and left and len(seen) < limit:
        n = todo.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        left.difference_update(id(t) for t in n.inputs if isinstance(t, TensorBase))
        todo.extend(n.nexts or ())
    return not left


def _linked(gi, read, node):
    """gi linked to read; shown under gi's own node's name, or (a constant: a mask times the
    seed) torch's name for the op's backward (ReluBackward0's is ThresholdBackwardBackward0).
    A gi computed from read already (pow's g * 3 * x**2) is not linked again: the link's zeros
    would add to its gradient, and 0 + -0 is 0 where torch's is -0 (a hessian's zeros)."""
    inner = gi._node
    if inner is not None and _reaches(inner, read):
        return gi
    shown = inner.name() if inner is not None else node.name().replace("Backward", "BackwardBackward")
    if node.name() == "ReluBackward0" and inner is None:
        shown = "ThresholdBackwardBackward0"  # (torch's relu backward is threshold_backward)
    return ReadsInputs.apply(gi, *read, shown=shown)


def _read_tensors(node) -> list:
    """The tensors requiring grad that node's backward reads (its output: the inputs it came from);
    none when it reads them only as a mask (Function.reads_as_mask)."""
    if node.reads_as_mask:
        return []
    read = {}
    for _, _, _, owner in node.versions or ():
        for t in (owner,) if isinstance(owner, TensorBase) else node.inputs:
            if isinstance(t, TensorBase) and t._req:
                read[id(t)] = t
    return list(read.values())


def run_backward_graph(tensor, grad, retain_graph: bool = True) -> None:
    """Backpropagate the Tensor grad from tensor into every leaf's .grad, recording the graph."""
    if not capturing() and not _warned[0]:  # torch's warning, once per process as torch's
        _warned[0] = True
        warnings.warn(_CYCLE_WARNING, UserWarning, stacklevel=3)
    with enable_grad(), quiet_math():
        _walk(tensor, grad, retain_graph)


def _walk(tensor, grad, retain_graph: bool) -> None:
    root = tensor._node
    if root is None:
        _leaf(tensor, grad)
        return
    retained = {root: tensor} if tensor._retain else {}
    hooked = {}  # id(leaf) -> [leaf, summed gradient]: leaf hooks see the whole sum, once
    pending = {root: grad}
    for node in _topological_order(root):
        g = pending.pop(node, None)
        if g is None:
            continue
        if node.saved is None:
            raise RuntimeError(_FREED_MESSAGE)
        hooks = _hooks.by_node and _hooks.hooks_for(_hooks.by_node, node)
        if hooks:
            g = _hooks.run_tensor(hooks, g)
        if node in retained:
            _store(retained.pop(node), g)
        if _saved_hooks.in_use[0] and _saved_hooks.packs(node):  # (as engine._walk)
            _saved_hooks.unpack(node)
        else:
            node.check_versions()
            if DATA_ASSIGNED[0]:  # (as engine._walk)
                node.follow_assigned_data()
        grads = rule_for(node)(node, g)
        # (a custom Function's backward links what it computes itself, as torch's)
        read = _read_tensors(node) if node.versions and not isinstance(node, _CtxNode) else ()
        if read:
            grads = [None if gi is None else _linked(gi, read, node) for gi in grads]
        inputs, needs, nexts = node.inputs, node.needs, node.nexts
        if not retain_graph:
            node.release()
        for a, need, child, gi in zip(inputs, needs, nexts, grads):
            if not need or gi is None:
                continue
            if a._retain and child is not None and a._node is child:
                retained[child] = a
            if child is None:
                if (_hooks.by_leaf or _hooks.post_accumulate) and _hooks.is_hooked_leaf(a):
                    entry = hooked.setdefault(id(a), [a, None])
                    entry[1] = gi if entry[1] is None else entry[1] + gi
                else:
                    _store(a, gi)
            else:
                pending[child] = gi if child not in pending else pending[child] + gi
    for leaf, g in hooked.values():
        _leaf(leaf, g, post=False)
    if _hooks.post_accumulate and not capturing():
        _hooks.run_post_accumulate(leaf for leaf, _ in hooked.values())


def _leaf(leaf, g, post: bool = True) -> None:
    hooks = _hooks.by_leaf and _hooks.hooks_for(_hooks.by_leaf, leaf)
    _store(leaf, _hooks.run_tensor(hooks, g) if hooks else g)
    if post and _hooks.post_accumulate and not capturing():
        _hooks.run_post_accumulate((leaf,))


def _store(t, g) -> None:
    """t.grad += g, out of place: the sum stays in the graph (torch keeps .grad's graph too).
    The first gradient is stored as a copy (torch's CopyBackwards node when it has a graph),
    never as the tensor itself: that may be the caller's seed or one a custom backward holds.
    autograd.grad (capturing) hands back the gradient as computed, as torch's (its grad_fn is
    the op that made it: MulBackward0 for x**3's, not CopyBackwards)."""
    if drops_grad(t):
        return
    if g._data.dtype != t._data.dtype:
        g = Cast.apply(g, dtype=t._data.dtype)
    t = grad_slot(t)
    with _LEAF_LOCK:  # (threads adding into one shared .grad: engine._LEAF_LOCK)
        if t._grad is not None:  # (a sparse .grad plus a dense gradient: dense, as torch's)
            t._grad = g + t._grad if t._grad.is_sparse else t._grad + g
        else:
            t._grad = g if capturing() and g._node is not None else Copy.apply(g.detach(), g)


def as_grad_tensor(gradient, array, device):
    """The seed of the walk: the caller's gradient Tensor as it is (its graph included), or the
    array Tensor.backward made (ones for a scalar) as a constant."""
    if isinstance(gradient, TensorBase) and gradient._data.dtype == array.dtype:
        return gradient
    return _wrap(array, device)
