"""Transposed convolution against PyTorch: F.conv_transpose2d, F.conv_transpose1d and
nn.ConvTranspose2d, nn.ConvTranspose1d.

Forward values and input/weight/bias gradients on awkward configurations (stride 2 with
output_padding 1, output_padding below the dilation but not the stride, dilation, groups,
padding, non-square kernels and strides, no bias, batch 1 and 3, odd sizes, unbatched input)
on every CPU backend; the modules with torch's state_dict loaded, output_size, reprs,
parameter shapes and initialisation; torch's errors; a small DCGAN generator and a
convolutional autoencoder's round trip.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import nn
from pyneuro.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from conftest import both_like_torch as _both  # noqa: E402
from conftest import close_to_torch as _close  # noqa: E402
from conftest import rand as _rand  # noqa: E402


def _arrays(xs, ws, bias, groups=1, seed=1, dtype=np.float32):
    b = _rand((ws[1] * groups,), seed + 2, dtype) if bias else None
    return [_rand(xs, seed, dtype), _rand(ws, seed + 1, dtype), b]


CASES_2D = [
    # x shape, w shape (C, O/groups, kH, kW), bias, kwargs
    ((2, 4, 5, 5), (4, 3, 3, 3), True, {}),
    ((3, 4, 5, 6), (4, 3, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((2, 3, 4, 4), (3, 5, 4, 4), True, dict(stride=2, padding=1)),  # DCGAN's upsampling block
    ((1, 3, 5, 7), (3, 2, 2, 3), False, dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2))),
    ((1, 4, 5, 5), (4, 2, 3, 3), True, dict(groups=2, dilation=2, padding=2)),
    ((3, 6, 3, 5), (6, 1, 3, 2), True, dict(groups=3, stride=(1, 2), output_padding=(0, 1))),  # depthwise
    ((2, 4, 5, 5), (4, 3, 3, 3), True, dict(dilation=3, padding=1, output_padding=2)),  # op >= stride
    (
        (1, 2, 3, 4),
        (2, 3, 3, 3),
        True,
        dict(stride=2, dilation=(2, 3), output_padding=(1, 2), padding=(1, 2)),
    ),
    ((3, 2, 7, 5), (2, 4, 5, 1), False, dict(stride=3, padding=(2, 0), output_padding=(2, 1))),
    ((2, 3, 1, 1), (3, 4, 4, 4), True, {}),  # a 1x1 noise image to a 4x4 one
]


@pytest.mark.parametrize("xs,ws,bias,kw", CASES_2D)
def test_conv_transpose2d_matches_torch(xs, ws, bias, kw):
    arrays = _arrays(xs, ws, bias, kw.get("groups", 1))
    y = _both(
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
        arrays,
    )
    if y.grad_fn is not None:
        assert y.grad_fn.name() == "ConvolutionBackward0"


CASES_1D = [
    ((2, 4, 9), (4, 3, 3), True, {}),
    ((3, 4, 7), (4, 3, 3), True, dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 6), (4, 2, 4), False, dict(groups=2, dilation=2, padding=(3,))),
    ((2, 3, 5), (3, 2, 3), True, dict(stride=3, dilation=2, output_padding=2, padding=1)),
    ((2, 4, 5), (4, 3, 3), True, dict(dilation=3, output_padding=2)),  # op >= stride, < dilation
]


@pytest.mark.parametrize("xs,ws,bias,kw", CASES_1D)
def test_conv_transpose1d_matches_torch(xs, ws, bias, kw):
    _both(
        lambda x, w, b: F.conv_transpose1d(x, w, b, **kw),
        lambda x, w, b: TF.conv_transpose1d(x, w, b, **kw),
        _arrays(xs, ws, bias, kw.get("groups", 1)),
    )


def test_conv_transpose_float64_and_unbatched():
    kw = dict(stride=2, padding=1, output_padding=1)
    y = _both(
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
        _arrays((4, 5, 3), (4, 2, 3, 3), True, dtype=np.float64),
        tol=1e-10,
    )
    assert y.dtype == pn.float64 and y.shape == (2, 10, 6)
    y = _both(
        lambda x, w, b: F.conv_transpose1d(x, w, b, **kw),
        lambda x, w, b: TF.conv_transpose1d(x, w, b, **kw),
        _arrays((4, 7), (4, 2, 3), True),
    )
    assert y.shape == (2, 14)


@pytest.mark.parametrize(
    "case",
    [CASES_2D[1], CASES_2D[3], CASES_2D[4], CASES_2D[5], CASES_2D[6], CASES_2D[7]],
)
def test_conv_transpose2d_on_every_cpu_backend(backend_name, case):
    xs, ws, bias, kw = case
    _both(
        lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
        _arrays(xs, ws, bias, kw.get("groups", 1), seed=5),
    )
    xs, ws, bias, kw = CASES_1D[3]
    _both(
        lambda x, w, b: F.conv_transpose1d(x, w, b, **kw),
        lambda x, w, b: TF.conv_transpose1d(x, w, b, **kw),
        _arrays(xs, ws, bias, seed=6),
    )


def test_only_some_inputs_need_grad():
    x, w, b = _arrays((2, 4, 5, 5), (4, 3, 3, 3), True)
    px, pw = pn.tensor(x), pn.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x), torch.tensor(w, requires_grad=True)
    F.conv_transpose2d(px, pw, pn.tensor(b), stride=2).sum().backward()
    TF.conv_transpose2d(tx, tw, torch.tensor(b), stride=2).sum().backward()
    _close(pw.grad, tw.grad)
    assert px.grad is None
    with pn.no_grad():
        assert F.conv_transpose2d(px, pw).grad_fn is None


# ----------------------------------------------------------------------------- modules
MODULES = [
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (16, 3, 4), dict(stride=2, padding=1)),
    (
        nn.ConvTranspose2d,
        torch.nn.ConvTranspose2d,
        (4, 6, (3, 2)),
        dict(stride=(2, 1), output_padding=(1, 0)),
    ),
    (
        nn.ConvTranspose2d,
        torch.nn.ConvTranspose2d,
        (4, 6, 3, 2, 1, 1, 2, False, 2),  # every argument positionally, in torch's order
        {},
    ),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (100, 64, 4, 1, 0), dict(bias=False)),
    (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (4, 6, 3), dict(stride=2, padding=1, output_padding=1)),
    (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (4, 6, 5), dict(groups=2, dilation=3, bias=False)),
]


@pytest.mark.parametrize("cls,tcls,args,kw", MODULES)
def test_module_repr_parameters_and_init(cls, tcls, args, kw):
    m, tm = cls(*args, **kw), tcls(*args, **kw)
    assert repr(m) == repr(tm)
    assert m.weight.shape == tuple(tm.weight.shape)
    assert (m.bias is None) == (tm.bias is None)
    if m.bias is not None:
        assert m.bias.shape == tuple(tm.bias.shape)
    assert sum(p.numel() for p in m.parameters()) == sum(p.numel() for p in tm.parameters())
    assert list(m.state_dict()) == list(tm.state_dict())
    for name in ("stride", "padding", "dilation", "output_padding", "kernel_size", "groups"):
        assert getattr(m, name) == getattr(tm, name)
    fan_in = torch.nn.init._calculate_fan_in_and_fan_out(tm.weight)[0]
    assert fan_in == m.weight.shape[1] * math.prod(m.kernel_size)
    bound = 1 / math.sqrt(fan_in)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    if m.bias is not None:
        assert np.abs(m.bias.detach().numpy()).max() <= bound


def test_reprs():
    assert repr(nn.ConvTranspose2d(16, 3, 4, 2, 1)) == (
        "ConvTranspose2d(16, 3, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))"
    )
    assert repr(nn.ConvTranspose2d(8, 4, 3, stride=2, output_padding=1)) == (
        "ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"
    )
    assert repr(nn.ConvTranspose1d(8, 4, 3, dilation=2, bias=False)) == (
        "ConvTranspose1d(8, 4, kernel_size=(3,), stride=(1,), dilation=(2,), bias=False)"
    )


def test_init_distribution():
    pn.manual_seed(1)
    m = nn.ConvTranspose2d(128, 64, 4)
    w = m.weight.detach().numpy()
    bound = 1 / math.sqrt(64 * 16)  # fan_in = weight.shape[1] * kH * kW = out_channels * 16
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("cls,tcls,args,kw", MODULES)
def test_module_with_torch_state_dict(cls, tcls, args, kw):
    tm = tcls(*args, **kw)
    m = cls(*args, **kw)
    m.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    c = args[0]
    shape = (2, c, 5, 4) if cls is nn.ConvTranspose2d else (2, c, 7)
    x = _rand(shape, 11)
    px, tx = pn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(px), tm(tx)
    _close(y, ty)
    g = _rand(tuple(ty.shape), 12)
    (y * pn.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    _close(px.grad, tx.grad)
    _close(m.weight.grad, tm.weight.grad)
    if m.bias is not None:
        _close(m.bias.grad, tm.bias.grad)
    _close(m(pn.tensor(x[0])), tm(torch.tensor(x[0])))  # unbatched


def test_output_size():
    tm = torch.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)
    m = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)
    m.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = _rand((2, 4, 5, 5), 3)
    for size in [(9, 9), (10, 10), [10, 9], (2, 3, 9, 10), torch.Size([10, 10])]:
        y = m(pn.tensor(x), output_size=list(size))
        _close(y, tm(torch.tensor(x), output_size=size))
    _close(m(pn.tensor(x[0]), output_size=(3, 10, 10)), tm(torch.tensor(x[0]), output_size=(3, 10, 10)))
    for size, match in [
        (
            (11, 10),
            r"requested an output size of \(11, 10\), but valid sizes range from \[9, 9\] to \[10, 10\]",
        ),
        ((8, 9), "valid sizes range from"),
        ((9,), "ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements"),
    ]:
        with pytest.raises(ValueError, match=match):
            tm(torch.tensor(x), output_size=size)
        with pytest.raises(ValueError, match=match):
            m(pn.tensor(x), output_size=size)
    tm1 = torch.nn.ConvTranspose1d(4, 3, 3, stride=3)
    m1 = nn.ConvTranspose1d(4, 3, 3, stride=3)
    m1.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in tm1.state_dict().items()})
    x = _rand((2, 4, 5), 4)
    for size in [(15,), (17,), [2, 3, 16]]:
        _close(m1(pn.tensor(x), output_size=size), tm1(torch.tensor(x), output_size=size))
    with pytest.raises(ValueError, match=r"valid sizes range from \[15\] to \[17\]"):
        m1(pn.tensor(x), output_size=(18,))


# ----------------------------------------------------------------------------- errors
def _raises_like_torch(fn_pn, fn_torch, match, exc=RuntimeError):
    """Both raise `exc` with a message matching `match`."""
    with pytest.raises(exc, match=match):
        fn_torch()
    with pytest.raises(exc, match=match):
        fn_pn()


ERRORS_2D = [
    # x shape, w shape, bias shape, kwargs, message
    (
        (2, 4, 5, 5),
        (4, 3, 3, 3),
        None,
        dict(output_padding=1),
        r"output padding must be smaller than either stride or dilation, but got output_padding_height: 1 "
        r"output_padding_width: 1 stride_height: 1 stride_width: 1 dilation_height: 1 dilation_width: 1",
    ),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, dict(stride=2, output_padding=(1, 2)), "output_padding_width: 2"),
    (
        (2, 4, 5, 5),
        (5, 3, 3, 3),
        None,
        {},
        r"Given transposed=1, weight of size \[5, 3, 3, 3\], expected input\[2, 4, 5, 5\] to have 5 "
        r"channels, but got 4 channels instead",
    ),
    ((4, 5, 5), (5, 3, 3, 3), None, {}, r"expected input\[1, 4, 5, 5\] to have 5 channels"),
    (
        (2, 4, 5, 5),
        (4, 3, 3, 3),
        (4,),
        {},
        r"expected bias to be 1-dimensional with 3 elements, but got bias of size \[4\] instead",
    ),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, dict(groups=3), "expected weight to be divisible by 3 at dimension 0"),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, dict(padding=-1), "negative padding is not supported"),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, dict(output_padding=-1), "negative output_padding is not supported"),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, dict(stride=0), "non-positive stride is not supported"),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, dict(groups=0), "non-positive groups is not supported"),
    (
        (5, 5),
        (4, 3, 3, 3),
        None,
        {},
        r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv_transpose2d",
    ),
]


@pytest.mark.parametrize("xs,ws,bs,kw,match", ERRORS_2D)
def test_conv_transpose2d_errors_as_torch(xs, ws, bs, kw, match):
    x, w = _rand(xs, 1), _rand(ws, 2)
    b = _rand(bs, 3) if bs else None
    _raises_like_torch(
        lambda: F.conv_transpose2d(pn.tensor(x), pn.tensor(w), None if b is None else pn.tensor(b), **kw),
        lambda: TF.conv_transpose2d(
            torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b), **kw
        ),
        match,
    )


@pytest.mark.filterwarnings("ignore:TF32 acceleration")  # torch's, on switching oneDNN off
def test_negative_output_size_and_other_errors():
    x, w = pn.tensor(_rand((2, 4, 5, 5), 1)), pn.tensor(_rand((4, 3, 3, 3), 2))
    tx, tw = torch.tensor(x.numpy()), torch.tensor(w.numpy())
    match = r"Given input size per channel: \(5 x 5\). Calculated output size per channel: \(-1 x -1\)"
    with torch.backends.mkldnn.flags(enabled=False):  # oneDNN words it differently
        _raises_like_torch(
            lambda: F.conv_transpose2d(x, w, padding=4), lambda: TF.conv_transpose2d(tx, tw, padding=4), match
        )
        _raises_like_torch(
            lambda: F.conv_transpose1d(x[..., 0], w[..., 0], padding=4),
            lambda: TF.conv_transpose1d(tx[..., 0], tw[..., 0], padding=4),
            r"Calculated output size per channel: \(1 x -1\). Output size is too small",
        )
    for fn, tfn, a, b in [
        (F.conv_transpose2d, TF.conv_transpose2d, (x, w), (tx, tw)),
        (F.conv_transpose1d, TF.conv_transpose1d, (x[..., 0], w[..., 0]), (tx[..., 0], tw[..., 0])),
    ]:
        for pad in ("same", "valid"):  # torch's parser takes no padding string here
            _raises_like_torch(
                lambda: fn(*a, padding=pad), lambda: tfn(*b, padding=pad), "must be tuple of ints", TypeError
            )
    _raises_like_torch(
        lambda: F.conv_transpose1d(x[..., 0], w[..., 0], output_padding=1),
        lambda: TF.conv_transpose1d(tx[..., 0], tw[..., 0], output_padding=1),
        "output_padding_height: 0 output_padding_width: 1 stride_height: 1 stride_width: 1",
    )
    _raises_like_torch(
        lambda: F.conv_transpose1d(x[:, :3, 0], w[..., 0]),
        lambda: TF.conv_transpose1d(tx[:, :3, 0], tw[..., 0]),
        r"weight of size \[4, 3, 3\], expected input\[2, 3, 5\] to have 4 channels, but got 3 channels",
    )
    _raises_like_torch(
        lambda: F.conv_transpose2d(x.double(), w),
        lambda: TF.conv_transpose2d(tx.double(), tw),
        "expected scalar type Double but found Float",
    )
    # the errors are ValueErrors too (pyneuro's promise)
    with pytest.raises(ValueError):
        F.conv_transpose2d(x, w, output_padding=1)
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose1d'):
        nn.ConvTranspose1d(4, 3, 3, padding_mode="circular")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.ConvTranspose2d(4, 3, 3, groups=3)
    with pytest.raises(ValueError, match="padding"):
        nn.ConvTranspose2d(4, 3, 3, padding="same")
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        nn.ConvTranspose2d(4, 3, 3, output_padding=1)(x)


# ----------------------------------------------------------------------------- models
def _generator(lib, nz=8, ngf=4):
    """DCGAN's generator, scaled down: (N, nz, 1, 1) noise -> (N, 3, 16, 16) in [-1, 1]."""
    m = lib.nn
    return m.Sequential(
        m.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
        m.BatchNorm2d(ngf * 4),
        m.ReLU(True),
        m.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
        m.BatchNorm2d(ngf * 2),
        m.ReLU(True),
        m.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
        m.BatchNorm2d(ngf),
        m.ReLU(True),
        m.ConvTranspose2d(ngf, 3, 3, 1, 1, bias=False),
        m.Tanh(),
    )


