"""Shared fixtures: the backend-parametrised fixture of the conformance suite.

Tests run against the *installed* pyneuro (pytest puts tests/, not the repo root, on
sys.path); for an in-place development build run `PYTHONPATH=$PWD pytest` (an absolute path: tests run in scratch directories).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import pyneuro
from pyneuro import backends

ALL_BACKENDS = list(backends.BACKENDS)
REPO_ROOT = Path(__file__).resolve().parents[1]  # examples/, labs/, bench/ live here
# tests/support/ holds test machinery (the CUDA emulator, the fake CuPy), not tests.
collect_ignore = ["support"]


def _gpu_marked(names, device_of=lambda n: backends.BACKENDS[n][0]):
    """Parameters for a fixture: those that run on device "cuda" carry the `gpu` marker, so
    `pytest -m gpu` selects every GPU case (bench/gpu_check.sh) and `-m "not gpu"` none."""
    return [pytest.param(n, marks=pytest.mark.gpu) if device_of(n) == "cuda" else n for n in names]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "emulated: runs the CUDA code on the CPU emulator (tests/support/), not on a GPU"
    )
    # Testing the bare source tree (e.g. `python -m pytest` from the repo root without a
    # build) would silently skip every compiled backend. Say so instead.
    required = [n for n in os.environ.get("PYNEURO_REQUIRE_BACKENDS", "").split(",") if n]
    for name in required:
        status = backends.status(name)
        if not status.available:
            raise pytest.UsageError(
                f"backend {name!r} is required (PYNEURO_REQUIRE_BACKENDS) but unusable: {status.reason}\n"
                f"pyneuro was imported from {Path(pyneuro.__file__).parent}; install it with "
                "`pip install .` or build in place with tools/build_inplace.sh"
            )


# Fixtures that compile something once per process: with `pytest -n auto` (pytest-xdist,
# --dist loadgroup) the tests that use them run on one worker, so it is built once, not on each.
_BUILT_ONCE = {
    "emulated_package": "cuda_emulator",
    "emulator": "cuda_emulator",
    "selftest": "cuda_emulator",
    "emulated_env": "fake_cupy",
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        group = next((_BUILT_ONCE[f] for f in getattr(item, "fixturenames", ()) if f in _BUILT_ONCE), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _torch_distribution_checks_back_on():
    """torch.compile switches torch.distributions' argument checks off for the whole process
    (torch._dynamo sets the default to False). A test after it in the same process would then
    compare pyneuro's ValueError with torch's silence: put torch's default (on) back."""
    yield
    distributions = sys.modules.get("torch.distributions")
    if distributions is not None and not distributions.Distribution._validate_args:
        distributions.Distribution.set_default_validate_args(True)


@pytest.fixture(scope="session", autouse=True)
def _session_outside_the_source_tree(tmp_path_factory):
    """The same for session- and module-scoped fixtures, which run before per-test ones."""
    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(previous)


@pytest.fixture(autouse=True)
def _run_outside_the_source_tree(tmp_path, monkeypatch):
    """Run every test in a scratch directory.

    `python -m ...` and `python -c ...` subprocesses put the working directory first on
    sys.path; from the repo root the source folder pyneuro/ (which has no compiled
    modules) would shadow the installed package. Use REPO_ROOT for repository files.
    """
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def emulated_package(tmp_path_factory):
    """A folder holding a copy of pyneuro whose _cuda is the unchanged bindings, launch code and
    kernels compiled against the CPU emulator (tests/support/cuda_emu/build_emulated_package.py):
    put it first on a subprocess's PYTHONPATH. Built once per session (half a minute on two cores)."""
    import shutil
    import sys

    emu = REPO_ROOT / "tests" / "support" / "cuda_emu"
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None or not emu.is_dir():
        pytest.skip("needs the source tree's CUDA emulator and a C++ compiler")
    try:  # the in-place build's _cpu, or the installed one (CI installs this same tree)
        from pyneuro import _cpu

        cpu_extension = Path(_cpu.__file__)
    except ImportError:
        cpu_extension = None
    if cpu_extension is None and not list((REPO_ROOT / "pyneuro").glob("_cpu*.so")):
        pytest.skip("needs pyneuro._cpu (tools/build_inplace.sh or pip install .)")
    pytest.importorskip("pybind11", reason="the emulated _cuda is compiled against pybind11 (the test extra)")
    sys.path.insert(0, str(emu))
    try:
        import build_emulated_package
    finally:
        sys.path.remove(str(emu))
    dest = tmp_path_factory.mktemp("emulated_package")
    build_emulated_package.build(dest, cxx, cpu_extension)
    return dest


def _backend_or_skip(name):
    status = backends.status(name)
    if not status.available:
        pytest.skip(f"backend unavailable: {status.reason}")
    return backends.get(name)


@pytest.fixture(params=_gpu_marked(ALL_BACKENDS))
def backend(request):
    """Each backend's kernel table in turn; an unusable one is skipped with its reason."""
    return _backend_or_skip(request.param)


@pytest.fixture(params=[n for n in ALL_BACKENDS if backends.BACKENDS[n][0] == "cpu"])
def cpu_device_backend(request):
    return _backend_or_skip(request.param)


