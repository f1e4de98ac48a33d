"""torch's rule for arguments that must be Tensors, applied to pyneuro's torch-level functions.

torch's argument parser refuses a list, a NumPy array, a string or None where a function takes
a Tensor, with TypeError (`torch.exp([1., 2.])`: "exp(): argument 'input' (position 1) must be
Tensor, not list"); where it takes "Tensor or Number" (`torch.add(x, 2)`) it takes a Python or
NumPy number too. pyneuro's functions read their arguments with NumPy, which takes anything
array-like: without this rule `torch.mm(x, [[1., 2.]])` computed, `torch.log_softmax([1., 2.], 0)` raised
AttributeError and `torch.cat([[1.], [2.]])` made a tensor, where torch raises TypeError in all
three. Code that runs here must run under torch, and an `except TypeError` must catch ours.

Which arguments: _tensor_params.TENSOR_PARAMS (positions 1 to 4 of each function, and the
keyword arguments torch types Tensor: F.layer_norm(x, (4,), weight=[1.]), position 0) and
_method_params.METHOD_PARAMS (of each Tensor method), written by tools/torch_tensor_params.py
from torch itself. Each namespace module (pyneuro/__init__.py,
functional.py, linalg.py, special.py) calls `check_tensor_arguments` once on its globals, and
pyneuro/__init__.py calls `check_method_arguments` on Tensor: the methods follow the same rule
(`x.mul([1., 2.])`, `x.masked_fill(np_mask, 0.)`, `x.gather(0, [[0]])` are TypeError in torch).
The operators are not methods of the table and keep NumPy's reading of an array operand, as
torch's do (`x + np_array` is NumPy's reflected op there: a tensor comes back). The tables'
rows of kind 'bool' are the flags torch types bool (keepdim, unbiased, sorted, stable, ...),
where its parser takes a Python bool only: `x.sum(0, keepdim=1)`, `x.std(0, 2)` and
`topk(k, sorted=np.bool_(True))` are TypeError there. Rows of kinds 'int', 'float', 'scalar' and
'str' are the keyword arguments it types int, float, Number or str: `ignore_index=1.5`,
`label_smoothing=None`, `diagonal=True`, `alpha=[2]`, `approximate=None` are TypeError there
(pyneuro computed, or failed with AttributeError). Rows of kinds 'dim', 'dims' and 'ints' are
where it types one dim, an int or a sequence of ints, or a sequence of ints only: `x.prod(dim=None)`,
`x.std(dim=True)`, `x.sum(dim=(0.,))`, `torch.full(2, 1.)`, `torch.flip(x, 0)` are TypeError there.
(torch.nn.functional's Python-level functions fail as their code does, AttributeError for a list
in F.softmax; those keep pyneuro's own checks.)

A sparse COO tensor (_sparse_coo.py, not a Tensor) passes the check and routes the call: torch's
functions take one (`torch.mul(s, 2)`, `torch.cat([s1, s2])`, `torch.relu(s)`), so a checked
function given one runs SPARSE_FUNCTIONS' form of it or the sparse tensor's method of that name,
found only on this unusual path: the dense calls pay nothing for it.

Arrows: imports numpy, _tensor_base and the two tables; the namespace modules import it
(_sparse_coo.py fills SPARSE_FUNCTIONS).
"""

from __future__ import annotations

import functools
import inspect
import types

import numpy as np

from ._errors import type_name
from ._memory import numpy_memory_error
from ._method_params import METHOD_PARAMS
from ._tensor_base import TensorBase
from ._tensor_params import TENSOR_PARAMS
from .overrides import handle_torch_function, overloaded_in

