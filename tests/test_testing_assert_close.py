"""pyneuro.testing against torch.testing: assert_close's verdicts and messages (infinities,
NaNs, strides, mappings, a msg function) and the deprecated assert_allclose."""

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")


def _outcome(lib, make):
    """(exception type name, message with 'torch' for the library name) or 'pass'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            make(lib)
        except Exception as exc:
            return type(exc).__name__, str(exc).replace("pyneuro", "torch")
    return "pass"


CASES = {
    "close": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.0 + 1e-7])),
    "far": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0, 3.0]), L.tensor([1.0, 2.1, 3.0])),
    "equal infinities": lambda L: L.testing.assert_close(L.tensor([INF, 1.0]), L.tensor([INF, 1.0])),
    "-inf vs inf": lambda L: L.testing.assert_close(L.tensor([-INF]), L.tensor([INF])),
    "inf vs large": lambda L: L.testing.assert_close(L.tensor([INF]), L.tensor([1e30])),
    "scalar infinities": lambda L: L.testing.assert_close(INF, -INF),
    "nan vs number": lambda L: L.testing.assert_close(L.tensor([NAN]), L.tensor([1.0])),
    "nan equal_nan": lambda L: L.testing.assert_close(L.tensor([NAN]), L.tensor([NAN]), equal_nan=True),
    "missing key": lambda L: L.testing.assert_close({"x": 1}, {"x": 1, "y": 2}),
    "extra key": lambda L: L.testing.assert_close({"x": 1, "z": 2}, {"x": 1}),
    "msg function": lambda L: L.testing.assert_close(L.ones(2), L.ones(3), msg=lambda m: "<" + m + ">"),
    "msg function, item": lambda L: L.testing.assert_close([L.ones(2)], [L.zeros(2)], msg=lambda m: f"<{m}>"),
    "msg string": lambda L: L.testing.assert_close(L.ones(2), L.zeros(2), msg="custom"),
    "stride": lambda L: L.testing.assert_close(L.ones(3)[::2], L.ones(2), check_stride=True),
    "stride transposed": lambda L: L.testing.assert_close(L.ones(2, 2).t(), L.ones(2, 2), check_stride=True),
    "stride same": lambda L: L.testing.assert_close(L.ones(2, 2), L.ones(2, 2), check_stride=True),
    "stride in a list": lambda L: L.testing.assert_close([L.ones(3)[::2]], [L.ones(2)], check_stride=True),
    "allclose lists": lambda L: L.testing.assert_allclose(L.ones(2), [1.0, 1.0]),
    "allclose looser float32": lambda L: L.testing.assert_allclose(L.ones(2), L.ones(2) * 1.00005),
    "allclose dtypes mixed": lambda L: L.testing.assert_allclose(
        L.ones(2), L.ones(2, dtype=L.float64) * 1.001
    ),
    "allclose float16": lambda L: L.testing.assert_allclose(
        L.ones(2, dtype=L.float16), L.ones(2, dtype=L.float16) * 1.002
    ),
    "allclose ints": lambda L: L.testing.assert_allclose(L.tensor([1, 2]), [1, 3]),
    "allclose nan": lambda L: L.testing.assert_allclose(L.tensor([NAN]), L.tensor([NAN])),
    "allclose msg": lambda L: L.testing.assert_allclose(L.ones(2), L.ones(2) * 2, msg="boom"),
    "allclose shape": lambda L: L.testing.assert_allclose(L.ones(2), 1.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_assert_close_agrees_with_torch(name):
    assert _outcome(pn, CASES[name]) == _outcome(torch, CASES[name])


def test_assert_allclose_warns_as_torch():
    with pytest.warns(FutureWarning, match="deprecated since 1.12"):
        pn.testing.assert_allclose(pn.ones(2), np.ones(2, dtype=np.float32))
