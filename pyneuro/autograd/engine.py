"""The backward engine: topological order, gradient accumulation, retain_graph, grad().

`Tensor.backward()` calls `run_backward`: it sorts the nodes reachable from the output in
topological order (every node after all nodes that consume its output), then walks them
once, calling each node's `backward` with the sum of the gradients flowing into it, and
adds the gradients that reach a leaf tensor into that leaf's `.grad`. After the walk the
saved arrays are released (unless `retain_graph=True`), so a second backward through the
same graph raises the same RuntimeError as PyTorch.
"""

from __future__ import annotations

import ctypes
import sys
import threading

import numpy as _np

from .._tensor_base import DATA_ASSIGNED, TensorBase, _wrap
from . import hooks as _hooks
from . import saved_hooks as _saved_hooks
from .function import _FREED_MESSAGE, MaskedGrad, SliceGrad, _as_torch_error, _Profiling
from .fused import SparseRowsGrad
from .grad_mode import _GradMode
from .view_steps import no_grad_view_leaf

# ----------------------------------------------------------------------------- the engine


def _topological_order(root) -> list:
    """Nodes reachable from root, each before every node it feeds (reverse post-order DFS)."""
    order = []
    seen = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for nxt, need in zip(node.nexts, node.needs):
            if need and nxt is not None and nxt not in seen:
                stack.append((nxt, False))
    order.reverse()
    return order


_NO_BASE = object()

# The C++ kernels return outputs of 32 MiB and more in blocks of their output pool
# (csrc/bindings/cpu_output_pool.cpp): such an array's base is the block's capsule, under the
# name the extension exports. Without the extension loaded no array can come from its pool.
_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.argtypes = [ctypes.py_object]
_capsule_name.restype = ctypes.c_char_p


def _maybe_view(a) -> bool:
    """Could `a` share memory with another array? (NumPy/CuPy: it has a base; other
    device arrays: it does not own its memory.) An array whose base is an output-pool block
    owns that block alone, as a fresh array owns its memory (its views have it as their base),
    so a large weight gradient is kept as the kernel wrote it, not copied."""
    base = getattr(a, "base", _NO_BASE)
    if base is _NO_BASE:
        return not getattr(a, "owns_memory", False)
    if base is None:
        return False
    return not (type(base).__name__ == "PyCapsule" and _is_pool_block(base))


def _is_pool_block(capsule) -> bool:
    name = getattr(sys.modules.get("pyneuro._cpu"), "OUTPUT_BLOCK_CAPSULE", None)
    return name is not None and _capsule_name(capsule) == name.encode()


def _dense(g):
    return g.dense() if isinstance(g, SliceGrad) else g


def _sum(acc, owned: bool, gi):
    """acc + gi, two gradients of one tensor. A SliceGrad is added into acc in place where acc
    is an array made during this walk (owned): O(the slice), not O(the tensor)."""
    if isinstance(acc, SliceGrad):
        if type(acc) is SparseRowsGrad and type(gi) is SparseRowsGrad:  # two sparse gradients: side by side
            xp = acc.xp
            return SparseRowsGrad(
                xp, acc.shape, xp.concatenate([acc.index, gi.index]), xp.concatenate([acc.values, gi.values])
            )
        acc, owned = acc.dense(), True
    if isinstance(gi, SliceGrad):
        if owned and gi.add_into(acc):
            return acc
        gi = gi.dense()
    return acc + gi


# Threads running backward through one shared model (Hogwild) add into the same .grad: the
# read-add-store below would lose updates without this lock, as torch's AccumulateGrad takes its.
_LEAF_LOCK = threading.Lock()


class _Capture(threading.local):
    sink = None  # while grad() runs in this thread: id(tensor) -> _Slot


_capture = _Capture()


class _Slot:
    """Where grad() collects one tensor's gradient instead of its .grad: per call and per
    thread, so threads differentiating one shared model (separate graphs, shared parameters)
    each get their own gradients, as torch's autograd.grad, and no .grad changes meanwhile."""

    __slots__ = ("_grad", "_data", "_node", "device")

    def __init__(self, t) -> None:
        self._grad, self._data, self._node, self.device = None, t._data, t._node, t.device


def capturing() -> bool:
    """Whether a grad() call is collecting gradients in this thread."""
    return _capture.sink is not None


