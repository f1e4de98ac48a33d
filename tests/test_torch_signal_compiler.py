"""torch.signal.windows and torch.compiler beside torch's: every window, both symmetries and
dtypes, against torch's values and argument errors; the compiler's decorators give back their
function and is_compiling() is False, as in torch outside a trace."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

WINDOWS = [
    ("bartlett", {}),
    ("blackman", {}),
    ("cosine", {}),
    ("exponential", {}),
    ("exponential", {"tau": 0.5}),
    ("gaussian", {"std": 0.9}),
    ("general_cosine", {"a": [0.46, 0.23, 0.31]}),
    ("general_hamming", {"alpha": 0.6}),
    ("hamming", {}),
    ("hann", {}),
    ("kaiser", {"beta": 2.0}),
    ("kaiser", {}),
    ("nuttall", {}),
]


@pytest.mark.parametrize("name, kwargs", WINDOWS)
@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_match_torch(name, kwargs, sym, dtype):
    for M in (0, 1, 2, 5, 10, 33):
        p = getattr(pn.signal.windows, name)(M, sym=sym, dtype=getattr(pn, dtype), **kwargs)
        t = getattr(torch.signal.windows, name)(M, sym=sym, dtype=getattr(torch, dtype), **kwargs)
        assert p.dtype == getattr(pn, dtype) and tuple(p.shape) == tuple(t.shape)
        np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-6, atol=1e-6)


def test_window_defaults_and_periodic_center():
    np.testing.assert_allclose(
        pn.signal.windows.hann(7).numpy(), torch.signal.windows.hann(7).numpy(), atol=1e-7
    )
    p = pn.signal.windows.exponential(4, sym=False, center=1.0)
    np.testing.assert_allclose(p.numpy(), torch.signal.windows.exponential(4, sym=False, center=1.0).numpy())
    assert pn.signal.windows.hann(4, requires_grad=True).requires_grad


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.signal.windows.hann(-1),
        lambda m: m.signal.windows.hann(3, dtype=m.int64),
        lambda m: m.signal.windows.gaussian(3, std=0),
        lambda m: m.signal.windows.exponential(3, center=1.0),
        lambda m: m.signal.windows.exponential(3, tau=0),
        lambda m: m.signal.windows.kaiser(3, beta=-1),
        lambda m: m.signal.windows.general_cosine(3, a=[]),
        lambda m: m.signal.windows.general_cosine(3, a=5),
    ],
)
def test_window_argument_errors_match_torch(call):
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(type(t_err.value)):
        call(pn)


def test_compiler_switches_do_nothing_outside_a_trace():
    for m in (pn, torch):
        assert m.compiler.is_compiling() is False and m.compiler.is_dynamo_compiling() is False

        def f(x):
            return x + 1

        assert m.compiler.disable(f)(1) == 2
        assert m.compiler.disable(recursive=False)(f)(2) == 3
        assert m.compiler.allow_in_graph(f)(0) == 1 and m.compiler.assume_constant_result(f)(0) == 1
        assert m.compiler.reset() is None
        assert isinstance(m.compiler.list_backends(), list)
    assert pn.compiler.compile is pn.compile


def test_is_compiling_guard_in_a_model():
    """The pattern scripts use: skip a Python-side check when being compiled."""

    class Net(pn.nn.Module):
        def forward(self, x):
            if not pn.compiler.is_compiling():
                assert x.ndim == 2
            return x * 2

    assert pn.compile(Net())(pn.ones(1, 2)).tolist() == [[2.0, 2.0]]
