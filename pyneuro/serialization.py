"""pn.save / pn.load: a safe, documented file format for state dicts and checkpoints.

Format (version 1): a NumPy .npz archive (a zip of .npy files) holding
    "__pyneuro__"   uint8 bytes of a UTF-8 JSON header:
                    {"magic": "pyneuro", "version": 1, "tree": <object tree>}
    "a0", "a1", ... one .npy per tensor or array in the object.
The tree encodes what was saved: numbers, strings, bools and None as themselves; lists as
JSON lists; dicts as {"__dict__": [[key, value], ...]} (keys may be str, int or float, so
an optimizer's {0: {...}} survives); tuples as {"__tuple__": [...]}; tensors as
{"__tensor__": "a3"} and NumPy arrays as {"__ndarray__": "a3"}.

Loading uses np.load(allow_pickle=False) and json: no pickled code can ever run. A file that
is not such an archive, lacks the header, or has a foreign magic/newer version is refused
with a ValueError naming the file. Tensors load on the cpu (or `map_location`), detached.
"""
from __future__ import annotations

import io

import os

import numpy as np

from .tensor import Tensor, _backend, _device

MAGIC = "pyneuro"
VERSION = 1
_HEADER = "__pyneuro__"


def _encode(obj, arrays: dict):
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if isinstance(obj, Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(obj.detach(), order="C")
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "O":
            raise TypeError("pn.save cannot store object arrays (they would need pickle)")
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(obj, order="C")
        return {"__ndarray__": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"pn.save: dict keys must be str, int or float, got {type(k).__name__}")
            items.append([k, _encode(v, arrays)])
        return {"__dict__": items}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays) for v in obj]
    raise TypeError(
        f"pn.save cannot store {type(obj).__name__}; save tensors, arrays, numbers, strings and "
        "lists/tuples/dicts of them (e.g. model.state_dict())"
    )


def save(obj, f) -> None:
    """Save a state dict, optimizer state or any dict/list of tensors, numbers and strings.

    f is a path (written exactly as given, no suffix added) or a binary file object.
    """
    import json  # noqa: PLC0415

    arrays: dict = {}
    tree = _encode(obj, arrays)
    header = json.dumps({"magic": MAGIC, "version": VERSION, "tree": tree})
    arrays[_HEADER] = np.frombuffer(header.encode("utf-8"), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            np.savez(fh, **arrays)
    else:
        np.savez(f, **arrays)


def _decode(node, archive, name, device):
    if isinstance(node, list):
        return [_decode(v, archive, name, device) for v in node]
    if isinstance(node, dict):
        if "__tensor__" in node:
            arr = archive[node["__tensor__"]]
            return Tensor._wrap(_backend(device).asarray(arr), device)
        if "__ndarray__" in node:
            return archive[node["__ndarray__"]]
        if "__tuple__" in node:
            return tuple(_decode(v, archive, name, device) for v in node["__tuple__"])
        if "__dict__" in node:
            return {k: _decode(v, archive, name, device) for k, v in node["__dict__"]}
        raise ValueError(f"pn.load: {name} has an unknown entry in its header: {sorted(node)}")
    return node


def load(f, map_location=None, weights_only=True):
    """Load what pn.save wrote. Tensors are placed on `map_location` (default "cpu")."""
    import json  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))
    device = _device(map_location) if map_location is not None else "cpu"
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as fh:
                data = fh.read()
        else:
            data = f.read()
    except OSError:
        raise
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValueError(f"pn.load: {name} is not a pyneuro file (not an .npz archive)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            if _HEADER not in archive.files:
                raise ValueError(f"pn.load: {name} is not a pyneuro file (no {_HEADER} header)")
            header = json.loads(archive[_HEADER].tobytes().decode("utf-8"))
            if not isinstance(header, dict) or header.get("magic") != MAGIC:
                raise ValueError(f"pn.load: {name} is not a pyneuro file (bad magic)")
            if not isinstance(header.get("version"), int) or header["version"] > VERSION:
                raise ValueError(
                    f"pn.load: {name} has format version {header.get('version')!r}; this pyneuro reads up to {VERSION}"
                )
            arrays = {k: archive[k] for k in archive.files if k != _HEADER}
            return _decode(header["tree"], arrays, name, device)
    except ValueError as exc:
        if str(exc).startswith("pn.load"):
            raise
        raise ValueError(f"pn.load: {name} is corrupt or not a pyneuro file ({exc})") from None
    except (KeyError, OSError, EOFError, zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"pn.load: {name} is corrupt or not a pyneuro file ({type(exc).__name__}: {exc})") from None
