"""Optimizer state as torch keeps it: state["step"] is a 0-d float tensor, round trips keep it."""

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
