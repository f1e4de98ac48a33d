"""pn.save / pn.load: safetensors files, written atomically and read without trusting them.

File format (what pn.save writes): safetensors, the ecosystem's safe tensor format
(https://github.com/huggingface/safetensors#format), so `safetensors.torch.load_file(path)`
reads a pyneuro state dict straight into the equivalent torch module:

    8 bytes        N, the header length (unsigned little-endian 64-bit)
    N bytes        UTF-8 JSON: {"NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]},
                                ..., "__metadata__": {"format": "pt", "pyneuro": "<JSON>"}}
                   (padded with spaces to a multiple of 8 bytes)
    the rest       every tensor's little-endian bytes, back to back; offsets count from here

A flat state dict {name: Tensor} becomes tensors named exactly as its keys ("0.weight").
Anything else pn.save accepts (optimizer state, epochs, strings, nested lists, tuples, sets and
dicts) is described by the JSON tree in the "pyneuro" metadata entry:
numbers, strings, bools and None as themselves; lists as lists; dicts as
{"__dict__": [[key, value], ...]} (OrderedDicts as "__odict__"; a tuple key as a "__tuple__"
node); tuples as {"__tuple__": [...]}, sets as {"__set__": [...]} ("__frozenset__"); complex
numbers, bytes, dtypes and Sizes as {"__complex__": [re, im]}, {"__bytes__": HEX},
{"__dtype__": "float32"}, {"__size__": [2, 3]}; tensors
as {"__tensor__": NAME}, NumPy arrays as {"__ndarray__": NAME} (one of a dtype the format lacks,
np.random.get_state()'s uint32 or strings, is pickled, as torch pickles every array) and NumPy scalars as
{"__npscalar__": ["float64", 0.93]} (a weights-only load refuses both, and frozensets, unless their
globals are allow-listed, as torch.load refuses what it would unpickle), where NAME is the tensor's
dotted path ("optimizer.state.0.exp_avg"). Tensors whose memory overlaps (the same tensor
twice, views of one tensor, tied weights) are stored once, as the span of memory they cover
(a view of a larger tensor, x[0:5] of arange(999) saved alone, as that tensor's whole memory,
shared by all its views saved: torch.save writes a view's whole storage),
and each as {"__tensor_ex__": {"storage": NAME, "offset": k, "shape": [...], "stride": [...],
"requires_grad": b, "parameter": b}}, a strided view into it (offset and strides counted in
elements), so they share memory again after loading, as torch's do; the same entry without
offset/shape/stride brings back requires_grad or an nn.Parameter. The same tensor object met again
is {"__same__": i} (the i-th tensor entry of the tree), one object again after loading; the same
list, dict, tuple, set or NumPy array met again is {"__memo__": i} (the i-th such node that loading
completes), one object again, as torch's pickle memo keeps it. A safetensors file without
the "pyneuro" entry (written by torch) loads as a dict {name: Tensor}; an archive torch.save wrote
loads as torch.load gives it (_torch_zip.py reads it). Any other object (a whole
nn.Module, a custom class, a subclass such as a namedtuple or defaultdict, a dict with keys
the header cannot hold) is pickled, as torch.save does, into one uint8 tensor: {"__pickle__":
NAME}; see _pickled.py for when pn.load unpickles it. An object holding such a thing is pickled
whole, as one object graph ({"model": model, "optimizer": optimizer} loads with the
optimizer stepping the loaded model's own parameters, as torch's does). The pickle's tensors
and Parameters stay out of it, as torch keeps its storages out: stored as entries like any
other tensor and referred to by persistent ids, {"__pickle_ex__": {"data": NAME, "tensors":
[tensor nodes]}}, so they share memory after loading as they did before saving.

Saving to a path is atomic (_atomic.py): the bytes go to a temporary file beside the target
(".NAME.tmp-PID-XXXX"), which is flushed, fsync'ed and then renamed over the target
(os.replace), and the folder is fsync'ed; a failed or killed save leaves the previous file
intact. Temporary files that killed saves left behind are removed by the next save to the
same path. A device or FIFO (pn.save(x, os.devnull)) is written in place, as torch writes it.
A write that fails (a full disk, to a path or an open file) raises SaveWriteError: the OSError with
its errno, and the RuntimeError torch.save raises.

Loading unpickles nothing but those entries, and checks everything against the file before it allocates: the
header size, the dtype whitelist (float16/32/64, int8/16/32/64, uint8, bool), every tensor's
byte size against its shape, offsets inside the file without overlaps or holes, a bounded
nesting depth. A file, a stream or a device is read only as far as its header says (the header
first, then the data it names: /dev/zero, a pipe or a large archive loaded by mistake is refused
after its first bytes, as torch refuses them). Version-1 files (.npz archives with a "__pyneuro__" header, written by
earlier pyneuro) still load, with the same checks; a compressed member that would expand
more than MAX_EXPANSION times is refused unless `allow_large=True`. Anything malformed
raises CheckpointError naming the file: a ValueError, and the RuntimeError and
UnpicklingError torch raises for a damaged file (an empty one is also an EOFError).
"""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import stat
import struct
import sys
import warnings
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from ._atomic import (  # noqa: F401 - the error classes: pn.serialization's names for them
    SaveFolderMissingError,
    SaveIsADirectoryError,
    SavePermissionError,
    SaveWriteError,
    atomic_write,
    save_error,
)
from ._checkpoint_reader import _NP_SCALARS, MAX_DEPTH, _Reader, validate_cuda_device  # noqa: F401
from ._dtype import DType
from ._errors import ArgumentError
from ._memory_spans import address, dense_order, extent, overlapping, root, viewable
from ._pickled import (  # noqa: F401 - torch's names
    PICKLE_KEY,
    TensorValues,
    TrustedPickleError,
    add_safe_globals,
    array_globals,
    clear_safe_globals,
    get_safe_globals,
    pickle_globals,
    pickled,
    require_allowed,
    safe_globals,
    scalar_globals,
    unpickled,
    unsafe_globals,
)
from ._safetensors import (  # noqa: F401 - the format's names, as pn.serialization had them
    _CODES,
    DTYPES,
    DTYPES_BY_NAME,
    MAGIC,
    MAX_EXPANSION,
    MAX_HEADER,
    StreamError,
    _int,
    _read_npz,
    _read_safetensors,
    read_object,
)
from ._serialization_options import (  # noqa: F401 - torch.serialization's names
    LoadEndianness,
    default_restore_location,
    get_crc32_options,
    get_default_load_endianness,
    get_default_mmap_options,
    location_tag,
    set_crc32_options,
    set_default_load_endianness,
    set_default_mmap_options,
)
from ._shapes import Size
from ._torch_zip import PICKLE_NODE as TORCH_PICKLE
from ._torch_zip import is_data_global as torch_data_global
from ._torch_zip import read_archive, torch_archive
from .tensor import Tensor

