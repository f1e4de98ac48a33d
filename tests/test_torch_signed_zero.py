"""The ReLU family keeps -0.0 as torch does: relu(-0.0) is -0.0 (1 / relu(-0.0) = -inf), and so
are relu_, clamp(min=0), clamp_min, clip, relu6, hardtanh(0, 6) and elu / selu / celu, while a negative denormal still gives +0.0 (torch's CPU kernels keep denormals) --
on every CPU backend, float32, float64 and float16 (NumPy's float16 maximum breaks ties the other
way), the C++ kernels' vector body, their scalar head and
tail, the threaded and streaming paths and the Linear -> ReLU epilogue included. torch is the
oracle for each sign (np.signbit)."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

SPECIAL = [-0.0, 0.0, -1e-45, 1e-45, -1.0, 1.0, float("nan"), -float("nan"), float("-inf"), float("inf")]

OPS = {
    "relu": lambda lib, t: lib.relu(t),
    "F.relu": lambda lib, t: lib.nn.functional.relu(t),
    "F.relu_": lambda lib, t: lib.nn.functional.relu_(t.clone()),
    "Tensor.relu_": lambda lib, t: t.clone().relu_(),
    "nn.ReLU(inplace)": lambda lib, t: lib.nn.ReLU(inplace=True)(t.clone()),
    "clamp(min=0)": lambda lib, t: t.clamp(min=0),
    "clamp(min=0.0)": lambda lib, t: lib.clamp(t, min=0.0),
    "clamp(max=0)": lambda lib, t: t.clamp(max=0),
    "clamp(0, 6)": lambda lib, t: t.clamp(0, 6),
    "clamp(min=nan)": lambda lib, t: t.clamp(min=float("nan")),
    "clamp_(max=nan)": lambda lib, t: t.clone().clamp_(max=float("nan")),
    "clamp_min": lambda lib, t: lib.clamp_min(t, 0),
    "clip": lambda lib, t: lib.clip(t, min=0),
    "clamp_(min=0)": lambda lib, t: t.clone().clamp_(min=0),
    "relu6": lambda lib, t: lib.nn.functional.relu6(t),
    "hardtanh(0, 6)": lambda lib, t: lib.nn.functional.hardtanh(t, 0.0, 6.0),
    "hardtanh": lambda lib, t: lib.nn.functional.hardtanh(t),
    "leaky_relu": lambda lib, t: lib.nn.functional.leaky_relu(t),
    "elu": lambda lib, t: lib.nn.functional.elu(t),
    "selu": lambda lib, t: lib.nn.functional.selu(t),
    "celu": lambda lib, t: lib.nn.functional.celu(t),
    "hardshrink": lambda lib, t: lib.nn.functional.hardshrink(t),
    "threshold": lambda lib, t: lib.nn.functional.threshold(t, 0.0, 0.0),
    "gelu": lambda lib, t: lib.nn.functional.gelu(t),
    "gelu tanh": lambda lib, t: lib.nn.functional.gelu(t, approximate="tanh"),
}


def _signs(lib, op, data, dtype):
    y = OPS[op](lib, lib.tensor(data, dtype=getattr(lib, dtype)))
    out = y.detach().numpy()
    return np.signbit(out), np.isnan(out)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_signs_of_zero_match_torch(backend_name, op, dtype):
    data = np.array(SPECIAL, dtype=dtype)
    got_sign, got_nan = _signs(pn, op, data, dtype)
    want_sign, want_nan = _signs(torch, op, data, dtype)
    keep = np.ones(len(data), bool)
    if op == "gelu" and dtype == "float32":  # (torch's float32 gelu(inf) is NaN, its float64 one inf)
        keep = ~np.isinf(data)
    np.testing.assert_array_equal(got_nan[keep], want_nan[keep])
    ok = keep & ~want_nan  # (a NaN's sign is not specified)
    np.testing.assert_array_equal(got_sign[ok], want_sign[ok], err_msg=f"{op}: sign of {data[ok]}")


# sizes: the scalar path alone (3), vector body + tail (37), threaded (1 << 18), and streaming
# stores with an unaligned head (the C++ kernels' 2 ** 21 floats, offset by one element)
@pytest.mark.parametrize("n", [3, 37, 1 << 18, (1 << 21) + 3])
def test_relu_keeps_negative_zero_on_every_path(backend_name, n):
    data = np.tile(np.array(SPECIAL, np.float32), n // len(SPECIAL) + 1)[1 : n + 1]
    y = pn.relu(pn.tensor(data)).numpy()
    want = torch.relu(torch.tensor(data)).numpy()
    np.testing.assert_array_equal(np.signbit(y), np.signbit(want))
    np.testing.assert_array_equal(y, want)


def test_linear_relu_epilogue_keeps_negative_zero(backend_name):
    """nn.Sequential(Linear, ReLU) runs relu in the matmul's epilogue: an output of -0.0 (x @ w = 0
    with a bias of -0.0 ... is +0.0 + -0.0 = +0.0, so the -0.0 comes from a zero product and -0.0 bias
    only when the sum is -0.0: here every product is -0.0)."""
    x = np.zeros((4, 3), np.float32)
    w = -np.ones((5, 3), np.float32)  # 0 * -1 = -0.0, and -0.0 + -0.0 = -0.0
    b = np.full(5, -0.0, np.float32)
    res = []
    for lib in (pn, torch):
        lin = lib.nn.Linear(3, 5)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w))
            lin.bias.copy_(lib.tensor(b))
        res.append(lib.nn.Sequential(lin, lib.nn.ReLU())(lib.tensor(x)).detach().numpy())
    np.testing.assert_array_equal(np.signbit(res[0]), np.signbit(res[1]))


def test_relu_gradient_at_negative_zero_is_zero_as_torch(backend_name):
    res = []
    for lib in (pn, torch):
        x = lib.tensor(SPECIAL[:6], requires_grad=True)
        lib.relu(x).sum().backward()
        res.append(x.grad.numpy())
    np.testing.assert_array_equal(*res)
