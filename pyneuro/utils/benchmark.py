"""torch.utils.benchmark for pyneuro: time a statement the careful way, and compare many timings.

    import pyneuro.utils.benchmark as benchmark
    t = benchmark.Timer(stmt="x @ x", globals={"x": x}, label="matmul", sub_label="64x64",
                        description="cpu", num_threads=2)
    print(t.timeit(100))                    # one measurement: 100 runs, after a short warm-up
    m = t.blocked_autorange(min_run_time=1) # blocks of runs until a second has been spent
    m.median, m.iqr, m.times                # seconds per run
    benchmark.Compare([m, ...]).print()     # a table: rows by sub_label and threads, columns by description

Why not `time.time()` around a loop: one run of a small kernel takes microseconds, close to
the clock's own cost and easily disturbed by the OS. A Timer therefore
1. runs the statement in blocks of `number` runs, `number` chosen so one block is long enough
   that the timer's overhead is negligible (blocked_autorange grows it by 10x until a block
   takes more than min_run_time / 1000 with overhead <= 1e-4 of it, or min_run_time itself);
2. keeps one time per block and reports the median (robust to a block the OS interrupted) and
   the interquartile range, warning when the spread is over 10% of the median;
3. fixes the thread count for the measurement (num_threads, default 1 as torch's: a
   single-threaded time is the stable one; set it to compare 1 vs 2 threads).
adaptive_autorange keeps measuring until the IQR is within `threshold` of the median.

Everything here is Python's timeit and NumPy statistics: nothing depends on pyneuro's kernels,
so it times NumPy or pure Python code just as well (the labs compare all three).
"""

from __future__ import annotations

import math
import sys
import textwrap
import timeit
from dataclasses import dataclass, field

import numpy as np

from .. import get_num_threads, set_num_threads

__all__ = ["Timer", "Measurement", "Compare"]

_IQR_WARN = 0.1  # IQR / median from this on: a warning in the report
_IQR_GROSS_WARN = 0.25  # ... and from this on, a stronger one
_MIN_CI = 25e-9  # seconds: no timing is trusted to better than this
_MAX_SIGFIGS = 4


def _unit(seconds: float) -> tuple[str, float]:
    """The unit a time reads best in: ns, us, ms or s, and its size in seconds."""
    exponent = math.floor(math.log10(seconds) / 3) if seconds > 0 else 0
    name = {-3: "ns", -2: "us", -1: "ms"}.get(exponent, "s")
    return name, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[name]


_ENGLISH = {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}


@dataclass
class Measurement:
    """The times of one Timer: raw_times[i] is block i's time for number_per_run runs."""

    number_per_run: int
    raw_times: list
    stmt: str = "pass"
    setup: str = "pass"
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1
    metadata: dict | None = None
    _sorted: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        self._sorted = np.sort(np.asarray(self.raw_times, dtype=np.float64) / self.number_per_run)

    # ------------------------------------------------------------------ statistics (seconds per run)
    @property
    def times(self) -> list:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        return float(np.median(self._sorted))

    @property
    def mean(self) -> float:
        return float(np.mean(self._sorted))

    @property
    def iqr(self) -> float:
        return self._p75 - self._p25

    @property
    def _p25(self) -> float:
        return float(np.quantile(self._sorted, 0.25))

    @property
    def _p75(self) -> float:
        return float(np.quantile(self._sorted, 0.75))

    @property
    def has_warnings(self) -> bool:
        return bool(self._warnings())

    def meets_confidence(self, threshold: float = _IQR_WARN) -> bool:
        return self.iqr / self.median < threshold

    @property
    def significant_figures(self) -> int:
        """How many digits of the median the spread supports (1 to 4): the middle half of the
        times gives a standard error, taken as the uncertainty (at least 25 ns)."""
        n = len(self._sorted)
        middle = self._sorted[n // 4 : math.ceil(3 * n / 4)]
        interval = max(1.645 * float(np.std(middle)) / math.sqrt(len(middle)), _MIN_CI)
        return min(max(math.floor(math.log10(self.median / interval)), 1), _MAX_SIGFIGS)

    # ------------------------------------------------------------------ naming
    @property
    def title(self) -> str:
        tail = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + tail
        if "\n" not in self.stmt:
            return self.stmt + tail
        return f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n{textwrap.indent(self.stmt, '  ')}"

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def _setup_text(self) -> str:
        if not self.setup or self.setup == "pass":
            return ""
        return (
            f"setup:\n{textwrap.indent(self.setup, '  ')}" if "\n" in self.setup else f"setup: {self.setup}"
        )

    def _warnings(self) -> list:
        """A warning when the IQR is 10% of the median or more (worded more strongly from 25%)."""
        if not self.median or self.meets_confidence(_IQR_WARN):
            return []
        cause = (
            "This suggests significant environmental influence."
            if not self.meets_confidence(_IQR_GROSS_WARN)
            else "This could indicate system fluctuation."
        )
        rel = 100 * self.iqr / self.median
        return [
            f"  WARNING: Interquartile range is {rel:.1f}% of the median measurement.\n           {cause}"
        ]

    def __repr__(self) -> str:
        n = len(self._sorted)
        unit, scale = _unit(self.median)
        parts = [self.title, self.description or "", self._setup_text()]
        lines = [f"<pyneuro.utils.benchmark.Measurement object at {hex(id(self))}>"]
        lines += [f"{p}\n" if "\n" in p else p for p in parts if p]
        lines.append(f"  {'Median: ' if n > 1 else ''}{self.median / scale:.2f} {unit}")
        if n >= 4:
            lines.append(
                f"  IQR:    {self.iqr / scale:.2f} {unit} ({self._p25 / scale:.2f} to {self._p75 / scale:.2f})"
            )
        runs = "runs per measurement," if n > 1 else "runs ,"
        threads = f"{self.num_threads} thread{'s' if self.num_threads > 1 else ''}"
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} {runs} {threads}")
        lines += self._warnings()
        return "\n".join(lines)

    def _key(self) -> tuple:
        return (
            self.stmt,
            self.setup,
            self.label,
            self.sub_label,
            self.description,
            self.env,
            self.num_threads,
        )

    @staticmethod
    def merge(measurements) -> list:
        """Measurements of the same task (statement, labels, threads) as one, times pooled."""
        merged: dict = {}
        for m in measurements:
            key = m._key()
            if key not in merged:
                merged[key] = m
                continue
            first = merged[key]
            per_run = first.times + m.times
            merged[key] = Measurement(
                1, per_run, *key[:6], num_threads=first.num_threads, metadata=first.metadata
            )
        return list(merged.values())


