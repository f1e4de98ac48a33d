"""Higher-order gradients (create_graph=True) in the programs that use them, against torch.

Each scenario is run twice, once with pyneuro and once with torch, from the same numbers:
a physics-informed net (u_xx of an MLP), a WGAN-GP gradient penalty (MLP and CNN critics),
a MAML inner step, Hessians and Hessian-vector products, backward(create_graph=True) and
the bookkeeping around it (retain_graph's default, hooks, in-place checks, custom
Functions). Op-by-op second derivatives are in test_higher_order_ops.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _arr(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _t(fw, a, grad=False):
    return fw.tensor(a, requires_grad=grad)


def _close(mine, theirs, rtol=2e-4, atol=2e-5):
    np.testing.assert_allclose(np.asarray(mine.detach()), theirs.detach().numpy(), rtol=rtol, atol=atol)


def _mlp(fw, params, x, act):
    w1, b1, w2, b2, w3, b3 = params
    h = act(x @ w1.T + b1)
    h = act(fw.nn.functional.linear(h, w2, b2))
    return fw.nn.functional.linear(h, w3, b3)


def _params(fw, arrays):
    return [_t(fw, a, True) for a in arrays]


MLP_ARRAYS = [_arr(16, 1), _arr(16), _arr(16, 16, scale=0.3), _arr(16), _arr(1, 16, scale=0.3), _arr(1)]


@pytest.mark.parametrize("act", ["tanh", "sin", "softplus", "gelu", "silu"])
def test_physics_informed_loss_matches_torch(act):
    """u(x) by an MLP; the loss reads u_x and u_xx (two create_graph grads) and trains the weights."""
    xs = np.linspace(-1, 1, 12, dtype=np.float32).reshape(-1, 1)
    results = []
    for fw in (pn, torch):
        f = {
            "tanh": fw.tanh,
            "sin": fw.sin,
            "softplus": fw.nn.functional.softplus,
            "gelu": fw.nn.functional.gelu,
            "silu": fw.nn.functional.silu,
        }[act]
        params = _params(fw, MLP_ARRAYS)
        x = _t(fw, xs, True)
        u = _mlp(fw, params, x, f)
        (u_x,) = fw.autograd.grad(u, x, fw.ones_like(u), create_graph=True)
        (u_xx,) = fw.autograd.grad(u_x, x, fw.ones_like(u_x), create_graph=True)
        loss = ((u_xx + fw.sin(x) * u) ** 2).mean() + (u_x**2).mean()
        loss.backward()
        results.append((u_x, u_xx, loss, [p.grad for p in params]))
    mine, theirs = results
    for a, b in zip(mine[:3], theirs[:3]):
        _close(a, b)
    for a, b in zip(mine[3], theirs[3]):
        _close(a, b, rtol=1e-3, atol=1e-4)


def _critic_mlp(fw, params, x):
    w1, b1, w2, b2 = params
    h = fw.nn.functional.leaky_relu(fw.nn.functional.linear(x, w1, b1), 0.2)
    return fw.nn.functional.linear(h, w2, b2)


def _critic_cnn(fw, params, x):
    w1, b1, w2, b2, w3, b3 = params
    F = fw.nn.functional
    h = F.leaky_relu(F.conv2d(x, w1, b1, stride=2, padding=1), 0.2)
    h = F.avg_pool2d(F.leaky_relu(F.conv2d(h, w2, b2, padding=1), 0.2), 2)
    h = F.max_pool2d(h, 2, 1)
    return F.linear(h.flatten(1), w3, b3)


CRITICS = {
    "mlp": (_critic_mlp, (4, 6), [_arr(8, 6, scale=0.4), _arr(8), _arr(1, 8, scale=0.4), _arr(1)]),
    "cnn": (
        _critic_cnn,
        (2, 2, 8, 8),
        [
            _arr(4, 2, 3, 3, scale=0.3),
            _arr(4),
            _arr(3, 4, 3, 3, scale=0.3),
            _arr(3),
            _arr(1, 3, scale=0.3),
            _arr(1),
        ],
    ),
}


@pytest.mark.parametrize("critic", sorted(CRITICS))
def test_wgan_gradient_penalty_matches_torch(critic):
    """WGAN-GP: ((|| d critic(x_hat) / d x_hat || - 1)^2).mean() backpropagated into the critic."""
    fn, shape, arrays = CRITICS[critic]
    real, fake = _arr(*shape), _arr(*shape)
    alpha = RNG.random((shape[0],) + (1,) * (len(shape) - 1)).astype(np.float32)
    results = []
    for fw in (pn, torch):
        params = _params(fw, arrays)
        x_hat = (_t(fw, alpha) * _t(fw, real) + (1 - _t(fw, alpha)) * _t(fw, fake)).requires_grad_(True)
        score = fn(fw, params, x_hat)
        (g,) = fw.autograd.grad(score, x_hat, fw.ones_like(score), create_graph=True, retain_graph=True)
        penalty = ((g.reshape(g.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()
        loss = score.mean() + 10 * penalty
        loss.backward()
        results.append((penalty, [p.grad for p in params]))
    _close(results[0][0], results[1][0])
    for a, b in zip(results[0][1], results[1][1]):
        _close(a, b, rtol=1e-3, atol=1e-4)


def test_maml_inner_step_is_differentiated_through():
    """w' = w - lr * dL_train/dw (create_graph); the outer loss at w' trains w through the step."""
    x_tr, y_tr, x_te, y_te = _arr(10, 5), RNG.integers(0, 3, 10), _arr(8, 5), RNG.integers(0, 3, 8)
    w0, b0 = _arr(3, 5, scale=0.5), _arr(3)
    results = []
    for fw in (pn, torch):
        F = fw.nn.functional
        w, b = _t(fw, w0, True), _t(fw, b0, True)
        inner = F.cross_entropy(F.linear(_t(fw, x_tr), w, b), fw.tensor(y_tr))
        gw, gb = fw.autograd.grad(inner, (w, b), create_graph=True)
        w1, b1 = w - 0.5 * gw, b - 0.5 * gb
        outer = F.cross_entropy(F.linear(_t(fw, x_te), w1, b1), fw.tensor(y_te))
        outer.backward()
        results.append((outer, w.grad, b.grad))
    for a, b in zip(*results):
        _close(a, b)


def test_backward_create_graph_leaves_differentiable_grads(monkeypatch):
    """backward(create_graph=True): .grad has a grad_fn; differentiating it adds second derivatives."""
    from pyneuro.autograd import graph_backward

    monkeypatch.setattr(graph_backward, "_warned", [False])  # torch warns once per process
    a = _arr(4)
    results = []
    for fw in (pn, torch):
        x = _t(fw, a, True)
        y = (x.exp() * x.sin()).sum()
        if fw is pn:
            with pytest.warns(UserWarning, match="reference cycle"):  # torch's warning, word for word
                y.backward(create_graph=True)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y.backward(create_graph=True)
        first = x.grad
        assert first.requires_grad and first.grad_fn is not None
        x.grad = None
        (first * first).sum().backward()
        results.append((first, x.grad))
    for a_, b_ in zip(*results):
        _close(a_, b_)


def test_retain_graph_defaults_to_create_graph():
    for fw in (pn, torch):
        x = _t(fw, _arr(3), True)
        y = (x.tanh() ** 2).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the reference-cycle warning, tested above)
            y.backward(create_graph=True)
        y.backward()  # the first-order graph is still there
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()


def test_third_and_fourth_derivatives():
    a = np.array([0.3, -1.1, 0.8], dtype=np.float64)
    results = []
    for fw in (pn, torch):
        x = fw.tensor(a, requires_grad=True)
        g = (x.sin() * x.exp()).sum()
        out = []
        for _ in range(4):
            (g,) = fw.autograd.grad(g.sum(), x, create_graph=True)
            out.append(g)
        results.append(out)
    for a_, b_ in zip(*results):
        _close(a_, b_, rtol=1e-10, atol=1e-12)


def test_hessian_hvp_vhp_and_jacobian_create_graph_match_torch():
    a, b = _arr(3), _arr(3, 2)
    v = _arr(3)

    def f(fw):
        return lambda x, w: ((x @ w).tanh() ** 2).sum() + (x**3).sum()

    out = {}
    for fw in (pn, torch):
        x, w = _t(fw, a), _t(fw, b)
        F = fw.autograd.functional
        out[fw] = (
            F.hessian(f(fw), (x, w)),
            F.hessian(lambda x: f(fw)(x, w), x),
            F.hvp(lambda x: f(fw)(x, w), x, _t(fw, v)),
            F.vhp(lambda x: f(fw)(x, w), x, _t(fw, v)),
        )
    mine, theirs = out[pn], out[torch]
    for i in range(2):
        for j in range(2):
            _close(mine[0][i][j], theirs[0][i][j])
    _close(mine[1], theirs[1])
    for k in (2, 3):
        _close(mine[k][0], theirs[k][0])
        _close(mine[k][1], theirs[k][1])
    # create_graph=True keeps the Jacobian differentiable with respect to the caller's input
    grads = []
    for fw in (pn, torch):
        x = _t(fw, a, True)
        jac = fw.autograd.functional.jacobian(lambda x: x.sin() * x.sum(), x, create_graph=True)
        assert jac.requires_grad
        (jac**2).sum().backward()
        grads.append(x.grad)
    _close(*grads)


def test_hvp_of_a_model_loss_matches_torch():
    """H v of a classifier's loss with respect to its weights (what Newton-CG/influence functions need)."""
    x, y = _arr(6, 4), RNG.integers(0, 3, 6)
    w0, v0 = _arr(3, 4, scale=0.5), _arr(3, 4)
    res = []
    for fw in (pn, torch):
        F = fw.nn.functional

        def loss(w, fw=fw, F=F):
            return F.cross_entropy(F.linear(fw.tensor(x), w), fw.tensor(y)) + 0.1 * (w**2).sum()

        res.append(fw.autograd.functional.hvp(loss, _t(fw, w0), _t(fw, v0))[1])
    _close(*res)


