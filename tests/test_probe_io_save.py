"""pn.save / pn.load against torch.save / torch.load: shared memory, requires_grad, Parameter,
containers, map_location forms, torch's keyword arguments, and the exceptions torch raises."""

import io
import json
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import nn as pnn

torch = pytest.importorskip("torch")


def _rt(mod, obj, **load_kw):
    buf = io.BytesIO()
    mod.save(obj, buf)
    buf.seek(0)
    return mod.load(buf, **load_kw)


def _both(build):
    """build(mod) -> list of tensors; returns their values for torch and for pyneuro."""
    return [[t.detach().numpy().copy() for t in build(mod)] for mod in (torch, pn)]


@pytest.mark.parametrize(
    "build",
    [
        lambda m: (lambda x: [x, x[2:4]])(m.arange(6.0)),
        lambda m: (lambda x: [x, x])(m.arange(3.0)),
        lambda m: (lambda x: [x[0:4], x[6:8], x[3:7]])(m.arange(10.0)),  # joined only through the last
        lambda m: (lambda x: [x, x.t()])(m.arange(6.0).reshape(2, 3)),
        lambda m: (lambda x: [x, x.diagonal()])(m.arange(9.0).reshape(3, 3)),
        lambda m: (lambda x: [x[::2], x[1::2]])(m.arange(8)),
        lambda m: (lambda x: [x, x[1:]])(m.tensor([True, False, True])),
    ],
)
def test_tensors_sharing_memory_share_it_after_loading(build):
    def run(mod):
        loaded = _rt(mod, build(mod))
        for t in loaded:  # write through every loaded tensor: the others see it where they overlap
            if t.dtype == mod.bool:
                t.logical_not_()
            else:
                t.add_(7)
        return loaded

    want, got = _both(run)
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)


def test_tied_weights_in_a_state_dict():
    for mod in (torch, pn):
        w = mod.arange(6.0).reshape(3, 2)
        d = _rt(mod, {"enc": w, "dec": w, "b": mod.ones(2)})
        assert list(d) == ["enc", "dec", "b"]
        d["enc"].mul_(0)
        assert d["dec"].abs().sum().item() == 0 and d["b"].sum().item() == 2


def test_a_lone_strided_tensor_keeps_its_strides():
    for mod in (torch, pn):
        y = _rt(mod, mod.arange(6.0).reshape(2, 3)[:, 1])
        assert y.stride() == (3,) and y.tolist() == [1.0, 4.0]
        t = _rt(mod, mod.arange(6.0).reshape(2, 3).t())
        assert not t.is_contiguous() and t.stride() == (1, 3)


def test_requires_grad_and_parameters_come_back():
    for mod, nnm in ((torch, torch.nn), (pn, pnn)):
        t = _rt(mod, mod.ones(2, requires_grad=True))
        assert t.requires_grad and t.is_leaf
        (t * 3).sum().backward()
        assert t.grad.tolist() == [3.0, 3.0]
        p, q = _rt(mod, [nnm.Parameter(mod.ones(2)), nnm.Parameter(mod.ones(2), requires_grad=False)])
        assert type(p).__name__ == "Parameter" and p.requires_grad
        assert type(q).__name__ == "Parameter" and not q.requires_grad
        assert not _rt(mod, mod.ones(2)).requires_grad


def test_containers_keep_their_types():
    obj = {"o": OrderedDict(b=1, a=2), (1, "x"): 3, "t": (1, [2.5, None]), "s": "hi"}
    for mod in (torch, pn):
        back = _rt(mod, obj)
        assert back == obj and type(back["o"]) is OrderedDict and list(back["o"]) == ["b", "a"]
    back = _rt(pn, {"s": {1, 2}, "f": frozenset([3])}, weights_only=False)  # (a frozenset: torch's refusal)
    assert back == {"s": {1, 2}, "f": frozenset([3])}


@pytest.mark.parametrize(
    "loc", ["cpu", "torch_device", {"cuda:0": "cpu"}, lambda storage, location: storage, lambda s, loc: None]
)
def test_map_location_forms(loc):
    for mod in (torch, pn):
        m = mod.device("cpu") if loc == "torch_device" else loc
        d = _rt(mod, {"w": mod.arange(3.0)}, map_location=m)
        assert d["w"].device.type == "cpu" and d["w"].tolist() == [0.0, 1.0, 2.0]


