"""Module forward hooks and forward pre-hooks, against torch's: when they run, what they see,
what their results replace, prepend, with_kwargs, always_call and the handles that remove them."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def pair(seed=0):
    """The same 4-3-2 MLP in both frameworks."""
    pn.manual_seed(seed)
    pm = pn.nn.Sequential(pn.nn.Linear(4, 3), pn.nn.ReLU(), pn.nn.Linear(3, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    with torch.no_grad():
        for p, q in zip(pm.parameters(), tm.parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    x = np.random.default_rng(seed).standard_normal((5, 4)).astype(np.float32)
    return pm, tm, pn.from_numpy(x.copy()), torch.from_numpy(x.copy())


def both(fn):
    """fn(framework, model, x) run on both; returns the two results."""
    pm, tm, px, tx = pair()
    return fn(pn, pm, px), fn(torch, tm, tx)


def as_np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def test_forward_hook_sees_the_call_and_can_replace_the_output():
    def run(fw, m, x):
        seen = []
        m[0].register_forward_hook(
            lambda mod, args, out: seen.append((type(mod).__name__, len(args), out.shape))
        )
        m[1].register_forward_hook(lambda mod, args, out: out * 0.5)  # replaces the ReLU's output
        y = m(x)
        y.sum().backward()
        return seen, as_np(y), as_np(m[0].weight.grad)

    (ps, py, pg), (ts, ty, tg) = both(run)
    assert [(n, k, tuple(s)) for n, k, s in ps] == [(n, k, tuple(s)) for n, k, s in ts]
    np.testing.assert_allclose(py, ty, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pg, tg, rtol=1e-5, atol=1e-6)  # the replacement is differentiated


def test_pre_hook_can_replace_the_input_single_values_are_wrapped():
    def run(fw, m, x):
        m.register_forward_pre_hook(lambda mod, args: args[0] * 2)  # a single value, not a tuple
        m[2].register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
        return as_np(m(x))

    p, t = both(run)
    np.testing.assert_allclose(p, t, rtol=1e-5, atol=1e-6)


def test_hooks_run_only_through_call_in_order_and_prepend_goes_first():
    def run(fw, m, x):
        order = []
        lin = m[0]
        lin.register_forward_hook(lambda *a: order.append("post-a"))
        lin.register_forward_hook(lambda *a: order.append("post-b"))
        lin.register_forward_hook(lambda *a: order.append("post-first"), prepend=True)
        lin.register_forward_pre_hook(lambda *a: order.append("pre-a"))
        lin.register_forward_pre_hook(lambda *a: order.append("pre-first"), prepend=True)
        lin.forward(x)  # forward() directly: no hooks, as torch
        lin(x)
        return order

    p, t = both(run)
    assert p == t == ["pre-first", "pre-a", "post-first", "post-a", "post-b"]


def test_with_kwargs_hooks():
    class Scale(pn.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    class TScale(torch.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    def run(mod, x):
        seen = []

        def pre(m, args, kwargs):
            seen.append(sorted(kwargs))
            return args, {"factor": kwargs["factor"] * 10}

        def post(m, args, kwargs, out):
            seen.append(kwargs["factor"])
            return out + 1

        mod.register_forward_pre_hook(pre, with_kwargs=True)
        mod.register_forward_hook(post, with_kwargs=True)
        return as_np(mod(x, factor=2.0)), seen

    x = np.arange(3, dtype=np.float32)
    (p, ps), (t, ts) = run(Scale(), pn.from_numpy(x.copy())), run(TScale(), torch.from_numpy(x.copy()))
    np.testing.assert_array_equal(p, t)
    assert ps == ts == [["factor"], 20.0]


def test_a_kwargs_pre_hook_returning_something_else_raises_as_torch():
    for fw in (pn, torch):
        lin = fw.nn.Linear(2, 2)
        lin.register_forward_pre_hook(lambda m, a, k: a, with_kwargs=True)
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
            lin(fw.ones(1, 2))


def test_handles_remove_once_work_as_context_managers_and_have_distinct_ids():
    for fw in (pn, torch):
        lin = fw.nn.Linear(2, 2)
        calls = []
        h1 = lin.register_forward_hook(lambda *a: calls.append(1))
        h2 = lin.register_forward_pre_hook(lambda *a: calls.append(2))
        assert h1.id != h2.id
        lin(fw.ones(1, 2))
        h1.remove()
        h1.remove()  # a second remove does nothing
        with h2 as same:
            assert same is h2
            lin(fw.ones(1, 2))
        lin(fw.ones(1, 2))
        assert calls == [2, 1, 2], fw.__name__


def test_always_call_runs_when_forward_raises_and_its_own_error_is_only_a_warning():
    class Boom(pn.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    m = Boom()
    m.register_forward_hook(lambda mod, args, out: seen.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("never"))
    with pytest.raises(ValueError, match="boom"):
        m(pn.ones(1))
    assert seen == [("always", None)]

    m2 = Boom()
    m2.register_forward_hook(lambda *a: 1 / 0, always_call=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="boom"):
            m2(pn.ones(1))
    assert any("always_call=True" in str(x.message) for x in w)


def test_hooks_survive_deepcopy_and_a_module_without_hook_dicts_still_calls():
    lin = pn.nn.Linear(2, 2)
    lin.register_forward_hook(lambda m, a, out: out * 0)
    clone = copy.deepcopy(lin)
    assert float(clone(pn.ones(1, 2)).abs().sum()) == 0.0
    bare = pn.nn.Linear(2, 2)
    for name in [k for k in vars(bare) if "hooks" in k]:
        del bare.__dict__[name]  # as a module pickled before hooks existed
    assert bare(pn.ones(1, 2)).shape == (1, 2)
    bare.register_forward_hook(lambda m, a, out: out * 0)
    assert float(bare(pn.ones(1, 2)).abs().sum()) == 0.0


def test_feature_extraction_with_a_hook_as_course_code_does():
    """The common use: grab an intermediate activation without changing the model."""

    def run(fw, m, x):
        feats = {}
        h = m[1].register_forward_hook(lambda mod, a, out: feats.__setitem__("relu", out.detach()))
        m(x)
        h.remove()
        return as_np(feats["relu"])

    p, t = both(run)
    np.testing.assert_allclose(p, t, rtol=1e-5, atol=1e-6)
