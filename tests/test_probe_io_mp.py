"""pyneuro.multiprocessing.spawn as torch.multiprocessing.spawn: a child's exception comes back
as ProcessRaisedException carrying its traceback, a child's exit as ProcessExitedException,
join=False gives a ProcessContext."""

import os

import pytest

import pyneuro.multiprocessing as mp

torch = pytest.importorskip("torch")


def _raise(rank):
    if rank == 1:
        raise ValueError(f"bad rank {rank}")


def _exit(rank):
    os._exit(3)


def _write(rank, path):
    with open(f"{path}.{rank}", "w") as fh:
        fh.write(str(rank))


def test_a_childs_exception_is_process_raised_exception():
    with pytest.raises(mp.ProcessRaisedException, match="bad rank 1") as info:
        mp.spawn(_raise, nprocs=2, start_method="fork")
    assert info.value.error_index == 1 and isinstance(info.value, mp.ProcessException)
    assert not isinstance(info.value, RuntimeError)  # torch's class derives from Exception only
    assert issubclass(torch.multiprocessing.ProcessRaisedException, Exception)


def test_a_childs_exit_is_process_exited_exception():
    with pytest.raises(mp.ProcessExitedException, match="exit code 3") as info:
        mp.spawn(_exit, nprocs=1, start_method="fork")
    assert info.value.exit_code == 3


def test_join_false_returns_a_context(tmp_path):
    context = mp.spawn(_write, args=(str(tmp_path / "out"),), nprocs=2, join=False, start_method="fork")
    assert len(context.pids()) == 2
    while not context.join():
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.0", "out.1"]
