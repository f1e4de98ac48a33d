"""pyneuro: a compiled-kernel educational deep-learning runtime.

Hand-written C++ and CUDA kernels (matmul, softmax, cross-entropy, ReLU, forward and
backward) under a small PyTorch-shaped API. `import pyneuro as pn` needs only NumPy;
Numba, CuPy and PyTorch are imported only when a backend or a test asks for them.
"""
from __future__ import annotations

import importlib as _importlib

from . import backends
from .backends import set_backend

__version__ = "0.1.0"

# Submodules loaded on first attribute access, so `import pyneuro` stays fast.
_LAZY_SUBMODULES = ("nn", "optim", "functional", "data", "datasets", "cuda", "lab", "bench", "autograd")


def get_num_threads() -> int:
    """Threads used by the C++ kernels (1 when the C++ backend is not available)."""
    status = backends.status("cpu")
    return backends.get("cpu").get_num_threads() if status.available else 1


def set_num_threads(n: int) -> None:
    """Set the threads every C++ kernel uses (like torch.set_num_threads)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads needs a positive int, got {n!r}")
    if backends.status("cpu").available:
        backends.get("cpu").set_num_threads(n)


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        module = _importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'pyneuro' has no attribute {name!r}")


__all__ = ["backends", "set_backend", "get_num_threads", "set_num_threads", "__version__"]
