"""PyTorch as the oracle: forward values and gradients of pyneuro vs torch, same inputs.

Skipped (with the reason) where torch is not installed; it is only a test dependency.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import nn, optim

torch = pytest.importorskip("torch", reason="torch is the oracle for these tests and is not installed")
TF = torch.nn.functional


def pair(a, grad=True):
    """The same float32 data as a pyneuro tensor and a torch tensor."""
    a = np.asarray(a, dtype=np.float32)
    return pn.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def close(p, t, rtol=1e-5, atol=1e-5):
    got = p.detach().numpy() if isinstance(p, pn.Tensor) else np.asarray(p)
    np.testing.assert_allclose(got, t.detach().numpy(), rtol=rtol, atol=atol)


def rng(seed=0):
    return np.random.default_rng(seed)


def copy_weights(pmodel, tmodel):
    with pn.no_grad():
        for (_, p), (_, q) in zip(pmodel.named_parameters(), tmodel.named_parameters()):
            p.copy_(pn.from_numpy(q.detach().numpy().copy()))


def make_mlps(sizes=(20, 16, 5), seed=0):
    torch.manual_seed(seed)
    layers_t, layers_p = [], []
    for i in range(len(sizes) - 1):
        layers_t.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        layers_p.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers_t.append(torch.nn.ReLU())
            layers_p.append(nn.ReLU())
    tm, pm = torch.nn.Sequential(*layers_t), nn.Sequential(*layers_p)
    copy_weights(pm, tm)
    return pm, tm


def test_mlp_forward_backward_matches_torch(backend_name):
    pm, tm = make_mlps()
    x = rng(1).standard_normal((32, 20)).astype(np.float32)
    y = rng(2).integers(0, 5, 32)
    lp = F.cross_entropy(pm(pn.tensor(x)), pn.tensor(y))
    lt = TF.cross_entropy(tm(torch.tensor(x)), torch.tensor(y))
    close(lp, lt)
    lp.backward()
    lt.backward()
    for (_, p), (_, q) in zip(pm.named_parameters(), tm.named_parameters()):
        close(p.grad, q.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "loss", ["cross_entropy", "mse_loss", "nll_loss", "l1_loss", "bce_logits", "bce", "ce_probs"]
)
def test_losses_match_torch(loss, reduction, backend_name):
    r = rng(3)
    x = r.standard_normal((8, 6)).astype(np.float32)
    xp, xt = pair(x)
    if loss in ("cross_entropy", "nll_loss"):
        y = r.integers(0, 6, 8)
        yp, yt = pn.tensor(y), torch.tensor(y)
        if loss == "cross_entropy":
            outp, outt = (
                F.cross_entropy(xp, yp, reduction=reduction),
                TF.cross_entropy(xt, yt, reduction=reduction),
            )
        else:
            outp = F.nll_loss(F.log_softmax(xp, 1), yp, reduction=reduction)
            outt = TF.nll_loss(TF.log_softmax(xt, 1), yt, reduction=reduction)
    elif loss == "ce_probs":
        pr = np.exp(r.standard_normal((8, 6)))
        pr = (pr / pr.sum(1, keepdims=True)).astype(np.float32)
        outp = F.cross_entropy(xp, pn.tensor(pr), reduction=reduction)
        outt = TF.cross_entropy(xt, torch.tensor(pr), reduction=reduction)
    elif loss == "bce":
        tgt = r.uniform(0, 1, (8, 6)).astype(np.float32)
        outp = F.binary_cross_entropy(xp.sigmoid(), pn.tensor(tgt), reduction=reduction)
        outt = TF.binary_cross_entropy(xt.sigmoid(), torch.tensor(tgt), reduction=reduction)
    else:
        tgt = r.uniform(0, 1, (8, 6)).astype(np.float32)
        fp = {"mse_loss": F.mse_loss, "l1_loss": F.l1_loss, "bce_logits": F.binary_cross_entropy_with_logits}[
            loss
        ]
        ft = {
            "mse_loss": TF.mse_loss,
            "l1_loss": TF.l1_loss,
            "bce_logits": TF.binary_cross_entropy_with_logits,
        }[loss]
        outp, outt = (
            fp(xp, pn.tensor(tgt), reduction=reduction),
            ft(xt, torch.tensor(tgt), reduction=reduction),
        )
    close(outp, outt)
    g = r.standard_normal(tuple(outt.shape)).astype(np.float32)
    outp.backward(pn.tensor(g) if g.ndim else None)
    outt.backward(torch.tensor(g) if g.ndim else None)
    close(xp.grad, xt.grad, rtol=1e-4, atol=1e-6)


def test_loss_modules_match_torch():
    r = rng(4)
    x = r.standard_normal((5, 3)).astype(np.float32)
    y = r.integers(0, 3, 5)
    close(
        nn.CrossEntropyLoss()(pn.tensor(x), pn.tensor(y)),
        torch.nn.CrossEntropyLoss()(torch.tensor(x), torch.tensor(y)),
    )
    close(
        nn.MSELoss(reduction="sum")(pn.tensor(x), pn.tensor(x * 2)),
        torch.nn.MSELoss(reduction="sum")(torch.tensor(x), torch.tensor(x * 2)),
    )


@pytest.mark.parametrize(
    "sa,sb", [((4, 3), (3,)), ((2, 1, 3), (4, 1)), ((5, 1), (1, 5)), ((3,), ()), ((2, 3, 4), (1, 3, 1))]
)
def test_broadcasting_grads_match_torch(sa, sb):
    r = rng(5)
    a = r.uniform(0.5, 2, sa).astype(np.float32)
    b = r.uniform(0.5, 2, sb).astype(np.float32)
    ap, at = pair(a)
    bp, bt = pair(b)
    outp = ((ap * bp - ap / bp) ** 2 + ap - bp).exp().mean()
    outt = ((at * bt - at / bt) ** 2 + at - bt).exp().mean()
    close(outp, outt)
    outp.backward()
    outt.backward()
    close(ap.grad, at.grad, rtol=1e-4)
    close(bp.grad, bt.grad, rtol=1e-4)


def test_indexing_grads_match_torch():
    r = rng(6)
    a = r.standard_normal((5, 4)).astype(np.float32)
    idx = np.array([0, 3, 3, 1])
    ap, at = pair(a)
    outs_p = [
        ap[1:4, ::2],
        ap[pn.tensor(idx)],
        ap[pn.tensor(idx), pn.tensor([0, 1, 1, 3])],
        ap[ap > 0.2],
        ap[:, -1],
    ]
    outs_t = [
        at[1:4, ::2],
        at[torch.tensor(idx)],
        at[torch.tensor(idx), torch.tensor([0, 1, 1, 3])],
        at[at > 0.2],
        at[:, -1],
    ]
    total_p = sum(((o * (i + 1)) ** 2).sum() for i, o in enumerate(outs_p))
    total_t = sum(((o * (i + 1)) ** 2).sum() for i, o in enumerate(outs_t))
    close(total_p, total_t, rtol=1e-5)
    total_p.backward()
    total_t.backward()
    close(ap.grad, at.grad, rtol=1e-5)


def test_reductions_and_shapes_match_torch():
    a = rng(7).standard_normal((3, 4, 5)).astype(np.float32)
    ap, at = pair(a)
    vp, ip = ap.max(dim=1)
    vt, it = at.max(dim=1)
    np.testing.assert_array_equal(ip.numpy(), it.numpy())
    outp = (
        vp.sum()
        + ap.min(2, keepdim=True)[0].mean()
        + ap.permute(2, 0, 1).reshape(5, -1)[1:].var()
        + ap.transpose(0, 1).flatten(1).softmax(-1).max()
        + ap.std(dim=(0, 2)).sum()
    )
    outt = (
        vt.sum()
        + at.min(2, keepdim=True)[0].mean()
        + at.permute(2, 0, 1).reshape(5, -1)[1:].var()
        + at.transpose(0, 1).flatten(1).softmax(-1).max()
        + at.std(dim=(0, 2)).sum()
    )
    close(outp, outt, rtol=1e-5)
    outp.backward()
    outt.backward()
    close(ap.grad, at.grad, rtol=1e-4, atol=1e-6)


def test_matmul_variants_match_torch(backend_name):
    r = rng(8)
    for sa, sb in [
        ((3, 4), (4, 2)),
        ((4,), (4, 2)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 3, 4), (4, 5)),
        ((2, 3, 4), (2, 4, 5)),
    ]:
        ap, at = pair(r.standard_normal(sa))
        bp, bt = pair(r.standard_normal(sb))
        op, ot = ap @ bp, at @ bt
        close(op, ot, rtol=1e-4)
        op.sum().backward()
        ot.sum().backward()
        close(ap.grad, at.grad, rtol=1e-4)
        close(bp.grad, bt.grad, rtol=1e-4)


def test_functional_extras_match_torch():
    r = rng(9)
    a, b = r.standard_normal((4, 6)).astype(np.float32), r.standard_normal((4, 6)).astype(np.float32)
    ap, at = pair(a)
    bp, bt = pair(b)
    outp = (
        F.cosine_similarity(ap, bp).sum()
        + F.normalize(ap, dim=1).pow(3).sum()
        + F.log_softmax(bp, 0).mean()
        + F.leaky_relu(ap, 0.1).sum()
        + ap.norm(dim=0).sum()
    )
    outt = (
        TF.cosine_similarity(at, bt).sum()
        + TF.normalize(at, dim=1).pow(3).sum()
        + TF.log_softmax(bt, 0).mean()
        + TF.leaky_relu(at, 0.1).sum()
        + at.norm(dim=0).sum()
    )
    close(outp, outt, rtol=1e-5)
    outp.backward()
    outt.backward()
    close(ap.grad, at.grad, rtol=1e-4, atol=1e-6)
    close(bp.grad, bt.grad, rtol=1e-4, atol=1e-6)
    y = np.array([0, 2, 1])
    np.testing.assert_array_equal(F.one_hot(pn.tensor(y), 4).numpy(), TF.one_hot(torch.tensor(y), 4).numpy())


def test_embedding_matches_torch():
    w = rng(10).standard_normal((6, 3)).astype(np.float32)
    idx = np.array([[1, 5, 1], [0, 0, 2]])
    tp = nn.Embedding(6, 3, padding_idx=0)
    tt = torch.nn.Embedding(6, 3, padding_idx=0)
    with pn.no_grad():
        tp.weight.copy_(pn.tensor(w))
    with torch.no_grad():
        tt.weight.copy_(torch.tensor(w))
    op, ot = tp(pn.tensor(idx)), tt(torch.tensor(idx))
    close(op, ot)
    (op**2).sum().backward()
    (ot**2).sum().backward()
    close(tp.weight.grad, tt.weight.grad)


def _train(pm, popt, tm, topt, steps, x, y, loss="ce"):
    for _ in range(steps):
        popt.zero_grad()
        topt.zero_grad()
        if loss == "ce":
            lp = F.cross_entropy(pm(pn.tensor(x)), pn.tensor(y))
            lt = TF.cross_entropy(tm(torch.tensor(x)), torch.tensor(y))
        else:
            lp = F.mse_loss(pm(pn.tensor(x)), pn.tensor(y))
            lt = TF.mse_loss(tm(torch.tensor(x)), torch.tensor(y))
        close(lp, lt, rtol=1e-4)
        lp.backward()
        lt.backward()
        popt.step()
        topt.step()
    for (_, p), (_, q) in zip(pm.named_parameters(), tm.named_parameters()):
        close(p, q, rtol=1e-4, atol=1e-5)


OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.8, dampening=0.2, weight_decay=1e-3)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=5e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.05)),
]


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_trajectories_match_torch(name, kw, backend_name):
    pm, tm = make_mlps((12, 10, 4))
    popt = getattr(optim, name)(pm.parameters(), **kw)
    topt = getattr(torch.optim, name)(tm.parameters(), **kw)
    r = rng(11)
    x = r.standard_normal((16, 12)).astype(np.float32)
    y = r.integers(0, 4, 16)
    _train(pm, popt, tm, topt, 8, x, y)


def test_linear_regression_trajectory_matches_torch(backend_name):
    pm, tm = make_mlps((3, 1))
    r = rng(12)
    x = r.standard_normal((20, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    _train(
        pm,
        optim.SGD(pm.parameters(), lr=0.01),
        tm,
        torch.optim.SGD(tm.parameters(), lr=0.01),
        10,
        x,
        y,
        loss="mse",
    )


def test_softmax_extreme_values_match_torch(backend_name):
    x = np.array([[1e4, 0.0, -1e4], [-np.inf, 0.0, 1.0], [5.0, 5.0, 5.0]], dtype=np.float32)
    close(F.softmax(pn.tensor(x), -1), torch.softmax(torch.tensor(x), -1))
    close(F.log_softmax(pn.tensor(x[[0, 2]]), -1), torch.log_softmax(torch.tensor(x[[0, 2]]), -1))


def test_elementwise_and_combining_ops_match_torch():
    r = rng(13)
    a = r.uniform(0.2, 2.0, (3, 4)).astype(np.float32)
    b = r.standard_normal((3, 4)).astype(np.float32)
    ap, at = pair(a)
    bp, bt = pair(b)

    def build(lib, x, y):
        cat = lib.cat([x, y], dim=1)
        stk = lib.stack([x, y], dim=0)
        whr = lib.where(y > 0, x, y * 2)
        ex = x[:, :1].expand(3, 4)
        ops = (
            x.sqrt() + x.log() + y.abs() + y.clamp(-0.5, 0.5) + y.sigmoid() + y.tanh() + 1 / x + x ** y.abs()
        )
        return (
            cat.exp().sum()
            + (stk * 3).mean()
            + whr.sum()
            + (ex * y).sum()
            + ops.sum()
            + x.unsqueeze(0).permute(2, 0, 1).reshape(-1).sum()
            + y.max()
            + x.min(dim=0)[0].sum()
        )

    outp, outt = build(pn, ap, bp), build(torch, at, bt)
    close(outp, outt, rtol=1e-5)
    outp.backward()
    outt.backward()
    close(ap.grad, at.grad, rtol=1e-4, atol=1e-5)
    close(bp.grad, bt.grad, rtol=1e-4, atol=1e-5)


def test_pn_load_reads_a_torch_checkpoint(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)  # a zip holding a pickle (tests/test_torch_archive_load.py)
    assert pn.load(path)["w"].tolist() == [0.0, 0.0]