@pytest.fixture(params=[n for n in ALL_BACKENDS if backends.BACKENDS[n][0] == "cpu"])
def backend_name(request):
    """Select each CPU-device backend in turn for the Tensor layer (skipped with its reason
    if unusable), restoring the previous choice afterwards."""
    status = backends.status(request.param)
    if not status.available:
        pytest.skip(f"backend unavailable: {status.reason}")
    previous = backends.backend_name("cpu")
    pyneuro.set_backend(request.param)
    yield request.param
    pyneuro.set_backend(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def matmul_tuning():
    """pyneuro._cpu.matmul_tuning, with every knob and the thread count restored afterwards
    (skipped without the C++ backend)."""
    if not backends.status("cpu").available:
        pytest.skip(f"backend unavailable: {backends.status('cpu').reason}")
    from pyneuro import _cpu

    cpu = backends.get("cpu")
    # every knob as the report gives it back (the rest, "auto" and "caches", are read-only)
    saved = {k: v for k, v in _cpu.matmul_tuning().items() if k not in ("auto", "caches")}
    threads = cpu.get_num_threads()
    yield _cpu.matmul_tuning
    _cpu.matmul_tuning(**saved)
    cpu.set_num_threads(threads)


class Dev:
    """Move test data to a backend's arrays and back (a no-op for CPU backends)."""

    def __init__(self, bk):
        self.bk = bk

    def __call__(self, a):
        return self.bk.asarray(a)

    def host(self, a):
        return np.asarray(self.bk.to_numpy(a))


@pytest.fixture
def dev(backend):
    return Dev(backend)


# ----------------------------------------------------------------------------- devices
DEVICES = ["cpu", "cuda"]


@pytest.fixture(params=_gpu_marked(DEVICES, device_of=str))
def device(request):
    """Each device for the Tensor layer; "cuda" is skipped with the backend's reason when no
    GPU backend is usable (it runs on a GPU, or on the CPU emulator's package:
    tests/support/cuda_emu/build_emulated_package.py). The "cuda" case is marked `gpu`."""
    if request.param != "cpu":
        try:  # whichever backend the device uses: cuda, or cupy where _cuda is missing
            backends.backend_name(request.param)  # (PYNEURO_BACKEND=cupy picks cupy)
        except RuntimeError as exc:
            pytest.skip(f"backend unavailable: {exc}")
    return request.param


def check_device_parity(fn, *arrays, device, rtol=1e-5, atol=1e-6, grad=True, seed=0):
    """Run `fn` on tensors made from `arrays` on "cpu" and on `device`; compare the outputs
    and (float inputs, grad=True) the gradients of a random upstream gradient, in float32
    tolerances. Returns the device outputs (a tuple). On "cpu" both runs are the cpu
    backend, so the cpu case only checks that the test itself runs."""
    import pyneuro as pn

    def run(dev):
        ts = []
        for a in arrays:
            a = np.asarray(a)
            is_float = a.dtype.kind == "f"
            ts.append(pn.tensor(a, device=dev, requires_grad=grad and is_float))
        out = fn(*ts)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        floats = [o for o in outs if o.dtype.kind == "f" and o.requires_grad]
        if floats:
            rng = np.random.default_rng(seed)
            total = None
            for o in floats:
                g = pn.tensor(rng.standard_normal(o.shape).astype(np.float32), device=dev)
                term = (o * g).sum()
                total = term if total is None else total + term
            total.backward()
        grads = [None if t.grad is None else t.grad.cpu().numpy() for t in ts]
        return [o.detach().cpu().numpy() for o in outs], grads

    want, want_g = run("cpu")
    got, got_g = run(device)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, (i, g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"output {i}")
    for i, (g, w) in enumerate(zip(got_g, want_g)):
        assert (g is None) == (w is None), f"grad {i}: {g} vs {w}"
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"grad of input {i}")
    return got


# ----------------------------------------------------------------------------- torch as the oracle
def rand(shape, seed, dtype=np.float32):
    """Standard normal numbers of a shape, the same for every run with the same seed."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def close_to_torch(a, b, tol=1e-4):
    """pyneuro's a equals torch's b to tol, relative to b's largest magnitude (at least 1)."""
    import torch

    a = a.detach().numpy() if isinstance(a, pyneuro.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    np.testing.assert_allclose(a, b, atol=tol * scale, rtol=tol)


def both_like_torch(fn_pn, fn_torch, arrays, seed=0, tol=1e-4):
    """Run both on the same inputs; compare the outputs and the gradients of every input
    (through a random linear functional of the output, so every output element counts)."""
    import torch

    xs = [pyneuro.tensor(a, dtype=a.dtype, requires_grad=True) if a is not None else None for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) if a is not None else None for a in arrays]
    y, ty = fn_pn(*xs), fn_torch(*ts)
    close_to_torch(y, ty, tol)
    g = rand(tuple(ty.shape), seed + 99, arrays[0].dtype)
    (y * pyneuro.tensor(g, dtype=g.dtype)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    for x, t in zip(xs, ts):
        if x is not None:
            close_to_torch(x.grad, t.grad, tol)
    return y


def form_outcome(fn):
    """What one call form gives, comparable between torch and pyneuro (the tests/test_torch_*forms.py
    files): ("raises", the exception's type), (dtype, values) for a tensor, else the result's text
    with the library's name taken out (a tuple's tensors as lists first)."""
    try:
        r = fn()
    except Exception as e:  # the exception's type is the answer
        return ("raises", type(e).__name__)
    if hasattr(r, "detach"):
        return (str(r.dtype).split(".")[-1], r.detach().numpy().astype(float).tolist())
    if isinstance(r, (tuple, list)) and not hasattr(r, "_fields"):
        r = type(r)(x.detach().numpy().tolist() if hasattr(x, "detach") else x for x in r)
    return str(r).replace("torch.", "").replace("pyneuro.", "")


def assert_same_outcome(mine, theirs, rtol=1e-5, atol=1e-6):
    """Tensors: the same dtype and values within float32 precision; anything else: equal."""
    if isinstance(theirs, tuple) and theirs[0] != "raises":
        assert mine[0] == theirs[0]
        np.testing.assert_allclose(
            np.array(mine[1], dtype=float), np.array(theirs[1], dtype=float), rtol=rtol, atol=atol
        )
    else:
        assert mine == theirs
