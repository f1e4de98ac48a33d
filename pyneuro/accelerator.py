"""pyneuro.accelerator: torch.accelerator, the device-agnostic questions PyTorch's tutorials now ask:

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

pyneuro's one accelerator is a CUDA GPU (pyneuro/cuda.py answers for it); without one,
`is_available()` is False, `current_accelerator()` None, and the calls that need the device raise
RuntimeError, as torch's do.

Arrows: imports cuda and _device; loaded lazily by pyneuro/__init__.py.
"""

from __future__ import annotations

from . import cuda as _cuda
from ._device import device as _device

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return _cuda.is_available()


def current_accelerator(check_available: bool = False):
    """device('cuda') when a GPU is usable, else None."""
    return _device("cuda") if _cuda.is_available() else None


def device_count() -> int:
    return _cuda.device_count()


def _require() -> None:
    if not _cuda.is_available():
        raise RuntimeError(_NONE)


def current_device_index() -> int:
    _require()
    return _cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device) -> None:
    _require()
    _cuda.set_device(device)


set_device_idx = set_device_index


def synchronize(device=None) -> None:
    _require()
    _cuda.synchronize()


def empty_cache() -> None:
    _cuda.empty_cache()


def memory_allocated(device=None) -> int:
    return _cuda.memory_allocated()


def memory_reserved(device=None) -> int:
    return _cuda.memory_reserved()


__all__ = [
    "is_available",
    "current_accelerator",
    "device_count",
    "current_device_index",
    "current_device_idx",
    "set_device_index",
    "set_device_idx",
    "synchronize",
    "empty_cache",
    "memory_allocated",
    "memory_reserved",
]
