"""Benchmark results: the Report object, its Markdown table, targets and JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

from . import kernels as K

# The targets of the kernel issue, checked against each run (C++ `cpu` backend, default variants).
MATMUL_BIG = ("1024", "2048")
FUSED_SIZES = ("4096x1024", "1024x50000", "128x10", "8192x10")
FUSED_KERNELS = ("softmax_forward", "cross_entropy_forward", "cross_entropy_backward")
LADDER_SIZES = {"matmul": ("256", "512", "1024", "2048"), "softmax_forward": ("4096x1024", "1024x50000")}
# Ladder sizes where a step is only required not to be slower (>= this speed-up), with why.
# The online softmax saves two passes over each row, but a 4 KB row (1024 columns) is still in
# L1 for them: both variants read x from memory once and write y once, so they tie (0.97-1.10x
# on every machine measured). Its rows of 200 KB (1024x50000) leave L1, and there it wins.
LADDER_TIES = {("softmax_forward", "4096x1024"): (0.95, "rows fit L1: both read x once")}


def _fmt_time(s) -> str:
    if s is None or not math.isfinite(s):
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def _fmt(x, digits=1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}" if abs(x) < 1000 else f"{x:.0f}"


def _ratio(x) -> str:
    return "-" if x is None else f"{x:.2f}x"


class Report:
    """Everything one benchmark run measured.

    Attributes:
        data: the JSON-ready dict: machine, versions, threads, blas, env, peak, settings,
            cost_model, results (one dict per kernel x size x implementation), targets.
    Methods: markdown() (the table printed on stdout), to_json(), save(out_dir).
    """

    def __init__(self, data: dict):
        self.data = data
        self.data.setdefault("targets", targets(data["results"], data.get("threads", {})))

    @property
    def results(self) -> list:
        return self.data["results"]

    def find(self, kernel: str, token: str, impl: str) -> dict | None:
        """The record of one kernel, size token and implementation label ("cpu:packed")."""
        return next(
            (r for r in self.results if r["kernel"] == kernel and r["token"] == token and r["impl"] == impl),
            None,
        )

    def to_json(self) -> str:
        return json.dumps(self.data, indent=1, default=_json_default)

    def __repr__(self) -> str:
        return f"<pyneuro.bench.Report: {len(self.results)} results>"

    def save(self, out_dir, name: str = "kernels", plots: bool = True, log=None) -> list:
        """Write NAME.json, NAME.md and (if matplotlib is installed) PNG plots into out_dir."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / f"{name}.json", out / f"{name}.md"]
        made = []
        if plots:
            from . import plots as P

            made, why = P.save_plots(self, out, name)
            if why and log:
                log(why)
        paths[0].write_text(self.to_json() + "\n")
        links = "".join(f"\n![{p.stem}]({p.name})\n" for p in made)
        paths[1].write_text(self.markdown() + ("\n\n## plots\n" + links if links else "") + "\n")
        return paths + made

    # ------------------------------------------------------------------------- markdown
    def header_lines(self) -> list:
        d = self.data
        m, th, pk = d["machine"], d.get("threads", {}), d.get("peak", {})
        lines = [f"# pyneuro kernel benchmark ({d.get('created', '')})", ""]
        lines.append(
            f"- machine: {m.get('cpu')}, {m.get('usable_cpus')} usable of {m.get('logical_cpus')} "
            f"logical CPUs, ISA {' '.join(m.get('isa', [])) or '-'}, pyneuro SIMD path "
            f"{m.get('simd_path', '-')}, {m.get('memory_gib', '?')} GiB"
        )
        s = d.get("settings", {})
        ran = ", ".join(s.get("backends", [])) + (", torch" if s.get("torch") else "")
        not_run = "; ".join(s.get("backends_not_run", {}).values())
        lines.append(f"- implementations: {ran}" + (f" (not run: {not_run})" if not_run else ""))
        names = {
            "pyneuro": "pyneuro C++",
            "numpy_blas": "NumPy BLAS (threadpoolctl)",
            "numba": "Numba",
            "torch": "PyTorch",
        }
        lines.append("- threads: " + ", ".join(f"{names.get(k, k)} {v}" for k, v in th.items()))
        lines.append(f"- NumPy BLAS: {d.get('blas_summary', '-')}")
        env = ", ".join(f"{k}={v}" for k, v in d.get("env", {}).items() if v is not None)
        lines.append(f"- environment: {env or 'no thread or BLAS variables set'}")
        lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in d.get("versions", {}).items()))
        if "fma_gflops" in pk:
            lines.append(
                f"- measured peak: FMA {pk['fma_gflops']:.1f} GFLOP/s ({pk['fma_isa']}, "
                f"{pk['fma_threads']} threads; {pk['fma_gflops_1thread']:.1f} on 1 thread); "
                f"copy {pk['copy_gbs']:.1f} GB/s (C++ memcpy {pk.get('copy_gbs_cpp', float('nan')):.1f}, "
                f"np.copyto {pk['copy_gbs_numpy']:.1f}; read + write of {pk['copy_bytes'] >> 20} MiB)"
            )
        elif pk:
            lines.append(f"- measured peak: copy {pk.get('copy_gbs', 0):.1f} GB/s; {pk.get('fma_note', '')}")
        lines.append(
            f"- timing: median of up to {s.get('repeat')} samples after {s.get('warmup')} warm-up "
            f"calls; the first call is never timed (Numba's JIT compilation is reported separately "
            f"below); at most {s.get('max_time')} s per case; sizes: {s.get('sizes')}"
        )
        lines.append(
            "- % peak: GFLOP/s vs the FMA peak, GB/s vs the copy bandwidth (sizes that fit in "
            "cache can exceed 100%); vs NumPy: NumPy's time / this time (> 1 is faster), same run"
        )
        if s.get("load_average_before"):
            lines.append(
                f"- machine load (1/5/15-min load average) before: {s['load_average_before']}, after: "
                f"{s.get('load_average_after')}; benchmark process niceness {s.get('niceness')}; "
                f"run took {s.get('elapsed_s')} s"
            )
        for w in d.get("warnings", []):
            lines.append(f"- **{w}**")
        return lines

    def summary_lines(self) -> list:
        """One row per kernel and size: each backend's default implementation vs NumPy."""
        impls = list(
            dict.fromkeys(
                r["impl"].split(":")[0] if r["backend"] != "user" else r["impl"]
                for r in self.results
                if r["default"] and r["backend"] != "numpy"
            )
        )
        if not impls:
            return []
        out = [
            "",
            "## summary: default implementations vs NumPy (ratio of medians; > 1 is faster)",
            "",
            "| kernel | size | NumPy | " + " | ".join(impls) + " |",
            "|---|---|---:|" + "---:|" * len(impls),
        ]
        rows: dict = {}
        for r in self.results:
            if r["default"]:
                name = r["impl"] if r["backend"] == "user" else r["impl"].split(":")[0]
                rows.setdefault((r["kernel"], r["size"]), {})[name] = r
        for (kernel, size), by in rows.items():
            ref = by.get("numpy")
            ref_text = f"{_fmt(ref['throughput'])} {ref['unit']}" if ref and ref["status"] == "ok" else "-"
            cells = []
            for name in impls:
                r = by.get(name)
                cells.append(_ratio(r.get("vs_numpy")) if r and r["status"] == "ok" else "-")
            out.append(f"| {kernel} | {size} | {ref_text} | " + " | ".join(cells) + " |")
        return out

    def markdown(self) -> str:
        lines = self.header_lines() + self.summary_lines()
        cost = self.data.get("cost_model", {})
        by_kernel: dict = {}
        for r in self.results:
            by_kernel.setdefault(r["kernel"], []).append(r)
        for kernel, recs in by_kernel.items():
            c = cost.get(kernel, {})
            unit = recs[0]["unit"]
            count = f"FLOPs = {c.get('flops')}" if unit == "GFLOP/s" else f"bytes = {c.get('bytes')}"
            lines += [
                "",
                f"## {kernel} ({unit}; {count})",
                "",
                f"| size | implementation | median | {unit} | % peak | vs NumPy |",
                "|---|---|---:|---:|---:|---:|",
            ]
            for r in recs:
                impl = r["impl"] + (" (default)" if r["default"] and r.get("ladder") else "")
                if r["status"] != "ok":
                    lines.append(f"| {r['size']} | {impl} | {r['status']} | - | - | - |")
                    continue
                lines.append(
                    f"| {r['size']} | {impl} | {_fmt_time(r['median_s'])} | {_fmt(r['throughput'])} | "
                    f"{_fmt(r.get('percent_of_peak'))} | {_ratio(r.get('vs_numpy'))} |"
                )
        lines += self._targets_md() + self._compile_md() + self._notes_md()
        return "\n".join(lines)

    def _targets_md(self) -> list:
        rows = self.data.get("targets", [])
        if not rows:
            return []
        out = [
            "",
            "## targets",
            "",
            "Measured: the ratio of medians (pass/fail uses it); best-of: the ratio of the fastest "
            "samples, which a busy machine disturbs less. Ladders: the smallest step speed-up.",
            "",
            "| target | measured | best-of | required | result |",
            "|---|---:|---:|---:|---|",
        ]
        for t in rows:
            measured = "-" if t["measured"] is None else f"{t['measured']:.2f}x"
            best = "-" if t.get("best_of") is None else f"{t['best_of']:.2f}x"
            out.append(f"| {t['target']} | {measured} | {best} | {t['required']} | {t['result']} |")
        passed = sum(t["result"] == "pass" for t in rows)
        failed = sum(t["result"] == "FAIL" for t in rows)
        out.append(f"\n{passed} pass, {failed} fail, {len(rows) - passed - failed} not measured in this run.")
        return out

    def _compile_md(self) -> list:
        rows = [r for r in self.results if "compile_s" in r]
        if not rows:
            return []
        out = [
            "",
            "## JIT compilation (Numba/user JIT first call; excluded from every timing above)",
            "",
            "| kernel | implementation | first call | of which compilation (first call - median) |",
            "|---|---|---:|---:|",
        ]
        out += [
            f"| {r['kernel']} | {r['impl']} | {_fmt_time(r['first_call_s'])} | {_fmt_time(r['compile_s'])} |"
            for r in rows
        ]
        return out

    def _notes_md(self) -> list:
        rows = [r for r in self.results if r["status"] != "ok"]
        if not rows:
            return []
        out = ["", "## skipped and failed", ""]
        out += [f"- {r['kernel']} {r['size']} {r['impl']}: {r.get('note', r['status'])}" for r in rows]
        return out


