"""pyneuro.distributed: the answers a single-process script asks torch.distributed for.

pyneuro trains in one process, so `is_available()` is False, as on a torch build without
distributed support; scripts guard their multi-process code with it
(`if dist.is_available() and dist.is_initialized(): ...`).
"""

from __future__ import annotations


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return False


def get_rank(group=None) -> int:
    raise ValueError(
        "Default process group has not been initialized, please make sure to call init_process_group."
    )


def get_world_size(group=None) -> int:
    raise ValueError(
        "Default process group has not been initialized, please make sure to call init_process_group."
    )


def init_process_group(*args, **kwargs):
    raise RuntimeError("pyneuro trains in one process: torch.distributed is not available")
