"""Factories: pn.tensor, pn.zeros, pn.randn, pn.arange, ... (each returns a new Tensor).

Every factory builds its array on the host or with the device's array namespace and wraps
it with the one constructor path, _tensor_base._wrap. Random draws come from a
pyneuro.Generator (the default one unless `generator=` is given).
"""

from __future__ import annotations

import functools
import operator
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import cuda as _cuda
from ._dtype import _PY_BOOL, _PY_INT, _dtype, bool_, default_float, int64
from ._dtype import number_fill as _number_fill
from ._errors import AllocationError, ArgumentError, ShapeError, type_name
from ._host_data import torch_warn_once
from ._memory import numpy_memory_error
from ._out import out_keyword
from ._shapes import Size
from ._tensor_base import KEPT_AS_IS, TensorBase, _backend, _device, _from_data, _host_array, _size, _wrap
from .backends.torch_flags import uninitialized_fill
from .random import (
    _rng,
    check_floating,
    check_int_bounds,
    draw_in_memory_order,
    is_int_arg,
    memory_order,
    raise_int_args,
)

if TYPE_CHECKING:  # annotations only
    from .tensor import Tensor


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of data (list, number, NumPy array, Tensor).

    Python floats become float32 and Python ints int64 unless dtype says otherwise; NumPy
    arrays and scalars keep their dtype (float64 stays float64), as in torch.
    """
    if pin_memory:
        check_pin_memory()
    if type(data) is np.ndarray:
        _check_numpy(data, shared=False)
    elif isinstance(data, TensorBase):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    t = _from_data(data, dtype, device)
    if requires_grad:
        t.requires_grad = True
    return t


def _check_numpy(array, shared: bool = True) -> None:
    """torch's ValueErrors for NumPy arrays it cannot take: another byte order than the machine's
    (a big-endian '>f4' array: IDX files are), negative strides (a[::-1]: array.copy() first);
    and, where the tensor would share the array (from_numpy, as_tensor), torch's once-per-process
    warning about a read-only one (np.asarray of a PIL image is)."""
    if not array.dtype.isnative:
        raise ValueError(
            "given numpy array has byte order different from the native byte order. Conversion between "
            "byte orders is currently not supported."
        )
    if array.strides and min(array.strides) < 0:
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative strides are "
            "not currently supported. (You can probably work around this by making a copy of your array  "
            "with array.copy().) "
        )
    if shared and not array.flags.writeable:
        torch_warn_once(
            "read-only array",
            "The given NumPy array is not writable, and PyTorch does not support non-writable tensors. This "
            "means writing to this tensor will result in undefined behavior. You may want to copy the array to "
            "protect its data or make it writable before converting it to a tensor. This type of warning will "
            "be suppressed for the rest of this program.",
        )


def legacy_constructor_data(args, dtype):
    """The array of the legacy constructor Tensor(*args): Tensor(2, 3) (or Tensor(Size)) is
    zeros of the default float dtype (torch leaves them uninitialised), Tensor(data) data in the
    default float dtype (torch.Tensor is the float tensor type: Tensor([1, 2]) is float32)."""
    sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
    if sizes and all(isinstance(n, (_PY_INT, np.integer)) and not isinstance(n, _PY_BOOL) for n in sizes):
        if min(sizes) < 0:
            raise ArgumentError(
                f"Trying to create tensor with negative dimension {min(sizes)}: {list(sizes)}"
            )
        return np.zeros(tuple(sizes), dtype=dtype or default_float())
    if len(args) > 1:
        raise TypeError(f"Tensor(): expected sizes (ints) or one data argument, got {args!r}")
    if args:
        check_legacy_data(args[0])
    return _host_array(args[0] if args else [], dtype or default_float())


def check_legacy_data(data) -> None:
    """torch's legacy constructors (Tensor(...), FloatTensor(...), t.new(...)) take one number
    only as a size: any other number is its TypeError (Tensor(2.5) is no 0-d tensor). A NumPy
    array goes through torch's from_numpy checks (torch.Tensor(a[::-1]) is its ValueError)."""
    if isinstance(data, (float, bool, complex, np.floating, np.bool_, np.complexfloating)):
        raise TypeError(f"new(): data must be a sequence (got {type_name(data)})")
    if isinstance(data, np.ndarray):
        _check_numpy(data)


