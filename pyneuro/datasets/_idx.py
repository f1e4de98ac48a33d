"""Reader for the IDX format of MNIST and Fashion-MNIST (plain or gzip-compressed).

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension, then the
values in row-major order:

    magic = 0x00 0x00 <type code> <number of dimensions>
    type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64

Every check names the file, so a truncated download or a wrong file gives a clear
ValueError instead of a reshape error deep inside NumPy.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zlib

import numpy as np

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"
# The largest decompressed IDX file read (MNIST's largest is 47 MB): a crafted .gz that would
# expand beyond it is refused instead of exhausting memory.
MAX_BYTES = 1 << 29


def read_bytes(path: str | os.PathLike) -> bytes:
    """The file's content, decompressed when it is gzip (detected by its magic bytes)."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(MAX_BYTES + 1)  # never more than MAX_BYTES + 1 bytes, whatever the file says
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ValueError(
            f"{path}: corrupt or truncated gzip file ({exc}); delete it and fetch it again"
        ) from None
    if len(out) > MAX_BYTES:
        raise ValueError(
            f"{path}: decompresses to more than {MAX_BYTES >> 20} MiB; not an MNIST-sized IDX file"
        )
    return out


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes into a NumPy array (native byte order). `name` appears in errors."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    type_code, ndim = data[2], data[3]
    if type_code not in _TYPES:
        raise ValueError(f"{name}: unknown IDX type code 0x{type_code:02x}")
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{name}: truncated IDX header ({len(data)} bytes, {ndim} dimensions)")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_TYPES[type_code])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: a crafted shape cannot overflow
    found = len(data) - header
    if found != expected:
        what = "truncated" if found < expected else "has trailing bytes"
        raise ValueError(
            f"{name}: IDX file {what}: header says shape {shape} "
            f"({expected} bytes of data), found {found} bytes"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (``.gz`` or not) into a NumPy array; ValueError naming the file if bad."""
    return parse_idx(read_bytes(path), os.fspath(path))


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write `array` as an IDX file (gzip when `compress`, default: when the name ends in .gz)."""
    path = os.fspath(path)
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    data = header + array.astype(_TYPES[code], copy=False).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    if compress:
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)
