"""pyneuro.jit: torch.jit's decorators, so scripts that script or trace their models still run.

TorchScript compiles a model into a graph it can optimise and save without Python. pyneuro's
kernels are compiled ahead of time and its models are Python, so `script` and `trace` return
what they are given (calls behave the same), the decorators and hints that steer the compiler
(`ignore`, `unused`, `export`, `annotate`, `Final`) and the passes over a scripted model
(`freeze`, `optimize_for_inference`) change nothing, and `save`/`load` of a scripted model,
which would need TorchScript's format, raise NotImplementedError: save a state_dict instead.
"""

from __future__ import annotations

from typing import Final


def script(obj=None, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    if not callable(func):
        raise RuntimeError(f"jit.trace: expected a function or a Module, got {type(func).__name__}")
    return func


def _passthrough(fn=None, **_):
    return (lambda f: f) if fn is None else fn


ignore = unused = export = _passthrough


def annotate(the_type, the_value):
    """A type hint for the TorchScript compiler: the value itself."""
    return the_value


def freeze(mod, preserved_attrs=None, optimize_numerics: bool = True):
    """TorchScript's constant folding of an eval-mode scripted model: the model itself here."""
    if getattr(mod, "training", False):
        raise RuntimeError(
            "Freezing is currently only implemented for modules in eval mode. Please call .eval() on your module "
            "before freezing."
        )
    return mod


def optimize_for_inference(mod, other_methods=None):
    """TorchScript's inference passes (freezing, fusing): the model itself here."""
    return mod


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def save(m, f, _extra_files=None):
    raise NotImplementedError(
        "pyneuro has no TorchScript format: save model.state_dict() with pn.save instead"
    )


def load(f, map_location=None, _extra_files=None):
    raise NotImplementedError("pyneuro has no TorchScript format: load a state_dict with pn.load instead")


__all__ = [
    "script",
    "trace",
    "ignore",
    "unused",
    "export",
    "annotate",
    "Final",
    "freeze",
    "optimize_for_inference",
    "is_scripting",
    "is_tracing",
    "save",
    "load",
]
