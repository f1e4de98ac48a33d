"""Tensor: the ops of an n-dimensional array that record the autograd graph.

A Tensor is a TensorBase (pyneuro/_tensor_base.py: the array `_data`, its `device`, its
place in the graph, and every method that records nothing: conversion, printing,
comparisons), plus the shape and indexing methods of ShapeMethods (_tensor_shape.py), plus
the in-place methods of InplaceMethods (_tensor_inplace.py: add_, copy_, x[i] = v, ...), plus
the ops defined here: arithmetic, elementwise math, reductions, casts, device moves, backward.

It never computes on its own: every op is an autograd Function (pyneuro/autograd/) that
runs on the kernel table of the backend in use for its device, using only that table's
kernels and its array namespace `xp`. So the same Tensor code drives the NumPy reference,
the C++ kernels, Numba, and (on a GPU machine) CUDA/CuPy.

Dtypes follow PyTorch's defaults: Python floats become float32 and Python ints int64 (class
targets, indices), bool stays bool; NumPy arrays keep their dtype (float64 stays float64). The compiled backends compute in float32 only; float64
tensors are for the NumPy reference backend (pn.gradcheck switches to it for its checks).

Factories (pn.tensor, pn.zeros, pn.randn, ...) are in creation.py, the torch-style free
functions (pn.exp, pn.cat, ...) in functions.py and the dtypes in _dtype.py; this module's
__getattr__ still serves them as `pyneuro.tensor.<name>`.
"""

from __future__ import annotations

import builtins
import operator as _op
import warnings

import numpy as np

from . import _dtype as _dtypes
from . import _sorting
from . import autograd as _ag
from . import creation as _creation
from . import functions as _functions
from . import functions_math as _math
from . import return_types as _return_types
from ._device import cuda_device
from ._dtype import (
    _PY_BOOL,
    _PY_INT,
    _dtype,
    bool_,
    c_type_name,
    default_float,
    fill_value,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    py_scalar,
    quiet_cast,
)
from ._errors import OPERATORS, ArgumentError, DTypeError, ShapeError, ZeroDivision, defer_to_reflected
from ._shapes import dim_int, normalize_dims, one_dim
from ._tensor_base import (
    TensorBase,
    _backend,
    _broadcast_check,
    _device,
    _fill,
    _from_data,
    _host_array,
    _promote,
    _register_tensor_class,
    _wrap,
    need_tensor,
)
from ._tensor_compare import CompareMethods
from ._tensor_compat import CompatMethods, accept_numpy_keywords
from ._tensor_extra import ExtraMethods
from ._tensor_forms import extreme_form, to_arguments
from ._tensor_index import IndexMethods
from ._tensor_inplace import InplaceMethods
from ._tensor_math import MathMethods
from ._tensor_reduce import ReduceMethods
from ._tensor_shape import ShapeMethods
from .autograd import hooks as _ag_hooks
from .autograd.api import seed_gradient as _seed_gradient
from .backends import _checks


