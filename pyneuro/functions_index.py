"""torch-level shape, joining and indexing functions: pn.hstack, pn.tensor_split, pn.take, ... (see _tensor_index.py)."""

from __future__ import annotations

__all__: list[str] = []
