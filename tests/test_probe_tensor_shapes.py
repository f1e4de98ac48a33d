"""Shape-level corners against torch: Size's arithmetic and item types, arange's integer and
tensor arguments and range errors, topk and cat of 0-d tensors, index_select and narrow errors."""

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _same(a, b):
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6)


def test_size_arithmetic_stays_a_size_and_takes_ints_only():
    for m in (torch, pn):
        s = m.Size([2, 3])
        for out in (s + (4,), (4,) + s, s * 2, 2 * s, s + s, s[::-1]):
            assert isinstance(out, m.Size)
        assert list(s + (4,)) == [2, 3, 4] and list((4,) + s) == [4, 2, 3]
        assert list(m.Size([m.tensor(2), np.int64(3), True])) == [2, 3, 1]
        assert type(m.Size([m.tensor(2)])[0]) is int
        with pytest.raises(TypeError):
            m.Size([2.5])


VALUES = [
    lambda m: m.arange(m.tensor(3)),
    lambda m: m.arange(m.tensor(1), 5.0),
    lambda m: m.arange(2.5, dtype=m.int64),
    lambda m: m.arange(0.5, 4, dtype=m.int64),
    lambda m: m.arange(0, 0),
    lambda m: m.arange(1, 0, -0.25),
    lambda m: m.tensor(5.0).topk(1).values,
    lambda m: m.tensor(5.0).topk(1, dim=-1).indices,
    lambda m: m.arange(6.0).reshape(2, 3).index_select(1, m.tensor([2, 0, 2])),
    lambda m: m.arange(6.0).reshape(2, 3).index_select(0, m.tensor([1], dtype=m.int32)),
]


@pytest.mark.parametrize("fn", VALUES, ids=range(len(VALUES)))
def test_values_like_torch(fn):
    _same(fn(torch), fn(pn))


ERRORS = [
    (lambda m: m.arange(10, 0), RuntimeError),
    (lambda m: m.arange(1, 0, 1.0), RuntimeError),
    (lambda m: m.arange(0, float("inf")), RuntimeError),
    (lambda m: m.arange(0, 2.5, 0.5, dtype=m.int64), ValueError),  # the step is 0 as an int
    (lambda m: m.cat([m.tensor(5.0), m.tensor(5.0)]), RuntimeError),
    (lambda m: m.narrow(m.arange(6.0).reshape(2, 3), 1, 2, 2), RuntimeError),
    (lambda m: m.arange(6.0).reshape(2, 3).index_select(1, m.tensor([3])), RuntimeError),
    (lambda m: m.arange(6.0).reshape(2, 3).index_select(1, m.tensor([-1])), RuntimeError),
    (lambda m: m.arange(6.0).reshape(2, 3).index_select(1, m.tensor([1.0])), RuntimeError),
    (lambda m: m.tensor(5.0).topk(1, dim=1), IndexError),
]


@pytest.mark.parametrize("fn, exc", ERRORS, ids=range(len(ERRORS)))
def test_errors_like_torch(fn, exc):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc):
        fn(pn)


@pytest.mark.parametrize(
    "make",
    [
        lambda m, o: m.zeros(3, out=o),
        lambda m, o: m.ones(2, 2, out=o),
        lambda m, o: m.full((3,), 7, out=o),
        lambda m, o: m.arange(3, out=o),
        lambda m, o: m.linspace(0, 4, 3, out=o),
        lambda m, o: m.eye(2, out=o),
    ],
    ids=range(6),
)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_factories_take_out_in_its_dtype(make, dtype):
    results = []
    for m in (torch, pn):
        o = m.empty(0, dtype=getattr(m, dtype))
        r = make(m, o)
        assert r is o
        results.append(o)
    _same(results[0], results[1])


def test_a_number_where_a_tensor_goes_is_type_error():
    for m in (torch, pn):
        for fn in (m.exp, m.sigmoid, m.sum, m.flatten, m.abs):
            with pytest.raises(TypeError):
                fn(2.0)


