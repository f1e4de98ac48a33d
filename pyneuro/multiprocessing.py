"""pyneuro.multiprocessing: torch.multiprocessing's import path, which is Python's multiprocessing
plus the tensor-sharing strategy switches (recorded: pyneuro's tensors are NumPy/CuPy arrays,
which pickle across processes by value) and spawn/start_processes with torch's ProcessContext
and exceptions (a child's exception comes back as ProcessRaisedException with its traceback).
"""

from __future__ import annotations

import multiprocessing as _mp
import signal
import sys
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


def _run(fn, rank: int, args: tuple, errors) -> None:
    """A spawned process's body: fn(rank, *args); an exception's traceback goes to the parent."""
    try:
        fn(rank, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        errors.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes spawn(..., join=False) started (torch.multiprocessing.ProcessContext)."""

    def __init__(self, processes: list, error_queues: list):
        self.processes, self.error_queues = processes, error_queues

    def pids(self) -> list:
        return [p.pid for p in self.processes]

    def join(self, timeout=None) -> bool:
        """Wait for the processes: True once all ended well, False while some still run
        (with a timeout); the first failure raises ProcessRaisedException or
        ProcessExitedException after the other processes are terminated."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for p in self.processes:
            p.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        for rank, p in enumerate(self.processes):
            if p.exitcode not in (None, 0):
                for other in self.processes:
                    if other.is_alive():
                        other.terminate()
                    other.join()
                if not self.error_queues[rank].empty():
                    raise ProcessRaisedException(
                        f"\n\n-- Process {rank} terminated with the following error:\n{self.error_queues[rank].get()}",
                        rank,
                        p.pid,
                    )
                if p.exitcode < 0:
                    name = signal.Signals(-p.exitcode).name
                    raise ProcessExitedException(
                        f"process {rank} terminated with signal {name}", rank, p.pid, p.exitcode, name
                    )
                raise ProcessExitedException(
                    f"process {rank} terminated with exit code {p.exitcode}", rank, p.pid, p.exitcode
                )
        return all(p.exitcode == 0 for p in self.processes)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run fn(i, *args) in nprocs processes; join=False returns their ProcessContext."""
    ctx = _mp.get_context(start_method)
    processes, queues = [], []
    for rank in range(nprocs):
        errors = ctx.SimpleQueue()
        process = ctx.Process(target=_run, args=(fn, rank, args, errors), daemon=daemon)
        process.start()
        processes.append(process)
        queues.append(errors)
    context = ProcessContext(processes, queues)
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
