"""TensorBase: the storage of a Tensor and everything about it that records no graph.

A Tensor (pyneuro/tensor.py) holds
    _data    the array (a NumPy array on "cpu", a device array on "cuda"),
    device   "cpu" or "cuda",
    _req     requires_grad,
    _node    the Function that produced it (grad_fn; None for leaves),
    _grad    the accumulated gradient (None until the first backward), read and set as
             `grad`: the setter checks what is assigned as torch's does.

This module defines those slots, the one constructor path `_wrap` (every op, factory and
the autograd engine build their Tensors with it), and the methods that never record a graph:
properties, conversion to NumPy/Python, printing (comparisons, truth tests and argsort: the
CompareMethods mixin, _tensor_compare.py, on the binary ops' operand rule `_other`). The
ops that record a graph are Tensor's, in tensor.py, which sits above the autograd package.

Arrows: this module imports only _errors, _dtype, _shapes and backends. The autograd engine
imports it (it sees tensors only through these slots); tensor.py subclasses TensorBase and
registers the class that `_wrap` builds (like PyTorch's C++ core, which builds instances
of the Python torch.Tensor class it is given).
"""

from __future__ import annotations

import builtins
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ._device import _DEVICES, cuda_device, device_type
from ._dtype import (
    _PY_BOOL,
    _PY_FLOAT,
    _PY_INT,
    _dtype,
    bool_,
    c_type_name,
    default_float,
    fill_value,
    float16,
    int64,
    number_fill,
    public,
    torch_name,
    uint8,
)
from ._errors import ArgumentError, DataError, DeviceUnavailable, ShapeError
from ._host_data import (
    TORCH_NUMPY_DTYPES,
    huge_int_inside,
    is_other_sequence,
    list_item,
    not_numbers,
    sequence_data,
    undetermined_dtype_error,
)
from ._shapes import Size, dim_int, normalize_dims, size_of
from ._tensor_str import tensor_str
from .backends._registry import current as _current_backend

if TYPE_CHECKING:  # annotations only: tensor.py imports this module, not the other way round
    from .tensor import Tensor

_TENSOR_CLASS = None  # pyneuro.tensor.Tensor, registered by tensor.py when it is imported


class _AlwaysOn:
    enabled = True


# autograd's thread-local grad mode, registered by autograd/function.py (this module sits below it)
_GRAD_MODE = [_AlwaysOn, [False]]  # [1]: grad_mode.inference_used (has any inference_mode begun?)


def _register_grad_mode(mode, inference_used) -> None:
    _GRAD_MODE[:] = [mode, inference_used]


# autograd/inplace.refresh_view, registered there: re-derives a view's grad_fn from its base
_VIEW_REFRESH = [None]
# the kinds of view[2] whose refresh never changes requires_grad, only checks (and may raise), so
# that reading requires_grad does not refresh (a piece of split: autograd.view_steps), as torch's
KEEPS_REQUIRES_GRAD = set()
DATA_ASSIGNED = [0]  # `t.data = other` calls so far: while 0 the engine seeks no replaced inputs (autograd)


def _register_view_refresh(fn) -> None:
    _VIEW_REFRESH[0] = fn


def _register_tensor_class(cls) -> None:
    global _TENSOR_CLASS
    _TENSOR_CLASS = cls


class _InferenceVersions(list):
    """An inference tensor's version counter (is_inference): its type marks the tensor and views."""


def _fill(t, array, device, node=None, requires_grad=False):
    """Set every slot of a new tensor t (the one place that does)."""
    t._data = array
    t.device = _DEVICES.get(device, device)  # a pn.device (a str: "cpu" == t.device)
    t._req = requires_grad
    t._node = node
    t._grad = None
    t._retain = False
    # the version counter, shared with views (autograd/inplace.py); marked in inference_mode
    t._vc = _InferenceVersions((0,)) if _GRAD_MODE[1][0] and _GRAD_MODE[0].inference else [0]
    t._view = None  # (base, steps) for a view of another tensor
    return t


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)


