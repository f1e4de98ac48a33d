"""torch.autograd.forward_ad: forward-mode derivatives through dual tensors.

    import pyneuro.autograd.forward_ad as fwAD
    with fwAD.dual_level():
        x = fwAD.make_dual(primal, tangent)     # primal + tangent * eps
        y = f(x)
        value, jvp = fwAD.unpack_dual(y)         # jvp = J_f(primal) @ tangent

pyneuro has no forward-mode kernels: a dual tensor here is a tensor that records the (reverse)
graph, and `unpack_dual` computes the Jacobian-vector product from it with the double-backward
trick: with u a dummy cotangent, g(u) = J^T u is linear in u, so d<g(u), tangent>/du = J tangent.
Both backward passes use the create_graph rules (graph_rules.py); f's result and values are
the same as torch's, at the cost of two backward walks per unpack. Differences: a dual made
from a tensor without requires_grad reports requires_grad=True (it is in the graph), the
tangent comes back detached, and it is computed when unpacked (torch computes it with the
values), so unpack before a backward() that frees f's graph. Levels are per thread, as torch's;
leaving one forgets its duals.

A custom Function with a `jvp` staticmethod, applied to duals, gets its jvp called right after
forward, as torch does (`custom_jvp`): its outputs become duals carrying what jvp returned, and
while unpack_dual walks the graph back, that Function's node passes nothing on (its inputs'
tangents already went into jvp's result, which would otherwise be counted twice).
"""

from __future__ import annotations

import threading
from collections import namedtuple

from .._tensor_base import TensorBase
from .engine import grad as _grad
from .grad_mode import enable_grad

__all__ = [
    "UnpackedDualTensor",
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class _Levels(threading.local):
    """This thread's open dual levels, innermost last: each a list of (dual tensor, tangent);
    `unpacking` is True while unpack_dual walks a graph back."""

    def __init__(self):
        self.stack = []
        self.unpacking = False


_levels = _Levels()


def enter_dual_level() -> int:
    """Open a new dual level (dual_level() does this and its exit); returns its index."""
    _levels.stack.append([])
    return len(_levels.stack) - 1


def exit_dual_level(*, level=None) -> None:
    """Close the innermost dual level: the tangents of its duals are forgotten."""
    stack = _levels.stack
    if level is None and not stack:
        raise RuntimeError("Dual level must be a positive number.")  # torch's words for "no level is open"
    if not stack or (level is not None and level != len(stack) - 1):
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported."
        )
    stack.pop()


class dual_level:
    """`with dual_level():` make_dual and unpack_dual work inside the block (torch.autograd.forward_ad)."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()


def _level(level):
    stack = _levels.stack
    if not stack:
        return None
    return stack[-1 if level is None else level]


def make_dual(tensor, tangent, *, level=None):
    """tensor with `tangent` attached: what f(dual) computes carries J_f tangent (unpack_dual)."""
    duals = _level(level)
    if duals is None:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first."
        )
    if not isinstance(tensor, TensorBase) or not isinstance(tangent, TensorBase):
        raise TypeError("make_dual: expected Tensors for the primal and the tangent")
    if tensor._data.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if tangent._data.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this "
            f"is not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of "
            f"size {list(tangent.shape)}."
        )
    with enable_grad():
        dual = tensor.view_as(tensor) if tensor.requires_grad else tensor.detach().requires_grad_(True)
    if tangent.stride() != tensor.stride():  # torch copies the tangent into the primal's layout
        tangent = tensor.detach().mul(0).add_(tangent.detach())
    duals.append((dual, tangent))  # else it keeps the very tensor: unpack_dual(dual).tangent is tangent
    return dual


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    """(primal, tangent) of tensor: the tangent is J tangent for the duals it was computed from
    in this level (zeros where it is connected to them with a zero derivative), None if none."""
    if not isinstance(tensor, TensorBase):
        raise TypeError(
            f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not {type(tensor).__name__}"
        )
    duals = _level(level)
    if duals is None:
        return UnpackedDualTensor(tensor, None)
    for dual, tangent in duals:
        if dual is tensor:
            return UnpackedDualTensor(tensor, tangent)
    if not tensor.requires_grad or tensor._data.dtype.kind not in "fc":
        return UnpackedDualTensor(tensor, None)
    with enable_grad(), _unpacking():
        u = tensor.detach().mul(0).requires_grad_(True)  # the dummy cotangent (its value does not matter)
        grads = _grad(tensor, [d for d, _ in duals], grad_outputs=u, create_graph=True, allow_unused=True)
        terms = [(g * t.detach()).sum() for g, (_, t) in zip(grads, duals) if g is not None]
        if not terms:
            return UnpackedDualTensor(tensor, None)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        if not total.requires_grad:  # J^T u did not depend on u: the derivative is zero
            return UnpackedDualTensor(tensor, tensor.detach().mul(0))
        (jvp,) = _grad(total, [u], retain_graph=True, allow_unused=True)  # f's graph stays for more unpacks
    return UnpackedDualTensor(tensor, tensor.detach().mul(0) if jvp is None else jvp.detach())


class _unpacking:
    def __enter__(self):
        self.before, _levels.unpacking = _levels.unpacking, True

    def __exit__(self, *exc):
        _levels.unpacking = self.before


def unpacking() -> bool:
    """Whether unpack_dual is walking a graph back now (a custom Function's node that ran jvp is silent)."""
    return _levels.unpacking


def custom_jvp(ctx, fn, args, outputs) -> None:
    """After `fn.forward` (a custom Function) inside a dual level: when an input carries a tangent,
    call fn's jvp(ctx, *input tangents) as torch does (zeros for a tensor input without one; torch's
    NotImplementedError when fn has none) and make each output a dual with the tangent it returned."""
    duals = _level(None)
    if not duals:
        return
    tangents = [unpack_dual(a).tangent if isinstance(a, TensorBase) else None for a in args]
    if all(t is None for t in tangents):
        return
    if "jvp" not in _defined(fn):
        fn.jvp(ctx)  # torch's NotImplementedError: forward mode needs the Function's jvp
    tangents = [
        a.detach().mul(0) if t is None and isinstance(a, TensorBase) else t for a, t in zip(args, tangents)
    ]
    ctx._in_jvp = True
    try:
        result = fn.jvp(ctx, *tangents)
    finally:
        ctx._in_jvp = False
    result = result if isinstance(result, tuple) else (result,)
    if len(result) != len(outputs):
        raise RuntimeError(
            f"function {fn.__name__}Backward returned an incorrect number of forward gradients "
            f"(expected {len(outputs)}, got {len(result)})"
        )
    for o, t in zip(outputs, result):
        if isinstance(o, TensorBase) and isinstance(t, TensorBase) and o.requires_grad:
            duals.append((o, t.detach()))  # detached, as unpack_dual's tangents
    ctx._jvp_done = True


def _defined(fn) -> set:
    """The names fn's own classes define (not pyneuro's Function base)."""
    names = set()
    for klass in fn.__mro__:
        if klass.__module__.startswith("pyneuro."):
            break
        names.update(vars(klass))
    return names
