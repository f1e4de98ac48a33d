"""torch.tensor of what a student hands it besides lists and arrays, against torch: a pandas
Series (read item by item, so its NumPy scalars keep their dtype: float64 stays float64), a
DataFrame (torch's ValueError), a memoryview, a sequence class, and data holding something that
is not a number (torch's "Could not infer dtype of NoneType")."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import _host_data

torch = pytest.importorskip("torch")


class LabelSeries:
    """What pandas' Series is to torch: a sequence whose [i] looks up a label (KeyError when no
    label i), whose items are NumPy scalars, and which NumPy reads through __array__."""

    def __init__(self, values, index=None):
        self.values = np.asarray(values)
        self.index = list(range(len(self.values))) if index is None else list(index)

    def __len__(self):
        return len(self.values)

    def __getitem__(self, label):
        return self.values[self.index.index(label)] if label in self.index else self._missing(label)

    def _missing(self, label):
        raise KeyError(label)

    def __iter__(self):  # (by position, as Python numbers: pandas' iteration)
        return iter(self.values.tolist())

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


class Frame:
    """A DataFrame to torch: len is the rows, [0] looks up a column."""

    def __init__(self, columns):
        self.columns = columns

    def __len__(self):
        return len(next(iter(self.columns.values())))

    def __getitem__(self, name):
        return LabelSeries(self.columns[name])


class Pairs:
    def __len__(self):
        return 2

    def __getitem__(self, i):
        if i >= 2:
            raise IndexError(i)
        return [1.5, 2.5][i]


def outcome(fw, make, fn="tensor"):
    try:
        t = getattr(fw, fn)(make())
    except (ValueError, TypeError, RuntimeError, KeyError) as exc:
        return exc
    return str(t.dtype).replace("pyneuro", "torch"), repr(t.tolist())  # (repr: nan equals nan)


def assert_same(fn, make):
    """The same dtype and values, or an exception of torch's class (pyneuro's may subclass it)
    with torch's message."""
    mine, ref = outcome(pn, make, fn), outcome(torch, make, fn)
    if isinstance(ref, Exception):
        assert isinstance(mine, type(ref)) and str(mine) == str(ref), (mine, ref)
    else:
        assert mine == ref


CASES = {
    "series_float64": lambda: LabelSeries([1.0, 2.0]),
    "series_float32": lambda: LabelSeries(np.array([1.0, 2.0], dtype=np.float32)),
    "series_int": lambda: LabelSeries([1, 2]),
    "series_int8_codes": lambda: LabelSeries(np.array([0, 1], dtype=np.int8)),
    "series_bool": lambda: LabelSeries([True, False]),
    "series_nan": lambda: LabelSeries([1.0, np.nan]),
    "series_other_labels": lambda: LabelSeries([1.0, 2.0], index=[5, 6]),
    "list_of_series": lambda: [LabelSeries([1.0, 2.0]), LabelSeries([3.0, 4.0])],
    "frame": lambda: Frame({"a": [1.0, 2.0]}),
    "sequence_class": Pairs,
    "memoryview": lambda: memoryview(b"ab"),
    "empty_sequence": lambda: LabelSeries([]),
    "ellipsis": lambda: ...,
    "list_with_ellipsis": lambda: [1, ...],
    "none": lambda: None,
    "list_with_none": lambda: [[1.0], [None]],
    "dict": lambda: {1: 2.0},
    "set": lambda: {1, 2},
    "generator": lambda: (i for i in range(2)),
    "str": lambda: "abc",
    "bytes": lambda: b"ab",
    "object_array": lambda: np.array([1.0, "x"], dtype=object),
    "str_array": lambda: np.array(["a", "b"]),
}


@pytest.mark.parametrize("fn", ["tensor", "as_tensor"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_tensor_of_student_data_as_torch(name, fn):
    assert_same(fn, CASES[name])


@pytest.mark.parametrize(
    "make", [lambda: np.float64(1.0), lambda: [1.0], lambda: LabelSeries([1.0]), lambda: None]
)
def test_from_numpy_names_what_it_got_as_torch(make):
    assert_same("from_numpy", make)


def test_pandas_columns_as_torch():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4, 5, 6]})
    cases = [lambda: df, lambda: df["a"], lambda: df["b"], lambda: df["a"] > 1, lambda: [df["a"], df["a"]]]
    cases += [lambda: df.values, lambda: df["a"].values, lambda: pd.Series([1.0], index=[3])]
    for make in cases:
        assert_same("tensor", make)
    x = pn.tensor(df["a"])  # float64, as torch: a Linear layer then refuses it as torch's does
    with pytest.raises(RuntimeError, match="same dtype"):
        pn.nn.Linear(1, 1)(x[:, None])


# ----------------------------------------------------------------------------- mistakes' messages
class Custom:
    pass


