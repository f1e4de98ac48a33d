"""Tensor methods torch overloads, read the way its argument parser reads them: `to`, `max`/`min`.

torch's three forms of `Tensor.to`:

    to(dtype, non_blocking=False, copy=False, *, memory_format=None)
    to(device=None, dtype=None, non_blocking=False, copy=False, *, memory_format=None)
    to(other, non_blocking=False, copy=False, *, memory_format=None)

The first argument picks the form: a Tensor the third, a dtype the first, anything else (or
nothing) the second. The flags are Python bools only and each argument is given once, by
position or by keyword; torch raises TypeError otherwise ("to() received an invalid
combination of arguments"). Without this rule `x.to(torch.float64, 1)` read 1 as a GPU
ordinal, `x.to('cpu', 'cpu')` and `x.to(x, dtype=...)` computed, and `x.to(torch.float64,
None)` ignored the None, where torch refuses all four. (pyneuro also takes NumPy dtypes where
torch takes dtypes, as everywhere else.)

torch's three forms of `max` (and `min`): max(), max(Tensor other) and max(int dim, bool
keepdim=False). A positional tensor is the elementwise form, `dim=` by keyword is a dim: pyneuro
had one `dim` parameter for both, so `torch.max(x, dim=torch.tensor(1))` (a dim, in torch) was
the elementwise maximum, and `x.max(dim=None)` computed where torch refuses it.

Arrows: imports _dtype, _device, _errors, _shapes, _tensor_base and torch_runtime; tensor.py uses it.
"""

from __future__ import annotations

from . import _dtype as _dtypes
from ._device import device as _device_type
from ._errors import type_name
from ._shapes import dim_int
from ._tensor_base import TensorBase
from .torch_runtime import memory_format as _memory_format

_KEYWORDS = ("device", "dtype", "non_blocking", "copy", "memory_format")


def _is_device(x) -> bool:
    return x is None or isinstance(x, (str, _device_type)) or (type(x) is int)


def _invalid(args, kwargs) -> TypeError:
    got = [type_name(a) for a in args] + [f"{k}={type_name(v)}" for k, v in kwargs.items()]
    return TypeError(
        f"to() received an invalid combination of arguments - got ({', '.join(got)}), but expected "
        "one of: (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, "
        "bool copy = False, *, torch.memory_format memory_format = None), (torch.dtype dtype, bool "
        "non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None), "
        "(Tensor other, bool non_blocking = False, bool copy = False, *, torch.memory_format "
        "memory_format = None)"
    )


def _form(args: tuple) -> tuple:
    """The parameter names of the form the first argument picks."""
    if args and isinstance(args[0], TensorBase):
        return ("other", "non_blocking", "copy")
    if args and _dtypes.is_dtype(args[0]):
        return ("dtype", "non_blocking", "copy")
    return ("device", "dtype", "non_blocking", "copy")


def gives_copy(args: tuple, kwargs: dict) -> bool:
    """Does the call give `copy` (by position or keyword)? nn.Module.to refuses it, as torch's."""
    return "copy" in kwargs or len(args) >= len(_form(args))


def to_arguments(args: tuple, kwargs: dict) -> tuple:
    """(device, dtype, copy) of a call `t.to(*args, **kwargs)`, each None/False where not given;
    TypeError where torch's parser matches none of the three forms."""
    if len(args) == 1 and not kwargs:  # (the common calls first: t.to(device), t.to(dtype))
        first = args[0]
        if isinstance(first, str):  # (a pn.device is a str too)
            return first, None, False
        if type(first) is _dtypes.DType:
            return None, first, False
    if len(args) > 4:
        raise TypeError(f"to() takes from 0 to 4 positional arguments but {len(args)} were given")
    names = _form(args)
    first = args[0] if args else None
    values = {"device": first.device, "dtype": first.dtype} if names[0] == "other" else {}
    given = dict(zip(names, args))
    if len(args) > len(names) or any(
        k not in _KEYWORDS or k in given or (k in ("device", "dtype") and names[0] != "device")
        for k in kwargs
    ):
        raise _invalid(args, kwargs)
    given.update(kwargs)
    flags_ok = all(type(given.get(k, False)) is bool for k in ("non_blocking", "copy"))
    layout = given.get("memory_format")
    if (
        not flags_ok
        or not (layout is None or isinstance(layout, _memory_format))
        or not _is_device(given.get("device"))
        or not (given.get("dtype") is None or _dtypes.is_dtype(given["dtype"]))
    ):
        raise _invalid(args, kwargs)
    given.pop("other", None)
    values.update((k, given[k]) for k in ("device", "dtype") if given.get(k) is not None)
    return values.get("device"), values.get("dtype"), given.get("copy", False)


def extreme_form(name, args, kwargs) -> tuple:
    """(dim, keepdim, other) of x.max(...)/x.min(...), read as torch's parser reads its three forms:
    max(), max(Tensor other) and max(int dim, bool keepdim=False). A positional tensor is `other`
    (the elementwise form); dim=tensor(1) by keyword is a dim (an integer with __index__). None
    for dim, a dim beside other, keepdim beside a tensor or a keepdim that is not a bool is
    torch's TypeError."""
    unknown = set(kwargs) - {"dim", "keepdim", "other"}
    if len(args) > 2 or unknown or any(k in kwargs for k in ("dim", "keepdim")[: len(args)]):
        raise TypeError(
            f"{name}() received an invalid combination of arguments (got {len(args)} positional, {sorted(kwargs)})"
        )
    other = kwargs.get("other")
    if args and isinstance(args[0], TensorBase):
        if other is not None or len(args) > 1 or kwargs:
            raise TypeError(f"{name}() received an invalid combination of arguments: a tensor and a dim")
        return None, False, args[0]
    named = dict(zip(("dim", "keepdim"), args), **kwargs)
    if other is not None:
        if len(named) > 1 or not isinstance(other, TensorBase):
            raise TypeError(f"{name}(): argument 'other' must be Tensor, not {type(other).__name__}")
        return None, False, other
    keepdim = named.get("keepdim", False)
    if type(keepdim) is not bool:
        raise TypeError(f"{name}(): argument 'keepdim' must be bool, not {type(keepdim).__name__}")
    if "dim" not in named:
        if "keepdim" in named:
            raise TypeError(f"{name}() received an invalid combination of arguments: keepdim without dim")
        return None, False, None
    return dim_int(named["dim"]), keepdim, None