VERSION = 6  # 1: .npz archives (still read); 2: safetensors; 3: + shared memory, requires_grad,
# Parameter, sets; 4: + pickles whose tensors are entries of the file ("__pickle_ex__"); 5: + NumPy
# scalars keep their type ("__npscalar__"; before, stored as Python numbers), the same tensor
# object twice loads as one ("__same__"); 6: so does the same list, dict, tuple, set or array ("__memo__")
_META_KEY = "pyneuro"


DEFAULT_PROTOCOL = 2  # torch.serialization's (pickle_protocol=DEFAULT_PROTOCOL is accepted, as any)


class SourceChangeWarning(Warning):
    """torch's warning that a pickled module's source changed; pyneuro never issues it (scripts
    filter it: warnings.filterwarnings("ignore", category=torch.serialization.SourceChangeWarning))."""


class CheckpointError(ArgumentError, pickle.UnpicklingError):
    """A file pn.load cannot read: a ValueError (pyneuro's promise), and a RuntimeError and an
    UnpicklingError (what torch.load raises for a damaged zip or pickle)."""


class EmptyCheckpointError(CheckpointError, EOFError):
    """pn.load of an empty file or of a stream read to its end: also an EOFError, as torch's."""


# ------------------------------------------------------------------------------ saving
class _TooDeep(ValueError):
    """An object nested deeper than MAX_DEPTH (or holding itself): _safetensors_parts pickles it."""


