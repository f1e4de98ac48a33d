"""pn.load's reader: turns the JSON tree of a pn.save file (serialization.py's docstring describes
the format) back into objects, checking every node against the file, and places the tensors where
map_location says. serialization.py finds the tree and the arrays in a file and hands them here."""

from __future__ import annotations

import math
import pickle
import sys
from collections import OrderedDict

import numpy as np

from . import cuda
from ._device import device
from ._dtype import public
from ._pickled import (
    PICKLE_KEY,
    TrustedPickleError,
    array_globals,
    require_allowed,
    scalar_globals,
    unpickled,
)
from ._safetensors import DTYPES_BY_NAME, _int
from ._shapes import Size
from ._torch_zip import PICKLE_NODE as _TORCH_PICKLE
from ._torch_zip import unpickle as _torch_unpickle
from .tensor import Tensor, _device

_NP_SCALARS = DTYPES_BY_NAME | {"uint16", "uint32", "uint64"}  # NumPy scalars stored as numbers + dtype
MAX_DEPTH = 128  # nesting of lists/dicts/tuples in a saved object (JSON and Python recursion stay bounded)


def _placement(map_location):
    """torch's map_location forms -> a function taking a CPU tensor to where it should live.
    Tensors are recorded as saved from the CPU: a dict maps "cpu" (what it does not name stays
    there; its values are device names, as torch matches them: a device object is a TypeError),
    a callable gets (tensor, "cpu") and returns the tensor to use (None: keep it), anything else
    is called as torch calls it (TypeError). As torch's, nothing is checked before a tensor is
    placed: a file without tensors loads whatever map_location says (a CUDA device on a machine
    without one, an unknown device name)."""
    if map_location is None:
        return lambda t: t
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu", "cpu")
        if not isinstance(map_location, str) or isinstance(map_location, device):
            return _refusal(
                TypeError(f"expected string or bytes-like object, got '{_type_name(map_location)}'")
            )
    elif not isinstance(map_location, str):
        if not callable(map_location):  # (torch calls what is not a string, a dict or a device)
            return _refusal(TypeError(f"'{type(map_location).__name__}' object is not callable"))
        return lambda t: _placed(map_location(t, "cpu"), t)
    return lambda t: _placed_on(map_location, t)


def _placed_on(where, t):
    name = _device(where)
    if name.startswith("cuda"):  # torch's refusal without CUDA, at the first tensor
        validate_cuda_device(where)
    return t if name == "cpu" else t.to(where)


def validate_cuda_device(location) -> int:
    """torch.serialization's: the GPU index a CUDA location names; torch's RuntimeError when no GPU
    is usable (what torch.load raises for a CUDA map_location on a CPU-only machine)."""
    if not cuda.is_available():
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
            "If you are running on a CPU-only machine, please use torch.load with "
            "map_location=torch.device('cpu') to map your storages to the CPU."
        )
    index = getattr(location, "index", None)
    if isinstance(location, str) and ":" in location:
        index = int(location.split(":", 1)[1])
    return 0 if index is None else int(index)


def _passing_errors(place):
    """place, its errors carried past pn.load's wrapping of a malformed file into CheckpointError
    (TrustedPickleError): torch.load raises map_location's errors, and a callable's own, unchanged."""

    def placed(t):
        try:
            return place(t)
        except Exception as exc:
            raise TrustedPickleError(exc) from None

    return placed


def _refusal(error: Exception):
    def place(t):
        raise error

    return place


def _type_name(obj) -> str:
    kind = type(obj)
    return (
        f"{kind.__module__.split('.')[0]}.{kind.__name__}" if kind.__module__ != "builtins" else kind.__name__
    )


def _placed(result, t):
    return result if isinstance(result, Tensor) else t


