"""torch.special's Bessel and Airy functions (pyneuro/_bessel.py): tabulated values to 1e-12,
torch's values over each function's domain in float32 and float64 (across the switches between
series, integral and asymptotic forms; to torch's own accuracy, which is the coarser: its float
Cephes coefficients leave errors up to ~2e-5 in float32 and ~3e-6 in float64), the edge values
(0, negatives, +-inf, NaN), dtypes and no gradient."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

POSITIVE = np.concatenate(
    [
        np.geomspace(1e-20, 1e-2, 40),
        np.linspace(0.01, 40.0, 4001),
        [0.999, 1.0, 1.001, 11.999, 12.0, 12.001, 29.999, 30.0, 30.001, 80.0, 300.0, 700.0, 1e4, 1e6],
    ]
)
NAMES = {
    "bessel_j0": np.concatenate([POSITIVE, -POSITIVE]),
    "bessel_j1": np.concatenate([POSITIVE, -POSITIVE]),
    "bessel_y0": POSITIVE,
    "bessel_y1": POSITIVE,
    "modified_bessel_k0": POSITIVE,
    "modified_bessel_k1": POSITIVE,
    "scaled_modified_bessel_k0": POSITIVE,
    "scaled_modified_bessel_k1": POSITIVE,
    "airy_ai": np.concatenate([np.linspace(-60.0, 40.0, 5001), [-8.0001, -8.0, 0.25, 0.2501, 9.0, 120.0]]),
}


# (reference values to 15 digits, as tables give them: A&S chapters 9 and 10)
AT = [0.5, 3.0, 11.5, 12.5, 35.0, 1000.0]
TABLE = {
    "bessel_j0": [0.938469807240813, -0.260051954901934, -0.0676539481116654, 0.146884054700421, -0.126845682756313, 0.02478668615242],
    "bessel_j1": [0.242268457674874, 0.339058958525937, -0.228378620665324, -0.16548380461476, 0.0439909421796255, 0.00472831190708902],
    "bessel_y0": [-0.444518733506707, 0.376850010012791, -0.225232111691188, -0.171214306844669, 0.0457979871951553, 0.00471591797762359],
    "bessel_y1": [-1.47147239267024, 0.3246744247918, 0.0579425471430006, -0.153838256537501, 0.12751273354559, -0.0247843312923519],
    "modified_bessel_k0": [0.924419071227666, 0.0347395043862792, 3.70503816595642e-06, 1.30840369677698e-06, 1.33103514914295e-16, 0.0],
    "modified_bessel_k1": [1.6564411200033, 0.0401564311281942, 3.862894146161e-06, 1.35976784382152e-06, 1.34991783400111e-16, 0.0],
    "scaled_modified_bessel_k0": [1.52410938577391, 0.697761598043852, 0.365745699176682, 0.351093497667015, 0.211103965204273, 0.0396283216007542],
    "scaled_modified_bessel_k1": [2.73100970821179, 0.806563480128787, 0.381328573971236, 0.364876413509406, 0.214098784424356, 0.0396481308129602],
}  # fmt: skip
AIRY_AT = [-20.0, -8.5, -2.0, 0.0, 0.5, 3.0, 12.0]
AIRY = [-0.176406127077984, -0.330290237630209, 0.227407428201686, 0.355028053887817, 0.231693606480833, 0.00659113935746072, 1.39318468887536e-13]  # fmt: skip


@pytest.mark.parametrize("name", sorted(TABLE) + ["airy_ai"])
def test_tabulated_values_in_float64(name):
    at, want = (AIRY_AT, AIRY) if name == "airy_ai" else (AT, TABLE[name])
    got = getattr(pn.special, name)(pn.tensor(at, dtype=pn.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("dtype, rtol, atol", [("float32", 2e-3, 3e-5), ("float64", 1e-3, 5e-6)])
def test_values_match_torch(name, dtype, rtol, atol):
    x = NAMES[name].astype(dtype)
    p = getattr(pn.special, name)(pn.tensor(x))
    t = getattr(torch.special, name)(torch.tensor(x))
    assert p.dtype == getattr(pn, dtype)
    np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_edges_dtypes_and_no_gradient(name):
    edges = [0.0, -1.0, float("inf"), float("-inf"), float("nan")]
    p = getattr(pn.special, name)(pn.tensor(edges))
    t = getattr(torch.special, name)(torch.tensor(edges))
    np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=2e-6, atol=1e-7)
    ints = getattr(pn.special, name)(pn.tensor([1, 2]))
    assert (
        ints.dtype == pn.float32 and getattr(torch.special, name)(torch.tensor([1, 2])).dtype == torch.float32
    )
    x = pn.tensor([1.5], requires_grad=True)
    y = getattr(pn.special, name)(x)
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(TypeError):
        getattr(pn.special, name)([1.0])