def test_gradgradcheck_passes_and_catches_a_wrong_second_derivative():
    x = pn.randn(4, dtype=pn.float64, requires_grad=True)
    w = pn.randn(4, 3, dtype=pn.float64, requires_grad=True)
    assert pn.autograd.gradgradcheck(lambda a, b: pn.nn.functional.softmax(a @ b, dim=0), (x, w))

    class WrongSecond(pn.autograd.Function):
        """x^3 with a first derivative written so that its own derivative is wrong (6x -> 3x)."""

        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 3 * (a.detach() * a)  # right values, half the second derivative

    assert pn.autograd.gradcheck(WrongSecond.apply, (x,))
    with pytest.raises(pn.GradcheckError):
        pn.autograd.gradgradcheck(WrongSecond.apply, (x,))


def test_custom_function_double_backward_and_once_differentiable():
    class Cube(pn.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 3 * a * a

    x = pn.tensor([1.0, 2.0], requires_grad=True)
    (g,) = pn.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = pn.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])

    class Once(Cube):
        @staticmethod
        @pn.autograd.function.once_differentiable
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 3 * a * a

    x = pn.tensor([1.0, 2.0], requires_grad=True)
    (g,) = pn.autograd.grad(Once.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    # as torch: with a constant seed the once-differentiable result is a plain constant ...
    assert not g.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        g.sum().backward()
    # ... and where the gradient it received requires grad, differentiating it again is the error
    (g,) = pn.autograd.grad((Once.apply(x) * x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_hooks_see_and_replace_gradients_that_stay_in_the_graph():
    results = []
    for fw in (pn, torch):
        x = _t(fw, np.array([0.5, -0.2, 1.5], dtype=np.float32), True)
        h = x.tanh()
        seen = []
        h.register_hook(lambda g, seen=seen: seen.append(g.requires_grad) or g * 2)
        x.register_hook(lambda g: g + 1)
        (g,) = fw.autograd.grad((h**2).sum(), x, create_graph=True)
        (hh,) = fw.autograd.grad(g.sum(), x)
        results.append((g, hh, seen))
    _close(results[0][0], results[1][0])
    _close(results[0][1], results[1][1])
    assert results[0][2] == results[1][2] == [True, False]  # the second pass runs the hook too


def test_in_place_change_after_use_with_create_graph_is_torchs():
    """sin saved its input: changing it fails the walk. exp saved only its output: the walk
    (and the second derivative) uses that output, never exp of the changed input."""
    for fw in (pn, torch):
        x = _t(fw, np.array([1.0, 2.0, 3.0], dtype=np.float32), True)
        y = x * 1
        z = y.sin().sum()
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            fw.autograd.grad(z, x, create_graph=True)
    res = []
    for fw in (pn, torch):
        x = _t(fw, np.array([1.0, 2.0, 3.0], dtype=np.float32), True)
        y = x * 1
        z = y.exp().sum()
        y.mul_(2)
        (g,) = fw.autograd.grad(z, x, create_graph=True)
        (h,) = fw.autograd.grad(g.sum(), x)
        res.append((g, h))
    for m, t in zip(*res):
        _close(m, t)


def test_grad_through_inplace_and_views_matches_torch():
    a = _arr(5)
    res = []
    for fw in (pn, torch):
        x = _t(fw, a, True)
        y = x.clone() * 1
        y[1:3] = x[:2].sin() * 2  # CopySlices
        y.relu_()
        (g,) = fw.autograd.grad((y**3).sum(), x, create_graph=True)
        (h,) = fw.autograd.grad((g * g).sum(), x)
        res.append((g, h))
    for m, t in zip(*res):
        _close(m, t)


def test_grad_of_grad_with_non_scalar_grad_outputs_that_require_grad():
    """A grad_outputs tensor that requires grad: the gradient is differentiable in it too."""
    a, v = _arr(4), _arr(4)
    res = []
    for fw in (pn, torch):
        x, w = _t(fw, a, True), _t(fw, v, True)
        y = x.sigmoid()
        (g,) = fw.autograd.grad(y, x, w, create_graph=True)
        (g * g).sum().backward()
        res.append((g, x.grad, w.grad))
    for m, t in zip(*res):
        _close(m, t)


def test_unsupported_op_raises_and_first_order_is_unchanged():
    x = pn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        pn.autograd.grad(pn.distributions.Gamma(x, 1.0).rsample().sum(), x, create_graph=True)
    (g,) = pn.autograd.grad((x**2).sum(), x)
    assert g.grad_fn is None and not g.requires_grad


@pytest.mark.parametrize("kind,gates", [("LSTM", 4), ("GRU", 3)])
def test_rnn_second_derivatives_match_torch(kind, gates):
    """The LSTM and GRU steps' fused gate nodes (autograd/rnn_cell.py) through create_graph: the
    gradient of a gradient norm with respect to the weights, against torch."""
    x0 = _arr(3, 5, 4)
    weights = [_arr(6 * gates, 4, scale=0.4), _arr(6 * gates, 6, scale=0.4), _arr(6 * gates), _arr(6 * gates)]
    res = []
    for fw in (pn, torch):
        rnn = getattr(fw.nn, kind)(4, 6, batch_first=True)
        with fw.no_grad():
            for p, a in zip(rnn.parameters(), weights):
                p.copy_(fw.tensor(a))
        x = _t(fw, x0, True)
        out, state = rnn(x)
        last = state[1] if kind == "LSTM" else state  # the LSTM's cell state, the GRU's h
        (gx,) = fw.autograd.grad((out**2).sum() + last.sum(), x, create_graph=True)
        (gx**2).sum().backward()
        res.append((gx, [p.grad for p in rnn.parameters()]))
    _close(res[0][0], res[1][0])
    for a, b in zip(res[0][1], res[1][1]):
        _close(a, b, rtol=1e-3, atol=1e-4)


def test_rnn_pointwise_nodes_pass_gradcheck_and_gradgradcheck():
    from pyneuro.autograd.rnn_cell import GRUPointwise, LSTMPointwise

    z = pn.randn(3, 8, dtype=pn.float64, requires_grad=True)
    c = pn.randn(3, 2, dtype=pn.float64, requires_grad=True)
    assert pn.autograd.gradcheck(LSTMPointwise.apply, (z, c))
    assert pn.autograd.gradgradcheck(LSTMPointwise.apply, (z, c))
    gi = pn.randn(3, 6, dtype=pn.float64, requires_grad=True)
    gh = pn.randn(3, 6, dtype=pn.float64, requires_grad=True)
    assert pn.autograd.gradcheck(GRUPointwise.apply, (gi, gh, c))
    assert pn.autograd.gradgradcheck(GRUPointwise.apply, (gi, gh, c))


def _gradient_penalty_step(lib):
    """A WGAN-GP critic step on the gradient penalty alone, with a LeakyReLU critic and AdamW."""
    critic = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.LeakyReLU(0.2), lib.nn.Linear(4, 1))
    with lib.no_grad():
        for i, p in enumerate(critic.parameters()):
            p.copy_(lib.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1) * 0.3)
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], requires_grad=True)
    opt = lib.optim.AdamW(critic.parameters(), lr=0.1, weight_decay=0.5)
    d = critic(x)
    (g,) = lib.autograd.grad(d, x, lib.ones_like(d), create_graph=True)
    ((g.norm(2, dim=1) - 1) ** 2).mean().backward()
    grads = [None if p.grad is None else p.grad.numpy().copy() for p in critic.parameters()]
    opt.step()
    return grads, [p.detach().numpy().copy() for p in critic.parameters()]


