"""pyneuro.nn.parameter: torch.nn.parameter's import path (`from torch.nn.parameter import Parameter`).

The classes live in nn/modules/module.py (Parameter, Buffer) and nn/modules/lazy.py (the
uninitialized tensors of lazy modules); this module only gives them torch's path.
"""

from __future__ import annotations

from .modules.lazy import UninitializedBuffer, UninitializedParameter, UninitializedTensorMixin, is_lazy
from .modules.module import Buffer, Parameter

__all__ = [
    "Parameter",
    "Buffer",
    "UninitializedParameter",
    "UninitializedBuffer",
    "UninitializedTensorMixin",
    "is_lazy",
]
