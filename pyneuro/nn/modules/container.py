"""Containers: Sequential, ModuleList, ModuleDict."""

from __future__ import annotations

import operator
from collections import OrderedDict

from ...tensor import Tensor
from ...torch_runtime import typename
from .module import Module, Parameter


def _position(idx: int, n: int) -> int:
    """A list container's index (negative counts from the end) as 0..n-1, or torch's IndexError."""
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx % n


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
        for m in self._modules.values():
            input = m(input)
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

    def _index(self, idx: int) -> int:
        return _position(idx, len(self._modules))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
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


class _KeyedStore(Module):
    """The dict methods of ModuleDict and ParameterDict over one of the module's own stores
    (`_store`: "_modules" or "_parameters"); subclasses say how an item is registered."""

    _store = "_modules"

    def __init__(self, items=None):
        super().__init__()
        if items is not None:
            self.update(items)

    @property
    def _items(self) -> OrderedDict:
        return self.__dict__[self._store]

    def __getitem__(self, key):
        return self._items[key]

    def __delitem__(self, key):
        del self._items[key]

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def __contains__(self, key):
        return key in self._items

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def items(self):
        return self._items.items()

    def get(self, key, default=None):
        return self._items.get(key, default)

    def pop(self, key):
        return self._items.pop(key)

    def clear(self) -> None:
        self._items.clear()

    def update(self, items):
        for key, value in items.items() if hasattr(items, "items") else items:
            self[key] = value


class ModuleDict(_KeyedStore):
    """A dict of modules that registers them under their keys (insertion order kept)."""

    def __init__(self, modules=None):
        super().__init__(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)


def _parameter_lines(items, type_text) -> str:
    """The lines of a ParameterList / ParameterDict repr, as torch prints them: "  (key): Parameter
    containing: [<type_text(p)> of size 2x3]" (ParameterList shows the dtype, ParameterDict the type name)."""
    lines = []
    for key, p in items:
        device = f" ({p.device})" if p.device.type == "cuda" else ""
        size = "x".join(str(n) for n in p.shape)
        lines.append(f"  ({key}): Parameter containing: [{type_text(p)} of size {size}{device}]")
    return "\n".join(lines)


def _as_parameter(value):
    """What a parameter container stores: tensors become Parameters (as torch), None stays."""
    if value is None or isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(
        f"cannot store '{type(value).__name__}' in a parameter container (Tensor or Parameter expected)"
    )


class ParameterList(Module):
    """A list of parameters that registers them (as "0", "1", ...), like torch.nn.ParameterList."""

    def __init__(self, values=None):
        super().__init__()
        for v in values or ():
            self.append(v)

    def append(self, value):
        self.register_parameter(str(len(self._parameters)), _as_parameter(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(list(self._parameters.values())[idx])
        return self._parameters[str(_position(idx, len(self._parameters)))]

    def __setitem__(self, idx, value):
        self.register_parameter(str(_position(idx, len(self._parameters))), _as_parameter(value))

    def __iadd__(self, values):
        return self.extend(values)

    def extra_repr(self) -> str:
        return _parameter_lines(self._parameters.items(), lambda p: p.dtype)


class ParameterDict(_KeyedStore):
    """A dict of parameters that registers them under their keys, like torch.nn.ParameterDict."""

    _store = "_parameters"

    def __init__(self, parameters=None):
        super().__init__(parameters)

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def extra_repr(self) -> str:
        return _parameter_lines(self._parameters.items(), typename)
