"""torch.utils.deterministic: `fill_uninitialized_memory` (True by default), whether
deterministic mode (torch.use_deterministic_algorithms(True)) fills new uninitialized memory,
as torch does: NaN for floats, the largest value for integers (backends/torch_flags.py)."""

from __future__ import annotations

import sys
import types

from ..backends import torch_flags as _flags


class _DeterministicModule(types.ModuleType):
    @property
    def fill_uninitialized_memory(self) -> bool:
        return _flags._deterministic["fill"]

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, value) -> None:
        if not isinstance(value, bool):
            raise RuntimeError(f"expected a bool, but got {type(value).__name__}")
        _flags._deterministic["fill"] = value


sys.modules[__name__].__class__ = _DeterministicModule