def _encode(obj, tensors: dict, path: str, depth: int, pending: list, memo: dict):
    if depth > MAX_DEPTH:
        raise _TooDeep(f"pn.save: the object is nested more than {MAX_DEPTH} levels deep")
    kind = type(obj)  # exact types: a subclass (namedtuple, defaultdict, IntEnum) is pickled, kept whole
    if obj is None or kind in (bool, str, int, float):
        return obj
    if id(obj) in memo:  # a list, dict, ... met again: {"__memo__": i}, one object after loading
        return {"__memo__": memo[id(obj)][0]}
    if isinstance(obj, (np.integer, np.floating, np.bool_)) and obj.dtype.name in _NP_SCALARS:
        return {"__npscalar__": [obj.dtype.name, obj.item()]}  # np.float64(0.93) loads as one, as torch's
    if kind is complex:
        return {"__complex__": [obj.real, obj.imag]}
    if kind is bytes:
        return {"__bytes__": obj.hex()}
    if isinstance(obj, DType):
        return {"__dtype__": obj.dtype.name}
    if isinstance(obj, Size):
        return {"__size__": [int(d) for d in obj]}
    if hasattr(kind, "cls_to_become") or (isinstance(obj, Tensor) and getattr(obj, "__dict__", None)):
        # a lazy module's UninitializedParameter (no values), a tensor with attributes of its own
        # (t.note = ...): pickled, as torch's, with the attributes (data to a weights-only load)
        return _pickle_node(obj, tensors, path, depth, pending, memo)
    if isinstance(obj, (Tensor, np.ndarray)):
        array = (
            obj._data if isinstance(obj, Tensor) and isinstance(obj._data, np.ndarray) else np.asarray(obj)
        )
        if array.dtype.newbyteorder("<") not in _CODES and array.dtype not in _CODES:
            if isinstance(obj, np.ndarray):  # np.random.get_state()'s uint32 keys, strings, objects:
                return _pickle_node(obj, tensors, path, depth, pending, memo)  # pickled, as torch's
            raise TypeError(
                f"pn.save cannot store dtype {array.dtype} (at {path or 'the top'}); "
                f"storable: {', '.join(str(np.dtype(d)) for d in DTYPES.values())}"
            )
        if isinstance(obj, np.ndarray):
            return _memoized(memo, obj, {"__ndarray__": _add_array(tensors, path, array)})
        node: dict = {}  # filled by _place_tensors once every tensor of `obj` is known
        pending.append((obj, array, path, node))
        return node
    if kind in (set, frozenset):
        items = [
            _encode(v, tensors, f"{path}.{i}" if path else str(i), depth + 1, pending, memo)
            for i, v in enumerate(obj)
        ]
        return _memoized(memo, obj, {f"__{kind.__name__}__": items})
    if kind in (dict, OrderedDict):
        if not all(_plain_key(k) for k in obj):  # np.int64, dtype or frozenset keys: pickled, as torch's
            return _pickle_node(obj, tensors, path, depth, pending, memo)
        items = []
        for k, v in obj.items():
            items.append(
                [
                    _key_node(k),
                    _encode(v, tensors, f"{path}.{k}" if path else str(k), depth + 1, pending, memo),
                ]
            )
        node = _memoized(memo, obj, {"__odict__" if kind is OrderedDict else "__dict__": items})
        metadata = getattr(
            obj, "_metadata", None
        )  # a state_dict's per-module versions: load_state_dict reads them
        if kind is OrderedDict and isinstance(metadata, dict):
            kept = OrderedDict if isinstance(metadata, OrderedDict) else dict  # (torch's: an OrderedDict)
            meta = _encode(kept(metadata), tensors, f"{path}._metadata", depth + 1, pending, memo)
            return {"__state_dict__": {"items": items, "metadata": meta}}
        return node
    if kind in (tuple, list):
        items = [
            _encode(v, tensors, f"{path}.{i}" if path else str(i), depth + 1, pending, memo)
            for i, v in enumerate(obj)
        ]
        return _memoized(memo, obj, {"__tuple__": items} if kind is tuple else items)
    return _pickle_node(obj, tensors, path, depth, pending, memo)  # a Module, a class: _pickled.py


