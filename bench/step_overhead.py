"""How thin is pyneuro's Python layer? Per-op overhead and one MLP training step vs PyTorch.

Measures, in one process, medians of repeated runs after a warm-up:
  * tiny op:        a + b of two 1-element tensors (pure dispatch overhead),
  * linear batch 1: nn.Linear(784, 256) forward on one sample (no grad),
  * train step:     784-256-10 MLP at batch 128: forward, cross_entropy, backward,
                    SGD(momentum=0.9) step -- pyneuro and PyTorch from identical weights.
pyneuro runs on every usable CPU backend (cpu = C++ kernels, numba, numpy reference).
Each figure interleaves the runtimes round by round (pyneuro[cpu], ..., torch, repeat),
so a busy machine slows all of them alike; medians and best-of are both reported, with
the load average at the start and the end.

Run it as the benchmark protocol says (unset the OpenBLAS overrides, 2 threads):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/step_overhead.py
Writes bench/results/step_overhead.json and .md (--threads N other than 2: step_overhead_Nt.*).
On a busy machine, threaded runs swing with the scheduler: compare the best-of columns and
the load average, and prefer --threads 1 runs for the per-op overhead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

THREADS = 2


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


def setup_pyneuro(backend: str, weights, x_np, y_np):
    """Closures (tiny add, Linear batch-1 forward, train step) running on one backend."""
    import pyneuro as pn
    import pyneuro.functional as F
    from pyneuro import nn, optim

    def use():
        pn.set_backend(backend)

    use()
    a = pn.tensor([1.0])
    b = pn.tensor([2.0])
    lin = nn.Linear(784, 256)
    x1 = pn.randn(1, 784)

    def lin_fwd():
        with pn.no_grad():
            lin(x1)

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

    return use, {"tiny": lambda: a + b, "linear": lin_fwd, "step": step}


def setup_torch(weights, x_np, y_np):
    import torch

    torch.set_num_threads(THREADS)
    a = torch.tensor([1.0])
    b = torch.tensor([2.0])
    lin = torch.nn.Linear(784, 256)
    x1 = torch.randn(1, 784)

    def lin_fwd():
        with torch.no_grad():
            lin(x1)

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

    return (lambda: None), {"tiny": lambda: a + b, "linear": lin_fwd, "step": step}, torch.__version__


def interleaved(runtimes: dict, key: str, repeat: int, number: int, settle: float = 0.0) -> dict:
    """{runtime: (median s, best s)} for closure `key`, alternating runtimes each round."""
    samples = {name: [] for name in runtimes}
    for use, fns in runtimes.values():  # warm-up
        use()
        for _ in range(max(1, number // 4)):
            fns[key]()
    for _ in range(repeat):
        for name, (use, fns) in runtimes.items():
            use()
            fn = fns[key]
            # Let the previous runtime's idle workers (OpenBLAS polls ~0.1 s, OpenMP spins)
            # go to sleep, so that they do not steal a core from this one.
            time.sleep(settle)
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - t0) / number)
    return {name: (statistics.median(v), min(v)) for name, v in samples.items()}


def main(argv=None):
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--fast", action="store_true", help="few iterations (smoke test)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    parser.add_argument("--threads", type=int, default=2, help="threads for pyneuro and torch (default 2)")
    args = parser.parse_args(argv)
    THREADS = args.threads

    try:  # load torch (and its own OpenMP runtime) first, so it starts with its defaults
        import torch  # noqa: F401
    except ImportError:
        pass
    import pyneuro as pn
    from pyneuro import backends

    pn.set_num_threads(THREADS)
    weights = make_weights()
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((128, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, 128).astype(np.int64)

    load_start = os.getloadavg()
    runtimes = {}
    first_loss = {}
    for name in ("cpu", "numba", "numpy"):
        if backends.status(name).available:
            use, fns = setup_pyneuro(name, weights, x_np, y_np)
            runtimes[f"pyneuro[{name}]"] = (use, fns)
    torch_version = None
    try:
        use, fns, torch_version = setup_torch(weights, x_np, y_np)
        runtimes["torch"] = (use, fns)
    except ImportError:
        pass
    for name, (use, fns) in runtimes.items():
        use()
        first_loss[name] = float(fns["step"]().item())
    scale = 0.1 if args.fast else 1.0
    tiny = interleaved(runtimes, "tiny", args.repeat, int(2000 * scale))
    linear = interleaved(runtimes, "linear", args.repeat, int(300 * scale))
    # 50 steps per round: each runtime's idle OpenMP workers spin briefly after its last
    # kernel, so the first step after a switch pays for the other runtime's spinners.
    step = interleaved(runtimes, "step", args.repeat, max(2, int(50 * scale)), settle=0.15)
    results = {
        name: {
            "tiny_add_us": tiny[name][0] * 1e6,
            "tiny_add_best_us": tiny[name][1] * 1e6,
            "linear_b1_us": linear[name][0] * 1e6,
            "linear_b1_best_us": linear[name][1] * 1e6,
            "step_ms": step[name][0] * 1e3,
            "step_best_ms": step[name][1] * 1e3,
            "first_loss": first_loss[name],
        }
        for name in runtimes
    }
    if torch_version:
        results["torch"]["version"] = torch_version
    load_end = os.getloadavg()

    from pyneuro.machine import machine_info

    info = machine_info()
    info.update(
        pyneuro_threads=pn.get_num_threads(),
        torch_threads=THREADS,
        openblas_env_unset="OPENBLAS_CORETYPE" not in os.environ and "OPENBLAS_L2_SIZE" not in os.environ,
        loadavg_start=load_start,
        loadavg_end=load_end,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "step_overhead" if THREADS == 2 else f"step_overhead_{THREADS}t"
    (out / f"{stem}.json").write_text(json.dumps({"info": info, "results": results}, indent=2))

    torch_r = results.get("torch")
    lines = [
        "# pyneuro step overhead vs PyTorch (CPU)",
        "",
        f"{info['cpu']}, {info['logical_cpus']} cores, {THREADS} threads, numpy {info['versions']['numpy']}, "
        f"torch {torch_r['version'] if torch_r else 'n/a'}; medians (best) of {args.repeat} interleaved rounds; "
        f"load average {load_start[0]:.1f} -> {load_end[0]:.1f}.",
        "",
        "| runtime | tiny add (us) | Linear(784,256) b=1 (us) | MLP 784-256-10 step b=128 (ms) | step vs torch | best step vs best torch |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if r is None:
            continue
        ratio = f"{r['step_ms'] / torch_r['step_ms']:.2f}x" if torch_r else "n/a"
        best = f"{r['step_best_ms'] / torch_r['step_best_ms']:.2f}x" if torch_r else "n/a"
        lines.append(
            f"| {name} | {r['tiny_add_us']:.2f} ({r['tiny_add_best_us']:.2f}) | {r['linear_b1_us']:.1f} "
            f"({r['linear_b1_best_us']:.1f}) | {r['step_ms']:.3f} ({r['step_best_ms']:.3f}) | {ratio} | {best} |"
        )
    lines.append("")
    lines.append("step vs torch: pyneuro step time / PyTorch step time (below 1.00x = pyneuro faster).")
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
