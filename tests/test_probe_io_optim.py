"""Optimizer state as torch keeps it: state["step"] is a 0-d float tensor, round trips keep it."""

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

CASES = [
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("Adadelta", {}),
    ("Rprop", {"lr": 0.01}),
    ("ASGD", {"lr": 0.01, "t0": 2}),
]


def _train(mod, name, kw, steps=3, dtype="float32"):
    rng = np.random.default_rng(0)
    w = mod.tensor(rng.standard_normal((3, 2)).astype(dtype), requires_grad=True)
    opt = getattr(mod.optim, name)([w], **kw)
    for _ in range(steps):
        opt.zero_grad()
        (w**3).sum().backward()
        opt.step()
    return w, opt


@pytest.mark.parametrize("name,kw", CASES)
def test_step_is_a_float_scalar_tensor_as_torch(name, kw):
    wt, ot = _train(torch, name, kw)
    wp, op = _train(pn, name, kw)
    st, sp = ot.state_dict()["state"][0], op.state_dict()["state"][0]
    assert sorted(st) == sorted(sp)
    assert isinstance(sp["step"], pn.Tensor) and sp["step"].shape == () and sp["step"].dtype == pn.float32
    assert sp["step"].item() == st["step"].item() == 3.0
    np.testing.assert_allclose(wp.detach().numpy(), wt.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kw", CASES)
def test_state_dict_round_trip_continues_like_torch(name, kw):
    results = []
    for mod in (torch, pn):
        w, opt = _train(mod, name, kw, steps=2, dtype="float64")
        sd = opt.state_dict()
        opt2 = getattr(mod.optim, name)([w], **kw)
        opt2.load_state_dict(sd)
        step = opt2.state_dict()["state"][0]["step"]
        assert (
            step.dtype == mod.float32 and step.item() == 2.0
        )  # the count is not cast to the parameter's dtype
        for _ in range(2):
            opt2.zero_grad()
            (w**3).sum().backward()
            opt2.step()
        assert opt2.state[w]["step"].item() == 4.0
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-7, atol=1e-9)


def test_an_int_step_from_an_old_checkpoint_still_loads():
    w = pn.ones(2, requires_grad=True)
    opt = pn.optim.Adam([w], lr=0.1)
    opt.load_state_dict(
        {
            "state": {0: {"step": 3, "exp_avg": pn.zeros(2), "exp_avg_sq": pn.zeros(2)}},
            "param_groups": opt.state_dict()["param_groups"],
        }
    )
    w.grad = pn.ones(2)
    opt.step()
    assert isinstance(opt.state[w]["step"], pn.Tensor) and opt.state[w]["step"].item() == 4.0


def test_param_list_checks_as_torch():
    for mod in (torch, pn):
        w, b = mod.ones(2, requires_grad=True), mod.zeros(1, requires_grad=True)
        with pytest.raises(ValueError, match="1-element"):
            mod.optim.Adam([w], lr=mod.tensor([0.01, 0.02]))
        opt = mod.optim.SGD([w], lr=0.1)
        with pytest.raises(TypeError, match="ordered collections"):
            opt.add_param_group({"params": {b}})
        with pytest.raises(ValueError, match="more than one parameter group"):
            opt.add_param_group({"params": [w]})
        with pytest.warns(UserWarning, match="duplicate parameters"):
            dup = mod.optim.Adam([w, w], lr=0.1)
        w.grad = mod.tensor([1.0, 2.0])
        dup.step()  # the duplicate is stepped twice, as torch does
        np.testing.assert_allclose(w.detach().numpy(), [0.8, 0.8], rtol=1e-6)


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    for mod in (torch, pn):
        w = mod.ones(2, requires_grad=True)
        opt = mod.optim.SGD([w], lr=0.5, momentum=0.9)
        w.grad = mod.ones(2)
        opt.step()
        sd = opt.state_dict()
        w64 = mod.ones(2, dtype=mod.float64, requires_grad=True)
        opt3 = mod.optim.SGD([w64], lr=0.5, momentum=0.9)
        opt3.load_state_dict(sd)  # cast to the parameter's dtype: a copy
        sd["state"][0]["momentum_buffer"].add_(1)
        assert opt3.state[w64]["momentum_buffer"].dtype == mod.float64
        assert opt3.state[w64]["momentum_buffer"].tolist() == [1.0, 1.0]