def _memoized(memo: dict, obj, node):
    """node, after obj's number in memo (the order pn.load finishes decoding containers in): the
    same list, dict, tuple, set or NumPy array met again is written {"__memo__": number} and loads as
    one object, as torch's pickle memo keeps it (objects are held, so that no id is reused)."""
    memo[id(obj)] = (len(memo), obj)
    return node


def _pickle_node(obj, tensors: dict, path: str, depth: int, pending: list, memo: dict) -> dict:
    """obj pickled, its tensors and Parameters kept out of the pickle as tensor entries it refers
    to (persistent ids, as torch.save keeps storages out of its pickle): tensors sharing memory
    (a model's parameters and views of them beside it) share it again after loading."""
    refs: list = []
    ids: dict = {}

    def persistent_id(x):
        if type(x) not in (Tensor, _parameter_type()) or getattr(x, "__dict__", None):
            return None  # other objects, and tensors with attributes of their own, are pickled
        if id(x) not in ids:
            ids[id(x)] = len(refs)
            refs.append(
                _encode(x, tensors, f"{path or 'object'}.tensor{len(refs)}", depth + 1, pending, memo)
            )
        return ids[id(x)]

    name = _add_array(tensors, path or "object", pickled(obj, persistent_id, _reduce_tensor))
    return {"__pickle_ex__": {"data": name, "tensors": refs}} if refs else {PICKLE_KEY: name}


def _reduce_tensor(x):
    """The pickler's reduction of a tensor kept in the pickle (one with attributes of its own, a
    subclass): its values as TensorValues, which a weights-only load rebuilds without NumPy's globals."""
    if not (isinstance(x, Tensor) and isinstance(x._data, np.ndarray)):
        return NotImplemented
    reduced = x.__reduce_ex__(pickle.DEFAULT_PROTOCOL)
    state = reduced[2] if len(reduced) > 2 else None
    if not (
        isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict) and "_data" in state[1]
    ):
        return NotImplemented  # a subclass reducing itself its own way: pickled as it says
    return (*reduced[:2], (state[0], dict(state[1], _data=TensorValues(x._data))), *reduced[3:])


def _parameter_type():
    nn = sys.modules.get(f"{__package__}.nn")  # no Parameter can exist before pyneuro.nn is loaded
    return nn.Parameter if nn is not None else Tensor


def _plain_key(key) -> bool:
    """Whether a dict key is stored in the header: None, a bool, int, float or str, or tuples of them."""
    if type(key) is tuple:
        return all(_plain_key(k) for k in key)
    return key is None or type(key) in (bool, int, float, str)


def _key_node(key):
    return {"__tuple__": [_key_node(k) for k in key]} if type(key) is tuple else key


def _add_array(tensors: dict, path: str, array: np.ndarray) -> str:
    """Store `array` under a fresh name derived from its path; returns the name."""
    name = path or "tensor"
    while name in tensors or name == "__metadata__":
        name += "_"
    tensors[name] = array
    return name


