"""Why a training step's Python takes twice as long as the same Python alone: the gaps between
kernel calls, with the kernels run, stubbed, and stubbed but touching memory.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/step_gaps.py

The loop is issue 17's (784-256-10 MLP, batch 128 by default, SGD momentum 0.9, public API, a batch
gathered as `pn.from_numpy(X[idx])` from a shuffled index). Every entry of the backend's
kernel table is wrapped to record when it starts and ends, so a step splits into kernel calls
(the table entry, its argument checks and ~1 us of this wrapper included) and the gaps between them: the Python of
modules, autograd nodes and the optimizer. Modes, in turns of 25 batches after a pause:

  kernels        the real kernels;
  stubbed        each entry returns what its first call returned (no work, no memory touched):
                 the same Python, with warm caches;
  stubbed + N    the same, but each call copies an N KiB array into another (2N KiB of lines
                 through the core's caches, about what a big kernel moves).

If the stubbed gaps grow with N towards the "kernels" column, the Python between kernels is
slow because the kernels evicted its code and data from the core's L2, not because of anything
in the Python itself. Writes bench/results/step_gaps.json and .md with the CPU model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import types
from pathlib import Path

import numpy as np
from issue17_targets import machine_line  # bench/ is the script's own folder, so on sys.path

BLOCK = 25  # batches per mode per turn
TOUCH_KIB = (64, 256, 1024, 2048)


class Recorder:
    """Wraps a kernel table's functions; `events` gets (name, start, end) for each call."""

    def __init__(self, table):
        self.events: list = []
        self.stub_touch: int | None = None  # None: run the kernels; else stub, touching KiB
        self._cache: dict = {}
        self._scratch: dict = {}
        self._orig = {}
        for name in dir(table):
            fn = getattr(table, name)
            if not name.startswith("_") and isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
                self._orig[name] = fn
                setattr(table, name, self._wrap(name, fn))
        self._table = table

    def restore(self):
        for name, fn in self._orig.items():
            setattr(self._table, name, fn)

    def _touch(self, kib):
        if kib not in self._scratch:
            src = np.ones(kib * 256, np.float32)
            self._scratch[kib] = (src, np.empty_like(src))
        src, dst = self._scratch[kib]
        np.copyto(dst, src)

    def _wrap(self, name, fn):
        clock, events = time.perf_counter, self.events

        def timed(*args, **kwargs):
            t0 = clock()  # (the key's ~1 us counts as the call's, not as the gap's)
            key = (name, tuple(getattr(a, "shape", None) for a in args), tuple(sorted(kwargs)))
            if self.stub_touch is not None and key in self._cache:
                out = self._cache[key]
                if self.stub_touch:
                    self._touch(self.stub_touch)
            else:
                out = fn(*args, **kwargs)
                self._cache.setdefault(key, out)
            events.append((name, t0, clock()))
            return out

        return timed


def _loop(backend, X, Y, seed=0):
    """The step as a function of a batch index; returns (step, recorder, samples)."""
    import pyneuro as pn
    import pyneuro.functional as F
    from pyneuro import backends, nn, optim

    pn.set_backend(backend)
    pn.manual_seed(seed)
    rec = Recorder(backends.get(backend))
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    samples: dict = {}
    clock = time.perf_counter

    def mark(label):
        t = clock()
        rec.events.append((label, t, t))

    def step(idx, mode):
        xn, yn = X[idx], Y[idx]
        rec.events.clear()
        mark("start")
        x, y = pn.from_numpy(xn), pn.from_numpy(yn)
        loss = F.cross_entropy(model(x), y)
        mark("|loss")
        opt.zero_grad()
        loss.backward()
        mark("|backward")
        opt.step()
        mark("end")
        ev = rec.events
        into = samples.setdefault(mode, {"gaps": {}, "kernels": {}, "step": []})
        into["step"].append(ev[-1][2] - ev[0][2])
        for j in range(1, len(ev)):
            gap = f"{j:2d} {ev[j - 1][0]} -> {ev[j][0]}"
            into["gaps"].setdefault(gap, []).append(ev[j][1] - ev[j - 1][2])
            if ev[j][2] > ev[j][1]:
                into["kernels"].setdefault(f"{j:2d} {ev[j][0]}", []).append(ev[j][2] - ev[j][1])

    return step, rec, samples


