#!/usr/bin/env bash
# CI: the conformance and fused-kernel suites on the portable C++ path (PYNEURO_SIMD=portable:
# the kernels aarch64, MSVC and SIMD-less x86 CPUs run), so that path is tested, not just
# compiled. Runs in the venv .ci/run activated, against the installed pyneuro.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
(cd /tmp && PYNEURO_SIMD=portable python -c "from pyneuro import _cpu; p = _cpu.simd_path(); assert p == 'scalar', p; print('SIMD path:', p)")
PYNEURO_SIMD=portable PYNEURO_REQUIRE_BACKENDS=numpy,cpu pytest -q -p no:cacheprovider tests/test_conformance.py tests/test_fused_cpu.py
echo "portable_tests.sh: done in $((SECONDS - start)) s"