_NUMBERS = (bool, int, float, complex, np.number, np.bool_)
_PYTHON_NAMES = {"train": "training"}  # (torch's C++ name of a flag -> F.dropout's Python name)
_ABSENT = object()
_SPARSE = object()  # (_refusal's answer for a sparse COO tensor: torch takes it, SPARSE_FUNCTIONS' form runs)
_OVERLOADED = object()  # (check's answer where a tensor-like object's __torch_function__ takes the call)
# torch-level functions of a sparse COO tensor (pyneuro/_sparse_coo.py fills it: torch.cat of sparse
# tensors, ...); one not here, given a sparse first argument, is its method of that name if it has one
SPARSE_FUNCTIONS: dict = {}


class _Unset(int):
    """An int default that is not the same object as the value a caller writes: UNSET_ZERO reads
    and prints as 0, and `x is UNSET_ZERO` tells torch's overloads apart where giving the
    argument at all picks another one (round(x) vs round(x, decimals=0))."""

    __slots__ = ()


UNSET_ZERO = _Unset(0)
_TENSOR_KINDS = ("tensor", "number", "sequence", "tensors")
_SCALAR_NAMES = {"int": "int", "float": "float", "scalar": "Number", "str": "str"}  # (kind -> torch's word)
_REAL = (int, float, np.integer, np.floating, np.bool_)  # (a Python bool is an int)
_DIM_WORDS = {"dim": "int", "dims": "tuple of ints", "ints": "tuple of ints"}  # (kind -> torch's word)


def _scalar_refused(kind: str, x) -> bool:
    """Does torch's parser refuse x where it types the argument `kind` (its int, float, Number,
    str)? An int: a Python or NumPy integer, or an integer tensor (not a bool, not a float);
    a float or a Number: any real number (a Number a complex too) or a 0-d tensor; a str: a str."""
    if x is None:
        return not kind.endswith("|None")
    kind = kind.split("|")[0]
    if kind == "str":
        return not isinstance(x, str)
    if isinstance(x, TensorBase):
        return x.dtype.is_floating_point if kind == "int" else x.ndim != 0
    if kind == "int":
        return isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer))
    return not isinstance(x, _REAL + (complex, np.complexfloating) if kind == "scalar" else _REAL)


def _dims_refusal(name: str, arg: str, position, kind: str, x):
    """The TypeError for x given where torch types the argument `int dim` (kind 'dim'), `int[1]`
    ('dims': an int or a sequence of ints) or `int[]` ('ints': a sequence only, so full(2, 1.),
    torch.flip(x, 0) and torch.reshape(x, 6) are refused); None when torch takes x there. In a
    sequence torch's parser reads the first item as it reads a bare int and any later one as an
    index (a bool there is taken: zeros((2, True)) is (2, 1)). A str is a named dim: the
    function's own error; a tensor the function's own reading. (None is refused by keyword only,
    `x.prod(dim=None)`: pyneuro's functions pass their default None on by position.)"""
    base = kind.split("|")[0]
    if x is None:
        return None if kind.endswith("|None") else _not_a(_DIM_WORDS[base], name, arg, position, x)
    if isinstance(x, (str, TensorBase)):
        return None
    if base == "dim" or not isinstance(x, (tuple, list)):
        refused = base == "ints" or _scalar_refused("int", x)
        return _not_a(_DIM_WORDS[base], name, arg, position, x) if refused else None
    for i, item in enumerate(x):
        if _scalar_refused("int", item) and not (i and type(item) is bool) and not isinstance(item, str):
            where = f" (position {position})" if position else ""
            return TypeError(
                f"{name}(): argument '{arg}'{where} must be tuple of ints, but found element of type "
                f"{type_name(item)} at pos {i}"
            )
    return None


