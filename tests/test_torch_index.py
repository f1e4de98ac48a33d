"""The shape, joining and indexing functions of functions_index.py / _tensor_index.py against
torch: values, dtypes, shapes, gradients (torch.autograd as the oracle), in-place forms and
the exception types torch raises."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A34 = RNG.standard_normal((3, 4)).astype(np.float32)
A234 = RNG.standard_normal((2, 3, 4)).astype(np.float32)
V5 = RNG.standard_normal(5).astype(np.float32)
S0 = np.float32(1.5)


def _np(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def same(fn, *arrays, grad=True, seed=1):
    """Run fn(fw, *tensors) for pyneuro and torch; compare every output (value, dtype, shape)
    and the gradient of every float input through a random linear functional of the outputs."""
    res = {}
    for fw in (pn, torch):
        ts = []
        for a in arrays:
            a = np.asarray(a)
            t = fw.tensor(a)
            if grad and a.dtype.kind == "f":
                t.requires_grad_()
            ts.append(t)
        out = fn(fw, *ts)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        rng = np.random.default_rng(seed)
        total = None
        for o in outs:
            if o.requires_grad:
                term = (o * fw.tensor(rng.standard_normal(tuple(o.shape)).astype(np.float32))).sum()
                total = term if total is None else total + term
        if total is not None:
            total.backward()
        res[fw] = (outs, [t.grad for t in ts])
    (p_outs, p_grads), (t_outs, t_grads) = res[pn], res[torch]
    assert len(p_outs) == len(t_outs)
    for p, t in zip(p_outs, t_outs):
        assert tuple(p.shape) == tuple(t.shape), (p.shape, t.shape)
        assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (p.dtype, t.dtype)
        np.testing.assert_allclose(_np(p), _np(t), rtol=1e-5, atol=1e-6)
    for p, t in zip(p_grads, t_grads):
        assert (p is None) == (t is None), (p, t)
        if t is not None:
            np.testing.assert_allclose(_np(p), _np(t), rtol=1e-5, atol=1e-6)
    return p_outs


def raises_like(fn, *arrays):
    """fn raises for torch, and pyneuro raises an instance of the same exception type."""
    with pytest.raises(Exception) as t_err:
        fn(torch, *[torch.tensor(np.asarray(a)) for a in arrays])
    with pytest.raises(type(t_err.value)):
        fn(pn, *[pn.tensor(np.asarray(a)) for a in arrays])


IDX = np.array([0, 2, 0, 1])  # repeats
# ----------------------------------------------------------------------------- value + gradient cases
CASES = {
    "tensor_split_int": (lambda fw, x: fw.tensor_split(x, 3, dim=1), A34),
    "tensor_split_list": (lambda fw, x: fw.tensor_split(x, [1, -1, 10], dim=1), A34),
    "tensor_split_reversed": (lambda fw, x: x.tensor_split([3, 1]), V5),
    "tensor_split_tensor": (lambda fw, x: x.tensor_split(fw.tensor([1, 3]), 1), A34),
    "tensor_split_0d_tensor": (lambda fw, x: x.tensor_split(fw.tensor(2)), V5),
    "hsplit": (lambda fw, x: fw.hsplit(x, 2), A34),
    "hsplit_list": (lambda fw, x: x.hsplit([1, 2]), A34),
    "vsplit": (lambda fw, x: fw.vsplit(x, [1]), A34),
    "dsplit": (lambda fw, x: fw.dsplit(x, 2), A234),
    "split_with_sizes": (lambda fw, x: fw.split_with_sizes(x, [1, 3], 1), A34),
    "narrow": (lambda fw, x: fw.narrow(x, 1, -3, 2), A34),
    "narrow_copy": (lambda fw, x: fw.narrow_copy(x, 0, 1, 2), A34),
    "select": (lambda fw, x: fw.select(x, 1, -1), A34),
    "tile": (lambda fw, x: fw.tile(x, (2, 1, 2)), A34),
    "unflatten": (lambda fw, x: fw.unflatten(x, 1, (2, 2)), A34),
    "t": (lambda fw, x: fw.t(x), A34),
    "swapaxes": (lambda fw, x: fw.swapaxes(x, 0, 2), A234),
    "swapdims": (lambda fw, x: x.swapdims(-1, 0), A234),
    "moveaxis": (lambda fw, x: fw.moveaxis(x, 0, -1), A234),
    "hstack": (lambda fw, x, y: fw.hstack([x, y, x]), A34, A34[:, :2]),
    "hstack_1d": (lambda fw, x, s: fw.hstack((x, s)), V5, S0),
    "vstack": (lambda fw, x, y: fw.vstack([x, y]), A34, A34[0]),
    "row_stack": (lambda fw, x, y: fw.row_stack([x, y]), V5, V5),
    "dstack": (lambda fw, x, y: fw.dstack([x, y]), A34, A34),
    "column_stack": (lambda fw, x, y, s: fw.column_stack([x, y, s.expand(3)]), A34, A34[:, 0], S0),
    "concatenate": (lambda fw, x, y: fw.concatenate([x, y], axis=1), A34, A34),
    "take": (lambda fw, x: fw.take(x, fw.tensor([[0, -1], [5, 5]])), A34),
    "take_method": (lambda fw, x: x.take(fw.tensor(IDX)), V5),
    "take_along_dim": (lambda fw, x: fw.take_along_dim(x, fw.tensor([[0, 3, 3]]).T, dim=1), A34),
    "take_along_dim_broadcast": (lambda fw, x: x.take_along_dim(fw.tensor([[[1], [0], [1]]]), 0), A234),
    "take_along_dim_none": (lambda fw, x: fw.take_along_dim(x, fw.tensor([11, 0, 0])), A34),
    "broadcast_to": (lambda fw, x: fw.broadcast_to(x, (2, -1, 4)), A34[:1]),
    "broadcast_tensors": (lambda fw, x, y: fw.broadcast_tensors(x, y), A34[:, :1], V5[:4]),
    "atleast_1d": (lambda fw, s, x: fw.atleast_1d(s, x), S0, A34),
    "atleast_2d": (lambda fw, s, x: fw.atleast_2d((s, x)), S0, V5),
    "atleast_3d": (lambda fw, s, x, y: fw.atleast_3d(s, x, y), S0, V5, A34),
    "atleast_3d_one": (lambda fw, x: fw.atleast_3d(x), A34),
    "rot90": (lambda fw, x: fw.rot90(x), A34),
    "rot90_k2": (lambda fw, x: fw.rot90(x, 2, [1, 2]), A234),
    "rot90_k3": (lambda fw, x: x.rot90(-1, (2, 0)), A234),
    "rot90_k4": (lambda fw, x: x.rot90(4), A34),
    "flipud": (lambda fw, x: fw.flipud(x), A34),
    "fliplr": (lambda fw, x: x.fliplr(), A234),
    "diagonal": (lambda fw, x: fw.diagonal(x), A34),
    "diagonal_offset": (lambda fw, x: x.diagonal(2), A34),
    "diagonal_neg": (lambda fw, x: x.diagonal(-1, 1, 0), A34),
    "diagonal_3d": (lambda fw, x: fw.diagonal(x, 1, -1, 1), A234),
    "diagonal_empty": (lambda fw, x: x.diagonal(5), A34),
    "diagonal_noncontig": (lambda fw, x: x.transpose(0, 2).diagonal(0, 0, 1), A234),
    "diag_embed": (lambda fw, x: fw.diag_embed(x), A34),
    "diag_embed_dims": (lambda fw, x: fw.diag_embed(x, -1, 0, 2), A34),
    "diag_embed_1d": (lambda fw, x: x.diag_embed(2), V5),
    "diagflat": (lambda fw, x: fw.diagflat(x, -1), A34[:2, :2]),
    "diagflat_method": (lambda fw, x: x.diagflat(), V5),
    "scatter": (lambda fw, x, s: fw.scatter(x, 1, fw.tensor([[3, 1], [0, 2], [1, 1]]), s), A34, A34[:, :2]),
    "scatter_value": (lambda fw, x: fw.scatter(x, 0, fw.tensor([[2, 1]]), value=2.0), A34),
    "scatter_add": (lambda fw, x, s: fw.scatter_add(x, 0, fw.tensor([[2, 2, 0, 2]]), s), A34, A34[:1]),
    "index_add": (lambda fw, x, s: fw.index_add(x, 0, fw.tensor(IDX), s), A34, A34[[0, 1, 2, 2]]),
    "index_add_alpha": (
        lambda fw, x, s: x.index_add(1, fw.tensor([3, 3, 0]), s, alpha=-2.5),
        A34,
        A34[:, :3],
    ),
    "index_copy": (lambda fw, x, s: fw.index_copy(x, 1, fw.tensor([3, 0]), s), A34, A34[:, :2] * 2),
    "index_fill": (lambda fw, x: fw.index_fill(x, 1, fw.tensor([-1, 0]), -7.0), A34),
    "index_fill_tensor": (lambda fw, x, v: x.index_fill(0, fw.tensor([1]), v), A34, S0),
    "index_put": (lambda fw, x, v: fw.index_put(x, (fw.tensor([0, 2]), fw.tensor([1, -1])), v), A34, V5[:2]),
    "index_put_acc": (
        lambda fw, x, v: fw.index_put(x, (fw.tensor(IDX), fw.tensor([1, 1, 1, 3])), v, accumulate=True),
        A34,
        V5[:4],
    ),
    "index_put_acc_rows": (lambda fw, x, v: x.index_put((fw.tensor(IDX),), v, True), A34, A34[0]),
    "index_put_bool": (lambda fw, x, v: x.index_put((fw.tensor(A34 > 0),), v), A34, S0),
    "put": (lambda fw, x, s: x.put(fw.tensor([0, -1, 5]), s), A34, V5[:3]),
    "put_acc": (lambda fw, x, s: x.put(fw.tensor([[1, 1], [1, 7]]), s, accumulate=True), A34, A34[:2, :2]),
    "masked_scatter": (lambda fw, x, s: fw.masked_scatter(x, fw.tensor(A34 > 0), s), A34, A234),
    "masked_scatter_bcast": (
        lambda fw, x, s: x.masked_scatter(fw.tensor([True, False, False, True]), s),
        A34,
        A34 * 3,
    ),
    "masked_scatter_bcast_self": (lambda fw, x, s: x.masked_scatter(fw.tensor(A34 > 0), s), V5[:4], A234),
    "select_scatter": (lambda fw, x, s: fw.select_scatter(x, s, 1, -2), A34, A34[:, 0] * 3),
    "slice_scatter": (lambda fw, x, s: fw.slice_scatter(x, s, 1, 1, None, 2), A34, A34[:, :2] * 3),
    "slice_scatter_default": (lambda fw, x, s: x.slice_scatter(s), A34, A34 * 3),
    "diagonal_scatter": (lambda fw, x, s: fw.diagonal_scatter(x, s, 1), A34, V5[:3]),
    "diagonal_scatter_3d": (lambda fw, x, s: x.diagonal_scatter(s, -1, 2, 1), A234, A34[:2, :3]),
    "block_diag": (lambda fw, x, y, s: fw.block_diag(x, y, s), A34, V5, S0),
    "cartesian_prod": (lambda fw, x, y: fw.cartesian_prod(x, y), V5[:3], V5),
    "cartesian_prod_one": (lambda fw, x: fw.cartesian_prod(x), V5),
    "kron": (lambda fw, x, y: fw.kron(x, y), A34[:2, :3], A34),
    "kron_mixed_dims": (lambda fw, x, y: x.kron(y), V5[:2], A234),
    "kron_0d": (lambda fw, s, y: fw.kron(s, y), S0, V5),
    "diff": (lambda fw, x: fw.diff(x), A34),
    "diff_n2_dim0": (lambda fw, x: x.diff(2, 0), A34),
    "diff_prepend": (
        lambda fw, x, p, q: fw.diff(x, n=2, dim=1, prepend=p, append=q),
        A34,
        A34[:, :2],
        A34[:, :1],
    ),
    "diff_n_large": (lambda fw, x: fw.diff(x, 9), V5),
    "combinations": (lambda fw, x: fw.combinations(x), V5),
    "combinations_repl": (lambda fw, x: fw.combinations(x, 3, with_replacement=True), V5[:3]),
    "unfold": (lambda fw, x: x.unfold(1, 2, 1), A34),
    "unfold_step": (lambda fw, x: x.unfold(-1, 3, 2), A234),
    "unfold_dim0": (lambda fw, x: x.unfold(0, 2, 1), A234),
    "unfold_0d": (lambda fw, s: s.unfold(0, 1, 1), S0),
    "H": (lambda fw, x: x.H, A34),
    "mH": (lambda fw, x: x.mH, A234),
    "adjoint": (lambda fw, x: (fw.adjoint(x), x.adjoint()), A234),
    "scatter_reduce_sum": (
        lambda fw, x, s: fw.scatter_reduce(x, 0, fw.tensor([[0, 1, 0, 2], [0, 0, 0, 2]]), s, "sum"),
        A34,
        A34[:2],
    ),
}

E03 = np.zeros((0, 3), np.float32)
A432 = RNG.standard_normal((4, 3, 2)).astype(np.float32)
# awkward shapes: empty, 0-d, non-contiguous
CASES.update(
    {
        "split_empty": (lambda fw, x: x.tensor_split(2, 0), E03),
        "split_empty_dim1": (lambda fw, x: x.tensor_split([1, 2], 1), E03),
        "tensor_split_more_than_size": (lambda fw, x: x.tensor_split(7), A432),
        "hstack_empty": (lambda fw, x: fw.hstack([x, x]), E03),
        "take_empty": (lambda fw, x: x.take(fw.tensor([], dtype=fw.int64)), E03),
        "take_0d": (lambda fw, x: x.take(fw.tensor(0)), S0),
        "diagonal_of_empty": (lambda fw, x: x.diagonal(), E03),
        "diag_embed_empty": (lambda fw, x: x.diag_embed(), E03),
        "diagflat_0d": (lambda fw, x: x.diagflat(), S0),
        "unfold_empty": (lambda fw, x: x.unfold(1, 2, 1), E03),
        "unfold_size0": (lambda fw, x: x.unfold(1, 0, 1), A432),
        "diff_empty": (lambda fw, x: x.diff(dim=0), E03),
        "diff_n0": (lambda fw, x: x.diff(0), A432),
        "kron_empty": (lambda fw, x, y: fw.kron(x, y), E03, A432),
        "noncontig_diagonal": (lambda fw, x: x.permute(2, 0, 1).diagonal(1, 1, 2), A432),
        "noncontig_take": (lambda fw, x: x.transpose(0, 2).take(fw.tensor([0, 5, 7])), A432),
        "noncontig_index_add": (
            lambda fw, x: x.transpose(0, 1).index_add(1, fw.tensor([3, 3]), x[:2].transpose(0, 1)),
            A432,
        ),
        "noncontig_unfold": (lambda fw, x: x.transpose(0, 2).unfold(2, 2, 2), A432),
        "noncontig_masked_scatter": (
            lambda fw, x: x.transpose(0, 2).masked_scatter(x.transpose(0, 2) > 0, x),
            A432,
        ),
        "scatter_reduce_0d": (lambda fw, x, s: x.scatter_reduce(0, fw.tensor(0), s, "amax"), S0, S0 * 2),
        "index_add_0d": (lambda fw, x, s: x.index_add(0, fw.tensor([0]), s), S0, S0),
        "index_add_0d_index": (lambda fw, x, s: x.index_add(0, fw.tensor(1), s[:1]), A432, A432),
        "index_copy_0d": (lambda fw, x, s: x.index_copy(0, fw.tensor([0]), s), S0, S0),
        "index_fill_0d": (lambda fw, x: x.index_fill(0, fw.tensor([0]), 3.0), S0),
        "put_0d": (lambda fw, x, s: x.put(fw.tensor([0, -1]), s.expand(2), accumulate=True), S0, S0),
        "broadcast_tensors_0d": (lambda fw, x, y: fw.broadcast_tensors(x, y), S0, A432),
        "atleast_1d_list": (lambda fw, x: fw.atleast_1d([x]), S0),
        "combinations_r1": (lambda fw, x: fw.combinations(x, 1), V5),
        "select_scatter_0d_src": (lambda fw, x, s: fw.select_scatter(x[:, 0, 0], s, 0, 1), A432, S0),
        "slice_scatter_negative": (lambda fw, x, s: fw.slice_scatter(x, s, -1, -1), A432, A432[:, :, :1] * 2),
        "index_put_empty_index": (
            lambda fw, x, v: x.index_put((fw.tensor([], dtype=fw.int64),), v, True),
            A432,
            A432[:0],
        ),
        "take_along_dim_negative": (lambda fw, x: fw.take_along_dim(x, fw.tensor([[[-1]]]), -1), A432),
        "diag_embed_swapped_dims": (lambda fw, x: fw.diag_embed(x, 1, 1, 0), A432),
        "diagonal_scatter_empty": (lambda fw, x, s: x.diagonal_scatter(s, 5), A34, A34[:0, 0]),
    }
)

REDUCE_IDX = np.array([[0, 1, 0, 2], [0, 0, 0, 2]])


@pytest.mark.filterwarnings("ignore:index_reduce")  # torch's "in beta" warning
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    base = np.array([[3.0, 0.0, 1.0, 2.0], [1.0, 1.0, 1.0, 1.0], [4.0, 4.0, 4.0, 5.0]], np.float32)
    src = np.array([[1.0, 2.0, 0.0, 5.0], [3.0, 2.0, 0.0, 5.0], [4.0, 0.0, 2.0, 5.0]], np.float32)
    same(
        lambda fw, x, s: x.index_reduce(0, fw.tensor([0, 2, 0]), s, reduce, include_self=include_self),
        base,
        src,
    )
    same(lambda fw, x, s: fw.index_reduce(x, 1, fw.tensor([3, 3]), s[:, :2], reduce), base, src)
    same(lambda fw, x, s: x.clone().index_reduce_(1, fw.tensor([3, 3]), s[:, :2], reduce), base, src)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    fn, *arrays = CASES[name]
    same(fn, *arrays)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    src = np.array([[1.0, 2.0, 0.0, 5.0], [3.0, 2.0, 0.0, -5.0]], np.float32)  # ties and zeros
    base = np.array([[3.0, 0.0, 1.0, 2.0], [1.0, 1.0, 1.0, 1.0], [4.0, 4.0, 4.0, 5.0]], np.float32)
    same(
        lambda fw, x, s: x.scatter_reduce(0, fw.tensor(REDUCE_IDX), s, reduce, include_self=include_self),
        base,
        src,
    )
    # a src larger than the index: only its first part is read (values only: torch's backward
    # rejects a larger src)
    same(
        lambda fw, x, s: fw.scatter_reduce(x, 1, fw.tensor(REDUCE_IDX[:, :2]), s, reduce),
        base,
        A34,
        grad=False,
    )


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_integers(reduce):
    base = np.arange(-4, 8).reshape(3, 4)
    same(lambda fw, x, s: x.scatter_reduce(0, fw.tensor(REDUCE_IDX), s, reduce), base, base[:2] * 3 - 1)
    same(
        lambda fw, x, s: x.scatter_reduce(0, fw.tensor(REDUCE_IDX), s, reduce, include_self=False),
        base,
        base[:2],
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.uint8, np.bool_])
def test_other_dtypes(dtype):
    x = (A34 * 3).astype(dtype) if dtype is not np.bool_ else A34 > 0
    grad = dtype is np.float64
    same(
        lambda fw, t: (t.index_add(0, fw.tensor([0, 0]), t[:2]), t.index_fill(1, fw.tensor([0]), 1)),
        x,
        grad=grad,
    )
    same(lambda fw, t: t.index_put((fw.tensor([0, 0]),), t[0], accumulate=True), x, grad=grad)
    for reduce in ("sum", "prod", "amax", "amin"):
        same(lambda fw, t: t.scatter_reduce(1, fw.tensor([[0, 0, 1, 0]]), t[:1], reduce), x, grad=grad)
    same(lambda fw, t: (t.diagonal(), fw.diag_embed(t), t.unfold(1, 2, 2), fw.kron(t, t[:2])), x, grad=grad)
    same(
        lambda fw, t: (fw.diff(t, 2), t.masked_scatter(fw.tensor(A34 > 0), t.T), t.take(fw.tensor([1, 1]))),
        x,
        grad=grad,
    )
    same(
        lambda fw, t: (fw.hstack([t, t]), fw.block_diag(t, t), t.put(fw.tensor([0, 3]), t[0, :2])),
        x,
        grad=grad,
    )


def test_scatter_reduce_prod_gradient_with_two_zeros():
    same(
        lambda fw, x, s: x.scatter_reduce(0, fw.tensor([0, 0, 1, 1, 1]), s, "prod"),
        np.array([0.0, 2.0, 3.0], np.float32),
        np.array([2.0, 3.0, 0.0, 4.0, 5.0], np.float32),
    )


def test_non_differentiable_results():
    x = A34.copy()
    x[1] = x[0]
    same(
        lambda fw, t: fw.unique_consecutive(t, return_inverse=True, return_counts=True, dim=0), x, grad=False
    )
    for kwargs in ({}, {"return_counts": True}, {"return_inverse": True}):
        same(lambda fw, t: fw.unique_consecutive(t, **kwargs), np.array([[1, 1, 2], [2, 3, 1]]))
    same(lambda fw, t: t.unique_consecutive(dim=1, return_inverse=True), np.array([[1, 1, 2], [1, 1, 3]]))
    same(lambda fw, t: fw.unique_consecutive(t, return_counts=True), np.zeros(0, np.float32), grad=False)
    same(lambda fw, t: (fw.argwhere(t > 0), t.argwhere()), A34)
    same(lambda fw, t: fw.diff(t), np.array([True, False, False, True]))
    same(lambda fw, t: fw.diff(t, prepend=fw.tensor([0.5])), np.array([1, 2, 4]))
    for args in ((3, 4), (4, 3, 1), (3, 3, -1), (0, 2), (2, 5, -9)):
        same(lambda fw: (fw.tril_indices(*args), fw.triu_indices(*args)))
    same(lambda fw: fw.tril_indices(3, 3, dtype=fw.int32))
    same(lambda fw, i: fw.unravel_index(i, (2, 3)), np.array([[5, -1], [3, 6]]))
    same(lambda fw, i: fw.unravel_index(i, 6) + fw.unravel_index(i, pn.Size([3, 1, 2])), np.array(4))
    for fw in (pn, torch):
        assert isinstance(fw.atleast_1d([fw.tensor(1.0)]), tuple)
        assert not isinstance(fw.atleast_2d(fw.tensor(1.0)), tuple)
    assert tuple(pn.broadcast_shapes((2, 1), (3,), 1, ())) == tuple(
        torch.broadcast_shapes((2, 1), (3,), 1, ())
    )
    assert isinstance(pn.broadcast_shapes((2, 1)), pn.Size)
    assert pn.zeros(2, 3).is_same_size(pn.ones(2, 3)) and not pn.zeros(2, 3).is_same_size(pn.ones(3, 2))
    for fw in (pn, torch):  # torch's keyword spellings
        x = fw.zeros(2, 3)
        assert [len(x.tensor_split(sections=3, dim=1)), len(fw.tensor_split(x, indices=[1], dim=1))] == [3, 2]
        assert len(fw.tensor_split(x, tensor_indices_or_sections=fw.tensor(3), dim=1)) == 3
        assert [
            len(fw.hsplit(x, sections=3)),
            len(x.vsplit(indices=[1])),
            len(fw.dsplit(x[None], sections=1)),
        ] == [3, 2, 1]
        assert tuple(x.new_empty(size=(2,)).shape) == (2,) and tuple(x.new_empty(2, 4).shape) == (2, 4)
        assert tuple(fw.broadcast_to(x, size=(2, 2, 3)).shape) == (2, 2, 3)
    e = pn.zeros(2).new_empty((3, 2), dtype=pn.int64)
    assert e.shape == (3, 2) and e.dtype == pn.int64
    assert pn.ones(2, dtype=pn.float64).new_empty(4).dtype == pn.float64
    assert pn.block_diag().shape == torch.block_diag().shape
    assert pn.combinations(pn.tensor([1, 2, 3]), r=4).shape == (0, 4)
    assert pn.combinations(pn.tensor([1, 2, 3]), r=0).shape == (0,)


def test_scatter_reduce_ties_share_the_gradient_like_torch():
    # every value equal: torch shares the gradient evenly among self and the tied src values
    same(
        lambda fw, x, s: x.scatter_reduce(0, fw.tensor([0, 0, 0]), s, "amax"),
        np.ones(2, np.float32),
        np.ones(3, np.float32),
    )
    same(
        lambda fw, x, s: x.scatter_reduce(0, fw.tensor([0, 0, 1]), s, "amin", include_self=False),
        np.ones(2, np.float32),
        np.ones(3, np.float32),
    )


def test_diagonal_is_a_view_and_int_dtypes_keep():
    for fw in (pn, torch):
        x = fw.zeros(3, 3)
        x.diagonal().fill_(2.0)
        x.T.diagonal(1).add_(5.0)  # a transposed matrix's diagonal is a view too
        x.unsqueeze(0).diagonal(-1, 2, 1)[0].add_(1.0)
        np.testing.assert_array_equal(x.numpy(), np.eye(3) * 2 + np.eye(3, k=-1) * 5 + np.eye(3, k=1))
    same(
        lambda fw, t: (t.diagonal(), fw.kron(t, t), fw.hstack([t, t]), t.unfold(0, 2, 1)),
        np.arange(9).reshape(3, 3),
    )


# ----------------------------------------------------------------------------- in-place forms
INPLACE = {
    "index_add_": (lambda fw, a, s: a.index_add_(0, fw.tensor(IDX), s, alpha=2), A34[[0, 1, 2, 2]]),
    "index_copy_": (lambda fw, a, s: a.index_copy_(1, fw.tensor([2, 0]), s), A34[:, :2]),
    "index_fill_": (lambda fw, a, s: a.index_fill_(1, fw.tensor([2, 0]), s), S0),
    "index_put_": (lambda fw, a, s: a.index_put_((fw.tensor(IDX),), s, accumulate=True), A34[0]),
    "masked_scatter_": (lambda fw, a, s: a.masked_scatter_(fw.tensor(A34 < 0), s), A234),
    "scatter_reduce_amax": (lambda fw, a, s: a.scatter_reduce_(0, fw.tensor(REDUCE_IDX), s, "amax"), A34[:2]),
    "scatter_reduce_prod": (
        lambda fw, a, s: a.scatter_reduce_(1, fw.tensor(REDUCE_IDX[:, :3] % 3), s, "prod"),
        A34[:2, :3],
    ),
    "scatter_reduce_mean": (
        lambda fw, a, s: a.scatter_reduce_(0, fw.tensor(REDUCE_IDX), s, "mean", include_self=False),
        A34[:2],
    ),
    "put_": (lambda fw, a, s: a.put_(fw.tensor([1, 1, -2]), s, accumulate=True), V5[:3]),
    "fill_diagonal_": (lambda fw, a, s: a.fill_diagonal_(3.0) * s, S0),
    "t_": (lambda fw, a, s: a.t_() * s, S0),
    "transpose_": (lambda fw, a, s: a.transpose_(0, 1).unsqueeze_(0).squeeze_() * s, S0),
    "swapdims_": (lambda fw, a, s: a.swapdims_(1, 0).swapaxes_(-1, 0) * s, S0),
    "squeeze_dim": (lambda fw, a, s: a.unsqueeze_(1).squeeze_(1) * s, S0),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_forms(name):
    fn, src = INPLACE[name]

    def run(fw, x, s):
        a = x * 1.0  # a non-leaf: in-place ops are allowed and recorded
        out = fn(fw, a, s)
        assert a._version > 0
        return out, a

    same(run, A34, src)
    # without grad: the same values, in place, the same object returned
    for fw in (pn, torch):
        a = fw.tensor(A34.copy())
        out = fn(fw, a, fw.tensor(src))
        assert out is a or out.shape == a.shape
        assert a._version > 0


def test_in_place_rules_like_torch():
    for fw in (pn, torch):
        leaf = fw.tensor(A34, requires_grad=True)
        for op in (
            lambda t: t.index_add_(0, fw.tensor([0]), fw.ones(1, 4)),
            lambda t: t.t_(),
            lambda t: t.unsqueeze_(0),
            lambda t: t.fill_diagonal_(1.0),
            lambda t: t.diagonal().fill_(1.0),
            lambda t: t.T.diagonal().zero_(),
        ):
            with pytest.raises(RuntimeError):
                op(leaf)
        with fw.no_grad():
            leaf.index_fill_(0, fw.tensor([0]), 0.0)
        assert float(leaf.detach()[0, 0]) == 0.0
        # a saved tensor changed in place: backward raises
        a = fw.tensor(A34, requires_grad=True) * 1.0
        y = a * a
        a.index_fill_(0, fw.tensor([1]), 0.0)
        with pytest.raises(RuntimeError):
            y.sum().backward()
        # an in-place shape change bumps the version, so a saved output no longer matches
        e = fw.tensor(A34, requires_grad=True).exp()
        e.t_()
        with pytest.raises(RuntimeError):
            e.sum().backward()
        b = fw.zeros(2, 3)
        b.t_()
        assert tuple(b.shape) == (3, 2) and b._version == 1
        v = fw.zeros(2, 3)
        w = v[0]
        w.unsqueeze_(0)
        assert tuple(w.shape) == (1, 3)
        w.fill_(5.0)
        assert float(v[0, 1]) == 5.0


def _through_views(fw, x, s):
    y = x * 1
    y[1:].index_add_(0, fw.tensor([1, 1]), s)  # a write into a view: the base's gradient follows
    v = y[:, 1:3]
    v.t_()  # a view stays a view of y after an in-place shape change
    v.mul_(2)
    v.index_fill_(0, fw.tensor([0]), 5.0)
    y.diagonal().mul_(s[0, 0])  # diagonal is a view too
    z = x * 2
    z.unsqueeze_(0)
    z.transpose_(0, 2)
    w = x * 1
    w.masked_scatter_(fw.tensor([True, False, True, False]), s)
    w.scatter_reduce_(0, fw.tensor([[0, 1, 0, 1]]), s[:1], "mean", include_self=False)
    return y * y, z * x.T.unsqueeze(-1), w.t()


def _reshaped_view_written(fw, x, s):
    base = fw.zeros(3, 4)
    v = base[1]
    v.unsqueeze_(0)  # no grad yet: v stays a view of base, now of shape (1, 4)
    v.copy_(x[:1] * 2)
    v.t_()
    v.mul_(s[:1].T)
    return base


def test_in_place_ops_through_views_and_shape_changes():
    same(_reshaped_view_written, A34, A34 + 1)
    same(_through_views, A34, A34[:2] * 3)
    same(lambda fw, x, s: _through_views(fw, x, s)[2] * s[0, 0], A34, A34[:2] * 3)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax"])
@pytest.mark.parametrize("changed", ["out", "self", "src"])
def test_scatter_reduce_saves_its_tensors(reduce, changed):
    # as torch's, scatter_reduce's backward may read self, src and the result: changing one in
    # place afterwards raises at backward
    for fw in (pn, torch):
        a, b = fw.tensor(A34, requires_grad=True) * 1, fw.tensor(A34[:1], requires_grad=True) * 1
        w = a.scatter_reduce(0, fw.tensor([[0, 1, 0, 1]]), b, reduce)
        {"out": w, "self": a, "src": b}[changed].mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            w.sum().backward()
    w = pn.tensor(A34, requires_grad=True) * 1
    w.scatter_reduce_(0, pn.tensor([[0, 1, 0, 1]]), pn.tensor(A34[:1]), reduce)
    w.masked_scatter_(pn.tensor([True, False, True, False]), pn.tensor(A34))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.sum().backward()


# the index or mask each op's node saves, changed in place before backward: torch raises (an
# unchanged count of True in masked_scatter's mask used to give a silently wrong gradient)
SAVED_INDEX = {
    "masked_scatter": lambda fw, a, s, i, m: a.masked_scatter(m, s),
    "masked_scatter_": lambda fw, a, s, i, m: (a * 1).masked_scatter_(m, s),
    "put": lambda fw, a, s, i, m: a.put(i, s[:2]),
    "put_": lambda fw, a, s, i, m: (a * 1).put_(i, s[:2], accumulate=True),
    "scatter_reduce": lambda fw, a, s, i, m: a.scatter_reduce(0, i, s[:2], "sum"),
    "scatter_reduce_": lambda fw, a, s, i, m: (a * 1).scatter_reduce_(0, i, s[:2], "amax"),
    "index_reduce": lambda fw, a, s, i, m: a.index_reduce(0, i, s[:2], "prod"),
}


@pytest.mark.parametrize("op", sorted(SAVED_INDEX))
def test_an_index_or_mask_changed_after_use_raises_as_torch(op):
    for fw in (pn, torch):
        a = fw.tensor(V5[:4], requires_grad=True)
        s = fw.tensor(V5[1:], requires_grad=True)
        i, m = fw.tensor([0, 2]), fw.tensor([True, False, True, False])
        y = SAVED_INDEX[op](fw, a, s, i, m)
        (m.copy_(fw.tensor([False, True, True, False])) if "masked" in op else i.fill_(1))
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
    same(
        lambda fw, a, s: SAVED_INDEX[op](fw, a, s, fw.tensor([0, 2]), fw.tensor([True, False, True, False])),
        V5[:4],
        V5[1:],
    )


# ----------------------------------------------------------------------------- errors
ERRORS = {
    "dim_out_of_range": lambda fw, x: fw.diagonal(x, 0, 0, 5),
    "diagonal_same_dims": lambda fw, x: x.diagonal(0, 1, -1),
    "tensor_split_0": lambda fw, x: x.tensor_split(0),
    "tensor_split_float": lambda fw, x: x.tensor_split(fw.tensor([1.0])),
    "tensor_split_0d": lambda fw, x: x[0, 0].tensor_split(2),
    "tensor_split_dim": lambda fw, x: x.tensor_split(2, 3),
    "hsplit_uneven": lambda fw, x: fw.hsplit(x, 3),
    "vsplit_1d": lambda fw, x: fw.vsplit(x[0], 2),
    "take_float": lambda fw, x: x.take(fw.tensor([1.0])),
    "take_range": lambda fw, x: x.take(fw.tensor([12])),
    "take_neg_range": lambda fw, x: x.take(fw.tensor([-13])),
    "take_along_range": lambda fw, x: fw.take_along_dim(x, fw.tensor([-1])),
    "index_add_range": lambda fw, x: x.index_add(0, fw.tensor([3]), x[:1]),
    "index_add_neg": lambda fw, x: x.index_add(0, fw.tensor([-1]), x[:1]),
    "index_add_float_index": lambda fw, x: x.index_add(0, fw.tensor([0.0]), x[:1]),
    "index_add_dtype": lambda fw, x: x.index_add(0, fw.tensor([0]), x[:1].double()),
    "index_add_shape": lambda fw, x: x.index_add(0, fw.tensor([0]), x[:1, :2]),
    "index_add_dim": lambda fw, x: x.index_add(2, fw.tensor([0]), x[:1]),
    "index_copy_neg": lambda fw, x: x.index_copy(0, fw.tensor([-1]), x[:1]),
    "index_fill_range": lambda fw, x: x.index_fill(1, fw.tensor([4]), 1.0),
    "index_fill_vector": lambda fw, x: x.index_fill(1, fw.tensor([0]), fw.ones(2)),
    "index_put_none": lambda fw, x: x.index_put((None, fw.tensor([1])), fw.tensor(1.0)),
    "index_put_list": lambda fw, x: x.index_put(([1],), fw.tensor(1.0)),
    "index_put_scalar": lambda fw, x: x.index_put((fw.tensor([1]),), 1.0),
    "index_put__scalar": lambda fw, x: x.index_put_((fw.tensor([1]),), 1.0),
    "select_scatter_scalar": lambda fw, x: x.select_scatter(1.0, 0, 0),
    "slice_scatter_scalar": lambda fw, x: x.slice_scatter(1.0),
    "diagonal_scatter_scalar": lambda fw, x: x.diagonal_scatter(1.0),
    "index_add_scalar": lambda fw, x: x.index_add(0, fw.tensor([0]), 1.0),
    "index_copy_scalar": lambda fw, x: x.index_copy(0, fw.tensor([0]), 1.0),
    "masked_scatter_scalar": lambda fw, x: x.masked_scatter(x > 0, 1.0),
    "put_scalar": lambda fw, x: x.put(fw.tensor([0]), 1.0),
    "scatter_reduce_scalar": lambda fw, x: x.scatter_reduce(0, fw.tensor([[0]]), 1.0, "sum"),
    "index_put_float": lambda fw, x: x.index_put((fw.tensor([1.0]),), fw.tensor(1.0)),
    "index_put_dtype": lambda fw, x: x.index_put((fw.tensor([1]),), fw.ones(4, dtype=fw.float64)),
    "index_put_range": lambda fw, x: x.index_put((fw.tensor([3]),), fw.tensor(1.0)),
    "index_put_shape": lambda fw, x: x.index_put((fw.tensor([1]),), fw.ones(3)),
    "index_put_acc_range": lambda fw, x: x.index_put((fw.tensor([5]),), fw.tensor(1.0), accumulate=True),
    "put_range": lambda fw, x: x.put(fw.tensor([12]), fw.ones(1)),
    "masked_scatter_int_mask": lambda fw, x: x.masked_scatter(fw.tensor([1, 0, 1, 0]), x),
    "masked_scatter_short": lambda fw, x: x.masked_scatter(x > -10, x[0]),
    "select_scatter_shape": lambda fw, x: x.select_scatter(fw.ones(3), 0, 0),
    "select_scatter_range": lambda fw, x: x.select_scatter(fw.ones(4), 0, 3),
    "slice_scatter_shape": lambda fw, x: x.slice_scatter(fw.ones(1, 4), 0, 0, 2),
    "diagonal_scatter_shape": lambda fw, x: x.diagonal_scatter(fw.ones(4)),
    "scatter_reduce_bad": lambda fw, x: x.scatter_reduce(0, fw.tensor([[0]]), x, "maximum"),
    "scatter_reduce_range": lambda fw, x: x.scatter_reduce(0, fw.tensor([[3]]), x, "sum"),
    "scatter_reduce_float_index": lambda fw, x: x.scatter_reduce(0, fw.tensor([[0.0]]), x, "sum"),
    "scatter_reduce_ndim": lambda fw, x: x.scatter_reduce(0, fw.tensor([0]), x, "sum"),
    "scatter_reduce_bool_mean": lambda fw, x: (x > 0).scatter_reduce(0, fw.tensor([[0]]), x > 1, "mean"),
    "scatter_reduce_dtype": lambda fw, x: x.scatter_reduce(0, fw.tensor([[0]]), x.double(), "sum"),
    "rot90_dims": lambda fw, x: x.rot90(1, [0]),
    "rot90_same": lambda fw, x: x.rot90(1, [1, 1]),
    "rot90_1d": lambda fw, x: x[0].rot90(),
    "flipud_0d": lambda fw, x: x[0, 0].flipud(),
    "fliplr_1d": lambda fw, x: x[0].fliplr(),
    "unfold_size": lambda fw, x: x.unfold(0, 4, 1),
    "unfold_step": lambda fw, x: x.unfold(0, 2, 0),
    "unfold_dim": lambda fw, x: x.unfold(2, 1, 1),
    "diff_0d": lambda fw, x: x[0, 0].diff(),
    "diff_scalar_prepend": lambda fw, x: x.diff(prepend=1.0),
    "diff_dim": lambda fw, x: x.diff(dim=2),
    "diff_shape": lambda fw, x: x.diff(prepend=x[:1, :1]),
    "H_1d": lambda fw, x: x[0].H,
    "mH_1d": lambda fw, x: x[0].mH,
    "adjoint_1d": lambda fw, x: x[0].adjoint(),
    "index_reduce_sum": lambda fw, x: x.index_reduce(0, fw.tensor([0]), x[:1], "sum"),
    "index_reduce_range": lambda fw, x: x.index_reduce(0, fw.tensor([3]), x[:1], "prod"),
    "unravel_index_float": lambda fw, x: fw.unravel_index(fw.tensor([1.0]), (2, 3)),
    "unravel_index_negative_shape": lambda fw, x: fw.unravel_index(fw.tensor([1]), (2, -3)),
    "fill_diagonal_1d": lambda fw, x: x[0].fill_diagonal_(1.0),
    "fill_diagonal_3d": lambda fw, x: x.unsqueeze(0).fill_diagonal_(1.0),
    "broadcast_to": lambda fw, x: fw.broadcast_to(x, (2, 4)),
    "broadcast_tensors": lambda fw, x: fw.broadcast_tensors(x, x[:2]),
    "broadcast_shapes": lambda fw, x: fw.broadcast_shapes((3,), (2,)),
    "block_diag_3d": lambda fw, x: fw.block_diag(x, x.unsqueeze(0)),
    "combinations_2d": lambda fw, x: fw.combinations(x),
    "cartesian_prod_2d": lambda fw, x: fw.cartesian_prod(x, x),
    "cartesian_prod_dtypes": lambda fw, x: fw.cartesian_prod(x[0], x[0].long()),
    "swapdims_range": lambda fw, x: fw.swapdims(x, 0, 2),
    "moveaxis_range": lambda fw, x: fw.moveaxis(x, 3, 0),
    "unsqueeze__range": lambda fw, x: x.unsqueeze_(4),
    "transpose__range": lambda fw, x: x.transpose_(0, 2),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_like_torch(name):
    raises_like(ERRORS[name], A34)


def test_dim_errors_are_index_errors():
    x = pn.tensor(A34)
    for op in (
        lambda: x.diagonal(0, 2, 0),
        lambda: x.tensor_split(2, -3),
        lambda: x.unfold(5, 1, 1),
        lambda: x.diff(dim=-3),
        lambda: x.index_add(2, pn.tensor([0]), x),
        lambda: x.select_scatter(x[0], 2, 0),
        lambda: x.scatter_reduce(2, pn.tensor([[0]]), x, "sum"),
        lambda: pn.diag_embed(x, 0, 0, 3),
    ):
        with pytest.raises(IndexError):
            op()


def test_joining_promotes_like_torch():
    ints, floats = np.arange(12).reshape(3, 4), A34
    for fn in (
        lambda fw, a, b: fw.hstack([a, b]),
        lambda fw, a, b: fw.vstack([a, b]),
        lambda fw, a, b: fw.dstack([a, b]),
        lambda fw, a, b: fw.column_stack([a, b]),
        lambda fw, a, b: fw.block_diag(a, b),
        lambda fw, a, b: fw.diff(b, append=a),
        lambda fw, a, b: fw.diff(a, prepend=b),
    ):
        same(fn, ints, floats)
        same(fn, ints > 3, ints.astype(np.int32))


def test_grad_fn_names_like_torch():
    names = {
        "IndexAddBackward0": lambda fw, x: x.index_add(0, fw.tensor([0]), x[:1]),
        "IndexCopyBackward0": lambda fw, x: x.index_copy(0, fw.tensor([0]), x[:1]),
        "IndexFillBackward0": lambda fw, x: x.index_fill(0, fw.tensor([0]), 1.0),
        "IndexFillBackward1": lambda fw, x: x.index_fill(0, fw.tensor([0]), x[0, 0]),
        "IndexPutBackward0": lambda fw, x: x.index_put((fw.tensor([0]),), x[0]),
        "PutBackward0": lambda fw, x: x.put(fw.tensor([0]), x[0, :1]),
        "MaskedScatterBackward0": lambda fw, x: x.masked_scatter(x > 0, x),
        "SelectScatterBackward0": lambda fw, x: x.select_scatter(x[0], 0, 0),
        "SliceScatterBackward0": lambda fw, x: x.slice_scatter(x[:1], 0, 0, 1),
        "DiagonalScatterBackward0": lambda fw, x: x.diagonal_scatter(x[0, :3]),
        "DiagEmbedBackward0": lambda fw, x: x.diag_embed(),
        "ScatterReduceBackward0": lambda fw, x: x.scatter_reduce(0, fw.tensor([[0]]), x, "sum"),
    }
    for name, fn in names.items():
        for fw in (pn, torch):
            assert type(fn(fw, fw.tensor(A34, requires_grad=True) * 1).grad_fn).__name__ == name


@pytest.mark.parametrize(
    "key",
    [
        [[0, 1], [1, 0]],
        [[0, 2]],
        [0, [1]],
        [slice(0, 2), 1],
        [0, None],
        [Ellipsis, 1],
        [0, 1],  # a plain list of ints stays one index
        [True, False, True],
    ],
)
def test_a_short_list_holding_sequences_is_a_tuple_of_indices(key):
    """torch 2.13 (like NumPy before 1.23) reads x[[rows, cols]] as x[rows, cols], with a warning."""
    import warnings

    x = np.arange(12).reshape(3, 4)
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        theirs = torch.from_numpy(x)[key]
        target_t = torch.zeros(3, 4, dtype=torch.int64)
        target_t[key] = 7
    with warnings.catch_warnings(record=True) as mine_w:
        warnings.simplefilter("always")
        mine = pn.from_numpy(x)[key]
        target_p = pn.zeros(3, 4, dtype=pn.int64)
        target_p[key] = 7
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    np.testing.assert_array_equal(target_p.numpy(), target_t.numpy())
    assert len(mine_w) == len(theirs_w)


def test_a_list_of_index_tensors_is_a_tuple_of_indices():
    x = np.arange(12).reshape(3, 4)
    rows, cols = [0, 2], [1, 3]
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        got = pn.from_numpy(x)[[pn.tensor(rows), pn.tensor(cols)]]
    np.testing.assert_array_equal(got.numpy(), x[rows, cols])


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda fw, x, s: x.scatter_add(1, fw.zeros(1, 0, dtype=fw.int64), s), [(1, 1), (1, 1)]),
        (
            lambda fw, x, s: x.scatter(0, fw.zeros(1, 3, 0, 0, dtype=fw.int64), s),
            [(1, 1, 1, 1), (1, 3, 1, 0)],
        ),
    ],
)
def test_scatter_with_an_empty_index_and_a_larger_src(fn, shapes):
    """Refused before: backward took the index's shape as the largest of its open grids (1 where
    the index is empty) and could not place src's zero gradient."""
    same(fn, *(RNG.standard_normal(s).astype(np.float32) for s in shapes))


