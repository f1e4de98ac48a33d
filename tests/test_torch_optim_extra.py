"""Adamax, NAdam, RAdam, Rprop, ASGD and LBFGS, and the torch options of the older optimizers,
against torch: the same parameters and calls give the same trajectories over 20 steps, the same
param_groups / state_dict keys, and the same constructor errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def trajectory(fw, make, steps=20, seed=0, lbfgs=False, dtype=np.float32):
    """Parameters after every step on a smooth non-quadratic loss; returns a list of arrays."""
    rng = np.random.default_rng(seed)
    w = fw.tensor(rng.standard_normal((4, 3)).astype(dtype), requires_grad=True)
    b = fw.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)
    x = fw.tensor(rng.standard_normal((5, 4)).astype(dtype))
    opt = make(fw, [w, b])
    out = []

    def closure():
        opt.zero_grad()
        loss = ((x @ w + b).tanh() - 0.5).pow(2).mean() + (w * w).sum() * 0.01
        loss.backward()
        return loss

    for _ in range(steps):
        if lbfgs:
            opt.step(closure)
        else:
            closure()
            opt.step()
        out.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy().ravel()]))
    return out, opt


CASES = [
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("Adamax", {"maximize": True, "eps": 1e-3}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.9)}),  # rho_t > 5 after a few steps
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"weight_decay": 0.1, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 5, "weight_decay": 0.1}),
    ("ASGD", {"maximize": True, "t0": 0}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "foreach": False, "differentiable": False}),
    ("SGD", {"lr": 0.1, "maximize": True, "fused": None}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "foreach": None, "capturable": False}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.05, "amsgrad": True, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "foreach": False}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("Adadelta", {"lr": 0.5, "weight_decay": 0.01, "maximize": True}),
]


@pytest.mark.parametrize(("name", "kw"), CASES)
def test_trajectory_matches_torch(name, kw):
    mine, opt = trajectory(pn, lambda fw, ps: getattr(fw.optim, name)(ps, **kw))
    ref, topt = trajectory(torch, lambda fw, ps: getattr(fw.optim, name)(ps, **kw))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    assert opt.param_groups[0].keys() == topt.param_groups[0].keys()
    for k, v in topt.param_groups[0].items():
        if k != "params":
            assert opt.param_groups[0][k] == v, k
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["state"].keys() == tsd["state"].keys()
    for i in tsd["state"]:
        assert sd["state"][i].keys() == tsd["state"][i].keys()
        for k, v in tsd["state"][i].items():
            np.testing.assert_allclose(
                np.asarray(
                    sd["state"][i][k].tolist() if hasattr(sd["state"][i][k], "tolist") else sd["state"][i][k]
                ),
                v.numpy(),
                rtol=2e-5,
                atol=2e-6,
            )


def test_state_dict_round_trip_continues_the_same_trajectory():
    def run(fw, split):
        rng = np.random.default_rng(1)
        w = fw.tensor(rng.standard_normal(6).astype(np.float32), requires_grad=True)
        opt = fw.optim.NAdam([w], lr=0.05)
        for i in range(10):
            if i == split:
                sd = opt.state_dict()
                opt = fw.optim.NAdam([w], lr=0.05)
                opt.load_state_dict(sd)
            opt.zero_grad()
            (w.sin() * w).sum().backward()
            opt.step()
        return w.detach().numpy()

    np.testing.assert_allclose(run(pn, 4), run(pn, -1), rtol=1e-6)
    np.testing.assert_allclose(run(pn, 4), run(torch, 4), rtol=1e-5)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"history_size": 3, "max_iter": 5},
        {"line_search_fn": "strong_wolfe"},
        {"line_search_fn": "strong_wolfe", "history_size": 2, "lr": 0.5},
        {"tolerance_grad": 1e-3, "tolerance_change": 1e-4},
    ],
)
def test_lbfgs_matches_torch(kw):
    """In float64: 20 inner iterations amplify float32 rounding to ~1e-4 (torch's own float32
    run is that far from its float64 one), which would hide a real difference."""
    mine, opt = trajectory(pn, lambda fw, ps: fw.optim.LBFGS(ps, **kw), steps=3, lbfgs=True, dtype=np.float64)
    ref, topt = trajectory(
        torch, lambda fw, ps: fw.optim.LBFGS(ps, **kw), steps=3, lbfgs=True, dtype=np.float64
    )
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    st, tst = next(iter(opt.state.values())), next(iter(topt.state.values()))
    assert st["n_iter"] == tst["n_iter"] and st["func_evals"] == tst["func_evals"]
    assert opt.param_groups[0].keys() == topt.param_groups[0].keys()


def test_lbfgs_state_dict_round_trip():
    def run(split):
        w = pn.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
        opt = pn.optim.LBFGS([w], max_iter=3, history_size=2)

        def closure():
            opt.zero_grad()
            loss = ((w - 3) ** 4).sum()
            loss.backward()
            return loss

        for i in range(4):
            if i == split:
                sd = opt.state_dict()
                opt = pn.optim.LBFGS([w], max_iter=3, history_size=2)
                opt.load_state_dict(sd)
            opt.step(closure)
        return w.detach().numpy()

    np.testing.assert_allclose(run(2), run(-1), rtol=1e-6)


def test_lbfgs_float32_few_iterations():
    make = lambda fw, ps: fw.optim.LBFGS(ps, max_iter=3, history_size=2)
    mine, _ = trajectory(pn, make, steps=4, lbfgs=True)
    ref, _ = trajectory(torch, make, steps=4, lbfgs=True)
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_lbfgs_returns_the_first_loss_and_refuses_groups():
    w = pn.tensor([1.0, -2.0], requires_grad=True)
    opt = pn.optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = ((w - 3) ** 2).sum()
        loss.backward()
        return loss

    first = opt.step(closure)
    assert abs(float(first) - 29.0) < 1e-5
    np.testing.assert_allclose(w.detach().numpy(), [3.0, 3.0], atol=1e-4)
    with pytest.raises(ValueError):
        pn.optim.LBFGS([{"params": [w]}, {"params": [pn.zeros(1, requires_grad=True)]}])
    bad = pn.optim.LBFGS([w], line_search_fn="armijo")
    w.data.fill_(0.0)
    with pytest.raises(RuntimeError):
        bad.step(closure)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("Adamax", {"lr": -1.0}),
        ("Adamax", {"betas": (1.0, 0.9)}),
        ("NAdam", {"momentum_decay": -1.0}),
        ("RAdam", {"eps": -1.0}),
        ("RAdam", {"weight_decay": -1.0}),
        ("Rprop", {"etas": (1.5, 1.2)}),
        ("Rprop", {"lr": -0.1}),
        ("ASGD", {"weight_decay": -1.0}),
        ("LBFGS", {"lr": -1.0}),
    ],
)
def test_bad_hyperparameters_raise_like_torch(name, kw):
    with pytest.raises(ValueError) as t_err:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as p_err:
        getattr(pn.optim, name)([pn.zeros(2, requires_grad=True)], **kw)
    assert str(p_err.value) == str(t_err.value)


def test_named_parameters_give_param_names():
    model = pn.nn.Linear(2, 3)
    opt = pn.optim.Adamax(model.named_parameters())
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"][0] is model.weight


def test_defaults_and_signatures_match_torch():
    import inspect

    names = (
        "Adamax",
        "NAdam",
        "RAdam",
        "Rprop",
        "ASGD",
        "LBFGS",
        "SGD",
        "Adam",
        "AdamW",
        "Adadelta",
        "RMSprop",
    )
    for name in names + ("Adagrad",):
        mine = inspect.signature(getattr(pn.optim, name).__init__).parameters
        ref = inspect.signature(getattr(torch.optim, name).__init__).parameters
        assert list(mine) == list(ref), name
        for k, p in ref.items():
            assert mine[k].default == p.default and mine[k].kind == p.kind, (name, k)


def test_state_is_empty_dict_before_the_first_step():
    w = pn.zeros(2, requires_grad=True)
    opt = pn.optim.Adam([w])
    assert opt.state[w] == {} and opt.state_dict()["state"] == {0: {}}
    tw = torch.zeros(2, requires_grad=True)
    topt = torch.optim.Adam([tw])
    assert topt.state[tw] == {} and topt.state_dict()["state"] == {0: {}}


def test_scheduler_signatures_match_torch():
    import inspect

    for name in torch.optim.lr_scheduler.__all__:
        mine = inspect.signature(getattr(pn.optim.lr_scheduler, name).__init__).parameters
        ref = inspect.signature(getattr(torch.optim.lr_scheduler, name).__init__).parameters
        assert list(mine) == list(ref), name
        for k, p in ref.items():
            assert mine[k].default == p.default, (name, k)


def test_step_hooks_like_torch():
    for fw in (pn, torch):
        w = fw.ones(2, requires_grad=True)
        opt = fw.optim.Adamax([w], lr=0.1)
        calls = []
        pre = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt, a, k)))
        opt.register_step_post_hook(lambda o, a, k: calls.append(("post", o is opt, a, k)))
        w.sum().backward()
        opt.step()
        pre.remove()
        opt.step()
        assert calls == [("pre", True, (opt,), {}), ("post", True, (opt,), {}), ("post", True, (opt,), {})]
        opt.register_step_pre_hook(lambda o, a, k: 3)
        with pytest.raises(RuntimeError, match="must return None or a tuple"):
            opt.step()


def test_steps_bump_the_version_counter():
    for cls in (pn.optim.Adamax, pn.optim.NAdam, pn.optim.RAdam, pn.optim.Rprop, pn.optim.ASGD):
        w = pn.ones(3, requires_grad=True)
        y = w * w  # saves w
        opt = cls([w])
        (w * 2).sum().backward()
        opt.step()
        with pytest.raises(RuntimeError):
            y.sum().backward()


# ----------------------------------------------------------------------------- schedulers


def _opt(fw, kind="SGD", lrs=(0.1, 0.01)):
    groups = [{"params": [fw.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "Adam":
        return fw.optim.Adam(groups)
    return fw.optim.SGD(groups, momentum=0.9)


def lr_trajectory(fw, make, steps=30, kind="SGD", epochs=None):
    opt = _opt(fw, kind)
    sched = make(fw, opt)
    out = [list(sched.get_last_lr())]
    moms = []
    for i in range(steps):
        opt.step()
        if epochs is not None:
            sched.step(epochs[i])
        else:
            sched.step()
        out.append(list(sched.get_last_lr()))
        assert out[-1] == [g["lr"] for g in opt.param_groups]
        moms.append([g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups])
    return out, moms, sched


S = "lr_scheduler"
SCHEDULES = [
    ("StepLR", lambda fw, o: fw.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5)),
    ("MultiStepLR", lambda fw, o: fw.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.3)),
    ("ExponentialLR", lambda fw, o: fw.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR", lambda fw, o: fw.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    ("LambdaLR", lambda fw, o: fw.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e))),
    ("LambdaLR2", lambda fw, o: fw.optim.lr_scheduler.LambdaLR(o, [lambda e: 0.9**e, lambda e: e + 1])),
    ("MultiplicativeLR", lambda fw, o: fw.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.95)),
    ("ConstantLR", lambda fw, o: fw.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4)),
    (
        "LinearLR",
        lambda fw, o: fw.optim.lr_scheduler.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    ),
    ("PolynomialLR", lambda fw, o: fw.optim.lr_scheduler.PolynomialLR(o, total_iters=8, power=2.0)),
    (
        "WarmRestarts",
        lambda fw, o: fw.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
    ),
    ("WarmRestarts1", lambda fw, o: fw.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5)),
    ("CyclicLR", lambda fw, o: fw.optim.lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)),
    (
        "CyclicLR2",
        lambda fw, o: fw.optim.lr_scheduler.CyclicLR(
            o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"
        ),
    ),
    (
        "CyclicLRexp",
        lambda fw, o: fw.optim.lr_scheduler.CyclicLR(
            o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9, cycle_momentum=False
        ),
    ),
    (
        "CyclicLRfn",
        lambda fw, o: fw.optim.lr_scheduler.CyclicLR(
            o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5**x, scale_mode="iterations"
        ),
    ),
    ("OneCycleLR", lambda fw, o: fw.optim.lr_scheduler.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=30)),
    (
        "OneCycleLR3",
        lambda fw, o: fw.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.5, epochs=5, steps_per_epoch=6, three_phase=True, anneal_strategy="linear"
        ),
    ),
    (
        "SequentialLR",
        lambda fw, o: fw.optim.lr_scheduler.SequentialLR(
            o,
            [
                fw.optim.lr_scheduler.LinearLR(o, 0.1, total_iters=5),
                fw.optim.lr_scheduler.ExponentialLR(o, 0.9),
            ],
            milestones=[5],
        ),
    ),
    (
        "SequentialLR3",
        lambda fw, o: fw.optim.lr_scheduler.SequentialLR(
            o,
            [
                fw.optim.lr_scheduler.ConstantLR(o, 0.5, total_iters=2),
                fw.optim.lr_scheduler.StepLR(o, 3, 0.5),
                fw.optim.lr_scheduler.CosineAnnealingLR(o, 6),
            ],
            milestones=[4, 12],
        ),
    ),
    (
        "ChainedScheduler",
        lambda fw, o: fw.optim.lr_scheduler.ChainedScheduler(
            [
                fw.optim.lr_scheduler.ConstantLR(o, 0.1, total_iters=3),
                fw.optim.lr_scheduler.ExponentialLR(o, 0.9),
            ]
        ),
    ),
]


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize(("name", "make"), SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_matches_torch(name, make, kind):
    mine, mm, sched = lr_trajectory(pn, make, kind=kind)
    ref, tm, tsched = lr_trajectory(torch, make, kind=kind)
    np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mm, tm, rtol=1e-12)
    assert getattr(sched, "last_epoch", None) == getattr(tsched, "last_epoch", None)
    assert set(sched.state_dict()) == set(tsched.state_dict())


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"])
def test_explicit_epochs_use_the_closed_form_and_warn(name):
    makes = dict(SCHEDULES)
    epochs = [0, 3, 1, 5, 9, 2]
    with pytest.warns(UserWarning, match="epoch parameter"):
        mine, _, _ = lr_trajectory(pn, makes[name], steps=6, epochs=epochs)
    with pytest.warns(UserWarning):
        ref, _, _ = lr_trajectory(torch, makes[name], steps=6, epochs=epochs)
    np.testing.assert_allclose(mine, ref, rtol=1e-12)


def test_warm_restarts_fractional_epochs():
    make = dict(SCHEDULES)["WarmRestarts"]
    epochs = [0.5, 1.25, 3.0, 4.5, 9.1, 20.0, 2.0]
    mine, _, _ = lr_trajectory(pn, make, steps=7, epochs=epochs)
    ref, _, _ = lr_trajectory(torch, make, steps=7, epochs=epochs)
    np.testing.assert_allclose(mine, ref, rtol=1e-12)


def test_scheduler_state_dict_round_trip_and_resume():
    def run(fw):
        opt = _opt(fw)
        s = fw.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4)
        for _ in range(6):
            opt.step()
            s.step()
        sd = s.state_dict()
        opt2 = _opt(fw)
        s2 = fw.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt2, T_0=4)
        s2.load_state_dict(sd)
        out = []
        for _ in range(5):
            opt.step()
            s2.step()
            out.append(s2.get_last_lr())
        return out, sd

    (mine, sd), (ref, tsd) = run(pn), run(torch)
    np.testing.assert_allclose(mine, ref, rtol=1e-12)
    assert sd.keys() == tsd.keys()


def test_last_epoch_resume_needs_initial_lr():
    for fw in (pn, torch):
        opt = _opt(fw)
        with pytest.raises(KeyError):
            fw.optim.lr_scheduler.StepLR(opt, 3, last_epoch=4)
    mine = []
    for fw in (pn, torch):
        opt = _opt(fw)
        for g in opt.param_groups:
            g["initial_lr"] = 1.0
        s = fw.optim.lr_scheduler.ExponentialLR(opt, 0.5, last_epoch=3)
        opt.step()
        s.step()
        mine.append((s.last_epoch, s.get_last_lr()))
    assert mine[0] == mine[1]


def test_scheduler_errors_match_torch():
    cases = [
        ("ConstantLR", {"factor": 1.5}),
        ("LinearLR", {"start_factor": 0.0}),
        ("LinearLR", {"end_factor": 1.5}),
        ("CosineAnnealingWarmRestarts", {"T_0": 0}),
        ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 0}),
        ("CyclicLR", {"base_lr": 0.1, "max_lr": 1.0, "mode": "bad"}),
        ("SequentialLR", {"schedulers": [], "milestones": []}),
        ("OneCycleLR", {"max_lr": 0.1}),
    ]
    for name, kw in cases:
        errs = []
        for fw in (pn, torch):
            with pytest.raises(Exception) as e:
                getattr(fw.optim.lr_scheduler, name)(_opt(fw), **kw)
            errs.append((type(e.value), str(e.value)))
        assert errs[0] == errs[1], name
    for fw in (pn, torch):
        with pytest.raises(ValueError):
            fw.optim.lr_scheduler.CyclicLR(fw.optim.Adagrad([fw.zeros(1, requires_grad=True)]), 0.1, 1.0)
        opt = _opt(fw)
        with pytest.raises(ValueError):
            fw.optim.lr_scheduler.ChainedScheduler([fw.optim.lr_scheduler.ReduceLROnPlateau(opt)])
    assert issubclass(pn.optim.lr_scheduler.ReduceLROnPlateau, pn.optim.lr_scheduler.LRScheduler)


def test_step_before_optimizer_step_warns_like_torch():
    for fw in (pn, torch):
        opt = _opt(fw)
        s = fw.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            s.step()


# ----------------------------------------------------------------------------- swa_utils


def _swa_run(fw, ema=False, use_buffers=False):
    fw.manual_seed(0)
    rng = np.random.default_rng(3)
    model = fw.nn.Sequential(fw.nn.Linear(3, 4), fw.nn.BatchNorm1d(4), fw.nn.Linear(4, 1))
    with fw.no_grad():
        for p in model.parameters():
            p.copy_(fw.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    x = fw.tensor(rng.standard_normal((8, 3)).astype(np.float32))
    swa = fw.optim.swa_utils
    kw = {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.9)} if ema else {}
    avg = swa.AveragedModel(model, use_buffers=use_buffers, **kw)
    opt = fw.optim.SGD(model.parameters(), lr=0.1)
    sched = swa.SWALR(opt, swa_lr=0.02, anneal_epochs=3, anneal_strategy="cos")
    lrs = []
    for _ in range(6):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
        avg.update_parameters(model)
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    swa.update_bn([(x[:4],), (x[4:],)], avg)
    avg.eval()
    out = avg(x)
    return lrs, [_np(v) for v in avg.state_dict().values()], _np(out), list(avg.state_dict())


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize(("ema", "use_buffers"), [(False, False), (True, False), (False, True)])
def test_swa_utils_match_torch(ema, use_buffers):
    mine, ref = _swa_run(pn, ema, use_buffers), _swa_run(torch, ema, use_buffers)
    np.testing.assert_allclose(mine[0], ref[0], rtol=1e-12)
    assert mine[3] == ref[3]
    for a, b in zip(mine[1], ref[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mine[2], ref[2], rtol=1e-5, atol=1e-5)


def test_swa_errors_like_torch():
    for fw in (pn, torch):
        opt = fw.optim.SGD([fw.zeros(1, requires_grad=True)], lr=0.1)
        with pytest.raises(ValueError):
            fw.optim.swa_utils.SWALR(opt, 0.01, anneal_strategy="step")
        with pytest.raises(ValueError):
            fw.optim.swa_utils.SWALR(opt, 0.01, anneal_epochs=-1)
        with pytest.raises(ValueError):
            fw.optim.swa_utils.get_ema_multi_avg_fn(1.5)
        with pytest.raises(AssertionError):
            fw.optim.swa_utils.AveragedModel(
                fw.nn.Linear(1, 1), avg_fn=fw.optim.swa_utils.get_swa_avg_fn(), multi_avg_fn=lambda *a: None
            )


@pytest.mark.parametrize(
    "name",
    [
        "SGD",
        "Adam",
        "AdamW",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adamax",
        "NAdam",
        "RAdam",
        "ASGD",
        "Rprop",
        "LBFGS",
    ],
)
def test_hyperparameter_keys_in_torchs_order(name):
    """print(opt.param_groups) and opt.state_dict() show the keys in the order they were defined."""
    kw = {"lr": 0.1} if name == "SGD" else {}
    mine = getattr(pn.optim, name)(pn.nn.Linear(2, 1).parameters(), **kw)
    theirs = getattr(torch.optim, name)(torch.nn.Linear(2, 1).parameters(), **kw)
    assert list(mine.defaults) == list(theirs.defaults)
    assert list(mine.param_groups[0]) == list(theirs.param_groups[0])
    assert list(mine.state_dict()["param_groups"][0]) == list(theirs.state_dict()["param_groups"][0])


def test_a_checkpoint_with_every_scheduler_loads_weights_only(tmp_path):
    """Refused before: MultiStepLR's state_dict holds a collections.Counter, which pn.load's
    default weights_only=True refused (torch allows it): the usual model + optimizer + scheduler
    checkpoint could not be loaded back."""
    for name, make in SCHEDULES:
        for fw in (pn, torch):
            opt = _opt(fw)
            sched = make(fw, opt)
            opt.step()
            sched.step()
            path = tmp_path / f"{name}_{fw.__name__}.pt"
            fw.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
            back = fw.load(path)
            again = make(fw, _opt(fw))
            again.load_state_dict(back["scheduler"])
            assert getattr(again, "last_epoch", None) == getattr(sched, "last_epoch", None)
            assert again.state_dict().keys() == sched.state_dict().keys()
