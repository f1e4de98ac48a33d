"""The `cuda` backend (placeholder until the CUDA kernels land)."""
from ._registry import BackendUnavailable

try:
    from .. import _cuda  # noqa: F401
except ImportError:
    raise BackendUnavailable("not built (no CUDA toolkit at build time)") from None
raise BackendUnavailable("not implemented yet")
