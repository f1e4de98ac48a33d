"""pn.load of what torch.save writes: PyTorch's zip archive (its format since 1.6), read without
trusting it, so a state dict or checkpoint saved in a PyTorch notebook loads here unchanged.

    sd = pn.load("model.pt")            # torch.save(model.state_dict(), "model.pt") in torch
    model.load_state_dict(sd)

The archive (stored, not compressed; every member under one folder, "archive/" or the file's stem):

    data.pkl        a pickle of the saved object, in which each tensor is a call
                    torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)
                    and each storage a persistent id ("storage", torch.FloatStorage, "KEY", "cpu", numel)
    data/KEY        that storage's bytes: numel elements, in the byte order of
    byteorder       "little" or "big" (absent in files from before PyTorch 2.1: little)
    version, .format_version, .storage_alignment, .data/serialization_id: bookkeeping, not read

Reading it is the pickle's job, restricted as torch.load's weights-only unpickler restricts it
(torch's default since 2.6): data.pkl may name only the globals torch's allow-list holds that
pyneuro has (the rebuild functions, storage types, dtypes, Size, device, Parameter, OrderedDict,
set, complex, bytes), plus what add_safe_globals allow-lists; anything else (a whole model,
`torch.save(model)`) is torch's UnpicklingError unless weights_only=False, which then builds
torch.nn classes as pyneuro's of the same name and imports the rest as pickle does.

Each storage becomes one NumPy array, checked against numel; tensors are views into it
(_checkpoint_reader's strided view entries), so tensors saved sharing memory (views, tied weights)
share it again, as torch's do, and each is placed where map_location says.
"""

from __future__ import annotations

import codecs
import collections
import io
import pickle
import sys
import zipfile

import numpy as np

from ._pickled import BOUNDED_DISPATCH, TrustedPickleError, _allowed, _bytearray, _Refs, _refusal
from ._safetensors import _int, check_member

PICKLE_NODE = "__torch_pickle__"

# torch's typed storage classes -> the dtype of their elements
_STORAGES = {
    "FloatStorage": "float32",
    "DoubleStorage": "float64",
    "HalfStorage": "float16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
}
_FOREIGN_STORAGES = {
    "BFloat16Storage": "bfloat16",
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
}


def torch_archive(zf: zipfile.ZipFile) -> str | None:
    """The folder of a torch.save archive's members ("archive/"), or None if zf is not one."""
    for name in zf.namelist():
        if name.endswith("data.pkl") and name.count("/") <= 1:
            return name[: -len("data.pkl")]
    return None


def read_archive(zf: zipfile.ZipFile, prefix: str, allow_large: bool) -> tuple:
    """(tree, arrays) of a torch.save archive: its pickle and storages as uint8 arrays, for pn.load's
    reader (_checkpoint_reader.py), whose tree node hands them to `unpickle`."""
    arrays = {}
    for info in zf.infolist():
        name = info.filename
        if name == prefix + "data.pkl" or (name.startswith(prefix + "data/") and not name.endswith("/")):
            check_member(info, allow_large)
            arrays[name] = np.frombuffer(bytearray(zf.read(info)), np.uint8)
    order = "little"
    if prefix + "byteorder" in zf.namelist():
        order = zf.read(prefix + "byteorder").decode("ascii", "replace").strip()
        if order not in ("little", "big"):
            raise ValueError(f"byteorder {order!r}: neither 'little' nor 'big'")
    tree = {PICKLE_NODE: {"data": prefix + "data.pkl", "storages": prefix + "data/", "byteorder": order}}
    return tree, arrays


# torch's functions that rebuild a tensor -> which of unpickle's builders stands in for each
_REBUILD = {
    ("torch._utils", "_rebuild_tensor_v2"): "tensor",
    ("torch._utils", "_rebuild_tensor"): "tensor",  # (files from before PyTorch 1.x's v2)
    ("torch._utils", "_rebuild_parameter"): "parameter",
    ("torch._utils", "_rebuild_parameter_with_state"): "parameter",
    ("torch._tensor", "_rebuild_from_type_v2"): "from_type",
}