FORMS = [
    lambda m: m.arange(6.0).reshape(2, 3).sum(m.tensor(1)),
    lambda m: m.arange(6.0).reshape(2, 3).amax(dim=(m.tensor(0), 1)),
    lambda m: m.arange(6.0).reshape(2, 3).reshape(shape=(3, 2)),
    lambda m: m.arange(6.0).reshape(m.tensor(3), 2),
    lambda m: m.arange(6.0).reshape(2, 3).permute(dims=(1, 0)),
    lambda m: m.ones(2, 3, dtype=float),
    lambda m: m.tensor([1, 2], dtype=float),
    lambda m: m.tensor([1, 2]).to(float),
    lambda m: m.zeros(2, dtype=int),
    lambda m: m.zeros(2, dtype=bool),
]


@pytest.mark.parametrize("fn", FORMS, ids=range(len(FORMS)))
def test_argument_forms_like_torch(fn):
    _same(fn(torch), fn(pn))


SHAPE_ERRORS = [
    (lambda m: m.arange(6.0).reshape(-2, 3), RuntimeError),
    (lambda m: m.arange(3.0).repeat(-1), RuntimeError),
    (lambda m: m.arange(6.0).reshape(2.5, 2), TypeError),
    (lambda m: m.zeros(2.5), TypeError),
    (lambda m: m.arange(6.0).sum(1.0), TypeError),
]


@pytest.mark.parametrize("fn, exc", SHAPE_ERRORS, ids=range(len(SHAPE_ERRORS)))
def test_shape_errors_like_torch(fn, exc):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc):
        fn(pn)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(10**13),
        lambda m: m.empty(2**62, 4),
        lambda m: m.ones(10**6, 10**6),
        lambda m: m.arange(10**13),
        lambda m: m.randn(10**12),
        lambda m: m.full((10**7, 10**7), 1.0),
    ],
    ids=range(6),
)
def test_a_tensor_too_large_to_allocate_is_runtime_error(make):
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises(RuntimeError):
        make(pn)


def test_scatter_reduce_multiply_and_unknown_reduce():
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: the reduce argument of scatter is deprecated
        for m in (torch, pn):
            x = m.arange(1.0, 7.0).view(2, 3)
            a = x.scatter(1, m.tensor([[0, 0], [2, 1]]), 2.0, reduce="multiply")
            b = x.scatter(1, m.tensor([[0, 0]]), m.tensor([[3.0, 5.0]]), reduce="multiply")
            c = x.clone().scatter_(1, m.tensor([[1]]), 4.0, reduce="multiply")
            results.append([a.numpy(), b.numpy(), c.numpy()])
            with pytest.raises(RuntimeError):
                x.scatter(1, m.tensor([[0]]), 1.0, reduce="max")
    for a, b in zip(*results):
        np.testing.assert_array_equal(b, a)


def test_linalg_ex_forms():
    for m in (torch, pn):
        A = m.tensor([[4.0, 1], [2, 3]])
        out = [
            m.linalg.inv_ex(A),
            m.linalg.cholesky_ex(m.tensor([[4.0, 1], [1, 3]])),
            m.linalg.solve_ex(A, m.tensor([1.0, 2.0])),
        ]
        for result, ref in zip(out, (m.linalg.inv(A), m.linalg.cholesky(m.tensor([[4.0, 1], [1, 3]])), None)):
            assert result.info.dtype == m.int32 and int(result.info) == 0
            if ref is not None:
                np.testing.assert_allclose(result[0].numpy(), ref.numpy(), rtol=1e-6)
        assert out[0].inverse is out[0][0] and out[1].L is out[1][0] and out[2].result is out[2][0]
        assert int(m.linalg.cholesky_ex(m.tensor([[-4.0, 1], [1, 3]])).info) > 0
        assert (m.linalg.inv_ex(m.ones(3, 2, 2)).info > 0).all()
        with pytest.raises(RuntimeError):
            m.linalg.inv_ex(m.ones(2, 2), check_errors=True)


@pytest.mark.parametrize("name", ["modified_bessel_i0", "modified_bessel_i1", "spherical_bessel_j0"])
def test_special_bessel_names(name):
    x = [0.0, 0.5, 3.0, -2.0, 40.0]
    ref = getattr(torch.special, name)(torch.tensor(x))
    out = getattr(pn.special, name)(pn.tensor(x, requires_grad=True))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=2e-6)
    assert not out.requires_grad and not ref.requires_grad  # torch gives them no gradient
