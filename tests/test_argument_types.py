"""Arguments of the wrong type are refused as torch refuses them, and the argument forms torch
takes are taken: dtype strings, device strings that are dtypes, the new_* factories' keywords,
lists and arrays where a Tensor is needed (pyneuro/_arguments.py). Each case runs under both."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import pyneuro as pn
from pyneuro._arguments import _default, _names
from pyneuro._method_params import METHOD_PARAMS
from pyneuro._tensor_params import TENSOR_PARAMS

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
    # (these read dtype as Tensor.to's first argument, a device string: ArgumentError before)
    "softmax": lambda T: T.nn.functional.softmax(T.ones(2), 0, dtype="float64"),
    "log_softmax_method": lambda T: T.ones(2).log_softmax(0, dtype="float64"),
    "softmin": lambda T: T.nn.functional.softmin(T.ones(2), 0, dtype="float64"),
    "softmax_int": lambda T: T.softmax(T.ones(2), 0, dtype=1),
    "nanmean": lambda T: T.ones(2).nanmean(dtype="float64"),
    "norm": lambda T: T.ones(2).norm(dtype="float64"),
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


NOT_A_TENSOR = {
    "exp_list": lambda T: T.exp([1.0, 2.0]),
    "exp_array": lambda T: T.exp(np.ones(2)),
    "mm_list": lambda T: T.mm(T.ones(2, 2), [[1.0, 2.0], [3.0, 4.0]]),
    "mm_number": lambda T: T.mm(T.ones(2, 2), 2.0),
    "add_list": lambda T: T.add(T.ones(2), [1.0, 2.0]),
    "add_array": lambda T: T.add(T.ones(2), np.ones(2)),
    "maximum_list": lambda T: T.maximum(T.ones(2), [1.0, 2.0]),
    "cat_lists": lambda T: T.cat([[1.0], [2.0]]),
    "stack_arrays": lambda T: T.stack([np.ones(2), np.ones(2)]),
    "cat_mixed": lambda T: T.cat([T.ones(1, 2), np.ones((1, 2))]),
    "where_list": lambda T: T.where(T.ones(2) > 0, [1.0, 2.0], T.ones(2)),
    "log_softmax_method_form": lambda T: T.log_softmax([1.0, 2.0], 0),
    "relu_array": lambda T: T.nn.functional.relu(np.ones(2)),
    "cross_entropy_array_target": lambda T: T.nn.functional.cross_entropy(T.ones(2, 3), np.array([0, 1])),
    "cross_entropy_list_target": lambda T: T.nn.functional.cross_entropy(T.ones(2, 3), [0, 1]),
    "l1_array": lambda T: T.nn.functional.l1_loss(T.ones(2), np.ones(2)),
    "linalg_inv_list": lambda T: T.linalg.inv([[1.0, 0.0], [0.0, 1.0]]),
    "special_expit_list": lambda T: T.special.expit([0.5]),
    "sum_by_getattr": lambda T: T.sum([1.0, 2.0]),
    "conv2d_served": lambda T: T.conv2d([[1.0]], T.ones(1, 1, 1, 1)),
    "input_keyword": lambda T: T.exp(input=[1.0]),
}


@pytest.mark.parametrize("case", sorted(NOT_A_TENSOR))
def test_a_list_or_array_where_torch_takes_a_tensor_is_its_type_error(case):
    """Computed (or AttributeError/ValueError) before: NumPy took the list; torch's argument
    parser refuses it with TypeError (_arguments.py, table from tools/torch_tensor_params.py)."""
    call = NOT_A_TENSOR[case]
    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(TypeError):
        call(pn)


TAKEN = {
    "add_number": lambda T: T.add(T.ones(2), 2),
    "add_numpy_number": lambda T: T.add(T.ones(2), np.float32(2)),
    "add_deprecated": lambda T: T.add(T.ones(2), 2.0, T.ones(2)),
    "addcmul_deprecated": lambda T: T.addcmul(T.ones(2), 2.0, T.ones(2), T.ones(2)),
    "pow_number_base": lambda T: T.pow(2, T.ones(2)),
    "where_numbers": lambda T: T.where(T.ones(2) > 0, 1.0, 0.0),
    "clamp_number": lambda T: T.clamp(T.ones(2), 0.5),
    "cat_tuple": lambda T: T.cat((T.ones(1), T.ones(2))),
    "atleast_one_tensor": lambda T: T.atleast_2d(T.ones(2)),
    "batch_norm_none": lambda T: T.nn.functional.batch_norm(T.ones(2, 3), None, None, training=True),
    "linear_none_bias": lambda T: T.nn.functional.linear(T.ones(2, 3), T.ones(4, 3), None),
    "sum_dims_list": lambda T: T.sum(T.ones(2, 2), [0, 1]),
    "parameter": lambda T: T.exp(T.nn.Parameter(T.ones(2))),
    "add_alpha": lambda T: T.add(T.ones(2), T.ones(2), alpha=2),
    "add_positional_alpha": lambda T: T.add(T.ones(2), T.ones(2), 2),
    "tensor_add_positional_alpha": lambda T: T.ones(2).add(T.ones(2), 2),
    # a number as other: torch's add.Scalar overload, whose alpha is positional (x + 5 * 2)
    "add_number_positional_alpha": lambda T: T.add(T.ones(2), 5, 2),
    "tensor_sub_number_positional_alpha": lambda T: T.ones(2).sub(5.0, 2.0),
    "tensor_add__number_positional_alpha": lambda T: T.ones(2).add_(5, 2),
    "add_three_tensors": lambda T: T.ones(2).add(T.ones(2), T.ones(2)),
    "addcdiv_positional_value": lambda T: T.addcdiv(T.ones(2), T.ones(2), T.ones(2), 1),
    "max_other_and_dim": lambda T: T.ones(2, 2).max(T.ones(2, 2), 1),
}


@pytest.mark.parametrize("case", sorted(TAKEN))
def test_the_forms_torch_takes_are_taken_and_keyword_only_is_keyword_only(case):
    """Tensors, numbers where torch takes them, its deprecated positional forms; and the
    keyword-only alpha/value given by position is torch's TypeError (it computed a + 2b before)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the deprecated forms warn in both)
        _same(TAKEN[case])


