"""sgd_step_multi (the optimizer's one call per step for all parameters) against the
per-parameter sgd_step, bit for bit, on every CPU backend; its checks; SGD.step using it."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import backends, nn, optim

SHAPES = [(256, 784), (256,), (10, 256), (10,), (0,), (3, 5, 7), ()]
SETTINGS = [
    dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
    dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False),
    dict(momentum=0.9, dampening=0.1, weight_decay=1e-3, nesterov=False),
    dict(momentum=0.5, dampening=0.0, weight_decay=1e-2, nesterov=True),
    dict(momentum=0.0, dampening=0.0, weight_decay=1e-2, nesterov=False),
]


def _arrays(seed):
    rng = np.random.default_rng(seed)
    ps = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    gs = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    bs = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    return ps, gs, bs


@pytest.mark.parametrize("first_step", [False, True])
@pytest.mark.parametrize("settings", SETTINGS)
def test_multi_step_equals_per_parameter_step(cpu_device_backend, settings, first_step):
    bk = cpu_device_backend
    if not hasattr(bk, "sgd_step_multi"):
        pytest.skip(f"{bk.NAME} has no sgd_step_multi")
    ps, gs, bs = _arrays(3)
    ps1, bs1 = [p.copy() for p in ps], [b.copy() for b in bs]
    ps2, bs2 = [p.copy() for p in ps], [b.copy() for b in bs]
    lr = 0.05
    first = first_step and settings["momentum"] != 0.0
    for p, g, b in zip(ps1, gs, bs1):
        bk.sgd_step(p, g, b if settings["momentum"] else None, lr, first_step=first, **settings)
    bk.sgd_step_multi(ps2, gs, bs2 if settings["momentum"] else None, lr, first_step=first, **settings)
    for a, b in zip(ps1 + bs1, ps2 + bs2):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(ps, ps2) if a.size)  # it did update


def test_multi_step_matches_the_numpy_reference(cpu_device_backend):
    bk, ref = cpu_device_backend, backends.get("numpy")
    ps, gs, bs = _arrays(4)
    ps1, bs1 = [p.copy() for p in ps], [b.copy() for b in bs]
    ps2, bs2 = [p.copy() for p in ps], [b.copy() for b in bs]
    ref.sgd_step_multi(ps1, gs, bs1, 0.1, 0.9, 0.0, 1e-3, True, False)
    bk.sgd_step_multi(ps2, gs, bs2, 0.1, 0.9, 0.0, 1e-3, True, False)
    for a, b in zip(ps1 + bs1, ps2 + bs2):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_multi_step_strided_and_misaligned_grads(cpu_device_backend):
    bk = cpu_device_backend
    rng = np.random.default_rng(5)
    p = rng.standard_normal((6, 5)).astype(np.float32)
    g_full = rng.standard_normal((5, 6)).astype(np.float32)
    g_strided = g_full.T  # not C-contiguous
    buf = np.zeros(g_full.nbytes + 1, np.uint8)
    g_mis = np.frombuffer(buf.data, np.float32, 30, offset=1).reshape(6, 5)
    g_mis[...] = g_strided
    want = p.copy()
    bk.sgd_step(want, np.ascontiguousarray(g_strided), None, 0.1)
    for g in (g_strided, g_mis):
        got = p.copy()
        bk.sgd_step_multi([got], [g], None, 0.1)
        np.testing.assert_array_equal(got, want)


def test_multi_step_checks(cpu_device_backend):
    bk = cpu_device_backend
    ps, gs, bs = _arrays(6)
    with pytest.raises(ValueError, match="momentum_buffer"):
        bk.sgd_step_multi(ps, gs, None, 0.1, 0.9)
    with pytest.raises(ValueError, match="same shape|shape"):
        bk.sgd_step_multi([ps[0]], [gs[1]], None, 0.1)
    with pytest.raises(TypeError):
        bk.sgd_step_multi([ps[0].astype(np.int32)], [gs[0]], None, 0.1)


def test_cpu_multi_step_checks_everything_before_updating():
    if not backends.status("cpu").available:
        pytest.skip("cpu backend unavailable")
    bk = backends.get("cpu")
    ps, gs, _ = _arrays(7)
    before = [p.copy() for p in ps]
    ro = ps[-2].copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        bk.sgd_step_multi(ps[:-2] + [ro], gs[:-1], None, 0.1)
    for a, b in zip(before, ps):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_optimizer_matches_torch(backend_name, momentum):
    torch = pytest.importorskip("torch")
    pn.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 4))
    tmodel = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    with torch.no_grad():
        for tp, p in zip(tmodel.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=momentum, weight_decay=1e-3)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=momentum, weight_decay=1e-3)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((8, 20)).astype(np.float32)
        y = rng.integers(0, 4, 8)
        opt.zero_grad()
        pn.functional.cross_entropy(model(pn.from_numpy(x)), pn.from_numpy(y)).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    for tp, p in zip(tmodel.parameters(), model.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_adam_multi_step_equals_per_parameter_step(cpu_device_backend, weight_decay):
    bk = cpu_device_backend
    if not hasattr(bk, "adam_step_multi"):
        pytest.skip(f"{bk.NAME} has no adam_step_multi")
    ps, gs, _ = _arrays(8)
    rng = np.random.default_rng(9)
    ms = [np.array(rng.standard_normal(p.shape) * 0.1, np.float32) for p in ps]  # 0-d stays an array
    vs = [np.array(np.abs(rng.standard_normal(p.shape)) * 0.01, np.float32) for p in ps]
    steps = [1, 2, 3, 10, 1, 5, 7]
    a = [[x.copy() for x in lst] for lst in (ps, ms, vs)]
    b = [[x.copy() for x in lst] for lst in (ps, ms, vs)]
    for p, g, m, v, s in zip(a[0], gs, a[1], a[2], steps):
        bk.adam_step(p, g, m, v, s, 1e-3, 0.9, 0.999, 1e-8, weight_decay)
    bk.adam_step_multi(b[0], gs, b[1], b[2], steps, 1e-3, 0.9, 0.999, 1e-8, weight_decay)
    for x, y in zip(sum(a, []), sum(b, [])):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="step counts from 1"):
        bk.adam_step_multi(b[0], gs, b[1], b[2], [0] * len(steps), 1e-3)


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_adam_optimizer_matches_torch(backend_name, cls):
    torch = pytest.importorskip("torch")
    pn.manual_seed(1)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 4))
    tmodel = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    with torch.no_grad():
        for tp, p in zip(tmodel.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    opt = getattr(optim, cls)(model.parameters(), lr=1e-2, weight_decay=1e-2)
    topt = getattr(torch.optim, cls)(tmodel.parameters(), lr=1e-2, weight_decay=1e-2)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.standard_normal((8, 20)).astype(np.float32)
        y = rng.integers(0, 4, 8)
        opt.zero_grad()
        pn.functional.cross_entropy(model(pn.from_numpy(x)), pn.from_numpy(y)).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    for tp, p in zip(tmodel.parameters(), model.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_cpu_multi_step_is_the_same_for_any_thread_count(kind):
    # The C++ multi step splits the concatenation of all tensors over the threads (chunks
    # cut at tensor boundaries): every thread count must give the same bits.
    if not backends.status("cpu").available:
        pytest.skip("no cpu backend")
    bk = backends.get("cpu")
    saved = bk.get_num_threads()
    results = []
    try:
        for nt in (1, 2, 3, 5):
            bk.set_num_threads(nt)
            ps, gs, bs = _arrays(9)
            if kind == "sgd":
                bk.sgd_step_multi(ps, gs, bs, 0.05, 0.9, 0.0, 1e-3, False, False)
                results.append(ps + bs)
            else:
                vs = [np.asarray(np.abs(b)) for b in bs]
                bk.adam_step_multi(ps, gs, bs, vs, [3] * len(ps), 1e-3, 0.9, 0.999, 1e-8, 0.0)
                results.append(ps + bs + vs)
    finally:
        bk.set_num_threads(saved)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)
