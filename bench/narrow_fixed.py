"""The narrow softmax family's fixed 10-class loop against its general loop (issue 17).

    PYTHONPATH=$PWD python bench/narrow_fixed.py [--rounds 8] [--out bench/results]

csrc/cpu/simd_softmax.h compiles each narrow-row driver twice: once with the column count a
variable, once with it the constant 10 (with_cols), which 10-class rows take. The switch
(PYNEURO_NARROW_FIXED=0 for the general loop) is read once per process, so the two settings
run in alternating child processes, `--rounds` each; every child times the six kernels at
8192x10 and 128x10 (the mean of a block of back-to-back calls, the best of 5 blocks). Per
kernel: the median over the rounds of each setting and their ratio (general / fixed; above 1
the fixed loop is faster). Writes narrow_fixed.json and .md with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SHAPES = [(8192, 10), (128, 10)]


def child():
    from pyneuro import backends

    cpu = backends.get("cpu")
    rng = np.random.default_rng(0)
    out = {}
    for rows, cols in SHAPES:
        x = (3 * rng.standard_normal((rows, cols))).astype(np.float32)
        t = rng.integers(0, cols, rows)
        gl = rng.standard_normal(rows).astype(np.float32)
        g = rng.standard_normal((rows, cols)).astype(np.float32)
        y, ly = cpu.softmax_forward(x), cpu.log_softmax_forward(x)
        kernels = {
            "softmax": lambda: cpu.softmax_forward(x),
            "log_softmax": lambda: cpu.log_softmax_forward(x),
            "cross_entropy": lambda: cpu.cross_entropy_forward(x, t),
            "cross_entropy_backward": lambda: cpu.cross_entropy_backward(x, t, gl),
            "softmax_backward": lambda: cpu.softmax_backward(g, y),
            "log_softmax_backward": lambda: cpu.log_softmax_backward(g, ly),
        }
        calls = 200 if rows > 1000 else 3000
        for name, fn in kernels.items():
            for _ in range(20):
                fn()
            blocks = []
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(calls):
                    fn()
                blocks.append((time.perf_counter() - t0) / calls)
            out[f"{name} {rows}x{cols}"] = min(blocks) * 1e6
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {"fixed": [], "general": []}
    for _ in range(args.rounds):
        for setting, flag in (("fixed", "1"), ("general", "0")):
            env = dict(os.environ, PYNEURO_NARROW_FIXED=flag)
            res = subprocess.run(
                [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=True
            )
            runs[setting].append(json.loads(res.stdout.strip().splitlines()[-1]))
    from pyneuro.machine import machine_info

    rows = {}
    for case in runs["fixed"][0]:
        f = statistics.median(r[case] for r in runs["fixed"])
        g = statistics.median(r[case] for r in runs["general"])
        rows[case] = {"fixed_us": f, "general_us": g, "general_over_fixed": g / f}
    rec = {"machine": machine_info(), "rounds": args.rounds, "load_average": os.getloadavg(), "rows": rows}
    (args.out / "narrow_fixed.json").write_text(json.dumps(rec, indent=1) + "\n")
    m = rec["machine"]
    lines = [
        "# Narrow softmax family: the fixed 10-class loop vs the general loop",
        "",
        f"{m['cpu']} ({m['cpu_id']}), {m['logical_cpus']} CPUs, SIMD {m['simd_path']}; load average {rec['load_average'][0]:.2f}. {args.rounds} rounds of"
        " alternating child processes; per process the best of 5 blocks of back-to-back calls;"
        " the median over the rounds.",
        "",
        "| kernel | fixed us | general us | general / fixed |",
        "|---|---:|---:|---:|",
    ]
    for case, r in rows.items():
        lines.append(
            f"| {case} | {r['fixed_us']:.1f} | {r['general_us']:.1f} | {r['general_over_fixed']:.2f}x |"
        )
    (args.out / "narrow_fixed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    child() if "--child" in sys.argv else main()
