"""Hostile input and faults around saving, loading, data loading and the CLI, side by side with
torch: the same exception types for the same bad calls, and nothing a user saved lost."""

import collections
import enum
import importlib
import io
import os
import pickle
import signal
import stat
import subprocess
import sys
import threading
import time
import types
import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _raises_same(fn):
    """fn(torch) and fn(pn) both raise; returns (torch's exception, pyneuro's)."""
    caught = []
    for lib in (torch, pn):
        with pytest.raises(Exception) as info:
            fn(lib)
        caught.append(info.value)
    assert isinstance(caught[1], type(caught[0])), (caught[0], caught[1])
    return caught


# ------------------------------------------------------------------------------ saving / loading
def test_save_to_a_path_ending_in_a_slash_is_refused_and_writes_nothing(tmp_path):
    for lib in (torch, pn):
        target = tmp_path / f"{lib.__name__}_run"
        with pytest.raises(RuntimeError):
            lib.save({"w": lib.ones(2)}, str(target) + "/")
        assert not target.exists()


class _Trickle(io.RawIOBase):
    """A raw stream that takes at most 7 bytes per write and says so, as a socket or an
    unbuffered file may (Linux writes at most 2 GiB at once)."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        taken = bytes(memoryview(b)[:7])
        self.data += taken
        return len(taken)


def test_save_to_a_raw_stream_that_takes_part_of_each_write_writes_everything():
    state = {"w": pn.arange(40.0).reshape(5, 8), "step": 3, "name": "run"}
    raw = _Trickle()
    pn.save(state, raw)
    back = pn.load(io.BytesIO(bytes(raw.data)))
    assert pn.equal(back["w"], state["w"]) and back["step"] == 3 and back["name"] == "run"
    whole = io.BytesIO()
    pn.save(state, whole)
    assert bytes(raw.data) == whole.getvalue()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_save_to_a_fifo_writes_into_it_and_keeps_it_a_fifo(tmp_path):
    """torch.save(x, os.devnull) or into a FIFO writes into the device; an atomic save that
    renamed a temp file over it would replace /dev/null with a regular file (as root)."""
    fifo = tmp_path / "pipe"
    for lib in (torch, pn):
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
        reader.start()
        lib.save({"x": lib.arange(3.0)}, str(fifo))
        reader.join(10)
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert lib.load(io.BytesIO(got[0]))["x"].tolist() == [0.0, 1.0, 2.0]
        assert os.listdir(tmp_path) == ["pipe"]  # no temp file left beside it
        fifo.unlink()
    pn.save({"x": pn.ones(2)}, os.devnull)  # written in place; /dev/null stays a device
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    if os.path.exists("/dev/stdout"):  # a pipe behind a symlink: written through it
        code = "import pyneuro as pn; pn.save({'x': pn.arange(2.0)}, '/dev/stdout')"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, env={**os.environ, "PYTHONPATH": ROOT}
        )
        assert pn.load(io.BytesIO(out.stdout))["x"].tolist() == [0.0, 1.0], out.stderr


Point = collections.namedtuple("Point", "x y")


class Level(enum.IntEnum):
    LOW = 1


class Tag(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        Point(1, 2.5),
        collections.defaultdict(list, {"a": [1]}),
        {"level": Level.LOW},
        Tag("v"),
        {np.int64(3): 1.0},  # np.unique(labels) as keys
        {(np.int64(1), "a"): 2},
    ],
)
def test_subclasses_and_numpy_keys_round_trip_as_torch_keeps_them(value, tmp_path):
    """torch pickles everything, so a namedtuple stays a namedtuple, a defaultdict keeps its
    factory, an IntEnum stays an enum (weights_only=False): never silently a tuple, dict or int."""
    for lib in (torch, pn):
        path = str(tmp_path / f"{lib.__name__}.pt")
        lib.save({"v": value}, path)
        back = lib.load(path, weights_only=False)["v"]
        assert back == value and type(back) is type(value)
        inner = back.get("level", back.get("a")) if isinstance(back, dict) else None
        if inner is not None:
            assert type(inner) is type(value.get("level", value.get("a")))


def test_a_dtype_key_and_a_bytearray_load_by_default_as_torchs(tmp_path):
    for lib in (torch, pn):
        path = str(tmp_path / f"{lib.__name__}.pt")
        lib.save({lib.float32: 1, "b": bytearray(b"ab")}, path)
        assert lib.load(path) == {lib.float32: 1, "b": bytearray(b"ab")}


def test_loading_a_whole_model_whose_class_is_gone_is_torchs_attribute_error(tmp_path):
    """The StackOverflow classic: torch.save(model) in one script, torch.load in another that does
    not define the class: AttributeError "Can't get attribute 'Net'", not a 'corrupt file'."""
    messages = []
    for lib in (torch, pn):
        module = types.ModuleType("user_models")  # the script that defined the class
        sys.modules["user_models"] = module
        try:
            Net = type("Net", (lib.nn.Module,), {"__module__": "user_models"})
            module.Net = Net
            net = Net()
            net.fc = lib.nn.Linear(2, 2)
            lib.save(net, str(tmp_path / "net.pt"))
            del module.Net  # the loading script has no Net
            with pytest.raises(AttributeError) as info:
                lib.load(str(tmp_path / "net.pt"), weights_only=False)
            messages.append(str(info.value))
        finally:
            del sys.modules["user_models"]
    assert messages[1] == messages[0] and messages[0].startswith("Can't get attribute 'Net' on <module")


# ------------------------------------------------------------------------------ multiprocessing.spawn
def _one_fails_one_waits(rank, size):
    if rank == 1:
        raise ValueError("x" * size)
    time.sleep(60)  # waits for a peer that will never come


def _sleep(rank):
    time.sleep(60)


@pytest.mark.parametrize("size", [10, 200_000])  # 200 kB of traceback: more than a pipe holds
def test_spawn_raises_the_first_failure_while_other_processes_still_wait(size):
    import pyneuro.multiprocessing as mp

    start = time.monotonic()
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(_one_fails_one_waits, args=(size,), nprocs=2, start_method="fork")
    assert time.monotonic() - start < 20  # the waiting process was terminated, not waited for
    assert info.value.error_index == 1
    assert str(info.value).startswith("\n\n-- Process 1 terminated with the following error:\nTraceback")
    assert "ValueError: " + "x" * size in str(info.value)


def test_spawn_join_timeout_then_a_killed_process_as_torch():
    import pyneuro.multiprocessing as mp

    context = mp.spawn(_sleep, nprocs=2, join=False, start_method="fork")
    assert context.join(timeout=0.2) is False
    os.kill(context.pids()[0], signal.SIGKILL)
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with signal SIGKILL") as info:
        context.join(timeout=20)
    assert info.value.signal_name == "SIGKILL" and info.value.exit_code == -signal.SIGKILL
    assert not any(p.is_alive() for p in context.processes)


# ------------------------------------------------------------------------------ DataLoader
class _Failing:
    def __init__(self, error):
        self.error = error

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise self.error
        return float(i)


class _TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a)


@pytest.mark.parametrize(
    "error, expected",
    [(KeyError("boom"), KeyError), (_TwoArgError(1, 2), RuntimeError)],
)
def test_a_workers_exception_says_where_it_was_caught_as_torchs(error, expected):
    caught = []
    for lib in (torch, pn):
        loader = lib.utils.data.DataLoader(_Failing(error), batch_size=1, num_workers=1)
        with pytest.raises(Exception) as info:
            list(loader)
        caught.append(info.value)
    for exc in caught:
        assert type(exc) is expected
        text = str(exc)
        assert text.startswith(
            f"Caught {type(error).__name__} in DataLoader worker process 0.\nOriginal Traceback"
        )
        assert "__getitem__" in text and "raise self.error" in text
    # without workers the dataset's own exception comes through untouched
    with pytest.raises(type(error)) as info:
        list(pn.utils.data.DataLoader(_Failing(error), batch_size=1))
    assert info.value is error


def test_worker_init_fn_errors_are_caught_in_the_worker_as_torchs():
    def init(worker_id):
        raise RuntimeError("no GPU for worker")

    for lib in (torch, pn):
        with pytest.raises(RuntimeError, match="Caught RuntimeError in DataLoader worker process 0"):
            list(lib.utils.data.DataLoader([1, 2], num_workers=1, worker_init_fn=init))


def test_timeout_without_workers_fails_at_iteration_as_torch():
    for lib in (torch, pn):
        loader = lib.utils.data.DataLoader([1, 2], timeout=0.5)
        with pytest.raises(AssertionError):
            iter(loader)
    loader = pn.utils.data.DataLoader([1, 2], timeout=0.5, num_workers=1)  # with workers it is allowed
    assert [b.tolist() for b in loader] == [[1], [2]]


@pytest.mark.parametrize(
    "kw",
    [
        {"num_workers": 0, "multiprocessing_context": "spawn"},
        {"num_workers": 1, "multiprocessing_context": "bogus"},
        {"num_workers": 1, "multiprocessing_context": 3},
    ],
)
def test_multiprocessing_context_is_checked_as_torch(kw):
    _raises_same(lambda lib: lib.utils.data.DataLoader([1, 2], **kw))


def test_multiprocessing_context_names_become_contexts_as_torch():
    loaders = [
        lib.utils.data.DataLoader([1], num_workers=1, multiprocessing_context="spawn") for lib in (torch, pn)
    ]
    assert type(loaders[1].multiprocessing_context) is type(loaders[0].multiprocessing_context)
    assert [b.tolist() for b in loaders[1]] == [[1]]


# ------------------------------------------------------------------------------ the CLI
@pytest.mark.parametrize("seed", ["18446744073709551616", "99999999999999999999"])
def test_train_seed_beyond_64_bits_is_a_usage_error_not_a_traceback(seed, capsys):
    from pyneuro import train

    for lib in (torch, pn):  # the bound the CLI checks is the generators' own
        with pytest.raises(ValueError):
            lib.manual_seed(int(seed))
    assert train.main(["--seed", seed, "--epochs", "0", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == f"pyneuro train: error: --seed must be <= 18446744073709551615, got {seed}\n"


def test_dataset_construction_errors_as_torch():
    _raises_same(lambda lib: len(lib.utils.data.TensorDataset()))  # torch: at len(); pyneuro: at once
    for not_tensor in (None, [1.0, 2.0], 3, (1, 2)):  # torch's AttributeError: it reads t.size(0)
        _raises_same(lambda lib: lib.utils.data.TensorDataset(lib.ones(2), not_tensor))
    _raises_same(lambda lib: lib.utils.data.random_split(range(10), [5.0, 5.0]))  # float sizes, not fractions
    _raises_same(lambda lib: lib.utils.data.random_split(range(10), [5.0, 4.0]))
    for lib in (torch, pn):
        sizes = [len(s) for s in lib.utils.data.random_split(range(10), [0.3, 0.7])]
        assert sizes == [3, 7]


def test_saving_over_a_private_checkpoint_keeps_it_private(tmp_path):
    for lib in (torch, pn):  # torch writes in place: the file keeps its mode
        path = tmp_path / f"{lib.__name__}.pt"
        lib.save({"w": lib.ones(2)}, str(path))
        os.chmod(path, 0o600)
        lib.save({"w": lib.zeros(2)}, str(path))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert lib.load(str(path))["w"].tolist() == [0.0, 0.0]


class _Counting:
    """Counts the samples its copy served: a worker's copy keeps counting only if it persists."""

    def __init__(self):
        self.seen = 0

    def __len__(self):
        return 4

    def __getitem__(self, i):
        self.seen += 1
        return self.seen


