"""The `cupy` backend (placeholder until the CuPy kernels land)."""
import importlib.util

from ._registry import BackendUnavailable

if importlib.util.find_spec("cupy") is None:
    raise BackendUnavailable("not installed (pip install cupy-cuda12x)")
raise BackendUnavailable("not implemented yet")
