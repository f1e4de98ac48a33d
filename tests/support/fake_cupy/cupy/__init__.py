"""A fake, test-only `cupy`: device arrays in host memory, RawModule kernels on the CPU emulator.

NOT CuPy and never installed: tests/test_cupy_emulated.py puts tests/support/fake_cupy on
sys.path of a subprocess so that pyneuro's `cupy` backend (pyneuro/backends/cupy_backend.py)
runs its hand-written kernels without a GPU. What it provides is the CuPy surface pyneuro
uses, and no more:

* `ndarray`: a numpy.ndarray subclass standing for device memory. Creation functions
  (`empty`, `zeros`, `asarray`, ...) allocate 256-byte aligned buffers as CuPy's pool does.
  Mixing it with host (NumPy) arrays of ndim >= 1 in a ufunc or array function raises
  TypeError, as CuPy does (`Unsupported type <class 'numpy.ndarray'>`); reductions and
  scalar indexing return 0-d arrays, as CuPy does. (`numpy.asarray(device_array)` cannot be
  intercepted on a NumPy subclass; real CuPy raises there.)
* the NumPy functions CuPy also has (a whitelist, `_NUMPY_NAMES`); names CuPy lacks, such
  as `errstate`, raise AttributeError.
* `asnumpy`, `cuda.runtime.getDeviceCount` / `CUDARuntimeError`, `cuda.Device().synchronize()`.
* `RawModule` (see _raw.py): the kernel source compiled with g++ against the CUDA emulator,
  with every launch's argument types, arity, pointer dtypes, aliasing, launch shape and
  out-of-bounds writes checked, where real CuPy passes raw bytes unchecked.

Implicit device -> host conversion: real CuPy raises TypeError for `numpy.asarray(a)` /
`numpy.array(a)` of a device array (use `.get()` or `cupy.asnumpy`). A NumPy subclass
cannot refuse that by itself, so this fake wraps those NumPy module functions (numpy.asarray,
asanyarray, array, ascontiguousarray) to raise the same TypeError for its arrays; NumPy's
own internals are unaffected (they do not look these names up on the module).
FAKE_CUPY_STRICT_HOST=0 turns that off.

FAKE_CUPY_DEVICES=0 in the environment makes getDeviceCount raise CUDARuntimeError (as
CuPy without a driver does).
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import types

import numpy as np

from ._raw import CompileException, LaunchError, RawModule

__version__ = "0.0.0+fake.emulated"
IS_FAKE_CUPY = True


# ----------------------------------------------------------------------------- ndarray
def _is_host_array(x) -> bool:
    return isinstance(x, np.ndarray) and not isinstance(x, ndarray) and x.ndim > 0


def _check_device(args, what):
    """TypeError when a host (NumPy) array of ndim >= 1 is among args (nested lists/tuples too)."""
    stack = list(args)
    while stack:
        x = stack.pop()
        if _is_host_array(x):
            raise TypeError(
                f"Unsupported type {type(x)} (fake cupy: {what} got a host NumPy array; "
                "move it to the device with cupy.asarray first)"
            )
        if isinstance(x, (list, tuple)):
            stack.extend(x)


def _wrap(x):
    """NumPy results -> device arrays (scalars become 0-d arrays, as CuPy returns them)."""
    if isinstance(x, ndarray):
        return x
    if isinstance(x, np.ndarray):
        v = x.view(ndarray)
        if x.base is None:
            v._fresh = True  # a new array: its `base` is None, as CuPy's would be
        return v
    if isinstance(x, np.generic):
        v = np.asarray(x).view(ndarray)
        v._fresh = True
        return v
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


def _host(x):
    return x.view(np.ndarray) if isinstance(x, ndarray) else x


class Flags:
    """cupy.ndarray.flags: c_contiguous, f_contiguous and owndata only (no `writeable`,
    `aligned`, ... as NumPy has: reading those raises AttributeError, as on CuPy)."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, c, f, own):
        self.c_contiguous, self.f_contiguous, self.owndata = c, f, own

    @property
    def fnc(self):
        return self.f_contiguous and not self.c_contiguous

    @property
    def forc(self):
        return self.f_contiguous or self.c_contiguous

    def __getitem__(self, name):
        key = {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous", "OWNDATA": "owndata"}.get(name)
        if key is None:
            raise KeyError(f"{name} is not defined for cupy.ndarray.flags")
        return getattr(self, key)

    def __repr__(self):
        return "\n".join(f"  {k} : {self[k]}" for k in ("C_CONTIGUOUS", "F_CONTIGUOUS", "OWNDATA"))


_np_base = np.ndarray.base.__get__
_np_flags = np.ndarray.flags.__get__


class ndarray(np.ndarray):
    """Fake device array (host memory standing for device memory)."""

    @property
    def base(self):
        """None for an array that owns its memory (a fresh result), else the array viewed."""
        return None if self.__dict__.get("_fresh") else _np_base(self)

    @property
    def flags(self):
        f = _np_flags(self)
        return Flags(f.c_contiguous, f.f_contiguous, self.base is None)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        _check_device(
            inputs + (out or ()), f"{ufunc.__name__}.{method}" if method != "__call__" else ufunc.__name__
        )
        args = [_host(x) for x in inputs]
        if out:
            kwargs["out"] = tuple(_host(o) for o in out)
        with np.errstate(all="ignore"):  # a GPU does not warn
            res = getattr(ufunc, method)(*args, **kwargs)
        if out:
            return out[0] if len(out) == 1 else out
        return None if method == "at" else _wrap(res)

    def __array_function__(self, func, types_, args, kwargs):
        # CuPy answers numpy.<name>(device array) with cupy.<name>, and refuses what it lacks.
        name = func.__name__
        if name not in _NUMPY_NAMES and name not in _MODULE_FUNCTIONS:
            raise TypeError(
                f"no implementation found for 'numpy.{name}' on types that implement "
                f"__array_function__: [<class 'cupy.ndarray'>] (fake cupy: CuPy has no {name})"
            )
        if name in _CUPY_SIGNATURES:
            _binder(name, _CUPY_SIGNATURES[name])(*args, **kwargs)
        _check_device(list(args) + list(kwargs.values()), func.__name__)
        with np.errstate(all="ignore"):
            res = super().__array_function__(
                func,
                tuple(t for t in types_ if t is not ndarray) or (np.ndarray,),
                _unwrap_all(args),
                _unwrap_all(kwargs),
            )
        return _wrap(res)

    # Indexing: CuPy moves host (NumPy / list) index arrays and values to the device itself.
    def __getitem__(self, key):
        return _wrap(super().__getitem__(_unwrap_all(key)))

    def __setitem__(self, key, value):
        super().__setitem__(_unwrap_all(key), _host(value))

    def argmax(self, *a, **k):
        return _wrap(super().argmax(*a, **k))

    def argmin(self, *a, **k):
        return _wrap(super().argmin(*a, **k))

    def get(self, stream=None, order="C", out=None):
        """Device -> host copy (cupy.ndarray.get)."""
        return np.array(self.view(np.ndarray), order=order, copy=True)

    def set(self, arr, stream=None):
        _check_device((), "set")
        self.view(np.ndarray)[...] = arr

    @property
    def device(self):
        return cuda.Device(0)

    def __repr__(self):
        return "fake_cupy." + repr(self.view(np.ndarray))

    def __reduce__(self):  # pickling a device array is not something pyneuro should rely on
        raise TypeError("fake cupy: device arrays are not picklable here (use cupy.asnumpy)")


def _checked_method(name, params):
    check_sig = _binder(name, params)
    base = getattr(ndarray, name)

    def method(self, *args, **kwargs):
        check_sig(self, *args, **kwargs)
        res = base(self, *args, **kwargs)
        # NumPy gives index arrays (nonzero, ...) and scalars as host types; CuPy as device arrays
        return res if name in ("view", "item", "tolist", "fill") else _wrap(res)

    method.__name__ = name
    return method


def _unwrap_all(x):
    if isinstance(x, ndarray):
        return x.view(np.ndarray)
    if isinstance(x, tuple):
        return tuple(_unwrap_all(v) for v in x)
    if isinstance(x, list):
        return [_unwrap_all(v) for v in x]
    if isinstance(x, dict):
        return {k: _unwrap_all(v) for k, v in x.items()}
    return x


def _alloc(shape, dtype) -> ndarray:
    """Uninitialised device array in a 256-byte aligned buffer (as from CuPy's memory pool).

    Its bytes are 0xff (NaN as float32/float64, -1 as an integer), not the zeros a fresh
    host page often holds, so an output element that a kernel never writes shows up."""
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.full(nbytes + 256, 0xFF, np.uint8)  # "uninitialised": NaN for floats, -1 for ints
    off = (-raw.__array_interface__["data"][0]) % 256
    out = raw[off : off + nbytes].view(dtype).reshape(shape).view(ndarray)
    out._fresh = True
    return out


def _to_device(a, dtype=None) -> ndarray:
    h = np.asarray(_unwrap_all(a), dtype=dtype)
    out = _alloc(h.shape, h.dtype)
    out.view(np.ndarray)[...] = h
    return out


# ----------------------------------------------------------------------------- creation
def empty(shape, dtype=float, order="C"):
    if order != "C":
        raise NotImplementedError("fake cupy: only C order")
    return _alloc(shape, dtype)


def zeros(shape, dtype=float, order="C"):
    out = empty(shape, dtype, order)
    out.view(np.ndarray).fill(0)
    return out


def ones(shape, dtype=float, order="C"):
    out = empty(shape, dtype, order)
    out.view(np.ndarray).fill(1)
    return out


def full(shape, fill_value, dtype=None, order="C"):
    if dtype is None:
        dtype = np.asarray(_host(fill_value)).dtype
    out = empty(shape, dtype, order)
    out.view(np.ndarray)[...] = _host(fill_value)
    return out


def _like(a, dtype, shape):
    if not isinstance(a, ndarray):
        _check_device((a,), "*_like")
    return empty(a.shape if shape is None else shape, a.dtype if dtype is None else dtype)


def empty_like(a, dtype=None, order="C", subok=None, shape=None):
    return _like(a, dtype, shape)


def zeros_like(a, dtype=None, order="C", subok=None, shape=None):
    out = _like(a, dtype, shape)
    out.view(np.ndarray).fill(0)
    return out


def ones_like(a, dtype=None, order="C", subok=None, shape=None):
    out = _like(a, dtype, shape)
    out.view(np.ndarray).fill(1)
    return out


def full_like(a, fill_value, dtype=None, order="C", subok=None, shape=None):
    out = _like(a, dtype, shape)
    out.view(np.ndarray)[...] = _host(fill_value)
    return out


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    h = np.array(_unwrap_all(obj), dtype=dtype, ndmin=ndmin)
    return _to_device(h)


def asarray(a, dtype=None, order=None):
    """Host data -> device array (a copy); a device array of the right dtype is returned as is."""
    if isinstance(a, ndarray):
        return a if dtype is None or np.dtype(dtype) == a.dtype else a.astype(dtype)
    return _to_device(a, dtype)


def ascontiguousarray(a, dtype=None):
    if not isinstance(a, ndarray):
        _check_device((a,), "ascontiguousarray")
        return _to_device(np.ascontiguousarray(a, dtype=dtype))
    if a.flags.c_contiguous and (dtype is None or np.dtype(dtype) == a.dtype):
        return a
    return _to_device(np.ascontiguousarray(a.view(np.ndarray), dtype=dtype))


def asnumpy(a, stream=None, order="C", out=None):
    """Device array -> host NumPy array (a copy); host input is returned as np.asarray."""
    if isinstance(a, ndarray):
        return np.array(a.view(np.ndarray), order=order, copy=True)
    return np.asarray(a)


def get_array_module(*args):
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else np


def arange(*args, dtype=None, **kwargs):
    return _to_device(np.arange(*args, dtype=dtype, **kwargs))


def eye(N, M=None, k=0, dtype=float, order="C"):
    return _to_device(np.eye(N, M, k, dtype=dtype))


def indices(dimensions, dtype=int):
    """CuPy's signature: no `sparse` (numpy.indices has it)."""
    return _to_device(np.indices(dimensions, dtype=dtype))


def linspace(*args, **kwargs):
    return _to_device(np.linspace(*args, **kwargs))


# ----------------------------------------------------------------------------- NumPy functions
class _Ufunc:
    """A CuPy ufunc: device arrays (and scalars) in, device arrays out."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__
        self.nin, self.nout = uf.nin, uf.nout

    def _run(self, method, args, kwargs):
        extra = (
            set(kwargs)
            - {"out", "dtype", "casting"}
            - ({"axis", "keepdims"} if method == "reduce" else set())
        )
        if extra:  # e.g. where=, order=, subok=: NumPy ufunc options CuPy's ufuncs do not take
            raise TypeError(f"fake cupy: cupy.{self.__name__}.{method} takes no {sorted(extra)} argument(s)")
        _check_device(list(args) + list(kwargs.values()), f"cupy.{self.__name__}")
        if not any(isinstance(a, ndarray) for a in args):  # scalars only: CuPy still answers on the device
            args = tuple(_to_device(a) if isinstance(a, (np.generic, int, float, bool)) else a for a in args)
        return (
            getattr(self._uf, method)(*args, **kwargs) if method != "__call__" else self._uf(*args, **kwargs)
        )

    def __call__(self, *args, **kwargs):
        return _wrap(self._run("__call__", args, kwargs))

    def reduce(self, *args, **kwargs):
        return _wrap(self._run("reduce", args, kwargs))

    def at(self, a, indices, b=None):
        if not isinstance(a, ndarray):
            raise TypeError(f"cupy.{self.__name__}.at: target must be a device array")
        _check_device((indices, b), f"cupy.{self.__name__}.at")
        self._uf.at(a, indices, b) if b is not None else self._uf.at(a, indices)

    def __repr__(self):
        return f"<fake cupy ufunc {self.__name__}>"


# CuPy's signatures where they are narrower than NumPy's (no `initial`, `where`, `sparse`,
# `like`, `correction`, `mode`, ... keywords): a call NumPy accepts but CuPy does not raises
# TypeError here too, as it would on the GPU. (Names not listed take NumPy's signature.)
_CUPY_SIGNATURES = {
    "sum": "a, axis=None, dtype=None, out=None, keepdims=False",
    "prod": "a, axis=None, dtype=None, out=None, keepdims=False",
    "mean": "a, axis=None, dtype=None, out=None, keepdims=False",
    "var": "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False",
    "std": "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False",
    "max": "a, axis=None, out=None, keepdims=False",
    "amax": "a, axis=None, out=None, keepdims=False",
    "min": "a, axis=None, out=None, keepdims=False",
    "amin": "a, axis=None, out=None, keepdims=False",
    "argmax": "a, axis=None, dtype=None, out=None, keepdims=False",
    "argmin": "a, axis=None, dtype=None, out=None, keepdims=False",
    "all": "a, axis=None, out=None, keepdims=False",
    "any": "a, axis=None, out=None, keepdims=False",
    "cumsum": "a, axis=None, dtype=None, out=None",
    "where": "condition, x=None, y=None",
    "take": "a, indices, axis=None, out=None",
    "take_along_axis": "a, indices, axis",
    "broadcast_to": "array, shape",
    "expand_dims": "a, axis",
    "squeeze": "a, axis=None",
    "reshape": "a, newshape, order='C'",
    "transpose": "a, axes=None",
    "stack": "tup, axis=0, out=None, *, dtype=None, casting='same_kind'",
    "concatenate": "tup, axis=0, out=None, *, dtype=None, casting='same_kind'",
    "vstack": "tup, *, dtype=None, casting='same_kind'",
    "hstack": "tup, *, dtype=None, casting='same_kind'",
    "clip": "a, a_min, a_max, out=None",
    "flip": "a, axis=None",
    "allclose": "a, b, rtol=1e-05, atol=1e-08, equal_nan=False",
    "isclose": "a, b, rtol=1e-05, atol=1e-08, equal_nan=False",
    "copy": "a, order='K'",
    "sort": "a, axis=-1, kind=None",
    "argsort": "a, axis=-1, kind=None",
    "count_nonzero": "a, axis=None",
    "nonzero": "a",
    "flatnonzero": "a",
    "repeat": "a, repeats, axis=None",
    "tile": "A, reps",
    "dot": "a, b, out=None",
    "outer": "a, b, out=None",
    "tensordot": "a, b, axes=2",
    "moveaxis": "a, source, destination",
    "swapaxes": "a, axis1, axis2",
    "roll": "a, shift, axis=None",
    "round": "a, decimals=0, out=None",
    "around": "a, decimals=0, out=None",
    "ravel": "a, order='C'",
    "diag": "v, k=0",
    "tril": "m, k=0",
    "triu": "m, k=0",
    "split": "ary, indices_or_sections, axis=0",
    "searchsorted": "a, v, side='left', sorter=None",
    "broadcast_arrays": "*args",
    "atleast_1d": "*arys",
    "atleast_2d": "*arys",
    "unique": "ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *, equal_nan=True",
}
_METHOD_SIGNATURES = {
    "sum": "self, axis=None, dtype=None, out=None, keepdims=False",
    "prod": "self, axis=None, dtype=None, out=None, keepdims=False",
    "mean": "self, axis=None, dtype=None, out=None, keepdims=False",
    "var": "self, axis=None, dtype=None, out=None, ddof=0, keepdims=False",
    "std": "self, axis=None, dtype=None, out=None, ddof=0, keepdims=False",
    "max": "self, axis=None, out=None, keepdims=False",
    "min": "self, axis=None, out=None, keepdims=False",
    "argmax": "self, axis=None, out=None, dtype=None, keepdims=False",
    "argmin": "self, axis=None, out=None, dtype=None, keepdims=False",
    "all": "self, axis=None, out=None, keepdims=False",
    "any": "self, axis=None, out=None, keepdims=False",
    "cumsum": "self, axis=None, dtype=None, out=None",
    "clip": "self, min=None, max=None, out=None",
    "astype": "self, dtype, order='K', casting=None, subok=None, copy=True",
    "round": "self, decimals=0, out=None",
    "take": "self, indices, axis=None, out=None",
    "copy": "self, order='C'",
    "fill": "self, value",
    "reshape": "self, *shape, order='C'",
    "transpose": "self, *axes",
    "ravel": "self, order='C'",
    "flatten": "self, order='C'",
    "squeeze": "self, axis=None",
    "swapaxes": "self, axis1, axis2",
    "repeat": "self, repeats, axis=None",
    "nonzero": "self",
    "sort": "self, axis=-1, kind=None",
    "argsort": "self, axis=-1, kind=None",
    "dot": "self, b, out=None",
    "item": "self",
    "tolist": "self",
    "view": "self, dtype=None, array_class=None",
}


@functools.cache
def _binder(name, params):
    ns: dict = {}
    exec(f"def {name}({params}): pass", ns)
    sig = inspect.signature(ns[name])

    def bind(*args, **kwargs):
        try:
            sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"fake cupy: cupy's {name}{sig} does not take this call ({exc})") from None

    return bind


def _function(fn):
    check_sig = (
        _binder(fn.__name__, _CUPY_SIGNATURES[fn.__name__]) if fn.__name__ in _CUPY_SIGNATURES else None
    )

    def wrapper(*args, **kwargs):
        if check_sig:
            check_sig(*args, **kwargs)
        _check_device(list(args) + list(kwargs.values()), f"cupy.{fn.__name__}")
        with np.errstate(all="ignore"):
            return _wrap(fn(*args, **kwargs))

    wrapper.__name__ = wrapper.__qualname__ = fn.__name__
    wrapper.__doc__ = f"fake cupy: numpy.{fn.__name__} on device arrays"
    return wrapper


# NumPy names that CuPy has too (a whitelist: pyneuro must not rely on anything CuPy lacks).
_NUMPY_NAMES = """
abs absolute add all allclose amax amin any argmax argmin argsort around atleast_1d atleast_2d
broadcast_arrays broadcast_to ceil clip concatenate copy cos cosh count_nonzero cumsum diag divide dot
einsum equal exp exp2 expand_dims expm1 flatnonzero flip floor floor_divide fmod greater greater_equal
hstack isclose isfinite isinf isnan less less_equal log log10 log1p log2 logaddexp logical_and
logical_not logical_or logical_xor matmul max maximum mean min minimum mod moveaxis multiply negative
nonzero not_equal outer pad power prod ravel reciprocal remainder repeat reshape roll round searchsorted
sign sin sinh sort split sqrt square squeeze stack std subtract sum swapaxes take take_along_axis tan
tanh tensordot tile transpose tril triu true_divide trunc unique var vstack where
tri identity diagonal trace diagflat nan_to_num cbrt arctan2 hypot arcsin arccos arctan arcsinh arccosh
arctanh degrees radians deg2rad rad2deg fmax fmin nanmax nanmin nansum nanmean nanprod nanstd nanvar
nanargmax nanargmin nancumsum cumprod diff bincount histogram percentile quantile median average
argwhere meshgrid ix_ ravel_multi_index unravel_index signbit copysign nextafter ldexp frexp modf rint
fix heaviside logaddexp2 float_power positive divmod real imag conj conjugate angle asfortranarray
asanyarray fill_diagonal kron inner vdot cross lexsort partition argpartition flipud fliplr rot90
column_stack dstack atleast_3d array_split hsplit vsplit dsplit append resize trim_zeros isin in1d
select place put putmask choose compress extract piecewise isreal iscomplex isfortran array_equal
array_equiv ptp logspace vander fromfunction copyto shares_memory may_share_memory bitwise_and
bitwise_or bitwise_xor invert left_shift right_shift packbits unpackbits convolve interp cov corrcoef
""".split()
# dtypes, constants and helpers CuPy re-exports from NumPy unchanged
_PASSTHROUGH = """
bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 complex64 complex128
intp uintp dtype generic number integer floating inf nan pi e newaxis finfo iinfo result_type
can_cast promote_types isscalar ndim shape size
""".split()


_cache: dict = {}
_MODULE_FUNCTIONS = {
    "empty",
    "zeros",
    "ones",
    "full",
    "empty_like",
    "zeros_like",
    "ones_like",
    "full_like",
    "array",
    "asarray",
    "ascontiguousarray",
    "arange",
    "eye",
    "indices",
    "linspace",
}


def __getattr__(name):
    if name in _PASSTHROUGH:
        return getattr(np, name)
    if name in _NUMPY_NAMES:
        obj = getattr(np, name)
        if name not in _cache:  # not globals(): max, min, any, ... would shadow the builtins here
            _cache[name] = _Ufunc(obj) if isinstance(obj, np.ufunc) else _function(obj)
        return _cache[name]
    raise AttributeError(f"module 'cupy' (fake) has no attribute {name!r}")


for _m, _params in _METHOD_SIGNATURES.items():
    setattr(ndarray, _m, _checked_method(_m, _params))


# ----------------------------------------------------------------------------- cupy.cuda
class CUDARuntimeError(RuntimeError):
    def __init__(self, status, msg="cudaErrorInsufficientDriver: CUDA driver version is insufficient"):
        self.status = status
        super().__init__(msg)


def _device_count():
    n = int(os.environ.get("FAKE_CUPY_DEVICES", "1"))
    if n == 0:
        raise CUDARuntimeError(35)
    return n


class Device:
    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)

    def synchronize(self):
        """Launches are synchronous on the emulator."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return f"<CUDA Device {self.id} (fake, CPU emulator)>"


cuda = types.ModuleType("cupy.cuda", "fake cupy.cuda")
runtime = types.ModuleType("cupy.cuda.runtime", "fake cupy.cuda.runtime")
runtime.getDeviceCount = _device_count
runtime.CUDARuntimeError = CUDARuntimeError
runtime.deviceSynchronize = lambda: None
runtime.is_hip = False
cuda.runtime = runtime
cuda.Device = Device
cuda.is_available = lambda: _device_count() > 0
cuda.get_device_id = lambda: 0
cuda.compiler = types.SimpleNamespace(CompileException=CompileException)
cuda.driver = types.SimpleNamespace(CUDADriverError=LaunchError)
sys.modules["cupy.cuda"] = cuda
sys.modules["cupy.cuda.runtime"] = runtime


# ----------------------------------------------------------------------------- numpy.asarray(device)
def _refuse_implicit(fn):
    def wrapper(a, *args, **kwargs):
        if isinstance(a, ndarray) or (
            isinstance(a, (list, tuple)) and any(isinstance(x, ndarray) for x in a)
        ):
            raise TypeError(
                "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct "
                f"a NumPy array explicitly. (fake cupy: numpy.{fn.__name__} of a device array)"
            )
        return fn(a, *args, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


if os.environ.get("FAKE_CUPY_STRICT_HOST", "1") != "0" and not hasattr(np.asarray, "__wrapped__"):
    for _name in ("asarray", "asanyarray", "array", "ascontiguousarray"):
        setattr(np, _name, _refuse_implicit(getattr(np, _name)))