def grad_slot(t):
    """What a walk stores t's gradient into: t itself, or while grad() runs in this thread,
    the call's slot for an input or a leaf (a retained non-leaf's .grad still changes, as torch's)."""
    sink = _capture.sink
    if sink is None:
        return t
    slot = sink.get(id(t))
    if slot is None:
        if t._node is not None:
            return t
        slot = sink[id(t)] = _Slot(t)
    return slot


def drops_grad(leaf) -> bool:
    """A leaf set to requires_grad=False after forward used it: torch's AccumulateGrad stores
    nothing into its .grad (autograd.grad still hands back the gradient it captures)."""
    return not leaf._req and _capture.sink is None


def _accumulate_leaf(leaf, g, shared: bool, fresh=None) -> None:
    """leaf.grad += g (the first gradient is stored, copied if it may alias other arrays).

    fresh: ids of the leaves whose .grad array this walk made; a SliceGrad is added into
    those in place."""
    if leaf._view is not None and no_grad_view_leaf(leaf):
        return
    if not leaf._req and drops_grad(leaf):
        return
    if _capture.sink is not None:
        leaf = grad_slot(leaf)
    with _LEAF_LOCK:
        _accumulate(leaf, g, shared, fresh)


def _accumulate(leaf, g, shared: bool, fresh) -> None:
    if (  # the common case first: a first gradient, a kernel's fresh array of the leaf's dtype
        leaf._grad is None
        and not shared
        and type(g) is _np.ndarray
        and g.base is None
        and g.dtype is leaf._data.dtype
        and g.flags.writeable
        and g.strides == leaf._data.strides
    ):
        if fresh is not None:
            fresh.add(id(leaf))
        leaf._grad = _wrap(g, leaf.device)
        return
    if isinstance(g, SliceGrad):
        if type(g) is SparseRowsGrad or getattr(leaf._grad, "is_sparse", False):
            _accumulate_sparse(leaf, g)
            return
        if (
            fresh is not None
            and id(leaf) in fresh
            and leaf._grad is not None
            and g.add_into(leaf._grad._data)
        ):
            return
        g, shared = g.dense(), False
    # torch adds a backward's whole gradient into an existing .grad once, in place: one version
    # step per backward (this walk may add several parts of it: the first one counts)
    counts = fresh is None or id(leaf) not in fresh
    if fresh is not None:
        fresh.add(id(leaf))  # from here on .grad holds an array made by this walk
    if getattr(leaf._grad, "is_sparse", False):  # a sparse .grad plus a dense gradient: dense
        _accumulate_sparse(leaf, g)
        return
    if g.dtype != leaf._data.dtype:  # e.g. a float64 constant mixed into a float32 graph
        g = g.astype(leaf._data.dtype)
        shared = False
    if leaf._grad is None:  # (the slot itself: the gradient is made here, so of the leaf's shape and dtype)
        if shared or _maybe_view(g) or not getattr(g.flags, "writeable", True):
            g = g.copy()
        leaf._grad = _wrap(_array(_leaf_layout(g, leaf._data)), leaf.device)
    elif leaf._node is not None:  # a retained non-leaf's .grad: a new tensor, as torch's
        leaf._grad = _wrap(_array(leaf._grad._data + g), leaf.device)
    else:  # added into .grad's own memory, as torch's AccumulateGrad (views of .grad, or a buffer
        grad = leaf._grad  # a user set as .grad, see it); a read-only or other-shaped one is replaced
        data = grad._data
        if getattr(getattr(data, "flags", None), "writeable", False) and data.shape == g.shape:
            data += g
        else:
            grad._data = _array(data + g)
        if counts:
            grad._vc[0] += 1


def _leaf_layout(g, data):
    """g laid out as the leaf (torch's AccumulateGrad layout contract: a first .grad has the
    leaf's strides, C order for a contiguous leaf), whatever order backward's last op gave it
    (NumPy keeps a transposed gradient's F order through elementwise ops)."""
    if type(g) is not _np.ndarray or type(data) is not _np.ndarray or g.strides == data.strides:
        return g
    if g.shape != data.shape:
        return g
    out = _np.empty_like(data, dtype=g.dtype)
    out[...] = g
    return out


