"""Lazy modules (torch.nn.Lazy*): layers that learn their input size from the first batch.

    net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))   # no in_features
    net(X)                      # X.shape[-1] sizes the first layer, 256 the second
    type(net[0]) is nn.Linear   # True: each layer became the eager class

Until that first forward a lazy module's parameters (and a lazy norm's running statistics) are
UninitializedParameter / UninitializedBuffer objects: tensors with a dtype and a device but no
shape. Reading their shape raises torch's RuntimeError, computing with them its ValueError. The
first call runs a forward pre-hook (LazyModuleMixin._infer_parameters) that

1. reads the size it needs from the input (in_features = input.shape[-1], in_channels and
   num_features = input.shape[1]),
2. materializes each uninitialized tensor IN PLACE: the same Python object gets an array and its
   class becomes the ordinary one (Parameter, Tensor), so an optimizer built before the first
   forward trains the very objects the layer now uses,
3. runs the eager class's reset_parameters() (its initialisation: uniform bounds from fan_in,
   ones and zeros for norms), and
4. switches the module's class to the eager one (`cls_to_become`), removing its hooks.

load_state_dict into a lazy module materializes from the checkpoint's shapes (a load pre-hook),
as torch's does; state_dict before the first forward holds the uninitialized objects themselves.
"""

from __future__ import annotations

import numpy as np

from ..._dtype import _dtype, default_float
from ..._dtype import int64 as _int64
from ..._errors import ShapeError
from ..._shapes import Size
from ..._tensor_base import _device, _fill
from ...autograd import no_grad
from ...creation import empty, tensor
from ...tensor import Tensor
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .conv3d import Conv3d, ConvTranspose3d
from .linear import Linear
from .module import Parameter
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)

__all__ = [
    "UninitializedParameter",
    "UninitializedBuffer",
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]


def _use_error(kind: str, what: str) -> ValueError:
    return ValueError(
        f"Attempted to use an uninitialized parameter in {what}. This error happens when you are using a "
        f"`LazyModule` or explicitly manipulating `pyneuro.nn.parameter.{kind}` objects. When using "
        "LazyModules Call `forward` with a dummy batch to initialize the parameters before calling torch functions"
    )


class _NoData:
    """What an uninitialized tensor holds in place of its array: the dtype it will have (and a
    buffer's `persistent` flag). Any other use, by a Tensor method or a free function that reads
    `t._data`, raises torch's ValueError, so nothing computes on a tensor without values."""

    def __init__(self, kind: str, dtype, persistent: bool = True):
        self.kind, self.dtype, self.persistent = kind, np.dtype(dtype), persistent

    def __reduce__(self):  # copies rebuild NumPy's own dtype object (the kernels check for it)
        return (_NoData, (self.kind, self.dtype.name, self.persistent))

    def __getattr__(self, name):
        if name.startswith("__"):  # copy and pickle probe for optional hooks: say "not here"
            raise AttributeError(name)
        raise _use_error(self.kind, f"an operation that reads its data (.{name})")

    def _refuse(self, *args, **kwargs):
        raise _use_error(self.kind, "an operation that reads its data")

    __array__ = __getitem__ = __setitem__ = __len__ = __iter__ = __bool__ = __float__ = __int__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = _refuse
    __matmul__ = __rmatmul__ = __neg__ = __pos__ = __abs__ = __invert__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _refuse
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = _refuse
    __hash__ = object.__hash__


# What torch lets through on an uninitialized tensor: these methods and every non-method
# attribute (dtype, device, requires_grad, grad, is_leaf, ...). Any other method raises ValueError.
_ALLOWED = frozenset(
    "size copy_ is_complex is_floating_point half float double char short int long cuda cpu to get_device "
    "materialize share_memory_ cls_to_become".split()
)