def main(argv=None):
    from pyneuro.machine import load_average, machine_info

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="cpu")
    p.add_argument("--batches", type=int, default=300, help="batches timed per mode (default 300)")
    p.add_argument("--batch-size", type=int, default=128, help="rows per batch (default 128)")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "step_gaps"))
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60000, 784)).astype(np.float32)  # Fashion-MNIST's shape
    Y = rng.integers(0, 10, 60000).astype(np.int64)
    step, rec, samples = _loop(args.backend, X, Y)
    modes = {"kernels": None, "stubbed": 0, **{f"stubbed + {k} KiB": k for k in TOUCH_KIB}}
    order = rng.permutation(60000)
    bs = args.batch_size
    for i in range(20):  # warm-up (numba compiles here); fills the stubs' outputs
        step(order[i * bs : (i + 1) * bs], "warm-up")
    # Batches must be whole: the stubs return the shapes they first saw.
    batches = [order[b * bs : (b + 1) * bs] for b in range(len(order) // bs)]
    load_start = load_average()
    done = 0
    while done < args.batches:
        for mode, touch in modes.items():
            rec.stub_touch = touch
            time.sleep(0.15)  # other threads (NumPy's BLAS pool) go idle
            for b in range(done, min(done + BLOCK, args.batches)):
                step(batches[b % len(batches)], mode)
        done += BLOCK
    rec.restore()

    def med_us(v):
        return statistics.median(v) * 1e6

    result = {
        "machine": machine_info(),
        "backend": args.backend,
        "load_average": {"start": load_start, "end": load_average()},
        "batches": args.batches,
        "batch_size": bs,
        "modes": {
            m: {
                "step_us": med_us(samples[m]["step"]),
                "gaps_us": {g: med_us(v) for g, v in samples[m]["gaps"].items()},
                "kernels_us": {k: med_us(v) for k, v in samples[m]["kernels"].items()},
            }
            for m in modes
        },
    }
    for r in result["modes"].values():
        r["python_us"] = sum(r["gaps_us"].values())
        r["kernel_calls_us"] = sum(r["kernels_us"].values())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    lines = _markdown(result, list(modes))
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def _markdown(result, modes):
    m, res = result["machine"], result["modes"]
    lines = [
        f"# The Python between kernel calls in one training step ({result['backend']} backend)",
        "",
        machine_line(m, result["load_average"]["start"], result["load_average"]["end"]),
        "",
        f"784-256-10 MLP, batch {result['batch_size']}, SGD momentum 0.9; medians of {result['batches']} batches per mode, "
        f"modes in turns of {BLOCK} batches. A gap is the time from the end of one kernel-table call (or "
        "a mark: |loss, |backward) to the start of the next; 'stubbed' returns cached outputs, "
        "'+ N KiB' also copies N KiB per call.",
        "",
        "| gap (us) | " + " | ".join(modes) + " |",
        "|---|" + "---:|" * len(modes),
    ]
    for gap in res[modes[0]]["gaps_us"]:
        lines.append(
            f"| {gap} | "
            + " | ".join(f"{res[md]['gaps_us'].get(gap, float('nan')):.1f}" for md in modes)
            + " |"
        )
    for key, label in (
        ("python_us", "**Python (sum of gaps)**"),
        ("kernel_calls_us", "kernel calls (sum)"),
        ("step_us", "step"),
    ):
        lines.append(f"| {label} | " + " | ".join(f"{res[md][key]:.0f}" for md in modes) + " |")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