# the sparse COO tensor class (pyneuro._sparse_coo, above autograd, registers it when imported)
sparse_tensor_class = [None]


def _sparse_tensor(leaf, g):
    """A SparseRowsGrad as the sparse COO tensor torch's .grad holds (uncoalesced but for one entry)."""
    values = _wrap(g.values.astype(leaf._data.dtype, copy=False), leaf.device)
    rows = _wrap(g.index.reshape(1, -1), leaf.device)
    return sparse_tensor_class[0](rows, values, g.shape, g.index.shape[0] <= 1)


def _run_sparse_hooks(hooks, grad):
    """A leaf's tensor hooks on its sparse gradient; one that returns another layout is refused, as torch's."""
    for hook in tuple(hooks.values()):
        result = hook(grad)
        if result is None:
            continue
        if not getattr(result, "is_sparse", False) or tuple(result.shape) != tuple(grad.shape):
            name = getattr(hook, "__name__", type(hook).__name__)
            was = grad._values().type().replace("torch.", "torch.sparse.")
            got = (
                result._values().type().replace("torch.", "torch.sparse.")
                if result.is_sparse
                else result.type()
            )
            raise RuntimeError(f"hook '{name}' has changed the type of value (was {was} got {got})")
        grad = result
    return grad


def _accumulate_sparse(leaf, g) -> None:
    """leaf.grad += g where either is sparse, as torch's AccumulateGrad: a sparse gradient is
    stored as a sparse COO tensor, and added to a sparse .grad side by side (uncoalesced, in
    place); a dense .grad takes a sparse gradient in place; a sparse .grad plus a dense
    gradient is a new dense .grad."""
    grad = leaf._grad
    if grad is not None and not grad.is_sparse:  # a dense .grad: the sparse gradient added in place
        if type(g) is not SparseRowsGrad or not g.add_into(grad._data):
            dense = g.dense() if type(g) is SparseRowsGrad else g.to_dense()._data
            grad._data = _array((grad._data + dense).astype(grad._data.dtype, copy=False))
        grad._vc[0] += 1
        return
    if type(g) is SparseRowsGrad:
        g = _sparse_tensor(leaf, g)
    if getattr(g, "is_sparse", False):  # (added into the same .grad object, as torch's)
        if grad is None:
            leaf._grad = g
        else:
            grad.add_(g)
        return
    g = _dense(g) + grad.to_dense()._data  # a dense gradient and a sparse .grad: a new dense .grad
    leaf._grad = _wrap(_array(g.astype(leaf._data.dtype, copy=False)), leaf.device)


def _array(g):
    """A NumPy scalar (what 0-d NumPy arithmetic returns) as a 0-d array: .grad is updated in place."""
    return g[...] if not hasattr(g, "__setitem__") else g  # scalar[...] is a 0-d array


def run_backward(tensor, grad_array, retain_graph: bool = False) -> None:
    """Backpropagate grad_array (same shape as tensor) from tensor into every leaf's .grad.
    A backward that meets 0/0, x/0 or overflow gives NaN/inf without NumPy's RuntimeWarnings, as torch;
    it runs with grad mode off, as torch's (a tensor hook's arithmetic records no graph)."""
    mode = _GradMode  # no_grad() without its object (a few us per step of a small model)
    was = mode.enabled
    mode.enabled = False
    try:
        with quiet_math():
            _walk(tensor, grad_array, retain_graph)
    finally:
        mode.enabled = was


def quiet_math():
    """NumPy's floating-point warnings off (they are thread-local: other threads keep theirs)."""
    return _np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _own_op(cls) -> bool:
    """Is cls one of pyneuro's ops (not a user's Function, nor the node of a torch-style one)?"""
    return cls.__module__.startswith("pyneuro.") and all(c.__module__ != _CUSTOM for c in cls.__mro__)


_CUSTOM = (
    "pyneuro.autograd.custom"  # (the module of a torch-style Function's node, which engine cannot import)
)


