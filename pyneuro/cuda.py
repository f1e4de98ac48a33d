"""pyneuro.cuda: is a GPU usable, and a few device utilities (like torch.cuda).

    >>> import pyneuro as pn
    >>> pn.cuda.is_available()          # False on a machine without a GPU
    False
    >>> pn.cuda.reason()                # why not, in words
    'cuda: not built (no CUDA toolkit at build time) and cupy not installed'

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

from . import amp as _amp

__all__ = [
    "is_available",
    "device_count",
    "synchronize",
    "get_device_name",
    "get_device_properties",
    "memory_stats",
    "memory_allocated",
    "memory_reserved",
    "empty_cache",
    "is_initialized",
    "current_device",
    "set_device",
    "is_bf16_supported",
    "manual_seed",
    "manual_seed_all",
    "seed",
    "seed_all",
    "amp",
    "reason",
    "kernel_source_dir",
    "KERNEL_FILES",
]

# The kernel sources shared by pyneuro._cuda (compiled ahead of time) and the CuPy backend
# (compiled at run time with NVRTC, concatenated in this order with their #include lines
# dropped, so a file comes after the ones it includes). common.cuh first; then the taught
# kernels of a training step; then the array namespace's kernels (array_*.cuh); then
# convolution and pooling.
KERNEL_FILES = (
    "common.cuh",
    "matmul.cuh",
    "softmax.cuh",
    "relu.cuh",
    "bias.cuh",
    "optim.cuh",
    "array_elementwise.cuh",
    "array_reduce.cuh",
    "array_indexing.cuh",
    "conv.cuh",
    "pool.cuh",
)


def _extension():
    """pyneuro._cuda, or None when it was not built."""
    try:
        return importlib.import_module("pyneuro._cuda")
    except ImportError:
        return None


_CUDA_ERROR_INSUFFICIENT_DRIVER = 35


def _cuda_version(v: int) -> str:
    return f"{v // 1000}.{v % 1000 // 10}"  # 12040 -> "12.4"


def extension_problem(ext) -> tuple[int, str]:
    """(device count, why pyneuro._cuda cannot use a GPU; '' when it can).

    The one place that words this reason (the cuda backend raises it as BackendUnavailable).
    pyneuro._cuda links the CUDA runtime statically, so it needs a driver at least as new as
    the toolkit it was built with; error 35 means the driver is older (or missing).
    """
    count, code, message = ext.device_status()
    if code == _CUDA_ERROR_INSUFFICIENT_DRIVER:
        driver = ext.driver_version() if hasattr(ext, "driver_version") else 0
        built = _cuda_version(ext.cuda_runtime_version)
        if driver:
            return 0, (
                f"built, but the driver supports CUDA {_cuda_version(driver)}, pyneuro._cuda was built "
                f"with {built}; use the cupy backend or rebuild (CUDA error {code})"
            )
        return (
            0,
            f"built, but no NVIDIA driver is installed (pyneuro._cuda was built with CUDA {built}; CUDA error {code})",
        )
    if code:
        return 0, f"built, but no GPU device ({message}; CUDA error {code})"
    if count == 0:
        return 0, "built, but no GPU device (cudaGetDeviceCount found 0 devices)"
    return count, ""


def _status() -> tuple[int, str]:
    """(device count, reason when 0) from the extension, else from CuPy."""
    ext = _extension()
    if ext is not None:
        count, problem = extension_problem(ext)
        return count, f"cuda: {problem}" if problem else ""
    if importlib.util.find_spec("cupy") is None:
        return 0, "cuda: not built (no CUDA toolkit at build time) and cupy not installed"
    try:
        import cupy

        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDARuntimeError without a driver or device
        return 0, f"cupy: no GPU device ({exc})"
    return count, "" if count else "cupy: no GPU device (0 devices)"


amp = _amp.for_device("cuda")  # torch.cuda.amp: autocast and GradScaler (pyneuro/amp.py)


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
    """Counters of pyneuro's caching allocator: cudaMalloc calls, cache hits, bytes in use / cached
    ({} on a machine without a usable GPU, as torch answers before CUDA is initialised)."""
    return _require_extension().memory_stats() if is_available() else {}


def memory_allocated(device=None) -> int:
    """Bytes of device memory held by live tensors (0 without a GPU)."""
    return int(memory_stats().get("bytes_in_use", 0))


def memory_reserved(device=None) -> int:
    """Bytes held by the caching allocator: in use plus cached (0 without a GPU)."""
    stats = memory_stats()
    return int(stats.get("bytes_in_use", 0) + stats.get("bytes_cached", 0))


def empty_cache() -> None:
    """Return the caching allocator's free blocks to CUDA (like torch.cuda.empty_cache; nothing to
    do, and no error, without a GPU: scripts call it unconditionally)."""
    if is_available():
        _require_extension().empty_cache()


def is_initialized() -> bool:
    return is_available()


def current_device() -> int:
    """The index of the GPU in use: always 0 (pyneuro drives one GPU); RuntimeError without one."""
    _require_extension()
    return 0


def set_device(device) -> None:
    index = getattr(device, "index", device)
    if index not in (None, 0):
        raise RuntimeError(f"pyneuro drives one GPU (index 0), got device {device!r}")
    _require_extension()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False  # pyneuro has no bfloat16 kernels


# Seeding: every device's random numbers come from pyneuro's one default generator
# (pyneuro/random.py), which pn.manual_seed seeds. So these accept the call and do nothing more,
# like torch's do on a machine without CUDA.
def manual_seed(seed: int) -> None:
    int(seed)


def manual_seed_all(seed: int) -> None:
    int(seed)


def seed() -> None:
    pass


def seed_all() -> None:
    pass


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
        "pyneuro's CUDA kernel sources ("
        + ", ".join(KERNEL_FILES)
        + ") were found in neither "
        + " nor ".join(str(c) for c in candidates)
    )
