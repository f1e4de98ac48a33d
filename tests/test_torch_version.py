"""torch.__version__ compares as a version (torch.torch_version.TorchVersion), checked against torch's
class on the same strings: `torch.__version__ >= (1, 6)` raised TypeError (a plain str)."""

from __future__ import annotations

import operator

import pytest

import pyneuro as pn
from pyneuro.torch_version import TorchVersion

VERSIONS = [
    "0.1.0",
    "2.13.0+cpu",
    "2.0",
    "2.0.0a0",
    "2.0.0rc1",
    "2.0.0.dev20230101",
    "1.10.2",
    "1.9",
    "2.0.1.post2",
]
OTHERS = [
    "0.1", "0.1.0", "2", "2.0.0", "2.0.0a0", "2.0.0b1", "2.0.0rc1", "2.1", "1.10", "1.9.1", "2.0.1", "2.0.1.post1",
    "2.13.0", "2.13.0+cpu", "2.13.0+cu121", "2.13+cpu.1", "parrot", (0, 1), (2, 0), (1, 10), [2, 13], (2, 0, 0), 1, None, 2.0,
]  # fmt: skip
OPS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


def outcome(op, a, b):
    try:
        return op(a, b)
    except TypeError:
        return TypeError


@pytest.mark.parametrize("version", VERSIONS)
def test_comparisons_match_torch(version):
    torch_version = pytest.importorskip("torch.torch_version")
    ours, theirs = TorchVersion(version), torch_version.TorchVersion(version)
    for other in OTHERS:
        for op in OPS:
            assert outcome(op, ours, other) == outcome(op, theirs, other), (version, op.__name__, other)
    assert hash(ours) == hash(theirs) and str(ours) == str(theirs) and repr(ours) == repr(theirs)


def test_version_is_a_version_string():
    v = pn.__version__
    assert isinstance(v, str) and isinstance(v, TorchVersion) and pn.version.__version__ is v
    assert v >= (0, 0) and v < (99,) and v == v.split("+")[0] and v >= "0.0.1" and f"{v}" == str(v)
    with pytest.raises(TypeError):
        v >= 1  # noqa: B015 (torch's TypeError)
