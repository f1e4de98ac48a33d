"""sort / argsort / topk (and the indices kthvalue and mode report) side by side with torch
on data full of ties and NaN: random small integers, zeros, quantised values, every dtype,
any dim, non-contiguous views. Among equal values torch returns whatever order its CPU
algorithm (std::sort, partial_sort, nth_element, quickselect) leaves; pyneuro's C++ kernels
run the same algorithms (csrc/cpu/sorting.cpp), so the indices must be equal, not only valid.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import _sorting

torch = pytest.importorskip("torch")

if _sorting._kernel("sort_indices", np.zeros(1, np.float32)) is None:
    pytest.skip("pyneuro._cpu is not built: the tie order needs the C++ kernels", allow_module_level=True)

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _values(rs, shape, kind, dtype):
    n = int(np.prod(shape))
    if kind == 0:
        v = np.zeros(n)
    elif kind == 1:
        v = rs.randint(-2, 3, n).astype(float)
    elif kind == 2:  # ReLU-like: many exact zeros
        v = np.abs(rs.randn(n))
        v[rs.rand(n) < 0.4] = 0
    elif kind == 3:
        v = rs.randn(n)
        v[rs.rand(n) < 0.15] = np.nan
    elif kind == 4:  # quantised
        v = np.round(rs.randn(n) * 4) / 4
    elif kind == 5:  # distinct (mostly)
        v = rs.randn(n)
    else:
        v = rs.randint(0, 2, n).astype(float)
        v[rs.rand(n) < 0.2] = np.nan
        v[rs.rand(n) < 0.1] = -0.0
    if not dtype.startswith("float"):
        v = np.nan_to_num(v, nan=7)
        v = np.abs(v) if dtype in ("uint8", "bool") else v
    return v.astype(dtype).reshape(shape)


def _cases(seed, count):
    rs = np.random.RandomState(seed)
    for i in range(count):
        nd = int(rs.randint(1, 4))
        shape = tuple(int(rs.choice([1, 2, 3, 5, 16, 17, 33, 70])) for _ in range(nd))
        x = _values(rs, shape, int(rs.randint(7)), DTYPES[i % len(DTYPES)])
        if nd >= 2 and rs.rand() < 0.3:
            x = np.swapaxes(x, 0, 1)  # a non-contiguous view
        yield rs, x, int(rs.randint(-nd, nd))


def _pair(x):
    return pn.from_numpy(x), torch.from_numpy(np.ascontiguousarray(x))


def _same(a, b):
    a = a._data if hasattr(a, "_data") else np.asarray(a)
    np.testing.assert_array_equal(a, b.numpy() if hasattr(b, "numpy") else b)


@pytest.mark.parametrize(
    "make, call",
    [
        (lambda m: m.tensor([5, 5, 5, 5, 5]), lambda t: t.topk(1).indices),
        (lambda m: m.tensor([5, 5, 5, 5, 5]), lambda t: t.topk(3).indices),
        (lambda m: m.tensor([0, 0, 1, 1, 2, 2]), lambda t: t.topk(2).indices),
        (lambda m: m.tensor([0, 0, 1, 1, 2, 2]), lambda t: t.topk(2, largest=False).indices),
        (lambda m: m.tensor([3.0, 1, 3, 1, 3] * 4), lambda t: t.sort().indices),
        (lambda m: m.tensor([3.0, 1, 3, 1, 3] * 4), lambda t: t.sort(descending=True).indices),
        (lambda m: m.tensor([3.0, 1, 3, 1, 3] * 4), lambda t: t.sort(stable=True).indices),
        (lambda m: m.tensor([3.0, 1, 3, 1, 3] * 4), lambda t: t.argsort()),
        (lambda m: m.tensor([3.0, 1, 3, 1, 3] * 4), lambda t: t.msort()),
        (lambda m: m.tensor([[1.0], [2.0]]).expand(2, 40), lambda t: t.sort(descending=True).indices),
        (lambda m: m.tensor(3).expand(20), lambda t: t.argsort()),
        (lambda m: m.tensor(3).expand(20), lambda t: t.topk(3).indices),
        (lambda m: m.zeros(40, 3), lambda t: t.sort(0).indices),
        (lambda m: m.tensor([0.0, -0.0] * 20), lambda t: t.sort().values.sign()),
        (lambda m: m.tensor([float("nan"), 1.0] * 20), lambda t: t.sort(descending=True).indices),
        (lambda m: m.tensor([float("nan"), 1.0] * 20), lambda t: t.topk(30).indices),
    ],
)
def test_known_tie_orders(make, call):
    _same(call(make(pn)), call(make(torch)))


@pytest.mark.parametrize("seed", range(4))
def test_sort_and_argsort_random_ties(seed):
    for rs, x, dim in _cases(seed, 150):
        px, tx = _pair(x)
        descending, stable = bool(rs.randint(2)), bool(rs.randint(2))
        ps, ts = (
            px.sort(dim, descending, stable=stable),
            tx.sort(dim=dim, descending=descending, stable=stable),
        )
        _same(ps.indices, ts.indices)
        np.testing.assert_array_equal(ps.values._data, ts.values.numpy())
        _same(px.argsort(dim, descending), tx.argsort(dim=dim, descending=descending))


@pytest.mark.parametrize("seed", range(4))
def test_topk_random_ties(seed):
    for rs, x, dim in _cases(100 + seed, 150):
        if x.dtype == np.bool_:
            continue
        px, tx = _pair(x)
        k, largest, sort = int(rs.randint(0, x.shape[dim] + 1)), bool(rs.randint(2)), bool(rs.randint(2))
        pt, tt = px.topk(k, dim, largest, sort), tx.topk(k, dim, largest, sort)
        _same(pt.indices, tt.indices)
        np.testing.assert_array_equal(pt.values._data, tt.values.numpy())


@pytest.mark.parametrize("seed", range(2))
def test_kthvalue_and_mode_indices(seed):
    """The tie-exact indices _tensor_reduce.kthvalue and functions_scan.mode take from _sorting."""
    for rs, x, dim in _cases(200 + seed, 150):
        tx = torch.from_numpy(np.ascontiguousarray(x))
        d = dim % x.ndim
        if x.dtype not in (np.bool_, np.float16):
            k = int(rs.randint(1, x.shape[dim] + 1))
            np.testing.assert_array_equal(
                _sorting.kthvalue(x, d, k), tx.kthvalue(k, dim, keepdim=True).indices
            )
        np.testing.assert_array_equal(_sorting.mode(x, d), tx.mode(dim, keepdim=True).indices)


@pytest.mark.parametrize("n", [40, 1000, 5000])
def test_long_rows_take_every_algorithm_branch(n):
    """Rows past 16 (insertion sort), k past n / 64 (nth_element), introsort depth limits."""
    rs = np.random.RandomState(n)
    for dtype in ("float32", "int64", "int16", "float64"):
        x = rs.randint(0, 7, (2, n)).astype(dtype)
        px, tx = _pair(x)
        for k in (1, 3, n // 64, n // 64 + 1, n // 2, n):
            _same(px.topk(k).indices, tx.topk(k).indices)
            _same(
                px.topk(k, largest=False, sorted=False).indices,
                tx.topk(k, largest=False, sorted=False).indices,
            )
        for descending in (False, True):
            _same(px.sort(descending=descending).indices, tx.sort(descending=descending).indices)
        for dim in (0, 1):
            np.testing.assert_array_equal(
                _sorting.kthvalue(x, dim, 2), tx.kthvalue(2, dim, keepdim=True).indices
            )


def test_one_dim_integer_sort_is_stable_from_32768():
    """torch radix-sorts (stably) a 1-D integer tensor of 32768+ elements ascending."""
    rs = np.random.RandomState(0)
    for n in (32767, 32768):
        for dtype in ("int64", "uint8", "float32"):
            x = rs.randint(0, 3, n).astype(dtype)
            px, tx = _pair(x)
            for descending in (False, True):
                _same(px.sort(descending=descending).indices, tx.sort(descending=descending).indices)


def test_rows_of_65536_and_more():
    """Long rows of 4-byte values go to the kernel at once (ties are near-certain), except
    rows already strictly increasing; both ways the order is torch's."""
    rs = np.random.RandomState(4)
    for x in (
        rs.randn(2, 70000).astype(np.float32),
        np.linspace(0, 1, 70000, dtype=np.float32),
        np.linspace(1, 0, 70000, dtype=np.float32),
        np.arange(140000, dtype=np.int32).reshape(2, 70000),
        rs.randn(70000).astype(np.float16),
    ):
        px, tx = _pair(x)
        for descending in (False, True):
            _same(px.sort(descending=descending).indices, tx.sort(descending=descending).indices)


