"""Build a copy of the pyneuro package whose `_cuda` runs on the CPU emulator.

    python tests/support/cuda_emu/build_emulated_package.py DEST
    PYTHONPATH=DEST pytest tests/test_cuda.py tests/test_conformance.py -k cuda

DEST/pyneuro is the source package plus: the built pyneuro._cpu (copied from the source
tree, so build it first), the kernel sources as package data, and a pyneuro._cuda compiled
from the unchanged bindings, launch code and kernels against tests/support/cuda_emu/cuda_runtime_api.h. The
cuda backend then reports itself available, and every GPU test runs (more slowly: each
emulated thread is a fiber taking turns with its block's others) — a check of the whole
CUDA path, bindings included, on a machine without a GPU. Not a substitute for the real
GPU run (bench/gpu_check.sh). tests/conftest.py's `emulated_package` builds it once per
test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

EMU = Path(__file__).resolve().parent  # tests/support/cuda_emu
ROOT = EMU.parents[2]


def build(dest: Path, cxx: str = "g++", cpu_extension: Path | None = None) -> Path:
    """DEST/pyneuro with an emulated _cuda. Its _cpu is the source tree's in-place build, or
    `cpu_extension` (e.g. the installed package's, built from this same tree) where there is none."""
    pkg = dest / "pyneuro"
    if pkg.exists():
        shutil.rmtree(pkg)
    shutil.copytree(ROOT / "pyneuro", pkg, ignore=shutil.ignore_patterns("_cuda*.so", "__pycache__"))
    if not list(pkg.glob("_cpu*.so")) and cpu_extension is not None:
        shutil.copy2(cpu_extension, pkg / Path(cpu_extension).name)
    if not list(pkg.glob("_cpu*.so")):
        raise SystemExit("build pyneuro._cpu first (tools/build_inplace.sh)")
    shutil.copytree(ROOT / "csrc" / "cuda" / "kernels", pkg / "cuda_kernels", dirs_exist_ok=True)
    launch = dest / "launch_emulated.cpp"
    subprocess.run(
        [sys.executable, str(EMU / "to_emulated.py"), str(ROOT / "csrc/cuda/launch.cu"), str(launch)],
        check=True,
        capture_output=True,
    )
    conv_launch = dest / "conv_launch_emulated.cpp"
    subprocess.run(
        [
            sys.executable,
            str(EMU / "to_emulated.py"),
            str(ROOT / "csrc/cuda/conv_launch.cu"),
            str(conv_launch),
        ],
        check=True,
        capture_output=True,
    )
    includes = subprocess.run(
        [sys.executable, "-m", "pybind11", "--includes"], check=True, capture_output=True, text=True
    ).stdout.split()
    out = pkg / ("_cuda" + sysconfig.get_config_var("EXT_SUFFIX"))
    bindings = sorted(
        str(p) for p in (ROOT / "csrc/bindings").glob("cuda_*.cpp")
    )  # as CMakeLists.txt globs them
    flags = [
        "-std=c++20",
        "-O1",
        "-fPIC",
        "-fvisibility=hidden",  # as pybind11_add_module builds the real one
        "-pthread",
        "-Wno-unknown-pragmas",
        *includes,
        f"-I{EMU}",
        f"-I{ROOT / 'csrc/cuda'}",
        f"-I{ROOT / 'csrc/bindings'}",
        '-DPYNEURO_VERSION="emulated"',
    ]
    sources = [str(launch), str(conv_launch), str(ROOT / "csrc/cuda/allocator.cu"), *bindings]
    (dest / "objects").mkdir(exist_ok=True)
    objects = [str(dest / "objects" / f"{i}.o") for i in range(len(sources))]

    def compile_one(src_obj):  # each translation unit on its own core (a minute in one)
        src, obj = src_obj
        subprocess.run([cxx, *flags, "-x", "c++", "-c", src, "-o", obj], check=True)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(compile_one, zip(sources, objects)))
    subprocess.run([cxx, "-shared", "-pthread", *objects, "-o", str(out)], check=True)
    return pkg


if __name__ == "__main__":
    print(build(Path(sys.argv[1]).resolve()))
