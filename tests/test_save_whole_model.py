"""pn.save of a whole model (and of other objects that are not data) pickles it, as torch.save;
pn.load unpickles it only with weights_only=False or allow-listed classes, as torch.load since
2.6 (the "Save and Load the Model" tutorial: torch.save(model, path); torch.load(path,
weights_only=False)). Checked side by side with torch."""

import argparse
import io
import pickle

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import nn


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.stack = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))

    def forward(self, x):
        return self.stack(self.flatten(x))


def test_whole_model_round_trip(tmp_path):
    pn.manual_seed(0)
    model = TinyNet()
    path = tmp_path / "model.pth"
    pn.save(model, path)
    back = pn.load(path, weights_only=False)
    assert type(back) is TinyNet and back is not model
    x = pn.randn(5, 3, 4)
    assert pn.equal(back(x), model(x))  # the unpickled weights run through the C++ kernels
    assert isinstance(back.stack[0].weight, nn.Parameter) and back.stack[0].weight.requires_grad
    back.eval()
    loss = back(x).sum()
    loss.backward()
    assert back.stack[0].weight.grad.shape == (8, 12)


def test_default_load_refuses_the_pickle_as_torch_does(tmp_path):
    path = tmp_path / "model.pth"
    pn.save(TinyNet(), path)
    for kwargs in ({}, {"weights_only": True}):
        with pytest.raises(pickle.UnpicklingError, match="(?s)Weights only load failed.*weights_only=False"):
            pn.load(path, **kwargs)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL test_save_whole_model.TinyNet"):
        pn.load(path)


def test_allow_listed_classes_load_with_weights_only(tmp_path):
    path = tmp_path / "model.pth"
    pn.save(TinyNet(), path)
    classes = [TinyNet, nn.Flatten, nn.Sequential, nn.Linear, nn.ReLU]
    with pn.serialization.safe_globals(classes):
        assert type(pn.load(path)) is TinyNet
    with pytest.raises(pickle.UnpicklingError):
        pn.load(path)  # the context manager's list is gone again
    pn.serialization.add_safe_globals(classes)
    try:
        assert type(pn.load(path, weights_only=True)) is TinyNet
    finally:
        pn.serialization.clear_safe_globals()


def test_checkpoint_mixing_data_and_objects(tmp_path):
    model = TinyNet()
    opt = pn.optim.SGD(model.parameters(), lr=0.1)
    ck = {"epoch": 3, "model": model, "optimizer": opt.state_dict(), "args": argparse.Namespace(lr=0.1)}
    path = tmp_path / "ck.pth"
    pn.save(ck, path)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL test_save_whole_model.TinyNet"):
        pn.load(path)  # the data entries alone would load; any pickled entry needs weights_only=False
    back = pn.load(path, weights_only=False)
    assert back["epoch"] == 3 and back["args"].lr == 0.1 and type(back["model"]) is TinyNet
    assert back["optimizer"]["param_groups"][0]["lr"] == 0.1
    buffer = io.BytesIO()  # a file object works the same
    pn.save(model, buffer)
    buffer.seek(0)
    assert type(pn.load(buffer, weights_only=False)) is TinyNet


def test_unpicklable_objects_are_refused_before_the_file_changes(tmp_path):
    path = tmp_path / "ck.pth"
    pn.save({"w": pn.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(AttributeError, match="Can't pickle local object"):
        pn.save({"w": pn.ones(2), "f": lambda x: x}, path)
    assert path.read_bytes() == before


def test_a_damaged_pickle_entry_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "model.pth"
    pn.save(TinyNet(), path)
    data = bytearray(path.read_bytes())
    data[-40:] = b"\x00" * 40  # the pickle's last bytes, STOP included
    path.write_bytes(bytes(data))
    with pytest.raises(pickle.UnpicklingError):
        pn.load(path, weights_only=False)


def test_same_behaviour_as_torch_for_the_tutorial(tmp_path):
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, pn):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 2))
        path = tmp_path / f"{lib.__name__}.pth"
        lib.save(model, path)
        try:
            lib.load(path)
            refused = None
        except Exception as exc:  # the default load's refusal
            refused = type(exc)
        back = lib.load(path, weights_only=False)
        outcomes.append((refused, type(back).__name__, back(lib.ones(1, 4)).detach().numpy()))
    assert outcomes[0][:2] == outcomes[1][:2] == (pickle.UnpicklingError, "Sequential")
    np.testing.assert_allclose(outcomes[0][2], outcomes[1][2], rtol=1e-6)


