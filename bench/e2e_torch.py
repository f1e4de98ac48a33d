"""End-to-end benchmark: one training epoch of an MLP, pyneuro against PyTorch (CPU).

Both frameworks train the same model from the same initial weights on the same batches in
the same order, in the same process, with the same number of threads; the script checks that
they reach the same test accuracy (so the comparison is of equal work), then reports the
epoch time of each and the ratio pyneuro / PyTorch (lower is better for pyneuro).

Grid (default): Fashion-MNIST (60,000 train images), models 784-256-10 and 784-256-128-10,
batch sizes 64, 128, 256, optimizers SGD (lr 0.05, momentum 0.9) and Adam (lr 1e-3).
``--quick``: 6,000 training images, one model and batch size 128 (a smoke test, ~10 s).

What each side runs per batch (timed: the whole epoch loop, data loading included):
- pyneuro: ``DataLoader(train_set, batch_size, sampler=order)`` (one vectorised gather per
  batch), ``model(x)``, ``F.cross_entropy``, ``zero_grad``, ``backward``, ``step``.
- PyTorch: the fastest idiomatic loop on in-memory tensors (``X[order[i:i+b]]``: torch's own
  DataLoader collates sample by sample and would be several times slower), then the same
  forward / loss / backward / step.

Run it as the benchmark protocol says (NumPy's OpenBLAS with its best kernel, 2 threads):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/e2e_torch.py [--quick]

Writes bench/results/e2e_torch.json (machine, versions, threads, BLAS, every figure) and
bench/results/e2e_torch.md (a table); --quick writes e2e_torch_quick.*; --out PREFIX elsewhere.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
OPTIMIZERS = {"sgd": {"lr": 0.05, "momentum": 0.9}, "adam": {"lr": 1e-3}}
# Same start, same batches: the runs only drift apart through float rounding (summation order
# in the kernels), which over ~1,000 steps can move the final accuracy by a few tenths of a point.
ACCURACY_TOLERANCE = 0.01


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="6,000 images, one model, batch 128")
    p.add_argument(
        "--data", default="fashion-mnist", help="dataset name for pyneuro.datasets (default fashion-mnist)"
    )
    p.add_argument("--threads", type=int, default=2, help="threads for both frameworks (default 2)")
    p.add_argument("--repeats", type=int, default=1, help="epochs timed per framework and config (median)")
    p.add_argument("--models", default=None, help="comma-separated, e.g. 784-256-10,784-256-128-10")
    p.add_argument("--batch-sizes", default=None, help="comma-separated, e.g. 64,128,256")
    p.add_argument("--optimizers", default="sgd,adam")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--backend",
        default=None,
        help="pyneuro CPU backend (cpu, numba, numpy; default: the registry's first usable one); "
        "results of another than the default go to e2e_torch_<backend>",
    )
    p.add_argument(
        "--out",
        default=None,
        help="output path prefix for .json and .md (default bench/results/e2e_torch, or e2e_torch_quick)",
    )
    return p.parse_args(argv)


def machine_info(threads: int) -> dict:
    """pyneuro.machine.machine_info() plus the threads and backends of this comparison."""
    import pyneuro as pn
    from pyneuro import backends
    from pyneuro.machine import machine_info as common

    info = common()
    info.update(
        pyneuro_backend=backends.backend_name("cpu"),
        pyneuro_threads=pn.get_num_threads(),
        threads_requested=threads,
    )
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch_threads"] = None
    return info


# ------------------------------------------------------------------------------ pyneuro side
def pyneuro_model(sizes, seed):
    import pyneuro as pn
    from pyneuro.train import build_model

    pn.manual_seed(seed)
    return build_model(sizes)


def pyneuro_optimizer(model, name):
    from pyneuro import optim

    params = OPTIMIZERS[name]
    if name == "sgd":
        return optim.SGD(model.parameters(), lr=params["lr"], momentum=params["momentum"])
    return optim.Adam(model.parameters(), lr=params["lr"])


def pyneuro_epoch(model, opt, train_set, batch_size, order, max_batches=None) -> float:
    import pyneuro.functional as F
    from pyneuro.data import DataLoader

    loader = DataLoader(train_set, batch_size=batch_size, sampler=order)
    model.train()
    t0 = time.perf_counter()
    for i, (x, y) in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            break
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def pyneuro_accuracy(model, test_set) -> float:
    import pyneuro as pn

    images, labels = test_set.tensors
    model.eval()
    with pn.no_grad():
        pred = model(images).argmax(dim=1).numpy()
    return float((pred == labels.numpy()).mean())


def linear_weights(model):
    """[(weight (out, in), bias (out,)) as NumPy] for every Linear layer, in order."""
    from pyneuro import nn

    return [
        (m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy())
        for m in model.modules()
        if isinstance(m, nn.Linear)
    ]


# ------------------------------------------------------------------------------ PyTorch side
def torch_model(weights):
    import torch

    layers = [torch.nn.Flatten()]
    for i, (w, b) in enumerate(weights):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_optimizer(model, name):
    import torch

    params = OPTIMIZERS[name]
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=params["lr"], momentum=params["momentum"])
    return torch.optim.Adam(model.parameters(), lr=params["lr"])


def torch_epoch(model, opt, x, y, batch_size, order, max_batches=None) -> float:
    import torch
    import torch.nn.functional as TF

    order = torch.from_numpy(order)
    model.train()
    t0 = time.perf_counter()
    for i, start in enumerate(range(0, len(order), batch_size)):
        if max_batches is not None and i >= max_batches:
            break
        index = order[start : start + batch_size]
        loss = TF.cross_entropy(model(x[index]), y[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def torch_accuracy(model, x, y) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).double().mean())


# ------------------------------------------------------------------------------ driver
def run_config(sizes, batch_size, opt_name, data, seed, repeats) -> dict:
    import torch

    train_set, test_set, tx, ty, tx_test, ty_test = data
    n = len(train_set)
    order = np.random.default_rng(seed).permutation(n).astype(np.int64)
    pn_times, torch_times = [], []
    for r in range(repeats):
        model = pyneuro_model(sizes, seed)
        weights = linear_weights(model)
        tmodel = torch_model(weights)
        opt, topt = pyneuro_optimizer(model, opt_name), torch_optimizer(tmodel, opt_name)
        if r % 2 == 0:  # alternate who goes first, so neither always runs on a warmer machine
            pn_times.append(pyneuro_epoch(model, opt, train_set, batch_size, order))
            torch_times.append(torch_epoch(tmodel, topt, tx, ty, batch_size, order))
        else:
            torch_times.append(torch_epoch(tmodel, topt, tx, ty, batch_size, order))
            pn_times.append(pyneuro_epoch(model, opt, train_set, batch_size, order))
    acc_pn = pyneuro_accuracy(model, test_set)
    acc_torch = torch_accuracy(tmodel, tx_test, ty_test)
    final_pn = linear_weights(model)
    max_weight_diff = max(
        float(np.max(np.abs(w - tw.detach().numpy())))
        for (w, _), tw in zip(final_pn, [m.weight for m in tmodel if isinstance(m, torch.nn.Linear)])
    )
    t_pn, t_torch = statistics.median(pn_times), statistics.median(torch_times)
    return {
        "model": "-".join(map(str, sizes)),
        "batch_size": batch_size,
        "optimizer": opt_name,
        "optimizer_args": OPTIMIZERS[opt_name],
        "train_samples": n,
        "steps": -(-n // batch_size),
        "pyneuro_s": t_pn,
        "torch_s": t_torch,
        "ratio": t_pn / t_torch,
        "pyneuro_samples_per_s": n / t_pn,
        "torch_samples_per_s": n / t_torch,
        "pyneuro_times": pn_times,
        "torch_times": torch_times,
        "pyneuro_test_accuracy": acc_pn,
        "torch_test_accuracy": acc_torch,
        "accuracy_gap": abs(acc_pn - acc_torch),
        "max_weight_diff": max_weight_diff,
        "same_accuracy": abs(acc_pn - acc_torch) <= ACCURACY_TOLERANCE,
    }


def load_data(name: str, quick: bool):
    import torch

    from pyneuro import datasets

    xtr, ytr = datasets.load_numpy(name, "train")
    xte, yte = datasets.load_numpy(name, "test")
    if quick:
        xtr, ytr = xtr[:6000], ytr[:6000]
    train_set = datasets.to_tensor_dataset(xtr, ytr)
    test_set = datasets.to_tensor_dataset(xte, yte)
    # PyTorch gets the very same float32 values
    tx = torch.from_numpy(train_set.tensors[0].numpy().copy())
    ty = torch.from_numpy(train_set.tensors[1].numpy().copy())
    tx_test = torch.from_numpy(test_set.tensors[0].numpy().copy())
    ty_test = torch.from_numpy(test_set.tensors[1].numpy().copy())
    return train_set, test_set, tx, ty, tx_test, ty_test


def warm_up(data, seed):
    """A few untimed steps of each framework (first-call costs: allocation, dispatch, caches)."""
    train_set, _, tx, ty, _, _ = data
    order = np.arange(len(train_set), dtype=np.int64)
    for opt_name in OPTIMIZERS:
        model = pyneuro_model([784, 256, 10], seed)
        tmodel = torch_model(linear_weights(model))
        pyneuro_epoch(model, pyneuro_optimizer(model, opt_name), train_set, 128, order, max_batches=20)
        torch_epoch(tmodel, torch_optimizer(tmodel, opt_name), tx, ty, 128, order, max_batches=20)


def to_markdown(result: dict) -> str:
    m = result["machine"]
    env = m["env"]
    lines = [
        f"# One training epoch: pyneuro vs PyTorch ({result['data']}, {result['configs'][0]['train_samples']} images)",
        "",
        f"Machine: {m['cpu']}, {m['logical_cpus']} cores; threads: pyneuro {m['pyneuro_threads']}, torch "
        f"{m.get('torch_threads')}; pyneuro backend `{m['pyneuro_backend']}` (SIMD {m['simd_path']}); "
        f"torch {m['versions'].get('torch')}, numpy {m['versions']['numpy']} (BLAS: {m['blas_summary']}); "
        f"OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}, OPENBLAS_L2_SIZE={env['OPENBLAS_L2_SIZE']}.",
        "",
        "Same initial weights, same batch order; time = median epoch wall time over "
        f"{result['repeats']} run(s); ratio = pyneuro / PyTorch (target <= 0.7).",
        "",
        "| model | batch | optimizer | pyneuro s | torch s | ratio | pyneuro acc | torch acc |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for c in result["configs"]:
        lines.append(
            f"| {c['model']} | {c['batch_size']} | {c['optimizer']} | {c['pyneuro_s']:.3f} | "
            f"{c['torch_s']:.3f} | {c['ratio']:.2f} | {100 * c['pyneuro_test_accuracy']:.2f}% | "
            f"{100 * c['torch_test_accuracy']:.2f}% |"
        )
    load_start, load_end = result.get("load_average_start"), (m.get("load_average") or [None])[0]
    if max(load_start or 0, load_end or 0) > (m["logical_cpus"] or 1):
        lines += [
            "",
            f"**Warning: busy machine** (1-minute load average {load_start} at the start, {load_end} at "
            f"the end, on {m['logical_cpus']} cores): other processes shared the CPU, so these times are noisy; "
            "rerun on a quiet machine before quoting them.",
        ]
    lines += [
        "",
        f"Geometric-mean ratio: {result['geomean_ratio']:.3f}; all accuracies within {100 * ACCURACY_TOLERANCE:g} pp: "
        f"{result['all_same_accuracy']}.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench/e2e_torch.py needs PyTorch (CPU) as the peer: pip install torch", file=sys.stderr)
        return 2
    import pyneuro as pn

    if args.backend:
        pn.set_backend(args.backend)
    torch.set_num_threads(args.threads)
    pn.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass
    models = args.models or ("784-256-128-10" if args.quick else "784-256-10,784-256-128-10")
    batch_sizes = args.batch_sizes or ("128" if args.quick else "64,128,256")
    models = [[int(s) for s in m.split("-")] for m in models.split(",")]
    batch_sizes = [int(b) for b in batch_sizes.split(",")]
    optimizers = [o.strip() for o in args.optimizers.split(",")]

    from pyneuro.machine import load_average

    load_start = (load_average() or [None])[0]
    data = load_data(args.data, args.quick)
    warm_up(data, args.seed)
    configs = []
    for sizes in models:
        for bs in batch_sizes:
            for opt_name in optimizers:
                c = run_config(sizes, bs, opt_name, data, args.seed, args.repeats)
                configs.append(c)
                print(
                    f"{c['model']:>15} batch {bs:>3} {opt_name:<4}: pyneuro {c['pyneuro_s']:7.3f} s, "
                    f"torch {c['torch_s']:7.3f} s, ratio {c['ratio']:.2f}; acc {100 * c['pyneuro_test_accuracy']:.2f}% "
                    f"vs {100 * c['torch_test_accuracy']:.2f}%",
                    flush=True,
                )
    ratios = [c["ratio"] for c in configs]
    result = {
        "benchmark": "e2e_torch",
        "load_average_start": load_start,
        "data": args.data,
        "quick": args.quick,
        "repeats": args.repeats,
        "seed": args.seed,
        "machine": machine_info(args.threads),
        "configs": configs,
        "geomean_ratio": float(np.exp(np.mean(np.log(ratios)))),
        "all_same_accuracy": all(c["same_accuracy"] for c in configs),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    stem = "e2e_torch_quick" if args.quick else "e2e_torch"
    if args.backend and args.backend != "cpu":
        stem += "_" + args.backend
    out = Path(args.out) if args.out else RESULTS / stem
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(to_markdown(result))
    print(
        f"geometric-mean ratio pyneuro/torch {result['geomean_ratio']:.3f}; "
        f"same accuracy everywhere: {result['all_same_accuracy']}; wrote {out}.json and .md"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