def test_parameter_reached_only_through_a_mask_gets_zeros_not_none():
    # The first layer's bias reaches the penalty only through LeakyReLU's mask: torch's
    # backward formula reads the activation's input, so the bias gets a zero gradient (and
    # AdamW's weight decay); a None would make the optimizer skip it.
    torch = pytest.importorskip("torch")
    got, want = _gradient_penalty_step(pn), _gradient_penalty_step(torch)
    assert [g is None for g in got[0]] == [g is None for g in want[0]] == [False, False, False, True]
    for a, b in zip(got[0][:3], want[0][:3]):  # (the last bias is not in the penalty at all: None)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    for a, b in zip(got[1], want[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_gradient_of_relu_stays_in_the_graph_with_zero_second_derivative():
    for lib in (pn, pytest.importorskip("torch")):
        x = lib.tensor([-1.0, 0.5, 2.0], requires_grad=True)
        (g,) = lib.autograd.grad(lib.relu(x).sum(), x, create_graph=True)
        assert g.requires_grad and g.tolist() == [0.0, 1.0, 1.0]
        assert lib.autograd.grad(g[1], x)[0].tolist() == [0.0, 0.0, 0.0]
        assert type(g.grad_fn).__name__ == "ThresholdBackwardBackward0"


def test_addmm_family_with_beta_0_keeps_the_input_in_the_graph():
    torch = pytest.importorskip("torch")
    for lib in (pn, torch):
        c = lib.full((3,), float("nan"), requires_grad=True)
        y = lib.addmv(c, lib.ones(3, 2), lib.ones(2), beta=0)  # (c's NaNs are not read)
        y.sum().backward()
        assert y.tolist() == [2.0, 2.0, 2.0] and c.grad.tolist() == [0.0, 0.0, 0.0]
        c = lib.ones(2, 2, 2, requires_grad=True)
        y = lib.baddbmm(c, lib.ones(2, 2, 2), lib.ones(2, 2, 2), beta=0)
        y.sum().backward()
        assert c.grad.abs().sum().item() == 0.0 and type(y.grad_fn).__name__ == "BaddbmmBackward0"
        c = lib.ones(2, 2, requires_grad=True)
        y = lib.addmm(c, lib.ones(2, 2), lib.ones(2, 2), beta=0)
        assert type(y.grad_fn).__name__ == "AddmmBackward0"


