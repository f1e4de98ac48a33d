"""What this machine is: CPU, cores, SIMD path, threads, BLAS, versions, load.

One `machine_info()` for everything that reports on the machine: `pyneuro info`
(pyneuro/cli.py), `pyneuro bench` (pyneuro/bench), and the scripts in bench/. It only
reads: no environment variable is set and nothing heavy is imported (versions come from
package metadata; numba's thread count is reported only when numba is already loaded).

    >>> from pyneuro.machine import machine_info
    >>> sorted(machine_info())[:3]
    ['blas', 'blas_summary', 'cpu']
"""

from __future__ import annotations

import os
import platform
import re
import sys
from importlib import metadata

# Variables that make OpenBLAS run a forced, older kernel (set on some shared machines).
FORCED_BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Thread settings worth recording with every result (read, never set).
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "PYNEURO_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMBA_THREADING_LAYER",
)
# SIMD extensions the kernels care about, as /proc/cpuinfo names them.
ISA_FLAGS = ("avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx2", "fma", "asimd", "sve")


def _cpuinfo_field(prefix: str) -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo, else what `platform` knows)."""
    return _cpuinfo_field("model name") or platform.processor() or platform.machine() or "unknown"


def cpu_id() -> str | None:
    """Vendor, family, model and stepping ("GenuineIntel family 6 model 207 stepping 2"): what
    tells two machines apart when the model name is generic (a VM's "Intel(R) Xeon(R) Processor")."""
    fields = [_cpuinfo_field(k) for k in ("vendor_id", "cpu family", "model\t", "stepping")]
    if fields[0] is None:
        return None
    vendor, family, model, stepping = fields
    return f"{vendor} family {family} model {model} stepping {stepping}"


def cpu_slug(ident: str | None = None, name: str | None = None) -> str:
    """A short file-name tag for a CPU, e.g. "intel-f6m207" or "amd-f25m17" (bench history):
    from a cpu_id string, else from a model name; both default to this machine's."""
    if ident is None and name is None:
        ident, name = cpu_id(), cpu_model()
    if ident:
        vendor, _, family, _, model, *_ = str(ident).split()
        short = {"GenuineIntel": "intel", "AuthenticAMD": "amd"}.get(vendor, vendor.lower())
        return f"{short}-f{family}m{model}"
    return re.sub(r"[^a-z0-9]+", "-", str(name or "").lower()).strip("-")[:32] or "unknown"


def cpu_flags() -> set:
    """The CPU's feature flags (x86 "flags", Arm "Features"); empty when unknown."""
    return set((_cpuinfo_field("flags") or _cpuinfo_field("Features") or "").split())


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask), which can be fewer than os.cpu_count()."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> list | None:
    """The 1-, 5- and 15-minute load averages, or None where the OS has none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def versions() -> dict:
    """Installed versions (read from package metadata: nothing heavy is imported)."""
    import numpy as np

    import pyneuro

    out = {"pyneuro": pyneuro.__version__, "numpy": np.__version__, "python": platform.python_version()}
    for dist in ("numba", "torch", "cupy-cuda12x", "cupy", "threadpoolctl", "matplotlib"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def blas_pools() -> list:
    """NumPy's BLAS libraries as threadpoolctl sees them (kernel, version, threads); [] without it."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    import numpy  # noqa: F401  (loads the BLAS so threadpoolctl can see it)

    keep = (
        "user_api",
        "internal_api",
        "version",
        "architecture",
        "num_threads",
        "threading_layer",
        "filepath",
    )
    return [{k: pool.get(k) for k in keep} for pool in threadpool_info() if pool.get("user_api") == "blas"]


def blas_summary(pools: list) -> str:
    """One line for people: library, version, kernel and threads of each BLAS pool."""
    if pools:
        return "; ".join(
            f"{p['internal_api']} {p['version']}, kernel {p['architecture']}, {p['num_threads']} threads"
            for p in pools
        )
    try:
        import numpy as np

        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} (pip install threadpoolctl for kernel and threads)"
    except Exception:
        return "unknown (pip install threadpoolctl to see the BLAS kernel and threads)"


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def machine_info() -> dict:
    """Everything a benchmark result or `pyneuro info` records about the machine, as plain JSON values.

    Keys: cpu, cpu_id (vendor, family, model, stepping; None off Linux), caches (L1d, L2, L3
    bytes as the C++ kernels read them; None without them), logical_cpus, usable_cpus, isa, platform, machine, python, memory_gib,
    simd_path and cpu_backend_threads (the C++ backend's SIMD path and OpenMP threads; None
    when it is unavailable), numba_threads (None unless numba is loaded), blas (threadpoolctl's
    BLAS pools), blas_summary, versions, load_average (1/5/15 min) and env (the BLAS and
    thread variables that change timings, None when unset).
    """
    flags = cpu_flags()
    info = {
        "cpu": cpu_model(),
        "cpu_id": cpu_id(),
        "caches": None,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "isa": [f for f in ISA_FLAGS if f in flags],
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "machine": platform.machine(),
        "python": platform.python_version(),
        "memory_gib": _memory_gib(),
        "simd_path": None,
        "cpu_backend_threads": None,
        "numba_threads": None,
    }
    try:
        from pyneuro import backends

        if backends.status("cpu").available:
            cpu = backends.get("cpu")
            info["simd_path"] = cpu.simd_path()
            info["cpu_backend_threads"] = cpu.get_num_threads()
            info["caches"] = cpu.cache_sizes()
    except Exception:  # a broken extension must not break the report
        pass
    if "numba" in sys.modules and sys.modules["numba"] is not None:
        info["numba_threads"] = sys.modules["numba"].get_num_threads()
    pools = blas_pools()
    info["blas"] = pools
    info["blas_summary"] = blas_summary(pools)
    info["versions"] = versions()
    info["load_average"] = load_average()
    info["env"] = {v: os.environ.get(v) for v in FORCED_BLAS_VARS + THREAD_VARS}
    return info
