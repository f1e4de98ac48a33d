"""pn.save / pn.load: safetensors interop with torch, atomic saves, and loads that trust nothing."""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import nn, serialization


def _mlp():
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))


def _old_save(obj_tree: dict, arrays: dict, path):
    """What pyneuro's version-1 pn.save wrote: an .npz with a JSON header (np.savez: stored, no pickle)."""
    header = json.dumps({"magic": "pyneuro", "version": 1, "tree": obj_tree}).encode()
    with open(path, "wb") as fh:
        np.savez(fh, __pyneuro__=np.frombuffer(header, np.uint8), **arrays)


def _safetensors(header: dict, data: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


# ------------------------------------------------------------------------------ torch interop
def test_a_transposed_parameter_is_stored_with_its_shape(tmp_path):
    """A lone transposed tensor is stored as its values in C order under its own shape, so a
    safetensors reader loads it into a torch model (it read the (6,) storage before); pn.load
    lays it out transposed again, as torch.load keeps strides."""
    st = pytest.importorskip("safetensors.torch")
    lin = pn.nn.Linear(3, 2)
    lin.weight = pn.nn.Parameter(pn.arange(6.0).reshape(3, 2).t())
    cube = pn.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)
    path = tmp_path / "t.safetensors"
    pn.save({**lin.state_dict(), "cube": cube}, path)
    theirs = st.load_file(str(path))
    assert {k: tuple(v.shape) for k, v in theirs.items()} == {
        "weight": (2, 3),
        "bias": (2,),
        "cube": (4, 2, 3),
    }
    assert theirs["weight"].tolist() == lin.weight.tolist() and theirs["cube"].tolist() == cube.tolist()
    ours = pn.load(path)
    assert ours["weight"].stride() == (1, 2) and ours["weight"].tolist() == lin.weight.tolist()
    assert ours["cube"].stride() == cube.stride() and ours["cube"].tolist() == cube.tolist()
    assert not ours["weight"].requires_grad  # a state dict holds detached tensors


