"""nn.Module machinery and nn.utils against torch: functional_call through a parametrization,
channels_last contiguity, __setstate__ for subclasses, bfloat16()."""

from __future__ import annotations

import copy
import pickle

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