def as_tensor(data, *, dtype=None, device=None) -> Tensor:
    """Like pn.tensor but shares memory when data is already a suitable array."""
    if isinstance(data, TensorBase):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if isinstance(data, np.ndarray):
        _check_numpy(data)
    dev = _device(device)
    return _wrap(_backend(dev).asarray(_host_array(data, _dtype(dtype))), dev)


def from_numpy(array: np.ndarray) -> Tensor:
    """A cpu tensor sharing memory with a NumPy array, keeping its dtype (float64 stays float64), like torch.

    Only unsigned widths torch lacks (uint16 and wider) become int64 (a copy).
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type_name(array)})")
    _check_numpy(array)
    # a batch from NumPy: wrapped as it is (every CPU table's asarray is NumPy's, a no-op)
    if type(array) is np.ndarray and array.dtype in KEPT_AS_IS:
        return _wrap(array, "cpu")
    return _wrap(_backend("cpu").asarray(_host_array(array)), "cpu")


class _DLPackCapsule:
    """A bare DLPack capsule (torch.utils.dlpack.to_dlpack's) as the producer object NumPy reads."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU: a capsule says its device only inside; NumPy checks it again


def from_dlpack(ext) -> Tensor:
    """A tensor sharing memory with any DLPack producer (torch.Tensor, np.ndarray, ...) or a
    DLPack capsule (torch.utils.dlpack.to_dlpack's), like torch.from_dlpack.

    Host memory only (zero-copy, the producer's dtype kept); a GPU producer's capsule would
    need CuPy, so move it to the host first (`t.cpu()`).
    """
    if isinstance(ext, TensorBase):  # (a new tensor on the same memory, as torch's)
        if ext.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return _wrap(ext._data, ext.device)
    if type(ext).__name__ == "PyCapsule":
        ext = _DLPackCapsule(ext)
    elif not hasattr(ext, "__dlpack__"):  # (torch reads anything else as a capsule)
        raise RuntimeError(
            "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, "
            "so you might have already constructed a tensor from it once."
        )
    device_type = ext.__dlpack_device__()[0] if hasattr(ext, "__dlpack_device__") else 1
    if device_type != 1:  # kDLCPU
        raise RuntimeError(
            f"from_dlpack: only host (CPU) memory is supported, got DLPack device {device_type}"
        )
    array = np.from_dlpack(ext)
    return _wrap(_backend("cpu").asarray(array), "cpu")


def is_tensor(obj) -> bool:
    """True for a Tensor and, as torch's, for a sparse COO tensor (_sparse_coo.py: not a Tensor subclass,
    so isinstance(s, Tensor) stays False there: a metaclass check would slow every dense isinstance)."""
    return isinstance(obj, TensorBase) or getattr(type(obj), "is_sparse", False) is True


def _factory_out(factory):
    """A factory as torch's: its out= (torch.zeros(3, out=t), torch.arange(5, out=t): made in
    out's dtype unless dtype= says otherwise, then written into out, _out.out_keyword's rule),
    and a size too large to allocate is torch's RuntimeError (AllocationError, a MemoryError too)."""
    with_out = out_keyword(factory)

    @functools.wraps(factory)
    def run(*args, out=None, layout=None, pin_memory=False, **kwargs):  # (strided, CPU: nothing to do)
        if pin_memory:
            check_pin_memory()
        if out is not None and isinstance(out, TensorBase) and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        try:
            return factory(*args, **kwargs) if out is None else with_out(*args, out=out, **kwargs)
        except MemoryError as exc:  # (NumPy's: torch's RuntimeError; check_allocation's as it is)
            raise numpy_memory_error(exc) from None
        except ValueError as exc:
            if "array is too big" not in str(exc) and "maximum supported dimension" not in str(exc):
                raise
            raise AllocationError(f"Storage size calculation overflowed: {exc}") from None

    run.__wrapped_for_out__ = True
    return run


def check_pin_memory() -> None:
    """A factory's pin_memory=True: torch's RuntimeError where no GPU is usable (there is no pinned
    allocator then); with one, nothing to do (pyneuro copies to it from ordinary memory)."""
    if not _cuda.is_available():
        raise RuntimeError(
            "pin_memory=True requires a CUDA or other accelerator backend; no pinned memory allocator is "
            "available on this system."
        )


def _size_kw(size: tuple, kw: dict, fn: str) -> tuple:
    """The factories' size, given as positional numbers or a sequence, or as torch's size= keyword
    (torch.randn(size=(2, 3)), as d2l writes it); layout= and pin_memory= are accepted as torch's."""
    if kw.get("pin_memory"):
        check_pin_memory()
    kw = {k: v for k, v in kw.items() if k not in ("layout", "pin_memory")}
    extra = set(kw) - {"size"}
    if extra:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{sorted(extra)[0]}'")
    if "size" not in kw:
        if not size:  # (zeros(()) is 0-d; zeros() is torch's TypeError, not a draw or a 0-d tensor)
            raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
        _check_sizes(size, fn)
        return size
    if size:
        raise TypeError(
            f"{fn}() received an invalid combination of arguments: size given both positionally and as a keyword"
        )
    return (kw["size"],)


def _is_size(s) -> bool:
    return (
        isinstance(s, (int, np.integer))
        and not isinstance(s, bool)
        or (isinstance(s, TensorBase) and s._data.dtype.kind in "iu" and s._data.size == 1)
    )


def _check_sizes(size: tuple, fn: str) -> None:
    """torch's argument parser's TypeErrors for sizes that are not ints: torch.zeros(...) (a
    notebook's placeholder), torch.randn(2, 3.5), torch.zeros((2, None)), torch.zeros(True); a
    bool after the first size is taken, as torch's parser takes it (zeros(2, True) is (2, 1))."""
    one = len(size) == 1
    if one and not isinstance(size[0], (tuple, list)):
        if not _is_size(size[0]):
            raise TypeError(
                f"{fn}(): argument 'size' (position 1) must be tuple of ints, not {type_name(size[0])}"
            )
        return
    items = size[0] if one else size
    for pos, s in enumerate(items):
        if _is_size(s) or (pos and type(s) is bool):  # (torch reads a later bool as an index: (2, 1))
            continue
        if pos == 0 and not one:
            raise TypeError(f"{fn}() takes 1 positional argument but {len(size)} were given")
        if pos == 0:
            raise TypeError(
                f"{fn}(): argument 'size' (position 1) must be tuple of ints, but found element of type "
                f"{type_name(s)} at pos 0"
            )
        raise TypeError(
            f"{fn}(): argument 'size' failed to unpack the object at pos {pos + 1} with error \"type must be "
            f'tuple of ints,but got {type_name(s)}"'
        )


def _make(array_fn, size, dtype, device, requires_grad):
    dev = _device(device)
    bk = _backend(dev)
    t = _wrap(array_fn(bk.xp, _size(size), _dtype(dtype) or default_float()), dev)
    if requires_grad:
        t.requires_grad = True
    return t


@_factory_out
def zeros(*size, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    return _make(
        lambda xp, s, d: xp.zeros(s, dtype=d), _size_kw(size, kw, "zeros"), dtype, device, requires_grad
    )


@_factory_out
def ones(*size, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    return _make(
        lambda xp, s, d: xp.ones(s, dtype=d), _size_kw(size, kw, "ones"), dtype, device, requires_grad
    )


@_factory_out
def _empty(xp, shape, dtype):
    """New memory: left as it is, or filled as torch fills it in deterministic mode."""
    fill = uninitialized_fill(dtype)
    return xp.empty(shape, dtype=dtype) if fill is None else xp.full(shape, fill, dtype=dtype)


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None, **kw) -> Tensor:
    return _make(_empty, _size_kw(size, kw, "empty"), dtype, device, requires_grad)


@_factory_out
def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if not isinstance(fill_value, (_PY_INT, float, complex, np.number, np.bool_)) and not (
        isinstance(fill_value, TensorBase) and fill_value.ndim == 0
    ):  # (torch's Number: a list, an array or a 1-element tensor is its TypeError, never spread over size)
        raise TypeError(
            f"full(): argument 'fill_value' (position 2) must be Number, not {type_name(fill_value)}"
        )
    if dtype is None and isinstance(fill_value, complex) and fill_value.imag:
        raise TypeError("complex tensors are not supported: full() of a complex fill value")
    if dtype is None:
        kind = fill_value._data.dtype.kind if isinstance(fill_value, TensorBase) else None  # read as a number
        if isinstance(fill_value, _PY_BOOL) or kind == "b":
            dtype = bool_
        elif isinstance(fill_value, (_PY_INT, np.integer)) or kind in ("i", "u"):
            dtype = int64
    if not isinstance(size, (tuple, list)):  # (torch's size is a sequence here: full(2, 1.) is refused)
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type_name(size)}")
    return _make(
        lambda xp, s, d: xp.full(s, _number_fill(fill_value, d), dtype=d),
        (tuple(size),),
        dtype,
        device,
        requires_grad,
    )


@_factory_out
def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(
        lambda xp, s, d: xp.eye(s[0], s[1], dtype=d),
        ((n, n if m is None else m),),
        dtype,
        device,
        requires_grad,
    )


@_factory_out
def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start (default 0) up to end (exclusive); ints give int64, floats float32."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, TensorBase) else v for v in (start, end, step))
    if dtype is None:
        ints = all(isinstance(v, (_PY_INT, np.integer)) for v in (start, end, step))
        dtype = int64 if ints else default_float()
    dt = _dtype(dtype)
    if dt.kind == "b":
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if not all(np.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if dt == np.int64:  # torch counts and steps an int64 range in int64: arange(2.5) is [0, 1]
        start, end, step = _PY_INT(start), _PY_INT(end), _PY_INT(step)
    if step == 0:
        raise ShapeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dev = _device(device)
    if abs((end - start) / step) >= 2**63:  # (NumPy's ValueError; torch's RuntimeError)
        raise RuntimeError("invalid size, possible overflow?")
    if dt.kind == "f":
        host = _float_range(start, step, int(np.ceil((end - start) / step)), dt)
    elif dt == np.int64:
        host = np.arange(start, end, step, dtype=np.int64)
    else:  # the other integer ranges count from the values given (arange(2.5, dtype=int32) has 3), then
        n = int(np.ceil((end - start) / step))  # step from int(start) by int(step)
        host = (_PY_INT(start) + _PY_INT(step) * np.arange(n, dtype=np.int64)).astype(dt)
    t = _wrap(_backend(dev).asarray(host), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_range(start, step, n, dtype):
    """torch's CPU arange kernel bit for bit: blocks of two 256-bit vectors (8 float32, 4 float64,
    16 float16), each vector from its first element base = start + step * k, rounded to the dtype,
    plus j * step; the tail element by element as start + step * i. Each value is one fused
    multiply-add in the accumulation type (double; float for float16), then rounded to the dtype."""
    vector = 32 // dtype.itemsize
    acc = np.float32 if dtype.itemsize == 2 else np.float64
    exact = np.longdouble if acc is np.float64 else np.float64  # (wide enough for the product and sum)

    def fma(a, b, c):  # a * b + c with one rounding to the accumulation type
        return (exact(a) * b + exact(c)).astype(acc)

    out = np.empty(n, dtype)
    for at in range(0, n, 1 << 20):  # in slices: the long double temporaries stay small
        i = np.arange(at, min(n, at + (1 << 20)))
        first = (i // vector) * vector
        base = fma(acc(step), first, acc(start)).astype(dtype)
        in_vectors = fma(acc(step), i - first, base.astype(acc)).astype(dtype)
        one_by_one = fma(acc(step), i, acc(start)).astype(dtype)
        out[at : at + i.size] = np.where(i < n // (2 * vector) * (2 * vector), in_vectors, one_by_one)
    return out


def _scalar(value):
    return value.item() if isinstance(value, TensorBase) else value


def evenly_spaced(start, end, steps, dtype):
    """torch's linspace values, bit for bit: start + step * i for the first half, end - step *
    (steps - 1 - i) for the rest, in the dtype's arithmetic (float32 through one rounding, as the
    fused multiply-add torch's compiled kernel uses; long double for float64 and integers, whose
    step is a double). NumPy's linspace rounds differently (float32 values 1 ulp off)."""
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = np.dtype(dtype)
    start, end = _scalar(start), _scalar(end)
    if steps <= 1:
        return np.full(steps, start).astype(dtype)
    i = np.arange(steps)
    back = steps - 1 - i
    if dtype.kind == "f" and dtype.itemsize != 8:
        s, e = dtype.type(start), dtype.type(end)
        step = dtype.type((e - s) / dtype.type(steps - 1))
        if dtype.itemsize == 4:  # one rounding: the product and sum in float64 are exact enough
            low, high = np.float64(step) * i + np.float64(s), np.float64(e) - np.float64(step) * back
        else:  # float16: each operation rounds to half, as c10::Half's operators
            low, high = s + step * i.astype(dtype), e - step * back.astype(dtype)
    else:
        s, e = (np.float64(start), np.float64(end)) if dtype.kind == "f" else (int(start), int(end))
        step = (np.float64(e) - np.float64(s)) / np.float64(steps - 1)
        wide = np.longdouble  # (rounded to a double, as the fused multiply-add's result, before any int cast)
        low, high = (
            (wide(step) * i + wide(s)).astype(np.float64),
            (wide(e) - wide(step) * back).astype(np.float64),
        )
    return np.where(i < steps // 2, low, high).astype(dtype)


@_factory_out
def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    dev = _device(device)
    host = evenly_spaced(start, end, steps, _dtype(dtype) or default_float())
    t = _wrap(_backend(dev).asarray(host), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _target(device):
    """The device a random factory fills, checked before it draws: a device that cannot be used
    raises without advancing the generator, as torch's (a fallback after `except` gets torch's numbers)."""
    dev = _device(device)
    _backend(dev)
    return dev


def _from_host(host, device, requires_grad):
    dev = _device(device)
    t = _wrap(_backend(dev).asarray(host), dev)
    if requires_grad:
        t.requires_grad = True
    return t


@_factory_out
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Uniform samples in [0, 1) (float32 by default), drawn from `generator` or the default."""
    d = _dtype(dtype) or default_float()
    check_floating(d, "check_uniform_bounds")
    dev = _target(device)
    host = _rng(generator).random(_size(_size_kw(size, kw, "rand")), dtype=d).astype(d, copy=False)
    return _from_host(host, dev, requires_grad)


@_factory_out
def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Standard-normal samples (float32 by default), drawn from `generator` or the default."""
    d = _dtype(dtype) or default_float()
    check_floating(d, "normal_kernel_cpu")
    dev = _target(device)
    host = _rng(generator).standard_normal(_size(_size_kw(size, kw, "randn")), dtype=d).astype(d, copy=False)
    return _from_host(host, dev, requires_grad)


_RANDINT_FORMS = ("int high, tuple of ints size", "int low, int high, tuple of ints size")


@_factory_out
def randint(
    low=None, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """Integers in [low, high) (int64), like torch.randint(low=0, high, size)."""
    two_args = high is None or size is None and isinstance(high, (tuple, list, Size))  # randint(high, size)
    if not (is_int_arg(low) and (two_args or is_int_arg(high))):
        if two_args:
            raise TypeError(f"randint(): argument 'high' (position 1) must be int, not {type_name(low)}")
        raise_int_args("randint", (low, high, size), _RANDINT_FORMS)
    if low is None:  # randint(high=6, size=(3,)): low defaults to 0 by keyword, as torch
        if high is None:
            raise TypeError("randint() missing required argument 'high'")
        low = 0
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() needs a size tuple: randint(high, size) or randint(low, high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    low, high = operator.index(low), operator.index(high)  # (ints by is_int_arg: a NumPy int, a 0-d tensor)
    if high <= low:
        raise ShapeError(f"randint: high ({high}) must be greater than low ({low})")
    check_int_bounds(low, high, _dtype(dtype) or int64)
    dev = _target(device)
    host = (
        _rng(generator)
        .integers(low, high, size=_size((size,) if isinstance(size, _PY_INT) else (tuple(size),)))
        .astype(_dtype(dtype) or int64)
    )
    return _from_host(host, dev, requires_grad)


@_factory_out
def randperm(n, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1 (int64), e.g. for shuffling a DataLoader."""
    if n < 0:
        raise ShapeError(f"randperm: n must be non-negative, got {n}")
    kind = np.dtype(_dtype(dtype) or int64)
    if kind.kind in "iu" and n - 1 > np.iinfo(kind).max:  # (its values would wrap)
        raise ArgumentError(f"value cannot be converted to type {kind.name}_t without overflow")
    dev = _target(device)
    host = _rng(generator).permutation(_PY_INT(n)).astype(_dtype(dtype) or int64)
    return _from_host(host, dev, False)


def _like(t: Tensor, dtype, device):
    return (t.shape, dtype if dtype is not None else t.dtype, device if device is not None else t.device)


def zeros_like(
    input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None
) -> Tensor:
    s, d, dev = _like(input, dtype, device)
    return zeros(s, dtype=d, device=dev, requires_grad=requires_grad)


def ones_like(
    input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None
) -> Tensor:
    s, d, dev = _like(input, dtype, device)
    return ones(s, dtype=d, device=dev, requires_grad=requires_grad)


def empty_like(
    input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None
) -> Tensor:
    s, d, dev = _like(input, dtype, device)
    return empty(s, dtype=d, device=dev, requires_grad=requires_grad)


def full_like(
    input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None
) -> Tensor:
    s, d, dev = _like(input, dtype, device)
    return full(s, fill_value, dtype=d, device=dev, requires_grad=requires_grad)


def _random_like(input, dtype, device, requires_grad, kernel, draw) -> Tensor:
    """rand_like/randn_like: draw(shape, dtype) drawn into a tensor of input's shape and layout,
    in memory order (random.draw_in_memory_order), as torch's empty_like keeps the layout and
    its kernels fill it: a seed gives torch's values for a transposed input too."""
    _, d, dev = _like(input, dtype, device)
    d = _dtype(d)
    check_floating(d, kernel)
    dev = _target(dev)
    host = draw_in_memory_order(input._data, lambda shape: draw(shape, d))
    return _from_host(host.astype(d, copy=False), dev, requires_grad)


def rand_like(
    input, *, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None, layout=None
) -> Tensor:
    rng = _rng(generator)
    return _random_like(
        input, dtype, device, requires_grad, "check_uniform_bounds", lambda s, d: rng.random(s, dtype=d)
    )


def randn_like(
    input, *, dtype=None, device=None, requires_grad=False, generator=None, memory_format=None, layout=None
) -> Tensor:
    rng = _rng(generator)
    serial = memory_order(input._data) is not None  # (torch's one-by-one kernel for such a layout)
    return _random_like(
        input,
        dtype,
        device,
        requires_grad,
        "normal_kernel_cpu",
        lambda s, d: rng.normal_fill(s, d, serial=serial),
    )
