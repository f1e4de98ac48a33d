"""pyneuro.nn.parameter: torch.nn.parameter's import path (`from torch.nn.parameter import Parameter`).

The classes live in nn/modules/module.py; this module only gives them torch's path.
"""

from __future__ import annotations

from .modules.module import Buffer, Parameter

__all__ = ["Parameter", "Buffer"]