class _Reader:
    """Turns a header tree back into objects. Every node naming one stored array views that
    array's memory (and shares its version counter), so tensors saved sharing memory share it
    again; each tensor is then placed where map_location says."""

    def __init__(self, arrays: dict, map_location, weights_only=None):
        self.arrays, self.weights_only = arrays, weights_only
        self.place = _passing_errors(_placement(map_location))
        self.maps_nowhere = map_location is None  # (a storage saved from a GPU then stays on one)
        self.counters: dict = {}
        self.tensors: list = []  # every tensor node's tensor, in order: what {"__same__": i} names
        self.objects: list = []  # every container and array, as completed: what {"__memo__": i} names

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, list):
            return self.keep([self.decode(v, depth + 1) for v in node])
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if not isinstance(node, dict):
            raise ValueError(f"unexpected {type(node).__name__} in the header")
        if len(node) != 1:
            raise ValueError(f"unknown entry in the header: {sorted(node)[:5]}")
        ((kind, value),) = node.items()
        if kind == "__ndarray__":  # torch pickles an array: refused by a weights-only load, as torch's
            array = self.array(value)
            require_allowed(
                self.weights_only,
                array_globals(array.dtype),
                "a NumPy array, which torch.load unpickles, and so refuses by default",
            )
            return self.keep(array)
        if kind == "__memo__":  # the same container or array again
            if not (_int(value) and value < len(self.objects)):
                raise ValueError(f"a __memo__ entry names object {value!r} of {len(self.objects)} before it")
            return self.objects[value]
        if kind == "__npscalar__":
            return self.np_scalar(value)
        if kind == PICKLE_KEY:  # pickled objects: _pickled.py (refused unless allowed or weights_only=False)
            return unpickled(self.array(value), self.weights_only)
        if kind == "__pickle_ex__" and isinstance(value, dict) and set(value) == {"data", "tensors"}:
            return self.unpickle_with_tensors(value, depth)
        if kind == "__tensor__":
            return self.remember(self.place(self.tensor(self.array(value), value)))
        if kind == "__tensor_ex__" and isinstance(value, dict):
            return self.remember(self.tensor_ex(value))
        if kind == _TORCH_PICKLE:  # an archive torch.save wrote (_torch_zip.py)
            return _torch_unpickle(self, value)
        if kind == "__same__":  # the same tensor object again
            if not (_int(value) and value < len(self.tensors)):
                raise ValueError(f"a __same__ entry names tensor {value!r} of {len(self.tensors)} before it")
            return self.remember(self.tensors[value])
        if kind == "__frozenset__":  # (a set is data to torch's weights-only load, a frozenset is not)
            require_allowed(
                self.weights_only,
                [frozenset],
                "a frozenset, which torch.load unpickles, and so refuses by default",
            )
        if kind in ("__tuple__", "__set__", "__frozenset__") and isinstance(value, list):
            items = (self.decode(v, depth + 1) for v in value)
            return self.keep({"__tuple__": tuple, "__set__": set, "__frozenset__": frozenset}[kind](items))
        if kind in _SCALAR_KINDS:
            return _scalar(kind, value)
        if kind == "__state_dict__" and isinstance(value, dict) and set(value) == {"items", "metadata"}:
            out = self.decode({"__odict__": value["items"]}, depth)
            metadata = self.decode(value["metadata"], depth + 1)
            if not isinstance(metadata, dict):
                raise ValueError("a state_dict's metadata in the header is not a dict")
            out._metadata = metadata
            return out
        if kind in ("__dict__", "__odict__") and isinstance(value, list):
            out = OrderedDict() if kind == "__odict__" else {}
            for pair in value:
                tuple_key = isinstance(pair, list) and len(pair) == 2 and _tuple_node(pair[0])
                if not (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and (tuple_key or not isinstance(pair[0], (list, dict)))
                ):
                    raise ValueError("a dict entry in the header is not a [key, value] pair")
                out[_key(pair[0], depth + 1) if tuple_key else pair[0]] = self.decode(pair[1], depth + 1)
            return self.keep(out)
        raise ValueError(f"unknown entry in the header: {kind!r}")

    def keep(self, obj):
        self.objects.append(obj)
        return obj

    def remember(self, t):
        self.tensors.append(t)
        return t

    def unpickle_with_tensors(self, value: dict, depth: int):
        """A pickle whose tensors are entries of the file: its references resolve to them."""
        refs = value["tensors"]
        if not isinstance(refs, list):
            raise ValueError("a pickle's tensor list is not a list")
        refs = [self.decode(node, depth + 1) for node in refs]
        if not all(isinstance(t, Tensor) for t in refs):
            raise ValueError("a pickle refers to an entry that is not a tensor")

        def persistent_load(pid):
            if not (_int(pid) and pid < len(refs)):
                raise pickle.UnpicklingError(
                    f"the pickle refers to tensor {pid!r}, which the file does not hold"
                )
            return refs[pid]

        return unpickled(self.array(value["data"]), self.weights_only, persistent_load)

    def parameter(self, t: Tensor, requires_grad: bool) -> Tensor:
        return _as_parameter(t, requires_grad)

    def place_from_cuda(self, location: str) -> None:
        """A storage torch saved from a GPU, loaded without map_location: torch's error without CUDA."""
        _passing_errors(validate_cuda_device)(location)

    def np_scalar(self, value) -> np.generic:
        """np.float32(1.5) from ["float32", 1.5]: checked, and refused by a weights-only load as torch's."""
        if not (
            isinstance(value, list)
            and len(value) == 2
            and value[0] in _NP_SCALARS
            and isinstance(value[1], (bool, int, float))
        ):
            raise ValueError(f"bad __npscalar__ entry in the header: {value!r}")
        dtype = np.dtype(value[0])
        require_allowed(
            self.weights_only,
            scalar_globals(dtype),
            "a NumPy scalar, which torch.load unpickles, and so refuses by default",
        )
        return dtype.type(value[1])

    def array(self, name) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise ValueError(f"the header names a tensor {name!r} that the file does not hold")
        return self.arrays[name]

    def tensor(self, array: np.ndarray, name: str) -> Tensor:
        t = Tensor._wrap(array, "cpu")
        t._vc = self.counters.setdefault(name, [0])  # one version counter per stored array
        return t

    def tensor_ex(self, ex: dict) -> Tensor:
        """A tensor with requires_grad, a Parameter, or a strided view into a stored array."""
        keys = set(ex)
        if not (
            {"storage", "requires_grad", "parameter"}
            <= keys
            <= {"storage", "requires_grad", "parameter", "offset", "shape", "stride", "order"}
        ):
            raise ValueError(f"bad tensor entry {sorted(keys)}")
        storage = self.array(ex["storage"])
        if not (isinstance(ex["requires_grad"], bool) and isinstance(ex["parameter"], bool)):
            raise ValueError("requires_grad and parameter must be true or false")
        array = storage
        if "offset" in ex:
            offset, shape, stride = ex["offset"], ex.get("shape"), ex.get("stride")
            if not (
                _int(offset)
                and isinstance(shape, list)
                and isinstance(stride, list)
                and len(shape) == len(stride) <= 64
                and all(_int(d) for d in shape + stride)
            ):
                raise ValueError(f"bad view entry: offset {offset!r}, shape {shape!r}, stride {stride!r}")
            flat = storage.reshape(-1)
            last = offset + sum((n - 1) * st for n, st in zip(shape, stride))
            if math.prod(shape) and last >= flat.size:
                raise ValueError(f"a view reaches element {last} of a {flat.size}-element storage")
            item = flat.dtype.itemsize
            # an ndarray over the stored array (its .base: the tensors share one untyped_storage(),
            # as torch's views do; as_strided's base would be a stand-in object)
            array = np.ndarray(
                shape,
                flat.dtype,
                buffer=storage,
                offset=min(offset, flat.size) * item,
                strides=[st * item for st in stride],
            )
        if "order" in ex:  # a transposed tensor stored in C order: laid out as it was saved
            order = ex["order"]
            if (
                "offset" in ex
                or not isinstance(order, list)
                or not all(_int(i) for i in order)
                or sorted(order) != list(range(array.ndim))
            ):
                raise ValueError(f"bad axis order {order!r} for a {array.ndim}-d tensor")
            laid = np.empty([array.shape[i] for i in order], array.dtype).transpose(np.argsort(order))
            laid[...] = array
            array = laid
        t = self.tensor(array, ex["storage"])
        if ex["requires_grad"] and t.dtype.is_floating_point:
            t.requires_grad_(True)
        if ex["parameter"]:
            t = _as_parameter(t)
        return self.place(t)


