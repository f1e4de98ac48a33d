#!/usr/bin/env bash
# Lint and format checks (pinned versions, so CI and developers agree): ruff for Python,
# clang-format for C++/CUDA. Fix locally with `ruff format . && ruff check --fix .` and
# `clang-format -i $(git ls-files 'csrc/*' 'tests/support/*' | grep -E '\.(cpp|h|cu|cuh)$')`.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q "ruff==0.17.6" "clang-format==23.1.5"
ruff check .
ruff format --check .
git ls-files 'csrc/*' 'tests/support/*' '.ci/*' | grep -E '\.(cpp|h|cu|cuh)$' | xargs clang-format --dry-run -Werror
echo "lint: ruff check, ruff format --check and clang-format all clean"
