"""The kernel lab: check a kernel you wrote yourself against pyneuro's reference.

Write a softmax (or matmul, relu, log_softmax, cross_entropy) in plain Python, NumPy or
Numba, then ask pyneuro whether it is right on the shapes that usually break kernels:

    >>> import numpy as np
    >>> from pyneuro import lab
    >>> def my_softmax(x):
    ...     e = np.exp(x - x.max(axis=1, keepdims=True))
    ...     return e / e.sum(axis=1, keepdims=True)
    >>> report = lab.check_kernel(my_softmax, "softmax")
    >>> report.passed
    True
    >>> print(report)                                   # doctest: +SKIP
    check_kernel(my_softmax, 'softmax'): 11/11 cases passed
    case                         shape                   max error  of budget  result
    ...

The awkward cases are: size 1, prime sizes, sizes that are not multiples of a SIMD width
or a cache tile, empty batches, and (for the softmax family) logits of +-1e4, where the
naive exp overflows. Each output is compared with the NumPy reference backend
(pyneuro.backends "numpy") run in float64 on the same float32 inputs, with a tolerance
that grows with the length of the reduction (a sum of n float32 numbers carries about
sqrt(n) roundings). A wrong answer, a wrong shape or an exception raised by your kernel
is reported in the table, never raised, so one bad case does not hide the others.

`median_time` times a call the way pyneuro's benchmarks do (warm-up, then the median of
repeats) and `min_time` takes the fastest repeat instead (steadier on a busy machine); the
benchmark harness proper is pyneuro.bench.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["KERNELS", "CaseResult", "KernelReport", "check_kernel", "median_time", "min_time"]

# kernel name -> what your function is called with and must return
KERNELS = {
    "softmax": "fn(x) -> y, x of shape (rows, cols); softmax along each row",
    "log_softmax": "fn(x) -> y, x of shape (rows, cols); log of softmax along each row",
    "relu": "fn(x) -> y = max(x, 0), elementwise, NaN propagates",
    "matmul": "fn(a, b) -> a @ b, a of shape (M, K), b of shape (K, N)",
    "cross_entropy": "fn(logits, targets) -> per-sample losses, logits (rows, classes), int64 targets (rows,)",
}

# the kernel-table names (as pyneuro.bench uses them) are accepted too
ALIASES = {
    "softmax_forward": "softmax",
    "log_softmax_forward": "log_softmax",
    "relu_forward": "relu",
    "cross_entropy_forward": "cross_entropy",
}

_EPS32 = float(np.finfo(np.float32).eps)  # 1.19e-7: one float32 rounding


# ----------------------------------------------------------------------------- results
@dataclass
class CaseResult:
    """One awkward input: its name, shape(s), the largest error found and the verdict."""

    name: str
    shape: str
    passed: bool
    max_error: float = float("nan")  # largest |yours - reference|, NaN when not comparable
    budget: float = float("nan")  # largest error / allowed error over elements (<= 1 passes)
    message: str = ""  # why a case failed (wrong shape, NaN, exception...)


@dataclass
class KernelReport:
    """The outcome of check_kernel: one CaseResult per awkward input.

    `passed` is True when every case passed; `failures` lists the ones that did not;
    str() and repr() give a table (so a notebook shows it as the cell's output).
    """

    kernel: str
    function: str
    cases: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)

    @property
    def failures(self) -> list:
        return [case for case in self.cases if not case.passed]

    def table(self) -> str:
        """The report as a fixed-width text table."""
        ok = sum(case.passed for case in self.cases)
        lines = [f"check_kernel({self.function}, {self.kernel!r}): {ok}/{len(self.cases)} cases passed"]
        header = f"{'case':<28} {'shape':<22} {'max error':>10} {'of budget':>10}  result"
        lines += [header, "-" * len(header)]
        for case in self.cases:
            verdict = "ok" if case.passed else f"FAIL: {case.message}"
            lines.append(
                f"{case.name:<28} {case.shape:<22} {_fmt(case.max_error):>10} "
                f"{_pct(case.budget):>10}  {verdict}"
            )
        return "\n".join(lines)

    __str__ = table

    def __repr__(self) -> str:
        return self.table()


def _fmt(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.2e}"


def _pct(x: float) -> str:
    if math.isnan(x):
        return "-"
    return "inf" if math.isinf(x) else f"{100 * x:.0f}%" if x >= 0.01 else "<1%"


# ----------------------------------------------------------------------------- cases
# Each case builder gets a seeded Generator and returns (name, inputs tuple).
def _rows_cases(rng):
    """Inputs for the row-wise kernels (softmax, log_softmax): 2-D float32 logits."""

    def logits(rows, cols, scale=3.0):
        return (rng.standard_normal((rows, cols)) * scale).astype(np.float32)

    masked = logits(4, 6)
    masked[rng.random((4, 6)) < 0.4] = -np.inf
    masked[:, 0] = 1.0  # every row keeps one finite entry
    near_min = (-1e4 + rng.standard_normal((3, 5))).astype(np.float32)
    return [
        ("one element", logits(1, 1)),
        ("one row, 7 columns", logits(1, 7)),
        ("one column", logits(7, 1)),
        ("primes 13 x 17", logits(13, 17)),
        ("wide, not a multiple of 8", logits(5, 1031)),
        ("tall 257 x 33", logits(257, 33)),
        ("empty batch", logits(0, 10)),
        ("huge logits (~1e4)", logits(4, 9, scale=1e4)),
        ("all near -1e4", near_min),
        ("constant rows", np.full((3, 6), 2.5, np.float32)),
        ("-inf entries (masked)", masked),
    ]


def _relu_cases(rng):
    x_nan = rng.standard_normal((3, 5)).astype(np.float32)
    x_nan[1, 2] = np.nan
    x_inf = np.array([[-np.inf, -1.0, -0.0, 0.0, 1.0, np.inf]], np.float32)
    return [
        ("one element", rng.standard_normal((1, 1)).astype(np.float32)),
        ("primes 13 x 17", rng.standard_normal((13, 17)).astype(np.float32)),
        ("not a multiple of 16", rng.standard_normal((3, 1031)).astype(np.float32)),
        ("empty", np.zeros((0, 5), np.float32)),
        ("1-D vector", rng.standard_normal(37).astype(np.float32)),
        ("NaN propagates", x_nan),
        ("+-inf and +-0", x_inf),
    ]


def _matmul_cases(rng):
    def mats(m, k, n, scale=1.0):
        a = (rng.standard_normal((m, k)) * scale).astype(np.float32)
        b = (rng.standard_normal((k, n)) * scale).astype(np.float32)
        return a, b

    return [
        ("1 x 1 x 1", mats(1, 1, 1)),
        ("row vector @ matrix", mats(1, 13, 17)),
        ("matrix @ column vector", mats(17, 13, 1)),
        ("primes 13 x 17 x 19", mats(13, 17, 19)),
        ("not multiples of tiles", mats(33, 65, 31)),
        ("long reduction K = 1000", mats(3, 1000, 4)),
        ("K = 0 (gives zeros)", mats(3, 0, 4)),
        ("empty M = 0", mats(0, 5, 3)),
        ("empty N = 0", mats(4, 5, 0)),
        ("large values (1e3)", mats(5, 7, 6, scale=1e3)),
    ]


def _cross_entropy_cases(rng):
    def case(rows, classes, scale=3.0):
        logits = (rng.standard_normal((rows, classes)) * scale).astype(np.float32)
        targets = rng.integers(0, max(classes, 1), rows).astype(np.int64)
        return logits, targets

    return [
        ("one sample, one class", case(1, 1)),
        ("primes 13 x 17", case(13, 17)),
        ("wide, 1031 classes", case(5, 1031)),
        ("empty batch", case(0, 10)),
        ("huge logits (~1e4)", case(4, 9, scale=1e4)),
        ("10 classes, 257 samples", case(257, 10)),
    ]


_CASES = {
    "softmax": _rows_cases,
    "log_softmax": _rows_cases,
    "relu": _relu_cases,
    "matmul": _matmul_cases,
    "cross_entropy": _cross_entropy_cases,
}


# ----------------------------------------------------------------------------- reference
def _reference(kernel: str, inputs: tuple) -> np.ndarray:
    """The NumPy reference backend's answer, computed in float64 from the float32 inputs."""
    from pyneuro import backends

    ref = backends.get("numpy")
    f64 = tuple(a.astype(np.float64) if a.dtype.kind == "f" else a for a in inputs)
    with np.errstate(all="ignore"):
        if kernel == "softmax":
            return ref.softmax_forward(*f64)
        if kernel == "log_softmax":
            return ref.log_softmax_forward(*f64)
        if kernel == "relu":
            return ref.relu_forward(*f64)
        if kernel == "matmul":
            return ref.matmul(*f64)
        return ref.cross_entropy_forward(*f64)


def _allowed_error(kernel: str, inputs: tuple, expected: np.ndarray) -> np.ndarray:
    """Per-element error allowed: a few float32 roundings per sqrt(reduction length).

    softmax: each value is e_i / sum of `cols` terms, so relative error grows with the row
    length; a floor of 1/cols (the average value) lets tiny values carry absolute error.
    log_softmax / cross_entropy: x - max - log(sum): errors scale with |x| as well.
    matmul: relative to (|A| @ |B|), the size of the terms being summed, per sqrt(K).
    """

    def per_length(n):
        return 4 * _EPS32 * (1 + math.sqrt(max(n, 1)))

    if kernel == "relu":
        return np.zeros_like(expected)  # relu is exact
    if kernel == "matmul":
        a, b = inputs
        k = a.shape[1]
        bound = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
        return per_length(k) * bound + 1e-30
    x = inputs[0].astype(np.float64)
    cols = x.shape[1]
    with np.errstate(invalid="ignore"):
        finite = np.where(np.isfinite(x), np.abs(x), 0.0)
    row_scale = finite.max(axis=1, keepdims=True) if cols else np.zeros((x.shape[0], 1))
    if kernel == "softmax":
        return per_length(cols) * (np.abs(expected) + 1.0 / max(cols, 1))
    if kernel == "log_softmax":
        return per_length(cols) * (np.abs(np.nan_to_num(expected, neginf=0.0)) + row_scale + 1.0)
    return per_length(cols) * (np.abs(expected) + row_scale[:, 0] + 1.0)  # cross_entropy


def _shape_text(inputs: tuple) -> str:
    """'13x17' for one input; '13x17 @ 17x19' for matmul; the logits' shape for cross-entropy."""
    floats = [a for a in inputs if a.dtype.kind == "f"]
    return " @ ".join("x".join(str(s) for s in a.shape) for a in floats)


def _as_numpy(out) -> np.ndarray:
    """Accept a NumPy array, a pyneuro/torch tensor (anything with .numpy()) or a list."""
    if hasattr(out, "detach"):
        out = out.detach()
    if hasattr(out, "cpu") and not isinstance(out, np.ndarray):
        out = out.cpu()
    if hasattr(out, "numpy") and not isinstance(out, np.ndarray):
        out = out.numpy()
    return np.asarray(out)


def _run_case(fn, kernel: str, name: str, inputs: tuple) -> CaseResult:
    shape = _shape_text(inputs)
    expected = _reference(kernel, inputs)
    try:
        with np.errstate(all="ignore"):  # overflow in *your* kernel shows up as NaN/inf below
            out = fn(*(a.copy() for a in inputs))
        got = _as_numpy(out)
    except Exception as exc:  # report, do not raise: the other cases still run
        return CaseResult(name, shape, False, message=f"raised {type(exc).__name__}: {exc}"[:120])
    if got.shape != expected.shape:
        return CaseResult(name, shape, False, message=f"output shape {got.shape}, expected {expected.shape}")
    if got.dtype.kind not in "fiu":
        return CaseResult(name, shape, False, message=f"output dtype {got.dtype} is not numeric")
    if got.size == 0:
        return CaseResult(name, shape, True, 0.0, 0.0)
    got = got.astype(np.float64)
    allowed = _allowed_error(kernel, inputs, expected)
    same_nan = np.isnan(got) & np.isnan(expected)
    same_inf = np.isinf(got) & np.isinf(expected) & (np.sign(got) == np.sign(expected))
    exact = same_nan | same_inf
    with np.errstate(invalid="ignore"):
        err = np.where(exact, 0.0, np.abs(got - expected))
    err = np.where(np.isnan(err), np.inf, err)  # NaN where the reference is a number: a failure
    tol = np.broadcast_to(allowed, err.shape)
    bad = err > tol
    with np.errstate(divide="ignore", invalid="ignore"):
        used = np.where(err == 0, 0.0, err / tol)  # the share of the error budget used
    max_error, budget = float(err.max()), float(used.max())
    if not bad.any():
        return CaseResult(name, shape, True, max_error, budget)
    index = np.unravel_index(int(np.argmax(used)), err.shape)
    n_nonfinite = int((~np.isfinite(got) & ~exact).sum())
    why = f"{n_nonfinite} NaN/inf values where the reference is finite; " if n_nonfinite else ""
    why += (
        f"{int(bad.sum())}/{bad.size} values off, worst at {tuple(int(i) for i in index)}: "
        f"got {got[index]:.7g}, expected {expected[index]:.7g}"
    )
    return CaseResult(name, shape, False, max_error, budget, why)


def check_kernel(fn, kernel: str, *, seed: int = 0) -> KernelReport:
    """Run your kernel `fn` on awkward inputs and compare it with pyneuro's reference.

    Args:
        fn: your implementation. It is called with fresh float32 NumPy arrays (a copy per
            case, so modifying them in place is harmless) and may return a NumPy array, a
            pyneuro or torch tensor, or anything np.asarray accepts. See KERNELS for each
            kernel's signature.
        kernel: "softmax", "log_softmax", "relu", "matmul" or "cross_entropy" (or the
            kernel-table name: "softmax_forward", "relu_forward", ...).
        seed: seed of the random inputs (the same seed gives the same inputs).

    Returns:
        A KernelReport: `.passed`, `.failures`, `.cases`, and a table as str()/repr().
        Wrong results, wrong shapes and exceptions raised by `fn` are reported, not raised.

    Raises:
        ValueError: for a kernel name not in KERNELS.
        TypeError: when fn is not callable.
    """
    kernel = ALIASES.get(kernel, kernel) if isinstance(kernel, str) else kernel
    if not isinstance(kernel, str) or kernel not in _CASES:
        raise ValueError(f"unknown kernel {kernel!r}; check_kernel knows: {', '.join(_CASES)}")
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    rng = np.random.default_rng(seed)
    cases = [
        (name, inputs if isinstance(inputs, tuple) else (inputs,)) for name, inputs in _CASES[kernel](rng)
    ]
    report = KernelReport(kernel, getattr(fn, "__name__", type(fn).__name__))
    for name, inputs in cases:
        report.cases.append(_run_case(fn, kernel, name, inputs))
    return report


def _timings(fn, args, repeat: int, warmup: int, number: int | None) -> list:
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    for _ in range(max(warmup, 0)):
        fn(*args)
    if number is None:
        start = time.perf_counter()
        fn(*args)
        once = time.perf_counter() - start
        number = max(1, min(10_000, int(2e-3 / max(once, 1e-9))))
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn(*args)
        timings.append((time.perf_counter() - start) / number)
    return timings


def median_time(fn, *args, repeat: int = 7, warmup: int = 1, number: int | None = None) -> float:
    """Seconds per call of fn(*args): the median of `repeat` timings after `warmup` calls.

    Each timing runs fn `number` times in a row (chosen so a timing lasts about 2 ms when
    None), which keeps the timer's own cost out of the figure for tiny calls. This is the
    protocol of `pyneuro bench`.
    """
    return float(np.median(_timings(fn, args, repeat, warmup, number)))


def min_time(fn, *args, repeat: int = 7, warmup: int = 1, number: int | None = None) -> float:
    """Like median_time, but the fastest of the `repeat` timings.

    On a busy machine other programs can only slow a run down, never speed it up, so the
    minimum is the steadier estimate of what the call itself costs.
    """
    return float(np.min(_timings(fn, args, repeat, warmup, number)))
