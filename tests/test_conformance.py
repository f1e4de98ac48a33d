"""Backend conformance: every kernel of every usable backend against the NumPy reference.

The reference runs in float64 on the same float32 inputs, so it is (nearly) exact; the
tolerances below are the float32 error bounds of each computation and grow with the
reduction length (K for matmul, the row length for softmax). Shapes are the awkward
ones: 1, primes, sizes that are no multiple of any tile, empty dimensions, and
non-contiguous or transposed inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyneuro.backends import numpy_backend as ref

EPS32 = np.finfo(np.float32).eps

MATMUL_SHAPES = [  # (M, N, K)
    (1, 1, 1),
    (1, 7, 3),
    (7, 1, 3),
    (3, 5, 1),
    (2, 3, 4),
    (13, 17, 19),
    (31, 37, 29),
    (64, 64, 64),
    (65, 63, 67),
    (100, 33, 129),
    (8, 256, 784),
    (129, 10, 257),
    (257, 130, 45),
    (0, 5, 3),
    (5, 0, 3),
    (5, 3, 0),
    (0, 0, 0),
]


def matmul_tol(a64, b64, k):
    """Componentwise float32 bound for a length-k dot product: ~k*eps*(|A||B|)."""
    return (2 * max(k, 1) * EPS32) * (np.abs(a64) @ np.abs(b64)) + 1e-30


def operands(rng, m, n, k, trans_a, trans_b):
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(np.float32)
    return a, b


@pytest.mark.parametrize("m,n,k", MATMUL_SHAPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_matmul_default(backend, dev, rng, m, n, k, trans_a, trans_b):
    a, b = operands(rng, m, n, k, trans_a, trans_b)
    got = dev.host(backend.matmul(dev(a), dev(b), trans_a, trans_b))
    a64 = (a.T if trans_a else a).astype(np.float64)
    b64 = (b.T if trans_b else b).astype(np.float64)
    want = a64 @ b64
    assert got.shape == (m, n) and got.dtype == np.float32
    assert np.all(np.abs(got - want) <= matmul_tol(a64, b64, k))


@pytest.mark.parametrize(
    "m,n,k", [(1, 1, 1), (13, 17, 19), (65, 63, 67), (129, 10, 257), (0, 4, 3), (4, 3, 0)]
)
@pytest.mark.parametrize("trans", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_every_variant(backend, dev, rng, m, n, k, trans):
    a, b = operands(rng, m, n, k, *trans)
    a64 = (a.T if trans[0] else a).astype(np.float64)
    b64 = (b.T if trans[1] else b).astype(np.float64)
    for variant in backend.VARIANTS["matmul"]:
        got = dev.host(backend.matmul(dev(a), dev(b), *trans, variant=variant))
        assert np.all(np.abs(got - a64 @ b64) <= matmul_tol(a64, b64, k)), variant


def test_matmul_noncontiguous_and_transposed_views(cpu_device_backend, rng):
    bk = cpu_device_backend
    big = rng.standard_normal((40, 60)).astype(np.float32)
    a = big[::2, 1:50:3]  # strided view
    b = big.T[:17, :20]  # a Fortran-ordered view
    got = bk.matmul(a, b)  # (20, 17) @ (17, 20)
    want = a.astype(np.float64) @ b.astype(np.float64)
    assert np.all(np.abs(got - want) <= matmul_tol(a.astype(np.float64), b.astype(np.float64), 17))
    at = np.asfortranarray(rng.standard_normal((9, 11)).astype(np.float32))
    got2 = bk.matmul(at, at, trans_a=True)
    np.testing.assert_allclose(got2, at.T.astype(np.float64) @ at, rtol=1e-5, atol=1e-5)


def test_matmul_shape_mismatch(backend, dev):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        backend.matmul(dev(np.zeros((2, 3), np.float32)), dev(np.zeros((4, 5), np.float32)))


def test_matmul_unknown_variant(backend, dev):
    x = dev(np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="variant"):
        backend.matmul(x, x, variant="no-such-variant")


# ----------------------------------------------------------------------------- softmax family
ROW_SHAPES = [(1, 1), (1, 7), (3, 5), (128, 10), (17, 1000), (5, 4097), (0, 5)]


def rows_tol(cols):
    return 8 * EPS32 * max(cols, 1) ** 0.5 + 4 * EPS32


def logits(rng, shape, scale=3.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_softmax_forward(backend, dev, rng, shape):
    x = logits(rng, shape)
    want = ref.softmax_forward(x.astype(np.float64))
    for variant in [None, *backend.VARIANTS["softmax"]]:
        got = dev.host(backend.softmax_forward(dev(x), variant=variant))
        assert got.shape == shape and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=rows_tol(shape[1]), atol=EPS32 / 4, err_msg=str(variant))


@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_log_softmax_forward(backend, dev, rng, shape):
    x = logits(rng, shape)
    want = ref.log_softmax_forward(x.astype(np.float64))
    got = dev.host(backend.log_softmax_forward(dev(x)))
    np.testing.assert_allclose(got, want, rtol=rows_tol(shape[1]), atol=rows_tol(shape[1]) * 10)


@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_softmax_and_log_softmax_backward(backend, dev, rng, shape):
    x = logits(rng, shape)
    g = rng.standard_normal(shape).astype(np.float32)
    y = ref.softmax_forward(x.astype(np.float64)).astype(np.float32)
    ly = ref.log_softmax_forward(x.astype(np.float64)).astype(np.float32)
    tol = rows_tol(shape[1]) * 4
    want = ref.softmax_backward(g.astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(dev.host(backend.softmax_backward(dev(g), dev(y))), want, rtol=tol, atol=tol)
    want = ref.log_softmax_backward(g.astype(np.float64), ly.astype(np.float64))
    got = dev.host(backend.log_softmax_backward(dev(g), dev(ly)))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1, np.abs(g).sum(1).max(initial=1)))


@pytest.mark.parametrize("scale", [1e4, 5e4])
def test_softmax_huge_logits_stay_finite(backend, dev, rng, scale):
    x = logits(rng, (9, 33), scale=scale)
    x[0] = 0
    x[1, 3] = scale
    got = dev.host(backend.softmax_forward(dev(x)))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, ref.softmax_forward(x.astype(np.float64)), atol=1e-6)
    np.testing.assert_allclose(got.sum(1), 1, rtol=1e-5)
    ls = dev.host(backend.log_softmax_forward(dev(x)))
    want = ref.log_softmax_forward(x.astype(np.float64))
    np.testing.assert_allclose(ls, want, rtol=1e-6, atol=1e-2)  # values near -1e5: float32 spacing ~0.008
    t = np.arange(9) % 33
    losses = dev.host(backend.cross_entropy_forward(dev(x), dev(t)))
    np.testing.assert_allclose(
        losses, ref.cross_entropy_forward(x.astype(np.float64), t), rtol=1e-6, atol=1e-2
    )


def test_softmax_nan_and_inf_rows(backend, dev):
    x = np.array([[0.0, np.nan, 1.0], [np.inf, 0.0, 1.0], [-np.inf, 0.0, 1.0], [-np.inf] * 3], np.float32)
    got = dev.host(backend.softmax_forward(dev(x)))
    want = ref.softmax_forward(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-6)


# ----------------------------------------------------------------------------- cross-entropy
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (128, 10), (33, 1000), (3, 50000), (0, 10)])
def test_cross_entropy_forward_and_backward(backend, dev, rng, shape):
    x = logits(rng, shape)
    t = rng.integers(0, shape[1], size=shape[0]).astype(np.int64)
    gl = rng.standard_normal(shape[0]).astype(np.float32)
    x64 = x.astype(np.float64)
    losses = dev.host(backend.cross_entropy_forward(dev(x), dev(t)))
    assert losses.shape == (shape[0],) and losses.dtype == np.float32
    tol = rows_tol(shape[1]) * 8
    np.testing.assert_allclose(losses, ref.cross_entropy_forward(x64, t), rtol=tol, atol=tol * 10)
    grad = dev.host(backend.cross_entropy_backward(dev(x), dev(t), dev(gl)))
    want = ref.cross_entropy_backward(x64, t, gl.astype(np.float64))
    np.testing.assert_allclose(grad, want, rtol=tol, atol=EPS32)


def test_cross_entropy_accepts_int32_targets(backend, dev, rng):
    x = logits(rng, (6, 4))
    t = np.array([0, 1, 2, 3, 0, 1], dtype=np.int32)
    got = dev.host(backend.cross_entropy_forward(dev(x), dev(t)))
    np.testing.assert_allclose(
        got, ref.cross_entropy_forward(x.astype(np.float64), t), rtol=1e-5, atol=8 * EPS32 * np.abs(x).max()
    )  # lse - x_t cancels


@pytest.mark.parametrize("classes", [4, 40])  # rows shorter / longer than one vector
@pytest.mark.parametrize("bad", [-1, "classes", 100])
def test_cross_entropy_target_out_of_range(backend, dev, bad, classes):
    bad = classes if bad == "classes" else bad
    x = dev(np.zeros((3, classes), np.float32))
    t = dev(np.array([0, bad, 1], np.int64))
    with pytest.raises(IndexError, match=str(bad)):
        backend.cross_entropy_forward(x, t)
    with pytest.raises(IndexError, match=str(bad)):
        backend.cross_entropy_backward(x, t, dev(np.ones(3, np.float32)))


def test_cross_entropy_target_shape_and_dtype(backend, dev):
    x = dev(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        backend.cross_entropy_forward(x, dev(np.zeros(2, np.int64)))
    with pytest.raises(TypeError):
        backend.cross_entropy_forward(x, dev(np.zeros(3, np.float32)))


# ----------------------------------------------------------------------------- relu, bias, argmax
@pytest.mark.parametrize("shape", [(1,), (0,), (7, 13), (128, 256), (3, 5, 7), (100003,)])
def test_relu(backend, dev, rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    if x.size:
        x.flat[0] = 0.0
    g = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(dev.host(backend.relu_forward(dev(x))), ref.relu_forward(x))
    np.testing.assert_array_equal(dev.host(backend.relu_backward(dev(g), dev(x))), ref.relu_backward(g, x))


def test_relu_nan_propagates_like_torch(backend, dev):
    x = np.array([np.nan, -1.0, 2.0, -np.inf, np.inf], np.float32)
    got = dev.host(backend.relu_forward(dev(x)))
    np.testing.assert_array_equal(got, np.array([np.nan, 0, 2, 0, np.inf], np.float32))


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (128, 256), (1000, 10), (0, 7), (7, 0)])
def test_bias_add_and_grad(backend, dev, rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    np.testing.assert_allclose(dev.host(backend.bias_add(dev(x), dev(b))), ref.bias_add(x, b), rtol=1e-6)
    got = dev.host(backend.bias_grad(dev(x)))
    want = ref.bias_grad(x.astype(np.float64))
    assert got.shape == (shape[1],)
    np.testing.assert_allclose(
        got, want, rtol=0, atol=4 * EPS32 * max(shape[0], 1) * max(np.abs(x).max(initial=0), 1)
    )


def test_bias_shape_mismatch(backend, dev):
    with pytest.raises(ValueError, match=r"\(4,\).*\(2, 3\)"):
        backend.bias_add(dev(np.zeros((2, 3), np.float32)), dev(np.zeros(4, np.float32)))


def test_argmax(backend, dev, rng):
    x = rng.standard_normal((37, 11)).astype(np.float32)
    x[0] = 1.0  # ties: the first maximum wins
    x[1, 4] = np.nan  # NaN counts as the maximum
    x[2, 5] = np.inf
    got = dev.host(backend.argmax(dev(x)))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.argmax(x, axis=1))
    assert dev.host(backend.argmax(dev(np.zeros((0, 3), np.float32)))).shape == (0,)


# ----------------------------------------------------------------------------- optimizers
@pytest.mark.parametrize(
    "momentum,dampening,weight_decay,nesterov",
    [(0.0, 0.0, 0.0, False), (0.9, 0.0, 0.0, False), (0.9, 0.1, 1e-2, False), (0.9, 0.0, 5e-4, True)],
)
def test_sgd_step_trajectory(backend, dev, rng, momentum, dampening, weight_decay, nesterov):
    p_ref = rng.standard_normal(1001).astype(np.float64)
    buf_ref = np.zeros_like(p_ref)
    p, buf = dev(p_ref.astype(np.float32)), dev(np.zeros(1001, np.float32))
    for step in range(5):
        g = rng.standard_normal(1001)
        ref.sgd_step(p_ref, g, buf_ref, 0.05, momentum, dampening, weight_decay, nesterov, step == 0)
        backend.sgd_step(
            p,
            dev(g.astype(np.float32)),
            buf if momentum else None,
            0.05,
            momentum,
            dampening,
            weight_decay,
            nesterov,
            step == 0,
        )
    np.testing.assert_allclose(dev.host(p), p_ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_adam_step_trajectory(backend, dev, rng, weight_decay):
    p_ref = rng.standard_normal(517)
    m_ref, v_ref = np.zeros_like(p_ref), np.zeros_like(p_ref)
    p, m, v = dev(p_ref.astype(np.float32)), dev(np.zeros(517, np.float32)), dev(np.zeros(517, np.float32))
    for step in range(1, 6):
        g = rng.standard_normal(517)
        ref.adam_step(p_ref, g, m_ref, v_ref, step, 1e-2, 0.9, 0.999, 1e-8, weight_decay)
        backend.adam_step(p, dev(g.astype(np.float32)), m, v, step, 1e-2, 0.9, 0.999, 1e-8, weight_decay)
    np.testing.assert_allclose(dev.host(p), p_ref, rtol=1e-5, atol=1e-5)


def test_adam_step_counts_from_one(backend, dev):
    z = dev(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="step"):
        backend.adam_step(z, z, dev(np.zeros(3, np.float32)), dev(np.zeros(3, np.float32)), 0, 1e-3)


# ----------------------------------------------------------------------------- dtype handling
def test_float64_is_refused_or_computed_exactly(backend, dev, rng):
    """A float64 input is either refused with TypeError or computed correctly: never garbage."""
    x = rng.standard_normal((4, 5))
    try:
        got = dev.host(backend.softmax_forward(dev(x)))
    except TypeError as exc:
        assert "float" in str(exc)
    else:
        np.testing.assert_allclose(got, ref.softmax_forward(x), rtol=1e-6)