class UninitializedTensorMixin:
    """The behaviour UninitializedParameter and UninitializedBuffer share (torch's mixin of that name)."""

    __slots__ = ()
    __module__ = "pyneuro.nn.parameter"
    cls_to_become = None

    def __getattribute__(self, name):
        if name[0] != "_" and name not in _ALLOWED and callable(getattr(type(self), name, None)):
            kind = type(self).__name__
            raise _use_error(kind, f"<method '{name}' of 'Tensor' objects>")
        return object.__getattribute__(self, name)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give this tensor an (uninitialized) array of `shape`, with its own device and dtype unless
        given, and turn it into an ordinary Parameter / Tensor: the same object, now with data."""
        self._set_data(
            empty(
                shape,
                dtype=self._data.dtype if dtype is None else dtype,
                device=self.device if device is None else device,
            )
        )
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise ShapeError(  # a ValueError too: nn.init and other shape readers raise what torch's do
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. "
            "Call `forward` to initialize the parameters before accessing their attributes."
        )

    @property
    def ndim(self) -> int:
        return 1  # the empty placeholder's, as torch's (its descriptors see an empty tensor)

    @property
    def data(self):
        """An empty tensor of this one's dtype and device (torch's placeholder; it holds no values)."""
        return empty(0, dtype=self._data.dtype, device=self.device)

    @data.setter
    def data(self, value) -> None:
        Tensor.data.fset(self, value)

    def size(self, dim=None):
        """torch.Size([0]), as torch's (size is one of the methods it lets through)."""
        return Size((0,)) if dim is None else (0,)[dim]

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize the "
            "parameters before calling `module.share_memory()`."
        )

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def _moved(self, method: str, *args, **kwargs):
        """An uninitialized tensor of this class with the device and dtype that Tensor.<method>(*args)
        gives (to, float, double, cuda, ...: Tensor's own argument rules, run on an empty probe)."""
        probe = getattr(Tensor, method)(empty(0, dtype=self._data.dtype, device=self.device), *args, **kwargs)
        if probe.device == self.device and probe._data.dtype == self._data.dtype:
            return self
        out = type(self).__new__(type(self))
        data = _NoData(self._data.kind, probe._data.dtype, self._data.persistent)
        return _fill(out, data, probe.device, requires_grad=self._req)

    def to(self, *args, **kwargs):
        return self._moved("to", *args, **kwargs)

    def cpu(self):
        return self._moved("cpu")

    def cuda(self, device=None, non_blocking: bool = False):
        return self._moved("cuda")

    def half(self):
        return self._moved("half")

    def float(self):
        return self._moved("float")

    def double(self):
        return self._moved("double")

    def char(self):
        return self._moved("char")

    def short(self):
        return self._moved("short")

    def int(self):
        return self._moved("int")

    def long(self):
        return self._moved("long")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__


def is_lazy(param) -> bool:
    """Is param an UninitializedParameter or UninitializedBuffer (torch.nn.parameter.is_lazy)?"""
    return isinstance(param, UninitializedTensorMixin)


def _uninitialized(t, kind: str, requires_grad: bool, device, dtype, persistent: bool = True) -> None:
    _fill(t, _NoData(kind, _dtype(dtype) or default_float(), persistent), _device(device))
    t.requires_grad = requires_grad  # the setter's check: only floating point tensors require grad


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's weight before its first forward).

    It has a dtype, a device and requires_grad, nothing else: materialize(shape) gives it values
    and makes it a plain nn.Parameter (the same object, so optimizers holding it keep it)."""

    __slots__ = ()
    __module__ = "pyneuro.nn.parameter"  # torch's path, which type() prints (that module re-exports it)
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        _uninitialized(self, "UninitializedParameter", requires_grad, device, dtype)

    def __deepcopy__(self, memo):  # as torch's: a new uninitialized parameter of the same kind
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self._data.dtype)
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy norm's running_mean and running_var);
    materialize(shape) makes it a plain Tensor."""

    __slots__ = ()
    __module__ = "pyneuro.nn.parameter"
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True):
        _uninitialized(self, "UninitializedBuffer", requires_grad, device, dtype, persistent)

    @property
    def persistent(self) -> bool:
        return self._data.persistent


