"""Sizes and a Parameter's data as torch's parser reads them: a bool is no first size but a later
one is an index (zeros(2, True) is (2, 1); nn.Linear(4, True) is refused, nn.Linear(True, 4)
built), and nn.Parameter / nn.Buffer take a Tensor only. Each case runs under both."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(lib, call):
    try:
        out = call(lib)
    except Exception as exc:  # (the class is what is compared)
        return ("raises", exc)
    return ("ok", tuple(out.shape), out.dtype.is_floating_point)


def _same(call):
    mine, theirs = _outcome(pn, call), _outcome(torch, call)
    if theirs[0] == "raises":
        assert mine[0] == "raises", f"torch raises {theirs[1]!r}, pyneuro computes {mine}"
        builtin = next(c for c in type(theirs[1]).__mro__ if c.__module__ == "builtins")
        assert isinstance(mine[1], builtin), (mine[1], theirs[1])
    else:
        assert mine == theirs


CASES = {
    # refused, as torch refuses them
    "linear_out_features_bool": lambda T: T.nn.Linear(4, True).weight,
    "bilinear_out_features_bool": lambda T: T.nn.Bilinear(2, 2, True).weight,
    "conv2d_out_channels_bool": lambda T: T.nn.Conv2d(1, True, 2).weight,
    "zeros_bool_first": lambda T: T.zeros(True, 3),
    "zeros_tuple_bool_first": lambda T: T.zeros((True, 3)),
    "zeros_numpy_bool_later": lambda T: T.zeros(2, np.bool_(True)),
    "parameter_of_list": lambda T: T.nn.Parameter([1.0, 2.0]),
    "parameter_of_array": lambda T: T.nn.Parameter(np.ones(2, np.float32)),
    "parameter_of_float": lambda T: T.nn.Parameter(2.0),
    "buffer_of_list": lambda T: T.nn.Buffer([1.0]),
    "parameter_requires_grad_int": lambda T: T.nn.Parameter(T.ones(2), requires_grad=1),
    "parameter_requires_grad_none": lambda T: T.nn.Parameter(T.ones(2), None),
    "embedding_sparse_int_forward": lambda T: T.nn.Embedding(4, 2, sparse=1)(T.tensor([1])),
    # taken (pyneuro refused these)
    "linear_in_features_bool": lambda T: T.nn.Linear(True, 4).weight,
    "embedding_dim_bool": lambda T: T.nn.Embedding(4, True).weight,
    "zeros_bool_later": lambda T: T.zeros(2, True),
    "ones_tuple_bool_later": lambda T: T.ones((3, False)),
    "full_bool_later": lambda T: T.full((2, True), 1.0),
    "randn_bool_later": lambda T: T.randn(2, True),
    "parameter_none": lambda T: T.nn.Parameter(None),
    "parameter_tensor": lambda T: T.nn.Parameter(T.ones(2), False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sizes_and_parameter_data_as_torch_reads_them(case):
    _same(CASES[case])


def test_refused_parameter_data_says_what_to_do():
    with pytest.raises(AttributeError, match=r"nn.Parameter takes a Tensor: wrap the values in torch.tensor"):
        pn.nn.Parameter([1.0, 2.0])


SPLIT_SIZES = {
    "bool": True,
    "float": 2.0,
    "numpy_int": np.int64(2),
    "numpy_array": np.array([2, 2]),
    "list_bool_first": [True, 3],
    "list_bool_later": [3, True],
    "list_float": [2.0, 2],
    "list_numpy_ints": [np.int64(2), 2],
    "tuple": (1, 3),
    "int": 3,
}


@pytest.mark.parametrize("how", ["method", "function"])
@pytest.mark.parametrize("case", sorted(SPLIT_SIZES))
def test_split_sizes_as_torch_reads_them(case, how):
    """Tensor.split sends a Python int to split and anything else to split_with_sizes, whose
    parser takes a sequence of ints only (a bool at its first place refused, a later one an index)."""
    size = SPLIT_SIZES[case]

    def pieces(T):
        x = T.arange(4.0)
        out = x.split(size) if how == "method" else T.split(x, size)
        return T.tensor([len(p) for p in out])

    _same(pieces)
