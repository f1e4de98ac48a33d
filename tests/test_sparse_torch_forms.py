"""Sparse COO tensors against torch, as graph-learning code uses them: torch's functional forms
given a sparse tensor (torch.mul/add/sub/div/neg/pow/relu/clone/abs/sqrt/t/transpose/index_select/
mv/cat/stack; routed by pyneuro/_arguments.py to the sparse tensor), indexing s[i], the legacy
torch.sparse.FloatTensor, torch.sparse.softmax/log_softmax with their gradients, torch.smm/hspmm,
broadcasting products, negative powers (D^-1/2), grad_fn names and the printed form of long tensors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore")  # (torch's invariant-check and deprecation warnings)


def _s(T, values=(1.0, 2.0, 3.0, 4.0), size=(2, 3)):
    return T.sparse_coo_tensor(T.tensor([[0, 1, 1, 0], [1, 0, 2, 0]]), T.tensor(list(values)), size)


def _host(x):
    if getattr(x, "is_sparse", False):
        x = x.to_dense()
    return x.detach().numpy()


CASES = {
    "torch.mul(s, 2)": lambda T: T.mul(_s(T), 2),
    "torch.mul(s, 0-d)": lambda T: T.mul(_s(T), T.tensor(3.0)),
    "torch.add(s, s)": lambda T: T.add(_s(T), _s(T, (5.0, 6.0, 7.0, 8.0))),
    "torch.add(s, s, alpha)": lambda T: T.add(_s(T), _s(T), alpha=2),
    "torch.sub(s, s)": lambda T: T.sub(_s(T), _s(T, (1.0, 1.0, 1.0, 1.0))),
    "torch.div(s, 2)": lambda T: T.div(_s(T), 2),
    "torch.neg": lambda T: T.neg(_s(T)),
    "torch.pow(s, 2)": lambda T: T.pow(_s(T), 2),
    "s.pow(-0.5)": lambda T: _s(T).pow(-0.5),
    "sparse.sum(s, 1).pow(-0.5)": lambda T: T.sparse.sum(_s(T), 1).pow(-0.5),
    "torch.relu": lambda T: T.relu(_s(T, (1.0, -2.0, 3.0, -4.0))),
    "s.relu()": lambda T: _s(T, (1.0, -2.0, 3.0, -4.0)).relu(),
    "F.relu": lambda T: T.nn.functional.relu(_s(T, (1.0, -2.0, 3.0, -4.0))),
    "torch.clone": lambda T: T.clone(_s(T)),
    "torch.abs": lambda T: T.abs(_s(T, (1.0, -2.0, 3.0, -4.0))),
    "torch.sqrt": lambda T: T.sqrt(_s(T)),
    "torch.t": lambda T: T.t(_s(T)),
    "torch.transpose": lambda T: T.transpose(_s(T), 0, 1),
    "torch.sum(s, 1)": lambda T: T.sum(_s(T), 1),
    "torch.mv": lambda T: T.mv(_s(T), T.tensor([1.0, 2.0, 3.0])),
    "s @ vector": lambda T: _s(T) @ T.tensor([1.0, 2.0, 3.0]),
    "torch.index_select rows": lambda T: T.index_select(_s(T), 0, T.tensor([1, 0, 1])),
    "s.index_select cols": lambda T: _s(T).index_select(1, T.tensor([2, 2, 0])),
    "s[1]": lambda T: _s(T)[1],
    "s[-2]": lambda T: _s(T)[-2],
    "torch.cat dim 0": lambda T: T.cat([_s(T), _s(T, (5.0, 6.0, 7.0, 8.0))]),
    "torch.cat dim 1": lambda T: T.cat([_s(T), _s(T)], dim=1),
    "torch.stack": lambda T: T.stack([_s(T), _s(T)]),
    "torch.stack dim 1": lambda T: T.stack([_s(T), _s(T)], 1),
    "s * column": lambda T: _s(T) * T.tensor([[1.0], [2.0]]),
    "s * row": lambda T: _s(T) * T.tensor([1.0, 2.0, 3.0]),
    "s * s": lambda T: _s(T) * _s(T, (5.0, 6.0, 7.0, 8.0)),
    "s / 0-d": lambda T: _s(T) / T.tensor(2.0),
    "sparse.softmax dim 1": lambda T: T.sparse.softmax(_s(T), 1),
    "sparse.softmax dim 0": lambda T: T.sparse.softmax(_s(T), 0),
    "sparse.log_softmax": lambda T: T.sparse.log_softmax(_s(T), -1),
    "smm": lambda T: T.smm(_s(T), T.arange(6.0).reshape(3, 2)),
    "hspmm": lambda T: T.hspmm(_s(T), T.arange(6.0).reshape(3, 2)),
    "legacy FloatTensor": lambda T: T.sparse.FloatTensor(
        T.tensor([[0, 1], [2, 0]]), T.tensor([1.0, 2.0]), T.Size([2, 3])
    ),
    "legacy FloatTensor no size": lambda T: T.sparse.FloatTensor(
        T.tensor([[0, 1], [2, 0]]), T.tensor([1.0, 2.0])
    ),
    "legacy FloatTensor(*sizes)": lambda T: T.sparse.FloatTensor(2, 3),
    "legacy DoubleTensor": lambda T: T.sparse.DoubleTensor(
        T.tensor([[0, 1]]), T.tensor([1.0, 2.0], dtype=T.float64)
    ),
    "numpy float64 values keep float64": lambda T: T.sparse_coo_tensor(
        np.array([[0, 1], [1, 0]]), np.array([1.0, 2.0]), (2, 2)
    ),
    "list values: the default float": lambda T: T.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], (2, 2)),
    "s.sum(1, keepdim=True)": lambda T: _s(T).sum(1, keepdim=True),
    "s.sum((0, 1), keepdim=True)": lambda T: _s(T).sum((0, 1), keepdim=True),
    **{
        f"torch.{name}": (lambda name: lambda T: getattr(T, name)(_s(T, (0.5, -0.2, 0.1, 0.7))))(name)
        for name in "asin atanh ceil erf erfinv expm1 frac log1p nan_to_num round sgn signbit tan tanh trunc".split()
    },
    "s.tanh()": lambda T: _s(T, (0.5, -0.2, 0.1, 0.7)).tanh(),
    # errors: torch's classes
    "s + 1": lambda T: _s(T) + 1,
    "pow 0": lambda T: _s(T).pow(0),
    "s / dense": lambda T: _s(T) / T.ones(2, 3),
    "sparse.mm(s, vector)": lambda T: T.sparse.mm(_s(T), T.ones(3)),
    "s[2]": lambda T: _s(T)[2],
    "torch.cat sparse, dense": lambda T: T.cat([_s(T), T.ones(2, 3)]),
    "torch.exp": lambda T: T.exp(_s(T)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sparse_forms_match_torch(case):
    try:
        theirs = CASES[case](torch)
    except (RuntimeError, IndexError, NotImplementedError) as exc:
        with pytest.raises(type(exc)):
            CASES[case](pn)
        return
    ours = CASES[case](pn)
    assert getattr(ours, "is_sparse", False) == theirs.is_sparse
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(_host(ours), _host(theirs), rtol=1e-6, atol=1e-7)
    if theirs.is_sparse and theirs.is_coalesced():  # (the stored entries themselves, in torch's order)
        np.testing.assert_array_equal(ours.coalesce().indices().numpy(), theirs.indices().numpy())


@pytest.mark.parametrize(
    "make",
    [
        lambda T: T.index_select(_s(T), 0, T.tensor([1, 0, 1])),
        lambda T: _s(T)[1],
        lambda T: T.cat([_s(T), _s(T)], 1),
        lambda T: T.sparse.softmax(_s(T), 1),
        lambda T: T.smm(_s(T), T.ones(3, 2)),
        lambda T: T.hspmm(_s(T), T.ones(3, 2)),
        lambda T: T.sparse.sum(_s(T), 1).pow(-0.5),
        lambda T: _s(T) * T.tensor([[1.0], [2.0]]),
        lambda T: T.sparse.FloatTensor(2, 3),
        lambda T: _s(T).sum(1, keepdim=True),
        lambda T: T.sparse_coo_tensor(
            T.tensor([[0, 1]]), T.tensor([1.0, 2.0], requires_grad=True), (3,)
        ).to_dense(),
        lambda T: T.ones(2, 2, requires_grad=True) @ _s(T),
        lambda T: T.ones(3, requires_grad=True) @ _s(T).t(),
        lambda T: T.tensor([[0.0, 1.0], [2.0, 0.0]], requires_grad=True).to_sparse(),
        lambda T: T.sparse_coo_tensor(T.tensor([[0, 1]]), T.tensor([1.0, 2.0], requires_grad=True) * 2, (3,)),
        lambda T: T.sparse.softmax(
            T.sparse_coo_tensor(T.tensor([[0, 1]]), T.ones(2, requires_grad=True), (3,)), 0
        ),
    ],
)
def test_printed_form_is_torchs(make):
    assert repr(make(pn)) == repr(make(torch))


@pytest.mark.parametrize("nnz", [12, 30, 200])
def test_long_tensors_print_as_torchs(nnz):
    """The index and value rows wrap where torch's do (their prefixes count towards the width)."""
    text = []
    for T in (pn, torch):
        T.manual_seed(0)
        idx = T.randint(0, 500, (2, nnz))
        text.append(repr(T.sparse_coo_tensor(idx, T.randn(nnz) * 100, (500, 500))))
        text.append(repr(T.sparse_coo_tensor(idx, T.randint(0, 10, (nnz,)), (500, 500))))
    assert text[:2] == text[2:]


