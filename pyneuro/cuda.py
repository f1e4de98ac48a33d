"""pyneuro.cuda: is a GPU usable, and a few device utilities (like torch.cuda).

    >>> import pyneuro as pn
    >>> pn.cuda.is_available()          # False on a machine without a GPU
    False
    >>> pn.cuda.reason()                # why not, in words
    'cuda: built, but no GPU device (cudaErrorInsufficientDriver: ...)'

Everything here answers without a GPU: `is_available()` is False, `device_count()` is 0,
and the calls that need a device (`synchronize`, `get_device_name`, ...) raise
RuntimeError with the reason. CUDA errors surface as RuntimeError carrying the CUDA
error name and string, never as an abort.

The compiled extension (pyneuro._cuda) is used when it was built; otherwise CuPy, when
installed, answers the device questions. Neither is imported by `import pyneuro`.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

__all__ = [
    "is_available",
    "device_count",
    "synchronize",
    "get_device_name",
    "get_device_properties",
    "memory_stats",
    "empty_cache",
    "reason",
    "kernel_source_dir",
    "KERNEL_FILES",
]

# The kernel sources shared by pyneuro._cuda (compiled ahead of time) and the CuPy backend
# (compiled at run time with NVRTC). Order matters only for readability; each includes
# what it needs.
KERNEL_FILES = ("common.cuh", "elementwise.cuh", "matmul.cuh", "softmax.cuh", "indexing.cuh", "conv.cuh", "pool.cuh")


def _extension():
    """pyneuro._cuda, or None when it was not built."""
    try:
        return importlib.import_module("pyneuro._cuda")
    except ImportError:
        return None


def _status() -> tuple[int, str]:
    """(device count, reason when 0) from the extension, else from CuPy."""
    ext = _extension()
    if ext is not None:
        count, code, message = ext.device_status()
        if code:
            return 0, f"cuda: built, but no GPU device ({message}; CUDA error {code})"
        if count == 0:
            return 0, "cuda: built, but no GPU device (cudaGetDeviceCount found 0 devices)"
        return count, ""
    if importlib.util.find_spec("cupy") is None:
        return 0, "cuda: not built (no CUDA toolkit at build time) and cupy not installed"
    try:
        import cupy

        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDARuntimeError without a driver or device
        return 0, f"cupy: no GPU device ({exc})"
    return count, "" if count else "cupy: no GPU device (0 devices)"


def reason() -> str:
    """Why CUDA is not usable here ("" when it is)."""
    return _status()[1]


def is_available() -> bool:
    """True when a CUDA GPU can run pyneuro's kernels."""
    return _status()[0] > 0


def device_count() -> int:
    """Number of CUDA devices (0 when none is usable, as torch.cuda.device_count)."""
    return _status()[0]


def _require_extension():
    count, why = _status()
    ext = _extension()
    if count == 0:
        raise RuntimeError(why)
    if ext is None:
        raise RuntimeError("pyneuro._cuda was not built (no CUDA toolkit at build time); use CuPy directly")
    return ext


def synchronize() -> None:
    """Wait for all launched kernels to finish; raises RuntimeError with any kernel error."""
    _require_extension().synchronize()


def get_device_name(device: int = 0) -> str:
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3'."""
    return _require_extension().get_device_name(int(device))


def get_device_properties(device: int = 0) -> dict:
    """Name, compute capability, memory size, SM count, clocks, L2 size of a device."""
    return _require_extension().get_device_properties(int(device))


def memory_stats() -> dict:
    """Counters of pyneuro's caching allocator: cudaMalloc calls, cache hits, bytes in use / cached."""
    return _require_extension().memory_stats()


def empty_cache() -> None:
    """Return the caching allocator's free blocks to CUDA (like torch.cuda.empty_cache)."""
    _require_extension().empty_cache()


def kernel_source_dir() -> Path:
    """Folder holding the .cuh kernel sources.

    Installed: the package data folder pyneuro/cuda_kernels. In-place development build:
    the repository's csrc/cuda/kernels. FileNotFoundError when neither has them.
    """
    here = Path(__file__).resolve().parent
    candidates = (here / "cuda_kernels", here.parent / "csrc" / "cuda" / "kernels")
    for folder in candidates:
        if all((folder / name).is_file() for name in KERNEL_FILES):
            return folder
    raise FileNotFoundError(
        "pyneuro's CUDA kernel sources (" + ", ".join(KERNEL_FILES) + ") were found in neither "
        + " nor ".join(str(c) for c in candidates)
    )