def _check_assigned_grad(t, g) -> None:
    """`t.grad = g` as torch checks it: a tensor of t's size, dtype and device (a wrong one
    would otherwise broadcast silently in the optimizer's step). A sparse COO tensor is checked by its values."""
    sparse = getattr(type(g), "is_sparse", False) is True
    if sparse:
        g = _SparseShape(g._vals._data.dtype, g.device, tuple(g.shape))
    elif not isinstance(g, TensorBase):
        raise TypeError(
            f"assigned grad expected to be a Tensor or None but got grad of type {type(g).__name__}"
        )
    if g is t:
        raise RuntimeError("can't assign Variable as its own grad")
    if g._data.dtype != t._data.dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{c_type_name(g._data.dtype)}' to a tensor with grad_dtype "
            f"'{torch_name(t._data.dtype)}'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype)."
        )
    if str(g.device) != str(t.device):
        raise RuntimeError(
            f"assigned grad has data located on a different device ({g.device}, not {t.device})"
        )
    if tuple(g._data.shape) != tuple(t._data.shape):
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(g._data.shape)}' to a tensor of size "
            f"'{list(t._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
        )


class _SparseShape:
    """What `t.grad = g` checks of a sparse g: the dtype of its values, its device, its shape."""

    def __init__(self, dtype, device, shape):
        self._data, self.device = np.broadcast_to(np.empty((), dtype), shape), device  # (no memory)


def _wrap(array, device="cpu", node=None, requires_grad=False):
    """The one constructor path: wrap a backend array into a Tensor, without copying or checking."""
    return _fill(_TENSOR_CLASS.__new__(_TENSOR_CLASS), array, device, node, requires_grad)


def _device(device) -> str:
    """'cpu', 'cuda', 'cuda:0', or an object with .type -> 'cpu' or 'cuda'."""
    if device is None:
        return "cpu"
    if isinstance(device, TensorBase):
        return device.device
    if isinstance(device, int) and not isinstance(device, bool):  # device=0: an ordinal, the GPU, as torch's
        return cuda_device(device).type
    name = getattr(device, "type", device)
    if not isinstance(name, str):
        raise TypeError(f"device must be a string like 'cpu' or 'cuda', got {device!r}")
    return device_type(name)


def _backend(device: str):
    """The kernel table for device; DeviceUnavailable (a RuntimeError, and an AssertionError as
    torch's CPU-only build raises) with the registry's reason if none."""
    try:
        return _current_backend(device)
    except RuntimeError as exc:
        raise DeviceUnavailable(f"cannot use device {device!r}: {exc}") from None


# The dtypes a NumPy array keeps as it is (the rule below: torch's); from_numpy wraps such an
# array without asking _host_array.
KEPT_AS_IS = frozenset(
    np.dtype(t)
    for t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_)
)


def _host_array(data, dtype=None):
    """Python data / NumPy array -> NumPy array with pyneuro's default dtypes."""
    if dtype is None and type(data) is np.ndarray and data.dtype in KEPT_AS_IS:
        return data
    if isinstance(data, TensorBase):
        arr = np.asarray(_backend(data.device).to_numpy(data._data))
    else:
        if is_other_sequence(data):  # a pandas Series, a memoryview: item by item, as torch
            data = sequence_data(data)
        try:
            data = _tensors_as_scalars(data) if isinstance(data, (list, tuple)) else data
            arr = np.asarray(data)
        except (ValueError, RecursionError) as exc:  # ragged or too deep lists: torch's ValueError
            raise DataError(f"cannot make a tensor from {type(data).__name__}: {exc}") from None
        except TypeError as exc:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {exc}") from None
    keep = isinstance(data, (np.ndarray, np.generic, TensorBase))
    if not keep and arr.dtype.kind in "uOf" and huge_int_inside(arr, data):  # (NumPy: [1, 2**63] float64)
        if dtype is not None and np.dtype(dtype).kind == "f":  # (as floats they fit: 2**63 is 9.2234e+18)
            return np.asarray(arr, dtype=np.float64).astype(dtype)
        if not any(isinstance(x, float) for x in np.asarray(data, dtype=object).ravel()):
            raise DataError("Overflow when unpacking long long")  # Python ints only, one beyond int64
        arr = np.asarray(arr, dtype=np.float64)  # a float among them: all are floats, as torch's
    if arr.dtype.kind in "OUSVMmc" and (refusal := not_numbers(arr, data, keep, dtype)) is not None:
        raise refusal
    if arr.dtype.kind == "f" and arr.dtype not in TORCH_NUMPY_DTYPES:  # np.longdouble: torch's TypeError
        raise undetermined_dtype_error(arr)
    if dtype is not None:
        if not keep and arr.size and arr.dtype.kind in "iuf" and np.dtype(dtype).kind in "iu":
            fill_value(arr.min().item(), dtype)  # Python numbers must fit: [300] as int8 raises
            fill_value(arr.max().item(), dtype)
        with np.errstate(over="ignore", invalid="ignore"):  # 1e300 as float32 is inf, NaN as int32 garbage
            return arr.astype(dtype, copy=False)
    # torch's rule: NumPy arrays and scalars (and tensors) keep their dtype (float64 stays
    # float64); Python floats become float32 (the default dtype) and Python ints int64.
    # In a list, NumPy scalars/arrays and tensors keep their dtype too and promote with the
    # Python numbers ([1.5, np.float64(2)] is float64, [np.int32(3)] int32), as torch's are.
    listed = isinstance(data, (list, tuple))
    kind = arr.dtype.kind
    if kind == "f":
        default = default_float()
        if keep or arr.dtype == default or arr.dtype == float16:
            return arr
        return arr if listed and arr.dtype == np.float64 and _float64_inside(data) else arr.astype(default)
    if kind in "iu":  # (a list of Python ints is int64 already: any other width came from NumPy)
        kept = (keep or listed) and arr.dtype.itemsize <= 8 and (kind == "i" or arr.dtype == uint8)
        if kept or arr.dtype == int64 or arr.dtype == uint8:
            return arr
        if arr.dtype.itemsize == 8 and kind == "u" and arr.size and arr.max() > np.iinfo(int64).max:
            raise DataError(  # (uint16/32 and smaller uint64 values fit int64; these would wrap to negatives)
                "pyneuro has no uint64 tensors (only uint8 among the unsigned) and these values exceed int64: "
                "convert the array to float64 or int64 first"
            )
        return arr.astype(int64)
    return arr


