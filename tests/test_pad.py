"""F.pad against torch: every mode, negative (cropping) sizes, values and gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn
import pyneuro.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

CASES = [
    ((2, 3, 4), (1, 2), "constant", None),
    ((2, 3, 4), (1, 2, 0, 3), "constant", 1.5),
    ((2, 3, 4), (1, 1, 1, 1, 1, 1), "constant", None),
    ((2, 3, 4), (-1, 2), "constant", None),
    ((2, 3, 4), (0, -2, -1, 0), "constant", None),
    ((5,), (2, 1), "constant", -3.0),
    ((2, 3, 4), (1, 2), "reflect", None),
    ((2, 3, 4, 5), (2, 1, 1, 2), "reflect", None),
    ((3, 4), (3, 0), "reflect", None),
    ((2, 3, 4), (2, 3), "replicate", None),
    ((2, 3, 4, 5), (1, 2, 3, 0), "replicate", None),
    ((1, 2, 3, 4, 5), (1, 1, 1, 1, 1, 1), "replicate", None),
    ((2, 3, 4), (1, 2), "circular", None),
    ((2, 3, 4, 5), (2, 1, 3, 3), "circular", None),
]


@pytest.mark.parametrize(("shape", "pad", "mode", "value"), CASES)
def test_values_and_gradients_match_torch(shape, pad, mode, value):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape).astype(np.float32)
    kw = {} if value is None else {"value": value}
    px, tx = pn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    py, ty = F.pad(px, pad, mode=mode, **kw), TF.pad(tx, pad, mode=mode, **kw)
    assert tuple(py.shape) == tuple(ty.shape)
    np.testing.assert_array_equal(py.detach().numpy(), ty.detach().numpy())
    w = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    (py * pn.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("shape", "pad", "kw", "error", "message"),
    [
        ((1, 2, 3), (1,), {}, RuntimeError, "divisible by 2"),
        ((1, 2, 3), (1,) * 8, {}, RuntimeError, "less than or equal to two times the input dimension"),
        (
            (1, 2, 3),
            (1, 1),
            {"mode": "reflect", "value": 1.0},
            RuntimeError,
            "doesn't take in value argument",
        ),
        ((1, 2, 3), (3, 3), {"mode": "reflect"}, RuntimeError, "Padding size should be less than"),
        ((1, 2, 3), (1, 1), {"mode": "foo"}, NotImplementedError, "Unrecognised padding mode foo"),
        ((3,), (1, 1), {"mode": "replicate"}, NotImplementedError, "not supported for 1D input"),
    ],
)
def test_errors_match_torch(shape, pad, kw, error, message):
    for fw, f in ((pn, F), (torch, TF)):
        with pytest.raises(error, match=message):
            f.pad(fw.ones(*shape), pad, **kw)