def test_state_dict_round_trip_pyneuro_torch_pyneuro(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    pn.manual_seed(0)
    model = _mlp()
    path = tmp_path / "model.safetensors"
    pn.save(model.state_dict(), path)

    tmodel = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    loaded = st.load_file(str(path))
    assert sorted(loaded) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    tmodel.load_state_dict(loaded)  # strict: same names, shapes and dtypes
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(tmodel.state_dict()[k].numpy(), v.numpy())
    np.testing.assert_allclose(
        tmodel(torch.from_numpy(x)).detach().numpy(),
        model(pn.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )

    # torch trains a step and writes with safetensors; pyneuro reads it back into its model
    opt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
    tmodel(torch.from_numpy(x)).square().sum().backward()
    opt.step()
    back = tmp_path / "from_torch.safetensors"
    st.save_file(tmodel.state_dict(), str(back))
    state = pn.load(back)
    assert all(isinstance(v, pn.Tensor) and v.dtype == pn.float32 for v in state.values())
    model.load_state_dict(state)
    for k, v in tmodel.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[k].numpy(), v.numpy())
    np.testing.assert_allclose(
        model(pn.tensor(x)).detach().numpy(),
        tmodel(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_every_whitelisted_dtype_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    values = {
        str(np.dtype(d)): np.arange(6).reshape(2, 3).astype(d)
        for d in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, bool)
    }
    pn.save(
        dict(values, scalar=pn.tensor(2.5)), tmp_path / "d.safetensors"
    )  # arrays are stored as tensors too
    got = st.load_file(str(tmp_path / "d.safetensors"))
    for k, v in values.items():
        assert got[k].numpy().dtype == v.dtype
        np.testing.assert_array_equal(got[k].numpy(), v)
    assert got["scalar"].shape == torch.Size([]) and got["scalar"].item() == 2.5
    back = pn.load(tmp_path / "d.safetensors", weights_only=False)  # NumPy arrays: as torch.load
    for k, v in values.items():
        assert back[k].dtype == v.dtype and back[k].tolist() == v.tolist()
    assert (
        isinstance(back["scalar"], pn.Tensor) and back["scalar"].shape == () and back["scalar"].item() == 2.5
    )


def test_checkpoint_structure_survives(tmp_path):
    pn.manual_seed(0)
    model = _mlp()
    opt = pn.optim.Adam(model.parameters(), lr=0.01)
    model(pn.randn(2, 6)).sum().backward()
    opt.step()
    gen = pn.Generator().manual_seed(5)
    obj = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "rng": gen.get_state(),
        "epoch": 3,
        "history": [{"loss": 0.5}],
        "t": (1, "a", None),
        "arr": np.arange(4, dtype=np.int32),
    }
    path = tmp_path / "ck.safetensors"
    pn.save(obj, path)
    back = pn.load(path, weights_only=False)  # (it holds a NumPy array: torch.load asks for this too)
    assert back["epoch"] == 3 and back["history"] == [{"loss": 0.5}] and back["t"] == (1, "a", None)
    assert isinstance(back["arr"], np.ndarray) and back["arr"].dtype == np.int32
    assert back["optimizer"]["param_groups"] == opt.state_dict()["param_groups"]
    assert back["optimizer"]["state"][0]["step"] == 1
    np.testing.assert_array_equal(
        back["optimizer"]["state"][0]["exp_avg"].numpy(), opt.state_dict()["state"][0]["exp_avg"].numpy()
    )
    assert pn.Generator().set_state(back["rng"]).get_state().tolist() == gen.get_state().tolist()
    # the tensors carry their dotted paths, so safetensors tools see readable names
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    names = set(json.loads(path.read_bytes()[8 : 8 + header_len]))
    assert {"model.0.weight", "optimizer.state.0.exp_avg", "__metadata__"} <= names


@pytest.mark.parametrize("value", [0.93, 3, None, True, "__pickle__", [1, 2.5, None], (1, 2), b"xy", 2 + 3j])
def test_a_bare_value_round_trips(value):
    """torch.save(0.93, f) works in torch; the top-level check once read `key in 0.93` (TypeError)."""
    buf = io.BytesIO()
    pn.save(value, buf)
    buf.seek(0)
    got = pn.load(buf)
    assert got == value and type(got) is type(value)


def test_version_1_npz_checkpoints_still_load(tmp_path):
    path = tmp_path / "old.npz"
    tree = {"__dict__": [["0.weight", {"__tensor__": "a0"}], [3, {"__tuple__": [1, {"__ndarray__": "a1"}]}]]}
    _old_save(tree, {"a0": np.ones((2, 3), np.float32), "a1": np.arange(3)}, path)
    back = pn.load(path, weights_only=False)  # (a NumPy array: refused by default, as torch refuses it)
    assert back["0.weight"].shape == (2, 3) and back["0.weight"].dtype == pn.float32
    assert back[3][0] == 1 and back[3][1].tolist() == [0, 1, 2]


def test_arrays_of_dtypes_the_format_lacks_are_pickled():
    """(torch pickles every array: these load with weights_only=False, and are refused by default)"""
    for bad in (
        np.zeros(2, np.complex64),
        np.array(["a"]),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        np.zeros(2, np.uint32),
    ):
        buf = io.BytesIO()
        pn.save({"x": bad, "w": pn.ones(2)}, buf)
        buf.seek(0)
        back = pn.load(buf, weights_only=False)
        assert back["x"].dtype == bad.dtype and (back["x"] == bad).all() and back["w"].tolist() == [1, 1]
        buf.seek(0)
        with pytest.raises(pickle.UnpicklingError):
            pn.load(buf)


# ------------------------------------------------------------------------------ crafted files
def _expect_bad(tmp_path, data: bytes, match: str | None = None):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        pn.load(path)
    assert isinstance(info.value, RuntimeError)  # torch raises RuntimeError for corrupt files
    assert str(path) in str(info.value)
    if match:
        assert match in str(info.value), str(info.value)


def test_crafted_safetensors_headers_are_value_errors(tmp_path):
    f32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    _expect_bad(tmp_path, b"", "too short")
    _expect_bad(tmp_path, struct.pack("<Q", 1 << 40) + b"{}", "header length")
    _expect_bad(tmp_path, _safetensors([1, 2]), "not a JSON object")
    _expect_bad(tmp_path, _safetensors({"x": dict(f32, dtype="C64")}, b"\0" * 8), "dtype 'C64'")
    _expect_bad(tmp_path, _safetensors({"x": dict(f32, dtype="STR")}, b"\0" * 8), "dtype")
    # 4 GiB declared, 8 bytes present: refused before any allocation
    _expect_bad(
        tmp_path,
        _safetensors({"x": dict(f32, shape=[1 << 30], data_offsets=[0, 1 << 32])}, b"\0" * 8),
        "needs 4294967296 bytes",
    )
    _expect_bad(tmp_path, _safetensors({"x": dict(f32, shape=[-1])}, b"\0" * 8), "bad shape")
    _expect_bad(tmp_path, _safetensors({"x": dict(f32, shape="2")}, b"\0" * 8), "bad shape")
    _expect_bad(tmp_path, _safetensors({"x": dict(f32, data_offsets=[0, "8"])}, b"\0" * 8), "data_offsets")
    _expect_bad(tmp_path, _safetensors({"x": f32, "y": f32}, b"\0" * 8), "overlap or hole")
    _expect_bad(tmp_path, _safetensors({"x": f32}, b"\0" * 12), "after the last tensor")
    _expect_bad(tmp_path, _safetensors({"x": 5}), "dtype, shape and data_offsets")
    _expect_bad(tmp_path, _safetensors({"__metadata__": {"pyneuro": 3}}), "strings to strings")
    meta = lambda tree: _safetensors(
        {"x": f32, "__metadata__": {"pyneuro": json.dumps({"version": 2, "tree": tree})}}, b"\0" * 8
    )
    _expect_bad(tmp_path, meta({"__tensor__": "missing"}), "does not hold")
    _expect_bad(tmp_path, meta({"__evil__": 1}), "unknown entry")
    _expect_bad(tmp_path, meta({"__dict__": [[{"a": 1}, 2]]}), "not a [key, value] pair")
    _expect_bad(tmp_path, meta({"__dict__": 5}), "unknown entry")
    _expect_bad(tmp_path, meta(json.loads("[" * 200 + "]" * 200)), "levels deep")
    ex = {"storage": "x", "requires_grad": False, "parameter": False}
    for order in ([1], [0, 0], [0.0], "0", [True]):  # a transposed layout's axis order, crafted
        _expect_bad(tmp_path, meta({"__tensor_ex__": dict(ex, order=order)}), "axis order")
    # nesting so deep that the JSON parser itself gives up: still a ValueError
    deep = '{"version": 2, "tree": ' + "[" * 100_000 + "]" * 100_000 + "}"
    _expect_bad(tmp_path, _safetensors({"__metadata__": {"pyneuro": deep}}))
    _expect_bad(
        tmp_path,
        _safetensors({"__metadata__": {"pyneuro": json.dumps({"version": 9, "tree": 1})}}),
        "version 9",
    )


def test_npz_members_are_checked_before_reading(tmp_path):
    def npz(name, **arrays):
        path = tmp_path / name
        with open(path, "wb") as fh:
            np.savez(
                fh, __pyneuro__=np.frombuffer(b'{"magic":"pyneuro","version":1,"tree":1}', np.uint8), **arrays
            )
        return path

    for name, arr in (
        ("complex.npz", np.zeros(2, np.complex128)),
        ("str.npz", np.array(["abc"])),
        ("date.npz", np.array(["2020-01-01"], "datetime64[D]")),
        ("obj.npz", np.array([{"x": 1}], dtype=object)),
    ):
        with pytest.raises(ValueError, match=name):
            pn.load(npz(name, a0=arr))
    # a deflated member of 8 MB of zeros (about 8 kB on disk) is refused unless the caller opts in
    bomb = tmp_path / "bomb.npz"
    header = np.frombuffer(b'{"magic":"pyneuro","version":1,"tree":{"__tensor__":"a0"}}', np.uint8)
    with open(bomb, "wb") as fh:
        np.savez_compressed(fh, __pyneuro__=header, a0=np.zeros(2 << 20, np.float32))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ValueError, match="allow_large=True"):
        pn.load(bomb)
    assert pn.load(bomb, allow_large=True).shape == (2 << 20,)
    # a member whose .npy header promises more than the member holds
    lying = tmp_path / "lying.npz"
    with zipfile.ZipFile(lying, "w") as zf:
        zf.writestr("__pyneuro__.npy", _npy(header))
        zf.writestr("a0.npy", _npy(np.zeros(4, np.float32))[:-8])
    with pytest.raises(ValueError, match="a0.npy"):
        pn.load(lying)