def test_state_dict_hooks_as_torch():
    for mod in (torch, pn):
        w = mod.ones(2, requires_grad=True)
        opt = mod.optim.SGD([w], lr=0.1)
        seen = []
        opt.register_state_dict_pre_hook(lambda o: seen.append("pre"))
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
        opt.register_state_dict_post_hook(lambda o, sd: seen.append("first") or None, prepend=True)
        sd = opt.state_dict()
        assert sorted(sd) == ["extra", "param_groups", "state"] and seen == ["pre", "first"]
        sd["param_groups"][0]["lr"] = 0.5

        def halve(o, state_dict):
            state_dict["param_groups"][0]["lr"] /= 2
            return state_dict

        opt.register_load_state_dict_pre_hook(halve)
        handle = opt.register_load_state_dict_post_hook(lambda o: seen.append(o.param_groups[0]["lr"]))
        opt.load_state_dict(sd)
        assert seen[-1] == 0.25
        handle.remove()
        opt.load_state_dict(opt.state_dict())
        assert seen[-1] == "first" and opt.param_groups[0]["lr"] == 0.125


def test_a_custom_optimizers_int_step_is_kept_by_load_state_dict():
    for mod in (torch, pn):

        class Plain(mod.optim.Optimizer):
            def __init__(self, params, lr=0.1):
                super().__init__(params, {"lr": lr})

            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        state = self.state[p]
                        state["step"] = state.get("step", 0) + 1
                        with mod.no_grad():
                            p.sub_(group["lr"] * p.grad)

        w = mod.ones(2, requires_grad=True)
        opt = Plain([w])
        w.grad = mod.ones(2)
        opt.step()
        other = Plain([w])
        other.load_state_dict(opt.state_dict())
        assert other.state[w]["step"] == 1 and type(other.state[w]["step"]) is int


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (5,), ()])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"lr": 0.1, "weight_decay": 0.1},
        {"maximize": True, "d": 2.0, "eps": (1e-20, 1e-2), "beta2_decay": -0.5},
    ],
)
def test_adafactor_as_torch(shape, kw):
    start = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    results = []
    for mod in (torch, pn):
        w = mod.tensor(start.copy(), requires_grad=True)
        opt = mod.optim.Adafactor([w], **kw)
        for _ in range(3):
            opt.zero_grad()
            ((w**3).sum() + (2 * w).sum()).backward()
            opt.step()
        sd = opt.state_dict()
        again = mod.optim.Adafactor([w], **kw)
        again.load_state_dict(sd)  # the factored row/col state is not shaped like w
        for _ in range(2):
            again.zero_grad()
            ((w**3).sum() + (2 * w).sum()).backward()
            again.step()
        state = {
            k: (tuple(v.shape), str(v.dtype).split(".")[-1])
            for k, v in again.state_dict()["state"][0].items()
        }
        results.append((w.detach().numpy(), state, sorted(sd["param_groups"][0])))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-6)
    assert results[1][1:] == results[0][1:]


@pytest.mark.parametrize(
    "kw",
    [
        {"lr": -1},
        {"beta2_decay": 0.5},
        {"eps": (-1, 1e-3)},
        {"eps": (None, -1)},
        {"d": 0.5},
        {"weight_decay": -1},
    ],
)
def test_adafactor_constructor_errors_as_torch(kw):
    for mod in (torch, pn):
        with pytest.raises(ValueError):
            mod.optim.Adafactor([mod.ones(2, requires_grad=True)], **kw)


def test_lbfgs_state_holds_tensors_as_torchs():
    states = []
    for mod in (torch, pn):
        w = mod.tensor([1.5, -0.5, 2.0], requires_grad=True)
        opt = mod.optim.LBFGS([w], lr=0.5, history_size=4)

        def closure():
            opt.zero_grad()
            loss = ((w - 1) ** 4).sum() + (w**2).sum()
            loss.backward()
            return loss

        for _ in range(2):
            opt.step(closure)
        st = opt.state_dict()["state"][0]
        states.append(
            {
                k: ("tensor", tuple(v.shape))
                if hasattr(v, "shape")
                else (type(v).__name__, len(v) if isinstance(v, list) else None)
                for k, v in st.items()
            }
        )
        states[-1]["ro_items"] = sorted({type(r).__name__.replace("Parameter", "Tensor") for r in st["ro"]})
        states[-1]["al_items"] = sorted({type(a).__name__ for a in st["al"]})
        opt2 = mod.optim.LBFGS([w], lr=0.5, history_size=4)
        opt2.load_state_dict(opt.state_dict())
        opt2.step(closure)  # continues from the tensors it loaded
    assert states[1] == states[0]


