"""Checks for lab exercises: compare a student's answer with a reference and explain the gap.

Every check returns a CheckReport when the answer is right (it prints as a short summary)
and raises CheckFailed (an AssertionError, so an nbgrader test cell fails) when it is
wrong; pass `raises=False` to get the failing report back instead. A check never stops
at "wrong": it says what was expected and what came back, and names the likely mistake
when the numbers show it:

* a value N times too large, where N is a size of the input: a .sum() where .mean() belongs;
* the exact negative of the answer: a sign error;
* a factor of 2 (the 2 of d(x^2)/dx) or a transposed shape;
* NaN or inf where the reference is finite: an exp that overflowed;
* an output equal to a known wrong solution that the check was given (`mistakes=`), e.g.
  a softmax over dim=0 instead of dim=1.

NotImplementedError (the placeholder of a student notebook) is never caught: the cell
stops with it, so an unanswered exercise reads as unanswered, not as a wrong answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import Tensor

__all__ = ["CheckFailed", "CheckReport", "check_close", "check_function", "check_shape", "check_shapes"]


class CheckFailed(AssertionError):
    """A lab check found a wrong answer; the message is the check's report, hint included."""


@dataclass
class CheckReport:
    """What a check found: a title, one line per case, a hint when a mistake is recognised."""

    title: str
    passed: bool = True
    lines: list = field(default_factory=list)
    hint: str = ""

    def add(self, ok: bool, text: str) -> None:
        self.lines.append(f"  {'ok  ' if ok else 'FAIL'}  {text}")
        self.passed = self.passed and ok

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        text = "\n".join([f"{self.title}: {verdict}", *self.lines])
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text

    __repr__ = __str__


def finish(report: CheckReport, raises: bool) -> CheckReport:
    """Return the report, or raise CheckFailed with it when the check failed and raises is True."""
    if not report.passed and raises:
        raise CheckFailed(str(report))
    return report


# ----------------------------------------------------------------------------- values
def as_array(value):
    """A NumPy array (float64 for floating data) from a tensor, array, number or nested list."""
    if isinstance(value, Tensor) or hasattr(value, "detach"):
        value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        value = value.numpy()
    arr = np.asarray(value)
    return arr.astype(np.float64) if arr.dtype.kind in "fc" else arr


def shape_of(value) -> tuple:
    """The shape of a tensor or array, or a shape given directly (tuple, list, torch.Size)."""
    if hasattr(value, "shape"):
        return tuple(int(s) for s in value.shape)
    if isinstance(value, (tuple, list)) and all(isinstance(s, (int, np.integer)) for s in value):
        return tuple(int(s) for s in value)
    raise TypeError(f"expected a shape (a tuple of ints) or a tensor, got {type(value).__name__}")


def _fmt(arr) -> str:
    """A value for a report line: the number itself, or the first few entries of an array."""
    if arr.size == 1:
        x = arr.reshape(-1)[0]
        return f"{x:.6g}" if arr.dtype.kind == "f" else str(x)
    flat = np.array2string(arr.reshape(-1)[:4], precision=4, separator=", ")
    return f"{flat[:-1]}{', ...' if arr.size > 4 else ''}] (shape {arr.shape})"


