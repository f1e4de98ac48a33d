"""Hostile arguments, run under pyneuro and torch: the same exception class (pyneuro's own
classes are subclasses of torch's) or the same value. Found by session 41's sweep of
torch-level functions, nn layers and losses with None, lists, arrays, wrong dtypes and shapes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(fw, src: str):
    """('ok', value) or ('raises', the exception's class) of `src` evaluated with fw as torch."""
    try:
        return "ok", eval(src, {"torch": fw, "np": np, "nn": fw.nn, "F": fw.nn.functional})
    except Exception as exc:  # (the class is the answer)
        return "raises", type(exc)


def _same_outcome(src: str):
    (theirs, t), (ours, p) = _outcome(torch, src), _outcome(pn, src)
    assert ours == theirs, f"{src}: torch {theirs} {t}, pyneuro {ours} {p}"
    if theirs == "raises":
        assert issubclass(p, t), f"{src}: torch raises {t.__name__}, pyneuro {p.__name__}"
    return t, p


NOT_NUMBERS = [
    # a dtype given no longer casts what is not a number (NaN for None, '1' read as 1.)
    "torch.tensor([1., None], dtype=torch.float32)",
    "torch.tensor([[1, 2], [3, None]], dtype=torch.float32)",
    "torch.tensor(None, dtype=torch.float32)",
    "torch.tensor([None], dtype=torch.bool)",
    "torch.as_tensor([1., None], dtype=torch.float32)",
    "torch.tensor(['1', '2'], dtype=torch.float32)",
    "torch.tensor(['a'], dtype=torch.bool)",
    "torch.as_tensor(['1'], dtype=torch.float32)",
    "torch.tensor([1, '2'], dtype=torch.long)",
    "torch.tensor('abc', dtype=torch.float32)",
    "torch.tensor([1+2j], dtype=torch.float32)",
    "torch.tensor(1+2j, dtype=torch.float32)",
    # the legacy constructors go the same way
    "torch.Tensor([1., None])",
    "torch.FloatTensor([1., None])",
    "torch.Tensor(['1', '2'])",
    "torch.LongTensor(['1', '2'])",
    "torch.FloatTensor([1, '2'])",
    # NumPy arrays of objects, strings or dates, with or without a dtype
    "torch.tensor(np.array([1, None], dtype=object))",
    "torch.tensor(np.array([1.5, 2.5], dtype=object), dtype=torch.float32)",
    "torch.tensor(np.array(['1', '2']), dtype=torch.float32)",
    "torch.tensor(np.array([b'a']), dtype=torch.float32)",
    "torch.tensor(np.array(['2020-01-01'], dtype='datetime64[D]'))",
    "torch.as_tensor(np.array(['2020-01-01'], dtype='datetime64[D]'))",
    "torch.from_numpy(np.array(['2020-01-01'], dtype='datetime64[D]'))",
    "torch.Tensor(np.array([1, None], dtype=object))",
    # np.longdouble (float128 on x86): torch has no such tensors (pyneuro made float128 ones)
    "torch.tensor(np.ones(2, dtype=np.longdouble))",
    "torch.from_numpy(np.ones(2, dtype=np.longdouble))",
    "torch.as_tensor(np.ones((2, 2), dtype=np.longdouble))",
    "torch.tensor(np.longdouble(1.5))",
    "torch.tensor([np.longdouble(1.5), 2.0])",
    "torch.tensor(np.ones(2, dtype=np.longdouble), dtype=torch.float32)",
    "torch.ones(2) + np.ones(2, dtype=np.longdouble)",
    "torch.ones(2) * np.ones(2, dtype=np.clongdouble)",
    # a number is a size to the legacy constructors, or no data at all
    "torch.Tensor(3.5)",
    "torch.Tensor(True)",
    "torch.Tensor(np.float64(1.5))",
    "torch.FloatTensor(np.float64(1.5))",
    "torch.LongTensor(3.5)",
    "torch.zeros(2).new(2.5)",
]


@pytest.mark.parametrize("src", NOT_NUMBERS)
def test_data_that_are_not_numbers_are_refused_as_torch_refuses_them(src):
    t, _ = _same_outcome(src)
    assert t is not None


@pytest.mark.parametrize(
    "src",
    [
        "torch.tensor([1., 2.], dtype=torch.float32)",
        "torch.tensor(np.array([1+2j, 3]), dtype=torch.float32)",  # (an array's complex cast: torch warns)
        "torch.tensor([True, False], dtype=torch.float32)",
        "torch.Tensor(np.array(1.5))",
        "torch.FloatTensor([1, 2])",
        "torch.tensor([float('nan'), 1.], dtype=torch.float64)",
        "torch.tensor(np.array([1, 2], dtype=np.int32), dtype=torch.float32)",
        # a NumPy longdouble number is a Python float to an operator, as torch reads it
        "torch.ones(2) * np.longdouble(2.5)",
        "torch.arange(3) + np.longdouble(0.5)",
        "torch.ones(2) + np.ones(2, dtype=np.float64)",
        "np.exp(torch.ones(2))",
    ],
)
def test_numbers_still_convert(src):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the complex cast: both warn, in their words)
        t, p = _outcome(torch, src), _outcome(pn, src)
    assert t[0] == p[0] == "ok"
    np.testing.assert_array_equal(p[1].numpy(), t[1].numpy())
    assert str(p[1].dtype).split(".")[-1] == str(t[1].dtype).split(".")[-1]


