"""torch.backends's switches and torch's determinism settings, for the scripts that set them.

    device = "cuda" if pn.cuda.is_available() else "mps" if pn.backends.mps.is_available() else "cpu"
    pn.backends.cudnn.deterministic = True       # the "seeds" cell of a notebook
    pn.backends.cudnn.benchmark = False
    pn.use_deterministic_algorithms(True)

pyneuro has no cuDNN, MPS or oneDNN, so `is_available()` answers False for them; and every
kernel it has is already deterministic: no result's bits depend on the thread count or on
timing (a matmul never splits its k sum across threads, reductions sum in a fixed order, no
kernel uses atomics to add floats). So the switches are plain attributes a script can set and
read back, with nothing for them to turn on; so are torch.backends.cuda's attention-kernel
switches (`enable_flash_sdp(False)`, a Kaggle workaround in the course's u11n1). One setting
changes values: in deterministic mode new uninitialized memory is filled, as torch fills it
(uninitialized_fill; torch.utils.deterministic.fill_uninitialized_memory turns it off).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import numpy as np

__all__ = ["cudnn", "mps", "mkldnn", "openmp", "cuda", "mkl", "cpu"]


def _false() -> bool:
    return False


def _no_version():
    return None


def _openmp_available() -> bool:
    """Whether the C++ kernels were built with OpenMP (their threads)."""
    from ._registry import status

    if not status("cpu").available:
        return False
    from .. import _cpu

    return bool(getattr(_cpu, "openmp_version", 0))


def _cpu_capability() -> str:
    """torch.backends.cpu.get_cpu_capability(): the SIMD path pyneuro's C++ kernels picked at
    run time, in torch's words ("AVX512", "AVX2", "DEFAULT"; "NO AVX" has no pyneuro path)."""
    from ._registry import status

    if not status("cpu").available:
        return "DEFAULT"
    from .. import _cpu

    return {"avx512": "AVX512", "avx2": "AVX2"}.get(str(_cpu.simd_path()).lower(), "DEFAULT")


def _cuda_built() -> bool:
    """Whether pyneuro was built with its CUDA kernels (torch.backends.cuda.is_built())."""
    return importlib.util.find_spec("pyneuro._cuda") is not None


def _module(name: str, **attributes) -> ModuleType:
    """pyneuro.backends.<name> as a module, so `import torch.backends.cudnn as cudnn` (renamed)
    imports it, as the switches' namespace does for attribute access."""
    module = ModuleType(f"pyneuro.backends.{name}", f"torch.backends.{name}'s switches (torch_flags.py)")
    module.__dict__.update(attributes)
    sys.modules[module.__name__] = module
    return module


# torch's defaults
cudnn = _module(
    "cudnn",
    enabled=True,
    benchmark=False,
    deterministic=False,
    allow_tf32=True,
    is_available=_false,
    version=_no_version,
)
mps = _module("mps", is_available=_false, is_built=_false)
mkldnn = _module("mkldnn", enabled=True, is_available=_false)
openmp = _module("openmp", is_available=_openmp_available)
mkl = _module("mkl", is_available=_false)  # (NumPy's BLAS, not MKL, behind pyneuro's linear algebra)
cpu = _module("cpu", get_cpu_capability=_cpu_capability)
# which of torch's fused attention kernels F.scaled_dot_product_attention may pick; pyneuro's
# has one way (the "math" form: scores, softmax, weighted sum), so they are recorded only
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _sdp_switches() -> dict:
    def enable(kind):
        def set_(enabled: bool) -> None:
            _sdp[kind] = bool(enabled)

        return set_

    def read(kind):
        return lambda: _sdp[kind]

    out = {}
    for kind in _sdp:
        out[f"enable_{kind}_sdp"] = enable(kind)
        out[f"{kind}_sdp_enabled"] = read(kind)
    return out


# torch.get/set_float32_matmul_precision's setting (torch_runtime.py), which
# torch.backends.cuda.matmul.allow_tf32 reads and sets too
MATMUL_PRECISION = ["highest"]


class cuBLASModule:  # (torch's name, shown in its repr)
    """torch.backends.cuda.matmul: allow_tf32 is the float32 matmul precision seen from cuBLAS,
    True unless it is "highest"; setting it True sets "high", False "highest" (nanoGPT sets
    `torch.backends.cuda.matmul.allow_tf32 = True`, then get_float32_matmul_precision() is
    "high", as torch's). An unknown attribute is torch's AttributeError."""

    __slots__ = ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return MATMUL_PRECISION[0] != "highest"

    @allow_tf32.setter
    def allow_tf32(self, on) -> None:
        MATMUL_PRECISION[0] = "high" if on else "highest"

    def __getattr__(self, name):
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name != "allow_tf32" and name not in cuBLASModule.__slots__:
            raise AttributeError(f"Unknown attribute {name}")
        object.__setattr__(self, name, value)


cuBLASModule.__module__ = "pyneuro.backends.cuda"
cuda = _module("cuda", is_built=_cuda_built, matmul=cuBLASModule(), **_sdp_switches())

_deterministic = {"mode": False, "warn_only": False, "fill": True}


def uninitialized_fill(dtype):
    """What torch writes into new uninitialized memory (empty, new_empty, resize_'s new
    elements) in deterministic mode with torch.utils.deterministic.fill_uninitialized_memory
    (True by default): NaN for floats, the largest value for integers, True for bools; None
    otherwise (the memory is left as it is)."""
    if not (_deterministic["mode"] and _deterministic["fill"]):
        return None
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return float("nan")
    return True if dtype.kind == "b" else np.iinfo(dtype).max


def use_deterministic_algorithms(mode, *, warn_only: bool = False) -> None:
    """torch.use_deterministic_algorithms: recorded (every pyneuro kernel is deterministic)."""
    if not isinstance(mode, bool) or not isinstance(warn_only, bool):
        raise TypeError(
            f"use_deterministic_algorithms(): mode and warn_only must be bool, got "
            f"{type(mode).__name__} and {type(warn_only).__name__}"
        )
    _deterministic.update(mode=mode, warn_only=warn_only)


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """torch.set_deterministic_debug_mode: 0/"default" off, 1/"warn" warn only, 2/"error" on;
    the same switch as use_deterministic_algorithms."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 (deterministic algorithms off), 1 (on, warn only) or 2 (on)."""
    if not _deterministic["mode"]:
        return 0
    return 1 if _deterministic["warn_only"] else 2


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]