def test_zero_dim_topk_gives_the_value_even_for_k_0():
    for k in (0, 1):
        p, t = pn.tensor(5.0).topk(k), torch.tensor(5.0).topk(k)
        assert p.values.shape == t.values.shape == () and p.indices.shape == ()
        assert p.values.item() == t.values.item() and p.indices.item() == t.indices.item() == 0


def test_gradients_follow_the_tie_order():
    x = np.round(np.random.RandomState(1).randn(4, 40) * 2) / 2
    w = np.random.RandomState(2).randn(4, 40)
    px, tx = pn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (px.sort(1).values * pn.tensor(w)).sum().backward()
    (tx.sort(1).values * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(px.grad._data, tx.grad.numpy())
    px.grad, tx.grad = None, None
    (px.topk(9, 1).values * pn.tensor(w[:, :9])).sum().backward()
    (tx.topk(9, 1).values * torch.tensor(w[:, :9])).sum().backward()
    np.testing.assert_allclose(px.grad._data, tx.grad.numpy())
    assert type(px.topk(9, 1).values.grad_fn).__name__ == "TopkBackward0"


@pytest.mark.parametrize(
    "call",
    [
        lambda m, t: t.topk(7),
        lambda m, t: t.topk(-1),
        lambda m, t: t.topk(1, dim=2),
        lambda m, t: t.sort(dim=3),
        lambda m, t: t.argsort(dim=-3),
        lambda m, t: t.bool().topk(1),
        lambda m, t: t.sort(1, True, True),
        lambda m, t: t.argsort(1, True, True),
        lambda m, t: t.topk(True),
        lambda m, t: t.topk(2.0),
        lambda m, t: t.topk(1, largest=1),
        lambda m, t: t.topk(1, sorted=None),
        lambda m, t: t.sort(descending=1),
        lambda m, t: t.argsort(descending=np.bool_(True)),
        lambda m, t: m.tensor(5.0).topk(2),
    ],
)
def test_errors_unchanged(call):
    with pytest.raises(Exception) as want:
        call(torch, torch.zeros(2, 3))
    with pytest.raises(Exception) as got:
        call(pn, pn.zeros(2, 3))
    assert isinstance(got.value, want.type), (got.value, want.value)


def test_without_the_extension_values_still_match(monkeypatch):
    """The NumPy fallback (no C++ extension) is stable: the same values, valid indices."""
    monkeypatch.setattr(_sorting, "_kernel", lambda name, a: None)
    x = _values(np.random.RandomState(3), (5, 30), 3, "float32")
    px, tx = _pair(x)
    np.testing.assert_array_equal(px.sort(1).values._data, tx.sort(1).values.numpy())
    np.testing.assert_array_equal(px.topk(4).values._data, tx.topk(4).values.numpy())
    _same(px.sort(dim=1, stable=True).indices, tx.sort(dim=1, stable=True).indices)


def test_free_function_sort_and_argsort_pass_stable_on():
    """pn.sort/pn.argsort(stable=True) keep equal values in input order, as torch's; without it
    they give torch's unstable order."""
    x = [3.0, 1, 3, 1, 3] * 4
    for stable in (True, False):
        for descending in (False, True):
            t, p = torch.tensor(x), pn.tensor(x)
            kw = dict(descending=descending, stable=stable)
            assert pn.sort(p, **kw).indices.tolist() == torch.sort(t, **kw).indices.tolist()
            assert pn.argsort(p, **kw).tolist() == torch.argsort(t, **kw).tolist()


def test_kthvalue_mode_and_repeat_as_torch():
    assert (
        pn.tensor([1.0, 2, 2, 3, 3, 3]).kthvalue(2).indices.item()
        == torch.tensor([1.0, 2, 2, 3, 3, 3]).kthvalue(2).indices.item()
    )
    assert (
        pn.tensor([1, 2, 3, 2, 1] * 5).mode().indices.item()
        == torch.tensor([1, 2, 3, 2, 1] * 5).mode().indices.item()
    )
    x = np.random.default_rng(0).integers(0, 3, (6, 40))
    for k in (1, 7, 40):
        assert pn.tensor(x).kthvalue(k, 1).indices.tolist() == torch.tensor(x).kthvalue(k, 1).indices.tolist()
    assert pn.tensor(x).mode(1).indices.tolist() == torch.tensor(x).mode(1).indices.tolist()
    outs = []
    for lib in (torch, pn):  # repeat/tile give tensors of their own: writable, contiguous strides
        r = lib.arange(3.0).reshape(3, 1).repeat(1, 4)
        r[0, 0] = 5
        r.add_(1)
        outs.append(
            (r.tolist(), r.stride(), r.is_contiguous(), lib.tensor([[1, 2], [3, 4]]).tile(2).stride())
        )
    assert outs[0] == outs[1]
