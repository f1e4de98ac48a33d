#!/usr/bin/env bash
# bench/gpu_check.sh: the one prepared GPU run. On a machine with an NVIDIA GPU it
#   1. builds and installs pyneuro with its CUDA module (pip install --no-build-isolation .),
#   2. runs the GPU tests (those marked `gpu`: tests/test_cuda.py, tests/test_cuda_memcheck.py
#      and every cuda/cupy case of the suite; not the `emulated` ones), then the Tensor
#      layer's device cases again on the cupy backend,
#   3. runs the GPU benchmarks (bench/gpu_bench.py, time-boxed),
#   4. runs compute-sanitizer memcheck over tests/test_cuda_memcheck.py (and racecheck on
#      the shared-memory kernels: matmul and softmax on a few shapes),
# writing everything under $OUT (default ./gpu_out): gpu_check.log (this whole run),
# gpu_results.json, gpu_results.md, gpu_matmul_ladder.png, gpu_vs_cpu.png, pytest_gpu.xml,
# pytest_gpu_cupy.xml.
# Budget: well under 5 minutes (each step has its own timeout). Exit status: 0 when every
# step passed, else the number of failed steps.
#
#   OUT=/tmp/gpu_out bash bench/gpu_check.sh
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$REPO/gpu_out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG="$OUT/gpu_check.log"
PY=${PYTHON:-python3}
T0=$SECONDS
failed=0
step() { echo; echo "=== [$((SECONDS - T0))s] $*"; }
fail() { echo "!!! FAILED: $*"; failed=$((failed + 1)); }

main() {
step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || echo "(nvidia-smi not available)"
command -v nvcc >/dev/null && nvcc --version | tail -n 2
"$PY" - <<'PYEOF'
import sys, importlib
print("python", sys.version.split()[0])
for name in ("numpy", "cupy", "numba", "torch", "pybind11", "scikit_build_core"):
    try:
        print(f"{name} {importlib.import_module(name).__version__}")
    except Exception as exc:
        print(f"{name}: not importable ({type(exc).__name__})")
PYEOF

step "build: pip install --no-build-isolation ."
BUILD_LOG=$(mktemp)
if (cd "$REPO" && PYNEURO_CUDA=ON CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) timeout 240 \
      "$PY" -m pip install --no-build-isolation --no-deps --no-index -v . >"$BUILD_LOG" 2>&1); then
  grep -E "sm_|ptxas|Successfully|Building|Installing" "$BUILD_LOG" | tail -n 15
else
  tail -n 80 "$BUILD_LOG"
  fail "build"
  echo "=== build failed: nothing else can run"; return 1
fi

# Run from an empty folder so the source tree's pyneuro/ (no compiled modules) cannot
# shadow the installed package.
WORK=$(mktemp -d)
cd "$WORK"

step "installed package and backends"
"$PY" - <<'PYEOF' || fail "import"
import pyneuro, pyneuro.cuda as pc
from pyneuro import backends
print("pyneuro from", pyneuro.__file__)
print("kernel sources:", pc.kernel_source_dir())
for name, st in backends.available().items():
    print(f"  {name:6s} {'available' if st.available else st.reason}")
assert backends.status("cuda").available, backends.status("cuda").reason
print("cuda devices:", pc.device_count(), "name:", pc.get_device_name(), pc.get_device_properties())
PYEOF

step "GPU tests (pytest -m gpu: test_cuda.py, test_cuda_memcheck.py, every cuda/cupy case of the suite)"
PYNEURO_OFFLINE=1 timeout 200 "$PY" -m pytest -q -p no:cacheprovider -rs --junitxml="$OUT/pytest_gpu.xml" \
  "$REPO/tests" -m "gpu and not emulated" 2>&1 | tail -n 60 || fail "GPU tests"

step "Tensor layer on the cupy backend (PYNEURO_BACKEND=cupy: autograd/nn/optim/functional on device cuda)"
# The step above runs the Tensor-layer "cuda" cases on the compiled cuda backend, which the
# registry prefers; this pass runs the same cases through the CuPy fallback.
PYNEURO_BACKEND=cupy PYNEURO_OFFLINE=1 timeout 90 "$PY" -m pytest -q -p no:cacheprovider -rs \
  --junitxml="$OUT/pytest_gpu_cupy.xml" "$REPO/tests/test_autograd.py" "$REPO/tests/test_functional.py" \
  "$REPO/tests/test_nn.py" "$REPO/tests/test_optim.py" -m "gpu and not emulated" 2>&1 | tail -n 30 \
  || fail "Tensor layer on cupy"

step "GPU benchmarks (bench/gpu_bench.py)"
# leave ~75 s for the sanitizers that follow, so the whole run stays under 5 minutes
left=$((215 - (SECONDS - T0)))
[ "$left" -lt 60 ] && left=60
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYNEURO_OFFLINE=1 timeout $((left + 30)) \
  "$PY" "$REPO/bench/gpu_bench.py" --out "$OUT" --budget "$left" 2>&1 || fail "benchmarks"

SAN=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer 2>/dev/null | head -n 1)
if [ -n "$SAN" ]; then
  step "compute-sanitizer memcheck (tests/test_cuda_memcheck.py)"
  PYNEURO_BACKEND=cuda timeout 70 "$SAN" --tool memcheck --leak-check no --error-exitcode 3 --print-limit 20 \
    "$PY" -m pytest -q -p no:cacheprovider "$REPO/tests/test_cuda_memcheck.py" 2>&1 | tail -n 40 || fail "memcheck"
  step "compute-sanitizer racecheck (matmul and softmax kernels)"
  timeout 45 "$SAN" --tool racecheck --error-exitcode 3 --print-limit 20 \
    "$PY" -m pytest -q -p no:cacheprovider "$REPO/tests/test_cuda_memcheck.py" -k "33-129-9 or 5x36 or 3x1030" 2>&1 \
    | tail -n 30 || fail "racecheck"
else
  step "compute-sanitizer not found: memcheck skipped"
  fail "compute-sanitizer missing"
fi

step "done in $((SECONDS - T0)) s with $failed failed step(s); results in $OUT"
ls -la "$OUT"
return "$failed"
}

# Everything printed goes to the terminal and to $OUT/gpu_check.log.
main 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