MISTAKES = {  # what students get wrong, each with torch's exception class and words
    "linear_of_placeholders": lambda m: m.nn.Linear(..., 10),
    "linear_of_a_placeholder_out": lambda m: m.nn.Linear(3, ...),
    "linear_of_a_float": lambda m: m.nn.Linear(3.0, 2),
    "linear_of_a_negative_size": lambda m: m.nn.Linear(2, -3),
    "tensor_of_a_placeholder": lambda m: m.tensor([...]),
    "zeros_of_a_placeholder": lambda m: m.zeros(...),
    "zeros_of_a_second_placeholder": lambda m: m.zeros(2, ...),
    "zeros_of_a_first_placeholder": lambda m: m.zeros(..., 3),
    "zeros_of_a_tuple_with_none": lambda m: m.zeros((None, 2)),
    "randn_of_a_float_size": lambda m: m.randn(2, 3.5),
    "ones_of_a_string": lambda m: m.ones("a"),
    "empty_of_a_float_tensor_size": lambda m: m.empty(2, m.tensor(3.0)),
    "int_input_to_linear": lambda m: m.nn.Linear(1, 1)(m.tensor([[1, 2, 3]])),
    "list_to_linear": lambda m: m.nn.Linear(1, 1)([1.0]),
    "array_to_linear": lambda m: m.nn.Linear(1, 1)(np.ones((1, 1))),
    "scalar_to_linear": lambda m: m.nn.Linear(1, 1)(m.tensor(1.0)),
    "list_to_embedding": lambda m: m.nn.Embedding(3, 2)([1, 2]),
    "int_to_embedding": lambda m: m.nn.Embedding(3, 2)(1),
    "std_of_ints": lambda m: m.arange(3).std(),
    "var_of_bools": lambda m: m.tensor([True, False]).var(),
    "mse_against_other_shape": lambda m: m.nn.functional.mse_loss(m.ones(4, 3), m.ones(4)),
    "l1_against_other_shape": lambda m: m.nn.MSELoss()(m.ones(4, 3), m.ones(2)),
    "broadcast_tensors": lambda m: m.broadcast_tensors(m.ones(2), m.ones(3)),
    "bce_column_against_labels": lambda m: m.nn.functional.binary_cross_entropy(m.ones(4, 1) / 2, m.ones(4)),
    "bce_logits_column_against_labels": lambda m: m.nn.BCEWithLogitsLoss()(m.ones(4, 1), m.ones(4)),
    "sequential_of_a_class": lambda m: m.nn.Sequential(m.nn.ReLU),
    "sequential_of_a_number": lambda m: m.nn.Sequential(3),
    "exp_of_an_object": lambda m: m.exp(Custom()),
    "exp_of_a_numpy_scalar": lambda m: m.exp(np.float64(1.0)),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_student_mistakes_raise_as_torch(name):
    with pytest.raises(Exception) as ref:
        MISTAKES[name](torch)
    with pytest.raises(type(ref.value)) as mine:
        MISTAKES[name](pn)
    assert str(mine.value).replace("pyneuro", "torch") == str(ref.value)


# ----------------------------------------------------------------------------- NumPy arrays in operators
ARRAY_OPERANDS = [  # torch: t (op) array is NumPy's op on t's values, array (op) t and t < array TypeError
    "t + a", "t - ai", "t * ai", "t / ai", "t // a", "t % a", "t ** a", "t @ a", "ti & ai", "ti << ai",
    "t + np.array(1)", "t + np.array(1.0, dtype=np.float32)", "t.double() + ai", "ti + np.int32(2)",
    "a + t", "a - t", "a * t", "a @ t", "a ** t", "ai & ti", "np.array(2.0) * t",
    "t == a", "a == t", "t != a", "t < a", "a >= t", "w + a", "w * np.float64(2.0)", "np.float32(2.0) * w",
    "np.add(t, a)", "np.add(a, t)", "np.exp(t)", "np.exp(ti)", "np.isnan(t)", "np.sqrt(w)",
    "m.where(t > 1, t, a)", "m.where(t > 1, a, t)", "m.where(t > 1, t, np.float64(0.0))",
]  # fmt: skip


def _run_array_operand(m, expr):
    names = {"m": m, "np": np, "t": m.tensor([1.0, 2.0]), "ti": m.tensor([1, 2])}
    names.update(a=np.array([1.0, 3.0]), ai=np.array([1, 2]), w=m.tensor([1.0, 2.0], requires_grad=True))
    try:
        out = eval(expr, names)
    except (TypeError, RuntimeError) as exc:
        return type(exc)
    if isinstance(out, m.Tensor):
        return type(out).__name__, str(out.dtype).replace("pyneuro", "torch"), out.tolist()
    return out


@pytest.mark.parametrize("expr", ARRAY_OPERANDS)
def test_numpy_array_operands_as_torch(expr):
    mine, ref = _run_array_operand(pn, expr), _run_array_operand(torch, expr)
    if isinstance(ref, type):
        assert isinstance(mine, type) and issubclass(mine, ref), (mine, ref)
    else:
        assert mine == ref


def test_in_place_operator_with_an_array_makes_a_new_tensor_as_torch():
    for m in (pn, torch):
        t = m.tensor([1.0, 2.0])
        before = t
        t += np.array([1, 2])  # Python falls back to t = t + a: NumPy's float64 result
        assert t is not before and str(t.dtype).endswith("float64") and before.tolist() == [1.0, 2.0]


def test_list_of_arrays_warns_once_as_torch(monkeypatch):
    monkeypatch.setattr(_host_data, "_WARNED", set())
    images = [np.ones((2, 2)), np.zeros((2, 2))]
    with pytest.warns(UserWarning, match="list of numpy.ndarrays is extremely slow") as record:
        t = pn.tensor(images)
    assert record[0].filename == __file__  # at the caller's line, as torch's
    assert t.dtype == pn.float64 and t.shape == (2, 2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pn.tensor(images)  # once per process (torch's TORCH_WARN_ONCE)
        pn.tensor([np.float64(1.0), 2.0])  # NumPy scalars are numbers: no warning
