"""pyneuro.functional: values against NumPy, gradients by gradcheck, error messages."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F
from pyneuro import backends


def rnd(*shape, seed=0, grad=True, scale=1.0):
    a = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    return pn.tensor(a, requires_grad=grad)


def np_softmax(a, axis=-1):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(a, axis=-1):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_log_softmax(dim, backend_name):
    x = rnd(4, 5, seed=1)
    a = x.detach().numpy()
    np.testing.assert_allclose(
        F.softmax(x, dim=dim).detach().numpy(), np_softmax(a, dim), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        F.log_softmax(x, dim=dim).detach().numpy(), np_log_softmax(a, dim), rtol=1e-5, atol=1e-5
    )
    w = rnd(4, 5, seed=2, grad=False)
    assert pn.gradcheck(lambda v: F.softmax(v, dim=dim) * w, (x,))
    assert pn.gradcheck(lambda v: F.log_softmax(v, dim=dim) * w, (x,))


def test_softmax_3d_and_1d(backend_name):
    x = rnd(2, 3, 4, seed=3)
    a = x.detach().numpy()
    for dim in (0, 1, 2):
        np.testing.assert_allclose(
            F.softmax(x, dim).detach().numpy(), np_softmax(a, dim), rtol=1e-5, atol=1e-6
        )
        assert pn.gradcheck(lambda v: F.softmax(v, dim) ** 2, (x,))
    v = rnd(5, seed=4)
    np.testing.assert_allclose(F.softmax(v, 0).detach().numpy(), np_softmax(v.detach().numpy()), rtol=1e-5)


def test_softmax_huge_logits_stay_finite(backend_name):
    x = pn.tensor([[1.0, 2.0, 3.0]]) * 1e4
    y = F.softmax(x, dim=-1)
    assert np.isfinite(y.numpy()).all()
    assert np.isfinite(F.log_softmax(x, -1).numpy()).all()
    assert np.isfinite(F.cross_entropy(x, pn.tensor([0])).item())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(reduction, backend_name):
    x = rnd(6, 4, seed=5)
    y = pn.tensor([0, 3, 1, 1, 2, 0])
    a = x.detach().numpy()
    per = -np_log_softmax(a)[np.arange(6), y.numpy()]
    ref = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(
        F.cross_entropy(x, y, reduction=reduction).detach().numpy(), ref, rtol=1e-5, atol=1e-6
    )
    assert pn.gradcheck(lambda v: F.cross_entropy(v, y, reduction=reduction), (x,))
    loss = pn.nn.CrossEntropyLoss(reduction=reduction)(x, y)
    np.testing.assert_allclose(loss.detach().numpy(), ref, rtol=1e-5, atol=1e-6)


def test_cross_entropy_probability_targets_and_unbatched():
    x = rnd(3, 4, seed=6)
    p = pn.tensor(np_softmax(np.random.default_rng(0).standard_normal((3, 4))))
    ref = -(p.numpy() * np_log_softmax(x.detach().numpy())).sum(1).mean()
    np.testing.assert_allclose(F.cross_entropy(x, p).item(), ref, rtol=1e-5)
    assert pn.gradcheck(lambda v: F.cross_entropy(v, p), (x,))
    v = rnd(4, seed=7)
    np.testing.assert_allclose(
        F.cross_entropy(v, pn.tensor(2)).item(),
        F.cross_entropy(v.reshape(1, 4), pn.tensor([2])).item(),
        rtol=1e-6,
    )


def test_cross_entropy_errors(backend_name):
    x = rnd(3, 4)
    with pytest.raises(IndexError, match="4"):
        F.cross_entropy(x, pn.tensor([0, 4, 1]))
    with pytest.raises(IndexError):
        F.cross_entropy(x, pn.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(2,\)"):
        F.cross_entropy(x, pn.tensor([0, 1]))
    with pytest.raises(TypeError, match="Long or Byte, but got Float"):  # (torch's words)
        F.cross_entropy(x, pn.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, pn.tensor([0, 1, 2]), reduction="avg")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    x = rnd(5, 3, seed=8)
    y = pn.tensor([2, 0, 1, 1, 2])
    logp = F.log_softmax(x, dim=1)
    per = -logp.detach().numpy()[np.arange(5), y.numpy()]
    ref = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(F.nll_loss(logp, y, reduction=reduction).detach().numpy(), ref, rtol=1e-5)
    assert pn.gradcheck(lambda v: F.nll_loss(F.log_softmax(v, 1), y, reduction=reduction), (x,))
    with pytest.raises(IndexError):
        F.nll_loss(logp, pn.tensor([0, 1, 2, 3, -1]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    a, b = rnd(4, 3, seed=9), rnd(4, 3, seed=10)
    d = a.detach().numpy() - b.detach().numpy()
    ref = {"mean": (d**2).mean(), "sum": (d**2).sum(), "none": d**2}[reduction]
    np.testing.assert_allclose(F.mse_loss(a, b, reduction=reduction).detach().numpy(), ref, rtol=1e-5)
    assert pn.gradcheck(lambda u, v: F.mse_loss(u, v, reduction=reduction), (a, b))


def test_mse_shape_mismatch_warns_and_broadcasts_as_torch():
    torch = pytest.importorskip("torch")
    a, b = rnd(4, 1), rnd(4)
    for loss in (F.mse_loss, pn.nn.MSELoss(), F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        with pytest.warns(
            UserWarning, match=r"target size \(pyneuro.Size\(\[4\]\)\) that is different to the input size"
        ):
            got = loss(a, b)
        tloss = (
            getattr(torch.nn.functional, loss.__name__)
            if not isinstance(loss, pn.nn.Module)
            else torch.nn.MSELoss()
        )
        with pytest.warns(UserWarning):
            want = tloss(torch.from_numpy(a.detach().numpy()), torch.from_numpy(b.detach().numpy()))
        np.testing.assert_allclose(got.detach().numpy(), want.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError):
        F.mse_loss(rnd(3), rnd(4))


def test_other_losses():
    a, b = rnd(5, seed=11), rnd(5, seed=12)
    np.testing.assert_allclose(
        F.l1_loss(a, b).item(), np.abs(a.detach().numpy() - b.detach().numpy()).mean(), rtol=1e-6
    )
    z = rnd(6, seed=13)
    y = pn.tensor([0.0, 1.0, 1.0, 0.0, 0.5, 1.0])
    zn = z.detach().numpy()
    ref = np.mean(np.maximum(zn, 0) - zn * y.numpy() + np.log1p(np.exp(-np.abs(zn))))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(z, y).item(), ref, rtol=1e-5)
    # the result has the target's dtype, as torch's: gradcheck's float64 input needs a float64 target
    assert pn.gradcheck(lambda v: F.binary_cross_entropy_with_logits(v, y.double()), (z,))


def test_linear_and_relu(backend_name):
    x, w, b = rnd(5, 4, seed=14), rnd(3, 4, seed=15), rnd(3, seed=16)
    ref = x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy()
    np.testing.assert_allclose(F.linear(x, w, b).detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        F.linear(x, w).detach().numpy(), ref - b.detach().numpy(), rtol=1e-5, atol=1e-5
    )
    assert pn.gradcheck(lambda u, v, c: F.linear(u, v, c), (x, w, b))
    assert pn.gradcheck(lambda u, v: F.linear(u, v), (x, w))
    x3 = rnd(2, 5, 4, seed=17)
    assert F.linear(x3, w, b).shape == (2, 5, 3)
    assert pn.gradcheck(lambda u, v, c: F.linear(u, v, c), (x3, w, b))
    assert F.linear(rnd(4), w, b).shape == (3,)
    np.testing.assert_allclose(F.relu(x).detach().numpy(), np.maximum(x.detach().numpy(), 0))
    assert pn.gradcheck(lambda u: F.relu(u), (x,))
    with pytest.raises(ValueError, match=r"\(5, 4\).*\(3, 5\)"):
        F.linear(x, rnd(3, 5))


def test_linear_uses_kernel_table(backend_name, monkeypatch):
    bk = backends.current("cpu")
    seen = []
    fused = hasattr(bk, "matmul_bias")  # the forward's matmul and bias add in one call
    # the mean loss and its gradient (for the backward from 1) in one call: every CPU table has it
    ce = ("cross_entropy_reduced_grad",)
    for name in ("matmul_bias",) * fused + (
        "matmul",
        "bias_add",
        "bias_grad",
        "relu_forward",
        "relu_backward",
        *ce,
    ):
        real = getattr(bk, name)

        def spy(*args, _real=real, _name=name, **kw):
            seen.append((_name, kw.get("trans_a", False), kw.get("trans_b", False)))
            return _real(*args, **kw)

        monkeypatch.setattr(bk, name, spy)
    x, w, b = rnd(5, 4), rnd(3, 4), rnd(3)
    loss = F.cross_entropy(F.relu(F.linear(x, w, b)), pn.tensor([0, 1, 2, 0, 1]))
    loss.backward()
    assert ("matmul_bias" if fused else "matmul", False, True) in seen  # forward x @ W^T via trans_b
    assert ("matmul", True, False) in seen  # dW = dy^T x via trans_a
    assert ("matmul", False, False) in seen  # dx = dy W
    names = {s[0] for s in seen}
    assert {
        "matmul_bias" if fused else "bias_add",
        "bias_grad",
        "relu_forward",
        "relu_backward",
        *ce,
    } <= names


def test_one_hot():
    y = F.one_hot(pn.tensor([0, 2, 1]), 4)
    assert y.dtype == pn.int64
    np.testing.assert_array_equal(y.numpy(), np.eye(4, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(pn.tensor([0, 2])).shape == (2, 3)
    with pytest.raises(IndexError):
        F.one_hot(pn.tensor([0, 5]), 3)
    with pytest.raises(TypeError):
        F.one_hot(pn.tensor([0.0]))


def test_normalize_cosine_similarity():
    x, y = rnd(4, 3, seed=18), rnd(4, 3, seed=19)
    a, b = x.detach().numpy(), y.detach().numpy()
    np.testing.assert_allclose(
        F.normalize(x).detach().numpy(), a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-5
    )
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(F.cosine_similarity(x, y).detach().numpy(), cos, rtol=1e-5)
    assert pn.gradcheck(lambda u: F.normalize(u, dim=1), (x,))
    assert pn.gradcheck(lambda u, v: F.cosine_similarity(u, v, dim=1), (x, y))
    assert np.isfinite(F.normalize(pn.zeros(2, 3)).numpy()).all()


def test_embedding():
    w = rnd(5, 3, seed=20)
    idx = pn.tensor([[0, 4], [4, 4]])
    out = F.embedding(idx, w)
    np.testing.assert_allclose(out.detach().numpy(), w.detach().numpy()[idx.numpy()])
    assert pn.gradcheck(lambda v: F.embedding(idx, v), (w,))
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[4], [3.0, 3.0, 3.0])
    with pytest.raises(IndexError):
        F.embedding(pn.tensor([5]), w)
    w.grad = None
    F.embedding(idx, w, padding_idx=4).sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[4], [0.0, 0.0, 0.0])


def test_dropout():
    x = pn.ones(1000)
    pn.manual_seed(0)
    y = F.dropout(x, 0.5, training=True)
    kept = (y.numpy() > 0).mean()
    assert 0.4 < kept < 0.6 and set(np.unique(y.numpy())) <= {0.0, 2.0}
    assert F.dropout(x, 0.5, training=False) is x


def test_docstrings_teach():
    for fn in (F.softmax, F.log_softmax, F.cross_entropy, F.linear, F.relu, F.mse_loss):
        doc = fn.__doc__
        assert doc and len(doc) > 200, fn.__name__
    assert "max" in F.softmax.__doc__ and "softmax_forward" in F.softmax.__doc__
    assert "trans_b" in F.linear.__doc__


def test_bce_and_leaky_relu():
    p = pn.tensor([0.1, 0.5, 0.9, 0.7], requires_grad=True)
    y = pn.tensor([0.0, 1.0, 1.0, 0.0])
    pn_, yn = p.detach().numpy(), y.numpy()
    ref = -(yn * np.log(pn_) + (1 - yn) * np.log(1 - pn_)).mean()
    np.testing.assert_allclose(F.binary_cross_entropy(p, y).item(), ref, rtol=1e-5)
    np.testing.assert_allclose(pn.nn.BCELoss()(p, y).item(), ref, rtol=1e-5)
    assert pn.gradcheck(lambda v: F.binary_cross_entropy(v, y.to(v.dtype)), (p,))  # torch wants one dtype
    assert np.isfinite(
        F.binary_cross_entropy(pn.tensor([0.0, 1.0]), pn.tensor([1.0, 0.0])).item()
    )  # log clamped
    x = rnd(3, 4, seed=21)
    np.testing.assert_allclose(
        F.leaky_relu(x, 0.2).detach().numpy(),
        np.where(x.detach().numpy() > 0, x.detach().numpy(), 0.2 * x.detach().numpy()),
    )
    assert pn.gradcheck(lambda v: F.leaky_relu(v, 0.2), (x,))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(p, pn.zeros(3))


def test_dtype_mismatch_is_type_error():
    with pytest.raises(TypeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        pn.nn.Linear(3, 2)(pn.zeros(4, 3, dtype=pn.float64))
    with pytest.raises(TypeError, match="dtype"):
        pn.zeros(2, 3) @ pn.zeros(3, 2, dtype=pn.int64)


# ----------------------------------------------------------------------------- on device "cuda"
from conftest import check_device_parity  # noqa: E402


def _r(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_on_device(reduction, device):
    x, y = _r(6, 5, seed=1), np.array([0, 4, 2, 2, 1, 3])
    check_device_parity(lambda a, t: F.cross_entropy(a, t, reduction=reduction), x, y, device=device)
    check_device_parity(
        lambda a, t: F.nll_loss(F.log_softmax(a, dim=1), t, reduction=reduction), x, y, device=device
    )
    check_device_parity(
        lambda a, b: F.mse_loss(a, b, reduction=reduction), x, _r(6, 5, seed=2), device=device
    )
    check_device_parity(lambda a, b: F.l1_loss(a, b, reduction=reduction), x, _r(6, 5, seed=2), device=device)
    p = (np.random.default_rng(3).uniform(0.05, 0.95, (6, 5))).astype(np.float32)
    check_device_parity(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
        x,
        p,
        device=device,
        rtol=1e-4,
    )
    check_device_parity(
        lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
        p,
        p[::-1].copy(),
        device=device,
        rtol=1e-4,
    )
    check_device_parity(
        lambda a, b: F.cross_entropy(a, F.softmax(b, dim=1), reduction=reduction),
        x,
        _r(6, 5, seed=4),
        device=device,
        rtol=1e-4,
    )


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_family_on_device(dim, device):
    x = _r(4, 7, seed=5, scale=3.0)
    check_device_parity(lambda a: F.softmax(a, dim=dim), x, device=device)
    check_device_parity(lambda a: F.log_softmax(a, dim=dim), x, device=device, rtol=1e-4, atol=1e-5)
    check_device_parity(lambda a: F.softmax(a, dim=1), _r(2, 3, 4, seed=6), device=device)


def test_other_functional_on_device(device):
    x, w, b = _r(5, 4, seed=7), _r(3, 4, seed=8), _r(3, seed=9)
    check_device_parity(lambda a, ww, bb: F.relu(F.linear(a, ww, bb)), x, w, b, device=device, rtol=1e-4)
    check_device_parity(lambda a: (F.sigmoid(a), F.tanh(a), F.leaky_relu(a, 0.1)), x, device=device)
    check_device_parity(lambda a: F.normalize(a, dim=1), x, device=device, rtol=1e-4)
    check_device_parity(
        lambda a, c: F.cosine_similarity(a, c), x, _r(5, 4, seed=10), device=device, rtol=1e-4
    )
    check_device_parity(
        lambda a, c: F.pairwise_distance(a, c), x, _r(5, 4, seed=10), device=device, rtol=1e-4
    )
    check_device_parity(
        lambda ww, i: F.embedding(i, ww), _r(10, 3, seed=11), np.array([[1, 2], [9, 1]]), device=device
    )
    check_device_parity(
        lambda ww, i: F.embedding(i, ww, padding_idx=1),
        _r(10, 3, seed=11),
        np.array([[1, 2], [9, 1]]),
        device=device,
    )
    check_device_parity(lambda i: F.one_hot(i, 5), np.array([0, 4, 2]), device=device)
    with pytest.raises(IndexError):
        F.cross_entropy(pn.zeros(2, 3, device=device), pn.tensor([0, 3], device=device))
    with pytest.raises(IndexError):
        F.nll_loss(pn.zeros(2, 3, device=device), pn.tensor([0, -1], device=device))


def test_gelu_erf_erfc_on_device(device):
    """GELU's normal CDF on the GPU: the cuda backend's own erf / erfc kernels (NumPy has none; the
    host computes them in float64, which device arrays do not hold), values and gradients."""
    x = np.linspace(-9, 9, 61, dtype=np.float32)
    check_device_parity(lambda a: (pn.erf(a), pn.erfc(a)), x, device=device, atol=1e-6)
    check_device_parity(lambda a: (F.gelu(a), F.gelu(a, approximate="tanh")), x, device=device, atol=1e-6)
