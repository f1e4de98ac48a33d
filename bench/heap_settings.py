"""Training steps with glibc's heap as pyneuro sets it (pyneuro/_heap.py) and as glibc leaves it.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/heap_settings.py

mallopt can only be set once per process, so each measurement is a fresh process: the same
step timed with PYNEURO_MALLOC=default (glibc's own settings) and without (pyneuro's), the two
alternating, `--runs` times each; the median of the runs is reported. Workloads: issue 17's
MLP step (kernel-bound), a small CNN, an LSTM, a 2-layer Transformer encoder, and a
physics-informed net's create_graph step (many small NumPy ops). Writes
bench/results/heap_settings.json and .md with the CPU model.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]

# One training step per workload; `step()` is timed `n` times after 10 warm-up steps.
WORKLOAD = r"""
import sys, time, numpy as np
import pyneuro as fw
nn, F = fw.nn, fw.nn.functional
fw.manual_seed(0)
rng = np.random.default_rng(0)
name, n = sys.argv[1], int(sys.argv[2])
def r(*s):
    return fw.tensor(rng.standard_normal(s).astype(np.float32))
if name == "mlp 784-256-10, batch 128":
    m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt, X, y = fw.optim.SGD(m.parameters(), lr=0.05, momentum=0.9), r(128, 784), fw.tensor(rng.integers(0, 10, 128))
    loss = lambda: F.cross_entropy(m(X), y)
elif name == "cnn 2 convs, batch 64":
    m = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                      nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 49, 10))
    opt, X, y = fw.optim.Adam(m.parameters()), r(64, 1, 28, 28), fw.tensor(rng.integers(0, 10, 64))
    loss = lambda: F.cross_entropy(m(X), y)
elif name == "lstm 32->64, 20 steps, batch 32":
    m, head = nn.LSTM(32, 64, batch_first=True), nn.Linear(64, 5)
    opt, X, y = fw.optim.Adam(list(m.parameters()) + list(head.parameters())), r(32, 20, 32), fw.tensor(rng.integers(0, 5, 32))
    loss = lambda: F.cross_entropy(head(m(X)[0][:, -1]), y)
elif name == "transformer encoder 2x64, batch 16x32":
    m = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, dropout=0.0), 2)
    opt, X = fw.optim.Adam(m.parameters()), r(16, 32, 64)
    loss = lambda: (m(X) ** 2).mean()
else:  # a physics-informed net: u_xx by two create_graph gradients
    m = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
    opt, x0 = fw.optim.Adam(m.parameters(), lr=1e-3), fw.linspace(0, 3, 256).reshape(-1, 1)
    def loss():
        x = x0.clone().requires_grad_(True)
        u = m(x)
        (ux,) = fw.autograd.grad(u, x, fw.ones_like(u), create_graph=True)
        (uxx,) = fw.autograd.grad(ux, x, fw.ones_like(ux), create_graph=True)
        return ((uxx + fw.sin(x)) ** 2).mean()
def step():
    opt.zero_grad()
    loss().backward()
    opt.step()
for _ in range(10):
    step()
t = time.perf_counter()
for _ in range(n):
    step()
print((time.perf_counter() - t) / n * 1e3)
"""
NAMES = [
    "mlp 784-256-10, batch 128",
    "cnn 2 convs, batch 64",
    "lstm 32->64, 20 steps, batch 32",
    "transformer encoder 2x64, batch 16x32",
    "pinn u_xx, 256 points, width 64",
]


def _time(name: str, steps: int, pyneuro_heap: bool) -> float:
    env = dict(os.environ)
    env.pop("PYNEURO_MALLOC", None)
    if not pyneuro_heap:
        env["PYNEURO_MALLOC"] = "default"
    out = subprocess.run(
        [sys.executable, "-c", WORKLOAD, name, str(steps)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3, help="processes per setting and workload (default 3)")
    p.add_argument("--steps", type=int, default=100, help="timed steps per process (default 100)")
    p.add_argument("--out", default=str(RESULTS / "heap_settings"), help="output prefix")
    args = p.parse_args(argv)

    from pyneuro import _heap, machine

    rows = []
    for name in NAMES:
        glibc, ours = [], []
        for _ in range(args.runs):
            glibc.append(_time(name, args.steps, False))
            ours.append(_time(name, args.steps, True))
        rows.append(
            {
                "workload": name,
                "glibc_ms": glibc,
                "pyneuro_ms": ours,
                "speedup": statistics.median(glibc) / statistics.median(ours),
            }
        )
        print(
            f"{name:40s} glibc {statistics.median(glibc):6.2f} ms  pyneuro {statistics.median(ours):6.2f} ms"
        )
    info = machine.machine_info()
    record = {
        "cpu": info["cpu"],
        "cpu_id": info.get("cpu_id"),
        "load_average": machine.load_average(),
        "heap_state_here": _heap.state,
        "settings": {"M_MMAP_THRESHOLD": 32 << 20, "M_TRIM_THRESHOLD": 64 << 20, "M_TOP_PAD": 4 << 20},
        "runs": args.runs,
        "steps": args.steps,
        "rows": rows,
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# One training step with glibc's heap settings and with pyneuro's (pyneuro/_heap.py)",
        "",
        f"Machine: {info['cpu']} ({info.get('cpu_id')}); median of {args.runs} processes per cell, "
        f"{args.steps} steps each; the settings alternate.",
        "",
        "| step | glibc's settings, ms | pyneuro's, ms | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['workload']} | {statistics.median(row['glibc_ms']):.2f} | "
            f"{statistics.median(row['pyneuro_ms']):.2f} | {row['speedup']:.2f}x |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
