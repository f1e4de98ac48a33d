"""The command line as a newcomer uses it: `pyneuro`, `pyneuro info`, bad commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "pyneuro", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_info_reports_every_backend_with_reason():
    out = run("info")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("pyneuro ")
    for name in ("numpy", "cpu", "numba", "cuda", "cupy"):
        assert f"  {name} " in text
    assert "SIMD path" in text and "OpenMP threads" in text
    assert "numpy BLAS" in text
    assert "cuda device:" in text


def test_info_without_the_cpu_extension_names_the_reason():
    env = dict(os.environ, PYNEURO_DISABLE_CPU_EXT="1")
    out = run("info", env=env)
    assert out.returncode == 0, out.stderr
    assert "cpu: disabled by PYNEURO_DISABLE_CPU_EXT" in out.stdout


def test_help_and_version():
    out = run("--help")
    assert out.returncode == 0 and "info" in out.stdout and "train" in out.stdout
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("pyneuro ")
    out = run()
    assert out.returncode == 0 and "usage" in out.stdout.lower()


def test_unknown_command_is_one_clear_line():
    out = run("frobnicate")
    assert out.returncode == 2
    assert "unknown command 'frobnicate'" in out.stderr
    assert "Traceback" not in out.stderr


def test_console_script_installed():
    exe = shutil.which(
        "pyneuro", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    )
    if exe is None:
        pytest.skip("pyneuro console script not on PATH (in-place development build, not pip-installed)")
    out = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "backends:" in out.stdout
