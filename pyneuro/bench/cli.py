"""`pyneuro bench`: the command line of the benchmark harness.

Every mistake is one line on stderr and no traceback: exit status 2 for bad arguments (checked
before anything is allocated or timed: sizes that would not fit in the memory available, an
--out that is not a writable folder, a non-finite --max-time, a --kernel that cannot be
loaded) and 1 when a --kernel raises or gives wrong results, or the results cannot be written.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import sys
from pathlib import Path

from . import kernels as K

EPILOG = """\
Record results with NumPy's native BLAS kernel:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE pyneuro bench --torch --out bench/results
Sizes: a preset (tiny, quick, full) or a comma list of tokens: N (matmul N^3 / N x N rows / N
elements), RxC, MxKxN with optional :nt or :tn (b or a read transposed), e.g. 1024,4096x1024.
Kernels (aliases in brackets): """ + ", ".join(
    k.name + (f" [{', '.join(k.aliases)}]" if k.aliases else "") for k in K.KERNELS.values()
)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with one clear line (--help shows the usage)
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _positive(kind, low):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="pyneuro bench",
        description=(
            "Time every kernel of pyneuro's table on every usable backend and ladder variant against "
            "NumPy (and PyTorch with --torch): median time, GFLOP/s or GB/s, % of this machine's measured "
            "peak, and the speed ratio vs NumPy from the same run. Prints a Markdown table; --out also "
            "writes JSON and PNG plots."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--kernels", help="comma list of kernels (default: all)")
    p.add_argument("--backends", help="comma list of backends (default: every usable one; numpy always runs)")
    p.add_argument("--sizes", help="preset (tiny, quick, full) or comma list of size tokens (default: full)")
    p.add_argument("--quick", action="store_true", help="the quick preset with a small time budget (~1 min)")
    p.add_argument("--repeat", type=_positive(int, 1), help="timed samples per case (default 10; --quick 5)")
    p.add_argument(
        "--warmup", type=_positive(int, 0), help="untimed warm-up calls per case (default 2; --quick 1)"
    )
    p.add_argument(
        "--threads",
        type=_positive(int, 1),
        help="threads for pyneuro, NumPy's BLAS, Numba and PyTorch (default: pyneuro's)",
    )
    p.add_argument(
        "--max-time", type=_positive(float, 0.01), help="seconds per case at most (default 1.0; --quick 0.3)"
    )
    p.add_argument(
        "--max-call",
        type=_positive(float, 0.01),
        help="skip a size whose single call would take longer, extrapolated from the previous "
        "size (default 10)",
    )
    p.add_argument("--torch", action="store_true", help="add PyTorch as a peer (if installed)")
    p.add_argument("--out", metavar="DIR", help="write NAME.json, NAME.md and PNG plots into DIR")
    p.add_argument(
        "--name", default=None, help="file name stem for --out (default: kernels, or compare_KERNEL)"
    )
    p.add_argument("--no-plot", action="store_true", help="no PNG plots with --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the JSON instead of the Markdown table")
    p.add_argument(
        "--list", action="store_true", help="list the kernels, their sizes and cost model, and exit"
    )
    p.add_argument(
        "--kernel",
        metavar="MODULE:FUNCTION",
        help="benchmark your own kernel (a module or a .py file, and a function in it) beside "
        "pyneuro's; its output is first checked against the NumPy reference",
    )
    p.add_argument(
        "--as",
        dest="as_kernel",
        metavar="KERNEL",
        help="which kernel --kernel implements (default: guessed from the function name)",
    )
    return p


def load_function(spec: str):
    """'pkg.module:function' or 'path/to/file.py:function' -> the function."""
    module_part, sep, func_name = spec.rpartition(":")
    if not sep or not module_part or not func_name:
        raise ValueError(f"--kernel needs MODULE:FUNCTION (e.g. my_kernels:softmax), got {spec!r}")
    if module_part.endswith(".py") or "/" in module_part:
        path = Path(module_part)
        if not path.is_file():
            raise ValueError(f"--kernel: no such file {module_part!r}")
        loader_spec = importlib.util.spec_from_file_location(path.stem, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ValueError(f"--kernel: {module_part!r} is not a Python file")
        module = importlib.util.module_from_spec(loader_spec)
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            raise ValueError(f"--kernel: running {module_part} failed ({_one_line(exc)})") from None
    else:
        if "" not in sys.path:
            sys.path.insert(0, "")  # like `python -m`: modules in the working directory
        try:
            module = importlib.import_module(module_part)
        except ImportError as exc:
            raise ValueError(f"--kernel: cannot import module {module_part!r} ({exc})") from None
        except Exception as exc:
            raise ValueError(f"--kernel: importing {module_part!r} failed ({_one_line(exc)})") from None
    fn = getattr(module, func_name, None)
    if not callable(fn):
        raise ValueError(f"--kernel: module {module_part!r} has no function {func_name!r}")
    return fn


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


class KernelFailed(Exception):
    """The user's --kernel raised while it was checked: exit status 1."""


