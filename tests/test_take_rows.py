"""take_rows, the batch gather (a[index] along axis 0): every CPU backend against NumPy's
fancy indexing on awkward shapes and dtypes, its checks and torch's IndexError wording, and
the Tensor indexing / DataLoader paths that use it (values and gradients)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pyneuro as pn
from pyneuro.autograd import shape as shape_ops
from pyneuro.data import DataLoader, TensorDataset

SHAPES = [(7, 3), (60, 784), (5, 1), (9, 2, 3), (4, 0), (0, 5), (11,), (300, 33)]
DTYPES = [np.float32, np.float64, np.int64, np.uint8, np.bool_, np.int16]


def _array(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 50).astype(dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_take_rows_equals_fancy_indexing(cpu_device_backend, shape, dtype):
    bk = cpu_device_backend
    a = _array(shape, dtype)
    rows = shape[0]
    rng = np.random.default_rng(1)
    for index in (
        rng.integers(-rows, rows, size=17) if rows else np.zeros(0, np.int64),  # negatives wrap
        np.arange(rows)[::-1].copy(),
        np.zeros(0, np.int64),
        np.full(5, rows - 1) if rows else np.zeros(0, np.int64),  # repeats
    ):
        got = bk.take_rows(a, index)
        want = a[index]
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_take_rows_any_integer_index_dtype_and_strided_input(cpu_device_backend):
    bk = cpu_device_backend
    a = _array((50, 12), np.float32)
    index = np.array([3, -1, 0, 49, 3], dtype=np.int32)
    np.testing.assert_array_equal(bk.take_rows(a, index), a[index])
    np.testing.assert_array_equal(
        bk.take_rows(a, index.astype(np.uint16) % 50), a[index.astype(np.uint16) % 50]
    )
    view = a[::2, ::3]  # not contiguous: gathered from a contiguous copy
    np.testing.assert_array_equal(bk.take_rows(view, np.array([1, 0, 24])), view[[1, 0, 24]])
    strided = np.arange(100)[::-3] % 50  # a strided index, as order[::2] gives
    np.testing.assert_array_equal(bk.take_rows(a, strided), a[strided])
    fortran = np.asfortranarray(a)
    np.testing.assert_array_equal(bk.take_rows(fortran, np.array([5, 2])), a[[5, 2]])


def test_take_rows_output_is_a_fresh_array(cpu_device_backend):
    bk = cpu_device_backend
    a = _array((20, 8), np.float32)
    out = bk.take_rows(a, np.array([1, 2, 3]))
    out[...] = -1
    assert (a[1:4] != -1).all()


@pytest.mark.parametrize(
    "index, exc, message",
    [
        (np.array([0, 20]), IndexError, "index 20 is out of bounds for dimension 0 with size 20"),
        (np.array([3, -21, 40]), IndexError, "index -21 is out of bounds for dimension 0 with size 20"),
        (np.array([[1]]), ValueError, "index must be 1-D, got shape (1, 1)"),
        (np.array([1.0]), TypeError, "index must be an integer array, got dtype float64"),
        ([1, 2], TypeError, "index must be an array, got list"),
        # an unsigned index past the end is out of range, not -1 after a cast to int64
        (
            np.array([3, 2**64 - 1], np.uint64),
            IndexError,
            f"index {2**64 - 1} is out of bounds for dimension 0",
        ),
    ],
)
def test_take_rows_checks(cpu_device_backend, index, exc, message):
    a = _array((20, 4), np.float32)
    with pytest.raises(exc, match=re.escape(message)):
        cpu_device_backend.take_rows(a, index)


def test_take_rows_refuses_a_scalar(cpu_device_backend):
    with pytest.raises(ValueError, match="at least 1 dimension"):
        cpu_device_backend.take_rows(np.float32(1.0).reshape(()), np.array([0]))


def test_large_gather_across_threads(cpu_device_backend):
    """Big enough to be split over threads (and, on the cpu backend, to use the output pool)."""
    bk = cpu_device_backend
    a = np.arange(40_000 * 300, dtype=np.float32).reshape(40_000, 300)
    index = np.random.default_rng(2).permutation(40_000)
    np.testing.assert_array_equal(bk.take_rows(a, index), a[index])


# ----------------------------------------------------------------------------- the Tensor layer
def _spy(monkeypatch):
    calls = []
    real = shape_ops._row_gather

    def spy(bk, a, index):
        used = real(bk, a, index)
        calls.append(used)
        return used

    monkeypatch.setattr(shape_ops, "_row_gather", spy)
    return calls


def test_tensor_row_gather_uses_take_rows_and_matches(backend_name, monkeypatch):
    calls = _spy(monkeypatch)
    x = pn.tensor(_array((30, 6), np.float32), requires_grad=True)
    index = np.array([4, 4, -1, 0, 17])
    y = x[index]
    assert calls == [True]  # every host table has take_rows
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy()[index])
    (y * pn.arange(6.0)).sum().backward()
    want = np.zeros((30, 6), np.float32)
    np.add.at(want, index, np.arange(6.0, dtype=np.float32))  # repeated rows add up
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_tensor_gather_with_a_strided_index(backend_name):
    x = pn.tensor(_array((40, 5), np.float32))
    order = np.random.default_rng(4).permutation(40)
    for index in (order[::2], order[1::3], pn.from_numpy(order)[::2]):
        want = x.numpy()[index.numpy() if isinstance(index, pn.Tensor) else index]
        np.testing.assert_array_equal(x[index].numpy(), want)


def test_tensor_gather_out_of_range_reads_as_torch(backend_name):
    x = pn.zeros(5, 3)
    with pytest.raises(IndexError, match=re.escape("index 5 is out of bounds for dimension 0 with size 5")):
        x[pn.tensor([0, 5])]


def test_other_indexing_keeps_numpy_semantics(monkeypatch):
    calls = _spy(monkeypatch)
    x = pn.tensor(_array((6, 4), np.float32))
    mask = x[:, 0] > 0
    np.testing.assert_array_equal(x[mask].numpy(), x.numpy()[mask.numpy()])  # boolean: not a row gather
    np.testing.assert_array_equal(x[:, [1, 3]].numpy(), x.numpy()[:, [1, 3]])  # columns
    rows = np.array([[0, 1], [2, 3]])  # (a list of lists would be torch's tuple of indices)
    np.testing.assert_array_equal(x[pn.tensor(rows)].numpy(), x.numpy()[rows])  # 2-D index
    v = pn.arange(10)
    np.testing.assert_array_equal(v[pn.tensor([9, 0])].numpy(), [9, 0])  # 1-D data: NumPy's own
    assert not any(calls)


def test_data_loader_batches_are_the_gathered_rows(backend_name):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((1000, 28, 28)).astype(np.float32)
    Y = rng.integers(0, 10, 1000)
    ds = TensorDataset(pn.from_numpy(X), pn.from_numpy(Y))
    order = rng.permutation(1000)
    seen = 0
    for i, (xb, yb) in enumerate(DataLoader(ds, batch_size=128, sampler=order)):
        idx = order[i * 128 : (i + 1) * 128]
        np.testing.assert_array_equal(xb.numpy(), X[idx])
        np.testing.assert_array_equal(yb.numpy(), Y[idx])
        seen += len(idx)
    assert seen == 1000
