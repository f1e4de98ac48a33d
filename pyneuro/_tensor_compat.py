"""The torch spellings of the Tensor methods that course code uses (`import pyneuro as torch`).

`CompatMethods` is a mixin of Tensor (tensor.py): the legacy type strings (`t.type()`), the
methods that are one call into a free function (`t.roll`, `t.bincount`), the memory questions
(`stride`, `data_ptr`, `storage`) and NumPy's protocol (`np.exp(t)`, `np.argmax(t)`: ufuncs and
`__array_wrap__` hand back tensors, as torch's). `accept_numpy_keywords`
is the class decorator that lets the methods taking a dim also take NumPy's `axis=`/`keepdims=`
(the rule itself is `_shapes.numpy_keywords`, shared with the free functions).

Arrows: imports _dtype, _shapes, _tensor_base, functions and functions_scan; tensor.py imports this module.
"""

from __future__ import annotations

import copy

import numpy as np

from . import _shared_memory
from . import cuda as _cuda
from . import functions_scan as _scan
from . import storage as _storage
from ._dtype import DType, _dtype, bool_, default_float, int8, int16, torch_name, uint8
from ._errors import comparison_method
from ._host_data import TORCH_NUMPY_DTYPES, undetermined_dtype_error
from ._memory import check_allocation
from ._shapes import numpy_keywords
from ._sparse_coo import dense_to_sparse, sparse_coo
from ._tensor_base import TensorBase, _backend, _wrap
from .autograd.grad_mode import is_grad_enabled
from .backends.torch_flags import uninitialized_fill
from .creation import tensor
from .functions import bincount, roll
from .strided import as_strided
from .torch_runtime import channels_last, channels_last_3d, contiguous_format, legacy_new, strided

# t.type(): torch's legacy tensor type names. They stay "torch.*" under pyneuro, since they
# are strings course code compares (`x.type() == 'torch.FloatTensor'`), not module paths.
_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_FROM_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}

# The Tensor methods that take a dim and so also take axis= / keepdims= (as torch does).
DIM_METHODS = (
    "sum",
    "mean",
    "std",
    "var",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "all",
    "any",
    "logsumexp",
    "softmax",
    "log_softmax",
    "cumsum",
    "norm",
    "sort",
    "argsort",
    "topk",
    "squeeze",
    "unsqueeze",
    "prod",
    "chunk",
    "split",
    "unbind",
    "gather",
    "index_select",
    "repeat_interleave",
    "cumprod",
    "logcumsumexp",
    "cummax",
    "cummin",
    "median",
    "nanmedian",
    "mode",
)


def accept_numpy_keywords(cls):
    """Class decorator: wrap cls's DIM_METHODS with `numpy_keywords` (once, at import)."""
    for name in DIM_METHODS:
        setattr(cls, name, numpy_keywords(getattr(cls, name)))
    return cls