def _place_tensors(pending: list, tensors: dict) -> None:
    """Fill each tensor's node. Tensors whose memory overlaps (the same tensor twice, views of
    one tensor, tied weights) are stored once, as the span of memory they cover, and each is
    written as a strided view into it, so that they share memory again after loading, as
    torch's do. A tensor alone (the usual state dict entry) is stored as itself. The same tensor
    object met again is {"__same__": i}, the i-th tensor node of the tree (in the order pn.load
    decodes them), so that it loads as one object, as torch's pickle memo makes it."""
    seen: dict = {}
    for i, (obj, _, _, node) in enumerate(pending):
        if seen.setdefault(id(obj), i) != i:
            node["__same__"] = seen[id(obj)]
    wholes: dict = {}  # (id of a root array, dtype) -> the name its whole storage is stored under
    for group in overlapping([entry for entry in pending if not entry[3]]):
        first_obj, first, first_path, first_node = group[0]
        whole = _whole_storage(group)
        order = dense_order(first) if len(group) == 1 and not whole else None
        if order is not None:  # a lone transposed tensor: its values in C order, under its shape
            name = _add_array(tensors, first_path, np.ascontiguousarray(first))
            _fill_node(first_node, first_obj, name, None, order)
            continue
        # a group, or a lone strided tensor (kept strided, as torch keeps it), is written as views
        shared = whole or ((len(group) > 1 or not first.flags.c_contiguous) and viewable(group))
        if not shared:
            for obj, array, path, node in group:
                _fill_node(node, obj, _add_array(tensors, path, array), None)
            continue
        starts = [address(a) for _, a, _, _ in group]
        lo = min(starts)
        hi = max(s + extent(a) for s, (_, a, _, _) in zip(starts, group))
        if whole:  # (the view's whole storage, as torch writes it)
            lo = address(root(first))
            hi = lo + root(first).nbytes
        item = first.dtype.itemsize
        if lo == starts[0] and hi - lo == first.nbytes and first.flags.c_contiguous:
            storage = first  # the first tensor covers the span: stored as itself, under its own name
        else:
            storage = np.ndarray(
                ((hi - lo) // item,), first.dtype, buffer=root(first), offset=lo - address(root(first))
            )
        if whole:  # (views of one tensor in separate groups share its storage, as torch's do)
            key = (id(root(first)), first.dtype.str)
            if key not in wholes:
                wholes[key] = _add_array(tensors, first_path, storage)
            name = wholes[key]
        else:
            name = _add_array(tensors, first_path, storage)
        for start, (obj, array, _, node) in zip(starts, group):
            layout = None
            if not (
                array is storage
                or (start == lo and array.shape == storage.shape and array.flags.c_contiguous)
            ):
                layout = [(start - lo) // item, list(array.shape), [s // item for s in array.strides]]
            _fill_node(node, obj, name, layout)


def _whole_storage(group: list) -> bool:
    """Whether a group holding a view of a larger tensor (x[0:5] of arange(999)) is written as
    that tensor's whole memory, as torch.save writes a view's whole storage (its "Serialization
    semantics" note: loaded, small.storage().size() is 999; clone() first to save only the view)."""
    base = root(group[0][1])
    if not any(getattr(obj, "_view", None) is not None for obj, _, _, _ in group):
        return False
    if not (isinstance(base, np.ndarray) and base.flags.c_contiguous and viewable(group)):
        return False
    starts = [address(a) for _, a, _, _ in group]
    span = max(s + extent(a) for s, (_, a, _, _) in zip(starts, group)) - min(starts)
    return base.nbytes > span


def _fill_node(node: dict, obj, name: str, layout, order=None) -> None:
    """{"__tensor__": name} for a plain tensor stored as itself; {"__tensor_ex__": {...}} for a
    view into a shared storage ([offset, shape, strides] in elements), a transposed tensor stored
    in C order ("order": its axes from the outermost in memory) or a tensor that needs its
    requires_grad or Parameter-ness back."""
    parameter = type(obj).__name__ == "Parameter"
    if layout is None and order is None and not parameter and not obj.requires_grad:
        node["__tensor__"] = name
        return
    ex = {"storage": name, "requires_grad": bool(obj.requires_grad), "parameter": parameter}
    if layout is not None:
        ex["offset"], ex["shape"], ex["stride"] = layout
    if order is not None:
        ex["order"] = order
    node["__tensor_ex__"] = ex


def _pickle_names(node) -> set:
    """The names of the pickled entries in an encoded tree."""
    if isinstance(node, list):
        return set().union(*(_pickle_names(v) for v in node))
    if not isinstance(node, dict):
        return set()
    if PICKLE_KEY in node:
        return {node[PICKLE_KEY]}
    if "__pickle_ex__" in node:
        return {node["__pickle_ex__"]["data"]}
    return set().union(*(_pickle_names(v) for v in node.values()))


def _safetensors_parts(obj) -> tuple[bytes, list]:
    """(8-byte length + padded JSON header, [little-endian C-contiguous arrays in file order])."""
    tensors: dict = {}
    pending: list = []
    try:
        tree = _encode(obj, tensors, "", 0, pending, {})
        whole = _pickle_names(tree) and PICKLE_KEY not in tree and "__pickle_ex__" not in tree
    except _TooDeep:  # a list holding itself, or nesting deeper than the header's limit: pickled
        whole = True  # whole, as torch.save pickles it (the pickle memo keeps the cycle)
    if whole:
        # {"model": model, "optimizer": optimizer}: one object graph, pickled whole as torch.save
        # pickles it, so that the optimizer's parameters are the loaded model's parameters again
        tensors, pending = {}, []
        tree = _pickle_node(obj, tensors, "", 0, pending, {})
    _place_tensors(pending, tensors)
    header, arrays, offset = {}, [], 0
    last = _pickle_names(tree)  # pickles after the tensors they refer to
    for name, array in sorted(tensors.items(), key=lambda item: item[0] in last):
        array = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")  # keeps 0-d shapes
        header[name] = {
            "dtype": _CODES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
        arrays.append(array)
    text = json.dumps(tree)
    version = _format_version(text, [tensors[name] for name in last])
    header["__metadata__"] = {"format": "pt", _META_KEY: f'{{"version": {version}, "tree": {text}}}'}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, arrays


def _format_version(tree_text: str, pickles: list) -> int:
    """The oldest format version that reads the file: 6 if it shares containers ("__memo__") or a
    pickle carries TensorValues (pyneuro before version 6 has neither), otherwise 5."""
    if '"__memo__":' in tree_text or any(b"values_array" in p.tobytes() for p in pickles):
        return VERSION
    return 5


def _write(fh, head: bytes, arrays: list) -> None:
    """The parts _safetensors_parts made, written to fh."""
    _write_all(fh, memoryview(head))
    for array in arrays:
        _write_all(fh, memoryview(array.reshape(-1).view(np.uint8)))


def _write_all(fh, view: memoryview) -> None:
    """Write all of `view`: an unbuffered file, a pipe or a socket may take part of it per call
    (Linux writes at most 2 GiB at once) and says how much; buffered files take it all."""
    while view:
        n = fh.write(view)
        if not isinstance(n, int) or n >= len(view):  # None: a writer that does not count (all taken)
            return
        if n <= 0:
            raise OSError(errno.EIO, f"pn.save: the file took no bytes ({n!r} of {len(view)})")
        view = view[n:]


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True) -> None:
    """Save a state dict, optimizer state, any dict/list/tuple/set of tensors, numbers and strings,
    or (pickled, as torch.save) a whole model or another object.

    f is a path (written exactly as given, no suffix added; `.safetensors` is the format's
    own extension) or a binary file object. A path is written atomically (module docstring).
    Tensors that share memory (the same tensor twice, views of one tensor) load sharing it;
    requires_grad and nn.Parameter are kept. pickle_module, pickle_protocol and
    _use_new_zipfile_serialization are accepted and change nothing (Python's default protocol).
    """
    if not isinstance(f, (str, os.PathLike)) and not hasattr(f, "write"):
        raise AttributeError(
            "expected 'f' to be string, path, or a file-like object with a 'write' attribute"
        )
    head, arrays = _safetensors_parts(obj)  # what cannot be stored is refused before the disk is touched
    if isinstance(f, (str, os.PathLike)):
        atomic_write(f, lambda fh: _write(fh, head, arrays))
        return
    try:
        _write(f, head, arrays)
    except OSError as exc:  # a full disk under an open file: torch's RuntimeError too (_atomic.save_error)
        raise save_error(exc, getattr(f, "name", None)) from None


# ------------------------------------------------------------------------------ loading
def load(
    f,
    map_location=None,
    pickle_module=None,
    *,
    weights_only=None,
    mmap=None,
    allow_large: bool = False,
    **_pickle_args,
):
    """Load what pn.save wrote (or any safetensors file, or an archive torch.save wrote: _torch_zip.py),
    like torch.load.

    map_location: where tensors go (default "cpu"): a device, a string, a dict
    ({"cuda:0": "cpu"}; tensors are recorded as saved from "cpu") or a function
    (tensor, "cpu") -> tensor, checked as torch checks it, when a tensor is placed (a file
    without tensors loads with map_location="cuda" on a CPU machine). weights_only (default True, as torch's): a pickled object
    (pn.save of a whole model) loads only if its classes are allow-listed, or with
    weights_only=False for a file you trust (_pickled.py); as torch's, it defaults to False when
    a pickle_module is given, and the environment variables TORCH_FORCE_WEIGHTS_ONLY_LOAD /
    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD (the latter only when weights_only is not given) override
    it. pickle_module and mmap (which needs a path) change nothing else. From a
    file object, reads one saved object from its current position and leaves the position
    after it. `allow_large=True` lifts the expansion limit on compressed members of old .npz
    files. Raises CheckpointError (a ValueError and a RuntimeError) naming the file when it
    is malformed; EmptyCheckpointError (also an EOFError) when there is nothing to read.
    """
    weights_only = _weights_only(weights_only, pickle_module, _pickle_args)
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    reader = _Reader({}, map_location, weights_only)  # (map_location is checked at the first tensor)

    def decode(tree, arrays):
        reader.arrays = arrays
        return reader.decode(tree)

    return _read_file(f, allow_large, decode)


def _weights_only(weights_only, pickle_module, pickle_args: dict) -> bool:
    """torch.load's rules for its weights_only argument (its checks, errors and warning)."""
    given = weights_only is not None
    if not given:
        weights_only = pickle_module is None  # a pickle module asks for a full unpickling
    force, force_not = (
        os.getenv(f"TORCH_FORCE_{name}WEIGHTS_ONLY_LOAD", "0").lower() in ("1", "y", "yes", "true")
        for name in ("", "NO_")
    )
    if force and force_not:
        raise RuntimeError(
            "Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
            "should be set, but both were set."
        )
    if force:
        weights_only = True
    elif force_not and not given:
        warnings.warn(
            "Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the"
            "`weights_only` argument was not explicitly passed to `torch.load`, forcing weights_only=False.",
            UserWarning,
            stacklevel=3,
        )
        weights_only = False
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if weights_only and pickle_args:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=3)
    return bool(weights_only)


def _read_file(f, allow_large: bool, use):
    """use(tree, arrays) of the object in f (a path, or a binary file object read from its position
    and left after the object), raising what load's docstring says for a malformed file."""
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))
    stream = not isinstance(f, (str, os.PathLike))
    if stream and not hasattr(f, "read"):  # (torch's words; a stream pn.load reads need not seek)
        raise AttributeError(
            f"'{type(f).__name__}' object has no attribute 'seek'. You can only torch.load from a file that is "
            "seekable. Please pre-load the data into a buffer like io.BytesIO and try to load from it instead."
        )
    size = None  # a regular file's length: read as far as its header says, the rest only measured
    npz = None  # a version-1 .npz file: zipfile reads its directory and members, not the whole file
    if stream:
        try:
            data = read_object(f)  # (left at the next object, as torch leaves it)
        except StreamError as exc:
            raise CheckpointError(f"pn.load: cannot read {name}: {exc}") from None
    else:
        with open(f, "rb") as fh:  # (a 5 GB archive loaded by mistake is refused after 8 bytes; a
            # device or a FIFO, /dev/zero, is never read to its end)
            info = os.fstat(fh.fileno())
            size = info.st_size if stat.S_ISREG(info.st_mode) and info.st_size else None
            if size and fh.read(4) == b"PK\x03\x04":
                npz, data = f, b"PK"
            else:
                fh.seek(0) if size else None
                data = read_object(fh) if size or not stat.S_ISREG(info.st_mode) else fh.read()
    if not data:
        raise EmptyCheckpointError(
            f"pn.load: {name} is empty ({'nothing left to read' if stream else '0 bytes'}, too short for a safetensors file)"
        )
    try:
        if npz is not None or data[:4] == b"PK\x03\x04":
            tree, arrays = _read_zip(data if npz is None else npz, allow_large)
        else:
            arrays, metadata, _ = _read_safetensors(data, exact=not stream, size=size)
            if _META_KEY not in metadata:  # a plain safetensors file (e.g. from torch): its tensors
                tree = {"__dict__": [[k, {"__tensor__": k}] for k in arrays]}
            else:
                info = json.loads(metadata[_META_KEY])
                if (
                    not isinstance(info, dict)
                    or not isinstance(info.get("version"), int)
                    or "tree" not in info
                ):
                    raise ValueError("bad pyneuro metadata")
                if info["version"] > VERSION:
                    raise ValueError(f"format version {info['version']}; this pyneuro reads up to {VERSION}")
                tree = info["tree"]
        return use(tree, arrays)
    except TrustedPickleError as failed:  # the pickle's own error, unchanged as torch's (_pickled.py)
        raise failed.error from None
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        OverflowError,
        RecursionError,
        MemoryError,
        EOFError,
        OSError,
        RuntimeError,
        NotImplementedError,
        struct.error,
        zlib.error,
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
    ) as exc:  # a damaged zip raises any of these
        reason = (
            str(exc)
            if isinstance(exc, ValueError) and not isinstance(exc, UnicodeDecodeError)
            else f"{type(exc).__name__}: {exc}"
        )
        raise CheckpointError(
            f"pn.load: cannot read {name}: corrupt, or not a file pyneuro reads ({reason})"
        ) from None