def test_unpickled_arrays_run_through_the_kernels():
    """NumPy rebuilds an unpickled array's dtype as a new (equal) object: the C++ kernels take it."""
    t = pickle.loads(pickle.dumps(pn.ones(3, 3)))
    assert t._data.dtype == np.float32
    assert pn.equal(t @ t, pn.full((3, 3), 3.0)) and pn.equal(pn.relu(t), t)
    assert pn.nn.functional.cross_entropy(t, pn.tensor([0, 1, 2])).item() == pytest.approx(np.log(3))


def test_torch_module_paths_allow_list_a_transformer(tmp_path):
    """pytorch/examples' word_language_model reloads its model with safe_globals named by torch's
    module paths (torch.nn.modules.linear.NonDynamicallyQuantizableLinear, ...)."""
    mods = pn.nn.modules
    layer = pn.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    model = pn.nn.Sequential(
        pn.nn.Embedding(10, 8), pn.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
    )
    path = tmp_path / "lm.pt"
    pn.save(model, path)
    allowed = [
        pn.nn.functional.relu,
        mods.activation.MultiheadAttention,
        mods.container.ModuleList,
        mods.container.Sequential,
        mods.dropout.Dropout,
        mods.linear.Linear,
        mods.linear.NonDynamicallyQuantizableLinear,
        mods.normalization.LayerNorm,
        mods.sparse.Embedding,
        mods.transformer.TransformerEncoder,
        mods.transformer.TransformerEncoderLayer,
    ]
    with pn.serialization.safe_globals(allowed):
        back = pn.load(path)
    x = pn.tensor([[1, 2, 3]])
    model.eval()
    back.eval()
    assert pn.allclose(back(x), model(x))


def test_classes_are_where_torch_keeps_them():
    torch = pytest.importorskip("torch")
    import importlib

    for home in ("linear", "conv", "pooling", "loss", "dropout", "sparse", "normalization", "batchnorm"):
        theirs = importlib.import_module(f"torch.nn.modules.{home}")
        ours = importlib.import_module(f"pyneuro.nn.modules.{home}")
        for name in theirs.__all__:
            if hasattr(pn.nn, name):
                assert getattr(ours, name) is getattr(pn.nn, name), (home, name)
    assert pn.nn.modules.linear.NonDynamicallyQuantizableLinear is type(
        pn.nn.MultiheadAttention(4, 2).out_proj
    )
    assert torch.nn.modules.linear.NonDynamicallyQuantizableLinear  # the path exists in torch


# torch's classes that pyneuro keeps elsewhere on purpose (not in torch.nn.modules / torch.optim's files)
_OTHER_HOMES = {"DataParallel", "UninitializedBuffer", "UninitializedParameter", "Buffer", "Adafactor"}


def test_type_prints_torchs_module_path():
    """type(nn.BatchNorm2d(3)) prints <class 'torch.nn.modules.batchnorm.BatchNorm2d'> in torch:
    the same path here (pooling.MaxPool2d, flatten.Flatten, activation.MultiheadAttention,
    adamw.AdamW, ...), though the class is defined in another file."""
    torch = pytest.importorskip("torch")
    checked = 0
    for ours_ns, theirs_ns in ((pn.nn, torch.nn), (pn.optim, torch.optim)):
        for name in dir(theirs_ns):
            theirs, ours = getattr(theirs_ns, name), getattr(ours_ns, name, None)
            if isinstance(theirs, type) and isinstance(ours, type) and name not in _OTHER_HOMES:
                assert ours.__module__ == theirs.__module__.replace("torch", "pyneuro", 1), name
                checked += 1
    assert checked > 150
    assert str(type(nn.BatchNorm2d(2))) == "<class 'pyneuro.nn.modules.batchnorm.BatchNorm2d'>"


def test_pickles_name_torchs_paths_and_load_the_files_written_before(tmp_path):
    pn.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 2)
    )
    path = tmp_path / "m.pth"
    pn.save(model, path)
    with open(path, "rb") as f:
        raw = f.read()
    assert b"pyneuro.nn.modules.batchnorm" in raw and b"pyneuro.nn.modules.pooling" in raw
    model.eval()
    x = pn.randn(1, 1, 6, 6)
    back = pn.load(path, weights_only=False).eval()
    assert pn.equal(back(x), model(x))
    with pn.serialization.safe_globals(
        [nn.Sequential, nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.Flatten, nn.Linear]
    ):
        assert pn.equal(pn.load(path).eval()(x), model(x))
    # a pickle written before names the defining file's path: that module still holds the class
    old = b"\x80\x02cpyneuro.nn.modules.normalization\nBatchNorm2d\nq\x00."
    assert pickle.loads(old) is nn.BatchNorm2d
    opt = pn.optim.AdamW(model.parameters())
    assert type(pickle.loads(pickle.dumps(opt))) is pn.optim.AdamW