def _refusal(name: str, position: int, arg: str, kind: str, x):
    """The TypeError for x given as argument `arg`, None when torch takes x there, _SPARSE where x is
    a sparse tensor or a sequence holding one."""
    if isinstance(x, TensorBase):
        return None
    if getattr(type(x), "is_sparse", False) is True:  # (inline: numbers come this way on every call)
        return _SPARSE
    if kind.endswith("|None") and x is None:
        return None
    if kind.startswith("number") and isinstance(x, _NUMBERS):
        return None
    if kind == "sequence":  # (a lone tensor passes: atleast_1d(x), broadcast_tensors(x, y))
        if not isinstance(x, (list, tuple)):  # (an array, a number: torch's "must be tuple of Tensors")
            return TypeError(
                f"{name}(): argument '{arg}' (position 1) must be tuple of Tensors, not {type_name(x)}"
            )
        sparse = False
        for i, item in enumerate(x):
            if not isinstance(item, TensorBase):
                if not _is_sparse(item):
                    return TypeError(
                        f"expected Tensor as element {i} in argument 0, but got {type_name(item)}"
                    )
                sparse = True
        return _SPARSE if sparse else None
    return _not_a("Tensor", name, arg, position, x)


def _names(function) -> tuple:
    """The names of function's parameters that a call may give by keyword (read from the code
    object: inspect.signature for ~600 functions would cost import ~10 ms)."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code.co_varnames[: code.co_argcount + code.co_kwonlyargcount] if code is not None else ()


def _keyword(function, position: int, arg: str):
    """arg if it is the name of function's parameter at `position` (so `f(input=[1.])` is checked
    too); None where pyneuro's function orders its parameters otherwise."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    names = code.co_varnames[: code.co_argcount] if code is not None else ()
    return arg if len(names) >= position and names[position - 1] == arg else None


def _place(function, name: str):
    """The place (1-based, counting self) of function's positional parameter `name`; None if it
    is keyword-only. A flag torch's table found by keyword only (F.max_pool2d's ceil_mode, at
    position 6 in torch's own message) is checked there too: nn.MaxPool2d(2, ceil_mode=1) passes
    it on by position, and torch refuses it there."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    names = code.co_varnames[: code.co_argcount] if code is not None else ()
    return names.index(name) + 1 if name in names else None


def _default(function, name: str):
    """The default value of function's parameter `name` (read from the code object); _ABSENT if
    it has none or no such parameter."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None:
        return _ABSENT
    if name in (function.__kwdefaults__ or {}):
        return function.__kwdefaults__[name]
    positional, defaults = code.co_varnames[: code.co_argcount], function.__defaults__ or ()
    at = positional.index(name) if name in positional else -1
    first = len(positional) - len(defaults)
    return defaults[at - first] if at >= first else _ABSENT


def _checks(function, params, shift: int) -> tuple:
    """(index in the call's arguments or None, keyword or None, torch's name, torch's position,
    kind) per row of the table. A row with a position is checked there where pyneuro's parameter
    there has torch's name; one without (position 0: found by keyword) by keyword where pyneuro's
    function has a parameter of that name, and at that parameter's place where it is positional
    (so no other parameter is ever read as it)."""
    checks, code = [], getattr(inspect.unwrap(function), "__code__", None)
    for position, arg, kind in params:
        if (
            kind == "sequence"
            and code is not None
            and code.co_flags & inspect.CO_VARARGS
            and not code.co_argcount
        ):
            kind = "tensors"  # (atleast_1d(*tensors): one list, or each argument a Tensor)
        if kind.split("|")[0] in _TENSOR_KINDS and not position:  # (found by keyword: F.layer_norm's weight)
            if arg in _names(function):  # (by keyword only: x.scatter(0, i, 2.) is torch's value form)
                checks.append((None, arg, arg, None, kind))
            continue
        if kind.split("|")[0] in _TENSOR_KINDS:
            keyword = _keyword(function, position + shift, arg)
            if position <= 2 or keyword is not None:  # (3 and 4: where pyneuro's parameter has torch's name)
                checks.append((position + shift, keyword, arg, position, kind))
            continue
        if kind in _SCALAR_NAMES and _default(function, arg) is None:
            kind += "|None"  # (pyneuro's own calls pass its default None for "not given": reduce=None)
        for name in (arg, _PYTHON_NAMES.get(arg)):  # (torch.dropout's train, F.dropout's training)
            keyword = _keyword(function, position + shift, name) if position and name else None
            if keyword is not None:
                checks.append((position + shift, name, arg, position, kind))
                break
            if name in _names(function):  # (by keyword, and at pyneuro's place of that name)
                at = _place(function, name)
                if at is not None and not kind.startswith("bool") and at - shift <= 2:
                    at = None  # (randint(10, (3,)): overloads bind the first places otherwise)
                checks.append((at, name, arg, at - shift if at else None, kind))
                break
    return tuple(checks)