KEYWORDS = {
    "matmul": lambda T: T.matmul(input=T.ones(2, 2), other=T.ones(2, 2)),
    "mm": lambda T: T.mm(T.ones(2, 2), mat2=T.ones(2, 2)),
    "mm_method": lambda T: T.ones(2, 2).mm(mat2=T.ones(2, 2)),
    "bmm": lambda T: T.bmm(input=T.ones(1, 2, 2), mat2=T.ones(1, 2, 2)),
    "bmm_method": lambda T: T.ones(1, 2, 2).bmm(mat2=T.ones(1, 2, 2)),
    "outer": lambda T: T.ones(2).outer(vec2=T.ones(3)),
    "dot": lambda T: T.dot(T.ones(2), tensor=T.ones(2)),
    "dot_method": lambda T: T.ones(2).dot(tensor=T.ones(2)),
    "maximum": lambda T: T.maximum(input=T.ones(2), other=T.zeros(2)),
    "isclose": lambda T: T.isclose(T.ones(2), other=T.ones(2)),
    "max_other": lambda T: T.max(T.ones(2), other=T.zeros(2)),
    "max_other_method": lambda T: T.ones(2).min(other=T.zeros(2)),
    "copy_other": lambda T: T.zeros(2).copy_(other=T.ones(2)),
    "copy_src_refused": lambda T: T.zeros(2).copy_(src=T.ones(2)),
    "copy_non_blocking": lambda T: T.zeros(2).copy_(T.ones(2), False),
    "uniform_from_to": lambda T: T.zeros(2).uniform_(**{"from": 1.0, "to": 2.0}),
    "view_size": lambda T: T.ones(2, 2).view(size=(4,)),
    "expand_size": lambda T: T.ones(1, 2).expand(size=(3, 2)),
    "repeat_repeats": lambda T: T.ones(2).repeat(repeats=(2, 1)),
    "tile_dims": lambda T: T.ones(2).tile(dims=(2, 1)),
    "to_positional_copy": lambda T: T.ones(2).to(T.float64, False, True),
    "arange_layout": lambda T: T.arange(3, layout=T.strided),
    "eye_layout": lambda T: T.eye(2, layout=T.strided),
    "empty_memory_format": lambda T: T.empty(2, 3, memory_format=T.contiguous_format),
    "float_memory_format": lambda T: T.ones(2).float(memory_format=T.preserve_format),
    "tensor_pin_memory": lambda T: T.tensor([1.0], pin_memory=False),
    "gather_sparse_grad": lambda T: T.gather(
        T.ones(2, 2), 0, T.zeros(2, 2, dtype=T.int64), sparse_grad=False
    ),
    "special_out": lambda T: T.special.erf(T.ones(2), out=T.empty(2)),
    "amax_numpy_dim": lambda T: T.amax(T.ones(2, 3), np.int64(1)),
    "cosine_numpy_dim": lambda T: T.cosine_similarity(T.ones(2, 3), T.ones(2, 3), np.int64(1)),
}


@pytest.mark.parametrize("case", sorted(KEYWORDS))
def test_torchs_keyword_names_and_option_keywords(case):
    """Refused before (TypeError: unexpected keyword): pyneuro named these a/b, src, ... or lacked
    the option keywords torch takes (layout, memory_format, pin_memory, sparse_grad, out)."""
    _same(KEYWORDS[case])


def test_embedding_bag_per_sample_weights_of_another_dtype():
    """Computed before; torch's embedding_bag refuses weights of another dtype than its table."""

    def call(T):
        T.manual_seed(0)
        bag = T.nn.EmbeddingBag(5, 3, mode="sum")
        return bag(T.tensor([[0, 1], [2, 3]]), per_sample_weights=T.ones(2, 2, dtype=T.float64))

    _same(call)


METHODS_NOT_A_TENSOR = {
    "dot": lambda T: T.ones(2).dot([1.0, 2.0]),
    "outer": lambda T: T.ones(2).outer([1.0, 2.0]),
    "bmm": lambda T: T.ones(1, 2, 2).bmm([[[1.0, 2.0], [3.0, 4.0]]]),
    "mv": lambda T: T.ones(2, 2).mv([1.0, 2.0]),
    "kron": lambda T: T.ones(2).kron([1.0, 2.0]),
    "view_as": lambda T: T.ones(4).view_as([[1.0, 2.0], [3.0, 4.0]]),
    "reshape_as": lambda T: T.ones(4).reshape_as(np.ones((2, 2))),
    "expand_as": lambda T: T.ones(1).expand_as([1.0, 2.0]),
    "type_as": lambda T: T.ones(2).type_as(np.ones(2)),
    "index_select": lambda T: T.ones(2, 2).index_select(0, [0]),
    "is_same_size": lambda T: T.ones(2).is_same_size([1.0, 2.0]),
    # the methods' table (_tensor_params 'pyneuro.Tensor'): computed before, with NumPy's reading
    "mul_list": lambda T: T.ones(3).mul([1.0, 2.0, 3.0]),
    "add_array": lambda T: T.ones(3).add(np.ones(3)),
    "add_zero_dim_array": lambda T: T.ones(3).add(np.array(2.0)),
    "add_keyword_array": lambda T: T.ones(3).add(other=np.ones(3)),
    "sub_in_place_list": lambda T: T.ones(3).sub_([1.0, 2.0, 3.0]),
    "masked_fill_array_mask": lambda T: T.ones(3).masked_fill(np.ones(3, bool), 0.0),
    "where_array_condition": lambda T: T.ones(3).where(np.ones(3, bool), 0.0),
    "copy_array": lambda T: T.ones(3).copy_(np.ones(3)),
    "gather_list_index": lambda T: T.ones(2, 2).gather(0, [[0, 1]]),
    "index_add_list_index": lambda T: T.ones(2, 2).index_add(0, [0], T.ones(1, 2)),
    "lerp_list_end": lambda T: T.ones(3).lerp([1.0, 2.0, 3.0], 0.5),
    "clamp_array_bound": lambda T: T.ones(3).clamp(np.zeros(3)),
    "maximum_list": lambda T: T.ones(3).maximum([1.0, 2.0, 3.0]),
    "eq_list": lambda T: T.ones(3).eq([1.0, 2.0, 3.0]),
    "pow_string": lambda T: T.ones(3).pow("2"),
    "parameter_mul_list": lambda T: T.nn.Parameter(T.ones(3)).mul([1.0, 2.0, 3.0]),
    # the casts' memory_format is keyword-only (x.float(fmt) computed, ignoring fmt)
    "float_positional": lambda T: T.ones(3).float(T.contiguous_format),
    "contiguous_positional": lambda T: T.ones(3).contiguous(T.contiguous_format),
    "byte_positional": lambda T: T.ones(3).byte(T.contiguous_format),
}


