"""Tensor: one backend array, its device, and its place in the autograd graph.

A Tensor holds
    _data    the array (a NumPy array on "cpu", a device array on "cuda"),
    device   "cpu" or "cuda",
    _req     requires_grad,
    _node    the Function that produced it (grad_fn; None for leaves),
    grad     the accumulated gradient (None until the first backward).

It never computes on its own: every op is a Function in pyneuro/autograd.py that runs on
the kernel table of the backend in use for its device (pyneuro.backends.current), using
only that table's kernels and its array namespace `xp`. So the same Tensor code drives the
NumPy reference, the C++ kernels, Numba, and (on a GPU machine) CUDA/CuPy.

Dtypes follow PyTorch's defaults: floating data becomes float32 (float64 input is
converted, unless you ask for dtype=pn.float64), integer data becomes int64 (class
targets, indices), bool stays bool. The compiled backends compute in float32 only; float64
tensors are for the NumPy reference backend (pn.gradcheck switches to it for its checks).
"""
from __future__ import annotations

import builtins
import operator as _op
from collections import namedtuple

import numpy as np

from ._errors import ArgumentError, DataError, DTypeError, ShapeError, ZeroDivision
from .backends import _checks
from .backends._registry import current as _current_backend

# ----------------------------------------------------------------------------- dtypes
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
float = float32  # noqa: A001  (pn.float, pn.double, pn.long mirror torch's aliases)
double = float64
long = int64
int = int32  # noqa: A001
half = float16
bool = bool_  # noqa: A001

_PY_FLOAT = builtins.float
_PY_INT = builtins.int
_PY_BOOL = builtins.bool
_SCALARS = (_PY_INT, _PY_FLOAT)  # bool is an int


def _dtype(d):
    """Normalise a dtype argument (pn.float32, np.float64, 'int64', float, int, bool)."""
    if d is None:
        return None
    if d is _PY_FLOAT:
        return float32
    if d is _PY_INT:
        return int64
    if d is _PY_BOOL:
        return bool_
    try:
        return np.dtype(d)
    except TypeError:
        raise TypeError(f"not a dtype: {d!r}") from None


def _device(device) -> str:
    """'cpu', 'cuda', 'cuda:0', or an object with .type -> 'cpu' or 'cuda'."""
    if device is None:
        return "cpu"
    if isinstance(device, Tensor):
        return device.device
    name = getattr(device, "type", device)
    if not isinstance(name, str):
        raise TypeError(f"device must be a string like 'cpu' or 'cuda', got {device!r}")
    d = name.split(":")[0]
    if d not in ("cpu", "cuda"):
        raise ArgumentError(f"unknown device {device!r}; expected 'cpu' or 'cuda'")
    return d


def _backend(device: str):
    """The kernel table for device; a clear RuntimeError with the registry's reason if none."""
    try:
        return _current_backend(device)
    except RuntimeError as exc:
        raise RuntimeError(f"cannot use device {device!r}: {exc}") from None


def _host_array(data, dtype=None):
    """Python data / NumPy array -> NumPy array with pyneuro's default dtypes."""
    if isinstance(data, Tensor):
        arr = np.asarray(_backend(data.device).to_numpy(data._data))
    else:
        try:
            arr = np.asarray(data)
        except ValueError as exc:  # ragged nested lists: torch says ValueError, DESIGN.md TypeError
            raise DataError(f"cannot make a tensor from {type(data).__name__}: {exc}") from None
        except TypeError as exc:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {exc}") from None
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    kind = arr.dtype.kind
    if kind == "f":
        return arr if arr.dtype == float32 or arr.dtype == float16 else arr.astype(float32)
    if kind in "iu":
        return arr if arr.dtype == int64 or arr.dtype == uint8 else arr.astype(int64)
    if kind == "b":
        return arr
    if kind == "O" or kind in "USV":
        raise DTypeError(f"cannot make a tensor from data of dtype {arr.dtype} ({type(data).__name__})")
    if kind == "c":
        raise TypeError("complex tensors are not supported")
    return arr


