"""More of torch's top-level names that plain PyTorch scripts reach for (torch_names.py has the
common ones): nonzero_static, unsafe_split_with_sizes, is_distributed, norm_except_dim and
the deprecated frobenius_norm / nuclear_norm (linalg's, with torch's warning), the `*_copy`
forms of the view ops (t_copy, select_copy, ...: the view's values in new memory),
get_device_module, the build flags (has_openmp, has_lapack, ...) and the functions torch
removed in 1.9 (torch_removed.py).

Arrows: imports _device, _shapes, _tensor_base, autograd.shape and torch_removed (linalg and
accelerator on first use); pyneuro/__init__.py re-exports __all__.
"""

from __future__ import annotations

import builtins
import importlib
import math
import warnings

import numpy as np

from . import torch_removed as _removed
from ._device import device as _device_type
from ._histogram import histogramdd
from ._householder import geqrf, orgqr, ormqr
from ._shapes import one_dim
from ._tensor_base import need_tensor
from .autograd.shape import renamed
from .torch_runtime import contiguous_format

solve, lstsq, eig, symeig, matrix_rank = (
    _removed.solve,
    _removed.lstsq,
    _removed.eig,
    _removed.symeig,
    _removed.matrix_rank,
)


# ---------------------------------------------------------------------------- index and split
def nonzero_static(input, *, size, fill_value=-1):
    """The first `size` rows of nonzero(input), padded with rows of fill_value (one shape for
    any input: what torch.compile needs; here it is the same answer)."""
    return need_tensor(input, "nonzero_static").nonzero_static(size=size, fill_value=fill_value)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return need_tensor(input, "unsafe_split_with_sizes").split_with_sizes(split_sizes, dim)


def is_distributed(input) -> bool:
    """Whether input is a distributed tensor: never, here (one process)."""
    need_tensor(input, "is_distributed")
    return False


# ---------------------------------------------------------------------------- norms
def norm_except_dim(v, pow=2, dim=0):
    """The pow-norm of v over every dim but `dim`, shaped to broadcast against v (dim=-1: the
    norm of all of v, a 0-d tensor), as torch computes it for weight_norm."""
    need_tensor(v, "norm_except_dim", "v")
    if dim == -1:
        return v.norm(pow)
    last = v.ndim - 1
    if dim == 0:
        return v.contiguous().view(v.shape[0], -1).norm(pow, 1).view((v.shape[0],) + (1,) * last)
    if dim == last:
        return v.contiguous().view(-1, v.shape[last]).norm(pow, 0).view((1,) * last + (v.shape[last],))
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def frobenius_norm(input, dim, keepdim=False):
    """The 2-norm of input's elements over dim (at most 2 dims; () means all): torch's
    deprecated at::frobenius_norm, linalg.vector_norm(input, 2, dim, keepdim)."""
    need_tensor(input, "frobenius_norm")
    warnings.warn(
        "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be removed in a "
        "future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` instead",
        UserWarning,
        stacklevel=2,
    )
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions instead.")
    linalg = importlib.import_module("pyneuro.linalg")
    return renamed(linalg.vector_norm(input, 2, dims or None, keepdim), "NormBackward1")


def nuclear_norm(input, dim=None, keepdim=False):
    """The sum of input's singular values over the two dims (the last two by default): torch's
    deprecated at::nuclear_norm, linalg.matrix_norm(input, 'nuc', dim, keepdim).
    nuclear_norm(input, keepdim) also works, as in torch."""
    need_tensor(input, "nuclear_norm")
    if isinstance(dim, bool):  # nuclear_norm(input, True): the keepdim form
        dim, keepdim = None, dim
    warnings.warn(
        "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be removed in a "
        "future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead",
        UserWarning,
        stacklevel=2,
    )
    linalg = importlib.import_module("pyneuro.linalg")
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


# ---------------------------------------------------------------------------- the *_copy ops
def _copy_of(out):
    """out's values in new memory, in the graph as torch's `<view op>Backward0_copy`."""
    shown = out._node.name() if out._node is not None else None
    out = out.clone(memory_format=contiguous_format)
    return renamed(out, shown + "_copy") if shown else out


def _copy_op(view_name: str):
    def op(input, *args, **kwargs):
        need_tensor(input, f"{view_name}_copy")
        out = getattr(input, view_name)(*args, **kwargs)
        if isinstance(out, tuple):
            return tuple(_copy_of(o) for o in out)
        return _copy_of(out)

    op.__name__ = op.__qualname__ = f"{view_name}_copy"
    op.__doc__ = f"torch.{view_name}_copy: input.{view_name}(...) in new memory (not a view)."
    return op


_VIEW_OPS = (
    "as_strided",
    "diagonal",
    "expand",
    "permute",
    "select",
    "split",
    "split_with_sizes",
    "squeeze",
    "t",
    "transpose",
    "unbind",
    "unfold",
    "unsqueeze",
    "view",
)
for _name in _VIEW_OPS:
    globals()[f"{_name}_copy"] = _copy_op(_name)


