"""pn.save / pn.load against torch.save / torch.load: what a weights-only load refuses (NumPy
arrays and scalars, frozensets: torch pickles them), the exception a failed write raises (torch's
RuntimeError), and hostile pickles that would make a few bytes allocate gigabytes."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import warnings
import zipfile
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from test_probe_io_save import _rt as _round_trip

import pyneuro as pn

torch = pytest.importorskip("torch")


NUMPY_VALUES = [
    np.arange(3.0),
    {"losses": np.array([0.5, 0.25], dtype=np.float32)},
    np.float64(0.93),  # sklearn's accuracy_score, np.mean of a list
    np.float32(1.5),
    np.int64(7),
    np.bool_(True),
    {"acc": np.float64(0.5), "epoch": 3},
    frozenset({1, 2}),
]


@pytest.mark.parametrize("value", NUMPY_VALUES, ids=lambda v: type(v).__name__)
def test_weights_only_refuses_what_torch_pickles(value):
    for lib in (torch, pn):
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
            _round_trip(lib, value)
        with pytest.raises(pickle.UnpicklingError):
            _round_trip(lib, value, weights_only=True)


@pytest.mark.parametrize("value", NUMPY_VALUES, ids=lambda v: type(v).__name__)
def test_weights_only_false_brings_back_the_same_types(value):
    got_torch = _round_trip(torch, value, weights_only=False)
    got = _round_trip(pn, value, weights_only=False)
    assert type(got) is type(got_torch)
    if isinstance(value, dict):
        for k in value:
            assert type(got[k]) is type(got_torch[k])
            np.testing.assert_array_equal(got[k], got_torch[k])
    elif isinstance(value, np.ndarray):
        assert got.dtype == got_torch.dtype
        np.testing.assert_array_equal(got, got_torch)
    else:
        assert got == got_torch and repr(got) == repr(got_torch)


def test_allow_listed_numpy_globals_load_as_in_torch():
    arr = np.arange(4, dtype=np.int32)
    array_globals = [np._core.multiarray._reconstruct, np.ndarray, np.dtype, type(arr.dtype)]
    scalar_globals = [np._core.multiarray.scalar, np.dtype, type(np.dtype(np.float64))]
    for lib in (torch, pn):
        with lib.serialization.safe_globals(array_globals):
            np.testing.assert_array_equal(_round_trip(lib, {"a": arr})["a"], arr)
            with pytest.raises(pickle.UnpicklingError):  # a float64 array needs its own dtype class
                _round_trip(lib, np.arange(2.0))
        with lib.serialization.safe_globals(scalar_globals):
            got = _round_trip(lib, np.float64(0.25))
            assert type(got) is np.float64 and got == 0.25
        with lib.serialization.safe_globals([frozenset]):
            assert _round_trip(lib, frozenset({3})) == frozenset({3})
        with pytest.raises(pickle.UnpicklingError):  # the block's allow-list is gone
            _round_trip(lib, frozenset({3}))


def test_an_optimizer_with_a_numpy_learning_rate_is_refused_as_torchs():
    """lr from np.logspace is an np.float64 in param_groups: torch.load refuses the state dict."""
    for lib in (torch, pn):
        opt = lib.optim.SGD(lib.nn.Linear(2, 1).parameters(), lr=np.logspace(-3, -1, 3)[1])
        with pytest.raises(pickle.UnpicklingError):
            _round_trip(lib, opt.state_dict())
        lr = _round_trip(lib, opt.state_dict(), weights_only=False)["param_groups"][0]["lr"]
        assert type(lr) is np.float64 and lr == opt.param_groups[0]["lr"]


def test_plain_python_values_still_load_by_default():
    value = {"acc": 0.93, "n": 3, "ok": True, "s": {1, 2}, "t": (1, "a"), "b": b"x", "c": 1 + 2j}
    for lib in (torch, pn):
        assert _round_trip(lib, value) == value


# ------------------------------------------------------------------------------ failed writes
def _save_to_an_open_full_device(lib, obj):
    fh = open("/dev/full", "wb")  # closed below, where its own flush fails too
    try:
        lib.save(obj, fh)
    finally:
        try:
            fh.close()
        except OSError:
            pass


def test_a_full_disk_is_a_runtime_error_as_torchs_and_keeps_the_old_file(tmp_path, monkeypatch):
    for lib in (torch, pn):
        obj = {"w": lib.ones(300_000)}
        with pytest.raises(RuntimeError):
            lib.save(obj, "/dev/full")
        with pytest.raises(RuntimeError):
            _save_to_an_open_full_device(lib, obj)
    with pytest.raises(OSError) as info:  # and an OSError with its errno
        pn.save({"w": pn.ones(300_000)}, "/dev/full")
    assert info.value.errno == 28 and "No space left on device" in str(info.value)
    path = tmp_path / "ck.pt"
    pn.save({"w": pn.zeros(3)}, path)
    before = path.read_bytes()

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pn.serialization.os, "fsync", full)
    with pytest.raises(RuntimeError, match="No space left on device") as info:
        pn.save({"w": pn.ones(10)}, path)
    assert isinstance(info.value, OSError) and info.value.errno == 28
    monkeypatch.undo()
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"]


def test_a_read_only_file_is_kept_as_torch_keeps_it(tmp_path, monkeypatch):
    # torch.save opens the file for writing, which a read-only file refuses (RuntimeError "cannot
    # be opened"); pn.save's rename would have replaced it, the folder being writable
    path = tmp_path / "ck.pt"
    pn.save({"w": pn.zeros(3)}, path)
    before = path.read_bytes()
    path.chmod(0o444)
    if os.geteuid() == 0:  # root may write anything: answer as os.access answers another user
        real, target = os.access, os.path.realpath(path)
        monkeypatch.setattr(
            os,
            "access",
            lambda p, mode, **kw: (
                not (mode & os.W_OK and os.path.realpath(p) == target) and real(p, mode, **kw)
            ),
        )
    with pytest.raises(PermissionError) as info:
        pn.save({"w": pn.ones(3)}, path)
    monkeypatch.undo()
    assert isinstance(info.value, RuntimeError) and info.value.filename == str(path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"]


def test_a_read_only_stream_is_torchs_unsupported_operation(tmp_path):
    path = tmp_path / "x.pt"
    path.write_bytes(b"")
    for lib in (torch, pn):
        with open(path, "rb") as fh, pytest.raises(io.UnsupportedOperation):
            lib.save(lib.ones(2), fh)


# ------------------------------------------------------------------------------ hostile pickles
class _Sized:
    """Pickles as bytearray(n): a few bytes that ask for n bytes of memory when unpickled."""

    def __init__(self, n):
        self.n = n

    def __reduce__(self):
        return (bytearray, (self.n,))


def _file_with_pickle(data: bytes) -> io.BytesIO:
    header = {
        "x": {"dtype": "U8", "shape": [len(data)], "data_offsets": [0, len(data)]},
        "__metadata__": {"format": "pt", "pyneuro": json.dumps({"version": 4, "tree": {"__pickle__": "x"}})},
    }
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return io.BytesIO(len(text).to_bytes(8, "little") + text + data)


def test_a_pickled_bytearray_size_is_refused_before_allocating():
    bomb = pickle.dumps(_Sized(1 << 40), protocol=4)  # 1 TiB from a 60-byte pickle
    with pytest.raises(pickle.UnpicklingError, match="bytearray"):
        pn.load(_file_with_pickle(bomb))
    # a real bytearray still loads by default, as torch's
    ok = pickle.dumps(bytearray(b"abc"), protocol=4)
    assert pn.load(_file_with_pickle(ok)) == bytearray(b"abc")


def test_optimizer_state_for_another_shape_is_a_runtime_error():
    """A checkpoint's Adam state for a model of other sizes: torch fails at the next step with a
    RuntimeError; pyneuro refuses it at load_state_dict, with an error that is a RuntimeError too."""
    for lib in (torch, pn):
        model = lib.nn.Linear(3, 2)
        opt = lib.optim.Adam(model.parameters())
        model(lib.ones(1, 3)).sum().backward()
        opt.step()
        other = lib.nn.Linear(4, 2)
        other_opt = lib.optim.Adam(other.parameters())
        with pytest.raises(RuntimeError):
            other_opt.load_state_dict(_round_trip(lib, opt.state_dict()))
            other(lib.ones(1, 4)).sum().backward()
            other_opt.step()


# ------------------------------------------------------------------------------ torch.serialization names
class _Net:  # stands for a user's class pickled with pn.save(model)
    def __init__(self):
        self.w = [1, 2]


def _renamed(names, lib):
    return sorted(n.replace(lib.__name__ + ".", "LIB.") for n in names)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: np.arange(3.0),
        lambda lib: {"acc": np.float64(0.5)},
        lambda lib: frozenset({1}),
        lambda lib: _Net(),
        lambda lib: lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.ReLU()),
        lambda lib: {"w": lib.ones(2), "epoch": 3},
    ],
)
def test_get_unsafe_globals_in_checkpoint_lists_what_torch_lists(tmp_path, make):
    """What a weights-only load refuses, read from the file without running it: the names to
    allow-list (torch's error message points at this function)."""
    got = {}
    for lib in (torch, pn):
        path = tmp_path / f"{lib.__name__}.pt"
        lib.save(make(lib), path)
        got[lib] = _renamed(lib.serialization.get_unsafe_globals_in_checkpoint(path), lib)
        with open(path, "rb") as fh:  # a file object too
            assert _renamed(lib.serialization.get_unsafe_globals_in_checkpoint(fh), lib) == got[lib]
    assert got[pn] == got[torch]


def test_allow_listing_what_get_unsafe_globals_names_lets_the_model_load(tmp_path):
    for lib in (torch, pn):
        path = tmp_path / f"{lib.__name__}.pt"
        lib.save(lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.ReLU()), path)
        with lib.serialization.safe_globals([lib.nn.Sequential, lib.nn.Linear]):
            names = lib.serialization.get_unsafe_globals_in_checkpoint(path)
            assert [n.rsplit(".", 1)[1] for n in names] == ["ReLU"]
            with pytest.raises(pickle.UnpicklingError):
                lib.load(path)
        with lib.serialization.safe_globals([lib.nn.Sequential, lib.nn.Linear, lib.nn.ReLU]):
            assert lib.serialization.get_unsafe_globals_in_checkpoint(path) == []
            assert type(lib.load(path)).__name__ == "Sequential"


