"""What the profiler shows: averages per name (`key_averages().table()`) and a Chrome trace.

key_averages()     one row per name (kernel "cpu::matmul", op "LinearBackward0", transfer):
                   calls, total and self time, FLOPs and bytes, hence GFLOP/s and GB/s
.table(sort_by=)   those rows as text, like torch.profiler's table, with "% peak": a
                   compute-bound kernel's GFLOP/s over the measured FMA peak, a memory-bound
                   one's GB/s over the measured copy bandwidth (see costs.py)
chrome_trace()     Trace Event Format JSON (chrome://tracing, https://ui.perfetto.dev):
                   one "X" event per op/kernel/transfer, nested by time on its thread, and
                   "phase" spans for each stretch of forward and of backward work
"""

from __future__ import annotations

import os
from dataclasses import dataclass

SORT_KEYS = (
    "cpu_time_total",
    "self_cpu_time_total",
    "cpu_time",
    "count",
    "flops",
    "bytes",
    "gflops",
    "gbs",
    "cpu_memory_usage",
    "self_cpu_memory_usage",
    "device_time_total",
    "self_device_time_total",
    "cuda_time_total",
    "self_cuda_time_total",
)


@dataclass
class FunctionEventAvg:
    """The events of one key (name, and shapes with group_by_input_shape) added up."""

    key: str
    cat: str
    count: int = 0
    total_ns: int = 0
    self_ns: int = 0
    flops: int = 0
    bytes: int = 0
    bound: str = ""
    device: str = "cpu"
    input_shapes: tuple = ()
    cpu_memory_usage: int = 0  # bytes allocated inside (profile_memory): the op's outputs, and nested ops'
    self_cpu_memory_usage: int = 0  # bytes of the op's own outputs
    top_level: bool = False  # some event of this key ran outside any other

    @property
    def on_device(self) -> bool:
        return self.cat == "kernel" and self.device != "cpu"

    @property
    def device_time_total(self) -> float:
        """Microseconds on the GPU: a device kernel's time (0 for host work)."""
        return self.total_ns / 1e3 if self.on_device else 0.0

    @property
    def self_device_time_total(self) -> float:
        return self.self_ns / 1e3 if self.on_device else 0.0

    cuda_time_total = device_time_total
    self_cuda_time_total = self_device_time_total

    # torch.profiler's names (microseconds)
    @property
    def cpu_time_total(self) -> float:
        return self.total_ns / 1e3

    @property
    def self_cpu_time_total(self) -> float:
        return self.self_ns / 1e3

    @property
    def cpu_time(self) -> float:
        return self.total_ns / 1e3 / self.count if self.count else 0.0

    @property
    def gflops(self) -> float:
        """FLOPs per nanosecond = GFLOP/s (0 for events that do no arithmetic)."""
        return self.flops / self.total_ns if self.total_ns else 0.0

    @property
    def gbs(self) -> float:
        return self.bytes / self.total_ns if self.total_ns else 0.0

    def percent_of_peak(self, peaks: dict | None) -> float | None:
        """GFLOP/s over the FMA peak (compute-bound kernels) or GB/s over the copy bandwidth
        (memory-bound ones); None for ops, transfers, GPU kernels, or without peaks."""
        if self.cat != "kernel" or self.device != "cpu" or not peaks:
            return None
        if self.bound == "compute":
            peak, rate = peaks.get("fma_gflops"), self.gflops
        else:
            peak, rate = peaks.get("copy_gbs"), self.gbs
        return 100.0 * rate / peak if peak else None


class EventList(list):
    """A list of FunctionEventAvg with `table()` (what key_averages returns)."""

    def __init__(self, rows, wall_ns: int, peaks_fn, profile_memory: bool = False):
        super().__init__(rows)
        self.wall_ns = wall_ns
        self._peaks_fn = peaks_fn
        self.profile_memory = profile_memory

    def table(
        self,
        sort_by: str | None = "cpu_time_total",
        row_limit: int = 100,
        peaks: dict | None = None,
        max_name_column_width: int = 55,
        header: str | None = None,
        top_level_events_only: bool = False,
        **_,
    ) -> str:
        """The rows as a text table, largest `sort_by` first (torch's names: cpu_time_total,
        self_cpu_time_total, cpu_time (the mean), count, cpu_memory_usage,
        self_cpu_memory_usage, device_time_total; and flops, bytes, gflops, gbs).

        peaks: {"fma_gflops": ..., "copy_gbs": ...}; by default measured on first use and
        cached for the process (pyneuro.profiler.machine_peaks). torch's other layout
        arguments (max_src_column_width, ...) are accepted and have nothing to change."""
        sort_by = sort_by or "cpu_time_total"
        if sort_by not in SORT_KEYS:
            raise ValueError(f"sort_by must be one of {', '.join(SORT_KEYS)}; got {sort_by!r}")
        if peaks is None and any(r.cat == "kernel" and r.device == "cpu" for r in self):
            peaks = self._peaks_fn()
        rows = [r for r in self if r.top_level or not top_level_events_only]
        rows = sorted(rows, key=lambda r: getattr(r, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        wall = self.wall_ns or 1
        head = ("Name", "Cat", "Calls", "Total", "Mean", "% total", "Self", "GFLOP/s", "GB/s", "% peak")
        if self.profile_memory:
            head += ("CPU Mem", "Self CPU Mem")
        width = max(int(max_name_column_width), 4)
        body = []
        for r in rows:
            pct = r.percent_of_peak(peaks)
            name = r.key if len(r.key) <= width else r.key[: width - 3] + "..."
            mem = (_bytes(r.cpu_memory_usage), _bytes(r.self_cpu_memory_usage)) if self.profile_memory else ()
            body.append(
                (
                    name,
                    r.cat,
                    str(r.count),
                    _time(r.total_ns),
                    _time(r.total_ns / r.count if r.count else 0),
                    f"{100.0 * r.total_ns / wall:.1f}%",
                    _time(r.self_ns),
                    f"{r.gflops:.2f}" if r.flops else "-",
                    f"{r.gbs:.2f}" if r.bytes else "-",
                    "-" if pct is None else f"{pct:.1f}% {'fma' if r.bound == 'compute' else 'mem'}",
                )
                + mem
            )
        widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(head)]
        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))

        def line(cells):
            return "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
            )

        out = ([header] if header else []) + [rule, line(head), rule] + [line(b) for b in body] + [rule]
        out.append(f"Profiled wall time: {_time(self.wall_ns)}")
        if peaks and (peaks.get("fma_gflops") or peaks.get("copy_gbs")):
            out.append(
                f"% peak: 'fma' = GFLOP/s / measured FMA peak ({peaks.get('fma_gflops', 0):.1f} GFLOP/s), "
                f"'mem' = GB/s / measured copy bandwidth ({peaks.get('copy_gbs', 0):.1f} GB/s; above 100%: "
                "the data came from cache, not DRAM)"
            )
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()