@pytest.mark.parametrize("persistent", [True, False])
def test_persistent_workers_keep_their_dataset_copies_and_streams_as_torchs(persistent):
    runs = []
    for lib in (torch, pn):
        data = lib.utils.data
        lib.manual_seed(0)
        kw = {"num_workers": 1, "persistent_workers": persistent}
        counting = data.DataLoader(_Counting(), batch_size=1, **kw)
        shuffled = data.DataLoader(list(range(6)), batch_size=6, shuffle=True, **kw)
        epochs = [([b.item() for b in counting], next(iter(shuffled)).tolist()) for _ in range(3)]
        runs.append((epochs, round(lib.rand(1).item(), 6)))  # the main stream after them
    assert runs[1] == runs[0]


@pytest.mark.parametrize("argv", [["info"], ["train", "--epochs", "1"]])
def test_cli_output_into_a_closed_pipe_ends_quietly(argv):
    """`pyneuro train | head -1`: the reader goes away; no BrokenPipeError traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyneuro", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    proc.stdout.close()  # before the command has printed anything
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141, err
    assert "Traceback" not in err and "Exception ignored" not in err, err


class _StopsAt3:
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise StopIteration  # old-style "no more data"
        return i


@pytest.mark.parametrize("kw", [{"batch_size": 2}, {"batch_size": None}])
def test_stop_iteration_from_getitem_ends_the_epoch_as_torchs(kw):
    got = [
        [getattr(b, "tolist", lambda b=b: b)() for b in lib.utils.data.DataLoader(_StopsAt3(), **kw)]
        for lib in (torch, pn)
    ]
    assert got[1] == got[0] and got[0][0] in ([0, 1], 0)  # the batches before index 3
    loader = pn.utils.data.DataLoader(_StopsAt3(), num_workers=2, **kw)
    with_workers = [getattr(b, "tolist", lambda b=b: b)() for b in loader]
    assert with_workers == got[0]  # torch's workers re-raise it in the main process: the same end


@pytest.mark.parametrize("indices", [[1.0, 0.0], [1.7, 0.2]])
def test_a_subset_with_float_indices_is_refused_as_torch_not_truncated(indices):
    def load(lib):
        data = lib.utils.data
        subset = data.Subset(data.TensorDataset(lib.arange(5.0) * 10), indices)
        return [b[0].tolist() for b in data.DataLoader(subset, batch_size=2)]

    _raises_same(load)


class _Box:
    def __init__(self, x):
        self.x = x


def test_default_collate_extended_through_collate_fn_map_as_torchs_documentation_shows():
    batches = []
    for lib in (torch, pn):
        C = importlib.import_module(lib.__name__ + ".utils.data._utils.collate")

        def collate_box(batch, *, collate_fn_map=None, lib=lib):
            return lib.tensor([b.x for b in batch])

        custom = {**C.default_collate_fn_map, _Box: collate_box}
        samples = [
            {"box": _Box(1), "t": lib.ones(2), "n": 1.5},
            {"box": _Box(2), "t": lib.zeros(2), "n": 2.5},
        ]
        batch = C.collate(samples, collate_fn_map=custom)
        batches.append({k: (v.tolist(), str(v.dtype).split(".")[1]) for k, v in batch.items()})
        with pytest.raises(TypeError, match="found <class"):
            C.default_collate([_Box(1)])
    assert batches[1] == batches[0]


class _ClaimsTwo(pn.utils.data.IterableDataset):
    """Yields 4 samples but says 2: every worker replica yields them all (no sharding)."""

    def __iter__(self):
        return iter(range(4))

    def __len__(self):
        return 2

    def __repr__(self):
        return "ClaimsTwo()"


@pytest.mark.parametrize("workers", [0, 1])
def test_an_iterable_dataset_yielding_past_its_length_warns_as_torch(workers):
    seen = []
    for lib in (torch, pn):
        dataset = type("ClaimsTwo", (lib.utils.data.IterableDataset,), dict(vars(_ClaimsTwo)))()
        loader = lib.utils.data.DataLoader(dataset, batch_size=1, num_workers=workers)
        assert len(loader) == 2
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batches = [b.tolist() for b in loader]
        seen.append((batches, [str(w.message) for w in caught if "Length of" in str(w.message)]))
    assert seen[1] == seen[0] and len(seen[0][1]) == len(seen[0][0]) - 2


def test_a_bfloat16_safetensors_file_says_what_to_do(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    path = str(tmp_path / "bf16.safetensors")
    safetensors_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, path)
    with pytest.raises(ValueError, match=r"dtype 'BF16' \(bfloat16\) is one pyneuro does not have; convert"):
        pn.load(path)
    safetensors_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16).float()}, path)
    assert pn.load(path)["w"].tolist() == [1.0, 1.0]


def test_resuming_from_whole_model_and_optimizer_objects_trains_the_loaded_model(tmp_path):
    """torch.save({"model": model, "optimizer": optimizer}) pickles one object graph: after
    loading, the optimizer steps the loaded model's parameters (two separate pickles would
    give it a copy, and training would silently leave the model unchanged)."""
    results = []
    for lib in (torch, pn):
        model = lib.nn.Linear(2, 1)
        with lib.no_grad():
            model.weight.copy_(lib.tensor([[0.5, -0.25]]))
            model.bias.fill_(0.1)
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        path = str(tmp_path / f"{lib.__name__}.pt")
        lib.save({"model": model, "optimizer": optimizer, "w": model.weight, "epoch": 2}, path)
        ck = lib.load(path, weights_only=False)
        model, optimizer = ck["model"], ck["optimizer"]
        assert optimizer.param_groups[0]["params"][0] is model.weight and ck["w"] is model.weight
        loss = model(lib.tensor([[1.0, 2.0]])).pow(2).sum()
        loss.backward()
        optimizer.step()
        results.append((model.weight.tolist(), model.bias.tolist(), ck["epoch"]))
    (t_weight, t_bias, t_epoch), (p_weight, p_bias, p_epoch) = results
    np.testing.assert_allclose(p_weight, t_weight, rtol=1e-6)  # (pytest.approx refuses nested lists)
    np.testing.assert_allclose(p_bias, t_bias, rtol=1e-6)
    assert p_epoch == t_epoch


def test_torch_and_pickle_files_are_named_as_such(tmp_path):
    legacy, archive, plain = (str(tmp_path / n) for n in ("legacy.pt", "archive.pt", "plain.pkl"))
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    torch.save({"w": torch.ones(2)}, archive)
    with open(plain, "wb") as fh:
        pickle.dump({"w": [1.0, 2.0]}, fh)
    for path, what in ((legacy, "a pickle"), (plain, "a pickle")):
        with pytest.raises(pickle.UnpicklingError, match=what):  # torch's type for a file it cannot read
            pn.load(path)
    assert pn.load(archive)["w"].tolist() == [1.0, 1.0]  # (its zip archive loads: test_torch_archive_load.py)


def test_tensors_beside_a_pickled_model_share_memory_after_loading_as_torchs(tmp_path):
    seen = []
    for lib in (torch, pn):
        model = lib.nn.Linear(2, 2)
        base = lib.arange(6.0)
        path = str(tmp_path / f"{lib.__name__}.pt")
        lib.save({"model": model, "base": base, "view": base[2:4], "weight_t": model.weight.t()}, path)
        ck = lib.load(path, weights_only=False)
        ck["base"][2] = 100.0
        with lib.no_grad():
            ck["model"].weight[0, 1] = 7.0
        seen.append((ck["view"].tolist(), ck["weight_t"][1, 0].item(), type(ck["model"].weight).__name__))
    assert seen[1] == seen[0] == ([100.0, 3.0], 7.0, "Parameter")