def check_out(path: str) -> None:
    """--out must be a folder (or one we can create) that we can write into: ValueError if not."""
    if not path.strip():
        raise ValueError("--out needs a folder name, got an empty string")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {path} is a file, not a folder")
    existing = out.resolve()
    while not existing.exists():  # the nearest folder that exists: report.save creates the rest
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"--out {path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {path}: {existing} is not writable (permission denied)")


def check_memory(kernel_names, sizes) -> None:
    """ValueError when a selected kernel x size would not fit in the memory available (runner's estimate)."""
    from . import _select_kernels, _sizes
    from .runner import check_memory as check_plan

    tokens = _sizes(sizes)
    check_plan([(kernel, kernel.cases(tokens)) for kernel in _select_kernels(kernel_names)])


def guess_kernel(func_name: str) -> str:
    """The kernel a function implements, from its name: exact names first, then the longest match."""
    lowered = func_name.lower()
    names = list(K.KERNELS) + list(K.ALIASES)
    if lowered in names:
        return K.resolve(lowered)
    hits = sorted((n for n in names if n in lowered), key=len, reverse=True)
    if not hits:
        raise ValueError(
            f"cannot tell which kernel {func_name!r} implements; pass --as KERNEL "
            f"(one of: {', '.join(names)})"
        )
    return K.resolve(hits[0])


def list_kernels() -> str:
    """The kernel table as the benchmark sees it: names, aliases, unit, cost, preset sizes."""
    lines = []
    for k in K.KERNELS.values():
        alias = f" (alias: {', '.join(k.aliases)})" if k.aliases else ""
        cost = f"FLOPs {k.flops_text}" if k.unit == "GFLOP/s" else f"bytes {k.bytes_text}"
        ladder = f"; ladder: backend.VARIANTS[{k.variant_key!r}]" if k.variant_key else ""
        lines.append(f"{k.name}{alias}: {k.unit}, {cost}{ladder}")
        for preset in K.PRESETS:
            lines.append(f"    {preset:<6} {', '.join(k.presets[preset])}")
    return "\n".join(lines)


def main(argv=None) -> int:
    from . import compare_kernel, run

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.list:
        print(list_kernels())
        return 0
    if args.quick and args.sizes:
        print("pyneuro bench: error: --quick and --sizes both pick the sizes; give one", file=sys.stderr)
        return 2
    sizes = "quick" if args.quick else (args.sizes or "full")
    options = dict(
        repeat=args.repeat or (5 if args.quick else 10),
        warmup=args.warmup if args.warmup is not None else (1 if args.quick else 2),
        threads=args.threads,
        torch=args.torch,
        progress=not args.no_progress,
        max_time=args.max_time or (0.3 if args.quick else 1.0),
        max_call=args.max_call or 10.0,
    )
    try:
        if args.out is not None:
            check_out(args.out)
        if args.kernel:
            if args.kernels:
                raise ValueError("--kernel benchmarks one kernel; use --as to name it, not --kernels")
            if args.as_kernel:
                check_memory([args.as_kernel], sizes)
            fn = load_function(args.kernel)
            kernel = K.resolve(args.as_kernel) if args.as_kernel else guess_kernel(fn.__name__)
            check_memory([kernel], sizes)
            print(
                f"pyneuro bench: checking {fn.__name__} as {kernel} against the NumPy reference ...",
                file=sys.stderr,
            )
            try:
                report = compare_kernel(fn, kernel, sizes, backends=args.backends, **options)
            except (ValueError, RuntimeError):
                raise
            except Exception as exc:
                raise KernelFailed(f"--kernel {args.kernel} raised {_one_line(exc)}") from None
            name = args.name or f"compare_{kernel}"
        else:
            if args.as_kernel:
                raise ValueError("--as needs --kernel MODULE:FUNCTION")
            check_memory(args.kernels, sizes)
            report = run(args.kernels, args.backends, sizes, **options)
            name = args.name or "kernels"
    except ValueError as exc:
        print(f"pyneuro bench: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2 if not args.kernel or "differs" not in str(exc) else 1
    except (RuntimeError, KernelFailed) as exc:
        print(f"pyneuro bench: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    print(report.to_json() if args.json else report.markdown())
    if args.out:
        try:
            paths = report.save(
                args.out,
                name,
                plots=not args.no_plot,
                log=lambda m: print(f"pyneuro bench: {m}", file=sys.stderr),
            )
        except OSError as exc:
            print(f"pyneuro bench: error: cannot write results to {args.out} ({exc})", file=sys.stderr)
            return 1
        print(f"pyneuro bench: wrote {', '.join(str(p) for p in paths)}", file=sys.stderr)
    return 0
