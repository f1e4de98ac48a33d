"""pyneuro/_heap.py: glibc's heap settings at import, and the two ways to leave malloc alone.

(Their effect on training steps is measured in bench/heap_settings.py, never timed here.)
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

import pyneuro

PROBE = "import pyneuro._heap as h, pyneuro; print(h.state)"


def _state(**env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "PYNEURO_MALLOC"}
    full.update(env)
    full["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(pyneuro.__file__)), full.get("PYTHONPATH", "")]
    )
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(
    platform.system() != "Linux" or not platform.libc_ver()[0] == "glibc", reason="glibc only"
)
def test_applied_at_import_on_glibc():
    assert _state() == "applied"


def test_pyneuro_malloc_default_leaves_malloc_alone():
    assert _state(PYNEURO_MALLOC="default") == "left as it is (PYNEURO_MALLOC=default)"


def test_a_glibc_variable_in_the_environment_wins():
    assert _state(MALLOC_TOP_PAD_="65536") == "left as it is (MALLOC_*_ set in the environment)"
