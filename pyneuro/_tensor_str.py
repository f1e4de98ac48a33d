"""How a tensor prints: torch's layout and number format (torch/_tensor_str.py), drawn by NumPy.

    pn.set_printoptions(precision=2)         # torch's set_printoptions: precision, threshold,
    print(pn.tensor([1.23456, 2.0]))         # edgeitems, linewidth, profile, sci_mode
    tensor([1.23, 2.00])

The rules, so that a course's printed output reads the same under both libraries:
* Floats share one format, chosen from the nonzero finite numbers shown: integral values
  print as "3." ; others with `precision` decimals ("%.4f"); scientific ("%.4e") when the
  magnitudes span over 1000x, pass 1e8 or (non-integral) go under 1e-4, unless sci_mode says.
  Every number is right-aligned to the widest finite one; inf and nan do not count.
* A line holds floor((linewidth - indent) / (width + 2)) numbers, indent = 6 + ndim (the
  "tensor(" prefix and the brackets). NumPy's wrapping rule gives that count at a line
  width of linewidth - 1 + ndim.
* More than `threshold` numbers: `edgeitems` from each end of every long axis, " ..." between
  (counted as one more number in a line), and the format is chosen from those corner blocks
  only. With edgeitems=0 the numbers become "[...]" and a `size=` suffix says the shape.
* Suffixes (device, dtype, grad_fn) that would pass the line width start a new line.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
from types import SimpleNamespace

import numpy as np

PRINT_OPTS = SimpleNamespace(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """torch.set_printoptions: a profile ("default", "short", "full") first, then each option given.

    sci_mode: True/False forces scientific/fixed notation; None (also when not passed, as in
    torch) lets the numbers decide.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        vars(PRINT_OPTS).update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options as a dict (torch._tensor_str.get_printoptions)."""
    return dict(vars(PRINT_OPTS))


@contextlib.contextmanager
def printoptions(**kwargs):
    """Print options for the body of a with-block only (torch._tensor_str.printoptions)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


def _edges(host, k: int):
    """The corner blocks a summarised repr shows: the first and last k along every long axis."""
    for axis, n in enumerate(host.shape):
        if n > 2 * k:  # slices, not take(): a view of an expanded tensor is never materialised
            before = (slice(None),) * axis
            host = np.concatenate([host[before + (slice(0, k),)], host[before + (slice(n - k, n),)]], axis)
    return host


def _float_format(shown):
    """torch's _Formatter for floats, as a NumPy formatter (the rules in the module docstring)."""
    vals = shown[np.isfinite(shown) & (shown != 0)].astype(np.float64)
    p = PRINT_OPTS.precision
    int_mode = bool(np.all(np.ceil(vals) == vals))
    sci = False
    if vals.size:
        hi, lo = np.abs(vals).max(), np.abs(vals).min()
        with np.errstate(over="ignore"):  # a subnormal lo: the ratio is inf, sci mode
            sci = hi / lo > 1000.0 or hi > 1.0e8 or (not int_mode and lo < 1.0e-4)
    if PRINT_OPTS.sci_mode is not None and vals.size:  # (no number to format: "0.", "nan" whatever it says)
        sci = bool(PRINT_OPTS.sci_mode)
    spec = f".{p}e" if sci else ".0f" if int_mode else f".{p}f"
    dot = "." if int_mode and not sci else ""
    width = max([1] + [len(format(v, spec)) + len(dot) for v in vals.tolist()])

    def fmt(v) -> str:
        text = format(float(v), spec) + (dot if np.isfinite(v) else "")
        return text.rjust(width)

    fmt.width = width
    return fmt


_ROW = re.compile(r"^(\s*\[+)(.+?)(\]*,?)$")


def _rewrap(body: str, indent: int, width: int) -> str:
    """body's rows re-broken as torch breaks them: a line holds floor((linewidth - indent) /
    (width + 2)) numbers, counted with the format's width even where a number prints wider
    (0., nan and inf when no nonzero finite number sets the width: torch's lines run long)."""
    per_line = max(1, (PRINT_OPTS.linewidth - indent) // (width + 2))
    lines = []
    for i, line in enumerate(body.split("\n")):
        m = _ROW.match(line)
        if m is None or m.group(2).strip() == "...":
            lines.append(line)
            continue
        lead, words, tail = m.group(1), m.group(2).split(", "), m.group(3)
        words = [" ..." if w == "..." else w for w in words]  # torch's ellipsis word
        column = len(lead) + (len("tensor(") if i == 0 else 0)
        rows = [", ".join(words[k : k + per_line]) for k in range(0, len(words), per_line)]
        lines.append(lead + (",\n" + " " * column).join(rows) + tail)
    return "\n".join(lines)


def _body(host: np.ndarray, opts: dict, indent: int = 0) -> str:
    """The bracketed numbers, laid out as torch lays them out (`indent` more columns to their left)."""
    summarised = host.size > opts["threshold"]
    if summarised and not opts["edgeitems"]:
        return "[...]"
    shown = _edges(host, opts["edgeitems"]) if summarised else host
    rewrap = summarised  # torch's line rule, its " ..." counted as one more number
    if host.dtype.kind == "f":
        fmt = _float_format(shown)
        formatter, width = {"float_kind": fmt}, fmt.width
        rewrap = rewrap or max(len(fmt(v)) for v in shown.flat) > fmt.width  # 0., nan, inf wider than it
    elif host.dtype.kind == "b":  # padded to the widest word shown ([True], [ True, False])
        width = 5 if not shown.all() else 4
        formatter = {"bool": lambda v: str(bool(v)).rjust(width)}
    else:
        formatter, width = None, max(len(str(v)) for v in shown.flat)
    if not rewrap:
        return np.array2string(host, formatter=formatter, **opts)
    opts["max_line_width"] = sys.maxsize
    return _rewrap(np.array2string(host, formatter=formatter, **opts), 6 + host.ndim + indent, width)


def tensor_str(host: np.ndarray, suffixes: list[str], indent: int = 0) -> str:
    """The text `tensor([...], suffix, ...)` for the host array; suffixes as torch spells them but for
    "pyneuro." (the line breaks are measured with torch's spelling, so they fall where torch's do).
    indent: the columns before it on its first line (a sparse tensor's `values=`), as torch's
    _tensor_str(indent) counts them; the caller indents the other lines."""
    prefix = "tensor("
    limit = PRINT_OPTS.threshold
    opts = dict(
        separator=", ",
        prefix=prefix,
        threshold=sys.maxsize if limit == math.inf else int(limit),
        edgeitems=PRINT_OPTS.edgeitems,
        max_line_width=PRINT_OPTS.linewidth - 1 + host.ndim - indent,
    )
    body = _body(host, opts, indent) if host.size else "[]"
    if (host.size == 0 and host.ndim != 1) or (host.size and not opts["edgeitems"]):
        at = (
            1 if suffixes and suffixes[0].startswith("device=") else 0
        )  # torch says the size, after any device
        suffixes = [*suffixes[:at], f"size={tuple(host.shape)}", *suffixes[at:]]
    text = prefix + body
    last = len(text) - text.rfind("\n") + 1  # torch's _add_suffixes
    for e in suffixes:
        width = len(e.replace("pyneuro.", "torch."))  # measured as torch spells it
        if last + width + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * len(prefix) + e
            last = len(prefix) + width
        else:
            text += ", " + e
            last += width + 2
    return text + ")"
