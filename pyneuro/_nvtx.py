"""torch.cuda.nvtx: named ranges for NVIDIA's profilers (Nsight), re-exported as pyneuro.cuda.nvtx.

pyneuro's CUDA kernels are not annotated for NVTX, so where CUDA runs the ranges are only
counted: range_push returns the new range's depth (0 for the outermost) and range_pop the depth
left, as torch's; range_start hands out ids for range_end. Without a CUDA build torch's own
functions raise "NVTX functions not installed": a machine without a usable GPU gets that error.

Arrows: imports cuda (is_available) on first use.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import threading

__all__ = ["range_push", "range_pop", "range_start", "range_end", "mark", "range"]

_DEPTH = threading.local()
_IDS = itertools.count(1)


def _check() -> None:
    if not importlib.import_module(f"{__package__}.cuda").is_available():
        raise RuntimeError("NVTX functions not installed. Are you sure you have a CUDA build?")


def range_push(msg: str) -> int:
    """Open a nested range named msg: its depth (0 for the outermost)."""
    _check()
    depth = getattr(_DEPTH, "n", 0)
    _DEPTH.n = depth + 1
    return depth


def range_pop() -> int:
    """Close the innermost range: the depth of the one closed (-1 if none was open)."""
    _check()
    depth = getattr(_DEPTH, "n", 0) - 1
    _DEPTH.n = max(depth, 0)
    return depth


def range_start(msg: str) -> int:
    """Open a range that may end on another thread: its id, for range_end."""
    _check()
    return next(_IDS)


def range_end(range_id: int) -> None:
    _check()


def mark(msg: str) -> None:
    """An instant event named msg."""
    _check()


@contextlib.contextmanager
def range(msg: str, *args, **kwargs):
    """A range around a `with` block (or a decorated function): msg.format(*args, **kwargs)."""
    range_push(msg.format(*args, **kwargs))
    try:
        yield
    finally:
        range_pop()
