"""torch.utils.dlpack: to_dlpack(tensor) hands a tensor's memory to another library as a DLPack
capsule (zero-copy, host memory); from_dlpack is pyneuro.from_dlpack (a producer or a capsule)."""

from __future__ import annotations

from .._tensor_base import TensorBase
from ..creation import from_dlpack


def to_dlpack(tensor, *, copy=None):
    """A DLPack capsule of tensor's memory (host tensors; a capsule is read once); copy=True:
    of a copy of it."""
    if not isinstance(tensor, TensorBase):
        raise TypeError(
            f"to_dlpack(): argument 'data' (position 1) must be Tensor, not {type(tensor).__name__}"
        )
    if tensor.device.type != "cpu":
        raise RuntimeError("to_dlpack: only host (CPU) tensors here; move the tensor with .cpu() first")
    array = tensor.detach().numpy()
    return (array.copy() if copy else array).__dlpack__()


__all__ = ["to_dlpack", "from_dlpack"]
