"""1-D convolution and pooling against PyTorch: F.conv1d, F.max_pool1d, F.avg_pool1d,
F.adaptive_avg_pool1d and nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveAvgPool1d.

Forward values and input/weight/bias gradients on awkward shapes (stride, dilation, groups,
"same" with an even kernel, odd lengths, unbatched input), pooling with ceil_mode and
padding, reprs, initialisation, parameter counts and the errors (RuntimeError as torch).
The last test runs the sequence-model notebook's (u13n2) Conv1d over embeddings.
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

CONV_CASES = [
    # x shape, w shape, bias, kwargs
    ((2, 3, 9), (4, 3, 3), True, {}),
    ((2, 3, 11), (5, 3, 3), False, dict(stride=2, padding=1)),  # odd length, stride 2, no bias
    ((1, 4, 13), (6, 2, 3), True, dict(groups=2, padding=(2,), dilation=2)),
    ((2, 3, 10), (3, 1, 5), True, dict(groups=3, stride=(3,))),  # depthwise
    ((2, 2, 9), (3, 2, 4), True, dict(padding="same")),  # even kernel: one more on the right
    ((1, 2, 7), (3, 2, 2), True, dict(padding="same", dilation=3)),
    ((2, 2, 8), (3, 2, 3), True, dict(padding="valid", dilation=(2,))),
    ((1, 2, 5), (3, 2, 5), True, {}),  # kernel as long as the input
    ((0, 2, 5), (3, 2, 3), True, {}),  # empty batch
    ((3, 9), (4, 3, 3), True, dict(padding=1)),  # unbatched (C, L)
    ((2, 9), (4, 2, 4), False, dict(padding="same", dilation=2)),  # unbatched, even kernel
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's note on its copy
@pytest.mark.parametrize("xs,ws,bias,kw", CONV_CASES)
def test_conv1d_matches_torch(xs, ws, bias, kw):
    arrays = [_rand(xs, 1), _rand(ws, 2), _rand((ws[0],), 3) if bias else None]
    y = _both(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw), arrays)
    assert y.ndim == len(xs)


def test_conv1d_float64_and_transposed_input():
    """A non-contiguous input (the notebook's embeddings.transpose(1, 2)) and float64."""
    e, w, b = _rand((2, 7, 5), 4, np.float64), _rand((5, 5, 3), 5, np.float64), _rand((5,), 6, np.float64)
    y = _both(
        lambda e, w, b: F.conv1d(e.transpose(1, 2), w, b, padding=1).transpose(1, 2),
        lambda e, w, b: TF.conv1d(e.transpose(1, 2), w, b, padding=1).transpose(1, 2),
        [e, w, b],
        tol=1e-10,
    )
    assert y.dtype == pn.float64 and y.shape == (2, 7, 5)


def test_conv1d_on_every_cpu_backend(backend_name):
    arrays = [_rand((2, 4, 10), 7), _rand((6, 2, 4), 8), _rand((6,), 9)]
    kw = dict(groups=2, padding="same", dilation=2)
    _both(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw), arrays)
    kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    _both(lambda x: F.max_pool1d(x, **kw), lambda x: TF.max_pool1d(x, **kw), arrays[:1])
    _both(lambda x: F.avg_pool1d(x, **kw), lambda x: TF.avg_pool1d(x, **kw), arrays[:1])


def _raises_like_torch(fn_pn, fn_torch, match, exc=RuntimeError):
    """Both raise `exc` (RuntimeError for torch's checks) with a message matching `match`."""
    with pytest.raises(exc, match=match):
        fn_torch()
    with pytest.raises(exc, match=match):
        fn_pn()