_SCALAR_KINDS = ("__complex__", "__bytes__", "__dtype__", "__size__")


def _scalar(kind: str, value):
    """A complex number, bytes, a dtype or a Size from its header entry (checked)."""
    if kind == "__complex__" and isinstance(value, list) and len(value) == 2:
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return complex(*value)
    elif kind == "__bytes__" and isinstance(value, str):
        return bytes.fromhex(value)
    elif kind == "__dtype__" and isinstance(value, str) and value in DTYPES_BY_NAME:
        return public(np.dtype(value))
    elif kind == "__size__" and isinstance(value, list) and all(_int(d) for d in value):
        return Size(value)
    raise ValueError(f"bad {kind} entry in the header: {value!r}")


def _tuple_node(node) -> bool:
    return isinstance(node, dict) and len(node) == 1 and isinstance(node.get("__tuple__"), list)


def _key(node, depth: int):
    """A dict key from its header entry: None, a bool, number or string, or a tuple of such keys."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    if _tuple_node(node):
        return tuple(_key(k, depth + 1) for k in node["__tuple__"])
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    raise ValueError("a dict key in the header is not a tuple of numbers and strings")


def _as_parameter(t: Tensor, requires_grad: bool | None = None) -> Tensor:
    """nn.Parameter(t) sharing t's memory and version counter. nn is one of the submodules the
    package loads on first access (`import pyneuro` does not load it): asked for through the
    package, it is loaded only when a file holds a Parameter."""
    Parameter = sys.modules[__package__].nn.Parameter
    p = Parameter(t, requires_grad=t.requires_grad if requires_grad is None else requires_grad)
    p._vc = t._vc
    return p