def test_matrix_rank_takes_a_tolerance_per_matrix():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (pn, torch):
        s = lib.tensor([[[2.0, 1], [1, 3]], [[5.0, 1], [1, 5]]], dtype=lib.float64)
        results.append(
            [
                lib.linalg.matrix_rank(s, **kw).tolist()
                for kw in (
                    {},
                    {"atol": lib.tensor([1.0, 10.0], dtype=lib.float64)},
                    {"rtol": lib.tensor([0.1, 0.9], dtype=lib.float64)},
                    {"atol": 3.0},
                    {"atol": 1.0, "rtol": 0.9},
                    {"tol": 2.5},
                )
            ]
        )
    assert results[0] == results[1]


def test_batched_ex_forms_report_each_matrix():
    torch = pytest.importorskip("torch")
    for lib in (pn, torch):
        r = lib.linalg.cholesky_ex(lib.stack([lib.eye(2), -lib.eye(2)]))
        assert r.info.tolist() == [0, 1] and r.L[0].tolist() == [[1.0, 0.0], [0.0, 1.0]]
        x = lib.stack([lib.eye(2) * 2, lib.zeros(2, 2)]).requires_grad_()
        r = lib.linalg.inv_ex(x)
        assert r.info.tolist() == [0, 1] and r.inverse[0].tolist() == [[0.5, 0.0], [0.0, 0.5]]
        r.inverse[0].sum().backward()
        assert x.grad[0].tolist() == [[-0.25, -0.25], [-0.25, -0.25]]