@pytest.mark.parametrize("case", sorted(METHODS_NOT_A_TENSOR))
def test_methods_taking_a_tensor_refuse_a_list_with_torchs_type_error(case):
    """AttributeError before (the list has no .shape / .ndim), which `except TypeError` misses."""
    call = METHODS_NOT_A_TENSOR[case]
    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(TypeError):
        call(pn)


METHOD_FORMS_TAKEN = {
    "mul_number": lambda T: T.ones(3).mul(2),
    "mul_numpy_number": lambda T: T.ones(3).mul(np.float64(2.0)),
    "add_tensor_alpha": lambda T: T.ones(3).add(T.ones(3), alpha=2),
    "clamp_none_and_number": lambda T: T.ones(3).clamp(None, 0.5),
    "masked_fill_tensor_mask": lambda T: T.ones(3).masked_fill(T.ones(3) > 0, 0.0),
    "where_number_other": lambda T: T.ones(3).where(T.ones(3) > 0, 0.0),
    "copy_tensor": lambda T: T.ones(3).copy_(T.zeros(3)),
    "gather_tensor_index": lambda T: T.ones(2, 2).gather(0, T.tensor([[0, 1]])),
    "pow_number": lambda T: T.ones(3).pow(2),
    "float_memory_format_keyword": lambda T: T.ones(3).float(memory_format=T.contiguous_format),
    "clone_memory_format_keyword": lambda T: T.ones(3).clone(memory_format=T.preserve_format),
    "lerp_numbers": lambda T: T.ones(3).lerp(T.zeros(3), 0.5),
    # (the operators are not methods of the table: NumPy's reading of an array operand, as torch)
    "operator_add_array": lambda T: T.ones(3) + np.ones(3),
    "operator_mul_array": lambda T: T.ones(3) * np.ones(3),
    "operator_eq_array": lambda T: T.ones(3) == np.ones(3),
}


@pytest.mark.parametrize("case", sorted(METHOD_FORMS_TAKEN))
def test_methods_take_what_torch_takes(case):
    """Numbers, None where torch takes it, and the operators' array operands stay taken."""
    _same(METHOD_FORMS_TAKEN[case])


def test_every_method_of_the_table_refuses_a_list_where_torch_does():
    """Each method the tool listed checks its arguments (a list there: TypeError naming the argument,
    before the method's own body runs), and the check keeps the method's docstring."""
    table = METHOD_PARAMS["pyneuro.Tensor"]
    assert len(table) > 150  # (171 from torch 2.13)
    for name, params in table.items():
        assert getattr(pn.Tensor, name).__doc__ == inspect.unwrap(getattr(pn.Tensor, name)).__doc__
        for position, arg, kind in params:
            if kind.split("|")[0] not in ("tensor", "number", "sequence") or position not in (1, 2):
                continue  # (test_flags_are_bools, ..., test_tensors_by_keyword_are_tensors; 3, 4: below)
            args = [pn.ones(2, 2)] * (position - 1) + [[[1.0, 2.0], [3.0, 4.0]]]
            with pytest.raises(TypeError, match=f"argument '{arg}' \\(position {position}\\) must be Tensor"):
                getattr(pn.ones(2, 2), name)(*args)


# Tensor.to takes *args: its flags are not checked
UNCHECKED_FLAGS = {("Tensor", "to", "copy"), ("Tensor", "to", "non_blocking")}


def _number_first(params) -> bool:
    """Is the function's first argument a number (randperm's n, a window's length), not a tensor?"""
    return any(position == 1 and kind.split("|")[0] in _WORDS for position, _, kind in params)


def _table_rows() -> tuple:
    """The namespaces the tables cover, and every (namespace, name, params) row of both tables."""
    namespaces = {"pyneuro": pn, "pyneuro.functional": pn.nn.functional, "pyneuro.linalg": pn.linalg}
    namespaces["pyneuro.special"] = pn.special
    rows = [("Tensor", n, p) for n, p in METHOD_PARAMS["pyneuro.Tensor"].items()]
    rows += [(ns, n, p) for ns in namespaces for n, p in TENSOR_PARAMS[ns].items()]
    return namespaces, rows


def test_flags_are_bools():
    """torch's parser takes a Python bool only where it types an argument bool: keepdim=1,
    x.std(0, 2), topk(sorted=1), np.bool_(True) and a 0-d tensor are its TypeError (pyneuro read
    them as truthy before). Each flag of the tables is checked, by keyword here."""
    namespaces, rows = _table_rows()
    checked = 0
    for ns, name, params in rows:
        for _, arg, kind in params:
            if not kind.startswith("bool") or (ns, name, arg) in UNCHECKED_FLAGS:
                continue
            call = getattr(pn.ones(2, 2), name) if ns == "Tensor" else getattr(namespaces[ns], name)
            first = ns == "Tensor" or _number_first(params) or _names(call)[:1] == (arg,)
            args = () if first else (pn.ones(2, 2),)
            # (F.dropout's name for train; max/min read **kwargs: _tensor_forms.extreme_form)
            keyword = arg if arg in _names(call) else {"train": "training"}.get(arg, arg)
            for value in (1, np.bool_(True), pn.tensor(True)) + ((None,) if kind == "bool" else ()):
                with pytest.raises(TypeError, match=f"argument '{arg}' must be bool"):
                    call(*args, **{keyword: value})
            checked += 1
    total = sum(kind.startswith("bool") for _, _, params in rows for _, _, kind in params)
    assert checked == total - len(UNCHECKED_FLAGS) > 200  # (243 flags from torch 2.13)


FLAGS = {
    "sum_keepdim_int": lambda T: T.ones(2, 3).sum(0, keepdim=1),
    "sum_keepdim_positional": lambda T: T.sum(T.ones(2, 3), 0, 1),
    "std_unbiased_int": lambda T: T.ones(2, 3).std(0, 2),
    "topk_sorted_int": lambda T: T.ones(2, 3).topk(1, sorted=1),
    "sort_stable_int": lambda T: T.ones(2, 3).sort(stable=1),
    "max_keepdim_none": lambda T: T.ones(2, 3).max(0, None),
    "mean_keepdim_numpy_bool": lambda T: T.ones(2, 3).mean(0, keepdim=np.bool_(True)),
    "std_unbiased_none": lambda T: T.ones(2, 3).std(0, None),
    "unique_sorted_none": lambda T: T.unique(T.ones(3), sorted=None),
    # taken: torch's optional flags (bool?) take None
    "sort_stable_none": lambda T: T.ones(2, 3).sort(stable=None)[0],
    "functional_sort_stable_none": lambda T: T.sort(T.ones(2, 3), stable=None)[0],
    # taken
    "sum_keepdim_bool": lambda T: T.ones(2, 3).sum(0, True),
    "std_unbiased_bool": lambda T: T.ones(2, 3).std(0, False),
    "sort_descending_bool": lambda T: T.ones(2, 3).sort(0, True)[0],
    "topk_flags": lambda T: T.ones(2, 3).topk(1, 1, False, True)[0],
}


