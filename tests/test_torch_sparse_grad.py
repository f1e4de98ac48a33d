"""Sparse gradients against torch: Embedding / F.embedding / EmbeddingBag with sparse=True give a
sparse COO .grad (rows (1, nnz) of values (nnz, D), uncoalesced, none for padding_idx), which
accumulates side by side over backward calls; zero_grad; SGD (with momentum), Adagrad and
SparseAdam update from it step by step as torch's; the other optimizers and gradient clipping
refuse it with torch's exception classes; a checkpoint holding one loads (weights_only too).
Each case runs the same code under torch and pyneuro (T is the module)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings

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


OPTIMIZERS = {
    "SGD": lambda T, p: T.optim.SGD(p, lr=0.1),
    "SGD momentum": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=0.9),
    "SGD nesterov": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "SGD maximize dampening": lambda T, p: T.optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.1, maximize=True),
    "Adagrad": lambda T, p: T.optim.Adagrad(p, lr=0.1),
    "Adagrad lr_decay, maximize": lambda T, p: T.optim.Adagrad(p, lr=0.1, lr_decay=0.01, maximize=True),
    "SparseAdam": lambda T, p: T.optim.SparseAdam(p, lr=0.05),
    "SparseAdam betas, maximize": lambda T, p: T.optim.SparseAdam(
        p, lr=0.05, betas=(0.5, 0.9), maximize=True
    ),
    "LBFGS": lambda T, p: T.optim.LBFGS(p, lr=0.5),
}
BATCHES = [[4, 0, 3, 0], [1, 4], [6, 6, 2], [0], [5, 1, 5, 3]]


def _train(T, make):
    e = _emb(T)
    opt = make(T, e.parameters())
    for batch in BATCHES:
        x = T.tensor(batch)

        def closure():
            opt.zero_grad()
            loss = (e(x) - 0.5).pow(2).sum()
            loss.backward()
            return loss

        opt.step(closure)
    return e.weight.detach().numpy().copy(), opt


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_step_as_torch(name):
    ours, opt = _train(pn, OPTIMIZERS[name])
    theirs, topt = _train(torch, OPTIMIZERS[name])
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert len(opt.state) == len(topt.state)
    if not topt.state:  # (plain SGD keeps none)
        return
    p, tp = next(iter(opt.state)), next(iter(topt.state))
    assert sorted(opt.state[p]) == sorted(topt.state[tp])
    for key, value in topt.state[tp].items():
        if getattr(value, "is_sparse", False):  # SGD's momentum buffer is sparse, as torch's
            assert opt.state[p][key].is_sparse
            np.testing.assert_allclose(_np(opt.state[p][key]), _np(value), rtol=1e-5, atol=1e-6)
        elif key == "step" and name.startswith("SparseAdam"):  # a plain int in torch's SparseAdam
            assert opt.state[p][key] == value


def _outcome(T, make, grad_of=lambda T, e: e(T.tensor([4, 0])).sum()):
    e = _emb(T)
    try:
        opt = make(T, e.parameters())
        grad_of(T, e).backward()
        opt.step()
    except Exception as err:  # (the class and words are what is compared)
        return type(err), str(err)
    return None


REFUSALS = {
    "Adam": lambda T, p: T.optim.Adam(p),
    "AdamW": lambda T, p: T.optim.AdamW(p),
    "RMSprop": lambda T, p: T.optim.RMSprop(p),
    "Adadelta": lambda T, p: T.optim.Adadelta(p),
    "Adamax": lambda T, p: T.optim.Adamax(p),
    "NAdam": lambda T, p: T.optim.NAdam(p),
    "RAdam": lambda T, p: T.optim.RAdam(p),
    "Rprop": lambda T, p: T.optim.Rprop(p),
    "ASGD": lambda T, p: T.optim.ASGD(p),
    "Adafactor": lambda T, p: T.optim.Adafactor(p),
    "SGD weight_decay": lambda T, p: T.optim.SGD(p, lr=0.1, weight_decay=0.1),
    "SGD fused": lambda T, p: T.optim.SGD(p, lr=0.1, fused=True),
    "Adagrad fused": lambda T, p: T.optim.Adagrad(p, fused=True),
    "Adagrad weight_decay": lambda T, p: T.optim.Adagrad(p, weight_decay=0.1),
    "SparseAdam lr=0": lambda T, p: T.optim.SparseAdam(p, lr=0),
    "SparseAdam eps=0": lambda T, p: T.optim.SparseAdam(p, eps=0),
    "SparseAdam beta1=1": lambda T, p: T.optim.SparseAdam(p, betas=(1.0, 0.9)),
    "SparseAdam beta2<0": lambda T, p: T.optim.SparseAdam(p, betas=(0.9, -0.1)),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refusals_as_torch(name):
    ours, theirs = _outcome(pn, REFUSALS[name]), _outcome(torch, REFUSALS[name])
    assert theirs is not None
    assert ours == theirs


def test_sparse_adam_refuses_a_dense_gradient_and_prints_as_torch():
    def run(T):
        T.manual_seed(0)
        lin = T.nn.Linear(2, 2)
        opt = T.optim.SparseAdam(lin.parameters())
        lin(T.ones(1, 2)).sum().backward()
        with pytest.raises(RuntimeError) as err:
            opt.step()
        return str(err.value), repr(opt), opt.state_dict()["param_groups"], opt.defaults

    assert run(pn) == run(torch)


@pytest.mark.parametrize("clip", ["norm", "norm inf", "value", "total"])
def test_gradient_clipping_refuses_sparse_as_torch(clip):
    def run(T):
        e = _emb(T)
        e(T.tensor([4, 0])).sum().backward()
        u = T.nn.utils
        call = {
            "norm": lambda: u.clip_grad_norm_(e.parameters(), 0.5),
            "norm inf": lambda: u.clip_grad_norm_(e.parameters(), 0.5, norm_type="inf"),
            "value": lambda: u.clip_grad_value_(e.parameters(), 0.1),
            "total": lambda: u.get_total_norm([e.weight.grad]),
        }[clip]
        with pytest.raises(NotImplementedError):
            call()
        return float(e.weight.grad.norm())  # (the tensor's own norm works)

    assert run(pn) == pytest.approx(run(torch))


def _word2vec(T, make_opt, steps=6):
    """Skip-gram with negative sampling: center and context embeddings, both sparse."""
    rng = np.random.default_rng(1)
    vocab, dim = 20, 8
    center = T.nn.Embedding(vocab, dim, sparse=True)
    context = T.nn.Embedding(vocab, dim, sparse=True)
    with T.no_grad():
        center.weight.copy_(T.tensor(rng.uniform(-0.5, 0.5, (vocab, dim)).astype(np.float32) / dim))
        context.weight.copy_(T.tensor(rng.standard_normal((vocab, dim)).astype(np.float32) * 0.1))
    opt = make_opt(T, [*center.parameters(), *context.parameters()])
    losses = []
    for _ in range(steps):
        c = T.tensor(rng.integers(0, vocab, 16))
        pos = T.tensor(rng.integers(0, vocab, 16))
        neg = T.tensor(rng.integers(0, vocab, (16, 5)))
        vc = center(c)
        score = (vc * context(pos)).sum(1)
        neg_score = T.bmm(context(neg), vc.unsqueeze(2)).squeeze(2)
        loss = -(T.nn.functional.logsigmoid(score) + T.nn.functional.logsigmoid(-neg_score).sum(1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), center.weight.detach().numpy().copy(), context.weight.detach().numpy().copy()


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda T, p: T.optim.SparseAdam(p, lr=0.05),
        lambda T, p: T.optim.SGD(p, lr=0.5),
        lambda T, p: T.optim.SGD(p, lr=0.5, momentum=0.9),
    ],
    ids=["SparseAdam", "SGD", "SGD momentum"],
)
def test_word2vec_training_loop_as_torch(make_opt):
    ours, theirs = _word2vec(pn, make_opt), _word2vec(torch, make_opt)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_other_backends(backend):
    """The sparse gradient and the three sparse optimizers on the numpy and numba backends."""
    code = (
        "import numpy as np, pyneuro as pn, sys\n"
        f"sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
        "import test_torch_sparse_grad as t\n"
        "assert pn.backends.backend_name('cpu') == sys.argv[1], pn.backends.backend_name('cpu')\n"
        "for name in ('SGD momentum', 'Adagrad', 'SparseAdam'):\n"
        "    print(name, repr(t._train(pn, t.OPTIMIZERS[name])[0].round(5).tolist()))\n"
        "g = t._leaf_grad(pn, 'padding_idx')\n"
        "print(g._indices().tolist(), g.coalesce().values().tolist())\n"
    )
    env = dict(os.environ, PYNEURO_BACKEND=backend)
    if backend == "numba":
        pytest.importorskip("numba")
    result = subprocess.run(
        [sys.executable, "-c", code, backend], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    cpu = subprocess.run(
        [sys.executable, "-c", code, "cpu"],
        env=dict(os.environ, PYNEURO_BACKEND="cpu"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cpu.returncode == 0, cpu.stderr
    assert result.stdout == cpu.stdout


@pytest.mark.parametrize("weights_only", [True, False])
def test_checkpoint_with_a_sparse_grad_loads(weights_only):
    def run(T):
        e = _emb(T)
        e(T.tensor([4, 0, 3, 0])).sum().backward()
        buf = io.BytesIO()
        T.save({"grad": e.weight.grad, "coalesced": e.weight.grad.coalesce(), "w": e.state_dict()}, buf)
        buf.seek(0)
        return T.load(buf, weights_only=weights_only)

    ours, theirs = run(pn), run(torch)
    _same_sparse(ours["grad"], theirs["grad"])
    _same_sparse(ours["coalesced"], theirs["coalesced"])
    np.testing.assert_array_equal(ours["w"]["weight"].numpy(), theirs["w"]["weight"].numpy())


def test_a_hostile_checkpoint_cannot_claim_a_bad_sparse_tensor():
    """A file whose sparse tensor has an index out of range, or claims coalesced with repeats, is refused."""
    for indices, coalesced in (([[9, 0]], False), ([[3, 3]], True), ([[3, 1]], True)):
        s = pn.sparse_coo_tensor([[0, 1]], pn.ones(2, 3), (7, 3))
        s._idx = pn.tensor(indices)  # what a crafted file could hold
        s._coalesced = coalesced
        buf = io.BytesIO()
        pn.save(s, buf)
        buf.seek(0)
        with pytest.raises(RuntimeError):
            pn.load(buf)


def test_scale_grad_by_freq_with_sparse_refused_at_backward():
    for T in (pn, torch):
        e = T.nn.Embedding(5, 2, sparse=True, scale_grad_by_freq=True)
        out = e(T.tensor([1, 1, 2]))  # (the forward runs)
        with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse gradients"):
            out.sum().backward()


def _classifier(T):
    """A bag-of-words classifier: a sparse embedding (SparseAdam, then SGD momentum, then Adagrad)
    and a Linear layer (Adam, then the same SGD and Adagrad), int32 and int64 indices."""
    T.manual_seed(0)
    emb = T.nn.Embedding(50, 8, sparse=True, max_norm=1.0)
    with T.no_grad():
        emb.weight.copy_(T.tensor(np.random.default_rng(2).standard_normal((50, 8)).astype(np.float32)))
    lin = T.nn.Linear(8, 50)
    with T.no_grad():
        lin.weight.copy_(T.tensor(np.random.default_rng(3).standard_normal((50, 8)).astype(np.float32) * 0.1))
        lin.bias.zero_()
    pair = [T.optim.SparseAdam(list(emb.parameters()), lr=0.01), T.optim.Adam(lin.parameters(), lr=0.01)]
    sgd = T.optim.SGD([*emb.parameters(), *lin.parameters()], lr=0.1, momentum=0.9)
    adagrad = T.optim.Adagrad([*emb.parameters(), *lin.parameters()], lr=0.1)
    rng, losses = np.random.default_rng(4), []
    for step in range(12):
        x = T.tensor(rng.integers(0, 50, (4, 3)).astype(np.int32 if step % 2 else np.int64))
        loss = T.nn.functional.cross_entropy(lin(emb(x).mean(1)), T.tensor(rng.integers(0, 50, 4)))
        emb.zero_grad()
        lin.zero_grad()
        loss.backward()
        for opt in pair if step < 4 else [sgd] if step < 8 else [adagrad]:
            opt.step()
        losses.append(loss.item())
    return np.array(losses), emb.weight.detach().numpy().copy(), lin.weight.detach().numpy().copy()


def test_sparse_embedding_beside_dense_layers_as_torch():
    for ours, theirs in zip(_classifier(pn), _classifier(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("form", ["add_ alpha", "sub_", "-=", "data.add_"])
def test_manual_update_with_a_sparse_grad_as_torch(form):
    """The hand-written SGD step of a course notebook, on an Embedding(sparse=True)."""

    def run(T):
        e = _emb(T)
        for batch in ([4, 0, 3, 0], [1, 4]):
            e.zero_grad()
            (e(T.tensor(batch)) - 0.5).pow(2).sum().backward()
            with T.no_grad():
                p = e.weight
                if form == "add_ alpha":
                    p.add_(p.grad, alpha=-0.1)
                elif form == "sub_":
                    p.sub_(0.1 * p.grad)
                elif form == "-=":
                    p -= 0.1 * p.grad
                else:
                    p.data.add_(p.grad, alpha=-0.1)
        return e.weight.detach().numpy()

    np.testing.assert_allclose(run(pn), run(torch), rtol=1e-6)


def test_hybrid_sparse_sum_and_transpose_as_torch():
    def run(T):
        s = T.sparse_coo_tensor(T.tensor([[0, 0, 2]]), T.arange(9.0).reshape(3, 3), (4, 3))
        summed = s.sum(1)
        try:
            s.t()
        except RuntimeError as err:
            refused = type(err)
        return summed._indices().tolist(), summed._values().tolist(), summed.is_coalesced(), refused

    assert run(pn) == run(torch)


@pytest.mark.parametrize(
    "size", [(4, 3.5), (-1, 3), (2**62, 3)], ids=["float size", "negative size", "huge size"]
)
def test_sparse_sizes_as_torch(size):
    def run(T):
        try:
            return T.sparse_coo_tensor(T.tensor([[0]]), T.ones(1, 3), size).numel()
        except (TypeError, RuntimeError) as err:
            return type(err)

    assert run(pn) == run(torch)


def test_a_subclass_with_its_own_step_reads_the_sparse_grad_itself():
    """Adam refuses a sparse .grad, but a subclass whose step() handles it is not refused (torch's
    check is inside Adam's own step)."""

    def run(T):
        class DenseAdam(T.optim.Adam):
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None and p.grad.is_sparse:
                            p.grad = p.grad.to_dense()
                return super().step(closure)

        e = _emb(T)
        opt = DenseAdam(e.parameters(), lr=0.1)
        e(T.tensor([4, 0])).sum().backward()
        opt.step()
        return e.weight.detach().numpy()

    np.testing.assert_allclose(run(pn), run(torch), rtol=1e-6)


def test_a_hook_that_densifies_a_sparse_gradient_is_refused_as_torch():
    for T in (pn, torch):
        e = _emb(T)
        e.weight.register_hook(lambda g: g.to_dense() * 2)
        with pytest.raises(RuntimeError, match="has changed the type of value"):
            e(T.tensor([1, 2])).sum().backward()


def test_a_create_graph_backward_onto_a_sparse_grad_as_torch():
    def run(T):
        e = _emb(T)
        e(T.tensor([1, 2])).sum().backward()
        (e.weight**2).sum().backward(create_graph=True)  # a dense gradient onto the sparse .grad
        return e.weight.grad.is_sparse, e.weight.grad.detach().numpy()

    with warnings.catch_warnings():  # the reference-cycle warning: once per process in both
        warnings.simplefilter("ignore")  # libraries, so whether it shows here depends on earlier tests
        ours, theirs = run(pn), run(torch)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 0])
def test_bag_indices_after_the_last_offset_as_torch(mode, padding_idx):
    """include_last_offset with indices past the last offset: torch's kernel without padding_idx
    sums up to the last offset (a mean still counts to the end); with padding_idx the last bag runs
    to the end of input, and the sparse gradient has those entries. (Without padding_idx torch's
    backward disagrees with its own forward -- gradient rows for the dropped indices, an IndexError
    when sparse -- so there only the forward is compared.)"""

    def run(T):
        sparse = mode != "max" and padding_idx is not None
        bag = T.nn.EmbeddingBag.from_pretrained(
            T.tensor(W0),
            freeze=False,
            mode=mode,
            include_last_offset=True,
            padding_idx=padding_idx,
            sparse=sparse,
        )
        out = bag(T.tensor([0, 2, 2, 5, 6, 1, 2]), T.tensor([0, 3, 3, 5]))
        if padding_idx is None:
            return (out.detach().numpy(),)
        out.pow(2).sum().backward()
        return out.detach().numpy(), _np(bag.weight.grad)

    for ours, theirs in zip(run(pn), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
