"""pyneuro.bench: benchmark every kernel of the table against NumPy (and PyTorch).

Command line (`pyneuro bench --help` for every option):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE pyneuro bench --quick
    pyneuro bench --kernels matmul,softmax --sizes 1024,4096x1024 --out results/
    pyneuro bench --kernel my_kernels:my_softmax --as softmax

From Python:

    >>> from pyneuro import bench
    >>> report = bench.run(kernels=["softmax"], sizes="quick")       # doctest: +SKIP
    >>> print(report.markdown())                                      # doctest: +SKIP
    >>> bench.compare_kernel(my_softmax, "softmax")                   # doctest: +SKIP

`compare_kernel` checks your function against the NumPy reference on one input, then
times it beside pyneuro's own implementations of that kernel (every backend and ladder
variant) and NumPy. For a thorough correctness check on awkward shapes use
pyneuro.lab.check_kernel first.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from . import kernels as K
from . import machine
from .report import Report
from .runner import (
    Threads,
    add_percent_of_peak,
    backend_impls,
    default_threads,
    run_cases,
    user_call,
    user_impl,
)

__all__ = ["run", "compare_kernel", "check_output", "main", "Report", "KERNELS", "PRESETS"]

KERNELS = K.KERNELS
PRESETS = K.PRESETS


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _select_kernels(names) -> list:
    if names is None:
        return list(K.KERNELS.values())
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    if not names:
        raise ValueError("no kernel selected")
    return [K.KERNELS[K.resolve(n)] for n in dict.fromkeys(names)]


def _select_backends(names, log, skipped: dict) -> dict:
    """name -> module for each usable backend asked for (NumPy is always included: the reference).

    Unusable ones go into `skipped` (name -> reason)."""
    from pyneuro import backends

    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    wanted = list(backends.BACKENDS) if names is None else list(dict.fromkeys(["numpy", *names]))
    for name in wanted:
        if name not in backends.BACKENDS:
            raise ValueError(f"unknown backend {name!r}; choose from: {', '.join(backends.BACKENDS)}")
    out = {}
    for name in wanted:
        status = backends.status(name)
        if status.available:
            out[name] = backends.get(name)
        else:
            skipped[name] = status.reason
            if names is not None or name in ("cpu", "numba"):
                log(f"pyneuro bench: skipping backend {status.reason}")
    return out


def _sizes(sizes):
    """A preset name or a list of size tokens (a comma-separated string is split)."""
    if sizes is None:
        return "full"
    if isinstance(sizes, str):
        if sizes in K.PRESETS:
            return sizes
        sizes = [s.strip() for s in sizes.split(",") if s.strip()]
    sizes = list(sizes)
    if not sizes:
        raise ValueError("no size given")
    bad = [s for s in sizes if not K.valid_token(str(s))]
    if bad:
        raise ValueError(
            f"bad size {bad[0]!r}: use a preset ({', '.join(K.PRESETS)}), N, RxC or MxKxN[:nt|:tn]"
        )
    return [str(s) for s in sizes]


def run(
    kernels=None,
    backends=None,
    sizes="full",
    *,
    repeat: int = 10,
    warmup: int = 2,
    threads: int | None = None,
    torch: bool = False,
    max_time: float = 1.0,
    max_call: float = 10.0,
    extra: list | None = None,
    progress: bool = True,
    seed: int = 0,
    log=_log,
) -> Report:
    """Benchmark kernels x sizes x backends x variants; returns a Report.

    Args:
        kernels: names or aliases (e.g. ["matmul", "softmax"]); None = every kernel.
        backends: backend names; None = every usable one. NumPy always runs (the reference).
        sizes: "tiny", "quick", "full", or size tokens (see pyneuro.bench.kernels).
        repeat, warmup: timed samples and untimed warm-up calls per case.
        threads: threads for pyneuro, NumPy's BLAS, Numba and PyTorch (None: pyneuro's count).
        torch: add PyTorch as a peer (when installed).
        max_time: time budget per case in seconds (slow cases get fewer samples).
        max_call: skip a case whose single call would take longer (estimated from smaller sizes).
        extra: [(kernel_name, Impl)] additional implementations (compare_kernel's user function).
    """
    for value, name, low in ((repeat, "repeat", 1), (warmup, "warmup", 0)):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    if max_time <= 0 or max_call <= 0:
        raise ValueError("max_time and max_call must be > 0")
    selected = _select_kernels(kernels)
    sizes = _sizes(sizes)
    not_run: dict = {}
    modules = _select_backends(backends, log, not_run)
    warnings = []
    forced = machine.forced_blas_warning()
    if forced:
        log(forced)
        warnings.append(forced)
    torch_impl = None
    if torch:
        try:
            from .torch_peer import torch_impl as make_torch

            torch_impl = make_torch()
        except ImportError:
            msg = "PyTorch peer skipped: torch is not installed"
            log(msg)
            warnings.append(msg)
    threads = threads or default_threads()
    busy = machine.load_warning(threads)
    if busy:
        log(busy)
        warnings.append(busy)

    plan = []
    for kernel in selected:
        cases = kernel.cases(sizes)
        if not cases:
            continue
        impls = [impl for name, mod in modules.items() for impl in backend_impls(name, mod, kernel)]
        if torch_impl is not None:
            impls.append(torch_impl)
        impls += [impl for name, impl in (extra or []) if name == kernel.name]
        plan.append((kernel, cases, impls))
    if not plan:
        raise ValueError(f"none of the sizes {sizes} fits the kernels {[k.name for k in selected]}")

    load_before = machine.load_average()
    with Threads(threads, modules, torch_impl is not None) as pinned:
        small = sizes == "tiny"
        peaks = machine.measure_peaks(threads, small=small)
        pools = machine.blas_pools()
        started = time.perf_counter()
        results = run_cases(
            plan,
            warmup=warmup,
            repeat=repeat,
            max_time=max_time,
            max_call=max_call,
            seed=seed,
            progress=progress,
            log=log,
        )
        elapsed = time.perf_counter() - started
        if not small:  # peaks again: a busy machine only ever lowers them, so keep the best
            peaks = machine.measure_peaks(threads, fresh=True)
    add_percent_of_peak(results, peaks)
    info = machine.machine_info()
    data = {
        "schema": "pyneuro-bench/1",
        "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": info,
        "versions": info["versions"],
        "threads": pinned.report,
        "blas": pools,
        "blas_summary": machine.blas_summary(pools),
        "env": info["env"],
        "numpy_forced_blas_kernel": forced is not None,
        "warnings": warnings,
        "peak": peaks,
        "settings": {
            "repeat": repeat,
            "warmup": warmup,
            "max_time": max_time,
            "max_call": max_call,
            "sizes": sizes,
            "seed": seed,
            "elapsed_s": round(elapsed, 1),
            "kernels": [k.name for k, _, _ in plan],
            "backends": list(modules),
            "backends_not_run": not_run,
            "torch": torch_impl is not None,
            "load_average_before": load_before,
            "load_average_after": machine.load_average(),
            "niceness": _niceness(),
        },
        "cost_model": {
            k.name: {"unit": k.unit, "flops": k.flops_text, "bytes": k.bytes_text} for k, _, _ in plan
        },
        "results": results,
    }
    return Report(data)


def _niceness():
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):
        return None


# ----------------------------------------------------------------------------- user kernels
def check_output(fn, kernel: str, size: str | None = None, seed: int = 0) -> float:
    """Check a user kernel against the NumPy reference on one input; returns the max error.

    `fn` has the table's signature for `kernel` (e.g. softmax_forward(x); a matmul may take
    (a, b) only, it then gets transposed views). In-place kernels (sgd_step, adam_step)
    are compared on the updated parameter. Raises ValueError when the output is wrong.
    """
    from pyneuro import backends

    spec = K.KERNELS[K.resolve(kernel)]
    case = spec.case(size or spec.presets["tiny"][-1])
    if case is None:
        raise ValueError(f"size {size!r} does not fit kernel {spec.name}")
    args, kwargs = spec.make_inputs(case.dims, np.random.default_rng(seed))
    ref_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    my_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    expected = getattr(backends.get("numpy"), spec.name)(*ref_args, **kwargs)
    got = user_call(fn, spec, my_args, kwargs)()
    if spec.in_place:
        expected, got = ref_args[0], my_args[0]
    got = np.asarray(got.numpy() if hasattr(got, "numpy") and not isinstance(got, np.ndarray) else got)
    if got.shape != np.shape(expected):
        raise ValueError(
            f"{getattr(fn, '__name__', fn)} as {spec.name}: output shape {got.shape}, "
            f"expected {np.shape(expected)} (input {case.label})"
        )
    if spec.name == "argmax":
        err = float(np.max(got != expected)) if got.size else 0.0
        tol = 0.0
    else:
        err = float(np.max(np.abs(got.astype(np.float64) - expected))) if got.size else 0.0
        scale = float(np.max(np.abs(expected))) if got.size else 0.0
        rtol = 1e-4 * (np.sqrt(case.dims["K"]) if spec.name == "matmul" else 1.0)
        tol = 1e-6 + rtol * scale
    if not err <= tol:  # also catches NaN
        raise ValueError(
            f"{getattr(fn, '__name__', fn)} as {spec.name} differs from the NumPy reference "
            f"on a {case.label} input: max error {err:.3g} > tolerance {tol:.3g} "
            "(pyneuro.lab.check_kernel shows where)"
        )
    return err


def compare_kernel(
    fn, kernel: str, sizes="quick", *, backends=None, name: str | None = None, check: bool = True, **options
) -> Report:
    """Benchmark your own implementation of a kernel beside pyneuro's ladder and NumPy.

    Args:
        fn: your function, with the table's signature (softmax: fn(x); matmul: fn(a, b)
            or fn(a, b, trans_a, trans_b); cross_entropy: fn(logits, targets); ...).
        kernel: the kernel it implements: a table name or alias ("softmax", "relu",
            "matmul", "cross_entropy", "log_softmax", "softmax_backward", ...).
        sizes: "tiny", "quick", "full" or size tokens.
        backends: pyneuro backends to compare with (None: every usable one).
        name: the label of your implementation in the table (default: fn.__name__).
        check: first check fn's output against the NumPy reference (ValueError if wrong).
        options: passed to run() (repeat, warmup, threads, torch, max_time, progress, ...).

    Returns:
        A Report; print(report.markdown()) shows the table, report.find(...) one figure.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    table_name = K.resolve(kernel)
    check_s = None
    if check:
        start = time.perf_counter()
        check_output(fn, table_name)  # also the first call: a Numba function compiles here
        check_s = time.perf_counter() - start
    options.setdefault("progress", False)
    impl = user_impl(fn, name)
    report = run([table_name], backends, sizes, extra=[(table_name, impl)], **options)
    for r in report.results:
        if r["impl"] == impl.label and "compile_s" in r and check_s is not None:
            r["compile_s"] = check_s  # compiled during the check, before any timing
            r["first_call_s"] = check_s
    return report


def main(argv=None) -> int:
    """`pyneuro bench ...`; returns the exit code."""
    from .cli import main as cli_main

    return cli_main(argv)
