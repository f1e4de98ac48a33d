"""The `numba` backend (placeholder until the Numba kernels land)."""
import importlib.util

from ._registry import BackendUnavailable

if importlib.util.find_spec("numba") is None:
    raise BackendUnavailable("not installed (pip install numba)")
raise BackendUnavailable("not implemented yet")