class CompatMethods:
    """torch.Tensor methods whose body is elsewhere: legacy type strings, roll, bincount, and the
    scans and order statistics of functions_scan.py (cumprod, cummax, median, mode, ...)."""

    __slots__ = ()
    # the comparison methods (the operators are TensorBase's): torch's TypeError for x.eq("a")
    eq, ne, lt, le, gt, ge = (comparison_method(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))

    # ------------------------------------------------------------------ pickle and copy.deepcopy
    def __reduce_ex__(self, protocol):
        """pickle as torch: the values, dtype, device, requires_grad and the attributes a user
        set on it (t.name = ...); a tensor from a graph comes back as a leaf (its history is not
        pickled) and .grad stays behind."""
        rebuild, args, (attributes, slots) = object.__reduce_ex__(self, protocol)[:3]
        slots = dict(slots, _node=None, _grad=None, _retain=False, _view=None, _vc=[0])
        return rebuild, args, (attributes or None, slots)

    def __deepcopy__(self, memo):
        """copy.deepcopy as torch: a leaf with its .grad (every slot deep-copied, views of one
        base sharing the copy of it); a tensor in a graph raises torch's RuntimeError."""
        if self._node is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                "because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        return copy._reconstruct(self, memo, *object.__reduce_ex__(self, 4))

    def type(self: TensorBase, dtype=None, non_blocking=False, **kwargs):
        """No argument: torch's type string ('torch.FloatTensor'); else a cast (a dtype or such a string)."""
        if dtype is None:
            where = "torch.cuda." if self.device == "cuda" else "torch."
            return where + _TYPE_NAMES.get(self._data.dtype.name, self._data.dtype.name)
        if isinstance(dtype, str):  # 'torch.FloatTensor' (on the CPU) or 'torch.cuda.FloatTensor', as torch
            where, _, name = dtype.rpartition(".")
            if where not in ("torch", "torch.cuda") or (name not in _FROM_TYPE_NAME and name != "Tensor"):
                raise ValueError(f"invalid type: {dtype!r}")
            out = self._cast(_dtype(default_float() if name == "Tensor" else np.dtype(_FROM_TYPE_NAME[name])))
            device = "cuda" if where == "torch.cuda" else "cpu"
            return out if out.device == device else out.to(device)
        if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), DType):
            dtype = dtype.dtype  # a legacy class: t.type(torch.DoubleTensor)
        return self._cast(_dtype(dtype))

    def roll(self, shifts, dims=None):
        return roll(self, shifts, dims)  # (pn.roll names its node RollBackward0)

    def as_strided(self, size, stride, storage_offset=None):
        return as_strided(self, size, stride, storage_offset)

    def bincount(self, weights=None, minlength=0):
        return bincount(self, weights, minlength)

    def ravel(self):
        return self.reshape(-1)

    def cumprod(self, dim, dtype=None):
        return _scan.cumprod(self, dim, dtype=dtype)

    def logcumsumexp(self, dim):
        return _scan.logcumsumexp(self, dim)

    def cummax(self, dim):
        return _scan.cummax(self, dim)

    def cummin(self, dim):
        return _scan.cummin(self, dim)

    def median(self, dim=None, keepdim=False):
        return _scan.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return _scan.nanmedian(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _scan.mode(self, dim, keepdim)

    # ---- the rest of torch.Tensor's surface that a script touches: casts, memory and layout queries
    def _reduce_in(self, dtype):
        """self in a reduction's dtype= (sum, prod, cumsum, cumprod); an integer one for a tensor
        that records a graph is torch's RuntimeError (no gradient can flow through it)."""
        d = _dtype(dtype)
        if d.kind in "biu" and self._req and is_grad_enabled():
            raise RuntimeError(f"Autograd not support dtype: {torch_name(d)}")
        return self._cast(d)

    def byte(self, *, memory_format=None):
        return self._cast(uint8)

    def char(self, *, memory_format=None):
        return self._cast(int8)

    def short(self, *, memory_format=None):
        return self._cast(int16)

    def is_contiguous(self, memory_format=None) -> bool:
        """Row-major (C order) contiguity; with memory_format=channels_last (channels_last_3d)
        whether the strides are those of that layout (C, then W, H, N: torch's check, dims of
        size 1 ignored), which pyneuro's own tensors are only where the two coincide."""
        if memory_format in (None, contiguous_format):
            return bool(self._data.flags.c_contiguous)
        order = {channels_last: (1, 3, 2, 0), channels_last_3d: (1, 4, 3, 2, 0)}.get(memory_format)
        if order is None:
            raise RuntimeError(f"is_contiguous: memory format {memory_format} is not supported here")
        if len(order) != self.ndim:
            return False
        expected, itemsize = 1, self._data.itemsize
        for d in order:
            if self.shape[d] != 1:
                if self._data.strides[d] != expected * itemsize:
                    return False
                expected *= self.shape[d]
        return True

    @property
    def layout(self):
        return strided

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    is_sparse = is_quantized = is_meta = is_mkldnn = False
    # torch's other devices and layouts: never, here
    is_mps = is_xpu = is_xla = is_ipu = is_mtia = is_maia = is_vulkan = is_nested = is_sparse_csr = False

    def to_dense(self, dtype=None):
        return self if dtype is None else self.to(dtype=dtype)

    def to_sparse(self, sparseDims=None, *, layout=None):
        """The nonzero entries as a COO sparse tensor (pyneuro/_sparse_coo.py)."""
        if sparseDims is not None and sparseDims != self.ndim or layout not in (None, sparse_coo):
            raise NotImplementedError("pyneuro's sparse tensors are COO with every dim sparse")
        return dense_to_sparse(self)

    def to_sparse_coo(self):
        return dense_to_sparse(self)

    def pin_memory(self, device=None):
        """A copy in pinned (page-locked) host memory, as torch's, where a GPU is usable (pyneuro's
        backends copy to it from ordinary memory, so the copy is ordinary memory); without
        one, torch's RuntimeError (it has no pinned allocator then)."""
        if not _cuda.is_available():
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if self.device != "cpu":
            raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
        return self.clone()

    def is_pinned(self, device=None) -> bool:
        return False

    def share_memory_(self):
        """Moves the values into shared memory, so that processes this tensor is sent to work on
        the same values (Hogwild training); returns self. See _shared_memory.py."""
        _shared_memory.share(self)
        return self

    def is_shared(self) -> bool:
        return _shared_memory.is_shared(self)

    def data_ptr(self) -> int:
        """The address of the first element (torch's data_ptr), from the backend array."""
        array = self._data
        if hasattr(array, "__array_interface__"):
            return int(array.__array_interface__["data"][0])
        return int(array.data.ptr)  # a CuPy array

    # NumPy meets a tensor as torch's does: no __array_ufunc__, so a ufunc (np.exp(t), np.add(t, a),
    # and t + a through the operator's NotImplemented: _errors.defer_to_reflected) runs on the values
    # (t.__array__: not on a tensor that requires grad) and __array_wrap__ makes the result a tensor;
    # this priority makes an array on the left of an operator defer to the tensor (a + t: TypeError).
    __array_priority__ = 1000

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """What NumPy's functions give back for a tensor they ran on as an array (np.exp(t),
        np.round(t), np.cumsum(t), t + a): a Tensor, bools as uint8, as torch's __array_wrap__; a
        dtype torch has no tensors of (t + a of a np.longdouble array) its TypeError, as torch.tensor."""
        array = np.asarray(array)
        if array.dtype not in TORCH_NUMPY_DTYPES:
            raise undetermined_dtype_error(array)
        return _wrap(array.astype(uint8) if array.dtype == bool_ else array)

    def stride(self, dim=None):
        """Elements to step in memory per index of each dim, as torch's (NumPy's in bytes otherwise)."""
        if self._data.size == 0:  # (NumPy's strides of an empty array may be 0; torch's are contiguous)
            st = [1] * self.ndim
            for i in range(self.ndim - 2, -1, -1):
                st[i] = st[i + 1] * max(self.shape[i + 1], 1)
        else:
            st = [int(x) // self._data.itemsize for x in self._data.strides]
            for i in range(self.ndim - 1, -1, -1):  # x[None], unsqueeze: NumPy says 0, torch
                if st[i] == 0 and self.shape[i] == 1:  # the next dim's extent (1 for the last)
                    st[i] = st[i + 1] * self.shape[i + 1] if i + 1 < self.ndim else 1
        return tuple(st) if dim is None else st[dim]

    def untyped_storage(self):
        """The memory block this tensor views, as bytes (pyneuro/storage.py): views share it."""
        return _storage.UntypedStorage(self._data, self.device)

    def storage(self):
        """The memory block read as this tensor's dtype (torch's deprecated TypedStorage: warns)."""
        return _storage.typed_storage(self)

    def _is_view(self) -> bool:
        """Whether this tensor was made as a view of another (x[1], x.t(), x.reshape(...))."""
        return self._view is not None

    def is_set_to(self, other) -> bool:
        """Whether both tensors look at the same memory the same way (start, shape and strides)."""
        return (
            self.untyped_storage().data_ptr() == other.untyped_storage().data_ptr()
            and self.data_ptr() == other.data_ptr()
            and self.shape == other.shape
            and self.stride() == other.stride()
        )

    def storage_offset(self) -> int:
        """Elements between the start of the memory this tensor views and its first element."""
        array, base = self._data, self._data
        while getattr(base, "base", None) is not None and hasattr(base.base, "__array_interface__"):
            base = base.base
        if base is array or not hasattr(base, "__array_interface__"):
            return 0
        return (self.data_ptr() - int(base.__array_interface__["data"][0])) // array.itemsize

    @property
    def real(self):
        return self  # pyneuro's tensors are real: the real part is the tensor itself, as in torch

    @property
    def imag(self):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def new(self, *args, **kwargs):
        """Legacy t.new(...): t.new(sizes...) is uninitialised, t.new(data) copies data, both in
        t's dtype and device (torch's Tensor.new)."""
        dtype = kwargs.pop("dtype", self.dtype)
        device = kwargs.pop("device", self.device)
        if kwargs:
            raise TypeError(f"new() got unexpected keyword arguments {sorted(kwargs)}")
        return legacy_new("new", dtype, device, args)

    def apply_(self, callable):
        """Apply a Python function to each element in place (CPU only, slow: as in torch)."""
        if self.device.type != "cpu":
            raise TypeError("apply_ is only implemented on CPU tensors")
        values = [callable(v) for v in self._data.reshape(-1).tolist()]
        return self.copy_(tensor(values, dtype=self.dtype).reshape(self.shape))

    def map_(self, tensor_, callable):
        """self[i] = callable(self[i], other[i]) for each element, other broadcast to self (CPU only)."""
        if self.device.type != "cpu":
            raise TypeError("map_ is only implemented on CPU tensors")
        other = tensor_.expand_as(self)._data.reshape(-1).tolist()
        values = [callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(), other)]
        return self.copy_(tensor(values, dtype=self.dtype).reshape(self.shape))

    def map2_(self, x, y, callable):
        """self[i] = callable(self[i], x[i], y[i]) for each element, x and y broadcast to self (CPU only)."""
        if self.device.type != "cpu":
            raise TypeError("map2_ is only implemented on CPU tensors")
        a, b = (t.expand_as(self)._data.reshape(-1).tolist() for t in (x, y))
        values = [callable(s, p, q) for s, p, q in zip(self._data.reshape(-1).tolist(), a, b)]
        return self.copy_(tensor(values, dtype=self.dtype).reshape(self.shape))

    # ---- in-place forms of the scans and triangles, and resize_
    def cumsum_(self, dim, dtype=None):
        if self._data.dtype.kind == "b":  # (cumsum of bools is int64, which a bool self cannot hold)
            raise NotImplementedError("\"cumsum_out_cpu\" not implemented for 'Bool'")
        return self._inplace_op(lambda a: a.cumsum(dim, dtype=dtype), False)

    def cumprod_(self, dim, dtype=None):
        if self._data.dtype.kind == "b":
            raise NotImplementedError("\"cumprod_out_cpu\" not implemented for 'Bool'")
        return self._inplace_op(lambda a: a.cumprod(dim, dtype=dtype))

    def tril_(self, diagonal=0):
        return self._inplace_op(lambda a: a.tril(diagonal), False)

    def triu_(self, diagonal=0):
        return self._inplace_op(lambda a: a.triu(diagonal), False)

    def resize_(self, *sizes, memory_format=None):
        """Give the tensor a new shape in place, keeping its first elements in order (torch's
        resize_; elements beyond the old ones are zeros here, where torch leaves them unset, or
        torch's fill in deterministic mode)."""
        if self.requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        shape = tuple(
            int(s) for s in (sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes)
        )
        if any(s < 0 for s in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
        if shape == self._data.shape:  # (torch's: nothing changes, no version step, the same memory)
            return self
        xp = _backend(self.device).xp
        flat, n = self._data.reshape(-1), 1
        for s in shape:
            n *= s
        if n == flat.size:
            resized = flat.reshape(shape)
        else:
            check_allocation(n * self._data.itemsize, "resize_")  # (2**62 elements: torch's RuntimeError)
            fill = uninitialized_fill(self._data.dtype)  # (deterministic mode: torch's fill, else zeros)
            resized = (
                xp.zeros(n, dtype=self._data.dtype) if fill is None else xp.full(n, fill, self._data.dtype)
            )
            keep = min(n, flat.size)
            resized[:keep] = flat[:keep]
            resized = resized.reshape(shape)
        self._data = resized
        self._vc[0] += 1
        return self

    def resize_as_(self, other, memory_format=None):
        return self.resize_(tuple(other.shape))
