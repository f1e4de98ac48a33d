"""torch.autograd.graph: hooks on the tensors the graph saves, and the graph's node type.

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack): ...   # saved_hooks.py
    with torch.autograd.graph.save_on_cpu(): ...        # saved tensors kept on the host
    isinstance(y.grad_fn, torch.autograd.graph.Node)   # every grad_fn is a Node

Loaded on first use of `pn.autograd.graph` (autograd/__init__.py).
"""

from __future__ import annotations

import abc

from .._tensor_base import TensorBase
from . import saved_hooks as _saved_hooks
from .function import AccumulateGrad, Function

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "Node", "increment_version"]


class saved_tensors_hooks:
    """Within the block, every tensor saved for backward goes through pack_hook when it is saved
    and unpack_hook when backward reads it (see saved_hooks.py for pyneuro's built-in ops)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _saved_hooks.state.disabled:
            raise RuntimeError(_saved_hooks.state.disabled[-1])
        _saved_hooks.state.pairs.append((self.pack_hook, self.unpack_hook))
        _saved_hooks.in_use[0] = True
        return self

    def __exit__(self, *exc) -> None:
        _saved_hooks.state.pairs.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept in host memory and moved back to their device for backward (on the
    CPU they stay where they are). pin_memory is accepted, as torch's."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack(t):
            return t.device, t.detach().cpu()

        def unpack(saved):
            device, t = saved
            return t.to(device)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Within the block, entering saved_tensors_hooks raises RuntimeError(error_message)."""

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self):
        _saved_hooks.state.disabled.append(self.error_message)
        return self

    def __exit__(self, *exc) -> None:
        _saved_hooks.state.disabled.pop()


class Node(abc.ABC):
    """The type of every grad_fn (torch.autograd.graph.Node): pyneuro's Function nodes and
    AccumulateGrad are registered as its subclasses, for isinstance checks."""

    @abc.abstractmethod
    def name(self) -> str: ...


Node.register(Function)
Node.register(AccumulateGrad)


def increment_version(tensor) -> None:
    """Bump a tensor's version counter, as an in-place change would (torch.autograd.graph.increment_version)."""
    for t in tensor if isinstance(tensor, (list, tuple)) else (tensor,):
        if isinstance(t, TensorBase):
            t._vc[0] += 1
