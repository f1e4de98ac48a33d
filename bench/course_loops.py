"""The course's small training loops, pyneuro vs PyTorch: one step of each, where the data is small
enough that the Python between the kernels is the time (units 2-7 of CS 375: linear and logistic
regression on a 100x3 table, an MLP with Adam, gradient descent written by hand, an embedding
bag, BatchNorm in training, an accuracy loop over a DataLoader).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/course_loops.py

Both libraries run in this process on one thread each (the tensors are a few hundred numbers:
a second thread only adds hand-offs). Each row is timed in rounds that alternate the two
libraries (pyneuro, torch, pyneuro, ...), so a busy moment of the machine falls on both; the
record keeps the median and the best round of each. The loops are written once, against `lib`
(pyneuro or torch), so both run the same code. Writes bench/results/course_loops.json and .md
with the CPU model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from issue17_targets import machine_line  # bench/ is the script's own folder, so on sys.path

RESULTS = Path(__file__).resolve().parent / "results"


def loops(lib) -> dict:
    """{name: (what it is, a function running one step)} for lib (pyneuro or torch)."""
    nn, F = lib.nn, lib.nn.functional
    lib.manual_seed(0)
    X, yr = lib.randn(100, 3), lib.randn(100, 1)
    yb, yc = (lib.rand(100, 1) > 0.5).float(), (lib.rand(100) > 0.5).long()

    def sgd_step(model, loss_fn, lr=0.01):
        opt = lib.optim.SGD(model.parameters(), lr=lr)

        def step():
            loss = loss_fn(model)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()

        return step

    lin, logit, logit2 = nn.Linear(3, 1), nn.Linear(3, 1), nn.Linear(3, 1)
    bce_logits = nn.BCEWithLogitsLoss()
    mlp = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2))
    adam = lib.optim.Adam(mlp.parameters())

    def mlp_adam():
        loss = F.cross_entropy(mlp(X), yc)
        adam.zero_grad()
        loss.backward()
        adam.step()
        return loss.item()

    w, b = lib.zeros(3, 1, requires_grad=True), lib.zeros(1, requires_grad=True)

    def by_hand():
        loss = ((X @ w + b - yr) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            w.sub_(0.01 * w.grad)
            b.sub_(0.01 * b.grad)
            w.grad.zero_()
            b.grad.zero_()
        return loss.item()

    emb, head = nn.Embedding(50, 8), nn.Linear(8, 2)
    idx, y5 = lib.randint(0, 50, (32, 5)), lib.randint(0, 2, (32,))
    bn_mlp = nn.Sequential(nn.Linear(3, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))
    data = lib.utils.data.TensorDataset(lib.randn(2048, 20), lib.randint(0, 4, (2048,)))
    loader = lib.utils.data.DataLoader(data, batch_size=256)
    clf = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 4))

    def accuracy():
        correct = 0
        with lib.no_grad():
            for xb, ybatch in loader:
                correct += (clf(xb).argmax(1) == ybatch).sum().item()
        return correct / len(data)

    return {
        "linear regression": ("Linear(3, 1), F.mse_loss, SGD", sgd_step(lin, lambda m: F.mse_loss(m(X), yr))),
        "logistic regression": (
            "Linear(3, 1), torch.sigmoid, F.binary_cross_entropy, SGD",
            sgd_step(logit, lambda m: F.binary_cross_entropy(lib.sigmoid(m(X)), yb)),
        ),
        "logistic regression (logits)": (
            "Linear(3, 1), nn.BCEWithLogitsLoss, SGD",
            sgd_step(logit2, lambda m: bce_logits(m(X), yb)),
        ),
        "MLP + Adam": ("3-16-2 MLP, F.cross_entropy, Adam", mlp_adam),
        "gradient descent by hand": ("((X @ w + b - y) ** 2).mean(), updates under no_grad", by_hand),
        "embedding": (
            "Embedding(50, 8) of 32x5 indices, mean, Linear, cross_entropy, SGD",
            sgd_step(nn.ModuleList([emb, head]), lambda m: F.cross_entropy(head(emb(idx).mean(1)), y5), 0.1),
        ),
        "BatchNorm MLP": (
            "Linear(3, 32), BatchNorm1d, ReLU, Linear, cross_entropy, SGD (training mode)",
            sgd_step(bn_mlp, lambda m: F.cross_entropy(m(X), yc)),
        ),
        "accuracy over a DataLoader": (
            "8 batches of 256, no_grad, argmax == y, .item() (whole loop)",
            accuracy,
        ),
    }


def timed(fn, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--number", type=int, default=100, help="steps per round")
    p.add_argument("--out", default=str(RESULTS / "course_loops"), help="output prefix")
    args = p.parse_args(argv)

    import torch

    import pyneuro as pn
    from pyneuro.machine import load_average, machine_info

    for lib in (pn, torch):
        lib.set_num_threads(1)
    load_start = load_average()
    libs = {"pyneuro": loops(pn), "torch": loops(torch)}
    rows = []
    for name in libs["pyneuro"]:
        times = {lib: [] for lib in libs}
        for lib in libs:  # warm-up: caches, lazy imports, the optimizers' state
            timed(libs[lib][name][1], args.number // 4 + 1)
        for _ in range(args.rounds):
            for lib in libs:
                times[lib].append(timed(libs[lib][name][1], args.number))
        med = {lib: statistics.median(t) for lib, t in times.items()}
        best = {lib: min(t) for lib, t in times.items()}
        rows.append(
            {
                "loop": name,
                "what": libs["pyneuro"][name][0],
                "pyneuro_us": med["pyneuro"] * 1e6,
                "torch_us": med["torch"] * 1e6,
                "pyneuro_best_us": best["pyneuro"] * 1e6,
                "torch_best_us": best["torch"] * 1e6,
                "ratio": med["pyneuro"] / med["torch"],
            }
        )
        print(f"{name:30s} pyneuro {rows[-1]['pyneuro_us']:8.1f} us  torch {rows[-1]['torch_us']:8.1f} us  "
              f"{rows[-1]['ratio']:.2f}x", flush=True)  # fmt: skip
    machine = machine_info()
    record = {
        "machine": machine,
        "load_average": [load_start, load_average()],
        "torch": torch.__version__,
        "rounds": args.rounds,
        "number": args.number,
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    lines = [
        "# The course's small loops: one step, pyneuro vs PyTorch (1 thread each)",
        "",
        machine_line(machine, load_start, record["load_average"][1]),
        f"torch {torch.__version__}; median (best) of {args.rounds} alternating rounds of {args.number} steps.",
        "",
        "| loop | what | pyneuro us | torch us | pyneuro / torch |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['loop']} | {r['what']} | {r['pyneuro_us']:.1f} ({r['pyneuro_best_us']:.1f}) | "
            f"{r['torch_us']:.1f} ({r['torch_best_us']:.1f}) | {r['ratio']:.2f}x |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
