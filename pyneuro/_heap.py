"""The C heap's settings: why a step made of many NumPy ops ran up to twice as slow as it should.

Every NumPy op allocates its result with malloc, and a training step frees and reallocates the
same few megabytes of temporaries every time. glibc's defaults hand that memory back to the
kernel and take it again on each step:
  * a free chunk above M_MMAP_THRESHOLD (128 KiB, raised dynamically only up to the largest
    chunk freed so far) was allocated with mmap and is unmapped when freed;
  * when more than M_TRIM_THRESHOLD (128 KiB) is free at the top of the heap, the heap is
    shrunk (sbrk) and grown again by the next allocation;
and every page the kernel maps again is a page fault plus 4 KiB of zeroing. Measured on the
Zen 5 of bench/results (one process per setting, medians of three): a CNN step (two convs,
batch 64) 8.3 -> 4.7 ms, a 2-layer Transformer encoder step 10 -> 6 ms, an LSTM step
4.1 -> 3.3 ms, a physics-informed net's create_graph step 1.7 -> 0.9 ms; the MLP step of
issue 17 (kernel-bound, outputs reused) unchanged within noise.

So at import, on glibc, pyneuro keeps freed memory for reuse: arrays under 32 MiB come from
the heap (the C++ kernels' larger outputs have their own pool, csrc/bindings/cpu_output_pool.cpp),
and up to 64 MiB free at the heap's top stay mapped, plus a 4 MiB pad when it grows. The cost is
that a process keeps up to ~68 MiB it has freed; PYNEURO_MALLOC=default leaves malloc as it is,
and so does any MALLOC_*_ setting in the environment (glibc's own, which wins).
"""

from __future__ import annotations

import ctypes
import os

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
SETTINGS = {M_MMAP_THRESHOLD: 32 << 20, M_TRIM_THRESHOLD: 64 << 20, M_TOP_PAD: 4 << 20}
_GLIBC_VARIABLES = ("MALLOC_TOP_PAD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_ARENA_MAX")

state = "not applied"  # what configure() did, for the curious (and the tests)


def configure() -> str:
    """Apply SETTINGS with mallopt where the C library is glibc; returns (and keeps) what happened."""
    global state
    if os.environ.get("PYNEURO_MALLOC", "").lower() == "default":
        state = "left as it is (PYNEURO_MALLOC=default)"
    elif any(name in os.environ for name in _GLIBC_VARIABLES):
        state = "left as it is (MALLOC_*_ set in the environment)"
    else:
        try:
            libc = ctypes.CDLL(None)
            libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (not musl, macOS or Windows)
            mallopt = libc.mallopt
        except (OSError, AttributeError, TypeError):
            state = "left as it is (not glibc)"
            return state
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        ok = all(mallopt(param, value) == 1 for param, value in SETTINGS.items())
        state = "applied" if ok else "refused by mallopt"
    return state


configure()  # at import (pyneuro/__init__.py imports this module first)
