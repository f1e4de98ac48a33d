"""How thin is pyneuro's Python layer? Per-op overhead and one MLP training step vs PyTorch.

Measures, in one process, medians of repeated runs after a warm-up:
  * tiny op:        a + b of two 1-element tensors (pure dispatch overhead),
  * linear batch 1: nn.Linear(784, 256) forward on one sample (no grad),
  * train step:     784-256-10 MLP at batch 128: forward, cross_entropy, backward,
                    SGD(momentum=0.9) step -- pyneuro and PyTorch from identical weights.
pyneuro runs on every usable CPU backend (cpu = C++ kernels, numba, numpy reference).

Run it as the benchmark protocol says (unset the OpenBLAS overrides, 2 threads):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=. python bench/step_overhead.py
Writes bench/results/step_overhead.json and bench/results/step_overhead.md.
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

THREADS = 2


def median_time(fn, repeat: int, number: int) -> float:
    """Median seconds per call over `repeat` runs of `number` calls (after one warm-up run)."""
    for _ in range(number):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def blas_info() -> list:
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "filepath")}
            for d in threadpool_info()
        ]
    except Exception as exc:  # pragma: no cover
        return [{"error": str(exc)}]


def make_weights(seed=0):
    rng = np.random.default_rng(seed)
    b1 = 1 / np.sqrt(784)
    b2 = 1 / np.sqrt(256)
    return {
        "w1": rng.uniform(-b1, b1, (256, 784)).astype(np.float32),
        "b1": rng.uniform(-b1, b1, (256,)).astype(np.float32),
        "w2": rng.uniform(-b2, b2, (10, 256)).astype(np.float32),
        "b2": rng.uniform(-b2, b2, (10,)).astype(np.float32),
    }


def bench_pyneuro(backend: str, weights, x_np, y_np, repeat, fast):
    import pyneuro as pn
    import pyneuro.functional as F
    from pyneuro import nn, optim

    pn.set_backend(backend)
    a = pn.tensor([1.0])
    b = pn.tensor([2.0])
    tiny = median_time(lambda: a + b, repeat, 2000 if not fast else 200)

    lin = nn.Linear(784, 256)
    x1 = pn.randn(1, 784)

    def lin_fwd():
        with pn.no_grad():
            lin(x1)

    linear1 = median_time(lin_fwd, repeat, 500 if not fast else 50)

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    with pn.no_grad():
        model[0].weight.copy_(pn.from_numpy(weights["w1"]))
        model[0].bias.copy_(pn.from_numpy(weights["b1"]))
        model[2].weight.copy_(pn.from_numpy(weights["w2"]))
        model[2].bias.copy_(pn.from_numpy(weights["b2"]))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = pn.from_numpy(x_np)
    y = pn.from_numpy(y_np)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    first_loss = step().item()
    train = median_time(step, repeat, 20 if not fast else 3)
    return {"tiny_add_us": tiny * 1e6, "linear_b1_us": linear1 * 1e6, "step_ms": train * 1e3, "first_loss": first_loss}


def bench_torch(weights, x_np, y_np, repeat, fast):
    import torch

    torch.set_num_threads(THREADS)
    a = torch.tensor([1.0])
    b = torch.tensor([2.0])
    tiny = median_time(lambda: a + b, repeat, 2000 if not fast else 200)
    lin = torch.nn.Linear(784, 256)
    x1 = torch.randn(1, 784)

    def lin_fwd():
        with torch.no_grad():
            lin(x1)

    linear1 = median_time(lin_fwd, repeat, 500 if not fast else 50)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(weights["w1"]))
        model[0].bias.copy_(torch.from_numpy(weights["b1"]))
        model[2].weight.copy_(torch.from_numpy(weights["w2"]))
        model[2].bias.copy_(torch.from_numpy(weights["b2"]))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.from_numpy(x_np)
    y = torch.from_numpy(y_np)

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    first_loss = step().item()
    train = median_time(step, repeat, 20 if not fast else 3)
    return {
        "tiny_add_us": tiny * 1e6,
        "linear_b1_us": linear1 * 1e6,
        "step_ms": train * 1e3,
        "first_loss": first_loss,
        "version": torch.__version__,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--fast", action="store_true", help="few iterations (smoke test)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = parser.parse_args(argv)

    import pyneuro as pn
    from pyneuro import backends

    pn.set_num_threads(THREADS)
    weights = make_weights()
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((128, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, 128).astype(np.int64)

    results = {}
    for name in ("cpu", "numba", "numpy"):
        if backends.status(name).available:
            results[f"pyneuro[{name}]"] = bench_pyneuro(name, weights, x_np, y_np, args.repeat, args.fast)
    try:
        results["torch"] = bench_torch(weights, x_np, y_np, args.repeat, args.fast)
    except ImportError:
        results["torch"] = None

    info = {
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pyneuro_threads": pn.get_num_threads(),
        "torch_threads": THREADS,
        "blas": blas_info(),
        "openblas_env_unset": "OPENBLAS_CORETYPE" not in os.environ and "OPENBLAS_L2_SIZE" not in os.environ,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "step_overhead.json").write_text(json.dumps({"info": info, "results": results}, indent=2))

    torch_r = results.get("torch")
    lines = [
        "# pyneuro step overhead vs PyTorch (CPU)",
        "",
        f"{info['cpu_count']} cores, {THREADS} threads, numpy {info['numpy']}, "
        f"torch {torch_r['version'] if torch_r else 'n/a'}; medians of {args.repeat} runs.",
        "",
        "| runtime | tiny add (us) | Linear(784,256) b=1 (us) | MLP 784-256-10 step b=128 (ms) | step vs torch |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if r is None:
            continue
        ratio = f"{r['step_ms'] / torch_r['step_ms']:.2f}x" if torch_r else "n/a"
        lines.append(f"| {name} | {r['tiny_add_us']:.2f} | {r['linear_b1_us']:.2f} | {r['step_ms']:.3f} | {ratio} |")
    lines.append("")
    lines.append("step vs torch: pyneuro step time / PyTorch step time (below 1.00x = pyneuro faster).")
    (out / "step_overhead.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
