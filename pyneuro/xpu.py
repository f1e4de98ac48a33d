"""pyneuro.xpu: torch.xpu's device questions, answered for a machine with no Intel GPU.

Device-choosing code asks `torch.xpu.is_available()` next to cuda and mps; pyneuro runs no
kernels on Intel GPUs, so the answer is always no and the device stays "cpu".
"""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


__all__ = ["is_available", "device_count"]
