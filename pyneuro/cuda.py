"""pyneuro.cuda: is a GPU usable, and a few device utilities (like torch.cuda).

    >>> import pyneuro as pn
    >>> pn.cuda.is_available()          # False on a machine without a GPU
    False
    >>> pn.cuda.reason()                # why not, in words
    'cuda: not built (no CUDA toolkit at build time) and cupy not installed'

Everything here answers without a GPU: `is_available()` is False, `device_count()` is 0,
and the calls that need a device (`synchronize`, `get_device_name`, `Event`, ...) raise
DeviceUnavailable with the reason: a RuntimeError, and an AssertionError as torch's
CPU-only build raises ("Torch not compiled with CUDA enabled"). CUDA errors surface as RuntimeError carrying the CUDA
error name and string, never as an abort.

The compiled extension (pyneuro._cuda) is used when it was built; otherwise CuPy, when
installed, answers the device questions. Neither is imported by `import pyneuro`.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys as _sys
from pathlib import Path
from time import perf_counter_ns

from . import _nvtx
from . import amp as _amp
from . import random as _random
from ._errors import AcceleratorError, DeviceUnavailable, OutOfMemoryError

__all__ = [
    "OutOfMemoryError",
    "AcceleratorError",
    "is_available",
    "device_count",
    "synchronize",
    "get_device_name",
    "get_device_properties",
    "memory_stats",
    "memory_allocated",
    "memory_reserved",
    "max_memory_allocated",
    "max_memory_reserved",
    "memory_summary",
    "reset_peak_memory_stats",
    "reset_max_memory_allocated",
    "get_rng_state",
    "set_rng_state",
    "get_rng_state_all",
    "initial_seed",
    "set_rng_state_all",
    "device",
    "Event",
    "Stream",
    "current_stream",
    "default_stream",
    "stream",
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
    "nvtx",
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
# torch.cuda.nvtx (_nvtx.py), importable by its dotted name as torch's submodule is
nvtx = _sys.modules.setdefault(f"{__name__}.nvtx", _nvtx)


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
        raise DeviceUnavailable(why)
    if ext is None:
        raise DeviceUnavailable(
            "pyneuro._cuda was not built (no CUDA toolkit at build time); use CuPy directly"
        )
    return ext


def synchronize(device=None) -> None:
    """Wait for all launched kernels to finish; raises RuntimeError with any kernel error. device:
    the GPU (None, 0, "cuda", "cuda:0"), as torch's (d2l.ai's benchmarks pass theirs)."""
    ext = _require_extension()
    _gpu_index(device)
    ext.synchronize()


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


def max_memory_allocated(device=None) -> int:
    """The most bytes live tensors held at once since the start or reset_peak_memory_stats()
    (0 without a GPU)."""
    return int(memory_stats().get("peak_bytes_in_use", 0))


def max_memory_reserved(device=None) -> int:
    """The most bytes the caching allocator held at once (0 without a GPU)."""
    return int(memory_stats().get("peak_bytes_reserved", 0))


def memory_summary(device=None, abbreviated: bool = False) -> str:
    """The caching allocator's counters as a printable table (pyneuro's counters: torch's table
    has per-pool rows pyneuro's allocator does not keep). Without a usable GPU the stats are
    empty and, as torch's, reading them is a KeyError."""
    stats = memory_stats()
    if not stats:
        raise KeyError("allocated_bytes.all.current")
    lines = ["|" + "=" * 60 + "|", "|" + " PyTorch CUDA memory summary, device ID 0 ".center(60) + "|"]
    lines.append("|" + "-" * 60 + "|")
    for key in sorted(stats):
        lines.append(f"| {key:<38}{stats[key]:>20} |")
    lines.append("|" + "=" * 60 + "|")
    return "\n".join(lines) + "\n"


def reset_peak_memory_stats(device=None) -> None:
    """Start the peaks again from the current bytes in use / reserved."""
    if is_available():
        _require_extension().reset_peak_stats()


reset_max_memory_allocated = reset_peak_memory_stats


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


def _gpu_index(device):
    """The index of the GPU that device names (None, an int, "cuda:0", pn.device("cuda")), as torch's
    _get_device_index: another device type is its ValueError, an index but 0 a RuntimeError here."""
    if isinstance(device, str):
        name, _, index = device.partition(":")
        if name != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        device = int(index) if index else None
    elif hasattr(device, "type") and hasattr(device, "index"):  # (a pn.device, or torch's)
        if device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        device = device.index
    if device not in (None, 0):
        raise RuntimeError(f"pyneuro drives one GPU (index 0), got device {device!r}")
    return 0


def set_device(device) -> None:
    _gpu_index(device)
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


def get_rng_state(device="cuda"):
    """The state of the generator the GPU draws from: pyneuro's one default generator."""
    _require_extension()
    return _random.get_rng_state()


def set_rng_state(new_state, device="cuda") -> None:
    """Without a GPU, torch's keeps the state for CUDA's initialization, which never comes: the
    call returns (a checkpoint's saved CUDA state restores on a CPU machine), after torch's clone."""
    if not is_available():
        new_state.clone()  # (torch's first step: AttributeError for what is not a tensor)
        return
    _require_extension()
    _random.set_rng_state(new_state)


def initial_seed() -> int:
    """The seed of the generator the GPU draws from (pyneuro's one default generator)."""
    _require_extension()
    return _random.initial_seed()


def get_rng_state_all() -> list:
    """Every GPU's generator state: [] without a GPU, as torch's (a checkpoint stores it as is)."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states) -> None:
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


class device:
    """torch.cuda.device(i): a context manager selecting GPU i (pyneuro drives GPU 0 only)."""

    def __init__(self, device):
        self.index = getattr(device, "index", device)

    def __enter__(self):
        set_device(self.index)
        return self

    def __exit__(self, *exc) -> None:
        pass


class Event:
    """torch.cuda.Event(enable_timing=True) for timing GPU work:

        start, end = Event(enable_timing=True), Event(enable_timing=True)
        start.record(); run(); end.record(); end.synchronize()
        start.elapsed_time(end)      # milliseconds

    pyneuro launches every kernel on the default stream and has no device-side events, so
    record() waits for the work launched so far and notes the host clock: the time between two
    records is the GPU work between them (plus the launches' host time), as with torch's."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False):
        _require_extension()
        self.enable_timing = bool(enable_timing)
        self._ns = None

    def record(self, stream=None) -> None:
        synchronize()
        self._ns = perf_counter_ns()

    def query(self) -> bool:
        return True  # record() waited for the work before it

    def synchronize(self) -> None:
        pass

    def wait(self, stream=None) -> None:
        pass

    def elapsed_time(self, end_event) -> float:
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._ns is None or end_event._ns is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return (end_event._ns - self._ns) / 1e6


class Stream:
    """torch.cuda.Stream: pyneuro runs every kernel on the one default stream, so a stream is
    a name for it (work "on" two streams runs in launch order, never concurrently)."""

    def __init__(self, device=None, priority: int = 0):
        _require_extension()
        self.device, self.priority = device, priority

    def synchronize(self) -> None:
        synchronize()

    def query(self) -> bool:
        synchronize()
        return True

    def wait_stream(self, stream) -> None:
        pass

    def wait_event(self, event) -> None:
        pass

    def record_event(self, event=None):
        event = event or Event()
        event.record(self)
        return event


def current_stream(device=None) -> Stream:
    return Stream(device)


default_stream = current_stream


@contextlib.contextmanager
def stream(s):
    """torch.cuda.stream(s): run the block "on" s (the default stream here; see Stream)."""
    yield s


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
