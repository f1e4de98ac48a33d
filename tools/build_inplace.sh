#!/usr/bin/env bash
# Development build: compiles pyneuro._cpu (and pyneuro._cuda unless PYNEURO_CUDA=OFF)
# into build/dev and copies the modules next to the Python sources, so that
# `PYTHONPATH=. pytest` and `python -c "import pyneuro"` from the repo root use them.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
builddir=${PYNEURO_BUILD_DIR:-build/dev}
cmake -S . -B "$builddir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPYNEURO_INPLACE=ON -DPYNEURO_CUDA="${PYNEURO_CUDA:-OFF}" \
  -DPython_EXECUTABLE="$(command -v "$py")" \
  -Dpybind11_DIR="$("$py" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$builddir" "$@"
