"""Adaptive max pooling, max_unpool and LP pooling (functions and layers) against torch."""

from __future__ import annotations

import numpy as np
import pytest
from test_torch_nn_extra import _arrays, same, same_error

import pyneuro as pn  # (the reprs are compared by eval too)

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    ("shape", "size"),
    [
        ((2, 3, 7, 9), (3, 4)),
        ((3, 5, 5), 2),
        ((1, 2, 4, 6), (None, 4)),
        ((1, 1, 3, 3), (5, 7)),
        ((2, 2, 6, 6), 1),
    ],
)
def test_adaptive_max_pool2d(shape, size):
    same(lambda fw, x: fw.nn.functional.adaptive_max_pool2d(x, size, return_indices=True), *_arrays(shape))
    same(lambda fw, x: fw.nn.AdaptiveMaxPool2d(size)(x), *_arrays(shape))
    same(lambda fw, x: fw.nn.functional.adaptive_max_pool2d_with_indices(x, size), *_arrays(shape))


@pytest.mark.parametrize(("shape", "size"), [((2, 3, 8, 6), 1), ((2, 3, 8, 6), (4, 3)), ((3, 8, 6), (2, 6))])
def test_adaptive_max_pool2d_tiling_windows_with_ties_and_nan(shape, size):
    """The paths without gathered windows (one window per plane; windows that tile it) pick the
    first maximum of each window in row order, and NaN, as the gathered path and torch do."""
    a = np.random.default_rng(3).integers(0, 3, shape).astype(np.float32)
    a.flat[5] = np.nan
    same(lambda fw, x: fw.nn.functional.adaptive_max_pool2d(x, size, return_indices=True), a)
    same(lambda fw, x: fw.nn.functional.adaptive_max_pool1d(x.flatten(-2), 1, return_indices=True), a)


@pytest.mark.parametrize(("shape", "size"), [((2, 3, 10), 4), ((3, 7), 3), ((1, 2, 3), 5)])
def test_adaptive_max_pool1d(shape, size):
    same(lambda fw, x: fw.nn.functional.adaptive_max_pool1d(x, size, True), *_arrays(shape))
    same(lambda fw, x: fw.nn.AdaptiveMaxPool1d(size, return_indices=True)(x), *_arrays(shape))


def test_adaptive_max_pool_ties_pick_the_first_maximum():
    a = np.zeros((1, 1, 4, 4), np.float32)
    same(lambda fw, x: fw.nn.functional.adaptive_max_pool2d(x, 3, True), a)


def test_max_pool_with_indices_and_unpool():
    same(lambda fw, x: fw.nn.functional.max_pool2d_with_indices(x, 2), *_arrays((2, 3, 6, 7)))
    same(lambda fw, x: fw.nn.functional.max_pool1d_with_indices(x, 3, 2), *_arrays((2, 3, 9)))

    def unpool2d(fw, x, **kw):
        y, i = fw.nn.functional.max_pool2d(x, 2, return_indices=True)
        return fw.nn.MaxUnpool2d(2)(y * 2, i, **kw)

    same(unpool2d, *_arrays((2, 3, 6, 8)))
    same(lambda fw, x: unpool2d(fw, x, output_size=(7, 7)), *_arrays((2, 3, 7, 7)))
    same(lambda fw, x: unpool2d(fw, x, output_size=(2, 3, 7, 6)), *_arrays((2, 3, 7, 6)))

    def unpool1d(fw, x):
        y, i = fw.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True)
        return fw.nn.functional.max_unpool1d(y, i, 3, 2, 1)

    same(unpool1d, *_arrays((2, 3, 9)))
    same(unpool1d, *_arrays((3, 8)))


