"""The `cupy` backend run on the CPU emulator through a fake CuPy (EMULATED: no GPU, no CuPy).

NOT a GPU test: marked `emulated`, not `gpu` (bench/gpu_check.sh runs `-m "gpu and not emulated"`). The
cupy backend (pyneuro/backends/cupy_backend.py) compiles the hand-written kernels with
NVRTC and launches them with argument tuples and grid/block shapes written by hand in
Python; on a GPU a wrong argument type (np.int64 where the kernel takes `int`), a wrong
order or an unsupported launch shape silently gives garbage. Here, in subprocesses with
tests/support/fake_cupy first on sys.path, a fake `cupy` (test-only) compiles the same
source with g++ against the CUDA emulator (tests/support/cuda_emu/cuda_runtime_api.h) and checks
every launch against the kernel's C signature (arity, exact scalar types, pointer dtypes,
contiguity, aliasing, launch shape, writes out of bounds) before running it on the CPU:

* the fake's own checks, on a small kernel source;
* test_conformance.py's cupy cases (a quick subset; the slowest matmul shapes marked slow);
* a Tensor-level MLP training step on device "cuda" with PYNEURO_BACKEND=cupy, compared
  with the CPU, plus the generic array ops the Tensor layer runs through `xp = cupy`;
* the "cuda" cases of the Tensor-layer device-parity tests (test_autograd, test_functional,
  test_nn, test_optim), with device "cuda" computing on the cupy backend.

The fake also mirrors CuPy where it is narrower than NumPy: signatures (`cupy.indices` has
no `sparse`, reductions no `initial`/`where`), `ndarray.flags` (c_contiguous, f_contiguous,
owndata; no `writeable`), `base` None for fresh arrays, and numpy.asarray of a device
array refused.

What it cannot find: anything NVRTC-specific beyond a lint for standard-library names,
timing-dependent races, real CuPy API behaviour the fake imitates wrongly. Those need the
GPU run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pyneuro

pytestmark = pytest.mark.emulated

ROOT = Path(__file__).resolve().parent.parent
EMU = ROOT / "tests" / "support" / "cuda_emu"
FAKE = ROOT / "tests" / "support" / "fake_cupy"
PKG_PARENT = Path(pyneuro.__file__).resolve().parents[1]  # the pyneuro this test run imports


def _env(cache: Path) -> dict:
    env = dict(os.environ)
    # the fake first: it must shadow a real CuPy where one is installed
    env["PYTHONPATH"] = os.pathsep.join([str(FAKE), str(PKG_PARENT)])
    env["PYNEURO_BACKEND"] = "cupy"  # device "cuda" computes on the cupy backend
    env["FAKE_CUPY_CACHE"] = str(cache)
    env.pop("FAKE_CUPY_DEVICES", None)
    env.pop("FAKE_CUPY_STRICT_HOST", None)
    return env


def _run(args, env, cwd, timeout=600):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


# Failures that mean pyneuro relies on NumPy behaviour CuPy does not have (GPU-only bugs).
_CUPY_DIFFERENCES = {
    "object has no attribute 'writeable'": "pyneuro reads ndarray.flags.writeable, which cupy.ndarray.flags lacks (only c_contiguous, "
    "f_contiguous, owndata): AttributeError on a GPU with the cupy backend "
    "(as pyneuro/autograd.py once did; use getattr(a.flags, 'writeable', True))",
    "unexpected keyword argument 'sparse'": "cupy.indices(dimensions, dtype=int) has no `sparse` (as Tensor.gather once used)",
    "Implicit conversion to a NumPy array is not allowed": "numpy.asarray/np.array of a cupy array raises TypeError on CuPy: use backend.to_numpy",
    "Unsupported type <class 'numpy.ndarray'>": "a host NumPy array mixed with cupy arrays raises TypeError on CuPy",
}


def _explain(text: str) -> str:
    notes = [f"\n*** GPU-only bug: {why}" for key, why in _CUPY_DIFFERENCES.items() if key in text]
    return text + "".join(notes)


@pytest.fixture(scope="module")
def emulated_env(tmp_path_factory):
    """Environment for subprocesses that see the fake cupy; the kernels compiled once."""
    if not (FAKE / "cupy" / "__init__.py").is_file() or not (EMU / "cuda_runtime_api.h").is_file():
        pytest.skip("not running from a source tree (tests/support/fake_cupy is not installed)")
    if not (shutil.which("g++") or shutil.which("c++")):
        pytest.skip("no host C++ compiler (g++) to build the CUDA emulator")
    cache = tmp_path_factory.mktemp("fake_cupy_cache")
    env = _env(cache)
    probe = textwrap.dedent("""
        import cupy
        assert getattr(cupy, "IS_FAKE_CUPY", False), cupy.__file__
        from pyneuro import backends
        st = backends.status("cupy")
        assert st.available, st.reason
        assert backends.backend_name("cuda") == "cupy"
        bk = backends.get("cupy")
        print(len(bk._kernels().kernels), "kernels")
    """)
    res = _run([sys.executable, "-c", probe], env, cache)
    if (
        res.returncode
        and "ucontext.h" in res.stdout + res.stderr
        and "No such file" in res.stdout + res.stderr
    ):
        pytest.skip("the host compiler has no <ucontext.h> (the CUDA emulator's fibers)")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    return env, cache


# ----------------------------------------------------------------------------- the fake itself
FAKE_SELF_CHECK = r'''
import numpy as np, cupy, pytest

SRC = r"""
typedef long long idx_t;
struct pair { long long a; int b; };
extern "C" __global__ void k_scale(idx_t n, int flag, float s, const float* x, float* y) {
  for (idx_t i = (idx_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (idx_t)gridDim.x * blockDim.x)
    y[i] = flag ? s * x[i] : x[i];
}
extern "C" __global__ void k_past_end(long long n, float* y) {
  if (blockIdx.x == 0 && threadIdx.x == 0) y[n] = 1.0f;
}
extern "C" __global__ void k_struct(pair p, long long* out) {
  if (threadIdx.x == 0) out[0] = p.a + p.b;
}
#define NT 64
extern "C" __global__ void __launch_bounds__(NT) k_bounded(long long n, double v, double* y) {
  if (threadIdx.x < n) y[threadIdx.x] = v;
}
"""
mod = cupy.RawModule(code=SRC, options=("--std=c++17",))
scale = mod.get_function("k_scale")
x = cupy.asarray(np.arange(100, dtype=np.float32))
y = cupy.empty_like(x)
ok = (np.int64(100), np.int32(1), np.float32(2.0), x, y)
scale((1,), (64,), ok)
assert np.array_equal(cupy.asnumpy(y), 2 * np.arange(100, dtype=np.float32))
scale((2, 1, 1), (32, 2), (100, np.int32(0), np.float32(3), x, y))  # a Python int is int64 in CuPy
assert np.array_equal(cupy.asnumpy(y), np.arange(100, dtype=np.float32))

def bad(exc, match, fn, grid=(1,), block=(64,), args=ok, **kw):
    with pytest.raises(exc, match=match):
        fn(grid, block, args, **kw)

bad(TypeError, r"argument 1 \(int flag\).*np.int32", scale, args=(np.int64(100), np.int64(1), np.float32(2), x, y))
bad(TypeError, r"argument 0 \(idx_t n\).*np.int64", scale, args=(np.int32(100), np.int32(1), np.float32(2), x, y))
bad(TypeError, r"argument 2 \(float s\).*float64", scale, args=(np.int64(100), np.int32(1), 2.0, x, y))
bad(TypeError, r"argument 2 \(float s\).*np.float32", scale, args=(np.int64(100), np.int32(1), np.float64(2), x, y))
bad(TypeError, r"argument 1 \(int flag\).*Python int", scale, args=(np.int64(100), 1, np.float32(2), x, y))
bad(TypeError, r"argument 1 \(int flag\)", scale, args=(np.int64(100), True, np.float32(2), x, y))
bad(TypeError, r"takes 5 arguments", scale, args=(np.int64(100), np.int32(1), x, y))
bad(TypeError, r"args must be a tuple", scale, args=[np.int64(100), np.int32(1), np.float32(2), x, y])
bad(TypeError, r"argument 3 .*device memory", scale, args=(np.int64(100), np.int32(1), np.float32(2), np.ones(100, np.float32), y))
bad(TypeError, r"argument 4 .*dtype float64", scale, args=(np.int64(100), np.int32(1), np.float32(2), x, cupy.zeros(100)))
bad(ValueError, r"not C-contiguous", scale, args=(np.int64(50), np.int32(1), np.float32(2), x[::2], y))
bad(ValueError, r"argument 4 .*overlaps argument 3", scale, args=(np.int64(50), np.int32(1), np.float32(2), x[:60], x[50:]))
bad(TypeError, r"grid must be a tuple", scale, grid=1)
bad(ValueError, r"grid.x = 0", scale, grid=(0,))
bad(ValueError, r"grid.y = 70000", scale, grid=(1, 70000))
bad(ValueError, r"block.x = 2048", scale, block=(2048,))
bad(ValueError, r"more than the kernel allows", scale, block=(64, 32))
bad(ValueError, r"whole warps", scale, block=(48,))
bad(ValueError, r"shared_mem", scale, shared_mem=128)

past = mod.get_function("k_past_end")
z = cupy.zeros(8, np.float32)
bad(cupy.LaunchError, r"wrote outside argument 1", past, args=(np.int64(8), z))
past((1,), (32,), (np.int64(7), z))
assert cupy.asnumpy(z)[7] == 1.0

st = mod.get_function("k_struct")
pair = np.dtype([("a", np.int64), ("b", np.int32)], align=True)
out = cupy.zeros(1, np.int64)
st((1,), (32,), (np.array((40, 2), pair)[()], out))
assert int(out[0]) == 42
bad(TypeError, r"structured scalar", st, args=(np.int64(1), out))

bounded = mod.get_function("k_bounded")
d = cupy.zeros(64)
bounded((1,), (64,), (np.int64(64), 1.5, d))  # a Python float is a double: right here
bad(ValueError, r"__launch_bounds__ NT", bounded, block=(128,), args=(np.int64(64), 1.5, d))
with pytest.raises(cupy.LaunchError, match="not found"):
    mod.get_function("no_such_kernel")
with pytest.raises(cupy.CompileException, match="include"):
    cupy.RawModule(code='#include "common.cuh"\n' + SRC)
with pytest.raises(cupy.CompileException, match="std::"):
    cupy.RawModule(code=SRC + 'extern "C" __global__ void k2(float* y) { y[0] = std::abs(y[0]); }')

# the array side: host arrays do not mix with device arrays, as in CuPy
with pytest.raises(TypeError, match="Unsupported type"):
    x + np.ones(100, np.float32)
with pytest.raises(TypeError, match="Implicit conversion"):
    np.asarray(x)
with pytest.raises(AttributeError):
    cupy.errstate
assert isinstance(x.sum(), cupy.ndarray) and x.sum().ndim == 0
# CuPy's flags: c_contiguous, f_contiguous, owndata only; a fresh array has no base
assert x.flags.c_contiguous and x.flags.owndata and x.base is None and (x + 1).base is None
assert x[1:].base is not None and not x[1:].flags.owndata
assert np.isnan(cupy.asnumpy(cupy.empty(3, np.float32))).all()  # "uninitialised" memory is NaN
with pytest.raises(AttributeError):
    x.flags.writeable
assert cupy.RawModule is not None and cupy.cuda.runtime.getDeviceCount() == 1
print("FAKE OK")
'''


def test_emulated_fake_cupy_checks_every_launch(emulated_env):
    env, cache = emulated_env
    res = _run([sys.executable, "-c", FAKE_SELF_CHECK], env, cache)
    assert res.returncode == 0 and "FAKE OK" in res.stdout, res.stdout[-3000:] + res.stderr[-5000:]


def test_emulated_cupy_backend_unavailable_without_a_device(emulated_env):
    env, cache = emulated_env
    code = "from pyneuro import backends; print(backends.status('cupy').reason)"
    res = _run([sys.executable, "-c", code], {**env, "FAKE_CUPY_DEVICES": "0"}, cache)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip().startswith("cupy: installed, but no GPU device ("), res.stdout


# ----------------------------------------------------------------------------- conformance
def _conformance(env, cwd, select):
    res = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            "-x",
            str(ROOT / "tests" / "test_conformance.py"),
            "-k",
            select,
        ],
        env,
        cwd,
        timeout=900,
    )
    tail = _explain(res.stdout[-5000:] + res.stderr[-3000:])
    assert res.returncode == 0, tail
    summary = res.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, tail  # the cupy cases ran, none skipped
    return summary


def test_emulated_cupy_backend_conformance_quick(emulated_env):
    """Every cupy case of the conformance suite but the slowest matmul shapes."""
    env, cache = emulated_env
    _conformance(env, cache, "cupy and not test_matmul_default and not 129-10-257")


@pytest.mark.slow
def test_emulated_cupy_backend_conformance_rest(emulated_env):
    """The cupy cases the quick test leaves out (with it: every cupy case of the suite)."""
    env, cache = emulated_env
    _conformance(env, cache, "cupy and (test_matmul_default or 129-10-257)")


# ----------------------------------------------------------------------------- Tensor layer
TRAINING_STEP = r"""
import numpy as np
import cupy
import pyneuro as pn
import pyneuro.functional as F
from cupy import _raw
from pyneuro import backends, nn, optim

assert backends.backend_name("cuda") == "cupy"
bk = backends.get("cupy")


def run(device, opt_name):
    pn.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 40), nn.ReLU(), nn.Linear(40, 5)).to(device)
    rng = np.random.default_rng(0)
    x = pn.tensor(rng.standard_normal((9, 12)).astype(np.float32), device=device)
    y = pn.tensor(rng.integers(0, 5, 9), device=device)
    if opt_name == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    elif opt_name == "plain":
        opt = optim.SGD(model.parameters(), lr=0.1)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    correct = (out.argmax(dim=1) == y).sum().item()
    probs = F.softmax(out, dim=1).sum().item()
    return losses, correct, probs, [p.detach().cpu().numpy() for p in model.parameters()]


