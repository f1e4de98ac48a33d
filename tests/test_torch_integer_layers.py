"""Integer and bool tensors through the layer functions, against torch: result dtype and values,
or the same exception class.

torch's CPU kernels convolve and multiply integer tensors (F.conv2d of two int64 tensors is an
int64 tensor, its sums wrapping around in the dtype), refuse some integer dtypes in some
kernels (dilated and transposed convolutions take int64 only; im2col none) and bool in all of
them, with NotImplementedError. pyneuro raised DTypeError for every integer convolution and
F.linear, computed F.unfold / F.fold of integers and a bool reflect / replicate F.pad, and
refused a bool max_pool2d with DTypeError instead of NotImplementedError.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")

DTYPES = ("int64", "int32", "int16", "int8", "uint8", "bool")

# fmt: off
CASES = {
    "conv1d": lambda F, a: F.conv1d(a((2, 4, 9)), a((3, 4, 3))),
    "conv1d_stride_pad": lambda F, a: F.conv1d(a((2, 4, 9)), a((3, 2, 3)), a((3,)), stride=2, padding=1, groups=2),
    "conv1d_dilated": lambda F, a: F.conv1d(a((2, 4, 9)), a((3, 4, 3)), dilation=2),
    "conv2d": lambda F, a: F.conv2d(a((2, 4, 7, 6)), a((6, 4, 3, 2))),
    "conv2d_bias_groups": lambda F, a: F.conv2d(a((2, 4, 7, 6)), a((6, 2, 3, 2)), a((6,)), groups=2),
    "conv2d_stride_pad": lambda F, a: F.conv2d(a((2, 4, 7, 6)), a((6, 4, 3, 2)), stride=(2, 1), padding=(1, 0)),
    "conv2d_same": lambda F, a: F.conv2d(a((1, 2, 5, 6)), a((3, 2, 3, 2)), padding="same"),
    "conv2d_dilated": lambda F, a: F.conv2d(a((1, 2, 7, 7)), a((3, 2, 3, 3)), dilation=2),
    "conv2d_unbatched": lambda F, a: F.conv2d(a((2, 5, 5)), a((3, 2, 2, 2))),
    "conv3d": lambda F, a: F.conv3d(a((1, 2, 4, 5, 5)), a((3, 2, 2, 3, 2)), stride=(1, 2, 1)),
    "conv_transpose1d": lambda F, a: F.conv_transpose1d(a((2, 4, 5)), a((4, 2, 3))),
    "conv_transpose2d": lambda F, a: F.conv_transpose2d(a((2, 4, 5, 5)), a((4, 3, 3, 3)), a((3,)), stride=2, output_padding=1),
    "conv_transpose2d_pad": lambda F, a: F.conv_transpose2d(a((1, 4, 5, 5)), a((4, 2, 3, 3)), padding=1, dilation=2),
    "conv_transpose3d": lambda F, a: F.conv_transpose3d(a((1, 2, 3, 4, 4)), a((2, 2, 2, 2, 2))),
    "linear": lambda F, a: F.linear(a((5, 3)), a((4, 3))),
    "linear_bias": lambda F, a: F.linear(a((5, 3)), a((4, 3)), a((4,))),
    "linear_3d": lambda F, a: F.linear(a((2, 5, 3)), a((4, 3)), a((4,))),
    "linear_vector": lambda F, a: F.linear(a((3,)), a((4, 3)), a((4,))),
    "bilinear": lambda F, a: F.bilinear(a((2, 3)), a((2, 4)), a((5, 3, 4)), a((5,))),
    "max_pool2d": lambda F, a: F.max_pool2d(a((1, 2, 4, 4)), 2),
    "unfold": lambda F, a: F.unfold(a((1, 2, 4, 4)), 2),
    "fold": lambda F, a: F.fold(a((1, 8, 4)), (3, 3), 2),
    "pad_reflect": lambda F, a: F.pad(a((1, 2, 4)), (2, 1), mode="reflect"),
    "pad_replicate_2d": lambda F, a: F.pad(a((1, 1, 3, 3)), (1, 1, 1, 2), mode="replicate"),
    "pad_circular": lambda F, a: F.pad(a((1, 2, 4)), (2, 1), mode="circular"),
    "interpolate_nearest": lambda F, a: F.interpolate(a((1, 1, 3, 3)), scale_factor=2),
}
# fmt: on


def _outcome(lib, case, dtype):
    rng = np.random.default_rng(0)
    high = 2 if dtype == "bool" else 100  # (uint8 and int8 sums wrap around, as torch's)

    def a(shape):
        return lib.from_numpy(rng.integers(0, high, shape).astype(dtype))

    functional = torch.nn.functional if lib is torch else pn.nn.functional
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            y = CASES[case](functional, a)
        except (NotImplementedError, RuntimeError) as exc:
            return "NotImplementedError" if isinstance(exc, NotImplementedError) else "RuntimeError"
    return str(y.dtype).split(".")[-1], tuple(y.shape), y.numpy().tolist()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_integer_layer_function_matches_torch(case, dtype):
    assert _outcome(pn, case, dtype) == _outcome(torch, case, dtype)


def test_int64_convolution_wraps_around_as_torch():
    x, w = np.full((1, 1, 3, 3), 2**40, np.int64), np.full((1, 1, 3, 3), 2**30 + 1, np.int64)
    ours = pn.nn.functional.conv2d(pn.from_numpy(x), pn.from_numpy(w))
    theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w))
    assert ours.numpy().tolist() == theirs.numpy().tolist()


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: (lib.ones(1, 1, 3, 3, dtype=lib.int64), lib.ones(1, 1, 3, 3), None),
        lambda lib: (lib.ones(1, 1, 3, 3, dtype=lib.int64), lib.ones(1, 1, 3, 3, dtype=lib.int32), None),
        lambda lib: (
            lib.ones(1, 1, 3, 3, dtype=lib.int64),
            lib.ones(1, 1, 3, 3, dtype=lib.int64),
            lib.ones(1),
        ),
        lambda lib: (lib.ones(1, 1, 3, 3).half(), lib.ones(1, 1, 3, 3).half(), lib.ones(1)),
    ],
)
def test_mixed_dtype_convolution_is_torch_runtime_error(make):
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.conv2d(*make(torch))
    with pytest.raises(RuntimeError) as ours:
        pn.nn.functional.conv2d(*make(pn))
    if "bias type" in str(theirs.value):  # (torch's words: the C type names)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "dtype,bias", [("int64", "int32"), ("int64", "float32"), ("float32", "float64"), ("float64", "float32")]
)
def test_linear_refuses_a_bias_of_another_dtype(dtype, bias):
    """On every backend (the numpy reference's bias_add promoted a float64 bias)."""

    def call(lib):
        x, w = lib.ones(2, 3, dtype=getattr(lib, dtype)), lib.ones(4, 3, dtype=getattr(lib, dtype))
        return lib.nn.functional.linear(x, w, lib.ones(4, dtype=getattr(lib, bias)))

    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError, match=f"^{theirs.value}$"):
        call(pn)