class Timer:
    """torch.utils.benchmark.Timer(stmt, setup, global_setup, timer, globals, label, sub_label,
    description, env, num_threads)."""

    def __init__(
        self,
        stmt: str = "pass",
        setup: str = "pass",
        global_setup: str = "",
        timer=timeit.default_timer,
        globals: dict | None = None,
        label: str | None = None,
        sub_label: str | None = None,
        description: str | None = None,
        env: str | None = None,
        num_threads: int = 1,
        language: str = "python",
    ):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if str(language).lower() not in ("python", "language.python", "py"):
            raise ValueError("pyneuro's Timer times Python statements only")
        self._spec = dict(
            stmt=textwrap.dedent(stmt).strip() or "pass",
            setup=textwrap.dedent(setup).strip() or "pass",
            label=label,
            sub_label=sub_label,
            description=description,
            env=env,
            num_threads=int(num_threads),
        )
        full_setup = f"{global_setup}\n{self._spec['setup']}" if global_setup else self._spec["setup"]
        names = dict(globals or {})
        names.setdefault("torch", sys.modules[__package__.split(".")[0]])  # (torch's Timer adds torch too)
        self._timer = timeit.Timer(self._spec["stmt"], full_setup, timer, globals=names)

    def _run(self, number: int) -> float:
        previous = get_num_threads()
        set_num_threads(self._spec["num_threads"])
        try:
            return self._timer.timeit(number)
        finally:
            set_num_threads(previous)

    def _measurement(self, number: int, times: list) -> Measurement:
        return Measurement(number, list(times), **self._spec)

    def timeit(self, number: int = 1000000) -> Measurement:
        """One block of `number` runs, after a warm-up block of number // 100 (at least 2)."""
        self._run(max(number // 100, 2))
        return self._measurement(number, [self._run(number)])

    def repeat(self, repeat: int = -1, number: int = -1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _block_size(self, min_run_time: float) -> int:
        """Runs per block: grow 10x until the timer's overhead is <= 1e-4 of a block and a block
        lasts min_run_time / 1000, or a block alone takes min_run_time."""
        overhead = float(np.median([self._run(0) for _ in range(5)]))
        number = 1
        while True:
            taken = self._run(number)
            if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                return number
            if taken > min_run_time or number * 10 > 2147483647:
                return number
            number *= 10

    def _blocks(self, number: int, min_run_time: float, enough, max_run_time=None, callback=None) -> list:
        times, total = [], 0.0
        while total < min_run_time or not enough(times):
            taken = self._run(number)
            times.append(taken)
            total += taken
            if callback is not None:
                callback(number, taken)
            if max_run_time is not None and total > max_run_time:
                break
        return times

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2) -> Measurement:
        """Blocks of runs until min_run_time seconds are spent: one time per block."""
        number = self._block_size(0.05)
        return self._measurement(
            number, self._blocks(number, min_run_time, lambda t: True, callback=callback)
        )

    def adaptive_autorange(
        self, threshold: float = 0.1, *, min_run_time: float = 0.01, max_run_time: float = 10.0, callback=None
    ) -> Measurement:
        """Blocks until the IQR is within `threshold` of the median (more than 3 blocks), or
        max_run_time seconds have gone."""
        number = self._block_size(0.05)

        def confident(times) -> bool:
            return len(times) > 3 and self._measurement(number, times).meets_confidence(threshold)

        return self._measurement(
            number, self._blocks(number, min_run_time, confident, max_run_time, callback)
        )


class Compare:
    """A table of many Measurements: one section per label, a row per sub_label (grouped by
    thread count), a column per description, each cell the median in one unit per section."""

    def __init__(self, results):
        self._results: list = []
        self._trim = False
        self._colorize = None  # None, "columnwise" or "rowwise"
        self._highlight = False
        self.extend_results(results)

    def extend_results(self, results) -> None:
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        self._trim = True

    def colorize(self, rowwise: bool = False) -> None:
        self._colorize = "rowwise" if rowwise else "columnwise"

    def highlight_warnings(self) -> None:
        self._highlight = True

    def print(self) -> None:
        print(str(self))

    def __str__(self) -> str:
        sections: dict = {}
        for m in Measurement.merge(self._results):
            sections.setdefault(m.label, []).append(m)
        return "\n".join(self._section(label, ms) for label, ms in sections.items())

    def _column_format(self, column: list, scale: float):
        """One column's cells as right-aligned numbers of one width: as many integer digits as
        its largest median needs, 1 decimal (or, trimmed, what the least precise cell supports)."""
        present = [m for m in column if m is not None]
        leading = [math.ceil(math.log10(m.median / scale)) for m in present]
        decimals = (
            min(max(m.significant_figures - d, 0) for m, d in zip(present, leading)) if self._trim else 1
        )
        width = max(leading) + decimals + (1 if decimals else 0)
        flag = 7 if self._highlight and any(m.has_warnings for m in present) else 0

        def cell(m: Measurement | None) -> str:
            if m is None:
                return " " * len(cell(present[0]))
            value = m.median / scale
            if self._trim:  # round to the significant figures the spread supports
                step = 10.0 ** (math.ceil(math.log10(abs(value))) - m.significant_figures)
                value = float(np.round(value / step) * step)
            note = f" (! {100 * m.iqr / m.median:.0f}%)" if flag and m.has_warnings else ""
            return f"{value:>{width}.{decimals}f}{note:>{flag}}"

        return cell

    def _section(self, label, ms: list) -> str:
        unit, scale = _unit(min(m.median for m in ms))
        columns = list(dict.fromkeys(m.description for m in ms))
        keys = dict.fromkeys((m.num_threads, m.env, m.as_row_name) for m in ms)
        rows = sorted(keys, key=lambda r: (r[0], r[1] or ""))  # by threads, then env; else as first seen
        cells = {(m.num_threads, m.env, m.as_row_name, m.description): m for m in ms}
        body = [[cells.get((*r, c)) for c in columns] for r in rows]
        formats = [self._column_format([row[j] for row in body], scale) for j in range(len(columns))]
        envs = {m.env for m in ms}
        env_width = max(len(e or "") for e in envs) + 4 if len(envs) > 1 else 4
        texts, previous = [], None
        for (threads, env, name), row in zip(rows, body):
            shown = f"({env})" if len(envs) > 1 and (threads, env) != previous else ""
            previous = (threads, env)
            texts.append(["  " + shown.ljust(env_width) + name] + [f(m) for f, m in zip(formats, row)])
        head = [""] + [c or "" for c in columns]
        widths = [max(len(t[j]) for t in texts + [head]) for j in range(len(head))]
        header = "  |  ".join(h.center(w) for h, w in zip(head, widths))
        lines, last_threads = [header], None
        for (threads, _, _), row, text in zip(rows, body, texts):
            if threads != last_threads:
                lines.append(f"{threads} threads: ".ljust(len(header), "-"))
                last_threads = threads
            best = self._best(row, body, columns, rows, threads)
            out = [text[0].ljust(widths[0])]
            out += [self._paint(t.center(w), m, b) for t, w, m, b in zip(text[1:], widths[1:], row, best)]
            lines.append("  |  ".join(out))
        title = f"[{(' ' + (label or '') + ' ').center(len(header) - 2, '-')}]"
        note = "(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
        warn = note if self._highlight and any(m.has_warnings for m in ms) else ""
        return f"{title}\n" + "\n".join(lines) + f"\n\nTimes are in {_ENGLISH[unit]}s ({unit}).\n{warn}"

    def _best(self, row, body, columns, rows, threads) -> list:
        """The smallest median each cell of this row is compared with when colouring."""
        if self._colorize == "rowwise":
            low = min(m.median for m in row if m is not None)
            return [low] * len(columns)
        if self._colorize == "columnwise":
            group = [b for b, r in zip(body, rows) if r[0] == threads]  # this thread count's rows
            return [
                min((b[j].median for b in group if b[j] is not None), default=None)
                for j in range(len(columns))
            ]
        return [None] * len(columns)

    @staticmethod
    def _paint(text: str, m: Measurement | None, best: float | None) -> str:
        """ANSI colours: green for the best (within 1%), blue within 10%, dim red at 2x, red at 5x."""
        if m is None or best is None:
            return text
        v = m.median
        if v <= best * 1.01 or v <= best + 100e-9:
            return f"\033[92m\033[1m{text}\033[0m\033[0m"
        if v <= best * 1.1:
            return f"\033[34m\033[1m{text}\033[0m\033[0m"
        if v >= best * 5:
            return f"\033[31m\033[1m{text}\033[0m\033[0m"
        if v >= best * 2:
            return f"\033[2m\033[91m{text}\033[0m\033[0m"
        return text