def test_dcgan_generator_forward_backward_matches_torch():
    torch.manual_seed(0)
    tg, g = _generator(torch), _generator(pn)
    assert repr(g) == repr(tg)
    g.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in tg.state_dict().items()})
    noise = _rand((3, 8, 1, 1), 21)
    fake, tfake = g(pn.tensor(noise)), tg(torch.tensor(noise))
    assert fake.shape == (3, 3, 16, 16)
    _close(fake, tfake)
    target = _rand((3, 3, 16, 16), 22)
    loss = ((fake - pn.tensor(target)) ** 2).mean()
    tloss = ((tfake - torch.tensor(target)) ** 2).mean()
    loss.backward(), tloss.backward()
    for (name, p), (tname, tp) in zip(g.named_parameters(), tg.named_parameters()):
        assert name == tname
        _close(p.grad, tp.grad, 2e-4)
    for name, buf in tg.named_buffers():  # BatchNorm's running statistics moved the same way
        _close(dict(g.named_buffers())[name], buf)


def test_autoencoder_round_trip_shape():
    pn.manual_seed(0)
    enc = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU())
    dec = nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=1)
    x = pn.randn(2, 3, 16, 12)
    code = enc(x)
    assert code.shape == (2, 8, 8, 6)
    out = dec(code)
    assert out.shape == x.shape
    ((out - x) ** 2).mean().backward()
    assert dec.weight.grad.shape == dec.weight.shape
    assert enc[0].weight.grad is not None
    x = pn.randn(2, 3, 15, 11)  # odd sizes: output_size picks the output padding back to them
    assert dec(enc(x), output_size=x.shape).shape == x.shape
