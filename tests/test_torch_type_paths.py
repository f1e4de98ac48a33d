"""type() of the objects scripts print shows torch's class paths: C types as torch._C's, Python
classes at the module torch defines them in (read with "pyneuro" as "torch"), and such objects
still pickle (their __module__ is where pickle finds them)."""

from __future__ import annotations

import pickle

import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _shown(m):
    from_data = m.utils.data
    ds = from_data.TensorDataset(m.arange(6.0))
    return [
        type(m.nn.LazyLinear(3).weight),
        m.nn.parameter.UninitializedBuffer,
        m.nn.parameter.UninitializedTensorMixin,
        m.Generator,
        type(m.default_generator),
        type(iter(from_data.DataLoader(ds, batch_size=2))),
        type(iter(from_data.DataLoader(ds, batch_size=2, num_workers=1))).__name__,
        type(m.strided),
        type(m.channels_last),
    ]


def test_types_print_torch_paths():
    got = [str(t).replace("pyneuro", "torch") for t in _shown(pn)]
    assert got == [str(t) for t in _shown(torch)]


def test_the_shown_classes_still_pickle():
    g = pn.Generator().manual_seed(3)
    again = pickle.loads(pickle.dumps(g))
    assert pn.randn(3, generator=again).tolist() == pn.randn(3, generator=g).tolist()
    assert repr(pickle.loads(pickle.dumps(pn.channels_last))) == "torch.channels_last"
    lazy = pn.nn.LazyLinear(3)
    assert type(pickle.loads(pickle.dumps(lazy)).weight).__name__ == "UninitializedParameter"
