"""Behaviours the session-20 probes found different from torch, each checked side by side with
torch (values, dtypes and exception types)."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(make, lib):
    try:
        out = make(lib)
    except Exception as exc:  # the type is what is compared
        return "raises", exc
    return "returns", out


CASES = {
    "flip copies": lambda m: (lambda x: (x.flip(0).add_(1), x)[1])(m.arange(4.0)),
    "flatten dim out of range": lambda m: m.ones(2, 3).flatten(2),
    "flatten negative dims": lambda m: m.ones(2, 3, 4).flatten(-2, -1),
    "randint high by keyword": lambda m: (m.manual_seed(0), m.randint(high=6, size=(5,)))[1],
    "randint without high": lambda m: m.randint(size=(3,)),
    "Tensor(list) is float": lambda m: m.Tensor([1, 2]),
    "bool minus float": lambda m: m.tensor([True]) - m.tensor([0.5]),
    "float minus bool": lambda m: m.tensor([1.0]) - m.tensor([True]),
    "number minus bool": lambda m: 1 - m.tensor([True]),
    "bool sub method": lambda m: m.tensor([True]).sub(m.tensor([False])),
    "bool negation": lambda m: -m.tensor([True]),
    "bool abs": lambda m: m.tensor([True]).abs(),
    "int softmax": lambda m: m.tensor([1, 2]).softmax(0),
    "int log_softmax inner dim": lambda m: m.tensor([[1, 2]]).log_softmax(0),
    "F.softmax of bool": lambda m: m.nn.functional.softmax(m.tensor([True]), 0),
    "backward with a list gradient": lambda m: (
        m.ones(2, requires_grad=True).mul(2).backward(gradient=[1.0, 2.0])
    ),
    "detach_ of a view": lambda m: m.ones(4, requires_grad=True).clone()[1:].detach_(),
    "detach_ of a plain tensor": lambda m: m.ones(4).detach_(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_as_torch(name):
    kind, got = _outcome(CASES[name], pn)
    want_kind, want = _outcome(CASES[name], torch)
    assert kind == want_kind, (got, want)
    if kind == "raises":
        assert isinstance(got, type(want)), (type(got), type(want), got)
    elif want is not None:
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        assert got.tolist() == want.tolist()


def test_post_accumulate_grad_hook_method():
    seen = []
    for lib in (pn, torch):
        x = lib.ones(3, requires_grad=True)
        handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (x * 2).sum().backward()
        handle.remove()
        (x * 2).sum().backward()
        seen.append(x.grad.tolist())
    assert seen[:2] == seen[2:]


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf"), 0])
def test_cdist_of_a_set_with_itself_has_finite_gradients(p):
    """cdist(x, x) has a zero diagonal: its gradient is 0 there, as torch's (was 0/0 = NaN)."""
    grads = []
    for lib in (pn, torch):
        x = lib.tensor([[0.0, 1.0], [2.0, 3.0], [1.0, 1.0]], requires_grad=True)
        y = lib.tensor([[0.0, 1.0], [2.0, 2.5]], requires_grad=True)
        (lib.cdist(x, x, p=p).sum() + lib.cdist(x, y, p=p).sum()).backward()
        grads.append((x.grad.tolist(), y.grad.tolist()))
    for got, want in zip(*grads):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_erfinv_output_and_in_place_form_as_torch():
    """erfinv's backward reads its input (as torch's): its output may change in place afterwards,
    and erfinv_ keeps the old values it needs."""
    grads = []
    for lib in (pn, torch):
        x = lib.tensor([0.1, 0.5, -0.7], requires_grad=True)
        y = x.erfinv()
        y.add_(1)
        y.sum().backward()
        z = x.clone()
        z.erfinv_()
        z.sum().backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


GRAD_FN_NAMES = {
    "2 ** x": lambda m, x: 2**x,
    "t": lambda m, x: x.t(),
    "transpose": lambda m, x: x.transpose(0, 1),
    "unsqueeze": lambda m, x: x.unsqueeze(0),
    "squeeze(dim)": lambda m, x: x.unsqueeze(0).squeeze(0),
    "squeeze()": lambda m, x: x.unsqueeze(0).squeeze(),
    "split": lambda m, x: x.split(1)[0],
    "split sizes": lambda m, x: x.split([1, 1])[0],
    "unbind": lambda m, x: x.unbind()[0],
    "roll": lambda m, x: x.roll(1),
    "repeat": lambda m, x: x.repeat(2, 1),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, 0.0),
    "tril": lambda m, x: x.tril(),
    "triu": lambda m, x: x.triu(),
    "index_select": lambda m, x: x.index_select(0, m.tensor([0])),
    "sort": lambda m, x: x.sort()[0],
    "topk": lambda m, x: x.topk(1)[0],
    "square": lambda m, x: x.square(),
    "norm": lambda m, x: x.norm(),
    "norm p=1": lambda m, x: x.norm(p=1),
    "gather": lambda m, x: x.gather(1, m.tensor([[0], [1]])),
    "logsumexp": lambda m, x: x.logsumexp(0),
    "flip": lambda m, x: x.flip(0),
}


@pytest.mark.parametrize("name", list(GRAD_FN_NAMES))
def test_grad_fn_names_as_torch(name):
    """What `print(y.grad_fn)` shows (the node renamed, no node added: autograd.shape.renamed)."""
    names = [
        type(
            GRAD_FN_NAMES[name](lib, lib.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)).grad_fn
        ).__name__
        for lib in (pn, torch)
    ]
    assert names[0] == names[1]


def test_roll_by_zero_is_a_new_tensor():
    x = pn.tensor([1.0, 2.0])
    x.roll(0).add_(1)
    assert x.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("fill", ["uniform_", "normal_", "exponential_", "cauchy_", "log_normal_"])
def test_continuous_fills_refuse_integer_tensors_as_torch(fill):
    for dtype in ("int64", "int32"):
        kinds = [
            _outcome(lambda m: getattr(m.zeros(3, dtype=getattr(m, dtype)), fill)(), lib)
            for lib in (pn, torch)
        ]
        assert kinds[0][0] == kinds[1][0] == "raises"
        assert isinstance(kinds[0][1], type(kinds[1][1]))
