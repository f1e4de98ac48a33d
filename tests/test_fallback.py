"""The cpu fallback chain C++ -> numba -> numpy, seen from a fresh process each time.

PYNEURO_DISABLE_CPU_EXT=1 makes the C++ backend unavailable (as if pyneuro._cpu were
missing); then numba must be chosen for the cpu device, with one warning that says why,
`pyneuro info` must show it, and training must still work. PYNEURO_BACKEND=numba forces
numba. With numba hidden from the import system, it must be reported as not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pyneuro
from pyneuro import backends

_numba = backends.status("numba")
needs_numba = pytest.mark.skipif(not _numba.available, reason=f"backend unavailable: {_numba.reason}")

# Hides numba from the import system, the way a machine without numba would look.
HIDE_NUMBA = "import sys; sys.modules['numba'] = None\n"


def run_python(code: str, *, disable_cpu=False, backend=None, hide_numba=False, args=()):
    """Run `code` in a fresh interpreter that imports this same pyneuro; return the result."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYNEURO_BACKEND", "PYNEURO_DISABLE_CPU_EXT")}
    root = str(Path(pyneuro.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])
    if disable_cpu:
        env["PYNEURO_DISABLE_CPU_EXT"] = "1"
    if backend:
        env["PYNEURO_BACKEND"] = backend
    source = (HIDE_NUMBA if hide_numba else "") + textwrap.dedent(code)
    out = subprocess.run(
        [sys.executable, "-W", "default", "-c", source, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, f"stdout:\n{out.stdout}\nstderr:\n{out.stderr}"
    return out


INFO = "import sys; from pyneuro.cli import main; sys.exit(main(['info']))"


@needs_numba
def test_numba_is_chosen_for_cpu_when_the_extension_is_disabled_and_says_why():
    out = run_python(
        """
        import numpy as np
        from pyneuro import backends
        print(backends.backend_name('cpu'), backends.backend_name('cpu'), backends.current('cpu').NAME)
        x = backends.current('cpu').softmax_forward(np.zeros((2, 4), np.float32))
        print(float(x.sum()))
    """,
        disable_cpu=True,
    )
    assert out.stdout.split() == ["numba", "numba", "numba", "2.0"]
    warnings = [line for line in out.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warnings) == 1, out.stderr
    assert "using the numba backend for cpu" in warnings[0]
    assert "cpu: disabled by PYNEURO_DISABLE_CPU_EXT" in warnings[0]


@needs_numba
def test_info_shows_cpu_unavailable_with_reason_and_numba_usable():
    out = run_python(INFO, disable_cpu=True)
    lines = out.stdout.splitlines()
    cpu = next(line for line in lines if line.strip().startswith("cpu ") and "usable" in line)
    numba = next(line for line in lines if line.strip().startswith("numba ") and "usable" in line)
    assert "usable: no" in cpu and "disabled by PYNEURO_DISABLE_CPU_EXT" in cpu
    assert "usable: yes" in numba
    assert "default backend for cpu: numba" in out.stdout


@needs_numba
def test_pyneuro_backend_forces_numba_without_a_warning():
    out = run_python("from pyneuro import backends; print(backends.backend_name('cpu'))", backend="numba")
    assert out.stdout.strip() == "numba"
    assert "RuntimeWarning" not in out.stderr


def test_hidden_numba_is_reported_as_not_installed():
    out = run_python(INFO, hide_numba=True)
    numba = next(
        line for line in out.stdout.splitlines() if line.strip().startswith("numba ") and "usable" in line
    )
    assert "usable: no" in numba and "numba: not installed (pip install numba)" in numba
    status = run_python("import pyneuro; print(pyneuro.backends.status('numba').reason)", hide_numba=True)
    assert status.stdout.strip() == "numba: not installed (pip install numba)"


def test_without_extension_and_numba_numpy_is_used_and_both_reasons_are_given():
    out = run_python(
        "from pyneuro import backends; print(backends.backend_name('cpu'))", disable_cpu=True, hide_numba=True
    )
    assert out.stdout.strip() == "numpy"
    assert "cpu: disabled by PYNEURO_DISABLE_CPU_EXT" in out.stderr
    assert "numba: not installed" in out.stderr


@needs_numba
def test_numba_backend_works_where_no_cache_folder_is_writable(tmp_path):
    """Like a read-only site-packages with no usable user cache: kernels compile uncached."""
    import shutil

    package = Path(pyneuro.__file__).resolve().parent
    shutil.copytree(package, tmp_path / "pyneuro", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "pyneuro" / "backends" / "numba" / "__pycache__").write_text(
        "a file where numba wants a folder"
    )
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, so no folder can be made below it")
    code = f"""
        import os, sys
        os.environ['NUMBA_CACHE_DIR'] = {str(blocker / "numba")!r}
        os.environ['XDG_CACHE_HOME'] = {str(blocker / "xdg")!r}
        sys.path.insert(0, {str(tmp_path)!r})
        import numpy as np
        import pyneuro
        assert pyneuro.__file__.startswith({str(tmp_path)!r}), pyneuro.__file__
        nb = pyneuro.backends.get('numba')
        print(nb.NAME, type(nb._sm.cross_entropy_forward.serial._cache).__name__)
        losses = nb.cross_entropy_forward(np.zeros((2, 4), np.float32), np.array([0, 3]))
        print([round(float(v), 4) for v in losses])
    """
    out = run_python(code)
    assert out.stdout.split("\n")[:2] == ["numba NullCache", "[1.3863, 1.3863]"]


TRAIN = """
    import numpy as np
    import pyneuro as pn
    from pyneuro import backends, nn, optim
    import pyneuro.functional as F

    pn.manual_seed(0)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((256, 20)).astype(np.float32)
    x = pn.from_numpy(x_np)
    y = pn.from_numpy((x_np @ rng.standard_normal((20, 4))).argmax(1).astype(np.int64))  # learnable labels
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 4))
    opt = optim.{opt}
    losses = []
    for step in range(30):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(backends.backend_name('cpu'), losses[0], losses[-1])
"""


@needs_numba
@pytest.mark.parametrize(
    "opt", ["SGD(model.parameters(), lr=0.5, momentum=0.9)", "Adam(model.parameters(), lr=0.01)"]
)
def test_mlp_trains_on_the_numba_fallback(opt):
    out = run_python(TRAIN.replace("{opt}", opt), disable_cpu=True)
    name, first, last = out.stdout.split()
    assert name == "numba"
    assert float(last) < 0.5 * float(first), out.stdout