def test_source_change_warning_and_default_protocol_exist_as_in_torch():
    for lib in (torch, pn):
        assert issubclass(lib.serialization.SourceChangeWarning, Warning)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=lib.serialization.SourceChangeWarning)
        buf = io.BytesIO()
        lib.save(lib.ones(1), buf, pickle_protocol=lib.serialization.DEFAULT_PROTOCOL)
        assert lib.serialization.DEFAULT_PROTOCOL == 2


_LOAD_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))  # 2 GiB: the bomb asks for 16
import pyneuro as pn
print(pn.load(sys.argv[1]))
"""


def test_a_huge_memo_index_allocates_nothing(tmp_path):
    """A 9-byte pickle storing its value at memo index 2**30: the C unpickler grows its memo array
    to 2**31 entries (16 GiB, all written); a weights-only load uses Python's unpickler (a dict
    memo), as torch's weights-only unpickler does, and loads it as torch loads it."""
    path = tmp_path / "bomb.safetensors"
    path.write_bytes(_file_with_pickle(b"\x80\x04N" + b"r" + struct.pack("<I", 1 << 30) + b".").getvalue())
    env = {"PYTHONPATH": str(Path(pn.__file__).resolve().parent.parent), "PATH": os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_LIMITED, str(path)], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0 and out.stdout.strip() == "None", out.stderr[-2000:]


