#!/usr/bin/env python3
"""Generate the student versions of the labs: labs/NN_*.ipynb -> labs/student/NN_*.ipynb.

The instructor notebooks follow nbgrader's conventions, so an instructor can also use
nbgrader itself (`nbgrader generate_assignment`) on them:

* in a code cell, the lines from `### BEGIN SOLUTION` to `### END SOLUTION` (markers
  included) become `# YOUR CODE HERE` + `raise NotImplementedError()`, indented like the
  BEGIN marker; the rest of the cell (the function's signature, its docstring) stays.
  As in nbgrader, a marker is any line that *contains* `BEGIN SOLUTION` (its default
  delimiter), and a cell with a region must carry nbgrader's solution-cell metadata
  (refused otherwise, as nbgrader does): prose must not quote the delimiters;
* in a markdown cell, such a region becomes `YOUR ANSWER HERE`;
* `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` regions are removed;
* outputs and execution counts are cleared (a student runs the notebook themselves);
* cell metadata is kept: solution cells carry `nbgrader.solution = true` and check cells
  `nbgrader.grade = true` with their points, as nbgrader expects.

A notebook without any solution region (a demonstration lab) gets no student version.
The generated notebook starts with a note naming its source. Usage:

    python tools/make_student_labs.py                    # every labs/NN_*.ipynb
    python tools/make_student_labs.py labs/10_conv.ipynb # some of them
    python tools/make_student_labs.py --check            # exit 1 if labs/student/ is stale

Only the standard library is needed (notebooks are JSON).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

LABS = Path(__file__).resolve().parent.parent / "labs"
# nbgrader's default delimiters: a line containing one is a marker (the notebooks write "### BEGIN SOLUTION")
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"


class MarkerError(ValueError):
    """A BEGIN marker without its END (or the reverse) in a notebook cell."""


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def replace_regions(text: str, cell_type: str, where: str = "cell") -> tuple[str, int]:
    """(the student's text, number of solution regions replaced) for one cell's source."""
    out, regions, mode = [], 0, None
    for line in text.split("\n"):
        stripped = line.strip()
        marker = next((m for m in (BEGIN, BEGIN_HIDDEN, END, END_HIDDEN) if m in line), None)
        if marker in (BEGIN, BEGIN_HIDDEN):
            if mode is not None:
                raise MarkerError(f"{where}: '{stripped}' inside an open region")
            mode = "solution" if marker == BEGIN else "hidden"
            if mode == "solution":
                regions += 1
                indent = line[: len(line) - len(line.lstrip())]
                out.extend([indent + s for s in CODE_STUB] if cell_type == "code" else [MARKDOWN_STUB])
            continue
        if marker in (END, END_HIDDEN):
            expected = "solution" if marker == END else "hidden"
            if mode != expected:
                raise MarkerError(f"{where}: '{stripped}' without its BEGIN marker")
            mode = None
            continue
        if mode is None:
            out.append(line)
    if mode is not None:
        raise MarkerError(
            f"{where}: a {mode} region is never closed ({END if mode == 'solution' else END_HIDDEN})"
        )
    return "\n".join(out), regions


def _as_lines(text: str) -> list:
    """Notebook JSON stores a source as a list of lines, each but the last ending in \\n."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def student_version(nb: dict, source_name: str) -> dict | None:
    """The student notebook for one instructor notebook (a dict), or None without exercises."""
    student = copy.deepcopy(nb)
    total = 0
    for i, cell in enumerate(student["cells"]):
        text, n = replace_regions(_source(cell), cell["cell_type"], where=f"{source_name} cell {i}")
        if n and not cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            raise MarkerError(
                f"{source_name} cell {i}: a solution region in a cell without the nbgrader metadata "
                "of a solution cell (metadata.nbgrader: solution true, grade_id, schema_version 3), "
                "which nbgrader generate_assignment refuses"
            )
        total += n
        cell["source"] = _as_lines(text)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    if total == 0:
        return None
    note = {
        "cell_type": "markdown",
        "metadata": {},
        "source": _as_lines(
            f"*Student version of `{source_name}`, generated by `tools/make_student_labs.py`: "
            f"replace each `raise NotImplementedError()` with your code, then run the "
            f"**check** cell after it.*"
        ),
    }
    if "id" in (student["cells"][0] if student["cells"] else {}):
        note["id"] = "student-version-note"
    student["cells"].insert(0, note)
    return student


def render(nb: dict) -> str:
    """JSON text as Jupyter writes it (indent 1, non-ASCII kept, final newline)."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it (shorter, no user name)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="instructor notebooks (default: labs/NN_*.ipynb)"
    )
    parser.add_argument("--out", type=Path, default=LABS / "student", help="folder of the student versions")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a student version is stale"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(LABS.glob("[0-9][0-9]_*.ipynb"))
    stale = []
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        student = student_version(nb, path.name)
        target = args.out / path.name
        if student is None:
            continue
        text = render(student)
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"{_shown(path)} -> {_shown(target)}")
    if stale:
        print("stale student notebooks (run tools/make_student_labs.py):", *map(_shown, stale), sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
