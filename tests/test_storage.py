"""t.untyped_storage(), t.storage(), t._is_view(), t.is_set_to(): the memory views share, as torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _facts(m):
    x = m.arange(6.0).reshape(2, 3)
    y, z = x[1], x.t()
    s = x.untyped_storage()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = x.storage()
    return [
        s.data_ptr() == x.data_ptr(),
        y.untyped_storage().data_ptr() == s.data_ptr(),
        z.untyped_storage().data_ptr() == s.data_ptr(),
        x.clone().untyped_storage().data_ptr() == s.data_ptr(),
        (s.nbytes(), s.size(), len(s), s.element_size(), str(s.device)),
        (ts.size(), len(ts), str(ts.dtype).split(".")[1], ts.tolist(), ts[4], ts.element_size(), ts.nbytes()),
        s.tolist()[4:8],
        (x._is_view(), y._is_view(), z._is_view(), x.detach()._is_view(), x.clone()._is_view()),
        (x.reshape(6)._is_view(), x.view(3, 2)._is_view()),
        (y.storage_offset(), z.storage_offset()),
        (x.is_set_to(x), y.is_set_to(x), x.is_set_to(x.view(2, 3))),
        isinstance(s, m.UntypedStorage) and isinstance(ts, m.TypedStorage),
    ]


def test_storage_facts_match_torch():
    assert _facts(pn) == _facts(torch)


@pytest.mark.parametrize("values", [[1.5, -2.25, 1e-8, 3e9], [1, 20, 300], [True, False]])
def test_typed_storage_prints_as_torchs(values):
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        mine = str(pn.tensor(values).storage())
    with warnings.catch_warnings():  # (torch warns once per process)
        warnings.simplefilter("ignore")
        theirs = str(torch.tensor(values).storage())
    assert mine.replace("pyneuro", "torch") == theirs


def test_a_write_through_a_view_is_seen_in_the_shared_storage():
    a = pn.zeros(4)
    b = a[1:3]
    b.fill_(1.0)
    assert b.untyped_storage().data_ptr() == a.untyped_storage().data_ptr()
    np.testing.assert_array_equal(
        np.frombuffer(bytes(a.untyped_storage().tolist()), np.float32), [0, 1, 1, 0]
    )