def _read_zip(source, allow_large: bool) -> tuple:
    """(tree, arrays) of a zip archive (its bytes, or the path of the file): one torch.save wrote
    (_torch_zip.py), or a version-1 pyneuro .npz archive."""
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
        prefix = torch_archive(zf)
        return _read_npz(zf, allow_large) if prefix is None else read_archive(zf, prefix, allow_large)


def get_unsafe_globals_in_checkpoint(f) -> list:
    """torch.serialization's: the "module.name" of every class or function that a weights-only
    pn.load of f refuses unless allow-listed (add_safe_globals), read without running anything in
    the file: those of its pickles (pn.save of a whole model) and those torch pickles its NumPy
    arrays and scalars and frozensets with. (As torch's, a NumPy dtype class is not listed; a load
    asks for it too.)"""
    return _read_file(f, False, _unsafe_globals)


def _unsafe_globals(tree, arrays: dict) -> list:
    in_pickles: set = set()
    in_data: list = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for kind, value in node.items():
                if kind == PICKLE_KEY or (kind == "__pickle_ex__" and isinstance(value, dict)):
                    data = arrays.get(value if kind == PICKLE_KEY else value.get("data"))
                    in_pickles |= pickle_globals(data.tobytes()) if isinstance(data, np.ndarray) else set()
                elif kind == TORCH_PICKLE and isinstance(value, dict):  # a torch.save archive's pickle
                    data = arrays.get(value.get("data"))
                    found = pickle_globals(data.tobytes()) if isinstance(data, np.ndarray) else set()
                    in_pickles |= {g for g in found if not torch_data_global(*g)}
                elif kind == "__ndarray__":
                    in_data += array_globals()
                elif kind == "__npscalar__":
                    in_data += scalar_globals()
                elif kind == "__frozenset__":
                    in_data.append(frozenset)
                stack.append(value)
    return unsafe_globals(in_pickles, in_data)