class _StorageType:
    """torch.FloatStorage and its kin as a pickle names them: the dtype of a storage's elements."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(_STORAGES[name]) if name in _STORAGES else None


class _Storage:
    """One storage of the archive: the name of its array in the reader (a view entry's "storage")."""

    def __init__(self, name: str, dtype: np.dtype):
        self.name, self.dtype = name, dtype


class _TorchGlobals:
    """data.pkl's globals: `_torch_global` and allow-listed ones; with weights_only=False (trusted),
    anything else pickle finds."""

    trusted = False
    rebuild: dict = {}  # set by unpickle: the functions that build tensors

    def find_class(self, module: str, name: str):
        module = {"__builtin__": "builtins"}.get(module, module)  # (protocol 2's name of builtins)
        found = self.rebuild.get((module, name)) or _torch_global(module, name)
        if found is None:
            found = _allowed().get((module, name))
        if found is None and self.trusted:
            try:  # (a class the program no longer defines: pickle's error, unchanged as torch.load's)
                found = _trusted_global(module, name) or super().find_class(module, name)
            except Exception as exc:
                raise TrustedPickleError(exc) from None
        if found is None:
            raise _refusal(
                module,
                name,
                "a pickled Python object (torch.save of a whole model or another class), and unpickling "
                "it runs code from the file",
            )
        return found


class _WeightsOnlyUnpickler(_TorchGlobals, _Refs, pickle._Unpickler):
    """Python's implementation, as _pickled's weights-only one (its memo is a dict, its BYTEARRAY8
    reads before it allocates)."""

    dispatch = BOUNDED_DISPATCH


class _TrustedUnpickler(_TorchGlobals, _Refs, pickle.Unpickler):
    """weights_only=False: Python's C unpickler, as torch.load's."""


def _package():
    return sys.modules[__package__]  # (loaded: pn.load runs after `import pyneuro` completed)


def _torch_global(module: str, name: str):
    """What a global of torch's weights-only allow-list is here (None: not one of them)."""
    pn = _package()
    if module == "torch" and name.endswith("Storage") and (name in _STORAGES or name in _FOREIGN_STORAGES):
        return _StorageType(name)
    if module == "torch" and name in ("Size", "device", "Tensor"):
        return getattr(pn, name)
    if module == "torch" and isinstance(getattr(pn, name, None), (pn.dtype, type(pn.bfloat16))):
        return getattr(pn, name)  # (a dtype; torch.bfloat16 loads as the dtype pyneuro names but lacks)
    if (module, name) == ("torch.nn.parameter", "Parameter"):
        return pn.nn.Parameter
    if (module, name) == ("collections", "OrderedDict") or (module, name) == ("collections", "Counter"):
        return getattr(collections, name)
    if module == "builtins" and name in ("set", "complex"):
        return {"set": set, "complex": complex}[name]
    if module == "builtins" and name == "bytearray":
        return _bytearray
    if (module, name) == ("_codecs", "encode"):
        return _encode
    return None


def _encode(text, encoding="utf-8", errors="strict"):
    """_codecs.encode as protocol-2 pickles use it for bytes: str -> bytes, nothing else."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
        raise pickle.UnpicklingError(f"_codecs.encode({type(text).__name__}, {encoding!r}) in a checkpoint")
    return codecs.encode(text, encoding, errors)


def _trusted_global(module: str, name: str):
    """weights_only=False: a torch class as pyneuro's of the same name (torch.nn.modules.linear.Linear
    -> pyneuro.nn.Linear), so a whole model torch.save'd loads as pyneuro's model."""
    if module.split(".")[0] != "torch":
        return None
    pn = _package()
    target = pn
    for part in ["pyneuro", *module.split(".")[1:]]:
        target = getattr(target, part, None) if part != "pyneuro" else pn
        if target is None:
            break
    found = getattr(target, name, None) if target is not None else None
    if found is None and module.startswith("torch.nn."):
        found = getattr(pn.nn, name, None)
    if found is None:
        raise pickle.UnpicklingError(f"the checkpoint names {module}.{name}, which pyneuro does not have")
    return found


def unpickle(reader, value: dict):
    """The object a torch.save archive holds, its tensors built by reader (a _checkpoint_reader._Reader:
    its arrays hold read_archive's, its tensor_ex builds a view of a storage and places it)."""
    if not (isinstance(value, dict) and set(value) == {"data", "storages", "byteorder"}):
        raise ValueError(f"bad {PICKLE_NODE} entry")
    prefix, order, arrays = value["storages"], value["byteorder"], reader.arrays
    storages: dict = {}

    def persistent_load(pid):
        if not (
            isinstance(pid, tuple)
            and len(pid) == 5
            and pid[0] == "storage"
            and isinstance(pid[1], _StorageType)
            and isinstance(pid[2], str)
            and isinstance(pid[3], str)
            and _int(pid[4])
        ):
            raise pickle.UnpicklingError(f"bad storage reference {pid!r} in the checkpoint")
        _, kind, key, location, numel = pid
        if kind.dtype is None:
            raise ValueError(
                f"a {_FOREIGN_STORAGES[kind.name]} tensor, a dtype pyneuro does not have; convert it "
                "before saving (torch: t.float()) to load it here"
            )
        if location.startswith("cuda") and reader.maps_nowhere:
            reader.place_from_cuda(location)  # torch's RuntimeError on a machine without CUDA
        name = prefix + key
        if name in storages:
            if storages[name].dtype != kind.dtype:
                raise ValueError(f"storage {key} is named as {kind.name} and as another type")
            return storages[name]
        raw = arrays.get(name)
        if raw is None:
            raise ValueError(f"the checkpoint names storage {key!r}, which the archive does not hold")
        if raw.size != numel * kind.dtype.itemsize:
            raise ValueError(
                f"storage {key}: {numel} {kind.dtype} elements need {numel * kind.dtype.itemsize} bytes, "
                f"the archive holds {raw.size}"
            )
        typed = raw.view(kind.dtype.newbyteorder("<" if order == "little" else ">"))
        arrays[name] = typed.astype(kind.dtype) if typed.dtype != kind.dtype else typed
        storages[name] = _Storage(name, kind.dtype)
        return storages[name]

    def rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
        if not isinstance(storage, _Storage):
            raise pickle.UnpicklingError("a tensor in the checkpoint is not built on one of its storages")
        if not (isinstance(size, tuple) and isinstance(stride, tuple)):
            raise pickle.UnpicklingError(f"bad tensor size {size!r} or stride {stride!r} in the checkpoint")
        return reader.tensor_ex(
            {
                "storage": storage.name,
                "offset": offset,
                "shape": list(size),
                "stride": list(stride),
                "requires_grad": requires_grad is True,
                "parameter": False,
            }
        )

    def rebuild_parameter(data, requires_grad, hooks, state=None):
        if not isinstance(data, _package().Tensor):
            raise pickle.UnpicklingError("a Parameter in the checkpoint does not hold a tensor")
        return reader.parameter(data, bool(requires_grad))

    def rebuild_from_type(func, new_type, args, state):
        if func not in (rebuild_tensor, rebuild_parameter) or not isinstance(args, tuple):
            raise pickle.UnpicklingError("a tensor in the checkpoint is rebuilt by an unknown function")
        t = func(*args)
        if new_type is _package().nn.Parameter and type(t) is not new_type:
            t = reader.parameter(t, t.requires_grad)
        return t

    trusted = reader.weights_only is False
    stream = io.BytesIO(arrays[value["data"]].tobytes())
    unpickler = _TrustedUnpickler(stream) if trusted else _WeightsOnlyUnpickler(stream)
    unpickler.refs, unpickler.trusted = persistent_load, trusted
    roles = {"tensor": rebuild_tensor, "parameter": rebuild_parameter, "from_type": rebuild_from_type}
    unpickler.rebuild = {where: roles[role] for where, role in _REBUILD.items()}
    return unpickler.load()


# What get_unsafe_globals_in_checkpoint does not list for a torch archive: the globals above.
def is_data_global(module: str, name: str) -> bool:
    module = {"__builtin__": "builtins"}.get(module, module)
    return (module, name) in _REBUILD or _torch_global(module, name) is not None