for opt_name in ("sgd", "plain", "adam"):
    want, got = run("cpu", opt_name), run("cuda", opt_name)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-5, err_msg=opt_name)
    assert got[1] == want[1], opt_name
    np.testing.assert_allclose(got[2], want[2], rtol=1e-4)
    for g, w in zip(got[3], want[3]):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5, err_msg=opt_name)
    print(opt_name, "matches the CPU")

ran = set(_raw.LAUNCHES)
need = {"pn_matmul_tiled", "pn_bias_add", "pn_column_sum", "pn_relu_forward", "pn_relu_backward",
        "pn_cross_entropy_forward", "pn_cross_entropy_backward", "pn_sgd_step", "pn_adam_step"}
assert need <= ran, f"these kernels never ran through the cupy backend: {sorted(need - ran)}"

# misaligned (offset by one float) and transposed operands through every matmul variant
rng = np.random.default_rng(1)
m, n, k = 37, 41, 29
fa = cupy.asarray(rng.standard_normal(m * k + 1).astype(np.float32))
fb = cupy.asarray(rng.standard_normal(k * n + 1).astype(np.float32))
a, b = fa[1:].reshape(m, k), fb[1:].reshape(k, n)
ha, hb = cupy.asnumpy(a).astype(np.float64), cupy.asnumpy(b).astype(np.float64)
for variant in bk.VARIANTS["matmul"]:
    for ta, tb in ((False, False), (True, True), (True, False)):
        # a.T is a Fortran-ordered view: the backend passes its memory with the flag flipped
        got = cupy.asnumpy(bk.matmul(a.T if ta else a, b.T if tb else b, ta, tb, variant=variant))
        np.testing.assert_allclose(got, ha @ hb, rtol=1e-4, atol=1e-4, err_msg=variant)
    got = cupy.asnumpy(bk.matmul(a, b.T.copy().T, variant=variant))      # an F-ordered operand
    np.testing.assert_allclose(got, ha @ hb, rtol=1e-4, atol=1e-4, err_msg=variant)
