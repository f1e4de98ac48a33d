"""The smaller torch-level names that plain PyTorch scripts call: pn.asarray, pn.clone, pn.isin,
pn.fill, the window functions (pn.hann_window, ...), the process flags (set_warn_always, ...) and
the in-place free functions (pn.exp_(t), pn.clamp_(t, 0, 1), ... each calling the Tensor method).

Most are one line over a Tensor method or a factory: they exist so that `import pyneuro as torch`
finds every name a script uses, with torch's keyword names (`input`, `other`, ...) and errors.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from . import functions as _functions
from . import special as _special
from ._dtype import _PY_BOOL, _PY_FLOAT, _PY_INT, _dtype, default_float
from ._tensor_base import TensorBase, _backend, _device, _wrap
from .autograd.grad_mode import _GradMode
from .creation import _from_host, from_numpy
from .creation import tensor as _tensor

newaxis = None  # torch.newaxis, as NumPy's: x[:, pn.newaxis] adds a dimension


def _check_tensor(fn_name: str, value, arg: str = "input", position: int = 1) -> None:
    """torch's TypeError for a non-tensor where a Tensor argument is expected."""
    if not isinstance(value, TensorBase):
        raise TypeError(
            f"{fn_name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}"
        )


# ---------------------------------------------------------------------------- tensors from data
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """obj as a tensor, sharing its memory when it can (torch.asarray).

    A tensor comes back itself when dtype and device already match (copy=True clones it, in the
    graph); a NumPy array is shared unless a copy or another dtype is asked for; anything else
    (lists, scalars) is copied as by pn.tensor. copy=False where a copy is needed: ValueError.
    requires_grad=None keeps a tensor's own flag (torch 2.x), True makes the result require grad.
    """
    want = _dtype(dtype)
    if isinstance(obj, TensorBase):
        out = _asarray_tensor(obj, want, device, copy)
    elif isinstance(obj, np.ndarray):
        out = from_numpy(obj) if obj.dtype.kind in "biuf" else _tensor(obj)
        out = _asarray_tensor(out, want, device, copy)
    else:
        out = _tensor(obj, dtype=want, device=device)
    if requires_grad is not None and bool(requires_grad) != out.requires_grad:
        if requires_grad or out.is_leaf:
            out.requires_grad_(bool(requires_grad))  # a leaf tensor itself changes, as in torch
        else:
            out = out.detach()  # a result in the graph: an alias outside it
    return out


def _asarray_tensor(t, dtype, device, copy):
    """The tensor case of asarray: t itself, or converted / copied as asked."""
    changes = (dtype is not None and np.dtype(dtype) != t._data.dtype) or (
        device is not None and _device(device) != t.device
    )
    if changes and copy is False:
        raise ValueError(f"can't alias tensor with dtype '{t.dtype}' into dtype '{dtype}'.")
    if changes:
        return t.to(device=_device(device) if device is not None else None, dtype=dtype)
    return t.clone() if copy else t


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None, requires_grad=False):
    """A 0-d tensor holding s, in the default float dtype unless dtype says otherwise (torch's
    scalar_tensor makes float32 from ints and bools too)."""
    value = s.item() if isinstance(s, TensorBase) else s
    host = np.asarray(value, dtype=_dtype(dtype) or default_float())
    return _from_host(host, device, requires_grad)


# `range` is defined below, so in this module the builtin is not available (pyneuro's __getattr__
# serves pn.range, which is not in __all__ so that pyneuro/__init__.py keeps the builtin).
def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor over an object's memory (bytearray, array.array, mmap, ...): count elements of
    dtype from byte offset on, sharing the memory. A read-only buffer (bytes) is copied, with
    torch's warning about it."""
    array = np.frombuffer(buffer, dtype=_dtype(dtype), count=count, offset=offset)
    if not array.flags.writeable:
        warnings.warn(
            "The given buffer is not writable, and PyTorch does not support non-writable tensors. pyneuro "
            "copies it: writes to the tensor will not reach the buffer.",
            UserWarning,
            stacklevel=2,
        )
        array = array.copy()
    out = from_numpy(array)
    if requires_grad:
        out.requires_grad_(True)
    return out


def range(start, end, step=1, *, dtype=None, layout=None, device=None, pin_memory=None, requires_grad=False):
    """Deprecated torch.range: start, start + step, ... up to and including end (arange stops before
    end), in the default float dtype unless dtype says otherwise. Warns as torch does."""
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its behavior is "
        "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((end - start) / step)) + 1
    host = start + np.arange(n, dtype=np.float64) * step
    return _from_host(host.astype(_dtype(dtype) or default_float()), device, requires_grad)


