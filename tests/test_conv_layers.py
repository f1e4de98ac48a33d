"""Convolution layers, pooling, Dropout2d, BatchNorm2d and Adadelta against PyTorch.

Forward values and input/weight/bias gradients of F.conv2d, F.max_pool2d, F.avg_pool2d and
F.adaptive_avg_pool2d on several configurations; the nn modules' reprs and initialisation;
BatchNorm2d's running statistics over steps; Adadelta's trajectory; the classic MNIST ConvNet's
forward and backward with the same weights as torch's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pyneuro as pn
from pyneuro import functional as F
from pyneuro import nn, optim

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from conftest import both_like_torch as _both  # noqa: E402
from conftest import close_to_torch as _close  # noqa: E402
from conftest import rand as _rand  # noqa: E402

CONV_CASES = [
    # x shape, w shape, bias, kwargs
    ((2, 3, 9, 9), (4, 3, 3, 3), True, {}),
    ((2, 3, 8, 7), (5, 3, 3, 2), False, dict(stride=2, padding=1)),
    ((1, 4, 10, 10), (6, 2, 3, 3), True, dict(groups=2, padding=(1, 2), dilation=(2, 1))),
    ((2, 3, 8, 8), (3, 1, 3, 3), True, dict(groups=3, stride=(1, 2))),  # depthwise
    ((2, 2, 8, 8), (3, 2, 4, 4), True, dict(padding="same")),  # even kernel: asymmetric padding
    ((1, 2, 7, 9), (3, 2, 2, 3), True, dict(padding="same", dilation=(1, 2))),
    ((1, 2, 7, 9), (3, 2, 3, 3), True, dict(padding="same", dilation=2)),
    ((2, 2, 6, 6), (3, 2, 3, 3), True, dict(padding="valid")),
    ((2, 3, 5, 5), (4, 3, 1, 1), True, dict(stride=3)),  # 1x1 kernel, stride > kernel
    ((1, 2, 4, 5), (3, 2, 4, 5), True, {}),  # kernel as large as the input
]


@pytest.mark.parametrize("xs,ws,bias,kw", CONV_CASES)
def test_conv2d_matches_torch(xs, ws, bias, kw):
    arrays = [_rand(xs, 1), _rand(ws, 2), _rand((ws[0],), 3) if bias else None]
    _both(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw), arrays)


def test_conv2d_float64_and_unbatched():
    arrays = [_rand((2, 5, 6), 1, np.float64), _rand((4, 2, 3, 3), 2, np.float64), _rand((4,), 3, np.float64)]
    y = _both(
        lambda x, w, b: F.conv2d(x, w, b, padding=1),
        lambda x, w, b: TF.conv2d(x, w, b, padding=1),
        arrays,
        tol=1e-10,
    )
    assert y.dtype == pn.float64 and y.shape == (4, 5, 6)


def test_conv2d_errors_as_torch():
    x, w = pn.tensor(_rand((2, 3, 8, 8), 0)), pn.tensor(_rand((4, 2, 3, 3), 1))
    with pytest.raises(RuntimeError, match="expected input\\[2, 3, 8, 8\\] to have 2 channels, but got 3"):
        F.conv2d(x, w)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(x, pn.tensor(_rand((4, 3, 3, 3), 1)), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="Invalid padding string: 'full'"):
        F.conv2d(x, pn.tensor(_rand((4, 3, 3, 3), 1)), padding="full")
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(x.double(), pn.tensor(_rand((4, 3, 3, 3), 1)))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(pn.tensor(_rand((1, 3, 2, 2), 0)), pn.tensor(_rand((4, 3, 3, 3), 1)))


MAXPOOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=1, padding=1, ceil_mode=True),
]


@pytest.mark.parametrize("kw", MAXPOOL_CASES)
def test_max_pool2d_matches_torch(kw):
    x = _rand((2, 3, 9, 8), 4)
    _both(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw), [x])
    y, idx = F.max_pool2d(pn.tensor(x), return_indices=True, **kw)
    ty, tidx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    assert idx.dtype == pn.int64
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    _close(y, ty)


@pytest.mark.parametrize("width", [1, 4, 2_000_003])
def test_max_pool_windows_wholly_in_the_padding_are_torchs(backend_name, width):
    """padding 1 with dilation 2 puts some windows entirely in the padding: torch gives -inf and
    the index its kernel starts from. The C++ kernel read the (absent) first element instead:
    garbage on a short row, a segfault past the end of a long one."""
    x = np.linspace(-1, 1, width, dtype=np.float32).reshape(1, 1, 1, width)
    kw = dict(kernel_size=2, stride=1, padding=1, dilation=2, return_indices=True)
    y, idx = F.max_pool2d(pn.tensor(x), **kw)
    ty, tidx = TF.max_pool2d(torch.tensor(x), **kw)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    y1, i1 = F.max_pool1d(pn.tensor([[[5.0]]]), 2, stride=1, padding=1, dilation=2, return_indices=True)
    assert y1.tolist() == [[[-float("inf")]]] and i1.tolist() == [[[1]]]  # torch's


def test_max_pool2d_ties_and_overlap_gradients():
    x = np.zeros((1, 1, 5, 5), np.float32)  # every window is a tie: the first maximum wins
    kw = dict(kernel_size=3, stride=1)
    _both(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw), [x])


AVGPOOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
]


@pytest.mark.parametrize("kw", AVGPOOL_CASES)
def test_avg_pool2d_matches_torch(kw):
    _both(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), [_rand((2, 3, 9, 8), 5)])


@pytest.mark.parametrize("size", [1, 3, (4, 5), (None, 2), (9, 8), (10, 3)])
def test_adaptive_avg_pool2d_matches_torch(size):
    x = _rand((2, 3, 9, 8), 6)
    _both(lambda t: F.adaptive_avg_pool2d(t, size), lambda t: TF.adaptive_avg_pool2d(t, size), [x])
    m = nn.AdaptiveAvgPool2d(size)
    assert repr(m) == repr(torch.nn.AdaptiveAvgPool2d(size))


def test_unbatched_pooling():
    x = _rand((3, 8, 8), 7)
    _close(F.max_pool2d(pn.tensor(x), 2), TF.max_pool2d(torch.tensor(x), 2))
    _close(F.avg_pool2d(pn.tensor(x), 2), TF.avg_pool2d(torch.tensor(x), 2))
    _close(F.adaptive_avg_pool2d(pn.tensor(x), 3), TF.adaptive_avg_pool2d(torch.tensor(x), 3))


def test_dropout2d_drops_whole_channels():
    pn.manual_seed(0)
    x = pn.ones((64, 16, 5, 5), requires_grad=True)
    y = F.dropout2d(x, p=0.25)
    a = y.detach().numpy()
    per_channel = a.reshape(64, 16, -1)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # a channel is kept or dropped whole
    assert set(np.unique(a).tolist()) == {0.0, np.float32(1 / 0.75)}
    dropped = float((per_channel[:, :, 0] == 0).mean())
    assert 0.18 < dropped < 0.32  # 1024 channels, p = 0.25
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a)  # the gradient is the mask
    assert F.dropout2d(x, 0.5, training=False) is x
    m = nn.Dropout2d(0.5).eval()
    assert m(x) is x
    assert float(F.dropout2d(x, 1.0).detach().abs().sum()) == 0.0
    assert repr(nn.Dropout2d(0.3)) == repr(torch.nn.Dropout2d(0.3))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout2d(1.5)


@pytest.mark.parametrize(
    "args,kw",
    [
        ((1, 32, 3), {}),
        ((2, 4, (3, 5)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
        ((2, 4, 3), dict(padding="same")),
        ((2, 4, 2), dict(padding="valid", stride=(1, 2))),
    ],
)
def test_conv2d_module_repr_and_init(args, kw):
    m, tm = nn.Conv2d(*args, **kw), torch.nn.Conv2d(*args, **kw)
    assert repr(m) == repr(tm)
    assert m.weight.shape == tuple(tm.weight.shape)
    fan_in = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
    bound = 1 / math.sqrt(fan_in)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    if m.bias is not None:
        assert np.abs(m.bias.detach().numpy()).max() <= bound
    else:
        assert tm.bias is None


def test_conv2d_init_distribution():
    pn.manual_seed(1)
    w = nn.Conv2d(64, 128, 3).weight.detach().numpy()
    bound = 1 / math.sqrt(64 * 9)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound  # U(-b, b) has std b / sqrt(3)
    assert abs(w.mean()) < 0.01 * bound


def test_conv2d_module_forward_and_padding_modes():
    m = nn.Conv2d(3, 5, 3, padding=1)
    tm = torch.nn.Conv2d(3, 5, 3, padding=1)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(m.weight.detach().numpy()))
        tm.bias.copy_(torch.tensor(m.bias.detach().numpy()))
    x = _rand((2, 3, 6, 6), 8)
    _close(m(pn.tensor(x)), tm(torch.tensor(x)))
    nn.Conv2d(1, 2, 3, padding_mode="reflect")  # the padding modes: tests/test_torch_nn_extra.py
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_pool_module_reprs():
    pairs = [
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (nn.MaxPool2d((2, 3), 1, 1, 2, ceil_mode=True), torch.nn.MaxPool2d((2, 3), 1, 1, 2, ceil_mode=True)),
        (nn.AvgPool2d(3, 2), torch.nn.AvgPool2d(3, 2)),
        (nn.AvgPool2d(2, count_include_pad=False), torch.nn.AvgPool2d(2, count_include_pad=False)),
        (nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)),
        (nn.Flatten(), torch.nn.Flatten()),
    ]
    for m, tm in pairs:
        assert repr(m) == repr(tm)
    x = _rand((2, 3, 8, 8), 9)
    y, idx = nn.MaxPool2d(2, return_indices=True)(pn.tensor(x))
    ty, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    _close(y, ty)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    _close(nn.AvgPool2d(3, 1, 1)(pn.tensor(x)), torch.nn.AvgPool2d(3, 1, 1)(torch.tensor(x)))


def test_flatten():
    x = _rand((2, 3, 4, 5), 10)
    for start, end in ((1, -1), (0, -1), (1, 2), (2, 3), (-3, -2)):
        assert nn.Flatten(start, end)(pn.tensor(x)).shape == tuple(
            torch.nn.Flatten(start, end)(torch.tensor(x)).shape
        )
        assert pn.flatten(pn.tensor(x), start, end).shape == tuple(
            torch.flatten(torch.tensor(x), start, end).shape
        )


@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(momentum=None),
        dict(momentum=0.3, eps=1e-3),
        dict(affine=False),
        dict(track_running_stats=False),
    ],
)
def test_batchnorm2d_matches_torch_over_steps(kw):
    m, tm = nn.BatchNorm2d(3, **kw), torch.nn.BatchNorm2d(3, **kw)
    if m.weight is not None:
        w, b = _rand((3,), 11), _rand((3,), 12)
        m.weight.data, m.bias.data = pn.tensor(w), pn.tensor(b)
        with torch.no_grad():
            tm.weight.copy_(torch.tensor(w))
            tm.bias.copy_(torch.tensor(b))
    for step in range(4):
        x = _rand((4, 3, 5, 6), 20 + step) * (1 + step) + step
        _both(lambda t: m(t), lambda t: tm(t), [x], seed=step)
        if tm.running_mean is not None:
            _close(m.running_mean, tm.running_mean, 1e-5)
            _close(m.running_var, tm.running_var, 1e-5)
            assert int(m.num_batches_tracked.item()) == int(tm.num_batches_tracked.item())
        else:
            assert m.running_mean is None
    if m.weight is not None:
        _close(m.weight.grad, tm.weight.grad)
        _close(m.bias.grad, tm.bias.grad)
    m.eval(), tm.eval()
    x = _rand((2, 3, 5, 6), 30)
    _close(m(pn.tensor(x)), tm(torch.tensor(x)))
    with pytest.raises(RuntimeError, match="expected 4D input \\(got 3D input\\)"):
        m(pn.tensor(_rand((3, 5, 6), 0)))


@pytest.mark.parametrize(
    "kw",
    [{}, dict(lr=0.5, rho=0.8, eps=1e-4), dict(weight_decay=0.1), dict(maximize=True), dict(rho=0.0)],
)
def test_adadelta_trajectory_matches_torch(kw):
    """Minimise a small quadratic for a few steps with both; parameters and state agree."""
    w0, b0, target = _rand((4, 3), 40), _rand((4,), 41), _rand((5, 4), 42)
    x = _rand((5, 3), 43)
    p = [pn.tensor(w0, requires_grad=True), pn.tensor(b0, requires_grad=True)]
    tp = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    opt, topt = optim.Adadelta(p, **kw), torch.optim.Adadelta(tp, **kw)
    for _ in range(6):
        opt.zero_grad(), topt.zero_grad()
        ((F.linear(pn.tensor(x), *p) - pn.tensor(target)) ** 2).mean().backward()
        ((TF.linear(torch.tensor(x), *tp) - torch.tensor(target)) ** 2).mean().backward()
        opt.step(), topt.step()
        for a, b in zip(p, tp):
            _close(a, b, 1e-5)
    for a, b in zip(p, tp):
        _close(opt.state[a]["square_avg"], topt.state[b]["square_avg"], 1e-5)
        _close(opt.state[a]["acc_delta"], topt.state[b]["acc_delta"], 1e-5)
    assert opt.state[p[0]]["step"] == 6


def test_adadelta_defaults_and_errors():
    p = pn.zeros(3, requires_grad=True)
    g = optim.Adadelta([p]).param_groups[0]
    assert (g["lr"], g["rho"], g["eps"], g["weight_decay"], g["maximize"]) == (1.0, 0.9, 1e-6, 0, False)
    for kw, msg in (
        (dict(lr=-1), "Invalid learning rate"),
        (dict(rho=1.5), "Invalid rho value"),
        (dict(eps=-1), "Invalid epsilon value"),
        (dict(weight_decay=-1), "Invalid weight_decay"),
    ):
        with pytest.raises(ValueError, match=msg):
            optim.Adadelta([p], **kw)


def _classic_forward(m, x, Fm, flatten):
    x = Fm.relu(m["conv1"](x))
    x = Fm.relu(m["conv2"](x))
    x = Fm.max_pool2d(x, 2)
    x = flatten(x, 1)
    x = Fm.relu(m["fc1"](x))
    return Fm.log_softmax(m["fc2"](x), dim=1)


def test_classic_mnist_convnet_forward_backward_matches_torch():
    pn.manual_seed(3)
    names = ("conv1", "conv2", "fc1", "fc2")
    m = {
        "conv1": nn.Conv2d(1, 32, 3, 1),
        "conv2": nn.Conv2d(32, 64, 3, 1),
        "fc1": nn.Linear(9216, 128),
        "fc2": nn.Linear(128, 10),
    }
    tm = {
        "conv1": torch.nn.Conv2d(1, 32, 3, 1),
        "conv2": torch.nn.Conv2d(32, 64, 3, 1),
        "fc1": torch.nn.Linear(9216, 128),
        "fc2": torch.nn.Linear(128, 10),
    }
    with torch.no_grad():
        for n in names:
            tm[n].weight.copy_(torch.tensor(m[n].weight.detach().numpy()))
            tm[n].bias.copy_(torch.tensor(m[n].bias.detach().numpy()))
    x = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, 8)
    out = _classic_forward(m, pn.tensor(x), F, pn.flatten)
    tout = _classic_forward(tm, torch.tensor(x), TF, torch.flatten)
    _close(out, tout)
    loss, tloss = F.nll_loss(out, pn.tensor(y)), TF.nll_loss(tout, torch.tensor(y))
    assert abs(loss.item() - tloss.item()) < 1e-5
    loss.backward(), tloss.backward()
    for n in names:
        _close(m[n].weight.grad, tm[n].weight.grad, 2e-4)
        _close(m[n].bias.grad, tm[n].bias.grad, 2e-4)


BAD_ARGUMENTS = {  # each raises in torch; pyneuro must raise an instance of torch's type
    "conv3d stride 0": lambda L: L.nn.functional.conv3d(
        L.ones(1, 1, 4, 4, 4), L.ones(1, 1, 2, 2, 2), stride=0
    ),
    "conv3d stride -1": lambda L: L.nn.functional.conv3d(
        L.ones(1, 1, 4, 4, 4), L.ones(1, 1, 2, 2, 2), stride=-1
    ),
    "conv2d stride '2'": lambda L: L.nn.functional.conv2d(L.ones(1, 1, 4, 4), L.ones(1, 1, 2, 2), stride="2"),
    "conv2d stride 1.5": lambda L: L.nn.functional.conv2d(L.ones(1, 1, 4, 4), L.ones(1, 1, 2, 2), stride=1.5),
    "conv2d three strides": lambda L: L.nn.functional.conv2d(
        L.ones(1, 1, 4, 4), L.ones(1, 1, 2, 2), stride=(1, 2, 3)
    ),
    "conv2d no output channel": lambda L: L.nn.functional.conv2d(L.ones(2, 1, 4, 4), L.ones(0, 1, 1, 1)),
    "interpolate scale nan": lambda L: L.nn.functional.interpolate(
        L.ones(1, 1, 4), scale_factor=float("nan")
    ),
    "interpolate scale inf": lambda L: L.nn.functional.interpolate(
        L.ones(1, 1, 4), scale_factor=float("inf")
    ),
    "interpolate 2**40": lambda L: L.nn.functional.interpolate(L.ones(1, 1, 4), size=2**40),
    "adaptive_max_pool2d 2**31": lambda L: L.nn.functional.adaptive_max_pool2d(L.ones(1, 1, 3, 3), 2**31),
    "adaptive_max_pool2d empty plane": lambda L: L.nn.functional.adaptive_max_pool2d(L.ones(1, 1, 0, 3), 2),
    "dropout2d p nan": lambda L: L.nn.functional.dropout2d(L.ones(1, 2, 3, 3), p=float("nan")),
    "dropout p 1.5": lambda L: L.nn.functional.dropout(L.ones(3), p=1.5),
    "batch_norm eps -1 training": lambda L: L.nn.BatchNorm2d(1, eps=-1.0)(L.ones(2, 1, 2, 2)),
    "batch_norm eps -1 eval": lambda L: L.nn.BatchNorm2d(1, eps=-1.0).eval()(L.ones(2, 1, 2, 2)),
}


@pytest.mark.parametrize("name", sorted(BAD_ARGUMENTS))
def test_bad_arguments_raise_torchs_exception_types(name):
    with pytest.raises(Exception) as theirs:
        BAD_ARGUMENTS[name](torch)
    with pytest.raises(type(theirs.value)):
        BAD_ARGUMENTS[name](pn)


def test_strides_given_as_0d_tensors_and_shapes_torch_accepts():
    x, w = _rand((1, 2, 5, 5), 0), _rand((3, 2, 2, 2), 1)
    _both(
        lambda t, k: F.conv2d(t, k, stride=pn.tensor(2)),
        lambda t, k: TF.conv2d(t, k, stride=torch.tensor(2)),
        [x, w],
    )
    y = F.conv_transpose2d(
        pn.ones(0, 1, 2, 2), pn.ones(1, 1, 1, 1), padding=1
    )  # an empty batch: no size check
    assert tuple(y.shape) == tuple(
        TF.conv_transpose2d(torch.ones(0, 1, 2, 2), torch.ones(1, 1, 1, 1), padding=1).shape
    )