def test_legacy_type_names():
    for T in (pn, torch):
        assert _s(T).type() == "torch.sparse.FloatTensor"
        assert _s(T).double().type() == "torch.sparse.DoubleTensor"


@pytest.mark.parametrize("which", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1])
def test_sparse_softmax_gradients_are_torchs(which, dim):
    grads = []
    for T in (pn, torch):
        v = T.tensor([0.5, -1.0, 2.0, 0.25, 1.5], requires_grad=True)
        s = T.sparse_coo_tensor(T.tensor([[0, 1, 1, 0, 2], [1, 0, 2, 0, 2]]), v, (3, 3))
        out = getattr(T.sparse, which)(s, dim)
        (out.to_dense() * T.arange(9.0).reshape(3, 3)).sum().backward()
        grads.append((out.to_dense().detach().numpy(), v.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_degree_normalisation_with_sparse_ops_and_its_gradient():
    """D^-1/2 A D^-1/2 from torch.sparse.sum(...).pow(-0.5) and sparse products; the gradient of
    the edge weights through it (torch.sparse.mm, torch.sparse.sum, pow)."""
    got = []
    for T in (pn, torch):
        w = T.tensor([1.0, 2.0, 0.5, 1.5, 3.0], requires_grad=True)
        idx = T.tensor([[0, 1, 1, 2, 2], [1, 0, 2, 1, 2]])
        adj = T.sparse_coo_tensor(idx, w, (3, 3))
        d = T.sparse.sum(adj, 1).pow(-0.5).to_dense()
        norm = T.sparse.mm(
            T.sparse.mm(T.sparse_coo_tensor(T.arange(3).repeat(2, 1), d, (3, 3)), adj), T.diag(d)
        )
        (norm * T.arange(9.0).reshape(3, 3)).sum().backward()
        got.append((norm.detach().numpy(), w.grad.numpy()))
    for a, b in zip(*got):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def _adjacency_module(T):
    class GraphLayer(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("adj", _s(T))
            self.lin = T.nn.Linear(3, 2)

        def forward(self, x):
            return T.sparse.mm(self.adj, self.lin(x))

    return GraphLayer()


def test_a_sparse_buffer_moves_saves_and_loads_as_torchs():
    """A GCN layer keeping its adjacency as a buffer (torch allows a sparse one): state_dict,
    load_state_dict, the casts of Module, torch.save/load and assigning a new one."""
    import io

    got = []
    for T in (pn, torch):
        T.manual_seed(0)
        m, other = _adjacency_module(T), _adjacency_module(T)
        other.adj = T.sparse_coo_tensor(T.tensor([[1], [1]]), T.tensor([5.0]), (2, 3))
        m.load_state_dict(other.state_dict())
        m.double().float().to("cpu")
        buf = io.BytesIO()
        T.save(m.state_dict(), buf)
        buf.seek(0)
        loaded = T.load(buf)["adj"]
        with pytest.raises(TypeError):  # (a dense-only rule still refuses other objects)
            m.register_buffer("bad", [1.0])
        got.append(
            (
                list(m.state_dict()),
                str(m.adj.dtype),
                _host(loaded),
                _host(m(T.ones(3, 3))),
                [n for n, _ in m.named_buffers()],
            )
        )
    assert got[0][0] == got[1][0] and got[0][4] == got[1][4]
    assert got[0][1].split(".")[-1] == got[1][1].split(".")[-1]
    for a, b in zip(got[0][2:4], got[1][2:4]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def _special_spmm(T):
    """pyGAT's SpecialSpmmFunction: a custom Function saving a sparse tensor for its backward."""

    class SpecialSpmmFunction(T.autograd.Function):
        @staticmethod
        def forward(ctx, indices, values, shape, b):
            a = T.sparse_coo_tensor(indices, values, shape)
            ctx.save_for_backward(a, b)
            ctx.N = shape[0]
            return T.matmul(a, b)

        @staticmethod
        def backward(ctx, grad_output):
            a, b = ctx.saved_tensors
            grad_values = grad_b = None
            if ctx.needs_input_grad[1]:
                grad_a_dense = grad_output.matmul(b.t())
                edge_idx = a._indices()[0, :] * ctx.N + a._indices()[1, :]
                grad_values = grad_a_dense.view(-1)[edge_idx]
            if ctx.needs_input_grad[3]:
                grad_b = a.t().matmul(grad_output)
            return None, grad_values, None, grad_b

    return SpecialSpmmFunction


def test_a_custom_function_saves_a_sparse_tensor_for_backward():
    got = []
    for T in (pn, torch):
        values = T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        b = T.arange(9.0).reshape(3, 3).requires_grad_()
        out = _special_spmm(T).apply(T.tensor([[0, 1, 1, 2], [1, 0, 2, 2]]), values, T.Size([3, 3]), b)
        (out * T.arange(9.0).reshape(3, 3)).sum().backward()
        got.append((out.detach().numpy(), values.grad.numpy(), b.grad.numpy(), type(out.grad_fn).__name__))
    assert got[0][3] == got[1][3]
    for a, b in zip(got[0][:3], got[1][:3]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def _pair(T, seed, coalesce_first):
    T.manual_seed(seed)
    a = T.sparse_coo_tensor(T.randint(0, 4, (2, 12)), T.randn(12), (4, 4))
    b = T.sparse_coo_tensor(T.randint(0, 4, (2, 9)), T.randn(9), (4, 4))
    return (a.coalesce() if coalesce_first else a), b


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("coalesce_first", [False, True])
def test_sparse_plus_sparse_stores_the_entries_torch_stores(seed, coalesce_first):
    """torch merges the two entry lists (same positions met together become one entry): the
    printed sum, its nnz, indices and coalesced flag are torch's, not the lists side by side."""
    out = []
    for T in (pn, torch):
        a, b = _pair(T, seed, coalesce_first)
        total = a + b
        out.append((repr(total), repr(b + a), repr(T.add(a, b, alpha=2)), total.is_coalesced()))
    assert out[0] == out[1]


def test_sparse_sum_gradients_and_promotion():
    got = []
    for T in (pn, torch):
        va = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        vb = T.tensor([4.0, 5.0], requires_grad=True)
        a = T.sparse_coo_tensor(T.tensor([[0, 1, 0], [1, 0, 1]]), va, (2, 2))
        b = T.sparse_coo_tensor(T.tensor([[1, 0], [0, 1]]), vb, (2, 2))
        T.sparse.mm(a + b, T.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        ints = T.sparse_coo_tensor(T.tensor([[0, 2]]), T.tensor([1, 2]), (3,))
        floats = T.sparse_coo_tensor(T.tensor([[2, 1]]), T.tensor([1.5, 5.0]), (3,))
        got.append((va.grad.numpy(), vb.grad.numpy(), repr(ints + floats)))
    np.testing.assert_allclose(got[0][0], got[1][0])
    np.testing.assert_allclose(got[0][1], got[1][1])
    assert got[0][2] == got[1][2]


def test_is_tensor_is_true_for_a_sparse_tensor():
    for T in (pn, torch):
        assert T.is_tensor(_s(T)) and T.is_tensor(T.ones(1)) and not T.is_tensor([1.0])