@pytest.mark.parametrize("case", sorted(FLAGS))
def test_flags_as_torch_takes_them(case):
    _same(FLAGS[case])


_WORDS = {"int": "int", "float": "float", "scalar": "Number", "str": "str"}
_REFUSED = {"int": (1.5, True, "a", [1]), "float": ("a", [1.0], 1j), "scalar": ("a", [1.0]), "str": (1, [1])}


def test_numbers_and_strings_have_torch_types():
    """Where torch's parser types a keyword argument int, float, Number or str (the tables' kinds
    'int', 'float', 'scalar', 'str'), a value of another type is its TypeError, checked before the
    function runs: ignore_index=1.5, label_smoothing=None, diagonal=True, approximate=None."""
    namespaces, rows = _table_rows()
    checked = 0
    for ns, name, params in rows:
        for _, arg, kind in params:
            base = kind.split("|")[0]
            if base not in _WORDS:
                continue
            call = getattr(pn.ones(2, 2), name) if ns == "Tensor" else getattr(namespaces[ns], name)
            args = (
                ()
                if ns == "Tensor" or _names(call)[:1] == (arg,) or _number_first(params)
                else (pn.ones(2, 2),)
            )
            none = kind == base and _default(call, arg) is not None  # (pyneuro's default None: taken)
            for value in _REFUSED[base] + ((None,) if none else ()):
                with pytest.raises(TypeError, match=f"argument '{arg}' must be {_WORDS[base]}, not"):
                    call(*args, **{arg: value})
            checked += 1
    assert checked > 250  # (329 from torch 2.13)


SCALARS = {
    # refused, as torch refuses them
    "cross_entropy_ignore_index_float": lambda T: T.nn.functional.cross_entropy(
        T.ones(3, 4), T.tensor([0, 1, 2]), ignore_index=1.5
    ),
    "cross_entropy_label_smoothing_none": lambda T: T.nn.functional.cross_entropy(
        T.ones(3, 4), T.tensor([0, 1, 2]), label_smoothing=None
    ),
    "nll_loss_ignore_index_none": lambda T: T.nn.functional.nll_loss(
        T.ones(3, 4), T.tensor([0, 1, 2]), ignore_index=None
    ),
    "tril_diagonal_bool": lambda T: T.tril(T.ones(3, 4), diagonal=True),
    "diag_diagonal_float_tensor": lambda T: T.diag(T.ones(3, 4), diagonal=T.tensor(1.0)),
    "histc_bins_float": lambda T: T.histc(T.ones(3, 4), bins=4.0),
    "gelu_approximate_none": lambda T: T.nn.functional.gelu(T.ones(3), approximate=None),
    "add_alpha_list": lambda T: T.add(T.ones(3), T.ones(3), alpha=[2]),
    "add_alpha_1d_tensor": lambda T: T.add(T.ones(3), T.ones(3), alpha=T.ones(1)),
    "ones_requires_grad_int": lambda T: T.ones(2, 3, requires_grad=1),
    "tensor_requires_grad_int": lambda T: T.tensor([1.0], requires_grad=1),
    "nonzero_as_tuple_int": lambda T: T.nonzero(T.ones(3), as_tuple=1),
    "sdpa_is_causal_none": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 2, 3), T.ones(1, 2, 3), T.ones(1, 2, 3), is_causal=None
    ),
    "leaky_relu_slope_str": lambda T: T.nn.functional.leaky_relu(T.ones(3), negative_slope="a"),
    "one_hot_num_classes_bool": lambda T: T.nn.functional.one_hot(T.tensor([0, 1]), num_classes=True),
    "dropout_p_none": lambda T: T.nn.functional.dropout(T.ones(3), p=None),
    # ... and by position
    "randperm_float": lambda T: T.randperm(1.5),
    "eye_float": lambda T: T.eye(2.5),
    "tril_positional_float": lambda T: T.tril(T.ones(3, 3), 1.5),
    "multinomial_float_samples": lambda T: T.multinomial(T.ones(3), 1.5),
    "one_hot_float_classes": lambda T: T.nn.functional.one_hot(T.tensor([0, 1]), 2.5),
    "leaky_relu_positional_str": lambda T: T.nn.functional.leaky_relu(T.ones(3), "a"),
    "topk_float_k": lambda T: T.ones(3, 4).topk(1.5),
    "linspace_bool_steps": lambda T: T.linspace(0, 1, True),
    "chunk_float_chunks": lambda T: T.ones(4).chunk(2.0),
    "pixel_shuffle_float": lambda T: T.nn.functional.pixel_shuffle(T.ones(1, 4, 2, 2), 2.0),
    # taken: NumPy numbers, integer tensors for an int, 0-d tensors and ints for a float
    "cross_entropy_ignore_index_numpy": lambda T: T.nn.functional.cross_entropy(
        T.ones(3, 4), T.tensor([0, 1, 2]), ignore_index=np.int64(1)
    ),
    "cross_entropy_ignore_index_tensor": lambda T: T.nn.functional.cross_entropy(
        T.ones(3, 4), T.tensor([0, 1, 2]), ignore_index=T.tensor(1)
    ),
    "cross_entropy_label_smoothing_forms": lambda T: (
        T.nn.functional.cross_entropy(T.ones(3, 4), T.tensor([0, 1, 2]), label_smoothing=np.float32(0.1))
        + T.nn.functional.cross_entropy(T.ones(3, 4), T.tensor([0, 1, 2]), label_smoothing=T.tensor(0.1))
        + T.nn.functional.cross_entropy(T.ones(3, 4), T.tensor([0, 1, 2]), label_smoothing=0)
    ),
    "tril_diagonal_numpy": lambda T: T.tril(T.ones(3, 4), diagonal=np.int64(1)),
    "add_alpha_0d_tensor": lambda T: T.add(T.ones(3), T.ones(3), alpha=T.tensor(2.0)),
    "div_rounding_mode_none": lambda T: T.div(T.ones(3), 2, rounding_mode=None),
    "clamp_min_tensor": lambda T: T.clamp(T.ones(3), min=T.zeros(3)),
    "ones_requires_grad_bool": lambda T: T.ones(2, 3, requires_grad=True),
    "randperm_numpy_int": lambda T: T.randperm(np.int64(3)),
    "eye_int_tensor": lambda T: T.eye(T.tensor(2)),
    "topk_int_tensor": lambda T: T.ones(3, 4).topk(T.tensor(2))[0],
    "linspace_numpy_steps": lambda T: T.linspace(0, 1, np.int64(5)),
    "leaky_relu_int_and_tensor_slope": lambda T: (
        T.nn.functional.leaky_relu(T.ones(3), 1) + T.nn.functional.leaky_relu(T.ones(3), T.tensor(0.2))
    ),
}


