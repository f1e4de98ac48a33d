"""What the benchmark ran on (pyneuro.machine.machine_info) and the measured peaks.

Peaks are measured, not taken from a datasheet: the FMA peak by a register-only
FMA-chain kernel in C++ (csrc/cpu/peak.cpp, AVX-512/AVX2 chosen at run time, all
threads through OpenMP), the memory bandwidth by a large parallel memcpy in C++ and a
large np.copyto in the same run. "% of peak" compares GFLOP/s kernels with the FMA peak
and GB/s kernels with the best copy bandwidth (cache-resident sizes can exceed 100%).
"""

from __future__ import annotations

import os
import time

import numpy as np

from pyneuro.machine import (  # noqa: F401  (the one machine report; re-exported for the harness)
    FORCED_BLAS_VARS,
    THREAD_VARS,
    blas_pools,
    blas_summary,
    cpu_model,
    load_average,
    machine_info,
    usable_cpus,
    versions,
)


def forced_blas_warning(environ=None) -> str | None:
    """A warning when NumPy's OpenBLAS is forced onto an older kernel, else None.

    `environ` defaults to os.environ. The harness only reports this; it never changes
    the variables itself.
    """
    environ = os.environ if environ is None else environ
    forced = {v: environ[v] for v in FORCED_BLAS_VARS if v in environ}
    if not forced:
        return None
    settings = ", ".join(f"{k}={v}" for k, v in forced.items())
    return (
        f"warning: {settings} is set: NumPy's OpenBLAS runs a forced, older kernel, so NumPy "
        "figures (and every ratio vs NumPy) are not NumPy's native speed. Record results with "
        "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE pyneuro bench ...`."
    )


def load_warning(threads: int) -> str | None:
    """A warning when other processes keep the cores busy (timings then are noisy)."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):
        return None
    cpus = usable_cpus()
    if load < 0.5 * cpus:
        return None
    return (
        f"warning: load average {load:.1f} on {cpus} CPUs before the run: other processes compete "
        f"for the cores, so timings (and the measured peaks) are noisy; rerun on an idle machine"
    )


def measure_peaks(threads: int, small: bool = False, fresh: bool = False) -> dict:
    """FMA peak (C++, 1 and `threads` threads) and copy bandwidth (C++ memcpy, np.copyto).

    small: a quick, rough measurement (tests, the tiny preset). Measured once per process
    for each (threads, small) unless `fresh`: later calls return a copy of the best result.
    """
    key = (threads, small)
    if fresh or key not in _PEAKS:
        new = _measure_peaks(threads, small)
        _PEAKS[key] = best_peaks(_PEAKS[key], new) if key in _PEAKS else new
    return dict(_PEAKS[key])


def best_peaks(a: dict, b: dict) -> dict:
    """The higher of two peak measurements, figure by figure (load only ever lowers them)."""
    out = dict(a)
    for key in ("fma_gflops", "fma_gflops_1thread", "copy_gbs_cpp", "copy_gbs_numpy", "copy_gbs"):
        if key in b and b[key] > out.get(key, 0.0):
            out[key] = b[key]
    out["measurements"] = a.get("measurements", 1) + b.get("measurements", 1)
    return out


_PEAKS: dict = {}


def _measure_peaks(threads: int, small: bool) -> dict:
    iterations = 2_000_000 if small else 20_000_000
    nbytes = (32 if small else 256) << 20
    peaks: dict = {}
    try:
        from pyneuro import backends

        cpu = backends.get("cpu")
        ext = cpu._cpu
    except Exception as exc:  # no C++ extension: no FMA probe, bandwidth from NumPy only
        peaks["fma_note"] = f"FMA peak not measured: C++ backend unavailable ({exc})"
        ext = None
    if ext is not None:
        ext.peak_flops(threads=threads, iterations=2_000_000)  # wake the cores / clocks
        best = max(
            (ext.peak_flops(threads=threads, iterations=iterations // 2) for _ in range(6)),
            key=lambda r: r["gflops"],
        )
        one = ext.peak_flops(threads=1, iterations=iterations)
        peaks.update(
            fma_gflops=best["gflops"],
            fma_isa=best["isa"],
            fma_threads=best["threads"],
            fma_gflops_1thread=one["gflops"],
        )
        cpp = ext.copy_bandwidth(nbytes=nbytes, threads=threads, repeats=5)
        peaks["copy_gbs_cpp"] = cpp["gbs"]
    n = nbytes // 4
    src = np.ones(n, np.float32)
    dst = np.zeros(n, np.float32)
    best_s = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(dst, src)
        best_s = min(best_s, time.perf_counter() - start)
    peaks["copy_gbs_numpy"] = 2 * src.nbytes / best_s * 1e-9
    peaks["copy_bytes"] = int(src.nbytes)
    peaks["copy_gbs"] = max(peaks["copy_gbs_numpy"], peaks.get("copy_gbs_cpp", 0.0))
    return peaks


def peak_for(unit: str, peaks: dict) -> float | None:
    """The peak a throughput in `unit` is compared with."""
    return peaks.get("fma_gflops") if unit == "GFLOP/s" else peaks.get("copy_gbs")
