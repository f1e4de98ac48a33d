"""Timing of the numba backend: compile time of the whole kernel table, and speed vs C++ / NumPy.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m pyneuro.bench.numba_timing [--quick] [--json FILE]

1. Compile time: a fresh process with an empty NUMBA_CACHE_DIR calls every kernel once
   (cold: numba compiles everything), then a second fresh process does the same with that
   cache (warm: numba only loads machine code from disk).
2. Speed: median of repeated calls after a warm-up (first-call compilation is excluded
   and reported separately above), for numba, cpu (the C++ kernels in this checkout) and
   numpy, in one process, one kernel at a time; ratios are taken within the same run.

Speed is never asserted in tests (docs/DESIGN.md, "Performance protocol"); this script reports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

# Calls every kernel (and variant) once: used to measure compilation of the whole table.
_WARM_ALL = """
import time, numpy as np
t0 = time.perf_counter()
from pyneuro.backends import get
nb = get("numba")
t_import = time.perf_counter() - t0
c0 = time.process_time()
x = np.ones((4, 40), np.float32); t = np.zeros(4, np.int64); g = np.ones(4, np.float32)
x10 = np.ones((4, 10), np.float32)  # rows shorter than NARROW_COLS take the batched path
p = np.ones(40, np.float32)
calls = [
    ("matmul blocked", lambda: nb.matmul(x, x, trans_b=True)),
    ("matmul naive", lambda: nb.matmul(x, x, trans_b=True, variant="naive")),
    ("softmax online", lambda: nb.softmax_forward(x)),
    ("softmax three_pass", lambda: nb.softmax_forward(x, variant="three_pass")),
    ("narrow rows (all four row ops)", lambda: nb.softmax_forward(x10)),
    ("softmax_backward", lambda: nb.softmax_backward(x, x)),
    ("log_softmax_forward", lambda: nb.log_softmax_forward(x)),
    ("log_softmax_backward", lambda: nb.log_softmax_backward(x, x)),
    ("cross_entropy_forward", lambda: nb.cross_entropy_forward(x, t)),
    ("cross_entropy_backward", lambda: nb.cross_entropy_backward(x, t, g)),
    ("relu_forward", lambda: nb.relu_forward(x)),
    ("relu_backward", lambda: nb.relu_backward(x, x)),
    ("bias_add", lambda: nb.bias_add(x, p)),
    ("bias_grad", lambda: nb.bias_grad(x)),
    ("sgd_step", lambda: nb.sgd_step(p, p.copy(), p.copy(), 0.1, 0.9)),
    ("adam_step", lambda: nb.adam_step(p, p.copy(), p.copy(), p.copy(), 1, 0.1)),
    ("argmax", lambda: nb.argmax(x)),
]
each = {}
for name, call in calls:  # both compiled versions: multi-threaded, then single-threaded
    s = time.perf_counter()
    nb._common.PARALLEL_MIN_NS = 0.0
    call()
    nb._common.PARALLEL_MIN_NS = float("inf")
    call()
    each[name] = time.perf_counter() - s
