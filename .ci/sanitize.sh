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

libasan=$("${CXX:-c++}" -print-file-name=libasan.so)
export LD_PRELOAD="$libasan"                      # ASan's runtime must come before CPython's malloc
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1  # CPython keeps its objects at exit by design
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export PYTHONPATH="$PWD/$stage" PYNEURO_BACKEND=cpu PYNEURO_REQUIRE_BACKENDS=numpy,cpu
"$py" -c "import pyneuro, sys; sys.exit(0 if pyneuro.__file__.startswith('$PWD/$stage') else 1)"
# The numba backend is left out (its LLVM JIT is not instrumented and only slows the run).
"$py" -m pytest -q -p no:cacheprovider -k "not numba" \
  tests/test_conformance.py tests/test_bad_input.py tests/test_fused_cpu.py \
  tests/test_kernel_robustness.py tests/test_kernel_properties.py "$@"
