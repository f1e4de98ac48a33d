"""Tensor methods torch overloads (pyneuro/_tensor_forms.py), run with torch and pyneuro and compared.

Tensor.to's three forms (dtype / device, dtype / other tensor, each with non_blocking, copy and
the keyword-only memory_format), run with torch and pyneuro and compared: dtype and values, or
the exception type. torch's parser refuses a flag that is not a Python bool, an argument given
twice, keywords of another form and more positional arguments than the form has (TypeError);
pyneuro read `x.to(torch.float64, 1)` as a GPU ordinal and computed the others (pyneuro/_tensor_forms.py)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_same_outcome, form_outcome

import pyneuro as pn

torch = pytest.importorskip("torch")


def _forms(t):
    x = t.tensor([1.5, -2.0, 3.0])
    i = t.tensor([1, 2])
    # fmt: off
    return {
        "dtype": lambda: x.to(t.float64), "python_float": lambda: i.to(float), "python_int": lambda: x.to(int),
        "python_bool": lambda: x.to(bool), "dtype_flags": lambda: x.to(t.float64, False, True),
        "dtype_nb_copy_kw": lambda: x.to(t.float64, True, copy=True), "device": lambda: x.to("cpu"),
        "device_obj_dtype": lambda: x.to(t.device("cpu"), t.float64), "none_none": lambda: x.to(None, None),
        "none_dtype": lambda: x.to(None, t.int32), "device_dtype_flag": lambda: x.to("cpu", t.float64, False),
        "keywords": lambda: x.to(dtype=t.float64, device="cpu", copy=True), "other": lambda: x.to(i),
        "other_flags": lambda: i.to(x, False, True), "memory_format": lambda: x.to(t.float64, memory_format=t.preserve_format),
        "no_args": lambda: x.to(), "device_none_kw": lambda: x.to(device=None), "dtype_none_kw": lambda: x.to(dtype=None),
        # torch's TypeErrors
        "dtype_int_flag": lambda: x.to(t.float64, 1), "dtype_none_flag": lambda: x.to(t.float64, None),
        "dtype_bool_int": lambda: x.to(t.float64, False, 1), "numpy_bool_flag": lambda: x.to(t.float64, np.bool_(True)),
        "numpy_bool_copy": lambda: x.to(t.float64, copy=np.bool_(True)), "copy_none": lambda: x.to(t.float64, copy=None),
        "non_blocking_int": lambda: x.to(dtype=t.float64, non_blocking=1), "str_str": lambda: x.to("cpu", "float"),
        "cpu_cpu": lambda: x.to("cpu", "cpu"), "too_many_dtype": lambda: x.to(t.float64, False, False, False),
        "too_many_device": lambda: x.to("cpu", t.float64, False, False, False), "other_int": lambda: x.to(i, 1),
        "other_dtype_kw": lambda: x.to(i, dtype=t.float64), "other_device_kw": lambda: x.to(i, device="cpu"),
        "other_other": lambda: x.to(i, i), "other_kw": lambda: x.to(other=i), "dtype_twice": lambda: x.to(t.float64, dtype=t.float32),
        "device_twice": lambda: x.to("cpu", device="cpu"), "unknown_kw": lambda: x.to(foo=1), "list": lambda: x.to([1]),
        "device_float": lambda: x.to(device=1.5), "device_is_dtype": lambda: x.to(device=t.float64),
        "dtype_str": lambda: x.to(dtype="float32"), "layout": lambda: x.to(t.strided),
        "memory_format_int": lambda: x.to(t.float64, memory_format=1), "dtype_dtype": lambda: x.to(t.float64, t.float32),
    }
    # fmt: on


@pytest.mark.parametrize("name", sorted(_forms(torch)))
def test_to_form_matches_torch(name):
    assert_same_outcome(form_outcome(_forms(pn)[name]), form_outcome(_forms(torch)[name]))


def test_copy_flag_copies_and_its_absence_shares():
    x = pn.ones(3)
    assert x.to(pn.float32) is x and x.to("cpu") is x
    for y in (x.to(pn.float32, False, True), x.to("cpu", copy=True), x.to(x, copy=True)):
        assert y is not x and y.data_ptr() != x.data_ptr()
        y.add_(1)
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_numpy_dtypes_stay_accepted():
    """pyneuro takes NumPy dtypes wherever a dtype goes (torch does not): to() keeps that."""
    assert pn.ones(2).to(np.float64).dtype == pn.float64
    assert pn.ones(2).to("cpu", np.dtype("int32")).dtype == pn.int32


def _module_forms(t):
    m = t.nn.Linear(2, 2)
    # fmt: off
    return {
        "module_dtype": lambda: m.to(t.float64).weight.dtype, "module_device_dtype": lambda: m.to("cpu", t.float64).weight.dtype,
        "module_tensor": lambda: m.to(t.ones(1, dtype=t.float64)).weight.dtype, "module_int_dtype": lambda: m.to(t.int64),
        "module_copy_kw": lambda: m.to(t.float64, copy=False), "module_copy_position": lambda: m.to(t.float64, False, True),
        "module_copy_device_form": lambda: m.to("cpu", t.float64, False, False), "module_int_flag": lambda: m.to(t.float64, 1),
    }
    # fmt: on


@pytest.mark.parametrize("name", sorted(_module_forms(torch)))
def test_module_to_form_matches_torch(name):
    """nn.Module.to reads its arguments as Tensor.to, refuses copy (RuntimeError) and integer dtypes."""
    assert_same_outcome(form_outcome(_module_forms(pn)[name]), form_outcome(_module_forms(torch)[name]))


def _extreme_forms(t):
    x = t.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]])
    y = t.full((2, 3), 2.0)
    calls = [
        "t.max(x, dim=t.tensor(1))", "t.max(x, t.tensor(1))", "x.max(dim=t.tensor(0))", "x.max(t.tensor(0))",
        "x.max(dim=None)", "x.max(None)", "t.max(x, None)", "x.min(dim=None, keepdim=True)", "x.max(1, True)",
        "x.max(dim=1, keepdim=True)", "x.max(1, keepdim=True)", "x.max(y)", "x.max(other=y)", "t.max(x, y)",
        "t.max(x, other=y)", "x.max(y, True)", "x.max(y, keepdim=True)", "x.max(other=y, dim=1)", "x.max(1, 1)",
        "x.max(dim=1, keepdim=1)", "x.max(keepdim=True)", "x.max(1.0)", "x.max(1, True, True)", "x.max(1, dim=1)",
        "x.max(foo=1)", "x.max()", "t.max(x)", "x.min(0)", "t.min(x, 1, False)", "x.max(dim=-1)", "x.max(5)",
        "x.max(other=1)", "x.max(2.5)", "t.max(x, 1, keepdim=True)", "t.min(x, dim=0)", "x.max(True)",
    ]  # fmt: skip
    names = {"t": t, "x": x, "y": y}
    return {c: (lambda c=c: _pair(eval(c, names))) for c in calls}


def _pair(r):
    """A (values, indices) result as a plain tuple (form_outcome compares its tensors' values)."""
    return (r[0], r[1]) if isinstance(r, tuple) else r


@pytest.mark.parametrize("call", list(_extreme_forms(torch)))
def test_max_min_forms_match_torch(call):
    """torch.max/min's three forms: a positional tensor is the elementwise form, dim= by keyword a
    dim (a 0-d tensor there reduces), dim=None and mixed forms are TypeError."""
    assert_same_outcome(form_outcome(_extreme_forms(pn)[call]), form_outcome(_extreme_forms(torch)[call]))
