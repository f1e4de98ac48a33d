"""In-place faults found by probing against torch (round 41): each case runs the same code on
torch and on pyneuro and compares the outcome (values, requires_grad, or the exception's class and
message)."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(lib, case):
    try:
        x = case(lib)
    except Exception as exc:  # the oracle decides whether raising is right
        return exc
    return x.tolist(), x.requires_grad, str(x.dtype).split(".")[-1]


def check_against_torch(case):
    got, want = _outcome(pn, case), _outcome(torch, case)
    if isinstance(want, Exception):
        assert isinstance(got, type(want)), (got, want)  # (pyneuro's DTypeError is a RuntimeError)
        assert str(got) == str(want)
    else:
        assert got == want


def _int_target(op):
    def case(lib):
        x = lib.tensor([1, 2])
        w = lib.tensor([1.5, 2.0], requires_grad=True)
        op(x, w)
        return x

    return case


INT_TARGET = {  # an int64 tensor written from a float tensor that requires grad
    "add_": lambda x, w: x.add_(w),
    "mul_": lambda x, w: x.mul_(w),
    "iadd": lambda x, w: x.__iadd__(w),
    "sub_alpha": lambda x, w: x.sub_(w, alpha=2),
    "addcmul_": lambda x, w: x.addcmul_(w, w),
    "clamp_": lambda x, w: x.clamp_(w, None),
    "copy_": lambda x, w: x.copy_(w),
    "setitem": lambda x, w: x.__setitem__(0, w[0]),
    "setitem_slice": lambda x, w: x.__setitem__(slice(0, 2), w),
}


@pytest.mark.parametrize("name", sorted(INT_TARGET))
def test_an_int_tensor_written_from_a_tensor_that_requires_grad(name):
    """torch: arithmetic into the int tensor is refused by the cast rule, a copy casts the values
    and the int tensor stays out of the graph (it cannot require grad). pyneuro recorded the op:
    an AttributeError from the graph code, or an int64 tensor with a grad_fn."""
    check_against_torch(_int_target(INT_TARGET[name]))


def test_fill_of_an_int_tensor_with_a_0d_tensor_that_requires_grad():
    def case(lib):
        x = lib.tensor([1, 2])
        x.fill_(lib.tensor([3.5, 1.0], requires_grad=True)[0])
        return x

    assert _outcome(pn, case)[0] == _outcome(torch, case)[0] == [3, 3]
    w = pn.tensor([1.5, 2.0], requires_grad=True)
    y = pn.zeros(2)
    y.fill_(w[1])  # a float tensor joins the graph, as torch's
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 2.0])
