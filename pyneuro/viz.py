"""pyneuro.viz.make_dot: draw the graph that `backward()` walks, as torchviz draws PyTorch's.

    from pyneuro.viz import make_dot
    loss = F.cross_entropy(model(x), y)
    make_dot(loss, params=dict(model.named_parameters()))   # in Jupyter: the picture

What you see (torchviz's conventions, read from the output upwards):
- one grey box per autograd Function, named like PyTorch's node (`loss.grad_fn.name()`, e.g.
  `LinearBackward0`), with the shapes of the arrays its forward saved for backward;
- an `AccumulateGrad` box above each leaf that requires grad: where backward adds into `.grad`;
- a blue box per leaf, labelled with its parameter name and shape (`0.weight\\n(256, 784)`);
- a green box for the output; an arrow runs from each node to the node that consumed its result,
  so backward walks the arrows in reverse, from the green box to the blue ones.

Draw the graph before calling backward(): backward frees what the nodes saved and the links to
their inputs (as PyTorch frees the saved tensors), unless it was called with retain_graph=True.

The result is a `graphviz.Digraph` when the graphviz Python package is installed (it renders
inline in Jupyter and `.render()`s to files; both need Graphviz's `dot` program), otherwise a
small `DotGraph` with the same `.source`. `.source` is the DOT text and needs no `dot` program.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from ._tensor_base import TensorBase
from .autograd.shown import engine_edges

try:  # optional: only for rendering; the DOT text is built here either way
    import graphviz as _graphviz
except ImportError:  # pragma: no cover - depends on the environment
    _graphviz = None

NODE_ATTR = dict(
    style="filled",
    shape="box",
    align="left",
    fontsize="10",
    ranksep="0.1",
    height="0.2",
    fontname="monospace",
)
GRAPH_ATTR = dict(size="12,12")
OUTPUT_COLOR = "darkolivegreen1"
PARAM_COLOR = "lightblue"


def _size(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


class DotGraph:
    """What make_dot returns without the graphviz package: the same `.source` (DOT text), and
    in Jupyter an SVG when Graphviz's `dot` program is installed, else the DOT text itself."""

    def __init__(self, node_attr=None, graph_attr=None):
        self.body: list[str] = []
        self._head = ["digraph {"]
        if graph_attr:
            self._head.append(f"\tgraph [{_attrs(dict(sorted(graph_attr.items())))}]")
        if node_attr:
            self._head.append(f"\tnode [{_attrs(dict(sorted(node_attr.items())))}]")

    def node(self, name: str, label: str | None = None, **attrs) -> None:
        if label is not None:
            attrs = {"label": label, **attrs}
        self.body.append(f"\t{_quote(name)} [{_attrs(attrs)}]" if attrs else f"\t{_quote(name)}")

    def edge(self, tail: str, head: str, **attrs) -> None:
        extra = f" [{_attrs(attrs)}]" if attrs else ""
        self.body.append(f"\t{_quote(tail)} -> {_quote(head)}{extra}")

    @property
    def source(self) -> str:
        return "\n".join(self._head + self.body + ["}"]) + "\n"

    def pipe(self, format: str = "svg") -> bytes:
        """The graph drawn by Graphviz's `dot` program (RuntimeError if it is not installed)."""
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("Graphviz's `dot` program is not installed; `.source` has the DOT text")
        return subprocess.run(
            [dot, f"-T{format}"], input=self.source.encode(), capture_output=True, check=True
        ).stdout

    def _repr_mimebundle_(self, include=None, exclude=None):
        if shutil.which("dot") is not None:
            return {"image/svg+xml": self.pipe("svg").decode()}
        return {"text/plain": self.source}

    def __str__(self) -> str:
        return self.source


_ID = re.compile(r"([A-Za-z_][A-Za-z_0-9]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))\Z")
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


def _quote(text: str) -> str:
    """A DOT ID as the graphviz package writes it: a plain word or number bare, anything else
    in double quotes (so the fallback's .source is the same text)."""
    if _ID.match(text) and text.lower() not in _KEYWORDS:
        return text
    return '"' + text.replace('"', '\\"') + '"'