assert {"pn_matmul_naive", "pn_matmul_regblock", "pn_matmul_vectorized"} <= set(_raw.LAUNCHES)

# generic array ops of the Tensor layer on xp = cupy, against the CPU
x = rng.standard_normal((6, 8)).astype(np.float32)
w = rng.standard_normal((5, 8)).astype(np.float32)
cases = {
    "log_softmax+mse": lambda x, w: F.mse_loss(F.log_softmax(x @ w.T, dim=1), (x @ w.T).detach() * 0.1),
    "normalize": lambda x, w: F.normalize(x, dim=1) * 3,
    "cosine": lambda x, w: F.cosine_similarity(x[:4], x[1:5], dim=1),
    "index+reshape": lambda x, w: x[1:4, ::2].reshape(2, -1).T @ x[:2, :6],
    "exp/log/sum/mean": lambda x, w: (x.exp() + 1).log().sum(dim=0) + x.mean(dim=1).sum(),
    "sort/topk/gather": lambda x, w: x.sort(dim=1)[0][:, :3] + x.topk(3, dim=1)[0] + x.gather(1, x.argsort(dim=1)[:, :3]),
    "var/cumsum/tril": lambda x, w: x.var(dim=0) + x.cumsum(dim=1)[0] + x.tril().sum(dim=0),
}
for name, fn in cases.items():
    res = []
    for dev in ("cpu", "cuda"):
        xt = pn.tensor(x, device=dev, requires_grad=True)
        wt = pn.tensor(w, device=dev, requires_grad=True)
        r = fn(xt, wt)
        r.sum().backward()
        res.append((r.detach().cpu().numpy(), xt.grad.cpu().numpy()))
    for g, want in zip(res[1], res[0]):
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-5, err_msg=name)
for dev in ("cpu", "cuda"):
    pn.manual_seed(0)
    emb = nn.Embedding(10, 4).to(dev)
    o = emb(pn.tensor(np.array([[1, 2, 2], [0, 9, 1]]), device=dev))
    o.sum().backward()
    res.append((o.detach().cpu().numpy(), emb.weight.grad.cpu().numpy()))
