"""PNG plots of a Report (matplotlib, optional): throughput vs size, and the ladders as bars.

    NAME_throughput.png  one panel per kernel: GFLOP/s or GB/s per size, one line per
                         implementation (log scale)
    NAME_ladders.png     the matmul and softmax ladders (and their peers) as bars at the
                         sizes of the targets
Small on purpose (72 dpi): they are committed under bench/results/.
"""

from __future__ import annotations

import math
from pathlib import Path

LADDER_AT = {
    "matmul": ("1024", "512", "256"),
    "softmax_forward": ("4096x1024", "1024x50000", "128x10"),
    "cross_entropy_forward": ("4096x1024", "128x10"),
}


def save_plots(report, out_dir: Path, name: str):
    """Write the PNGs; returns (paths, None) or ([], why) when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return (
            [],
            "no plots: matplotlib is not installed (pip install matplotlib, or pip install 'pyneuro-edu[plot]')",
        )
    paths = []
    path = _throughput(plt, report, out_dir / f"{name}_throughput.png")
    if path:
        paths.append(path)
    path = _ladders(plt, report, out_dir / f"{name}_ladders.png")
    if path:
        paths.append(path)
    return paths, None


def _by_kernel(results):
    out: dict = {}
    for r in results:
        out.setdefault(r["kernel"], []).append(r)
    return out


def _throughput(plt, report, path):
    groups = {k: v for k, v in _by_kernel(report.results).items() if any(r["status"] == "ok" for r in v)}
    if not groups:
        return None
    cols = min(3, len(groups))
    rows = math.ceil(len(groups) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), squeeze=False)
    for ax, (kernel, recs) in zip(axes.flat, groups.items()):
        # x axis: sizes in order of work (FLOPs or bytes), so the lines read left to right
        work = {r["token"]: (r["flops"] if r["unit"] == "GFLOP/s" else r["bytes"]) for r in recs}
        sizes = sorted(work, key=work.get)
        for impl in dict.fromkeys(r["impl"] for r in recs):
            pts = sorted(
                (sizes.index(r["token"]), r["throughput"])
                for r in recs
                if r["impl"] == impl and r["status"] == "ok"
            )
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker="o", ms=3, lw=1.2, label=impl)
        ax.set_title(kernel, fontsize=9)
        ax.set_yscale("log")
        ax.set_ylabel(recs[0]["unit"], fontsize=8)
        ax.set_xticks(range(len(sizes)))
        ax.set_xticklabels([s.split(":")[0] for s in sizes], rotation=35, ha="right", fontsize=6)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=5.5, loc="best")
    for ax in list(axes.flat)[len(groups) :]:
        ax.axis("off")
    fig.suptitle(_subtitle(report), fontsize=8)
    # fixed margins: tight_layout measures every tick label and costs seconds here
    fig.subplots_adjust(
        left=0.07, right=0.98, top=1 - 0.35 / rows, bottom=0.55 / (2.9 * rows), hspace=0.55, wspace=0.25
    )
    _save(fig, path)
    plt.close(fig)
    return path


def _ladders(plt, report, path):
    panels = []
    for kernel, preferred in LADDER_AT.items():
        measured = list(dict.fromkeys(r["token"] for r in report.results if r["kernel"] == kernel))
        for token in [t for t in preferred if t in measured] + measured[::-1]:  # else the largest
            recs = [
                r
                for r in report.results
                if r["kernel"] == kernel and r["token"] == token and r["status"] == "ok"
            ]
            if len(recs) >= 2:
                panels.append((kernel, token, recs))
                break
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.2), squeeze=False)
    for ax, (kernel, _token, recs) in zip(axes.flat, panels):
        labels = [r["impl"] for r in recs]
        values = [r["throughput"] for r in recs]
        colors = [
            "#888888"
            if r["backend"] in ("numpy", "torch")
            else "#1f77b4"
            if r["backend"] == "cpu"
            else "#2ca02c"
            for r in recs
        ]
        bars = ax.bar(range(len(recs)), values, color=colors)
        for bar, r in zip(bars, recs):
            if r.get("vs_numpy"):
                ax.annotate(
                    f"{r['vs_numpy']:.2g}x",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=6,
                )
        peak = report.data.get("peak", {}).get("fma_gflops" if recs[0]["unit"] == "GFLOP/s" else "copy_gbs")
        if peak:
            ax.axhline(peak, ls="--", lw=0.8, color="k")
            ax.annotate(
                "measured peak" if recs[0]["unit"] == "GFLOP/s" else "copy bandwidth",
                (0, peak),
                xytext=(0, 2),
                textcoords="offset points",
                fontsize=6,
            )
        ax.set_xticks(range(len(recs)))
        ax.set_xticklabels(labels, rotation=35, ha="right", fontsize=7)
        ax.set_ylabel(recs[0]["unit"], fontsize=8)
        ax.set_title(f"{kernel} {recs[0]['size']} (x = vs NumPy)", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(_subtitle(report), fontsize=8)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.86, bottom=0.3, wspace=0.25)
    _save(fig, path)
    plt.close(fig)
    return path


def _save(fig, path) -> None:
    """72 dpi, palette-quantised when Pillow is there: small files for the repository."""
    fig.savefig(path, dpi=72)
    try:
        from PIL import Image

        with Image.open(path) as img:
            small = img.convert("RGB").quantize(colors=64)
        small.save(path, optimize=True)
    except Exception:  # Pillow missing or an odd backend: keep the plain PNG
        pass


def _subtitle(report) -> str:
    d = report.data
    return f"{d['machine'].get('cpu')}, {d.get('threads', {}).get('pyneuro', '?')} threads, {d.get('created', '')}"
