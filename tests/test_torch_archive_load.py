"""pn.load reads what torch.save writes (pyneuro/_torch_zip.py): a state dict or a checkpoint saved
in a PyTorch notebook loads here, values, dtypes, shared memory, Parameters and requires_grad as
torch.load gives them, with torch.load's weights-only refusals, and a damaged or hostile archive is
a clear exception. torch writes every file here; torch.load of the same file is the oracle."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import nn
from pyneuro.serialization import CheckpointError

torch = pytest.importorskip("torch")


def _saved(obj, path=None) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    if path is not None:
        path.write_bytes(buf.getvalue())
    return buf.getvalue()


def _rewrite(data: bytes, change) -> bytes:
    """The archive with each member's bytes passed through change(name, bytes) (None: dropped)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            body = change(info.filename, src.read(info))
            if body is not None:
                dst.writestr(info.filename, body)
    return out.getvalue()


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def test_state_dict_saved_by_torch_loads_into_the_same_pyneuro_model(tmp_path):
    torch.manual_seed(0)
    tm = torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 3)
    )
    tm.train()
    tm(torch.randn(8, 5))  # running stats and num_batches_tracked move
    tm.eval()
    _saved(tm.state_dict(), tmp_path / "model.pt")

    sd = pn.load(tmp_path / "model.pt")
    assert list(sd) == list(tm.state_dict())
    assert type(sd).__name__ == "OrderedDict" and sd._metadata == tm.state_dict()._metadata
    pm = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 3))
    pm.load_state_dict(sd)
    pm.eval()
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    np.testing.assert_allclose(
        pm(pn.from_numpy(x)).detach().numpy(), tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    assert sd["1.num_batches_tracked"].dtype == pn.int64 and int(sd["1.num_batches_tracked"]) == 1


def test_checkpoint_with_optimizer_state_resumes_as_torch_does(tmp_path):
    torch.manual_seed(1)
    tm = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(tm.parameters(), lr=0.1)
    x, y = torch.randn(4, 3), torch.randn(4, 2)
    for _ in range(2):
        opt.zero_grad()
        torch.nn.functional.mse_loss(tm(x), y).backward()
        opt.step()
    _saved({"model": tm.state_dict(), "optimizer": opt.state_dict(), "epoch": 2}, tmp_path / "ck.pt")

    ck = pn.load(tmp_path / "ck.pt")
    assert ck["epoch"] == 2
    pm = nn.Linear(3, 2)
    pm.load_state_dict(ck["model"])
    popt = pn.optim.Adam(pm.parameters(), lr=0.1)
    popt.load_state_dict(ck["optimizer"])
    opt.zero_grad()
    torch.nn.functional.mse_loss(tm(x), y).backward()
    opt.step()
    popt.zero_grad()
    pn.nn.functional.mse_loss(pm(pn.from_numpy(x.numpy())), pn.from_numpy(y.numpy())).backward()
    popt.step()
    np.testing.assert_allclose(pm.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_views_share_memory_again_and_values_match():
    base = torch.arange(12.0).view(3, 4)
    obj = {"base": base, "cols": base[:, 1:3], "t": base.t(), "row": base[2], "tied": base}
    got = pn.load(io.BytesIO(_saved(obj)))
    for k, v in obj.items():
        assert tuple(got[k].shape) == tuple(v.shape)
        np.testing.assert_array_equal(got[k].numpy(), v.numpy())
    assert got["tied"] is got["base"]  # one object saved twice: one object again, as torch's
    got["base"].add_(100)  # views of one storage share it, as they did in torch
    np.testing.assert_array_equal(got["cols"].numpy(), base[:, 1:3].numpy() + 100)
    np.testing.assert_array_equal(got["t"].numpy(), base.t().numpy() + 100)
    assert got["base"].untyped_storage().data_ptr() == got["row"].untyped_storage().data_ptr()


@pytest.mark.parametrize(
    "dtype",
    ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"],
)
def test_every_dtype_pyneuro_has(dtype):
    t = (torch.arange(-3, 9) % 5).to(getattr(torch, dtype)).view(3, 4)
    obj = {"t": t, "scalar": t[1, 2].clone(), "empty": t[:0], "dtype": t.dtype}
    got = pn.load(io.BytesIO(_saved(obj)))
    assert got["t"].dtype == getattr(pn, dtype) and got["dtype"] == getattr(pn, dtype)
    np.testing.assert_array_equal(got["t"].numpy(), t.numpy())
    assert got["scalar"].shape == () and got["scalar"].item() == t[1, 2].item()
    assert tuple(got["empty"].shape) == (0, 4)


def test_parameters_requires_grad_and_python_values():
    obj = {
        "p": torch.nn.Parameter(torch.ones(2, 2)),
        "frozen": torch.nn.Parameter(torch.zeros(3), requires_grad=False),
        "leaf": torch.ones(3, requires_grad=True),
        "size": torch.Size([2, 3]),
        "device": torch.device("cpu"),
        "misc": [1, 2.5, "s", None, True, (1, 2), {3, 4}, 1 + 2j, b"\x00\xffab", {(1, "a"): [0]}],
    }
    got = pn.load(io.BytesIO(_saved(obj)))
    assert isinstance(got["p"], nn.Parameter) and got["p"].requires_grad
    assert isinstance(got["frozen"], nn.Parameter) and not got["frozen"].requires_grad
    assert not isinstance(got["leaf"], nn.Parameter) and got["leaf"].requires_grad and got["leaf"].is_leaf
    assert got["size"] == pn.Size([2, 3]) and isinstance(got["size"], pn.Size)
    assert got["device"] == pn.device("cpu")
    assert got["misc"] == obj["misc"]


def test_bfloat16_is_refused_with_what_to_do():
    with pytest.raises(CheckpointError, match="bfloat16.*t.float()"):
        pn.load(io.BytesIO(_saved({"w": torch.ones(2, dtype=torch.bfloat16)})))


def test_a_whole_model_needs_weights_only_false_as_in_torch(tmp_path):
    torch.manual_seed(2)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    path = tmp_path / "whole.pt"
    _saved(tm, path)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed") as ours:
        pn.load(path)
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(path)
    assert type(ours.value) is type(theirs.value)
    assert pn.serialization.get_unsafe_globals_in_checkpoint(path) == sorted(
        torch.serialization.get_unsafe_globals_in_checkpoint(path)
    )
    pm = pn.load(path, weights_only=False)  # torch.nn's classes load as pyneuro's
    assert type(pm) is nn.Sequential and type(pm[0]) is nn.Linear and type(pm[1]) is nn.Tanh
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        pm(pn.from_numpy(x)).detach().numpy(), tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    pm(pn.from_numpy(x)).sum().backward()
    assert pm[0].weight.grad is not None
    with pn.serialization.safe_globals([nn.Sequential, nn.Linear, nn.Tanh]):
        with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules"):
            pn.load(path)  # pyneuro's classes are not torch's: the file names torch's


def test_a_hostile_pickle_in_the_archive_runs_nothing(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (eval, (f"open({str(marker)!r}, 'w')",))

    data = _saved({"w": torch.ones(2)})
    evil = _rewrite(
        data, lambda n, b: pickle.dumps({"x": Evil()}, protocol=2) if n.endswith("data.pkl") else b
    )
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
        pn.load(io.BytesIO(evil))
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["storage_short", "storage_missing", "truncated", "bad_byteorder"])
def test_a_damaged_archive_is_a_checkpoint_error(damage):
    data = _saved({"w": torch.arange(6.0), "v": torch.ones(2)})
    if damage == "storage_short":
        data = _rewrite(data, lambda n, b: b[:-4] if n.endswith("data/0") else b)
    elif damage == "storage_missing":
        data = _rewrite(data, lambda n, b: None if n.endswith("data/1") else b)
    elif damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data = _rewrite(data, lambda n, b: b"middle" if n.endswith("byteorder") else b)
    with pytest.raises(CheckpointError) as err:
        pn.load(io.BytesIO(data))
    assert isinstance(err.value, RuntimeError)  # (what torch.load raises for a damaged archive)


def test_a_big_endian_archive_loads_in_native_order():
    t = {"f": torch.tensor([1.5, -2.25, 3.0]), "i": torch.tensor([1, -2, 1 << 40])}
    data = _saved(t)

    def swap(name, body):
        if name.endswith("byteorder"):
            return b"big"
        if name.endswith("data/0"):
            return np.frombuffer(body, "<f4").astype(">f4").tobytes()
        if name.endswith("data/1"):
            return np.frombuffer(body, "<i8").astype(">i8").tobytes()
        return body

    got = pn.load(io.BytesIO(_rewrite(data, swap)))
    np.testing.assert_array_equal(got["f"].numpy(), t["f"].numpy())
    np.testing.assert_array_equal(got["i"].numpy(), t["i"].numpy())
    assert got["f"].numpy().dtype.isnative


def test_a_gpu_checkpoint_needs_map_location_on_a_cpu_machine(tmp_path):
    cpu = b"X\x03\x00\x00\x00cpu"  # the location string of each storage in data.pkl
    data = _rewrite(
        _saved({"w": torch.ones(2)}),
        lambda n, b: b.replace(cpu, b"X\x06\x00\x00\x00cuda:0") if n.endswith("data.pkl") else b,
    )
    path = tmp_path / "gpu.pt"
    path.write_bytes(data)
    with pytest.raises(RuntimeError, match="torch.cuda.is_available\\(\\) is False") as ours:
        pn.load(path)
    with pytest.raises(RuntimeError) as theirs:
        torch.load(path)
    assert type(ours.value) is type(theirs.value)
    got = pn.load(path, map_location="cpu")
    np.testing.assert_array_equal(got["w"].numpy(), [1.0, 1.0])


def test_torch_save_of_a_tensor_to_a_file_object():
    buf = io.BytesIO()
    torch.save(torch.tensor([1.0, 2.0]), buf)
    buf.seek(0)
    got = pn.load(buf)
    assert isinstance(got, pn.Tensor) and got.tolist() == [1.0, 2.0]


_NET = """
import sys
import torch

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 3)

    def forward(self, x):
        return self.fc(x).relu()

path = sys.argv[1]
if sys.argv[2] == "save":
    torch.manual_seed(0)
    torch.save(Net(), path)
else:
    model = torch.load(path, weights_only=False)
    print(type(model).__name__, type(model.fc).__name__, model(torch.ones(1, 2)).tolist())
    del Net
    try:
        torch.load(path, weights_only=False)
    except AttributeError as e:
        print(type(e).__name__, str(e).split(" on ")[0])
"""


def test_a_script_loads_its_own_model_class_that_torch_saved(tmp_path):
    """torch.save(model) in a script run with torch; the same script renamed loads it into its own
    class (now a pyneuro Module), as torch does, and a class no longer defined is pickle's AttributeError."""
    path = tmp_path / "net.pt"
    script = tmp_path / "net.py"
    script.write_text(_NET)
    subprocess.run([sys.executable, str(script), str(path), "save"], check=True)
    outputs = []
    for text in (_NET, _NET.replace("import torch", "import pyneuro as torch")):
        script.write_text(text)
        run = subprocess.run(
            [sys.executable, str(script), str(path), "load"], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[1].startswith("Net Linear") and "Can't get attribute 'Net'" in outputs[1]