@pytest.mark.parametrize("case", sorted(SCALARS))
def test_numbers_and_strings_as_torch_takes_them(case):
    _same(SCALARS[case])


def test_the_table_is_what_the_tool_writes_from_this_torch():
    """_tensor_params.py is data written by tools/torch_tensor_params.py, not kept by hand: from the
    torch this project pins (2.13) the tool writes the same table. (In a child process: the tool
    calls torch's functions with odd arguments.)"""
    if not torch.__version__.startswith("2.13."):
        pytest.skip(f"the table was written from torch 2.13, this is {torch.__version__}")
    root = Path(__file__).resolve().parent.parent
    check = (
        "import torch_tensor_params as tool\n"
        "from pyneuro._tensor_params import TENSOR_PARAMS\n"
        "for ours, theirs in tool.NAMESPACES.items():\n"
        "    assert tool.table_for(ours, theirs) == TENSOR_PARAMS[ours], ours\n"
        "from pyneuro._method_params import METHOD_PARAMS\n"
        "assert tool.method_table() == METHOD_PARAMS[tool.METHODS]\n"
    )
    # (run from tools/, so the child imports the tool from there and pyneuro as this process does)
    run = subprocess.run(
        [sys.executable, "-c", check], cwd=root / "tools", capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_every_public_function_pickles_by_reference():
    """torch.exp pickles (a Module holding torch.tanh saves whole); pn.exp failed: a wrapper (out=,
    the argument check) kept the name of the function it wraps, which lives in another module,
    so pickle found a different object there. 540 such functions before, none now."""
    import pickle

    for namespace in (pn, pn.nn.functional, pn.linalg, pn.special):
        for name in dir(namespace):
            f = getattr(namespace, name, None)
            if name.startswith("_") or type(f).__name__ != "function":
                continue
            assert pickle.loads(pickle.dumps(f)) is f, f"{namespace.__name__}.{name}"


SETITEM_VALUES = {
    "list": [1.0, 2.0, 3.0],
    "tuple": (1.0, 2.0, 3.0),
    "array": np.ones(3),
    "zero_dim_array": np.array(2.0),
    "string": "a",
    "none": None,
    "number": 2.0,
    "int": 2,
    "bool": True,
    "numpy_float32": np.float32(2.0),  # (refused: not a Python number; np.float64 is one)
    "numpy_float64": np.float64(2.0),
    "numpy_int": np.int64(2),
    "numpy_bool": np.bool_(True),
}


@pytest.mark.parametrize("case", sorted(SETITEM_VALUES))
def test_setitem_takes_a_tensor_or_a_number_only(case):
    """x[0] = [1., 2., 3.] or an ndarray computed here; torch refuses it ("can't assign a list to
    a torch.FloatTensor"): make it a tensor first. Python numbers (np.float64 is a float) and NumPy
    integers are taken, as torch takes them."""

    def call(T):
        x = T.zeros(2, 3)
        x[0] = SETITEM_VALUES[case]
        return x

    _same(call)


ONE_DIM = {
    "softmax_none": lambda T: T.softmax(T.ones(2, 3), None),
    "log_softmax_tuple": lambda T: T.log_softmax(T.ones(2, 3), (1,)),
    "cumsum_tuple": lambda T: T.cumsum(T.ones(2, 3), (1,)),
    "cumsum_float": lambda T: T.ones(2, 3).cumsum(1.0),
    "gather_tuple": lambda T: T.ones(2, 3).gather((0,), T.zeros(2, 3, dtype=T.int64)),
    "index_select_none": lambda T: T.ones(2, 3).index_select(None, T.tensor([0])),
    "transpose_float": lambda T: T.ones(2, 3).transpose(0, 1.0),
    "unsqueeze_bool": lambda T: T.ones(2, 3).unsqueeze(True),
    "flatten_float": lambda T: T.ones(2, 3).flatten(0.0),
    "topk_bool": lambda T: T.ones(2, 3).topk(1, True),
    "size_bool": lambda T: T.ones(2, 3).size(True),
    "argsort_tuple": lambda T: T.ones(2, 3).argsort((1,)),
    "cat_none": lambda T: T.cat([T.ones(2), T.ones(2)], None),
    "cosine_similarity_tuple": lambda T: T.cosine_similarity(T.ones(2, 3), T.ones(2, 3), (1,)),
    "select_list": lambda T: T.ones(2, 3).select([0], 0),
    # taken: a NumPy integer or a 0-d integer tensor as the dim, a tuple where torch takes dims
    "softmax_numpy_int": lambda T: T.softmax(T.ones(2, 3), np.int64(1)),
    "cumsum_tensor_dim": lambda T: T.cumsum(T.ones(2, 3), T.tensor(1)),
    "sum_tuple": lambda T: T.ones(2, 3).sum((0, 1)),
    "flip_tuple": lambda T: T.ones(2, 3).flip((0,)),
}


@pytest.mark.parametrize("case", sorted(ONE_DIM))
def test_one_dim_is_an_int(case):
    """Where an op takes one dim, torch's parser takes an int (or a NumPy integer, a 0-d integer
    tensor) only: None, a tuple, a float or a bool is its TypeError. Before, a 1-tuple was read as
    its dim, None as every dim (ValueError: too many values to unpack) and a bool as 0 or 1."""
    _same(ONE_DIM[case])


def test_a_number_with_a_positional_alpha_adds_alpha_times_it():
    """torch's add.Scalar/sub.Scalar take alpha by position: x.add(5, 2) is x + 10 (it was refused
    with the keyword-only rule, which holds for a tensor `other` only)."""
    for lib in (torch, pn):
        x = lib.ones(2)
        assert x.add(5, 2).tolist() == [11.0, 11.0]
        assert lib.sub(x, 5.0, 2.0).tolist() == [-9.0, -9.0]
        assert x.clone().add_(5, 2).tolist() == [11.0, 11.0]


POSITIONAL_FORMS = {
    "rsub_number_alpha": lambda T: T.rsub(T.ones(2), 5, 2),
    "nan_to_num_none": lambda T: T.nan_to_num(T.tensor([float("nan"), 1.0]), None),
    "nan_to_num__none": lambda T: T.tensor([float("nan"), 1.0]).nan_to_num_(None),
    "special_softmax_dtype": lambda T: T.special.softmax(T.ones(2), 0, None),
}


@pytest.mark.parametrize("case", sorted(POSITIONAL_FORMS))
def test_positional_forms_torch_takes(case):
    """Refused or failing before: rsub's alpha by position with a number, nan=None (the
    default), special.softmax's dtype by position."""
    assert POSITIONAL_FORMS[case](pn).tolist() == POSITIONAL_FORMS[case](torch).tolist()


SEQUENCES_AND_KEYWORD_ONLY = {
    "cat_array": lambda T: T.cat(np.ones(2)),
    "stack_number": lambda T: T.stack(5),
    "atleast_1d_array": lambda T: T.atleast_1d(np.ones(2)),
    "atleast_1d_second_array": lambda T: T.atleast_1d(T.ones(2), np.ones(2)),
    "block_diag_second_list": lambda T: T.block_diag(T.ones(2, 2), [1.0]),
    "dropout_train_int": lambda T: T.nn.functional.dropout(T.ones(2), 0.5, 1),
    "dropout_training_keyword_int": lambda T: T.nn.functional.dropout(T.ones(2), 0.5, training=0),
    "avg_pool_ceil_mode_int": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4), 2, 2, 0, 1),
    "unique_sorted_int": lambda T: T.unique(T.ones(2), 1),
    "as_tensor_dtype_positional": lambda T: T.as_tensor([1.0], T.float64),
    "zeros_like_dtype_positional": lambda T: T.zeros_like(T.ones(2), T.float64),
    "full_like_dtype_positional": lambda T: T.full_like(T.ones(2), 0, T.float64),
    "randn_like_dtype_positional": lambda T: T.randn_like(T.ones(2), T.float64),
    # taken
    "atleast_1d_tensors": lambda T: T.atleast_1d(T.ones(2), T.ones(1))[1],
    "dropout_eval": lambda T: T.nn.functional.dropout(T.ones(2), 0.5, False),
    "as_tensor_dtype_keyword": lambda T: T.as_tensor([1.0], dtype=T.float64),
}


