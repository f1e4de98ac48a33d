"""Containers: Sequential, ModuleList, ModuleDict, and ParameterList / ParameterDict (which, as in
torch, also hold non-tensor entries as plain attributes); torch's deprecated Container."""

from __future__ import annotations

import operator
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from ...tensor import Tensor
from ...torch_runtime import typename
from .activation import ReLU
from .linear import Linear
from .module import Module, Parameter


def _position(idx: int, n: int) -> int:
    """A list container's index (negative counts from the end) as 0..n-1, or torch's IndexError."""
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx % n


_DEFINED = {Linear: Linear.forward, ReLU: ReLU.forward}


def _as_defined(m) -> bool:
    """Does calling m run its class's own forward and nothing else? Not with hooks (which would
    see the tensor between a Linear and a ReLU), nor with a forward or __call__ replaced on the
    instance or the class (a patch that must run)."""
    cls = type(m)
    return (
        cls.forward is _DEFINED[cls]
        and cls.__call__ is Module.__call__
        and "forward" not in m.__dict__
        and not m._has_call_hooks()
    )


class Sequential(Module):
    """Modules applied in order; supports indexing, slicing, len, iteration, and torch's list
    operations (append, insert, extend, pop, del, +, *)."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input):
        modules = list(self._modules.values())
        i, n = 0, len(modules)
        while i < n:
            m = modules[i]
            # A Linear and then a ReLU, as they come: one matmul with the ReLU in its epilogue,
            # the same nodes and values (Linear._forward_relu).
            if type(m) is Linear and i + 1 < n and type(modules[i + 1]) is ReLU:
                if _as_defined(m) and _as_defined(modules[i + 1]):
                    input = m._forward_relu(input)
                    i += 2
                    continue
            input = m(input)
            i += 1
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def _key(self, idx) -> str:
        """The name of the child at position idx (negative counts from the end)."""
        return list(self._modules)[_position(operator.index(idx), len(self._modules))]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __setitem__(self, idx, module) -> None:
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for key in keys:
            delattr(self, key)
        items = list(self._modules.values())  # torch renumbers the rest 0..n-1 (names are lost)
        self._modules.clear()
        self._modules.update((str(i), m) for i, m in enumerate(items))

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def append(self, module: Module):
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        index = index + n if index < 0 else index
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, sequential):
        for layer in sequential:
            self.append(layer)
        return self

    def _sequential_only(self, other) -> None:
        if not isinstance(other, Sequential):
            raise ValueError(
                f"add operator supports only objects of Sequential class, but {type(other)} is given."
            )

    def __add__(self, other):
        self._sequential_only(other)
        return Sequential().extend(self).extend(other)

    def __iadd__(self, other):
        self._sequential_only(other)
        offset = len(self)
        for i, module in enumerate(other):
            self.add_module(str(i + offset), module)
        return self

    def _factor(self, other) -> int:
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        return other

    def __mul__(self, other):
        return Sequential(*(list(self) * self._factor(other)))

    __rmul__ = __mul__

    def __imul__(self, other):
        for module in list(self) * (self._factor(other) - 1):
            self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules that registers them (for models that loop over layers)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or ():
            self.append(m)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def insert(self, index: int, module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)

    def _renumber(self, items) -> None:
        self._modules.clear()
        for m in items:
            self.append(m)

    def _index(self, idx) -> int:
        return _position(operator.index(idx), len(self._modules))  # an int, or what converts to one

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])  # (a subclass stays one, as torch)
        return self._modules[str(self._index(idx))]

    def __setitem__(self, idx, module) -> None:
        self.add_module(str(self._index(idx)), module)

    def __delitem__(self, idx) -> None:
        items = list(self._modules.values())
        del items[idx if isinstance(idx, slice) else self._index(idx)]
        self._renumber(items)  # torch keeps the names 0..n-1 after a deletion too

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def __repr__(self) -> str:
        """torch's: a run of children that print the same shows once, as "(0-2): 3 x Linear(...)"."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [first index, last index, text]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for first, last, r in runs:
            head = f"({first}): " if first == last else f"({first}-{last}): {last - first + 1} x "
            lines.append((head + r).replace("\n", "\n  "))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules that registers them under their keys (insertion order kept)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __getitem__(self, key):
        return self._modules[key]

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def get(self, key, default=None):
        return self._modules.get(key, default)

    def pop(self, key):
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, items):
        for key, value in items.items() if hasattr(items, "items") else items:
            self[key] = value