class LazyModuleMixin:
    """Makes a module lazy (torch.nn.modules.lazy.LazyModuleMixin): its first call infers the
    parameters' shapes from the input (initialize_parameters), materializes them, and turns the
    module into `cls_to_become`. A subclass writes initialize_parameters(*inputs) and puts
    UninitializedParameter objects where the sizes are unknown."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def has_uninitialized_params(self) -> bool:
        """Does this module (not its children) still hold an uninitialized parameter or buffer?"""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def _lazy_load_hook(self, state_dict, prefix: str, *_rest) -> None:
        """load_state_dict's pre-hook: materialize each uninitialized tensor that the checkpoint
        holds initialized, with the checkpoint's shape (load_state_dict then copies the values)."""
        for name, t in (*self._parameters.items(), *self._buffers.items()):
            key = prefix + name
            if t is not None and is_lazy(t) and key in state_dict and not is_lazy(state_dict[key]):
                with no_grad():
                    t.materialize(state_dict[key].shape)

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        """The forward pre-hook of the first call: initialize from the input, then become the eager class."""
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
        d = module.__dict__
        for store, hook, marks in (
            ("_forward_pre_hooks", module._infer_parameters, ("_forward_pre_hooks_with_kwargs",)),
            ("_load_state_dict_pre_hooks", module._lazy_load_hook, ()),
        ):
            hooks = d.get(store, {})
            for key in [k for k, h in hooks.items() if h == hook]:  # by value: a deepcopy has its own
                for table in (hooks, *(d.get(m, {}) for m in marks)):
                    table.pop(key, None)
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


# ---------------------------------------------------------------------------------------- Linear
class LazyLinear(LazyModuleMixin, Linear):
    """nn.Linear whose in_features is input.shape[-1] of the first forward (then it is a Linear).

    weight (out_features, in_features) ~ U(-1/sqrt(in_features), 1/sqrt(in_features)), bias the same."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)  # no bias: it would be replaced at once
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self, generator=None) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters(generator)

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # materialized by load_state_dict: the checkpoint fixed the size
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to in_features "
                    f"from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = input.shape[-1]


# ---------------------------------------------------------------------------------------- convolutions
class _LazyConvXdMixin(LazyModuleMixin):
    """What the lazy (transposed) convolutions share: in_channels is the input's channel count
    (dim 1 of a batch, dim 0 of an unbatched input), then the eager layer's weight shape and init."""

    def _lazy_init(self, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self, generator=None) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters(generator)

    def _get_in_channels(self, input) -> int:
        unbatched = len(self.kernel_size) + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(
                f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            with no_grad():
                self.weight.materialize(shape)
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()


class _LazyConv(_LazyConvXdMixin):
    """LazyConv1d/2d/3d: the eager convolution's arguments without in_channels."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):  # fmt: skip
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype
        )
        self.out_channels = out_channels
        self._lazy_init(bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    """LazyConvTranspose1d/2d/3d: the eager transposed convolution's arguments without in_channels."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1,
                 bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None):  # fmt: skip
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
                         padding_mode, device, dtype)  # fmt: skip
        self.out_channels = out_channels
        self._lazy_init(bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """nn.Conv1d whose in_channels is the first input's channel count (then it is a Conv1d)."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """nn.Conv2d whose in_channels is the first input's channel count (then it is a Conv2d)."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """nn.Conv3d whose in_channels is the first input's channel count (then it is a Conv3d)."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """nn.ConvTranspose1d whose in_channels is the first input's channel count."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """nn.ConvTranspose2d whose in_channels is the first input's channel count."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """nn.ConvTranspose3d whose in_channels is the first input's channel count."""

    cls_to_become = ConvTranspose3d


# ---------------------------------------------------------------------------------------- norms
class _LazyNormBase(LazyModuleMixin):
    """Lazy batch and instance norms: num_features is input.shape[1] of the first forward (as
    torch's, for unbatched instance-norm input too). affine and track_running_stats default to
    True for every one of them, as torch's lazy norms do (the eager InstanceNorms default to False)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None,
                 *, bias=True):  # fmt: skip
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=_int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with no_grad():
                for t in (self.weight, self.bias, self.running_mean, self.running_var):
                    if t is not None:
                        t.materialize((self.num_features,))
                self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """nn.BatchNorm1d whose num_features is the first input's input.shape[1]."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """nn.BatchNorm2d whose num_features is the first input's input.shape[1]."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """nn.BatchNorm3d whose num_features is the first input's input.shape[1]."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """nn.InstanceNorm1d whose num_features is the first input's input.shape[1]."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """nn.InstanceNorm2d whose num_features is the first input's input.shape[1]."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """nn.InstanceNorm3d whose num_features is the first input's input.shape[1]."""

    cls_to_become = InstanceNorm3d
