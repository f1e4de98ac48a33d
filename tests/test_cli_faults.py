"""Fault paths of `pyneuro train` and `pyneuro bench`: each ends in one line on stderr, no traceback,
exit status 2 (bad arguments) or 1 (bad data), before any training or allocation starts."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pyneuro as pn

QUICK = ["--model", "784-64-10", "--batch-size", "128", "--quiet"]


def _env(**extra):
    env = dict(os.environ, PYNEURO_OFFLINE="1", PYNEURO_NUM_THREADS="1", **extra)
    root = str(Path(pn.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    return env


def cli(*args, cwd, env=None, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "pyneuro", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env or _env(),
        check=False,
    )


def one_line_error(out, code, command, message):
    assert out.returncode == code, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    errors = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1 and errors[0].startswith(f"pyneuro {command}: error:"), out.stderr
    assert message in errors[0], errors[0]
    return errors[0]


# ------------------------------------------------------------------------------ train: arguments
@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "784-99999999-10"], "parameters need at least"),
        (["--save", "folder"], "--save folder is a folder"),
        (["--metrics", "folder"], "--metrics folder is a folder"),
        (["--plot", "folder"], "--plot folder is a folder"),
        (["--save", ""], "--save needs a file name"),
        (["--metrics", ""], "--metrics needs a file name"),
        (["--save", "  "], "--save needs a file name"),
        (["--save", "new/"], "--save new/ is a folder"),  # a folder that does not exist yet
        (["--save", "ck.pt", "--metrics", "ck.pt"], "--save and --metrics name the same file"),
        (["--resume", "ck.pt", "--metrics", "./ck.pt"], "--resume and --metrics name the same file"),
        (["--metrics", "m.jsonl", "--plot", "m.jsonl"], "--metrics and --plot name the same file"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_train_bad_output_and_model_exit_2_before_training(tmp_path, args, message):
    (tmp_path / "folder").mkdir()
    out = cli("train", *args, "--epochs", "1", cwd=tmp_path)
    one_line_error(out, 2, "train", message)
    assert "training" not in out.stdout and sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_train_unwritable_folder_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        one_line_error(
            cli("train", "--save", "ro/ck.safetensors", "--epochs", "1", cwd=tmp_path),
            2,
            "train",
            "not writable",
        )
    finally:
        ro.chmod(0o700)


def _fake_checkpoint(path, **args):
    run_args = {
        "data": "mnist-sample",
        "model": "784-64-10",
        "batch_size": 128,
        "lr": 0.001,
        "optimizer": "adam",
        "momentum": 0.9,
        "weight_decay": 0.0,
        "seed": 0,
    }
    run_args.update(args)
    pn.save(
        {
            "format": "pyneuro-train-checkpoint-1",
            "model": {},
            "optimizer": {},
            "rng_loader": pn.Generator().get_state(),
            "rng_default": pn.Generator().get_state(),
            "epoch": 0,
            "args": json.dumps(run_args),
            "history": "[]",
        },
        path,
    )


@pytest.mark.parametrize(
    "stored,message",
    [
        ({"optimizer": "rmsprop"}, "the checkpoint's unknown optimizer 'rmsprop'"),
        ({"lr": "fast"}, "the checkpoint's --lr must be a number"),
        ({"lr": -1.0}, "the checkpoint's --lr must be a finite number > 0"),
        ({"batch_size": 0}, "the checkpoint's --batch-size must be a positive integer"),
        ({"batch_size": 1.5}, "the checkpoint's --batch-size must be an integer"),
        ({"seed": -3}, "the checkpoint's --seed must be >= 0"),
        ({"data": "cifar"}, "the checkpoint's unknown dataset 'cifar'"),
        ({"model": "784-10-7"}, "the checkpoint's --model '784-10-7': the last size"),
        ({"model": 12}, "the checkpoint's --model must be layer sizes"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_train_checkpoint_with_invalid_stored_args_is_refused(tmp_path, stored, message):
    _fake_checkpoint(tmp_path / "ck.safetensors", **stored)
    out = cli("train", "--resume", "ck.safetensors", "--epochs", "1", cwd=tmp_path)
    line = one_line_error(out, 2, "train", message)
    assert "--resume ck.safetensors" in line


def test_train_checkpoint_is_safetensors_and_loads_into_torch(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    out = cli("train", "--epochs", "1", "--save", "ck.safetensors", *QUICK, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    tensors = st.load_file(str(tmp_path / "ck.safetensors"))
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
    )
    model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")})
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_resume_after_a_kill_between_checkpoint_and_metrics_repeats_no_epoch(tmp_path):
    straight = cli("train", "--epochs", "2", "--metrics", "straight.jsonl", *QUICK, cwd=tmp_path)
    first = cli(
        "train", "--epochs", "1", "--save", "ck.safetensors", "--metrics", "m.jsonl", *QUICK, cwd=tmp_path
    )
    assert straight.returncode == first.returncode == 0, straight.stderr + first.stderr
    # a kill after the checkpoint but before its metrics line: the file lacks epoch 1 ...
    (tmp_path / "m.jsonl").write_text("")
    rest = cli(
        "train",
        "--resume",
        "ck.safetensors",
        "--epochs",
        "2",
        "--metrics",
        "m.jsonl",
        "--quiet",
        cwd=tmp_path,
    )
    assert rest.returncode == 0, rest.stderr
    strip = lambda rows: [
        {k: v for k, v in r.items() if k not in ("seconds", "train_seconds", "samples_per_s")} for r in rows
    ]
    rows = [json.loads(ln) for ln in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert strip(rows) == strip(
        json.loads(ln) for ln in (tmp_path / "straight.jsonl").read_text().splitlines()
    )
    # ... and a metrics file with lines the checkpoint never saw (an old run) is put right too
    with open(tmp_path / "m.jsonl", "a") as f:
        f.write(json.dumps({"epoch": 3}) + "\n")
    again = cli(
        "train",
        "--resume",
        "ck.safetensors",
        "--epochs",
        "2",
        "--metrics",
        "m.jsonl",
        "--quiet",
        cwd=tmp_path,
    )
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert again.returncode == 0 and [json.loads(ln)["epoch"] for ln in lines] == [1, 2]


def test_old_npz_checkpoint_still_resumes(tmp_path):
    """A checkpoint written by pyneuro's version-1 format (.npz) still resumes."""
    from pyneuro import train as train_module

    out = cli("train", "--epochs", "1", "--save", "ck.safetensors", *QUICK, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    state = pn.load(tmp_path / "ck.safetensors")
    arrays: dict = {}
    tree = _v1_tree(state, arrays)
    header = json.dumps({"magic": "pyneuro", "version": 1, "tree": tree}).encode()
    with open(tmp_path / "old.npz", "wb") as fh:
        np.savez(fh, __pyneuro__=np.frombuffer(header, np.uint8), **arrays)
    assert train_module.load_checkpoint(str(tmp_path / "old.npz"))["epoch"] == 1
    out = cli("train", "--resume", "old.npz", "--epochs", "2", "--quiet", cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def _v1_tree(obj, arrays):
    """The version-1 writer's encoding (kept here to produce old files)."""
    if isinstance(obj, pn.Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = obj.numpy()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        return {"__dict__": [[k, _v1_tree(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_v1_tree(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_v1_tree(v, arrays) for v in obj]
    return obj


# ------------------------------------------------------------------------------ train: bad data
def _idx(shape, dtype_code=8):
    return bytes([0, 0, dtype_code, len(shape)]) + np.asarray(shape, ">u4").tobytes()


CORRUPT = {
    "truncated": ("train-images-idx3-ubyte", _idx((60000, 28, 28)) + bytes(100), "IDX file truncated"),
    "wrong magic": ("train-images-idx3-ubyte", b"\x08\x03\x00\x00" + bytes(100), "not an IDX file"),
    "broken gzip": (
        "train-images-idx3-ubyte.gz",
        b"\x1f\x8b\x08\x00" + b"garbage" * 20,
        "corrupt or truncated gzip",
    ),
    "truncated gzip": (
        "train-images-idx3-ubyte.gz",
        gzip.compress(_idx((10, 28, 28)) + bytes(7840))[:-20],
        "corrupt or truncated gzip",
    ),
    "wrong counts": ("train-images-idx3-ubyte", _idx((10, 28, 28)) + bytes(7840), "wrong content for mnist"),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_train_corrupt_dataset_files_exit_1_naming_the_file(tmp_path, case):
    name, data, message = CORRUPT[case]
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    if case == "wrong counts":  # a consistent-looking pair whose counts differ
        (folder / "train-labels-idx1-ubyte").write_bytes(_idx((9,)) + bytes(9))
    env = _env(PYNEURO_DATA=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = cli("train", "--data", "mnist", "--epochs", "1", "--quiet", cwd=tmp_path, env=env)
    line = one_line_error(out, 1, "train", message)
    assert str(folder / name) in line


# ------------------------------------------------------------------------------ bench
@pytest.mark.parametrize(
    "args,code,message",
    [
        (
            ["--sizes", "50000x50000x50000"],
            2,
            "of memory",
        ),  # 84 GiB on this size's estimate: past the check below
        (["--sizes", "100000000x100000000", "--kernels", "softmax"], 2, "needs about"),
        (["--max-time", "nan"], 2, "--max-time: must be a finite number"),
        (["--max-time", "inf"], 2, "--max-time: must be a finite number"),
        (["--max-call", "-1"], 2, "--max-call: must be >= 0.01"),
        (["--out", "afile"], 2, "--out afile is a file"),
        (["--out", "afile/sub"], 2, "is not a folder"),
        (["--out", ""], 2, "--out needs a folder name"),
        (
            ["--kernel", "raises_on_import.py:softmax"],
            2,
            "running raises_on_import.py failed (ZeroDivisionError",
        ),
        (["--kernel", "nosuchmodule_xyz:softmax"], 2, "cannot import module"),
        (["--sizes", "huge!"], 2, "bad size"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bench_faults_are_one_line(tmp_path, args, code, message):
    from pyneuro._memory import available_bytes

    if args[:2] == ["--sizes", "50000x50000x50000"] and (available_bytes() or 0) > 3 * 4 * 3 * 50000**2:
        pytest.skip("this machine has room for a 50000^3 matmul")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "raises_on_import.py").write_text("1 / 0\n")
    out = cli("bench", *args, "--no-progress", cwd=tmp_path, timeout=120)
    one_line_error(out, code, "bench", message)
    assert out.stdout == ""  # nothing ran


def test_bench_kernel_that_raises_exits_1(tmp_path):
    (tmp_path / "mine.py").write_text("def softmax(x):\n    raise ZeroDivisionError('boom')\n")
    out = cli(
        "bench", "--kernel", "mine.py:softmax", "--sizes", "tiny", "--no-progress", cwd=tmp_path, timeout=120
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr and out.stdout == ""
    errors = [ln for ln in out.stderr.splitlines() if "error" in ln]
    assert errors == ["pyneuro bench: error: --kernel mine.py:softmax raised ZeroDivisionError: boom"]


def test_bench_memory_check_runs_before_any_allocation():
    import dataclasses

    from pyneuro._memory import available_bytes
    from pyneuro.bench import kernels as K
    from pyneuro.bench import runner

    case = K.KERNELS["matmul"].case("100000x100000x100000")
    if (available_bytes() or 0) > runner.memory_needed(case):
        pytest.skip("this machine has room for a 100000^3 matmul")
    with pytest.raises(ValueError, match=r"100000x100000x100000 of matmul needs about 335\.3 GiB"):
        runner.check_memory([(K.KERNELS["matmul"], [case], [])])
    # run_cases checks too (library callers): refused before make_inputs is ever called
    calls = []
    kernel = K.KERNELS["matmul"]
    fake = dataclasses.replace(kernel, make_inputs=lambda *a: calls.append(a))
    with pytest.raises(ValueError, match="needs about"):
        runner.run_cases([(fake, [case], [])], warmup=0, repeat=1, max_time=0.1, max_call=1.0, progress=False)
    assert calls == []


def test_plot_format_matplotlib_cannot_write_is_refused_before_training(tmp_path):
    pytest.importorskip("matplotlib")
    out = cli("train", "--epochs", "1", "--plot", "curves.pdfx", cwd=tmp_path)
    one_line_error(out, 2, "train", "matplotlib cannot write .pdfx files")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)")
def test_metrics_on_a_full_device_exits_1_in_one_line(tmp_path):
    out = cli(
        "train", *QUICK, "--data", "mnist-sample", "--epochs", "1", "--metrics", "/dev/full", cwd=tmp_path
    )
    one_line_error(out, 1, "train", "cannot write --metrics /dev/full")


def test_save_with_a_long_file_name_works(tmp_path):
    """pn.save's temp file beside a 240-byte name must itself be a legal (<= 255-byte) name."""
    name = "c" * 240 + ".pt"
    pn.save({"w": pn.ones(2)}, tmp_path / name)
    assert pn.load(tmp_path / name)["w"].tolist() == [1.0, 1.0]
    assert [p.name for p in tmp_path.iterdir()] == [name]
