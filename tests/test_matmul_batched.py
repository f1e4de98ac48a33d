"""The optional kernel matmul_batched (cpu and numpy tables): c[i] = op(a[i]) @ op(b[i]).

Checked against np.matmul on awkward shapes (empty batch, empty matrices, 1 x 1, sizes that are
not multiples of the register tiles, small and large products: the cpu kernel runs the small
ones one per thread over the batch and the large ones one after the other), against the 2-D
matmul bit for bit, and for its errors. Tensor-level batched products (bmm, attention) go
through it (autograd/fused.py, MatMul); their values and gradients are tested against torch in
test_autograd.py, test_attention.py and test_einsum.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyneuro import backends

TABLES = [n for n in ("cpu", "numpy") if backends.status(n).available]
SHAPES = [
    (1, 1, 1, 1),
    (3, 5, 7, 2),
    (64, 32, 16, 32),
    (5, 17, 33, 9),
    (2, 130, 140, 150),
    (0, 3, 4, 5),
    (3, 0, 4, 5),
    (2, 3, 0, 5),
]


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_matches_numpy_and_the_2d_matmul(name, shape, trans_a, trans_b):
    bk = backends.get(name)
    batch, m, k, n = shape
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal((batch, k, m) if trans_a else (batch, m, k)).astype(np.float32)
    b = rng.standard_normal((batch, n, k) if trans_b else (batch, k, n)).astype(np.float32)
    c = bk.matmul_batched(a, b, trans_a, trans_b)
    ref = np.matmul(a.transpose(0, 2, 1) if trans_a else a, b.transpose(0, 2, 1) if trans_b else b)
    assert c.shape == (batch, m, n) and c.dtype == np.float32
    np.testing.assert_allclose(c, ref, rtol=1e-4, atol=1e-4)
    for i in range(batch):  # each matrix exactly as the 2-D kernel computes it
        np.testing.assert_array_equal(c[i], bk.matmul(a[i], b[i], trans_a=trans_a, trans_b=trans_b))


@pytest.mark.parametrize("name", TABLES)
def test_errors(name):
    bk = backends.get(name)
    f = np.float32
    with pytest.raises(ValueError):  # different numbers of matrices
        bk.matmul_batched(np.ones((2, 3, 4), f), np.ones((3, 4, 5), f))
    with pytest.raises(ValueError, match="inner dimensions"):
        bk.matmul_batched(np.ones((2, 3, 4), f), np.ones((2, 5, 5), f))
    with pytest.raises(ValueError):
        bk.matmul_batched(np.ones((3, 4), f), np.ones((2, 4, 5), f))


def test_cpu_takes_non_contiguous_stacks():
    if "cpu" not in TABLES:
        pytest.skip("the C++ extension is not built")
    bk = backends.get("cpu")
    a = np.random.default_rng(0).standard_normal((4, 6, 10)).astype(np.float32)[:, :, ::2]
    b = np.ones((4, 5, 3), np.float32)
    np.testing.assert_allclose(bk.matmul_batched(a, b), np.matmul(a, b), rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError):
        bk.matmul_batched(a.astype(np.float64), b)