_LOAD_REFUSED = """
import pickle, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))  # 2 GiB: the bomb asks for 16
import pyneuro as pn
try:
    pn.load(sys.argv[1])
except pickle.UnpicklingError as e:
    print("refused:", e)
"""


@pytest.mark.parametrize("container", ["pyneuro", "torch_archive"])
def test_a_huge_bytearray8_allocates_nothing(tmp_path, container):
    """BYTEARRAY8 with a length of 16 GiB and no bytes: pickle's Python unpickler allocates (and
    zeroes) the length before it reads; the weights-only loads read first and refuse the pickle, as
    torch's weights-only unpickler refuses the opcode (UnpicklingError), in a pn.save file and in a
    torch.save archive alike."""
    bomb = b"\x80\x05\x96" + struct.pack("<Q", 1 << 34) + b"."
    path = tmp_path / "bomb.pt"
    if container == "pyneuro":
        path.write_bytes(_file_with_pickle(bomb).getvalue())
    else:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("archive/data.pkl", bomb)
            zf.writestr("archive/byteorder", "little")
    env = {"PYTHONPATH": str(Path(pn.__file__).resolve().parent.parent), "PATH": os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_REFUSED, str(path)], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0 and "BYTEARRAY8 of 17179869184 bytes" in out.stdout, out.stderr[-2000:]


