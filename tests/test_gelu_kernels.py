"""The GELU kernels (csrc/cpu/gelu.cpp, both approximations) against the NumPy backend's
reference and a float64 oracle (awkward sizes, special values, threads, every SIMD path the
build has), and F.gelu / nn.GELU on them against torch: values and gradients, float32 and
float64."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import backends

torch = pytest.importorskip("torch")

APPROXIMATE = ("none", "tanh")
# sizes around the vector widths (8, 16), a masked tail, an odd size, one over the threads' threshold
SIZES = (0, 1, 3, 7, 8, 15, 16, 17, 33, 1000, 70001, 300_007)


def _tables():
    if not backends.status("cpu").available:
        pytest.skip("the C++ backend is not built")
    return backends.get("cpu"), backends.get("numpy")


def _oracle(x, approximate):
    """gelu and its derivative in float64 with math.erfc (no cancellation in either tail)."""
    xd = x.astype(np.float64)
    if approximate == "tanh":
        beta, kappa = math.sqrt(2 / math.pi), 0.044715
        u = beta * (xd + kappa * xd**3)
        s = 1 / (1 + np.exp(np.minimum(-2 * u, 700)))  # 0.5 (1 + tanh(u))
        return xd * s, s + 2 * xd * s * (1 - s) * beta * (1 + 3 * kappa * xd * xd)
    cdf = 0.5 * np.vectorize(math.erfc)(-xd / math.sqrt(2))
    return xd * cdf, cdf + xd * np.exp(-0.5 * xd * xd) / math.sqrt(2 * math.pi)


def _ulps(got, want):
    return np.abs(got.astype(np.float64) - want) / np.spacing(np.abs(want).astype(np.float32))


@pytest.mark.parametrize("approximate", APPROXIMATE)
@pytest.mark.parametrize("n", SIZES)
def test_kernels_match_the_numpy_reference(n, approximate):
    cpu, ref = _tables()
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 3).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    y, dx = cpu.gelu_forward(x, approximate), cpu.gelu_backward(g, x, approximate)
    assert y.dtype == dx.dtype == np.float32 and y.shape == dx.shape == (n,)
    # (the reference's tanh form is torch's float32 formula: 1 + tanh(u) and the derivative's two
    # terms lose digits to cancellation, up to ~4e-6 absolute; the exact form's is float64)
    atol = 5e-6 if approximate == "tanh" else 1e-30
    np.testing.assert_allclose(y, ref.gelu_forward(x, approximate), rtol=1e-6, atol=atol)
    np.testing.assert_allclose(dx, ref.gelu_backward(g, x, approximate), rtol=1e-6, atol=atol + 1e-6)


@pytest.mark.parametrize("approximate", APPROXIMATE)
def test_values_are_within_a_few_float32_ulps_of_the_float64_oracle(approximate):
    cpu, _ = _tables()
    x = np.concatenate([np.linspace(-9, 9, 40_001), np.random.default_rng(0).standard_normal(20_000)])
    x = x.astype(np.float32)
    want, dwant = _oracle(x, approximate)
    # the exact form: to the far tail; the tanh form's exp(-2u) carries u's float32 rounding
    # (~12 ulps where y ~ 1e-4; torch's 1 + tanh(u) loses far more there), so from 1e-4 up
    floor, bound = (1e-30, 6) if approximate == "none" else (1e-4, 24)
    big = np.abs(want) > floor
    assert _ulps(cpu.gelu_forward(x, approximate), want)[big].max() <= bound
    # the derivative crosses 0 near x = -0.75 (relative error is meaningless there): absolute
    dx = cpu.gelu_backward(np.ones_like(x), x, approximate)
    assert np.abs(dx - dwant).max() <= 3e-7
    assert _ulps(dx, dwant)[np.abs(dwant) > 0.25].max() <= 6


@pytest.mark.parametrize("approximate", APPROXIMATE)
def test_special_values_match_the_numpy_reference(approximate):
    cpu, ref = _tables()
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, -40, 40, 3e9, -3e9], np.float32)
    y, want = cpu.gelu_forward(x, approximate), ref.gelu_forward(x, approximate)
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(np.signbit(y), np.signbit(want))  # gelu(-0.0) is -0.0, as torch's
    g = np.ones_like(x)
    np.testing.assert_array_equal(cpu.gelu_backward(g, x, approximate), ref.gelu_backward(g, x, approximate))


@pytest.mark.parametrize("approximate", APPROXIMATE)
def test_results_do_not_depend_on_the_thread_count(approximate):
    cpu, _ = _tables()
    x = np.random.default_rng(1).standard_normal(1 << 20).astype(np.float32)
    before = cpu.get_num_threads()
    try:
        cpu.set_num_threads(1)
        one = cpu.gelu_forward(x, approximate), cpu.gelu_backward(x, x, approximate)
        cpu.set_num_threads(2)
        two = cpu.gelu_forward(x, approximate), cpu.gelu_backward(x, x, approximate)
    finally:
        cpu.set_num_threads(before)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


_PATHS_SCRIPT = """
import sys, numpy as np, pyneuro.backends.cpu_backend as cpu
x = np.linspace(-12, 12, 10007, dtype=np.float32)
for a in ("none", "tanh"):
    np.save(f"{sys.argv[1]}/{a}_y.npy", cpu.gelu_forward(x, a))
    np.save(f"{sys.argv[1]}/{a}_dx.npy", cpu.gelu_backward(x, x, a))
