"""The ratio targets of issue 17 (performance round 2), each measured as the issue defines it.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/issue17_targets.py

Every row is a ratio of two implementations measured in one process: in each of --rounds
rounds, each side runs a block of calls after a pause (so the other library's threads --
OpenBLAS spins ~0.1 s after a call -- have gone idle) and a 0.3 s warm-up in the first
round; a round's figure is the median call time of its block; the row reports the median
over rounds of the per-round ratio, and the range of the per-round ratios. On a shared VM
a single run of `pyneuro bench` moves a matmul ratio by +-0.5 between runs; the rounds
here take the machine's slow and fast moments on both sides alike.

Rows: matmul 1024^3, 2048^3 and the MLP shapes vs NumPy (goal >= 1.0x, >= 1.3x); softmax and
cross-entropy forward at 8192x10 and 128x10 vs NumPy (>= 10x); softmax 1024x50000 (>= 10x);
the Numba fallback's time over the C++ time for matmul 1024^3, softmax and cross-entropy
4096x1024 (<= 1.5x). Writes bench/results/issue17_targets.json and .md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def _time_block(fn, calls: int) -> float:
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _warm(fn, seconds=0.3):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        fn()


def ratio(a_fn, b_fn, rounds: int, budget: float):
    """Median over rounds of time(a) / time(b), with the per-round range and medians."""
    one = max(_time_block(a_fn, 1), _time_block(b_fn, 1), 1e-6)
    calls = int(min(50, max(3, budget / rounds / 2 / one)))
    _warm(a_fn)
    _warm(b_fn)
    ra, rb, rr = [], [], []
    for _ in range(rounds):
        time.sleep(0.15)
        ta = _time_block(a_fn, calls)
        time.sleep(0.15)
        tb = _time_block(b_fn, calls)
        ra.append(ta)
        rb.append(tb)
        rr.append(ta / tb)
    return {
        "ratio": statistics.median(rr),
        "min": min(rr),
        "max": max(rr),
        "a_s": statistics.median(ra),
        "b_s": statistics.median(rb),
        "calls": calls,
    }


def machine_line(m: dict, load_start, load_end) -> str:
    """The Markdown line naming the machine of a record (machine_info()) and its load."""
    return (
        f"CPU: {m['cpu']} ({m.get('cpu_id')}), {m['usable_cpus']} CPUs, SIMD {m['simd_path']}, caches {m.get('caches')}; "
        f"NumPy BLAS: {m['blas_summary']}; load average {load_start} -> {load_end}."
    )


def main(argv=None) -> int:
    from pyneuro import backends
    from pyneuro.machine import load_average, machine_info

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--budget", type=float, default=4.0, help="seconds per row, roughly")
    p.add_argument("--out", default=str(RESULTS / "issue17_targets"))
    args = p.parse_args(argv)

    ref, cpu = backends.get("numpy"), backends.get("cpu")
    nb = backends.get("numba") if backends.status("numba").available else None
    rng = np.random.default_rng(0)

    def mm(m, n, k, ta=False, tb=False):
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        A, B = (a.T if ta else a), (b.T if tb else b)
        return (lambda: A @ B), (lambda: cpu.matmul(a, b, ta, tb)), (lambda: nb.matmul(a, b, ta, tb))

    def rows(shape):
        x = (rng.standard_normal(shape, dtype=np.float32) * 3).astype(np.float32)
        t = rng.integers(0, shape[1], shape[0])
        return x, t

    table = []  # (label, goal, a_fn, b_fn, kind) kind: "speedup" (b faster: a/b) or "slowdown"
    for label, spec in [
        ("matmul 1024^3", (1024, 1024, 1024)),
        ("matmul 2048^3", (2048, 2048, 2048)),
        ("matmul fc1 fwd 128x784 @ (256x784)^T", (128, 256, 784, False, True)),
        ("matmul fc1 grad_x 128x256 @ 256x784", (128, 784, 256)),
        ("matmul fc1 grad_W (128x256)^T @ 128x784", (256, 784, 128, True, False)),
    ]:
        np_fn, cpu_fn, nb_fn = mm(*spec)
        goal = 1.0 if "^3" in label else 1.3
        table.append((f"{label}: cpu vs NumPy", f">= {goal}x", np_fn, cpu_fn))
        if nb is not None and (label == "matmul 1024^3" or "fc1" in label):
            table.append((f"{label}: numba time / cpu time", "<= 1.5x", nb_fn, cpu_fn))
    for shape in [(8192, 10), (128, 10), (1024, 50000)]:
        x, t = rows(shape)
        size = f"{shape[0]}x{shape[1]}"
        table.append(
            (
                f"softmax {size}: cpu vs NumPy",
                ">= 10x",
                lambda x=x: ref.softmax_forward(x),
                lambda x=x: cpu.softmax_forward(x),
            )
        )
        if shape[1] == 10:
            table.append(
                (
                    f"cross-entropy forward {size}: cpu vs NumPy",
                    ">= 10x",
                    lambda x=x, t=t: ref.cross_entropy_forward(x, t),
                    lambda x=x, t=t: cpu.cross_entropy_forward(x, t),
                )
            )
    if nb is not None:
        x, t = rows((4096, 1024))
        g = np.ones(4096, np.float32)
        table += [
            (
                "softmax 4096x1024: numba time / cpu time",
                "<= 1.5x",
                lambda: nb.softmax_forward(x),
                lambda: cpu.softmax_forward(x),
            ),
            (
                "cross-entropy fwd 4096x1024: numba / cpu",
                "<= 1.5x",
                lambda: nb.cross_entropy_forward(x, t),
                lambda: cpu.cross_entropy_forward(x, t),
            ),
            (
                "cross-entropy bwd 4096x1024: numba / cpu",
                "<= 1.5x",
                lambda: nb.cross_entropy_backward(x, t, g),
                lambda: cpu.cross_entropy_backward(x, t, g),
            ),
        ]

    load_start = load_average()
    results = []
    for label, goal, a_fn, b_fn in table:
        r = ratio(a_fn, b_fn, args.rounds, args.budget)
        r.update(label=label, goal=goal)
        results.append(r)
        print(f"{label:55s} {r['ratio']:6.2f}x  [{r['min']:.2f}-{r['max']:.2f}]  goal {goal}", flush=True)
    out = Path(args.out)
    record = {
        "machine": machine_info(),
        "load_average": {"start": load_start, "end": load_average()},
        "rounds": args.rounds,
        "rows": results,
    }
    out.with_suffix(".json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    m = record["machine"]
    lines = [
        "# Issue 17 targets",
        "",
        machine_line(m, load_start, record["load_average"]["end"]),
        "",
        f"Each ratio: median over {args.rounds} rounds of (first side's median call time / second side's), "
        "both sides in turns in one process; the range is that of the per-round ratios. "
        "For 'vs NumPy' rows the ratio is NumPy's time / pyneuro's (> 1: pyneuro faster).",
        "",
        "| what | ratio | range over rounds | goal |",
        "|---|---:|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['label']} | {r['ratio']:.2f}x | {r['min']:.2f}-{r['max']:.2f} | {r['goal']} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
