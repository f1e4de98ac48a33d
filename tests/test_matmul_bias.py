"""matmul_bias, the Linear layer's forward in one call: op(a) @ op(b) + bias, bit for bit the
result of matmul then bias_add, on every variant of the C++ ladder, every path of the packed
variant (tiny blocks so the bias epilogue meets many depth blocks and edge tiles, forced
thread grids, the narrow and few-row paths), and through nn.Linear against torch's values."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import backends

SHAPES = [(1, 1, 1), (3, 5, 7), (128, 256, 784), (128, 10, 256), (37, 45, 300), (9, 16, 0), (200, 33, 129)]
TRANS = [(False, False), (True, False), (False, True), (True, True)]


def _operands(seed, m, n, k, ta, tb):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    return a, b, bias


@pytest.mark.parametrize("ta, tb", TRANS)
@pytest.mark.parametrize("m, n, k", SHAPES)
def test_matmul_bias_is_matmul_then_bias_add(cpu_device_backend, m, n, k, ta, tb):
    bk = cpu_device_backend
    if not hasattr(bk, "matmul_bias"):
        pytest.skip(f"{bk.NAME} has no matmul_bias (Linear falls back to matmul + bias_add)")
    a, b, bias = _operands(m * 7 + n, m, n, k, ta, tb)
    want = bk.bias_add(bk.matmul(a, b, ta, tb), bias)
    got = bk.matmul_bias(a, b, bias, ta, tb)
    np.testing.assert_array_equal(got, want)


def test_matmul_bias_checks(cpu_device_backend):
    bk = cpu_device_backend
    if not hasattr(bk, "matmul_bias"):
        pytest.skip(f"{bk.NAME} has no matmul_bias")
    a, b, bias = _operands(0, 4, 6, 5, False, False)
    with pytest.raises(ValueError, match=re.escape("bias of shape (5,) does not match x of shape (4, 6)")):
        bk.matmul_bias(a, b, bias[:5])
    with pytest.raises(ValueError, match="bias must be 1-D"):
        bk.matmul_bias(a, b, bias.reshape(2, 3))
    if bk.NAME != "numpy":  # the reference computes in any float dtype
        with pytest.raises(TypeError, match="float32"):
            bk.matmul_bias(a, b, bias.astype(np.float64))


cpu_available = backends.status("cpu").available


@pytest.mark.skipif(not cpu_available, reason="the C++ backend is not built")
@pytest.mark.parametrize("variant", ["naive", "blocked", "packed"])
@pytest.mark.parametrize("ta, tb", TRANS)
def test_every_ladder_step_and_thread_count(matmul_tuning, variant, ta, tb):
    from pyneuro import _cpu

    cpu = backends.get("cpu")
    for m, n, k in [(70, 90, 200), (3, 50, 40), (64, 12, 33), (128, 256, 784)]:
        a, b, bias = _operands(k, m, n, k, ta, tb)
        for knobs in (
            dict(kc=0, mc=0, nc=0, row_threads=0, pieces=-1),
            dict(kc=16, mc=16, nc=64, row_threads=0, pieces=1),
        ):
            matmul_tuning(**knobs)  # kc cuts the k sum: compare under the same knobs
            want = cpu.bias_add(_cpu.matmul(a, b, ta, tb, variant), bias)
            for t in (1, 2, 3):
                cpu.set_num_threads(t)
                np.testing.assert_array_equal(_cpu.matmul(a, b, ta, tb, variant, bias), want)


def test_linear_layer_matches_torch(backend_name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    w = (rng.standard_normal((256, 784)) / 28).astype(np.float32)
    b = rng.standard_normal(256).astype(np.float32)
    lin = pn.nn.Linear(784, 256)
    with pn.no_grad():
        lin.weight.copy_(pn.from_numpy(w))
        lin.bias.copy_(pn.from_numpy(b))
    xt = pn.tensor(x, requires_grad=True)
    y = lin(xt)
    y.square().sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    ty = torch.nn.functional.linear(tx, tw, tb)
    ty.square().sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(lin.bias.grad.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(lin.weight.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-3)