def _shape_hint(got: tuple, expected: tuple) -> str:
    """The likely cause of an output of the wrong shape."""
    if len(got) == 2 and got == expected[::-1] and got != expected:
        return f"shape {got} is the transpose of {expected}: swapped two axes (a .T or a wrong matmul order)?"
    if math.prod(expected) > 1 and math.prod(got) == 1:
        return (
            "you returned a single number where a tensor of shape "
            f"{expected} is expected: a .sum() or .mean() too many, or a reduction over every "
            "axis instead of one (pass dim=...)?"
        )
    if math.prod(expected) == 1 and math.prod(got) > 1:
        return (
            f"you returned shape {got} where a single number is expected: did you forget "
            "to reduce (.mean() or .sum())?"
        )
    squeezed_got = tuple(s for s in got if s != 1)
    squeezed_exp = tuple(s for s in expected if s != 1)
    if squeezed_got == squeezed_exp:
        return (
            f"same sizes but different size-1 axes ({got} vs {expected}): keepdim=True "
            "where it is not wanted (or missing), or a reshape/unsqueeze too many?"
        )
    if sorted(got) == sorted(expected):
        return f"the right sizes in the wrong order ({got} vs {expected}): axes swapped?"
    if len(got) == len(expected) - 1 and got == expected[1:]:
        return "the batch axis (the first) is missing: did you reduce over dim=0?"
    if len(got) == len(expected) - 1:
        return "one axis too few: a reduction over the wrong axis (dim=0 instead of dim=1?)"
    return "check which axis each operation reduces or broadcasts over"


def _ratio_hint(got: np.ndarray, expected: np.ndarray, sizes) -> str:
    """When got is a constant multiple (or the negative) of expected, name the likely cause."""
    mask = np.abs(expected) > 1e-8
    if not mask.any() or not np.isfinite(got).all():
        return ""
    ratios = got[mask] / expected[mask]
    r = float(np.median(ratios))
    if not np.allclose(ratios, r, rtol=1e-3, atol=0):
        if np.allclose(got, expected - expected.mean(), rtol=1e-4, atol=1e-6):
            return "your answer is the expected one minus its mean: a constant term (a bias?) is missing"
        return ""
    if abs(r + 1) < 1e-3:
        return "your answer is exactly the negative of the expected one: a sign error?"
    for n in sorted(sizes, reverse=True):
        if abs(r - n) < 1e-3 * n:
            return (
                f"your answer is {n} times the expected one, and {n} is a size of the input: "
                "a .sum() where .mean() belongs (did you forget .mean() or to divide by N?)"
            )
        if abs(r * n - 1) < 1e-3:
            return (
                f"your answer is 1/{n} of the expected one, and {n} is a size of the input: "
                "a .mean() where .sum() belongs, or a division by N too many?"
            )
    if abs(r - 2) < 1e-3 or abs(r - 0.5) < 1e-3:
        return f"your answer is {r:g} times the expected one: a factor of 2 (the 2 in d(x^2)/dx?)"
    if abs(r + 2) < 2e-3 or abs(r + 0.5) < 1e-3:
        return f"your answer is {r:g} times the expected one: a sign error and a factor of 2"
    return f"your answer is {r:.4g} times the expected one everywhere: a constant factor is off"


