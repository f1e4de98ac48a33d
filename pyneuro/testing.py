"""pyneuro.testing: torch.testing's `assert_close` and `make_tensor`, for scripts and notebooks that
check their own results.

assert_close(actual, expected) passes when every element satisfies

    |actual - expected| <= atol + rtol * |expected|

with tolerances chosen from the dtype when not given (float32: rtol 1.3e-6, atol 1e-5; float64:
1e-7 both; integers and bools: exact; an infinity only equals itself), after checking shape,
dtype and device (and, with check_stride, the strides). Sequences and
mappings are compared item by item. A failure raises AssertionError with torch's message: how many
elements differ and where the greatest absolute and relative differences are.

Arrows: imports _tensor_base, _dtype and creation; nothing imports it but pyneuro/__init__.py (lazily).
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from ._tensor_base import TensorBase
from .creation import tensor
from .random import _rng

# (rtol, atol) by dtype, as torch.testing chooses them.
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tolerances(dtype: np.dtype, rtol, atol) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    if rtol is not None:
        return float(rtol), float(atol)
    return _TOLERANCES.get(dtype.name, (0.0, 0.0))


def _fail(msg, default: str, where: str):
    """AssertionError with torch's message, or the caller's msg (a string, or a function given
    torch's message)."""
    message = default + (f"\n\nThe failure occurred for item {where}" if where else "")
    if msg is None:
        raise AssertionError(message)
    raise AssertionError(msg(message) if callable(msg) else msg)


def _compare_arrays(a, e, *, scalar, rtol, atol, equal_nan, msg, where):
    exact = rtol == 0 and atol == 0
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        finite = np.isfinite(a64) & np.isfinite(e64)
        close = np.where(finite, np.abs(a64 - e64) <= atol + rtol * np.abs(e64), a64 == e64)  # inf only equal
        if equal_nan:
            close |= np.isnan(a64) & np.isnan(e64)
        if close.all():
            return
        abs_diff = np.abs(a64 - e64)
        rel_diff = abs_diff / np.abs(e64)
    allowed_abs = "" if exact else f" (up to {atol} allowed)"
    allowed_rel = "" if exact else f" (up to {rtol} allowed)"
    kind = "equal" if exact else "close"
    if scalar:
        number = (lambda x: int(x)) if a.dtype.kind in "iub" and e.dtype.kind in "iub" else float
        _fail(
            msg,
            f"Scalars are not {kind}!\n\nExpected {number(e.item())} but got {number(a.item())}.\n"
            f"Absolute difference: {number(abs_diff.item())}{allowed_abs}\n"
            f"Relative difference: {float(rel_diff.item())}{allowed_rel}",
            where,
        )
    bad = ~close
    worst_abs = np.unravel_index(
        int(np.argmax(np.where(bad, np.nan_to_num(abs_diff, nan=np.inf), -np.inf))), a.shape
    )
    worst_rel = np.unravel_index(
        int(np.argmax(np.where(bad, np.nan_to_num(rel_diff, nan=np.inf), -np.inf))), a.shape
    )
    # torch reports the differences in the inputs' floating dtype (float32 for integers' ratios)
    shown_dtype = np.promote_types(a.dtype, e.dtype)
    shown_dtype = shown_dtype if shown_dtype.kind == "f" else np.dtype(np.float32)

    def shown(x):
        value = x[worst_abs] if x is abs_diff else x[worst_rel]
        if x is abs_diff and a.dtype.kind in "iub" and e.dtype.kind in "iub":
            return int(value)
        return float(shown_dtype.type(value))

    _fail(
        msg,
        f"Tensor-likes are not {kind}!\n\nMismatched elements: {int(bad.sum())} / {a.size} "
        f"({100 * bad.sum() / a.size:.1f}%)\n"
        f"Greatest absolute difference: {shown(abs_diff)} at index {tuple(int(i) for i in worst_abs)}{allowed_abs}\n"
        f"Greatest relative difference: {shown(rel_diff)} at index {tuple(int(i) for i in worst_rel)}{allowed_rel}",
        where,
    )


def _as_array(x):
    if isinstance(x, TensorBase):
        return x.detach().cpu().numpy(), x.device.type
    return np.asarray(x), "cpu"


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses: bool = True,
    rtol=None,
    atol=None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg=None,
    _where: str = "",
):
    """torch.testing.assert_close: AssertionError unless actual and expected are close (see above)."""
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
                   check_stride=check_stride, msg=msg)  # fmt: skip
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            missing, extra = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
            _fail(
                msg,
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {missing}\nAdditional keys in the actual mapping: {extra}",
                _where,
            )
        for key in actual:
            assert_close(actual[key], expected[key], **options, _where=f"{_where}[{key!r}]")
        return
    sequences = (Sequence,)
    if isinstance(actual, sequences) and isinstance(expected, sequences) and not isinstance(actual, str):
        if len(actual) != len(expected):
            _fail(msg, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", _where)
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, **options, _where=f"{_where}[{i}]")
        return
    numbers = (int, float, bool, np.number, np.bool_)
    both_numbers = isinstance(actual, numbers) and isinstance(expected, numbers)
    both_arrays = isinstance(actual, (TensorBase, np.ndarray)) and isinstance(
        expected, (TensorBase, np.ndarray)
    )
    if not (both_numbers or (both_arrays and type(actual) is type(expected))):
        raise TypeError(
            f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}."
        )
    if both_numbers:
        as_number = (
            builtins.float if isinstance(actual, float) or isinstance(expected, float) else builtins.int
        )
        a, e = np.asarray(as_number(actual)), np.asarray(as_number(expected))
        a_device = e_device = "cpu"
    else:
        (a, a_device), (e, e_device) = _as_array(actual), _as_array(expected)
    if a.shape != e.shape:
        _fail(
            msg,
            f"The values for attribute 'shape' do not match: {_size(a.shape)} != {_size(e.shape)}.",
            _where,
        )
    if check_device and a_device != e_device:
        _fail(msg, f"The values for attribute 'device' do not match: {a_device} != {e_device}.", _where)
    if check_dtype and a.dtype != e.dtype:
        _fail(
            msg,
            f"The values for attribute 'dtype' do not match: torch.{a.dtype.name} != torch.{e.dtype.name}.",
            _where,
        )
    if check_stride and both_arrays:
        strides = [x.stride() if isinstance(x, TensorBase) else tuple(b // x.itemsize for b in x.strides)
                   for x in (actual, expected)]  # fmt: skip
        if strides[0] != strides[1]:
            _fail(
                msg,
                f"The values for attribute 'stride()' do not match: {strides[0]} != {strides[1]}.",
                _where,
            )
    dtype = np.promote_types(a.dtype, e.dtype)
    rtol_, atol_ = _tolerances(dtype, rtol, atol)
    scalar = both_numbers or a.ndim == 0
    _compare_arrays(a, e, scalar=scalar, rtol=rtol_, atol=atol_, equal_nan=equal_nan, msg=msg, where=_where)


# assert_allclose's looser defaults (rtol, atol), the larger of the two inputs' taken
_ALLCLOSE_TOLERANCES = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """torch.testing.assert_allclose (deprecated since torch 1.12, FutureWarning): assert_close with
    looser tolerances, NaNs equal, dtypes not compared, and lists or numbers turned into tensors."""
    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future release. "
        "Please use `torch.testing.assert_close()` instead. You can find detailed upgrade instructions in "
        "https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning,
        stacklevel=2,
    )
    if not isinstance(actual, TensorBase):
        actual = tensor(actual)
    if not isinstance(expected, TensorBase):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        pairs = [
            _ALLCLOSE_TOLERANCES.get(np.dtype(t._data.dtype).name, (0.0, 0.0)) for t in (actual, expected)
        ]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    assert_close(
        actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False, msg=msg or None
    )


def _size(shape) -> str:
    return f"torch.Size({list(shape)})"


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):  # fmt: skip
    """A tensor of random values in [low, high) (torch.testing.make_tensor): floats default to
    [-9, 9), integers to [-9, 10), bools are random; exclude_zero replaces zeros."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    np_dtype = np.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, np.dtype) else dtype)
    rng = _rng(None)
    if np_dtype.kind == "b":
        data = rng.integers(0, 2, size=shape).astype(bool)
    elif np_dtype.kind in "iu":
        lo = -9 if low is None else int(np.ceil(low))
        hi = 10 if high is None else int(high)
        lo = max(lo, 0) if np_dtype.kind == "u" else lo
        data = rng.integers(lo, hi, size=shape).astype(np_dtype)
    else:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        data = rng.uniform(lo, hi, size=shape).astype(np_dtype)
    if exclude_zero and np_dtype.kind != "b":
        data[data == 0] = 1 if np_dtype.kind in "iu" else np.finfo(np_dtype).tiny
    return tensor(data, device=device, requires_grad=requires_grad)


__all__ = ["assert_close", "assert_allclose", "make_tensor"]
