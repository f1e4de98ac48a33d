"""torch.nn.attention: choosing the kernel behind scaled_dot_product_attention.

    from torch.nn.attention import SDPBackend, sdpa_kernel
    with sdpa_kernel(SDPBackend.MATH):
        y = F.scaled_dot_product_attention(q, k, v)

torch picks among fused kernels (flash, memory-efficient, cuDNN) and the plain "math" one;
pyneuro has one implementation, the math formula (functional_attention.py), so every
backend choice runs it and sdpa_kernel changes nothing.
"""

from __future__ import annotations

import contextlib
import enum


class SDPBackend(enum.IntEnum):
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __repr__(self) -> str:
        return f"<SDPBackend.{self.name}: {self.value}>"

    def __str__(self) -> str:
        return f"SDPBackend.{self.name}"


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Run the block with the given attention backend(s) allowed (pyneuro: the math one, always)."""
    yield


__all__ = ["SDPBackend", "sdpa_kernel"]