@pytest.mark.parametrize("case", sorted(SEQUENCES_AND_KEYWORD_ONLY))
def test_sequences_flags_and_keyword_only_dtypes(case):
    """An array where torch takes a sequence of tensors, an int where F.dropout takes a bool and
    the factories' dtype by position: computed before, TypeError in torch."""
    _same(SEQUENCES_AND_KEYWORD_ONLY[case])


THIRD_AND_FOURTH = {
    "addcmul_list_tensor2": lambda T: T.addcmul(T.ones(2), T.ones(2), [1.0, 2.0]),
    "bilinear_list_weight": lambda T: T.nn.functional.bilinear(
        T.ones(1, 2), T.ones(1, 2), [[[1.0, 2.0], [3.0, 4.0]]]
    ),
    "linear_array_bias": lambda T: T.nn.functional.linear(T.ones(1, 2), T.ones(3, 2), np.ones(3)),
    "cross_entropy_list_weight": lambda T: T.nn.functional.cross_entropy(
        T.ones(2, 3), T.tensor([0, 1]), [1.0, 1.0, 1.0]
    ),
    "margin_ranking_list_target": lambda T: T.nn.functional.margin_ranking_loss(
        T.ones(2), T.ones(2), [1.0, -1.0]
    ),
    "gather_list_index": lambda T: T.gather(T.ones(2, 2), 0, [[0, 1]]),
    # taken
    "linear_none_bias": lambda T: T.nn.functional.linear(T.ones(1, 2), T.ones(3, 2), None),
    "cross_entropy_tensor_weight": lambda T: T.nn.functional.cross_entropy(
        T.ones(2, 3), T.tensor([0, 1]), T.ones(3)
    ),
}


@pytest.mark.parametrize("case", sorted(THIRD_AND_FOURTH))
def test_tensor_arguments_in_third_and_fourth_place(case):
    """The table's positions 3 and 4 (a loss's target or weight, a bias, an index after a dim):
    AttributeError or computed before; checked where pyneuro's parameter there has torch's name."""
    _same(THIRD_AND_FOURTH[case])


def _x(T):
    return T.ones(1, 1, 4, 4)


MODULE_FLAGS = {
    # torch's kernels type these bool (int) and its modules pass them on by position: TypeError
    # at forward (the modules computed, reading 1 as True)
    "max_pool2d_ceil_mode_int": lambda T: T.nn.MaxPool2d(2, ceil_mode=1)(_x(T)),
    "max_pool1d_ceil_mode_numpy": lambda T: T.nn.MaxPool1d(2, ceil_mode=np.bool_(True))(T.ones(1, 2, 4)),
    "max_pool3d_ceil_mode_int": lambda T: T.nn.MaxPool3d(2, ceil_mode=1)(T.ones(1, 1, 4, 4, 4)),
    "avg_pool2d_count_include_pad_int": lambda T: T.nn.AvgPool2d(2, count_include_pad=0)(_x(T)),
    "avg_pool1d_count_include_pad_int": lambda T: T.nn.AvgPool1d(2, count_include_pad=1)(T.ones(1, 2, 4)),
    "avg_pool2d_divisor_override_float": lambda T: T.nn.AvgPool2d(2, divisor_override=2.0)(_x(T)),
    "embedding_scale_grad_int": lambda T: T.nn.Embedding(5, 2, scale_grad_by_freq=1)(T.tensor([1])),
    "functional_max_pool2d_positional": lambda T: T.nn.functional.max_pool2d(_x(T), 2, 2, 0, 1, 1),
    "torch_max_pool2d_positional": lambda T: T.max_pool2d(_x(T), 2, 2, 0, 1, 1),
    "functional_embedding_positional": lambda T: T.nn.functional.embedding(
        T.tensor([1]), T.ones(5, 2), None, None, 2.0, 1
    ),
    "lstm_bidirectional_int": lambda T: T.nn.LSTM(4, 4, bidirectional=1)(T.ones(2, 1, 4))[0],
    "gru_bidirectional_numpy": lambda T: T.nn.GRU(4, 4, bidirectional=np.bool_(True))(T.ones(2, 1, 4))[0],
    "rnn_bidirectional_zero": lambda T: T.nn.RNN(4, 4, bidirectional=0)(T.ones(2, 1, 4))[0],
    "interpolate_align_corners_int": lambda T: T.nn.functional.interpolate(
        _x(T), scale_factor=2, mode="bilinear", align_corners=1
    ),
    "upsample_align_corners_numpy": lambda T: T.nn.Upsample(
        scale_factor=2, mode="bilinear", align_corners=np.bool_(True)
    )(_x(T)),
    "affine_grid_align_corners_int": lambda T: T.nn.functional.affine_grid(
        T.eye(2, 3).unsqueeze(0), [1, 1, 2, 2], align_corners=1
    ),
    # taken
    "interpolate_align_corners_bool": lambda T: T.nn.functional.interpolate(
        _x(T), scale_factor=2, mode="bicubic", align_corners=True
    ),
    "affine_grid_align_corners_bool": lambda T: T.nn.functional.affine_grid(
        T.eye(2, 3).unsqueeze(0), [1, 1, 2, 2], align_corners=False
    ),
    "max_pool2d_ceil_mode_bool": lambda T: T.nn.MaxPool2d(2, ceil_mode=True)(_x(T)),
    "avg_pool2d_positional_bools": lambda T: T.nn.functional.avg_pool2d(_x(T), 2, 2, 0, False, True, 2),
    "lstm_bidirectional_bool": lambda T: T.nn.LSTM(4, 4, bidirectional=True)(T.ones(2, 1, 4))[0],
}