def test_unpool_errors():
    def pooled(fw):
        return fw.nn.functional.max_pool2d(fw.tensor(_arrays((1, 2, 5, 5))[0]), 2, return_indices=True)

    same_error(lambda fw: fw.nn.functional.max_unpool2d(*pooled(fw), 2, output_size=(9, 9)))
    same_error(lambda fw: fw.nn.functional.max_unpool2d(pooled(fw)[0], pooled(fw)[1] * 100, 2))
    same_error(lambda fw: fw.nn.functional.max_unpool2d(pooled(fw)[0], pooled(fw)[1].float(), 2))
    same_error(lambda fw: fw.nn.functional.max_unpool2d(pooled(fw)[0], pooled(fw)[1][..., :1], 2))
    same_error(lambda fw: fw.nn.functional.max_unpool2d(*pooled(fw), 2, output_size=(1, 5)))
    same_error(lambda fw: fw.nn.functional.adaptive_max_pool2d(fw.zeros(2, 5), 2))
    same_error(lambda fw: fw.nn.functional.adaptive_max_pool2d(fw.zeros(1, 2, 4, 4), (2, 3, 4)))
    same_error(lambda fw: fw.nn.functional.adaptive_max_pool1d(fw.zeros(2, 3, 4, 5), 2))


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        ("LPPool2d(2, 3)", (2, 3, 7, 8)),
        ("LPPool2d(1.5, (2, 3), stride=(1, 2))", (2, 3, 6, 7)),
        ("LPPool2d(3, 2, ceil_mode=True)", (1, 2, 5, 5)),
        ("LPPool1d(2, 3)", (2, 3, 10)),
        ("LPPool1d(1.0, 2, stride=1)", (3, 6)),
    ],
)
def test_lp_pool(make, shape):
    (a,) = _arrays(shape)
    a = np.abs(a) + 0.1  # fractional powers of negatives are nan in both
    same(lambda fw, x: eval("fw.nn." + make)(x), a, tol=1e-4)
    assert repr(eval("pn.nn." + make)) == repr(eval("torch.nn." + make))


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        ("lp_pool2d(x, float('inf'), 2)", (2, 3, 6, 7)),
        ("lp_pool2d(x, float('-inf'), (1, 2), ceil_mode=True)", (1, 2, 5, 5)),
        ("lp_pool1d(x, float('inf'), 3, 2)", (2, 3, 10)),
        ("lp_pool1d(x, -float('inf'), 2)", (3, 6)),
        ("lp_pool3d(x, float('inf'), 2)", (1, 2, 4, 4, 4)),
    ],
)
def test_lp_pool_of_infinite_order_is_max_pooling_of_abs(make, shape):
    """p = inf pooled x^inf to inf^0 = 1 everywhere with NaN gradients; torch max-pools |x|."""
    (a,) = _arrays(shape)  # (negatives too: |x| is pooled)
    same(lambda fw, x: eval("fw.nn.functional." + make), a)


def test_pool_reprs():
    for make in ("AdaptiveMaxPool2d(3)", "AdaptiveMaxPool2d((2, None), True)", "AdaptiveMaxPool1d(2)",
                 "MaxUnpool2d(2)", "MaxUnpool2d((2, 3), 1, (1, 0))", "MaxUnpool1d(2, 1, 1)"):  # fmt: skip
        assert repr(eval("pn.nn." + make)) == repr(eval("torch.nn." + make))


_INT_AVG_POOLS = {
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 2),
    "avg_pool2d_padded": lambda F, x: F.avg_pool2d(x, 3, 2, 1),
    "avg_pool2d_exclude_pad_ceil": lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False),
    "avg_pool2d_divisor": lambda F, x: F.avg_pool2d(x, 2, divisor_override=3),
    "avg_pool1d": lambda F, x: F.avg_pool1d(x.flatten(2), 3, 2, 1),
    "avg_pool3d": lambda F, x: F.avg_pool3d(x.unsqueeze(1), (2, 2, 3), 1, (1, 0, 1)),
    "avg_pool3d_divisor": lambda F, x: F.avg_pool3d(x.unsqueeze(1), 2, divisor_override=5),
    "layer": lambda F, x: F.avg_pool2d(x, 2, 1),
}


@pytest.mark.parametrize("case", sorted(_INT_AVG_POOLS))
def test_average_pooling_of_int64_truncates_as_torch(case):
    """torch averages int64 windows with integer division (the mean of -1, -2, -2, -2 is -1): an
    int64 result, where pyneuro refused the dtype (DTypeError)."""
    x = np.random.default_rng(5).integers(-50, 50, (2, 3, 5, 6))
    mine = _INT_AVG_POOLS[case](pn.nn.functional, pn.tensor(x))
    theirs = _INT_AVG_POOLS[case](torch.nn.functional, torch.tensor(x))
    assert mine.dtype == pn.int64 and theirs.dtype == torch.int64
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", ["int32", "uint8", "int16", "bool"])
@pytest.mark.parametrize(
    "call",
    [
        lambda fw, x: fw.nn.functional.avg_pool2d(x, 2),
        lambda fw, x: fw.nn.AvgPool1d(2)(x[0]),
        lambda fw, x: fw.nn.functional.avg_pool3d(x.unsqueeze(0), 1),
        lambda fw, x: fw.nn.AdaptiveAvgPool2d(2)(x),
        lambda fw, x: fw.nn.functional.adaptive_avg_pool1d(x[0], 2),
        lambda fw, x: fw.nn.functional.adaptive_avg_pool3d(x.unsqueeze(0), 2),
        lambda fw, x: fw.nn.AdaptiveAvgPool2d(2)(x.long()),
    ],
)
def test_average_pooling_without_a_kernel_for_the_dtype_is_not_implemented(dtype, call):
    """torch has no average pooling kernel for these (adaptive: no integer one at all):
    NotImplementedError, which `except NotImplementedError` catches here too (DTypeError only
    before); its message names torch's kernel and dtype."""
    outcomes = []
    for fw in (torch, pn):
        with pytest.raises(NotImplementedError) as info:
            call(fw, fw.ones(1, 1, 4, 4, dtype=getattr(fw, dtype)))
        outcomes.append(str(info.value))
    assert outcomes[0].split(" not implemented")[0] in outcomes[1]
