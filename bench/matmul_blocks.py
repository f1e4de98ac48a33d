"""Is the packed matmul's automatic depth block (kc) right on this machine? A sweep against NumPy.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/matmul_blocks.py

The depth block kc cuts the k sum into blocks; every block loads and stores all of C once.
csrc/cpu/matmul_blocking.h (size_blocks) takes kc from L1d (a kc x NR panel of B in two
thirds of it) and, where C is larger than L2, kc_deep: min(4 kc, 1024) off Intel (a Zen 5
ran 2048^3 in 38-39 ms instead of 53 on 2 threads), kc itself on Intel (a model 167 Xeon ran
2048^3 4-8% slower with the deeper block), and 1024 for every shape on Zen 4, whose half-rate
512-bit FMAs let the B panel stream from L2 (fc1 1.08x, the MLP epoch 0.95x its time). This
script checks that rule on the machine it runs on: for shapes on both sides of L2 it times
pyneuro at kc, 2 kc, 4 kc and kc_deep (set through
pyneuro._cpu.matmul_tuning) against NumPy, in rounds as bench/issue17_targets.py does (its
`ratio`), and marks the kc the automatic rule picks and the fastest one. A machine where
another kc wins by more than the round-to-round range is a reason to change the rule.
Writes bench/results/matmul_blocks.json and .md, with the CPU model and caches.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from issue17_targets import machine_line, ratio  # bench/ is the script's own folder, so on sys.path

RESULTS = Path(__file__).resolve().parent / "results"

# (label, M, K, N, trans_a, trans_b): C = M x N against L2 decides the automatic kc (except
# where every shape takes kc_deep: Zen 4).
SHAPES = [
    ("128x784 @ (256x784)^T (fc1)", 128, 784, 256, False, True),
    ("512^3", 512, 512, 512, False, False),
    ("1024^3", 1024, 1024, 1024, False, False),
    ("2048^3", 2048, 2048, 2048, False, False),
    ("4096x784 @ 784x256", 4096, 784, 256, False, False),
    ("(2048x1024)^T @ 2048x1024", 1024, 2048, 1024, True, False),
]


def main(argv=None) -> int:
    from pyneuro import _cpu
    from pyneuro.machine import load_average, machine_info

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--budget", type=float, default=2.0, help="seconds per row, roughly")
    p.add_argument("--out", default=str(RESULTS / "matmul_blocks"))
    args = p.parse_args(argv)

    info = _cpu.matmul_tuning()
    auto, l2_floats = info["auto"], info["caches"]["l2"] // 4
    candidates = sorted({auto["kc"], min(2 * auto["kc"], 1024), min(4 * auto["kc"], 1024), auto["kc_deep"]})
    rng = np.random.default_rng(0)
    load_start = load_average()
    rows = []
    try:
        for label, m, k, n, ta, tb in SHAPES:
            a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
            b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
            a_op, b_op = a.T if ta else a, b.T if tb else b
            deep = auto["deep_for"] == "all" or (auto["deep_for"] == "c_over_l2" and m * n > l2_floats)
            picked = auto["kc_deep"] if deep else auto["kc"]
            for kc in candidates:
                _cpu.matmul_tuning(kc=kc)
                r = ratio(lambda: a_op @ b_op, lambda: _cpu.matmul(a, b, ta, tb), args.rounds, args.budget)
                r.update(shape=label, kc=kc, auto=kc == picked, c_over_l2=m * n > l2_floats)
                rows.append(r)
                mark = " (auto)" if r["auto"] else ""
                print(
                    f"{label:28s} kc {kc:5d}{mark:7s} {r['ratio']:5.2f}x NumPy [{r['min']:.2f}-{r['max']:.2f}]",
                    flush=True,
                )
    finally:
        _cpu.matmul_tuning(kc=0)

    for label, *_ in SHAPES:
        mine = [r for r in rows if r["shape"] == label]
        best = max(mine, key=lambda r: r["ratio"])
        for r in mine:
            r["best"] = r is best
    out = Path(args.out)
    record = {
        "machine": machine_info(),
        "load_average": {"start": load_start, "end": load_average()},
        "auto_blocks": auto,
        "rounds": args.rounds,
        "rows": rows,
    }
    out.with_suffix(".json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    m = record["machine"]
    lines = [
        "# The packed matmul's depth block (kc) on this machine",
        "",
        machine_line(m, load_start, record["load_average"]["end"]),
        "",
        f"Automatic blocks: kc {auto['kc']}, kc_deep {auto['kc_deep']} (for: {auto['deep_for']}; "
        "c_over_l2: a C larger than L2), "
        f"mc {auto['mc']}, nc {auto['nc']}. Each ratio: NumPy's time / pyneuro's (> 1: pyneuro faster), "
        f"the median over {args.rounds} rounds in one process, with the range of the per-round ratios.",
        "",
        "| shape | C over L2 | kc | vs NumPy | range | |",
        "|---|---|---:|---:|---|---|",
    ]
    for r in rows:
        tags = ", ".join(t for t, on in (("automatic", r["auto"]), ("fastest", r["best"])) if on)
        lines.append(
            f"| {r['shape']} | {'yes' if r['c_over_l2'] else 'no'} | {r['kc']} | {r['ratio']:.2f}x "
            f"| {r['min']:.2f}-{r['max']:.2f} | {tags} |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
