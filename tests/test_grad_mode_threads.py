"""Grad mode is thread-local, as in torch: no_grad in one thread leaves the others alone."""

from __future__ import annotations

import threading

import pytest

import pyneuro as pn


def test_four_threads_in_no_grad_do_not_change_the_training_thread():
    w = pn.randn(3, 2, requires_grad=True)
    x = pn.randn(4, 3)
    inside = threading.Barrier(5)  # all four workers are inside no_grad ...
    release = threading.Event()  # ... until the main thread has trained a step
    seen = []

    def worker():
        with pn.no_grad():
            y = x @ w
            seen.append((pn.is_grad_enabled(), y.requires_grad))
            inside.wait(timeout=30)
            release.wait(timeout=30)
            seen.append((pn.is_grad_enabled(), (x @ w).requires_grad))
        seen.append((pn.is_grad_enabled(), None))  # leaving no_grad restores this thread's mode

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    inside.wait(timeout=30)
    try:
        assert pn.is_grad_enabled()  # four threads are in no_grad right now
        loss = (x @ w).relu().sum()
        assert loss.requires_grad and loss.grad_fn is not None
        loss.backward()
        assert w.grad is not None and w.grad.shape == (3, 2)
    finally:
        release.set()
        for t in threads:
            t.join(timeout=30)
    assert pn.is_grad_enabled()
    assert sorted(seen, key=repr) == sorted([(False, False)] * 8 + [(True, None)] * 4, key=repr)


def test_a_new_thread_starts_with_grad_enabled():
    result = []
    with pn.no_grad():
        assert not pn.is_grad_enabled()
        t = threading.Thread(target=lambda: result.append(pn.is_grad_enabled()))
        t.start()
        t.join(timeout=30)
        assert not pn.is_grad_enabled()
    assert result == [True]
    assert pn.is_grad_enabled()


def test_set_grad_enabled_in_a_thread_stays_in_that_thread():
    done = threading.Event()
    go_on = threading.Event()

    def worker():
        pn.set_grad_enabled(False)
        done.set()
        go_on.wait(timeout=30)

    t = threading.Thread(target=worker)
    t.start()
    done.wait(timeout=30)
    try:
        assert pn.is_grad_enabled()
        assert (pn.ones(2, requires_grad=True) * 2).requires_grad
    finally:
        go_on.set()
        t.join(timeout=30)


def test_enable_grad_inside_inference_mode_reads_on_and_records_nothing():
    torch = pytest.importorskip("torch")
    for lib in (pn, torch):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            with lib.enable_grad():
                assert lib.is_grad_enabled() and lib.is_inference_mode_enabled()
                assert not (x * 2).requires_grad
            with lib.set_grad_enabled(True):
                assert lib.is_grad_enabled()
            assert not lib.is_grad_enabled()
            with lib.inference_mode(False):
                assert lib.is_grad_enabled() and (x * 2).requires_grad
        assert lib.is_grad_enabled()
