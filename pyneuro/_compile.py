"""torch.compile for pyneuro: its kernels are compiled ahead of time, so there is nothing to trace.

    model = torch.compile(model)      # an OptimizedModule around the model, as torch's
    step = torch.compile(step_fn)     # a function comes back unchanged

The wrapper matters because torch's does: the compiled model's state_dict keys read
"_orig_mod.weight", and scripts reach the original as `model._orig_mod`.

Arrows: imports nn's Module; pyneuro/__init__.py re-exports compile.
"""

from __future__ import annotations

import functools

from .nn.modules.module import Module

__all__ = ["compile", "OptimizedModule"]


class OptimizedModule(Module):
    """What torch.compile(module) returns: a Module holding the original as `_orig_mod`, so its
    state_dict keys read "_orig_mod.weight" as in torch (a checkpoint of a compiled model loads
    into a compiled model, or `compiled._orig_mod` into a plain one). Calling it runs the original;
    other attributes are looked up on the original."""

    def __init__(self, mod: Module):
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)  # _orig_mod itself, and what the wrapper holds
        except AttributeError:
            original = self.__dict__.get("_modules", {}).get("_orig_mod")
            if original is None:  # half-built (copy, unpickling): nothing to look through yet
                raise
            return getattr(original, name)


def compile(
    model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None, disable=False
):
    """torch.compile: pyneuro's kernels are compiled ahead of time, so there is nothing to trace.
    A function comes back as itself, a Module wrapped in an OptimizedModule (as torch's);
    works as `compile(m)`, `@compile` and `@compile(mode=...)`."""
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode)
    if not callable(model):
        raise RuntimeError(f"torch.compile: expected a callable or a Module, got {type(model).__name__}")
    return OptimizedModule(model) if isinstance(model, Module) else model
