#!/usr/bin/env bash
# Sanitizer job: builds pyneuro._cpu with AddressSanitizer + UndefinedBehaviorSanitizer into
# its own build folder and its own import location (the normal in-place build is untouched),
# then runs the kernel tests that feed the C++ kernels hostile input against it, on the cpu
# backend. Any out-of-bounds access, misaligned load, overflow or other UB aborts the run
# (-fno-sanitize-recover=undefined), so a green run means a clean one.
#   usage: .ci/sanitize.sh [extra pytest args]      (about 2-3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
builddir=${PYNEURO_SANITIZE_BUILD_DIR:-build/sanitize}
stage=${PYNEURO_SANITIZE_STAGE:-$builddir/stage}
# The build tools, when the environment (a fresh CI venv) lacks them.
"$py" -c "import pybind11" 2>/dev/null || "$py" -m pip install -q pybind11
command -v cmake >/dev/null && command -v ninja >/dev/null || "$py" -m pip install -q cmake ninja
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"

cmake -S . -B "$builddir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPYNEURO_INPLACE=OFF -DPYNEURO_CUDA=OFF \
  -DCMAKE_CXX_FLAGS="$san" -DCMAKE_SHARED_LINKER_FLAGS="$san" -DCMAKE_MODULE_LINKER_FLAGS="$san" \
  -DPython_EXECUTABLE="$(command -v "$py")" -Dpybind11_DIR="$("$py" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$builddir" --target _cpu

# A copy of the Python package with the sanitized _cpu in place of any other build.
rm -rf "$stage" && mkdir -p "$stage"
cp -r pyneuro "$stage/pyneuro"
find "$stage/pyneuro" \( -name '_cpu*.so' -o -name '_cuda*.so' -o -name __pycache__ \) -prune -exec rm -rf {} +
cp "$builddir"/_cpu*.so "$stage/pyneuro/"

# ASan's runtime must be loaded first (before CPython's malloc), and libstdc++ with it: ASan
# looks up the real __cxa_throw at start-up, and python itself does not link libstdc++.
cxx=${CXX:-c++}
export LD_PRELOAD="$("$cxx" -print-file-name=libasan.so) $("$cxx" -print-file-name=libstdc++.so)"
# detect_leaks=0: CPython keeps its objects at exit by design; allocator_may_return_null=1: a
# malloc of terabytes (the tests of huge results, in pyneuro and in torch as the oracle) returns
# NULL, which NumPy and torch turn into their errors, as without ASan, instead of aborting.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
root=$PWD
export PYTHONPATH="$root/$stage" PYNEURO_BACKEND=cpu PYNEURO_REQUIRE_BACKENDS=numpy,cpu
cd "$root/$stage"  # not the repo root: `python -c`/`-m` put the working directory first on sys.path
"$py" -c "import pyneuro, sys; sys.exit(0 if pyneuro.__file__.startswith('$root/$stage/') else 1)" ||
  { echo "sanitize.sh: pyneuro is not imported from $stage" >&2; exit 1; }
# The numba backend is left out (its LLVM JIT is not instrumented and only slows the run), and
# so are the slow tests (the CUDA emulator build, subprocess runs that never load this _cpu).
"$py" -m pytest -q -p no:cacheprovider -m "not slow" -k "not numba" \
  "$root"/tests/test_conformance.py "$root"/tests/test_bad_input.py "$root"/tests/test_fused_cpu.py \
  "$root"/tests/test_kernel_robustness.py "$root"/tests/test_kernel_properties.py \
  "$root"/tests/test_output_pool.py "$root"/tests/test_matmul_tuning.py "$root"/tests/test_multi_tensor_step.py \
  "$root"/tests/test_take_rows.py "$root"/tests/test_matmul_bias.py "$root"/tests/test_team.py "$@"