def _time(ns: float) -> str:
    """A duration like torch's tables: 812.000us, 3.517ms, 1.204s."""
    if ns >= 1e9:
        return f"{ns / 1e9:.3f}s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3f}ms"
    return f"{ns / 1e3:.3f}us"


def _bytes(n: int) -> str:
    """A size like torch's memory columns: 512 b, 3.06 Kb, 1.20 Mb."""
    for unit, scale in (("Gb", 1 << 30), ("Mb", 1 << 20), ("Kb", 1 << 10)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} b"


def _allocated(event) -> int:
    """The bytes allocated inside an event: its own outputs and those of the ops nested in it."""
    return event.alloc_bytes + sum(_allocated(c) for c in event.children)


def _key(event, group_by_input_shape: bool) -> str:
    name = f"{event.name} ({event.variant})" if event.variant else event.name
    return f"{name} {list(event.shapes)}" if group_by_input_shape else name


def key_averages(
    events, wall_ns: int, peaks_fn, group_by_input_shape: bool = False, profile_memory: bool = False
) -> EventList:
    """Events with the same name (and variant; with group_by_input_shape, the same shapes) added up."""
    rows: dict = {}
    for e in events:
        k = _key(e, group_by_input_shape)
        r = rows.get(k)
        if r is None:
            device = e.args.get("device", "cpu") if e.cat == "kernel" else "cpu"
            r = rows[k] = FunctionEventAvg(k, e.cat, bound=e.bound, device=device, input_shapes=e.shapes)
        r.count += 1
        r.total_ns += e.duration_ns
        r.self_ns += e.self_ns
        r.flops += e.flops
        r.bytes += e.bytes
        r.top_level = r.top_level or e.parent is None
        if profile_memory:
            r.self_cpu_memory_usage += e.alloc_bytes
            r.cpu_memory_usage += _allocated(e)
    return EventList(rows.values(), wall_ns, peaks_fn, profile_memory)


# ----------------------------------------------------------------------------- Chrome trace


def _phase_spans(events):
    """(phase, start, end, tid) for each run of consecutive top-level events of one phase."""
    spans = []
    for e in sorted((e for e in events if e.parent is None), key=lambda e: (e.tid, e.start_ns)):
        if not e.phase:
            continue
        last = spans[-1] if spans else None
        if last is not None and last[0] == e.phase and last[3] == e.tid:
            spans[-1] = (e.phase, last[1], max(last[2], e.end_ns), e.tid)
        else:
            spans.append((e.phase, e.start_ns, e.end_ns, e.tid))
    return spans


def chrome_trace(events, t0_ns: int, metadata: dict) -> dict:
    """The events as a Trace Event Format object (ts and dur in microseconds from t0)."""
    pid = os.getpid()
    tids: dict = {}
    for e in events:
        tids.setdefault(e.tid, len(tids))
    trace = [{"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": "pyneuro"}}]
    for small in tids.values():
        trace.append(
            {"name": "thread_name", "ph": "M", "pid": pid, "tid": small, "args": {"name": f"thread {small}"}}
        )
    for phase, start, end, tid in _phase_spans(events):
        trace.append(
            {
                "name": phase,
                "cat": "phase",
                "ph": "X",
                "ts": (start - t0_ns) / 1e3,
                "dur": (end - start) / 1e3,
                "pid": pid,
                "tid": tids[tid],
                "args": {"phase": phase},
            }
        )
    for e in sorted(events, key=lambda e: (e.start_ns, -e.end_ns)):
        args = {"phase": e.phase or "none", "shapes": [list(s) for s in e.shapes]}
        if e.cat == "kernel":
            args.update(backend=e.backend, variant=e.variant, flops=e.flops, bytes=e.bytes, bound=e.bound)
        elif e.cat == "transfer":
            args.update(bytes=e.bytes, backend=e.backend)
        args.update(e.args)
        trace.append(
            {
                "name": e.name,
                "cat": e.cat,
                "ph": "X",
                "ts": (e.start_ns - t0_ns) / 1e3,
                "dur": e.duration_ns / 1e3,
                "pid": pid,
                "tid": tids[e.tid],
                "args": args,
            }
        )
    return {"traceEvents": trace, "displayTimeUnit": "ms", "otherData": metadata}