# ---------------------------------------------------------------------------- tensor utilities
def clone(input, *, memory_format=None):
    _check_tensor("clone", input)
    return input.clone()


def detach(input):
    _check_tensor("detach", input)
    return input.detach()


def ravel(input):
    _check_tensor("ravel", input)
    return input.ravel()


def real(input):
    """The real part: the tensor itself for pyneuro's real dtypes (Tensor.real)."""
    _check_tensor("real", input)
    return input.real


def imag(input):
    """The imaginary part: pyneuro's tensors are real, so torch's RuntimeError (Tensor.imag)."""
    _check_tensor("imag", input)
    return input.imag


def put(input, index, source, accumulate=False):
    """A copy of input with source written at the flat positions index (Tensor.put)."""
    _check_tensor("put", input)
    return input.put(index, source, accumulate)


def is_same_size(input, other) -> bool:
    _check_tensor("is_same_size", input)
    _check_tensor("is_same_size", other, "other", 2)
    return input.is_same_size(other)


def get_device(input) -> int:
    """-1 for a cpu tensor, the GPU's index otherwise (Tensor.get_device)."""
    _check_tensor("get_device", input)
    return input.get_device()


def fill(input, value):
    """A new tensor of input's shape and dtype with every element value (a number or a 0-d
    tensor, whose gradient is the sum of the output's)."""
    _check_tensor("fill", input)
    if isinstance(value, TensorBase) and value.ndim != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions."
        )
    return input.clone().fill_(value)


_SCALARS = (_PY_BOOL, _PY_INT, _PY_FLOAT)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """A bool tensor of elements' shape: True where the element equals one of test_elements.

    Either argument may be a Python number (not both); NaN is in nothing; bool tensors are
    refused, as torch refuses them. invert=True gives the complement.
    """
    if not isinstance(elements, TensorBase) and not isinstance(test_elements, TensorBase):
        raise TypeError(
            f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
            f"{type(test_elements).__name__}), but expected a Tensor for elements or test_elements"
        )
    for arg in (elements, test_elements):
        if isinstance(arg, TensorBase):
            if arg._data.dtype == np.bool_:
                raise RuntimeError("Unsupported input type encountered for isin(): Bool")
        elif not isinstance(arg, _SCALARS):
            raise TypeError(f"isin(): expected a Tensor or a number, got {type(arg).__name__}")
    device = elements.device if isinstance(elements, TensorBase) else test_elements.device
    xp = _backend(device).xp
    values = elements._data if isinstance(elements, TensorBase) else xp.asarray(elements)
    tests = test_elements._data if isinstance(test_elements, TensorBase) else xp.asarray(test_elements)
    found = xp.isin(values, tests, assume_unique=bool(assume_unique), invert=bool(invert))
    return _wrap(xp.asarray(found), device)


# ---------------------------------------------------------------------------- process flags
_warn_always = [False]


def set_warn_always(b: bool) -> None:
    """Remember the flag (torch: warnings that come once per process come every time). pyneuro's
    once-per-process warnings are few; the flag is kept so scripts that set and read it work."""
    _warn_always[0] = bool(b)


def is_warn_always_enabled() -> bool:
    return _warn_always[0]


def set_flush_denormal(mode) -> bool:
    """torch's switch for flushing denormal floats to zero on the CPU. pyneuro leaves the FPU's
    mode alone, so it answers False: "not supported here" in torch's terms."""
    bool(mode)
    return False


def is_inference_mode_enabled() -> bool:
    """True inside `with pn.inference_mode():` (grad_mode's thread-local `inference` flag)."""
    return _GradMode.inference


# ---------------------------------------------------------------------------- window functions
def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    """The shared checks and the periodic rule of the window functions: a periodic window of
    length N is the symmetric window of length N + 1 without its last point."""
    if not isinstance(window_length, _PY_INT) or isinstance(window_length, _PY_BOOL):
        raise TypeError(
            f"{name}(): argument 'window_length' (position 1) must be int, not {type(window_length).__name__}"
        )
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    want = _dtype(dtype) or default_float()
    if want.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: {np.dtype(want).name}")
    if window_length <= 1:
        host = np.ones(window_length)
    else:
        n = window_length + 1 if periodic else window_length
        host = values(np.arange(n, dtype=np.float64), n)[:window_length]
    return _from_host(host.astype(want), device, requires_grad)