@pytest.mark.parametrize("a, b, dim", [((0, 3), (1, 3), 1), ((0, 1, 3), (1, 1, 3), 2), ((2, 3), (1, 3), 1)])
def test_cross_broadcasts_against_an_empty_batch(a, b, dim):
    """Refused before: the common shape was each dim's larger size (1 against 0 is 0)."""
    same(
        lambda fw, x, y: fw.linalg.cross(x, y, dim=dim),
        RNG.standard_normal(a).astype(np.float32),
        RNG.standard_normal(b).astype(np.float32),
    )
    same(
        lambda fw, x, y: fw.cross(x, y, dim=dim),
        RNG.standard_normal(a).astype(np.float32),
        RNG.standard_normal(b).astype(np.float32),
    )


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda T: T.ones(2).repeat_interleave(T.tensor([1.0, 2.0])), NotImplementedError),
        (lambda T: T.cross(T.tensor([1, 2, 3]), T.tensor([1.0, 0, 0]), dim=0), RuntimeError),
        (lambda T: T.linalg.cross(T.tensor([1.0, 2, 3]), T.tensor([1, 0, 0])), RuntimeError),
    ],
)
def test_refused_dtypes_as_torch(call, error):
    """Before: float repeat counts raised NumPy's cast TypeError (not torch's NotImplementedError);
    cross of int64 and float computed where torch's one-dtype kernel refuses."""
    for fw in (pn, torch):
        with pytest.raises(error):
            call(fw)