@pytest.mark.parametrize("case", sorted(MODULE_FLAGS))
def test_flags_the_modules_pass_on_are_bools(case):
    """A flag the table found by keyword (F.max_pool2d's ceil_mode) is checked at pyneuro's place
    of it too, so a module passing it on by position is refused as torch's kernel refuses it;
    the recurrent layers' bidirectional at forward, as torch's _VF.lstm (not at construction)."""
    _same(MODULE_FLAGS[case])


def test_recurrent_layer_with_an_int_flag_is_still_built():
    """torch builds nn.LSTM(4, 4, bidirectional=1) (two directions) and refuses it only at forward."""
    for lib in (torch, pn):
        assert len(lib.nn.LSTM(4, 4, bidirectional=1).state_dict()) == 8


_DIM_VALUES = {"dim": (1.5, True, (0,)), "dims": (1.5, True, (0.5,), [True]), "ints": (2, 1.5, (1.5,))}


def test_dims_and_int_lists_have_torch_types():
    """Where torch's parser types an argument `int dim` (kind 'dim'), `int[1]` (an int or a
    sequence of ints: 'dims') or `int[]` (a sequence only: 'ints'), a float, a bool, a sequence
    where one dim goes, a bare int where a sequence goes, and None by keyword (unless torch takes
    it) are its TypeError, checked before the function runs."""
    namespaces, rows = _table_rows()
    checked = 0
    for ns, name, params in rows:
        for _, arg, kind in params:
            base = kind.split("|")[0]
            if base not in _DIM_VALUES:
                continue
            call = getattr(pn.ones(2, 2), name) if ns == "Tensor" else getattr(namespaces[ns], name)
            if arg not in _names(call):
                continue  # (varargs: x.view(*shape), x.flip(*dims): shape_arg's rule)
            first = ns == "Tensor" or _names(call)[:1] == (arg,) or _number_first(params)
            args = () if first else (pn.ones(2, 2),)
            for value in _DIM_VALUES[base] + ((None,) if kind == base else ()):
                with pytest.raises(TypeError, match=f"argument '{arg}' must be (int|tuple of ints)"):
                    call(*args, **{arg: value})
            checked += 1
    assert checked > 150  # (200 from torch 2.13)


DIM_FORMS = {
    # refused, as torch refuses them (computed before)
    "prod_dim_none": lambda T: T.ones(2, 3).prod(dim=None),
    "torch_prod_dim_none": lambda T: T.prod(T.ones(2, 3), dim=None),
    "median_dim_none": lambda T: T.ones(2, 3).median(dim=None),
    "nanmedian_dim_none": lambda T: T.ones(2, 3).nanmedian(dim=None),
    "logsumexp_dim_none": lambda T: T.ones(2, 3).logsumexp(dim=None),
    "squeeze_dim_none": lambda T: T.ones(2, 1).squeeze(dim=None),
    "torch_squeeze_dim_none": lambda T: T.squeeze(T.ones(2, 1), dim=None),
    "std_dim_bool": lambda T: T.ones(2, 3).std(dim=True),
    "sum_dim_float_tuple": lambda T: T.ones(2, 3).sum(dim=(0.0,)),
    "amax_dim_float": lambda T: T.ones(2, 3).amax(1.0),
    "full_bare_int": lambda T: T.full(2, 1.0),
    "full_size_keyword_int": lambda T: T.full(size=2, fill_value=1.0),
    "new_full_bare_int": lambda T: T.ones(2).new_full(2, 1.0),
    "randint_bare_size": lambda T: T.randint(0, 2, 3),
    "randint_size_keyword_int": lambda T: T.randint(0, 2, size=3),
    "normal_bare_size": lambda T: T.normal(0.0, 1.0, 3),  # (d2l's synthetic_data, a tuple forgotten)
    "normal_size_keyword_int": lambda T: T.normal(0, 1, size=3),
    "normal_tensor_mean_and_size": lambda T: T.normal(T.zeros(2), 1.0, (2,)),
    "matrix_norm_bare_int_dim": lambda T: T.linalg.matrix_norm(T.ones(2, 2, 2), "fro", 0),
    "torch_flip_bare_int": lambda T: T.flip(T.ones(2, 3), 0),
    "torch_reshape_bare_int": lambda T: T.reshape(T.ones(2, 3), 6),
    "flip_bool": lambda T: T.ones(2, 3).flip(True),
    "view_bool_first": lambda T: T.ones(2, 3).view(True, 6),
    "reshape_bool_first": lambda T: T.ones(2, 3).reshape((True, 6)),
    "permute_bool_first": lambda T: T.ones(2, 3).permute(True, 0),
    "movedim_tuple_and_int": lambda T: T.ones(2, 3).movedim((1,), 0),
    "movedim_int_and_tuple": lambda T: T.ones(2, 3).movedim(1, (0,)),
    "narrow_float_dim": lambda T: T.ones(2, 3).narrow(0.0, 0, 1),
    "max_pool2d_float_kernel": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 4, 4), 2.0),
    "conv2d_float_stride": lambda T: T.nn.functional.conv2d(
        T.ones(1, 1, 4, 4), T.ones(1, 1, 2, 2), None, 1.0
    ),
    # taken
    "prod_no_dim": lambda T: T.ones(2, 3).prod(),
    "torch_prod_no_dim": lambda T: T.prod(T.ones(2, 3)),
    "squeeze_no_dim": lambda T: T.squeeze(T.ones(2, 1)),
    "squeeze_tuple": lambda T: T.ones(2, 1).squeeze((0, 1)),
    "sum_dim_none": lambda T: T.ones(2, 3).sum(dim=None),
    "sum_dim_numpy": lambda T: T.ones(2, 3).sum(dim=np.int64(0)),
    "mean_dim_list": lambda T: T.ones(2, 3).mean([0, 1]),
    "full_tuple": lambda T: T.full((2,), 1.0),
    "normal_size_tuple": lambda T: T.normal(0, 1, (2, 3)),
    "normal_size_list_keyword": lambda T: T.normal(0.0, 1.0, size=[2]),
    "normal_tensor_mean": lambda T: T.normal(T.zeros(2), 1.0),
    "matrix_norm_tuple_dim": lambda T: T.linalg.matrix_norm(T.ones(2, 2, 2), "fro", (1, 2)),
    "full_size_object": lambda T: T.full(T.Size([2]), 1.0),
    "full_later_bool": lambda T: T.full((2, True), 1.0),
    "view_later_bool": lambda T: T.ones(2, 3).view(6, True),
    "flip_tuple_keyword": lambda T: T.flip(T.ones(2, 3), dims=(0,)),
    "movedim_tuples": lambda T: T.ones(2, 3).movedim((1,), (0,)),
    "max_pool2d_tuple_kernel": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 4, 4), (2, 2)),
    "logsumexp_tuple": lambda T: T.ones(2, 3).logsumexp((0, 1)),
}