def _json_default(obj):
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    return str(obj)


# ----------------------------------------------------------------------------- targets
def _rec(results, kernel, token, backend="cpu", variant=None):
    for r in results:
        if r["kernel"] == kernel and r["token"] == token and r["backend"] == backend:
            if (variant is None and r["default"]) or (variant is not None and r["variant"] == variant):
                return r
    return None


def _target(kernel, name, rec, required, note=""):
    measured = rec.get("vs_numpy") if rec and rec["status"] == "ok" else None
    best = rec.get("vs_numpy_min") if rec and rec["status"] == "ok" else None
    if measured is None:
        result = "n/a"
    else:
        result = "pass" if measured >= required else "FAIL"
    return {
        "kernel": kernel,
        "target": name + (f" ({note})" if note else ""),
        "measured": measured,
        "best_of": best,
        "required": f">= {required:g}x",
        "result": result,
    }


def targets(results: list, threads: dict) -> list:
    """The issue's targets, each measured as a ratio within this run (n/a: not measured)."""
    out = []
    present = {r["kernel"] for r in results}
    n = threads.get("pyneuro")
    thread_note = "" if n == 2 else f"target is for 2 threads; ran on {n}"
    for token in MATMUL_BIG:
        out.append(
            _target(
                "matmul", f"cpu matmul {token}^3 vs NumPy", _rec(results, "matmul", token), 0.9, thread_note
            )
        )
    for token, name in K.MLP_MATMULS.items():
        out.append(
            _target(
                "matmul",
                f"cpu matmul MLP {name} {token.split(':')[0]} vs NumPy",
                _rec(results, "matmul", token),
                1.0,
            )
        )
    for kernel in FUSED_KERNELS:
        for token in FUSED_SIZES:
            out.append(_target(kernel, f"cpu {kernel} {token} vs NumPy", _rec(results, kernel, token), 5.0))
    for r in results:
        if r["kernel"] == "relu_backward" and r["backend"] == "cpu":
            out.append(_target("relu_backward", f"cpu relu_backward {r['token']} vs NumPy", r, 2.0))
    out += ladder_targets(results)
    # only the targets of kernels this run measured (a size it skipped stays as n/a)
    return [t for t in out if t.pop("kernel") in present]


