"""A short run of every CUDA kernel on awkward shapes, small enough for compute-sanitizer.

    compute-sanitizer --tool memcheck --error-exitcode 3 python -m pytest -q tests/test_cuda_memcheck.py

Shapes are chosen to reach every code path once: ragged tile edges (not multiples of 32
or 128), odd leading dimensions (the float4 loaders' scalar fallback), multiples of 4
(the float4 paths), empty dimensions, short and long rows (warp- and block-per-row).
Any out-of-bounds access or misaligned load is reported by the sanitizer; the results
are also checked against NumPy so a silent wrong answer fails too. It imports neither
CuPy nor PyTorch (both slow to start under the sanitizer). Skipped without a GPU; every
test is marked `gpu`.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyneuro import backends
from pyneuro.backends import numpy_backend as ref

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def bk():
    status = backends.status("cuda")
    if not status.available:
        pytest.skip(f"needs a GPU: {status.reason}")
    return backends.get("cuda")


RNG = np.random.default_rng(7)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (3, 5, 7), (33, 129, 9), (130, 4, 12), (8, 8, 0)])
def test_matmul_all_variants(bk, m, n, k):
    for ta in (False, True):
        for tb in (False, True):
            a = f32(k, m) if ta else f32(m, k)
            b = f32(n, k) if tb else f32(k, n)
            want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b)
            for variant in bk.VARIANTS["matmul"]:
                got = bk.to_numpy(bk.matmul(bk.asarray(a), bk.asarray(b), ta, tb, variant=variant))
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=f"{variant} {ta} {tb}")


@pytest.mark.parametrize(
    "shape", [(1, 1), (9, 3), (5, 36), (3, 1030), (2, 4096)], ids=lambda s: f"{s[0]}x{s[1]}"
)
def test_softmax_family(bk, shape):
    x, g = f32(*shape), f32(*shape)
    for variant in (None, "warp", "block"):
        got = bk.to_numpy(bk.softmax_forward(bk.asarray(x), variant=variant))
        np.testing.assert_allclose(got, ref.softmax_forward(x.astype(np.float64)), rtol=1e-4, atol=1e-7)
    y = ref.softmax_forward(x)
    ly = ref.log_softmax_forward(x)
    np.testing.assert_allclose(bk.to_numpy(bk.log_softmax_forward(bk.asarray(x))), ly, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(
        bk.to_numpy(bk.softmax_backward(bk.asarray(g), bk.asarray(y))),
        ref.softmax_backward(g, y),
        rtol=1e-3,
        atol=1e-5,
    )
    np.testing.assert_allclose(
        bk.to_numpy(bk.log_softmax_backward(bk.asarray(g), bk.asarray(ly))),
        ref.log_softmax_backward(g, ly),
        rtol=1e-3,
        atol=1e-4,
    )
    t = RNG.integers(0, shape[1], shape[0])
    gl = f32(shape[0])
    np.testing.assert_allclose(
        bk.to_numpy(bk.cross_entropy_forward(bk.asarray(x), bk.asarray(t))),
        ref.cross_entropy_forward(x, t),
        rtol=1e-4,
        atol=1e-4,
    )
    np.testing.assert_allclose(
        bk.to_numpy(bk.cross_entropy_backward(bk.asarray(x), bk.asarray(t), bk.asarray(gl))),
        ref.cross_entropy_backward(x, t, gl),
        rtol=1e-4,
        atol=1e-6,
    )
    np.testing.assert_array_equal(bk.to_numpy(bk.argmax(bk.asarray(x))), x.argmax(1))


def test_elementwise_and_optimizers(bk):
    x, g = f32(37, 11), f32(37, 11)
    b = f32(11)
    np.testing.assert_array_equal(bk.to_numpy(bk.relu_forward(bk.asarray(x))), ref.relu_forward(x))
    np.testing.assert_array_equal(
        bk.to_numpy(bk.relu_backward(bk.asarray(g), bk.asarray(x))), ref.relu_backward(g, x)
    )
    np.testing.assert_allclose(bk.to_numpy(bk.bias_add(bk.asarray(x), bk.asarray(b))), x + b, rtol=1e-6)
    np.testing.assert_allclose(bk.to_numpy(bk.bias_grad(bk.asarray(g))), g.sum(0), rtol=1e-4, atol=1e-4)
    p_ref, buf_ref = f32(1001).astype(np.float64), np.zeros(1001)
    p, buf = bk.asarray(p_ref.astype(np.float32)), bk.asarray(np.zeros(1001, np.float32))
    grad = f32(1001)
    ref.sgd_step(p_ref, grad, buf_ref, 0.1, 0.9, 0.0, 1e-4, True, True)
    bk.sgd_step(p, bk.asarray(grad), buf, 0.1, 0.9, 0.0, 1e-4, True, True)
    np.testing.assert_allclose(bk.to_numpy(p), p_ref, rtol=1e-5, atol=1e-6)
    m, v = bk.asarray(np.zeros(1001, np.float32)), bk.asarray(np.zeros(1001, np.float32))
    m_ref, v_ref = np.zeros(1001), np.zeros(1001)
    ref.adam_step(p_ref, grad, m_ref, v_ref, 1, 1e-3)
    bk.adam_step(p, bk.asarray(grad), m, v, 1, 1e-3)
    np.testing.assert_allclose(bk.to_numpy(p), p_ref, rtol=1e-5, atol=1e-6)


def test_array_namespace_ops(bk):
    xp = bk.xp
    x = f32(33, 7)
    d = bk.asarray(x)
    np.testing.assert_allclose((d * 2 + bk.asarray(x[0]) - 1).numpy(), x * 2 + x[0] - 1, rtol=1e-6)
    np.testing.assert_allclose(xp.sum(d, axis=0).numpy(), x.sum(0), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(xp.sum(d, axis=1).numpy(), x.sum(1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(float(xp.mean(d)), x.mean(), rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(d.T.numpy(), x.T)
    np.testing.assert_array_equal(d.astype(np.int64).numpy(), x.astype(np.int64))


def test_indexing_compare_where_and_reductions(bk):
    """The kernels of csrc/cuda/kernels/array_indexing.cuh and the generic ops of array_elementwise.cuh
    on ragged shapes, every element size (bool 1, float32 4, int64 8 bytes)."""
    xp = bk.xp
    x = f32(37, 5, 3)
    d = bk.asarray(x)
    labels = RNG.integers(0, 37, 29)
    idx = bk.asarray(labels)
    for arr, host in ((d, x), (d > 0, x > 0), (d.astype(np.int64), x.astype(np.int64))):
        np.testing.assert_array_equal(arr[1:36:3, ::-2].numpy(), host[1:36:3, ::-2])  # strided copies
        np.testing.assert_array_equal(arr[idx].numpy(), host[labels])  # row gathers
        np.testing.assert_array_equal(arr[:, bk.asarray(np.array([4, 0]))].numpy(), host[:, [4, 0]])
        np.testing.assert_array_equal(
            xp.concatenate([arr, arr[:3]]).numpy(), np.concatenate([host, host[:3]])
        )
        np.testing.assert_array_equal(arr.transpose(2, 0, 1).numpy(), host.transpose(2, 0, 1))
    rows, cols = bk.asarray(np.arange(29)), bk.asarray(RNG.integers(0, 5, 29))
    m = x[:29, :, 0]
    np.testing.assert_array_equal(bk.asarray(m)[rows, cols].numpy(), m[np.arange(29), cols.numpy()])
    g = xp.zeros((37, 5, 3))
    xp.add.at(g, idx, xp.ones((29, 5, 3)))
    want = np.zeros((37, 5, 3), np.float32)
    np.add.at(want, labels, 1.0)
    np.testing.assert_array_equal(g.numpy(), want)  # atomic scatter-add
    np.testing.assert_array_equal(xp.where(d > 0, d, 0.0).numpy(), np.where(x > 0, x, 0))
    np.testing.assert_array_equal((d[:, :1] < d[:1]).numpy(), x[:, :1] < x[:1])  # middle-axis broadcast
    np.testing.assert_allclose(d.max().item(), x.max())
    np.testing.assert_array_equal(d.argmin(axis=1).numpy(), x.argmin(1))
    np.testing.assert_allclose(
        xp.take_along_axis(d, d.argmax(axis=1)[:, None], 1).numpy(), x.max(1, keepdims=True)
    )
    np.testing.assert_allclose(d.sum(axis=1).numpy(), x.sum(1), rtol=1e-5, atol=1e-5)
    assert (d > 0).sum().item() == (x > 0).sum() and int(idx.max()) == labels.max()
    np.testing.assert_array_equal(xp.arange(1001).numpy(), np.arange(1001))
    z = xp.zeros((37, 5, 3))
    z[3:30:4, 1:, 2] = bk.asarray(f32(7, 4))
    assert z.numpy()[:, 0].sum() == 0
    bk.synchronize()


def test_errors_launch_nothing(bk):
    x = bk.asarray(f32(4, 3))
    with pytest.raises(IndexError):
        bk.cross_entropy_forward(x, bk.asarray(np.array([0, 1, 2, 3])))
    with pytest.raises(ValueError):
        bk.matmul(x, x)
    bk.synchronize()