@pytest.mark.parametrize("case", sorted(DIM_FORMS))
def test_dims_and_sizes_as_torch_takes_them(case):
    _same(DIM_FORMS[case])


def test_tensors_by_keyword_are_tensors():
    """Where torch types a keyword argument Tensor beyond the places the tool gives by position
    (F.layer_norm's weight and bias, F.batch_norm's, cov's aweights), a list or a string there is
    its TypeError; pyneuro failed with AttributeError ('list' object has no attribute 'dtype')."""
    namespaces, rows = _table_rows()
    checked = 0
    for ns, name, params in rows:
        for position, arg, kind in params:
            if position or kind.split("|")[0] != "tensor":
                continue
            call = getattr(pn.ones(2, 2), name) if ns == "Tensor" else getattr(namespaces[ns], name)
            args = () if ns == "Tensor" else (pn.ones(2, 2),)
            for value in ([1.0, 2.0], "a") + (() if kind.endswith("|None") else (None,)):
                with pytest.raises(TypeError, match=f"argument '{arg}' must be Tensor, not"):
                    call(*args, **{arg: value})
            checked += 1
    assert checked > 15  # (23 from torch 2.13)


KEYWORD_TENSORS = {
    "layer_norm_weight_list": lambda T: T.nn.functional.layer_norm(T.ones(2, 4), (4,), weight=[1.0] * 4),
    "batch_norm_bias_list": lambda T: T.nn.functional.batch_norm(
        T.ones(2, 3), T.zeros(3), T.ones(3), bias=[0.0] * 3
    ),
    "group_norm_weight_str": lambda T: T.nn.functional.group_norm(T.ones(2, 4, 3), 2, weight="a"),
    "instance_norm_weight_list": lambda T: T.nn.functional.instance_norm(T.ones(2, 3, 4), weight=[1.0] * 3),
    "layer_norm_eps_str_module": lambda T: T.nn.LayerNorm(4, eps="a")(T.ones(2, 4)),
    # taken
    "layer_norm_weight_tensor": lambda T: T.nn.functional.layer_norm(T.ones(2, 4), (4,), weight=T.ones(4)),
    "scatter_value_by_position": lambda T: T.zeros(2, 3).scatter(0, T.zeros(1, 3, dtype=T.int64), 2.0),
    # and by a third or fourth place the tool now reads from torch's message
    "conv2d_bias_list": lambda T: T.nn.functional.conv2d(T.ones(1, 1, 3, 3), T.ones(1, 1, 2, 2), [0.0]),
    "diff_prepend_list": lambda T: T.ones(3).diff(1, 0, [1.0]),
    # found now that a probe failing otherwise first (float indices) tries the next arguments
    "embedding_bag_scale_grad_int": lambda T: T.nn.EmbeddingBag(5, 2, scale_grad_by_freq=1)(
        T.tensor([[0, 1]])
    ),
    "embedding_bag_sparse_int": lambda T: T.nn.functional.embedding_bag(
        T.tensor([[0, 1]]), T.ones(5, 2), sparse=1
    ),
    "group_norm_eps_str": lambda T: T.nn.functional.group_norm(T.ones(2, 4, 3), 2, eps="a"),
    "embedding_bag_flags_bool": lambda T: T.nn.functional.embedding_bag(
        T.tensor([[0, 1]]), T.ones(5, 2), sparse=False
    ),
}


@pytest.mark.parametrize("case", sorted(KEYWORD_TENSORS))
def test_keyword_tensors_as_torch_takes_them(case):
    _same(KEYWORD_TENSORS[case])


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"])
def test_set_num_threads_refuses_as_torch(value):
    """torch raises RuntimeError ("set_num_threads expects an int"); pyneuro's ValueError is
    now an ArgumentError, both; a NumPy integer is taken, as torch takes it."""
    for lib in (torch, pn):
        with pytest.raises(RuntimeError, match="set_num_threads expects"):
            lib.set_num_threads(value)
    with pytest.raises(ValueError):
        pn.set_num_threads(value)
    before = pn.get_num_threads()
    pn.set_num_threads(np.int64(1))
    assert pn.get_num_threads() == 1 or not pn.backends.status("cpu").available
    pn.set_num_threads(before)


CLIP_ARGUMENTS = {
    "clip_grad_norm_none": lambda T: T.nn.utils.clip_grad_norm_([T.ones(2, requires_grad=True)], None),
    "clip_grad_norm_string": lambda T: T.nn.utils.clip_grad_norm_([T.ones(2, requires_grad=True)], "x"),
    "clip_grad_value_none": lambda T: T.nn.utils.clip_grad_value_([T.ones(2, requires_grad=True)], None),
}


@pytest.mark.parametrize("case", sorted(CLIP_ARGUMENTS))
def test_clip_bounds_are_numbers_before_any_gradient_exists(case):
    """torch converts max_norm / clip_value with float() first: None or a word is its TypeError
    or ValueError even before backward() made any gradient (pyneuro returned quietly)."""
    with pytest.raises(Exception) as theirs:
        CLIP_ARGUMENTS[case](torch)
    with pytest.raises(type(theirs.value)):
        CLIP_ARGUMENTS[case](pn)