def _npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["safetensors", "npz"])
def test_fuzzed_files_load_or_raise_value_error(tmp_path, kind):
    obj = {"w": pn.randn(3, 2), "opt": {"state": {0: {"step": 2}}}, "name": "x"}
    if kind == "safetensors":
        buf = io.BytesIO()
        pn.save(obj, buf)
        good = buf.getvalue()
    else:
        _old_save(
            {"__dict__": [["w", {"__tensor__": "a0"}], ["n", 1]]},
            {"a0": np.ones(6, np.float32)},
            tmp_path / "g.npz",
        )
        good = (tmp_path / "g.npz").read_bytes()
    rng = np.random.default_rng(0)
    outcomes = {"loaded": 0, "refused": 0}
    cases = [good[:n] for n in rng.integers(0, len(good), 60)]
    for _ in range(240):
        data = bytearray(good)
        for pos in rng.integers(0, len(good), rng.integers(1, 4)):
            data[pos] = int(rng.integers(0, 256))
        cases.append(bytes(data))
    for data in cases:
        try:
            pn.load(io.BytesIO(data))
            outcomes["loaded"] += 1
        except ValueError as exc:
            assert "pn.load" in str(exc)
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == len(cases)


# ------------------------------------------------------------------------------ atomic saves
def _temps(folder: Path):
    return [p.name for p in folder.iterdir() if ".tmp-" in p.name]


