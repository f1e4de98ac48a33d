"""autograd.Variable, autograd.backward, autograd.grad's options, detect_anomaly /
set_detect_anomaly, autograd.functional (jacobian, vjp, jvp) and utils.checkpoint, against torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn
from pyneuro.autograd.function import _Profiling

torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy() if t is not None else None


def both(fn):
    return fn(pn), fn(torch)


# ----------------------------------------------------------------------------- Variable


def test_variable_is_a_tensor():
    for fw in (pn, torch):
        t = fw.ones(2)
        v = fw.autograd.Variable(t, requires_grad=True)
        assert v is not t and v.requires_grad and v.is_leaf and isinstance(t, fw.autograd.Variable)
        assert type(v) is type(t)
        v.data[0] = 5.0  # shares t's memory
        assert float(t[0]) == 5.0
        assert not fw.autograd.Variable(t).requires_grad
        with pytest.raises(TypeError, match="Variable data has to be a tensor"):
            fw.autograd.Variable([1.0])


# ----------------------------------------------------------------------------- backward / grad


def test_backward_sums_over_tensors_with_grad_tensors():
    def run(fw):
        z = fw.tensor([1.0, 2.0], requires_grad=True)
        fw.autograd.backward([z * 2, (z * z).sum()], [fw.tensor([1.0, -1.0]), None])
        fw.autograd.backward(z.exp().sum())
        return _np(z.grad)

    mine, ref = both(run)
    np.testing.assert_allclose(mine, ref, rtol=1e-6)


def test_backward_inputs_only_fill_those():
    def run(fw):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        w = fw.tensor([3.0, -1.0], requires_grad=True)
        a = x * 3
        b = (a * a * w).sum()
        fw.autograd.backward([b], inputs=[a, w])
        return _np(a.grad), _np(w.grad), x.grad

    (ag, wg, xg), (tag, twg, txg) = both(run)
    np.testing.assert_allclose(ag, tag)
    np.testing.assert_allclose(wg, twg)
    assert xg is None and txg is None


def test_backward_errors():
    for fw in (pn, torch):
        z = fw.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            fw.autograd.backward(z * 2)
        with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
            fw.autograd.backward([z * 2, z.sum()], [fw.ones(2)])
        fw.autograd.backward([z * 2], [fw.ones(2), None])  # an extra gradient is ignored
        assert _np(z.grad).tolist() == [2.0, 2.0]


def test_grad_options_like_torch():
    def run(fw):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        y = fw.tensor([3.0, 4.0], requires_grad=True)
        out = {}
        out["materialize"] = fw.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
        out["unused"] = fw.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
        out["grad_outputs"] = fw.autograd.grad(x * y, [x, y], grad_outputs=fw.tensor([1.0, -2.0]))
        out["batched"] = fw.autograd.grad(x * x, x, grad_outputs=fw.eye(2), is_grads_batched=True)
        return out

    mine, ref = both(run)
    for k in ref:
        assert len(mine[k]) == len(ref[k]), k
        for a, b in zip(mine[k], ref[k]):
            assert (a is None) == (b is None), k
            if b is not None:
                np.testing.assert_allclose(_np(a), _np(b), err_msg=k)
                assert tuple(a.shape) == tuple(b.shape)
    for fw in (pn, torch):
        x = fw.ones(2, requires_grad=True)
        y = fw.ones(2, requires_grad=True)
        with pytest.raises(ValueError, match="Expected allow_unused to be True"):
            fw.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True, allow_unused=False)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            fw.autograd.grad((x * 2).sum(), [x, y])


# ----------------------------------------------------------------------------- anomaly mode


def _nan_backward(fw):
    x = fw.tensor([0.0, 1.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()  # 0 * inf in sqrt's backward
    return x


def test_detect_anomaly_names_the_function_like_torch():
    msgs = []
    for fw in (pn, torch):
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            ctx = fw.autograd.detect_anomaly()
        with ctx, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert fw.autograd.is_anomaly_enabled() if fw is pn else torch.is_anomaly_enabled()
            with pytest.raises(RuntimeError) as e:
                _nan_backward(fw)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1] == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert not pn.autograd.is_anomaly_enabled() and _Profiling.op is None  # off again, free when off


def test_anomaly_off_by_default_and_check_nan_false():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(_np(_nan_backward(pn).grad)[0])  # off: NaN passes silently, as torch
        with pn.autograd.detect_anomaly(check_nan=False):
            assert np.isnan(_np(_nan_backward(pn).grad)[0])
            assert pn.autograd.is_anomaly_enabled() and not pn.autograd.is_anomaly_check_nan_enabled()


def test_anomaly_warns_where_the_node_was_made():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = pn.autograd.detect_anomaly()
    with ctx, pytest.warns(UserWarning, match="Error detected in SqrtBackward0") as rec:
        with pytest.raises(RuntimeError):
            _nan_backward(pn)
    assert any("_nan_backward" in str(w.message) for w in rec)


def test_set_detect_anomaly_call_and_context_and_decorator():
    pn.autograd.set_detect_anomaly(True)
    try:
        assert pn.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            _nan_backward(pn)
        with pn.autograd.set_detect_anomaly(False):
            assert not pn.autograd.is_anomaly_enabled()
            _nan_backward(pn)
        assert pn.autograd.is_anomaly_enabled()
    finally:
        pn.autograd.set_detect_anomaly(False)
    assert _Profiling.op is None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @pn.autograd.detect_anomaly()
        def step():
            assert pn.autograd.is_anomaly_enabled()
            return _nan_backward(pn)

    with pytest.raises(RuntimeError, match="returned nan values"):
        step()
    assert not pn.autograd.is_anomaly_enabled()


def test_anomaly_mode_leaves_good_gradients_alone():
    def run(fw):
        x = fw.tensor([[0.5, -1.0], [2.0, 3.0]], requires_grad=True)
        ((x @ x).tanh() * x.exp()).sum().backward()
        return _np(x.grad)

    ref = run(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pn.autograd.detect_anomaly():
            np.testing.assert_allclose(run(pn), ref, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- functional


def _f1(fw):
    return lambda a: (a.exp() * a.sum()).reshape(-1)


def _f2(fw):
    return lambda a, b: (a @ b, (a * a).sum(), b.tanh())


def _inputs(fw):
    rng = np.random.default_rng(0)
    return fw.tensor(rng.standard_normal((2, 3)).astype(np.float32)), fw.tensor(
        rng.standard_normal((3, 2)).astype(np.float32)
    )


def _compare(a, b):
    if isinstance(b, tuple):
        assert isinstance(a, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _compare(x, y)
        return
    assert tuple(a.shape) == tuple(b.shape) and not a.requires_grad
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)


def test_jacobian_like_torch():
    for fw_fn in (
        lambda fw: fw.autograd.functional.jacobian(_f1(fw), _inputs(fw)[0]),
        lambda fw: fw.autograd.functional.jacobian(_f2(fw), _inputs(fw)),
        lambda fw: fw.autograd.functional.jacobian(lambda a: a.sum(), _inputs(fw)[0]),
        lambda fw: fw.autograd.functional.jacobian(lambda a: (a * 2,), (fw.tensor(3.0),)),
        lambda fw: fw.autograd.functional.jacobian(lambda a, b: a * 2, _inputs(fw)),  # b unused: zeros
        lambda fw: fw.autograd.functional.jacobian(lambda a: a.sum(), fw.ones(2, 0)),
        lambda fw: fw.autograd.functional.jacobian(_f1(fw), _inputs(fw)[0], vectorize=True),
    ):
        mine, ref = both(fw_fn)
        _compare(mine, ref)


def test_vjp_and_jvp_like_torch():
    for fw_fn in (
        lambda fw: fw.autograd.functional.vjp(lambda a: (a * a).sum(), _inputs(fw)[0]),
        lambda fw: fw.autograd.functional.vjp(_f1(fw), _inputs(fw)[0], fw.arange(6.0)),
        lambda fw: fw.autograd.functional.vjp(
            _f2(fw), _inputs(fw), (fw.ones(2, 2), fw.tensor(2.0), fw.full((3, 2), -1.0))
        ),
        lambda fw: fw.autograd.functional.jvp(_f1(fw), _inputs(fw)[0], fw.ones(2, 3)),
        lambda fw: fw.autograd.functional.jvp(_f2(fw), _inputs(fw), (fw.ones(2, 3), fw.full((3, 2), 0.5))),
        lambda fw: fw.autograd.functional.jvp(lambda a: a * a, fw.tensor([3.0])),
    ):
        mine, ref = both(fw_fn)
        _compare(mine, ref)


def test_functional_errors_like_torch():
    F = "autograd.functional"
    cases = [
        lambda fw: fw.autograd.functional.jacobian(lambda a: a, [fw.ones(2)]),
        lambda fw: fw.autograd.functional.jacobian(lambda a: 3, fw.ones(2)),
        lambda fw: fw.autograd.functional.jacobian(lambda a: a, fw.ones(2), strategy="bad"),
        lambda fw: fw.autograd.functional.jacobian(lambda a: a, fw.ones(2), strategy="forward-mode"),
        lambda fw: fw.autograd.functional.jacobian(lambda a: fw.ones(2), fw.ones(2), strict=True),
        lambda fw: fw.autograd.functional.jacobian(lambda a, b: a * 2, (fw.ones(2), fw.ones(2)), strict=True),
        lambda fw: fw.autograd.functional.vjp(lambda a: a, fw.ones(2)),
        lambda fw: fw.autograd.functional.vjp(lambda a: a, fw.ones(2), (fw.ones(2), fw.ones(2))),
        lambda fw: fw.autograd.functional.jvp(lambda a: a, fw.ones(2)),
    ]
    for case in cases:
        errs = []
        for fw in (pn, torch):
            with pytest.raises(Exception) as e:
                case(fw)
            errs.append((e.type, str(e.value)))
        assert errs[0] == errs[1], F
    with pytest.raises(RuntimeError, match="invalid size"):
        pn.autograd.functional.vjp(lambda a: a, pn.ones(2), pn.ones(3))
    for name in ("hessian", "hvp", "vhp"):  # a vector-valued f (their values: test_higher_order.py)
        errs = []
        for fw in (pn, torch):
            with pytest.raises(RuntimeError) as e:
                extra = () if name == "hessian" else (fw.ones(2),)
                getattr(fw.autograd.functional, name)(lambda a: a, fw.ones(2), *extra)
            errs.append(str(e.value))
        assert errs[0] == errs[1]


# ----------------------------------------------------------------------------- checkpoint


def _model(fw):
    fw.manual_seed(0)
    layers = [fw.nn.Linear(3, 4), fw.nn.Tanh(), fw.nn.Linear(4, 4), fw.nn.ReLU(), fw.nn.Linear(4, 2)]
    rng = np.random.default_rng(1)
    with fw.no_grad():
        for m in layers:
            for p in m.parameters():
                p.copy_(fw.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return fw.nn.Sequential(*layers)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_same_values_and_gradients(use_reentrant):
    def run(fw, wrap):
        from importlib import import_module

        cp = import_module(fw.__name__ + ".utils.checkpoint")
        model = _model(fw)
        x = fw.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), requires_grad=True)
        if wrap == "checkpoint":
            y = cp.checkpoint(model, x, use_reentrant=use_reentrant)
        elif wrap == "sequential":
            y = cp.checkpoint_sequential(model, 2, x, use_reentrant=use_reentrant)
        else:
            y = model(x)
        y.pow(2).sum().backward()
        return [_np(y), _np(x.grad)] + [_np(p.grad) for p in model.parameters()]

    plain = run(pn, None)
    for wrap in ("checkpoint", "sequential"):
        mine, ref = run(pn, wrap), run(torch, wrap)
        for a, b, c in zip(mine, ref, plain):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(a, c)


def test_checkpoint_arguments_like_torch():
    import importlib

    for fw in (pn, torch):
        cp = importlib.import_module(fw.__name__ + ".utils.checkpoint")
        x = fw.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
            cp.checkpoint(lambda a: a * 2, x)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
            cp.checkpoint(lambda a, scale: a * scale, x, use_reentrant=True, scale=2.0)
        y = cp.checkpoint(lambda a, scale: a * scale, x, use_reentrant=False, scale=3.0)
        y.sum().backward()
        assert _np(x.grad).tolist() == [3.0, 3.0]
        w = fw.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            out = cp.checkpoint(lambda a: a * w, fw.ones(2), use_reentrant=True)
        assert not out.requires_grad  # the reentrant variant's known pitfall, as torch
        out = cp.checkpoint(lambda a: a * w, fw.ones(2), use_reentrant=False)
        assert out.requires_grad
        with pytest.raises(ValueError, match="Unexpected keyword arguments"):
            cp.checkpoint_sequential([lambda a: a], 1, x, use_reentrant=False, foo=1)
