"""The numba blocked matmul's inner block, two ways: the 4x4 sweeps against the register tile.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/numba_tile.py

Both kernels compute c_stage (+)= a_pack @ b_pack on the same packed, cache-line-aligned
buffers, single-threaded, as one task of matmul_blocked does (pyneuro/backends/numba/
matmul_kernels.py): `_tile_update` with C in L1 (loops LLVM vectorises; every CPU) and
`_register_tile` with an 8 x 32 block of C in 16 vector registers (simd.py; used where numba
targets AVX-512). Same bits; the GFLOP/s per core show what keeping C in registers is worth.
Tile shapes: the blocked kernel's full tile and the MLP step's (fc1 forward and grad_W1 per
task); A row-major and, as for a weight gradient, read through a transpose. Each row: the
ratio register tile / sweeps (time) as the median over rounds of two blocks of calls, with
its range (issue17_targets.ratio). Writes bench/results/numba_tile.json and .md (--out PREFIX).
With NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES=+avx,+avx2,+fma (and a fresh NUMBA_CACHE_DIR)
it shows the same on AVX2 code, where the register tile spills: why simd.HAS_16_LANES exists.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from issue17_targets import machine_line, ratio  # bench/ is the script's own folder, so on sys.path

RESULTS = Path(__file__).resolve().parent / "results"

# (label, mc, nc, kc, A read through a transpose)
TILES = [
    ("full tile 64 x 512 x 256", 64, 512, 256, False),
    ("fc1 forward task 64 x 128 x 196", 64, 128, 196, False),
    ("grad_W1 task 64 x 400 x 128, A^T", 64, 400, 128, True),
    ("grad_x task 64 x 400 x 256", 64, 400, 256, False),
]


def main(argv=None) -> int:
    from numba import config

    from pyneuro.backends.numba import matmul_kernels as mm
    from pyneuro.backends.numba.simd import HAS_16_LANES
    from pyneuro.machine import load_average, machine_info

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--budget", type=float, default=2.0, help="seconds per row, roughly")
    p.add_argument("--out", default=str(RESULTS / "numba_tile"))
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)
    load_start = load_average()
    rows = []
    for label, mc, nc, kc, trans_a in TILES:
        if trans_a:  # rows of A copied as they are, read through the transpose (as _blocked_task)
            a = mm._aligned_empty(kc, mc + mm.PAD).T
        else:
            a = mm._aligned_empty(mc, kc + mm.PAD)
        a[...] = rng.standard_normal(a.shape)
        b = mm._aligned_empty(kc, nc + mm.PAD)
        b[...] = 0.0
        b[:, :nc] = rng.standard_normal((kc, nc))
        c_tile, c_sweeps = mm._aligned_empty(mc, nc + mm.PAD), mm._aligned_empty(mc, nc + mm.PAD)
        mm._register_tile(a, b, c_tile, 0, mc, nc, kc, True)
        mm._tile_update(a, b, c_sweeps, 0, mc, nc, kc, True)
        assert np.array_equal(c_tile[:, :nc], c_sweeps[:, :nc]), label  # the same bits
        r = ratio(
            lambda: mm._register_tile(a, b, c_tile, 0, mc, nc, kc, True),
            lambda: mm._tile_update(a, b, c_sweeps, 0, mc, nc, kc, True),
            args.rounds,
            args.budget,
        )
        flops = 2.0 * mc * nc * kc
        r.update(tile=label, tile_gflops=flops / r["a_s"] / 1e9, sweeps_gflops=flops / r["b_s"] / 1e9)
        rows.append(r)
        print(
            f"{label:36s} register tile {r['tile_gflops']:6.1f} GFLOP/s, sweeps {r['sweeps_gflops']:6.1f}: "
            f"{r['ratio']:.2f}x the time [{r['min']:.2f}-{r['max']:.2f}]",
            flush=True,
        )

    out = Path(args.out)
    record = {
        "machine": machine_info(),
        "has_16_lanes": HAS_16_LANES,
        "load_average": [load_start, load_average()],
    }
    record["numba_target"] = {
        "cpu_name": config.CPU_NAME,
        "cpu_features": config.CPU_FEATURES,
    }  # None: the host
    record["rows"] = rows
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    lines = [
        "# numba matmul: register tile vs sweeps, one task's tile, one thread",
        "",
        machine_line(record["machine"], load_start, record["load_average"][1]),
        f"numba targets AVX-512F (the blocked kernel uses the register tile): {HAS_16_LANES}; "
        f"NUMBA_CPU_NAME {config.CPU_NAME or '(host)'}, NUMBA_CPU_FEATURES {config.CPU_FEATURES or '(host)'}.",
        "",
        "| tile (mc x nc x kc) | register tile GFLOP/s | sweeps GFLOP/s | time ratio tile / sweeps | range |",
        "|---|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['tile']} | {r['tile_gflops']:.1f} | {r['sweeps_gflops']:.1f} | {r['ratio']:.2f}x "
            f"| {r['min']:.2f}-{r['max']:.2f} |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