CONV_ERRORS = [
    # x shape, w shape, bias shape, kwargs, message
    ((1, 4, 45), (5, 5, 7), None, {}, r"expected input\[1, 4, 45\] to have 5 channels, but got 4"),
    ((4, 45), (5, 5, 7), None, {}, r"expected input\[1, 4, 45\] to have 5 channels"),
    ((4, 45, 1, 1), (5, 4, 7), None, {}, r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"),
    ((45,), (5, 4, 7), None, {}, r"input to conv1d, but got input of size: \[45\]"),
    ((1, 5, 3), (5, 5, 7), None, {}, r"padded input size per channel: \(3\). Kernel size: \(7\)"),
    ((1, 5, 3), (5, 5, 3), None, dict(dilation=2), r"Kernel size: \(5\). Kernel size can't be greater"),
    ((5, 0), (5, 5, 3), None, dict(padding="same"), r"padded input size per channel: \(2\)"),
    ((1, 5, 9), (5, 5), None, {}, "weight should have at least three dimensions"),
    ((1, 5, 9), (5, 5, 3, 3), None, {}, "Expected 4-dimensional input for 4-dimensional weight"),
    ((1, 6, 9), (5, 3, 3), None, dict(groups=2), "expected weight to be divisible by 2 at dimension 0"),
    (
        (1, 5, 9),
        (5, 5, 3),
        (4,),
        {},
        r"expected bias to be 1-dimensional with 5 elements, but got bias of size \[4\]",
    ),
    (
        (1, 5, 9),
        (5, 5, 3),
        None,
        dict(stride=2, padding="same"),
        "padding='same' is not supported for strided",
    ),
    ((1, 5, 9), (5, 5, 3), None, dict(padding="full"), "Invalid padding string: 'full'"),
    ((1, 5, 9), (5, 5, 3), None, dict(padding=(1, 2)), r"single integer value .* but got padding=\[1, 2\]"),
    ((1, 5, 9), (5, 5, 3), None, dict(stride=(1, 2)), r"but got stride=\[1, 2\]"),
    ((1, 5, 9), (5, 5, 3), None, dict(stride=0), "non-positive stride is not supported"),
    ((1, 5, 9), (5, 5, 3), None, dict(padding=-1), "negative padding is not supported"),
    ((1, 5, 9), (5, 5, 3), None, dict(groups=0), "non-positive groups is not supported"),
]


@pytest.mark.parametrize("xs,ws,bs,kw,match", CONV_ERRORS)
def test_conv1d_errors_as_torch(xs, ws, bs, kw, match):
    x, w, b = _rand(xs, 0), _rand(ws, 1), None if bs is None else _rand(bs, 2)
    tb, pb = (None, None) if b is None else (torch.tensor(b), pn.tensor(b))
    _raises_like_torch(
        lambda: F.conv1d(pn.tensor(x), pn.tensor(w), pb, **kw),
        lambda: TF.conv1d(torch.tensor(x), torch.tensor(w), tb, **kw),
        match,
    )


def test_conv1d_other_errors():
    x, w = pn.tensor(_rand((1, 5, 9), 0)), pn.tensor(_rand((5, 5, 3), 1))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv1d(x.double(), w)
    with pytest.raises(TypeError):  # torch: TypeError for a float padding
        F.conv1d(x, w, padding=1.5)
    with pytest.raises(TypeError, match="must be (a pyneuro )?Tensor"):
        F.conv1d(_rand((1, 5, 9), 0), w)
    with pytest.raises(RuntimeError, match="kernel size should be greater than zero"):
        F.conv1d(x, pn.tensor(_rand((5, 5, 0), 1)))
    with pytest.raises(ValueError):  # ShapeError is a ValueError too
        F.conv1d(pn.tensor(_rand((1, 4, 9), 0)), w)


MAXPOOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2,), stride=(1,), dilation=(3,)),
    dict(kernel_size=3, stride=2, ceil_mode=True),  # the last window hangs over the end
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
    dict(kernel_size=2, stride=1, padding=1, dilation=2, ceil_mode=True),
    dict(kernel_size=3, stride=[]),  # an empty stride means the kernel size, as torch
]


