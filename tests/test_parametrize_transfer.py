"""nn.utils.parametrize.transfer_parametrizations_and_params, side by side with torch."""

from __future__ import annotations

import pytest

import pyneuro

torch = pytest.importorskip("torch")


def _program(L):
    nn, P = L.nn, L.nn.utils.parametrize

    class Sym(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(0, 1)

    L.manual_seed(0)
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    P.register_parametrization(a, "weight", Sym())
    out = [P.transfer_parametrizations_and_params(a, b) is b, P.is_parametrized(b)]
    out.append(b.parametrizations.weight.original is a.parametrizations.weight.original)  # shared
    out += [L.allclose(a.weight, b.weight), sorted(k for k, _ in b.named_parameters())]
    w = L.nn.utils.parametrizations.weight_norm(nn.Linear(3, 3))
    c = P.transfer_parametrizations_and_params(w, nn.Linear(3, 3), "weight")  # original0, original1
    out += [sorted(k for k, _ in c.named_parameters()), L.allclose(c.weight, w.weight)]
    d = P.transfer_parametrizations_and_params(a, nn.Module())  # d had no weight: created first
    out += [sorted(k for k, _ in d.named_parameters()), L.allclose(d.weight, a.weight)]
    out.append(type(P.transfer_parametrizations_and_params(nn.Linear(2, 2), nn.Linear(2, 2))).__name__)
    with L.no_grad():  # training one trains the other: the originals are shared
        a.parametrizations.weight.original.add_(1.0)
    out.append(L.allclose(a.weight, b.weight))
    return out


def test_transfer_parametrizations_as_torch():
    assert _program(pyneuro) == _program(torch)
