"""RMSprop, Adagrad, OneCycleLR and ReduceLROnPlateau against torch: the same parameters,
gradients and calls give the same values (every hyper-parameter path), and the same errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def run_optimizer(fw, make, steps=6, seed=0):
    """A few steps on a quadratic whose gradient changes each step; returns the parameters."""
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    b0 = rng.standard_normal(3).astype(np.float32)
    w = fw.tensor(w0, requires_grad=True)
    b = fw.tensor(b0, requires_grad=True)
    opt = make(fw, [w, b])
    x = fw.tensor(rng.standard_normal((5, 4)).astype(np.float32))
    for _ in range(steps):
        opt.zero_grad()
        ((x @ w + b) ** 2).mean().backward()
        opt.step()
    return w.detach().numpy().copy(), b.detach().numpy().copy()


RMSPROP = [
    {},
    {"lr": 0.05, "alpha": 0.9},
    {"momentum": 0.9},
    {"centered": True},
    {"centered": True, "momentum": 0.5, "weight_decay": 0.1},
    {"maximize": True, "weight_decay": 0.01},
]
ADAGRAD = [
    {},
    {"lr": 0.1, "lr_decay": 0.05},
    {"weight_decay": 0.1, "initial_accumulator_value": 0.5},
    {"maximize": True, "eps": 1e-6},
]


@pytest.mark.parametrize(
    ("name", "kw"), [("RMSprop", kw) for kw in RMSPROP] + [("Adagrad", kw) for kw in ADAGRAD]
)
def test_matches_torch(name, kw):
    p = run_optimizer(pn, lambda fw, ps: getattr(fw.optim, name)(ps, **kw))
    t = run_optimizer(torch, lambda fw, ps: getattr(fw.optim, name)(ps, **kw))
    for a, b in zip(p, t):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_the_new_optimizers_bump_the_version_and_check_their_arguments():
    for cls in (pn.optim.RMSprop, pn.optim.Adagrad, pn.optim.Adadelta):
        w = pn.ones(3, requires_grad=True)
        y = w * w  # saves w
        opt = cls([w], lr=0.1)
        (w * 2).sum().backward()
        opt.step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
    for fw in (pn, torch):
        with pytest.raises(ValueError, match="Invalid learning rate"):
            fw.optim.RMSprop([fw.ones(1, requires_grad=True)], lr=-1)
        with pytest.raises(ValueError, match="Invalid"):
            fw.optim.Adagrad([fw.ones(1, requires_grad=True)], lr_decay=-1)


def lr_trace(fw, make_opt, make_sched, steps, metrics=None):
    w = fw.ones(2, requires_grad=True)
    opt = make_opt(fw, w)
    sched = make_sched(fw, opt)
    trace = []
    for k in range(steps):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[k])
        group = opt.param_groups[0]
        trace.append((group["lr"], group.get("momentum", group.get("betas", (None,))[0])))
    return trace


ONE_CYCLE = [
    ({"max_lr": 0.1, "total_steps": 20}, "sgd"),
    ({"max_lr": 0.1, "epochs": 3, "steps_per_epoch": 5, "anneal_strategy": "linear"}, "sgd"),
    ({"max_lr": 0.01, "total_steps": 25, "three_phase": True, "pct_start": 0.25}, "adam"),
    ({"max_lr": 0.1, "total_steps": 10, "cycle_momentum": False, "div_factor": 10.0}, "sgd"),
]


@pytest.mark.parametrize(("kw", "opt"), ONE_CYCLE)
def test_one_cycle_matches_torch(kw, opt):
    def make_opt(fw, w):
        return fw.optim.SGD([w], lr=0.1, momentum=0.9) if opt == "sgd" else fw.optim.Adam([w], lr=0.1)

    steps = kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]
    p = lr_trace(pn, make_opt, lambda fw, o: fw.optim.lr_scheduler.OneCycleLR(o, **kw), steps - 1)
    t = lr_trace(torch, make_opt, lambda fw, o: fw.optim.lr_scheduler.OneCycleLR(o, **kw), steps - 1)
    np.testing.assert_allclose(np.array(p, dtype=float), np.array(t, dtype=float), rtol=1e-9, atol=1e-12)


def test_one_cycle_errors_match_torch():
    for fw in (pn, torch):
        opt = fw.optim.SGD([fw.ones(1, requires_grad=True)], lr=0.1)
        with pytest.raises(ValueError, match="total_steps OR"):
            fw.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1)
        sched = fw.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2)
        for _ in range(2):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 3 times"):
            sched.step()


PLATEAU = [
    {"patience": 1},
    {"patience": 0, "factor": 0.5, "cooldown": 2},
    {"mode": "max", "patience": 1, "threshold": 0.1, "threshold_mode": "abs"},
    {"patience": 0, "factor": 0.5, "min_lr": 0.02},
]
METRICS = [1.0, 0.9, 0.9, 0.95, 0.89999, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.8, 0.6, 0.6, 0.6]


@pytest.mark.parametrize("kw", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(kw):
    def make_opt(fw, w):
        return fw.optim.SGD([w], lr=0.1)

    def sched(fw, o):
        return fw.optim.lr_scheduler.ReduceLROnPlateau(o, **kw)

    p = lr_trace(pn, make_opt, sched, len(METRICS), METRICS)
    t = lr_trace(torch, make_opt, sched, len(METRICS), METRICS)
    np.testing.assert_allclose(np.array(p, dtype=float), np.array(t, dtype=float), rtol=1e-12)


def test_reduce_lr_on_plateau_takes_a_tensor_and_rejects_bad_settings():
    opt = pn.optim.SGD([pn.ones(1, requires_grad=True)], lr=1.0)
    sched = pn.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(pn.tensor(1.0))
    sched.step(pn.tensor(2.0))
    assert sched.get_last_lr() == [0.1]
    for fw in (pn, torch):
        with pytest.raises(ValueError, match="Factor should be < 1.0"):
            fw.optim.lr_scheduler.ReduceLROnPlateau(
                opt if fw is pn else torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=1.0), factor=2.0
            )


def test_adam_moments_scale_by_torchs_one_minus_beta(backend_name):
    """1 - beta2 is rounded once from the double (torch's float(1 - 0.999)); 1.0f - 0.999f is
    1.3e-5 smaller, which every exp_avg_sq (and print(opt.state_dict())) showed."""
    torch = pytest.importorskip("torch")

    def run(m):
        w = m.nn.Parameter(m.tensor([1.0, 2.0, -3.0]))
        opt = m.optim.Adam([w], lr=0.01)
        for g in ([0.1, 0.2, 0.3], [-0.2, 0.1, 0.05]):
            w.grad = m.tensor(g)
            opt.step()
        return [opt.state[w][k].numpy() for k in ("exp_avg", "exp_avg_sq")] + [w.detach().numpy()]

    for a, b in zip(run(pn), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_a_tensor_lr_on_every_backend(backend_name, name):
    """torch takes lr=torch.tensor(0.1); the numpy table's SGD/Adam update raised with one."""
    p = pn.nn.Parameter(pn.tensor([1.0, 2.0]))
    p.grad = pn.tensor([0.5, -0.5])
    getattr(pn.optim, name)([p], lr=pn.tensor(0.1)).step()
    q = pn.nn.Parameter(pn.tensor([1.0, 2.0]))
    q.grad = pn.tensor([0.5, -0.5])
    getattr(pn.optim, name)([q], lr=0.1).step()
    assert p.tolist() == q.tolist()


def test_state_dict_holds_each_parameters_own_state():
    """torch's state_dict()['state'][i] is opt.state[p] itself: a key added later shows in it."""
    p = pn.nn.Parameter(pn.ones(2))
    opt = pn.optim.Adam([p])
    p.grad = pn.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert sd["state"][0] is opt.state[p]
    opt.state[p]["extra"] = 1
    assert sd["state"][0]["extra"] == 1


def test_grad_mode_contexts_give_none_to_as():
    with pn.no_grad() as a, pn.enable_grad() as b, pn.inference_mode() as c, pn.set_grad_enabled(False) as d:
        assert (a, b, c, d) == (None, None, None, None)
