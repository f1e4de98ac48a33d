"""The `pyneuro` command line: `pyneuro info | train | bench`.

Each subcommand lives in its own module and is imported only when it runs, so
`pyneuro info` starts fast and a missing optional dependency of one command never
breaks another.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

# subcommand -> (module, one-line help). Each module has main(argv) -> exit code.
COMMANDS = {
    "info": ("pyneuro.cli", "show the version, every backend with its status, SIMD, threads, BLAS, GPU"),
    "train": ("pyneuro.train", "train an MLP classifier (default: the bundled MNIST sample)"),
    "bench": ("pyneuro.bench", "benchmark the kernels against NumPy (and PyTorch/CuPy where present)"),
}


def info_lines() -> list[str]:
    import numpy as np

    import pyneuro
    from pyneuro import backends
    from pyneuro.machine import machine_info

    m = machine_info()
    load = m["load_average"]
    lines = [
        f"pyneuro {pyneuro.__version__}",
        f"python {m['python']} on {m['machine']} ({platform.system()}), numpy {np.__version__}",
        f"cpu: {m['cpu']}; {m['usable_cpus']} of {m['logical_cpus']} logical CPUs usable; "
        f"ISA: {' '.join(m['isa']) or 'unknown'}" + (f"; load average {load[0]:.2f}" if load else ""),
        f"numpy BLAS: {m['blas_summary']}",
        "backends:",
    ]
    statuses = backends.available()
    for name, st in statuses.items():
        mark = "yes" if st.available else "no "
        detail = "" if st.available else f"  ({st.reason})"
        lines.append(f"  {name:<6} [{st.device:<4}] usable: {mark}{detail}")
    for device in backends.DEVICES:
        try:
            lines.append(f"default backend for {device}: {backends.backend_name(device)}")
        except RuntimeError:
            lines.append(f"default backend for {device}: none usable (reasons above)")
    if m["simd_path"] is not None:
        lines.append(
            f"cpu SIMD path: {_simd_line(m['simd_path'])}; OpenMP threads: {m['cpu_backend_threads']}"
        )
        lines.append(f"cpu OpenMP: {_openmp_line()}")
    else:
        lines.append("cpu SIMD path: n/a (C++ backend unavailable)")
        lines.append(f"cpu backend missing: {_compiled_backend_hint()}")
    lines.append(f"cuda device: {_cuda_device(statuses)}")
    return lines


def _simd_line(path: str) -> str:
    forced = os.environ.get("PYNEURO_SIMD")
    return f"{path} (PYNEURO_SIMD={forced})" if forced else path


def _openmp_line() -> str:
    from pyneuro import _cpu

    version = getattr(_cpu, "openmp_version", None)
    if version is None:
        return "no (built without OpenMP; the kernels' threads are pyneuro's own, only the FMA peak is measured on one)"
    return f"yes (OpenMP {version})"


def _compiled_backend_hint() -> str:
    """Why pyneuro._cpu is missing and how to get it."""
    from pathlib import Path

    import pyneuro

    here = Path(pyneuro.__file__).resolve().parent
    if os.environ.get("PYNEURO_DISABLE_CPU_EXT"):
        return "disabled by PYNEURO_DISABLE_CPU_EXT"
    if not any(here.glob("_cpu*.so")) and not any(here.glob("_cpu*.pyd")):
        return (
            "pyneuro._cpu is not in this install: the C++ build failed or was skipped when pip built "
            "pyneuro, so the pure-Python package was installed (the numpy and numba backends work). "
            "To get it: install a wheel for this platform, or a C++17 compiler and CMake >= 3.18, then "
            "`pip install --force-reinstall --no-cache-dir pyneuro-edu` (add -v to see the build)"
        )
    return "pyneuro._cpu is installed but does not import (see the cpu line above); reinstall pyneuro-edu"


def _cuda_device(statuses) -> str:
    for name in ("cuda", "cupy"):
        if statuses[name].available:
            module = __import__("pyneuro.backends", fromlist=["get"]).get(name)
            describe = getattr(module, "device_name", None)
            return describe() if describe else "available"
    return "none"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="pyneuro",
        description="pyneuro: hand-written C++/CUDA deep-learning kernels under a PyTorch-shaped API.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="{info,train,bench}")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] not in COMMANDS:
        if argv and not argv[0].startswith("-"):
            parser.print_usage(sys.stderr)
            print(
                f"pyneuro: error: unknown command {argv[0]!r} (choose from info, train, bench)",
                file=sys.stderr,
            )
            return 2
        parser.parse_args(argv)  # handles --help / --version, else prints help
        parser.print_help()
        return 0
    command, rest = argv[0], argv[1:]
    try:
        if command == "info":
            return info_main(rest)
        module = __import__(COMMANDS[command][0], fromlist=["main"])
        return int(module.main(rest) or 0)
    except BrokenPipeError:  # `pyneuro train | head -3`: the reader left; stop quietly, as shell tools do
        _silence_stdout()
        return 128 + 13  # what a shell reports for a process ended by SIGPIPE


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def info_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pyneuro info", description=COMMANDS["info"][1])
    parser.parse_args(argv)
    print("\n".join(info_lines()))
    return 0


def _version() -> str:
    import pyneuro

    return f"pyneuro {pyneuro.__version__}"


if __name__ == "__main__":
    sys.exit(main())
