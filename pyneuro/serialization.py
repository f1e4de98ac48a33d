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
Anything else pn.save accepts (optimizer state, epochs, strings, nested lists, tuples and
dicts with int keys) is described by the JSON tree in the "pyneuro" metadata entry:
numbers, strings, bools and None as themselves; lists as lists; dicts as
{"__dict__": [[key, value], ...]}; tuples as {"__tuple__": [...]}; tensors as
{"__tensor__": NAME} and NumPy arrays as {"__ndarray__": NAME}, where NAME is the tensor's
dotted path ("optimizer.state.0.exp_avg"). A safetensors file without that entry (written by
torch) loads as a dict {name: Tensor}.

Saving is atomic: the bytes go to a temporary file beside the target (".NAME.tmp-PID-XXXX"),
which is flushed, fsync'ed and then renamed over the target (os.replace), and the folder is
fsync'ed; a failed or killed save leaves the previous file intact. Temporary files that
killed saves left behind are removed by the next save to the same path.

Loading never unpickles and checks everything against the file before it allocates: the
header size, the dtype whitelist (float16/32/64, int8/16/32/64, uint8, bool), every tensor's
byte size against its shape, offsets inside the file without overlaps or holes, a bounded
nesting depth. Version-1 files (.npz archives with a "__pyneuro__" header, written by
earlier pyneuro) still load, with the same checks; a compressed member that would expand
more than MAX_EXPANSION times is refused unless `allow_large=True`. Anything malformed
raises CheckpointError (a ValueError and a RuntimeError, like torch's) naming the file.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import tempfile
import zipfile
import zlib

import numpy as np

from ._errors import ArgumentError
from .tensor import Tensor, _backend, _device

MAGIC = "pyneuro"
VERSION = 2  # 1: .npz archives (still read); 2: safetensors
_META_KEY = "pyneuro"
_V1_HEADER = "__pyneuro__"

# safetensors dtype codes <-> NumPy (little-endian); nothing else is read or written.
DTYPES = {
    "F16": "<f2",
    "F32": "<f4",
    "F64": "<f8",
    "I8": "|i1",
    "I16": "<i2",
    "I32": "<i4",
    "I64": "<i8",
    "U8": "|u1",
    "BOOL": "|b1",
}
_CODES = {np.dtype(v): k for k, v in DTYPES.items()}
MAX_HEADER = 100_000_000  # bytes of JSON header (the safetensors library's own limit)
MAX_DEPTH = 64  # nesting of lists/dicts/tuples in a saved object
MAX_EXPANSION = 100  # a compressed .npz member may expand at most this much (allow_large=True lifts it)
_SMALL = 1 << 20  # members under 1 MiB are never refused for their ratio


class CheckpointError(ArgumentError):
    """A file pn.load cannot read: a ValueError (pyneuro's promise) and a RuntimeError (torch's)."""


# ------------------------------------------------------------------------------ saving
def _encode(obj, tensors: dict, path: str, depth: int):
    if depth > MAX_DEPTH:
        raise ValueError(f"pn.save: the object is nested more than {MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if isinstance(obj, (Tensor, np.ndarray)):
        array = np.asarray(obj.detach() if isinstance(obj, Tensor) else obj)
        if array.dtype.newbyteorder("<") not in _CODES and array.dtype not in _CODES:
            raise TypeError(
                f"pn.save cannot store dtype {array.dtype} (at {path or 'the top'}); "
                f"storable: {', '.join(str(np.dtype(d)) for d in DTYPES.values())}"
            )
        name = path or "tensor"
        while name in tensors or name == "__metadata__":
            name += "_"
        tensors[name] = array
        return {"__tensor__" if isinstance(obj, Tensor) else "__ndarray__": name}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"pn.save: dict keys must be str, int or float, got {type(k).__name__}")
            items.append([k, _encode(v, tensors, f"{path}.{k}" if path else str(k), depth + 1)])
        return {"__dict__": items}
    if isinstance(obj, (tuple, list)):
        items = [_encode(v, tensors, f"{path}.{i}" if path else str(i), depth + 1) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    raise TypeError(
        f"pn.save cannot store {type(obj).__name__}; save tensors, arrays, numbers, strings and "
        "lists/tuples/dicts of them (e.g. model.state_dict())"
    )


def _safetensors_parts(obj) -> tuple[bytes, list]:
    """(8-byte length + padded JSON header, [little-endian C-contiguous arrays in file order])."""
    tensors: dict = {}
    tree = _encode(obj, tensors, "", 0)
    header, arrays, offset = {}, [], 0
    for name, array in tensors.items():
        array = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")  # keeps 0-d shapes
        header[name] = {
            "dtype": _CODES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
        arrays.append(array)
    header["__metadata__"] = {"format": "pt", _META_KEY: json.dumps({"version": VERSION, "tree": tree})}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, arrays


def _write(fh, obj) -> None:
    head, arrays = _safetensors_parts(obj)
    fh.write(head)
    for array in arrays:
        fh.write(memoryview(array.reshape(-1).view(np.uint8)))


def _tmp_prefix(target: str) -> str:
    return f".{os.path.basename(target)}.tmp-"


def _remove_stale_temps(target: str) -> None:
    """Remove temp files of earlier saves to `target` whose process is gone (killed saves)."""
    folder, prefix = os.path.dirname(target) or ".", _tmp_prefix(target)
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return
    for n in names:
        pid = n[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(folder, n))
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but not ours (EPERM)
        return True
    return True


def atomic_write(path, write) -> None:
    """Call write(binary file) on a temp file beside `path`, fsync it and rename it onto `path`.

    On any error (or a kill) `path` keeps its previous content and no temp file is left
    behind by this call (a killed call's temp is removed by the next one)."""
    target = os.path.abspath(os.fspath(path))
    if os.path.isdir(target):
        raise IsADirectoryError(f"pn.save: {os.fspath(path)} is a directory")
    folder = os.path.dirname(target)
    _remove_stale_temps(target)
    fd, tmp = tempfile.mkstemp(prefix=f"{_tmp_prefix(target)}{os.getpid()}-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            umask = os.umask(0)
            os.umask(umask)
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
        _fsync_dir(folder)
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _fsync_dir(folder: str) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open folders; the rename is still atomic there
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def save(obj, f) -> None:
    """Save a state dict, optimizer state or any dict/list of tensors, numbers and strings.

    f is a path (written exactly as given, no suffix added; `.safetensors` is the format's
    own extension) or a binary file object. A path is written atomically (module docstring).
    """
    if isinstance(f, (str, os.PathLike)):
        _safetensors_parts(obj)  # refuse what cannot be stored before touching the disk
        atomic_write(f, lambda fh: _write(fh, obj))
    else:
        _write(f, obj)


# ------------------------------------------------------------------------------ loading
def _decode(node, arrays: dict, device, depth: int = 0):
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, list):
        return [_decode(v, arrays, device, depth + 1) for v in node]
    if isinstance(node, dict):
        if len(node) != 1:
            raise ValueError(f"unknown entry in the header: {sorted(node)[:5]}")
        ((kind, value),) = node.items()
        if kind in ("__tensor__", "__ndarray__"):
            if not isinstance(value, str) or value not in arrays:
                raise ValueError(f"the header names a tensor {value!r} that the file does not hold")
            arr = arrays[value]
            return Tensor._wrap(_backend(device).asarray(arr), device) if kind == "__tensor__" else arr
        if kind == "__tuple__" and isinstance(value, list):
            return tuple(_decode(v, arrays, device, depth + 1) for v in value)
        if kind == "__dict__" and isinstance(value, list):
            out = {}
            for pair in value:
                if not (isinstance(pair, list) and len(pair) == 2 and not isinstance(pair[0], (list, dict))):
                    raise ValueError("a dict entry in the header is not a [key, value] pair")
                out[pair[0]] = _decode(pair[1], arrays, device, depth + 1)
            return out
        raise ValueError(f"unknown entry in the header: {kind!r}")
    if node is None or isinstance(node, (bool, str, int, float)):
        return node
    raise ValueError(f"unexpected {type(node).__name__} in the header")


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _native(dtype: np.dtype) -> np.dtype:
    """NumPy's own native-order dtype object (the C++ kernels compare dtypes by identity)."""
    return np.dtype(f"{dtype.kind}{dtype.itemsize}")


def _read_safetensors(data: bytes) -> tuple[dict, dict]:
    """(name -> NumPy array, metadata) of safetensors bytes; ValueError if anything is off."""
    if len(data) < 8:
        raise ValueError(f"{len(data)} bytes, too short for a safetensors file")
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER or n > len(data) - 8:
        raise ValueError(f"header length {n} does not fit a {len(data)}-byte file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("__metadata__ must map strings to strings")
    buffer = memoryview(data)[8 + n :]
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"tensor {name!r}: entry must have exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise ValueError(f"tensor {name!r}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
        if not (isinstance(shape, list) and len(shape) <= 64 and all(_int(d) for d in shape)):
            raise ValueError(f"tensor {name!r}: bad shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_int(o) for o in offsets)):
            raise ValueError(f"tensor {name!r}: bad data_offsets {offsets!r}")
        begin, end = offsets
        nbytes = math.prod(shape) * np.dtype(DTYPES[dtype]).itemsize
        if end - begin != nbytes or end > len(buffer):
            raise ValueError(
                f"tensor {name!r}: shape {shape} {dtype} needs {nbytes} bytes, the header gives "
                f"[{begin}, {end}) of a {len(buffer)}-byte data section"
            )
        spans.append((begin, end, name))
    spans.sort()
    position = 0
    for begin, end, name in spans:  # the data section is covered exactly: no overlap, no hole
        if begin != position:
            raise ValueError(
                f"tensor {name!r}: data starts at {begin}, expected {position} (overlap or hole)"
            )
        position = end
    if position != len(buffer):
        raise ValueError(f"{len(buffer) - position} bytes after the last tensor (truncated header or junk)")
    arrays = {}
    for begin, end, name in spans:
        info = header[name]
        arr = np.frombuffer(buffer[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        arrays[name] = arr.astype(_native(arr.dtype), copy=True)
    return arrays, metadata


def _read_npy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, allow_large: bool) -> np.ndarray:
    """One .npy member of a version-1 archive, its header checked before its data is read."""
    if (
        info.compress_type != zipfile.ZIP_STORED
        and not allow_large
        and info.file_size > _SMALL
        and info.file_size > MAX_EXPANSION * max(info.compress_size, 1)
    ):
        raise ValueError(
            f"member {info.filename} expands {info.compress_size} bytes to {info.file_size} "
            f"(over {MAX_EXPANSION}x); pass allow_large=True if you trust this file"
        )
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"member {info.filename}: unsupported .npy version {version}")
        if dtype.newbyteorder("<") not in _CODES:
            raise ValueError(f"member {info.filename}: dtype {dtype} is not a tensor dtype")
        nbytes = math.prod(shape) * dtype.itemsize
        header_len = fh.tell()
        if header_len + nbytes != info.file_size:
            raise ValueError(
                f"member {info.filename}: shape {shape} {dtype} needs {nbytes} bytes, "
                f"the archive holds {info.file_size - header_len}"
            )
        raw = fh.read(nbytes)
    if len(raw) != nbytes:
        raise ValueError(f"member {info.filename} is truncated")
    arr = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return arr.astype(_native(dtype), copy=True)


def _read_npz(data: bytes, allow_large: bool) -> tuple:
    """(tree, arrays) of a version-1 pyneuro .npz archive."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {i.filename[:-4]: i for i in zf.infolist() if i.filename.endswith(".npy")}
        if _V1_HEADER not in members:
            raise ValueError(f"no {_V1_HEADER} header: not a pyneuro file")
        arrays = {k: _read_npy_member(zf, i, allow_large) for k, i in members.items()}
    header = json.loads(arrays.pop(_V1_HEADER).tobytes().decode("utf-8"))
    if not isinstance(header, dict) or header.get("magic") != MAGIC:
        raise ValueError("bad magic: not a pyneuro file")
    if not isinstance(header.get("version"), int) or header["version"] > 1:
        raise ValueError(
            f"an .npz file of format version {header.get('version')!r}; .npz files are version 1"
        )
    return header.get("tree"), arrays


def load(f, map_location=None, weights_only=True, *, allow_large: bool = False):
    """Load what pn.save wrote (or any safetensors file). Tensors go to `map_location` (default "cpu").

    Never unpickles (`weights_only` is accepted for torch compatibility; loading is always
    safe). `allow_large=True` lifts the expansion limit on compressed members of old .npz
    files. Raises CheckpointError (a ValueError) naming the file when it is malformed.
    """
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))
    device = _device(map_location) if map_location is not None else "cpu"
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    try:
        if data[:4] == b"PK\x03\x04":
            tree, arrays = _read_npz(data, allow_large)
        else:
            arrays, metadata = _read_safetensors(data)
            if _META_KEY not in metadata:  # a plain safetensors file (e.g. from torch): its tensors
                return _decode({"__dict__": [[k, {"__tensor__": k}] for k in arrays]}, arrays, device)
            info = json.loads(metadata[_META_KEY])
            if not isinstance(info, dict) or not isinstance(info.get("version"), int) or "tree" not in info:
                raise ValueError("bad pyneuro metadata")
            if info["version"] > VERSION:
                raise ValueError(f"format version {info['version']}; this pyneuro reads up to {VERSION}")
            tree = info["tree"]
        return _decode(tree, arrays, device)
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
            f"pn.load: {name} is corrupt or not a pyneuro/safetensors file ({reason})"
        ) from None