"""


def test_every_simd_path_gives_values_within_a_few_ulps_of_the_default(tmp_path):
    _tables()
    outs = {}
    for path in ("scalar", "avx2", None):
        out = tmp_path / str(path)
        out.mkdir()
        env = dict(os.environ)
        env.pop("PYNEURO_SIMD", None)
        if path:
            env["PYNEURO_SIMD"] = path
        subprocess.run([sys.executable, "-c", _PATHS_SCRIPT, str(out)], env=env, check=True, timeout=120)
        outs[path] = {f.stem: np.load(f) for f in out.iterdir()}
    for path in ("scalar", "avx2"):
        for name, want in outs[None].items():
            np.testing.assert_allclose(outs[path][name], want, rtol=2e-6, atol=1e-7, err_msg=f"{path} {name}")


def test_arguments_are_checked_with_the_references_messages():
    cpu, ref = _tables()
    x = np.ones(4, np.float32)
    for table in (cpu, ref):
        with pytest.raises(ValueError, match="unknown gelu variant 'exact'; choose one of: none, tanh"):
            table.gelu_forward(x, "exact")
        with pytest.raises(ValueError, match="unknown gelu variant"):
            table.gelu_backward(x, x, "sigmoid")
        with pytest.raises(ValueError):
            table.gelu_backward(np.ones(3, np.float32), x)
        with pytest.raises(TypeError):
            table.gelu_forward([1.0, 2.0])
    with pytest.raises(TypeError):
        cpu.gelu_forward(x.astype(np.float64))  # (float64 takes the NumPy table: Function.kernels)


# ----------------------------------------------------------------------------- against torch
SHAPES = [(2, 3, 5), (64, 128, 37), (17,), (), (4, 0, 3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("approximate", APPROXIMATE)
@pytest.mark.parametrize("shape", SHAPES)
def test_gelu_values_and_gradients_match_torch(backend_name, shape, approximate, dtype):
    data = (np.random.default_rng(len(shape)).standard_normal(shape) * 4).astype(dtype)
    gy = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    outs = []
    for lib in (pn, torch):
        x = lib.tensor(data, requires_grad=True)
        y = lib.nn.functional.gelu(x, approximate=approximate)
        y.backward(lib.tensor(gy))
        outs.append(
            (y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__, str(y.dtype).split(".")[-1])
        )
    (y, dx, name, dt), (ty, tdx, tname, tdt) = outs
    assert (name, dt) == (tname, tdt) == ("GeluBackward0", dtype)
    tol = dict(rtol=1.3e-6, atol=1e-5) if dtype == "float32" else dict(rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(y, ty, **tol)
    np.testing.assert_allclose(dx, tdx, **tol)


@pytest.mark.parametrize("approximate", APPROXIMATE)
def test_gelu_module_on_a_transposed_input_and_its_second_derivative_match_torch(approximate):
    data = np.random.default_rng(3).standard_normal((33, 20)).astype(np.float32) * 3
    res = []
    for lib in (pn, torch):
        x = lib.tensor(data, requires_grad=True)
        y = lib.nn.GELU(approximate=approximate)(x.t())  # (a non-contiguous input)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        res.append([t.detach().numpy() for t in (y, g, gg)])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_gelu_backward_reads_the_input_as_it_is_then_as_torch(backend_name):
    res = []
    for lib in (pn, torch):
        x = lib.tensor([-1.0, 0.5, 2.0], requires_grad=True)
        y = lib.nn.functional.gelu(x)
        x.data.mul_(2)  # (no version bump: torch's node reads the changed input)
        y.sum().backward()
        res.append(x.grad.numpy())
    np.testing.assert_allclose(*res, rtol=1e-6, atol=1e-7)


def test_float16_gelu_computes_in_float32_as_torch():
    data = np.array([-1.5, -0.3, 0.5, 2.0, -4.0], np.float16)
    for approximate in APPROXIMATE:
        res = []
        for lib in (pn, torch):
            x = lib.tensor(data, requires_grad=True)
            y = lib.nn.functional.gelu(x, approximate=approximate)
            y.sum().backward()
            res.append((y.detach().numpy(), x.grad.numpy()))
        for a, b in zip(*res):
            assert a.dtype == b.dtype == np.float16
            np.testing.assert_allclose(a.astype(np.float32), b.astype(np.float32), rtol=1e-3, atol=1e-4)


def test_gelu_argument_errors_match_torch():
    for lib in (pn, torch):
        x = lib.tensor([1.0, -1.0])
        with pytest.raises(TypeError, match="takes 1 positional argument but 2 were given"):
            lib.nn.functional.gelu(x, "tanh")  # (approximate is keyword-only in torch)
        with pytest.raises(RuntimeError, match=r"^approximate argument must be either none or tanh\.$"):
            lib.nn.functional.gelu(x, approximate="Tanh")
        with pytest.raises(RuntimeError, match="either none or tanh"):
            lib.nn.GELU("exact")(x)  # (raised at the call, as torch's)
        with pytest.raises(NotImplementedError, match="\"GeluKernelImpl\" not implemented for 'Long'"):
            lib.nn.functional.gelu(lib.tensor([1, 2]))
