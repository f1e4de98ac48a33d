"""torch.serialization's settings and helpers that scripts call around torch.save / torch.load.

pn.save writes safetensors (little-endian, no CRC, read whole or mapped alike), so the endianness,
CRC32 and mmap settings are kept and answered as torch answers them and change nothing else;
location_tag and default_restore_location are torch's storage-location helpers, on tensors."""

from __future__ import annotations

import enum

from ._checkpoint_reader import validate_cuda_device
from .tensor import Tensor


class LoadEndianness(enum.Enum):
    """torch's byte orders for loading a legacy file (pn.load's files say theirs: little)."""

    NATIVE = 1
    LITTLE = 2
    BIG = 3


_settings: dict = {"endianness": None, "crc32": True, "mmap": 2}  # (2: mmap.MAP_PRIVATE, torch's default)


def get_default_load_endianness():
    return _settings["endianness"]


def set_default_load_endianness(endianness) -> None:
    if endianness is not None and not isinstance(endianness, LoadEndianness):
        raise TypeError("Invalid argument type in function set_default_load_endianness")
    _settings["endianness"] = endianness


def get_crc32_options() -> bool:
    return _settings["crc32"]


def set_crc32_options(compute_crc32: bool) -> None:
    _settings["crc32"] = compute_crc32


def get_default_mmap_options() -> int:
    return _settings["mmap"]


class set_default_mmap_options:
    """set_default_mmap_options(mmap.MAP_SHARED), or `with set_default_mmap_options(...):`."""

    def __init__(self, flags: int) -> None:
        if flags not in (1, 2):  # mmap.MAP_SHARED, mmap.MAP_PRIVATE
            raise ValueError(
                "Invalid argument in function set_default_mmap_options, expected mmap.MAP_PRIVATE or "
                f"mmap.MAP_SHARED, but got {flags}"
            )
        self.prev = _settings["mmap"]
        _settings["mmap"] = flags

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _settings["mmap"] = self.prev


def location_tag(storage) -> str:
    """The location torch.save records for a tensor's storage: "cpu" or "cuda:0"."""
    device = storage.device
    return "cpu" if device.type == "cpu" else f"cuda:{device.index or 0}"


def default_restore_location(storage, location: str):
    """storage (a tensor here) moved where location says, as torch.load's default placement."""
    if not isinstance(location, str):
        raise TypeError(f"expected string or bytes-like object, got '{type(location).__name__}'")
    if location.startswith("cuda"):
        validate_cuda_device(location)
    elif location != "cpu":
        raise RuntimeError(
            f"don't know how to restore data location of {type(storage).__name__} (tagged with {location})"
        )
    return storage if not isinstance(storage, Tensor) or location == "cpu" else storage.to(location)
