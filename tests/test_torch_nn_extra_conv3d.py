"""conv3d and the 3-D poolings (functions and layers) against torch: values, gradients, indices,
reprs, init and errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_torch_nn_extra import _arrays, same, same_error

import pyneuro as pn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    ("wshape", "kw"),
    [
        ((6, 4, 3, 3, 3), dict(padding=1)),
        ((6, 2, 3, 2, 3), dict(stride=(1, 2, 1), padding=(1, 0, 2), dilation=(2, 1, 1), groups=2)),
        ((4, 4, 2, 3, 2), dict(padding="same")),
        ((3, 4, 1, 1, 1), dict(padding="valid", stride=2)),
    ],
)
def test_conv3d(wshape, kw):
    x, w, b = _arrays((2, 4, 5, 6, 7), wshape, (wshape[0],))
    same(lambda fw, a, k, c: fw.nn.functional.conv3d(a, k, c, **kw), x, w, b, tol=1e-4)
    same(lambda fw, a, k: fw.nn.functional.conv3d(a, k, **kw), x[0], w, tol=1e-4)  # unbatched


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv3d_layer(mode):
    layers = [
        fw.nn.Conv3d(2, 4, (2, 3, 3), padding=1, stride=(1, 2, 1), padding_mode=mode) for fw in (pn, torch)
    ]
    state = {k: torch.tensor(v.detach().numpy()) for k, v in layers[0].state_dict().items()}
    layers[1].load_state_dict(state)
    assert repr(layers[0]) == repr(layers[1])
    same(lambda fw, x: layers[fw is torch](x), *_arrays((2, 2, 4, 5, 6)), tol=1e-4)
    bound = 1 / np.sqrt(2 * 2 * 3 * 3)
    assert float(layers[0].weight.abs().max()) <= bound and float(layers[0].bias.abs().max()) <= bound


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), dilation=(2, 1, 1), ceil_mode=True),
    ],
)
def test_max_pool3d_and_unpool(kw):
    (x,) = _arrays((2, 3, 6, 7, 8))
    same(lambda fw, a: fw.nn.functional.max_pool3d(a, return_indices=True, **kw), x)
    same(lambda fw, a: fw.nn.MaxPool3d(**kw)(a), x[0])
    same(lambda fw, a: fw.nn.functional.max_pool3d_with_indices(a, **kw), x)

    def round_trip(fw, a):
        y, i = fw.nn.functional.max_pool3d(a, 2, return_indices=True)
        return fw.nn.MaxUnpool3d(2)(y, i, output_size=a.shape[-3:])

    same(round_trip, x)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        dict(kernel_size=(2, 3, 2), stride=1, padding=(1, 1, 0), divisor_override=5),
    ],
)
def test_avg_pool3d(kw):
    (x,) = _arrays((2, 3, 6, 7, 8))
    same(lambda fw, a: fw.nn.functional.avg_pool3d(a, **kw), x)
    same(lambda fw, a: fw.nn.AvgPool3d(**kw)(a), x[0])


@pytest.mark.parametrize("size", [(3, 4, 5), 2, (None, 3, 1), (7, 8, 9)])
def test_adaptive_pools_3d(size):
    (x,) = _arrays((2, 3, 5, 6, 7))
    same(lambda fw, a: fw.nn.functional.adaptive_avg_pool3d(a, size), x)
    same(lambda fw, a: fw.nn.AdaptiveAvgPool3d(size)(a), x[0])
    same(lambda fw, a: fw.nn.functional.adaptive_max_pool3d(a, size, True), x)
    same(lambda fw, a: fw.nn.AdaptiveMaxPool3d(size)(a), x[0])


def test_lp_pool3d_area_interpolate_and_reprs():
    (x,) = _arrays((2, 3, 4, 5, 6))
    same(lambda fw, a: fw.nn.LPPool3d(2, 2)(a), np.abs(x) + 0.1, tol=1e-4)
    same(lambda fw, a: fw.nn.functional.lp_pool3d(a, 1.5, (2, 3, 2), stride=1), np.abs(x) + 0.1, tol=1e-4)
    same(lambda fw, a: fw.nn.functional.interpolate(a, size=(2, 3, 4), mode="area"), x)
    for make in ("Conv3d(2, 3, (1, 2, 3), padding=1)", "MaxPool3d(2)", "AvgPool3d(2, 1)",
                 "AdaptiveAvgPool3d((1, 2, 3))", "AdaptiveMaxPool3d(2)", "LPPool3d(2, 2)", "MaxUnpool3d(2)"):  # fmt: skip
        assert repr(eval("pn.nn." + make)) == repr(eval("torch.nn." + make))


def test_3d_errors():
    same_error(lambda fw: fw.nn.functional.conv3d(fw.zeros(1, 2, 4, 5, 6), fw.zeros(3, 3, 2, 2, 2)))
    same_error(lambda fw: fw.nn.functional.conv3d(fw.zeros(1, 2, 4, 5, 6), fw.zeros(3, 2, 5, 2, 2)))
    same_error(lambda fw: fw.nn.functional.max_pool3d(fw.zeros(1, 2, 4, 5, 6), 2, padding=2))
    same_error(lambda fw: fw.nn.functional.adaptive_avg_pool3d(fw.zeros(4, 5), 2))
    same_error(lambda fw: fw.nn.functional.adaptive_max_pool3d(fw.zeros(4, 5), 2))


@pytest.mark.parametrize(
    ("wshape", "kw"),
    [
        ((4, 3, 3, 2, 3), dict()),
        (
            (4, 3, 2, 3, 2),
            dict(stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 1), dilation=(1, 2, 1)),
        ),
        ((4, 2, 3, 3, 3), dict(groups=2, stride=3, padding=1, output_padding=2, dilation=2)),
    ],
)
def test_conv_transpose3d(wshape, kw):
    x, w, b = _arrays((2, 4, 3, 4, 5), wshape, (wshape[1] * kw.get("groups", 1),))
    same(lambda fw, a, k, c: fw.nn.functional.conv_transpose3d(a, k, c, **kw), x, w, b, tol=1e-4)
    same(lambda fw, a, k: fw.nn.functional.conv_transpose3d(a, k, **kw), x[0], w, tol=1e-4)


def test_conv_transpose3d_layer():
    layers = [fw.nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1) for fw in (pn, torch)]
    layers[1].load_state_dict(
        {k: torch.tensor(v.detach().numpy()) for k, v in layers[0].state_dict().items()}
    )
    assert repr(layers[0]) == repr(layers[1])
    same(lambda fw, x: layers[fw is torch](x, output_size=(6, 8, 10)), *_arrays((2, 4, 3, 4, 5)), tol=1e-4)
    assert float(layers[0].weight.abs().max()) <= 1 / np.sqrt(6 * 27)
