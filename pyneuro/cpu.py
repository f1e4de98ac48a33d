"""pyneuro.cpu: torch.cpu's device questions (`torch.cpu.is_available()`, `torch.cpu.amp.autocast`).

Arrows: imports amp; loaded lazily by pyneuro/__init__.py.
"""

from __future__ import annotations

from . import amp as _amp


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def synchronize(device=None) -> None:
    pass  # CPU kernels finish before they return


amp = _amp.for_device("cpu")  # torch.cpu.amp

__all__ = ["is_available", "device_count", "current_device", "synchronize", "amp"]