@accept_numpy_keywords
class Tensor(
    CompatMethods,
    ExtraMethods,
    ShapeMethods,
    InplaceMethods,
    MathMethods,
    IndexMethods,
    ReduceMethods,
    CompareMethods,
    TensorBase,
):
    """An n-dimensional array on a device that records operations for autograd.

    Create one with pn.tensor(data), pn.from_numpy(array), pn.zeros(...), ... .
    The legacy constructor: Tensor(data) is data in the default float dtype (Tensor([1, 2]) is
    float32, as torch's), Tensor(2, 3) is a (2, 3) tensor of
    the default float dtype (of zeros: torch leaves it uninitialised), Tensor(t) shares t's
    memory, Tensor() is empty.
    """

    __slots__ = ()
    __module__ = "pyneuro"  # type(x) prints <class 'pyneuro.Tensor'>, as torch's <class 'torch.Tensor'>

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        if builtins.len(args) == 1 and isinstance(args[0], TensorBase):
            _fill(self, args[0]._data, args[0].device)  # Tensor(t): t's memory
            return
        dev = _device(device)
        _fill(self, _backend(dev).asarray(_creation.legacy_constructor_data(args, _dtype(dtype))), dev)
        if requires_grad:
            self.requires_grad = True

    _wrap = staticmethod(_wrap)  # Tensor._wrap(array, device): the one constructor path (_tensor_base._wrap)

    def to(self, *args, **kwargs) -> Tensor:
        """t.to("cuda"), t.to(pn.float64), t.to(other), t.to(device=..., dtype=...)."""
        device, dtype, copy = to_arguments(args, kwargs)  # (torch's three forms: _tensor_forms)
        out = self
        if dtype is not None:
            out = out._cast(_dtype(dtype))
        if device is not None:
            try:
                dev = _device(device)
            except ValueError:  # (x.to('float32'): torch's "Invalid device string" RuntimeError)
                if not isinstance(device, str):
                    raise
                raise ArgumentError(
                    f"to(): {device!r} is not a device ('cpu', 'cuda'); a dtype is pn.float32"
                ) from None
            if dev != out.device:
                _backend(dev)  # raise the registry's reason before anything else
                out = _ag.ToDevice.apply(out, device=dev)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self, *, memory_format=None) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, *, memory_format=None) -> Tensor:
        """A copy on the GPU (device: None, an ordinal or a cuda device; one GPU here)."""
        return self.to(cuda_device(device))

    def _cast(self, dtype) -> Tensor:
        if self._data.dtype == dtype:
            return self
        if dtype.kind == "f" and self._data.dtype.kind == "f":
            return _ag.Cast.apply(self, dtype=dtype)
        return _wrap(quiet_cast(self._data, dtype), self.device)

    def float(self, *, memory_format=None) -> Tensor:  # (every tensor here is row-major)
        return self._cast(float32)

    def double(self, *, memory_format=None) -> Tensor:
        return self._cast(float64)

    def half(self, *, memory_format=None) -> Tensor:
        return self._cast(float16)

    def bfloat16(self) -> Tensor:  # the TypeError of .to(torch.bfloat16), which code falls back on
        return self.to(_dtypes.unsupported("bfloat16"))

    def long(self, *, memory_format=None) -> Tensor:
        return self._cast(int64)

    def int(self, *, memory_format=None) -> Tensor:
        return self._cast(int32)

    def bool(self, *, memory_format=None) -> Tensor:
        return self._cast(bool_)

    def clone(self, *, memory_format=None) -> Tensor:  # (torch's default, preserve_format: self's layout)
        return _ag.Clone.apply(
            self, order="K" if str(memory_format) in ("None", "torch.preserve_format") else "C"
        )

    def contiguous(self, *, memory_format=None) -> Tensor:
        return self if self._data.flags.c_contiguous else _ag.Clone.apply(self)

    # ------------------------------------------------------------------ autograd
    def register_hook(self, hook):
        """Call hook(grad) each time the gradient for this tensor is computed; a tensor it
        returns replaces the gradient (pyneuro/autograd/hooks.py). Returns a handle whose
        remove() unregisters it."""
        return _ag_hooks.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call hook(self) after each backward has accumulated this leaf's .grad (an optimizer
        step fused into backward, as in torch's tutorial); returns a removable handle."""
        return _ag_hooks.register_post_accumulate_grad_hook(self, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, into leaf.grad.

        A scalar needs no `gradient`; a non-scalar needs one of the same shape (the vector
        of the vector-Jacobian product). Gradients accumulate across calls; the graph is
        freed afterwards unless retain_graph=True. create_graph=True records the backward
        itself, so the gradients can be differentiated again (autograd/graph_backward.py).
        """
        if inputs is not None:  # only these tensors' .grad (autograd.backward's inputs=)
            return _ag.backward(self, gradient, retain_graph, create_graph, inputs=inputs)
        self._sync_view()  # (a view whose base changed in place: its grad_fn as it is now)
        if not self._req:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        g = _seed_gradient(self, gradient)
        if create_graph:  # (retain_graph defaults to create_graph, as in torch)
            g = _ag.as_grad_tensor(gradient, g, self.device)
            return _ag.run_backward_graph(self, g, retain_graph is not False)
        _ag.run_backward(self, g, _PY_BOOL(retain_graph))

    def __add__(self, other):
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
            return _ag.Add.apply(self, other)
        a, b = self._other(other)
        return _ag.Add.apply(a, b)

    def __radd__(self, other):
        a, b = self._other(other)
        return _ag.Add.apply(b, a)

    def __sub__(self, other):
        if type(other) is Tensor and other._data.dtype is self._data.dtype and self._data.dtype.kind != "b":
            return _ag.Sub.apply(self, other)  # the common case
        _math.check_bool_sub(self, other)
        a, b = self._other(other)
        return _ag.Sub.apply(a, b)

    def __rsub__(self, other):
        _math.check_bool_sub(self, other)
        a, b = self._other(other)
        return _ag.renamed(
            _ag.Sub.apply(b, a), "SubBackward0" if isinstance(other, TensorBase) else "RsubBackward1"
        )

    def __mul__(self, other):
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
            return _ag.Mul.apply(self, other)
        a, b = self._other(other)
        return _ag.Mul.apply(a, b)

    def __rmul__(self, other):
        a, b = self._other(other)
        return _ag.Mul.apply(b, a)

    def __truediv__(self, other):
        a, b = _math.float_operands(self, other)
        a, b = a._other(b)
        if a._data.dtype.kind != "f":  # true division of integers gives the default float, like torch
            a = a._cast(default_float())
            if isinstance(b, TensorBase):
                b = b._cast(a._data.dtype)
        return _ag.Div.apply(a, b)

    def __rtruediv__(self, other):
        a, b = self._other(_math.float_scalar(other))
        if a._data.dtype.kind != "f":
            a = a._cast(default_float())
        return _ag.Div.apply(b, a)

    def _int_division(self, a, b, op, reflected=False):
        """// and % (no gradient): Python's floor semantics, like torch; an integer
        division by zero raises instead of giving NumPy's silent 0."""
        x = a._data
        y = b._data if isinstance(b, TensorBase) else b
        if reflected:
            x, y = y, x
        if getattr(y, "dtype", None) is not None and y.dtype.kind in "iub" or isinstance(y, _PY_INT):
            if getattr(x, "dtype", np.dtype(type(x))).kind in "iub" and not _PY_BOOL(
                (_backend(self.device).xp.asarray(y) != 0).all()
            ):
                raise ZeroDivision("ZeroDivisionError: integer division or modulo by zero")
        with np.errstate(divide="ignore", invalid="ignore"):
            try:
                out = op(x, y)
            except ValueError:  # shapes that do not broadcast: torch's RuntimeError
                _broadcast_check(a, b, op.__name__)
                raise
        return _wrap(_backend(self.device).xp.asarray(out), self.device)

    def __floordiv__(self, other):
        a, b = self._other(other)
        _math.not_for(a, "b", "div_floor")  # bool // bool: torch has no kernel
        if a.requires_grad or getattr(b, "requires_grad", False):  # torch's NotImplemented node
            return _math.floor_divide(a, b)
        return self._int_division(a, b, _op.floordiv)

    def __rfloordiv__(self, other):
        a, b = self._other(other)
        if a.requires_grad:
            return _math.floor_divide(b, a)
        return self._int_division(a, b, _op.floordiv, reflected=True)

    def __mod__(self, other):  # differentiable for floats: d/da = 1, d/db = -floor(a / b)
        return _math.remainder(self, other)

    def __rmod__(self, other):
        return _math.remainder(other, self)

    def floor_divide(self, other):
        return self // other

    def remainder(self, other):
        return _math.remainder(self, other)

    def __pow__(self, other):
        if self._data.dtype.kind in "iu" and type(other) is _PY_INT:
            fill_value(other, self._data.dtype)  # must fit: int8_tensor ** 200 raises, as torch
        if (
            type(other) is _PY_BOOL and self._data.dtype.kind == "b"
        ):  # bool ** bool is bool: x ** False is True
            return self.clone() if other else self | True
        a, b = self._other(other)  # integer ** negative integer: torch's rule (3 ** -1 is 0)
        if isinstance(b, TensorBase) and a._data.dtype.kind == b._data.dtype.kind == "b":
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")  # bool_tensor ** bool_tensor
        _math.check_int_exponent(a, other)
        return _math.int_pow(a, b) if _math.negative_int_power(a, b) else _ag.Pow.apply(a, b)

    def __rpow__(self, other):
        if type(other) is _PY_BOOL and self._data.dtype.kind == "b":
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        a, b = self._other(other)
        if not isinstance(b, TensorBase):  # a number's power: torch's PowBackward2
            b = _wrap(_backend(self.device).xp.asarray(b, dtype=a.dtype), self.device)
            if _math.negative_int_power(b, a):  # 2 ** int_tensor holding negatives: 0, as torch
                return _math.int_pow(b, a)
            return _ag.renamed(_ag.Pow.apply(b, a), "PowBackward2")
        return _math.int_pow(b, a) if _math.negative_int_power(b, a) else _ag.Pow.apply(b, a)

    def __neg__(self):
        return _ag.Neg.apply(self)

    def __pos__(self):
        if self._data.dtype.kind == "b":
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def __abs__(self):
        return _ag.Abs.apply(self)

    def __matmul__(self, other):
        if isinstance(other, np.ndarray):
            other = _wrap(_backend(self.device).asarray(_host_array(other)), self.device)
        elif not isinstance(other, TensorBase):
            return NotImplemented  # as torch: x @ [1., 2.] is Python's TypeError
        if self._data.dtype != other._data.dtype:  # (int32 @ int64 too, as torch)
            raise DTypeError(
                f"matmul: both operands need the same dtype, got {self.dtype} and {other.dtype} "
                "(convert one, e.g. x.float())"
            )
        if self._data.dtype.kind in "iu":
            return _int_matmul(self, other)
        if self._data.dtype.kind == "b":
            raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
        return _ag.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        if not isinstance(other, np.ndarray):
            return NotImplemented  # [1., 2.] @ x, as x @ [1., 2.]
        other = _wrap(_backend(self.device).asarray(_host_array(other)), self.device)
        return _ag.MatMul.apply(other, self)

    def add(self, other, *args, alpha=1):  # (add(-lr, grad): torch's deprecated form)
        other, alpha = _math.alpha_args("add", other, args, alpha)
        return self + (other if alpha == 1 and type(alpha) is int else _math.scaled(self, other, alpha))

    def sub(self, other, *args, alpha=1):
        other, alpha = _math.alpha_args("sub", other, args, alpha)
        return self - (other if alpha == 1 and type(alpha) is int else _math.scaled(self, other, alpha))

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode=None):
        return self / other if rounding_mode is None else _math.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent):
        return self**exponent

    def matmul(self, other):
        return self @ other

    def mm(self, mat2):
        other = mat2
        if not isinstance(other, TensorBase) and not getattr(type(other), "is_sparse", False):
            raise TypeError(f"mm(): argument 'mat2' (position 1) must be Tensor, not {type(other).__name__}")
        if self.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise ShapeError(
                f"mm: both arguments must be 2-D, got shapes {tuple(self.shape)} and {tuple(other.shape)}"
            )
        return self @ other

    def dot(self, tensor):
        other = need_tensor(tensor, "dot", "tensor")
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(
                f"dot: 1-D tensors expected, got shapes {tuple(self.shape)} and {tuple(other.shape)}"
            )
        return self @ other

    def nonzero(self, as_tuple=False):
        """Indices of the non-zero elements: (n, ndim) int64, or one index tensor per dim."""
        parts = [_wrap(i.astype(np.int64), self.device) for i in self._data.nonzero()] if self.ndim else []
        if as_tuple:
            return (
                tuple(parts)
                if parts
                else (
                    _wrap(
                        _backend(self.device).xp.zeros((_PY_INT(self.item() != 0),), np.int64), self.device
                    ),
                )
            )
        if not parts:
            return _wrap(
                _backend(self.device).xp.zeros((_PY_INT(self.item() != 0), 0), np.int64), self.device
            )
        return _ag.Stack.apply(*parts, dim=1)

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
        x = self.long() if self._data.dtype.kind == "b" else self  # bool squares to int64, as in torch
        return _ag.renamed(x * x, "PowBackward0")

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

    def cumsum(self, dim, dtype=None):
        """Running sum along dim: small integers and bools give int64 unless dtype= is given."""
        small = self._data.dtype.kind in "bu" or self._data.dtype in (int32, int16, int8)
        if dtype is not None and _dtype(dtype).kind == "b":
            raise NotImplementedError("\"cumsum_out_cpu\" not implemented for 'Bool'")
        t = self._reduce_in(dtype) if dtype is not None else self._cast(int64) if small else self
        out = _ag.CumSum.apply(t, dim=dim)
        return out if out._data.dtype == t._data.dtype else out._cast(t._data.dtype)

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) along dim, computed stably (the max is subtracted first)."""
        x = self._floating()
        if isinstance(dim, (tuple, list)) and not dim:  # dim=[]: every dim, as torch
            dims = tuple(range(x.ndim))
        else:
            dims = tuple(normalize_dims(dim, max(x.ndim, 1)))
            dims = dims if x.ndim else ()  # (a 0-d tensor takes dim 0 or -1 and reduces nothing)
        return _ag.Logsumexp.apply(x, dims=dims, keepdim=keepdim)

    def relu(self):
        return _ag.ReLU.apply(self)

    def softmax(self, dim, dtype=None):
        return _ag.Softmax.apply(self if dtype is None else self.to(dtype=dtype), dim=dim)

    def log_softmax(self, dim, dtype=None):
        return _ag.LogSoftmax.apply(self if dtype is None else self.to(dtype=dtype), dim=dim)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ArgumentError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, TensorBase) or isinstance(max, TensorBase):  # differentiable bounds
            return _math.clip(self, min, max)
        min, max = py_scalar(min), py_scalar(max)  # np.float32(0.5) is the float 0.5
        if self._data.dtype.kind == "b" and all(b is None or type(b) is _PY_BOOL for b in (min, max)):
            which = (
                "clamp"
                if min is not None and max is not None
                else "clamp_min"
                if min is not None
                else "clamp_max"
            )
            raise NotImplementedError(f"\"{which}_scalar_cpu\" not implemented for 'Bool'")
        if not all(b is None or isinstance(b, (_PY_INT, float)) for b in (min, max)):
            raise TypeError("clamp(): min and max must be numbers or tensors")
        if isinstance(min, float) or isinstance(max, float):  # int_tensor.clamp(0.5) is float, as torch's
            self = self._floating()
        elif self._data.dtype.kind == "b":  # bool_tensor.clamp(2) is int64, as torch's
            self = self.long()
        # a bound must fit the dtype: int8_tensor.clamp(max=300) and x.clamp(max=1e40) raise, as torch's
        min, max = fill_value(min, self._data.dtype), fill_value(max, self._data.dtype)
        return _ag.Clamp.apply(self, lo=min, hi=max)

    clip = clamp

    def clamp_min(self, min):
        return _math.clamp_min(self, min)

    def clamp_max(self, max):
        return _math.clamp_max(self, max)

    def where(self, condition, other):
        """self where condition else other (torch's Tensor.where, which is pn.where)."""
        return _functions.where(condition, self, other)

    def maximum(self, other):
        """Elementwise max (broadcasting; NaN wins; ties share the gradient), like torch."""
        return self._max_min_elementwise(other, True)

    def minimum(self, other):
        return self._max_min_elementwise(other, False)

    def _max_min_elementwise(self, other, largest):
        a, b = self._other(need_tensor(other, "maximum" if largest else "minimum", "other", 2))
        if isinstance(b, TensorBase) and a._data.shape != b._data.shape:
            _broadcast_check(a, b, "maximum" if largest else "minimum")
        if a.device != "cpu":  # device arrays: the plain where form (NaN and ties as the comparison says)
            o = b._data if isinstance(b, TensorBase) else b
            return _ag.Where.apply((a._data >= o) if largest else (a._data <= o), a, b)
        return _ag.Maximum.apply(a, b, largest=largest)

    def log2(self):
        return _ag.renamed(self.log() * (1 / np.log(2)), "Log2Backward0")

    def log10(self):
        return _ag.renamed(self.log() * (1 / np.log(10)), "Log10Backward0")

    def masked_fill(self, mask, value):
        m = mask._data if isinstance(mask, Tensor) else mask
        if getattr(m, "dtype", None) != bool_:  # torch's words: C's name for the mask's type
            kind = c_type_name(m.dtype) if hasattr(m, "dtype") else type(m).__name__
            raise DTypeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {kind}")
        if not isinstance(value, (Tensor, _PY_INT, float, np.generic)):
            raise TypeError(
                f"masked_fill(): value must be a number or a 0-dim tensor, not {type(value).__name__}"
            )
        if isinstance(value, Tensor) and value.ndim:  # (torch refuses even a 1-element one)
            raise ArgumentError(
                f"masked_fill_ only supports a 0-dimensional value tensor, got {value.ndim} dims"
            )
        dt = self._data.dtype  # the value takes self's dtype (torch: ints stay ints, 7.9 -> 7)
        v = value._cast(dt) if isinstance(value, Tensor) and value._data.dtype != dt else value
        x = self.contiguous()  # torch's result is contiguous whatever self's layout (Where keeps it)
        out = _ag.Where.apply(m, v if isinstance(v, Tensor) else dt.type(fill_value(v, dt)), x)
        return _ag.watch(_ag.renamed(out, "MaskedFillBackward0"), mask)

    def type_as(self, other) -> Tensor:
        """This tensor in other's dtype (itself if it already has it), like torch."""
        return self.to(need_tensor(other, "type_as", "other").dtype)

    def _floating(self):
        return self if self._data.dtype.kind == "f" else self._cast(default_float())

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        t = self if dtype is None else self._reduce_in(dtype)
        if (
            dtype is None and t._data.dtype.kind in "biu" and t._data.dtype != int64
        ):  # bool/uint8/int32 sum to int64, like torch (unless dtype= says otherwise)
            t = t._cast(int64)
        if isinstance(dim, (tuple, list)) and not dim:  # dim=() reduces over everything, like torch
            dim = None
        out = _ag.Sum.apply(t, dim=dim, keepdim=keepdim)  # NumPy sums small integers wider: cast back
        return out if out._data.dtype == t._data.dtype else out._cast(t._data.dtype)

    def prod(self, dim=None, keepdim=False, dtype=None):
        """The product of the elements (along dim), like torch.prod: integers and bools give
        int64; the gradient of each element is the product of the others (exact at zeros)."""
        t = self if dtype is None else self._reduce_in(dtype)
        if dtype is None and t._data.dtype.kind in "biu" and t._data.dtype != int64:
            t = t._cast(int64)
        if dim is not None and (isinstance(dim, (tuple, list)) or not hasattr(dim, "__index__")):
            raise TypeError(f"prod(): dim must be an int, got {type(dim).__name__}")
        out = _ag.Prod.apply(t, dim=dim, keepdim=keepdim)
        return out if out._data.dtype == t._data.dtype else out._cast(t._data.dtype)

    def repeat_interleave(self, repeats, dim=None, output_size=None):
        """Each element (or slice along dim) repeated `repeats` times in place, like torch:
        [1, 2].repeat_interleave(2) -> [1, 1, 2, 2]; repeats may be a tensor, one count each."""
        x, d = (self.reshape(-1), 0) if dim is None else (self, one_dim(dim, self.ndim))
        n, tensor_counts = x.shape[d], isinstance(repeats, TensorBase)
        if tensor_counts and repeats._data.dtype.kind not in "iu":  # (torch's kernel counts in integers)
            raise NotImplementedError(
                f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype.torch_name}'"
            )
        counts = np.asarray(_backend(repeats.device).to_numpy(repeats._data) if tensor_counts else repeats)
        if counts.ndim > 1 or (counts.ndim == 1 and counts.size not in (1, n)):
            raise ShapeError(
                f"repeats must have the same size as input along dim, but got repeats.size(0) = {counts.size} and input.size({d}) = {n}"
            )
        if counts.size and int(counts.min()) < 0:
            raise ArgumentError("repeats can not be negative")
        idx = np.repeat(np.arange(n, dtype=np.int64), counts.reshape(-1) if counts.ndim else int(counts))
        return x.index_select(d, _from_data(idx, None, self.device))

    def mean(self, dim=None, keepdim=False, dtype=None):
        t = self if dtype is None else self._cast(_dtype(dtype))
        if t._data.dtype.kind != "f":
            which = "Input" if dtype is None else "Optional"
            raise DTypeError(
                f"mean(): could not infer output dtype. {which} dtype must be either a floating point or complex "
                f"dtype. Got: {_dtypes.torch_name(t.dtype)}"
            )
        if isinstance(dim, (tuple, list)) and not dim:
            dim = None
        return _ag.Mean.apply(t, dim=dim, keepdim=keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        """Variance (Bessel-corrected by default, like torch.var; var(False) is torch's var(unbiased))."""
        return self._var(dim, unbiased, keepdim, correction, "var")

    def _var(self, dim, unbiased, keepdim, correction, op):
        if isinstance(dim, _PY_BOOL):  # the legacy overload var(unbiased): over all elements
            dim, unbiased = None, dim
        if isinstance(dim, (tuple, list)) and not dim:  # dim=[] is every dim, as torch (and mean)
            dim = None
        if self._data.dtype.kind not in "fc":  # (x.std() of integers: torch's message, not mean()'s)
            raise DTypeError("std and var only support floating point and complex dtypes")
        corr = (1 if unbiased else 0) if correction is None else correction
        dims = normalize_dims(dim, self.ndim)
        n = 1
        for d in dims:
            n *= self.shape[d] if self.ndim else 1
        if n - corr <= 0:  # (one sample, Bessel-corrected: NaN, with torch's warning)
            msg = "degrees of freedom is <= 0. Correction should be strictly less than the reduction factor"
            warnings.warn(f"{op}(): {msg} (input numel divided by output numel).", UserWarning, stacklevel=3)
        # torch's CPU kernel accumulates float32 in double and rounds once: the same here
        # (x.std().item() prints torch's digits); one node, whose backward reads what torch's saves
        wide = self.device == "cpu" and self._data.dtype.kind == "f" and self._data.dtype.itemsize < 8
        node = _ag.Std if op == "std" else _ag.Var
        return node.apply(self, dims=tuple(dims), correction=corr, keepdim=keepdim, wide=wide)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        """Standard deviation: sqrt of var, computed as torch's (in double for float32 on the CPU)."""
        return self._var(dim, unbiased, keepdim, correction, "std")

    def max(self, *args, **kwargs):
        """max over all elements, or (values, indices) along `dim` like torch.max; with a
        tensor (x.max(y), x.max(other=y)) the elementwise maximum."""
        dim, keepdim, other = extreme_form("max", args, kwargs)
        if other is not None:
            return self.maximum(other)
        if dim is None:  # NaNs share the gradient, as torch's max() (amax gives NaN everywhere)
            return _ag.MaxMinAll.apply(self, largest=True, nan_shares=True)
        return self._max_min_dim(dim, keepdim, True)

    def min(self, *args, **kwargs):
        """min over all elements, or (values, indices) along `dim` like torch.min (or minimum)."""
        dim, keepdim, other = extreme_form("min", args, kwargs)
        if other is not None:
            return self.minimum(other)
        if dim is None:
            return _ag.MaxMinAll.apply(self, largest=False, nan_shares=True)
        return self._max_min_dim(dim, keepdim, False)

    def amax(self, dim=None, keepdim=False):
        """The maximum over dim (an int, a tuple, or None for all), like torch.amax."""
        return self._amax_amin(dim, keepdim, True)

    def amin(self, dim=None, keepdim=False):
        return self._amax_amin(dim, keepdim, False)

    def _amax_amin(self, dim, keepdim, largest):
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):  # amax(()): every dim, as torch
            out = _ag.MaxMinAll.apply(self, largest=largest)  # ties share the gradient, like torch
            out = out.reshape((1,) * self.ndim) if keepdim else out
        elif self.ndim == 0:  # (its one dim, 0 or -1: the whole tensor, a node that keeps its result)
            normalize_dims(dim, 0)
            out = _ag.MaxMinAll.apply(self, largest=largest)
        else:
            out = _ag.AMaxMin.apply(
                self, dims=normalize_dims(dim, self.ndim), keepdim=keepdim, largest=largest
            )
        return _ag.renamed(out, "AmaxBackward0" if largest else "AminBackward0")

    def _max_min_dim(self, dim, keepdim, largest):
        values = _ag.MaxMinDim.apply(self, dim=dim, keepdim=keepdim, largest=largest)
        node = values._node
        if node is None:  # no graph was recorded: recompute the indices cheaply
            x = self.to(_dtypes.uint8) if self._data.dtype.kind == "b" else self  # (argmax refuses bool)
            idx = x.argmax(dim, keepdim) if largest else x.argmin(dim, keepdim)
            return (_return_types.max if largest else _return_types.min)(values, idx)
        idx = _wrap(node.indices, self.device)  # backward reads these: a change to them raises, as torch
        return (_return_types.max if largest else _return_types.min)(_ag.watch(values, idx), idx)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """Indices that sort along dim (int64, no gradient), in torch's order among equal values
        (pyneuro/_sorting.py); stable=True (keyword-only, as in torch) keeps their order."""
        _sorting.check_args("argsort", descending=descending, stable=stable)
        if self.ndim:
            d = one_dim(dim, self.ndim)
            idx = _sorting.argsort(self._data, d, descending, _PY_BOOL(stable))
            if idx is not None:
                return _wrap(idx, self.device)
        return super().argsort(dim, descending, stable)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices) sorted along dim; values are differentiable (a gather)."""
        idx = self.argsort(dim, descending, stable=stable is True)  # (stable=None: False, as torch's bool?)
        empty = not self.ndim or not self.numel()  # (an empty tensor: no index grid over its shape)
        values = _ag.renamed(self.clone() if empty else self._gather(dim, idx), "SortBackward0")
        return _return_types.sort(_ag.watch(values, idx), idx)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (or smallest) entries along dim, like torch.topk
        (the same indices among equal values: pyneuro/_sorting.py)."""
        _sorting.check_args("topk", k=k, largest=largest, sorted=sorted)
        k, dim = _op.index(k), dim_int(dim)
        if self._data.dtype.kind == "b":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        if self.ndim == 0:  # torch: one entry along dim 0 (or -1); k = 0 too gives it, 0-d
            normalize_dims(dim, 1)
            self.reshape(1).topk(k, 0, largest, sorted)  # k's checks
            v, i = self.reshape(1).topk(1)
            return _return_types.topk(v.reshape(()), i.reshape(()))
        n = self.shape[dim]
        if not 0 <= k <= n:
            raise ShapeError(f"topk: k={k} is out of range for dimension {dim} of size {n}")
        d = dim % self.ndim
        idx = _sorting.topk(self._data, d, k, largest, sorted)
        idx = super().argsort(dim, largest).narrow(d, 0, k) if idx is None else _wrap(idx, self.device)
        if not idx.numel():  # (no index grid over an empty shape)
            return _return_types.topk(_ag.renamed(self.narrow(d, 0, k).clone(), "TopkBackward0"), idx)
        return _return_types.topk(_ag.watch(_ag.renamed(self._gather(dim, idx), "TopkBackward0"), idx), idx)


def _int_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Integer @ integer (e.g. a dot product of int vectors), exact, like torch (no gradient:
    integer tensors never require grad)."""
    _checks.tensor_matmul_shapes(a.shape, b.shape)
    a, b = _promote(a, b)
    xp = _backend(a.device).xp
    return _wrap(xp.asarray(xp.matmul(a._data, b._data)), a.device)  # (a dot product: a 0-d array)


_register_tensor_class(Tensor)
defer_to_reflected(Tensor, OPERATORS + ("ne", "lt", "le", "gt", "ge"))  # (not eq: t == array compares)
defer_to_reflected(Tensor, [k + n for k in "ri" for n in OPERATORS if hasattr(Tensor, f"__{k}{n}__")])


def __getattr__(name: str):
    """pyneuro.tensor.zeros, .cat, .sum, .float32, ...: the factories, free functions and
    dtypes, which live in creation.py, functions.py and _dtype.py (importable from here too,
    without shadowing Python's sum/max/float inside this module)."""
    if not name.startswith("__"):
        for module in (_creation, _functions, _dtypes):
            if hasattr(module, name):
                return getattr(module, name)
    raise AttributeError(f"module 'pyneuro.tensor' has no attribute {name!r}")
