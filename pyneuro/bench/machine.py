"""What the benchmark ran on: CPU, versions, BLAS, threads, and the measured peaks.

Peaks are measured, not taken from a datasheet: the FMA peak by a register-only
FMA-chain kernel in C++ (csrc/cpu/peak.cpp, AVX-512/AVX2 chosen at run time, all
threads through OpenMP), the memory bandwidth by a large parallel memcpy in C++ and a
large np.copyto in the same run. "% of peak" compares GFLOP/s kernels with the FMA peak
and GB/s kernels with the best copy bandwidth (cache-resident sizes can exceed 100%).
"""
from __future__ import annotations

import os
import platform
import time
from importlib import metadata

import numpy as np

# Variables that make OpenBLAS run a forced, older kernel (set on these machines).
FORCED_BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Thread settings worth recording with every result (read, never set, by the harness).
THREAD_VARS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "PYNEURO_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER")


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
    return (f"warning: {settings} is set: NumPy's OpenBLAS runs a forced, older kernel, so NumPy "
            "figures (and every ratio vs NumPy) are not NumPy's native speed. Record results with "
            "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE pyneuro bench ...`.")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def machine_info() -> dict:
    flags = cpu_flags()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "isa": [f for f in ("avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx2", "fma") if f in flags],
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
    }
    try:
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        from pyneuro import backends

        if backends.status("cpu").available:
            info["simd_path"] = backends.get("cpu").simd_path()
    except Exception:
        pass
    return info


def versions(with_torch: bool = False) -> dict:
    """Installed versions (read from package metadata: nothing heavy is imported)."""
    import pyneuro

    out = {"pyneuro": pyneuro.__version__, "numpy": np.__version__, "python": platform.python_version()}
    for dist in ("numba", "torch", "cupy-cuda12x", "cupy", "threadpoolctl", "matplotlib"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def blas_pools() -> list:
    """NumPy's BLAS libraries as threadpoolctl sees them (kernel, version, threads)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")
    return [{k: pool.get(k) for k in keep} for pool in threadpool_info() if pool.get("user_api") == "blas"]


def blas_summary(pools: list) -> str:
    if not pools:
        return "unknown (pip install threadpoolctl to see the BLAS kernel and threads)"
    return "; ".join(f"{p['internal_api']} {p['version']}, kernel {p['architecture']}, {p['num_threads']} threads"
                     for p in pools)


def load_warning(threads: int) -> str | None:
    """A warning when other processes keep the cores busy (timings then are noisy)."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):
        return None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if load < 0.5 * cpus:
        return None
    return (f"warning: load average {load:.1f} on {cpus} CPUs before the run: other processes compete "
            f"for the cores, so timings (and the measured peaks) are noisy; rerun on an idle machine")


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
        best = max((ext.peak_flops(threads=threads, iterations=iterations // 2) for _ in range(6)),
                   key=lambda r: r["gflops"])
        one = ext.peak_flops(threads=1, iterations=iterations)
        peaks.update(fma_gflops=best["gflops"], fma_isa=best["isa"], fma_threads=best["threads"],
                     fma_gflops_1thread=one["gflops"])
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
