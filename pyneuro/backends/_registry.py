"""The backend registry: which kernel tables exist, which are usable, which is in use.

A backend is a module with the kernel table of docs/DESIGN.md, "The backend layer". Importing it either works or
raises BackendUnavailable with the reason, so `available()` can report every backend
without `import pyneuro` ever importing numba, cupy or the CUDA runtime.
"""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from dataclasses import dataclass


class BackendUnavailable(RuntimeError):
    """Raised (at import of a backend module) with the reason the backend cannot run here."""


# name -> (device, module); the order of PREFERENCE is fastest first.
BACKENDS = {
    "numpy": ("cpu", "pyneuro.backends.numpy_backend"),
    "cpu": ("cpu", "pyneuro.backends.cpu_backend"),
    "numba": ("cpu", "pyneuro.backends.numba"),
    "cuda": ("cuda", "pyneuro.backends.cuda_backend"),
    "cupy": ("cuda", "pyneuro.backends.cupy_backend"),
}
PREFERENCE = {"cpu": ("cpu", "numba", "numpy"), "cuda": ("cuda", "cupy")}
DEVICES = tuple(PREFERENCE)


@dataclass(frozen=True)
class BackendStatus:
    """Whether a backend can run here; `reason` says why not ("" when available)."""

    name: str
    device: str
    available: bool
    reason: str

    def __bool__(self) -> bool:
        return self.available

    def __str__(self) -> str:
        return f"{self.name}: available" if self.available else self.reason


_lock = threading.RLock()
_modules: dict = {}
_reasons: dict[str, str] = {}
_selected: dict[str, str] = {}


def _check_name(name: str) -> None:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")


def _load(name: str):
    """Import a backend module once; remember its module or the reason it failed."""
    with _lock:
        if name in _modules:
            return _modules[name]
        if name in _reasons:
            return None
        try:
            module = importlib.import_module(BACKENDS[name][1])
        except BackendUnavailable as exc:
            _reasons[name] = f"{name}: {exc}"
            return None
        except Exception as exc:  # a broken optional install must not break pyneuro
            _reasons[name] = f"{name}: failed to load ({type(exc).__name__}: {exc})"
            return None
        _modules[name] = module
        return module


def status(name: str) -> BackendStatus:
    """The BackendStatus of one backend (imports it on first call)."""
    _check_name(name)
    module = _load(name)
    return BackendStatus(name, BACKENDS[name][0], module is not None, "" if module else _reasons[name])


def available() -> dict[str, BackendStatus]:
    """Every backend name (numpy, cpu, numba, cuda, cupy) -> its BackendStatus."""
    return {name: status(name) for name in BACKENDS}


def get(name: str):
    """The kernel table (module) of a backend; RuntimeError with the reason if unusable."""
    _check_name(name)
    module = _load(name)
    if module is None:
        raise RuntimeError(f"backend {_reasons[name]}")
    return module


def _default(device: str) -> str:
    """The fastest usable backend for a device, warning when a compiled one was skipped."""
    skipped = []
    for name in PREFERENCE[device]:
        if _load(name) is not None:
            if skipped and device == "cpu":
                warnings.warn(
                    f"pyneuro: using the {name} backend for cpu because {'; '.join(skipped)}",
                    RuntimeWarning,
                    stacklevel=4,
                )
            return name
        skipped.append(_reasons[name])
    raise RuntimeError(f"no usable backend for device {device!r}: {'; '.join(skipped)}")


def set_backend(name: str) -> None:
    """Use backend `name` for its device from now on (like PYNEURO_BACKEND=name)."""
    get(name)  # raises with the reason when unusable
    with _lock:
        _selected[BACKENDS[name][0]] = name


def backend_name(device: str = "cpu") -> str:
    """Name of the backend that computes on `device` ("cpu" or "cuda")."""
    device = _device_type(device)
    with _lock:
        if device not in _selected:
            forced = [n.strip() for n in os.environ.get("PYNEURO_BACKEND", "").split(",") if n.strip()]
            for name in forced:
                _check_name(name)
            mine = [n for n in forced if BACKENDS[n][0] == device]
            if mine:
                get(mine[0])
                _selected[device] = mine[0]
            else:
                _selected[device] = _default(device)
        return _selected[device]


def current(device: str = "cpu"):
    """The kernel table in use for `device`."""
    return _modules.get(_selected.get(device)) or get(backend_name(device))


def table_for(x, device: str = "cpu"):
    """The kernel table that computes on x: a Tensor (its array and device), or a backend
    array on `device`. It is the device's current backend, except that floating data other
    than float32 on the host (float64, as torch's double; float16) uses the NumPy reference
    kernels, which work in the dtype they are given (the compiled kernels take float32 only;
    data of any dtype but float32 goes there).
    Autograd's Functions and the optimizers find their kernels here and nowhere else."""
    if hasattr(x, "_data") and isinstance(getattr(x, "device", None), str):
        x, device = x._data, x.device
    table = current(device)
    if (
        device == "cpu"
        and table.NAME != "numpy"
        and getattr(x, "dtype", None) is not None
        and not (x.dtype.kind == "f" and x.dtype.itemsize == 4)
    ):
        return get("numpy")
    return table


def _device_type(device) -> str:
    d = str(device).split(":")[0]
    if d not in PREFERENCE:
        raise ValueError(f"unknown device {device!r}; choose 'cpu' or 'cuda'")
    return d


def _reset_for_tests() -> None:
    with _lock:
        _selected.clear()
