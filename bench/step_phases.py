"""Where one training step's time goes: a per-phase profile of the 784-256-10 MLP at batch 128.

Phases, each timed with perf_counter around it inside the real loop (public API only, as
bench/e2e_torch.py's epoch): the batch gather `pn.from_numpy(X[idx])` from a shuffled
index, forward (model(x)), the loss (F.cross_entropy), zero_grad, backward, and the
optimizer step. The step is also timed in its two forms, side by side on the same arrays:
`sgd_step_multi` (all parameters in one kernel call, what optim.SGD uses) and one
`sgd_step` call per parameter (what it did before), so the effect of the multi-tensor
step shows on its own. Every CPU backend runs, in turns of 25 batches (a pause between
turns lets the other library's threads go idle); medians.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/step_phases.py

Writes bench/results/step_phases.json and .md with the CPU model and the load average.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

PHASES = ("gather", "forward", "loss", "zero_grad", "backward", "step")
BLOCK = 25  # batches per backend per turn


def _setup(backend, X, Y, seed=0):
    import pyneuro as pn
    import pyneuro.functional as F
    from pyneuro import nn, optim

    pn.set_backend(backend)
    pn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    times = {k: [] for k in PHASES}

    def batch(idx):
        pn.set_backend(backend)
        t0 = time.perf_counter()
        x = pn.from_numpy(X[idx])
        y = pn.from_numpy(Y[idx])
        t1 = time.perf_counter()
        out = model(x)
        t2 = time.perf_counter()
        loss = F.cross_entropy(out, y)
        t3 = time.perf_counter()
        opt.zero_grad()
        t4 = time.perf_counter()
        loss.backward()
        t5 = time.perf_counter()
        opt.step()
        t6 = time.perf_counter()
        for k, a, b in zip(PHASES, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6)):
            times[k].append(b - a)

    return batch, times, model


def _update_forms(backend, repeat=400):
    """Median seconds of one SGD update of the MLP's four arrays: multi vs per parameter."""
    from pyneuro import backends

    bk = backends.get(backend)
    rng = np.random.default_rng(0)
    shapes = [(256, 784), (256,), (10, 256), (10,)]
    ps = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    gs = [rng.standard_normal(s).astype(np.float32) * 1e-3 for s in shapes]
    bs = [np.zeros(s, np.float32) for s in shapes]

    def multi():
        bk.sgd_step_multi(ps, gs, bs, 1e-3, 0.9)

    def per_param():
        for p, g, b in zip(ps, gs, bs):
            bk.sgd_step(p, g, b, 1e-3, 0.9)

    samples = {"multi": [], "per_param": []}
    for _ in range(repeat):
        for name, fn in (("multi", multi), ("per_param", per_param)):
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in samples.items()}


def main(argv=None):
    from pyneuro import backends
    from pyneuro.machine import load_average, machine_info

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", type=int, default=300, help="batches timed per backend (default 300)")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60000, 784)).astype(np.float32)  # Fashion-MNIST's shape; data do not matter
    Y = rng.integers(0, 10, 60000).astype(np.int64)
    names = [n for n in ("cpu", "numba", "numpy") if backends.status(n).available]
    load_start = load_average()
    runs = {n: _setup(n, X, Y) for n in names}
    order = rng.permutation(60000)
    for n in names:  # warm-up (numba compiles here)
        for i in range(20):
            runs[n][0](order[i * 128 : (i + 1) * 128])
        for k in PHASES:
            runs[n][1][k].clear()
    # Blocks of BLOCK batches per backend, the backends taking turns: batch by batch, NumPy's
    # OpenBLAS threads (the numpy backend) would still be spinning for ~0.1 s when the next
    # backend's step starts and take the second core from it (the cpu backend's matmuls ran
    # at a third of their speed that way). A pause before each block lets the pools go idle.
    done = 0
    while done < args.batches:
        for n in names:
            time.sleep(0.15)
            for b in range(done, min(done + BLOCK, args.batches)):
                runs[n][0](order[(b % 400) * 128 : (b % 400 + 1) * 128])
        done += BLOCK
    result = {
        "machine": machine_info(),
        "load_average": {"start": load_start, "end": load_average()},
        "batches": args.batches,
        "phases_us": {n: {k: statistics.median(runs[n][1][k]) * 1e6 for k in PHASES} for n in names},
        "sgd_update_us": {
            n: {k: v * 1e6 for k, v in _update_forms(n).items()}
            for n in names
            if hasattr(backends.get(n), "sgd_step_multi")
        },
    }
    for n in names:
        result["phases_us"][n]["total"] = sum(result["phases_us"][n][k] for k in PHASES)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "step_phases.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    m = result["machine"]
    lines = [
        "# One training step by phase (784-256-10, batch 128, SGD momentum 0.9)",
        "",
        f"CPU: {m.get('cpu')} ({m.get('usable_cpus')} usable CPUs, SIMD {m.get('simd_path')}); "
        f"load average at start {load_start}, at end {result['load_average']['end']}. "
        f"Medians of {args.batches} batches per backend, in turns of {BLOCK} batches.",
        "",
        "| backend | " + " | ".join(PHASES) + " | total (us) |",
        "|---|" + "---:|" * (len(PHASES) + 1),
    ]
    for n in names:
        ph = result["phases_us"][n]
        lines.append(f"| {n} | " + " | ".join(f"{ph[k]:.0f}" for k in PHASES) + f" | {ph['total']:.0f} |")
    lines += [
        "",
        "SGD update of the four arrays (us, median): one `sgd_step_multi` call vs one `sgd_step` per array",
        "",
    ]
    lines += ["| backend | multi | per parameter |", "|---|---:|---:|"]
    for n, v in result["sgd_update_us"].items():
        lines.append(f"| {n} | {v['multi']:.1f} | {v['per_param']:.1f} |")
    (out / "step_phases.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
