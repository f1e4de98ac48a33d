"""pyneuro's CUDA launch code and kernels, run on a CPU emulator (no GPU needed).

tests/support/cuda_emu/ holds a stand-in for the CUDA runtime and device language: blocks run one
at a time, a block's threads are fibers that take turns on one OS thread (each runs until it
reaches __syncthreads, a warp shuffle's exchange or its end), device memory is host memory. The
launch code (csrc/cuda/launch.cu, its `<<<...>>>` rewritten by to_emulated.py) and the unchanged
kernels (csrc/cuda/kernels/*.cuh) are compiled with the host C++ compiler and checked
element by element against C++ references (emu_check.cpp): every matmul variant and
transpose on ragged and misaligned shapes, the softmax family with NaN/inf rows,
cross-entropy, argmax, the elementwise ops and reductions, SGD and Adam, and canaries
around every output. A missing __syncthreads gives a wrong result on every run (thread 0
runs to its barrier before thread 1 starts); a divergent __syncthreads or shuffle fails the
launch (emu_selftest.cpp plants each bug). The real-GPU tests are test_cuda.py and
test_cuda_memcheck.py (marked `gpu`); these are marked `emulated` and run everywhere a
C++20 compiler with <ucontext.h> is.
"""

from __future__ import annotations

import re
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
    if res.returncode != 0 and "ucontext.h" in res.stderr and "No such file" in res.stderr:
        pytest.skip(f"{cxx} has no <ucontext.h> for the emulator's fibers")
    assert res.returncode == 0, res.stderr[-4000:]
    return exe


@pytest.fixture(scope="module")
def selftest(tmp_path_factory):
    cxx = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if cxx is None or not EMU.is_dir():
        pytest.skip("needs a source tree and a C++ compiler")
    exe = tmp_path_factory.mktemp("cuda_emu_selftest") / "emu_selftest"
    cmd = [cxx, "-std=c++20", "-O1", f"-I{EMU}", str(EMU / "emu_selftest.cpp"), "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-4000:]
    return exe


def _selftest(exe, case):
    res = subprocess.run([str(exe), case], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.split("\n"), res.stderr


def test_the_emulator_runs_a_correct_kernel_right(selftest):
    out, err = _selftest(selftest, "correct")
    assert out[:2] == ["sum 32896 want 32896", "error 0"] and err == ""


def test_the_emulator_makes_a_missing_syncthreads_give_a_wrong_result(selftest):
    for _ in range(3):  # the same wrong answer every run: the fibers' order is fixed
        out, _ = _selftest(selftest, "missing-sync")
        assert out[0] != "sum 32896 want 32896" and out[0].startswith("sum ")
    out, _ = _selftest(selftest, "reuse-race")
    assert out[0].startswith("wrong ") and not out[0].startswith("wrong 0 ")


@pytest.mark.parametrize("case", ["warp-exit", "split-barrier"])
def test_the_emulator_fails_a_launch_that_deadlocks(selftest, case):
    out, err = _selftest(selftest, case)
    assert out[0] == "error 719"  # cudaErrorLaunchFailure, instead of a hang
    assert "deadlocked" in err


def test_kernels_on_the_cpu_emulator_quick(emulator):
    res = subprocess.run([str(emulator), "--quick"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "OK: 0 failure(s)" in res.stdout


@pytest.mark.slow
def test_kernels_on_the_cpu_emulator_all_shapes(emulator):
    res = subprocess.run([str(emulator)], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


@pytest.mark.slow
def test_gpu_tests_pass_against_the_emulated_extension(emulated_package, tmp_path):
    """The whole CUDA path, bindings included: the GPU tests of test_cuda.py and of the
    conformance, autograd, nn, optim and functional suites (device "cuda") on an emulated _cuda
    (about a minute). The only skips allowed are for other GPU stacks (CuPy, torch's or
    Numba's CUDA), which the emulator does not provide."""
    files = ["cuda", "conformance", "autograd", "nn", "optim", "functional"]
    env = {**__import__("os").environ, "PYTHONPATH": str(emulated_package)}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            *[str(ROOT / f"tests/test_{name}.py") for name in files],
            "-m",
            "gpu and not emulated",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stdout[-5000:]
    summary = res.stdout.splitlines()[-1]
    assert int(summary.split(" passed")[0].split()[-1]) >= 300, summary
    reasons = [line.split(": ", 1)[-1] for line in res.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all(re.search(r"cupy|torch|numba\.cuda", r) for r in reasons), reasons
