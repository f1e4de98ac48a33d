"""One machine report (pyneuro.machine.machine_info) for `pyneuro info` and every benchmark; arrows point down."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

import pyneuro
from pyneuro import backends
from pyneuro.machine import machine_info

ROOT = Path(pyneuro.__file__).resolve().parent


def test_machine_info_has_the_recorded_fields_as_plain_json():
    m = machine_info()
    for key in (
        "cpu",
        "cpu_id",
        "caches",
        "logical_cpus",
        "usable_cpus",
        "isa",
        "platform",
        "python",
        "memory_gib",
        "simd_path",
        "cpu_backend_threads",
        "blas",
        "blas_summary",
        "versions",
        "load_average",
        "env",
    ):
        assert key in m, key
    assert m["logical_cpus"] == os.cpu_count()
    assert 1 <= m["usable_cpus"] <= m["logical_cpus"]
    assert m["versions"]["pyneuro"] == pyneuro.__version__
    assert set(m["env"]) >= {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS"}
    assert m["env"]["OPENBLAS_CORETYPE"] == os.environ.get("OPENBLAS_CORETYPE")
    if backends.status("cpu").available:
        cpu = backends.get("cpu")
        assert (m["simd_path"], m["cpu_backend_threads"]) == (cpu.simd_path(), cpu.get_num_threads())
        assert m["caches"]["l1d"] > 0 and m["caches"]["l2"] > 0
    json.dumps(m)  # results files store it as is


def test_cpu_id_and_slug_tell_machines_apart():
    from pyneuro.machine import cpu_id, cpu_slug

    ident = cpu_id()
    slug = cpu_slug()
    assert slug and all(c.isalnum() or c == "-" for c in slug)
    if ident is not None:  # Linux: vendor, family, model, stepping from /proc/cpuinfo
        words = ident.split()
        assert words[1] == "family" and words[3] == "model" and words[5] == "stepping"
        assert slug.endswith(f"f{words[2]}m{words[4]}")
    # A recorded result's tag (bench/archive.py): from its cpu_id, else from its model name.
    assert cpu_slug("AuthenticAMD family 25 model 17 stepping 1") == "amd-f25m17"
    assert cpu_slug("", "Intel(R) Xeon(R) Processor") == "intel-r-xeon-r-processor"


def test_the_bench_harness_and_the_cli_use_the_one_machine_info():
    from pyneuro.bench import machine as bench_machine
    from pyneuro.cli import info_lines

    assert bench_machine.machine_info is machine_info
    lines = info_lines()
    m = machine_info()
    assert any(line.startswith(f"cpu: {m['cpu']};") for line in lines)
    assert f"numpy BLAS: {m['blas_summary']}" in lines


def _imported_modules(path: Path, package: str) -> set[str]:
    """Absolute names of every module a file imports (relative imports resolved against `package`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module)
    return names


def test_backends_never_import_the_layers_above_them():
    """pyneuro/backends/** is the lowest layer: no import of the CLI, the benchmarks, autograd or nn."""
    above = (
        "pyneuro.cli",
        "pyneuro.bench",
        "pyneuro.machine",
        "pyneuro.tensor",
        "pyneuro.autograd",
        "pyneuro.nn",
        "pyneuro.optim",
        "pyneuro.functional",
        "pyneuro.train",
    )
    files = sorted((ROOT / "backends").rglob("*.py"))
    assert any(f.parent.name == "numba" for f in files)  # the numba subpackage is scanned too
    for path in files:
        package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
        if path.name == "__init__.py":
            package = ".".join(path.relative_to(ROOT.parent).parent.parts)
        bad = sorted(n for n in _imported_modules(path, package) if n.startswith(above))
        assert not bad, f"{path.relative_to(ROOT.parent)} imports {bad}"


def test_archive_takes_a_records_own_files_not_its_prefix_siblings(tmp_path):
    """bench/archive.py copies NAME.json with NAME.md and NAME_*.png plots; e2e_torch_numba.*
    is a record of its own (maybe from another machine) and must not ride along with e2e_torch."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_archive", Path(__file__).resolve().parent.parent / "bench" / "archive.py"
    )
    archive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(archive)
    names = ["e2e_torch.json", "e2e_torch.md", "e2e_torch_numba.json", "e2e_torch_numba.md"]
    names += ["kernels.json", "kernels.md", "kernels_ladders.png", "kernels.txt"]
    for name in names:
        (tmp_path / name).write_text("{}")
    got = {p.name for p in archive.companions(tmp_path / "e2e_torch.json")}
    assert got == {"e2e_torch.json", "e2e_torch.md"}
    assert {p.name for p in archive.companions(tmp_path / "e2e_torch_numba.json")} == {
        "e2e_torch_numba.json",
        "e2e_torch_numba.md",
    }
    assert {p.name for p in archive.companions(tmp_path / "kernels.json")} == {
        "kernels.json",
        "kernels.md",
        "kernels_ladders.png",
    }


def test_archive_files_a_record_under_the_day_it_was_recorded(tmp_path):
    """A record's own date field wins ("date_utc" included); a record rewritten since its last
    commit was recorded today, not on the commit's day (it overwrote the last machine's copy)."""
    import datetime as dt
    import importlib.util
    import shutil
    import subprocess

    spec = importlib.util.spec_from_file_location(
        "bench_archive", Path(__file__).resolve().parent.parent / "bench" / "archive.py"
    )
    archive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(archive)
    assert (
        archive.date_of({"machine": {"date_utc": "2026-01-02T03:04:05Z"}}, tmp_path / "a.json")
        == "2026-01-02"
    )
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "GIT_AUTHOR_DATE": "2020-05-06T12:00:00Z",
        "GIT_COMMITTER_DATE": "2020-05-06T12:00:00Z",
    }
    record = tmp_path / "e2e_torch.json"
    record.write_text("{}")
    for cmd in (["init", "-q"], ["add", "e2e_torch.json"], ["commit", "-q", "-m", "r"]):
        subprocess.run(["git", *cmd], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert archive.date_of({}, record) == "2020-05-06"  # committed as it is: the commit's day
    record.write_text('{"ratio": 0.6}')
    assert archive.date_of({}, record) == dt.date.today().isoformat()  # rewritten: recorded now
