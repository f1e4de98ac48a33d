"""pyneuro's CUDA launch code and kernels, run on a CPU emulator (no GPU needed).

tests/support/cuda_emu/ holds a stand-in for the CUDA runtime and device language: blocks run one
at a time, a block's threads are real threads (__syncthreads = std::barrier, warp
shuffles exchange through per-warp slots), device memory is host memory. The launch code
(csrc/cuda/launch.cu, its `<<<...>>>` rewritten by to_emulated.py) and the unchanged
kernels (csrc/cuda/kernels/*.cuh) are compiled with the host C++ compiler and checked
element by element against C++ references (emu_check.cpp): every matmul variant and
transpose on ragged and misaligned shapes, the softmax family with NaN/inf rows,
cross-entropy, argmax, the elementwise ops and reductions, SGD and Adam, and canaries
around every output. Divergent __syncthreads or shuffles deadlock, hence the timeout.
The real-GPU tests are test_cuda.py and test_cuda_memcheck.py (marked `gpu`); these are
marked `emulated` and run everywhere a C++20 compiler is.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulated

ROOT = Path(__file__).resolve().parent.parent
EMU = ROOT / "tests" / "support" / "cuda_emu"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    if not EMU.is_dir():
        pytest.skip("not running from a source tree (tests/support/cuda_emu is not installed)")
    cxx = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler to build the CUDA emulator")
    out = tmp_path_factory.mktemp("cuda_emu")
    launch = out / "launch_emulated.cpp"
    subprocess.run(
        [sys.executable, str(EMU / "to_emulated.py"), str(ROOT / "csrc/cuda/launch.cu"), str(launch)],
        check=True,
        capture_output=True,
    )
    exe = out / "emu_check"
    cmd = [
        cxx,
        "-std=c++20",
        "-O1",
        "-pthread",
        "-Wno-unknown-pragmas",
        f"-I{EMU}",
        f"-I{ROOT / 'csrc/cuda'}",
        "-x",
        "c++",
        str(launch),
        "-x",
        "c++",
        str(ROOT / "csrc/cuda/allocator.cu"),
        "-x",
        "c++",
        str(EMU / "emu_check.cpp"),
        "-o",
        str(exe),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if res.returncode != 0 and "barrier" in res.stderr and "No such file" in res.stderr:
        pytest.skip(f"{cxx} has no C++20 <barrier>")
    assert res.returncode == 0, res.stderr[-4000:]
    return exe


def test_kernels_on_the_cpu_emulator_quick(emulator):
    res = subprocess.run([str(emulator), "--quick"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "OK: 0 failure(s)" in res.stdout


@pytest.mark.slow
def test_kernels_on_the_cpu_emulator_all_shapes(emulator):
    res = subprocess.run([str(emulator)], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


@pytest.mark.slow
def test_gpu_tests_pass_against_the_emulated_extension(tmp_path):
    """The whole CUDA path, bindings included: test_cuda.py's GPU tests on an emulated _cuda."""
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None or not EMU.is_dir():
        pytest.skip("needs a source tree and a C++ compiler")
    if not list((ROOT / "pyneuro").glob("_cpu*.so")):
        pytest.skip("needs the in-place build of pyneuro._cpu (tools/build_inplace.sh)")
    sys.path.insert(0, str(EMU))
    try:
        import build_emulated_package
    finally:
        sys.path.remove(str(EMU))
    build_emulated_package.build(tmp_path, cxx)
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests/test_cuda.py"),
            "-k",
            "round_trips or views or export or allocator or errors or namespace or mlp",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stdout[-5000:]
    assert " passed" in res.stdout and "skipped" not in res.stdout.splitlines()[-1], res.stdout[-2000:]
