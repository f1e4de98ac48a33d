"""The benchmark loop: every kernel x size x backend x variant, timed in one process.

For each case the inputs are built once (float32, seeded), NumPy runs first as the
reference, then every other implementation; each result records the median time, the
throughput, the share of the measured machine peak and the speed ratio against NumPy
(numpy seconds / this implementation's seconds: > 1 means faster than NumPy).

Threads: pyneuro's C++ kernels, NumPy's BLAS (pinned with threadpoolctl), Numba and
PyTorch all get the same thread count while timing, so nobody oversubscribes the cores.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import kernels as K
from . import machine
from .timing import measure


@dataclass
class Impl:
    """One implementation of a kernel: a backend's variant, PyTorch, or a user function."""

    backend: str  # "numpy", "cpu", "numba", "cuda", "cupy", "torch" or "user"
    variant: str | None  # ladder variant (None: the kernel has no ladder)
    default: bool  # the variant the backend runs when none is named
    bind: Callable  # (kernel, args, kwargs) -> zero-argument callable running one call
    sync: Callable | None = None  # waits for an asynchronous device (GPU backends)
    jit: bool = False  # the first call compiles (Numba): reported separately
    name: str | None = None  # display name (user kernels)
    device: str = "cpu"  # "cuda" results get no % of (CPU) peak
    ladder: bool = False  # the backend has several variants of this kernel

    @property
    def label(self) -> str:
        base = self.name or self.backend
        return f"{base}:{self.variant}" if self.variant and self.ladder else base


# ----------------------------------------------------------------------------- implementations
def _device_sync(module):
    if getattr(module, "DEVICE", "cpu") == "cpu":
        return None
    sync = getattr(module, "synchronize", None)
    if sync is not None:
        return sync
    xp = getattr(module, "xp", None)
    if xp is not None and hasattr(xp, "cuda"):
        return lambda: xp.cuda.Device().synchronize()
    return None


def _to_device(module, args, copy):
    return tuple(module.asarray(a.copy() if copy else a) if isinstance(a, np.ndarray) else a for a in args)


def backend_impls(name: str, module, kernel: K.Kernel) -> list:
    """One Impl per ladder variant of `kernel` on backend `module` (one if no ladder)."""

    def binder(variant):
        def bind(kern, args, kwargs):
            fn = getattr(module, kern.name)
            dev_args = _to_device(module, args, kern.in_place)
            kw = dict(kwargs, variant=variant) if variant is not None else kwargs
            return lambda: fn(*dev_args, **kw)

        return bind

    sync, jit, device = _device_sync(module), name == "numba", getattr(module, "DEVICE", "cpu")
    variants = (
        tuple(getattr(module, "VARIANTS", {}).get(kernel.variant_key, ())) if kernel.variant_key else ()
    )
    if not variants:
        return [Impl(name, None, True, binder(None), sync, jit, device=device)]
    # The default is what the backend runs when no variant is named; a ladder lists its
    # variants slowest first, so without DEFAULT_VARIANT the last one is taken.
    default = getattr(module, "DEFAULT_VARIANT", {}).get(kernel.variant_key, variants[-1])
    impls = [
        Impl(name, v, v == default, binder(v), sync, jit, device=device, ladder=len(variants) > 1)
        for v in variants
    ]
    if default not in variants:  # the backend picks per call (e.g. by size): time that too
        impls.append(Impl(name, None, True, binder(None), sync, jit, name=f"{name}:auto", device=device))
    return impls


def accepts_transpose_flags(fn) -> bool:
    """Whether a user matmul takes trans_a/trans_b (else it gets transposed views)."""
    try:
        inspect.signature(getattr(fn, "py_func", fn)).bind(None, None, trans_a=False, trans_b=False)
        return True
    except (TypeError, ValueError):
        return False


def user_call(fn, kernel: K.Kernel, args: tuple, kwargs: dict) -> Callable:
    """A zero-argument call of a user's kernel with the table's signature."""
    if kernel.name == "matmul":
        a, b = args
        ta, tb = kwargs["trans_a"], kwargs["trans_b"]
        if accepts_transpose_flags(fn):
            return lambda: fn(a, b, trans_a=ta, trans_b=tb)
        a_op, b_op = (a.T if ta else a), (b.T if tb else b)
        return lambda: fn(a_op, b_op)
    return lambda: fn(*args, **kwargs)


