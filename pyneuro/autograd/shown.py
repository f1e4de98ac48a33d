"""The nodes next_functions shows where pyneuro's graph differs from torch's: a fused op (linear,
cross_entropy) has one node where torch has several (linear's TBackward0 over the weight, the views
around addmm), and an op pyneuro composes (gelu, layer_norm) shows torch's edges to its inputs
(autograd.named's shows) rather than its composition. A graph walk printed by hand (grad_fn,
next_functions, name()) then reads as torch's; viz and TensorBoard's graph walk pyneuro's own
edges (engine_edges). A ShownNode never runs.

Arrows: imports function (Function, AccumulateGrad) and _tensor_base.
"""

from __future__ import annotations

from .._c_repr import pretty_as_c_type
from .._tensor_base import TensorBase
from .function import AccumulateGrad, Function
from .names import TorchNodeType


class ShownNode:
    """A node of torch's graph that a fused pyneuro op has no node for (linear's weight.t(), the
    views around its addmm): it is shown in next_functions, with torch's name, and never runs."""

    __slots__ = ("next_functions", "__weakref__")
    _classes = {}

    def __new__(cls, name: str, *edges):
        """The node called `name` over `edges`; an edge of nothing ((None, 0)) stays nothing."""
        if all(node is None for node, _ in edges):
            return None
        klass = cls._classes.get(name)
        if klass is None:
            klass = cls._classes[name] = TorchNodeType(
                name, (cls,), {"__slots__": (), "__module__": cls.__module__}
            )
        node = object.__new__(klass)
        node.next_functions = tuple((shown_node(n), i) for n, i in edges)
        return node

    def name(self) -> str:
        return type(self).__name__

    @property
    def metadata(self) -> dict:
        return {}

    def register_hook(self, hook):
        raise NotImplementedError(
            f"{type(self).__name__} is torch's node, shown here, but pyneuro's fused op runs no such "
            "step: register the hook on a tensor (Tensor.register_hook) or on the node under it"
        )

    register_prehook = register_hook

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    _repr_pretty_ = pretty_as_c_type


def edge_node(t):
    """Where a graph edge to t leads: its grad_fn, t itself for a leaf that requires grad (whose
    AccumulateGrad shown_node makes when the edge is shown), or None (no tensor, or no grad)."""
    if not isinstance(t, TensorBase) or not t.requires_grad:
        return None
    return t._node if t._node is not None else t


def shown_node(target):
    """What next_functions shows for an edge_node: a node under torch's name, a leaf's AccumulateGrad."""
    if isinstance(target, Function):
        return target.torch_node()
    return AccumulateGrad.of(target) if isinstance(target, TensorBase) else target


def engine_edges(node) -> tuple:
    """node's next_functions as pyneuro's backward walks them (viz, TensorBoard's graph): each
    ShownNode replaced by the edges under it, a node that shows the op's inputs (autograd.named's
    shows) by the edges of its composition."""
    out = []
    if getattr(node, "shows_inputs", False):
        shown = Function.next_functions.fget(node)
    else:
        shown = getattr(node, "next_functions", ())
    for child, i in shown:
        out.extend(engine_edges(child) if isinstance(child, ShownNode) else ((child, i),))
    return tuple(out)
