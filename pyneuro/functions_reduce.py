"""torch-level reductions, statistics, small linear algebra and dtype queries: pn.amax, pn.quantile, pn.finfo, ... (see _tensor_reduce.py)."""

from __future__ import annotations

__all__: list[str] = []