def as_strided_(input, size, stride, storage_offset=None):
    return need_tensor(input, "as_strided_").as_strided_(size, stride, storage_offset)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):  # fmt: skip
    """An uninitialized tensor of `size` laid out in memory in the order physical_layout gives
    (outermost first): empty_permuted((N, C, H, W), (0, 2, 3, 1)) is channels_last."""
    size, order = tuple(size), tuple(physical_layout)
    if len(size) != len(order):
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; i.e. "
            f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(order)}"
        )
    for i, d in enumerate(order):
        if not 0 <= d < len(size):
            raise RuntimeError(
                f"Dimension out of range (expected to be between 0 and {len(size) - 1}, but got {d} at index {i}).  "
                "NB: negative dims not currently supported; file an issue if you want it."
            )
    if len(set(order)) != len(order):
        raise RuntimeError("Duplicate dim not allowed")
    creation = importlib.import_module("pyneuro.creation")
    physical = creation.empty([size[d] for d in order], dtype=dtype, device=device)
    out = physical.permute([order.index(i) for i in range(len(order))])
    return out.requires_grad_() if requires_grad else out


def alias_copy(input):
    need_tensor(input, "alias_copy")
    return _copy_of(renamed(input.view(input.shape), "AliasBackward0"))


def detach_copy(input):
    return need_tensor(input, "detach_copy").detach().clone()


def slice_copy(input, dim=0, start=None, end=None, step=1):
    need_tensor(input, "slice_copy")
    d = one_dim(dim, input.ndim)
    return _copy_of(input[(slice(None),) * d + (slice(start, end, step),)])


# ---------------------------------------------------------------------------- devices and builds
def get_device_module(device=None):
    """The module of a device type (pyneuro.cpu, pyneuro.cuda, ...): of the current accelerator
    when device is None (the cpu when there is none)."""
    if device is None:
        accelerator = importlib.import_module("pyneuro.accelerator").current_accelerator()
        kind = "cpu" if accelerator is None else accelerator.type
    elif isinstance(device, _device_type):
        kind = device.type
    elif isinstance(device, str):
        kind = _device_type(device).type
    else:
        raise RuntimeError(f"Invalid value of device '{device}', expect torch.device, str, or None")
    return importlib.import_module(f"pyneuro.{kind}")


def build_flag(name: str) -> bool:
    """torch.has_openmp, has_lapack, has_mkl, has_spectral, ... for pyneuro's build: OpenMP when
    the C++ kernels use it, LAPACK through NumPy, no MKL, no spectral ops (no torch.fft)."""
    if name == "has_openmp":
        return importlib.import_module("pyneuro.backends").openmp.is_available()
    return name == "has_lapack"


BUILD_FLAGS = ("has_openmp", "has_lapack", "has_mkl", "has_spectral")


# ---------------------------------------------------------------------------- torch.sym_*
# torch's "SymInt-aware" helpers, written so that code stays traceable under torch.compile; on
# plain Python numbers (the only kind here: pyneuro traces nothing) they are these.
_NUMBERS = (int, float, np.integer, np.floating)


def sym_int(a):
    return builtins.int(a)


def sym_float(a):
    return builtins.float(a)


def sym_not(a):
    return not a


def sym_sqrt(a):
    return math.sqrt(a)


def _sym_extreme(pick, a, b):
    for x in (a, b):
        if not isinstance(x, _NUMBERS):
            raise AssertionError(f"expected {_NUMBERS}, got {type(x)}")
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return builtins.float(pick(a, b))  # (a float on either side: a float, as torch's)
    return pick(a, b)


def sym_max(a, b):
    return _sym_extreme(builtins.max, a, b)


def sym_min(a, b):
    return _sym_extreme(builtins.min, a, b)


def sym_ite(b, t, f):
    """t if b else f."""
    if not isinstance(b, bool):
        raise AssertionError(f"expected SymBool or bool, got {type(b)}")
    if type(t) is not type(f):
        raise AssertionError(f"type mismatch: {type(t)} vs {type(f)}")
    return t if b else f


def sym_sum(*args):
    """sum(args); sym_sum([a, b, c]) and sym_sum(a, b, c) alike."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    return builtins.sum(args)


def to_dlpack(tensor, *, copy=None):
    """torch.to_dlpack: torch.utils.dlpack.to_dlpack."""
    return importlib.import_module("pyneuro.utils.dlpack").to_dlpack(tensor, copy=copy)


class SymInt:
    """torch.SymInt: an int that torch.compile traces symbolically. pyneuro traces nothing, so no
    value is one (isinstance(3, torch.SymInt) is False in torch too); it exists for annotations."""


class SymFloat:
    """torch.SymFloat (see SymInt)."""


class SymBool:
    """torch.SymBool (see SymInt)."""


def is_vulkan_available() -> bool:
    return False


def init_num_threads() -> None:
    """torch.init_num_threads: the C++ kernels' threads start on their own; nothing to do."""


__all__ = [
    "SymInt",
    "SymFloat",
    "SymBool",
    "sym_int",
    "sym_float",
    "sym_not",
    "sym_sqrt",
    "sym_max",
    "sym_min",
    "sym_ite",
    "sym_sum",
    "is_vulkan_available",
    "init_num_threads",
    "to_dlpack",
    "nonzero_static",
    "unsafe_split_with_sizes",
    "is_distributed",
    "norm_except_dim",
    "frobenius_norm",
    "nuclear_norm",
    "as_strided_",
    "empty_permuted",
    "alias_copy",
    "detach_copy",
    "slice_copy",
    *(f"{n}_copy" for n in _VIEW_OPS),
    "get_device_module",
    "orgqr",
    "ormqr",
    "geqrf",
    "histogramdd",
    "solve",
    "lstsq",
    "eig",
    "symeig",
    "matrix_rank",
]
