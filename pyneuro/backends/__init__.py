"""pyneuro's kernel backends.

Every backend implements the same kernel table (see DESIGN.md and numpy_backend.py,
the reference): matmul (with transpose flags and variants), relu, softmax, log_softmax,
cross-entropy fused with softmax, bias add and its gradient, SGD/Adam updates, argmax.

    >>> import pyneuro.backends as B
    >>> B.available()["cpu"].available
    True
    >>> B.get("cpu").softmax_forward(x)          # doctest: +SKIP
"""
from ._registry import (
    BACKENDS,
    DEVICES,
    BackendStatus,
    BackendUnavailable,
    available,
    backend_name,
    current,
    get,
    set_backend,
    status,
    table_for,
)

__all__ = [
    "BACKENDS",
    "DEVICES",
    "BackendStatus",
    "BackendUnavailable",
    "available",
    "backend_name",
    "current",
    "get",
    "set_backend",
    "status",
    "table_for",
]
