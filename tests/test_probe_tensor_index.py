"""Indexing that mixes integers with index arrays, and x[indices] = v's dtype rule, against torch."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

MIXED = [
    (0, slice(None), [1, 3]),
    ([0, 1], 0, [1, 3]),
    (slice(None), 0, slice(None), [1, 2]),
    ([0, 1], slice(None), 0),
    (0, None, slice(None), [1, 3]),
    (Ellipsis, 0, [1, 2]),
    ([0, 1], slice(None), [0, 1], 0),
    (0, slice(None), 0, [1, 2]),
    (True, 0, slice(None), [1, 2]),
    (np.int64(1), slice(None), [2]),
    ("t0", slice(None), [1, 3]),  # a 0-d integer tensor selects like an int
    (1, "mask"),
]


def _index(mod, idx):
    out = []
    for p in idx:
        if isinstance(p, str) and p == "t0":
            p = mod.tensor(0)
        elif isinstance(p, str):
            p = mod.tensor([[True, False, True, False]] * 3)
        out.append(p)
    return tuple(out)


@pytest.mark.parametrize("idx", MIXED, ids=str)
def test_integers_select_before_index_arrays(idx):
    data = np.arange(120.0).reshape(2, 3, 4, 5)
    t = torch.tensor(data, requires_grad=True)
    p = pn.tensor(data, requires_grad=True)
    ref, out = t[_index(torch, idx)], p[_index(pn, idx)]
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    w = np.arange(ref.numel(), dtype=np.float64).reshape(tuple(ref.shape))
    (ref * torch.tensor(w)).sum().backward()
    (out * pn.tensor(w)).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


def test_setitem_with_integers_and_arrays_and_its_gradient():
    results = []
    for mod in (torch, pn):
        w = mod.zeros(2, 3, 4, requires_grad=True)
        v = mod.ones(3, 2, requires_grad=True)
        y = w * 2
        y[0, :, [1, 3]] = v * 3
        (y * mod.arange(24.0).reshape(2, 3, 4)).sum().backward()
        x = mod.zeros(2, 3, 4)
        x[:, 1, [0, 0, 2]] += 1
        results.append([y.detach().numpy(), w.grad.numpy(), v.grad.numpy(), x.numpy()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize(
    "dst, index, value",
    [
        ("long", (slice(None), [1, 2]), [1.5, 2.5]),
        ("long", "ints", 1.5),  # a 0-d value through an integer index: still index_put_
        ("float", (slice(None), [0, 2]), "double"),
        ("float", "mask", [1, 2, 3]),
        ("float", (0, [0, 1]), "double"),
    ],
    ids=str,
)
def test_setitem_through_index_arrays_needs_the_same_dtype(dst, index, value):
    for mod in (torch, pn):
        x = mod.zeros(2, 3) if dst == "float" else mod.zeros(2, 3, dtype=mod.int64)
        if index == "ints":
            index = mod.tensor([0, 1])
        elif index == "mask":
            index = mod.tensor([[True, False, True], [False, True, False]])
        v = mod.tensor([1.0, 2.0], dtype=mod.float64) if value == "double" else mod.tensor(value)
        with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
            x[index] = v


def test_a_0d_value_under_masks_is_a_masked_fill_of_any_dtype():
    results = []
    for mod in (torch, pn):
        x = mod.zeros(2, 3)
        x[x == 0] = mod.tensor(2, dtype=mod.int64)
        x[:, mod.tensor([True, False, True])] = mod.tensor(2.5, dtype=mod.float64)
        x[1:, [0, 2]] = 7  # a Python number is always fine
        results.append(x.numpy())
    np.testing.assert_array_equal(results[1], results[0])


def test_setitem_drops_the_values_leading_ones_as_torch():
    results = []
    for mod in (torch, pn):
        x = mod.arange(12.0).reshape(3, 4)
        x[0, 0] = mod.tensor([5.0])
        x[1, [0, 1]] = mod.tensor([[7.0, 8.0]])
        x[2, 3] = mod.tensor([[9.0]])
        w = mod.ones(2, requires_grad=True)
        y = mod.zeros(3, 4)
        y[0, 0] = (w * 2)[:1]
        y[1:2, :2] = (w * 3).view(1, 1, 2)
        y.sum().backward()
        results.append([x.numpy(), y.detach().numpy(), w.grad.numpy()])
        with pytest.raises(RuntimeError):
            x[0, 0] = mod.tensor([5.0, 6.0])
    for a, b in zip(*results):
        np.testing.assert_array_equal(b, a)


def test_a_uint8_index_is_a_mask_and_small_ints_are_refused():
    results = []
    for mod in (torch, pn):
        x = mod.arange(6.0).view(2, 3)
        with pytest.warns(UserWarning):
            a = x[mod.tensor([0, 1], dtype=mod.uint8)]
        with pytest.warns(UserWarning):
            b = x[:, mod.tensor([1, 0, 1], dtype=mod.uint8)]
        results.append([a.numpy(), b.numpy()])
        for dtype in (mod.int8, mod.int16, mod.float32):
            with pytest.raises(IndexError):
                x[mod.tensor([0, 1], dtype=dtype)]
    for a, b in zip(*results):
        np.testing.assert_array_equal(b, a)


ELLIPSIS_CASES = [
    (slice(None), [0], Ellipsis, [0, 1]),  # the Ellipsis stands for no dim: the indices are adjacent
    ([0, 1], Ellipsis, [0, 1]),  # it stands for one: NumPy's and torch's rule, the result dims first
    (Ellipsis, [0], [0, 1]),
    ([1], slice(None), Ellipsis, [2]),
    (0, [0], Ellipsis, [1, 2]),
    (slice(None), [0], Ellipsis, [0, 1], None),
    (slice(None), [0], Ellipsis, "mask"),
]


@pytest.mark.parametrize("case", range(len(ELLIPSIS_CASES)))
def test_an_ellipsis_between_index_arrays_as_torch_reads_it(case):
    results = []
    for mod in (torch, pn):
        x = mod.arange(24).reshape(2, 3, 4)
        index = tuple(
            mod.tensor([True, False, True, False]) if p == "mask" else p for p in ELLIPSIS_CASES[case]
        )
        y = mod.zeros(2, 3, 4)
        y[index] = 1.0 + mod.zeros(x[index].shape)
        results.append((x[index].numpy(), y.numpy()))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])


def test_a_0d_integer_tensor_index_is_a_select_as_torch():
    for mod in (torch, pn):
        x = mod.zeros(3, 4)
        v = x[mod.tensor(1)]
        assert v._is_view() and tuple(v.shape) == (4,)
        assert x[:, mod.tensor(1)]._is_view()
        x[mod.tensor(2)].fill_(5)  # writes through the view
        assert x.sum().item() == 20.0
        y = mod.zeros(3)
        y[mod.tensor(1)] = mod.tensor(7.0, dtype=mod.float64)  # a select: the value is cast
        z = mod.zeros(3, dtype=mod.int64)
        z[mod.tensor(1, dtype=mod.int32)] = mod.tensor(7.5)
        assert y.tolist() == [0.0, 7.0, 0.0] and z.tolist() == [0, 7, 0]
        a = mod.arange(4.0).requires_grad_()
        b = a * 1
        assert type(b[mod.tensor(1)].grad_fn).__name__ == "SelectBackward0"
        with pytest.raises(TypeError):
            x["a"]
        with pytest.raises(IndexError):
            x[1.5]


def _index_ops(T, x, i1, i2):
    return {
        "gather": lambda: x.gather(1, i2),
        "index_select": lambda: x.index_select(1, i1),
        "scatter": lambda: x.scatter(1, i2, 1.0),
        "scatter_add": lambda: x.scatter_add(1, i2, T.ones(2, 2)),
        "scatter_reduce": lambda: x.scatter_reduce(1, i2, T.ones(2, 2), "sum"),
        "index_add": lambda: x.index_add(1, i1, T.ones(2, 2)),
        "index_copy": lambda: x.index_copy(1, i1, T.ones(2, 2)),
        "index_fill": lambda: x.index_fill(1, i1, 1.0),
        "take": lambda: x.take(i1),
        "take_along_dim": lambda: x.take_along_dim(i2, 1),
        "put": lambda: x.put(i1, T.ones(2)),
        "embedding": lambda: T.nn.functional.embedding(i1, x),
        "one_hot": lambda: T.nn.functional.one_hot(i1, 3),
        "index_put_int8": lambda: x.index_put((i1,), T.tensor(1.0)) if i1.dtype == T.int8 else x,
    }


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_index_dtypes_of_gathers_and_scatters_are_torchs(dtype):
    """A uint8 index to gather was read as a mask (a (2,) result); int8/int16 raised IndexError,
    and int32 was taken where torch wants int64 (take_along_dim, put, index_copy, index_fill)."""
    outcomes = []
    for T in (pn, torch):
        x = T.arange(8.0).reshape(2, 4)
        i1 = T.tensor([0, 1], dtype=getattr(T, dtype))
        i2 = T.tensor([[0, 1], [1, 0]], dtype=getattr(T, dtype))
        row = {}
        for name, f in _index_ops(T, x, i1, i2).items():
            try:
                row[name] = f().tolist()
            except IndexError:  # (index_fill's and index_put's: torch's IndexError)
                row[name] = "IndexError"
            except RuntimeError:
                row[name] = "RuntimeError"
        outcomes.append(row)
    assert outcomes[0] == outcomes[1]
