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
    ],
)
def test_numbers_still_convert(src):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the complex cast: both warn, in their words)
        t, p = _outcome(torch, src), _outcome(pn, src)
    assert t[0] == p[0] == "ok"
    np.testing.assert_array_equal(p[1].numpy(), t[1].numpy())
    assert str(p[1].dtype).split(".")[-1] == str(t[1].dtype).split(".")[-1]