def user_impl(fn, name: str | None = None) -> Impl:
    label = name or getattr(fn, "__name__", "user")

    def bind(kern, args, kwargs):
        own = tuple(a.copy() if kern.in_place and isinstance(a, np.ndarray) else a for a in args)
        return user_call(fn, kern, own, kwargs)

    return Impl("user", None, True, bind, None, jit=hasattr(fn, "py_func"), name=f"user:{label}")


# ----------------------------------------------------------------------------- threads
class Threads(contextlib.AbstractContextManager):
    """Give every library the same thread count while timing; restore afterwards."""

    def __init__(self, n: int, backend_names, use_torch: bool):
        self.n, self.names, self.use_torch = n, set(backend_names), use_torch
        self.report: dict = {}
        self._undo: list = []

    def __enter__(self):
        from pyneuro import backends

        if "cpu" in self.names:
            cpu = backends.get("cpu")
            old = cpu.get_num_threads()
            cpu.set_num_threads(self.n)
            self._undo.append(lambda: cpu.set_num_threads(old))
            self.report["pyneuro"] = cpu.get_num_threads()
        try:
            from threadpoolctl import threadpool_limits

            limiter = threadpool_limits(limits=self.n, user_api="blas")
            self._undo.append(limiter.restore_original_limits)
            pools = machine.blas_pools()
            self.report["numpy_blas"] = max((p["num_threads"] for p in pools), default=None)
        except ImportError:
            self.report["numpy_blas"] = "not pinned (threadpoolctl not installed)"
        if "numba" in self.names:
            import numba

            old = numba.get_num_threads()
            numba.set_num_threads(min(self.n, numba.config.NUMBA_NUM_THREADS))
            self._undo.append(lambda: numba.set_num_threads(old))
            self.report["numba"] = numba.get_num_threads()
        if self.use_torch:
            import torch

            old = torch.get_num_threads()
            torch.set_num_threads(self.n)
            self._undo.append(lambda: torch.set_num_threads(old))
            self.report["torch"] = torch.get_num_threads()
        return self

    def __exit__(self, *exc):
        for undo in reversed(self._undo):
            undo()
        return False


def default_threads() -> int:
    from pyneuro import backends

    if backends.status("cpu").available:
        return backends.get("cpu").get_num_threads()
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# ----------------------------------------------------------------------------- memory
# One case holds its inputs, NumPy's reference output and one implementation's copies and
# output at a time: about MEMORY_FACTOR x the bytes one call reads and writes (case.bytes).
MEMORY_FACTOR = 3


def memory_needed(case) -> int:
    """Bytes a case needs while it is timed (an estimate, see MEMORY_FACTOR)."""
    return int(MEMORY_FACTOR * case.bytes)


def check_memory(plan) -> None:
    """ValueError naming the first case of `plan` ((kernel, cases, ...) tuples) that would not fit
    in the memory available, with the memory it needs; nothing is allocated. No check when the
    available memory cannot be read."""
    from pyneuro._memory import available_bytes, gib

    free = available_bytes()
    if free is None:
        return
    for kernel, cases, *_ in plan:
        for case in cases:
            need = memory_needed(case)
            if need > free:
                raise ValueError(
                    f"size {case.token} of {kernel.name} needs about {gib(need)} of memory, "
                    f"only {gib(free)} is available; pick a smaller size"
                )


# ----------------------------------------------------------------------------- the loop
def _progress(total: int, enabled: bool):
    """A tqdm bar on stderr when tqdm is installed and stderr is a terminal; else None
    (run_cases then logs one line per kernel)."""
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="pyneuro bench", unit="case", file=sys.stderr, leave=False)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").replace("|", "/")
    return text[:160]


