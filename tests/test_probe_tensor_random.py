"""Random draws' argument checks against torch: floating dtypes only, std >= 0, from <= to,
and manual_seed's int() conversion and range."""

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

ERRORS = [
    (lambda m: m.randn(2, 3, dtype=m.int64), NotImplementedError),
    (lambda m: m.rand(2, dtype=m.int32), NotImplementedError),
    (lambda m: m.rand_like(m.zeros(2, dtype=m.int64)), NotImplementedError),
    (lambda m: m.empty(3, dtype=m.int64).uniform_(), NotImplementedError),
    (lambda m: m.empty(3, dtype=m.int64).normal_(), NotImplementedError),
    (lambda m: m.empty(3).uniform_(5, 2), RuntimeError),
    (lambda m: m.empty(3).normal_(std=-1), RuntimeError),
    (lambda m: m.normal(0.0, -1.0, size=(3,)), RuntimeError),
    (lambda m: m.normal(m.zeros(3), m.tensor([1.0, -1.0, 1.0])), RuntimeError),
    (lambda m: m.manual_seed(2**64), ValueError),
    (lambda m: m.manual_seed(-(2**63) - 1), ValueError),
    (lambda m: m.Generator().manual_seed(1.5), RuntimeError),
    (lambda m: m.Generator().manual_seed("3"), RuntimeError),
]


@pytest.mark.parametrize("fn, exc", ERRORS, ids=range(len(ERRORS)))
def test_errors_like_torch(fn, exc):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc):
        fn(pn)


@pytest.mark.parametrize("seed", [2.7, True, "3", -1, 2**63])
def test_manual_seed_takes_what_int_takes(seed):
    torch.manual_seed(seed)
    pn.manual_seed(seed)
    assert pn.initial_seed() == torch.initial_seed()
    np.testing.assert_array_equal(pn.rand(4).numpy(), torch.rand(4).numpy())


def test_valid_forms_still_draw_torch_numbers():
    torch.manual_seed(0)
    pn.manual_seed(0)
    pairs = [
        (torch.empty(3).uniform_(2, 2), pn.empty(3).uniform_(2, 2)),
        (torch.empty(3).normal_(1, 0), pn.empty(3).normal_(1, 0)),
        (torch.normal(2.0, torch.ones(3)), pn.normal(2.0, pn.ones(3))),
    ]
    for a, b in pairs:
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6)


def test_generator_device_is_a_device():
    for m in (torch, pn):
        g = m.Generator(device="cpu")
        assert g.device == m.device("cpu") and g.device.type == "cpu"