def _not_a(what: str, name: str, arg: str, position, x) -> TypeError:
    where = f" (position {position})" if position else ""
    return TypeError(f"{name}(): argument '{arg}'{where} must be {what}, not {type_name(x)}")


def _not_a_bool(name: str, arg: str, position, x) -> TypeError:
    return _not_a("bool", name, arg, position, x)


# (the types taken as they are where torch types an argument int, float, Number or str: a
# shortcut of _scalar_refused for the common calls, x.transpose(0, 1), F.dropout(x, 0.5))
_SCALAR_TAKES = {"int": (int,), "float": (int, float), "scalar": (int, float), "str": (str,)}


def _group(kind: str) -> tuple:
    """Which check a row of kind `kind` gets ('bool', 'scalar', 'dim', 'ints' or 'tensor') and
    the types of argument it takes without a look (exact types: no bool)."""
    if kind.startswith("bool"):
        return "bool", (bool,)
    base = kind.split("|")[0]
    if base in _DIM_WORDS:  # (an int is a dim, but no sequence of ints)
        return ("ints", ()) if base == "ints" else ("dim", (int,))
    if base in _SCALAR_NAMES:
        return "scalar", _SCALAR_TAKES[base]
    return "tensor", ()


def _checked(function, name: str, params, module: str, method: bool = False):
    """function, checking `params`; with method=True its positions count after `self`. function
    itself where no row applies to it."""
    checks = _checks(function, params, int(method))
    if not checks:
        return function
    # (each row's kind sorted once, here: the check below runs on every call)
    rows = tuple((*row, *_group(row[4])) for row in checks)
    # A call that gives none of the checked arguments (x.sum(), x.mean(), x.t()) has nothing to
    # check: it goes straight to the function (the loop cost more than many ops themselves).
    first = min((row[0] for row in checks if row[0] is not None), default=None)
    keywords = frozenset(row[1] for row in checks if row[1] is not None)

    def check(args, kwargs, given):
        """Raise torch's TypeError for an argument it refuses; else _OVERLOADED where a tensor-like
        object with __torch_function__ stands where a Tensor goes (the call is then its to answer),
        _SPARSE where a sparse tensor is among the arguments, None for plain ones."""
        found = None
        for index, keyword, arg, position, kind, group, takes in rows:
            if index is not None and given >= index:
                x = args[index - 1]
            else:
                x, position = kwargs.get(keyword, _ABSENT), None
            if x is _ABSENT or type(x) in takes:
                continue
            if group == "bool":  # (a Python bool only: not 1, np.bool_, a tensor, or None but for bool|None)
                if type(x) is not bool and not (x is None and kind == "bool|None"):
                    raise _not_a_bool(name, arg, position, x)
            elif group == "scalar":
                if _scalar_refused(kind, x):
                    raise _not_a(_SCALAR_NAMES[kind.split("|")[0]], name, arg, position, x)
            elif group == "dim" or group == "ints":
                if x is None and position is not None:
                    continue  # (None by position: pyneuro's own calls pass their default on so)
                if (refusal := _dims_refusal(name, arg, position, kind, x)) is not None:
                    raise refusal
            elif kind == "tensors" and given > 1:
                for i, item in enumerate(args):
                    if not isinstance(item, TensorBase):
                        if overloaded_in(item):
                            found = _OVERLOADED
                            continue
                        raise TypeError(
                            f"expected Tensor as element {i} in argument 0, but got {type_name(item)}"
                        )
            elif not isinstance(x, TensorBase):
                at = position or (index - int(method) if index else None)
                refusal = _refusal(name, at, arg, kind.replace("tensors", "sequence"), x)
                if refusal is _SPARSE:
                    found = found or _SPARSE
                elif refusal is not None:
                    if overloaded_in(x):  # (a tensor-like object with __torch_function__: overrides.py)
                        found = _OVERLOADED
                        continue
                    raise refusal
        return found

    @functools.wraps(function)
    def run(*args, **kwargs):
        given = len(args)
        if (first is not None and given >= first) or (kwargs and not keywords.isdisjoint(kwargs)):
            found = check(args, kwargs, given)
            if found is _OVERLOADED:  # (torch.mean(d): d's __torch_function__ answers)
                relevant = [o for x in (*args, *kwargs.values()) for o in overloaded_in(x)]
                return handle_torch_function(run, relevant, *args, **kwargs)
            if found is _SPARSE and not method:
                return _sparse_call(function, name, args, kwargs)
        try:
            return function(*args, **kwargs)
        except MemoryError as exc:  # NumPy's, for a result too large: torch's allocator raises RuntimeError
            raise numpy_memory_error(exc, f"{name}()") from None

    run.__checks_tensor_arguments__ = True
    if not method:
        run.__module__, run.__qualname__ = module, name  # (found as module.name: pickle refers to it so)
    return run