def compare(got, expected, *, rtol: float, atol: float, sizes=(), mistakes=None, label="output"):
    """(ok, detail, hint) for one answer against its expected value; tuples compared entry by entry.

    mistakes: {description: wrong value}; an answer equal to one of them gets that description
    as its hint (checked before the generic hints, as it is more specific).
    """
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            n = len(got) if isinstance(got, (tuple, list)) else ("one value" if got is not None else "None")
            return (
                False,
                f"{label}: expected {len(expected)} values, got {n}",
                (f"return {len(expected)} values, in the order of the exercise"),
            )
        for i, (g, e) in enumerate(zip(got, expected)):
            wrong = {
                k: v[i]
                for k, v in (mistakes or {}).items()
                if isinstance(v, (tuple, list)) and len(v) == len(expected)
            }
            ok, detail, hint = compare(
                g, e, rtol=rtol, atol=atol, sizes=sizes, mistakes=wrong, label=f"{label}[{i}]"
            )
            if not ok:
                return ok, detail, hint
        return True, f"{label}: all {len(expected)} values match", ""
    if got is None:
        return False, f"{label}: got None", "your function returned None: did you forget `return`?"
    exp_arr = as_array(expected)
    try:
        got_arr = as_array(got)
    except (TypeError, ValueError) as exc:
        return False, f"{label}: cannot read {type(got).__name__} as numbers ({exc})", ""
    if got_arr.dtype.kind not in "biuf" or exp_arr.dtype.kind not in "biuf":
        ok = bool(np.array_equal(got_arr, exp_arr))
        return ok, f"{label}: got {got_arr!r}, expected {exp_arr!r}", ""
    if got_arr.shape != exp_arr.shape:
        hint = _mistake_hint(got_arr, mistakes, rtol, atol) or _shape_hint(got_arr.shape, exp_arr.shape)
        return False, f"{label}: shape {got_arr.shape}, expected {exp_arr.shape}", hint
    g, e = got_arr.astype(np.float64), exp_arr.astype(np.float64)
    with np.errstate(invalid="ignore"):
        same_special = (np.isnan(g) & np.isnan(e)) | (np.isinf(g) & (g == e))
        err = np.where(same_special, 0.0, np.abs(g - e))
    err = np.where(np.isnan(err), np.inf, err)
    bad = err > atol + rtol * np.abs(np.nan_to_num(e, posinf=0.0, neginf=0.0))
    if not bad.any():
        return True, f"{label}: {_fmt(got_arr)}", ""
    worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    where = f" (worst at index {tuple(int(i) for i in worst)})" if err.ndim else ""
    detail = (
        f"{label}: got {_fmt(got_arr)}, expected {_fmt(exp_arr)}; "
        f"{int(bad.sum())}/{bad.size} values off{where}"
    )
    hint = _mistake_hint(got_arr, mistakes, rtol, atol)
    if not hint and (~np.isfinite(g) & np.isfinite(e)).any():
        hint = (
            "NaN or inf in your answer where the expected one is finite: an exp that overflowed "
            "(subtract the maximum first), a log of 0, or a division by 0?"
        )
    return False, detail, hint or _ratio_hint(g, e, sizes)


def _mistake_hint(got_arr, mistakes, rtol, atol) -> str:
    for description, wrong in (mistakes or {}).items():
        try:
            wrong_arr = as_array(wrong)
        except (TypeError, ValueError):
            continue
        comparable = (
            wrong_arr.shape == got_arr.shape
            and got_arr.dtype.kind in "biuf"
            and wrong_arr.dtype.kind in "biuf"
        )
        if comparable and np.allclose(
            got_arr.astype(np.float64), wrong_arr.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True
        ):
            return description
    return ""


def _sizes(args) -> set:
    """The sizes a sum-instead-of-mean can multiply by: every dimension and total size above 1."""
    out = set()
    for a in args:
        if hasattr(a, "shape") and len(a.shape):
            out.update(int(s) for s in a.shape if int(s) > 1)
            total = math.prod(int(s) for s in a.shape)
            if total > 1:
                out.add(total)
    return out


def _copy(a):
    """A fresh copy of one argument, so a function that modifies its inputs cannot fool the check."""
    if isinstance(a, Tensor):
        c = a.detach().clone()
        if a.requires_grad:
            c.requires_grad = True
        return c
    if isinstance(a, np.ndarray):
        return a.copy()
    return a


def _describe(args) -> str:
    parts = []
    for a in args:
        if hasattr(a, "shape"):
            parts.append("x".join(str(int(s)) for s in a.shape) or "scalar")
        else:
            parts.append(repr(a) if len(repr(a)) < 20 else type(a).__name__)
    return ", ".join(parts)


# ----------------------------------------------------------------------------- checks
def check_close(
    got,
    expected,
    *,
    name: str = "answer",
    rtol: float = 1e-4,
    atol: float = 1e-6,
    mistakes=None,
    sizes=(),
    raises: bool = True,
) -> CheckReport:
    """Check one value (a number, a tensor, an array or a tuple of them) against the expected one.

    mistakes: {"description of the mistake": the value that mistake gives}; a matching
    answer gets the description as its hint. sizes: the N of a possible missing .mean().
    """
    report = CheckReport(f"check_close({name})")
    ok, detail, hint = compare(
        got, expected, rtol=rtol, atol=atol, sizes=set(sizes), mistakes=mistakes, label=name
    )
    report.add(ok, detail)
    report.hint = "" if ok else hint
    return finish(report, raises)


