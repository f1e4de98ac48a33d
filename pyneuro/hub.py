"""torch.hub: checkpoints fetched from a URL into a cache folder, and models from a hubconf.py.

- `get_dir()` / `set_dir(d)`: the cache folder, `$TORCH_HOME/hub` when TORCH_HOME is set (as
  torch's), else `${XDG_CACHE_HOME:-~/.cache}/pyneuro/hub` (beside the data sets' cache);
- `download_url_to_file(url, dst, hash_prefix)`: streamed into a temporary file beside dst and
  moved into place only when complete (and, with hash_prefix, when its SHA-256 starts so:
  torch's RuntimeError otherwise), so a broken download never replaces a good file. Without a
  network it raises urllib's URLError, as torch's does; PYNEURO_OFFLINE=1 refuses at once
  with the same error class;
- `load_state_dict_from_url(url, ...)`: the cached `<hub_dir>/checkpoints/<file>` when it is
  there, else downloaded; read with pyneuro.load (pyneuro's and safetensors files: a torch.save
  archive is its CheckpointError saying how to convert it);
- `load(dir, model, source="local")`, `list`, `help`: run a local hubconf.py's entry points.
  A GitHub repository's hubconf.py imports torch itself and builds torch's modules, so
  `source="github"` raises NotImplementedError saying so, rather than downloading code that
  cannot run on pyneuro.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import sys
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlparse

from .datasets._fetch import _progress_bar, cache_root, offline
from .serialization import load as _load_checkpoint

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
ENV_TORCH_HOME = "TORCH_HOME"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
READ_DATA_CHUNK = 128 * 1024
_hub_dir = None


def get_dir() -> str:
    """The hub cache folder: set_dir's, else $TORCH_HOME/hub, else ~/.cache/pyneuro/hub."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.getenv(ENV_TORCH_HOME)
    return os.path.join(os.path.expanduser(home) if home else str(cache_root()), "hub")


def set_dir(d) -> None:
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None, progress: bool = True) -> None:
    """Download url to the file dst (see the module docstring)."""
    if offline():
        raise urllib.error.URLError(f"downloads are turned off (PYNEURO_OFFLINE is set): {url}")
    dst = os.path.expanduser(dst)
    tmp = f"{dst}.{uuid.uuid4().hex}.partial"
    request = urllib.request.Request(url, headers={"User-Agent": "pyneuro.hub"})
    try:
        with open(tmp, "w+b") as out, urllib.request.urlopen(request) as response:
            size = response.headers.get("Content-Length")
            bar = _progress_bar(int(size) if size else None, os.path.basename(dst), enabled=progress)
            sha256 = hashlib.sha256()
            try:
                while chunk := response.read(READ_DATA_CHUNK):
                    out.write(chunk)
                    sha256.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
        if hash_prefix is not None:
            digest = sha256.hexdigest()
            if digest[: len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_state_dict_from_url(
    url: str,
    model_dir: str | None = None,
    map_location=None,
    progress: bool = True,
    check_hash: bool = False,
    file_name: str | None = None,
    weights_only: bool = False,
):
    """The object saved at url (a state dict, usually), from the cache when it is there."""
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        match = HASH_REGEX.search(filename) if check_hash else None
        download_url_to_file(url, cached_file, match.group(1) if match else None, progress=progress)
    return _load_checkpoint(cached_file, map_location=map_location, weights_only=weights_only)


# ---------------------------------------------------------------------------- hubconf.py
def _no_github(source: str) -> None:
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        raise NotImplementedError(
            "pyneuro.hub cannot load from GitHub: a repository's hubconf.py imports torch and builds "
            "torch's modules. Load weights with pyneuro.hub.load_state_dict_from_url (or pyneuro.load) "
            "into a pyneuro model, or use source='local' with a hubconf.py written for pyneuro."
        )


@contextlib.contextmanager
def _on_sys_path(path):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        sys.path.remove(path)


def _hubconf(repo_dir):
    path = os.path.join(repo_dir, MODULE_HUBCONF)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'")
    with _on_sys_path(repo_dir):
        spec = importlib.util.spec_from_file_location(MODULE_HUBCONF, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def _entry(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    missing = [m for m in getattr(module, VAR_DEPENDENCY, None) or () if importlib.util.find_spec(m) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    entry = getattr(module, model, None)
    if entry is None or not callable(entry):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return entry


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False, verbose=True,
         skip_validation=False, **kwargs):  # fmt: skip
    """entry `model` of repo_or_dir's hubconf.py called with args and kwargs (source='local')."""
    _no_github(source)
    with _on_sys_path(repo_or_dir):
        return _entry(_hubconf(repo_or_dir), model)(*args, **kwargs)


def list(
    github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True, *, source="github"
):
    """The entry points of a hubconf.py (its public callables); source='local' reads a folder."""
    _no_github(source)
    module = _hubconf(github)
    return [name for name in dir(module) if callable(getattr(module, name)) and not name.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None, *, source="github"):
    """The docstring of entry point `model` (source='local' reads a folder)."""
    _no_github(source)
    return _entry(_hubconf(github), model).__doc__


__all__ = ["get_dir", "set_dir", "download_url_to_file", "load_state_dict_from_url", "load", "list", "help"]
