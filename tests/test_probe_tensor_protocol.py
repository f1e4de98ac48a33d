"""Tensor's Python protocol against torch: pickle and copy.deepcopy of leaves and of tensors
in a graph, and the legacy constructor's size form Tensor(2, 3)."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def test_pickle_of_a_graph_tensor_is_a_leaf_that_requires_grad():
    for m in (torch, pn):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        w.grad = m.ones(2)
        y = pickle.loads(pickle.dumps(w * 2))
        assert y.requires_grad and y.grad_fn is None and y.is_leaf
        np.testing.assert_array_equal(y.detach().numpy(), [2.0, 4.0])
        v = pickle.loads(pickle.dumps(w))
        assert v.requires_grad and v.grad is None  # .grad is not pickled


def test_deepcopy_keeps_a_leaf_and_its_grad_and_refuses_a_graph_tensor():
    for m in (torch, pn):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        w.grad = m.ones(2)
        c = copy.deepcopy(w)
        assert c is not w and c.requires_grad and c.grad is not None
        np.testing.assert_array_equal(c.grad.numpy(), [1.0, 1.0])
        c.detach()[0] = 7  # its own memory
        assert w[0].item() == 1.0
        with pytest.raises(RuntimeError, match="graph leaves"):
            copy.deepcopy(w * 2)


def test_deepcopy_of_a_module_copies_its_parameters():
    net = pn.nn.Linear(2, 3)
    twin = copy.deepcopy(net)
    assert type(twin.weight) is type(net.weight) and twin.weight.requires_grad
    assert twin.weight is not net.weight
    np.testing.assert_array_equal(twin.weight.detach().numpy(), net.weight.detach().numpy())


@pytest.mark.parametrize("args", [(2, 3), (0,), (torch.Size([2, 3]),), ()], ids=str)
def test_legacy_constructor_sizes(args):
    pargs = tuple(pn.Size(a) if isinstance(a, torch.Size) else a for a in args)
    ref, out = torch.Tensor(*args), pn.Tensor(*pargs)
    assert tuple(out.shape) == tuple(ref.shape)
    assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]


def test_legacy_constructor_of_a_tensor_shares_its_memory():
    for m in (torch, pn):
        t = m.tensor([1, 2])
        u = m.Tensor(t)
        u[0] = 5
        assert t.tolist() == [5, 2] and u.dtype == m.int64
    with pytest.raises(RuntimeError):
        pn.Tensor(-1)


def test_view_dtype_reinterprets_the_bits():
    results = []
    for m in (torch, pn):
        x = m.tensor([1.0, 2.0])
        v = x.view(m.int32)
        v[0] = 0  # the same memory
        results.append(
            [x.numpy(), x.view(dtype=m.int32).numpy(), x.view(m.float16).numpy(), x.view(m.uint8).numpy()]
        )
        assert x.double().type(m.FloatTensor).dtype == m.float32
        with pytest.raises(RuntimeError):
            m.tensor([1.0, 2.0, 3.0]).view(m.float64)
        with pytest.raises(RuntimeError):
            m.zeros(2, 3).t().view(m.float16)
        with pytest.raises(RuntimeError):
            m.tensor(1.0).view(m.float16)
    for a, b in zip(*results):
        np.testing.assert_array_equal(b, a)


def test_comparing_with_none_or_a_string_is_python_equality():
    for m in (torch, pn):
        t = m.tensor([1, 2])
        assert (t == None) is False and (t != None) is True  # noqa: E711
        assert (t == "auto") is False and (t != "auto") is True
        for bad in (lambda: t < None, lambda: t >= "a"):
            with pytest.raises(TypeError):
                bad()


def test_numpy_ufuncs_on_a_tensor_give_a_tensor():
    for m in (torch, pn):
        t = m.tensor([1.0, 4.0])
        for fn in (np.exp, np.sqrt, np.abs, np.floor):
            out = fn(t)
            assert isinstance(out, m.Tensor) and out.dtype == m.float32
            np.testing.assert_allclose(out.numpy(), fn(np.array([1.0, 4.0], dtype=np.float32)))
        assert np.isnan(t).dtype == m.uint8  # torch's __array_wrap__ turns bools into uint8
        assert np.exp(m.tensor([1, 2])).dtype == m.float64
        with pytest.raises(RuntimeError):
            np.exp(m.tensor([1.0], requires_grad=True))


def test_numpy_operands_meet_the_tensors_operators_as_torch():
    """NumPy scalars are numbers to the operators; an array is NumPy's (see _errors.defer_to_reflected)."""
    for m in (torch, pn):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        y = np.float64(2.0) * w + w * np.float32(1.0)
        assert isinstance(y, m.Tensor) and y.dtype == m.float32 and y.grad_fn is not None
        y.sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])
        assert (np.int64(3) - m.tensor([1, 2])).tolist() == [2, 1]
        with pytest.raises(RuntimeError, match="requires grad"):  # t + array runs on t's values
            w * np.array([1.0, 1.0], dtype=np.float32)
        with pytest.raises(TypeError):  # an array on the left: NumPy defers, the tensor declines
            _ = np.array([1.0, 2.0]) > m.tensor([1.0, 1.0])


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: np.argmax(t),
        lambda t: np.argmax(t, axis=1),
        lambda t: np.round(t, 1),
        lambda t: np.clip(t, 2, 4),
        lambda t: np.cumsum(t),
        lambda t: np.argsort(t),
        lambda t: np.transpose(t),
        lambda t: np.reshape(t, (3, 2)),
        lambda t: np.take(t, [0, 2]),
        lambda t: np.repeat(t, 2),
        lambda t: np.ptp(t),
        lambda t: np.searchsorted(t[0], 2.5),
        lambda t: np.isnan(t),
        lambda t: np.maximum.reduce(t, axis=0),
    ],
)
def test_numpy_functions_on_a_tensor_give_what_torchs_give(fn):
    """np.argmax(t), np.round(t), ...: NumPy runs on the values and hands back a tensor through
    __array_wrap__ (bools as uint8), as for torch's tensors."""
    torch = pytest.importorskip("torch")
    values = [[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", DeprecationWarning
        )  # (torch's __array_wrap__ has NumPy 1's signature)
        want = fn(torch.tensor(values))
    got = fn(pn.tensor(values))
    assert type(got).__name__ == type(want).__name__ == "Tensor"
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())


