"""The labs: pyneuro.lab.check_kernel, every notebook in labs/ executed top to bottom, and the
student versions in labs/student/.

The notebooks run in a fresh Jupyter kernel ("python3", the one ipykernel provides in any
venv) that imports the same pyneuro as this test process, so a notebook that no longer
runs against the current API fails here instead of rotting. The exercises follow nbgrader's
conventions; tools/make_student_labs.py makes the student versions, which must be up to
date and must run up to their first exercise and stop there with NotImplementedError.
(pyneuro.lab's exercise checks are tested in test_lab_checks.py.)
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

import pyneuro
from pyneuro import backends, lab

LABS = Path(__file__).resolve().parent.parent / "labs"
NOTEBOOKS = sorted(LABS.glob("[0-9][0-9]_*.ipynb"))
STUDENT_NOTEBOOKS = sorted((LABS / "student").glob("[0-9][0-9]_*.ipynb"))
# every notebook with nbgrader solution cells (labs 01-07 must be among them; later labs may join)
EXERCISE_LABS = [p for p in NOTEBOOKS if '"solution": true' in p.read_text()]
TOOL = LABS.parent / "tools" / "make_student_labs.py"
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
    m, _ = a.shape
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
        pytest.skip(f"executing the labs needs {', '.join(missing)} (pip install 'pyneuro[test]')")
    import nbclient
    import nbformat

    return nbclient, nbformat


def test_labs_folder_lists_every_notebook():
    assert NOTEBOOKS, f"no notebooks found in {LABS}"
    readme = (LABS / "README.md").read_text()
    for path in NOTEBOOKS:
        assert path.name in readme, f"{path.name} missing from labs/README.md"


def _execute(nb, folder: Path):
    """Run a notebook in a fresh kernel that imports this pyneuro; raises CellExecutionError."""
    nbclient, _ = _notebook_tools()
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
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=env)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_have_no_warnings_errors_or_paths(path):
    """What a student sees in a committed notebook: no stderr (warnings), no errors, no developer's paths."""
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", (
                f"{path.name} cell {i}: an error in the committed output"
            )
            assert out.get("name") != "stderr", (
                f"{path.name} cell {i}: stderr output: {''.join(out['text'])[:200]}"
            )
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            for root in ("/home/", "/work/", "/tmp/", "/Users/", "C:\\"):
                assert root not in text, f"{path.name} cell {i}: an absolute path in the output: {text[:200]}"


