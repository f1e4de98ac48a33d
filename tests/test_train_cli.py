"""`pyneuro train` as a user runs it: a subprocess of `python -m pyneuro.cli train ...`.

Small settings throughout (1-3 epochs on the bundled MNIST sample) so the whole file stays
fast; metrics are compared exactly (same seed -> identical numbers), timings never.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TIMING_KEYS = {"seconds", "train_seconds", "samples_per_s"}


def _env():
    """The environment for a subprocess: this very pyneuro first on the path, no downloads."""
    import pyneuro

    env = dict(os.environ, PYNEURO_OFFLINE="1")
    # One kernel thread: these tests check behaviour, not speed, and OpenMP's spinning threads
    # slow a busy shared machine down many times over (the conformance suite covers threads).
    env.setdefault("PYNEURO_NUM_THREADS", "1")
    package_root = str(Path(pyneuro.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    return env


def train(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "pyneuro.cli", "train", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env=_env(),
    )


def metrics(path):
    rows = [json.loads(line) for line in open(path)]
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in rows]


# Settings for the quick runs: a smaller model and bigger batches keep each run ~1-2 s.
QUICK = ["--model", "784-64-10", "--batch-size", "128", "--quiet"]


def test_one_epoch_prints_summary_and_writes_metrics(tmp_path):
    out = train(
        "--epochs",
        "1",
        "--model",
        "784-64-10",
        "--batch-size",
        "128",
        "--metrics",
        "m.jsonl",
        "--save",
        "ck.npz",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("epoch")]
    assert len(lines) == 1
    for word in ("train loss", "test loss", "test acc", " s ", "samples/s"):
        assert word in lines[0]
    (row,) = [json.loads(ln) for ln in open(tmp_path / "m.jsonl")]
    for key in ("epoch", "train_loss", "test_loss", "test_accuracy", "seconds"):
        assert key in row
    assert row["epoch"] == 1 and 0.5 < row["test_accuracy"] <= 1.0 and row["train_loss"] > 0
    assert (tmp_path / "ck.npz").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_same_seed_same_metrics_and_other_seed_differs(tmp_path):
    a = train("--epochs", "2", "--seed", "3", "--metrics", "a.jsonl", *QUICK, cwd=tmp_path)
    b = train("--epochs", "2", "--seed", "3", "--metrics", "b.jsonl", *QUICK, cwd=tmp_path)
    c = train("--epochs", "2", "--seed", "4", "--metrics", "c.jsonl", *QUICK, cwd=tmp_path)
    assert a.returncode == b.returncode == c.returncode == 0, a.stderr + b.stderr + c.stderr
    assert metrics(tmp_path / "a.jsonl") == metrics(tmp_path / "b.jsonl")
    assert metrics(tmp_path / "a.jsonl") != metrics(tmp_path / "c.jsonl")
    assert a.stdout == "" and b.stdout == ""  # --quiet


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_equals_straight_run(tmp_path, optimizer):
    opts = [*QUICK, "--optimizer", optimizer, "--seed", "1"]
    straight = train("--epochs", "3", "--metrics", "straight.jsonl", *opts, cwd=tmp_path)
    first = train("--epochs", "1", "--metrics", "resumed.jsonl", "--save", "ck.npz", *opts, cwd=tmp_path)
    rest = train(
        "--resume",
        "ck.npz",
        "--epochs",
        "3",
        "--metrics",
        "resumed.jsonl",
        "--save",
        "ck.npz",
        "--quiet",
        cwd=tmp_path,
    )
    assert straight.returncode == first.returncode == rest.returncode == 0, (
        straight.stderr + first.stderr + rest.stderr
    )
    resumed = metrics(tmp_path / "resumed.jsonl")
    assert [r["epoch"] for r in resumed] == [1, 2, 3]
    assert resumed == metrics(tmp_path / "straight.jsonl")
    # resuming a finished run trains nothing and succeeds
    again = train("--resume", "ck.npz", "--epochs", "3", cwd=tmp_path)
    assert again.returncode == 0 and "nothing to train" in again.stdout


def test_plot(tmp_path):
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib")
    out = train("--epochs", "1", "--plot", "curves.png", *QUICK, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


BAD = [
    (["--data", "cifar10"], "unknown dataset 'cifar10'"),
    (["--batch-size", "0"], "--batch-size must be a positive integer"),
    (["--batch-size", "-5"], "--batch-size must be a positive integer"),
    (["--batch-size", "ten"], "invalid int value"),
    (["--epochs", "-1"], "--epochs must be >= 0"),
    (["--lr", "nan"], "--lr must be a finite number"),
    (["--lr", "inf"], "--lr must be a finite number"),
    (["--lr", "0"], "--lr must be a finite number > 0"),
    (["--momentum", "-0.5"], "--momentum must be"),
    (["--weight-decay", "inf"], "--weight-decay must be"),
    (["--model", "784-abc-10"], "does not parse"),
    (["--model", "784"], "need at least an input and an output"),
    (["--model", "100-64-10"], "first size must be 784"),
    (["--model", "784-64-5"], "last size must be the number of classes (10)"),
    (["--model", "784-0-10"], "all positive"),
    (["--optimizer", "rmsprop"], "invalid choice"),
    (["--device", "tpu"], "invalid choice"),
    (["--backend", "nosuch"], "unknown backend 'nosuch'"),
    (["--resume", "missing.npz"], "no such checkpoint file"),
    (["--resume", "corrupt.npz"], "cannot read checkpoint"),
    (["--resume", "notzip.npz"], "cannot read checkpoint"),
    (["--metrics", "no/such/dir/m.jsonl"], "does not exist"),
    (["--frobnicate"], "unrecognized arguments"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04" + b"\0" * 50)
    (tmp_path / "notzip.npz").write_text("hello")
    out = (
        train(*args, "--epochs", "1", cwd=tmp_path) if "--epochs" not in args else train(*args, cwd=tmp_path)
    )
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    err = out.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pyneuro train: error:"), out.stderr
    assert message in err[0]
    assert "Traceback" not in out.stderr


def test_resume_with_conflicting_settings_is_refused(tmp_path):
    first = train("--epochs", "1", "--save", "ck.npz", *QUICK, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = train("--resume", "ck.npz", "--epochs", "2", "--lr", "0.5", cwd=tmp_path)
    assert out.returncode == 2 and "conflicts with the checkpoint" in out.stderr
    truncated = (tmp_path / "ck.npz").read_bytes()[:200]
    (tmp_path / "cut.npz").write_bytes(truncated)
    out = train("--resume", "cut.npz", "--epochs", "2", cwd=tmp_path)
    assert out.returncode == 2 and "cannot read checkpoint" in out.stderr and "Traceback" not in out.stderr


def test_train_module_main_in_process(tmp_path, capsys):
    """main(argv) -> int, callable from Python (what pyneuro.cli dispatches to)."""
    from pyneuro import train as train_module

    code = train_module.main(["--epochs", "0", "--quiet"])
    assert code == 0
    assert train_module.main(["--batch-size", "0"]) == 2
    assert "--batch-size" in capsys.readouterr().err


def test_offline_missing_dataset_is_a_clear_error(tmp_path):
    env = _env()
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["PYNEURO_DATA"] = str(tmp_path / "nothing")
    out = subprocess.run(
        [sys.executable, "-m", "pyneuro.cli", "train", "--data", "mnist", "--epochs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    if out.returncode == 0:
        pytest.skip("MNIST is installed system-wide on this machine")
    assert out.returncode == 1
    assert "cannot find train-images-idx3-ubyte" in out.stderr and "PYNEURO_OFFLINE" in out.stderr
    assert "Traceback" not in out.stderr


def test_unavailable_device_is_one_line(tmp_path):
    from pyneuro import backends

    if any(backends.status(n).available for n in ("cuda", "cupy")):
        pytest.skip("a CUDA backend is available here; the error path needs a machine without one")
    out = train("--device", "cuda", "--epochs", "1", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("pyneuro train: error: --device cuda:")


def test_help(tmp_path):
    out = train("--help", cwd=tmp_path)
    assert out.returncode == 0 and "--resume PATH" in out.stdout and "examples:" in out.stdout
