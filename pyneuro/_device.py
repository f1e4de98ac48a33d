"""pn.device: where a tensor lives, as torch.device ("cpu", "cuda", "cuda:0").

A device is a str subclass: `t.device` prints `cpu`, compares equal to the string "cpu" and
to pn.device("cpu"), and has torch's `.type` and `.index`. pyneuro has one GPU, so "cuda" and
"cuda:0" are the same device (equal, one hash); but as torch's, a device named with its index
("cuda:0", ("cuda", 0), "cpu:0") prints it (`cuda:0`, `device(type='cuda', index=0)`, `.index`
0) and one named without it does not (`cuda`, `.index` None), and a GPU tensor's device is
`cuda:0`. Imports nothing from pyneuro but the error types.
"""

from __future__ import annotations

import operator

from ._errors import ArgumentError


class device(str):
    """torch.device: pn.device("cuda" if pn.cuda.is_available() else "cpu")."""

    __slots__ = ()
    __module__ = "pyneuro"  # <class 'pyneuro.device'>, as torch's

    def __new__(cls, type, index=None):
        if isinstance(type, device):
            return type
        if index is not None:
            index = _index(index)
        if isinstance(type, int) and not isinstance(type, bool):  # device(0): the GPU, as torch's
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string like 'cpu' or 'cuda', got {type!r}")
        name, _, idx = type.partition(":")
        if name not in ("cpu", "cuda"):
            raise ArgumentError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if idx and index is not None:
            raise ArgumentError(
                f"type (string) must not include an index because index was passed explicitly: {type}"
            )
        if index is not None and index < 0:
            raise ArgumentError("Device index must not be negative")
        if idx or index not in (None, 0):
            if (idx or str(index)) != "0":  # ("cpu:0" is the cpu, as "cuda:0" is the GPU)
                raise ArgumentError(f"device {type!r}: pyneuro has one device of each type (index 0)")
        return _INDEXED[name] if idx or index is not None else _UNINDEXED[name]

    @property
    def type(self) -> str:
        return str.__str__(self)

    @property
    def index(self):
        return None

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self) -> device:
        """`with torch.device("cpu"):` makes it the default device for the block, as torch's; only
        the CPU can be the default here (set_default_device's rule)."""
        refuse_default(self)
        return self

    def __exit__(self, *exc) -> None:
        return None


class _IndexedDevice(device):
    """A device named with its index ("cuda:0", device("cpu", 0)), and a GPU tensor's device:
    prints the index, as torch's; equal to (and hashed as) the same device without it."""

    __slots__ = ()
    __module__ = "pyneuro"

    @property
    def index(self):
        return 0

    def __repr__(self) -> str:
        return f"device(type='{self.type}', index=0)"

    def __str__(self) -> str:
        return f"{self.type}:0"


_IndexedDevice.__name__ = _IndexedDevice.__qualname__ = "device"  # type(t.device): <class 'pyneuro.device'>


def _index(index) -> int:
    """device()'s index as torch's parser reads it: an int (a NumPy int or a 0-d integer tensor
    too, through __index__), never a bool, a float or a string (its TypeError)."""
    if not isinstance(index, bool):
        try:
            return operator.index(index)
        except TypeError:
            pass
    raise TypeError(f"device(): argument 'index' (position 2) must be int, not {type(index).__name__}")


def device_type(name: str) -> str:
    """'cpu' or 'cuda' for the device string a factory or `.to()` is given ("cuda:0"); an unknown
    type, or an index pn.device refuses ("cpu:x", "cuda:1"), is a RuntimeError."""
    kind, sep, _ = name.partition(":")
    if kind not in ("cpu", "cuda"):
        raise ArgumentError(f"unknown device {name!r}; expected 'cpu' or 'cuda'")
    return device(name).type if sep else kind


def refuse_default(where) -> None:
    """torch.set_default_device / `with torch.device(...)`: pyneuro's factories always default to the CPU."""
    if where is not None and device(where).type != "cpu":
        raise RuntimeError("pyneuro creates tensors on the CPU by default; pass device= to a factory instead")


_UNINDEXED = {name: str.__new__(device, name) for name in ("cpu", "cuda")}
_INDEXED = {name: str.__new__(_IndexedDevice, name) for name in ("cpu", "cuda")}
# what a tensor's .device is: torch's CPU tensors say `cpu`, its GPU tensors `cuda:0`
_DEVICES = {"cpu": _UNINDEXED["cpu"], "cuda": _INDEXED["cuda"]}
CPU = _DEVICES["cpu"]
CUDA = _DEVICES["cuda"]


def canonical(name: str) -> device:
    """The device object for an internal "cpu"/"cuda" string (the one Tensors carry)."""
    return _DEVICES[name]


def cuda_device(where=None) -> device:
    """Tensor.cuda / Module.cuda's device argument: None, an ordinal, "cuda", "cuda:0" or a cuda device."""
    if where is None:
        return CUDA
    d = device(where)
    if d != CUDA:
        raise RuntimeError(f"Invalid device, must be cuda device (got {where!r})")
    return d
