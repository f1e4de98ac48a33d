"""Keep the history of every machine measured: copy recorded results into bench/results/history/.

The benchmark scripts write their latest figures to bench/results/NAME.json and NAME.md
(what the README quotes). Each new run on another machine would overwrite the last one,
so after recording, archive them:

    PYTHONPATH=$PWD python bench/archive.py bench/results/e2e_torch.json bench/results/kernels.json ...
    PYTHONPATH=$PWD python bench/archive.py --all        # every NAME.json in bench/results/

Each JSON goes, with the .md (and .png plots) of the same stem, to
bench/results/history/<date>_<cpu>/, where <date> is the day it was recorded (its own
"created"/"date"/"date_utc" field; else today if the file changed since git last committed it,
as a record just written has; else the day of that commit) and <cpu> the machine's tag from its recorded
machine info (pyneuro.machine.cpu_slug(): vendor, family and model, e.g. intel-f6m207 for
this Intel Xeon and amd-f25m17 for an AMD EPYC Zen 4), or from its CPU name when an older
record has no cpu_id. Copying is idempotent: archiving the same results twice changes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
HISTORY = RESULTS / "history"


def _find(obj, keys):
    """The first value of any of `keys` anywhere in a JSON object (depth first)."""
    if isinstance(obj, dict):
        for k in keys:
            if k in obj and not isinstance(obj[k], (dict, list)):
                return obj[k]
        for v in obj.values():
            found = _find(v, keys)
            if found is not None:
                return found
    return None


def slug_of(record: dict) -> str:
    """The machine tag of a recorded result (see the module docstring)."""
    from pyneuro.machine import cpu_slug

    return cpu_slug(_find(record, ("cpu_id",)) or "", _find(record, ("cpu",)) or "unknown")


def _git(path: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args, "--", path.name], cwd=path.parent, capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def date_of(record: dict, path: Path) -> str:
    """The record's own date, else today for a file changed since git last committed it (just
    recorded), else the day git last committed it, else today."""
    stamp = _find(record, ("created", "date", "date_utc"))
    match = re.match(r"\d{4}-\d{2}-\d{2}", str(stamp or ""))
    if match:
        return match.group(0)
    if _git(path, "status", "--porcelain"):  # modified or untracked: recorded now
        return dt.date.today().isoformat()
    return _git(path, "log", "-1", "--format=%cs") or dt.date.today().isoformat()


def archive(json_path: Path) -> Path:
    record = json.loads(json_path.read_text())
    dest = HISTORY / f"{date_of(record, json_path)}_{slug_of(record)}"
    dest.mkdir(parents=True, exist_ok=True)
    for path in companions(json_path):
        shutil.copy2(path, dest / path.name)
    return dest


def companions(json_path: Path) -> list[Path]:
    """The record's files: NAME.json, NAME.md and plots named NAME_*.png (kernels_ladders.png).
    A file NAME_* that belongs to a record of its own (e2e_torch_numba.md next to
    e2e_torch_numba.json, possibly from another machine) is not NAME's: it is archived with
    its own record's machine and date."""
    stem, folder = json_path.stem, json_path.parent
    found = []
    for path in sorted(folder.glob(stem + "*")):
        if path.suffix not in (".json", ".md", ".png") or not path.is_file():
            continue
        if path.stem == stem or (
            path.stem.startswith(stem + "_") and not (folder / (path.stem + ".json")).exists()
        ):
            found.append(path)
    return found


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", type=Path, help="result JSON files to archive")
    p.add_argument("--all", action="store_true", help="every NAME.json in bench/results/")
    args = p.parse_args(argv)
    files = sorted(RESULTS.glob("*.json")) if args.all else args.files
    if not files:
        p.error("give result JSON files, or --all")
    for f in files:
        try:
            print(f"{f.name} -> {archive(f).relative_to(RESULTS.parent.parent)}")
        except (OSError, ValueError) as exc:
            print(f"{f}: not archived ({exc})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