def test_torch_keyword_arguments_are_accepted(tmp_path):
    for mod in (torch, pn):
        path = tmp_path / f"{mod.__name__}.pt"
        mod.save({"w": mod.ones(2)}, path, pickle_protocol=2)
        assert mod.load(path, map_location="cpu", weights_only=True, mmap=False)["w"].tolist() == [1.0, 1.0]
        assert mod.load(str(path), "cpu")["w"].tolist() == [1.0, 1.0]


def test_empty_and_exhausted_inputs_raise_eoferror(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    for mod in (torch, pn):
        with pytest.raises(EOFError):
            mod.load(path)
        with pytest.raises(EOFError):
            mod.load(io.BytesIO(b""))


def test_corrupt_inputs_raise_what_torch_raises(tmp_path):
    buf = io.BytesIO()
    pn.save({"x": pn.ones(100)}, buf)
    data = buf.getvalue()
    for bad in (data[: len(data) // 2], data[:-50], b"\x00" * 7, b"PK\x03\x04junk", b"garbage" * 30):
        with pytest.raises(RuntimeError):  # torch's type for a damaged zip
            pn.load(io.BytesIO(bad))
        with pytest.raises(pickle.UnpicklingError):  # torch's for a damaged pickle
            pn.load(io.BytesIO(bad))


def test_a_torch_save_archive_loads_and_its_legacy_format_is_refused_clearly(tmp_path):
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)  # (the zip archive: tests/test_torch_archive_load.py)
    assert pn.load(path)["w"].tolist() == [1.0, 1.0]
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="torch.save's legacy format"):
        pn.load(path)


def test_save_errors_are_runtime_errors_as_torch(tmp_path):
    for mod in (torch, pn):
        with pytest.raises(RuntimeError):
            mod.save(mod.ones(1), tmp_path / "no" / "such" / "x.pt")
        with pytest.raises(RuntimeError):
            mod.save(mod.ones(1), tmp_path)
    with pytest.raises(FileNotFoundError):
        pn.save(pn.ones(1), os.path.join(tmp_path, "no", "x.pt"))
    assert os.listdir(tmp_path) == []


def test_crafted_view_entries_are_refused():

    def crafted(ex):
        tree = {"version": 3, "tree": {"__tensor_ex__": ex}}
        header = {
            "s": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
            "__metadata__": {"format": "pt", "pyneuro": json.dumps(tree)},
        }
        text = json.dumps(header).encode()
        text += b" " * (-len(text) % 8)
        return io.BytesIO(len(text).to_bytes(8, "little") + text + np.arange(4, dtype="<f4").tobytes())

    base = {"storage": "s", "requires_grad": False, "parameter": False}
    ok = pn.load(crafted({**base, "offset": 1, "shape": [3], "stride": [1]}))
    assert ok.tolist() == [1.0, 2.0, 3.0]
    for bad in (
        {**base, "offset": 2, "shape": [3], "stride": [1]},  # past the end
        {**base, "offset": 0, "shape": [2], "stride": [4]},
        {**base, "offset": -1, "shape": [1], "stride": [1]},
        {**base, "offset": 0, "shape": [2], "stride": [1, 1]},
        {**base, "offset": 0, "shape": [2], "stride": [-1]},
        {**base, "storage": "nope"},
        {**base, "requires_grad": 1},
        {**base, "extra": 1},
    ):
        with pytest.raises(ValueError):
            pn.load(crafted(bad))


def test_dtypes_sizes_bytes_and_complex_numbers_round_trip():
    for mod in (torch, pn):
        obj = {
            "dtype": mod.float64,
            "flag": mod.bool,
            "shape": mod.zeros(2, 3).shape,
            "raw": b"\x00ab",
            "z": 1 - 2j,
        }
        back = _rt(mod, obj)
        assert back == obj and back["dtype"] is mod.float64 and type(back["shape"]) is type(obj["shape"])


def test_deep_nesting_as_deep_as_a_config_gets():
    nested = leaf = []
    for _ in range(120):
        leaf.append([])
        leaf = leaf[0]
    for mod in (torch, pn):
        assert _rt(mod, nested) == nested


def test_saving_through_a_symlink_writes_its_target(tmp_path):
    for mod in (torch, pn):
        target, link = tmp_path / f"{mod.__name__}.target", tmp_path / f"{mod.__name__}.link"
        mod.save({"w": mod.zeros(2)}, target)
        os.symlink(target, link)
        mod.save({"w": mod.ones(2)}, link)
        assert link.is_symlink() and mod.load(target)["w"].tolist() == [1.0, 1.0]
