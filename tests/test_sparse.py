"""COO sparse tensors (pyneuro/_sparse_coo.py, pyneuro.sparse) against torch: construction,
coalesce, to_dense/to_sparse, sums, sparse @ dense and dense @ sparse with their gradients, the
printed form, the errors torch raises, and the graph-convolution example's training loop."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")  # (torch's, on every construction)


def _s(T, values=(1.0, 2.0, 3.0)):
    return T.sparse_coo_tensor(T.tensor([[0, 1, 1], [1, 0, 0]]), T.tensor(list(values)), (2, 2))


def _same(ours, theirs):
    if isinstance(theirs, (int, float, bool, str)):
        assert ours == theirs
        return
    if getattr(theirs, "is_sparse", False):
        assert ours.is_sparse
        ours, theirs = ours.to_dense(), theirs.to_dense()
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


CASES = {
    "to_dense": lambda T: _s(T).to_dense(),
    "coalesce": lambda T: _s(T).coalesce().values(),
    "coalesce indices": lambda T: _s(T).coalesce().indices(),
    "nnz": lambda T: _s(T)._nnz(),
    "nnz coalesced": lambda T: _s(T).coalesce()._nnz(),
    "is_coalesced": lambda T: _s(T).coalesce().is_coalesced(),
    "sum": lambda T: T.sum(_s(T)),
    "sparse.sum(dim=1)": lambda T: T.sparse.sum(_s(T), dim=1),
    "sparse.sum(dim=0).to_dense": lambda T: T.sparse.sum(_s(T), dim=0).to_dense(),
    "times 2": lambda T: _s(T) * 2,
    "dense + sparse": lambda T: T.eye(2) + _s(T),
    "dense - sparse": lambda T: T.eye(2) - _s(T),
    "sparse + sparse": lambda T: (_s(T) + _s(T, (4.0, 5.0, 6.0))).coalesce(),
    "t": lambda T: _s(T).t(),
    "sparse @ dense": lambda T: _s(T) @ T.arange(6.0).reshape(2, 3),
    "sparse @ vector": lambda T: _s(T) @ T.tensor([1.0, -1.0]),
    "dense @ sparse": lambda T: T.arange(6.0).reshape(3, 2) @ _s(T),
    "matmul sparse, dense": lambda T: T.matmul(_s(T), T.arange(6.0).reshape(2, 3)),
    "matmul sparse, vector": lambda T: T.matmul(_s(T), T.tensor([1.0, -1.0])),
    "matmul sparse, sparse": lambda T: T.matmul(_s(T), _s(T)),
    "matmul dense, sparse": lambda T: T.matmul(T.arange(6.0).reshape(3, 2), _s(T)),
    "matmul shape mismatch": lambda T: T.matmul(_s(T), T.ones(3, 2)),
    "mm": lambda T: T.mm(_s(T), T.ones(2, 4)),
    "spmm": lambda T: T.spmm(_s(T), T.ones(2, 4)),
    "sparse.mm of two sparse": lambda T: T.sparse.mm(_s(T), _s(T)),
    "to_sparse": lambda T: T.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse().values(),
    "to_sparse indices": lambda T: T.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse().indices(),
    "diag to_sparse @ dense": lambda T: T.diag(T.tensor([1.0, 2.0])).to_sparse() @ T.ones(2, 2),
    "int64 values, dtype=": lambda T: (
        T.eye(2) + T.sparse_coo_tensor(np.array([[0, 1], [1, 0]], np.int32), T.ones(2), (2, 2), dtype=T.int64)
    ),
    "empty": lambda T: T.sparse_coo_tensor(T.zeros(2, 0, dtype=T.long), T.zeros(0), (3, 3)).to_dense(),
    "indices of uncoalesced": lambda T: _s(T).indices(),
    "sparse + dense": lambda T: _s(T) + T.eye(2),
    "index out of size": lambda T: T.sparse_coo_tensor(
        T.tensor([[0, 2]]), T.ones(2), (2,), check_invariants=True
    ),
    "mm shape mismatch": lambda T: _s(T) @ T.ones(3, 2),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sparse_matches_torch(case):
    try:
        theirs = CASES[case](torch)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            CASES[case](pn)
        return
    _same(CASES[case](pn), theirs)


def test_printed_form_is_torchs():
    for make in (
        lambda T: _s(T),
        lambda T: T.sparse_coo_tensor(T.zeros(2, 0, dtype=T.long), T.zeros(0), (3, 3)),
    ):
        ours, theirs = repr(make(pn)), repr(make(torch))
        assert ours == theirs


def test_gradients_reach_the_dense_operand_and_the_values():
    grads = []
    for T in (pn, torch):
        values = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        s = T.sparse_coo_tensor(T.tensor([[0, 1, 1], [1, 0, 0]]), values, (2, 2))
        d = T.arange(6.0).reshape(2, 3).requires_grad_()
        (T.sparse.mm(s, d) * T.arange(6.0).reshape(2, 3) + T.matmul(s, d)).sum().backward()
        grads.append((values.grad.numpy(), d.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def _gcn_losses(T, steps=15):
    """The pytorch/examples GCN (two graph convolutions, Adam, NLL) on a seeded random graph."""
    T.manual_seed(42)
    n = 24
    features = T.rand(n, 10)
    labels = T.randint(0, 3, (n,))
    edges = T.randint(0, n, (2, 60))
    adj = T.eye(n) + T.sparse_coo_tensor(edges, T.ones(60), (n, n), dtype=T.int64)
    degree = T.sqrt(1 / T.sum(adj, dim=1))
    d = T.diag(degree).to_sparse()
    adj = (d @ adj @ d).to_sparse()
    features = features.to_sparse()
    w1 = T.nn.Parameter(T.empty(10, 8))
    w2 = T.nn.Parameter(T.empty(8, 3))
    T.nn.init.xavier_normal_(w1)
    T.nn.init.xavier_normal_(w2)
    opt = T.optim.Adam([w1, w2], lr=0.01, weight_decay=5e-4)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        h = T.relu(T.spmm(adj, T.mm(features, w1)))
        out = T.nn.functional.log_softmax(T.spmm(adj, T.mm(h, w2)), dim=1)
        loss = T.nn.functional.nll_loss(out[:16], labels[:16])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_the_graph_convolution_example_trains_as_torchs():
    np.testing.assert_allclose(_gcn_losses(pn), _gcn_losses(torch), rtol=1e-5)
