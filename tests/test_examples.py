"""Every script in examples/ runs (with --quick) and reaches its own success check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py"))


def _env():
    """The environment for a subprocess: this very pyneuro first on the path, no downloads."""
    import pyneuro

    env = dict(os.environ, PYNEURO_OFFLINE="1")
    # One kernel thread: these tests check behaviour, not speed, and OpenMP's spinning threads
    # slow a busy shared machine down many times over (the conformance suite covers threads).
    env.setdefault("PYNEURO_NUM_THREADS", "1")
    package_root = str(Path(pyneuro.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    return env


def test_examples_present():
    assert SCRIPTS == [
        "01_linear_regression.py",
        "02_logistic_regression.py",
        "03_classification_wrong_way.py",
        "04_mlp.py",
        "05_data_loader.py",
    ]


EXPECTED = {
    "01_linear_regression.py": "gradient descent reached the least-squares line",
    "02_logistic_regression.py": "test accuracy (3 vs 5)",
    "03_classification_wrong_way.py": "right way (softmax + cross-entropy)",
    "04_mlp.py": "epoch 1: train loss",
    "05_data_loader.py": "same seed, same order: True",
}


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script, tmp_path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_env(),
    )
    assert out.returncode == 0, f"{script} failed:\n{out.stdout}\n{out.stderr}"
    assert EXPECTED[script] in out.stdout
    assert "Traceback" not in out.stderr
