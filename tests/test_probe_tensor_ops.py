"""Operators, fills and joins against torch: reflected and in-place bitwise operators, x //= y,
numbers that do not fit a tensor's dtype (wrap in arithmetic, raise in fills), cat's legacy
empty tensor, where's condition, round(decimals=), dtype == None."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _same(a, b):
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6)


BINARY = [
    lambda m: True & m.tensor([True, False]),
    lambda m: 1 | m.tensor([2, 4]),
    lambda m: 3 ^ m.tensor([2, 4]),
    lambda m: m.tensor([1, 6]) & True,
    lambda m: m.arange(6, dtype=m.int8) + 300,  # the number wraps to the tensor's dtype
    lambda m: m.arange(6, dtype=m.int8) * 1000,
    lambda m: m.arange(6, dtype=m.uint8) + (-1),
    lambda m: m.arange(6, dtype=m.int8) < 1000,
    lambda m: m.arange(6, dtype=m.int8) == 300,
    lambda m: m.cat([m.zeros(2, 3), m.zeros(0, dtype=m.float64)]),
    lambda m: m.cat([m.zeros(0, dtype=m.int64), m.ones(2, 3, dtype=m.int32)], dim=1),
    lambda m: m.cat([m.zeros(0), m.zeros(0)]),
    lambda m: m.round(m.tensor([1.2345, 2.5678, -0.125]), decimals=2),
    lambda m: m.where(m.tensor([1, 0], dtype=m.uint8), 1.0, 0.0),
    lambda m: m.full((2,), -1, dtype=m.uint8),
    lambda m: m.tensor([-1, 3], dtype=m.uint8),
    lambda m: m.tensor([1e300], dtype=m.float32),
]


@pytest.mark.parametrize("fn", BINARY, ids=range(len(BINARY)))
def test_values_and_dtypes_like_torch(fn):
    _same(fn(torch), fn(pn))


def _inplace(m, op):
    x = m.tensor([1, 6]) if op != "&=" else m.tensor([True, False])
    y = x
    if op == "&=":
        x &= m.tensor([False, True])
    elif op == "|=":
        x |= 1
    elif op == "^=":
        x ^= 3
    elif op == "//=":
        x //= 4
    elif op == "%=":
        x %= 4
    else:
        x += 300
    return x, y


@pytest.mark.parametrize("op", ["&=", "|=", "^=", "//=", "%=", "+= 300"])
def test_augmented_assignment_is_in_place(op):
    (_, y), (px, py) = _inplace(torch, op), _inplace(pn, op)
    assert py is px  # the same tensor, changed in place (a view or alias sees it)
    _same(y, py)


ERRORS = [
    (lambda m: m.tensor([1.0, 6.0]) | 1, NotImplementedError),
    (lambda m: m.tensor([1, 2]) & 2.5, NotImplementedError),
    (lambda m: m.tensor([1.0, 2.0]).__iadd__(m.tensor([[1.0, 1.0]])), RuntimeError),
    (lambda m: m.where(m.tensor([1, 0]), m.tensor([1, 2]), m.tensor([3, 4])), RuntimeError),
    (lambda m: m.where(m.tensor([1.0, 0.0]), 1.0, 0.0), RuntimeError),
    (lambda m: m.arange(6).masked_fill(m.arange(6) > 2, float("inf")), RuntimeError),
    (lambda m: m.arange(6, dtype=m.int8).masked_fill(m.arange(6) > 2, 300), RuntimeError),
    (lambda m: m.arange(6.0, dtype=m.float16).masked_fill(m.arange(6) > 2, 1e10), RuntimeError),
    (lambda m: m.arange(6.0).masked_fill(m.arange(6) > 2, 1e300), RuntimeError),
    (lambda m: m.arange(6).fill_(float("inf")), RuntimeError),
    (lambda m: m.arange(6, dtype=m.int8).fill_(300), RuntimeError),
    (lambda m: m.arange(6, dtype=m.int8).__setitem__(0, 300), RuntimeError),
    (lambda m: m.arange(6).__setitem__(m.arange(6) > 2, float("nan")), RuntimeError),
    (lambda m: m.full((2,), float("inf"), dtype=m.int64), RuntimeError),
    (lambda m: m.full((2,), 300, dtype=m.int8), RuntimeError),
    (lambda m: m.full((2,), 1e10, dtype=m.float16), RuntimeError),
    (lambda m: m.where(m.arange(6) > 2, m.arange(6, dtype=m.int8), 300), RuntimeError),
    (lambda m: m.arange(6, dtype=m.int8).clamp(max=300), RuntimeError),
    (lambda m: m.tensor([300], dtype=m.int8), RuntimeError),
    (lambda m: m.tensor([[1, 2], [300, 4]], dtype=m.uint8), RuntimeError),
    (lambda m: m.tensor(float("nan"), dtype=m.int64), RuntimeError),
    (lambda m: m.tensor(2**63), ValueError),
    (lambda m: m.tensor([1, 2**64]), ValueError),
    (lambda m: m.cat([m.zeros(0), m.zeros(2, 3)], dim=2), IndexError),
]


@pytest.mark.parametrize("fn, exc", ERRORS, ids=range(len(ERRORS)))
def test_errors_like_torch(fn, exc):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc):
        fn(pn)


def test_a_negative_int_wraps_into_uint8_as_torch():
    results = []
    for m in (torch, pn):
        x = m.arange(6, dtype=m.uint8)
        x[0] = -1
        x.masked_fill_(x == 3, -2)
        results.append(x.numpy())
    np.testing.assert_array_equal(results[1], results[0])


def test_dtype_compares_unequal_to_none():
    for m in (torch, pn):
        assert m.float64 != None  # noqa: E711 - the comparison users write
        assert not (m.float64 == None)  # noqa: E711
        assert m.tensor([1.0], dtype=m.float64).dtype is not None


def test_cat_legacy_empty_keeps_its_gradient():
    grads = []
    for m in (torch, pn):
        w = m.zeros(0, requires_grad=True)
        a = m.ones(2, 2, requires_grad=True)
        (m.cat([w, a]) * 3).sum().backward()
        grads.append((tuple(w.grad.shape), a.grad.numpy()))
    assert grads[1][0] == grads[0][0]
    np.testing.assert_array_equal(grads[1][1], grads[0][1])


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(0, 3, dtype=m.int64),
        lambda m: m.zeros(0, dtype=m.bool),
        lambda m: m.zeros(2, 0),
        lambda m: m.tensor([5e-324, 1.0], dtype=m.float64),
    ],
)
def test_repr_of_empty_and_subnormal_tensors(make):
    assert repr(make(pn)).replace("pyneuro.", "torch.") == repr(make(torch))


def test_repr_follows_the_default_dtype():
    try:
        texts = []
        for m in (torch, pn):
            m.set_default_dtype(m.float64)
            texts.append(
                [repr(m.tensor([1.0, 2.0], dtype=m.float32)), repr(m.tensor([1.5])), repr(m.zeros(0))]
            )
        assert [t.replace("pyneuro.", "torch.") for t in texts[1]] == texts[0]
    finally:
        torch.set_default_dtype(torch.float32)
        pn.set_default_dtype(pn.float32)


def test_all_and_any_of_uint8_are_uint8():
    a = torch.tensor([[1, 0], [2, 3]], dtype=torch.uint8)
    b = pn.tensor([[1, 0], [2, 3]], dtype=pn.uint8)
    _same(a.all(dim=1), b.all(dim=1))
    _same(a.any(), b.any())


@pytest.mark.parametrize(
    "args",
    [
        lambda m: (m.ones(2, 3), [0, 1], m.arange(12.0).reshape(3, 4), [1, 2], [0, 2]),
        lambda m: (m.arange(6.0).reshape(2, 3), [0, 1], m.arange(12.0).reshape(3, 4), [1, 2]),
        lambda m: (m.arange(24.0).reshape(2, 3, 4), [Ellipsis, 1], [Ellipsis]),
        lambda m: (m.arange(9.0).reshape(3, 3), [0, 0]),
    ],
    ids=range(4),
)
def test_einsum_sublist_form(args):
    _same(torch.einsum(*args(torch)), pn.einsum(*args(pn)))


def test_einsum_sublist_label_out_of_range():
    for m in (torch, pn):
        with pytest.raises(ValueError):
            m.einsum(m.ones(3, 3), [0, 60])


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.tensor([1, 2]).sum(dtype=m.int32),
        lambda m: m.tensor([True, True]).sum(dtype=m.uint8),
        lambda m: m.sum(m.tensor([[1, 2]]), 1, dtype=m.int16),
        lambda m: m.tensor([100, 100], dtype=m.int8).sum(0, dtype=m.int8),
        lambda m: m.tensor([3, 100], dtype=m.int8).prod(dtype=m.int8),
        lambda m: m.tensor([100, 100], dtype=m.int8).cumsum(0, dtype=m.int8),
        lambda m: m.cumsum(m.tensor([1, 2]), 0, dtype=m.float64),
        lambda m: m.tensor([3, 100], dtype=m.int8).cumprod(0, dtype=m.int8),
        lambda m: m.tensor([1, 2], dtype=m.int8).sum(),
    ],
    ids=range(9),
)
def test_reductions_keep_the_dtype_asked_for(fn):
    _same(fn(torch), fn(pn))


def test_unique_keeps_every_nan_and_allclose_takes_equal_nan():
    results = []
    for m in (torch, pn):
        x = m.tensor([3.0, float("nan"), 1.0, float("nan"), 3.0])
        values, inverse, counts = m.unique(x, return_inverse=True, return_counts=True)
        assert m.allclose(x, x, equal_nan=True) and not m.allclose(x, x)
        assert x.allclose(x, equal_nan=True)
        results.append([values.numpy(), inverse.numpy(), counts.numpy()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(b, a)


def test_std_and_var_take_correction_as_torch_functions():
    for fn in (
        lambda m, x: m.std(x, dim=1, correction=0),
        lambda m, x: m.var(x, correction=0),
        lambda m, x: m.std(x, 1, keepdim=True, correction=2),
    ):
        _same(fn(torch, torch.tensor([[1.0, 5, 4], [3, 2, 0]])), fn(pn, pn.tensor([[1.0, 5, 4], [3, 2, 0]])))


def test_div_in_place_takes_rounding_mode():
    results = []
    for m in (torch, pn):
        x = m.tensor([1, 4, -3])
        y = x
        x.div_(2, rounding_mode="floor")
        z = m.tensor([1.0, 4, -3])
        z.div_(2, rounding_mode="trunc")
        assert y is x
        results.append([x.numpy(), z.numpy()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(30),
        lambda m: m.zeros(2, 25),
        lambda m: m.full((30,), float("nan")),
        lambda m: m.tensor([0.0] * 20 + [float("inf")] * 5),
        lambda m: m.zeros(3, 4, 30),
        lambda m: m.zeros(2000),
        lambda m: m.tensor([1.0, float("nan")] * 15),
        lambda m: m.zeros(3, 30, requires_grad=True),
    ],
    ids=range(8),
)
def test_repr_breaks_lines_of_zeros_nan_inf_as_torch(make):
    # torch counts a line's numbers by the format's width, which 0., nan and inf overrun
    assert repr(make(pn)).replace("pyneuro.", "torch.") == repr(make(torch))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.tensor([0, 1, -1, 2, -2, 3]) ** m.tensor([-1, -1, -1, -2, -1, -3]),
        lambda m: m.tensor([0, 1, -1, 2], dtype=m.int32) ** m.tensor([-1, -5, -2, -2]),
        lambda m: m.pow(m.tensor([[2], [1]]), m.tensor([-1, 2])),
        lambda m: m.sign(m.tensor([True, False])),
    ],
    ids=range(4),
)
def test_integer_powers_and_bool_sign_as_torch(fn):
    _same(fn(torch), fn(pn))
