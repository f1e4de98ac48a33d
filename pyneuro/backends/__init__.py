"""pyneuro's kernel backends.

Every backend implements the same kernel table, written down in protocol.py (every
entry, its shapes, dtypes and exceptions; numpy_backend.py is the reference): matmul
(with transpose flags and variants), relu, softmax, log_softmax, cross-entropy fused
with softmax, bias add and its gradient, SGD/Adam updates, argmax. Input checks live
in _checks.py (Python backends) and csrc/bindings/checks.h (compiled ones).

    numpy_backend.py   the NumPy reference
    cpu_backend.py     the C++ kernels (pyneuro._cpu)
    numba/             the same algorithms compiled by Numba (the cpu fallback)
    cuda_backend.py    the CUDA kernels (pyneuro._cuda)
    cupy_backend.py    the CUDA kernels launched through CuPy
    torch_flags.py     torch.backends's switches (cudnn, mps, ...) for scripts that set them

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
from .torch_flags import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp

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
    "cudnn",
    "mps",
    "mkldnn",
    "openmp",
    "cuda",
    "mkl",
    "cpu",
]