def _walk(tensor, grad_array, retain_graph: bool) -> None:
    root = tensor._node
    if root is None:  # backward on a leaf: its gradient is the seed itself
        hooks = _hooks.by_leaf and _hooks.hooks_for(_hooks.by_leaf, tensor)
        _accumulate_leaf(tensor, _hooks.run(hooks, grad_array, tensor.device) if hooks else grad_array, True)
        if _hooks.post_accumulate and _capture.sink is None:
            _hooks.run_post_accumulate((tensor,))
        return
    # Gradients stored after the node's tensor hooks ran: a non-leaf's .grad (retain_grad), by
    # the node that made it, and hooked leaves', summed over the walk (hooks.py); a leaf with
    # post-accumulate-grad hooks is summed too, so that they run once, after its .grad is final.
    retained = {root: tensor} if tensor._retain else {}
    hooked_leaves = {}  # id(leaf) -> [leaf, summed gradient, shared?]
    fresh_leaves = set()  # leaves whose .grad array was made by this walk (SliceGrads add in place)
    pending = {root: grad_array}
    shared = {root}  # nodes whose pending grad array may be referenced elsewhere
    # which kinds of hooks exist at all, read once (a training step usually has none)
    node_hooks = bool(_hooks.by_node or _hooks.node_pre or _hooks.node_post)
    leaf_hooks = bool(_hooks.by_leaf or _hooks.post_accumulate)
    for node in _topological_order(root):
        g = pending.pop(node, None)
        if g is None:
            continue
        if type(g) is not MaskedGrad:  # (which only the ReLU it was masked for receives)
            g = _dense(g)
        if node.saved is None:
            raise RuntimeError(_FREED_MESSAGE)
        if node_hooks and _hooks.by_node:
            hooks = _hooks.hooks_for(_hooks.by_node, node)
            if hooks:
                g = _hooks.run(hooks, g, node.device)
                shared.add(node)  # a hook may have kept the array it was shown
        if node in retained:
            _accumulate_leaf(retained.pop(node), g, True)
        if node_hooks and _hooks.node_pre and _hooks.hooks_for(_hooks.node_pre, node):
            g = _hooks.run_node_pre(node, g, node.device)
            shared.add(node)
        if _saved_hooks.in_use[0] and _saved_hooks.packs(node):  # saved_tensors_hooks' unpack, no version
            _saved_hooks.unpack(node)  # check (torch's: backward reads what unpack gives)
        else:
            for counter, version, _, _ in node.versions:
                if counter[0] != version:  # a tensor it saved was changed in place since forward
                    node.check_versions()
            if DATA_ASSIGNED[0]:  # (`t.data = other` ran: an input's array may have been replaced)
                node.follow_assigned_data()
        try:
            if _Profiling.op is None:
                grads = node.backward(g)
            else:
                grads = _Profiling.op(node, "backward", node.backward, g)
        except Exception as exc:
            if node.saved is None:  # freed meanwhile by a backward through it in another thread
                raise RuntimeError(_FREED_MESSAGE) from None
            if isinstance(exc, (ValueError, TypeError)) and _own_op(type(node)):
                # a kernel's check of what an op saved (`x.data =` a tensor of another shape since):
                # torch's RuntimeError, as Function.apply gives for forward (a user's backward: as raised)
                raise _as_torch_error(exc, type(node)) from None
            raise
        if node_hooks and _hooks.node_post and _hooks.hooks_for(_hooks.node_post, node):
            grads = _hooks.run_node_post(node, grads, g, node.device, _dense)
            shared.add(node)
        inputs, needs, nexts = node.inputs, node.needs, node.nexts
        if not retain_graph:
            node.release()
        for a, need, child, gi in zip(inputs, needs, nexts, grads):
            if not need or gi is None:
                continue
            # gi may be referenced elsewhere if it is g itself (passed through), or a view
            # of a g that was itself shared; fresh kernel outputs are owned and never copied.
            # (a SliceGrad is never: its dense() is a new array, and adding it only reads it;
            # a MaskedGrad's is the fresh output of the matmul that masked it)
            alias = not isinstance(gi, SliceGrad) and (
                gi is g or node.foreign_grads or (node in shared and _maybe_view(gi))
            )
            if a._retain and child is not None and a._node is child:  # t.retain_grad() on a non-leaf
                retained[child] = a
            if child is None:
                if leaf_hooks and _hooks.is_hooked_leaf(a):
                    entry = hooked_leaves.get(id(a))
                    if entry is None:
                        hooked_leaves[id(a)] = [a, gi, alias]
                    else:
                        entry[1], entry[2] = _sum(entry[1], False, gi), False
                else:
                    _accumulate_leaf(a, gi, alias, fresh_leaves)
            elif child in pending:
                pending[child] = _sum(pending[child], child not in shared, gi)
                shared.discard(child)
            else:
                pending[child] = gi
                if alias:
                    shared.add(child)
    for leaf, g, alias in hooked_leaves.values():
        hooks = _hooks.hooks_for(_hooks.by_leaf, leaf)
        if type(g) is SparseRowsGrad:  # the hooks see the sparse gradient, as torch's
            if drops_grad(leaf):
                continue
            with _LEAF_LOCK:
                _accumulate_sparse(
                    grad_slot(leaf), _run_sparse_hooks(hooks, _sparse_tensor(leaf, g)) if hooks else g
                )
            continue
        g = _dense(g)
        _accumulate_leaf(leaf, _hooks.run(hooks, g, leaf.device) if hooks else g, alias or bool(hooks))
    if _hooks.post_accumulate and _capture.sink is None:
        _hooks.run_post_accumulate(leaf for leaf, _, _ in hooked_leaves.values())


