"""Behaviours PyTorch's recipes rely on, against torch: deterministic mode's fill of new
memory, the cpu:0 device, benchmark.Timer's `torch` global, always_call forward hooks."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _new_memory(T):
    x = T.ones(2)
    x.resize_(4)
    return [
        T.empty(2).numpy(),
        T.empty(2, dtype=T.int32).numpy(),
        T.empty(2, dtype=T.uint8).numpy(),
        T.empty(2, dtype=T.bool).numpy(),
        T.empty_like(T.ones(3)).numpy(),
        T.ones(2).new_empty(3).numpy(),
        x.numpy(),
    ]


def test_deterministic_mode_fills_new_memory_as_torch():
    results = []
    for T in (pn, torch):
        flag = importlib.import_module(f"{T.__name__}.utils.deterministic")
        T.use_deterministic_algorithms(True)
        try:
            results.append(_new_memory(T))
            assert flag.fill_uninitialized_memory is True
            with pytest.raises(RuntimeError):
                flag.fill_uninitialized_memory = 1
            flag.fill_uninitialized_memory = False
            assert T.empty(5).shape == (5,)
        finally:
            flag.fill_uninitialized_memory = True
            T.use_deterministic_algorithms(False)
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_cpu_0_is_the_cpu():
    assert pn.device("cpu:0") == pn.device("cpu") and pn.ones(2).to("cpu:0").device == "cpu"


def test_timer_statements_see_torch():
    benchmark = importlib.import_module("pyneuro.utils.benchmark")
    assert benchmark.Timer("torch.ones(3).sum()").timeit(2).mean > 0
    assert benchmark.Timer("x.sum()", setup="x = torch.ones(3)").timeit(2).mean > 0
    assert sys.modules["pyneuro"] is pn


def _always_called(T):
    seen = []
    pre_raises = T.nn.Identity()
    pre_raises.register_forward_hook(
        lambda m, a, o: seen.append(None if o is None else o.tolist()), always_call=True
    )
    pre_raises.register_forward_pre_hook(lambda m, a: (_ for _ in ()).throw(ValueError()))
    with pytest.raises(ValueError):
        pre_raises(T.ones(1))

    def bad(module, args, output):
        raise KeyError("x")

    hook_raises = T.nn.Identity()
    hook_raises.register_forward_hook(bad)
    hook_raises.register_forward_hook(lambda m, a, o: seen.append(o.tolist()), always_call=True)
    with pytest.raises(KeyError):
        hook_raises(T.ones(1))

    class Boom(T.nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    handle = T.nn.modules.module.register_module_forward_hook(
        lambda m, a, o: seen.append(o), always_call=True
    )
    try:
        with pytest.raises(RuntimeError):
            Boom()(T.ones(1))
    finally:
        handle.remove()
    return seen


def test_always_call_forward_hooks_run_when_a_hook_raises():
    assert _always_called(pn) == _always_called(torch) == [None, [1.0], None]
