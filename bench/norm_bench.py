"""Normalization layers: pyneuro's standardize kernels against its NumPy form and PyTorch.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/norm_bench.py

Three layers in training mode, forward alone and forward + backward (a fixed output
gradient; the input and the affine parameters require grad): BatchNorm2d(32) on
128x32x16x16, LayerNorm(256) on 64x100x256, GroupNorm(4, 100) on 32x100x16x16; and one
training step of a course-style CNN (two blocks of Conv2d 3x3 + BatchNorm2d + ReLU + 2x2
MaxPool, 3->32->64 channels, then Linear 4096->10; batch 128 of 3x32x32; cross-entropy,
SGD with momentum). Three sides, in one process on `threads` threads: pyneuro on the cpu
backend with its standardize_forward / standardize_backward kernels ("kernel"), the same
without them (the entries hidden, so autograd/norm.py runs its NumPy form: "numpy form",
what the tree did before the kernels), and PyTorch on `threads` threads and on one ("torch 1t":
on a shared 2-vCPU machine another process holding one core stalls every barrier of torch's
OpenMP regions, and its 2-thread figures swing 2-20x; the 1-thread one shows what a core
does). Rounds interleave the sides; each figure is the median over rounds of the mean time of
`calls` calls. Writes
bench/results/norm_bench.json and .md with the CPU model and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
ENTRIES = ("standardize_forward", "standardize_backward")
SIDES = ("kernel", "numpy form", "torch", "torch 1t")


@contextlib.contextmanager
def numpy_form(bk):
    """The cpu table without the standardize entries (Standardize falls back to NumPy)."""
    saved = {name: getattr(bk, name) for name in ENTRIES}
    for name in ENTRIES:
        delattr(bk, name)
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(bk, name, fn)


def layers(lib):
    """name -> (module factory, input shape)."""
    nn = lib.nn
    return {
        "BatchNorm2d(32), 128x32x16x16": (lambda: nn.BatchNorm2d(32), (128, 32, 16, 16)),
        "LayerNorm(256), 64x100x256": (lambda: nn.LayerNorm(256), (64, 100, 256)),
        "GroupNorm(4, 100), 32x100x16x16": (lambda: nn.GroupNorm(4, 100), (32, 100, 16, 16)),
    }


def cnn(lib):
    nn = lib.nn

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(*block(3, 32), *block(32, 64), nn.Flatten(), nn.Linear(64 * 8 * 8, 10))


def layer_calls(lib, make, shape, rng):
    x0 = rng.standard_normal(shape).astype(np.float32)
    g0 = rng.standard_normal(shape).astype(np.float32)
    m = make()
    x = lib.tensor(x0, requires_grad=True)
    g = lib.tensor(g0)

    def fwd():
        m(x)

    def fwd_bwd():
        x.grad = None
        m(x).backward(g)

    return fwd, fwd_bwd


def step_call(lib, rng):
    lib.manual_seed(0)
    net = cnn(lib)
    opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = lib.tensor(rng.standard_normal((128, 3, 32, 32)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))

    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    return step


def _mean_ms(f, calls) -> float:
    t = time.perf_counter()
    for _ in range(calls):
        f()
    return (time.perf_counter() - t) / calls * 1e3


def measure(cases, form, torch, rounds: int, threads: int, calls) -> list:
    """The four sides of each case, in turns (the order reversed every other round; round 0 warms
    up): a row per case with each side's median over rounds of the mean of calls(mode, side) calls,
    and its range. cases: (name, mode, {side: fn}); "numpy form" runs inside form() (the kernel
    table with the kernels' entries hidden: numpy_form here, bench/gelu.py's own)."""
    times = {(n, m): {s: [] for s in fns} for n, m, fns in cases}
    for r in range(rounds + 1):
        for name, mode, fns in cases:
            for side in SIDES if r % 2 else SIDES[::-1]:
                torch.set_num_threads(1 if side == "torch 1t" else threads)
                with form() if side == "numpy form" else contextlib.nullcontext():
                    t = _mean_ms(fns[side], calls(mode, side))
                if r:
                    times[(name, mode)][side].append(t)
    rows = []
    for name, mode, _ in cases:
        t = times[(name, mode)]
        row = {"case": name, "mode": mode}
        for side in SIDES:
            row[side + "_ms"] = statistics.median(t[side])
            row[side + "_range_ms"] = [min(t[side]), max(t[side])]
        rows.append(row)
        print(f"{name:34s} {mode:18s} kernel {row['kernel_ms']:7.3f}  numpy form {row['numpy form_ms']:7.3f}  "
              f"torch {row['torch_ms']:7.3f}  torch 1t {row['torch 1t_ms']:7.3f} ms")  # fmt: skip
    return rows


def table_rows(rows) -> list:
    """The Markdown rows of measure()'s rows (the header is the caller's)."""
    lines = []
    for r in rows:
        k, f, t, t1 = (r[s + "_ms"] for s in SIDES)
        rng = {s: "[{:.2f}-{:.2f}]".format(*r[s + "_range_ms"]) for s in SIDES}
        lines.append(
            f"| {r['case']} | {r['mode']} | {k:.3f} {rng['kernel']} | {f:.3f} {rng['numpy form']} | "
            f"{t:.3f} {rng['torch']} | {t1:.3f} {rng['torch 1t']} | {f / k:.2f}x | {k / t:.2f} | {k / t1:.2f} |"
        )
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--out", default=str(RESULTS / "norm_bench"), help="output prefix")
    args = p.parse_args(argv)

    import torch

    import pyneuro as pn
    from pyneuro import backends, machine

    pn.set_backend("cpu")
    bk = backends.get("cpu")
    bk.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    load_before = machine.load_average()
    cases = []  # (name, mode, {side: fn})
    for name, (make_pn, shape) in layers(pn).items():
        make_t = layers(torch)[name][0]
        pf, pfb = layer_calls(pn, make_pn, shape, np.random.default_rng(0))
        tf, tfb = layer_calls(torch, make_t, shape, np.random.default_rng(0))
        cases.append((name, "forward", {"kernel": pf, "numpy form": pf, "torch": tf, "torch 1t": tf}))
        cases.append(
            (name, "forward + backward", {"kernel": pfb, "numpy form": pfb, "torch": tfb, "torch 1t": tfb})
        )
    ps, ts = step_call(pn, np.random.default_rng(1)), step_call(torch, np.random.default_rng(1))
    cases.append(
        (
            "CNN step, batch 128 of 3x32x32",
            "step",
            {"kernel": ps, "numpy form": ps, "torch": ts, "torch 1t": ts},
        )
    )

    steps = max(3, args.calls // 4)
    rows = measure(
        cases, lambda: numpy_form(bk), torch, args.rounds, args.threads,
        lambda mode, side: steps if mode == "step" else args.calls,
    )  # fmt: skip
    info = machine.machine_info()
    record = {
        "cpu": info["cpu"],
        "cpu_id": info.get("cpu_id"),
        "threads": args.threads,
        "rounds": args.rounds,
        "calls": args.calls,
        "load_average": [load_before, machine.load_average()],
        "torch": torch.__version__,
        "rows": rows,
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Normalization layers: the standardize kernels against the NumPy form and PyTorch",
        "",
        f"Machine: {info['cpu']} ({info.get('cpu_id')}), {args.threads} threads; torch {torch.__version__}; "
        f"load average {load_before} before, {record['load_average'][1]} after. Median over {args.rounds} "
        f"interleaved rounds of the mean of {args.calls} calls ({max(3, args.calls // 4)} steps); "
        "[min-max] over rounds.",
        "",
        f"| case | mode | kernel, ms | NumPy form, ms | torch {args.threads}t, ms | torch 1t, ms | "
        "NumPy form / kernel | kernel / torch | kernel / torch 1t |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *table_rows(rows),
    ]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
