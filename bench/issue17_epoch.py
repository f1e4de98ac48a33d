"""Issue 17's epoch, exactly as the issue defines it: pyneuro against PyTorch, interleaved.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/issue17_epoch.py

One Fashion-MNIST epoch (60,000 images), 784-256-10 MLP, batch 128, SGD (lr 0.05, momentum
0.9), public API only: each batch is `pn.from_numpy(X[idx])` from a shuffled index,
`nn.Sequential(Linear, ReLU, Linear)`, `F.cross_entropy`, `zero_grad / backward / step`; the
same loop in torch (`torch.from_numpy(X[idx])`). Both use 2 threads. The two run in turns,
epoch by epoch, after one warm-up epoch each, so the machine's slow and fast moments fall on
both sides alike; the row is the median of the per-pair ratios (bar: <= 0.6x, goal 0.5x).

The batch gather `X[idx]`, `y[idx]` is NumPy's on both sides. Each loop also times it (two
perf_counter calls a batch, ~0.1 us, on both sides), and the record adds the ratio of the epochs
without it: what the two libraries' own code takes, with the shared gather set aside.

bench/e2e_torch.py is the broader grid (its pyneuro side uses the DataLoader); this script is
the one figure the issue names. Writes bench/results/issue17_epoch.json and .md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def _data():
    import pyneuro as pn

    images, labels = pn.datasets.load("fashion-mnist", split="train").tensors
    x = np.ascontiguousarray(images.numpy().reshape(len(images), -1), dtype=np.float32)
    return x, labels.numpy().astype(np.int64)


def _epoch_fn(lib, X, y, batch, seed):
    """A function that runs one epoch of `lib` (pyneuro or torch) and returns its seconds and
    the seconds of those spent in NumPy's batch gather."""
    nn, F, optim = lib.nn, lib.nn.functional, lib.optim
    lib.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(seed)

    def epoch():
        order = rng.permutation(len(X))
        clock = time.perf_counter
        gather = 0.0
        t0 = clock()
        for i in range(0, len(X), batch):
            idx = order[i : i + batch]
            g0 = clock()
            xn, yn = X[idx], y[idx]
            gather += clock() - g0
            xb, yb = lib.from_numpy(xn), lib.from_numpy(yn)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return clock() - t0, gather

    return epoch


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=7, help="timed epoch pairs (default 7)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--out", default=str(RESULTS / "issue17_epoch"), help="output prefix")
    args = p.parse_args(argv)

    import torch

    import pyneuro as pn
    from pyneuro import machine

    torch.set_num_threads(2)
    pn.set_num_threads(2)
    X, y = _data()
    sides = {"pyneuro": _epoch_fn(pn, X, y, args.batch, 0), "torch": _epoch_fn(torch, X, y, args.batch, 0)}
    for run in sides.values():  # warm-up epoch each
        run()
    times = {k: [] for k in sides}
    gathers = {k: [] for k in sides}
    for _ in range(args.pairs):
        for k, run in sides.items():
            time.sleep(0.2)  # let the other library's threads go idle
            seconds, gather = run()
            times[k].append(seconds)
            gathers[k].append(gather)
    ratios = [a / b for a, b in zip(times["pyneuro"], times["torch"])]
    own = {k: [t - g for t, g in zip(times[k], gathers[k])] for k in sides}
    own_ratios = [a / b for a, b in zip(own["pyneuro"], own["torch"])]
    info = machine.machine_info()
    row = {
        "cpu": info["cpu"],
        "cpu_id": info.get("cpu_id"),
        "simd": info.get("simd_path"),
        "load_average": machine.load_average(),
        "torch": torch.__version__,
        "batch": args.batch,
        "pyneuro_s": times["pyneuro"],
        "torch_s": times["torch"],
        "ratio_median": statistics.median(ratios),
        "ratio_range": [min(ratios), max(ratios)],
        "pyneuro_gather_s": gathers["pyneuro"],
        "torch_gather_s": gathers["torch"],
        "ratio_without_gather_median": statistics.median(own_ratios),
        "bar": 0.6,
        "goal": 0.5,
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(row, indent=2) + "\n")
    med = {k: statistics.median(v) for k, v in times.items()}
    md = (
        "# Issue 17's epoch: pyneuro / PyTorch (784-256-10, batch "
        f"{args.batch}, SGD momentum 0.9, Fashion-MNIST)\n\n"
        f"Machine: {info['cpu']} ({info.get('cpu_id')}), 2 threads each; torch {torch.__version__}.\n\n"
        "| pyneuro s (median) | torch s (median) | ratio (median of pairs) | range | bar |\n"
        "|---:|---:|---:|---|---:|\n"
        f"| {med['pyneuro']:.3f} | {med['torch']:.3f} | {row['ratio_median']:.3f} | "
        f"{min(ratios):.3f}-{max(ratios):.3f} | <= 0.6 |\n\n"
        f"NumPy's batch gather (`X[idx]`, `y[idx]`, the same on both sides) took "
        f"{statistics.median(gathers['pyneuro']):.3f} s of pyneuro's epoch and "
        f"{statistics.median(gathers['torch']):.3f} s of torch's; without it the ratio is "
        f"{row['ratio_without_gather_median']:.3f} (median of pairs).\n"
    )
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