@pytest.mark.parametrize("kw", MAXPOOL_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 11), (3, 10)])
def test_max_pool1d_matches_torch(kw, shape):
    x = _rand(shape, 4)
    _both(lambda t: F.max_pool1d(t, **kw), lambda t: TF.max_pool1d(t, **kw), [x])
    y, idx = F.max_pool1d(pn.tensor(x), return_indices=True, **kw)
    ty, tidx = TF.max_pool1d(torch.tensor(x), return_indices=True, **kw)
    assert idx.dtype == pn.int64
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    _close(y, ty)


def test_max_pool1d_ties_and_overlap_gradients():
    x = np.zeros((1, 2, 7), np.float32)  # every window is a tie: the first maximum wins
    kw = dict(kernel_size=3, stride=1)
    _both(lambda t: F.max_pool1d(t, **kw), lambda t: TF.max_pool1d(t, **kw), [x])


AVGPOOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(4,), stride=(3,), padding=(2,), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=()),
]


@pytest.mark.parametrize("kw", AVGPOOL_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 11), (3, 10)])
def test_avg_pool1d_matches_torch(kw, shape):
    _both(lambda t: F.avg_pool1d(t, **kw), lambda t: TF.avg_pool1d(t, **kw), [_rand(shape, 5)])


@pytest.mark.parametrize("size", [1, 3, (4,), [5], 11, 15, 0])
@pytest.mark.parametrize("shape", [(2, 3, 11), (3, 11)])
def test_adaptive_avg_pool1d_matches_torch(size, shape):
    x = _rand(shape, 6)
    if size == 0:  # an empty output: compare the values only
        _close(F.adaptive_avg_pool1d(pn.tensor(x), size), TF.adaptive_avg_pool1d(torch.tensor(x), size))
        return
    _both(lambda t: F.adaptive_avg_pool1d(t, size), lambda t: TF.adaptive_avg_pool1d(t, size), [x])


