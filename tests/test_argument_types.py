"""Arguments of the wrong type are refused as torch refuses them, and the argument forms torch
takes are taken: dtype strings, device strings that are dtypes, the new_* factories' keywords,
lists and arrays where a Tensor is needed (pyneuro/_arguments.py). Each case runs under both."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(lib, call):
    """('ok', dtype, shape, requires_grad) or ('raises', the exception)."""
    try:
        out = call(lib)
    except Exception as exc:  # (the class is what is compared)
        return ("raises", exc)
    return ("ok", str(out.dtype).split(".")[-1], tuple(out.shape), out.requires_grad)


def _builtin(exc) -> type:
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


def _same(call):
    """The same result, or both raise and `except <torch's class>` catches pyneuro's exception."""
    mine, theirs = _outcome(pn, call), _outcome(torch, call)
    if theirs[0] == "raises":
        assert mine[0] == "raises", f"torch raises {theirs[1]!r}, pyneuro computes {mine}"
        assert isinstance(mine[1], _builtin(theirs[1])), (mine[1], theirs[1])
    else:
        assert mine == theirs


DTYPE_STRINGS = {
    "zeros": lambda T: T.zeros(2, dtype="float32"),
    "tensor": lambda T: T.tensor([1, 2], dtype="int64"),
    "sum": lambda T: T.ones(2).sum(dtype="float64"),
    "arange": lambda T: T.arange(3, dtype="float32"),
    "full": lambda T: T.full((2,), 1.0, dtype="float64"),
    "empty_like": lambda T: T.empty_like(T.ones(2), dtype="float64"),
    "to_string": lambda T: T.ones(2).to("float32"),  # (a device string to torch: RuntimeError)
    "type_name": lambda T: T.ones(2).type("float64"),  # (a tensor type name only: ValueError)
}


@pytest.mark.parametrize("case", sorted(DTYPE_STRINGS))
def test_a_dtype_string_is_refused(case):
    """Computed before: pyneuro read 'float32' with NumPy; torch takes only its dtype objects."""
    _same(DTYPE_STRINGS[case])


def test_dtypes_that_are_taken():
    """torch's dtype objects and Python's types; NumPy's dtypes too (pn.float32 equals np.float32)."""
    assert pn.zeros(1, dtype=float).dtype is pn.float64 and pn.zeros(1, dtype=int).dtype is pn.int64
    assert pn.zeros(1, dtype=bool).dtype is pn.bool
    assert pn.zeros(1, dtype=np.float64).dtype is pn.float64
    assert pn.zeros(1, dtype=np.dtype("int32")).dtype is pn.int32
    assert pn.ones(2).type("torch.DoubleTensor").dtype is pn.float64
    with pytest.raises(TypeError):
        pn.zeros(1, dtype=complex)  # (torch's complex128: pyneuro has no complex tensors)
    with pytest.raises(TypeError):
        pn.zeros(1, dtype=5)


NEW_FACTORIES = {
    "zeros_device": lambda T: T.ones(2, dtype=T.float64).new_zeros(3, device="cpu"),
    "zeros_tuple_grad": lambda T: T.ones(2).new_zeros((2, 3), requires_grad=True),
    "zeros_size_kw": lambda T: T.ones(2).new_zeros(size=(2, 3)),
    "zeros_size_twice": lambda T: T.ones(2).new_zeros(2, size=(2, 3)),
    "ones_list": lambda T: T.ones(2, dtype=T.int32).new_ones([2], device="cpu"),
    "ones_layout": lambda T: T.ones(2).new_ones(2, layout=T.strided, pin_memory=False),
    "full_device": lambda T: T.ones(2).new_full((2,), 3.0, device="cpu", dtype=T.float64),
    "full_int_size": lambda T: T.ones(2).new_full(2, 3.0),
    "full_keywords": lambda T: T.ones(2).new_full(size=(2,), fill_value=3),
    "tensor_device_grad": lambda T: T.ones(2).new_tensor([1.0, 2.0], device="cpu", requires_grad=True),
    "tensor_keeps_dtype": lambda T: T.ones(2, dtype=T.float64).new_tensor([1, 2]),
    "empty_unknown_kw": lambda T: T.ones(2).new_empty(2, bogus=1),
}


@pytest.mark.parametrize("case", sorted(NEW_FACTORIES))
def test_new_factories_take_torchs_keywords(case):
    """Refused before: new_zeros/new_ones/new_full/new_tensor took dtype only
    (`x.new_zeros(n, device=x.device)` raised TypeError)."""
    _same(NEW_FACTORIES[case])
