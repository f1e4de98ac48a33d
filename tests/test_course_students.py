"""Student-style course code (tests/students/), run statement by statement under torch and under
the import rename, as a notebook runs cell by cell: each statement must do what it does in torch.

The 34 files are what students write for the course's exercises (CS 375/376: tensor ops, linear
and logistic regression by hand, gradient descent, MLP and CNN training, data loaders and seeds,
embeddings, logits and sampling, tokenization, transformer blocks, parameter counting), with the
mistakes they make on the way: shapes into Linear, float targets into cross_entropy, `w -= lr *
w.grad` outside no_grad, .numpy() of a tensor that requires grad, item() of several values, int
tensors into mean(), f-strings of tensors, pandas columns, plots of tensors, checkpoints.

Per top-level statement (an expression's value is shown as a notebook shows it): where torch
raises, pyneuro raises an instance of torch's exception class (pyneuro's own classes subclass
torch's); where torch runs, pyneuro runs and prints the same text and numbers (float32
precision, "pyneuro" read as "torch"). Messages are not compared: several of pyneuro's say more.
Statements that fail under torch for want of a package (pandas, scikit-learn) fail the same way
under pyneuro and say nothing.
"""

from __future__ import annotations

import ast
import contextlib
import io
import warnings
from pathlib import Path

import pytest
from test_course_notebooks import assert_same_output, to_pyneuro

import pyneuro as pn

STUDENTS = sorted((Path(__file__).parent / "students").glob("*.py"))


def run_statements(source: str, workdir: Path, monkeypatch) -> list:
    """[(what the statement printed or showed, the exception it raised or None)] per statement,
    in a fresh namespace, in workdir (the checkpoints it writes)."""
    monkeypatch.chdir(workdir)
    namespace, records = {"__name__": "__main__"}, []
    for node in ast.parse(source).body:
        buf, error = io.StringIO(), None
        with contextlib.redirect_stdout(buf), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if isinstance(node, ast.Expr):
                    value = eval(compile(ast.Expression(node.value), "<student>", "eval"), namespace)
                    if value is not None:
                        print(repr(value))
                else:
                    exec(compile(ast.Module([node], []), "<student>", "exec"), namespace)
            except Exception as exc:  # the statement's failure is the record
                error = exc
        records.append((node.lineno, buf.getvalue(), error))
    return records


@pytest.fixture
def quiet_plots(monkeypatch):
    """Plots go nowhere (a student's plt.show() would block)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # (no matplotlib: a student's plot fails under both libraries alike)
        plt = None
    if plt is not None:
        monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    yield
    if plt is not None:
        plt.close("all")


def test_there_are_students():
    assert len(STUDENTS) >= 30


@pytest.mark.parametrize("path", STUDENTS, ids=lambda p: p.stem)
def test_student_code_does_what_it_does_in_torch(path, tmp_path, monkeypatch, quiet_plots):
    torch = pytest.importorskip("torch")
    source = path.read_text()
    (tmp_path / "torch").mkdir()
    (tmp_path / "pyneuro").mkdir()
    try:  # (each run from the seed a fresh process starts with: unseeded draws agree too)
        torch.manual_seed(torch.initial_seed())
        expected = run_statements(source, tmp_path / "torch", monkeypatch)
        pn.manual_seed(torch.initial_seed())
        got = run_statements(to_pyneuro(source), tmp_path / "pyneuro", monkeypatch)
    finally:
        torch.set_printoptions(profile="default")
        pn.set_printoptions(profile="default")
    assert len(expected) == len(got)
    for (line, out_t, exc_t), (_, out_p, exc_p) in zip(expected, got):
        where = f"{path.name} line {line}"
        if exc_t is not None:
            assert exc_p is not None, f"{where}: torch raises {exc_t!r}, pyneuro ran and printed {out_p!r}"
            assert isinstance(exc_p, type(exc_t)), f"{where}: torch raises {exc_t!r}, pyneuro {exc_p!r}"
        else:
            assert exc_p is None, f"{where}: torch runs, pyneuro raises {exc_p!r}"
        try:
            assert_same_output(out_t, out_p)
        except AssertionError as e:
            raise AssertionError(f"{where}: {e}") from None
