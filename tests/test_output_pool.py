"""Large outputs of the C++ kernels: the pool of recycled blocks and the streaming stores.

Outputs of 32 MiB and more come from a pool (csrc/bindings/output_pool.h): a block comes back
when its array and every view of it are gone, and the next output of about the same size
reuses it. These tests check that reuse happens, that it never hands out memory a live
array still uses, that the pool's limit and clear() work, that concurrent threads are safe,
and that PYNEURO_OUTPUT_POOL=0 turns it off. Softmax writes such outputs with streaming
stores (rows * cols >= 2M floats, rows longer than one 2048-float block): checked against
NumPy with rows that start at unaligned addresses.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from pyneuro import backends

if not backends.status("cpu").available:
    pytest.skip(f"backend unavailable: {backends.status('cpu').reason}", allow_module_level=True)

from pyneuro import _cpu  # after the availability check

cpu = backends.get("cpu")
BIG = (1024, 8200)  # 33.6 MB of float32: just over the pool's 32 MiB threshold


@pytest.fixture
def pool():
    _cpu.output_pool(clear=True)
    yield _cpu.output_pool
    _cpu.output_pool(clear=True)


def softmax_ref(x):
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_blocks_are_reused_after_the_array_dies(rng, pool):
    if not pool()["enabled"]:
        pytest.skip("PYNEURO_OUTPUT_POOL=0")
    x = rng.standard_normal(BIG).astype(np.float32)
    y = cpu.relu_forward(x)
    assert y.base is not None and y.flags.writeable and y.flags.c_contiguous
    address = y.__array_interface__["data"][0]
    before = pool()
    del y
    after_free = pool()
    assert after_free["blocks"] == before["blocks"] + 1 and after_free["bytes"] >= x.nbytes
    y2 = cpu.relu_forward(x)
    assert y2.__array_interface__["data"][0] == address
    assert pool()["hits"] == before["hits"] + 1
    np.testing.assert_array_equal(y2, np.maximum(x, 0))


def test_a_live_view_keeps_its_block(rng, pool):
    x = rng.standard_normal(BIG).astype(np.float32)
    y = cpu.relu_forward(x)
    view = y[5:7]
    want = view.copy()
    del y  # the view still holds the block: it must not be handed out again
    z = cpu.relu_forward(-x)
    assert not np.shares_memory(z, view)
    np.testing.assert_array_equal(view, want)
    del view, z
    assert pool()["blocks"] >= 1 or not pool()["enabled"]  # PYNEURO_OUTPUT_POOL=0 keeps nothing


def test_no_reuse_for_a_much_smaller_output(rng, pool):
    hits = pool()["hits"]
    y = cpu.relu_forward(np.ones((2048, 8200), np.float32))  # 67 MB
    del y
    small = cpu.relu_forward(np.ones(BIG, np.float32))  # 34 MB: the 67 MB block would waste half
    assert pool()["hits"] == hits
    del small


def test_clear_frees_everything(rng, pool):
    if not pool()["enabled"]:
        pytest.skip("PYNEURO_OUTPUT_POOL=0")
    y = cpu.relu_forward(np.ones(BIG, np.float32))
    del y
    assert pool()["bytes"] > 0
    stats = pool(clear=True)
    assert stats["blocks"] == 0 and stats["bytes"] == 0
    assert 0 < stats["max_bytes"] <= 1 << 30 and stats["min_bytes"] == 32 << 20


def test_small_outputs_are_plain_numpy_arrays(rng, pool):
    misses = pool()["misses"]
    y = cpu.relu_forward(np.ones((128, 256), np.float32))
    assert y.base is None and y.flags.owndata
    assert pool()["misses"] == misses


def test_threads_allocating_and_freeing_at_once(pool):
    errors = []
    x = np.linspace(-1, 1, BIG[0] * BIG[1], dtype=np.float32).reshape(BIG)
    want = np.maximum(x, 0)

    def work():
        try:
            for _ in range(6):
                y = cpu.relu_forward(x)
                if not np.array_equal(y, want):
                    errors.append("wrong values")
                del y
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert pool()["bytes"] <= pool()["max_bytes"]


@pytest.mark.parametrize("shape", [(600, 4099), (257, 8192 + 5), (2, 1 << 20), (2049, 1031)])
def test_streaming_log_softmax_matches_numpy(rng, pool, shape):
    # log_softmax writes outputs of >= 2M floats with streaming stores (any row length).
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    x[1, :] = -np.inf
    y = cpu.log_softmax_forward(x)
    x64 = x[np.arange(shape[0]) != 1].astype(np.float64)
    m = x64.max(axis=1, keepdims=True)
    want = x64 - m - np.log(np.exp(x64 - m).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(y[np.arange(shape[0]) != 1], want, rtol=1e-5, atol=2e-5)
    assert np.isnan(y[1]).all()
    assert np.array_equal(y, cpu.log_softmax_forward(x), equal_nan=True)


@pytest.mark.parametrize("shape", [(600, 4099), (257, 8192 + 5), (2, 1 << 20)])
def test_streaming_softmax_matches_numpy(rng, pool, shape):
    # rows*cols >= 2M floats and cols > 2048: the exps go through a scratch row and y is
    # written with streaming stores; 4099 and 8197 columns put row starts at every alignment.
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    x[1, :] = -np.inf  # an all -inf row is NaN, as in torch
    x[0, 3] = np.inf  # a +inf makes its whole row NaN (inf - inf), as in torch.softmax
    y = cpu.softmax_forward(x)
    want = softmax_ref(np.where(np.isinf(x), 0, x))
    keep = np.ones(shape[0], bool)
    keep[:2] = False
    np.testing.assert_allclose(y[keep], want[keep], rtol=2e-5, atol=1e-9)
    assert np.isnan(y[1]).all()
    assert np.isnan(y[0]).all()
    assert np.array_equal(y, cpu.softmax_forward(x), equal_nan=True)


def test_pool_off_by_environment():
    import pyneuro

    root = str(Path(pyneuro.__file__).resolve().parent.parent)
    code = (
        "import numpy as np; from pyneuro import _cpu; from pyneuro.backends import get; cpu = get('cpu');"
        "y = cpu.relu_forward(np.ones((1024, 8200), np.float32)); s = _cpu.output_pool();"
        "print(s['enabled'], y.base is None, s['misses'])"
    )
    env = dict(
        os.environ, PYNEURO_OUTPUT_POOL="0", PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True", "0"]


def test_a_large_weight_gradient_is_kept_as_the_kernel_wrote_it(rng, pool):
    """autograd keeps a pooled kernel output as a leaf's .grad (it owns its block, as a fresh
    array owns its memory) instead of copying it, and still copies a view of one."""
    if not pool()["enabled"]:
        pytest.skip("PYNEURO_OUTPUT_POOL=0")
    import pyneuro as pn
    from pyneuro.autograd.engine import _is_pool_block, _maybe_view

    y = cpu.relu_forward(rng.standard_normal(BIG).astype(np.float32))
    assert type(y.base).__name__ == "PyCapsule"
    assert not _maybe_view(y) and _maybe_view(y[1:]) and _maybe_view(y.T)
    assert not _maybe_view(np.ones(3)) and _maybe_view(np.ones(3)[1:])
    # the name comes from the extension; another library's capsule is no pool block
    new_capsule = ctypes.pythonapi.PyCapsule_New
    new_capsule.restype, new_capsule.argtypes = (
        ctypes.py_object,
        [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p],
    )
    other = new_capsule(id(y), b"someone.elses_block", None)
    assert _is_pool_block(y.base) and not _is_pool_block(other)

    previous = backends.backend_name("cpu")
    pn.set_backend("cpu")
    try:
        x = rng.standard_normal((16, 1024)).astype(np.float32)
        lin = pn.nn.Linear(1024, 8200)  # its weight gradient: 8200 x 1024 floats, over the threshold
        for step in (1, 2):  # the second backward adds into the first gradient
            lin(pn.from_numpy(x)).sum().backward()
            grad = lin.weight.grad.numpy()
            if step == 1:
                assert type(grad.base).__name__ == "PyCapsule"  # the kernel's own output, not a copy
            np.testing.assert_allclose(
                grad, step * np.broadcast_to(x.sum(axis=0), grad.shape), rtol=1e-4, atol=1e-4
            )
    finally:
        pn.set_backend(previous)
