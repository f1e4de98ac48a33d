"""The bytes of a checkpoint, checked before anything is allocated: a safetensors file (the format
serialization.py's docstring describes) parsed into NumPy arrays, and pyneuro's version-1 .npz
archives. Everything malformed is a ValueError here; pn.load (serialization.py) names the file."""

from __future__ import annotations

import json
import math
import zipfile

import numpy as np

MAGIC = "pyneuro"
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
_FOREIGN_DTYPES = {
    "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
    "C64": "complex64",
}
_FOREIGN_DTYPES.update({f"U{b}": f"uint{b}" for b in (16, 32, 64)})
DTYPES_BY_NAME = {np.dtype(v).name for v in DTYPES.values()}  # dtype objects pn.save stores by name
MAX_HEADER = 100_000_000  # bytes of JSON header (the safetensors library's own limit)
MAX_EXPANSION = 100  # a compressed .npz member may expand at most this much (allow_large=True lifts it)
_SMALL = 1 << 20  # members under 1 MiB are never refused for their ratio


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _native(dtype: np.dtype) -> np.dtype:
    """NumPy's own native-order dtype object (the C++ kernels compare dtypes by identity)."""
    return np.dtype(f"{dtype.kind}{dtype.itemsize}")


def _read_safetensors(data: bytes, exact: bool = True, size: int | None = None) -> tuple[dict, dict, int]:
    """(name -> NumPy array, metadata, bytes used) of safetensors bytes; ValueError if anything
    is off. exact=False (a stream) allows bytes after the last tensor: the next object's. size:
    the file's length, when data is what read_object took from its start."""
    size = len(data) if size is None else size
    if len(data) < 8:
        raise ValueError(f"{len(data)} bytes, too short for a safetensors file")
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER or n > len(data) - 8:
        if data[0] == 0x80 and 2 <= data[1] <= 5:  # a pickle's PROTO opcode
            raise ValueError(
                "a pickle (pickle.dump, or torch.save's legacy format), a format pn.load does not read"
            )
        raise ValueError(f"header length {n} does not fit a {size}-byte file")
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
        if dtype in _FOREIGN_DTYPES:  # a well-formed file (torch's bfloat16 weights): say what to do
            raise ValueError(
                f"tensor {name!r}: dtype {dtype!r} ({_FOREIGN_DTYPES[dtype]}) is one pyneuro does not have; "
                f"convert it before saving (torch: t.float()) to load it here"
            )
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
    if exact and 8 + n + position != size:
        raise ValueError(f"{size - 8 - n - position} bytes after the last tensor (truncated header or junk)")
    arrays = {}
    for begin, end, name in spans:
        info = header[name]
        arr = np.frombuffer(buffer[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        arrays[name] = arr.astype(_native(arr.dtype), copy=True)
    return arrays, metadata, 8 + n + position


def check_member(info: zipfile.ZipInfo, allow_large: bool) -> None:
    """A zip member (of a .npz or a torch.save archive) is refused before it is read if it would
    expand more than MAX_EXPANSION times (a zip bomb), unless allow_large."""
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


def _read_npy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, allow_large: bool) -> np.ndarray:
    """One .npy member of a version-1 archive, its header checked before its data is read."""
    check_member(info, allow_large)
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


def _read_npz(zf: zipfile.ZipFile, allow_large: bool) -> tuple:
    """(tree, arrays) of a version-1 pyneuro .npz archive, open as zf."""
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


class StreamError(ValueError):
    """A stream read_object refuses before reading it to its end."""


def read_object(fh) -> bytes:
    """The bytes of one saved object from a binary stream, read as far as its header says and
    no further: a stream without an end (a pipe, /dev/zero, /dev/urandom) is never read whole, and
    a stream of several objects is left at the next one. A version-1 .npz archive (a zip) is
    read to the end of the stream. Nothing is checked here: _read_safetensors does."""
    head = _read_exactly(fh, 8)
    if head[:4] == b"PK\x03\x04":
        if not (hasattr(fh, "seekable") and fh.seekable()):  # a pipe could feed it without end
            raise StreamError("a version-1 .npz archive is read from a file or a seekable stream only")
        return head + fh.read()
    n = int.from_bytes(head, "little") if len(head) == 8 else 0
    if not 0 < n <= MAX_HEADER:
        return head  # (too short, or a length the parser refuses, naming what it is)
    text = _read_exactly(fh, n)
    return head + text + _read_exactly(fh, _data_size(text)) if len(text) == n else head + text


def _data_size(text: bytes) -> int:
    """The end of the last tensor the header names (0 if the header does not parse: refused later)."""
    try:
        header = json.loads(text.decode("utf-8"))
        ends = [
            info["data_offsets"][1]
            for name, info in header.items()
            if name != "__metadata__"
            and isinstance(info, dict)
            and isinstance(info.get("data_offsets"), list)
        ]
    except (ValueError, AttributeError, TypeError, KeyError, IndexError, RecursionError):
        return 0
    return max((e for e in ends if _int(e)), default=0)


def _read_exactly(fh, n: int) -> bytes:
    """Up to n bytes, fewer only at the end of the stream; memory grows with the bytes that
    arrive, never with what a header claims."""
    chunks, left = [], n
    while left > 0:
        chunk = fh.read(min(left, 1 << 24))
        if not chunk:
            break
        if isinstance(chunk, str):  # (torch's: AssertionError "Expected bytes, got str")
            raise TypeError("pn.load reads a binary file object: open the file with 'rb', not 'r'")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