def test_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ck.safetensors"
    pn.save({"w": pn.ones(3)}, path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serialization.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        pn.save({"w": pn.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and _temps(tmp_path) == []
    with pytest.raises((AttributeError, pickle.PicklingError)):  # refused before the disk is touched
        pn.save({"w": pn.ones(2), "f": lambda x: x}, path)  # a local function cannot be pickled
    assert path.read_bytes() == before and _temps(tmp_path) == []
    with pytest.raises(IsADirectoryError):
        pn.save({"w": pn.ones(2)}, tmp_path)
    assert _temps(tmp_path) == [] and _temps(tmp_path.parent) == []


def test_saved_file_has_the_usual_permissions(tmp_path):
    path = tmp_path / "m.safetensors"
    pn.save({"w": pn.ones(1)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the umask from Linux's /proc")
def test_a_save_never_changes_the_process_umask(tmp_path, monkeypatch):
    """os.umask reads the umask only by setting it: two threads saving at once could leave the
    process's umask 0 (every later file world-writable). A save reads it without setting it."""
    old = os.umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", lambda mask: pytest.fail(f"os.umask({mask:o}) during a save"))
        pn.save({"w": pn.ones(1)}, tmp_path / "m.pt")
    finally:
        monkeypatch.undo()
        os.umask(old)
    assert (tmp_path / "m.pt").stat().st_mode & 0o777 == 0o640


_KILLED_SAVER = """
import os, sys, time
import pyneuro as pn
path, mode = sys.argv[1], sys.argv[2]
if mode == "stall":  # the new file is fully written; stop right before it is renamed into place
    real_fsync = os.fsync
    def stall(fd):
        print("writing", flush=True)
        time.sleep(60)
    os.fsync = stall
    pn.save({"w": pn.full((100_000,), 2.0)}, path)
else:  # overwrite in a loop; the parent kills it at some moment
    print("writing", flush=True)
    i = 3
    while True:
        pn.save({"w": pn.full((1_000_000,), float(i))}, path)
        i += 1
"""


def _run_saver(tmp_path, path, mode):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(pn.__file__).resolve().parent.parent), env.get("PYTHONPATH")) if p
    )
    return subprocess.Popen(
        [sys.executable, "-c", _KILLED_SAVER, str(path), mode], stdout=subprocess.PIPE, text=True, env=env
    )


def test_sigkill_mid_save_keeps_the_old_checkpoint(tmp_path):
    path = tmp_path / "ck.safetensors"
    pn.save({"w": pn.full((100_000,), 1.0)}, path)
    proc = _run_saver(tmp_path, path, "stall")
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert pn.load(path)["w"].numpy().max() == 1.0  # the old checkpoint, intact
    stale = _temps(tmp_path)
    assert len(stale) == 1 and stale[0].startswith(".ck.safetensors.tmp-")
    (tmp_path / ".other.tmp-1-x").write_bytes(b"not ours")  # a different target's pattern: kept
    pn.save({"w": pn.full((10,), 5.0)}, path)
    assert _temps(tmp_path) == [".other.tmp-1-x"]
    assert pn.load(path)["w"].tolist() == [5.0] * 10


def test_sigkill_at_random_moments_never_breaks_the_checkpoint(tmp_path):
    path = tmp_path / "ck.safetensors"
    pn.save({"w": pn.full((1_000_000,), 1.0)}, path)
    rng = np.random.default_rng(0)
    for _ in range(4):
        proc = _run_saver(tmp_path, path, "loop")
        try:
            proc.stdout.readline()
            time.sleep(float(rng.uniform(0.05, 0.6)))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        w = pn.load(path)["w"].numpy()
        assert w.shape == (1_000_000,) and w.min() == w.max()  # one whole save, never a mix
    pn.save({"w": pn.ones(1)}, path)
    assert _temps(tmp_path) == []
