"""nn.Module machinery and nn.utils against torch: functional_call through a parametrization,
channels_last contiguity, __setstate__ for subclasses, bfloat16()."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _parametrized(T, with_inverse=True):
    class Double(T.nn.Module):
        def forward(self, X):
            return X * 2

    if with_inverse:
        Double.right_inverse = lambda self, X: X / 2
    m = T.nn.Linear(2, 1, bias=False)
    T.nn.utils.parametrize.register_parametrization(m, "weight", Double())
    with T.no_grad():
        m.parametrizations.weight.original.fill_(0.125)
    return m


@pytest.mark.parametrize("with_inverse", [True, False])
def test_functional_call_sets_a_parametrized_tensor_as_torch(with_inverse):
    """functional_call(m, {"weight": w}) ignored w on a parametrized module (the module's own
    weight was used): torch sets it through the parametrization's right_inverse."""
    outcomes = []
    for T in (pn, torch):
        m = _parametrized(T, with_inverse)
        try:
            out = T.func.functional_call(m, {"weight": T.tensor([[1.0, 2.0]])}, (T.ones(1, 2),))
            outcomes.append((out.tolist(), m.weight.tolist()))
        except RuntimeError:
            outcomes.append("RuntimeError")
    assert outcomes[0] == outcomes[1]


def test_channels_last_contiguity_is_torchs():
    results = []
    for T in (pn, torch):
        x = T.ones(2, 3, 4, 5)
        cl = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
        results.append(
            [
                x.is_contiguous(),
                x.is_contiguous(memory_format=T.channels_last),
                cl.is_contiguous(memory_format=T.channels_last),
                cl.is_contiguous(),
                T.ones(2, 1, 4, 5).is_contiguous(memory_format=T.channels_last),
                T.ones(3).is_contiguous(memory_format=T.channels_last),
                T.ones(1, 2, 3, 4, 5).is_contiguous(memory_format=T.channels_last_3d),
            ]
        )
    assert results[0] == results[1]


class OldStyle(pn.nn.Module):
    """A subclass with torch's backward-compatibility __setstate__ (module level: picklable)."""

    def __init__(self):
        super().__init__()
        self.lin = pn.nn.Linear(2, 2)

    def __setstate__(self, state):
        super().__setstate__(state)
        self.extra = 3


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_subclass_calling_super_setstate(how):
    m = OldStyle()
    copied = copy.deepcopy(m) if how == "deepcopy" else pickle.loads(pickle.dumps(m))
    assert copied.extra == 3 and copied.lin.weight.tolist() == m.lin.weight.tolist()


def test_module_bfloat16_is_the_tensors_type_error():
    with pytest.raises(TypeError):
        pn.nn.Linear(2, 2).bfloat16()


def _reloaded(T, obj):
    import io

    buffer = io.BytesIO()
    T.save(obj, buffer)
    buffer.seek(0)
    return T.load(buffer)


def test_a_saved_state_dict_keeps_its_metadata():
    """state_dict()._metadata (each module's version) was dropped by save/load: BatchNorm's
    load_state_dict then accepted a state dict without num_batches_tracked, where torch raises."""
    outcomes = []
    for T in (pn, torch):
        sd = T.nn.BatchNorm1d(2).state_dict()
        del sd["num_batches_tracked"]
        r = _reloaded(T, sd)
        try:
            T.nn.BatchNorm1d(2).load_state_dict(r)
            outcome = "loaded"
        except RuntimeError:
            outcome = "RuntimeError"
        nested = _reloaded(T, {"model": T.nn.Sequential(T.nn.Linear(2, 2)).state_dict()})
        outcomes.append((dict(r._metadata), outcome, sorted(nested["model"]._metadata)))
    assert outcomes[0] == outcomes[1]


_N = np.int64
# sizes and dims given as NumPy integers (n_classes = y.max() + 1 on a NumPy label array), as torch takes them
NUMPY_INTEGER_SIZES = {
    "Linear": lambda T: T.nn.Linear(_N(3), _N(4))(T.ones(2, 3)),
    "Linear(True, 4)": lambda T: T.nn.Linear(True, 4)(T.ones(2, 1)),
    "Conv2d": lambda T: T.nn.Conv2d(_N(3), _N(8), _N(3), stride=_N(1), padding=_N(1))(T.ones(1, 3, 5, 5)),
    "Conv1d": lambda T: T.nn.Conv1d(_N(3), _N(8), _N(3), padding=_N(1))(T.ones(1, 3, 5)),
    "ConvTranspose2d": lambda T: T.nn.ConvTranspose2d(_N(3), _N(8), _N(3))(T.ones(1, 3, 5, 5)),
    "MaxPool2d": lambda T: T.nn.MaxPool2d(_N(2))(T.ones(1, 3, 4, 4)),
    "AvgPool2d": lambda T: T.nn.AvgPool2d(_N(2), _N(2))(T.ones(1, 3, 4, 4)),
    "LayerNorm": lambda T: T.nn.LayerNorm(_N(4))(T.ones(2, 4)),
    "F.layer_norm": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (_N(3),)),
    "TransformerEncoderLayer": lambda T: T.nn.TransformerEncoderLayer(
        _N(4), _N(2), dim_feedforward=_N(8), dropout=0.0, batch_first=True
    )(T.ones(1, 3, 4)),
    "prod(np.int64)": lambda T: T.ones(2, 3).prod(_N(1)),
    "prod(0-d tensor)": lambda T: T.ones(2, 3).prod(T.tensor(1)),
    "roll": lambda T: T.arange(6.0).reshape(2, 3).roll(_N(1), _N(1)),
    "movedim": lambda T: T.ones(2, 3).movedim(0, _N(1)),
}


@pytest.mark.parametrize("case", list(NUMPY_INTEGER_SIZES))
def test_numpy_integers_as_sizes_and_dims(case):
    make = NUMPY_INTEGER_SIZES[case]
    torch.manual_seed(0)
    theirs = make(torch)
    ours = make(pn)
    assert tuple(ours.shape) == tuple(theirs.shape)


def test_is_storage_and_unpad_sequence_as_torch():
    """is_storage(t.untyped_storage()) was False; unpad_sequence transposes its (L, B, *) input
    in place, as torch's does (code reusing it afterwards sees (B, L, *))."""
    for T in (torch, pn):
        t = T.tensor([1, 2, 3])
        assert T.is_storage(t.untyped_storage()) and not T.is_storage(t)
        rnn = T.nn.utils.rnn
        padded = rnn.pad_sequence([T.ones(3, 2), T.ones(2, 2)])
        pieces = rnn.unpad_sequence(padded, T.tensor([3, 2]))
        assert tuple(padded.shape) == (2, 3, 2)
        assert [tuple(p.shape) for p in pieces] == [(3, 2), (2, 2)]
