"""torch-level elementwise math: pn.tan, pn.erf, pn.logical_and, pn.eq, pn.add, ... (see _tensor_math.py)."""

from __future__ import annotations

__all__: list[str] = []