def _size(args) -> tuple:
    """Sizes given as zeros(2, 3) or zeros((2, 3)) -> (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for s in args:
        if isinstance(s, Tensor):
            s = s.item()
        if isinstance(s, _PY_BOOL) or not isinstance(s, (_PY_INT, np.integer)):
            raise TypeError(f"sizes must be ints, got {s!r}")
        if s < 0:
            raise ShapeError(f"negative dimension {s} in size {tuple(args)}")
        out.append(_PY_INT(s))
    return tuple(out)


def _check_arg_reduction(t, dim, what):
    """argmax/argmin of nothing: IndexError like torch (NumPy would raise a ValueError)."""
    if t._data.size == 0:
        if dim is None:
            raise IndexError(f"{what}(): Expected reduction dim to be specified for input.numel() == 0.")
        (d,) = _ag._normalize_dims(dim, t.ndim)
        if t.ndim and t.shape[d] == 0:
            raise IndexError(f"{what}(): Expected reduction dim {dim} to have non-zero size (shape {tuple(t.shape)}).")


MaxResult = namedtuple("MaxResult", ["values", "indices"])  # like torch.return_types.max


# ----------------------------------------------------------------------------- Tensor


class Tensor:
    """An n-dimensional array on a device that records operations for autograd.

    Create one with pn.tensor(data), pn.from_numpy(array), pn.zeros(...), ... .
    `Tensor(data)` also works and behaves like pn.tensor(data).
    """

    __slots__ = ("_data", "device", "_req", "_node", "grad", "_retain", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor -> Tensor

    def __init__(self, data=None, dtype=None, device=None, requires_grad=False):
        dev = _device(device)
        if data is None:
            data = []
        self._data = _backend(dev).asarray(_host_array(data, _dtype(dtype)))
        self.device = dev
        self._node = None
        self.grad = None
        self._retain = False
        self._req = False
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _wrap(array, device="cpu", node=None, requires_grad=False):
        """Internal fast constructor: wrap a backend array without copying or checking."""
        t = Tensor.__new__(Tensor)
        t._data = array
        t.device = device
        t._req = requires_grad
        t._node = node
        t.grad = None
        t._retain = False
        return t

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> tuple:
        return self._data.shape

    def size(self, dim=None):
        """The shape, or the length of one dimension (like torch.Tensor.size)."""
        if dim is None:
            return self._data.shape
        return self._data.shape[dim]

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def is_cuda(self) -> bool:
        return self.device == "cuda"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    @property
    def requires_grad(self) -> bool:
        return self._req

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        value = _PY_BOOL(value)
        if self._node is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (this one is {self._data.dtype})"
            )
        self._req = value

    def requires_grad_(self, requires_grad=True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    def retain_grad(self) -> None:
        """Keep .grad for this non-leaf tensor too after backward (like PyTorch)."""
        if not self._req:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is not None:
            self._retain = True

    @property
    def retains_grad(self) -> bool:
        return self._retain

    @property
    def data(self) -> "Tensor":
        """The same array as a tensor outside the graph (like torch's .data)."""
        return Tensor._wrap(self._data, self.device)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        self.device = value.device

    @property
    def backend(self):
        """The kernel table that computes this tensor's ops (pyneuro.backends.current)."""
        return _backend(self.device)

    # ------------------------------------------------------------------ conversion
    def detach(self) -> "Tensor":
        """A tensor sharing this one's array, outside the graph (requires_grad=False)."""
        return Tensor._wrap(self._data, self.device)

    def detach_(self) -> "Tensor":
        self._node = None
        self._req = False
        return self

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory on cpu)."""
        if self._req:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self.device != "cpu":
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
        return _backend(self.device).to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        arr = np.asarray(_backend(self.device).to_numpy(self._data))
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self):
        return np.asarray(_backend(self.device).to_numpy(self._data)).tolist()

    def __float__(self):
        if self._data.size != 1:
            raise ArgumentError(f"only one element tensors can be converted to Python scalars (this one has {self._data.size})")
        return _PY_FLOAT(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ArgumentError(f"only one element tensors can be converted to Python scalars (this one has {self._data.size})")
        return _PY_INT(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return _PY_INT(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is ambiguous")
        return _PY_BOOL(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def to(self, *args, **kwargs) -> "Tensor":
        """t.to("cuda"), t.to(pn.float64), t.to(other), t.to(device=..., dtype=...)."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, (np.dtype, type)):
                dtype = a
            elif isinstance(a, str) or hasattr(a, "type"):
                try:
                    device = _device(a)
                except ValueError:
                    try:
                        _dtype(a)
                    except TypeError:
                        raise ArgumentError(f"to(): {a!r} is neither a device ('cpu', 'cuda') nor a dtype") from None
                    dtype = a
            else:
                dtype = a
        out = self
        if dtype is not None:
            out = out._cast(_dtype(dtype))
        if device is not None:
            dev = _device(device)
            if dev != out.device:
                _backend(dev)  # raise the registry's reason before anything else
                out = _ag.ToDevice.apply(out, device=dev)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self) -> "Tensor":
        return self.to("cuda")

    def _cast(self, dtype) -> "Tensor":
        if self._data.dtype == dtype:
            return self
        if dtype.kind == "f" and self._data.dtype.kind == "f":
            return _ag.Cast.apply(self, dtype=dtype)
        return Tensor._wrap(self._data.astype(dtype), self.device)

    def float(self) -> "Tensor":
        return self._cast(float32)

    def double(self) -> "Tensor":
        return self._cast(float64)

    def half(self) -> "Tensor":
        return self._cast(float16)

    def long(self) -> "Tensor":
        return self._cast(int64)

    def int(self) -> "Tensor":
        return self._cast(int32)

    def bool(self) -> "Tensor":
        return self._cast(bool_)

    def type(self, dtype=None):
        if dtype is None:
            return f"pyneuro.{self._data.dtype}"
        return self._cast(_dtype(dtype))

    def new_zeros(self, *size, dtype=None) -> "Tensor":
        return zeros(*size, dtype=dtype or self.dtype, device=self.device)

    def new_ones(self, *size, dtype=None) -> "Tensor":
        return ones(*size, dtype=dtype or self.dtype, device=self.device)

    def new_full(self, size, fill_value, dtype=None) -> "Tensor":
        return full(size, fill_value, dtype=dtype or self.dtype, device=self.device)

    def new_tensor(self, data, dtype=None) -> "Tensor":
        return tensor(data, dtype=dtype or self.dtype, device=self.device)

    def clone(self) -> "Tensor":
        return _ag.Clone.apply(self)

    def contiguous(self) -> "Tensor":
        return self if self._data.flags.c_contiguous else _ag.Clone.apply(self)

    def is_contiguous(self) -> bool:
        return _PY_BOOL(self._data.flags.c_contiguous)

    # ------------------------------------------------------------------ repr
    def __repr__(self) -> str:
        host = np.asarray(_backend(self.device).to_numpy(self._data))
        prefix = "tensor("
        opts = dict(separator=", ", prefix=prefix, threshold=1000, edgeitems=3)
        if host.dtype.kind == "f":
            finite = host[np.isfinite(host)]
            integral = finite.size == 0 or (np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8)
            big = finite.size and (np.abs(finite).max() >= 1e8 or 0 < np.abs(finite[finite != 0]).min(initial=1) < 1e-4)
            if big:
                opts.update(precision=4, floatmode="fixed")
                body = np.array2string(host, formatter={"float_kind": lambda v: f"{v:.4e}"}, **opts)
            elif integral:
                body = np.array2string(host, **opts)
            else:
                body = np.array2string(host, precision=4, floatmode="fixed", **opts)
        elif host.dtype.kind == "b":  # like torch: pad to the widest word present ([True], [ True, False])
            width = 5 if not host.all() else 4
            body = np.array2string(host, formatter={"bool": lambda v: str(_PY_BOOL(v)).rjust(width)}, **opts)
        else:
            body = np.array2string(host, **opts)
        if host.size == 0:
            body = f"[], size={tuple(host.shape)}" if host.ndim > 1 else "[]"
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}:0'")
        if host.dtype not in (float32, int64, bool_):
            extras.append(f"dtype=pyneuro.{host.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.name()}>")
        elif self._req:
            extras.append("requires_grad=True")
        return prefix + body + "".join(", " + e for e in extras) + ")"

    def __str__(self) -> str:
        return self.__repr__()

    def __format__(self, spec: str) -> str:
        if spec and self._data.size == 1:
            return format(self.item(), spec)
        return repr(self)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, into leaf.grad.

        A scalar needs no `gradient`; a non-scalar needs one of the same shape (the vector
        of the vector-Jacobian product). Gradients accumulate across calls; the graph is
        freed afterwards unless retain_graph=True.
        """
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not supported by pyneuro")
        if not self._req:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        bk = _backend(self.device)
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (this tensor has shape {tuple(self.shape)}); "
                    "pass gradient= of the same shape"
                )
            g = bk.xp.ones(self._data.shape, dtype=self._data.dtype)
        else:
            if isinstance(gradient, Tensor) and gradient.device != self.device:
                raise RuntimeError(f"backward: gradient is on {gradient.device} but the tensor is on {self.device}")
            g = gradient._data if isinstance(gradient, Tensor) else bk.asarray(_host_array(gradient))
            if tuple(g.shape) != tuple(self._data.shape):
                raise ShapeError(
                    f"backward: gradient has shape {tuple(g.shape)} but the tensor has shape {tuple(self._data.shape)}"
                )
            if g.dtype != self._data.dtype:
                g = g.astype(self._data.dtype)
        _ag.run_backward(self, g, _PY_BOOL(retain_graph))

    # ------------------------------------------------------------------ arithmetic
    def _other(self, other):
        """(self, other) ready for a binary op: same device, promoted dtypes (PyTorch rules)."""
        a = self
        if isinstance(other, Tensor):
            da, db = a._data.dtype, other._data.dtype
            if da is not db and da != db:  # builtin dtypes are singletons: `is` settles most cases
                a, other = _promote(a, other)
            return a, other
        if isinstance(other, _SCALARS) or isinstance(other, (np.floating, np.integer, np.bool_)):
            if isinstance(other, (_PY_FLOAT, np.floating)) and a._data.dtype.kind != "f":
                a = a._cast(float32)
            if isinstance(other, (np.floating, np.integer, np.bool_)):
                other = other.item()
            return a, other
        other = Tensor._wrap(_backend(self.device).asarray(_host_array(other)), self.device)
        if a._data.dtype != other._data.dtype:
            a, other = _promote(a, other)
        return a, other

    def __add__(self, other):
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
            return _ag.Add.apply(self, other)
        a, b = self._other(other)
        return _ag.Add.apply(a, b)

    def __radd__(self, other):
        a, b = self._other(other)
        return _ag.Add.apply(b, a)

    def __sub__(self, other):
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
            return _ag.Sub.apply(self, other)
        a, b = self._other(other)
        return _ag.Sub.apply(a, b)

    def __rsub__(self, other):
        a, b = self._other(other)
        return _ag.Sub.apply(b, a)

    def __mul__(self, other):
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
            return _ag.Mul.apply(self, other)
        a, b = self._other(other)
        return _ag.Mul.apply(a, b)

    def __rmul__(self, other):
        a, b = self._other(other)
        return _ag.Mul.apply(b, a)

    def __truediv__(self, other):
        a, b = self._other(other)
        if a._data.dtype.kind != "f":  # true division of integers gives float32, like torch
            a = a._cast(float32)
            if isinstance(b, Tensor):
                b = b._cast(float32)
        return _ag.Div.apply(a, b)

    def __rtruediv__(self, other):
        a, b = self._other(other)
        if a._data.dtype.kind != "f":
            a = a._cast(float32)
        return _ag.Div.apply(b, a)

    def _int_division(self, a, b, op, reflected=False):
        """// and % (no gradient): Python's floor semantics, like torch; an integer
        division by zero raises instead of giving NumPy's silent 0."""
        x = a._data
        y = b._data if isinstance(b, Tensor) else b
        if reflected:
            x, y = y, x
        if getattr(y, "dtype", None) is not None and y.dtype.kind in "iub" or isinstance(y, _PY_INT):
            if getattr(x, "dtype", np.dtype(type(x))).kind in "iub" and not _PY_BOOL((_backend(self.device).xp.asarray(y) != 0).all()):
                raise ZeroDivision("ZeroDivisionError: integer division or modulo by zero")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = op(x, y)
        return Tensor._wrap(_backend(self.device).xp.asarray(out), self.device)

    def __floordiv__(self, other):
        a, b = self._other(other)
        return self._int_division(a, b, _op.floordiv)

    def __rfloordiv__(self, other):
        a, b = self._other(other)
        return self._int_division(a, b, _op.floordiv, reflected=True)

    def __mod__(self, other):
        a, b = self._other(other)
        return self._int_division(a, b, _op.mod)

    def __rmod__(self, other):
        a, b = self._other(other)
        return self._int_division(a, b, _op.mod, reflected=True)

    def floor_divide(self, other):
        return self // other

    def remainder(self, other):
        return self % other

    def __pow__(self, other):
        a, b = self._other(other)
        return _ag.Pow.apply(a, b)

    def __rpow__(self, other):
        a, b = self._other(other)
        if not isinstance(b, Tensor):
            b = Tensor._wrap(_backend(self.device).xp.asarray(b, dtype=a.dtype), self.device)
        return _ag.Pow.apply(b, a)

    def __neg__(self):
        return _ag.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ag.Abs.apply(self)

    def __matmul__(self, other):
        if not isinstance(other, Tensor):
            other = Tensor._wrap(_backend(self.device).asarray(_host_array(other)), self.device)
        if self._data.dtype.kind in "iu" and other._data.dtype.kind in "iu":
            return _int_matmul(self, other)
        if self._data.dtype != other._data.dtype:
            raise DTypeError(
                f"matmul: both operands need the same dtype, got {self.dtype} and {other.dtype} "
                "(convert one, e.g. x.float())"
            )
        return _ag.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        other = Tensor._wrap(_backend(self.device).asarray(_host_array(other)), self.device)
        return _ag.MatMul.apply(other, self)

    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self**exponent

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        if self.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise ShapeError(f"mm: both arguments must be 2-D, got shapes {tuple(self.shape)} and {tuple(other.shape)}")
        return self @ other

    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(f"dot: 1-D tensors expected, got shapes {tuple(self.shape)} and {tuple(other.shape)}")
        return self @ other

    # ------------------------------------------------------------------ comparisons (no grad)
    def _compare(self, other, op):
        if other is None:
            return False
        a, b = self._other(other)
        if isinstance(b, Tensor) and a._data.shape != b._data.shape:
            _broadcast_check(a, b, op.__name__.strip("_"))
        return Tensor._wrap(op(a._data, b._data if isinstance(b, Tensor) else b), self.device)

    def __eq__(self, other):
        return self._compare(other, _eq)

    def __ne__(self, other):
        r = self._compare(other, _ne)
        return True if r is False else r

    def __lt__(self, other):
        return self._compare(other, _lt)

    def __le__(self, other):
        return self._compare(other, _le)

    def __gt__(self, other):
        return self._compare(other, _gt)

    def __ge__(self, other):
        return self._compare(other, _ge)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def __and__(self, other):
        return self._compare(other, _and)

    def __or__(self, other):
        return self._compare(other, _or)

    def __xor__(self, other):
        return self._compare(other, _xor)

    def __invert__(self):
        return Tensor._wrap(~self._data, self.device)

    def logical_not(self):
        return Tensor._wrap(self._data == 0, self.device)

    def all(self, dim=None, keepdim=False):
        return Tensor._wrap(_backend(self.device).xp.asarray(self._data.all(axis=dim, keepdims=keepdim)), self.device)

    def any(self, dim=None, keepdim=False):
        return Tensor._wrap(_backend(self.device).xp.asarray(self._data.any(axis=dim, keepdims=keepdim)), self.device)

    def isnan(self):
        return Tensor._wrap(_backend(self.device).xp.isnan(self._data), self.device)

    def isfinite(self):
        return Tensor._wrap(_backend(self.device).xp.isfinite(self._data), self.device)

    def isinf(self):
        return Tensor._wrap(_backend(self.device).xp.isinf(self._data), self.device)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        o = other._data if isinstance(other, Tensor) else other
        return Tensor._wrap(_backend(self.device).xp.isclose(self._data, o, rtol=rtol, atol=atol, equal_nan=equal_nan), self.device)

    def nonzero(self, as_tuple=False):
        """Indices of the non-zero elements: (n, ndim) int64, or one index tensor per dim."""
        parts = [Tensor._wrap(i.astype(np.int64), self.device) for i in self._data.nonzero()] if self.ndim else []
        if as_tuple:
            return tuple(parts) if parts else (Tensor._wrap(_backend(self.device).xp.zeros((_PY_INT(self.item() != 0),), np.int64), self.device),)
        if not parts:
            return Tensor._wrap(_backend(self.device).xp.zeros((_PY_INT(self.item() != 0), 0), np.int64), self.device)
        return stack(parts, dim=1)

    def unique(self, sorted=True, return_counts=False):  # noqa: A002
        """The distinct values, sorted (and how often each occurs), like torch.unique."""
        xp = _backend(self.device).xp
        values, counts = xp.unique(self._data, return_counts=True)
        out = Tensor._wrap(values, self.device)
        return (out, Tensor._wrap(counts.astype(np.int64), self.device)) if return_counts else out

    def equal(self, other) -> bool:
        return self.shape == other.shape and _PY_BOOL((self._data == other._data).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08) -> bool:
        return _PY_BOOL(_backend(self.device).xp.allclose(self._data, other._data, rtol=rtol, atol=atol))

    # ------------------------------------------------------------------ elementwise math
    def exp(self):
        return _ag.Exp.apply(self._floating())

    def log(self):
        return _ag.Log.apply(self._floating())

    def sqrt(self):
        return _ag.Sqrt.apply(self._floating())

    def abs(self):
        return _ag.Abs.apply(self)

    def neg(self):
        return _ag.Neg.apply(self)

    def square(self):
        return self * self

    def sigmoid(self):
        return _ag.Sigmoid.apply(self._floating())

    def tanh(self):
        return _ag.Tanh.apply(self._floating())

    def sin(self):
        return _ag.Elementwise.apply(self._floating(), name="sin")

    def cos(self):
        return _ag.Elementwise.apply(self._floating(), name="cos")

    def log1p(self):
        return _ag.Elementwise.apply(self._floating(), name="log1p")

    def expm1(self):
        return _ag.Elementwise.apply(self._floating(), name="expm1")

    def reciprocal(self):
        return _ag.Elementwise.apply(self._floating(), name="reciprocal")

    def rsqrt(self):
        return _ag.Elementwise.apply(self._floating(), name="rsqrt")

    def _rounding(self, name):
        if self._data.dtype.kind != "f":  # integers are already whole (sign of an int stays int)
            return Tensor._wrap(_backend(self.device).xp.sign(self._data), self.device) if name == "sign" else self.clone()
        return _ag.Elementwise.apply(self, name=name)

    def round(self):
        """Round half to even (0.5 -> 0, 1.5 -> 2), like torch.round; zero gradient."""
        return self._rounding("round")

    def floor(self):
        return self._rounding("floor")

    def ceil(self):
        return self._rounding("ceil")

    def trunc(self):
        return self._rounding("trunc")

    def sign(self):
        return self._rounding("sign")

    def cumsum(self, dim):
        t = self._cast(int64) if self._data.dtype.kind in "bu" or self._data.dtype in (int32, int16, int8) else self
        return _ag.CumSum.apply(t, dim=dim)

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) along dim, computed stably (the max is subtracted first)."""
        x = self._floating()
        m = x.amax(dim, keepdim=True).detach()
        m = Tensor._wrap(_backend(self.device).xp.where(_backend(self.device).xp.isfinite(m._data), m._data, 0), self.device)
        out = (x - m).exp().sum(dim=dim, keepdim=True).log() + m
        if not keepdim:
            dims = _ag._normalize_dims(dim, self.ndim)
            out = out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in dims))
        return out

    def relu(self):
        return _ag.ReLU.apply(self)

    def softmax(self, dim=-1):
        return _ag.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim=-1):
        return _ag.LogSoftmax.apply(self, dim=dim)

    def clamp(self, min=None, max=None):  # noqa: A002
        if min is None and max is None:
            raise ArgumentError("clamp: at least one of 'min' or 'max' must not be None")
        return _ag.Clamp.apply(self, lo=min, hi=max)

    clip = clamp

    def clamp_min(self, min):  # noqa: A002
        return _ag.Clamp.apply(self, lo=min, hi=None)

    def clamp_max(self, max):  # noqa: A002
        return _ag.Clamp.apply(self, lo=None, hi=max)

    def where(self, condition, other):
        """self where condition else other (torch's Tensor.where)."""
        return where(condition, self, other)

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    def log2(self):
        return self.log() * (1 / np.log(2))

    def log10(self):
        return self.log() * (1 / np.log(10))

    def tril(self, diagonal=0):
        """The lower triangle (the rest zeroed) of the last two dims; gradient masked the same way."""
        return self * Tensor._wrap(_backend(self.device).xp.tri(*self.shape[-2:], k=diagonal, dtype=self._data.dtype), self.device)

    def triu(self, diagonal=0):
        xp = _backend(self.device).xp
        return self * Tensor._wrap(1 - xp.tri(*self.shape[-2:], k=diagonal - 1, dtype=self._data.dtype), self.device)

    def masked_fill(self, mask, value):
        m = mask._data if isinstance(mask, Tensor) else mask
        a, v = self._other(value)
        return _ag.Where.apply(m, v, a)

    def _floating(self):
        return self if self._data.dtype.kind == "f" else self._cast(float32)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        t = self if dtype is None else self._cast(_dtype(dtype))
        if t._data.dtype.kind in "biu" and t._data.dtype != int64:  # bool/uint8/int32 sum to int64, like torch
            t = t._cast(int64)
        if isinstance(dim, (tuple, list)) and not dim:  # dim=() reduces over everything, like torch
            dim = None
        return _ag.Sum.apply(t, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        t = self if dtype is None else self._cast(_dtype(dtype))
        if t._data.dtype.kind != "f":
            raise DTypeError(
                f"mean(): could not infer output dtype. Input dtype must be floating point, got {t.dtype}; use .float() first"
            )
        if isinstance(dim, (tuple, list)) and not dim:
            dim = None
        return _ag.Mean.apply(t, dim=dim, keepdim=keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        """Variance (Bessel-corrected by default, like torch.var)."""
        corr = (1 if unbiased else 0) if correction is None else correction
        dims = _ag._normalize_dims(dim, self.ndim)
        n = 1
        for d in dims:
            n *= self.shape[d] if self.ndim else 1
        centered = self - self.mean(dim=dim, keepdim=True)
        return (centered * centered).sum(dim=dim, keepdim=keepdim) / builtins.max(n - corr, 0)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        """Standard deviation: sqrt of var (its gradient is 0, not NaN, where std is 0, like torch)."""
        return _ag.Root.apply(self.var(dim=dim, unbiased=unbiased, keepdim=keepdim, correction=correction), p=2)

    def max(self, dim=None, keepdim=False):
        """max over all elements, or (values, indices) along `dim` like torch.max."""
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            return _ag.MaxMinAll.apply(self, largest=True)
        return self._max_min_dim(dim, keepdim, True)

    def min(self, dim=None, keepdim=False):
        """min over all elements, or (values, indices) along `dim` like torch.min."""
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        if dim is None:
            return _ag.MaxMinAll.apply(self, largest=False)
        return self._max_min_dim(dim, keepdim, False)

    def amax(self, dim=None, keepdim=False):
        """The maximum over dim (an int, a tuple, or None for all), like torch.amax."""
        return self._amax_amin(dim, keepdim, True)

    def amin(self, dim=None, keepdim=False):
        return self._amax_amin(dim, keepdim, False)

    def _amax_amin(self, dim, keepdim, largest):
        if dim is None:
            out = _ag.MaxMinAll.apply(self, largest=largest)  # ties share the gradient, like torch
            return out.reshape((1,) * self.ndim) if keepdim else out
        if self.ndim == 0:
            _ag._normalize_dims(dim, 0)
            return self.clone()
        return _ag.AMaxMin.apply(self, dims=_ag._normalize_dims(dim, self.ndim), keepdim=keepdim, largest=largest)

    def _max_min_dim(self, dim, keepdim, largest):
        values = _ag.MaxMinDim.apply(self, dim=dim, keepdim=keepdim, largest=largest)
        node = values._node
        if node is None:  # no graph was recorded: recompute the indices cheaply
            idx = self.argmax(dim, keepdim) if largest else self.argmin(dim, keepdim)
            return MaxResult(values, idx)
        return MaxResult(values, Tensor._wrap(node.indices, self.device))

    def argmax(self, dim=None, keepdim=False):
        """Index of the (first) maximum; along a dim of a 2-D tensor this is the argmax kernel."""
        data = self._data
        bk = _backend(self.device)
        _check_arg_reduction(self, dim, "argmax")
        if dim is None:
            out = bk.xp.asarray(data.argmax()).astype(np.int64)
            return Tensor._wrap(out.reshape((1,) * data.ndim) if keepdim else out, self.device)
        if data.ndim == 2 and dim in (1, -1) and data.dtype == float32 and data.shape[1]:
            out = bk.argmax(data)
        else:
            (d,) = _ag._normalize_dims(dim, data.ndim)
            out = data.argmax(axis=d).astype(np.int64) if data.ndim else bk.xp.zeros((), np.int64)
        if keepdim and data.ndim:
            out = bk.xp.expand_dims(out, dim)
        return Tensor._wrap(bk.xp.asarray(out), self.device)

    def argmin(self, dim=None, keepdim=False):
        data = self._data
        bk = _backend(self.device)
        _check_arg_reduction(self, dim, "argmin")
        if dim is None:
            out = bk.xp.asarray(data.argmin()).astype(np.int64)
            return Tensor._wrap(out.reshape((1,) * data.ndim) if keepdim else out, self.device)
        (d,) = _ag._normalize_dims(dim, data.ndim)
        out = data.argmin(axis=d).astype(np.int64)
        if keepdim:
            out = bk.xp.expand_dims(out, d)
        return Tensor._wrap(bk.xp.asarray(out), self.device)

    def norm(self, p=2, dim=None, keepdim=False):
        """The p-norm over all elements or along dim (p=2: sqrt of the sum of squares).

        The gradient of a zero vector's norm is 0 (not NaN), as in torch.
        """
        if self._data.dtype.kind != "f":
            raise DTypeError(f"norm: expected a floating point tensor as input, got {self.dtype}")
        if p == "fro":
            p = 2
        if p == 1:
            return self.abs().sum(dim=dim, keepdim=keepdim)
        if p == _PY_FLOAT("inf"):
            a = self.abs()
            return a.amax(dim, keepdim)
        powers = self * self if p == 2 else self.abs() ** p
        return _ag.Root.apply(powers.sum(dim=dim, keepdim=keepdim), p=p)

    def argsort(self, dim=-1, descending=False):
        """Indices that sort along dim (int64, no gradient)."""
        data = -self._data if descending else self._data
        return Tensor._wrap(data.argsort(axis=dim, kind="stable").astype(np.int64), self.device)

    def sort(self, dim=-1, descending=False):
        """(values, indices) sorted along dim; values are differentiable (a gather)."""
        idx = self.argsort(dim, descending)
        return MaxResult(self.gather(dim, idx), idx)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        """(values, indices) of the k largest (or smallest) entries along dim, like torch.topk."""
        n = self.shape[dim]
        if not 0 <= k <= n:
            raise ShapeError(f"topk: k={k} is out of range for dimension {dim} of size {n}")
        idx = self.argsort(dim, descending=largest)
        d = dim % self.ndim
        idx = idx[(slice(None),) * d + (slice(0, k),)]
        return MaxResult(self.gather(dim, idx), idx)

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if shape == self._data.shape:
            return self
        return _ag.Reshape.apply(self, shape=shape)

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, _PY_INT)) and not isinstance(shape[0], np.integer):
            return self.to(shape[0])  # view(dtype) is not a reinterpretation here; convert instead
        out = self.reshape(*shape)
        if out is not self and self.device == "cpu" and out._data.size > 1 \
                and not np.may_share_memory(out._data, self._data):
            # NumPy had to copy: a write through the "view" would not reach this tensor
            raise ShapeError(
                f"view size is not compatible with input tensor's size and stride (shape {tuple(self.shape)} is "
                f"not contiguous, e.g. after .T or .permute); use .reshape({', '.join(map(str, _shape_arg(shape)))}) instead"
            )
        return out

    def view_as(self, other):
        return self.reshape(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        nd = self.ndim
        if nd == 0:
            return self.reshape(1)
        s = start_dim % nd
        e = end_dim % nd
        if s > e:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {tuple(self.shape)}")
        shape = self.shape
        n = 1
        for k in shape[s : e + 1]:
            n *= k
        return self.reshape(shape[:s] + (n,) + shape[e + 1 :])

    def unflatten(self, dim, sizes):
        d = dim % self.ndim
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1 :])

    def squeeze(self, dim=None):
        shape = self.shape
        if dim is None:
            return self.reshape(tuple(n for n in shape if n != 1))
        dims = _ag._normalize_dims(dim, self.ndim)
        return self.reshape(tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim):
        nd = self.ndim + 1
        if not -nd <= dim < nd:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
        d = dim % nd
        shape = self.shape
        return self.reshape(shape[:d] + (1,) + shape[d:])

    def permute(self, *dims):
        dims = _shape_arg(dims)
        if sorted(d % builtins.max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: dims {dims} are not a permutation of the {self.ndim} dims of shape {tuple(self.shape)}")
        return _ag.Permute.apply(self, dims=tuple(d % self.ndim for d in dims))

    def transpose(self, dim0, dim1):
        nd = self.ndim
        if nd < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        dims = list(range(nd))
        (a,) = _ag._normalize_dims(dim0, nd)
        (b,) = _ag._normalize_dims(dim1, nd)
        dims[a], dims[b] = dims[b], dims[a]
        return _ag.Permute.apply(self, dims=tuple(dims))

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    def t(self):
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self):
        if self.ndim < 2:
            return self
        return _ag.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        shape = self.shape
        full = []
        offset = len(sizes) - len(shape)
        if offset < 0:
            raise ShapeError(f"expand: the number of sizes {sizes} must be >= the number of dims of shape {shape}")
        for i, s in enumerate(sizes):
            full.append(shape[i - offset] if s == -1 and i >= offset else s)
        try:
            return _ag.Expand.apply(self, shape=tuple(full))
        except ValueError:
            raise ShapeError(f"expand: shape {tuple(shape)} cannot be expanded to {sizes}") from None

    def expand_as(self, other):
        return self.expand(other.shape)

    def chunk(self, chunks, dim=0):
        if not isinstance(chunks, _PY_INT) or chunks <= 0:
            raise ArgumentError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self.shape[dim]
        step = -(-n // chunks)
        return self.split(step, dim)

    def split(self, split_size, dim=0):
        n = self.shape[dim]
        if isinstance(split_size, _PY_INT) and (split_size < 0 or (split_size == 0 and n)):
            raise ArgumentError(f"split_size must be positive (or 0 for a dimension of size 0), got {split_size} for size {n}")
        if not isinstance(split_size, _PY_INT) and builtins.sum(split_size) != n:
            raise ShapeError(f"split: sizes {list(split_size)} do not add up to the size {n} of dimension {dim}")
        if split_size == 0:
            return (self,)
        d = dim % self.ndim
        sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else []) if isinstance(split_size, _PY_INT) else list(split_size)
        out, start = [], 0
        for s in sizes:
            out.append(self[(slice(None),) * d + (slice(start, start + s),)])
            start += s
        return tuple(out)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index):
        if isinstance(index, (_PY_INT, slice)) and not isinstance(index, _PY_BOOL):
            return _ag.Index.apply(self, index=index, advanced=False)
        index, advanced = _convert_index(index, self)
        return _ag.Index.apply(self, index=index, advanced=advanced)

    def __setitem__(self, index, value):
        self._check_inplace()
        if not (isinstance(index, (_PY_INT, slice)) and not isinstance(index, _PY_BOOL)):
            index, _ = _convert_index(index, self)
        try:
            self._data[index] = value._data if isinstance(value, Tensor) else _value_array(value, self)
        except ValueError as exc:
            raise ShapeError(f"setitem: {exc}") from None

    def index_select(self, dim, index):
        """The entries at `index` (a 1-D integer tensor) along dim; gradients add up on repeats."""
        if index.ndim > 1:
            raise ShapeError(f"index_select(): index must be a 1-D tensor, got shape {tuple(index.shape)}")
        (d,) = _ag._normalize_dims(dim, self.ndim)
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def masked_select(self, mask):
        """The entries where mask (broadcast to self's shape) is True, as a 1-D tensor."""
        m = mask if isinstance(mask, Tensor) else tensor(mask)
        if m.shape != self.shape:
            _broadcast_check(self, m, "masked_select")
            return self.expand(*_ag._broadcast_shapes(self.shape, m.shape))[m.expand(*_ag._broadcast_shapes(self.shape, m.shape))]
        return self[m]

    def select(self, dim, index):
        (d,) = _ag._normalize_dims(dim, self.ndim)
        return self[(slice(None),) * d + (index,)]

    def narrow(self, dim, start, length):
        (d,) = _ag._normalize_dims(dim, self.ndim)
        if start < 0:
            start += self.shape[d]
        if not 0 <= start <= start + length <= self.shape[d]:
            raise IndexError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({self.shape[d]})")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def unbind(self, dim=0):
        (d,) = _ag._normalize_dims(dim, self.ndim)
        return tuple(self.select(d, i) for i in range(self.shape[d]))

    def flip(self, *dims):
        """Reverse the order along dims (a view with negative strides; gradient flipped back)."""
        dims = _ag._normalize_dims(_shape_arg(dims) if dims else (), self.ndim) if dims else ()
        index = tuple(slice(None, None, -1) if i in dims else slice(None) for i in range(self.ndim))
        return self[index] if dims else self.clone()

    def movedim(self, source, destination):
        src = (source,) if isinstance(source, _PY_INT) else tuple(source)
        dst = (destination,) if isinstance(destination, _PY_INT) else tuple(destination)
        nd = self.ndim
        src = [_ag._normalize_dims(s_, nd)[0] for s_ in src]
        dst = [_ag._normalize_dims(d_, nd)[0] for d_ in dst]
        if builtins.len(src) != builtins.len(dst) or builtins.len(set(src)) != builtins.len(src) or builtins.len(set(dst)) != builtins.len(dst):
            raise ShapeError(f"movedim: invalid source {source} / destination {destination}")
        order = [i for i in range(nd) if i not in src]
        for d_, s_ in sorted(zip(dst, src)):
            order.insert(d_, s_)
        return self.permute(*order)

    moveaxis = movedim

    def repeat(self, *sizes):
        """Tile the tensor sizes[i] times along each dim (new leading dims as needed), like torch."""
        sizes = _shape_arg(sizes)
        if builtins.len(sizes) < self.ndim:
            raise ShapeError(f"repeat: number of repeat dims ({builtins.len(sizes)}) can not be smaller than the number of dims of the tensor ({self.ndim})")
        shape = (1,) * (builtins.len(sizes) - self.ndim) + tuple(self.shape)
        x = self.reshape(tuple(v for n in shape for v in (1, n)))
        x = x.expand(*(v for r, n in zip(sizes, shape) for v in (r, n)))
        return x.reshape(tuple(r * n for r, n in zip(sizes, shape)))

    def tile(self, *dims):
        dims = _shape_arg(dims)
        return self.repeat(*((1,) * (self.ndim - builtins.len(dims)) + dims))

    def outer(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(f"outer: 1-D tensors expected, got shapes {tuple(self.shape)} and {tuple(other.shape)}")
        return self.unsqueeze(1) * other.unsqueeze(0)

    def bmm(self, other):
        if self.ndim != 3 or other.ndim != 3 or self.shape[0] != other.shape[0]:
            raise ShapeError(f"bmm: expected two 3-D tensors with the same batch size, got {tuple(self.shape)} and {tuple(other.shape)}")
        return self @ other

    def ndimension(self) -> int:
        return self.ndim

    def stride(self, dim=None):
        st = tuple(_PY_INT(x) // self._data.itemsize for x in self._data.strides)
        return st if dim is None else st[dim]

    def get_device(self) -> int:
        return -1 if self.device == "cpu" else 0

    def gather(self, dim, index):
        """out[i][j] = self[i][index[i][j]] for dim=1 (2-D), like torch.gather."""
        d = dim % self.ndim
        idx = index._data
        xp = _backend(self.device).xp
        try:
            grids = list(xp.indices(idx.shape, sparse=True))
        except TypeError:  # CuPy's indices has no sparse=: the same open grids from arange
            grids = [xp.arange(n, dtype=np.int64).reshape(tuple(n if j == i else 1 for j in range(idx.ndim)))
                     for i, n in enumerate(idx.shape)]
        grids[d] = idx
        return self[tuple(Tensor._wrap(g, self.device) for g in grids)]

    # ------------------------------------------------------------------ in-place (leaves under no_grad)
    def _check_inplace(self):
        if self._req and _ag._GradMode.enabled:
            if self._node is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation "
                    "(wrap the update in `with pn.no_grad():`)"
                )
            raise RuntimeError("in-place operations on tensors that are part of the autograd graph are not supported")

    def _inplace(self, op, other):
        self._check_inplace()
        o = other._data if isinstance(other, Tensor) else other
        if isinstance(other, Tensor) and other.device != self.device:
            raise RuntimeError(f"expected both tensors on the same device, got {self.device} and {other.device}")
        if not isinstance(o, _SCALARS) and not hasattr(o, "shape"):
            o = _value_array(o, self)
        result = op(self._data, o)
        if result is not self._data:  # an array type without true in-place operators
            self._data[...] = result
        return self

    def __iadd__(self, other):
        return self._inplace(_add, other)

    def __isub__(self, other):
        return self._inplace(_subtract, other)

    def __imul__(self, other):
        return self._inplace(_multiply, other)

    def __itruediv__(self, other):
        return self._inplace(_divide, other)

    def add_(self, other, alpha=1):
        return self._inplace(_add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return self._inplace(_subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self._inplace(_multiply, other)

    def div_(self, other):
        return self._inplace(_divide, other)

    def zero_(self):
        self._check_inplace()
        self._data[...] = 0
        return self

    def fill_(self, value):
        self._check_inplace()
        self._data[...] = value.item() if isinstance(value, Tensor) else value
        return self

    def copy_(self, src):
        """Copy src's values into this tensor (broadcasting, converting dtype and device)."""
        self._check_inplace()
        if isinstance(src, Tensor):
            arr = src._data
            if src.device != self.device:
                arr = _backend(self.device).asarray(_backend(src.device).to_numpy(arr))
        else:
            arr = _value_array(src, self)
        try:
            self._data[...] = arr
        except ValueError:
            raise ShapeError(f"copy_: source of shape {tuple(arr.shape)} cannot be broadcast to {tuple(self.shape)}") from None
        return self

    def clamp_(self, min=None, max=None):  # noqa: A002
        self._check_inplace()
        xp = _backend(self.device).xp
        xp.clip(self._data, min, max, out=self._data)
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from .random import _rng  # noqa: PLC0415

        draw = _rng(generator).random(self.shape, dtype=np.float64)
        return self.copy_((a + (b - a) * draw).astype(self._data.dtype))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from .random import _rng  # noqa: PLC0415

        draw = _rng(generator).standard_normal(self.shape, dtype=np.float64)
        return self.copy_((mean + std * draw).astype(self._data.dtype))


_eq, _ne, _lt, _le, _gt, _ge = _op.eq, _op.ne, _op.lt, _op.le, _op.gt, _op.ge
_and, _or, _xor = _op.and_, _op.or_, _op.xor


# In-place updates go through the array's own operators (`a += b`), which NumPy, CuPy and
# the CUDA extension's arrays implement in place on the device: no host round trip.
_add, _subtract, _multiply, _divide = _op.iadd, _op.isub, _op.imul, _op.itruediv


def _promote(a: Tensor, b: Tensor):
    """PyTorch's promotion for two tensors: a float beats an int; a wider float wins."""
    da, db = a._data.dtype, b._data.dtype
    if da.kind == "f" and db.kind != "f":
        return a, b._cast(da)
    if db.kind == "f" and da.kind != "f":
        return a._cast(db), b
    if (a._data.ndim == 0) != (b._data.ndim == 0) and (da.kind == "b") == (db.kind == "b"):
        # same category: a tensor with dimensions keeps its dtype against a 0-d one, like
        # torch (float32 vector * float64 scalar tensor -> float32)
        target = db if a._data.ndim == 0 else da
        return a._cast(target), b._cast(target)
    target = np.promote_types(da, db)
    return a._cast(target), b._cast(target)


def _int_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Integer @ integer (e.g. a dot product of int vectors), exact, like torch (no gradient:
    integer tensors never require grad)."""
    _checks.tensor_matmul_shapes(a.shape, b.shape)
    a, b = _promote(a, b)
    return Tensor._wrap(_backend(a.device).xp.matmul(a._data, b._data), a.device)


def _broadcast_check(a: Tensor, b: Tensor, what: str) -> None:
    """ShapeError (a RuntimeError, as in torch) naming both shapes if a and b do not broadcast."""
    sa, sb = a._data.shape, b._data.shape
    for i in range(1, builtins.min(builtins.len(sa), builtins.len(sb)) + 1):
        if sa[-i] != sb[-i] and sa[-i] != 1 and sb[-i] != 1:
            raise ShapeError(
                f"{what}: the size of tensor a ({sa[-i]}) must match the size of tensor b ({sb[-i]}) at "
                f"non-singleton dimension {builtins.max(builtins.len(sa), builtins.len(sb)) - i} "
                f"(shapes {tuple(sa)} and {tuple(sb)})"
            )


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(_PY_INT(s) for s in shape)


def _value_array(value, like: Tensor):
    return _backend(like.device).asarray(np.asarray(value, dtype=like._data.dtype))


def _convert_index(index, t: Tensor):
    """Turn Tensor/list index parts into backend arrays; report whether any is an array."""
    bk = None
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    advanced = False
    for p in parts:
        if isinstance(p, Tensor):
            if p.device != t.device:
                raise RuntimeError(f"indices on {p.device} cannot index a tensor on {t.device}")
            p = p._data
            advanced = True
        elif isinstance(p, (list, np.ndarray)):
            bk = bk or _backend(t.device)
            arr = np.asarray(p)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            p = bk.asarray(arr)
            advanced = True
        elif hasattr(p, "shape") and hasattr(p, "dtype") and not isinstance(p, (np.integer, np.bool_)):
            advanced = True
        out.append(p)
    return (tuple(out) if isinstance(index, tuple) else out[0]), advanced


# ----------------------------------------------------------------------------- creation


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of data (list, number, NumPy array, Tensor).

    Floating data becomes float32 and integer data int64 unless dtype says otherwise.
    """
    dev = _device(device)
    arr = _host_array(data, _dtype(dtype))
    if dev == "cpu" and (arr is data or (isinstance(data, Tensor) and data.device == "cpu")):
        arr = arr.copy()  # pn.tensor always copies, like torch.tensor
    t = Tensor._wrap(_backend(dev).asarray(np.asarray(arr, order="C")), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like pn.tensor but shares memory when data is already a suitable array."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    dev = _device(device)
    return Tensor._wrap(_backend(dev).asarray(_host_array(data, _dtype(dtype))), dev)


def from_numpy(array: np.ndarray) -> Tensor:
    """A cpu tensor sharing memory with a NumPy array (float32/int64/bool/uint8 arrays).

    float64 arrays are converted to float32 and other integer widths to int64 (a copy),
    following pyneuro's default dtypes.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._wrap(_backend("cpu").asarray(_host_array(array)), "cpu")


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def _make(array_fn, size, dtype, device, requires_grad):
    dev = _device(device)
    bk = _backend(dev)
    t = Tensor._wrap(array_fn(bk.xp, _size(size), _dtype(dtype) or float32), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.zeros(s, dtype=d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.ones(s, dtype=d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.empty(s, dtype=d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        if isinstance(fill_value, _PY_BOOL):
            dtype = bool_
        elif isinstance(fill_value, (_PY_INT, np.integer)):
            dtype = int64
    if isinstance(size, (_PY_INT, np.integer)):
        size = (size,)
    return _make(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (tuple(size),), dtype, device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(lambda xp, s, d: xp.eye(s[0], s[1], dtype=d), ((n, n if m is None else m),), dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start (default 0) up to end (exclusive); ints give int64, floats float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ShapeError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, (_PY_INT, np.integer)) for v in (start, end, step))
        dtype = int64 if ints else float32
    dev = _device(device)
    bk = _backend(dev)
    host = np.arange(start, end, step, dtype=np.float64 if _dtype(dtype).kind == "f" else None).astype(_dtype(dtype))
    t = Tensor._wrap(bk.asarray(host), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    dev = _device(device)
    host = np.linspace(start, end, steps).astype(_dtype(dtype) or float32)
    t = Tensor._wrap(_backend(dev).asarray(host), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _from_host(host, device, requires_grad):
    dev = _device(device)
    t = Tensor._wrap(_backend(dev).asarray(host), dev)
    if requires_grad:
        t.requires_grad = True
    return t


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1) (float32 by default), drawn from `generator` or the default."""
    from .random import _rng  # noqa: PLC0415

    d = _dtype(dtype) or float32
    host = _rng(generator).random(_size(size), dtype=d if d in (float32, float64) else np.float64).astype(d, copy=False)
    return _from_host(host, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard-normal samples (float32 by default), drawn from `generator` or the default."""
    from .random import _rng  # noqa: PLC0415

    d = _dtype(dtype) or float32
    host = _rng(generator).standard_normal(_size(size), dtype=d if d in (float32, float64) else np.float64).astype(d, copy=False)
    return _from_host(host, device, requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None) -> Tensor:
    """Integers in [low, high) (int64), like torch.randint(low=0, high, size)."""
    from .random import _rng  # noqa: PLC0415

    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() needs a size tuple: randint(high, size) or randint(low, high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise ShapeError(f"randint: high ({high}) must be greater than low ({low})")
    host = _rng(generator).integers(low, high, size=_size((size,) if isinstance(size, _PY_INT) else (tuple(size),))).astype(
        _dtype(dtype) or int64
    )
    return _from_host(host, device, False)


def randperm(n, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1 (int64), e.g. for shuffling a DataLoader."""
    from .random import _rng  # noqa: PLC0415

    if n < 0:
        raise ShapeError(f"randperm: n must be non-negative, got {n}")
    host = _rng(generator).permutation(_PY_INT(n)).astype(_dtype(dtype) or int64)
    return _from_host(host, device, False)


def _like(t: Tensor, dtype, device):
    return (t.shape, dtype if dtype is not None else t.dtype, device if device is not None else t.device)


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    s, d, dev = _like(t, dtype, device)
    return zeros(s, dtype=d, device=dev, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    s, d, dev = _like(t, dtype, device)
    return ones(s, dtype=d, device=dev, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    s, d, dev = _like(t, dtype, device)
    return empty(s, dtype=d, device=dev, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    s, d, dev = _like(t, dtype, device)
    return full(s, fill_value, dtype=d, device=dev, requires_grad=requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    s, d, dev = _like(t, dtype, device)
    return rand(s, dtype=d, device=dev, requires_grad=requires_grad, generator=generator)


def randn_like(t, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    s, d, dev = _like(t, dtype, device)
    return randn(s, dtype=d, device=dev, requires_grad=requires_grad, generator=generator)


# ----------------------------------------------------------------------------- functions on tensors


def _as_tensors(tensors, what):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{what}(): argument 'tensors' must be a sequence of Tensors, not a Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ShapeError(f"{what}() expects a non-empty list of tensors")
    out = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    dtypes = {t.dtype for t in out}
    if len(dtypes) > 1:
        target = dtypes.pop()
        for d in dtypes:
            target = np.promote_types(target, d)
        out = [t._cast(target) for t in out]
    return out


def cat(tensors, dim=0) -> Tensor:
    """Concatenate tensors along an existing dim (like torch.cat)."""
    ts = _as_tensors(tensors, "cat")
    nd = ts[0].ndim
    for t in ts:
        if t.ndim != nd or any(a != b for i, (a, b) in enumerate(zip(t.shape, ts[0].shape)) if i != dim % builtins.max(nd, 1)):
            raise ShapeError(f"cat: shapes {[tuple(x.shape) for x in ts]} differ outside dim {dim}")
    return _ag.Cat.apply(*ts, dim=dim)


concat = cat


def stack(tensors, dim=0) -> Tensor:
    """Stack same-shape tensors along a new dim (like torch.stack)."""
    ts = _as_tensors(tensors, "stack")
    if any(t.shape != ts[0].shape for t in ts):
        raise ShapeError(f"stack expects each tensor to be equal size, got {[tuple(x.shape) for x in ts]}")
    _ag._normalize_dims(dim, ts[0].ndim + 1)  # IndexError for a dim out of range, like torch
    return _ag.Stack.apply(*ts, dim=dim)


def where(condition, input=None, other=None) -> Tensor:  # noqa: A002
    """Elementwise choice: input where condition else other (differentiable in both)."""
    if input is None and other is None:
        return tuple(Tensor._wrap(i, condition.device) for i in condition._data.nonzero())
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    ref = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    if ref is None:
        ref = tensor(input)
    a, b = ref._other(other if ref is input else input)
    if ref is input:
        return _ag.Where.apply(cond, a, b)
    return _ag.Where.apply(cond, b, a)


def matmul(a, b) -> Tensor:
    return a @ b if isinstance(a, Tensor) else tensor(a) @ b


def mm(a, b) -> Tensor:
    return a.mm(b)


def exp(t) -> Tensor:
    return t.exp()


def log(t) -> Tensor:
    return t.log()


def sqrt(t) -> Tensor:
    return t.sqrt()


def abs(t) -> Tensor:  # noqa: A001
    return t.abs()


def sigmoid(t) -> Tensor:
    return t.sigmoid()


def tanh(t) -> Tensor:
    return t.tanh()


def sin(t) -> Tensor:
    return t.sin()


def cos(t) -> Tensor:
    return t.cos()


def log1p(t) -> Tensor:
    return t.log1p()


def round(t) -> Tensor:  # noqa: A001
    return t.round()


def sign(t) -> Tensor:
    return t.sign()


def cumsum(t, dim) -> Tensor:
    return t.cumsum(dim)


def logsumexp(t, dim, keepdim=False) -> Tensor:
    return t.logsumexp(dim, keepdim)


def numel(t) -> int:
    return t.numel()


def relu(t) -> Tensor:
    return t.relu()


def clamp(t, min=None, max=None) -> Tensor:  # noqa: A002
    return t.clamp(min, max)


def sum(t, dim=None, keepdim=False, dtype=None) -> Tensor:  # noqa: A001
    return t.sum(dim, keepdim, dtype=dtype)


def mean(t, dim=None, keepdim=False, dtype=None) -> Tensor:
    return t.mean(dim, keepdim, dtype=dtype)


def argmax(t, dim=None, keepdim=False) -> Tensor:
    return t.argmax(dim, keepdim)


def maximum(a, b) -> Tensor:
    """Elementwise max of a and b (broadcasting; NaN wins; ties share the gradient), like torch."""
    a, b = (a if isinstance(a, Tensor) else tensor(a))._other(b)
    if isinstance(b, Tensor) and a._data.shape != b._data.shape:
        _broadcast_check(a, b, "maximum")
    if a.device != "cpu":  # device arrays: the plain where form (NaN and ties as the comparison says)
        return _ag.Where.apply((a._data >= (b._data if isinstance(b, Tensor) else b)), a, b)
    return _ag.Maximum.apply(a, b, largest=True)


def minimum(a, b) -> Tensor:
    """Elementwise min of a and b (broadcasting; NaN wins; ties share the gradient), like torch."""
    a, b = (a if isinstance(a, Tensor) else tensor(a))._other(b)
    if isinstance(b, Tensor) and a._data.shape != b._data.shape:
        _broadcast_check(a, b, "minimum")
    if a.device != "cpu":  # device arrays: the plain where form (NaN and ties as the comparison says)
        return _ag.Where.apply((a._data <= (b._data if isinstance(b, Tensor) else b)), a, b)
    return _ag.Maximum.apply(a, b, largest=False)


def softmax(t, dim=-1) -> Tensor:
    return t.softmax(dim)


def log_softmax(t, dim=-1) -> Tensor:
    return t.log_softmax(dim)


def max(t, dim=None, keepdim=False):  # noqa: A001
    return t.max(dim, keepdim) if dim is not None else t.max()


def min(t, dim=None, keepdim=False):  # noqa: A001
    return t.min(dim, keepdim) if dim is not None else t.min()


def pow(t, exponent) -> Tensor:  # noqa: A001
    return t**exponent if isinstance(t, Tensor) else tensor(t) ** exponent


def dot(a, b) -> Tensor:
    return a.dot(b)


def norm(t, p=2, dim=None, keepdim=False) -> Tensor:
    return t.norm(p, dim, keepdim)


def topk(t, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    return t.topk(k, dim, largest, sorted)


def argsort(t, dim=-1, descending=False) -> Tensor:
    return t.argsort(dim, descending)


def gather(t, dim, index) -> Tensor:
    return t.gather(dim, index)


def outer(a, b) -> Tensor:
    return a.outer(b)


def bmm(a, b) -> Tensor:
    return a.bmm(b)


def flip(t, dims) -> Tensor:
    return t.flip(*dims) if isinstance(dims, (tuple, list)) else t.flip(dims)


def index_select(t, dim, index) -> Tensor:
    return t.index_select(dim, index)


def masked_select(t, mask) -> Tensor:
    return t.masked_select(mask)


def unbind(t, dim=0):
    return t.unbind(dim)


def tril(t, diagonal=0) -> Tensor:
    return t.tril(diagonal)


def triu(t, diagonal=0) -> Tensor:
    return t.triu(diagonal)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    return a.isclose(b, rtol, atol, equal_nan)


def nonzero(t, as_tuple=False):
    return t.nonzero(as_tuple=as_tuple)


def unique(t, sorted=True, return_counts=False):  # noqa: A002
    return t.unique(sorted, return_counts)


def movedim(t, source, destination) -> Tensor:
    return t.movedim(source, destination)


def squeeze(t, dim=None) -> Tensor:
    return t.squeeze(dim)


def unsqueeze(t, dim) -> Tensor:
    return t.unsqueeze(dim)


def permute(t, dims) -> Tensor:
    return t.permute(dims)


def std(t, dim=None, unbiased=True, keepdim=False) -> Tensor:
    return t.std(dim, unbiased, keepdim)


def var(t, dim=None, unbiased=True, keepdim=False) -> Tensor:
    return t.var(dim, unbiased, keepdim)


def normal(mean, std, size, generator=None, dtype=None, device=None) -> Tensor:  # noqa: A002
    """Samples of N(mean, std^2) with the given size (float mean and std)."""
    out = randn(size, generator=generator, dtype=dtype, device=device)
    return out * std + mean


def reshape(t, shape) -> Tensor:
    return t.reshape(shape)


def flatten(t, start_dim=0, end_dim=-1) -> Tensor:
    return t.flatten(start_dim, end_dim)


def transpose(t, dim0, dim1) -> Tensor:
    return t.transpose(dim0, dim1)


def allclose(a, b, rtol=1e-05, atol=1e-08) -> bool:
    return a.allclose(b, rtol, atol)


from . import autograd as _ag  # noqa: E402  (circular: autograd's Functions build Tensors)
