#!/usr/bin/env bash
# CI: the C++ kernels build off the x86-64/GCC/OpenMP path they are developed on.
#   1. every csrc/cpu/*.cpp compiles for aarch64 (Debian's cross compiler), and
#      .ci/portable_check.cpp -- the kernels against double-precision references -- runs
#      under qemu-aarch64, on the NEON path and on the portable one (executed, not just
#      compiled);
#   2. every kernel compiles with clang and no OpenMP (stock macOS's situation), the same
#      check runs natively (x86 target attributes under clang, the worker team without OpenMP), and
#      the bindings pass clang's syntax check against pyneuro/omp.h's stand-ins.
# Missing tools are installed with apt; if that is impossible the step warns loudly and skips.
# A compile error or a failed check fails CI. Takes ~1-2 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
out=$(mktemp -d /tmp/pyneuro-cross.XXXXXX)
trap 'rm -rf "$out"' EXIT

warn() { printf '\n!!!!!!!! WARNING: %s !!!!!!!!\n\n' "$*" >&2; }
need() {  # need COMMAND APT-PACKAGE: install the package when the command is missing
  command -v "$1" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 &&
     { apt-get install -y -qq --no-install-recommends "$2" || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$2"; }; } \
       >>"$out/apt.log" 2>&1 && command -v "$1" >/dev/null 2>&1; then
    return 0
  fi
  warn "$1 ($2) could not be installed (see apt output below); its check is SKIPPED"
  tail -5 "$out/apt.log" >&2 2>/dev/null || true
  return 1
}

kernels=(csrc/cpu/*.cpp)
flags=(-std=c++17 -O2 -Wall -Wextra -Wno-unused-parameter -Icsrc/include)

compile_all() {  # compile_all DIR COMPILER FLAGS...: every kernel, two at a time
  local dir=$1 cxx=$2; shift 2
  mkdir -p "$dir"
  printf '%s\n' "${kernels[@]}" | xargs -P 2 -I{} sh -c '"$0" "$@" -c {} -o "'"$dir"'/$(basename {}).o"' "$cxx" "$@"
}

# ---------------------------------------------------------------- 1. aarch64 (GCC, OpenMP)
if need aarch64-linux-gnu-g++ g++-aarch64-linux-gnu; then
  t=$SECONDS
  compile_all "$out/a64" aarch64-linux-gnu-g++ "${flags[@]}" -fopenmp
  aarch64-linux-gnu-g++ "${flags[@]}" -fopenmp .ci/portable_check.cpp "$out"/a64/*.o -static -o "$out/check-a64" 2>&1 | { grep -Ev "statically linked|goacc_profiling" || true; }
  echo "aarch64: ${#kernels[@]} kernel files compile ($((SECONDS - t)) s)"
  if need qemu-aarch64 qemu-user; then
    qemu-aarch64 "$out/check-a64"                          # NEON matmul kernel
    PYNEURO_SIMD=portable qemu-aarch64 "$out/check-a64"    # the portable path
  fi
fi

# ---------------------------------------------------------------- 2. clang, no OpenMP
if need clang++ clang; then
  t=$SECONDS
  compile_all "$out/clang" clang++ "${flags[@]}"
  clang++ "${flags[@]}" .ci/portable_check.cpp "$out"/clang/*.o -o "$out/check-clang"
  echo "clang without OpenMP: ${#kernels[@]} kernel files compile ($((SECONDS - t)) s)"
  "$out/check-clang"
  PYNEURO_SIMD=scalar "$out/check-clang"
  py=${PYTHON:-python3}
  "$py" -c "import pybind11" 2>/dev/null || "$py" -m pip install -q pybind11 >/dev/null 2>&1 || true
  if inc=$("$py" -m pybind11 --includes 2>/dev/null); then
    # shellcheck disable=SC2086
    printf '%s\n' csrc/bindings/cpu_*.cpp | xargs -P 2 -I{} clang++ -std=c++17 -fsyntax-only -Wall -Icsrc/include $inc {}
    echo "clang without OpenMP: bindings pass the syntax check"
  else
    warn "pybind11 not importable by $py: the bindings' clang syntax check is SKIPPED"
  fi
fi
echo "cross_compile.sh: done in $((SECONDS - start)) s"