def test_load_state_dict_copy_failure_names_both_sizes_as_torch():
    messages = []
    for lib in (torch, pn):
        model = lib.nn.Linear(2, 2)
        state = {"weight": lib.ones(2, 2, dtype=lib.int64), "bias": lib.zeros(2)}
        with pytest.raises(RuntimeError) as info:
            model.load_state_dict(state, assign=True)
        messages.append(str(info.value).split(", an exception occurred")[0].replace(lib.__name__, "LIB"))
    assert messages[0] == messages[1]
    assert "whose dimensions in the checkpoint are LIB.Size([2, 2])" in messages[1]


def test_loaded_views_share_the_untyped_storage_of_their_base():
    """Tutorials check views with untyped_storage().data_ptr(); after a round trip a row, a column
    and a transpose saved beside their base still report the base's storage, offset and size."""
    for lib in (torch, pn):
        x = lib.arange(12.0).reshape(3, 4)
        d = _round_trip(lib, {"x": x, "row": x[1], "col": x[:, 2], "t": x.t()})
        base = d["x"].untyped_storage()
        for k in ("row", "col", "t"):
            assert d[k].untyped_storage().data_ptr() == base.data_ptr(), (lib.__name__, k)
            assert d[k].untyped_storage().nbytes() == base.nbytes() == 48
        assert (d["row"].storage_offset(), d["col"].storage_offset()) == (4, 2)
        assert d["col"].stride() == (4,) and d["t"].stride() == (1, 4)
        d["x"].add_(1)
        assert d["row"].tolist() == [5.0, 6.0, 7.0, 8.0] and d["col"].tolist() == [3.0, 7.0, 11.0]


def test_the_same_tensor_twice_loads_as_one_object():
    """torch's pickle memo brings one tensor saved twice back as one object (a Parameter too,
    requires_grad kept); distinct tensors sharing memory (a state dict's tied weights) stay two."""
    for lib in (torch, pn):
        w = lib.nn.Parameter(lib.ones(2))
        x = lib.arange(4.0)
        d = _round_trip(lib, {"a": w, "b": [w, x, x[1:]], "c": (x, w)})
        assert d["a"] is d["b"][0] is d["c"][1] and type(d["a"]).__name__ == "Parameter"
        assert d["b"][1] is d["c"][0] and d["b"][2] is not d["b"][1]
        d["c"][0][1] = 9.0
        assert d["b"][2][0].item() == 9.0
        tied = lib.nn.Linear(2, 2)
        model = lib.nn.Sequential(tied, lib.nn.Linear(2, 2))
        model[1].weight = tied.weight
        state = _round_trip(lib, model.state_dict())
        assert state["0.weight"] is not state["1.weight"]
        assert state["0.weight"].data_ptr() == state["1.weight"].data_ptr()


