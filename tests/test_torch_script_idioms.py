"""Idioms of plain PyTorch scripts, against torch: what a script does with a tensor besides
arithmetic on tensors (a Python sequence repeated by an integer tensor, ...)."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(fn):
    try:
        return fn()
    except TypeError as e:
        return TypeError, str(e).replace("pyneuro", "torch")


@pytest.mark.parametrize(
    "expr",
    [
        "[0] * m.tensor(3)",
        "m.tensor(3) * [0]",
        "'-' * m.tensor(2)",
        "(1, 2) * m.tensor(2)",
        "[7] * (m.tensor([4, 9]).max() - 2)",  # the padding of a collate_fn: [pad] * (max_len - n)
        "[0] * m.tensor(2.0)",  # not an integer: TypeError from __index__
        "[0] * m.tensor([1, 2])",
        "m.ones(2) * [1, 2]",
    ],
)
def test_a_sequence_times_an_integer_tensor_is_repeated(expr):
    expected = _outcome(lambda: eval(expr, {"m": torch}))
    got = _outcome(lambda: eval(expr, {"m": pn}))
    assert got == expected


def test_in_place_repetition_of_a_list():
    for m in (torch, pn):
        pad = [0]
        pad *= m.tensor(3)
        assert pad == [0, 0, 0]


def test_other_operands_keep_their_type_error():
    for m in (torch, pn):
        with pytest.raises(TypeError):
            m.ones(2) + [1, 2]
        with pytest.raises(TypeError):
            [1, 2] + m.ones(2)
        with pytest.raises(TypeError):
            range(3) * m.tensor(2)


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
@pytest.mark.parametrize("value", [[1.0, 2.0], (1, 2), "range(2)", "m.Size([1, 2])", [[1, 2], [3, 4]], [1]])
def test_in_place_operators_refuse_a_sequence(op, value):
    """x += [1, 2] is torch's TypeError (as x.add_([1, 2])); it changed x here."""
    for m in (torch, pn):
        x = m.ones(2)
        v = eval(value, {"m": m}) if isinstance(value, str) else value
        with pytest.raises(TypeError):
            exec(f"x {op}= v", {"x": x, "v": v})
        assert x.tolist() == [1.0, 1.0]


def test_in_place_operators_still_take_numbers_arrays_and_tensors():
    for m in (torch, pn):
        x = m.ones(2)
        x += 1
        x -= np.float32(0.5)
        x *= m.tensor([2.0, 4.0])
        x /= m.tensor(2)
        assert x.tolist() == [1.5, 3.0] and x.dtype == m.float32
