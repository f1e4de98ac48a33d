"""Batched products: one matmul_batched call against one 2-D matmul call per matrix, and NumPy.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/matmul_batched.py

The shapes are attention's (batch x heads matrices of sequence x head-size, the scores and the
weighted values, forward and backward) and two larger stacks. Each library is warmed for 0.3 s
and timed as the median of 7 rounds of 30 calls; NumPy's np.matmul of the stacks is the
reference. Writes bench/results/matmul_batched.json and .md with the CPU model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
# (batch, M, K, N) of op(a[i]) @ op(b[i]), and the flags
SHAPES = [
    ((64, 32, 16, 32), False, True),  # scores q k^T: 16 sequences x 4 heads, length 32, head size 16
    ((64, 32, 32, 16), False, False),  # weights @ v
    ((64, 32, 32, 16), True, False),  # a backward product: scores^T @ grad
    ((32, 64, 64, 64), False, False),
    ((8, 128, 64, 128), False, True),
    ((4, 256, 256, 256), False, False),
]


def _median_us(f, rounds=7, calls=30) -> float:
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:
        f()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            f()
        times.append((time.perf_counter() - t) / calls * 1e6)
    return statistics.median(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(RESULTS / "matmul_batched"), help="output prefix")
    args = p.parse_args(argv)

    from pyneuro import backends, machine

    bk = backends.get("cpu")
    rng = np.random.default_rng(0)
    rows = []
    for (batch, m, k, n), ta, tb in SHAPES:
        a = rng.standard_normal((batch, k, m) if ta else (batch, m, k)).astype(np.float32)
        b = rng.standard_normal((batch, n, k) if tb else (batch, k, n)).astype(np.float32)
        at, bt = (a.transpose(0, 2, 1) if ta else a), (b.transpose(0, 2, 1) if tb else b)
        loop = _median_us(
            lambda a=a, b=b, ta=ta, tb=tb: np.stack([bk.matmul(x, y, ta, tb) for x, y in zip(a, b)])
        )
        one = _median_us(lambda a=a, b=b, ta=ta, tb=tb: bk.matmul_batched(a, b, ta, tb))
        time.sleep(0.2)  # OpenBLAS's threads spin ~0.1 s after a call: keep them off pyneuro's timings
        ref = _median_us(lambda at=at, bt=bt: np.matmul(at, bt))
        time.sleep(0.2)
        row = {
            "shape": [batch, m, k, n],
            "trans_a": ta,
            "trans_b": tb,
            "loop_us": loop,
            "batched_us": one,
            "numpy_us": ref,
        }
        rows.append(row)
        print(f"{batch:3d} x {m}x{k}x{n} {'T' if ta else ' '}{'T' if tb else ' '}: loop {loop:7.1f} us, "
              f"batched {one:7.1f} us, NumPy {ref:7.1f} us")  # fmt: skip
    info = machine.machine_info()
    record = {
        "cpu": info["cpu"],
        "cpu_id": info.get("cpu_id"),
        "load_average": machine.load_average(),
        "rows": rows,
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Batched products: matmul_batched (one call) against a 2-D matmul call per matrix, and NumPy",
        "",
        f"Machine: {info['cpu']} ({info.get('cpu_id')}); median of 7 rounds of 30 calls after a 0.3 s warm-up.",
        "",
        "| batch x M x K x N | op | per-matrix calls, us | matmul_batched, us | np.matmul, us | batched vs calls | vs NumPy |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        bsz, m, k, n = r["shape"]
        op = f"{'A^T' if r['trans_a'] else 'A'} {'B^T' if r['trans_b'] else 'B'}"
        lines.append(
            f"| {bsz} x {m} x {k} x {n} | {op} | {r['loop_us']:.1f} | {r['batched_us']:.1f} | {r['numpy_us']:.1f} | "
            f"{r['loop_us'] / r['batched_us']:.2f}x | {r['numpy_us'] / r['batched_us']:.2f}x |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
