"""The runtime knobs a PyTorch script touches, answered the way pyneuro runs.

A script renamed from torch often sets things up before its first tensor: `torch.set_float32_matmul_precision("high")`, `torch.set_num_interop_threads(1)`,
`torch.get_default_device()`, `x = torch.FloatTensor(3, 2)`, `torch.pi`. None of these change what
pyneuro computes (its kernels are already compiled, its matmuls already float32, its device is the
one the tensors live on), so each is accepted, checked like torch checks it, and remembered where
torch would let the script read it back. `torch.autocast` lives in amp.py.

Arrows: imports _dtype, _tensor_base and creation; pyneuro/__init__.py re-exports the names.
"""

from __future__ import annotations

import math
import warnings

from . import _dtype as _dtypes
from ._device import device as _device
from ._device import refuse_default as _refuse_default
from ._shapes import Size
from ._tensor_base import TensorBase
from .backends.torch_flags import MATMUL_PRECISION
from .creation import check_legacy_data, empty, tensor
from .storage import TypedStorage, UntypedStorage

pi, e, inf, nan = math.pi, math.e, math.inf, math.nan


class layout:
    """torch.layout: how a tensor's elements are stored. pyneuro has one, `strided`."""

    __slots__ = ("_name",)
    __module__ = "pyneuro"  # type(torch.strided) prints <class 'torch.layout'>, as torch's

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"  # torch's spelling: course code compares it as text


strided = layout("strided")


class memory_format:
    """torch.memory_format: the order a tensor's elements are laid out in. pyneuro keeps every
    tensor row-major (C order), so the formats are accepted wherever torch takes one and change
    no values (channels_last is a speed layout for convolution kernels pyneuro does not have)."""

    __slots__ = ("_name",)
    __module__ = "pyneuro"  # <class 'torch.memory_format'>

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: pyneuro's float32 matmuls always accumulate in float32 ("highest")."""
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the call has no effect", stacklevel=2
        )
        return
    MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision() -> str:
    return MATMUL_PRECISION[0]


_interop_threads = [1]


def get_num_interop_threads() -> int:
    """Threads for running independent ops at once: pyneuro runs ops one after another."""
    return _interop_threads[0]


def set_num_interop_threads(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError(f"Number of interop threads must be positive, got {n!r}")
    _interop_threads[0] = n


def set_default_dtype(d) -> None:
    """The dtype of Python floats, of the float factories (zeros, randn, ...) and of int -> float
    promotions: float32 (torch's default) or float64. The compiled kernels are float32 only, so
    float64 runs on the NumPy reference kernels (slower, exact)."""
    dtype = _dtypes._dtype(d)
    if dtype is None or dtype.kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    if dtype not in (_dtypes.float32, _dtypes.float64):
        raise TypeError(f"pyneuro's default dtype can be float32 or float64, got {dtype.name}")
    _dtypes._default_float[0] = dtype


def set_default_tensor_type(t) -> None:
    """torch.set_default_tensor_type (deprecated since torch 2.1): a legacy float tensor type, or
    its name ('torch.DoubleTensor'), sets the default dtype. CUDA types need a GPU build."""
    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use torch.set_default_dtype() "
        "and torch.set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        if module in ("torch.cuda", "pyneuro.cuda"):
            raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
        if module not in ("torch", "pyneuro") or not isinstance(globals().get(name), _LegacyTensorType):
            raise TypeError(f"invalid type: '{t}'")
        t = globals()[name]
    if not isinstance(t, _LegacyTensorType):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    set_default_dtype(t.dtype)


def get_default_device():
    return _device("cpu")


def set_default_device(device) -> None:
    """Only the CPU can be the default: pyneuro's factories create CPU tensors unless told."""
    _refuse_default(device)


def is_storage(obj) -> bool:
    """Whether obj is a storage (t.untyped_storage(), t.storage()), as torch.is_storage."""
    return isinstance(obj, (TypedStorage, UntypedStorage))


def typename(obj) -> str:
    """'torch.FloatTensor' for a float32 tensor (t.type()); a class or function by its own
    qualified name ('torch.nn.modules.activation.ReLU', as nn.Sequential(nn.ReLU) says), any
    other object by its type's, as torch.typename."""
    if isinstance(obj, TensorBase):
        return obj.type()
    if hasattr(obj, "__qualname__") or hasattr(obj, "__name__"):
        module = getattr(obj, "__module__", "") or ""
        name = getattr(obj, "__qualname__", None) or obj.__name__
    else:
        module, name = type(obj).__module__ or "", type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


class _LegacyTensorType(type):
    """The metaclass of torch.FloatTensor and friends: calling one builds a tensor of its dtype
    (from data, or uninitialised from sizes), and isinstance checks the dtype."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, TensorBase) and obj.dtype == cls.dtype and obj.device.type == "cpu"

    def __call__(cls, *args, device=None):
        return legacy_new(cls.__name__, cls.dtype, device, args)


def legacy_new(what: str, dtype, device, args):
    """torch's legacy constructors (torch.FloatTensor(...), t.new(...)): ints (or one Size) are
    sizes of an uninitialised tensor, one sequence is data, a tensor must already have the dtype."""
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return empty(*(args or (0,)), dtype=dtype, device=device)
    if len(args) > 1:
        raise TypeError(f"{what}(): expected sizes (ints) or one sequence of data, got {len(args)} arguments")
    data = args[0]
    check_legacy_data(data)
    if isinstance(data, TensorBase):
        if data.dtype != dtype:
            raise TypeError(f"{what}(): expected a {dtype} tensor, got {data.dtype}")
        return data
    return tensor(data, dtype=dtype, device=device)


def _legacy(name: str, dtype_name: str):
    return _LegacyTensorType(name, (), {"dtype": _dtypes.public(dtype_name), "__module__": "torch"})


FloatTensor = _legacy("FloatTensor", "float32")
DoubleTensor = _legacy("DoubleTensor", "float64")
HalfTensor = _legacy("HalfTensor", "float16")
LongTensor = _legacy("LongTensor", "int64")
IntTensor = _legacy("IntTensor", "int32")
ShortTensor = _legacy("ShortTensor", "int16")
CharTensor = _legacy("CharTensor", "int8")
ByteTensor = _legacy("ByteTensor", "uint8")
BoolTensor = _legacy("BoolTensor", "bool")

__all__ = [
    "pi",
    "e",
    "inf",
    "nan",
    "layout",
    "strided",
    "memory_format",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
    "get_num_interop_threads",
    "set_num_interop_threads",
    "set_default_dtype",
    "set_default_tensor_type",
    "get_default_device",
    "set_default_device",
    "is_storage",
    "typename",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]
