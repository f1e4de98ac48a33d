"""torch._dynamo, the tracer behind torch.compile: pyneuro traces nothing (its kernels are compiled
ahead of time, _compile.py), so this is the inert surface scripts touch. `config` holds the
switches (set and read, no effect); reset() has no cache to clear; is_compiling() is False;
disable / allow_in_graph / ... hand their function back (compiler.py's); mark_dynamic and the
other shape hints do nothing; eval_frame.OptimizedModule is what torch.compile(module) returns,
for `isinstance(model, torch._dynamo.eval_frame.OptimizedModule)` before `model._orig_mod`.

Arrows: imports compiler (the decorators, torch.compile) and its own config, eval_frame.
"""

from __future__ import annotations

from ..compiler import allow_in_graph, assume_constant_result, disable, is_compiling, list_backends, reset
from . import config, eval_frame
from .eval_frame import OptimizedModule

__all__ = [
    "config",
    "eval_frame",
    "OptimizedModule",
    "reset",
    "is_compiling",
    "disable",
    "allow_in_graph",
    "assume_constant_result",
    "list_backends",
    "mark_dynamic",
    "maybe_mark_dynamic",
    "mark_static",
    "mark_static_address",
    "graph_break",
]


def mark_dynamic(t, index, *, hint_override=None, min=None, max=None, specialize_on=None) -> None:
    """A hint that dimension `index` of t varies between calls: nothing traces shapes here."""


def maybe_mark_dynamic(t, index) -> None:
    """As mark_dynamic."""


def mark_static(t, index=None) -> None:
    """A hint that t's shape stays fixed: nothing to do."""


def mark_static_address(t, guard=False) -> None:
    """A hint that t's storage stays put (CUDA graphs): nothing to do."""


def graph_break(msg: str = "") -> None:
    """Where tracing would split the graph: eager code runs on, as torch's outside tracing."""
