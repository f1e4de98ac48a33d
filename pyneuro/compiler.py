"""torch.compiler: the switches around torch.compile. pyneuro's kernels are compiled ahead of
time and nothing is traced (_compile.py), so code is never "being compiled": is_compiling()
is False, and the decorators that steer the tracer (disable, allow_in_graph,
assume_constant_result, substitute_in_graph, nested_compile_region) hand the function back
unchanged, as torch's do when dynamo is not tracing. reset() and cudagraph_mark_step_begin()
have nothing to clear; list_backends() is empty (there is no tracer to hand a graph to).

Arrows: imports _compile (torch.compile) only.
"""

from __future__ import annotations

import contextlib

from ._compile import compile

__all__ = [
    "compile",
    "is_compiling",
    "is_dynamo_compiling",
    "is_exporting",
    "disable",
    "allow_in_graph",
    "assume_constant_result",
    "substitute_in_graph",
    "nested_compile_region",
    "reset",
    "list_backends",
    "cudagraph_mark_step_begin",
    "set_stance",
]


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def is_exporting() -> bool:
    return False


def _as_decorator(fn):
    """fn itself, or (called with options only) a decorator that returns its function."""
    return fn if fn is not None else (lambda f: f)


def disable(fn=None, recursive=True, *, reason=None):
    """fn unchanged (@disable and @disable(recursive=False) alike)."""
    return _as_decorator(fn)


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def substitute_in_graph(original_fn, *, can_constant_fold_through=False, skip_signature_check=False):
    return lambda fn: fn


def nested_compile_region(fn=None, options=None):
    return _as_decorator(fn)


def reset() -> None:
    """Nothing compiled to forget."""


def list_backends(exclude_tags=("debug", "experimental")) -> list:
    return []


def cudagraph_mark_step_begin() -> None:
    """No CUDA graphs are recorded: nothing to mark."""


class set_stance(contextlib.ContextDecorator):
    """torch.compiler.set_stance(...): a context manager and decorator that changes nothing."""

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        self.stance = stance

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