_SCALAR_WARNED = [False]


def _warn_scalar_of_grad_tensor(stacklevel: int) -> None:
    """torch's warning for float(t) / torch.tensor([t]) of a tensor that requires grad: once per
    process, as torch's TORCH_WARN_ONCE (Python's default filter would repeat it at each line)."""
    if not _SCALAR_WARNED[0]:
        _SCALAR_WARNED[0] = True
        warnings.warn(
            "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
            "Consider using tensor.detach() first.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )


def _tensors_as_scalars(data):
    """A nested list with tensors in it, each tensor as a NumPy scalar of its dtype (so it
    promotes as torch's does: [t_float64] is float64): torch.tensor([loss1, loss2]) reads each
    one-element tensor as a number (grad-requiring ones with torch's warning) and refuses a
    bigger one. The list itself when it holds no tensor (checked without copying it)."""
    out = None
    for i, x in enumerate(data):
        if isinstance(x, (list, tuple)):
            y = _tensors_as_scalars(x)
        elif isinstance(x, TensorBase):
            if x._data.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            if x._req and _GRAD_MODE[0].enabled:
                _warn_scalar_of_grad_tensor(stacklevel=4)
            y = np.asarray(_backend(x.device).to_numpy(x._data)).reshape(-1)[0]
        elif type(x) is not _PY_FLOAT and type(x) is not _PY_INT:
            y = list_item(x)  # [series1, series2]: each series item by item; [array1, array2] warns
        else:
            continue
        if y is not x:
            out = list(data) if out is None else out
            out[i] = y
    return data if out is None else out


def _float64_inside(data) -> bool:
    """Does the nested list hold a float64 NumPy scalar/array or tensor (not just Python floats)?"""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (np.ndarray, np.generic)):
            if x.dtype == np.float64:
                return True
        elif isinstance(x, TensorBase) and x._data.dtype == np.float64:
            return True
    return False