@pytest.mark.parametrize(
    "b_shape, left",
    [((3, 2, 1), True), ((2,), True), ((3, 2), True), ((4, 1, 2, 1), True), ((3, 1, 2), False)],
)
def test_batched_solve_ex_keeps_the_good_solutions(b_shape, left):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (pn, torch):
        A = lib.stack([lib.eye(2), lib.zeros(2, 2), lib.eye(2) * 2])
        r = lib.linalg.solve_ex(A, lib.ones(*b_shape), left=left)
        good = r.result.reshape(-1, 2).isfinite().all(1)
        results.append((tuple(r.result.shape), r.info.tolist(), r.result.reshape(-1, 2)[good].tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "f",
    [
        lambda t, x: (x**3).sum(),
        lambda t, x: t.sin(x).sum(),
        lambda t, x: x[0] ** 2 + 3 * x[0] * x[1] - x[2] ** 2,
        lambda t, x: (t.tanh(x) * x).sum(),
    ],
)
def test_hessian_zeros_keep_torchs_signs(f):
    """A second derivative's exact zeros print as torch's (-0. where torch's is -0.): a gradient
    computed from the tensors its op read is not linked to them again with zeros, whose 0 + -0
    would make every -0 a 0."""
    x = [1.0, 2.0, -3.0]
    want = torch.autograd.functional.hessian(lambda v: f(torch, v), torch.tensor(x))
    got = pn.autograd.functional.hessian(lambda v: f(pn, v), pn.tensor(x))
    assert str(got) == str(want)
    tx, px = torch.tensor(x, requires_grad=True), pn.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad(f(torch, tx), tx, create_graph=True)
    (pg,) = pn.autograd.grad(f(pn, px), px, create_graph=True)
    for v in ([1.0, 0.0, 0.0], [0.0, 0.0, -1.0]):
        want = torch.autograd.grad(tg, tx, torch.tensor(v), retain_graph=True)[0]
        got = pn.autograd.grad(pg, px, pn.tensor(v), retain_graph=True)[0]
        assert str(got) == str(want)


@pytest.mark.parametrize(
    "f",
    [
        lambda t, x: t.cos(x),
        lambda t, x: t.tanh(x),
        lambda t, x: t.sigmoid(x),
        lambda t, x: x.reciprocal(),
        lambda t, x: x.softmax(0)[:2],
        lambda t, x: x.log_softmax(0),
        lambda t, x: t.nn.functional.mse_loss(x, t.ones(3)),
        *(
            lambda t, x, op=op: getattr(t.nn.functional, op)(x - 1)
            for op in ("gelu", "elu", "selu", "softplus", "hardswish", "logsigmoid", "silu")
        ),
    ],
)
def test_create_graph_gradient_node_names_like_torch(f):
    """print(grad) after create_graph=True shows torch's node (grad_fn=<TanhBackwardBackward0>, ...)."""
    tx, px = torch.tensor([0.5, 2.0, 3.0], requires_grad=True), pn.tensor([0.5, 2.0, 3.0], requires_grad=True)
    (tg,) = torch.autograd.grad(f(torch, tx).sum(), tx, create_graph=True)
    (pg,) = pn.autograd.grad(f(pn, px).sum(), px, create_graph=True)
    assert pg.grad_fn.name() == tg.grad_fn.name()
    np.testing.assert_allclose(pg.detach().numpy(), tg.detach().numpy(), rtol=1e-5, atol=1e-6)
