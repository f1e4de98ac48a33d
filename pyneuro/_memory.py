"""How much memory this process may still allocate: the check `pyneuro train` and `pyneuro bench`
make before they build a model or inputs, so a size that cannot fit is refused with a clear
line instead of a kill by the out-of-memory killer.

available_bytes() is the smaller of the kernel's estimate of memory available without swapping
(Linux /proc/meminfo MemAvailable, elsewhere free physical pages) and what the process's cgroup
(container) limit leaves; None when neither can be read (the callers then skip the check).
"""

from __future__ import annotations

import os

from ._errors import AllocationError


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _cgroup_left() -> int | None:
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_file) as f:
                limit = f.read().strip()
            with open(usage_file) as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 1 << 60:  # "max" or a huge number: no limit
            return max(int(limit) - usage, 0)
        return None
    return None


def available_bytes() -> int | None:
    """Bytes this process can still allocate without swapping or a kill; None if unknown."""
    known = [b for b in (_meminfo_available(), _cgroup_left()) if b is not None]
    return min(known) if known else None


def gib(nbytes: float) -> str:
    """'3.2 GiB' (or MiB below one GiB), for error messages."""
    return f"{nbytes / 2**30:,.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:,.1f} MiB"


def check_allocation(nbytes: int, what: str) -> None:
    """torch's RuntimeError (AllocationError) for a result that cannot exist, raised before the
    work that would build it: past 2**63 bytes ("Storage size calculation overflowed") or past
    what available_bytes() says this process can still get."""
    if nbytes >= 2**63:
        raise AllocationError(f"{what}: Storage size calculation overflowed ({nbytes} bytes)")
    left = available_bytes()
    if left is not None and nbytes > left:
        raise AllocationError(
            f"{what}: DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} bytes "
            f"({gib(nbytes)}; {gib(left)} available)"
        )


def numpy_memory_error(exc: MemoryError, what: str = "") -> MemoryError:
    """What to raise for a MemoryError: NumPy's (a result too large) as torch's RuntimeError
    (AllocationError, "what: DefaultCPUAllocator: ..."); an AllocationError as it is."""
    if isinstance(exc, RuntimeError):
        return exc
    prefix = f"{what}: " if what else ""
    return AllocationError(f"{prefix}DefaultCPUAllocator: can't allocate memory: {exc}")
