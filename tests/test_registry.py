"""The backend registry: every backend reported with a status, selection rules, errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import pyneuro
from pyneuro import backends


def test_available_lists_every_backend_with_status():
    statuses = backends.available()
    assert list(statuses) == ["numpy", "cpu", "numba", "cuda", "cupy"]
    for name, st in statuses.items():
        assert st.name == name
        assert isinstance(st.available, bool)
        assert st.device in ("cpu", "cuda")
        if st.available:
            assert st.reason == ""
        else:
            assert st.reason.startswith(f"{name}: ") and len(st.reason) > len(name) + 3
    assert statuses["numpy"].available


def test_get_returns_a_full_kernel_table():
    table = [
        "matmul",
        "relu_forward",
        "relu_backward",
        "softmax_forward",
        "softmax_backward",
        "log_softmax_forward",
        "log_softmax_backward",
        "cross_entropy_forward",
        "cross_entropy_backward",
        "bias_add",
        "bias_grad",
        "sgd_step",
        "adam_step",
        "argmax",
        "asarray",
        "to_numpy",
    ]
    for name, st in backends.available().items():
        if st.available:
            module = backends.get(name)
            missing = [fn for fn in table if not callable(getattr(module, fn, None))]
            assert not missing, f"{name} lacks {missing}"
            assert module.NAME == name and module.DEVICE == st.device
            assert set(module.VARIANTS) >= {"matmul", "softmax"}


def test_unknown_and_unusable_backends():
    with pytest.raises(ValueError, match="unknown backend"):
        backends.get("tpu")
    for name, st in backends.available().items():
        if not st.available:
            with pytest.raises(RuntimeError, match=name):
                backends.get(name)
            with pytest.raises(RuntimeError, match=name):
                pyneuro.set_backend(name)


def test_set_backend_switches_the_device_table():
    before = backends.backend_name("cpu")
    try:
        pyneuro.set_backend("numpy")
        assert backends.backend_name("cpu") == "numpy"
        assert backends.current("cpu").NAME == "numpy"
    finally:
        pyneuro.set_backend(before)


def test_default_cpu_backend_is_the_fastest_usable():
    order = [n for n in ("cpu", "numba", "numpy") if backends.status(n).available]
    code = "from pyneuro import backends; print(backends.backend_name('cpu'))"
    env = {k: v for k, v in os.environ.items() if k != "PYNEURO_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == order[0]


def test_pyneuro_backend_environment_variable():
    code = "from pyneuro import backends; print(backends.backend_name('cpu'))"
    env = dict(os.environ, PYNEURO_BACKEND="numpy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "numpy"
    env["PYNEURO_BACKEND"] = "nonsense"
    bad = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "unknown backend 'nonsense'" in bad.stderr


def test_import_is_fast_and_lazy():
    code = (
        "import sys, time; t = time.perf_counter(); import pyneuro; dt = time.perf_counter() - t;"
        "heavy = [m for m in ('numba', 'cupy', 'torch', 'matplotlib', 'tqdm') if m in sys.modules];"
        "print(dt, ','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    seconds, heavy = out.stdout.split()[0], out.stdout.split()[1:]
    assert not heavy, f"import pyneuro imported {heavy}"
    # Not a speed assertion: a generous bound that only an import of something heavy breaks.
    assert float(seconds) < 2.0


def test_thread_control():
    if not backends.status("cpu").available:
        pytest.skip(backends.status("cpu").reason)
    n = pyneuro.get_num_threads()
    try:
        pyneuro.set_num_threads(1)
        assert pyneuro.get_num_threads() == 1
    finally:
        pyneuro.set_num_threads(n)
    with pytest.raises(ValueError):
        pyneuro.set_num_threads(0)