@pytest.mark.parametrize("owner", ["optimizer", "module"])
def test_zero_grad_without_none_cuts_the_grads_graph(owner):
    """zero_grad(set_to_none=False) after a create_graph backward: torch detaches .grad before
    zeroing it, so a gradient penalty computed later does not run through the old 3 w^2 graph
    (pyneuro kept it: [32, 112] instead of [8, 16])."""
    results = []
    for T in (pn, torch):
        w = T.nn.Parameter(T.tensor([1.0, 2.0]))
        m = T.nn.Module()
        m.w = w
        opt = T.optim.SGD([w], lr=0.1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch's reference-cycle warning)
            (w**3).sum().backward(create_graph=True)
            (opt if owner == "optimizer" else m).zero_grad(set_to_none=False)
            flags = (w.grad.requires_grad, w.grad.grad_fn is None)
            (w**2).sum().backward(create_graph=True)
        (gp,) = T.autograd.grad((w.grad**2).sum(), w)
        results.append((flags, w.grad.tolist(), gp.tolist()))
    assert results[0] == results[1]


def test_a_retain_grad_tensor_may_be_optimized():
    """torch accepts a non-leaf that retains its grad (it has a .grad to step on)."""
    results = []
    for T in (pn, torch):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        p = w * 1
        p.retain_grad()
        opt = T.optim.SGD([p], lr=0.1)
        (p**2).sum().backward()
        opt.step()
        with pytest.raises(ValueError):
            opt.add_param_group({"params": [w * 2]})  # (not retained: still refused)
        results.append((p.tolist(), w.grad.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "name", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax", "ASGD", "RMSprop", "SGD", "Adagrad"]
)
@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_capturable_and_differentiable_are_refused_at_step_as_torch(name, flag):
    """capturable=True on CPU parameters (torch: AssertionError) and differentiable=True on leaf
    parameters (RuntimeError) stepped as if the flags were not given."""
    outcomes = []
    for T in (pn, torch):
        p = T.tensor([1.0, 2.0], requires_grad=True)
        p.grad = T.ones(2)
        try:
            getattr(T.optim, name)([p], **{flag: True}).step()
            outcomes.append("stepped")
        except (AssertionError, RuntimeError, TypeError) as error:
            outcomes.append(type(error).__name__)
    assert outcomes[0] == outcomes[1]


SCHEDULES = {
    "StepLR": lambda S, o: S.StepLR(o, 2, 0.5),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, 0.1, total_steps=5),
    "CyclicLR": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2),
    "ReduceLROnPlateau": lambda S, o: S.ReduceLROnPlateau(o, patience=0),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, 0.5, total_iters=2), S.ExponentialLR(o, 0.9)], milestones=[2]
    ),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, 4),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_a_tensor_lr_follows_the_schedule_in_place(name):
    """torch writes the schedule into the user's lr tensor (fill_); pyneuro replaced it."""
    results = []
    for T in (pn, torch):
        S = T.optim.lr_scheduler
        p = T.nn.Parameter(T.ones(2))
        lr = T.tensor(0.01)
        opt = T.optim.SGD([p], lr=lr, momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schedule = SCHEDULES[name](S, opt)
            seen = []
            for _ in range(4):
                p.grad = T.ones(2)
                opt.step()
                schedule.step(1.0) if name == "ReduceLROnPlateau" else schedule.step()
                seen.append(round(float(opt.param_groups[0]["lr"]), 6))
        results.append((opt.param_groups[0]["lr"] is lr, seen, round(float(lr), 6)))
    assert results[0] == results[1]


def test_rprop_takes_no_step_for_a_nan_gradient():
    results = []
    for T in (pn, torch):
        p = T.nn.Parameter(T.tensor([2.0, 2.0]))
        opt = T.optim.Rprop([p], lr=0.1)
        for g in ([float("nan"), 1.0], [1.0, 1.0], [float("nan"), -1.0]):
            p.grad = T.tensor(g)
            opt.step()
        results.append(p.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def _accumulations(T):
    out = []
    w = T.ones(2, requires_grad=True)
    (w * 1).sum().backward()
    view = w.grad.view(-1)
    (w * 1).sum().backward()
    out.append(view.tolist())
    buffer = np.zeros(2, np.float32)
    w = T.ones(2, requires_grad=True)
    w.grad = T.from_numpy(buffer)
    (w * 3).sum().backward()
    out.append(buffer.tolist())
    m = T.nn.Linear(2, 1)
    m(T.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    kept = m.weight.grad
    m(T.ones(1, 2)).sum().backward()
    out.append((kept is m.weight.grad, kept.tolist()))
    return out


def test_gradients_accumulate_into_the_grad_tensors_memory():
    """torch adds a second backward's gradient into .grad in place: views of .grad and a buffer
    set as .grad see it (pyneuro replaced the memory: [1, 1] where torch gives [2, 2])."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _accumulations(pn) == _accumulations(torch)


def test_a_retained_non_leaf_grad_is_replaced_not_added_into():
    """torch adds into a leaf's .grad in place but gives a retained non-leaf a new .grad tensor."""
    results = []
    for T in (pn, torch):
        p = T.ones(3, requires_grad=True)
        h = p * 2
        h.retain_grad()
        y = (h**2).sum()
        y.backward(retain_graph=True)
        first = h.grad
        y.backward()
        results.append((first.tolist(), first is h.grad, h.grad.tolist()))
    assert results[0] == results[1]


def _stepped(mod, make):
    mod.manual_seed(0)
    model = mod.nn.Linear(2, 2)
    model(mod.ones(1, 2)).sum().backward()
    opt = make(mod, model.parameters())
    opt.step()
    return model, opt


def _outcome(call):
    try:
        call()
        return "ok"
    except Exception as exc:  # the class and the key torch names
        return f"{type(exc).__name__}: {exc}"


SGD_MOMENTUM = lambda mod, p: mod.optim.SGD(p, lr=0.1, momentum=0.9)
SGD_PLAIN = lambda mod, p: mod.optim.SGD(p, lr=0.1)  # (its state stays empty)
ADAM = lambda mod, p: mod.optim.Adam(p, lr=0.01)


@pytest.mark.parametrize(
    "saved,loading",
    [
        (SGD_MOMENTUM, "Adam"),  # KeyError 'step' in load_state_dict (Adam's __setstate__)
        (SGD_MOMENTUM, "RMSprop"),
        (SGD_MOMENTUM, "Adagrad"),
        (SGD_PLAIN, "Adam"),  # loads; step() then lacks 'betas'
        (SGD_PLAIN, "RMSprop"),  # ... lacks 'alpha'
        (ADAM, "SGD"),  # loads; step() lacks 'momentum'
        (SGD_MOMENTUM, "SGD"),
        (ADAM, "AdamW"),
    ],
)
def test_loading_another_optimizers_state_fails_where_torchs_does(saved, loading):
    outcomes = []
    for mod in (torch, pn):
        model, opt = _stepped(mod, saved)
        other = getattr(mod.optim, loading)(model.parameters())
        loaded = _outcome(lambda: other.load_state_dict(opt.state_dict()))
        stepped = _outcome(other.step) if loaded == "ok" else None  # (what a failed load leaves: no rule)
        outcomes.append((loaded, stepped, sorted(other.param_groups[0])))
    assert outcomes[0] == outcomes[1]


def test_load_state_dict_follows_torchs_rules():
    got = []
    for mod in (torch, pn):
        model, opt = _stepped(mod, ADAM)
        sd = opt.state_dict()
        sd["param_groups"][0]["my_key"] = 5  # extra group keys are kept
        sd["state"][0]["nested"] = {
            "t": mod.ones(1, dtype=mod.float64),
            "l": [mod.ones(1, dtype=mod.float64)],
        }
        sd["state"][0]["counts"] = mod.tensor([[1, 2], [3, 4]])  # cast to the float parameter's dtype
        sd["state"][1]["step"] = 3  # a number: Adam's __setstate__ makes it a float tensor
        sd["state"][7] = {"x": 1}  # not a parameter's: kept, and given back by state_dict()
        other = mod.optim.Adam(model.parameters())
        other.load_state_dict(sd)
        st = other.state[model.weight]
        got.append(
            (
                other.param_groups[0]["my_key"],
                str(st["nested"]["t"].dtype)[-7:],
                str(st["nested"]["l"][0].dtype)[-7:],
                str(st["counts"].dtype)[-7:],
                repr(other.state[model.bias]["step"]),
                other.state[7],
                list(other.state_dict()["state"]),
                other.state[model.bias]["exp_avg"] is sd["state"][1]["exp_avg"],  # shared, not copied
                other.param_groups[0] is sd["param_groups"][0],
            )
        )
    assert got[0] == got[1]
