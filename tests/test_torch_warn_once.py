"""torch's once-per-process UserWarnings on the course's paths, checked against torch in fresh
processes (a warning torch gives once must come once): a read-only NumPy array
shared by from_numpy / as_tensor / asarray / Tensor (np.asarray of a PIL image is read-only; a copy,
torch.tensor, says nothing), meshgrid without indexing=, a list of arrays into torch.tensor; and
the legacy constructor torch.Tensor(array) runs from_numpy's checks (negative strides, byte order)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pyneuro as pn

ROOT = str(Path(pn.__file__).resolve().parents[1])  # (the pyneuro under test: installed, or the checkout)

PROBE = """
import warnings, numpy as np
import {lib} as torch
a = np.ones(3); a.setflags(write=False)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        {stmt}
        {stmt}
        error = None
    except Exception as exc:
        error = exc
print(error is not None and [c.__name__ for c in type(error).__mro__])
for w in caught:
    print(w.category.__name__, str(w.message).replace("pyneuro", "torch")[:60])
"""

CASES = {
    "from_numpy": "torch.from_numpy(a)",
    "as_tensor": "torch.as_tensor(a)",
    "as_tensor_cast": "torch.as_tensor(a, dtype=torch.float32)",
    "asarray": "torch.asarray(a)",
    "legacy_Tensor": "torch.Tensor(a)",
    "tensor_copy": "torch.tensor(a)",
    "writable": "torch.from_numpy(np.ones(2))",
    "meshgrid": "torch.meshgrid(torch.arange(2), torch.arange(3))",
    "meshgrid_ij": "torch.meshgrid(torch.arange(2), torch.arange(3), indexing='ij')",
    "list_of_arrays": "torch.tensor([np.ones(2), np.zeros(2)])",
    "legacy_negative_stride": "torch.Tensor(np.arange(3.0)[::-1])",
    "legacy_byte_order": "torch.Tensor(np.arange(3.0).astype('>f4'))",
    "legacy_Float_negative_stride": "torch.FloatTensor(np.arange(3.0)[::-1])",
}


def run(lib: str, stmt: str) -> str:
    env = dict(os.environ, PYTHONPATH=ROOT)
    code = textwrap.dedent(PROBE).format(lib=lib, stmt=stmt)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", sorted(CASES))
def test_warnings_and_errors_match_torch(name):
    pytest.importorskip("torch")
    expected, got = run("torch", CASES[name]), run("pyneuro", CASES[name])
    first, *warned = expected.splitlines()
    got_first, *got_warned = got.splitlines()
    if first != "False":  # torch raises: pyneuro raises its class (or a subclass)
        assert first.split("'")[1] in got_first
    else:
        assert got_first == "False"
    assert got_warned == warned
