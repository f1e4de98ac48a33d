"""torch.nn's last missing names, side by side with torch 2.13: F.linear_cross_entropy,
nn.LinearCrossEntropyLoss / LinearCrossEntropyOptions, the legacy CrossMapLRN2d, the deprecated
Container and nn.factory_kwargs. The course's prompt-engineering notebook lists torch.nn's
classes and functions with inspect.getmembers: the list must be torch's."""

from __future__ import annotations

import dataclasses
import inspect
import re
import warnings

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.nn.functional as PF

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _members(module) -> set:
    return {n for n, obj in inspect.getmembers(module) if inspect.isfunction(obj) or inspect.isclass(obj)}


def test_nn_lists_the_classes_and_functions_torch_nn_lists():
    assert _members(pn.nn) == _members(torch.nn)
    for name in (
        "LinearCrossEntropyLoss",
        "LinearCrossEntropyOptions",
        "CrossMapLRN2d",
        "Container",
        "factory_kwargs",
    ):
        assert name in pn.nn.__all__
    assert "linear_cross_entropy" in PF.__all__
    # torch's module paths (a weights-only load's safe_globals, pickles, isinstance checks)
    from pyneuro.nn.modules.linear_cross_entropy_options import LinearCrossEntropyOptions
    from pyneuro.nn.modules.loss import LinearCrossEntropyLoss

    assert LinearCrossEntropyOptions is pn.nn.LinearCrossEntropyOptions
    assert LinearCrossEntropyLoss is pn.nn.LinearCrossEntropyLoss
    assert pn.nn.modules.normalization.CrossMapLRN2d is pn.nn.CrossMapLRN2d
    assert pn.nn.modules.container.Container is pn.nn.Container


def _pair(array, requires_grad=False):
    a = np.asarray(array)
    return pn.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _close(p, t, atol=1e-5):
    assert tuple(p.shape) == tuple(t.shape)
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), atol=atol, rtol=1e-5)