class _Endless(io.RawIOBase):
    """A stream without an end, as /dev/zero or /dev/urandom (pn.load("/dev/zero") read it to
    the last byte of memory); counts what was read from it."""

    def __init__(self, pattern: bytes):
        self.pattern, self.taken = pattern, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.taken > 1 << 26:  # (a reader that reads it whole stops here, not at the memory's end)
            raise AssertionError("read 64 MiB of an endless stream")
        n = len(buffer)
        buffer[:n] = (self.pattern * (n // len(self.pattern) + 1))[:n]
        self.taken += n
        return n


@pytest.mark.parametrize(
    "pattern", [b"\0", b"\xa7\x13\xff\x01\x9c", b"PK\x03\x04"], ids=["zero", "noise", "zip"]
)
def test_an_endless_stream_is_refused_after_its_header(pattern):
    stream = _Endless(pattern)
    with pytest.raises(pickle.UnpicklingError):  # what torch.load raises for /dev/zero and /dev/urandom
        pn.load(stream)
    assert stream.taken <= 1 << 20


_LOAD_DEVICES = """
import pickle, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))  # a reader that reads them whole stops here
import pyneuro as pn
for path in ("/dev/zero", "/dev/urandom"):
    try:
        pn.load(path)
    except pickle.UnpicklingError as exc:
        print(type(exc).__name__, "MemoryError" in str(exc))
"""


def test_devices_without_an_end_are_refused_as_torch_refuses_them():
    with pytest.raises(pickle.UnpicklingError):
        torch.load("/dev/zero")
    with pytest.raises(Exception):  # noqa: B017 - torch's class depends on the random bytes (mostly
        torch.load("/dev/urandom")  # UnpicklingError, sometimes its unpickler's IndexError)
    env = {"PYTHONPATH": str(Path(pn.__file__).resolve().parent.parent), "PATH": os.environ.get("PATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_DEVICES], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.stdout.split() == ["CheckpointError", "False"] * 2, out.stdout + out.stderr[-2000:]


def test_a_header_claiming_more_data_than_arrives_reads_only_what_arrives():
    buf = io.BytesIO()
    pn.save({"w": pn.ones(4)}, buf)
    data = bytearray(buf.getvalue())
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    header["w"]["data_offsets"][1] = 1 << 40  # a terabyte claimed by a 200-byte stream
    text = json.dumps(header).encode()
    crafted = len(text).to_bytes(8, "little") + text + bytes(data[8 + n :])
    with pytest.raises(RuntimeError, match="needs 16 bytes"):
        pn.load(io.BytesIO(crafted))
    os.mkfifo(pipe := str(Path(os.environ.get("TMPDIR", "/tmp")) / f"pn-fifo-{os.getpid()}"))
    try:
        writer = subprocess.Popen([sys.executable, "-c", f"open({pipe!r}, 'wb').write({bytes(crafted)!r})"])
        with pytest.raises(RuntimeError, match="needs 16 bytes"):
            pn.load(pipe)  # a FIFO: read as a stream, as far as its header says
        writer.wait(timeout=60)
    finally:
        os.unlink(pipe)


def test_a_large_file_that_is_no_checkpoint_is_refused_without_reading_it(tmp_path):
    """pn.load("data.tar.gz") by mistake: refused after its first 8 bytes, as torch refuses it,
    not read whole into memory first (here under a 2 GiB limit, a sparse 3 GiB file)."""
    path = tmp_path / "archive.bin"
    with open(path, "wb") as fh:
        fh.write(b"\x1f\x8b\x08\x00" + bytes(range(60)))
        fh.truncate(3 << 30)
    env = {"PYTHONPATH": str(Path(pn.__file__).resolve().parent.parent), "PATH": os.environ.get("PATH", "")}
    script = _LOAD_LIMITED.replace("print(pn.load(sys.argv[1]))", "pn.load(sys.argv[1])")
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120, env=env
    )
    assert "CheckpointError" in out.stderr and f"does not fit a {3 << 30}-byte file" in out.stderr, (
        out.stderr[-2000:]
    )
    with pytest.raises(pickle.UnpicklingError):  # (pn.load's CheckpointError is one too)
        torch.load(path)


def test_bytes_after_a_checkpoint_are_named_as_junk(tmp_path):
    path = tmp_path / "ck.pt"
    pn.save({"w": pn.ones(3)}, path)
    with open(path, "ab") as fh:
        fh.write(b"junk" * 3)
    with pytest.raises(RuntimeError, match="12 bytes after the last tensor"):
        pn.load(path)


def test_a_text_mode_file_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello world, this is text")
    with open(path) as fh, pytest.raises(TypeError, match="open the file with 'rb'"):
        pn.load(fh)


def test_a_list_holding_itself_and_deep_nesting_save_and_load_as_torchs():
    """pn.save refused them ("nested more than 128 levels deep"); torch pickles them, the memo
    keeping the cycle, and loads them by default: pn.save pickles them whole too."""
    for lib in (torch, pn):
        cyclic = [1, lib.ones(2), {"c": complex(1, 2)}]
        cyclic.append(cyclic)
        back = _round_trip(lib, cyclic)
        assert back[3] is back and back[1].tolist() == [1.0, 1.0] and back[2]["c"] == 1 + 2j
        deep = inner = []
        for _ in range(300):
            inner.append([])
            inner = inner[0]
        assert str(_round_trip(lib, deep)) == str(deep)


class _Renamed:  # the class a file names, since renamed to _Current
    pass


class _Current:
    pass


def test_allow_listing_a_class_under_the_name_a_file_pickled_it_with():
    """torch's add_safe_globals([(NewClass, "module.OldName")]): a renamed class loads."""
    for lib in (torch, pn):
        buf = io.BytesIO()
        lib.save(_Renamed(), buf)
        name = f"{_Renamed.__module__}._Renamed"
        with lib.serialization.safe_globals([(_Current, name)]):
            buf.seek(0)
            assert type(lib.load(buf)) is _Current
            assert lib.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue())) == []


def _at(obj, path):
    for key in path:
        obj = obj[key]
    return obj


def _identities(lib, name):
    """For each pair of the paths SHARED_OBJECTS[name] lists: whether the loaded parts are one object."""
    obj, paths = SHARED_OBJECTS[name](lib)
    got = _round_trip(lib, obj)
    parts = [_at(got, p) for p in paths]
    return [parts[i] is parts[j] for i in range(len(parts)) for j in range(i + 1, len(parts))]


def _twice(value, outer):
    return outer(value)


SHARED_OBJECTS = {
    # one list/dict/tuple/set saved twice in one checkpoint: torch's pickle memo keeps it one object
    "list": lambda lib: _twice([1, 2], lambda v: ({"a": v, "b": v}, [("a",), ("b",)])),
    "dict": lambda lib: _twice({"lr": 0.1}, lambda v: ([v, {"x": v}], [(0,), (1, "x")])),
    "tuple": lambda lib: _twice((1, 2), lambda v: ([v, v, (v,)], [(0,), (1,), (2, 0)])),
    "empty list": lambda lib: _twice([], lambda v: ([v, [v]], [(0,), (1, 0)])),
    "distinct equal lists": lambda lib: ([[1], [1]], [(0,), (1,)]),
    "set": lambda lib: _twice({1, 2}, lambda v: ({"s": v, "t": v}, [("s",), ("t",)])),
    "list of a tensor": lambda lib: _twice([lib.ones(2)], lambda v: ([v, v], [(0,), (1,), (0, 0), (1, 0)])),
    "state_dict": lambda lib: _twice(
        lib.nn.Linear(2, 2).state_dict(), lambda v: ({"a": v, "b": v}, [("a",), ("b",), ("a", "weight")])
    ),
}


@pytest.mark.parametrize("name", SHARED_OBJECTS)
def test_the_same_object_saved_twice_loads_as_one(name):
    assert _identities(pn, name) == _identities(torch, name)


def test_the_same_array_saved_twice_loads_as_one():
    a = np.arange(3.0)
    for lib in (torch, pn):
        got = _round_trip(lib, [a, {"x": a}], weights_only=False)
        assert got[0] is got[1]["x"]


def test_shared_objects_keep_values_and_metadata():
    model = pn.nn.Sequential(pn.nn.Linear(2, 3), pn.nn.BatchNorm1d(3))
    sd = model.state_dict()
    cfg = {"hidden": [3, 3]}
    got = _round_trip(pn, {"model": sd, "ema": sd, "cfg": cfg, "cfg2": cfg, "key": {(1, "a"): cfg}})
    assert got["model"] is got["ema"] and got["cfg"] is got["cfg2"] is got["key"][(1, "a")]
    assert got["model"]._metadata == sd._metadata
    pn.nn.Sequential(pn.nn.Linear(2, 3), pn.nn.BatchNorm1d(3)).load_state_dict(got["ema"])


Pair = namedtuple("Pair", "a b")  # a user's class, allow-listed below


class _Holder:
    def __init__(self, value):
        self.value = value


@pytest.mark.parametrize(
    "build",
    [
        lambda lib: Pair(np.arange(3), 1),
        lambda lib: Pair(np.float64(1.5), 1),
        lambda lib: _Holder({"losses": np.ones(2, dtype=np.float32)}),
        lambda lib: {"p": Pair(np.arange(2), 2), "w": lib.ones(2)},
    ],
)
def test_numpy_inside_an_allowed_pickle_is_refused_as_torch_refuses_it(build):
    for lib in (torch, pn):
        with lib.serialization.safe_globals([Pair, _Holder]):
            with pytest.raises(pickle.UnpicklingError, match="(?s)Weights only load failed.*numpy"):
                _round_trip(lib, build(lib))
            assert type(_round_trip(lib, build(lib), weights_only=False)) is type(build(lib))


def test_tensors_inside_an_allowed_pickle_still_load_weights_only():
    for lib in (torch, pn):
        t = lib.arange(6.0).reshape(2, 3).t()
        t.note = "kept in the pickle"  # a tensor with attributes of its own
        with lib.serialization.safe_globals([Pair]):
            got = _round_trip(lib, Pair(t, lib.tensor([1, 2], dtype=lib.int16)))
        assert got.a.note == t.note and got.a.dtype == lib.float32 and got.b.dtype == lib.int16
        np.testing.assert_array_equal(got.a.numpy(), t.numpy())
        got.a.add_(1)  # writable


@pytest.mark.parametrize(
    "args",
    [
        ("<f4", (2, 3), b"\0" * 4),  # fewer bytes than the shape needs
        ("<f4", (2**40, 2**40), b""),
        ("|O", (1,), b"\0" * 8),  # object arrays: never
        ("<f4", (-1,), b"\0" * 4),
        ("<f4", [1], b"\0" * 4),
        ("V4", (1,), b"\0" * 4),
    ],
)
def test_hostile_tensor_values_in_a_pickle_are_refused(args):
    class Hostile:  # a file whose pickle calls the tensor-values constructor with these arguments
        def __reduce__(self):
            return pn._pickled.values_array, args

    for weights_only in (True, False):
        with pytest.raises(pickle.UnpicklingError, match="bad tensor values"):
            _round_trip(pn, Hostile(), weights_only=weights_only)


def _load_outcome(lib, obj, monkeypatch, env=None, **kw):
    for name in ("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = lib.load(buf, **kw)
        return type(got).__name__, [str(w.message)[:40] for w in caught]
    except Exception as exc:
        return type(exc).__name__, str(exc)[:70] if isinstance(exc, (RuntimeError, ValueError)) else ""


@pytest.mark.parametrize(
    "env,kw",
    [
        ({}, {"pickle_module": pickle}),  # a pickle module: weights_only defaults to False
        ({}, {"pickle_module": pickle, "weights_only": True}),  # RuntimeError
        ({}, {"weights_only": 0}),
        ({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, {}),  # a warning, then a full load
        ({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "true"}, {"weights_only": True}),  # the argument wins
        ({"TORCH_FORCE_WEIGHTS_ONLY_LOAD": "yes"}, {"weights_only": False}),  # the variable wins
        ({"TORCH_FORCE_WEIGHTS_ONLY_LOAD": "1", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, {}),
        ({}, {"weights_only": False, "encoding": "latin1"}),
        ({}, {"mmap": True}),  # ValueError: mmap needs a path
    ],
)
def test_torch_loads_rules_for_weights_only(env, kw, monkeypatch):
    outcomes = [_load_outcome(lib, Pair(lib.ones(1), 1), monkeypatch, env, **kw) for lib in (torch, pn)]
    assert outcomes[0] == outcomes[1]


def test_state_dicts_positional_form_warns_as_torchs():
    for lib in (torch, pn):
        dest: dict = {}
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            got = lib.nn.Linear(2, 2).state_dict(dest, "pre.", prefix="kw.")
        assert got is dest and list(dest) == ["kw.weight", "kw.bias"]  # the keyword wins
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.nn.Sequential(lib.nn.Linear(2, 2)).state_dict(prefix="p.")  # (children: keywords)


@pytest.mark.parametrize("f", [None, 3, b"/tmp/x.pt", "not a path".split()])
def test_save_and_load_refuse_what_is_not_a_file_as_torch(f):
    messages = []
    for lib in (torch, pn):
        for call in (lambda: lib.save({"w": lib.ones(1)}, f), lambda: lib.load(f)):
            with pytest.raises(AttributeError) as info:
                call()
            messages.append(str(info.value))
    assert messages[:2] == messages[2:]


def test_files_without_shared_containers_keep_the_older_format_version():
    def version(obj):
        buf = io.BytesIO()
        pn.save(obj, buf)
        data = buf.getvalue()
        header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
        return json.loads(header["__metadata__"]["pyneuro"])["version"]

    shared = [1, 2]
    # no shared containers: version 5, which pyneuro before 6 reads
    assert version({"model": pn.nn.Linear(2, 2).state_dict(), "note": '"__memo__": 1'}) == 5
    assert version({"a": shared, "b": shared}) == pn.serialization.VERSION == 6
    assert version(pn.nn.Linear(2, 2)) == 5  # a whole model: its parameters are entries of the file
    tagged = pn.ones(2)
    tagged.note = "kept in the pickle"
    assert version(Pair(tagged, 1)) == 6  # its values are TensorValues in the pickle
