"""The errors students meet most, in torch's words (and torch's exception types, or subclasses).

A shape mismatch in nn.Linear is the error of the course ("mat1 and mat2 shapes cannot be
multiplied (2x5 and 4x8)": the text students search for), so these messages are torch's,
character for character: matmul by the operands' ranks, broadcasting, view/reshape, cat,
size(dim), float()/bool() of a tensor of several values. Each case runs under both libraries.
"""

from __future__ import annotations

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

CASES = {
    "linear": lambda m: m.nn.Linear(4, 8)(m.ones(2, 5)),
    "linear 1-D": lambda m: m.nn.Linear(4, 8)(m.ones(5)),
    "linear 3-D": lambda m: m.nn.Linear(4, 8, bias=False)(m.ones(2, 3, 5)),
    "linear empty batch": lambda m: m.nn.Linear(4, 8)(m.ones(0, 5)),
    "mm": lambda m: m.ones(2, 5) @ m.ones(4, 8),
    "torch.mm": lambda m: m.mm(m.ones(2, 5), m.ones(4, 8)),
    "vector @ matrix": lambda m: m.ones(3) @ m.ones(4, 5),
    "matrix @ vector": lambda m: m.ones(2, 3) @ m.ones(4),
    "batch @ vector": lambda m: m.ones(2, 2, 3) @ m.ones(4),
    "dot": lambda m: m.ones(3) @ m.ones(4),
    "bmm": lambda m: m.bmm(m.ones(2, 3, 4), m.ones(2, 5, 6)),
    "batch @ matrix": lambda m: m.ones(2, 2, 3) @ m.ones(4, 5),
    "matrix @ batch": lambda m: m.ones(2, 3) @ m.ones(2, 4, 5),
    "4-D @ 3-D": lambda m: m.ones(2, 2, 2, 3) @ m.ones(2, 4, 5),
    "add": lambda m: m.ones(2, 3) + m.ones(2, 4),
    "mul rows": lambda m: m.ones(2, 3) * m.ones(4, 3),
    "add 3-D": lambda m: m.ones(2, 3, 4) + m.ones(5, 3, 6),
    "add vector": lambda m: m.ones(3) + m.ones(2, 4),
    "where": lambda m: m.where(m.ones(2, 3) > 0, m.ones(2, 3), m.ones(4)),
    "view non-contiguous": lambda m: m.ones(3, 4).t().view(-1),
    "view size": lambda m: m.ones(3, 4).view(3, 5),
    "reshape size": lambda m: m.ones(3, 4).reshape(-1, 5),
    "two -1": lambda m: m.ones(3, 4).view(-1, -1),
    "cat sizes": lambda m: m.cat([m.ones(2, 2), m.ones(3, 3)], 1),
    "cat sizes dim 0": lambda m: m.cat([m.ones(2, 2), m.ones(2, 3)], 0),
    "cat ranks": lambda m: m.cat([m.ones(2, 2), m.ones(2, 2, 1)], 1),
    "size(dim)": lambda m: m.zeros(2, 3).size(3),
    "size(-dim)": lambda m: m.zeros(2, 3).size(-3),
    "size of 0-d": lambda m: m.zeros(()).size(0),
    "float of several": lambda m: float(m.ones(2)),
    "bool of several": lambda m: bool(m.ones(2)),
    "if tensor": lambda m: 1 if m.ones(3) > 0 else 0,
    # indexing: NumPy's IndexError texts in torch's words (_tensor_keys.torch_index_error)
    "index past the end": lambda m: m.tensor([1, 2, 3])[5],
    "negative index past the start": lambda m: m.tensor([1, 2, 3])[-4],
    "row index": lambda m: m.zeros(3, 4)[3],
    "column index": lambda m: m.zeros(3, 4)[0, 7],
    "column index after a slice": lambda m: m.zeros(3, 4)[:, 9],
    "index of an empty tensor": lambda m: m.zeros(0)[0],
    "too many indices": lambda m: m.zeros(3, 4)[0, 0, 0],
    "index tensor past the end": lambda m: m.tensor([1, 2, 3])[m.tensor([5])],
    "mask of the wrong size": lambda m: m.zeros(3, 4)[m.tensor([True, False])],
    "assignment past the end": lambda m: m.zeros(3, 4).__setitem__(5, 1.0),
}


def _raised(call):
    try:
        call()
    except Exception as exc:  # the case's error, whatever it is
        return exc
    raise AssertionError("no error raised")


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_and_type_are_torchs(name):
    theirs = _raised(lambda: CASES[name](torch))
    mine = _raised(lambda: CASES[name](pn))
    assert isinstance(mine, type(theirs)), (type(mine), type(theirs))
    assert str(mine) == str(theirs)