def run_cases(
    plan: list,
    *,
    warmup: int,
    repeat: int,
    max_time: float,
    max_call: float,
    seed: int = 0,
    progress: bool = True,
    log=None,
) -> list:
    """Time every (kernel, cases, impls) of `plan`; returns one record dict per timing."""
    check_memory(plan)  # before any input is built
    total = sum(len(cases) * len(impls) for _, cases, impls in plan)
    bar = _progress(total, progress)
    # (kernel, impl) -> (work, seconds) of the last case that took >= 0.1 s: a slow
    # implementation's next size, if at most 64x larger, is extrapolated from it (work
    # ratio x time) and skipped when one call would exceed max_call (the naive matmul at
    # 2048^3). Fast cases are overhead-bound (or preempted on a busy machine), so they
    # never predict anything.
    last: dict = {}
    records = []
    for kernel, cases, impls in plan:
        if bar is None and log and progress:
            log(f"  {kernel.name}: {len(cases)} sizes x {len(impls)} implementations")
        for case in cases:
            rng = np.random.default_rng(seed)
            args, kwargs = kernel.make_inputs(case.dims, rng)
            group = []
            for impl in impls:
                rec = _base_record(kernel, case, impl)
                key = (kernel.name, impl.label)
                estimate = 0.0
                if key in last and case.work <= 64 * last[key][0]:
                    estimate = last[key][1] * case.work / last[key][0]
                if bar is not None:
                    bar.set_postfix_str(f"{kernel.name} {case.token} {impl.label}", refresh=False)
                if estimate > max_call:
                    rec.update(
                        status="skipped",
                        note=f"skipped: about {estimate:.0f} s per call (limit {max_call:g} s)",
                    )
                else:
                    try:
                        call = impl.bind(kernel, args, kwargs)
                        t = measure(call, warmup=warmup, repeat=repeat, max_time=max_time, sync=impl.sync)
                        del call
                        rec.update(
                            status="ok",
                            median_s=t.median_s,
                            min_s=t.min_s,
                            samples=t.samples,
                            inner=t.inner,
                            first_call_s=t.first_call_s,
                            throughput=case.throughput(t.median_s),
                        )
                        if t.median_s >= 0.1:
                            last[key] = (case.work, t.median_s)
                    except Exception as exc:  # one broken implementation must not stop the run
                        rec.update(status="error", note=_short(exc))
                group.append(rec)
                if kernel.name == "matmul" and impl.backend in BLAS_BACKENDS and rec["status"] == "ok":
                    time.sleep(BLAS_SETTLE_S)
                if bar is not None:
                    bar.update(1)
            _ratios(group)
            records.extend(group)
            del args, kwargs
    if bar is not None:
        bar.close()
    _mark_compiles(records)
    return records


# After a BLAS call, OpenBLAS's worker threads keep spinning for 50-200 ms; on a 2-core
# machine they steal the cores from the next implementation's OpenMP threads. Measured
# here: cpu matmul 256x128x784 (a.T@b) took 1.9 ms right after np.matmul, 0.26 ms after a
# 0.2 s pause. So every BLAS-backed matmul (NumPy, PyTorch) is followed by a pause.
BLAS_BACKENDS = ("numpy", "torch")
BLAS_SETTLE_S = 0.25


def add_percent_of_peak(records: list, peaks: dict) -> None:
    """percent_of_peak for every CPU result: GFLOP/s vs the FMA peak, GB/s vs copy bandwidth."""
    for r in records:
        peak = machine.peak_for(r["unit"], peaks) if r["device"] == "cpu" else None
        if peak and r["status"] == "ok":
            r["percent_of_peak"] = 100.0 * r["throughput"] / peak


def _base_record(kernel, case, impl) -> dict:
    return {
        "kernel": kernel.name,
        "size": case.label,
        "token": case.token,
        "dims": {k: (list(v) if isinstance(v, tuple) else v) for k, v in case.dims.items()},
        "impl": impl.label,
        "backend": impl.backend,
        "variant": impl.variant,
        "default": impl.default,
        "ladder": impl.ladder,
        "device": impl.device,
        "unit": kernel.unit,
        "flops": case.flops,
        "bytes": case.bytes,
        "jit": impl.jit,
    }


def _ratios(group: list) -> None:
    """vs_numpy = NumPy's seconds / this one's seconds, within one case of one run."""
    ref = next((r for r in group if r["backend"] == "numpy" and r["default"] and r["status"] == "ok"), None)
    for r in group:
        if ref is not None and r["status"] == "ok":
            r["vs_numpy"] = ref["median_s"] / r["median_s"]
            r["vs_numpy_min"] = ref["min_s"] / r["min_s"]  # fastest vs fastest: less load noise


def _mark_compiles(records: list) -> None:
    """JIT implementations: the first call of their first case is compilation (+ one run)."""
    seen = set()
    for r in records:
        key = (r["kernel"], r["impl"])
        if r["jit"] and r["status"] == "ok" and key not in seen:
            seen.add(key)
            r["compile_s"] = max(r["first_call_s"] - r["median_s"], 0.0)