def check_function(
    fn,
    reference,
    cases,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    mistakes=None,
    name: str | None = None,
    raises: bool = True,
) -> CheckReport:
    """Call fn and reference on every case and compare their results.

    Args:
        fn: the student's function.
        reference: the right answer, a function with the same signature.
        cases: a list of argument tuples (a non-tuple item is one argument), or a dict
            {case name: argument tuple}. Each call gets fresh copies of the arguments.
        rtol, atol: the tolerance, |got - expected| <= atol + rtol * |expected| elementwise.
        mistakes: {"description of the mistake": wrong_function}: plausible wrong solutions.
            An answer that matches one of them (and not the reference) is named in the hint.
        name: the title of the report (default: fn's name).
        raises: raise CheckFailed on a wrong answer (default), or return the report.

    Exceptions raised by fn are reported as failures, except NotImplementedError (the
    placeholder of an unanswered exercise), which propagates.
    """
    if not callable(fn):
        raise TypeError(f"check_function needs a function, got {type(fn).__name__}")
    title = name or getattr(fn, "__name__", type(fn).__name__)
    ref_name = getattr(reference, "__name__", "the reference")
    report = CheckReport(f"check_function({title}) against {ref_name}")
    items = cases.items() if isinstance(cases, dict) else ((f"case {i + 1}", c) for i, c in enumerate(cases))
    hints = []
    for case_name, args in items:
        args = args if isinstance(args, tuple) else (args,)
        expected = reference(*(_copy(a) for a in args))
        wrong = {}
        for description, wrong_fn in (mistakes or {}).items():
            try:
                wrong[description] = wrong_fn(*(_copy(a) for a in args))
            except Exception:
                continue
        try:
            got = fn(*(_copy(a) for a in args))
        except NotImplementedError:
            raise
        except Exception as exc:
            report.add(False, f"{case_name} ({_describe(args)}): raised {type(exc).__name__}: {exc}"[:300])
            continue
        ok, detail, hint = compare(
            got, expected, rtol=rtol, atol=atol, sizes=_sizes(args), mistakes=wrong, label="output"
        )
        report.add(ok, f"{case_name} ({_describe(args)}): {detail}")
        if hint and hint not in hints:
            hints.append(hint)
    if not report.lines:
        raise ValueError("check_function needs at least one case")
    report.hint = "\n      ".join(hints)
    n_ok = sum(line.lstrip().startswith("ok") for line in report.lines)
    report.title += f": {n_ok}/{len(report.lines)} cases match"
    return finish(report, raises)


def check_shape(got, expected, *, name: str = "output", raises: bool = True) -> CheckReport:
    """Check a shape: got and expected are tensors, arrays or shape tuples."""
    return check_shapes({name: got}, {name: expected}, raises=raises)


def check_shapes(predicted: dict, actual: dict, *, raises: bool = True) -> CheckReport:
    """Check shape predictions: {name: predicted shape} against {name: actual tensor or shape}.

    Every name of `actual` must be predicted; each wrong one gets its own line and hint.
    """
    report = CheckReport(f"check_shapes({len(actual)} shapes)")
    hints = []
    for key, real in actual.items():
        want = shape_of(real)
        if key not in predicted or predicted[key] is None or predicted[key] is Ellipsis:
            report.add(False, f"{key}: no prediction")
            continue
        try:
            guess = shape_of(predicted[key])
        except TypeError as exc:
            report.add(False, f"{key}: {exc}")
            continue
        ok = guess == want
        report.add(
            ok,
            f"{key}: {'predicted' if ok else 'you predicted'} {guess}" + ("" if ok else f", actual {want}"),
        )
        if not ok:
            hints.append(f"{key}: {_shape_hint(guess, want)}")
    report.hint = "\n      ".join(hints)
    return finish(report, raises)
