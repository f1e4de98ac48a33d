"""pyneuro.optim: validation, parameter groups, state_dict, and updates against the formulas."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import nn, optim


def test_sgd_validation_errors():
    p = [nn.Parameter(pn.zeros(2))]
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Invalid momentum"):
        optim.SGD(p, lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Invalid weight_decay"):
        optim.SGD(p, lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(p[0], lr=0.1)
    assert optim.SGD(p).defaults["lr"] == 1e-3


def test_adam_validation_errors():
    p = [nn.Parameter(pn.zeros(2))]
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam(p, lr=-1)
    with pytest.raises(ValueError, match="Invalid epsilon"):
        optim.Adam(p, eps=-1)
    with pytest.raises(ValueError, match="index 0"):
        optim.Adam(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="index 1"):
        optim.Adam(p, betas=(0.9, -0.1))
    with pytest.raises(ValueError, match="weight_decay"):
        optim.Adam(p, weight_decay=-1)
    assert optim.Adam(p).defaults["lr"] == 1e-3


def _quadratic_run(make_opt, steps=5, device="cpu"):
    """Minimise sum((w - target)^2) and return the trajectory of w."""
    w = nn.Parameter(pn.tensor([1.0, -2.0, 3.0], device=device))
    target = pn.tensor([0.5, 0.5, 0.5], device=device)
    opt = make_opt([w])
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        ((w - target) ** 2).sum().backward()
        opt.step()
        traj.append(w.detach().cpu().numpy().copy())
    return np.array(traj)


def _reference_sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, steps=5):
    w = np.array([1.0, -2.0, 3.0])
    buf = None
    traj = []
    for _ in range(steps):
        g = 2 * (w - 0.5) + weight_decay * w
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
        traj.append(w.copy())
    return np.array(traj)


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=0.1),
        dict(lr=0.1, momentum=0.9),
        dict(lr=0.05, momentum=0.9, nesterov=True),
        dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01),
        dict(lr=0.1, weight_decay=0.1),
    ],
)
def test_sgd_matches_formula(kw, backend_name):
    got = _quadratic_run(lambda p: optim.SGD(p, **kw))
    np.testing.assert_allclose(got, _reference_sgd(**kw), rtol=1e-5, atol=1e-6)


def test_adam_matches_formula(backend_name):
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-8, 0.01
    got = _quadratic_run(lambda p: optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd))
    w = np.array([1.0, -2.0, 3.0])
    m = np.zeros(3)
    v = np.zeros(3)
    ref = []
    for t in range(1, 6):
        g = 2 * (w - 0.5) + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
        ref.append(w.copy())
    np.testing.assert_allclose(got, np.array(ref), rtol=1e-5, atol=1e-6)


def test_adamw_decouples_weight_decay():
    got = _quadratic_run(lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.1), steps=1)
    w0 = np.array([1.0, -2.0, 3.0])
    g = 2 * (w0 - 0.5)
    m = 0.1 * g
    v = 0.001 * g * g
    ref = w0 * (1 - 0.01) - 0.1 / 0.1 * m / (np.sqrt(v) / np.sqrt(0.001) + 1e-8)
    np.testing.assert_allclose(got[0], ref, rtol=1e-5)


def test_step_updates_in_place_and_skips_params_without_grad():
    a = nn.Parameter(pn.tensor([1.0]))
    b = nn.Parameter(pn.tensor([1.0]))
    arr = a._data
    opt = optim.SGD([a, b], lr=0.5, momentum=0.9)
    (a * 2).sum().backward()
    opt.step()
    assert a._data is arr and a.item() == 0.0 and b.item() == 1.0
    assert b not in opt.state


def test_zero_grad_set_to_none():
    p = nn.Parameter(pn.tensor([1.0]))
    opt = optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad.item() == 0.0
    opt.zero_grad()
    assert p.grad is None


def test_param_groups():
    a = nn.Parameter(pn.tensor([1.0]))
    b = nn.Parameter(pn.tensor([1.0]))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a + b).sum().backward()
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.0])
    with pytest.raises(ValueError, match="more than one"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)


@pytest.mark.parametrize(
    "make",
    [lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.05, betas=(0.8, 0.99))],
)
def test_state_dict_resume_gives_identical_trajectory(make, tmp_path):
    def fresh():
        w = nn.Parameter(pn.tensor([1.0, -2.0]))
        return w, make([w])

    def run(w, opt, n):
        for _ in range(n):
            opt.zero_grad()
            (w**2).sum().backward()
            opt.step()

    w1, o1 = fresh()
    run(w1, o1, 6)
    w2, o2 = fresh()
    run(w2, o2, 3)
    pn.save({"w": w2.detach(), "opt": o2.state_dict()}, tmp_path / "ckpt.pt")
    ck = pn.load(tmp_path / "ckpt.pt")
    w3, o3 = fresh()
    with pn.no_grad():
        w3.copy_(ck["w"])
    o3.load_state_dict(ck["opt"])
    run(w3, o3, 3)
    np.testing.assert_allclose(w3.detach().numpy(), w1.detach().numpy(), rtol=1e-6)
    sd = o3.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and 0 in sd["state"]


def test_load_state_dict_mismatch():
    a = nn.Parameter(pn.zeros(2))
    opt = optim.SGD([a], lr=0.1)
    other = optim.SGD([nn.Parameter(pn.zeros(2)), nn.Parameter(pn.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="size"):
        opt.load_state_dict(other.state_dict())


def test_closure():
    w = nn.Parameter(pn.tensor([2.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0 and w.item() == 1.0


def test_lr_schedulers_match_torch():
    torch = pytest.importorskip("torch", reason="torch is the oracle for the schedules and is not installed")
    cases = [
        ("StepLR", dict(step_size=2, gamma=0.5)),
        ("MultiStepLR", dict(milestones=[1, 3], gamma=0.1)),
        ("ExponentialLR", dict(gamma=0.9)),
        ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ]
    for name, kw in cases:
        p = nn.Parameter(pn.zeros(1))
        q = torch.nn.Parameter(torch.zeros(1))
        o1, o2 = optim.SGD([p], lr=0.1), torch.optim.SGD([q], lr=0.1)
        s1 = getattr(optim.lr_scheduler, name)(o1, **kw)
        s2 = getattr(torch.optim.lr_scheduler, name)(o2, **kw)
        for _ in range(6):
            assert s1.get_last_lr()[0] == pytest.approx(s2.get_last_lr()[0], rel=1e-9), name
            o1.step()
            o2.step()
            s1.step()
            s2.step()
    s = optim.lr_scheduler.LambdaLR(optim.SGD([nn.Parameter(pn.zeros(1))], lr=1.0), lambda e: 1 / (e + 1))
    s.step()
    assert s.get_last_lr() == [0.5]


# ----------------------------------------------------------------------------- on device "cuda"
SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.01),
    dict(lr=0.1, weight_decay=0.1),
]


@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_matches_formula_on_device(kw, device):
    got = _quadratic_run(lambda p: optim.SGD(p, **kw), device=device)
    np.testing.assert_allclose(got, _reference_sgd(**kw), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.Adam(p, lr=0.1, weight_decay=0.01),
        lambda p: optim.Adam(p, lr=0.1, amsgrad=True),
        lambda p: optim.Adam(p, lr=0.1, maximize=True),
        lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.1),
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9, maximize=True),
    ],
    ids=["adam", "amsgrad", "maximize", "adamw", "sgd-maximize"],
)
def test_optimizers_on_device_match_cpu(make, device):
    np.testing.assert_allclose(
        _quadratic_run(make, device=device), _quadratic_run(make), rtol=1e-5, atol=1e-6
    )


def test_step_in_place_zero_grad_and_state_dict_on_device(device):
    a = nn.Parameter(pn.tensor([1.0, 2.0], device=device))
    arr = a._data
    opt = optim.Adam([a], lr=0.1)
    (a * 2).sum().backward()
    opt.step()
    assert a._data is arr
    opt.zero_grad(set_to_none=False)
    assert a.grad.abs().sum().item() == 0.0 and a.grad.device == device
    state = copy.deepcopy(opt.state_dict())  # a copy: loading shares the tensors given, as torch
    b = nn.Parameter(a.detach().clone())
    opt2 = optim.Adam([b], lr=0.1)
    opt2.load_state_dict(state)
    for p, o in ((a, opt), (b, opt2)):
        o.zero_grad()
        (p * p).sum().backward()
        o.step()
    np.testing.assert_allclose(b.detach().cpu().numpy(), a.detach().cpu().numpy(), rtol=1e-6)


def test_load_state_dict_shares_the_tensors_given_as_torch():
    """opt2.load_state_dict(opt.state_dict()) hands opt2 opt's very state tensors (torch's
    semantics: both then update the same buffers and step counts)."""
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (pn, torch):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.Adam([p], lr=0.1)
        p.grad = lib.ones(2)
        opt.step()
        q = lib.nn.Parameter(lib.ones(2))
        opt2 = lib.optim.Adam([q], lr=0.1)
        opt2.load_state_dict(opt.state_dict())
        assert opt2.state[q]["exp_avg"] is opt.state[p]["exp_avg"]
        q.grad = lib.ones(2)
        opt2.step()
        seen.append((opt.state[p]["step"].item(), opt.state[p]["exp_avg"].tolist(), q.tolist()))
    assert seen[0][0] == seen[1][0]
    np.testing.assert_allclose(seen[0][1], seen[1][1], rtol=1e-6)
    np.testing.assert_allclose(seen[0][2], seen[1][2], rtol=1e-6)
