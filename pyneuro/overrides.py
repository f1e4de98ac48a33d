"""torch.overrides: `__torch_function__` on tensor-like objects that are not Tensors.

PyTorch's "Extending torch with a Tensor-like type" (the ScalarTensor and MetadataTensor
examples): a class that is no Tensor but defines the classmethod

    __torch_function__(cls, func, types, args=(), kwargs=None)

is handed every torch function called with an instance of it where the function takes a
Tensor (torch.mean(d), torch.add(t, m), torch.cat([m, m])); func is the public function
itself (torch.mean), so a table `{torch.mean: ...}` finds it. The overloaded arguments are
asked in order of appearance, a subclass before its parent; the first answer that is not
NotImplemented is the result, and when all answer NotImplemented the call is torch's
TypeError. The torch-level functions and Tensor methods whose arguments pyneuro/_arguments.py
checks dispatch here, on the path that would otherwise refuse the argument (so a call with
Tensors only costs nothing more). (Tensor subclasses overriding __torch_function__ are not
dispatched: pyneuro's Tensor has no torch-function protocol of its own.)

Imports nothing from pyneuro but _tensor_base.
"""

from __future__ import annotations

from ._tensor_base import TensorBase


def _is_overloaded(x) -> bool:
    """Does x take part in __torch_function__ dispatch: an object that is not a pyneuro Tensor
    whose type defines __torch_function__ (a real torch tensor, met beside pyneuro, does not:
    its protocol would call back the pyneuro function forever)."""
    kind = type(x)
    return (
        not isinstance(x, TensorBase)
        and getattr(kind, "__torch_function__", None) is not None
        and kind.__module__.partition(".")[0] != "torch"
    )


def overloaded_in(x) -> list:
    """The overloaded objects in x (x itself, or the items of a list or tuple of them)."""
    if isinstance(x, (list, tuple)):
        return [item for item in x if _is_overloaded(item)]
    return [x] if _is_overloaded(x) else []


def has_torch_function(relevant_args) -> bool:
    """torch.overrides.has_torch_function: whether any of relevant_args (an iterable) is a
    tensor-like object with __torch_function__."""
    return any(_is_overloaded(a) for a in relevant_args)


def has_torch_function_unary(arg) -> bool:
    return _is_overloaded(arg)


def has_torch_function_variadic(*args) -> bool:
    return has_torch_function(args)


def is_tensor_like(inp) -> bool:
    """torch.overrides.is_tensor_like: a Tensor, or an object whose type defines __torch_function__."""
    return isinstance(inp, TensorBase) or getattr(type(inp), "__torch_function__", None) is not None


def _ordered(overloaded) -> list:
    """One argument per type, in order of appearance, each subclass moved before its parent (torch's order)."""
    seen, order = set(), []
    for arg in overloaded:
        kind = type(arg)
        if kind in seen:
            continue
        seen.add(kind)
        at = next((i for i, other in enumerate(order) if issubclass(kind, type(other))), len(order))
        order.insert(at, arg)
    return order


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """torch.overrides.handle_torch_function: call the __torch_function__ of the overloaded
    objects among relevant_args (in torch's order) with public_api and the call's args and
    kwargs; the first result that is not NotImplemented, else torch's TypeError."""
    overloaded = _ordered([a for a in relevant_args if _is_overloaded(a)])
    types = tuple(type(a) for a in overloaded)
    for arg in overloaded:
        result = type(arg).__torch_function__(public_api, types, args, kwargs or None)  # (None: torch's)
        if result is not NotImplemented:
            return result
    name = getattr(public_api, "__qualname__", None) or getattr(public_api, "__name__", repr(public_api))
    module = (getattr(public_api, "__module__", None) or "torch").replace("pyneuro", "torch")
    if "." in name and not name.startswith("Tensor."):  # (a method: pyneuro's class path)
        name = "Tensor." + name.rpartition(".")[2]
    handlers = "".join(f"  - tensor subclass {kind}\n" for kind in types)
    raise TypeError(
        f"Multiple dispatch failed for '{'torch' if name.startswith('Tensor.') else module}.{name}'; "
        f"all __torch_function__ handlers returned NotImplemented:\n\n{handlers}\n"
        "For more information, try re-running with TORCH_LOGS=not_implemented"
    )


__all__ = [
    "handle_torch_function",
    "has_torch_function",
    "has_torch_function_unary",
    "has_torch_function_variadic",
    "is_tensor_like",
]
