"""The extra torch.nn layers and functions against torch: padding layers, interpolate / Upsample,
pixel and channel shuffles, unfold / fold (values, gradients, reprs, errors)."""

from __future__ import annotations

import numpy as np
import pytest

import pyneuro as pn

torch = pytest.importorskip("torch")


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def same(fn, *arrays, grad=True, tol=1e-5):
    """fn(framework, *tensors) under pyneuro and torch: equal values and input gradients."""
    results = []
    for fw in (pn, torch):
        ts = [fw.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        out = fn(fw, *ts)
        outs = out if isinstance(out, tuple) else (out,)
        if grad:
            g = np.random.default_rng(7).standard_normal(tuple(outs[0].shape)).astype(np.float32)
            outs[0].backward(fw.tensor(g))
        grads = [None if t.grad is None else t.grad.numpy() for t in ts if t.requires_grad]
        results.append(([o.detach().numpy() for o in outs], grads))
    (po, pg), (to, tg) = results
    for p, t in zip(po + pg, to + tg):
        if p is None or t is None:  # an input the result does not depend on differentiably (a target)
            assert p is None and t is None
            continue
        assert p.shape == t.shape
        np.testing.assert_allclose(p, t, rtol=tol, atol=tol)


def same_error(fn):
    """fn(framework) raises under both, and pyneuro's exception is an instance of torch's type."""
    with pytest.raises(Exception) as t_exc:
        fn(torch)
    with pytest.raises(type(t_exc.value)):
        fn(pn)


# ----------------------------------------------------------------------------- padding layers
PAD_LAYERS = [
    ("ZeroPad1d", 2, (2, 3, 5)),
    ("ZeroPad2d", (1, 2, 0, 3), (2, 3, 4, 5)),
    ("ZeroPad3d", 1, (1, 2, 3, 4, 5)),
    ("ConstantPad1d", ((1, 2), 3.5), (3, 5)),
    ("ConstantPad2d", (2, -1.0), (2, 3, 4)),
    ("ConstantPad3d", ((1, 0, 2, 0, 0, 1), 2), (2, 3, 4, 5)),
    ("ReflectionPad1d", (2, 1), (2, 3, 5)),
    ("ReflectionPad2d", 2, (2, 3, 4, 5)),
    ("ReflectionPad3d", 1, (1, 2, 3, 4, 5)),
    ("ReplicationPad1d", 3, (3, 5)),
    ("ReplicationPad2d", (1, 0, 2, 3), (3, 4, 5)),
    ("ReplicationPad3d", (1, 1, 0, 2, 1, 0), (2, 3, 4, 5)),
    ("CircularPad1d", 2, (2, 3, 5)),
    ("CircularPad2d", (1, 2, 2, 1), (2, 3, 4, 5)),
    ("CircularPad3d", 1, (2, 2, 3, 4)),
]


@pytest.mark.parametrize(("name", "args", "shape"), PAD_LAYERS)
def test_padding_layers_match_torch(name, args, shape):
    args = args if isinstance(args, tuple) and len(args) == 2 and name.startswith("Constant") else (args,)
    same(lambda fw, x: getattr(fw.nn, name)(*args)(x), *_arrays(shape))
    assert repr(getattr(pn.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    assert getattr(pn.nn, name)(*args).padding == getattr(torch.nn, name)(*args).padding


def test_padding_layer_errors():
    same_error(lambda fw: fw.nn.CircularPad2d(1)(fw.zeros(2, 3)))
    same_error(lambda fw: fw.nn.ReflectionPad1d(2)(fw.zeros(2, 3, 4, 5)))
    same_error(lambda fw: fw.nn.ReflectionPad1d(3)(fw.zeros(2, 3, 3)))
    same_error(lambda fw: fw.nn.ZeroPad2d(1)(fw.zeros(3)))


# ----------------------------------------------------------------------------- interpolate
INTERP = [
    ((2, 3, 5), dict(scale_factor=2)),
    ((2, 3, 5), dict(size=8, mode="linear")),
    ((2, 3, 5), dict(size=3, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=1.5, mode="nearest-exact")),
    ((2, 3, 5), dict(size=2, mode="area")),
    ((2, 3, 5, 7), dict(scale_factor=2)),
    ((2, 3, 5, 7), dict(size=(3, 11))),
    ((2, 3, 5, 7), dict(size=(8, 11), mode="bilinear")),
    ((2, 3, 5, 7), dict(size=(8, 4), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(scale_factor=(0.5, 1.3), mode="bilinear")),
    ((2, 3, 5, 7), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 5, 7), dict(scale_factor=1.7, mode="bicubic")),
    ((2, 3, 5, 7), dict(size=(9, 3), mode="bicubic", align_corners=True)),
    ((2, 3, 5, 7), dict(size=(9, 4), mode="nearest-exact")),
    ((2, 3, 5, 7), dict(size=(3, 3), mode="area")),
    ((1, 2, 3, 4, 5), dict(scale_factor=(2, 1.5, 0.6), mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(2, 5, 7), mode="nearest")),
    ((1, 2, 3, 1, 5), dict(size=(1, 1, 4), mode="trilinear", align_corners=True)),
]

# nearest with a scale that keeps (or doubles) a size: torch's 2-D forward kernel alone maps it to
# the identity (or j >> 1); its 1-D and 3-D kernels read floor(j / scale). (torch's backward
# kernels take the shortcut in every rank, so its 1-D/3-D gradients here are not the adjoint of
# its forward; pyneuro's are: compared as values only, the gradient against our own forward.)
NEAREST_SHORTCUT = [
    ((1, 2, 3), dict(scale_factor=1.3)),
    ((1, 2, 3), dict(scale_factor=2.1)),
    ((1, 2, 3, 4), dict(scale_factor=(1.3, 1.3))),
    ((1, 2, 3, 4), dict(scale_factor=(2.1, 1.0))),
    ((1, 2, 3, 1, 1), dict(scale_factor=(1.3, 1, 1))),
    ((1, 2, 3, 2, 4), dict(scale_factor=(2.1, 1.3, 2.0))),
]


@pytest.mark.parametrize(("shape", "kw"), NEAREST_SHORTCUT)
def test_interpolate_nearest_shortcuts_are_torchs_by_rank(shape, kw):
    same(lambda fw, x: fw.nn.functional.interpolate(x, **kw), *_arrays(shape), grad=False)
    x = pn.tensor(_arrays(shape)[0], requires_grad=True)
    y = pn.nn.functional.interpolate(x, **kw)
    g = pn.randn(*y.shape)
    (y * g).sum().backward()
    probe = pn.randn(*x.shape)  # <g, A probe> == <A^T g, probe>: the gradient is the forward's adjoint
    np.testing.assert_allclose(
        (pn.nn.functional.interpolate(probe, **kw) * g).sum().item(), (x.grad * probe).sum().item(), rtol=1e-5
    )


# linear modes (and antialias) with a scale that keeps a size: torch copies that dimension (a
# 4-long row at scale 1.2 stays [0, 1, 2, 3]; pyneuro interpolated it on the 1/1.2 grid)
KEPT_SIZE = [
    ((1, 2, 4), dict(scale_factor=1.2, mode="linear")),
    ((1, 2, 3, 4), dict(scale_factor=1.2, mode="bilinear")),
    ((1, 2, 3, 4), dict(scale_factor=(1.2, 2.0), mode="bilinear")),
    ((1, 2, 2, 3, 4), dict(scale_factor=1.2, mode="trilinear")),
    ((1, 2, 3, 4), dict(scale_factor=1.2, mode="bilinear", antialias=True)),
    ((1, 2, 3, 4), dict(scale_factor=(1.3, 0.5), mode="bicubic", antialias=True)),
    ((1, 2, 3, 4), dict(scale_factor=1.2, mode="bicubic")),  # (bicubic alone interpolates)
]


@pytest.mark.parametrize(("shape", "kw"), KEPT_SIZE)
def test_interpolate_keeps_a_dimension_whose_size_stays(shape, kw):
    linear = kw["mode"] != "bicubic" and not kw.get("antialias")  # (else torch's backward is not the adjoint)
    same(lambda fw, x: fw.nn.functional.interpolate(x, **kw), *_arrays(shape), grad=linear)


@pytest.mark.parametrize(("shape", "kw"), INTERP)
def test_interpolate_matches_torch(shape, kw):
    same(lambda fw, x: fw.nn.functional.interpolate(x, **kw), *_arrays(shape))


def test_interpolate_noncontiguous_and_integer_input():
    same(
        lambda fw, x: fw.nn.functional.interpolate(x.transpose(2, 3), size=(6, 4), mode="bilinear"),
        *_arrays((1, 2, 3, 5)),
    )
    img = np.arange(12, dtype=np.uint8).reshape(1, 1, 3, 4)
    p = pn.nn.functional.interpolate(pn.tensor(img), scale_factor=2)
    t = torch.nn.functional.interpolate(torch.tensor(img), scale_factor=2)
    assert p.dtype == pn.uint8
    np.testing.assert_array_equal(p.numpy(), t.numpy())
    same_error(lambda fw: fw.nn.functional.interpolate(fw.zeros(1, 1, 2, 2, dtype=fw.int64), scale_factor=2))


@pytest.mark.parametrize(
    "call",
    [
        lambda fw, x: fw.nn.functional.interpolate(x),
        lambda fw, x: fw.nn.functional.interpolate(x, size=3, scale_factor=2),
        lambda fw, x: fw.nn.functional.interpolate(x, size=(3, 3, 3)),
        lambda fw, x: fw.nn.functional.interpolate(x, size=3, align_corners=True),
        lambda fw, x: fw.nn.functional.interpolate(x, size=3, mode="linear"),
        lambda fw, x: fw.nn.functional.interpolate(x, size=3, mode="trilinear"),
        lambda fw, x: fw.nn.functional.interpolate(x, size=3, mode="cubic"),
        lambda fw, x: fw.nn.functional.interpolate(x, scale_factor=0.1),
        lambda fw, x: fw.nn.functional.interpolate(x, scale_factor=(2, 2, 2)),
        lambda fw, x: fw.nn.functional.interpolate(x[0, 0], size=3),
        lambda fw, x: fw.nn.functional.interpolate(x, size=3, recompute_scale_factor=True),
    ],
)
def test_interpolate_errors(call):
    (a,) = _arrays((1, 2, 4, 4))
    same_error(lambda fw: call(fw, fw.tensor(a)))


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        ("Upsample(scale_factor=2)", (1, 2, 3, 4)),
        ("Upsample(size=(5, 6), mode='bilinear')", (1, 2, 3, 4)),
        ("Upsample(scale_factor=(2.0, 1.5), mode='bicubic', align_corners=True)", (1, 2, 3, 4)),
        ("Upsample(size=7, mode='linear')", (2, 3, 4)),
        ("UpsamplingNearest2d(scale_factor=3)", (1, 2, 3, 4)),
        ("UpsamplingBilinear2d(size=(4, 7))", (1, 2, 3, 4)),
    ],
)
def test_upsample_layers(make, shape):
    same(lambda fw, x: eval("fw.nn." + make)(x), *_arrays(shape))
    assert repr(eval("pn.nn." + make)) == repr(eval("torch.nn." + make))


def test_deprecated_upsample_functions():
    (a,) = _arrays((1, 2, 3, 4))
    for name, kw in (("upsample", dict(scale_factor=2, mode="bilinear")), ("upsample_nearest", dict(size=5)),
                     ("upsample_bilinear", dict(scale_factor=2))):  # fmt: skip
        with pytest.warns(UserWarning):
            p = getattr(pn.nn.functional, name)(pn.tensor(a), **kw)
        with pytest.warns(UserWarning):
            t = getattr(torch.nn.functional, name)(torch.tensor(a), **kw)
        np.testing.assert_allclose(p.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- shuffles
@pytest.mark.parametrize(
    ("call", "shape"),
    [
        (lambda fw, x: fw.nn.functional.pixel_shuffle(x, 2), (2, 8, 3, 4)),
        (lambda fw, x: fw.nn.functional.pixel_shuffle(x, 3), (9, 2, 1)),
        (lambda fw, x: fw.nn.PixelShuffle(2)(x), (2, 1, 4, 3, 2)),
        (lambda fw, x: fw.nn.functional.pixel_unshuffle(x, 2), (2, 3, 4, 6)),
        (lambda fw, x: fw.nn.PixelUnshuffle(3)(x), (1, 6, 3)),
        (
            lambda fw, x: fw.nn.functional.pixel_unshuffle(fw.nn.functional.pixel_shuffle(x, 2), 2),
            (1, 8, 2, 3),
        ),
        (lambda fw, x: fw.nn.functional.channel_shuffle(x, 3), (2, 6, 4)),
        (lambda fw, x: fw.nn.ChannelShuffle(2)(x), (2, 4, 3, 2)),
    ],
)
def test_shuffles_match_torch(call, shape):
    same(call, *_arrays(shape))


def test_shuffle_errors_and_reprs():
    same_error(lambda fw: fw.nn.functional.pixel_shuffle(fw.zeros(1, 5, 2, 2), 2))
    same_error(lambda fw: fw.nn.functional.pixel_shuffle(fw.zeros(4, 2), 2))
    same_error(lambda fw: fw.nn.functional.pixel_shuffle(fw.zeros(1, 4, 2, 2), 0))
    same_error(lambda fw: fw.nn.functional.pixel_unshuffle(fw.zeros(1, 1, 4, 5), 2))
    same_error(lambda fw: fw.nn.functional.channel_shuffle(fw.zeros(1, 5, 2), 2))
    same_error(lambda fw: fw.nn.functional.channel_shuffle(fw.zeros(1, 4, 2), 0))
    for make in ("PixelShuffle(2)", "PixelUnshuffle(3)", "ChannelShuffle(4)"):
        assert repr(eval("pn.nn." + make)) == repr(eval("torch.nn." + make))


# ----------------------------------------------------------------------------- unfold / fold
FOLD_ARGS = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
    dict(kernel_size=3, padding=(0, 2), stride=2),
    dict(kernel_size=1),
]


@pytest.mark.parametrize("kw", FOLD_ARGS)
def test_unfold_and_fold_match_torch(kw):
    same(lambda fw, x: fw.nn.functional.unfold(x, **kw), *_arrays((2, 3, 5, 6)))
    same(lambda fw, x: fw.nn.Unfold(**kw)(x), *_arrays((3, 5, 6)))  # unbatched
    blocks = torch.nn.functional.unfold(torch.zeros(2, 3, 5, 6), **kw).shape
    same(lambda fw, y: fw.nn.functional.fold(y, (5, 6), **kw), *_arrays(tuple(blocks)))
    same(lambda fw, y: fw.nn.Fold((5, 6), **kw)(y), *_arrays(tuple(blocks[1:])))


def test_unfold_fold_errors_and_reprs():
    same_error(lambda fw: fw.nn.functional.unfold(fw.zeros(2, 3, 4, 4, 4), 2))
    same_error(lambda fw: fw.nn.functional.unfold(fw.zeros(1, 2, 4, 4), 5))
    same_error(lambda fw: fw.nn.functional.fold(fw.zeros(1, 7, 9), (4, 4), 2))
    same_error(lambda fw: fw.nn.functional.fold(fw.zeros(1, 8, 8), (4, 4), 2))
    same_error(lambda fw: fw.nn.functional.fold(fw.zeros(2, 3, 4, 5), (3, 3), 1))
    for make in ("Unfold(3)", "Unfold((2, 3), dilation=2, padding=1, stride=(1, 2))", "Fold((4, 5), 2)"):
        assert repr(eval("pn.nn." + make)) == repr(eval("torch.nn." + make))


# ----------------------------------------------------------------------------- Conv padding_mode
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "zeros"])
@pytest.mark.parametrize(
    ("cls", "args", "shape"),
    [
        ("Conv2d", dict(padding=1), (2, 3, 6, 7)),
        ("Conv2d", dict(padding=(2, 1), stride=2, dilation=(1, 2)), (2, 3, 6, 7)),
        ("Conv2d", dict(padding="same", dilation=2), (3, 6, 7)),
        ("Conv1d", dict(padding=2, groups=3), (2, 3, 8)),
        ("Conv1d", dict(padding="same", kernel_size=4), (3, 8)),
        ("Conv1d", dict(padding="valid"), (2, 3, 8)),
    ],
)
def test_conv_padding_modes(mode, cls, args, shape):
    args = {"kernel_size": 3, **args}
    layers = [getattr(fw.nn, cls)(3, 6, padding_mode=mode, **args) for fw in (pn, torch)]
    weight, bias = (p.detach().numpy() for p in layers[0].parameters())
    layers[1].load_state_dict({"weight": torch.tensor(weight), "bias": torch.tensor(bias)})
    assert repr(layers[0]) == repr(layers[1])
    same(lambda fw, x: layers[fw is torch](x), *_arrays(shape), tol=1e-4)
    grads = [tuple(p.grad.numpy() for p in layer.parameters()) for layer in layers]
    for p, t in zip(*grads):
        np.testing.assert_allclose(p, t, rtol=1e-4, atol=1e-4)
