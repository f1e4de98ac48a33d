"""torch.autograd.forward_ad (dual tensors) against torch: Jacobian-vector products of ops and of
an nn model, zero and missing tangents, levels, and torch's errors."""

import importlib

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _fw(lib):
    return importlib.import_module(lib.__name__ + ".autograd.forward_ad")


def _close(got, want):
    if want is None:
        assert got is None
        return
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)


CASES = {
    "elementwise": lambda lib, d: (d**2).sin(),
    "reduction": lambda lib, d: d.exp().sum(),
    "matmul": lambda lib, d: lib.tanh(d.reshape(2, 2) @ lib.tensor([1.0, -1.0])),
    "softmax": lambda lib, d: d.softmax(0),
    "unconnected_zero": lambda lib, d: d * 0 + lib.ones(4),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unpack_dual_gives_torch_jvp(name):
    results = []
    for lib in (pn, torch):
        fw = _fw(lib)
        with fw.dual_level():
            d = fw.make_dual(lib.tensor([1.0, 2.0, -0.5, 0.25]), lib.tensor([1.0, 0.0, 2.0, -1.0]))
            out = CASES[name](lib, d)
            first = fw.unpack_dual(out)
            again = fw.unpack_dual(out)  # the graph stays for a second unpack
            results.append((first.primal, first.tangent, again.tangent, type(first).__name__))
    (p, t, t2, kind), (tp, tt, tt2, tkind) = results
    _close(p, tp)
    _close(t, tt)
    _close(t2, tt2)
    assert kind == tkind == "UnpackedDualTensor"


def test_jvp_of_a_model_and_of_two_duals():
    def run(lib):
        fw = _fw(lib)
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        with fw.dual_level():
            x = fw.make_dual(lib.tensor([[1.0, 2.0, 3.0]]), lib.tensor([[1.0, 0.0, 0.0]]))
            model_jvp = fw.unpack_dual(model(x)).tangent
            a = fw.make_dual(lib.tensor([[1.0, 2.0], [3.0, 4.0]]), lib.eye(2))
            b = fw.make_dual(lib.tensor([1.0, -1.0]), lib.tensor([0.5, 0.5]))
            both = fw.unpack_dual(lib.tanh(a @ b).sum()).tangent
        return model_jvp, both

    for got, want in zip(run(pn), run(torch)):
        _close(got, want)


def test_plain_tensors_dual_itself_and_closed_levels():
    def run(lib):
        fw = _fw(lib)
        level = fw.enter_dual_level()
        d = fw.make_dual(lib.ones(2), lib.tensor([3.0, 4.0]))
        y = d * 2
        out = (level, fw.unpack_dual(lib.ones(2)).tangent, fw.unpack_dual(d).tangent.tolist())
        fw.exit_dual_level()
        return out + (fw.unpack_dual(y).tangent,)

    assert run(pn) == run(torch)


def test_forward_ad_errors_as_torch():
    for lib in (pn, torch):
        fw = _fw(lib)
        with pytest.raises(RuntimeError, match="no level exists"):
            fw.make_dual(lib.ones(2), lib.ones(2))
        with fw.dual_level():
            with pytest.raises(RuntimeError, match="different size"):
                fw.make_dual(lib.ones(2), lib.ones(3))
            with pytest.raises(ValueError, match="floating point"):
                fw.make_dual(lib.tensor([1, 2]), lib.ones(2))
