"""GELU: the cpu backend's C++ kernels (csrc/cpu/gelu.cpp) against its NumPy form and PyTorch.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/gelu.py

F.gelu on float32 activations of a transformer's feed-forward block, approximate="none" (erf)
and "tanh", forward alone and forward + backward (a fixed output gradient; the input requires
grad): 8x128x128 and 8x128x1024 (a 1024-wide hidden layer). Four sides, in one process on
`threads` threads: pyneuro on the cpu backend with its gelu_forward / gelu_backward kernels
("kernel"), the same without them (the entries hidden, so autograd/activation.py runs the
NumPy formula of backends/special_xp.py: "numpy form", what the tree did before the kernels),
and PyTorch on `threads` threads and on one ("torch 1t"). Rounds interleave the sides; each
figure is the median over rounds of the mean time of `calls` calls. Writes
bench/results/gelu.json and .md with the CPU model and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

import numpy as np
from norm_bench import measure, table_rows  # bench/ is the script's own folder, so on sys.path

RESULTS = Path(__file__).resolve().parent / "results"
ENTRIES = ("gelu_forward", "gelu_backward")
SHAPES = ((8, 128, 128), (8, 128, 1024))


@contextlib.contextmanager
def numpy_form(bk):
    """The cpu table without the gelu entries (autograd's Gelu falls back to the NumPy formula)."""
    saved = {name: getattr(bk, name) for name in ENTRIES}
    for name in ENTRIES:
        delattr(bk, name)
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(bk, name, fn)


def calls_for(lib, shape, approximate, rng):
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal(shape).astype(np.float32))
    gelu = lib.nn.functional.gelu

    def fwd():
        gelu(x, approximate=approximate)

    def fwd_bwd():
        x.grad = None
        gelu(x, approximate=approximate).backward(g)

    return fwd, fwd_bwd


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=10)
    p.add_argument("--out", default=str(RESULTS / "gelu"), help="output prefix")
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
    for shape in SHAPES:
        for approximate in ("none", "tanh"):
            name = f"{'x'.join(map(str, shape))}, approximate={approximate}"
            pf, pfb = calls_for(pn, shape, approximate, np.random.default_rng(0))
            tf, tfb = calls_for(torch, shape, approximate, np.random.default_rng(0))
            cases.append((name, "forward", {"kernel": pf, "numpy form": pf, "torch": tf, "torch 1t": tf}))
            cases.append(
                (
                    name,
                    "forward + backward",
                    {"kernel": pfb, "numpy form": pfb, "torch": tfb, "torch 1t": tfb},
                )
            )

    rows = measure(
        cases, lambda: numpy_form(bk), torch, args.rounds, args.threads,
        lambda mode, side: max(2, args.calls // 5) if side == "numpy form" else args.calls,
    )  # fmt: skip
    info = machine.machine_info()
    record = {
        "cpu": info["cpu"],
        "cpu_id": info.get("cpu_id"),
        "simd_path": bk.simd_path(),
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
        "# GELU: the C++ kernels against the NumPy form and PyTorch",
        "",
        f"Machine: {info['cpu']} ({info.get('cpu_id')}), {record['simd_path']}, {args.threads} threads; "
        f"torch {torch.__version__}; load average {load_before} before, {record['load_average'][1]} after. "
        f"Median over {args.rounds} interleaved rounds of the mean of {args.calls} calls "
        f"({max(2, args.calls // 5)} for the NumPy form); [min-max] over rounds.",
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
