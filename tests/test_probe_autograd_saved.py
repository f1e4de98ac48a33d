"""What a backward reads, against torch: an in-place change of a tensor raises exactly where
torch's raises (not where only an unneeded gradient would read it), and the gradients at
extreme values (0, inf, NaN, 1e±30) match torch's, without NumPy's RuntimeWarnings."""

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _outcome(lib, op, needs, changed):
    """'ok' or 'raise': backward of op(a, b) with `needs` requiring grad, after `changed` += 1."""
    a = lib.tensor([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]])
    b = lib.tensor([[1.5, 2.0, -0.5], [0.75, 1.25, 3.0]])
    leaf = (a if needs == "a" else b).requires_grad_()
    if needs == "a":
        a = leaf * 1
    else:
        b = leaf * 1
    out = op(lib, a, b)
    (a if changed == "a" else b).add_(1)
    try:
        out.sum().backward()
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e)
        return "raise"
    return "ok"


BINARY = {
    "fmod": lambda lib, a, b: lib.fmod(a, b),
    "remainder": lambda lib, a, b: lib.remainder(a, b),
    "hypot": lambda lib, a, b: lib.hypot(a, b),
    "copysign": lambda lib, a, b: lib.copysign(a, b),
    "nextafter": lambda lib, a, b: lib.nextafter(a, b),
    "atan2": lambda lib, a, b: lib.atan2(a, b),
    "xlogy": lambda lib, a, b: lib.xlogy(a, b.abs()),
    "fmax": lambda lib, a, b: lib.fmax(a, b),
    "logaddexp": lambda lib, a, b: lib.logaddexp(a, b),
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "pow": lambda lib, a, b: a.abs() ** b,
    "matmul": lambda lib, a, b: a @ b.T,
    "linear": lambda lib, a, b: lib.nn.functional.linear(a, b),
    "linear_relu": lambda lib, a, b: lib.nn.functional.relu(lib.nn.functional.linear(a, b)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("needs", ["a", "b"])
@pytest.mark.parametrize("changed", ["a", "b"])
def test_in_place_change_raises_where_torch_does(name, needs, changed):
    op = BINARY[name]
    assert _outcome(pn, op, needs, changed) == _outcome(torch, op, needs, changed)


@pytest.mark.parametrize("dim", [None, 1])
def test_prod_output_changed_in_place_raises(dim):
    for lib in (pn, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x.prod() if dim is None else x.prod(dim)
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


SPECIAL = [0.0, -0.0, 1.0, -1.0, float("inf"), -float("inf"), float("nan"), 1e-30, 1e30, -2.0]

EXTREMES = {
    "div_self": lambda x: x / x,
    "rdiv": lambda x: 1.0 / x,
    "abs": lambda x: x.abs(),
    "frac": lambda x: x.frac(),
    "remainder": lambda x: x.remainder(2.0),
    "fmod": lambda x: x.fmod(-1.5),
    "pow0": lambda x: x**0,
    "sqrt": lambda x: x.sqrt(),
    "log": lambda x: x.log(),
    "log2": lambda x: x.log2(),
    "rsqrt": lambda x: x.rsqrt(),
    "reciprocal": lambda x: x.reciprocal(),
    "pow_neg": lambda x: x**-1,
    "sinh": lambda x: x.sinh(),
}


@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_gradients_at_extreme_values_match_torch_without_warnings(name):
    f = EXTREMES[name]
    x = pn.tensor(SPECIAL, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f(x).sum().backward()
    t = torch.tensor(SPECIAL, requires_grad=True)
    f(t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, equal_nan=True)


def test_sum_of_opposite_infinities_is_nan_without_warning():
    x = pn.tensor([float("inf"), -float("inf")], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sum()
    assert np.isnan(s.item()) and np.isnan(torch.tensor([float("inf"), -float("inf")]).sum().item())


def test_avg_pool2d_saves_its_input_as_torch():
    for lib in (pn, torch):
        x = lib.ones(1, 1, 4, 4, requires_grad=True)
        y = x * 1
        out = lib.nn.functional.avg_pool2d(y, 2)
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
        loss = lib.nn.functional.avg_pool2d(x * 1, 2).sum()
        loss.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            loss.backward()


def test_number_over_tensor_is_torch_reciprocal_times_number():
    def run(lib):
        x = lib.tensor([3.0, -0.7, 1e-30, 1e30, 0.0], requires_grad=True)
        y = x * 1
        z = 3 / y
        bits = z.detach().numpy().view(np.int32).tolist()
        name = type(z.grad_fn).__name__
        y.add_(1)  # torch saved only the reciprocal: no error
        z.sum().backward()
        x2 = lib.tensor([3.0, -0.7], requires_grad=True)
        (g,) = lib.autograd.grad((2 / x2).sum(), x2, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x2)
        return bits, name, x.grad.tolist(), g.tolist(), h.tolist()

    got, want = run(pn), run(torch)
    assert got[:3] == want[:3]
    np.testing.assert_allclose(got[3:], want[3:], rtol=1e-6)
