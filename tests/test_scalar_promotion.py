"""Operands as torch reads them: integer pairs in ops with a float result, NumPy scalars, a number
before a tensor, comparisons with non-numbers, bool tensors where torch has no kernel, quiet casts.

Each case runs under both libraries (`m` is pyneuro or torch) and must give the same dtype and
values, or the same exception type. The silent ones matter most: `x / x.sum()` on a uint8 tensor
divided by a sum wrapped into uint8 (4.55 instead of 0.67), and `clamp(min=np.float32(1.5))` on
an int tensor clamped to 1.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _u8(m, values):
    return m.tensor(values, dtype=m.uint8)


def _f16(m):
    return m.tensor([0.0, 0.75, 7.0, 3.3, -1.1], dtype=m.float16)


CASES = {
    # true division and the other float-result ops of two integer tensors: each side to float first
    "uint8 / its sum": lambda m: (lambda x: x / x.sum())(_u8(m, [200, 100])),
    "uint8 / int 0-d": lambda m: _u8(m, [7]) / m.tensor(-2),
    "int32 / huge 0-d": lambda m: m.tensor([7], dtype=m.int32) / m.tensor(2**40),
    "uint8 / np.int64": lambda m: _u8(m, [7]) / np.int64(-2),
    "int / float64 0-d": lambda m: m.tensor([1, 2]) / m.tensor(2.0, dtype=m.float64),
    "div uint8 by int 0-d": lambda m: m.div(_u8(m, [7]), m.tensor(-2)),
    "true_divide": lambda m: m.true_divide(_u8(m, [7, 9]), m.tensor([-2, 300])),
    "atan2 uint8, int 0-d": lambda m: m.atan2(_u8(m, [7]), m.tensor(-1)),
    "copysign uint8, int 0-d": lambda m: m.copysign(_u8(m, [3]), m.tensor(-1)),
    "int8 // int 0-d stays integer": lambda m: m.tensor([7], dtype=m.int8) // m.tensor(-2),
    # NumPy scalars are weak numbers, as Python's
    "clamp int by np.float32": lambda m: m.tensor([-3, 0, 5]).clamp(min=np.float32(1.5)),
    "clamp int by np.int64": lambda m: m.tensor([-3, 0, 5]).clamp(min=np.int64(1)),
    "where np.int32 and 0": lambda m: m.where(m.tensor([True, False]), np.int32(1), 0),
    "where np.float64 and 0": lambda m: m.where(m.tensor([True, False]), np.float64(1.5), 0),
    "where tensor, np.float64": lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), np.float64(0.5)),
    "add np.float64 first": lambda m: m.add(np.float64(1.5), m.tensor([1, 2])),
    "div np.uint8 first": lambda m: m.div(np.uint8(250), m.tensor([2, -3], dtype=m.int8)),
    "sub np.int64 first": lambda m: m.sub(np.int64(5), m.tensor([1, 2], dtype=m.int16)),
    # a Python number first, beside a 0-d tensor: the tensor's dtype (the number is weak)
    "add int, int8 0-d": lambda m: m.add(-7, m.tensor(3, dtype=m.int8)),
    "pow 2, int32 0-d": lambda m: m.pow(2, m.tensor(3, dtype=m.int32)),
    "pow 2.5, int vector": lambda m: m.pow(2.5, m.tensor([1, 2])),
    "add float, float16 0-d": lambda m: m.add(2.5, m.tensor(3.0, dtype=m.float16)),
    "full of an int 0-d": lambda m: m.full((2,), m.tensor(3)),
    "full of a bool 0-d": lambda m: m.full((2,), m.tensor(True)),
    "full of a float64 0-d": lambda m: m.full((2,), m.tensor(3.0, dtype=m.float64)),
    # comparisons with things that are not numbers: Python's identity (False), or TypeError
    "== list": lambda m: m.tensor([1, 2]) == [1, 3],
    "!= tuple": lambda m: m.tensor([1, 2]) != (1, 2),
    "== object": lambda m: m.tensor([1, 2]) == object(),
    "list ==": lambda m: [1, 2] == m.tensor([1, 2]),
    "< list": lambda m: m.tensor([1, 2]) < [1, 3],
    "== np.float32": lambda m: m.tensor([1, 2]) == np.float32(1),
    # sequences are not operands (torch's TypeError): x - x.max(dim=1) forgot .values
    "minus a (values, indices) pair": lambda m: (lambda x: x - x.max(dim=-1, keepdim=True))(
        m.tensor([1.0, 5.0])
    ),
    "times a list": lambda m: m.tensor([1.0, 5.0]) * [2, 3],
    "list times": lambda m: [2, 3] * m.tensor([1.0, 5.0]),
    "plus a tuple": lambda m: m.tensor([1.0, 5.0]) + (3,),
    "plus a Size": lambda m: m.tensor([1.0, 5.0]) + m.Size([2]),
    "plus a range": lambda m: m.tensor([1.0, 5.0]) + range(2),
    "matmul a list": lambda m: m.tensor([1.0, 5.0]) @ [1.0, 2.0],
    "a list matmul": lambda m: [1.0, 2.0] @ m.tensor([1.0, 5.0]),
    "pow a list": lambda m: m.tensor([1.0, 5.0]) ** [1, 2],
    "add(list)": lambda m: m.add(m.tensor([1.0, 5.0]), [1, 2]),
    "Tensor.mul(list)": lambda m: m.tensor([1.0, 5.0]).mul([1.0, 2.0]),
    "where with a list": lambda m: m.where(m.tensor([True, False]), m.tensor([1.0, 5.0]), [0.0, 0.0]),
    "masked_fill with a list": lambda m: m.tensor([1.0, 5.0]).masked_fill(m.tensor([True, False]), [1.0]),
    "clamp with a list": lambda m: m.tensor([1.0, 5.0]).clamp([1.0]),
    "plus an ndarray": lambda m: m.tensor([1.0, 5.0]) + np.array([1.0, 2.0], np.float32),
    "mse_loss with a list target": lambda m: m.nn.functional.mse_loss(m.tensor([1.0, 2.0]), [1.0, 2.0]),
    "float index": lambda m: m.zeros(3)[1.5],
    # softmax needs its dim, except the deprecated implicit one of nn.functional (with a warning)
    "softmax without dim": lambda m: m.softmax(m.tensor([1.0, 2.0])),
    "Tensor.log_softmax without dim": lambda m: m.tensor([1.0, 2.0]).log_softmax(),
    # bool tensors where torch has no kernel
    "+bool": lambda m: +m.tensor([True, False]),
    "bool ** bool": lambda m: m.tensor([True, False]) ** m.tensor([True, True]),
    "bool // bool": lambda m: m.tensor([True]) // m.tensor([True]),
    "bool // 2": lambda m: m.tensor([True, False]) // 2,
    "relu of bool": lambda m: m.relu(m.tensor([True, False])),
    "relu_ of bool": lambda m: m.tensor([True]).relu_(),
    "nn.ReLU of bool": lambda m: m.nn.ReLU()(m.tensor([True])),
    "relu of int": lambda m: m.relu(m.tensor([-1, 2])),
    "bincount of floats": lambda m: m.bincount(m.tensor([1.0])),
    "bincount of bools": lambda m: m.bincount(m.tensor([True])),
    "bincount 2-D": lambda m: m.bincount(m.tensor([[1]])),
    # an integer power must fit the tensor's dtype
    "uint8 ** 300": lambda m: _u8(m, [1, 2]) ** 300,
    "int8 ** 200": lambda m: m.tensor([1, 2], dtype=m.int8) ** 200,
    "int8 ** 3": lambda m: m.tensor([1, 2], dtype=m.int8) ** 3,
    "bool ** 2": lambda m: m.tensor([True, False]) ** 2,
    # float16 beside a number: torch computes in float32 and rounds once (NumPy rounded the number
    # to float16 first: x * 70000 was inf, x / 1e5 zero, x * 1e-6 1.7% off)
    "float16 * 70000": lambda m: _f16(m) * 70000,
    "float16 / 1e5": lambda m: _f16(m) / 1e5,
    "float16 * 1e-6": lambda m: _f16(m) * 1e-6,
    "70000 * float16": lambda m: 70000 * _f16(m),
    "1e5 / float16": lambda m: 1e5 / (_f16(m) + 1),
    "float16 mul_ 1e-6": lambda m: _f16(m).mul_(1e-6),
    "float16 /= 1e5": lambda m: _f16(m).div_(1e5),
    "float16 round(decimals=1)": lambda m: m.round(m.tensor([1.35, 2.45], dtype=m.float16), decimals=1),
    # products: one dtype for the operands (int32 @ int64 too), integer alpha/beta truncated
    "int32 @ int64": lambda m: m.ones(2, 2, dtype=m.int32) @ m.ones(2, 2, dtype=m.int64),
    "dot int8, int64": lambda m: m.dot(m.ones(2, dtype=m.int8), m.ones(2, dtype=m.int64)),
    "bool @ bool": lambda m: m.ones(2, 2, dtype=m.bool) @ m.ones(2, 2, dtype=m.bool),
    "addmm float64 input, float32 mats": lambda m: m.addmm(
        m.ones(2, 2, dtype=m.float64), m.ones(2, 2), m.ones(2, 2)
    ),
    "addmv float32 input, int mats": lambda m: m.addmv(
        m.ones(2), m.ones(2, 2, dtype=m.int64), m.ones(2, dtype=m.int64)
    ),
    "addmm int, beta=0.5": lambda m: m.addmm(*[m.ones(2, 2, dtype=m.int64)] * 3, beta=0.5),
    "addmm int, alpha=1.7": lambda m: m.addmm(*[m.ones(2, 2, dtype=m.int64)] * 3, alpha=1.7),
    "baddbmm int": lambda m: m.baddbmm(*[m.ones(1, 2, 2, dtype=m.int64)] * 3, alpha=1.7, beta=0.5),
    "baddbmm float64 input": lambda m: m.baddbmm(
        m.ones(1, 2, 2, dtype=m.float64), m.ones(1, 2, 2), m.ones(1, 2, 2)
    ),
    "addr int, alpha=0.5": lambda m: m.addr(
        m.ones(2, 2, dtype=m.int64), m.ones(2, dtype=m.int64), m.ones(2, dtype=m.int64), alpha=0.5
    ),
    "addr float64 input promotes": lambda m: m.addr(m.ones(2, 2, dtype=m.float64), m.ones(2), m.ones(2)),
    "lerp with a float64 0-d weight": lambda m: m.lerp(
        m.ones(2), m.zeros(2), m.tensor(0.25, dtype=m.float64)
    ),
    "lerp with a float64 0-d end": lambda m: m.lerp(m.ones(2), m.tensor(0.0, dtype=m.float64), 0.5),
    # a float fill must lie in an integer dtype's range (a negative int may wrap into uint8)
    "tensor(-2.5, uint8)": lambda m: m.tensor([-2.5], dtype=m.uint8),
    "tensor(255.5, uint8)": lambda m: m.tensor([255.5], dtype=m.uint8),
    "tensor(127.9, int8)": lambda m: m.tensor([127.9], dtype=m.int8),
    "tensor(-1, uint8)": lambda m: m.tensor([-1], dtype=m.uint8),
    "full(-1.5, uint8)": lambda m: m.full((2,), -1.5, dtype=m.uint8),
    "fill_(-1.5) uint8": lambda m: m.zeros(2, dtype=m.uint8).fill_(-1.5),
    "full(1.5, int64)": lambda m: m.full((2,), 1.5, dtype=m.int64),
    # bools where torch has no kernel (NotImplementedError), and numbers that must fit the result
    "div(bool, bool, floor)": lambda m: m.div(m.tensor([True]), m.tensor([True]), rounding_mode="floor"),
    "addcmul of bools": lambda m: m.addcmul(m.tensor([True]), m.tensor([True]), m.tensor([True])),
    "arange(dtype=bool)": lambda m: m.arange(2, dtype=m.bool),
    "clamp(bool, min=True)": lambda m: m.clamp(m.tensor([True, False]), min=True),
    "clamp(bool, max=False)": lambda m: m.tensor([True, False]).clamp(max=False),
    "clamp(bool, 2)": lambda m: m.tensor([True, False]).clamp(2),
    "searchsorted of bools": lambda m: m.searchsorted(m.tensor([False, True]), m.tensor([True])),
    "where(c, bool, 2**63)": lambda m: m.where(m.tensor([True]), m.tensor([True]), 2**63),
    "where(c, int, 1e40)": lambda m: m.where(m.tensor([True]), m.tensor([1]), 1e40),
    "where(c, int, 2.5)": lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), 2.5),
    "tensor([2**63], float32)": lambda m: m.tensor([2**63], dtype=m.float32),
    "tensor([2**70, 1], float64)": lambda m: m.tensor([2**70, 1], dtype=m.float64),
    "tensor(['a'])": lambda m: m.tensor(["a"]),
    "tensor('abc')": lambda m: m.tensor("abc"),
    "reversed(t)": lambda m: reversed(m.tensor([3, 1, 2])),
    "reversed(0-d)": lambda m: reversed(m.tensor(3)),
    "sum(dtype=int64) of a tensor that requires grad": lambda m: m.ones(2, requires_grad=True).sum(
        dtype=m.int64
    ),
    "cumprod(dtype=int64) of a tensor that requires grad": lambda m: m.ones(2, requires_grad=True).cumprod(
        0, dtype=m.int64
    ),
    # torch's deprecated number-first overloads: p.data.add_(-lr, p.grad.data) (the char-RNN tutorial)
    "add(-0.5, t)": lambda m: m.ones(2).add(-0.5, m.tensor([1.0, 2.0])),
    "add_(-0.5, t) of a matrix": lambda m: m.ones(2, 3).add_(-0.5, m.full((2, 3), 2.0)),
    "sub_(0.5, t)": lambda m: m.ones(2).sub_(0.5, m.tensor([1.0, 2.0])),
    "torch.add(x, -0.5, t)": lambda m: m.add(m.ones(2), -0.5, m.tensor([1.0, 2.0])),
    "torch.sub(x, 2, t)": lambda m: m.sub(m.ones(2), 2, m.tensor([1.0, 2.0])),
    "addcmul_(0.5, a, b)": lambda m: m.ones(2).addcmul_(0.5, m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0])),
    "addcdiv(x, 2, a, b)": lambda m: m.addcdiv(m.ones(2), 2, m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0])),
    # remainder: a zero keeps fmod's sign, as torch (NumPy gives the divisor's)
    "0. % -3": lambda m: m.tensor([0.0, 3.0, -0.0, 5.5, -5.5]) % -3,
    "remainder -3. by 3": lambda m: m.remainder(m.tensor([0.0, -3.0, 7.0, -7.0]), 3),
    "remainder tensors": lambda m: m.remainder(
        m.tensor([5.0, -5.0, 0.0, float("inf")]), m.tensor([-3.0, 3.0, -2.0, 2.0])
    ),
}


def _outcome(m, case):
    try:
        value = CASES[case](m)
    except Exception as error:
        return error
    return value


@pytest.mark.parametrize("case", list(CASES))
def test_operands_read_as_torch_reads_them(case, backend_name):
    ours, theirs = _outcome(pn, case), _outcome(torch, case)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {type(theirs).__name__}, pyneuro gave {ours!r}"
        assert isinstance(ours, type(theirs)), (
            f"{type(ours).__name__}: {ours} (torch: {type(theirs).__name__})"
        )
        return
    assert not isinstance(ours, Exception), f"pyneuro raised {type(ours).__name__}: {ours}"
    if isinstance(theirs, bool):
        assert type(ours) is bool and ours == theirs
        return
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    a, b = ours.numpy(), theirs.numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)
    if a.dtype.kind == "f":  # signed zeros print differently (-0.)
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize(
    "cast",
    [
        lambda m: m.tensor([float("nan"), float("inf"), 1e30]).int(),
        lambda m: m.tensor([float("nan"), -float("inf")]).long(),
        lambda m: m.tensor([1e300], dtype=m.float64).float(),
        lambda m: m.tensor([1e6]).half(),
        lambda m: m.tensor([1e300], dtype=m.float64).to(m.float16),
    ],
)
def test_casts_print_no_numpy_warnings(cast):
    """torch converts NaN/inf to integers and overflows floats silently; NumPy's RuntimeWarning
    ("invalid value encountered in cast") must not reach a student's output."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = cast(pn)
    theirs = cast(torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if ours.dtype.is_floating_point:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_of_a_tensor_warns_as_torch():
    for m in (pn, torch):
        with pytest.warns(UserWarning, match="To copy construct from a tensor"):
            copy = m.tensor(m.ones(2, requires_grad=True))
        assert not copy.requires_grad