CASES = {
    "mean": dict(),
    "sum, bias": dict(reduction="sum", bias=True),
    "none, ignore_index": dict(reduction="none", ignore_index=2),
    "class weight, smoothing": dict(weight=True, label_smoothing=0.2, bias=True),
    "unbatched": dict(unbatched=True, bias=True),
    "K-dimensional": dict(out_features=(3, 2), bias=True, reduction="sum"),
    "probability targets": dict(probs=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_linear_cross_entropy_matches_torch_values_and_gradients(case):
    o = CASES[case]
    rng = np.random.default_rng(len(case))
    n, d, c, extra = 6, 5, 4, o.get("out_features", ())
    x = rng.standard_normal(d if o.get("unbatched") else (n, d)).astype(np.float32)
    w = rng.standard_normal((c, *extra, d)).astype(np.float32)
    b = rng.standard_normal((c, *extra)).astype(np.float32)
    if o.get("probs"):
        target = rng.dirichlet(np.ones(c), n).astype(np.float32)
    elif o.get("unbatched"):
        target = np.array(3)
    else:
        target = rng.integers(0, c, (n, *extra))
    kw = {k: o[k] for k in ("reduction", "ignore_index", "label_smoothing") if k in o}
    losses, grads = [], []
    for lib, F in ((pn, PF), (torch, TF)):
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        extra_kw = dict(kw)
        if o.get("bias"):
            extra_kw["linear_bias"] = bt
        if o.get("weight"):
            extra_kw["weight"] = lib.tensor(np.array([0.5, 1.0, 2.0, 1.5], np.float32))
        loss = F.linear_cross_entropy(xt, wt, lib.tensor(target), **extra_kw)
        loss.sum().backward()
        losses.append(loss)
        grads.append((xt.grad, wt.grad, bt.grad if o.get("bias") else None))
    _close(*losses)
    for p, t in zip(*grads):
        if t is not None:
            _close(p, t)


def test_linear_cross_entropy_loss_module_matches_torch():
    pn.manual_seed(3)
    torch.manual_seed(3)
    mp = pn.nn.LinearCrossEntropyLoss(8, 5, bias=True, reduction="sum")
    mt = torch.nn.LinearCrossEntropyLoss(8, 5, bias=True, reduction="sum")
    assert repr(mp) == repr(mt)
    assert list(mp.state_dict()) == list(mt.state_dict()) == ["linear.weight", "linear.bias"]
    _close(mp.linear.weight, mt.linear.weight)  # a seed gives torch's initial weights
    xp, xt = _pair(np.random.default_rng(0).standard_normal((7, 8)).astype(np.float32), requires_grad=True)
    yp, yt = _pair(np.array([0, 4, 2, 1, 3, 3, 0]))
    lp, lt = mp(xp, yp), mt(xt, yt)
    lp.backward()
    lt.backward()
    _close(lp, lt)
    _close(xp.grad, xt.grad)
    _close(mp.linear.weight.grad, mt.linear.weight.grad)
    k = pn.nn.LinearCrossEntropyLoss(4, 3, out_features=(2,))
    assert tuple(k.linear.weight.shape) == (6, 4) and k.linear.bias is None
    assert "out_features=(2,)" in repr(k)


def test_linear_cross_entropy_rejects_what_torch_rejects():
    x, w, y = pn.randn(4, 8), pn.randn(5, 8), pn.tensor([0, 1, 2, 3])
    cases = [
        (lambda: PF.linear_cross_entropy(pn.randn(2, 4, 8), w, y), "dimensionality 1 or 2, got 3"),
        (lambda: PF.linear_cross_entropy(x, pn.randn(8), y), "at least 2, got 1"),
        (lambda: PF.linear_cross_entropy(x, pn.randn(5, 7), y), "got 8 and 7"),
        (
            lambda: PF.linear_cross_entropy(x, w, y, linear_bias=pn.randn(4)),
            "expected linear_bias shape (5,)",
        ),
        (lambda: PF.linear_cross_entropy(pn.randn(8), pn.randn(5, 2, 8), y), "requires batched input"),
        (lambda: PF.linear_cross_entropy(x, w, pn.rand(4, 5), ignore_index=1), "ignore_index cannot"),
        (lambda: pn.nn.LinearCrossEntropyLoss(8, 5, weight=pn.ones(4)), "expected weight shape to be (5,)"),
        (lambda: pn.nn.LinearCrossEntropyLoss(8, 5, label_smoothing=1.5), "range [0, 1]"),
    ]
    for call, words in cases:
        with pytest.raises(RuntimeError, match=re.escape(words)):
            call()


def test_linear_cross_entropy_options_are_checked_and_warn_where_torch_falls_back():
    Options = pn.nn.LinearCrossEntropyOptions
    assert repr(Options()) == repr(torch.nn.LinearCrossEntropyOptions())
    assert (
        Options(batch_chunk_size=4, chunking_method="aspect_ratio:2", acc_dtype=pn.float32).batch_chunk_size
        == 4
    )
    for bad in (
        dict(acc_policy="fast"),
        dict(chunking_method="rows"),
        dict(batch_chunk_size=0),
        dict(acc_dtype=pn.int64),
    ):
        with pytest.raises(ValueError):
            Options(**bad)
    with pytest.raises(dataclasses.FrozenInstanceError):  # frozen, as torch's dataclass
        Options().batch_chunk_size = 3
    x, w, y = pn.randn(4, 8), pn.randn(5, 8), pn.tensor([0, 1, 2, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = PF.linear_cross_entropy(x, w, y, options=Options(batch_chunk_size=2))  # supported: no warning
    assert float(plain) == pytest.approx(float(PF.cross_entropy(PF.linear(x, w), y)))
    with pytest.warns(UserWarning, match="options`` ignored"):
        PF.linear_cross_entropy(x, w, y, label_smoothing=0.1, options=Options())


def test_cross_map_lrn2d_matches_torch_including_its_quirks():
    """torch's legacy LRN keeps channel 0 in every later window and differentiates another
    window in backward: pyneuro computes the same numbers (values and gradients)."""
    rng = np.random.default_rng(7)
    for size in (2, 3, 5):
        a = rng.standard_normal((2, 7, 3, 4)).astype(np.float32)
        g = rng.standard_normal(a.shape).astype(np.float32)
        (xp, xt), out = _pair(a, requires_grad=True), []
        for lib, x in ((pn, xp), (torch, xt)):
            m = lib.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.75, k=1.5)
            y = m(x)
            y.backward(lib.tensor(g))
            out.append((y, x.grad, repr(m), y.grad_fn.name()))
        _close(out[0][0], out[1][0])
        _close(out[0][1], out[1][1])
        assert out[0][2:] == out[1][2:]
    with pytest.raises(ValueError, match="Expected input to be 4D, got 3D"):
        pn.nn.CrossMapLRN2d(3)(pn.randn(2, 3, 4))
    x = pn.randn(1, 4, 2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="exceeds dimension size"):  # size 1: torch's backward fails too
        pn.nn.CrossMapLRN2d(1)(x).sum().backward()


def test_container_is_a_deprecated_module_of_keyword_submodules():
    with pytest.warns(FutureWarning, match="nn.Container` is deprecated"):
        c = pn.nn.Container(fc=pn.nn.Linear(2, 3), act=pn.nn.ReLU())
    assert [n for n, _ in c.named_children()] == ["fc", "act"]
    assert repr(c).splitlines()[0] == "Container("
    with pytest.warns(FutureWarning):

        class Sub(pn.nn.Container):
            pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Sub()  # a subclass's instance does not warn again (torch's rule)


def test_factory_kwargs_as_torch():
    assert pn.nn.factory_kwargs(None) == {} == pn.nn.factory_kwargs({})
    got = pn.nn.factory_kwargs({"device": "cpu", "factory_kwargs": {"dtype": pn.float64}})
    assert got == {"device": "cpu", "dtype": pn.float64}
    with pytest.raises(TypeError, match="unexpected kwargs"):
        pn.nn.factory_kwargs({"foo": 1})
    with pytest.raises(TypeError, match="dtype specified twice"):
        pn.nn.factory_kwargs({"dtype": pn.float32, "factory_kwargs": {"dtype": pn.float64}})