def _size(args) -> tuple:
    """Sizes given as zeros(2, 3) or zeros((2, 3)) -> (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for s in args:
        if isinstance(s, TensorBase):
            s = s.item()
        if (isinstance(s, _PY_BOOL) and not out) or not isinstance(s, (_PY_INT, np.integer)):
            raise TypeError(f"sizes must be ints, got {s!r}")  # (a later bool is torch's index: (2, 1))
        if s < 0:
            raise ShapeError(f"negative dimension {s} in size {tuple(args)}")
        out.append(_PY_INT(s))
    return tuple(out)


def _from_data(data, dtype=None, device=None):
    """A new tensor holding a copy of data (the body of pn.tensor and Tensor.new_tensor)."""
    dev = _device(device)
    arr = _host_array(data, _dtype(dtype))
    if dev == "cpu" and (arr is data or (isinstance(data, TensorBase) and data.device == "cpu")):
        arr = arr.copy()  # pn.tensor always copies, like torch.tensor
    return _wrap(_backend(dev).asarray(np.asarray(arr, order="C")), dev)


class TensorBase:
    """The slots of a Tensor and its methods that record no graph (see the module docstring).

    Methods here may call the graph-recording ones Tensor defines (`_cast`, `reshape`, ...).
    """

    __slots__ = (
        "_data",
        "device",
        "_req",
        "_node",
        "_grad",
        "_retain",
        "_vc",
        "_view",
        "__weakref__",
        "__dict__",
    )

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> Size:
        return size_of(self._data.shape)

    def size(self, dim=None):
        """The shape (a pn.Size), or the length of one dimension (like torch.Tensor.size)."""
        if dim is None:
            return size_of(self._data.shape)
        try:
            return self._data.shape[dim_int(dim)]
        except IndexError:  # torch's words (normalize_dims raises them)
            if not self._data.ndim:
                raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions") from None
            normalize_dims(dim, self.ndim)
            raise

    @property
    def dtype(self):
        """A pn.dtype (pn.float32, ...): prints like torch's, equals the NumPy dtype (pyneuro/_dtype.py)."""
        return public(self._data.dtype)

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

    def _sync_view(self) -> None:
        """A view whose base got a new grad_fn since it was made (an in-place op on the base or on
        another view of it) takes the view of the base's new node, as torch regenerates a view's
        grad_fn when it is read: `v = x[1:]; x.mul_(2); v.grad_fn` is the view of MulBackward0's
        result, and `v.backward(g)` sees the multiplication."""
        view = self._view
        if view is not None and view[2] is not view[0]._node:
            mode = _GRAD_MODE[0]
            was = mode.enabled
            mode.enabled = True  # (reading grad_fn under no_grad re-derives it too, as torch's)
            try:
                _VIEW_REFRESH[0](self)
            finally:
                mode.enabled = was

    @property
    def requires_grad(self) -> bool:
        view = self._view
        if view is not None and type(view[2]) not in KEEPS_REQUIRES_GRAD:
            self._sync_view()
        return self._req

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        if not isinstance(value, _PY_BOOL):
            raise RuntimeError("requires_grad must be a bool")
        if value and type(self._vc) is _InferenceVersions and not _GRAD_MODE[0].inference:
            raise RuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
            )
        if self._node is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        self._req = value

    def requires_grad_(self, requires_grad=True) -> Tensor:
        if not isinstance(requires_grad, _PY_BOOL):
            raise TypeError(
                "requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                + type(requires_grad).__name__
            )
        if requires_grad and self._data.dtype.kind != "f":  # (torch's own wording here, not the setter's)
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        if self._view is not None:
            self._sync_view()
        return self._node is None

    def is_inference(self) -> bool:
        """True for a tensor made inside torch.inference_mode() (or a view of one), as torch's."""
        return type(self._vc) is _InferenceVersions

    @property
    def grad(self):
        """The gradient accumulated by backward (None before). On a non-leaf tensor it stays None
        unless retain_grad() was called; reading it then warns, as torch does."""
        g = self._grad
        if g is None and self._node is not None and not self._retain:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            _check_assigned_grad(self, value)
        self._grad = value

    @property
    def grad_fn(self):
        """The node that made this tensor (None for leaves), named as torch names it (AddBackward0, ...)."""
        if self._view is not None:
            self._sync_view()
        return None if self._node is None else self._node.torch_node()

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
    def data(self) -> Tensor:
        """The same array as a tensor outside the graph (like torch's .data)."""
        return _wrap(self._data, self.device)

    @data.setter
    def data(self, value) -> None:
        if self._req and isinstance(value, TensorBase) and value._data.dtype.kind not in "fc":  # (torch's)
            raise RuntimeError(
                "data set to a tensor that requires gradients must be floating point or complex dtype"
            )
        self._set_data(value)
        DATA_ASSIGNED[0] += 1  # (a node that saved this tensor reads the new array: the engine looks now)

    def _set_data(self, value) -> None:
        """`self.data = value` for pyneuro's own conversions (Module.to, lazy parameters): not counted."""
        if not isinstance(value, TensorBase):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        self.device = value.device

    @property
    def backend(self):
        """The kernel table that computes this tensor's ops (pyneuro.backends.current)."""
        return _backend(self.device)

    # ------------------------------------------------------------------ conversion
    def detach(self) -> Tensor:
        """A tensor sharing this one's array (and version counter), outside the graph."""
        out = _wrap(self._data, self.device)
        out._vc = self._vc
        return out

    @property
    def _base(self):
        """The tensor this one is a view of, or None (like torch's t._base)."""
        return None if self._view is None else self._view[0]

    def detach_(self) -> Tensor:
        """Detach in place: no grad_fn, no requires_grad. A view cannot (torch's RuntimeError): its
        base would go on sharing memory with a tensor that left the graph."""
        if self._view is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
                "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._node = None
        self._req = False
        return self

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array (shares memory on cpu). force=True: detached and copied to the
        host first when needed, as torch's numpy(force=True)."""
        if force:
            return self.detach().cpu().numpy()
        if self._req and _GRAD_MODE[0].enabled:  # (under no_grad, and in a Function's forward, it may)
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        if self.device != "cpu":
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first."
            )
        return _backend(self.device).to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        if self._req and _GRAD_MODE[0].enabled:  # np.asarray(t) is t.numpy() (torch raises the same)
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        arr = np.asarray(_backend(self.device).to_numpy(self._data))
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def __dlpack__(self, *args, **kwargs):
        """DLPack export (torch.from_dlpack(t), np.from_dlpack(t)): zero-copy, the array's own capsule."""
        if self._req:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")  # as torch
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self):
        return np.asarray(_backend(self.device).to_numpy(self._data)).tolist()

    def __float__(self):
        if self._data.size != 1:
            raise ArgumentError("only one element tensors can be converted to Python scalars")
        if self._req and _GRAD_MODE[0].enabled:  # torch's warning (float(t) only, and not under no_grad)
            _warn_scalar_of_grad_tensor(stacklevel=2)
        return _PY_FLOAT(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ArgumentError("only one element tensors can be converted to Python scalars")
        return _PY_INT(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return _PY_INT(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return _PY_BOOL(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__  # by identity, as torch (== is elementwise); in C: dict lookups stay cheap

    # ------------------------------------------------------------------ repr
    def __repr__(self) -> str:
        host = np.asarray(_backend(self.device).to_numpy(self._data))
        suffixes = []
        if self.device != "cpu":
            suffixes.append(f"device='{self.device}'")  # (a GPU tensor's device prints cuda:0)
        plain = (default_float(),) if host.size == 0 else (default_float(), int64, bool_)  # as torch:
        if host.dtype not in plain:  # an empty tensor shows any dtype but the default float's
            suffixes.append(f"dtype=pyneuro.{host.dtype}")
        if self._node is not None:
            suffixes.append(f"grad_fn=<{self._node.name()}>")
        elif self._req:
            suffixes.append("requires_grad=True")
        return tensor_str(host, suffixes)

    def __str__(self) -> str:
        return self.__repr__()

    def __format__(self, spec: str) -> str:
        # f"{t}" of a 0-d tensor formats its number, as torch does (f"{loss:.3f}" too); a format
        # spec on a tensor with dimensions is torch's TypeError (object.__format__'s)
        if self._data.ndim == 0 and type(self) is _TENSOR_CLASS:  # (not a Parameter's, as torch)
            return format(self.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __contains__(self, element) -> bool:
        """`v in t`: does any element equal v (torch's rule: a number or a tensor)."""
        if not isinstance(element, (TensorBase, int, float, bool)):
            raise RuntimeError(
                f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}."
            )
        return bool((self == element).any())

    def ndimension(self) -> int:
        return self.ndim

    def get_device(self) -> int:
        return -1 if self.device == "cpu" else 0


def _promote(a: TensorBase, b: TensorBase):
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


def need_tensor(x, fname, arg="input", pos=1):
    """torch's TypeError for a plain number where it takes only a Tensor."""
    if not isinstance(x, TensorBase):
        raise TypeError(
            f"{fname}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}"
        )
    return x


def _broadcast_check(a: TensorBase, b: TensorBase, what: str) -> None:
    """ShapeError (a RuntimeError, as in torch) naming both shapes if a and b do not broadcast."""
    sa, sb = a._data.shape, b._data.shape
    for i in range(1, builtins.min(builtins.len(sa), builtins.len(sb)) + 1):
        if sa[-i] != sb[-i] and sa[-i] != 1 and sb[-i] != 1:
            raise ShapeError(
                f"{what}: the size of tensor a ({sa[-i]}) must match the size of tensor b ({sb[-i]}) at "
                f"non-singleton dimension {builtins.max(builtins.len(sa), builtins.len(sb)) - i} "
                f"(shapes {tuple(sa)} and {tuple(sb)})"
            )


def _value_array(value, like: TensorBase):
    """value (a number or nested lists) as an array of like's dtype; a number must fit it (fill_value)."""
    return _backend(like.device).asarray(
        np.asarray(number_fill(value, like._data.dtype), dtype=like._data.dtype)
    )