NUMPY_REFUSED = {
    "big_endian": lambda: np.array([1.0, 2.0], dtype=">f4"),
    "negative_strides": lambda: np.arange(3.0)[::-1],
}


@pytest.mark.parametrize("case", sorted(NUMPY_REFUSED))
@pytest.mark.parametrize("make", ["from_numpy", "as_tensor", "tensor"])
def test_numpy_arrays_torch_refuses_raise_its_value_error(case, make):
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (pn, torch):
        with pytest.raises(ValueError) as info:
            getattr(lib, make)(NUMPY_REFUSED[case]())
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    ok = np.arange(6.0).reshape(2, 3).T  # positive strides of any order are fine
    assert pn.from_numpy(ok).tolist() == ok.tolist() == pn.tensor(ok).tolist()


def test_a_complex_fill_value_is_refused_unless_it_is_real():
    torch = pytest.importorskip("torch")
    for lib in (pn, torch):
        x = lib.zeros(2)
        with pytest.raises(RuntimeError, match="cannot be converted"):
            x.fill_(1j)
        with pytest.raises(RuntimeError, match="cannot be converted"):
            lib.full((2,), 1 + 1j, dtype=lib.float32)
        assert x.fill_(2 + 0j).tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="complex"):  # (torch makes a complex tensor; pyneuro has none)
        pn.full((2,), 1j)