def _cosine_sum(coefficients):
    """a0 - a1 cos(2 pi k / (N - 1)) + a2 cos(4 pi k / (N - 1)) - ... (hann, hamming, blackman)."""

    def values(k, n):
        phase = 2 * math.pi * k / (n - 1)
        return sum((-1) ** i * a * np.cos(i * phase) for i, a in enumerate(coefficients))

    return values


def hann_window(
    window_length,
    periodic=True,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=None,
    requires_grad=False,
):
    """0.5 - 0.5 cos(2 pi k / (N - 1))."""
    return _window(
        "hann_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum((0.5, 0.5))
    )


def hamming_window(
    window_length,
    periodic=True,
    alpha=0.54,
    beta=0.46,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=None,
    requires_grad=False,
):
    """alpha - beta cos(2 pi k / (N - 1))."""
    values = _cosine_sum((alpha, beta))
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, values)


def blackman_window(
    window_length,
    periodic=True,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=None,
    requires_grad=False,
):
    """0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))."""
    values = _cosine_sum((0.42, 0.5, 0.08))
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, values)


def bartlett_window(
    window_length,
    periodic=True,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=None,
    requires_grad=False,
):
    """The triangle 1 - |2k / (N - 1) - 1|."""

    def values(k, n):
        return 1 - np.abs(2 * k / (n - 1) - 1)

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, values)


def kaiser_window(
    window_length,
    periodic=True,
    beta=12.0,
    *,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=None,
    requires_grad=False,
):
    """I0(beta sqrt(1 - (2k / (N - 1) - 1)^2)) / I0(beta), I0 the modified Bessel function."""

    def values(k, n):
        return np.i0(beta * np.sqrt(np.clip(1 - (2 * k / (n - 1) - 1) ** 2, 0, None))) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, values)


# ---------------------------------------------------------------------------- in-place free functions
# torch.exp_(t) is t.exp_(): every `*_` name torch has at top level whose Tensor method pyneuro has.
_INPLACE_NAMES = (
    "abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_ "
    "ceil_ clamp_ clamp_max_ clamp_min_ clip_ conj_physical_ cos_ cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ exp_ "
    "expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ index_put_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ "
    "neg_ negative_ rad2deg_ reciprocal_ resize_as_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ "
    "tanh_ trunc_ xlogy_ zero_"
).split()


def _inplace_function(name: str):
    def function(input, *args, **kwargs):
        _check_tensor(name, input)
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.{name}(input, ...): input.{name}(...), in place; returns input."
    return function


_INPLACE_FUNCTIONS = {name: _inplace_function(name) for name in _INPLACE_NAMES}
globals().update(_INPLACE_FUNCTIONS)


def is_inference(input) -> bool:
    """torch.is_inference(t): was t made in inference_mode (Tensor.is_inference)."""
    _check_tensor("is_inference", input)
    return input.is_inference()


def igamma(input, other):
    """torch.igamma: the regularized lower incomplete gamma function (torch.special.gammainc)."""
    return _special.gammainc(input, other)


def igammac(input, other):
    """torch.igammac: the regularized upper incomplete gamma function (torch.special.gammaincc)."""
    return _special.gammaincc(input, other)


def unsafe_chunk(input, chunks, dim=0):
    """torch.unsafe_chunk: chunk without the view bookkeeping torch skips (here: chunk)."""
    return _functions.chunk(input, chunks, dim)


def unsafe_split(tensor, split_size, dim=0):
    """torch.unsafe_split: split without the view bookkeeping torch skips (here: split)."""
    return _functions.split(tensor, split_size, dim)


__all__ = [
    "igamma",
    "igammac",
    "unsafe_chunk",
    "unsafe_split",
    "is_inference",
    "newaxis",
    "asarray",
    "scalar_tensor",
    "frombuffer",
    "imag",
    "put",
    "clone",
    "detach",
    "ravel",
    "real",
    "is_same_size",
    "get_device",
    "fill",
    "isin",
    "set_warn_always",
    "is_warn_always_enabled",
    "set_flush_denormal",
    "is_inference_mode_enabled",
    "hann_window",
    "hamming_window",
    "blackman_window",
    "bartlett_window",
    "kaiser_window",
    *_INPLACE_NAMES,
]
