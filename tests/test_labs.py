"""The labs: pyneuro.lab.check_kernel, and every notebook in labs/ executed top to bottom.

The notebooks run in a fresh Jupyter kernel ("python3", the one ipykernel provides in any
venv) that imports the same pyneuro as this test process, so a notebook that no longer
runs against the current API fails here instead of rotting.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import pyneuro
from pyneuro import backends, lab

LABS = Path(__file__).resolve().parent.parent / "labs"
NOTEBOOKS = sorted(LABS.glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT_S = 300  # per cell, to catch a hang; each whole notebook takes ~5-25 s on 2 cores


# ----------------------------------------------------------------------------- kernels under test
def stable_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True)) if x.shape[1] else np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def unstable_softmax(x):
    """Right on ordinary logits, wrong on huge ones: exp(1e4) overflows to inf, inf/inf = NaN."""
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def loop_matmul(a, b):
    m, k = a.shape
    n = b.shape[1]
    c = np.zeros((m, n), np.float32)
    for i in range(m):
        for j in range(n):
            c[i, j] = np.dot(a[i, :].astype(np.float64), b[:, j].astype(np.float64))
    return c


# ----------------------------------------------------------------------------- check_kernel
def test_correct_softmax_passes_every_case():
    report = lab.check_kernel(stable_softmax, "softmax")
    assert report.passed, str(report)
    assert report.failures == []
    names = {case.name for case in report.cases}
    assert {"one element", "empty batch", "huge logits (~1e4)", "primes 13 x 17"} <= names


def test_unstable_softmax_is_reported_not_raised():
    report = lab.check_kernel(unstable_softmax, "softmax")
    assert not report.passed
    failed = {case.name for case in report.failures}
    assert failed == {"huge logits (~1e4)", "all near -1e4"}, str(report)
    assert all("NaN/inf" in case.message for case in report.failures)
    # ordinary logits still pass: the report pins the bug on the huge-logit cases only
    assert next(c for c in report.cases if c.name == "primes 13 x 17").passed


def test_report_prints_a_table():
    report = lab.check_kernel(unstable_softmax, "softmax")
    text = str(report)
    assert repr(report) == text
    first, header = text.splitlines()[:2]
    assert first == f"check_kernel(unstable_softmax, 'softmax'): 9/{len(report.cases)} cases passed"
    assert "max error" in header and "result" in header
    assert "FAIL" in text and text.count("\n") == len(report.cases) + 2


def test_softmax_over_the_wrong_axis_fails():
    def column_softmax(x):
        e = np.exp(x - x.max(axis=0, keepdims=True)) if x.shape[0] else x
        return e / e.sum(axis=0, keepdims=True)

    report = lab.check_kernel(column_softmax, "softmax")
    assert not report.passed
    assert "values off" in report.failures[0].message


def test_kernel_table_names_are_accepted():
    report = lab.check_kernel(stable_softmax, "softmax_forward")
    assert report.kernel == "softmax" and report.passed


def test_correct_matmul_passes():
    report = lab.check_kernel(loop_matmul, "matmul")
    assert report.passed, str(report)
    assert any(c.shape == "3x0 @ 0x4" for c in report.cases)  # K = 0 must give zeros


def test_low_precision_matmul_fails():
    report = lab.check_kernel(lambda a, b: a.astype(np.float16) @ b.astype(np.float16), "matmul")
    assert not report.passed


def test_wrong_shape_and_exceptions_are_reported():
    def transposed(a, b):
        return (a @ b).T

    def crashes(a, b):
        if a.shape[0] == 0:
            raise RuntimeError("no rows")
        return a @ b

    shape_report = lab.check_kernel(transposed, "matmul")
    assert any("output shape" in c.message for c in shape_report.failures)
    crash_report = lab.check_kernel(crashes, "matmul")
    assert [c.name for c in crash_report.failures] == ["empty M = 0"]
    assert "raised RuntimeError: no rows" in crash_report.failures[0].message


def test_other_kernels_against_the_reference_backend():
    ref = backends.get("numpy")
    assert lab.check_kernel(ref.relu_forward, "relu").passed
    assert lab.check_kernel(ref.log_softmax_forward, "log_softmax").passed
    assert lab.check_kernel(ref.cross_entropy_forward, "cross_entropy").passed
    assert not lab.check_kernel(lambda x: np.maximum(x, 0) + 1e-6, "relu").passed


def test_tensor_outputs_are_accepted():
    import pyneuro.functional as F

    def tensor_softmax(x):
        return F.softmax(pyneuro.from_numpy(x), dim=1)

    report = lab.check_kernel(tensor_softmax, "softmax")
    assert report.passed, str(report)


def test_missing_output_is_a_shape_failure():
    report = lab.check_kernel(lambda x: None, "relu")
    assert not report.passed
    assert all("output shape ()" in c.message for c in report.cases)


def test_every_builtin_cpu_variant_passes():
    status = backends.status("cpu")
    if not status.available:
        pytest.skip(f"C++ backend unavailable: {status.reason}")
    cpu = backends.get("cpu")
    for variant in cpu.VARIANTS["softmax"]:
        report = lab.check_kernel(lambda x, v=variant: cpu.softmax_forward(x, variant=v), "softmax")
        assert report.passed, f"{variant}\n{report}"
    for variant in cpu.VARIANTS["matmul"]:
        report = lab.check_kernel(lambda a, b, v=variant: cpu.matmul(a, b, variant=v), "matmul")
        assert report.passed, f"{variant}\n{report}"


def test_same_seed_same_inputs():
    seen = []
    lab.check_kernel(lambda x: seen.append(x.copy()) or stable_softmax(x), "softmax", seed=3)
    again = []
    lab.check_kernel(lambda x: again.append(x.copy()) or stable_softmax(x), "softmax", seed=3)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(seen, again))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown kernel 'softmaxx'.*softmax"):
        lab.check_kernel(stable_softmax, "softmaxx")
    with pytest.raises(ValueError, match="unknown kernel"):
        lab.check_kernel(stable_softmax, ["softmax"])
    with pytest.raises(TypeError, match="callable"):
        lab.check_kernel("not a function", "softmax")
    with pytest.raises(ValueError, match="repeat"):
        lab.median_time(len, [], repeat=0)


def test_median_time_counts_calls():
    calls = []
    seconds = lab.median_time(calls.append, 1, repeat=3, warmup=2, number=5)
    assert len(calls) == 2 + 3 * 5
    assert seconds >= 0.0
    calls.clear()
    assert lab.min_time(calls.append, 1, repeat=2, warmup=0, number=4) >= 0.0
    assert len(calls) == 2 * 4
    with pytest.raises(ValueError, match="repeat"):
        lab.min_time(len, [], repeat=0)


# ----------------------------------------------------------------------------- notebooks
def _notebook_tools():
    missing = [m for m in ("nbclient", "nbformat", "ipykernel") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"executing the labs needs {', '.join(missing)} (pip install 'pyneuro-edu[test]')")
    import nbclient
    import nbformat

    return nbclient, nbformat


def test_labs_folder_lists_every_notebook():
    assert NOTEBOOKS, f"no notebooks found in {LABS}"
    readme = (LABS / "README.md").read_text()
    for path in NOTEBOOKS:
        assert path.name in readme, f"{path.name} missing from labs/README.md"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    nbclient, nbformat = _notebook_tools()
    nb = nbformat.read(path, as_version=4)
    # The kernel imports the pyneuro this test imported (installed or an in-place build).
    package_root = str(Path(pyneuro.__file__).resolve().parent.parent)
    # matplotlib_inline comes with ipykernel: figures become PNG outputs, no display needed
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    # One kernel thread unless asked otherwise: on a shared CI runner, OpenMP threads that wait
    # for a descheduled sibling make small kernels many times slower (outputs are not compared).
    env.setdefault("PYNEURO_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(LABS)}},
    )
    client.execute(env=env)  # raises CellExecutionError naming the cell on any error
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
