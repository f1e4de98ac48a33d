"""Atomic file writes: what pn.save (and `pyneuro train`'s metrics file) use so that a failed
or killed write never destroys the file it replaces.

The bytes go to a temporary file beside the target (".NAME.tmp-PID-XXXX"), which is flushed,
fsync'ed and then renamed over the target (os.replace), and the folder is fsync'ed. Temporary
files that killed writes left behind are removed by the next write to the same path. A target
that is not a regular file (/dev/null, a FIFO, a terminal) cannot be replaced that way, and must
not be: it is written in place, as torch.save writes it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
import threading


class SaveFolderMissingError(FileNotFoundError, RuntimeError):
    """pn.save to a path whose folder does not exist: a FileNotFoundError, and a RuntimeError as
    torch.save raises."""


class SaveIsADirectoryError(IsADirectoryError, RuntimeError):
    """pn.save to a path that is a folder: an IsADirectoryError, and a RuntimeError as torch's."""


class SaveWriteError(OSError, RuntimeError):
    """pn.save could not write its bytes (disk full, file too large, an I/O error): the OSError
    with its errno, and a RuntimeError as torch.save raises (its writer's "unexpected pos")."""


class SavePermissionError(PermissionError, RuntimeError):
    """pn.save may not create or write the file: a PermissionError, and a RuntimeError as
    torch.save's "File ... cannot be opened"."""


_AS_RUNTIME = {OSError: SaveWriteError, PermissionError: SavePermissionError}


def save_error(exc: OSError, name) -> OSError:
    """The error a failed write raises: torch.save raises RuntimeError for any file it cannot
    open or write, so a plain OSError (ENOSPC, EFBIG, EIO) or PermissionError becomes one that is
    both; any other (a read-only stream's io.UnsupportedOperation, as torch's) is kept."""
    kind = _AS_RUNTIME.get(type(exc))
    if kind is None:
        return exc
    if exc.errno is None:  # OSError("...") from a file object's own write
        return kind(str(exc))
    return kind(exc.errno, exc.strerror or str(exc), name if exc.filename is None else exc.filename)


def _tmp_prefix(target: str) -> str:
    """The temp files' name prefix: .NAME.tmp- (a long NAME shortened, with a hash of it, so that
    prefix + pid + mkstemp's suffix stays within the 255 bytes a file name may have)."""
    name = os.path.basename(target)
    if len(os.fsencode(name)) > 160:
        name = (
            os.fsencode(name)[:100].decode(errors="ignore") + hashlib.sha1(os.fsencode(name)).hexdigest()[:16]
        )
    return f".{name}.tmp-"


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
    given = os.fspath(path)
    target = os.path.realpath(given)  # through a symlink to its file, as writing in place would
    if os.path.isdir(target) or given.endswith(("/", os.sep)):  # "runs/" names a folder, never a file
        raise SaveIsADirectoryError(errno.EISDIR, f"pn.save: {os.fspath(path)} is a directory")
    if _special(given):  # /dev/null, a FIFO, /dev/stdout: replacing it would put a regular file there
        try:
            with open(given, "wb") as fh:
                write(fh)
        except OSError as exc:
            raise save_error(exc, given) from None
        return
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise SaveFolderMissingError(errno.ENOENT, f"pn.save: parent directory {folder} does not exist")
    if os.path.exists(target) and not os.access(target, os.W_OK):  # a read-only file is kept, as
        # opening it for writing (torch.save) refuses; a rename would replace it (the folder's right)
        raise SavePermissionError(errno.EACCES, os.strerror(errno.EACCES), given)
    _remove_stale_temps(target)
    try:
        _replace(target, folder, write)
    except OSError as exc:
        raise save_error(exc, given) from None


def _replace(target: str, folder: str, write) -> None:
    """atomic_write's temp file, written, fsync'ed and renamed onto target (removed on any error)."""
    fd, tmp = tempfile.mkstemp(prefix=f"{_tmp_prefix(target)}{os.getpid()}-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):  # mkstemp makes 0600: the replaced file's mode, or the usual one
                os.fchmod(fh.fileno(), _mode(target))
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


def _mode(target: str) -> int:
    """The permissions of the file being replaced (a private 0600 checkpoint stays private, as
    writing in place keeps it), or those a new file gets (0666 less the umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it (/proc/self/status):
    os.umask can only read it by setting it, and two threads saving at once could leave it 0
    (every later file world-writable); elsewhere set and restored under a lock."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        umask = os.umask(0)
        os.umask(umask)
    return umask


def _special(path: str) -> bool:
    """Whether `path` exists and is neither a regular file nor a folder (a device, a FIFO, a socket)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


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
