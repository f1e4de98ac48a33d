"""A/B of the packed matmul's choices inside a real training step, in one process.

    PYTHONPATH=$PWD python bench/step_ab.py [--rounds 80] [--batches 20]

On a shared 2-core VM, separate runs of the same code differ by up to 40%, so before/after
figures taken minutes apart say little. Here the settings take turns inside one process,
round by round, on the same model and batches: a 784-256-10 MLP at batch 128 trained with
SGD (momentum 0.9) on Fashion-MNIST-shaped data through the public API. Each setting is a
set of `pyneuro._cpu.matmul_tuning` knobs (empty: the automatic choices); the rows below
switch back one choice of issue 17 at a time:

  auto               every choice as shipped
  one-thread small  problems under 512K multiply-adds per thread run on one thread (the rule
                     on libgomp; 128K since the worker team)
  always pack A      the 128 x 784 batch is packed again before fc1's forward matmul
  fixed blocks       kc = 256, mc = 128 as before (now from the cache sizes)
  fixed shares       each thread computes a fixed half of C (round 3 hands out pieces that
                     a thread whose core runs faster takes from the other's share)

(The other changes of that round -- parallel_for's per-thread chunk groups, the parallel
multi-tensor SGD step, the output pool -- are compiled in and have no run-time switch; their
A/B figures are in the commit messages and docs/DESIGN.md.)

Seven more rows switch back a later change at the Python level (the kernels stay in place):

  gather by NumPy        the batch x[index] by NumPy's fancy indexing (one thread) instead of
                         take_rows (csrc/cpu/gather.cpp, the rows split over the threads)
  batch through Index    the loader gathers each batch tensor as t[index], through the
                         autograd op Index, instead of calling take_rows directly (a dataset
                         tensor needs no gradient)
  bias in a second pass  Linear's forward as matmul, then bias_add, instead of matmul_bias
                         (the bias added to each C tile in the GEMM's epilogue)
  loss reduced by NumPy  F.cross_entropy's mean as per-row losses, then NumPy's sum and a
                         division, and a (rows,) array of dlosses for the backward, instead
                         of cross_entropy_reduced / cross_entropy_backward_scaled (one call
                         each, no NumPy work: in the step NumPy runs with cold caches)
  loss gradient in backward
                         the mean loss in forward (cross_entropy_reduced) and its gradient in
                         backward (cross_entropy_backward_scaled), two calls, instead of both
                         in forward's one call (cross_entropy_reduced_grad)
  ReLU forward pass      nn.Sequential's Linear + ReLU as matmul_bias, then relu_forward over
                         y, instead of matmul_bias_relu (the ReLU in the GEMM's epilogue)
  ReLU backward pass     the second Linear's dx as matmul, then relu_backward, instead of
                         matmul_relu_mask (the ReLU's mask in that GEMM's epilogue)

Writes bench/results/step_ab.json and .md: per setting the median and best step time (us)
over the rounds, with the machine and load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from pathlib import Path

import numpy as np

SETTINGS = {
    "auto": {},
    "one-thread small": {"min_work_per_thread": 512 * 1024},
    "always pack A": {"pack_a": 1},
    "fixed blocks": {"kc": 256, "mc": 128},
    "fixed shares": {"pieces": 0},
}
AUTO = dict(
    kc=0, mc=0, nc=0, pack_a=-1, pack_b=-1, row_threads=0, pieces=-1, prefetch_b=-1, min_work_per_thread=0
)
# The switches that take kernel-table entries away: the autograd layer then runs its fallback.
REMOVED = {
    "bias in a second pass": ("matmul_bias",),  # Linear: matmul + bias_add
    # CrossEntropy: per-row losses, NumPy's sum, a (rows,) dlosses
    "loss reduced by NumPy": (
        "cross_entropy_reduced",
        "cross_entropy_backward_scaled",
        "cross_entropy_reduced_grad",
    ),
    "loss gradient in backward": ("cross_entropy_reduced_grad",),  # the pair, a call each
    "ReLU forward pass": ("matmul_bias_relu",),  # then relu_forward over y
    "ReLU backward pass": ("matmul_relu_mask",),  # then relu_backward over dx
}
SWITCHES = ("gather by NumPy", "batch through Index", *REMOVED)


@contextlib.contextmanager
def switched_back(name: str):
    """Undo one Python-level choice for the duration (see the module docstring)."""
    from pyneuro.autograd import shape
    from pyneuro.backends import cpu_backend

    if name == "gather by NumPy":
        saved = shape._row_gather
        shape._row_gather = lambda bk, a, index: False  # shape.gather: Index's and the loader's
        try:
            yield
        finally:
            shape._row_gather = saved
    elif name == "batch through Index":
        from pyneuro.data import loader

        saved = loader._gather
        loader._gather = lambda tensors, index: [t[index] for t in tensors]
        try:
            yield
        finally:
            loader._gather = saved
    elif name in REMOVED:
        saved = {n: getattr(cpu_backend, n) for n in REMOVED[name]}
        for n in saved:
            delattr(cpu_backend, n)
        try:
            yield
        finally:
            for n, f in saved.items():
                setattr(cpu_backend, n, f)
    else:
        yield


def main(argv=None) -> int:
    import pyneuro as pn
    import pyneuro.functional as F
    from pyneuro import _cpu, nn, optim
    from pyneuro.data import DataLoader, TensorDataset
    from pyneuro.machine import load_average, machine_info

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=80)
    p.add_argument("--batches", type=int, default=20, help="steps per setting per round")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "step_ab"))
    args = p.parse_args(argv)

    pn.set_backend("cpu")
    rng = np.random.default_rng(0)
    data = TensorDataset(
        pn.from_numpy(rng.standard_normal((60000, 784)).astype(np.float32)),
        pn.from_numpy(rng.integers(0, 10, 60000)),
    )
    pn.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    order = rng.permutation(60000)

    loader = DataLoader(data, batch_size=128, sampler=order)
    batches = iter(loader)

    def run(n: int) -> float:
        """Median time of n steps (us), each timed from its batch gather to its update."""
        nonlocal batches
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            try:
                x, y = next(batches)
            except StopIteration:
                batches = iter(loader)
                x, y = next(batches)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1e6

    def run_setting(name: str) -> float:
        if name in SWITCHES:
            with switched_back(name):
                return run(args.batches)
        _cpu.matmul_tuning(**{**AUTO, **SETTINGS[name]})
        try:
            return run(args.batches)
        finally:
            _cpu.matmul_tuning(**AUTO)

    load_start = load_average()
    run(40)  # warm-up
    names = [*SETTINGS, *SWITCHES]
    samples = {name: [] for name in names}
    for r in range(args.rounds):  # short turns, the order reversed every other round
        for name in names if r % 2 == 0 else names[::-1]:
            samples[name].append(run_setting(name))
    auto = samples["auto"]
    ratios = {n: sorted(v / a for v, a in zip(samples[n], auto)) for n in names}
    result = {
        "machine": machine_info(),
        "load_average": {"start": load_start, "end": load_average()},
        "rounds": args.rounds,
        "batches": args.batches,
        "settings": SETTINGS,
        "switches": list(SWITCHES),
        "step_us": {
            n: {
                "median": statistics.median(v),
                "best": min(v),
                "ratio_vs_auto": {
                    "median": statistics.median(ratios[n]),
                    "q1": ratios[n][len(v) // 4],
                    "q3": ratios[n][(3 * len(v)) // 4],
                },
                "all": v,
            }
            for n, v in samples.items()
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    m = result["machine"]
    lines = [
        "# The step's choices, A/B in one training loop (784-256-10 MLP, batch 128, SGD momentum)",
        "",
        f"CPU: {m['cpu']} ({m.get('cpu_id')}), {m['usable_cpus']} CPUs, SIMD {m['simd_path']}; "
        f"load average {load_start} -> {result['load_average']['end']}. {args.rounds} rounds of "
        f"{args.batches} steps per setting, the settings taking turns in one process (the order "
        "reversed every other round). Step: the median of a turn's steps, gather to update; "
        "vs auto: the median over the rounds of (this setting's step / auto's step in the same "
        "round), with its interquartile range: a ratio of neighbouring turns cancels most of the "
        "machine's drift, which moves whole-run medians by up to 40%.",
        "",
        "| setting | knobs | step median (us) | best turn (us) | vs auto (median) | IQR |",
        "|---|---|---:|---:|---:|---|",
    ]
    rows = [(name, f"`{json.dumps(knobs)}`") for name, knobs in SETTINGS.items()]
    rows += [(name, "(Python-level switch)") for name in SWITCHES]
    for name, what in rows:
        s = result["step_us"][name]
        q = s["ratio_vs_auto"]
        lines.append(
            f"| {name} | {what} | {s['median']:.0f} | {s['best']:.0f} | {q['median']:.3f}x "
            f"| {q['q1']:.3f}-{q['q3']:.3f} |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
