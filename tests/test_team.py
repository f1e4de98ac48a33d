"""pyneuro's own worker team (csrc/cpu/team.cpp): a parallel kernel never waits for a worker
that is not there, so every call finishes with the same bits whatever the workers do --
more members than cores, kernels called from several Python threads at once, a kernel
called again and again with pauses that let the workers fall asleep, and a fork()ed child
(the parent's worker threads do not exist there). Each test compares fresh outputs bit for bit,
so a share of the work that no member ran shows as a wrong result, and a wait for a member
that never comes as a timeout. They check results, not speed: whether workers helped is
measured in bench/ (runtime.cpp has the figures).
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time

import numpy as np
import pytest

from pyneuro import backends

pytestmark = pytest.mark.skipif(not backends.status("cpu").available, reason="C++ backend not built")


@pytest.fixture
def cpu():
    c = backends.get("cpu")
    saved = c.get_num_threads()
    yield c
    c.set_num_threads(saved)


def _operands(seed=0):
    r = np.random.default_rng(seed)
    a = r.standard_normal((192, 300), dtype=np.float32)
    b = r.standard_normal((300, 520), dtype=np.float32)
    x = r.standard_normal((300, 2048), dtype=np.float32) * 4
    return a, b, x


def _results(c):
    """A packed matmul (fixed grid), an MLP-shaped one (pieces), a row-parallel softmax and a
    parallel elementwise op: each big enough to run on every member."""
    a, b, x = _operands()
    w = np.ascontiguousarray(b.T)
    big = np.abs(np.random.default_rng(1).standard_normal(1 << 19, dtype=np.float32)) - 0.5
    return [c.matmul(a, b), c.matmul(a, w, trans_b=True), c.softmax_forward(x), c.relu_forward(big)]


def _same(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_same_bits_for_one_two_and_many_more_members_than_cores(cpu):
    cpu.set_num_threads(1)
    want = _results(cpu)
    for n in (2, 3, 16, 64):  # 64 members on a 2-core machine: most workers never get to join
        cpu.set_num_threads(n)
        _same(_results(cpu), want)


def test_calls_after_pauses_finish_with_the_same_bits(cpu):
    """Workers sleep after ~0.5 ms idle; each call after a pause starts without them."""
    cpu.set_num_threads(2)
    want = _results(cpu)
    for pause in (0.0, 0.001, 0.02, 0.0, 0.05):
        time.sleep(pause)
        _same(_results(cpu), want)


def test_kernels_from_several_python_threads_at_once(cpu):
    """Only one job holds the team; the others run on their own threads -- same bits."""
    cpu.set_num_threads(2)
    want = _results(cpu)
    errors, start = [], threading.Barrier(4)

    def worker():
        try:
            start.wait()
            for _ in range(5):
                _same(_results(cpu), want)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a kernel call hung"
    assert not errors, errors


def _child(queue):
    from pyneuro import backends as b

    c = b.get("cpu")
    c.set_num_threads(2)
    queue.put([r.tobytes() for r in _results(c)])


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="no fork on this platform")
def test_a_forked_child_runs_parallel_kernels(cpu):
    cpu.set_num_threads(2)
    want = _results(cpu)  # the parent's team is running (its workers exist only here)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue,))
    proc.start()
    try:
        got = queue.get(timeout=120)
    finally:
        proc.join(timeout=60)
        if proc.is_alive():
            proc.kill()
    assert proc.exitcode == 0
    assert [w.tobytes() for w in want] == got