def _entry_lines(items, type_text) -> str:
    """The lines of a ParameterList / ParameterDict repr, as torch prints them: a tensor as
    "  (key): Parameter containing: [<type_text(p)> of size 2x3]" (ParameterList shows the dtype,
    ParameterDict the type name), any other object as "  (key): Object of type: int"."""
    lines = []
    for key, p in items:
        if isinstance(p, Tensor):
            device = f" ({p.device})" if p.device.type == "cuda" else ""
            size = "x".join(str(n) for n in p.shape)
            kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
            lines.append(f"  ({key}): {kind} containing: [{type_text(p)} of size {size}{device}]")
        else:
            lines.append(f"  ({key}): Object of type: {type(p).__name__}")
    return "\n".join(lines)


def _as_parameter(value):
    """What a parameter container stores: a Tensor becomes a Parameter (as torch); anything
    else (None, a number, a string) is kept as a plain attribute."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class ParameterList(Module):
    """A list of parameters that registers them (as "0", "1", ...), like torch.nn.ParameterList.

    As in torch, each entry is an attribute named by its position: tensors become Parameters
    (registered), other objects are plain attributes that the list holds too."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _name(self, idx) -> str:
        return str(_position(operator.index(idx), len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = self.__class__()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._name(idx))

    def __setitem__(self, idx, value) -> None:
        setattr(self, self._name(idx), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        if not isinstance(values, Iterable) or isinstance(values, Tensor):  # a tensor is not unpacked
            raise TypeError(
                f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}"
            )
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return _entry_lines(enumerate(self), lambda p: p.dtype)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of parameters that registers them under their keys, like torch.nn.ParameterDict.

    As in torch: tensors become Parameters, other values are plain attributes; a plain dict
    given to the constructor or to update() is taken in sorted key order (an OrderedDict, a
    ParameterDict or a sequence of pairs keeps its order)."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _attr(key) -> str:
        if not isinstance(key, str):
            raise TypeError(
                "Index given to ParameterDict cannot be used as a key as it is not a string "
                f"(type is '{type(key).__name__}'). Open an issue on github if you need non-string keys."
            )
        return key

    def __getitem__(self, key):
        return getattr(self, self._attr(key))

    def __setitem__(self, key, value) -> None:
        self._keys[key] = None
        setattr(self, self._attr(key), _as_parameter(value))

    def __delitem__(self, key) -> None:
        del self._keys[key]
        delattr(self, self._attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def copy(self):
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        key, _ = self._keys.popitem()  # the last key (KeyError when empty, as torch)
        self._keys[key] = None
        return key, self.pop(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters) -> None:
        if not isinstance(parameters, Iterable):
            raise TypeError(
                "ParametersDict.update should be called with an iterable of key/value pairs, "
                f"but got {type(parameters).__name__}"
            )
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = []
            for j, p in enumerate(parameters):
                if not isinstance(p, Iterable):
                    raise TypeError(
                        f"ParameterDict update sequence element #{j} should be Iterable; is{type(p).__name__}"
                    )
                if len(p) != 2:
                    raise ValueError(
                        f"ParameterDict update sequence element #{j} has length {len(p)}; 2 is required"
                    )
                pairs.append(p)
        for key, value in pairs:
            self[key] = value

    def __or__(self, other):
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other):
        self.update(other)
        return self

    def extra_repr(self) -> str:
        return _entry_lines(self.items(), typename)

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")


_CONTAINER_DEPRECATED = "`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. Subclass that instead."


class Container(Module):
    """torch's deprecated nn.Container(**modules): a Module holding the keyword submodules. As in
    torch, creating one (not a subclass's instance) and subclassing it warn FutureWarning."""

    def __init_subclass__(cls, **kwargs):
        warnings.warn(_CONTAINER_DEPRECATED, FutureWarning, stacklevel=2)
        super().__init_subclass__(**kwargs)

    def __init__(self, **kwargs) -> None:
        if type(self) is Container:
            warnings.warn(_CONTAINER_DEPRECATED, FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