BYTE_AND_FLOAT_KEYS = {
    # a NumPy uint8 array is torch's byte mask as a uint8 tensor is (it was read as indices here)
    "np_uint8_mask": lambda T, x: x[np.array([1, 0, 1, 1], dtype=np.uint8)],
    "np_uint8_mask_2d": lambda T, x: x.reshape(2, 2)[np.array([[1, 0], [0, 1]], dtype=np.uint8)],
    "np_uint8_mask_then_int": lambda T, x: x.reshape(2, 2)[np.array([0, 1], dtype=np.uint8), 0],
    "uint8_tensor_mask": lambda T, x: x[T.tensor([1, 0, 1, 1], dtype=T.uint8)],
    # assigning a number or 0-d tensor through a byte mask is torch's RuntimeError; values go in
    "np_uint8_mask_set_number": lambda T, x: x.__setitem__(np.array([1, 0, 0, 1], dtype=np.uint8), -1),
    "uint8_mask_set_number": lambda T, x: x.__setitem__(T.tensor([1, 0, 0, 1], dtype=T.uint8), -1),
    "uint8_mask_set_0d": lambda T, x: x.__setitem__(T.tensor([1, 0, 0, 1], dtype=T.uint8), T.tensor(-1)),
    "uint8_mask_and_int_set": lambda T, x: x.reshape(2, 2).__setitem__(
        (T.tensor([1, 0], dtype=T.uint8), 0), 9
    ),
    "uint8_mask_set_values": lambda T, x: (
        x.__setitem__(T.tensor([1, 0, 1, 1], dtype=T.uint8), T.tensor([-1, -2, -3])),
        x,
    )[1],
    "uint8_mask_set_one_value": lambda T, x: (  # (torch drops the value's leading 1s first)
        x.__setitem__(T.tensor([1, 0, 1, 1], dtype=T.uint8), T.tensor([-5])),
        x,
    )[1],
    # floats in a list or array: torch's long indices (truncated toward zero)
    "list_of_floats": lambda T, x: x[[1.7, 2.2]],
    "np_floats": lambda T, x: x[np.array([1.7, -1.2])],
    "np_float32_set": lambda T, x: (x.__setitem__(np.array([0.0, 3.0], dtype=np.float32), 7), x)[1],
    "np_int8": lambda T, x: x[np.array([1, 0], dtype=np.int8)],
    "np_int16_set": lambda T, x: (x.__setitem__(np.array([2], dtype=np.int16), 5), x)[1],
    # (a float or int8 tensor stays refused)
    "float_tensor": lambda T, x: x[T.tensor([1.0])],
    "int8_tensor": lambda T, x: x[T.tensor([1], dtype=T.int8)],
}


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8")
@pytest.mark.parametrize("name", sorted(BYTE_AND_FLOAT_KEYS))
def test_byte_masks_and_float_sequences_as_torch_reads_them(name):
    outcomes = []
    for fw in (pn, torch):
        try:
            outcomes.append(("returns", BYTE_AND_FLOAT_KEYS[name](fw, fw.arange(4) * 10).tolist()))
        except Exception as exc:  # (the class is compared)
            outcomes.append(("raises", exc))
    mine, theirs = outcomes
    if theirs[0] == "raises":
        assert mine[0] == "raises", mine
        assert isinstance(mine[1], type(theirs[1])), (mine[1], theirs[1])
    else:
        assert mine == theirs


def test_a_byte_mask_warns_at_the_line_that_indexes():
    x = pn.arange(4)
    with pytest.warns(UserWarning, match="uint8 is now deprecated") as record:
        x[np.array([1, 0, 1, 1], dtype=np.uint8)]
    assert record[0].filename == __file__