def _is_sparse(x) -> bool:
    return getattr(type(x), "is_sparse", False) is True


def _sparse_call(function, name: str, args, kwargs):
    """torch.<name>(...) given a sparse COO tensor: SPARSE_FUNCTIONS' form, else the sparse first
    argument's method of that name (torch.mul(s, 2) is s.mul(2)), else the function itself (which
    handles a sparse operand, as torch.mm(dense, s), or refuses it)."""
    handler = SPARSE_FUNCTIONS.get(name)
    if handler is not None:
        return handler(*args, **kwargs)
    if args and _is_sparse(args[0]):
        try:  # (a Tensor method it lacks: torch's NotImplementedError, an AttributeError too)
            method = getattr(args[0], name)
        except AttributeError as exc:
            if isinstance(exc, NotImplementedError):
                raise
        else:
            return method(*args[1:], **kwargs)
    return function(*args, **kwargs)


def check_tensor_arguments(namespace: dict, module: str) -> None:
    """Wrap each function of `namespace` (the globals of pyneuro's module `module`) that the table
    lists with the check (once)."""
    for name, params in TENSOR_PARAMS.get(module, {}).items():
        function = namespace.get(name)
        if (
            callable(function)
            and not isinstance(function, type)
            and not hasattr(function, "__checks_tensor_arguments__")
        ):
            namespace[name] = _checked(function, name, params, module)


def checked(function, name: str, module: str = "pyneuro"):
    """function with the check, for a name served later (pyneuro.__getattr__: pn.sum, pn.conv2d)."""
    params = TENSOR_PARAMS.get(module, {}).get(name)
    if params is None or hasattr(function, "__checks_tensor_arguments__"):
        return function
    return _checked(function, name, params, module)


def check_method_arguments(cls) -> None:
    """Wrap each method of cls (Tensor) that _method_params.METHOD_PARAMS lists with the check
    (once). A subclass's own override of such a method is not wrapped."""
    for name, params in METHOD_PARAMS["pyneuro.Tensor"].items():
        method = getattr(cls, name, None)
        if isinstance(method, types.FunctionType) and not hasattr(method, "__checks_tensor_arguments__"):
            setattr(cls, name, _checked(method, name, params, f"{cls.__module__}.{cls.__qualname__}", True))