def release_graphs(tensors) -> None:
    """Free what every node reachable from tensors saved, as a backward without retain_graph
    does: backward() and grad() of several outputs walk them one by one with the graph kept,
    then free all of them, so a later backward through any of them raises as torch's does."""
    for t in tensors:
        if isinstance(t, TensorBase) and t._node is not None:
            for node in _topological_order(t._node):
                node.release()


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of outputs with respect to inputs, returned instead of stored (like
    torch.autograd.grad): no leaf's .grad changes.

        (dw,) = pn.autograd.grad(loss, [w])

    outputs: a tensor or a sequence (each scalar, or with its grad_outputs entry);
    inputs: a tensor or a sequence of tensors that require grad (leaves or not).
    An input the outputs do not depend on raises, unless allow_unused=True (then None).
    create_graph=True: the gradients are recorded (graph_backward.py) and can be differentiated.
    """
    outs = [outputs] if isinstance(outputs, TensorBase) else list(outputs)
    ins = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    if not ins:
        raise RuntimeError("grad requires non-empty inputs.")
    gouts = (
        [None] * len(outs)
        if grad_outputs is None
        else ([grad_outputs] if isinstance(grad_outputs, TensorBase) else list(grad_outputs))
    )
    if len(gouts) != len(outs):
        raise RuntimeError(f"got {len(outs)} tensors and {len(gouts)} gradients")
    for t in outs + ins:
        if isinstance(t, TensorBase) and t._view is not None:
            t._sync_view()
    for i, o in enumerate(outs):  # torch checks the outputs first
        if not isinstance(o, TensorBase) or not o._req:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    for t in ins:
        if not isinstance(t, TensorBase) or not t._req:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    # The gradients go into this call's slots, not .grad (engine.grad_slot): nothing another
    # thread or the caller sees changes
    sink = {id(t): _Slot(t) for t in ins}
    retain = [(t, t._retain) for t in ins if t._node is not None]
    outer = _capture.sink  # (grad() inside a hook of another grad(): restored after)
    try:
        for t, _ in retain:
            t._retain = True
        keep = bool(create_graph if retain_graph is None else retain_graph)
        _capture.sink = sink
        for i, (o, g) in enumerate(zip(outs, gouts)):
            o.backward(g, retain_graph=keep or i < len(outs) - 1, create_graph=create_graph)
        if not keep:
            release_graphs(outs)
        result = tuple(sink[id(t)]._grad for t in ins)
    finally:
        _capture.sink = outer
        for t, was in retain:
            t._retain = was
    if not allow_unused:
        for i, r in enumerate(result):
            if r is None:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
    return result


def zero_grad_in_place(grad) -> None:
    """zero_grad(set_to_none=False) of one .grad, as torch's: cut from any graph a create_graph
    backward gave it (detach_, or requires_grad off), then zeroed, so a later double backward
    does not run through the old graph. A sparse .grad is left with no entries, as torch's."""
    if grad.is_sparse:
        grad.zero_()
        return
    if grad._node is not None:
        grad.detach_()
    else:
        grad._req = False
    grad._data[...] = 0
    grad._vc[0] += 1
