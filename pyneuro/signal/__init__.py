"""torch.signal: the window functions of torch.signal.windows (windows.py)."""

from __future__ import annotations

from . import windows

__all__ = ["windows"]