POOL_ERRORS = [
    # function name, input shape, args, kwargs, message
    ("max_pool1d", (1, 5, 9, 2), (3,), {}, r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor"),
    ("max_pool1d", (9,), (3,), {}, r"but got:\[9\]"),
    ("max_pool1d", (1, 0, 4), (2,), {}, r"but got:\[1, 0, 4\]"),
    ("max_pool1d", (1, 5, 2), (3,), {}, r"max_pool1d\(\) Invalid computed output size: 0"),
    ("max_pool1d", (1, 5, 9), (3,), dict(padding=2), "padding should be at most half of kernel size"),
    ("max_pool1d", (1, 5, 9), (2,), dict(padding=2, dilation=3), "padding=2 and kernel_size=2"),
    ("max_pool1d", (1, 5, 9), ((3, 3),), {}, "kernel_size must be an int, list of ints or tuple of ints"),
    ("max_pool1d", (1, 5, 9), (3,), dict(stride=(1, 1)), "of size 1 but got size 2"),
    ("max_pool1d", (1, 5, 9), (3,), dict(stride=0), "stride must be greater than zero, but got 0"),
    ("max_pool1d", (1, 5, 9), (0,), {}, "kernel_size must be greater than zero, but got 0"),
    ("max_pool1d", (1, 5, 9), (3,), dict(padding=-1), "padding must be non-negative, but got -1"),
    ("max_pool1d", (1, 5, 9), (3,), dict(dilation=0), "dilation must be greater than zero, but got 0"),
    ("avg_pool1d", (1, 5, 2), (3,), {}, r"Given input size: \(5x1x2\). Calculated output size: \(5x1x0\)"),
    ("avg_pool1d", (9,), (3,), {}, r"Expected 2 to 3 dimensions, but got 1-dimensional tensor"),
    ("avg_pool1d", (1, 5, 9, 2), (3,), {}, r"while checking arguments for avg_pool1d"),
    ("avg_pool1d", (1, 5, 9), (3,), dict(padding=2), "pad should be at most half of effective kernel size"),
    ("avg_pool1d", (1, 5, 9), ((3, 3),), {}, r"argument 'kernel_size' should contain one int \(got 2\)"),
    ("avg_pool1d", (1, 5, 9), (3,), dict(padding=(1, 1)), r"argument 'padding' should contain one int"),
    ("avg_pool1d", (1, 5, 9), (3,), dict(stride=0), "stride should not be zero"),
    ("adaptive_avg_pool1d", (9,), (3,), {}, r"while checking arguments for adaptive_avg_pool1d"),
    ("adaptive_avg_pool1d", (1, 2, 9), ((3, 3),), {}, r"argument 'output_size' should contain one int"),
    (
        "adaptive_avg_pool1d",
        (1, 2, 9),
        (-1,),
        {},
        "elements of output_size must be greater than or equal to 0",
    ),
    ("adaptive_avg_pool1d", (1, 2, 0), (2,), {}, "Expected input to have non-zero size"),
]


@pytest.mark.parametrize("name,shape,args,kw,match", POOL_ERRORS)
def test_pool1d_errors_as_torch(name, shape, args, kw, match):
    x = _rand(shape, 0)
    _raises_like_torch(
        lambda: getattr(F, name)(pn.tensor(x), *args, **kw),
        lambda: getattr(TF, name)(torch.tensor(x), *args, **kw),
        match,
    )


def test_pool1d_type_errors_as_torch():
    x = pn.tensor(_rand((1, 5, 9), 0))
    for fn in (
        lambda: F.max_pool1d(x, 3, padding=1.0),
        lambda: F.avg_pool1d(x, 3.0),
        lambda: F.adaptive_avg_pool1d(x, None),
    ):
        with pytest.raises(TypeError):
            fn()
    with pytest.raises(TypeError, match="must be (a pyneuro )?Tensor"):
        F.avg_pool1d(_rand((1, 5, 9), 0), 3)


CONV1D_MODULES = [
    ((5, 5), dict(kernel_size=7, padding=3)),
    ((1, 32, 3), {}),
    ((2, 4, (3,)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
    ((4, 6, 4), dict(padding="same", dilation=2, groups=2, bias=False)),
    ((2, 4, 2), dict(padding="valid", stride=(2,))),
]


@pytest.mark.parametrize("args,kw", CONV1D_MODULES)
def test_conv1d_module_repr_init_and_parameter_count(args, kw):
    m, tm = nn.Conv1d(*args, **kw), torch.nn.Conv1d(*args, **kw)
    assert repr(m) == repr(tm)
    assert m.weight.shape == tuple(tm.weight.shape)
    assert (m.bias is None) == (tm.bias is None)
    count = sum(p.numel() for p in m.parameters() if p.requires_grad)
    assert count == sum(p.numel() for p in tm.parameters() if p.requires_grad)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    bound = 1 / math.sqrt(m.weight.shape[1] * m.weight.shape[2])
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    if m.bias is not None:
        assert np.abs(m.bias.detach().numpy()).max() <= bound


def test_conv1d_init_distribution():
    pn.manual_seed(1)
    w = nn.Conv1d(64, 128, 5).weight.detach().numpy()
    bound = 1 / math.sqrt(64 * 5)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound  # U(-b, b) has std b / sqrt(3)
    assert abs(w.mean()) < 0.01 * bound


def test_conv1d_module_forward_state_dict_and_errors():
    m, tm = nn.Conv1d(4, 6, 3, stride=2, groups=2), torch.nn.Conv1d(4, 6, 3, stride=2, groups=2)
    m.load_state_dict({k: pn.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    for shape in ((3, 4, 12), (4, 11)):  # batched and unbatched
        x = _rand(shape, 8)
        _both(lambda t: m(t), lambda t: tm(t), [x])
    _close(m.weight.grad, tm.weight.grad)
    _close(m.bias.grad, tm.bias.grad)
    nn.Conv1d(1, 2, 3, padding_mode="reflect")  # the padding modes: tests/test_torch_nn_extra.py
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(1, 2, 3, padding_mode="mirror")
    for kw, match in (
        (dict(groups=2), "in_channels must be divisible by groups"),
        (dict(groups=0), "groups must be a positive integer"),
        (dict(stride=2, padding="same"), "padding='same' is not supported for strided convolutions"),
        (dict(padding="full"), "Invalid padding string 'full'"),
    ):
        with pytest.raises(ValueError, match=match):
            nn.Conv1d(3, 4, 3, **kw)
        with pytest.raises(ValueError, match=match):
            torch.nn.Conv1d(3, 4, 3, **kw)
    with pytest.raises(ValueError):  # torch accepts these and fails later, or builds a 2-D kernel
        nn.Conv1d(3, 4, (3, 3))
    with pytest.raises(RuntimeError, match="expected input\\[2, 3, 9\\] to have 4 channels"):
        nn.Conv1d(4, 4, 3)(pn.tensor(_rand((2, 3, 9), 0)))


def test_pool1d_module_reprs_and_forward():
    pairs = [
        (nn.MaxPool1d(2), torch.nn.MaxPool1d(2)),
        (nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True), torch.nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True)),
        (nn.MaxPool1d((3,)), torch.nn.MaxPool1d((3,))),
        (nn.AvgPool1d(3), torch.nn.AvgPool1d(3)),
        (nn.AvgPool1d(3, 2, 1, True, False), torch.nn.AvgPool1d(3, 2, 1, True, False)),
        (nn.AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3)),
        (nn.AdaptiveAvgPool1d((4,)), torch.nn.AdaptiveAvgPool1d((4,))),
    ]
    x = _rand((2, 3, 11), 9)
    for m, tm in pairs:
        assert repr(m) == repr(tm)
        assert list(m.parameters()) == []
        _both(lambda t: m(t), lambda t: tm(t), [x])
    y, idx = nn.MaxPool1d(3, 2, return_indices=True)(pn.tensor(x))
    ty, tidx = torch.nn.MaxPool1d(3, 2, return_indices=True)(torch.tensor(x))
    _close(y, ty)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert isinstance(nn.MaxPool1d(2), nn.Module) and not isinstance(nn.MaxPool1d(2), nn.MaxPool2d)


def test_sequence_notebook_conv1d_over_embeddings():
    """u13n2: a Conv1d mixing each position with its 3 neighbours on either side."""
    emb_dim = 5

    def num_parameters(model):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)

    conv = nn.Conv1d(emb_dim, emb_dim, kernel_size=7, padding=3)
    tconv = torch.nn.Conv1d(emb_dim, emb_dim, kernel_size=7, padding=3)
    assert num_parameters(conv) == num_parameters(tconv) == 5 * 5 * 7 + 5
    assert repr(conv) == "Conv1d(5, 5, kernel_size=(7,), stride=(1,), padding=(3,))" == repr(tconv)
    with pn.no_grad():  # torch's weights into pyneuro
        conv.weight.copy_(pn.tensor(tconv.weight.detach().numpy()))
        conv.bias.copy_(pn.tensor(tconv.bias.detach().numpy()))
    e = _rand((1, 45, emb_dim), 10)
    embeddings, tembeddings = pn.tensor(e, requires_grad=True), torch.tensor(e, requires_grad=True)
    output = conv(embeddings.transpose(1, 2)).transpose(1, 2)
    toutput = tconv(tembeddings.transpose(1, 2)).transpose(1, 2)
    assert output.shape == (1, 45, emb_dim)
    _close(output, toutput)
    output.sum().backward()
    toutput.sum().backward()
    _close(embeddings.grad, tembeddings.grad)
    _close(conv.weight.grad, tconv.weight.grad)
    _close(conv.bias.grad, tconv.bias.grad)