np.testing.assert_allclose(res[-1][0], res[-2][0])
np.testing.assert_allclose(res[-1][1], res[-2][1])
print("TENSOR OK", sum(_raw.LAUNCHES.values()), "launches")
"""


def test_emulated_cupy_tensor_training_step(emulated_env):
    """nn + optim + autograd on device "cuda" with the cupy backend, against the CPU."""
    env, cache = emulated_env
    res = _run([sys.executable, "-c", TRAINING_STEP], env, cache)
    assert res.returncode == 0 and "TENSOR OK" in res.stdout, _explain(
        res.stdout[-3000:] + res.stderr[-6000:]
    )


# ----------------------------------------------------------------------------- device-parity suites
DEVICE_SUITES = ("test_autograd.py", "test_functional.py", "test_nn.py", "test_optim.py")


def test_emulated_cupy_device_parity_suites(emulated_env):
    """The Tensor layer's "cuda" cases with device "cuda" on the cupy backend (fake_cupy_device_plugin)."""
    env, cache = emulated_env
    res = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "fake_cupy_device_plugin",
            *(str(ROOT / "tests" / f) for f in DEVICE_SUITES),
            "-k",
            "cuda",
        ],
        env,
        cache,
        timeout=900,
    )
    tail = _explain(res.stdout[-6000:] + res.stderr[-3000:])
    assert res.returncode == 0, tail
    summary = res.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, tail
