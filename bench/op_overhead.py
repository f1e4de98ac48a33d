"""Per-op overhead of the small tensor ops a hand-written training loop uses, pyneuro vs PyTorch.

The tensors are a few numbers, so each figure is the Python (and dispatch) cost of one call:
arithmetic with tensors and Python scalars, unary math, sum/mean, indexing, views, cat/stack,
item(), zero_(), requires_grad_(), no_grad() enter/exit, and backward() of a small graph.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=$PWD python bench/op_overhead.py

Both libraries run in this process on one thread each. Every op is timed in short rounds that
alternate the two libraries, spread over several passes through the list, and the record keeps
the best (min) round of each: on a shared machine the minimum is the figure least disturbed by
other work. The ops are written once,
against `lib` (pyneuro or torch), so both run the same code. Writes bench/results/op_overhead.json
and .md with the CPU model.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from course_loops import timed  # bench/ is the script's own folder, so on sys.path
from issue17_targets import machine_line

RESULTS = Path(__file__).resolve().parent / "results"
ROUND_S = 0.0005  # a round's length at most (--number calls, fewer of a slow op): short rounds are seldom interrupted


def ops(lib) -> dict:
    """{name: a function running the op once} for lib (pyneuro or torch)."""
    lib.manual_seed(0)
    a, b = lib.randn(4, 3), lib.randn(4, 3)
    v = lib.randn(3, 1)
    w = lib.zeros(3, 1, requires_grad=True)
    X, y = lib.randn(8, 3), lib.randn(8, 1)
    s = lib.tensor(2.5)
    g = lib.zeros(3, 1, requires_grad=True)
    g.grad = lib.ones(3, 1)
    leaf = lib.randn(3)
    no_grad = lib.no_grad

    def sub_under_no_grad():
        with no_grad():
            w.sub_(0.01 * g.grad)

    def isub_under_no_grad():
        nonlocal w
        with no_grad():
            w -= 0.01 * g.grad

    def forward_backward():
        w2 = w.detach().requires_grad_()
        ((X @ w2 - y) ** 2).mean().backward()

    F = lib.nn.functional
    img = lib.randn(2, 4, 3, 3)

    return {
        "a + b": lambda: a + b,
        "a - b": lambda: a - b,
        "a * b": lambda: a * b,
        "a / b": lambda: a / b,
        "a + 1.0": lambda: a + 1.0,
        "a * 2.0": lambda: a * 2.0,
        "2.0 * a": lambda: 2.0 * a,
        "1.0 - a": lambda: 1.0 - a,
        "a ** 2": lambda: a**2,
        "a @ v": lambda: a @ v,
        "-a": lambda: -a,
        "a.exp()": lambda: a.exp(),
        "torch.exp(a)": lambda: lib.exp(a),
        "a.sum()": lambda: a.sum(),
        "a.mean()": lambda: a.mean(),
        "a.sum(0)": lambda: a.sum(0),
        "a[0]": lambda: a[0],
        "a[:, 1]": lambda: a[:, 1],
        "a.view(12)": lambda: a.view(12),
        "a.reshape(3, 4)": lambda: a.reshape(3, 4),
        "a.unsqueeze(0)": lambda: a.unsqueeze(0),
        "v.squeeze()": lambda: v.squeeze(),
        "a.t()": lambda: a.t(),
        "a.transpose(0, 1)": lambda: a.transpose(0, 1),
        "torch.cat([a, b])": lambda: lib.cat([a, b]),
        "torch.stack([a, b])": lambda: lib.stack([a, b]),
        "s.item()": lambda: s.item(),
        "g.grad.zero_()": lambda: g.grad.zero_(),
        "leaf.requires_grad_()": lambda: leaf.requires_grad_(),
        "with no_grad(): pass": lambda: _enter_exit(no_grad),
        "w.sub_(lr * g) under no_grad": sub_under_no_grad,
        "w -= lr * g under no_grad": isub_under_no_grad,
        "w * 2 (w requires grad)": lambda: w * 2,
        "X @ w (w requires grad)": lambda: X @ w,
        "forward + backward of ((X @ w - y) ** 2).mean()": forward_backward,
        "F.relu(a)": lambda: F.relu(a),
        "F.softmax(a, dim=1)": lambda: F.softmax(a, dim=1),
        "torch.topk(a, 2)": lambda: lib.topk(a, 2),
        "F.layer_norm(a, (3,))": lambda: F.layer_norm(a, (3,)),
        "F.group_norm(img, 2)": lambda: F.group_norm(img, 2),
    }


def _enter_exit(no_grad):
    with no_grad():
        pass


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=80)
    p.add_argument(
        "--number",
        type=int,
        default=200,
        help="calls per round (short rounds: the least disturbed of many is kept)",
    )
    p.add_argument(
        "--passes", type=int, default=4, help="passes over the ops, each taking rounds / passes rounds"
    )
    p.add_argument("--out", default=str(RESULTS / "op_overhead"), help="output prefix")
    p.add_argument("--only", default=None, help="time only the ops whose name contains this text")
    p.add_argument(
        "--before",
        default=None,
        help="a record of this script (its .json) from another pyneuro checkout: its pyneuro times become a column",
    )
    p.add_argument("--before-label", default="an earlier checkout", help="what --before's record measured")
    args = p.parse_args(argv)

    import torch

    import pyneuro as pn
    from pyneuro.machine import load_average, machine_info

    for lib in (pn, torch):
        lib.set_num_threads(1)
    load_start = load_average()
    libs = {"pyneuro": ops(pn), "torch": ops(torch)}
    names = [name for name in libs["pyneuro"] if not args.only or args.only in name]
    times = {name: {lib: [] for lib in libs} for name in names}
    for _ in range(
        args.passes
    ):  # (an op's rounds spread over the run: a busy spell of the machine falls on a part)
        for name in names:
            slowest = max(timed(libs[lib][name], args.number // 10 + 1) for lib in libs)  # (warm-up too)
            number = max(10, min(args.number, int(ROUND_S / slowest)))  # (a round of a slow op: ~ROUND_S)
            for _ in range(max(1, args.rounds // args.passes)):
                for lib in libs:
                    times[name][lib].append(timed(libs[lib][name], number))
    rows = []
    for name in names:
        best = {lib: min(t) * 1e6 for lib, t in times[name].items()}
        rows.append({"op": name, "pyneuro_us": best["pyneuro"], "torch_us": best["torch"]})
        rows[-1]["ratio"] = best["pyneuro"] / best["torch"]
        print(f"{name:40s} pyneuro {best['pyneuro']:7.2f} us  torch {best['torch']:7.2f} us  "
              f"{rows[-1]['ratio']:.2f}x", flush=True)  # fmt: skip
    machine = machine_info()
    record = {
        "machine": machine,
        "load_average": [load_start, load_average()],
        "torch": torch.__version__,
        "backend": pn.backends.backend_name("cpu"),
        "rounds": args.rounds,
        "passes": args.passes,
        "round_s": ROUND_S,
        "number": args.number,
        "rows": rows,
    }
    before = {}
    if args.before:
        before = {r["op"]: r["pyneuro_us"] for r in json.loads(Path(args.before).read_text())["rows"]}
        record["before"] = {"label": args.before_label, "pyneuro_us": before}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    lines = [
        "# Per-op overhead of small tensor ops: pyneuro vs PyTorch (1 thread each)",
        "",
        machine_line(machine, load_start, record["load_average"][1]),
        f"torch {torch.__version__}; best of {args.rounds} alternating rounds ({args.passes} passes over the ops) "
        f"of {args.number} calls "
        f"(fewer of an op slower than {ROUND_S * 1e6 / args.number:.1f} us: rounds of {ROUND_S * 1e3:.1f} ms), "
        "tensors of a few elements (the time is the Python and dispatch cost of one call)."
        + (f" 'pyneuro before': {args.before_label}, timed the same way." if before else ""),
        "",
        "| op | pyneuro us | torch us | pyneuro / torch |" + (" pyneuro before us |" if before else ""),
        "|---|---:|---:|---:|" + ("---:|" if before else ""),
    ]
    for r in rows:
        was = f" {before[r['op']]:.2f} |" if r["op"] in before else " |" if before else ""
        lines.append(
            f"| `{r['op']}` | {r['pyneuro_us']:.2f} | {r['torch_us']:.2f} | {r['ratio']:.2f}x |{was}"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
