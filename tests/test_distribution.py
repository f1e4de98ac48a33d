"""Distribution and portability: the package's metadata, `pyneuro info`'s build fields, the
portable SIMD switch, an environment left alone, and what an install without pyneuro._cpu says.
The builds themselves (wheel, fallback, aarch64, clang) are checked by tools/build_wheels.sh
and .ci/cross_compile.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

import pyneuro
from pyneuro import backends

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None

needs_cpu = pytest.mark.skipif(not backends.status("cpu").available, reason="the cpu backend is not built")


def run_python(code: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
        check=False,
    )


def test_pyproject_names_a_free_distribution_and_the_license():
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    meta = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    project = meta["project"]
    assert project["name"] == "pyneuro-edu"  # "pyneuro" on the package index is an EEG library
    assert project["license"] == "MIT" and (REPO_ROOT / "LICENSE").read_text().startswith("MIT License")
    assert any(d.startswith("tqdm") for d in project["dependencies"])
    cibw = meta["tool"]["cibuildwheel"]
    assert cibw["build"].split() == ["cp310-*", "cp311-*", "cp312-*", "cp313-*"]
    assert cibw["environment"]["PYNEURO_CUDA"] == "OFF"
    assert cibw["linux"]["archs"] == ["x86_64", "aarch64"] and cibw["macos"]["archs"] == ["x86_64", "arm64"]
    fallback = [o for o in meta["tool"]["scikit-build"]["overrides"] if o.get("if", {}).get("failed")]
    assert fallback and fallback[0]["wheel"]["cmake"] is False


def test_install_lines_name_the_distribution():
    for doc in ("README.md", "labs/README.md"):
        text = (REPO_ROOT / doc).read_text()
        assert 'pip install "pyneuro[' not in text and "pip install pyneuro " not in text, doc
    assert "pip install pyneuro-edu" in (REPO_ROOT / "README.md").read_text()


@needs_cpu
def test_info_reports_openmp_and_the_simd_override():
    env = dict(os.environ, PYNEURO_SIMD="portable")
    out = subprocess.run(
        [sys.executable, "-m", "pyneuro", "info"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "cpu SIMD path: scalar (PYNEURO_SIMD=portable)" in out.stdout
    assert "cpu OpenMP: " in out.stdout


@needs_cpu
@pytest.mark.parametrize("value", ["portable", "scalar"])
def test_portable_simd_path_is_selectable(value):
    out = run_python(
        "from pyneuro import _cpu; print(_cpu.simd_path())", env=dict(os.environ, PYNEURO_SIMD=value)
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "scalar"


@needs_cpu
def test_importing_pyneuro_leaves_the_environment_alone():
    """pyneuro's kernels run on its own worker team: it sets no OpenMP variable, for the kernels
    or for the subprocesses a user starts, and a user's own setting stays as it was."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOMP_", "OMP_"))}
    code = (
        "import os, pyneuro\nfrom pyneuro.backends import cpu_backend\n"
        "print(sorted(k for k in os.environ if k.startswith(('GOMP_', 'OMP_'))), os.environ.get('GOMP_SPINCOUNT'))"
    )
    out = run_python(code, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "None"]
    out = run_python(code, env=dict(env, GOMP_SPINCOUNT="7"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["['GOMP_SPINCOUNT']", "7"]


def test_info_without_the_compiled_module_says_why_and_how(tmp_path):
    # A copy of the package without pyneuro._cpu: what a pure-Python fallback install holds.
    src = Path(pyneuro.__file__).resolve().parent
    shutil.copytree(
        src, tmp_path / "pyneuro", ignore=shutil.ignore_patterns("_cpu*", "_cuda*", "__pycache__")
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    env.pop("PYNEURO_REQUIRE_BACKENDS", None)
    out = subprocess.run(
        [sys.executable, "-m", "pyneuro", "info"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert (
        str(tmp_path) in run_python("import pyneuro; print(pyneuro.__file__)", env=env, cwd=tmp_path).stdout
    )
    assert "cpu backend missing: pyneuro._cpu is not in this install" in out.stdout
    assert "C++17 compiler" in out.stdout and "pyneuro-edu" in out.stdout
    assert "usable: yes" in out.stdout  # numpy still works


class _FakeCudaExtension:
    """Stands in for pyneuro._cuda: device_status() as the static CUDA runtime reports it."""

    def __init__(self, status, driver, built=13000):
        self._status, self._driver, self.cuda_runtime_version = status, driver, built

    def device_status(self):
        return self._status

    def driver_version(self):
        return self._driver


@pytest.mark.parametrize(
    "status, driver, expected",
    [
        (
            (
                0,
                35,
                "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version",
            ),
            12020,
            (
                "built, but the driver supports CUDA 12.2, pyneuro._cuda was built with 13.0; use the cupy backend or rebuild"
                " (CUDA error 35)"
            ),
        ),
        (
            (0, 35, "cudaErrorInsufficientDriver: ..."),
            0,
            "built, but no NVIDIA driver is installed (pyneuro._cuda was built with CUDA 13.0; CUDA error 35)",
        ),
        (
            (0, 100, "cudaErrorNoDevice: no CUDA-capable device is detected"),
            13000,
            "built, but no GPU device (cudaErrorNoDevice: no CUDA-capable device is detected; CUDA error 100)",
        ),
        ((0, 0, ""), 13000, "built, but no GPU device (cudaGetDeviceCount found 0 devices)"),
        ((2, 0, ""), 13000, ""),
    ],
)
def test_cuda_reason_names_an_old_driver(status, driver, expected):
    from pyneuro.cuda import extension_problem

    count, problem = extension_problem(_FakeCudaExtension(status, driver))
    assert problem == expected
    assert count == (status[0] if not expected else 0)