def test_naive_softmax_overflow_is_silent_as_in_torch():
    """Lab 03's naive softmax overflows on purpose: inf and NaN, as in torch, and no RuntimeWarning."""
    import warnings

    torch = pytest.importorskip("torch")
    z = [[1000.0, 999.0, 0.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = pyneuro.tensor(z).exp()
        naive = (e / e.sum(dim=1, keepdim=True)).numpy()
    te = torch.tensor(z).exp()
    np.testing.assert_array_equal(e.numpy(), te.numpy())
    np.testing.assert_array_equal(naive, (te / te.sum(dim=1, keepdim=True)).numpy())


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    _, nbformat = _notebook_tools()
    nb = nbformat.read(path, as_version=4)
    _execute(nb, LABS)  # raises CellExecutionError naming the cell on any error
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors


# ----------------------------------------------------------------------------- exercises
def _load_tool():
    spec = importlib.util.spec_from_file_location("make_student_labs", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _grading(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _has_marker(text: str, marker: str = "BEGIN SOLUTION") -> bool:
    """A marker line, as nbgrader reads it: any line containing its delimiter."""
    return any(marker in line for line in text.splitlines())


@pytest.mark.parametrize("path", EXERCISE_LABS, ids=[p.stem for p in EXERCISE_LABS])
def test_exercises_follow_nbgrader_conventions(path):
    cells = json.loads(path.read_text())["cells"]
    solutions = [i for i, c in enumerate(cells) if _grading(c).get("solution")]
    assert len(solutions) >= 3, f"{path.name}: {len(solutions)} exercises, at least 3 wanted"
    ids = [_grading(c)["grade_id"] for c in cells if _grading(c)]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate nbgrader grade_id"
    for i, cell in enumerate(cells):
        has_region = _has_marker(_source(cell))
        assert has_region == bool(_grading(cell).get("solution")), f"{path.name} cell {i}: region vs metadata"
    for i in solutions:
        check = cells[i + 1]
        meta = _grading(check)
        assert meta.get("grade") and meta.get("locked") and meta.get("points", 0) > 0, (
            f"{path.name} cell {i + 1}: the cell after an exercise must be a graded, locked check cell"
        )
        assert _source(check).startswith("# CHECK"), (
            f"{path.name} cell {i + 1}: a check cell says what it checks"
        )
        # nbgrader reads a check cell's execute_result as partial credit (and stderr as 0 points): the
        # report is printed, never left as the cell's value
        last = ast.parse(_source(check)).body[-1]
        is_print = (
            isinstance(last, ast.Expr)
            and isinstance(last.value, ast.Call)
            and getattr(last.value.func, "id", "") == "print"
        )
        assert is_print or not isinstance(last, ast.Expr), (
            f"{path.name} cell {i + 1}: print the check's report"
        )
        assert not any(
            o.get("output_type") == "execute_result" or o.get("name") == "stderr"
            for o in check.get("outputs", [])
        ), f"{path.name} cell {i + 1}: an output nbgrader misreads"
        assert meta["schema_version"] == 3 and _grading(cells[i])["schema_version"] == 3


def test_student_notebooks_are_up_to_date():
    tool = _load_tool()
    assert {"01", "02", "03", "04", "05", "06", "07"} <= {p.name[:2] for p in EXERCISE_LABS}
    assert [p.name for p in STUDENT_NOTEBOOKS] == [p.name for p in EXERCISE_LABS]
    assert tool.main(["--check"]) == 0, "labs/student/ is stale: run python tools/make_student_labs.py"
    for path in STUDENT_NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        assert not any(_has_marker(_source(c)) for c in cells)
        assert any("raise NotImplementedError()" in _source(c) for c in cells)
        assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), (
            f"{path.name} has outputs"
        )


def test_student_tool_replaces_regions_keeping_the_rest():
    tool = _load_tool()
    code = (
        'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n'
        "print(f)\n### BEGIN HIDDEN TESTS\nassert f(1) == 2\n### END HIDDEN TESTS"
    )
    text, n = tool.replace_regions(code, "code")
    assert n == 1
    assert text == (
        'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\nprint(f)'
    )
    text, n = tool.replace_regions("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "markdown")
    assert (text, n) == ("Why?\nYOUR ANSWER HERE", 1)
    assert tool.replace_regions("no exercise here", "code") == ("no exercise here", 0)
    for broken in (
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION",
    ):
        with pytest.raises(tool.MarkerError):
            tool.replace_regions(broken, "code")


def test_student_tool_on_a_notebook(tmp_path):
    tool = _load_tool()
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "id": "a",
                "metadata": {"nbgrader": {"solution": True}},
                "execution_count": 3,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "4"}],
                "source": ["x = 1\n", "### BEGIN SOLUTION\n", "y = 2\n", "### END SOLUTION"],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    source = tmp_path / "10_new.ipynb"
    source.write_text(json.dumps(nb))
    (tmp_path / "11_demo.ipynb").write_text(
        json.dumps({**nb, "cells": [{**nb["cells"][0], "source": ["x = 1"]}]})
    )
    out = tmp_path / "student"
    assert tool.main([str(source), str(tmp_path / "11_demo.ipynb"), "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == [
        "10_new.ipynb"
    ]  # a lab without exercises gets no student version
    student = json.loads((out / "10_new.ipynb").read_text())
    note, cell = student["cells"]
    assert "Student version of `10_new.ipynb`" in _source(note)
    assert _source(cell) == "x = 1\n# YOUR CODE HERE\nraise NotImplementedError()"
    assert (
        cell["outputs"] == []
        and cell["execution_count"] is None
        and cell["metadata"] == nb["cells"][0]["metadata"]
    )
    assert tool.main([str(source), "--out", str(out), "--check"]) == 0
    (out / "10_new.ipynb").write_text("{}")
    assert tool.main([str(source), "--out", str(out), "--check"]) == 1
    # nbgrader refuses a region in a cell that is not marked as a solution cell: so does the tool
    nb["cells"][0]["metadata"] = {}
    source.write_text(json.dumps(nb))
    with pytest.raises(
        tool.MarkerError, match="cell 0: a solution region in a cell without the nbgrader metadata"
    ):
        tool.main([str(source), "--out", str(out)])


@pytest.mark.slow
@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=[p.stem for p in STUDENT_NOTEBOOKS])
def test_student_notebook_stops_at_its_first_exercise(path):
    nbclient, nbformat = _notebook_tools()
    nb = nbformat.read(path, as_version=4)
    with pytest.raises(nbclient.exceptions.CellExecutionError) as info:
        _execute(nb, path.parent)
    assert info.value.ename == "NotImplementedError", (
        f"{path.name} stopped with {info.value.ename}, not NotImplementedError"
    )
    failed = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and any(out.get("output_type") == "error" for out in cell.get("outputs", []))
    ]
    first_exercise = next(
        i for i, cell in enumerate(nb.cells) if cell.metadata.get("nbgrader", {}).get("solution")
    )
    # the placeholder raises in the exercise cell itself, or (inside a function) in its check cell
    assert failed == [failed[0]] and failed[0] in (first_exercise, first_exercise + 1), (
        failed,
        first_exercise,
    )


# ----------------------------------------------------------------------------- wrong answers
# exercise grade_id: (notebook, a plausible wrong answer replacing the exercise cell, words its check must say)
WRONG_ANSWERS = {
    "ex1_2_pairwise": (
        "01_tensors",
        """
def pairwise_sq_dist(a, b):
    return ((a[:, None, :] - b[None, :, :]).sum(dim=2)) ** 2
""",
        "square each difference",
    ),
    "ex1_3_standardise": (
        "01_tensors",
        """
def standardise(x):
    return (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True, unbiased=False)
""",
        "each row (dim=1)",
    ),
    "ex2_1_gradients": (
        "02_linear_regression",
        """
def mse_gradients(X, y, w, b):
    r = y - (X @ w + b)
    return (2.0 / X.shape[0]) * (X.T @ r), (2.0 / X.shape[0]) * r.sum()
""",
        "sign error",
    ),
    "ex2_3_train_loop": (
        "02_linear_regression",
        """
def train_one_epoch(model, loader, loss_fn, optimizer):
    for x, y in loader:
        loss_fn(model(x), y).backward()
        optimizer.step()
""",
        "zero_grad",
    ),
    "ex3_1_softmax": (
        "03_logistic_regression",
        """
def softmax_stable(z):
    e = z.exp()
    return e / e.sum(dim=1, keepdim=True)
""",
        "NaN or inf",
    ),
    "ex3_2_cross_entropy": (
        "03_logistic_regression",
        """
def cross_entropy(logits, targets):
    return -F.log_softmax(logits, dim=1)[pn.arange(logits.shape[0]), targets].sum()
""",
        "forget .mean()",
    ),
    "ex4_1_he_init": (
        "04_mlp",
        """
def he_init_(layer):
    nn.init.normal_(layer.weight, 0.0, (2.0 / layer.weight.shape[0]) ** 0.5)
    nn.init.zeros_(layer.bias)
""",
        "fan_out",
    ),
    "ex4_3_fgsm": (
        "04_mlp",
        """
def fgsm(model, x, y, eps):
    x = x.detach().clone()
    x.requires_grad = True
    F.cross_entropy(model(x), y).backward()
    return (x - eps * x.grad.sign()).clamp(0, 1).detach()
""",
        "stepped against",
    ),
    "ex5_2_sigmoid_backward": (
        "05_gradient_descent",
        """
class Sigmoid(Function):
    def forward(self, x):
        s = 1.0 / (1.0 + np.exp(-x))
        self.saved = (s,)
        return s

    def backward(self, grad_output):
        (s,) = self.saved
        return (s * (1.0 - s),)
""",
        "ignores grad_output",
    ),
    "ex5_3_matmul_backward": (
        "05_gradient_descent",
        """
class MatMul(Function):
    def forward(self, a, b):
        self.saved = (a, b)
        return a @ b

    def backward(self, grad_output):
        a, b = self.saved
        return grad_output @ b.T, grad_output.T @ a
""",
        "transpose",
    ),
    "ex6_1_num_batches": (
        "06_data_loaders",
        """
def num_batches(n, batch_size, drop_last=False):
    return n // batch_size
""",
        "rounded down",
    ),
    "ex6_3_evaluate": (
        "06_data_loaders",
        """
def evaluate(model, loader, loss_fn):
    with pn.no_grad():
        pairs = [(loss_fn(model(x), y).item(), (model(x).argmax(dim=1) == y).float().mean().item()) for x, y in loader]
    return tuple(float(np.mean(v)) for v in zip(*pairs))
""",
        "averaged the batches",
    ),
    "ex7_1_cosine_matrix": (
        "07_embeddings",
        """
def cosine_matrix(A, B):
    return A @ B.T
""",
        "normalise the rows",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("grade_id", sorted(WRONG_ANSWERS))
def test_check_cells_catch_wrong_answers(grade_id, monkeypatch):
    """Run a notebook's cells in this process up to an exercise, put a wrong answer in, run its check."""
    notebook, wrong, words = WRONG_ANSWERS[grade_id]
    plt = pytest.importorskip("matplotlib.pyplot")
    plt.switch_backend("agg")
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    monkeypatch.chdir(LABS)
    cells = [
        c for c in json.loads((LABS / f"{notebook}.ipynb").read_text())["cells"] if c["cell_type"] == "code"
    ]
    namespace = {"__name__": "__lab__"}
    try:
        for i, cell in enumerate(cells):
            if _grading(cell).get("grade_id") == grade_id:
                exec(compile(wrong, f"{grade_id} (wrong answer)", "exec"), namespace)
                with pytest.raises(AssertionError) as info:
                    exec(compile(_source(cells[i + 1]), f"check of {grade_id}", "exec"), namespace)
                assert words in str(info.value), str(info.value)
                return
            exec(compile(_source(cell), f"{notebook} code cell {i}", "exec"), namespace)
        raise AssertionError(f"{grade_id} not found in {notebook}")
    finally:
        plt.close("all")
