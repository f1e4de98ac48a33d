"""Sparse gradients against torch: Embedding / F.embedding / EmbeddingBag with sparse=True give a
sparse COO .grad (rows (1, nnz) of values (nnz, D), uncoalesced, none for padding_idx), which
accumulates side by side over backward calls; zero_grad; SGD (with momentum), Adagrad and
SparseAdam update from it step by step as torch's; the other optimizers and gradient clipping
refuse it with torch's exception classes; a checkpoint holding one loads (weights_only too).
Each case runs the same code under torch and pyneuro (T is the module)."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")  # (torch's, in Adagrad)

W0 = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)


def _emb(T, **kw):
    return T.nn.Embedding.from_pretrained(T.tensor(W0), freeze=False, sparse=True, **kw)


def _np(t):
    if getattr(t, "is_sparse", False):
        t = t.to_dense()
    return t.detach().numpy()


def _same_sparse(ours, theirs):
    """The same sparse tensor: layout, sizes, nnz, the entries in the same order, the flag."""
    assert ours.is_sparse and theirs.is_sparse
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert (ours.sparse_dim(), ours.dense_dim()) == (theirs.sparse_dim(), theirs.dense_dim())
    assert ours._nnz() == theirs._nnz()
    assert ours.is_coalesced() == theirs.is_coalesced()
    np.testing.assert_array_equal(ours._indices().numpy(), theirs._indices().numpy())
    np.testing.assert_allclose(ours._values().numpy(), theirs._values().numpy(), rtol=1e-6)
    c, tc = ours.coalesce(), theirs.coalesce()
    np.testing.assert_array_equal(c.indices().numpy(), tc.indices().numpy())
    np.testing.assert_allclose(c.values().numpy(), tc.values().numpy(), rtol=1e-6)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6)


GRAD_CASES = {  # each: (loss, the leaf weight)
    "embedding": lambda T: _loss(_emb(T), T.tensor([[4, 0, 3], [0, 6, 1]]), power=2),
    "padding_idx": lambda T: _loss(_emb(T, padding_idx=1), T.tensor([[4, 1, 3], [0, 4, 1]])),
    "one entry (coalesced)": lambda T: _loss(_emb(T), T.tensor([5])),
    "only padding": lambda T: _loss(_emb(T, padding_idx=2), T.tensor([2, 2])),
    "F.embedding": lambda T: _functional(T),
    "two lookups, one graph": lambda T: _two_lookups(T),
    "bag mean": lambda T: _loss(_bag(T, "mean"), T.tensor([0, 2, 2, 4]), T.tensor([0, 1]), power=2),
    "bag sum, padding": lambda T: _loss(_bag(T, "sum", padding_idx=2), T.tensor([[0, 2], [2, 4]])),
    "bag sum, per_sample_weights": lambda T: _loss(
        _bag(T, "sum"), T.tensor([1, 3, 3]), T.tensor([0, 2]), per_sample_weights=T.tensor([0.5, 2.0, -1.0])
    ),
}


def _loss(module, *args, power=1, **kw):
    return module(*args, **kw).pow(power).sum(), module.weight


def _functional(T):
    w = T.tensor(W0, requires_grad=True)
    return T.nn.functional.embedding(T.tensor([2, 2, 5]), w, sparse=True).sum(), w


def _two_lookups(T):
    e = _emb(T)
    return e(T.tensor([4, 0, 3])).sum() + 2 * e(T.tensor([5, 1])).sum(), e.weight


def _bag(T, mode, **kw):
    return T.nn.EmbeddingBag.from_pretrained(T.tensor(W0), freeze=False, mode=mode, sparse=True, **kw)


def _leaf_grad(T, name):
    loss, leaf = GRAD_CASES[name](T)
    loss.backward()
    return leaf.grad


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_sparse_grad_matches_torch(name):
    _same_sparse(_leaf_grad(pn, name), _leaf_grad(torch, name))


def test_sparse_grad_printed_as_torch():
    def run(T):
        e = _emb(T, padding_idx=1)
        e(T.tensor([[4, 1, 3], [0, 4, 1]])).sum().backward()
        g = e.weight.grad
        out = [repr(g), repr(g.coalesce())]
        e.zero_grad(set_to_none=False)
        return [*out, repr(e.weight.grad), repr(e)]

    assert run(pn) == run(torch)


def test_accumulation_retain_graph_and_zero_grad():
    def run(T):
        e = _emb(T)
        y = e(T.tensor([4, 0, 3, 0])).sum()
        y.backward(retain_graph=True)
        y.backward()
        first = e.weight.grad
        e(T.tensor([5, 1])).pow(2).sum().backward()  # concatenated, uncoalesced
        after = e.weight.grad
        e.zero_grad(set_to_none=False)  # no entries left, the same size
        zeroed = (e.weight.grad._nnz(), tuple(e.weight.grad.shape), e.weight.grad.is_sparse)
        e(T.tensor([2])).sum().backward()
        again = e.weight.grad
        e.zero_grad()
        return first, after, zeroed, again, e.weight.grad

    ours, theirs = run(pn), run(torch)
    for i in (0, 1, 3):
        _same_sparse(ours[i], theirs[i])
    assert ours[2] == theirs[2] and ours[4] is None and theirs[4] is None


def test_dense_and_sparse_gradients_of_one_weight():
    """A tied weight (looked up sparse, also used densely): the sum is a dense .grad, whichever comes first."""

    def run(T):
        e, x = _emb(T), T.tensor([4, 0, 3, 0])
        (e(x) @ e.weight.t()).sum().backward()
        tied = e.weight.grad
        e.weight.grad = None
        (e.weight**2).sum().backward()
        e(x).sum().backward()
        dense_first = e.weight.grad
        e.weight.grad = None
        e(x).sum().backward()
        (e.weight**2).sum().backward()
        return tied, dense_first, e.weight.grad

    for ours, theirs in zip(run(pn), run(torch)):
        assert not ours.is_sparse and not theirs.is_sparse
        np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6)


def test_hooks_and_autograd_grad_see_the_sparse_gradient():
    def run(T):
        e = _emb(T)
        seen = []
        e.weight.register_hook(lambda g: seen.append((g.is_sparse, g._nnz())))
        e.weight.register_hook(lambda g: g * 2)
        (e(T.tensor([4, 0])).sum() + e(T.tensor([1])).sum()).backward()
        (g,) = T.autograd.grad(e(T.tensor([3, 3])).sum(), e.weight)
        return seen, e.weight.grad, g

    ours, theirs = run(pn), run(torch)
    assert ours[0] == theirs[0]
    _same_sparse(ours[1], theirs[1])
    _same_sparse(ours[2], theirs[2])


def test_assigning_a_sparse_grad():
    def run(T):
        e = _emb(T)
        e(T.tensor([4, 0])).sum().backward()
        w = T.zeros(7, 3, requires_grad=True)
        w.grad = e.weight.grad
        try:
            w.grad = T.zeros(7, 2).to_sparse()
        except RuntimeError as err:
            return w.grad.is_sparse, type(err)

    assert run(pn) == run(torch)


def test_embedding_bag_max_refuses_sparse():
    for T in (pn, torch):
        with pytest.raises(ValueError, match="max mode does not support sparse weights"):
            _bag(T, "max")(T.tensor([[0, 2]]))


def _grad_of(T, dtype=None):
    e = _emb(T)
    if dtype is not None:
        e = e.to(dtype)
    e(T.tensor([1, 2, 2])).sum().backward()
    e(T.tensor([3])).sum().backward()
    return e.weight.grad


SPARSE_OPS = {
    "float64 printed": lambda T: repr(_grad_of(T, T.float64)).replace("pyneuro.", "torch."),
    "requires_grad printed": lambda T: repr(
        T.sparse_coo_tensor(T.tensor([[0, 1], [1, 0]]), T.tensor([1.0, 2.0]), (3, 2), requires_grad=True) * 2
    ),
    "abs coalesces": lambda T: repr(_grad_of(T).abs()),
    "isnan": lambda T: repr(_grad_of(T).isnan()),
    "pow": lambda T: repr(_grad_of(T).pow(2)),
    "sum": lambda T: _grad_of(T).sum().item(),
    "norm": lambda T: round(_grad_of(T).norm().item(), 5),
    "times 2 to_dense": lambda T: _grad_of(T).mul(2).to_dense().tolist(),
    "numpy": lambda T: _grad_of(T).numpy(),
    "item": lambda T: _grad_of(T).item(),
    "mean": lambda T: _grad_of(T).mean(),
    "max": lambda T: _grad_of(T).max(),
    "view": lambda T: _grad_of(T).view(-1),
    "parameters_to_vector": lambda T: T.nn.utils.parameters_to_vector([_grad_of(T)]),
    "data": lambda T: _grad_of(T).data.is_sparse,
}


@pytest.mark.parametrize("name", sorted(SPARSE_OPS))
def test_what_a_sparse_grad_does_as_torch(name):
    def run(T):
        try:
            return SPARSE_OPS[name](T)
        except Exception as err:  # (the class is what is compared)
            return type(err)

    ours, theirs = run(pn), run(torch)
    if isinstance(theirs, type):
        assert isinstance(ours, type) and issubclass(ours, theirs), (ours, theirs)
    else:
        assert ours == theirs
