"""Find a dataset's IDX files on disk, or download them into the cache.

Look-up order for each file (first hit wins; ``NAME`` is the file name, with or without .gz):

1. ``$PYNEURO_DATA/<dataset>/NAME`` (PYNEURO_DATA may list several folders, ``os.pathsep``-separated)
2. the user cache ``${XDG_CACHE_HOME:-~/.cache}/pyneuro/<dataset>/NAME``
3. system copies ``/usr/share/datasets/<dataset>/NAME`` (Debian's dataset-fashion-mnist
   installs these) and ``/usr/local/share/datasets/<dataset>/NAME``

A file that is found is verified (SHA-256 of its decompressed bytes); a wrong or damaged
file is an error naming it, never skipped silently. When a file is missing everywhere and
downloads are allowed (PYNEURO_OFFLINE unset or 0), it is fetched from the official mirrors
into the cache: streamed into a temporary file beside its final name, hashed on the way,
checked against the official SHA-256 and only then renamed into place (os.replace is
atomic), so an interrupted or corrupt download never leaves a half-written file behind.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from ._catalog import IdxDataset, IdxFile

SYSTEM_DIRS = (Path("/usr/share/datasets"), Path("/usr/local/share/datasets"))
CHUNK = 1 << 16
TIMEOUT_S = 60


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is on none of the places pyneuro looks, and could not be downloaded."""


def offline() -> bool:
    """True when PYNEURO_OFFLINE forbids downloads (any value but '', '0', 'false', 'no')."""
    return os.environ.get("PYNEURO_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def cache_root() -> Path:
    """The user cache: ${XDG_CACHE_HOME:-~/.cache}/pyneuro."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pyneuro"


def search_dirs(dataset: str) -> list[Path]:
    """Every folder searched for `dataset`'s files, in order."""
    dirs = [Path(p) / dataset for p in os.environ.get("PYNEURO_DATA", "").split(os.pathsep) if p.strip()]
    dirs.append(cache_root() / dataset)
    dirs.extend(d / dataset for d in SYSTEM_DIRS)
    return dirs


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_local(dataset: str, file: IdxFile) -> Path | None:
    """The first existing copy of `file` (``NAME.gz`` or ``NAME``) in `search_dirs`, or None."""
    for folder in search_dirs(dataset):
        for candidate in (folder / (file.name + ".gz"), folder / file.name):
            if candidate.is_file():
                return candidate
    return None


def how_to_get(ds: IdxDataset) -> str:
    lines = [f"How to get {ds.name}:"]
    if ds.apt_package:
        lines.append(
            f"  - Debian/Ubuntu: sudo apt-get install {ds.apt_package}  (installs /usr/share/datasets/{ds.name}/)"
        )
    lines.append(
        f"  - put the four IDX files (.gz or not) in a folder DIR/{ds.name}/ and set PYNEURO_DATA=DIR"
    )
    lines.append(
        f"  - let pyneuro download them into {cache_root() / ds.name} "
        f"(unset PYNEURO_OFFLINE; mirrors: {', '.join(ds.mirrors)})"
    )
    return "\n".join(lines)


def not_found_message(ds: IdxDataset, file: IdxFile, reason: str) -> str:
    looked = "\n".join(f"  - {d}/{file.name}[.gz]" for d in search_dirs(ds.name))
    if not os.environ.get("PYNEURO_DATA", "").strip():
        looked = f"  - $PYNEURO_DATA/{ds.name}/ (PYNEURO_DATA is not set)\n" + looked
    return f"{ds.name}: cannot find {file.name}; {reason}.\nLooked in:\n{looked}\n{how_to_get(ds)}"


def download(ds: IdxDataset, file: IdxFile, progress: bool = True) -> Path:
    """Fetch `file` from the first mirror that serves it correctly into the cache; its path.

    Raises ValueError when a mirror served bytes with the wrong SHA-256 (and no mirror
    served the right ones), DatasetNotFoundError when no mirror could be reached.
    """
    folder = cache_root() / ds.name
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / (file.name + ".gz")
    failures, bad_checksums = [], []
    for base in ds.mirrors:
        url = base + file.name + ".gz"
        try:
            digest = _stream_to(url, final, file.gz_sha256, progress)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            failures.append(f"{url}: {exc}")
            continue
        if digest != file.gz_sha256:
            bad_checksums.append(f"{url}: SHA-256 {digest}, expected {file.gz_sha256}")
            continue
        return final
    if bad_checksums:
        raise ValueError(
            f"{ds.name}: checksum mismatch downloading {file.name}.gz (nothing was saved):\n  "
            + "\n  ".join(bad_checksums + failures)
        )
    raise DatasetNotFoundError(
        not_found_message(ds, file, "the download failed:\n  " + "\n  ".join(failures))
    )


def _stream_to(url: str, final: Path, expected_sha256: str, progress: bool) -> str:
    """Download `url` to a temp file beside `final`, hashing it on the way, and move it to
    `final` (atomic os.replace) only when its SHA-256 is `expected_sha256`. Returns the
    SHA-256 it saw. Whatever happens, no temporary file is left behind."""
    fd, tmp = tempfile.mkstemp(prefix=final.name + ".", suffix=".part", dir=final.parent)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = _progress_bar(total, final.name, enabled=progress)
            try:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    h.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
            out.flush()
            os.fsync(out.fileno())
        digest = h.hexdigest()
        if total is not None and os.path.getsize(tmp) != total:
            raise OSError(f"incomplete download: {os.path.getsize(tmp)} of {total} bytes")
        if digest == expected_sha256:
            os.replace(tmp, final)
            tmp = None
        return digest
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def fetch(ds: IdxDataset, file: IdxFile, allow_download: bool, progress: bool = True) -> Path:
    """Path of a local copy of `file`, downloading it when allowed and needed."""
    found = find_local(ds.name, file)
    if found is not None:
        return found
    if not allow_download:
        why = (
            "downloads are disabled (PYNEURO_OFFLINE is set)"
            if offline()
            else "downloads are disabled (download=False)"
        )
        raise DatasetNotFoundError(not_found_message(ds, file, why))
    return download(ds, file, progress)


class _PlainBar:
    """A minimal progress bar on stderr for when tqdm is not installed."""

    def __init__(self, total, desc):
        self.total, self.desc, self.n, self.last = total, desc, 0, 0.0

    def update(self, n):
        self.n += n
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            self._draw()

    def _draw(self):
        mb = self.n / 1e6
        if self.total:
            pct = 100.0 * self.n / self.total
            sys.stderr.write(f"\rdownloading {self.desc}: {pct:5.1f}% ({mb:.1f}/{self.total / 1e6:.1f} MB)")
        else:
            sys.stderr.write(f"\rdownloading {self.desc}: {mb:.1f} MB")
        sys.stderr.flush()

    def close(self):
        self._draw()
        sys.stderr.write("\n")


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(total, desc, enabled=True):
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _PlainBar(total, desc)
    return tqdm(
        total=total, desc=f"downloading {desc}", unit="B", unit_scale=True, file=sys.stderr, leave=False
    )