def _attrs(attrs: dict) -> str:
    return " ".join(f"{k}={_quote(str(v))}" for k, v in attrs.items())


def _saved_shapes(node) -> list:
    """The shapes of the arrays node.forward kept for backward (none once backward freed them)."""
    saved = getattr(node, "saved", None) or ()
    if not isinstance(saved, tuple):
        saved = (saved,)
    return [_size(s.shape) for s in saved if hasattr(s, "shape") and getattr(s, "ndim", 0) > 0]


def _node_name(fn) -> str:
    """PyTorch's name for a node (Function.name(), e.g. 'LinearBackward0'; 'AccumulateGrad')."""
    name = getattr(fn, "name", None)
    return name() if callable(name) else type(fn).__name__


def make_dot(var, params=None, show_saved: bool = True, show_attrs: bool = False, max_attr_chars: int = 50):
    """The backward graph of `var` (a Tensor, or a tuple/list of Tensors) as a Digraph.

    params: {name: Tensor}, usually dict(model.named_parameters()), to label the leaves.
    show_saved: list the saved arrays' shapes in each node (torchviz draws them as extra nodes).
    show_attrs, max_attr_chars: accepted for torchviz compatibility (pyneuro's nodes have no
    attributes beyond their saved arrays).
    """
    outputs = tuple(var) if isinstance(var, (tuple, list)) else (var,)
    if params is not None:
        if not all(isinstance(p, TensorBase) for p in params.values()):
            raise ValueError("params must be a dict of {name: Tensor}, e.g. dict(model.named_parameters())")
        names = {id(p): name for name, p in params.items()}
    else:
        names = {}
    if _graphviz is not None:
        dot = _graphviz.Digraph(node_attr=NODE_ATTR, graph_attr=GRAPH_ATTR)
    else:
        dot = DotGraph(node_attr=NODE_ATTR, graph_attr=GRAPH_ATTR)

    ids: dict = {}  # id(node or leaf tensor) -> its DOT name, n0, n1, ... in the order of the walk

    def new_id(obj) -> str:
        ids[id(obj)] = f"n{len(ids)}"
        return ids[id(obj)]

    def leaf_label(t, default="") -> str:
        name = names.get(id(t), default)
        return f"{name}\n{_size(t.shape)}" if name else _size(t.shape)

    def add_nodes(fn) -> str:
        """Add fn and everything above it (depth first, as torchviz); return fn's DOT name."""
        variable = getattr(fn, "variable", None)  # an AccumulateGrad: one per leaf tensor
        key = ("acc", id(variable)) if variable is not None else id(fn)
        if key in ids:
            return ids[key]
        ids[key] = name = f"n{len(ids)}"
        label = _node_name(fn)
        if show_saved and variable is None:
            shapes = _saved_shapes(fn)
            if shapes:
                label += "\n" + "-" * max(len(label), 8) + "\nsaved: " + ", ".join(shapes)
        dot.node(name, label)
        if variable is not None:
            leaf = new_id(variable)
            dot.node(leaf, leaf_label(variable), fillcolor=PARAM_COLOR)
            dot.edge(leaf, name)
            return name
        for child, _ in engine_edges(fn):
            if child is not None:
                dot.edge(add_nodes(child), name)
        return name

    for out in outputs:
        if not isinstance(out, TensorBase):
            raise TypeError(f"make_dot needs a Tensor (or a tuple of Tensors), got {type(out).__name__}")
        if out._node is None:  # a leaf: nothing to walk
            dot.node(new_id(out), leaf_label(out, "output"), fillcolor=OUTPUT_COLOR)
            continue
        fn_name = add_nodes(out._node)
        out_name = new_id(out)
        dot.node(out_name, leaf_label(out, "output"), fillcolor=OUTPUT_COLOR)
        dot.edge(fn_name, out_name)
    return dot
