"""The rarer Tensor methods torch has, which plain PyTorch scripts still call.

`ExtraMethods` is a mixin of Tensor (tensor.py): the activations torch also offers as methods
(`x.hardshrink()`, `x.prelu(w)`: nn.functional's, so one rule each), the "unsafe" splits (torch
skips its view bookkeeping; here they are split and chunk), the deprecated non-in-place
`resize`/`resize_as` (a reshape that keeps the number of elements, with torch's warning),
`set_` (point a tensor at another's memory), `as_subclass`, `new_empty_strided`,
`nonzero_static`, the older linear-algebra spellings (`x.lu()`, `b.lu_solve(LU, pivots)`) and
the incomplete gamma functions (`igamma`, `igammac`: torch.special.gammainc / gammaincc),
and the methods torch removed in 1.9 (`solve`, `lstsq`, `eig`, `symeig`), which raise torch's
RuntimeError that says what replaces them (torch_removed.py).

Arrows: imports _tensor_base, _dtype, functions, special, strided, functions_reduce and
torch_removed;
tensor.py imports this module. nn.functional (which imports tensor.py) is reached on first
call.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np

from . import _householder
from . import functions_reduce as _reduce
from . import special as _special
from . import torch_removed as _removed
from ._dtype import c_type_name
from ._tensor_base import TensorBase, _wrap, need_tensor
from .autograd.math import NotDifferentiable
from .autograd.shape import renamed
from .functions import cat
from .strided import as_strided, empty_strided


def _functional():
    return importlib.import_module("pyneuro.functional")


class ExtraMethods:
    """Mixin of Tensor: see the module docstring."""

    __slots__ = ()

    # ------------------------------------------------------------------ activations as methods
    def hardshrink(self, lambd=0.5):
        return _functional().hardshrink(self, lambd)

    def prelu(self, weight):
        if not isinstance(weight, TensorBase):
            raise TypeError(
                f"prelu(): argument 'weight' (position 1) must be Tensor, not {type(weight).__name__}"
            )
        return _functional().prelu(self, weight)

    # ------------------------------------------------------------------ splits
    def unsafe_chunk(self, chunks, dim=0):
        return self.chunk(chunks, dim)

    def unsafe_split(self, split_size, dim=0):
        return self.split(split_size, dim)

    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        return self.split_with_sizes(split_sizes, dim)

    # ------------------------------------------------------------------ memory and class
    def resize(self, *sizes):
        """The deprecated non-in-place resize: a reshape to sizes, which must keep the number of
        elements (torch's autograd Resize); in the graph as ResizeBackward."""
        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        return self._resized(sizes)

    def resize_as(self, tensor):
        warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
        return self._resized(tuple(need_tensor(tensor, "resize_as", "tensor", 1).shape))

    def _resized(self, shape):
        n = 1
        for s in shape:
            n = n * s if isinstance(s, int) else s  # (torch's: resize((2, 3)) asks for "(2, 3) elements")
        if n != self.numel():
            have = "x".join(str(s) for s in self.shape)
            want = "x".join(str(s) for s in shape)
            raise RuntimeError(
                f"requested resize to {want} ({n} elements in total), but the given tensor has a size of "
                f"{have} ({self.numel()} elements). autograd's resize can only change the shape of a given "
                "tensor, while preserving the number of elements. "
            )
        return renamed(self.contiguous().view(shape), "ResizeBackward")

    def set_(self, source=None, storage_offset=0, size=None, stride=None):
        """Make this tensor look at source's memory (a tensor: its memory, offset, shape and
        strides, or with a size its memory's from storage_offset past its own; a storage: from storage_offset,
        with size and stride, all of it by default);
        with no source, an empty tensor. Writes through either show in the other, as in torch.
        As torch's: an in-place op (the leaf rules, with grad mode on only; a version step of this
        tensor's own counter, which it keeps), recorded as a node without a derivative."""
        records = self._records(source if isinstance(source, TensorBase) else None, fills=True)
        if source is None:
            array = self._data.reshape(-1)[:0]
        elif isinstance(source, TensorBase):
            if source.dtype != self.dtype:
                raise RuntimeError(
                    f"Could not set tensor of type {c_type_name(source.dtype)} to a tensor of type "
                    f"{c_type_name(self.dtype)}"
                )
            if size is not None:  # torch's overload (source, storage_offset, size, stride): its memory,
                offset = source.storage_offset() + storage_offset  # from source's own offset on
                array = self._storage_view(source.untyped_storage(), offset, size, stride)
            elif storage_offset:
                raise TypeError("set_(): a Tensor source with a storage_offset takes a size (and stride) too")
            else:
                array = source._data
        else:
            array = self._storage_view(source, storage_offset, size, stride)
        was = _wrap(self._data, self.device, self._node, self._req)
        self._data = array
        self._vc[0] += 1
        if records:  # (torch's NotImplemented node: backward through it raises)
            self._node = NotDifferentiable.apply(was if was._req else source, out=array, op="set_")._node
            self._req = True
        return self

    def _storage_view(self, storage, offset, size, stride):
        root = getattr(storage, "_root", None)
        if root is None:
            root = getattr(getattr(storage, "_untyped", None), "_root", None)
        if not isinstance(root, np.ndarray):
            raise TypeError(
                f"set_(): argument 'source' must be Tensor or Storage, not {type(storage).__name__}"
            )
        flat = root.reshape(-1).view(np.uint8).view(self._data.dtype)
        size = (len(flat) - offset,) if size is None else tuple(int(s) for s in size)
        if stride is None:
            stride, step = [], 1
            for s in reversed(size):
                stride.insert(0, step)
                step *= s
        stride = tuple(int(s) for s in stride)
        if len(stride) != len(size):
            raise RuntimeError(
                f"mismatch in length of strides and shape: {len(size)} sizes and {len(stride)} strides"
            )
        need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else offset
        if offset < 0 or need > len(flat):
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize "
                f"{flat.itemsize} requiring a storage size of {need * flat.itemsize} are out of bounds for storage "
                f"of size {len(flat) * flat.itemsize}"
            )
        byte_strides = tuple(s * flat.itemsize for s in stride)
        return np.lib.stride_tricks.as_strided(flat[offset:], size, byte_strides)

    def as_strided_(self, size, stride, storage_offset=None):
        """Make this tensor the as_strided view of its own memory (storage_offset: from the
        memory's start; its current one by default), in place."""
        if self.requires_grad:
            if self.is_leaf:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            raise NotImplementedError(
                "as_strided_ on a tensor in the autograd graph: use as_strided (out of place) instead"
            )
        offset = self.storage_offset() if storage_offset is None else storage_offset
        self._data = as_strided(self, size, stride, offset)._data
        self._vc[0] += 1
        return self

    def as_subclass(self, cls):
        """self as an instance of cls (a Tensor subclass), sharing its memory and its place in
        the graph (torch's AliasBackward0 when self requires grad)."""
        if not (isinstance(cls, type) and issubclass(cls, TensorBase)):
            raise TypeError(
                "Creating a Tensor subclass from a class that does not inherit from Tensor is not possible. "
                "Make sure your class inherits from Tensor."
            )
        out = renamed(self.view(self.shape), "AliasBackward0")
        out.__class__ = cls
        return out

    def new_empty_strided(
        self, size, stride, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False
    ):
        return empty_strided(
            size,
            stride,
            dtype=self.dtype if dtype is None else dtype,
            device=self.device if device is None else device,
            requires_grad=requires_grad,
        )

    def nonzero_static(self, *, size, fill_value=-1):
        """The first `size` rows of self.nonzero(), padded with rows of fill_value."""
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"nonzero_static(): argument 'size' must be int, not {type(size).__name__}")
        if size < 0:
            raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
        found = self.detach().nonzero()[:size]
        if found.shape[0] == size:
            return found
        return cat((found, found.new_full((size - found.shape[0], self.ndim), int(fill_value))))

    @property
    def output_nr(self) -> int:
        """Which output of its node this tensor is: i for the i-th piece of split, chunk or unbind
        in the graph (autograd/inplace.mark_outputs records it), else 0 (leaves, one-output ops)."""
        if self._node is None or self._view is None or not self._view[1]:
            return 0
        kind, detail = self._view[1][-1]
        return detail[1] if kind == "outputs" else 0

    @property
    def volatile(self) -> bool:
        """Removed with Variable in torch 0.4: always False, with torch's warning."""
        warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
        return False

    def const_data_ptr(self) -> int:
        return self.data_ptr()

    def dim_order(self, *, ambiguity_check=False) -> tuple:
        """The dims from the outermost in memory to the innermost (by stride, ties in dim order)."""
        strides = self.stride()
        return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))

    @property
    def name(self):
        """torch's Tensor.name (None: pyneuro has no named tensors)."""
        return None

    # ------------------------------------------------------------------ older spellings
    def lu(self, pivot=True, get_infos=False):
        """torch.lu as a method: a plain tuple, also with get_infos (torch.lu's is _lu_with_info)."""
        return tuple(_reduce.lu(self, pivot=pivot, get_infos=get_infos))

    def lu_solve(self, LU_data, LU_pivots):
        return _reduce.lu_solve(self, LU_data, LU_pivots)

    def geqrf(self):
        return _householder.geqrf(self)

    def orgqr(self, input2):
        return _householder.orgqr(self, input2)

    def ormqr(self, input2, input3, left=True, transpose=False):
        return _householder.ormqr(self, input2, input3, left, transpose)

    def is_distributed(self) -> bool:
        return False

    def reinforce(self, reward):
        raise RuntimeError(_REINFORCE_REMOVED)

    def igamma(self, other):
        _need_tensor_other(other, "igamma")
        return _special.gammainc(self, other)

    def igammac(self, other):
        _need_tensor_other(other, "igammac")
        return _special.gammaincc(self, other)

    def igamma_(self, other):
        _need_tensor_other(other, "igamma_")
        return self._update(_special.gammainc, True, other)

    def igammac_(self, other):
        _need_tensor_other(other, "igammac_")
        return self._update(_special.gammaincc, True, other)

    # ------------------------------------------------------------------ removed in torch 1.9
    def solve(self, A, *args, **kwargs):
        _removed.solve()

    def lstsq(self, A, *args, **kwargs):
        _removed.lstsq()

    def eig(self, *args, **kwargs):
        _removed.eig()

    def symeig(self, *args, **kwargs):
        _removed.symeig()


_REINFORCE_REMOVED = """reinforce() was removed.
Use torch.distributions instead.
See https://pytorch.org/docs/main/distributions.html

Instead of:

probs = policy_network(state)
action = probs.multinomial()
next_state, reward = env.step(action)
action.reinforce(reward)
action.backward()

Use:

probs = policy_network(state)
# NOTE: categorical is equivalent to what used to be called multinomial
m = torch.distributions.Categorical(probs)
action = m.sample()
next_state, reward = env.step(action)
loss = -m.log_prob(action) * reward
loss.backward()
"""


def _need_tensor_other(other, name: str) -> None:
    if not isinstance(other, TensorBase):
        raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