NORM_AND_DROPOUT_DTYPES = [
    # no integer kernel, and parameters of another dtype than the input: torch raises, pyneuro
    # computed in float64 (an image batch of uint8 or float64 went through silently)
    "F.group_norm(torch.ones(2, 4, 3, dtype=torch.long), 2)",
    "F.group_norm(torch.ones(2, 4, 3, dtype=torch.uint8), 2)",
    "F.group_norm(torch.ones(2, 4, 3, dtype=torch.bool), 2)",
    "F.group_norm(torch.ones(2, 4, 3, dtype=torch.float64), 2, torch.ones(4))",
    "F.group_norm(torch.ones(2, 4, 3, dtype=torch.long), 2, torch.ones(4))",
    "F.group_norm(torch.ones(2, 4, 3), 2, torch.ones(4, dtype=torch.float64))",
    "F.group_norm(torch.ones(2, 4, 3), 2, None, torch.ones(4, dtype=torch.float64))",
    "nn.GroupNorm(2, 4)(torch.ones(2, 4, 3, dtype=torch.float64))",
    "nn.GroupNorm(2, 4).double()(torch.ones(2, 4, 3))",
    "F.instance_norm(torch.ones(2, 4, 3, dtype=torch.long))",
    "F.instance_norm(torch.ones(2, 4, 3, dtype=torch.int32))",
    "F.instance_norm(torch.ones(2, 4, 3, dtype=torch.float64), weight=torch.ones(4), bias=torch.ones(4))",
    "F.instance_norm(torch.ones(2, 4, 3), weight=torch.ones(4, dtype=torch.float64))",
    "nn.InstanceNorm2d(3)(torch.ones(2, 3, 4, 4, dtype=torch.uint8))",
    "nn.InstanceNorm2d(3, affine=True)(torch.ones(2, 3, 4, 4, dtype=torch.float64))",
    # channel dropout in training writes a float mask into the input's dtype: torch's RuntimeError
    "F.dropout1d(torch.ones(2, 4, 3, dtype=torch.long))",
    "F.dropout2d(torch.ones(1, 2, 4, 3, dtype=torch.long))",
    "F.dropout3d(torch.ones(1, 2, 4, 3, 2, dtype=torch.int32))",
    "F.dropout(torch.ones(2, 3, dtype=torch.long))",
    "nn.Dropout2d()(torch.ones(1, 2, 4, 3, dtype=torch.uint8))",
]


@pytest.mark.parametrize("src", NORM_AND_DROPOUT_DTYPES)
def test_norms_and_channel_dropout_refuse_dtypes_as_torch(src):
    t, p = _same_outcome(src)
    assert t is not None and p is not None


@pytest.mark.parametrize(
    "src",
    [
        "F.group_norm(torch.arange(24.).view(2, 4, 3).double(), 2)",
        "F.group_norm(torch.arange(24.).view(2, 4, 3).half(), 2, torch.ones(4), torch.zeros(4))",
        "F.instance_norm(torch.arange(24.).view(2, 4, 3).half(), weight=torch.ones(4))",
        "F.instance_norm(torch.arange(24.).view(2, 4, 3), torch.zeros(4).double(), torch.ones(4).double())",
        "F.dropout2d(torch.ones(1, 2, 4, 3, dtype=torch.long), training=False)",
        "F.dropout1d(torch.ones(2, 4, 3, dtype=torch.long), p=0.0)",
        # p=1 multiplies by a zero of the input's dtype: integers and bools are not refused
        "F.dropout2d(torch.ones(1, 2, 4, 3, dtype=torch.bool), p=1.0)",
        "F.dropout1d(torch.ones(2, 4, 3, dtype=torch.long), p=1.0)",
        "F.dropout(torch.ones(2, 3, dtype=torch.long), p=1.0)",
        "F.dropout(torch.ones(2, 3, dtype=torch.bool), p=1.0)",
    ],
)
def test_norms_of_accepted_dtypes_keep_the_input_dtype(src):
    (theirs, t), (ours, p) = _outcome(torch, src), _outcome(pn, src)
    assert theirs == ours == "ok"
    assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(p.float().numpy(), t.float().numpy(), rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize(
    "src",
    [
        # a 0-d input: torch's cross_entropy takes log_softmax over dim 1 (IndexError), nll_loss
        # says ValueError (pyneuro raised ShapeError for both)
        "F.cross_entropy(torch.tensor(1.), torch.tensor([0, 2]))",
        "nn.CrossEntropyLoss()(torch.tensor(1.), torch.tensor([0]))",
        "F.nll_loss(torch.tensor(1.), torch.tensor(0))",
        # an empty normalized_shape normalises nothing: torch's RuntimeError (pyneuro computed)
        "nn.LayerNorm([])(torch.ones(5, 4))",
        "F.layer_norm(torch.ones(3, 4), ())",
    ],
)
def test_shapes_that_loss_and_norm_refuse(src):
    t, p = _same_outcome(src)
    assert t is not None


def test_uint64_values_beyond_int64_are_refused_not_wrapped():
    """pyneuro has no uint64 tensors: a uint64 array becomes int64, as its values fit; one beyond
    int64 (which would wrap to a negative number) is refused instead of silently changed."""
    np.testing.assert_array_equal(
        pn.from_numpy(np.array([1, 2**63 - 1], dtype=np.uint64)).numpy(), [1, 2**63 - 1]
    )
    for make in (pn.tensor, pn.from_numpy, pn.as_tensor):
        with pytest.raises(TypeError, match="uint64"):
            make(np.array([1, 2**63 + 5], dtype=np.uint64))