def ladder_targets(results: list) -> list:
    """Each ladder step faster than the one before: measured = slowest step's speed-up."""
    out = []
    for kernel, tokens in LADDER_SIZES.items():
        backends = sorted({r["backend"] for r in results if r["kernel"] == kernel and r.get("ladder")})
        for backend in backends:
            for token in tokens:
                steps = [
                    r
                    for r in results
                    if r["kernel"] == kernel
                    and r["backend"] == backend
                    and r["token"] == token
                    and r.get("ladder")
                ]
                if len(steps) < 2:
                    continue
                names = " < ".join(r["variant"] for r in steps)
                ok = [r for r in steps if r["status"] == "ok"]
                tie = LADDER_TIES.get((kernel, token))
                row = {
                    "kernel": kernel,
                    "target": f"{backend} {kernel} ladder {names} at {token}",
                    "required": f">= {tie[0]:g}x each step ({tie[1]})" if tie else "> 1x each step",
                }
                if len(ok) < len(steps):
                    row.update(measured=None, result="n/a")
                    missing = ", ".join(r["variant"] for r in steps if r["status"] != "ok")
                    row["target"] += f" ({missing} not measured)"
                else:
                    speedups = [a["median_s"] / b["median_s"] for a, b in zip(steps, steps[1:])]
                    best = [
                        a["min_s"] / b["min_s"]
                        for a, b in zip(steps, steps[1:])
                        if "min_s" in a and "min_s" in b
                    ]
                    row.update(
                        measured=min(speedups),
                        best_of=min(best) if best else None,
                        result="pass"
                        if (min(speedups) >= tie[0] if tie else min(speedups) > 1.0)
                        else "FAIL",
                    )
                out.append(row)
    return out
