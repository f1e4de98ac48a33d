"""GFLOP/s of each conv2d rung of the C++ and numba backends at the MNIST ConvNet's layer shapes, next to torch.

    python bench/conv_bench.py [--threads 2] [--repeat 5] [--out bench/results]

Shapes (batch 64): conv1 1x28x28 -> 32x26x26 (3x3), conv2 32x26x26 -> 64x24x24 (3x3), and the
2x2 max pool 64x24x24 -> 64x12x12. For each rung (C++: direct, im2col, implicit; numba, where it is
installed: numba:direct, numba:channels, numba:im2col) and for torch
(torch.nn.functional.conv2d / aten.convolution_backward, torch.set_num_threads(threads)):
forward, grad input and grad weight, as the median of `repeat` timed calls after one warm-up.
% of peak is against the FMA peak the C++ probe measures on `threads` threads (pyneuro._cpu.peak_flops).
Writes conv_bench.json and conv_bench.md into --out. Timings on a shared, busy machine are noisy:
the load average is recorded with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

LAYERS = {  # name: (x shape, w shape)
    "conv1 1->32 3x3 @28x28": ((64, 1, 28, 28), (32, 1, 3, 3)),
    "conv2 32->64 3x3 @26x26": ((64, 32, 26, 26), (64, 32, 3, 3)),
}
POOL = (64, 64, 24, 24)


def median_seconds(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def conv_calls(cpu, rung, x, w, g) -> dict:
    return {
        "forward": lambda: cpu.conv2d_forward(x, w, None, variant=rung),
        "grad_input": lambda: cpu.conv2d_backward_input(g, w, x.shape, variant=rung),
        "grad_weight": lambda: cpu.conv2d_backward_weight(g, x, w.shape, variant=rung),
    }


def torch_calls(torch, x, w, g) -> dict:
    xt, wt, gt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(g)

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            gt, xt, wt, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1, mask
        )

    return {
        "forward": lambda: torch.nn.functional.conv2d(xt, wt),
        "grad_input": backward([True, False, False]),
        "grad_weight": backward([False, True, False]),
    }


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rungs", default="direct,im2col,implicit")
    ap.add_argument(
        "--numba-rungs", default="direct,channels,im2col", help="numba's rungs to time too ('' for none)"
    )
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = ap.parse_args(argv)

    from pyneuro import _cpu
    from pyneuro.backends import get

    cpu = get("cpu")
    cpu.set_num_threads(args.threads)
    peak = _cpu.peak_flops(threads=args.threads)["gflops"]
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    numba_table = None
    if args.numba_rungs:
        from pyneuro.backends import status

        if status("numba").available:
            numba_table = get("numba")
            numba_table.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    rng = np.random.default_rng(0)
    rows = []
    for layer, (xs, ws) in LAYERS.items():
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        ys = (xs[0], ws[0], xs[2] - ws[2] + 1, xs[3] - ws[3] + 1)
        g = rng.standard_normal(ys).astype(np.float32)
        flops = 2.0 * ys[0] * ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3]
        calls = {rung: conv_calls(cpu, rung, x, w, g) for rung in args.rungs.split(",")}
        if numba_table is not None:
            for rung in filter(None, args.numba_rungs.split(",")):
                calls[f"numba:{rung}"] = conv_calls(numba_table, rung, x, w, g)
        if torch is not None:
            calls["torch"] = torch_calls(torch, x, w, g)
        for impl, kernels in calls.items():
            for kernel, fn in kernels.items():
                slow = impl.endswith("direct")  # the loop rung: seconds a call at conv2
                sec = median_seconds(fn, max(1, args.repeat // 2) if slow else args.repeat)
                rows.append(
                    {
                        "layer": layer,
                        "impl": impl,
                        "kernel": kernel,
                        "ms": sec * 1e3,
                        "gflops": flops / sec / 1e9,
                        "pct_peak": 100 * flops / sec / 1e9 / peak,
                    }
                )
                print(
                    f"{layer:26s} {impl:9s} {kernel:12s} {sec * 1e3:9.2f} ms {flops / sec / 1e9:7.1f} GFLOP/s",
                    file=sys.stderr,
                )
    # max pool 2x2: memory-bound, GB/s (x read once, y and indices written).
    x = rng.standard_normal(POOL).astype(np.float32)
    pool_bytes = x.nbytes * (1 + 1 / 4 + 2 / 4)
    pool_calls = {"cpu": lambda: cpu.max_pool2d_forward(x, 2, 2)}
    if torch is not None:
        xt = torch.from_numpy(x)
        pool_calls["torch"] = lambda: torch.nn.functional.max_pool2d(xt, 2, 2, return_indices=True)
    for impl, fn in pool_calls.items():
        sec = median_seconds(fn, args.repeat)
        rows.append(
            {
                "layer": "maxpool 2x2 64x24x24",
                "impl": impl,
                "kernel": "forward",
                "ms": sec * 1e3,
                "gbs": pool_bytes / sec / 1e9,
            }
        )
    result = {
        "cpu": cpu_model(),
        "threads": args.threads,
        "fma_peak_gflops": peak,
        "simd": cpu.simd_path(),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg()[0],
        "torch": getattr(torch, "__version__", None),
        "rows": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "conv_bench.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        f"# conv2d rungs at the MNIST ConvNet's shapes (batch 64), {args.threads} threads",
        "",
        (
            f"CPU: {result['cpu']}; FMA peak {peak:.0f} GFLOP/s ({args.threads} threads, {result['simd']}); "
            f"load average {load_before:.1f} -> {result['loadavg_after']:.1f}; torch {result['torch']}."
        ),
        "",
        "| layer | impl | kernel | ms | GFLOP/s | % peak |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in rows:
        if "gflops" in r:
            lines.append(
                f"| {r['layer']} | {r['impl']} | {r['kernel']} | {r['ms']:.2f} | {r['gflops']:.1f} | "
                f"{r['pct_peak']:.0f}% |"
            )
        else:
            lines.append(
                f"| {r['layer']} | {r['impl']} | {r['kernel']} | {r['ms']:.2f} | {r['gbs']:.1f} GB/s | |"
            )
    (out / "conv_bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
