"""pyneuro.version: torch.version's fields (`torch.version.cuda` in an environment-check cell).

`__version__` is the one place pyneuro's version is written in the package (pyproject.toml holds
the same for the build); `cuda` is the CUDA version pyneuro._cuda was built against, or None.
"""

from __future__ import annotations

from . import cuda as _cuda
from .torch_version import TorchVersion

__version__ = TorchVersion("0.1.0")  # a str that compares as a version, as torch.__version__
git_version = "unknown"
debug = False
hip = None


def _cuda_version():
    """The CUDA runtime version pyneuro._cuda was built with, as 'major.minor'; None when it was
    not built (the extension is imported only when asked)."""
    ext = _cuda._extension()
    return None if ext is None else _cuda._cuda_version(ext.cuda_runtime_version)


def __getattr__(name: str):
    if name == "cuda":
        return _cuda_version()
    raise AttributeError(f"module 'pyneuro.version' has no attribute {name!r}")
