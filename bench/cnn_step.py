"""One training step of the classic MNIST ConvNet, pyneuro (C++ backend) against PyTorch CPU.

    PYTHONPATH=$PWD python bench/cnn_step.py [--threads 2] [--rounds 15] [--steps 5] [--profile]

The model is PyTorch's examples/mnist Net: conv 1->32 3x3, ReLU, conv 32->64 3x3, ReLU, 2x2
max-pool, dropout 0.25, flatten, Linear 9216->128, ReLU, dropout 0.5, Linear 128->10,
log_softmax + nll_loss, Adadelta (lr 1.0). One step = forward, loss, zero_grad, backward,
optimizer step, at batch 64. Both sides start from the same weights and see the same batch;
both run on `threads` threads (pyneuro's cpu.set_num_threads, torch.set_num_threads) in this
one process. Rounds alternate: `steps` pyneuro steps, then `steps` torch steps, and so on;
each side's figure is the median of its rounds' mean step time, after warm-up steps; the
ratio is pyneuro / torch (the target is <= 1.0, the goal 0.5).

What each side runs: pyneuro's conv2d is the table's default rung (the C++ `implicit` GEMM
unless --rung says otherwise), its Linear the packed matmul; torch's algorithm is read from
oneDNN's verbose log of one step (e.g. `brgconv:avx512_core` = oneDNN's batch-reduce GEMM
convolution) and from torch.__config__.show().

--profile adds the time spent in each kernel-table entry of pyneuro's step (the rest is the
Python glue: autograd, Tensor ops, the elementwise ops done with NumPy).

The conv ladder table (each rung's GFLOP/s and % of the FMA peak at the ConvNet's two layer
shapes, forward and both backward kernels, and torch's) comes from bench/conv_bench.py.
Writes bench/results/cnn_step.json and cnn_step.md. Timings on a loaded machine are noisy:
the load average is recorded before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import conv_bench

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 64


def pyneuro_net(pn):
    nn, F = pn.nn, pn.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
            self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
            self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv2(F.relu(self.conv1(x))))
            x = self.dropout1(F.max_pool2d(x, 2))
            x = self.dropout2(F.relu(self.fc1(pn.flatten(x, 1))))
            return F.log_softmax(self.fc2(x), dim=1)

    return Net()


def torch_net(torch):
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
            self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
            self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv2(F.relu(self.conv1(x))))
            x = self.dropout1(F.max_pool2d(x, 2))
            x = self.dropout2(F.relu(self.fc1(torch.flatten(x, 1))))
            return F.log_softmax(self.fc2(x), dim=1)

    return Net()


def make_step(model, opt, x, y, F):
    def step():
        loss = F.nll_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


@contextlib.contextmanager
def captured_fd1():
    """Capture what C code writes to file descriptor 1 (oneDNN's verbose log)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        box = []
        try:
            yield box
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            tmp.seek(0)
            box.append(tmp.read().decode(errors="replace"))


def torch_algorithms(torch, step) -> dict:
    """oneDNN's primitives and implementations in one torch step (from its verbose log)."""
    info = {"mkldnn_available": bool(torch.backends.mkldnn.is_available())}
    config = torch.__config__.show()
    info["config"] = [
        ln.strip(" -")
        for ln in config.splitlines()
        if re.search(r"MKL-DNN|oneDNN|OpenMP|CPU capability|Math Kernel", ln) and "Build settings" not in ln
    ]
    seen = {}
    try:
        with captured_fd1() as box, torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
            step()
        for ln in box[0].splitlines():
            parts = ln.split(",")
            if len(parts) > 6 and parts[0].startswith("onednn_verbose") and "exec" in parts:
                i = parts.index("exec")
                prim, impl, kind = parts[i + 2], parts[i + 3], parts[i + 4]
                seen[f"{prim} {kind}"] = impl
    except Exception as exc:  # verbose mode missing in this build
        info["verbose_error"] = f"{type(exc).__name__}: {exc}"
    info["onednn_primitives"] = seen
    return info


def profile_pyneuro(bk, step, steps: int) -> dict:
    """Milliseconds per step spent in each kernel-table entry (wrapped for the duration)."""
    names = [n for n in dir(bk) if not n.startswith("_") and callable(getattr(bk, n)) and n.islower()]
    names = [n for n in names if n not in ("asarray", "to_numpy", "set_num_threads", "get_num_threads")]
    acc = dict.fromkeys(names, 0.0)
    originals = {n: getattr(bk, n) for n in names}

    def timed(name, fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                acc[name] += time.perf_counter() - t0

        return wrapper

    for n in names:
        setattr(bk, n, timed(n, originals[n]))
    try:
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        total = time.perf_counter() - t0
    finally:
        for n in names:
            setattr(bk, n, originals[n])
    rows = {n: 1e3 * t / steps for n, t in sorted(acc.items(), key=lambda kv: -kv[1]) if t > 0}
    rows["(python glue and numpy)"] = 1e3 * total / steps - sum(rows.values())
    return {"step_ms": 1e3 * total / steps, "kernels_ms": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=5, help="steps per round")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rung", default=None, help="pyneuro conv2d rung (default: the table's default)")
    ap.add_argument("--profile", action="store_true", help="time each pyneuro kernel-table entry")
    ap.add_argument("--no-ladder", action="store_true", help="skip the conv ladder table")
    ap.add_argument("--ladder-repeat", type=int, default=5)
    ap.add_argument("--out", default=str(RESULTS / "cnn_step"), help="output prefix for .json/.md")
    args = ap.parse_args(argv)

    import torch

    import pyneuro as pn
    from pyneuro.backends import get
    from pyneuro.machine import machine_info

    bk = get("cpu")
    bk.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rung = args.rung or bk.DEFAULT_VARIANT["conv2d"]
    if args.rung:
        original = bk.conv2d_forward

        def forced(*a, variant=None, **k):
            return original(*a, variant=rung, **k)

        bk.conv2d_forward = forced
    load_before = os.getloadavg()[0]

    pn.manual_seed(0)
    torch.manual_seed(0)
    model, tmodel = pyneuro_net(pn), torch_net(torch)
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
            assert name == tname and p.shape == tuple(tp.shape), (name, tname)
            tp.copy_(torch.from_numpy(p.detach().numpy().copy()))
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    step = make_step(
        model, pn.optim.Adadelta(model.parameters(), lr=1.0), pn.tensor(x), pn.tensor(y), pn.nn.functional
    )
    tstep = make_step(
        tmodel,
        torch.optim.Adadelta(tmodel.parameters(), lr=1.0),
        torch.from_numpy(x),
        torch.from_numpy(y),
        torch.nn.functional,
    )
    # same weights -> the same loss on the first step (dropout masks differ, so compare in eval mode)
    model.eval(), tmodel.eval()
    with pn.no_grad(), torch.no_grad():
        l0 = float(pn.nn.functional.nll_loss(model(pn.tensor(x)), pn.tensor(y)).item())
        t0 = float(torch.nn.functional.nll_loss(tmodel(torch.from_numpy(x)), torch.from_numpy(y)).item())
    assert abs(l0 - t0) < 1e-4 * max(1.0, abs(t0)), (l0, t0)
    model.train(), tmodel.train()

    for _ in range(args.warmup):
        step(), tstep()
    per = {"pyneuro": [], "torch": []}
    for _ in range(args.rounds):
        for name, fn in (("pyneuro", step), ("torch", tstep)):
            t = time.perf_counter()
            for _ in range(args.steps):
                fn()
            per[name].append((time.perf_counter() - t) / args.steps)
    med = {k: statistics.median(v) for k, v in per.items()}
    ratio = med["pyneuro"] / med["torch"]
    print(
        f"step (batch {BATCH}, {args.threads} threads): pyneuro {med['pyneuro'] * 1e3:.1f} ms, "
        f"torch {med['torch'] * 1e3:.1f} ms, ratio {ratio:.2f}",
        file=sys.stderr,
    )
    result = {
        "machine": machine_info(),
        "threads": args.threads,
        "batch": BATCH,
        "rounds": args.rounds,
        "steps_per_round": args.steps,
        "pyneuro_conv_rung": rung,
        "pyneuro_simd": bk.simd_path(),
        "step_ms": {k: v * 1e3 for k, v in med.items()},
        "round_ms": {k: [t * 1e3 for t in v] for k, v in per.items()},
        "ratio_pyneuro_over_torch": ratio,
        "torch": torch.__version__,
        "torch_algorithms": torch_algorithms(torch, tstep),
        "first_loss": {"pyneuro": l0, "torch": t0},
    }
    if args.profile:
        result["pyneuro_profile"] = profile_pyneuro(bk, step, max(3, args.steps))
    if not args.no_ladder:
        result["ladder"] = ladder(bk, torch, args.threads, args.ladder_repeat)
    result["loadavg_before_after"] = [load_before, os.getloadavg()[0]]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    md = markdown(result)
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0


def ladder(bk, torch, threads: int, repeat: int) -> dict:
    """conv_bench's rows (each rung and torch at the ConvNet's two conv layers) and the peak."""
    from pyneuro import _cpu

    peak = _cpu.peak_flops(threads=threads)["gflops"]
    rng = np.random.default_rng(0)
    rows = []
    for layer, (xs, ws) in conv_bench.LAYERS.items():
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        ys = (xs[0], ws[0], xs[2] - ws[2] + 1, xs[3] - ws[3] + 1)
        g = rng.standard_normal(ys).astype(np.float32)
        flops = 2.0 * ys[0] * ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3]
        calls = {r: conv_bench.conv_calls(bk, r, x, w, g) for r in bk.VARIANTS["conv2d"]}
        calls["torch (oneDNN)"] = conv_bench.torch_calls(torch, x, w, g)
        for impl, kernels in calls.items():
            for kernel, fn in kernels.items():
                sec = conv_bench.median_seconds(fn, repeat if impl != "direct" else max(1, repeat // 2))
                gf = flops / sec / 1e9
                rows.append(
                    dict(
                        layer=layer,
                        impl=impl,
                        kernel=kernel,
                        ms=sec * 1e3,
                        gflops=gf,
                        pct_peak=100 * gf / peak,
                    )
                )
    return {"fma_peak_gflops": peak, "rows": rows}


def markdown(r: dict) -> str:
    m = r["machine"]
    ta = r["torch_algorithms"]
    lines = [
        f"# Classic MNIST ConvNet: one training step, pyneuro vs PyTorch (batch {r['batch']}, {r['threads']} threads)",
        "",
        f"CPU: {m['cpu']} ({m['logical_cpus']} logical CPUs, SIMD path {r['pyneuro_simd']}); "
        f"load average {r['loadavg_before_after'][0]:.1f} -> {r['loadavg_before_after'][1]:.1f}; "
        f"pyneuro {m['versions'].get('pyneuro')}, torch {r['torch']}, numpy {m['versions'].get('numpy')}.",
        "",
        "| | step (ms, median of rounds) |",
        "|---|---:|",
        f"| pyneuro (C++ backend, conv rung `{r['pyneuro_conv_rung']}`) | {r['step_ms']['pyneuro']:.1f} |",
        f"| PyTorch CPU | {r['step_ms']['torch']:.1f} |",
        f"| **ratio pyneuro / torch** | **{r['ratio_pyneuro_over_torch']:.2f}** (target <= 1.0, goal 0.5) |",
        "",
        f"{r['rounds']} interleaved rounds of {r['steps_per_round']} steps each; forward, nll_loss, zero_grad, "
        "backward, Adadelta step.",
        "",
        *(
            [
                f"**Provisional**: the machine was loaded (load average up to {max(r['loadavg_before_after']):.1f} "
                f"on {m['logical_cpus']} CPUs) by other jobs; preempted threads stretch every parallel kernel, "
                "so these figures are noisy. Rerun on a quiet machine."
            ]
            if max(r["loadavg_before_after"]) > 0.5 * m["logical_cpus"]
            else []
        ),
        "",
        "Algorithms: pyneuro runs its own kernels (conv2d: the rung above; pooling: the C++ max-pool "
        "kernel; Linear: the packed matmul). "
        f"PyTorch: mkldnn available = {ta['mkldnn_available']}; oneDNN primitives seen in one step: "
        + (
            ", ".join(f"{k} = `{v}`" for k, v in ta["onednn_primitives"].items())
            or "none (native ATen kernels)"
        )
        + ".",
    ]
    if ta.get("config"):
        lines += ["", "torch.__config__.show(): " + "; ".join(ta["config"])]
    if "pyneuro_profile" in r:
        p = r["pyneuro_profile"]
        lines += [
            "",
            f"## pyneuro step profile ({p['step_ms']:.1f} ms per step while wrapped)",
            "",
            "| kernel-table entry | ms per step |",
            "|---|---:|",
        ]
        lines += [f"| {k} | {v:.2f} |" for k, v in p["kernels_ms"].items()]
    if "ladder" in r:
        lad = r["ladder"]
        lines += [
            "",
            f"## conv2d ladder at the ConvNet's layers (batch 64; FMA peak {lad['fma_peak_gflops']:.0f} GFLOP/s "
            f"on {r['threads']} threads)",
            "",
            "| layer | impl | kernel | ms | GFLOP/s | % peak |",
            "|---|---|---|---:|---:|---:|",
        ]
        lines += [
            f"| {x['layer']} | {x['impl']} | {x['kernel']} | {x['ms']:.2f} | {x['gflops']:.1f} | {x['pct_peak']:.0f}% |"
            for x in lad["rows"]
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
