"""pyneuro.multiprocessing: torch.multiprocessing's import path, which is Python's multiprocessing
plus the tensor-sharing strategy switches (recorded: pyneuro's tensors are NumPy/CuPy arrays,
which pickle across processes by value) and spawn/start_processes with torch's ProcessContext
and exceptions (a child's exception comes back as ProcessRaisedException with its traceback).
"""

from __future__ import annotations

import multiprocessing as _mp
import multiprocessing.connection as _connection
import os
import signal
import sys
import tempfile
import time
import traceback
from multiprocessing import *  # noqa: F403 - torch.multiprocessing re-exports all of it

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = ["file_descriptor"]


def get_all_sharing_strategies() -> set:
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy[0]


def set_sharing_strategy(new_strategy: str) -> None:
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}")
    _strategy[0] = new_strategy


class ProcessException(Exception):
    """A spawned process failed: error_index is its rank, pid its process id."""

    def __init__(self, msg: str, error_index: int, pid: int):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """The process raised: the message carries its traceback."""


class ProcessExitedException(ProcessException):
    """The process exited with a non-zero code or was killed by a signal."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _run(fn, rank: int, args: tuple, error_file: str) -> None:
    """A spawned process's body: fn(rank, *args); an exception's traceback goes to the parent
    through `error_file` (a file, not a pipe: a long traceback cannot block the child's exit)."""
    try:
        fn(rank, *args)
    except KeyboardInterrupt:
        pass  # SIGINT: the parent is stopping the processes
    except Exception:
        with open(error_file, "w") as fh:
            fh.write(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes spawn(..., join=False) started (torch.multiprocessing.ProcessContext)."""

    def __init__(self, processes: list, error_files: list):
        self.processes, self.error_files = processes, error_files
        self.sentinels = {p.sentinel: rank for rank, p in enumerate(processes)}

    def pids(self) -> list:
        return [p.pid for p in self.processes]

    def join(self, timeout=None, grace_period=None) -> bool:
        """Wait until a process ends (or `timeout` passes): True once all ended well, False
        while some still run. The first failure, whichever process it is, terminates the
        others and raises ProcessRaisedException (with the child's traceback) or
        ProcessExitedException, as torch's: a process still waiting for a peer that failed
        never keeps join waiting. grace_period: seconds the others get to end by themselves
        before SIGTERM (and again before SIGKILL; default 30)."""
        if not self.sentinels:
            return True
        failed = None
        for sentinel in _connection.wait(list(self.sentinels), timeout=timeout):
            rank = self.sentinels.pop(sentinel)
            self.processes[rank].join()
            if self.processes[rank].exitcode != 0:
                failed = rank
                break
        if failed is None:
            return not self.sentinels
        self.sentinels.clear()
        if grace_period is not None:
            self._join_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        self._join_all(30 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                p.kill()
            p.join()
        raise self._failure(failed)

    def _join_all(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        for p in self.processes:
            p.join(max(0.0, deadline - time.monotonic()))

    def _failure(self, rank: int) -> ProcessException:
        p, trace = self.processes[rank], ""
        try:
            with open(self.error_files[rank]) as fh:
                trace = fh.read()
        except OSError:
            pass
        if trace:
            return ProcessRaisedException(
                f"\n\n-- Process {rank} terminated with the following error:\n{trace}", rank, p.pid
            )
        if p.exitcode < 0:
            try:
                name = signal.Signals(-p.exitcode).name
            except ValueError:
                name = f"<Unknown signal {-p.exitcode}>"
            return ProcessExitedException(
                f"process {rank} terminated with signal {name}", rank, p.pid, p.exitcode, name
            )
        return ProcessExitedException(
            f"process {rank} terminated with exit code {p.exitcode}", rank, p.pid, p.exitcode
        )

    def __del__(self):
        for path in getattr(self, "error_files", ()):
            try:
                os.unlink(path)
            except OSError:
                pass


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run fn(i, *args) in nprocs processes; join=False returns their ProcessContext."""
    ctx = _mp.get_context(start_method)
    processes, error_files = [], []
    for rank in range(nprocs):
        fd, error_file = tempfile.mkstemp(prefix="pyneuro-spawn-error-")
        os.close(fd)  # empty unless the child raises
        process = ctx.Process(target=_run, args=(fn, rank, args, error_file), daemon=daemon)
        process.start()
        processes.append(process)
        error_files.append(error_file)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run fn(i, *args) in nprocs processes (torch.multiprocessing.spawn): joined (an exception
    in one is re-raised here as ProcessRaisedException with its traceback) unless join=False,
    which returns the ProcessContext."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
