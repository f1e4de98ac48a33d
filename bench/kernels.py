"""Record the kernel benchmark of this machine into bench/results/ (kernels.json, .md, PNGs).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/kernels.py [extra pyneuro bench options]

On a shared, busy machine, give the run the cores first (as root; with autogroup
scheduling plain `nice` only ranks processes inside one session):

    bash -c 'echo -20 > /proc/self/autogroup; exec nice -n -20 env -u OPENBLAS_CORETYPE \
        -u OPENBLAS_L2_SIZE python bench/kernels.py'

The results record the load average before and after and the niceness they ran at.

This is `pyneuro bench --torch --out bench/results` with a guard: results are only
recorded with NumPy's native BLAS kernel, so the script refuses to run while
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (it never unsets them itself), and it
warns when the machine is busy. For a one-off look use `pyneuro bench` directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str]) -> int:
    from pyneuro.bench import main as bench_main
    from pyneuro.bench.machine import FORCED_BLAS_VARS, forced_blas_warning

    if forced_blas_warning() and "--allow-forced-blas" not in argv:
        print(forced_blas_warning(), file=sys.stderr)
        unset = " ".join("-u " + v for v in FORCED_BLAS_VARS)
        print(
            f"bench/kernels.py: refusing to record results; run it as `env {unset} python bench/kernels.py` "
            "(or pass --allow-forced-blas for a test)",
            file=sys.stderr,
        )
        return 2
    argv = [a for a in argv if a != "--allow-forced-blas"]
    options = ["--torch", "--out", str(RESULTS)]
    return bench_main(options + argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