print(repr({"import": t_import, "total": sum(each.values()), "each": each, "cpu_seconds": time.process_time() - c0}))
"""


def compile_times() -> dict:
    """Cold (empty cache) and warm (cached) first-call times of the whole table."""
    import ast

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(
            os.environ,
            NUMBA_CACHE_DIR=cache,
            PYTHONPATH=os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])]),
        )
        for label in ("cold", "warm"):
            start = time.perf_counter()
            res = subprocess.run(
                [sys.executable, "-c", _WARM_ALL], env=env, capture_output=True, text=True, check=True
            )
            out[label] = ast.literal_eval(res.stdout.strip().splitlines()[-1])
            out[label]["process_wall"] = time.perf_counter() - start
    return out


def median_time(fn, repeat: int, clock=time.perf_counter) -> float:
    """Median seconds of fn() after two warm-up calls (compilation, page faults)."""
    fn()
    fn()
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return float(np.median(times))


class _OneThread:
    """Every backend (numba, C++, NumPy's BLAS) limited to one thread inside the block."""

    def __init__(self, tables):
        self.tables = tables

    def __enter__(self):
        import numba

        self.saved = {n: t.get_num_threads() for n, t in self.tables.items() if hasattr(t, "get_num_threads")}
        for name in self.saved:
            self.tables[name].set_num_threads(1)
        try:
            from threadpoolctl import threadpool_limits

            self.blas = threadpool_limits(1)
        except ImportError:
            self.blas = None
        numba.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        for name, n in self.saved.items():
            self.tables[name].set_num_threads(n)
        if self.blas is not None:
            self.blas.unregister()


def speed(quick: bool) -> list[dict]:
    """Per kernel and backend: 1-thread CPU time, and wall time with all threads.

    The CPU time of a single-threaded call (time.process_time) does not count time the
    process spent waiting for a core, so it stays meaningful on a busy, shared machine;
    the wall time with all threads is what a user sees, but is noisy there.
    """
    from pyneuro import backends

    tables = {n: backends.get(n) for n in ("numba", "cpu", "numpy") if backends.status(n).available}
    rng = np.random.default_rng(0)
    n_mm = 512 if quick else 1024
    a = rng.standard_normal((n_mm, n_mm)).astype(np.float32)
    b = rng.standard_normal((n_mm, n_mm)).astype(np.float32)
    mlp_x = rng.standard_normal((128, 784)).astype(np.float32)
    mlp_w = rng.standard_normal((784, 256)).astype(np.float32)
    mlp_h = mlp_x @ mlp_w
    big = (3 * rng.standard_normal((4096, 1024))).astype(np.float32)
    big_t = rng.integers(0, 1024, 4096)
    small = (3 * rng.standard_normal((128, 10))).astype(np.float32)
    small_t = rng.integers(0, 10, 128)
    ones_big, ones_small = np.ones(4096, np.float32), np.ones(128, np.float32)
    act = rng.standard_normal((4096, 1024)).astype(np.float32)
    cases = [
        (f"matmul {n_mm}^3", lambda k: k.matmul(a, b), 2 * n_mm**3),
        (f"matmul {n_mm}^3 A.T", lambda k: k.matmul(a, b, trans_a=True), 2 * n_mm**3),
        (f"matmul {n_mm}^3 B.T", lambda k: k.matmul(a, b, trans_b=True), 2 * n_mm**3),
        ("matmul 128x784 @ 784x256", lambda k: k.matmul(mlp_x, mlp_w), 2 * 128 * 784 * 256),
        (
            "matmul 784x128 @ 128x256 (A.T)",
            lambda k: k.matmul(mlp_x, mlp_h, trans_a=True),
            2 * 128 * 784 * 256,
        ),
        ("softmax 4096x1024", lambda k: k.softmax_forward(big), None),
        ("softmax 4096x1024 three_pass", lambda k: k.softmax_forward(big, "three_pass"), None),
        ("log_softmax 4096x1024", lambda k: k.log_softmax_forward(big), None),
        ("cross_entropy fwd 4096x1024", lambda k: k.cross_entropy_forward(big, big_t), None),
        ("cross_entropy bwd 4096x1024", lambda k: k.cross_entropy_backward(big, big_t, ones_big), None),
        ("softmax 128x10", lambda k: k.softmax_forward(small), None),
        ("cross_entropy fwd 128x10", lambda k: k.cross_entropy_forward(small, small_t), None),
        ("cross_entropy bwd 128x10", lambda k: k.cross_entropy_backward(small, small_t, ones_small), None),
        ("relu fwd 4096x1024", lambda k: k.relu_forward(act), None),
        ("bias_grad 4096x1024", lambda k: k.bias_grad(act), None),
    ]
    repeat = 5 if quick else 11
    rows = []
    for label, call, flops in cases:
        row = {"kernel": label, "cpu_time_1_thread": {}, "wall_all_threads": {}}
        reps = repeat if flops or "4096" in label else 20 * repeat
        for name, table in tables.items():
            if "three_pass" in label and "three_pass" not in table.VARIANTS["softmax"]:
                continue
            with _OneThread(tables):
                row["cpu_time_1_thread"][name] = median_time(lambda: call(table), reps, time.process_time)
            time.sleep(0.05)  # let the thread pools go idle between backends
            row["wall_all_threads"][name] = median_time(lambda: call(table), reps)
        if flops:
            row["gflops_1_thread"] = {n: flops / t / 1e9 for n, t in row["cpu_time_1_thread"].items()}
        rows.append(row)
    return rows


def machine() -> dict:
    """pyneuro.machine.machine_info() with numba loaded (so its threads are reported) and its threading layer."""
    import numba

    from pyneuro.machine import machine_info

    info = machine_info()
    info["numba_threading_layer"] = numba.config.THREADING_LAYER
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller matmul, fewer repeats")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile-time measurement")
    parser.add_argument("--compile-only", action="store_true", help="only measure the compile time")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    report = {"machine": machine()}
    for key, value in report["machine"].items():
        if key not in ("blas", "env"):  # blas_summary says it in one line; env is in the JSON
            print(f"{key}: {value}")
    if not args.no_compile:
        report["compile"] = comp = compile_times()
        print(
            f"\nwhole table, first call of every kernel (both versions): cold (empty cache) "
            f"{comp['cold']['total']:.1f} s wall, {comp['cold']['cpu_seconds']:.1f} s CPU; warm (cached) "
            f"{comp['warm']['total']:.2f} s wall; import {comp['warm']['import']:.2f} s"
        )
        for name, secs in sorted(comp["cold"]["each"].items(), key=lambda kv: -kv[1]):
            print(f"  cold {name:<24} {secs:6.2f} s")
    if args.compile_only:
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=1)
        return 0
    report["speed"] = rows = speed(args.quick)
    for key, title in (
        ("cpu_time_1_thread", "1 thread, CPU time (robust on a busy machine)"),
        ("wall_all_threads", "all threads, wall time"),
    ):
        print(f"\n{title}")
        print(
            f"{'kernel':<34}{'numba ms':>10}{'cpu ms':>10}{'numpy ms':>10}{'numba/cpu':>11}{'numba/numpy':>13}"
        )
        for row in rows:
            t = row[key]
            nb_ms, cpu, npy = t["numba"] * 1e3, t.get("cpu"), t.get("numpy")
            line = (
                f"{row['kernel']:<34}{nb_ms:10.3f}{(cpu or float('nan')) * 1e3:10.3f}"
                f"{(npy or float('nan')) * 1e3:10.3f}{(t['numba'] / cpu if cpu else float('nan')):11.2f}"
                f"{(t['numba'] / npy if npy else float('nan')):13.2f}"
            )
            if key == "cpu_time_1_thread" and "gflops_1_thread" in row:
                line += "   GFLOP/s " + ", ".join(f"{n} {g:.0f}" for n, g in row["gflops_1_thread"].items())
            print(line)
    print("(ratio = numba time / other time: < 1 means numba is faster)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
