"""Seeded random fills against torch: randn, rand and an embedding's init, the same numbers in both.

    PYTHONPATH=$PWD python bench/random_fill.py

pyneuro draws torch's stream (pyneuro/_torch_stream.py): the words of torch's mt19937, turned into
uniforms and normals by torch's recipes. What this measures is the cost of drawing them: randn
runs torch's 16-value Box-Muller blocks (csrc/cpu/normal.cpp where pyneuro._cpu is loaded, else
the NumPy recipe), rand writes the twister's words as floats (mt19937_unit_f32), and
nn.Embedding(50000, 2048) draws 102 million normals for its weight. Each row is the median over
rounds of pyneuro's time / torch's (> 1: pyneuro slower), both in one process, in turns, after a
pause, as bench/issue17_targets.py measures. Writes bench/results/random_fill.json and .md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from issue17_targets import RESULTS, machine_line, ratio


def main(argv=None) -> int:
    import torch

    import pyneuro as pn
    from pyneuro.machine import load_average, machine_info

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--budget", type=float, default=4.0, help="seconds per row, roughly")
    p.add_argument("--out", default=str(RESULTS / "random_fill"))
    args = p.parse_args(argv)

    rows = [
        ("randn(1_000_000)", lambda L: L.randn(1_000_000)),
        ("randn(10_000_000)", lambda L: L.randn(10_000_000)),
        ("randn(10_000_000, dtype=float64)", lambda L: L.randn(10_000_000, dtype=L.float64)),
        ("rand(10_000_000)", lambda L: L.rand(10_000_000)),
        ("nn.Embedding(50000, 2048)", lambda L: L.nn.Embedding(50000, 2048)),
    ]
    pn.manual_seed(0)
    torch.manual_seed(0)
    load_start = load_average()
    results = []
    for label, make in rows:
        r = ratio(lambda: make(pn), lambda: make(torch), args.rounds, args.budget)
        r.update(label=label)
        results.append(r)
        print(
            f"{label:34s} pyneuro {r['a_s'] * 1e3:8.1f} ms  torch {r['b_s'] * 1e3:8.1f} ms  "
            f"{r['ratio']:5.2f}x  [{r['min']:.2f}-{r['max']:.2f}]",
            flush=True,
        )
    record = {
        "machine": machine_info(),
        "torch": torch.__version__,
        "load_average": {"start": load_start, "end": load_average()},
        "rounds": args.rounds,
        "rows": results,
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    lines = [
        "# Seeded random fills: pyneuro against torch",
        "",
        machine_line(record["machine"], load_start, record["load_average"]["end"]),
        f"torch {torch.__version__}.",
        "",
        f"Median over {args.rounds} rounds of pyneuro's median call time / torch's (> 1: pyneuro slower).",
        "",
        "| what | pyneuro | torch | ratio | range |",
        "|---|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['a_s'] * 1e3:.1f} ms | {r['b_s'] * 1e3:.1f} ms | {r['ratio']:.2f}x "
            f"| {r['min']:.2f}-{r['max']:.2f} |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
